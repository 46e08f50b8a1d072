"""lib.implicit: well-posedness, fixed-point solvers, implicit differentiation, kernels."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import data, implicit

from precision import X64, tol


def _problem(N=6, d=4, m=32, seed=0):
    k = jax.random.split(jax.random.key(seed), 3)
    X = data.sphere_points(k[0], N, d, min_angle=0.2)
    Y = jax.random.normal(k[1], (N,))
    return X, Y, implicit.init(k[2], m, d)


@pytest.mark.property
@settings(max_examples=25 if X64 else 6)   # fewer in the float32 pass (conftest.py)
@given(seed=st.integers(0, 2**31 - 1), norm=st.floats(0.1, 0.95), method=st.sampled_from(implicit.METHODS),
       shift=st.floats(0.0, 1.0))
def test_solvers_converge_on_random_contractions(seed, norm, method, shift):
    k = jax.random.split(jax.random.key(seed), 2)
    m = 24
    A = jax.random.normal(k[0], (m, m)) + shift * jnp.ones((m, m))
    A = norm * A / np.linalg.norm(np.asarray(A), 2)
    B = jax.random.normal(k[1], (5, m)) + shift
    cfg = implicit.SolverConfig(method, None, 5000)   # 1e-10 in float64, dtype-aware in float32
    Z, iters, res = implicit.solve(implicit.equilibrium_map, jnp.zeros_like(B), (A, B), cfg)
    assert res <= implicit._tol(cfg, B.dtype) and 1 <= iters <= 5000
    # the fixed point is unique (contraction): compare with a long plain iteration
    Zref = jnp.zeros_like(B)
    for _ in range(2000):
        Zref = implicit.equilibrium_map(Zref, A, B)
    assert float(jnp.abs(Z - Zref).max()) <= tol(1e-8, 1e-4) * max(1.0, float(jnp.abs(Zref).max())) / (1 - norm)


def test_anderson_beats_plain_in_the_hard_regime():
    k = jax.random.split(jax.random.key(3), 3)
    m = 64
    A = jnp.ones((m, m)) / m + 0.02 * jax.random.normal(k[0], (m, m)) / math.sqrt(m)
    A = 0.95 * A / np.linalg.norm(np.asarray(A), 2)
    B = jax.random.normal(k[1], (8, m)) + 1.0
    plain = implicit.solve(implicit.equilibrium_map, jnp.zeros_like(B), (A, B), implicit.SolverConfig("plain", tol(1e-6, 1e-5), 5000))
    anderson = implicit.solve(implicit.equilibrium_map, jnp.zeros_like(B), (A, B),
                              implicit.SolverConfig("anderson", tol(1e-6, 1e-5), 5000))
    assert plain[1] >= 100 and anderson[1] <= plain[1] / 2


def test_solve_raises_at_the_cap_with_the_residual():
    X, _, p = _problem()
    B = X @ p.W.T
    A = 0.99 * jnp.eye(32)
    with pytest.raises(implicit.NonConvergenceError, match="stopped at the cap max_iter = 3 with relative residual"):
        implicit.solve(implicit.equilibrium_map, jnp.zeros_like(B), (A, B), implicit.SolverConfig("plain", 1e-12, 3))
    with pytest.raises(implicit.NonConvergenceError, match="equilibrium solve \\(anderson\\) stopped at the cap max_iter = 2"):
        implicit.equilibrium(p, X, 0.3, implicit.SolverConfig("anderson", 1e-14, 2))


def test_equilibrium_with_stats_under_jit_reports_instead_of_raising():
    X, _, p = _problem()
    f = jax.jit(lambda q: implicit.equilibrium_with_stats(q, X, 0.3, implicit.SolverConfig("plain", 1e-14, 2))[1:])
    k, res = f(p)
    assert int(k) == 2 and float(res) > 1e-14


def test_equilibrium_solves_the_equation_and_is_well_posed():
    X, _, p = _problem()
    norm = implicit.check_well_posed(p, 0.3)
    assert 0 < norm < 1 and norm == pytest.approx(implicit.implicit_norm(p, 0.3))
    for method in implicit.METHODS:
        Z = implicit.equilibrium(p, X, 0.3, implicit.SolverConfig(method, tol(1e-12, None), 500))
        At = implicit.scaled_A(p, 0.3)
        assert float(jnp.abs(Z - jax.nn.relu(Z @ At.T + X @ p.W.T)).max()) < tol(1e-10, 1e-4)


def test_check_well_posed_errors():
    _, _, p = _problem()
    with pytest.raises(ValueError, match="not known to be well posed: \\|\\|gamma A / sqrt\\(m\\)\\|\\|_2 = .* >= 1"):
        implicit.check_well_posed(p, 2.0)
    with pytest.raises(ValueError, match="gamma \\(scale of the implicit matrix\\) must be a positive finite number"):
        implicit.check_well_posed(p, -0.1)


@pytest.mark.parametrize("kwargs,match", [
    ({"method": "newton"}, "method must be one of \\('plain', 'anderson'\\), got 'newton'"),
    ({"tol": 0.0}, "tol \\(relative residual\\) must be a positive finite number, got 0.0"),
    ({"max_iter": 0}, "max_iter must be a positive integer, got 0"),
    ({"memory": 0}, "memory \\(Anderson\\) must be a positive integer, got 0"),
    ({"adjoint": implicit.SolverConfig(tol=-1.0)}, "tol \\(relative residual\\) must be a positive finite number"),
])
def test_solver_config_errors(kwargs, match):
    X, _, p = _problem()
    with pytest.raises(ValueError, match=match):
        implicit.equilibrium(p, X, 0.3, implicit.SolverConfig(**kwargs))


def test_equilibrium_rejects_inputs_of_the_wrong_dimension():
    X, _, p = _problem()
    with pytest.raises(ValueError, match="X must have d = 4 columns \\(the input weights' width\\), got shape \\(6, 3\\)"):
        implicit.equilibrium(p, X[:, :3], 0.3)


def test_init_errors():
    with pytest.raises(ValueError, match="m must be a positive integer, got 0"):
        implicit.init(jax.random.key(0), 0, 3)
    with pytest.raises(TypeError, match="d must be a positive integer, got 2.5"):
        implicit.init(jax.random.key(0), 4, 2.5)


def _unrolled_loss(p, X, Y, gamma, T=300):
    At, B = implicit.scaled_A(p, gamma), X @ p.W.T
    Z = jax.lax.fori_loop(0, T, lambda _, Z: jax.nn.relu(Z @ At.T + B), jnp.zeros_like(B))
    return 0.5 * jnp.sum((Z @ p.u - Y) ** 2)


@pytest.mark.parametrize("method", implicit.METHODS)
def test_implicit_gradient_matches_unrolled_autodiff(method):
    X, Y, p = _problem()
    cfg = implicit.SolverConfig(method, tol(1e-13, None), 1000)
    g = jax.grad(lambda q: implicit.loss(q, X, Y, 0.3, cfg))(p)
    gu = jax.grad(lambda q: _unrolled_loss(q, X, Y, 0.3))(p)
    for a, b in zip(g, gu):
        assert float(jnp.abs(a - b).max()) <= tol(1e-10, 1e-3) * max(1.0, float(jnp.abs(b).max()))


@pytest.mark.float64  # central differences with h = 1e-6 are below float32 resolution
def test_implicit_gradient_matches_float64_finite_differences():
    X, Y, p = _problem(seed=4)
    cfg = implicit.SolverConfig("anderson", 1e-14, 1000)
    g = jax.grad(lambda q: implicit.loss(q, X, Y, 0.3, cfg))(p)
    k = jax.random.split(jax.random.key(9), 3)
    h = 1e-6
    for name, kk in zip(("A", "W", "u"), k):
        E = jax.random.normal(kk, getattr(p, name).shape)
        plus = implicit.loss(p._replace(**{name: getattr(p, name) + h * E}), X, Y, 0.3, cfg)
        minus = implicit.loss(p._replace(**{name: getattr(p, name) - h * E}), X, Y, 0.3, cfg)
        fd = float((plus - minus) / (2 * h))
        assert fd == pytest.approx(float(jnp.sum(getattr(g, name) * E)), rel=1e-6, abs=1e-9)


def test_unconverged_adjoint_raises_instead_of_giving_a_wrong_gradient():
    X, Y, p = _problem()
    cfg = implicit.SolverConfig("plain", None, 500, adjoint=implicit.SolverConfig("plain", 1e-14, 2))
    with pytest.raises(RuntimeError, match="adjoint equilibrium solve of the backward pass \\(plain\\) stopped at the cap"):
        jax.block_until_ready(jax.grad(lambda q: implicit.loss(q, X, Y, 0.3, cfg))(p))


def test_limit_kernel_is_a_fixed_point_and_the_wide_gram_approaches_it():
    X, _, _ = _problem(N=5, d=4)
    gamma = 0.3
    K = implicit.limit_kernel(X, gamma)
    S = gamma**2 * K + X @ X.T
    diag = jnp.diag(S)
    from lib.kernels import arccos_moments

    assert float(jnp.abs(arccos_moments(diag[:, None], diag[None, :], S)[0] - K).max()) < tol(1e-12, 1e-5)
    errors = []
    for m in (128, 2048):
        G = implicit.gram(implicit.init(jax.random.key(m), m, 4), X, gamma)
        errors.append(float(jnp.abs(G - K).max()))
    assert errors[1] < errors[0] and errors[1] < 0.05


def test_limit_kernel_errors():
    X, _, _ = _problem()
    with pytest.raises(ValueError, match="gamma must lie in \\(0, 1\\)"):
        implicit.limit_kernel(X, 1.0)
    with pytest.raises(implicit.NonConvergenceError, match="limit_kernel: no convergence"):
        implicit.limit_kernel(X, 0.9, tol=1e-300, max_iter=3)
