"""Bad input to the solver modules (deq, trust_region, implicit, implicit_theorem, train) gets a clear error.

Every public function and class of those modules has a case here: wrong rank or shape, N mismatch,
empty, NaN/inf, complex, non-positive or non-integer sizes, non-finite scalars, unknown options, None;
solvers that do not converge raise, eagerly and under ``jax.jit``; reasonable input (lists, plain
tuples, NumPy integers, JAX scalars, float32 arrays under x64) is accepted and gives the same numbers.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib import deq, implicit, train
from lib import implicit_theorem as thm
from lib import trust_region as tr

from badinput import covers, exempt, raises_naming
from precision import X64

exempt("lib.deq.ShallowConstants", "result record built by deq.shallow_constants")
exempt("lib.deq.Comparison", "result record built by deq.compare_models")
exempt("lib.trust_region.TRResult", "result record built by trust_region_newton")
exempt("lib.implicit.NonConvergenceError", "exception class")
exempt("lib.implicit_theorem.ImplicitRun", "result record built by implicit_theorem.run")
exempt("lib.train.History", "result record built by gradient_descent")
exempt("lib.train.DivergenceError", "exception class")

NAN, INF = float("nan"), float("inf")
BAD_SCALARS = [(NAN, ValueError), (INF, ValueError), (-1.0, ValueError), (0.0, ValueError), (None, TypeError),
               ("0.5", TypeError), (1 + 1j, TypeError), (True, TypeError)]
BAD_COUNTS = [(0, ValueError), (-3, ValueError), (2.5, TypeError), (None, TypeError), ("3", TypeError)]


@pytest.fixture(scope="module")
def dq():
    p = deq.init(jax.random.key(2), 4, 3)
    Phi = jax.random.normal(jax.random.key(0), (6, 4))
    Y = jax.random.normal(jax.random.key(1), (6, 3))
    return p, Phi, Y


def _with(a, idx, value):
    a = np.array(a)
    a[idx] = value
    return a


# ---------------------------------------------------------------- deq

@covers("lib.deq.check_gamma")
@pytest.mark.parametrize("gamma,exc", [(0.0, ValueError), (1.0, ValueError), (NAN, ValueError), (INF, ValueError),
                                       (None, TypeError), ("0.5", TypeError), (0.5j, TypeError)])
def test_check_gamma(gamma, exc):
    raises_naming(exc, "gamma", deq.check_gamma, gamma)


def test_check_gamma_accepts_numpy_and_jax_scalars():
    for g in (np.float32(0.5), np.float64(0.5), jnp.asarray(0.5), np.array(0.5)):
        assert deq.check_gamma(g) == 0.5


@covers("lib.deq.init", "lib.deq.random_features")
def test_init_and_features(dq):
    _, Phi, _ = dq
    k = jax.random.key(0)
    for m, exc in BAD_COUNTS:
        raises_naming(exc, "m", deq.init, k, m, 3)
        raises_naming(exc, "m", deq.random_features, k, Phi, m)
    raises_naming(ValueError, "m_y", deq.init, k, 3, 0)
    raises_naming(ValueError, "scale", deq.init, k, 3, 2, scale=NAN)
    raises_naming(ValueError, "scale", deq.init, k, 3, 2, scale=-1.0)
    raises_naming(TypeError, "key", deq.init, 0, 3, 2)
    raises_naming(TypeError, "key", deq.random_features, 0, Phi, 3)
    raises_naming(ValueError, "X", deq.random_features, k, jnp.ones(4), 3)
    raises_naming(ValueError, "X", deq.random_features, k, jnp.ones((0, 4)), 3)
    raises_naming(ValueError, "X", deq.random_features, k, _with(Phi, (0, 0), NAN), 3)
    raises_naming(TypeError, "X", deq.random_features, k, Phi + 1j, 3)
    # NumPy integers and lists are fine
    assert deq.init(k, np.int64(4), np.int32(3)).A.shape == (4, 4)
    assert deq.random_features(k, np.asarray(Phi).tolist(), np.int64(2)).shape == (6, 2)


@covers("lib.deq.sigma", "lib.deq.U_matrix")
def test_sigma_and_U(dq):
    p, _, _ = dq
    for f in (deq.sigma, lambda A: deq.U_matrix(A, 0.5)):
        raises_naming(ValueError, "A", f, jnp.ones(3))
        raises_naming(ValueError, "A", f, jnp.ones((0, 0)))
        raises_naming(ValueError, "A", f, _with(p.A, (1, 1), INF))
        raises_naming(TypeError, "A", f, p.A + 0j)
        raises_naming(TypeError, "A", f, None)
    raises_naming(ValueError, "A", deq.U_matrix, jnp.ones((2, 3)), 0.5)
    raises_naming(ValueError, "gamma", deq.U_matrix, p.A, NAN)
    np.testing.assert_array_equal(deq.sigma(np.asarray(p.A).tolist()), deq.sigma(p.A))


@covers("lib.deq.DEQParams", "lib.deq.equilibrium", "lib.deq.effective_weight", "lib.deq.predict", "lib.deq.loss",
        "lib.deq.preconditioner", "lib.deq.preconditioner_matrix")
def test_params_phi_and_Y(dq):
    p, Phi, Y = dq
    calls = {
        "equilibrium": lambda q, P: deq.equilibrium(q, P, 0.5),
        "predict": lambda q, P: deq.predict(q, P, 0.5),
        "loss": lambda q, P: deq.loss(q, P, Y, 0.5),
    }
    for name, f in calls.items():
        raises_naming(ValueError, "Phi", f, p, Phi[:, :3])
        raises_naming(ValueError, "Phi", f, p, Phi[0])
        raises_naming(ValueError, "Phi", f, p, Phi[:0])
        raises_naming(ValueError, "Phi", f, p, _with(Phi, (2, 1), NAN))
        raises_naming(TypeError, "Phi", f, p, Phi * 1j)
        raises_naming(ValueError, "A", f, deq.DEQParams(p.A[:, :3], p.B), Phi)
        raises_naming(ValueError, "A", f, deq.DEQParams(_with(p.A, (0, 0), NAN), p.B), Phi)
        raises_naming(ValueError, "B", f, deq.DEQParams(p.A, p.B[:, :2]), Phi)
        raises_naming(TypeError, "params", f, (p.A,), Phi)
        raises_naming(TypeError, "params", f, None, Phi)
    raises_naming(ValueError, "gamma", deq.equilibrium, p, Phi, NAN)
    raises_naming(ValueError, "gamma", deq.predict, p, Phi, 1.5)
    raises_naming(TypeError, "gamma", deq.loss, p, Phi, Y, None)
    raises_naming(ValueError, "Y", deq.loss, p, Phi, Y[:4], 0.5)
    raises_naming(ValueError, "Y", deq.loss, p, Phi, Y[:, 0], 0.5)          # (N,) only when m_y = 1
    raises_naming(ValueError, "Y", deq.loss, p, Phi, _with(Y, (0, 0), INF), 0.5)
    raises_naming(TypeError, "Y", deq.loss, p, Phi, Y + 0j, 0.5)
    raises_naming(ValueError, "kind", deq.loss, p, Phi, Y, 0.5, "hinge")
    raises_naming(ValueError, "B", deq.effective_weight, deq.DEQParams(p.A, jnp.ones((3, 2))), 0.5)
    raises_naming(ValueError, "G", deq.preconditioner, p, 0.5, jnp.ones((2, 4)))
    raises_naming(ValueError, "G", deq.preconditioner, p, 0.5, _with(jnp.ones((3, 4)), (0, 0), NAN))
    raises_naming(ValueError, "gamma", deq.preconditioner_matrix, p, 0.0)
    raises_naming(ValueError, "A", deq.preconditioner_matrix, deq.DEQParams(jnp.ones((4, 3)), p.B), 0.5)


def test_plain_tuples_lists_and_float32_are_accepted(dq):
    p, Phi, Y = dq
    ref = deq.loss(p, Phi, Y, 0.5)
    assert float(deq.loss((p.A, p.B), Phi, Y, 0.5)) == float(ref)
    assert float(deq.loss([np.asarray(p.A).tolist(), p.B], np.asarray(Phi).tolist(), Y, jnp.asarray(0.5))) \
        == pytest.approx(float(ref), rel=1e-6)
    # float32 features with the parameters' dtype (float64 under x64): promoted, no "carry types differ"
    Z, k = deq.equilibrium_iterate(p, Phi.astype(jnp.float32), 0.5)
    assert Z.dtype == p.A.dtype and int(k) > 0


@covers("lib.deq.equilibrium_iterate")
def test_equilibrium_iterate_bad_options_and_failure(dq):
    p, Phi, _ = dq
    for tol, exc in BAD_SCALARS[:4] + [("1e-6", TypeError), (1j, TypeError)]:
        raises_naming(exc, "tol", deq.equilibrium_iterate, p, Phi, 0.5, tol=tol)
    for n, exc in BAD_COUNTS:
        raises_naming(exc, "max_iter", deq.equilibrium_iterate, p, Phi, 0.5, max_iter=n)
    err = raises_naming(RuntimeError, "max_iter", deq.equilibrium_iterate, p, Phi, 0.99, max_iter=3)
    assert "equilibrium_iterate" in str(err) and "relative residual" in str(err)
    # under jit the cap raises too, instead of returning an unconverged answer
    f = jax.jit(lambda P: deq.equilibrium_iterate(p, P, 0.99, max_iter=3)[0])
    with pytest.raises(RuntimeError, match="did not converge in max_iter = 3 iterations: relative residual between"):
        jax.block_until_ready(f(Phi))
    # the default tolerance is reachable in both precisions; the rule stops on the step, so the error is up to
    # tol / (1 - gamma) = 10 tol in norm
    Z, _ = jax.jit(lambda P: deq.equilibrium_iterate(p, P, 0.9))(Phi)
    Z_ref = deq.equilibrium(p, Phi, 0.9)
    assert float(jnp.linalg.norm(Z - Z_ref)) <= (1e-9 if X64 else 1e-2) * float(jnp.linalg.norm(Z_ref))


@covers("lib.deq.shallow_loss", "lib.deq.shallow_gradient")
def test_shallow_objective(dq):
    _, Phi, Y = dq
    W = jnp.ones((3, 4))
    for f in (deq.shallow_loss, deq.shallow_gradient):
        raises_naming(ValueError, "W", f, jnp.ones(4), Phi, Y)
        raises_naming(ValueError, "Phi", f, W, Phi[:, :2], Y)
        raises_naming(ValueError, "Y", f, W, Phi, Y[:5])
        raises_naming(ValueError, "Y", f, W, Phi, Y[:, 0])
        raises_naming(ValueError, "Phi", f, W, _with(Phi, (0, 0), NAN), Y)
        raises_naming(TypeError, "W", f, W * 1j, Phi, Y)
        raises_naming(ValueError, "kind", f, W, Phi, Y, "l1")
    # the finding: Y of shape (N,) with one output is a column, not an (N, N) broadcast
    W1, y = jnp.ones((1, 4)), Y[:, 0]
    assert float(deq.shallow_loss(W1, Phi, y)) == pytest.approx(float(deq.shallow_loss(W1, Phi, y[:, None])))
    assert float(deq.shallow_loss(W1, Phi, y)) == pytest.approx(0.5 * float(jnp.sum((Phi @ W1[0] - y) ** 2)), rel=1e-5)
    assert deq.shallow_gradient(W1, Phi, y).shape == (1, 4)


@covers("lib.deq.shallow_constants")
def test_shallow_constants(dq):
    _, Phi, Y = dq
    raises_naming(ValueError, "Phi", deq.shallow_constants, jnp.ones((0, 4)), jnp.ones((0, 3)))
    raises_naming(ValueError, "Phi", deq.shallow_constants, Phi[0], Y)
    raises_naming(ValueError, "Y", deq.shallow_constants, Phi, Y[:3])
    raises_naming(ValueError, "Phi", deq.shallow_constants, _with(Phi, (0, 0), NAN), Y)
    raises_naming(TypeError, "Y", deq.shallow_constants, Phi, Y * 1j)
    raises_naming(ValueError, "Phi", deq.shallow_constants, jnp.zeros((6, 4)), Y)
    raises_naming(ValueError, "rtol", deq.shallow_constants, Phi, Y, rtol=NAN)
    assert deq.shallow_constants(np.asarray(Phi).tolist(), Y[:, 0]).W_star.shape == (1, 4)


@covers("lib.deq.run", "lib.deq.trust_region_shadow")
def test_training_entry_points(dq):
    p, Phi, Y = dq
    for f in (deq.run, deq.trust_region_shadow):
        for eta, exc in BAD_SCALARS:
            raises_naming(exc, "eta", f, p, Phi, Y, 0.5, eta, 2)
        for n, exc in BAD_COUNTS:
            raises_naming(exc, "num_steps", f, p, Phi, Y, 0.5, 1e-3, n)
        raises_naming(ValueError, "gamma", f, p, Phi, Y, 1.0, 1e-3, 2)
        raises_naming(ValueError, "Y", f, p, Phi, Y[:2], 0.5, 1e-3, 2)
    raises_naming(ValueError, "kind", deq.run, p, Phi, Y, 0.5, 1e-3, 2, "hinge")
    with pytest.raises(train.DivergenceError, match="eta = 1e\\+06"):
        deq.run(p, Phi, Y, 0.5, 1e6, 3)
    _, h = deq.run((p.A, p.B), Phi, Y, jnp.asarray(0.5), jnp.asarray(1e-3), np.int64(2))
    assert h.loss.shape == (3,)
    for scale, exc in [(-1.0, ValueError), (NAN, ValueError), (None, TypeError)]:
        raises_naming(exc, "hessian_scale", deq.trust_region_shadow, p, Phi, Y, 0.5, 1e-3, 2, scale)


@covers("lib.deq.accuracy")
def test_accuracy_bad_input():
    W, Phi = jnp.eye(3)[:2], jnp.ones((4, 3))
    raises_naming(ValueError, "W", deq.accuracy, jnp.ones(3), Phi, np.zeros(4, int))
    raises_naming(ValueError, "Phi", deq.accuracy, W, jnp.ones((4, 2)), np.zeros(4, int))
    raises_naming(TypeError, "Phi", deq.accuracy, W, Phi * 1j, np.zeros(4, int))
    for labels in (np.zeros(3, int), np.zeros(4), np.array([0, 1, 2, 0]), np.array([0, -1, 0, 0])):
        raises_naming(ValueError, "labels", deq.accuracy, W, Phi, labels)
    assert deq.accuracy(np.asarray(W).tolist(), Phi, [0, 0, 1, 1]) == 0.5


@covers("lib.deq.real_data_comparison")
def test_real_data_comparison_bad_input(tmp_path):
    f = deq.real_data_comparison
    raises_naming(ValueError, "name", f, "iris", 20, 0)
    raises_naming(ValueError, "n_train", f, "wine", 1, 0)
    for seed, exc in [(-1, ValueError), (1.5, TypeError), (None, TypeError)]:
        raises_naming(exc, "seed", f, "wine", 20, seed)
    raises_naming(ValueError, "gamma", f, "wine", 20, 0, 1.5)
    raises_naming(ValueError, "num_steps", f, "wine", 20, 0, 0.8, 0)
    raises_naming(ValueError, "root", f, "mnist", 20, 0)
    with pytest.raises(FileNotFoundError, match="MNIST"):
        f("mnist", 20, 0, root=tmp_path)


@covers("lib.deq.compare_models")
def test_compare_models_bad_input(dq):
    p, Phi, Y = dq
    f, etas = deq.compare_models, (1e-3, 1e-2, 1e-2)
    raises_naming(ValueError, "Y", f, p, Phi, Y[:2], 0.5, etas, 2)
    raises_naming(ValueError, "gamma", f, p, Phi, Y, 1.0, etas, 2)
    raises_naming(ValueError, "etas", f, p, Phi, Y, 0.5, (1e-3, 1e-2), 2)
    raises_naming(ValueError, "etas", f, p, Phi, Y, 0.5, "abc", 2)
    for eta, exc in BAD_SCALARS:
        raises_naming(exc, "etas", f, p, Phi, Y, 0.5, (1e-3, eta, 1e-2), 2)
    for n, exc in BAD_COUNTS:
        raises_naming(exc, "num_steps", f, p, Phi, Y, 0.5, etas, n)
    raises_naming(ValueError, "kind", f, p, Phi, Y, 0.5, etas, 2, "hinge")
    raises_naming(ValueError, "target", f, p, Phi, Y, 0.5, etas, 2, "square", NAN)
    raises_naming(TypeError, "target", f, p, Phi, Y, 0.5, etas, 2, "square", "fastest")
    # a model that diverges is named, and so is one that does not reach the target
    with pytest.raises(train.DivergenceError, match="the shallow diverged"):
        f(p, Phi, Y, 0.5, (1e-3, 1e3, 1e-3), 20)
    with pytest.raises(RuntimeError, match="the DEQ did not reach the target loss"):
        f(p, Phi, Y, 0.5, (1e-6, 1e-2, 1e-2), 3, "square", 0.0)
    r = f((p.A, p.B), np.asarray(Phi).tolist(), Y, jnp.asarray(0.5), [np.float32(1e-3)] * 3, np.int64(2))
    assert r.loss.shape == (3, 3)


# ---------------------------------------------------------------- trust_region

@covers("lib.trust_region.solve_subproblem_exact")
def test_exact_subproblem():
    g, H = jnp.ones(3), jnp.eye(3)
    f = tr.solve_subproblem_exact
    raises_naming(ValueError, "g", f, jnp.ones((3, 1)), H, 1.0)
    raises_naming(ValueError, "g", f, jnp.ones(0), jnp.ones((0, 0)), 1.0)
    raises_naming(ValueError, "g", f, _with(g, 0, NAN), H, 1.0)
    raises_naming(TypeError, "g", f, g * 1j, H, 1.0)
    raises_naming(ValueError, "H", f, g, jnp.eye(2), 1.0)
    raises_naming(ValueError, "H", f, g, _with(H, (0, 1), INF), 1.0)
    raises_naming(ValueError, "P", f, g, H, 1.0, jnp.eye(2))
    for r, exc in BAD_SCALARS:
        raises_naming(exc, "radius", f, g, H, r)
    raises_naming(ValueError, "bisection_steps", f, g, H, 1.0, bisection_steps=0)
    # under jit a NaN gradient raises instead of giving a zero step
    with pytest.raises(RuntimeError, match="solve_subproblem_exact: g, H and radius must be finite"):
        jax.block_until_ready(jax.jit(lambda g, r: f(g, H, r)[0])(_with(g, 0, NAN), 1.0))
    v, _ = f([1.0, 1.0, 1.0], np.eye(3).tolist(), jnp.asarray(10.0))
    np.testing.assert_allclose(v, -np.ones(3), rtol=1e-6)


@covers("lib.trust_region.solve_subproblem_cg")
def test_cg_subproblem():
    g = jnp.ones(3)
    hvp = lambda v: v  # noqa: E731
    f = tr.solve_subproblem_cg
    raises_naming(ValueError, "g", f, jnp.ones((3, 3)), hvp, 1.0)
    raises_naming(ValueError, "g", f, _with(g, 1, NAN), hvp, 1.0)
    raises_naming(TypeError, "hvp", f, g, None, 1.0)
    raises_naming(TypeError, "P_apply", f, g, hvp, 1.0, "identity")
    raises_naming(ValueError, "hvp", f, g, lambda v: v[:2], 1.0)
    for r, exc in BAD_SCALARS:
        raises_naming(exc, "radius", f, g, hvp, r)
    raises_naming(ValueError, "tol", f, g, hvp, 1.0, tol=NAN)
    raises_naming(ValueError, "max_iter", f, g, hvp, 1.0, max_iter=0)


@covers("lib.trust_region.trust_region_newton")
def test_trust_region_newton_arguments_and_failure():
    fun = lambda x: jnp.sum(x**4) + jnp.sum(x**2)  # noqa: E731
    x0 = jnp.ones(3)
    f = tr.trust_region_newton
    raises_naming(TypeError, "fun", f, None, x0)
    raises_naming(ValueError, "x0", f, fun, jnp.ones(0))
    raises_naming(ValueError, "x0", f, fun, _with(x0, 0, NAN))
    raises_naming(TypeError, "x0", f, fun, x0 * 1j)
    raises_naming(ValueError, "fun", f, lambda x: x, x0)
    for gtol, exc in BAD_SCALARS:
        raises_naming(exc, "gtol", f, fun, x0, gtol=gtol)
    raises_naming(ValueError, "initial_radius", f, fun, x0, initial_radius=NAN)
    raises_naming(ValueError, "max_radius", f, fun, x0, max_radius=INF)
    raises_naming(ValueError, "eta", f, fun, x0, eta=NAN)
    raises_naming(TypeError, "max_iter", f, fun, x0, max_iter=2.0)
    raises_naming(ValueError, "P", f, fun, x0, P=_with(jnp.eye(3), (0, 0), NAN))
    raises_naming(ValueError, "subproblem", f, fun, x0, subproblem=None)
    raises_naming(TypeError, "raise_on_failure", f, fun, x0, raise_on_failure="no")
    # failure raises by default, naming the solver, the cap and the gradient norm; the opt-out returns the result
    err = raises_naming(RuntimeError, "max_iter", f, fun, x0, max_iter=1, gtol=1e-30)
    assert "trust_region_newton" in str(err) and "gradient norm" in str(err)
    res = f(fun, x0, max_iter=1, raise_on_failure=False)
    assert not bool(res.converged)
    with pytest.raises(RuntimeError, match="trust_region_newton \\(exact\\) stopped .* max_iter = 1: gradient norm between"):
        jax.block_until_ready(jax.jit(lambda x: f(fun, x, max_iter=1).x)(x0))
    ok = f(fun, [1.0, 1.0, 1.0], initial_radius=jnp.asarray(1.0), gtol=np.float32(1e-3), max_iter=np.int64(50))
    assert bool(ok.converged)


# ---------------------------------------------------------------- implicit

@pytest.fixture(scope="module")
def im():
    k = jax.random.split(jax.random.key(0), 3)
    X = jax.random.normal(k[0], (4, 3))
    X = X / jnp.linalg.norm(X, axis=1, keepdims=True)
    y = jax.random.normal(k[1], (4,))
    return implicit.init(k[2], 16, 3), X, y


@covers("lib.implicit.init")
def test_implicit_init():
    k = jax.random.key(0)
    for n, exc in BAD_COUNTS:
        raises_naming((ValueError, TypeError), "m", implicit.init, k, n, 3)
        raises_naming((ValueError, TypeError), "d", implicit.init, k, 3, n)
    raises_naming(ValueError, "output", implicit.init, k, 3, 3, None)
    raises_naming(TypeError, "key", implicit.init, None, 3, 3)
    assert implicit.init(k, np.int64(5), np.int32(2)).W.shape == (5, 2)


@covers("lib.implicit.Params", "lib.implicit.scaled_A", "lib.implicit.implicit_norm", "lib.implicit.check_well_posed")
def test_gamma_and_params(im):
    p, X, _ = im
    for f in (implicit.scaled_A, implicit.implicit_norm, implicit.check_well_posed):
        for g, exc in BAD_SCALARS:
            raises_naming(exc, "gamma", f, p, g)
        raises_naming(ValueError, "A", f, p._replace(A=p.A[:3]), 0.3)
        raises_naming(ValueError, "A", f, p._replace(A=_with(p.A, (0, 0), NAN)), 0.3)
        raises_naming(TypeError, "A", f, p._replace(A=p.A * 1j), 0.3)
        raises_naming(ValueError, "u", f, p._replace(u=p.u[:3]), 0.3)
        raises_naming(ValueError, "W", f, p._replace(W=p.W[:3]), 0.3)
        raises_naming(TypeError, "params", f, (p.A, p.W), 0.3)
    assert implicit.implicit_norm(tuple(p), jnp.asarray(0.3)) == pytest.approx(implicit.implicit_norm(p, 0.3))


@covers("lib.implicit.SolverConfig")
@pytest.mark.parametrize("kwargs,name,exc", [
    ({"method": "newton"}, "method", ValueError), ({"method": None}, "method", ValueError),
    ({"tol": NAN}, "tol", ValueError), ({"tol": -1.0}, "tol", ValueError), ({"tol": "1e-6"}, "tol", TypeError),
    ({"max_iter": 0}, "max_iter", ValueError), ({"max_iter": 2.5}, "max_iter", TypeError),
    ({"memory": 0}, "memory", ValueError), ({"regularization": NAN}, "regularization", ValueError),
    ({"adjoint": "plain"}, "adjoint", TypeError),
])
def test_solver_config(im, kwargs, name, exc):
    p, X, _ = im
    raises_naming(exc, name, implicit.equilibrium, p, X, 0.3, implicit.SolverConfig(**kwargs))


def test_config_must_be_a_solver_config(im):
    p, X, _ = im
    raises_naming(TypeError, "config", implicit.equilibrium, p, X, 0.3, "anderson")
    Z = implicit.equilibrium(p, X, 0.3, ("plain", None, 500))   # a plain tuple is a SolverConfig
    np.testing.assert_allclose(Z, implicit.equilibrium(p, X, 0.3), rtol=1e-3 if not X64 else 1e-8, atol=1e-5)


@covers("lib.implicit.fixed_point", "lib.implicit.solve")
def test_fixed_point_and_solve(im):
    p, X, _ = im
    A_t, B = implicit.scaled_A(p, 0.3), X @ p.W.T
    z0 = jnp.zeros_like(B)
    for f in (implicit.fixed_point, implicit.solve):
        raises_naming(TypeError, "f", f, None, z0, (A_t, B))
        raises_naming(ValueError, "z0", f, implicit.equilibrium_map, _with(z0, (0, 0), NAN), (A_t, B))
        raises_naming(TypeError, "z0", f, implicit.equilibrium_map, z0 * 1j, (A_t, B))
        raises_naming(TypeError, "args", f, implicit.equilibrium_map, z0, A_t)
        raises_naming(ValueError, "Z", f, implicit.equilibrium_map, z0[:, :3], (A_t, B))
        raises_naming(TypeError, "config", f, implicit.equilibrium_map, z0, (A_t, B), None)
    cfg = implicit.SolverConfig("plain", 1e-30, 2)
    err = raises_naming(implicit.NonConvergenceError, "max_iter", implicit.solve, implicit.equilibrium_map, z0,
                        (A_t, B), cfg)
    assert "relative residual" in str(err) and "machine epsilons" in str(err)   # tol below the resolution: a hint
    with pytest.raises(RuntimeError, match="max_iter = 2 with relative residual between"):
        jax.block_until_ready(jax.jit(lambda b: implicit.solve(implicit.equilibrium_map, z0, (A_t, b), cfg)[0])(B))
    # the default tolerance is dtype-aware: the default solve converges in float32 too
    z, k, res = implicit.solve(implicit.equilibrium_map, z0, [A_t, B])
    assert res <= (1e-10 if X64 else 100 * float(jnp.finfo(jnp.float32).eps))


@covers("lib.implicit.equilibrium_map", "lib.implicit.solve_equilibrium")
def test_equation_shapes(im):
    p, X, _ = im
    A_t, B = implicit.scaled_A(p, 0.3), X @ p.W.T
    Z = jnp.zeros_like(B)
    raises_naming(ValueError, "A_t", implicit.equilibrium_map, Z, A_t[:3], B)
    raises_naming(ValueError, "B", implicit.equilibrium_map, Z, A_t, B[:, :3])
    raises_naming(ValueError, "Z", implicit.equilibrium_map, Z[:2], A_t, B)
    raises_naming(TypeError, "A_t", implicit.equilibrium_map, Z, A_t * 1j, B)
    raises_naming(ValueError, "A_t", implicit.solve_equilibrium, _with(A_t, (0, 0), INF), B)
    raises_naming(ValueError, "B", implicit.solve_equilibrium, A_t, B[0])
    raises_naming(ValueError, "B", implicit.solve_equilibrium, A_t, B[:0])
    raises_naming(TypeError, "config", implicit.solve_equilibrium, A_t, B, 3)


@covers("lib.implicit.equilibrium", "lib.implicit.equilibrium_with_stats", "lib.implicit.predict",
        "lib.implicit.loss", "lib.implicit.gram", "lib.implicit.targets")
def test_network_functions(im):
    p, X, y = im
    calls = [implicit.equilibrium, implicit.equilibrium_with_stats, implicit.predict, implicit.gram,
             lambda p, X, g: implicit.loss(p, X, y, g)]
    for f in calls:
        raises_naming(ValueError, "X", f, p, X[:, :2], 0.3)
        raises_naming(ValueError, "X", f, p, X[0], 0.3)
        raises_naming(ValueError, "X", f, p, X[:0], 0.3)
        raises_naming(ValueError, "X", f, p, _with(X, (0, 0), NAN), 0.3)
        raises_naming(TypeError, "X", f, p, X * 1j, 0.3)
        raises_naming(ValueError, "gamma", f, p, X, NAN)
        raises_naming(TypeError, "gamma", f, p, X, None)
        raises_naming(ValueError, "A", f, p._replace(A=p.A[:, :3]), X, 0.3)
    raises_naming(ValueError, "Y", implicit.loss, p, X, y[:2], 0.3)
    raises_naming(ValueError, "Y", implicit.targets, X, jnp.ones((4, 2)))
    raises_naming(ValueError, "Y", implicit.targets, X, _with(y, 0, NAN))
    raises_naming(TypeError, "Y", implicit.targets, X, y * 1j)
    raises_naming(ValueError, "X", implicit.targets, jnp.ones((0, 3)), y[:0])
    # the cap raises eagerly and under jit; the message names the cap and the residual
    cfg = implicit.SolverConfig("plain", 1e-30, 2)
    err = raises_naming(implicit.NonConvergenceError, "max_iter", implicit.equilibrium, p, X, 0.3, cfg)
    assert "relative residual" in str(err)
    with pytest.raises(RuntimeError, match="equilibrium solve \\(plain\\) stopped at the cap max_iter = 2"):
        jax.block_until_ready(jax.jit(lambda q: implicit.equilibrium(q, X, 0.3, cfg))(p))
    # lists, plain tuples, JAX scalars
    Z = implicit.equilibrium(tuple(p), np.asarray(X).tolist(), jnp.asarray(0.3))
    np.testing.assert_allclose(Z, implicit.equilibrium(p, X, 0.3), rtol=1e-6)


def test_unconverged_adjoint_raises_and_names_the_adjoint(im):
    p, X, y = im
    cfg = implicit.SolverConfig("plain", None, 500, adjoint=implicit.SolverConfig("plain", 1e-30, 2))
    with pytest.raises(RuntimeError, match="adjoint equilibrium solve .* max_iter = 2"):
        jax.block_until_ready(jax.jit(jax.grad(lambda q: implicit.loss(q, X, y, 0.3, cfg)))(p))


@covers("lib.implicit.limit_kernel")
def test_limit_kernel(im):
    _, X, _ = im
    for g, exc in BAD_SCALARS + [(1.0, ValueError)]:
        raises_naming(exc, "gamma", implicit.limit_kernel, X, g)
    raises_naming(ValueError, "tol", implicit.limit_kernel, X, 0.3, tol=NAN)
    raises_naming(ValueError, "max_iter", implicit.limit_kernel, X, 0.3, max_iter=0)
    raises_naming(ValueError, "X", implicit.limit_kernel, X[0], 0.3)
    raises_naming(TypeError, "X", implicit.limit_kernel, X * 1j, 0.3)
    err = raises_naming(implicit.NonConvergenceError, "max_iter", implicit.limit_kernel, X, 0.9, tol=1e-300, max_iter=2)
    assert "relative change" in str(err)


# ---------------------------------------------------------------- implicit_theorem

B0 = thm.Bounds(0.5, 1.0, 1.0)


@covers("lib.implicit_theorem.Bounds", "lib.implicit_theorem.bounds", "lib.implicit_theorem.equilibrium_lipschitz",
        "lib.implicit_theorem.gradient_bounds", "lib.implicit_theorem.cross_constant",
        "lib.implicit_theorem.trajectory_bounds", "lib.implicit_theorem.radii")
def test_theorem_constants():
    for g, exc in BAD_SCALARS:
        raises_naming(exc, "gamma", thm.bounds, g, 16, (1.0, 1.0, 1.0), (0.0, 0.0, 0.0))
        raises_naming(exc, "gamma", thm.equilibrium_lipschitz, 1.0, g, 16, B0)
        raises_naming(exc, "alpha0", thm.trajectory_bounds, 1.0, 0.1, 16, B0, 1.0, 1.0, g)
    for n, exc in BAD_COUNTS:
        raises_naming(exc, "m", thm.bounds, 0.1, n, (1.0, 1.0, 1.0), (0.0, 0.0, 0.0))
        raises_naming(exc, "m", thm.cross_constant, 1.0, 0.1, n, B0)
    raises_naming(TypeError, "norms0", thm.bounds, 0.1, 16, (1.0, 1.0), (0.0, 0.0, 0.0))
    raises_naming(ValueError, "norms0[1]", thm.bounds, 0.1, 16, (1.0, NAN, 1.0), (0.0, 0.0, 0.0))
    raises_naming(ValueError, "rho[0]", thm.bounds, 0.1, 16, (1.0, 1.0, 1.0), (-1.0, 0.0, 0.0))
    raises_naming(ValueError, "X_norm", thm.equilibrium_lipschitz, NAN, 0.1, 16, B0)
    raises_naming(ValueError, "b[2]", thm.equilibrium_lipschitz, 1.0, 0.1, 16, thm.Bounds(0.5, 1.0, NAN))
    raises_naming(TypeError, "b", thm.cross_constant, 1.0, 0.1, 16, None)
    raises_naming(ValueError, "F_bar", thm.gradient_bounds, 1.0, 0.1, 16, B0, NAN)
    raises_naming(ValueError, "loss0", thm.trajectory_bounds, 1.0, 0.1, 16, B0, 1.0, -1.0, 1.0)
    raises_naming(TypeError, "flow", thm.trajectory_bounds, 1.0, 0.1, 16, B0, 1.0, 1.0, 1.0, "yes")
    raises_naming(ValueError, "alpha0", thm.radii, 1.0, 0.1, 16, (1.0, 1.0, 1.0), 1.0, 1.0, 0.0)
    raises_naming(ValueError, "max_iter", thm.radii, 1.0, 0.1, 16, (1.0, 1.0, 1.0), 1.0, 1.0, 1.0, max_iter=0)
    # NumPy integers and JAX scalars are fine
    np.testing.assert_allclose(thm.bounds(jnp.asarray(0.1), np.int64(16), [1.0, 1.0, 1.0], np.zeros(3)),
                               thm.bounds(0.1, 16, (1.0, 1.0, 1.0), (0.0, 0.0, 0.0)), rtol=1e-7)


@covers("lib.implicit_theorem.theorem_check", "lib.implicit_theorem.run")
def test_theorem_check_and_run(im):
    p, X, y = im
    for eta, exc in BAD_SCALARS:
        if eta is not None:   # eta=None is gradient flow in theorem_check
            raises_naming(exc, "eta", thm.theorem_check, p, X, y, 0.1, eta)
        raises_naming(exc, "eta", thm.run, p, X, y, 0.1, eta, 2)
    for g, exc in BAD_SCALARS[:4]:
        raises_naming(exc, "gamma", thm.theorem_check, p, X, y, g)
        raises_naming(exc, "gamma", thm.run, p, X, y, g, 1e-3, 2)
    for n, exc in BAD_COUNTS:
        raises_naming(exc, "num_steps", thm.run, p, X, y, 0.1, 1e-3, n)
    raises_naming(ValueError, "X", thm.theorem_check, p, _with(X, (0, 0), NAN), y, 0.1)
    raises_naming(ValueError, "Y", thm.run, p, X, y[:3], 0.1, 1e-3, 2)
    raises_naming(TypeError, "exact_norm", thm.run, p, X, y, 0.1, 1e-3, 2, exact_norm="no")
    raises_naming(TypeError, "params", thm.theorem_check, (p.A,), X, y, 0.1)
    r = thm.theorem_check(tuple(p), X, y, jnp.asarray(0.1), jnp.asarray(1e-3))
    assert len(r.hypotheses) == 6


# ---------------------------------------------------------------- train

@covers("lib.train.gradient_descent")
def test_gradient_descent_arguments():
    loss = lambda w: jnp.sum(w**2)  # noqa: E731
    w0 = jnp.ones(2)
    gd = train.gradient_descent
    for eta, exc in BAD_SCALARS:
        raises_naming(exc, "eta", gd, loss, w0, eta, 3)
    for n, exc in BAD_COUNTS:
        raises_naming(exc, "num_steps", gd, loss, w0, 0.1, n)
    raises_naming(ValueError, "max_growth", gd, loss, w0, 0.1, 3, max_growth=NAN)
    raises_naming(TypeError, "loss_fn", gd, None, w0, 0.1, 3)
    raises_naming(ValueError, "loss_fn", gd, lambda w: w, w0, 0.1, 3)           # not scalar
    raises_naming(TypeError, "extras", gd, loss, w0, 0.1, 3, extras=[("x", loss)])
    raises_naming(ValueError, "params", gd, loss, _with(w0, 0, NAN), 0.1, 3)
    raises_naming(TypeError, "params", gd, loss, w0 * 1j, 0.1, 3)
    raises_naming(ValueError, "params", gd, loss, {}, 0.1, 3)
    raises_naming(ValueError, "loss_fn", gd, lambda w: jnp.sum(jnp.log(w - 2)), w0, 0.1, 3)  # NaN at the start
    # lists, NumPy integers and JAX scalars
    w, h = gd(loss, np.array([1, 1]), jnp.asarray(0.1), np.int64(3))   # integer NumPy params become floats
    w_ref, _ = gd(loss, w0, 0.1, 3)
    np.testing.assert_allclose(w, w_ref)


def test_divergence_on_the_last_step_and_a_non_finite_gradient():
    loss = lambda w: jnp.sum(jnp.log(w))  # noqa: E731
    with pytest.raises(train.DivergenceError, match="diverged at step 1"):
        train.gradient_descent(loss, jnp.ones(3), 10.0, 1)
    # a NaN gradient with a finite loss is not a step-size problem: the message says so
    bad_grad = jax.custom_jvp(lambda w: jnp.sum(w**2))
    bad_grad.defjvp(lambda primals, tangents: (jnp.sum(primals[0] ** 2), jnp.nan * jnp.sum(tangents[0])))
    with pytest.raises(train.DivergenceError, match="gradient at step 0 is non-finite while the loss is finite"):
        train.gradient_descent(bad_grad, jnp.ones(3), 0.1, 3)


@covers("lib.train.square_loss")
def test_square_loss():
    raises_naming(ValueError, ("pred", "Y"), train.square_loss, jnp.ones(3), jnp.ones((3, 1)))
    raises_naming(TypeError, "pred", train.square_loss, jnp.ones(3) * 1j, jnp.ones(3))
    raises_naming(ValueError, "Y", train.square_loss, jnp.ones(3), _with(jnp.ones(3), 0, NAN))
    raises_naming(TypeError, "Y", train.square_loss, jnp.ones(3), None)
    assert float(train.square_loss([1, 2], [1.0, 1.0])) == 0.5


@pytest.mark.property
@given(x=st.one_of(st.just(NAN), st.just(INF), st.floats(max_value=0.0), st.just(-INF)))
def test_no_non_positive_or_non_finite_step_size_passes(x):
    raises_naming(ValueError, "eta", train.gradient_descent, lambda w: jnp.sum(w**2), jnp.ones(2), x, 2)
    raises_naming(ValueError, "radius", tr.solve_subproblem_exact, jnp.ones(2), jnp.eye(2), x)


def test_message_names_the_value():
    err = raises_naming(ValueError, "eta", train.gradient_descent, lambda w: jnp.sum(w**2), jnp.ones(2), -1, 2)
    assert "got -1" in str(err) and "positive finite number" in str(err)
