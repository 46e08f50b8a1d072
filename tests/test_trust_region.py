import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize._trustregion_exact import IterativeSubproblem

from lib import data, trust_region as tr

from precision import tol


@pytest.fixture(scope="module")
def softmax_problem():
    ds = data.digits(classes=(0, 1, 2), n=150, key=jax.random.key(0))
    X, Y = ds.X, ds.Y

    def f(w):
        W = w.reshape(3, 64)
        return -jnp.sum(Y * jax.nn.log_softmax(X @ W.T, axis=1)) + 0.5 * 1e-2 * jnp.sum(W**2)

    return f, jnp.zeros(192)


def _scipy(f, x0, method, **options):
    fn, gn, hn = jax.jit(f), jax.jit(jax.grad(f)), jax.jit(jax.hessian(f))
    kw = {"hess": lambda x: np.asarray(hn(x))} if method == "trust-exact" else {
        "hessp": lambda x, v: np.asarray(hn(x) @ v)}
    return so.minimize(lambda x: float(fn(x)), np.asarray(x0), jac=lambda x: np.asarray(gn(x)), method=method,
                       options=dict(return_all=True, **options), **kw)


@pytest.mark.float64  # iterate-by-iterate agreement with SciPy (float64) to 1e-9 and gtol = 1e-8: below float32 resolution
def test_iterates_match_scipy_trust_exact_when_steps_are_interior(softmax_problem):
    f, x0 = softmax_problem
    ours = tr.trust_region_newton(f, x0, initial_radius=999.0, gtol=1e-8)
    ref = _scipy(f, x0, "trust-exact", initial_trust_radius=999.0, gtol=1e-8)
    k = int(ours.iterations)
    assert k == ref.nit and bool(ours.converged)
    np.testing.assert_allclose(np.asarray(ours.path[: k + 1]), np.array(ref.allvecs), rtol=1e-9, atol=1e-10)


@pytest.mark.float64  # the minimiser to 1e-12 in the objective with gtol = 1e-8: below float32 resolution
@pytest.mark.parametrize("subproblem,method", [("exact", "trust-exact"), ("cg", "trust-ncg")])
def test_same_minimiser_and_no_more_iterations_than_scipy(softmax_problem, subproblem, method):
    f, x0 = softmax_problem
    ours = tr.trust_region_newton(f, x0, subproblem=subproblem, gtol=1e-8)
    ref = _scipy(f, x0, method, gtol=1e-8)
    assert int(ours.iterations) <= ref.nit
    assert float(ours.fun) == pytest.approx(ref.fun, rel=1e-12)
    np.testing.assert_allclose(ours.x, ref.x, atol=1e-7)


@pytest.mark.parametrize("seed", range(6))
def test_exact_subproblem_matches_an_independent_solution(seed):
    """Reference: eigendecomposition and Brent's method on the secular equation ||u(mu)|| = radius."""
    from scipy.optimize import brentq

    rng = np.random.default_rng(seed)
    n = 8
    A = rng.normal(size=(n, n))
    H = A + A.T if seed % 2 else A @ A.T          # indefinite or positive semi-definite
    g = rng.normal(size=n)
    radius = [0.1, 1.0, 10.0][seed % 3]
    lam, Q = np.linalg.eigh(H)
    a = Q.T @ g
    norm_u = lambda mu: np.linalg.norm(a / (lam + mu))  # noqa: E731
    if lam[0] > 0 and norm_u(0.0) <= radius:
        ref = -np.linalg.solve(H, g)
    else:
        lo = max(0.0, -lam[0]) + 1e-14
        mu = brentq(lambda m: norm_u(m) - radius, lo, lo + np.linalg.norm(g) / radius + 1.0, xtol=1e-15)
        ref = -Q @ (a / (lam + mu))
    v, hit = tr.solve_subproblem_exact(jnp.asarray(g), jnp.asarray(H), radius)
    np.testing.assert_allclose(v, ref, rtol=tol(1e-8, 1e-3), atol=tol(1e-10, 1e-4))
    assert np.linalg.norm(v) <= radius * (1 + tol(1e-10, 1e-5))
    # SciPy's trust-exact subproblem solves to 10% of the radius (k_easy): ours is at least as good a model
    # minimiser among steps that respect the region
    sub = IterativeSubproblem(np.zeros(n), lambda x: 0.0, lambda x: g, lambda x: H)
    p, _ = sub.solve(radius)
    model = lambda u: g @ u + 0.5 * u @ H @ u  # noqa: E731
    if np.linalg.norm(p) <= radius:
        assert model(np.asarray(v)) <= model(p) + tol(1e-10, 1e-4) * (1 + abs(model(p)))


def test_exact_subproblem_hard_case():
    H = jnp.diag(jnp.array([-1.0, 2.0, 3.0]))
    g = jnp.array([0.0, 1.0, 1.0])               # orthogonal to the lowest eigenvector
    v, hit = tr.solve_subproblem_exact(g, H, 5.0)
    assert bool(hit) and float(jnp.linalg.norm(v)) == pytest.approx(5.0, rel=tol(1e-8, 1e-5))
    assert abs(float(v[0])) > 4.0                # the step uses the negative-curvature direction


def test_exact_subproblem_with_metric_is_the_transformed_problem():
    rng = np.random.default_rng(3)
    n = 5
    A = rng.normal(size=(n, n))
    H, P = A @ A.T + 0.1 * np.eye(n), np.diag(rng.uniform(0.5, 2.0, size=n))
    g = rng.normal(size=n)
    v, _ = tr.solve_subproblem_exact(jnp.asarray(g), jnp.asarray(H), 0.3, jnp.asarray(P))
    v = np.asarray(v)
    assert v @ np.linalg.solve(P, v) == pytest.approx(0.09, rel=tol(1e-8, 1e-4))   # on the boundary of ||v||_{P^-1} <= 0.3
    # KKT: H v + mu P^{-1} v = -g for some mu >= 0
    Minv_v = np.linalg.solve(P, v)
    mu = -(g + H @ v) @ Minv_v / (Minv_v @ Minv_v)
    assert mu >= -tol(0, 1e-4)
    np.testing.assert_allclose(H @ v + mu * Minv_v, -g, atol=tol(1e-8, 1e-4))


def test_cg_subproblem_matches_exact_inside_and_respects_metric():
    rng = np.random.default_rng(4)
    n = 6
    A = rng.normal(size=(n, n))
    H, g = A @ A.T + np.eye(n), rng.normal(size=n)
    P = np.diag(rng.uniform(0.5, 2.0, size=n))
    hvp = lambda u: jnp.asarray(H) @ u  # noqa: E731
    v_in, hit = tr.solve_subproblem_cg(jnp.asarray(g), hvp, 1e6, lambda r: jnp.asarray(P) @ r)
    assert not bool(hit)
    np.testing.assert_allclose(v_in, -np.linalg.solve(H, g), rtol=tol(1e-8, 1e-3), atol=tol(0, 1e-5))
    v_b, hit = tr.solve_subproblem_cg(jnp.asarray(g), hvp, 0.05, lambda r: jnp.asarray(P) @ r)
    assert bool(hit)
    assert float(v_b @ np.linalg.solve(P, v_b)) == pytest.approx(0.05**2, rel=tol(1e-8, 1e-4))


def test_trust_region_with_metric_reaches_the_same_minimiser(softmax_problem):
    f, x0 = softmax_problem
    P = jnp.diag(jnp.linspace(0.5, 2.0, x0.size))
    gtol = tol(1e-8, 1e-3)
    a = tr.trust_region_newton(f, x0, gtol=gtol)
    b = tr.trust_region_newton(f, x0, P=P, gtol=gtol)
    c = tr.trust_region_newton(f, x0, P=P, subproblem="cg", gtol=gtol)
    np.testing.assert_allclose(b.x, a.x, atol=tol(1e-7, 1e-2))
    np.testing.assert_allclose(c.x, a.x, atol=tol(1e-7, 1e-2))


@pytest.mark.parametrize("kwargs,match", [
    ({"x0": jnp.zeros((2, 2))}, "x0 must be a 1-d array"),
    ({"subproblem": "dogleg"}, "subproblem must be 'exact' or 'cg'"),
    ({"initial_radius": 0.0}, "need 0 < initial_radius < max_radius"),
    ({"initial_radius": 5.0, "max_radius": 2.0}, "need 0 < initial_radius < max_radius"),
    ({"eta": 0.3}, "eta \\(acceptance threshold\\) must lie in \\[0, 0.25\\)"),
    ({"P": jnp.eye(3)}, "P must have shape \\(4, 4\\)"),
    ({"P": -jnp.eye(4)}, "P \\(the inverse metric\\) must be symmetric positive definite"),
    ({"max_iter": 0}, "max_iter must be a positive integer"),
])
def test_trust_region_errors(kwargs, match):
    args = {"x0": jnp.zeros(4)} | kwargs
    with pytest.raises(ValueError, match=match):
        tr.trust_region_newton(lambda x: jnp.sum(x**2), **args)
