import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib import deq, linalg

from precision import tol


@pytest.fixture(scope="module")
def problem():
    Phi = jax.random.normal(jax.random.key(0), (20, 4))
    Y = jax.random.normal(jax.random.key(1), (20, 6))
    return deq.init(jax.random.key(2), 4, 6, scale=3.0), Phi, Y


def test_sigma_is_column_stochastic(problem):
    p, _, _ = problem
    S = deq.sigma(p.A)
    assert bool(jnp.all(S > 0))
    np.testing.assert_allclose(jnp.sum(S, axis=0), 1.0, rtol=tol(1e-12, 1e-6))


@pytest.mark.property
@given(seed=st.integers(0, 2**31 - 1), m=st.integers(1, 12), scale=st.floats(0.1, 30.0),
       gamma=st.floats(0.01, 0.99))
def test_equilibrium_exists_for_every_A_and_both_routes_agree(seed, m, scale, gamma):
    p = deq.init(jax.random.key(seed), m, 3, scale=scale)
    Phi = jax.random.normal(jax.random.key(seed + 1), (5, m))
    rho = float(jnp.max(jnp.abs(jnp.linalg.eigvals(gamma * deq.sigma(p.A)))))
    assert rho <= gamma * (1 + tol(1e-10, 1e-5))
    Z_solve = deq.equilibrium(p, Phi, gamma)
    Z_iter, _ = deq.equilibrium_iterate(p, Phi, gamma, tol=tol(1e-13, None))
    scale = float(jnp.max(jnp.abs(Z_solve)))
    np.testing.assert_allclose(Z_iter, Z_solve, rtol=tol(1e-9, 1e-3), atol=tol(1e-9, 1e-3) * scale)
    np.testing.assert_allclose(Z_solve - gamma * Z_solve @ deq.sigma(p.A).T, Phi, atol=tol(1e-9, 1e-4) * max(1.0, scale))


def test_equilibrium_iterate_raises_when_capped(problem):
    p, Phi, _ = problem
    with pytest.raises(RuntimeError, match="did not converge in max_iter = 3 iterations: relative residual"):
        deq.equilibrium_iterate(p, Phi, 0.99, max_iter=3)


def test_effective_weight_gives_the_same_predictions_and_loss(problem):
    p, Phi, Y = problem
    W = deq.effective_weight(p, 0.7)
    np.testing.assert_allclose(deq.predict(p, Phi, 0.7), Phi @ W.T, rtol=tol(1e-10, 1e-4), atol=tol(0, 1e-5))
    assert float(deq.loss(p, Phi, Y, 0.7)) == pytest.approx(float(deq.shallow_loss(W, Phi, Y)), rel=tol(1e-12, 1e-5))
    for kind in ("square", "cross_entropy"):
        Yp = jax.nn.one_hot(jnp.arange(20) % 6, 6)
        assert float(deq.loss(p, Phi, Yp, 0.7, kind)) == pytest.approx(float(deq.shallow_loss(W, Phi, Yp, kind)),
                                                                       rel=tol(1e-6, 1e-5))


def test_every_shallow_weight_is_reachable(problem):
    p, _, _ = problem
    W_target = jax.random.normal(jax.random.key(5), (6, 4))
    B = W_target @ deq.U_matrix(p.A, 0.5)          # B = W U
    np.testing.assert_allclose(deq.effective_weight(deq.DEQParams(p.A, B), 0.5), W_target, rtol=tol(1e-10, 1e-4),
                               atol=tol(0, 1e-5))


def test_gradients_match_formulas_and_finite_differences(problem):
    p, Phi, Y = problem
    gamma = 0.8
    gA, gB = jax.grad(deq.loss)(p, Phi, Y, gamma)
    W = deq.effective_weight(p, gamma)
    G = deq.shallow_gradient(W, Phi, Y)
    U = deq.U_matrix(p.A, gamma)
    np.testing.assert_allclose(gB, G @ jnp.linalg.inv(U).T, rtol=tol(1e-10, 1e-4), atol=tol(0, 1e-4))
    dsigma = gamma * W.T @ G @ jnp.linalg.inv(U).T
    S = deq.sigma(p.A)
    gA_formula = S * dsigma - S * jnp.sum(S * dsigma, axis=0, keepdims=True)
    np.testing.assert_allclose(gA, gA_formula, rtol=tol(1e-9, 1e-4), atol=tol(1e-12, 1e-4))


@pytest.mark.float64  # central differences with h = 1e-6 are below float32 resolution
def test_gradient_matches_finite_differences(problem):
    p, Phi, Y = problem
    gamma = 0.8
    gA, _ = jax.grad(deq.loss)(p, Phi, Y, gamma)
    E = jax.random.normal(jax.random.key(7), p.A.shape)
    h = 1e-6
    fd = (deq.loss(deq.DEQParams(p.A + h * E, p.B), Phi, Y, gamma)
          - deq.loss(deq.DEQParams(p.A - h * E, p.B), Phi, Y, gamma)) / (2 * h)
    assert float(jnp.sum(gA * E)) == pytest.approx(float(fd), rel=1e-6)


def test_preconditioner_identity_and_lower_bound(problem):
    p, Phi, Y = problem
    gamma = 0.8
    g = jax.grad(deq.loss)(p, Phi, Y, gamma)
    _, W_dot = jax.jvp(lambda q: deq.effective_weight(q, gamma), (p,), (jax.tree.map(jnp.negative, g),))
    G = deq.shallow_gradient(deq.effective_weight(p, gamma), Phi, Y)
    np.testing.assert_allclose(W_dot, -deq.preconditioner(p, gamma, G), rtol=tol(1e-10, 1e-4), atol=tol(1e-10, 1e-3))
    P = deq.preconditioner_matrix(p, gamma)
    np.testing.assert_allclose(P, P.T, atol=tol(1e-12, 1e-5))
    U = deq.U_matrix(p.A, gamma)
    P_B = jnp.kron(jnp.eye(6), jnp.linalg.inv(U @ U.T))
    assert linalg.lam_min(P - P_B) >= -tol(1e-10, 1e-4)


@pytest.mark.parametrize("gamma", [0.0, 1.0, -0.5, 1.5, float("nan")])
def test_gamma_outside_unit_interval_is_rejected(problem, gamma):
    p, Phi, _ = problem
    with pytest.raises(ValueError, match="gamma must lie in the open interval \\(0, 1\\)"):
        deq.equilibrium(p, Phi, gamma)
    with pytest.raises(TypeError, match="gamma must be a real number in the open interval \\(0, 1\\)"):
        deq.equilibrium(p, Phi, "0.5")


def test_shape_errors(problem):
    p, Phi, Y = problem
    with pytest.raises(ValueError, match="A must be a square \\(m, m\\) matrix"):
        deq.equilibrium(deq.DEQParams(jnp.ones((3, 4)), p.B), Phi, 0.5)
    with pytest.raises(ValueError, match="B must have shape \\(m_y, m\\) with m = 4"):
        deq.effective_weight(deq.DEQParams(p.A, jnp.ones((6, 3))), 0.5)
    with pytest.raises(ValueError, match="Phi must have shape \\(N, m\\) with m = 4"):
        deq.predict(p, jnp.ones((5, 3)), 0.5)
    with pytest.raises(ValueError, match="Y must have shape \\(N, m_y\\) = \\(20, 6\\)"):
        deq.loss(p, Phi, Y[:, :2], 0.5)
    with pytest.raises(ValueError, match="kind must be one of"):
        deq.shallow_loss(jnp.ones((6, 4)), Phi, Y, "hinge")
    with pytest.raises(ValueError, match="m and m_y must be positive integers"):
        deq.init(jax.random.key(0), 0, 3)
    with pytest.raises(ValueError, match="m \\(width\\) must be a positive integer"):
        deq.random_features(jax.random.key(0), Phi, 0)


def test_shallow_constants_are_least_squares_quantities(problem):
    _, Phi, Y = problem
    sc = deq.shallow_constants(Phi, Y)
    W_ls = np.linalg.lstsq(np.asarray(Phi), np.asarray(Y), rcond=None)[0].T
    np.testing.assert_allclose(sc.W_star, W_ls, rtol=tol(1e-10, 1e-4), atol=tol(0, 1e-5))
    assert sc.loss_star == pytest.approx(float(deq.shallow_loss(sc.W_star, Phi, Y)), rel=tol(1e-12, 1e-5))
    ev = np.linalg.eigvalsh(np.asarray(Phi.T @ Phi))
    assert sc.lam_plus == pytest.approx(ev[0], rel=tol(1e-6, 1e-4)) and sc.lam_max == pytest.approx(ev[-1], rel=tol(1e-6, 1e-4))
    with pytest.raises(ValueError, match="must have the same N"):
        deq.shallow_constants(Phi, Y[:3])


def test_run_records_U_norm_and_effective_weight(problem):
    p, Phi, Y = problem
    pT, h = deq.run(p, Phi, Y, 0.5, 1e-3, 5)
    assert h.extras["U_norm"].shape == (6,) and h.extras["W"].shape == (6, 6, 4)
    np.testing.assert_allclose(h.extras["W"][-1], deq.effective_weight(pT, 0.5), rtol=tol(1e-12, 1e-5), atol=tol(0, 1e-6))
    assert float(h.extras["U_norm"][0]) == pytest.approx(linalg.spectral_norm(deq.U_matrix(p.A, 0.5)), rel=tol(1e-8, 1e-5))


def test_trust_region_shadow_gap_is_first_order_in_eta(problem):
    p, Phi, Y = problem
    sc = deq.shallow_constants(Phi, Y)
    eta0 = 0.25 * 0.25 / sc.lam_max
    gaps = []
    for f in (1, 2):
        W, V = deq.trust_region_shadow(p, Phi, Y, 0.5, eta0 / f, 20 * f)
        assert W.shape == V.shape == (20 * f + 1, 6, 4)
        np.testing.assert_allclose(W[0], V[0])
        gaps.append(float(jnp.max(jnp.abs(W - V))))
    assert 1.5 < gaps[0] / gaps[1] < 2.7


def test_compare_models_start_from_one_function_and_match_the_target():
    Phi = jax.random.normal(jax.random.key(0), (12, 5)) / 3
    Y = jax.nn.one_hot(jnp.arange(12) % 3, 3)
    p0 = deq.init(jax.random.key(1), 5, 3, scale=0.1)
    gamma = 0.5
    lam_max = deq.shallow_constants(Phi, Y).lam_max
    etas = ((1 - gamma) ** 2 / lam_max, 1 / lam_max, 0.25 / lam_max)
    free = deq.compare_models(p0, Phi, Y, gamma, etas, 300)
    loss = np.asarray(free.loss)
    assert loss.shape == (3, 301) and np.ptp(loss[:, 0]) < tol(1e-12, 1e-5) * loss[0, 0]   # one initial function
    assert np.all(np.diff(loss, axis=1) <= tol(1e-12, 1e-5) * loss[:, :1])                  # each descends
    # the DEQ's record is deq.run's, and W is the function each model computes at the end
    _, h = deq.run(p0, Phi, Y, gamma, etas[0], 300)
    np.testing.assert_allclose(loss[0], h.loss, rtol=tol(1e-10, 1e-4))
    np.testing.assert_allclose(free.W[0], h.extras["W"][-1], rtol=tol(1e-9, 1e-3), atol=tol(1e-12, 1e-6))
    for W, final in zip(free.W, loss[:, -1]):
        assert float(deq.shallow_loss(W, Phi, Y)) == pytest.approx(final, rel=tol(1e-10, 1e-4))
    # at a target every model reaches, each record is the first step at or below it
    target = float(loss[:, -1].max())
    matched = deq.compare_models(p0, Phi, Y, gamma, etas, 300, target=target)
    slowest = deq.compare_models(p0, Phi, Y, gamma, etas, 300, target="slowest")   # the same target, found
    np.testing.assert_array_equal(slowest.step_matched, matched.step_matched)
    np.testing.assert_allclose(slowest.W_matched, matched.W_matched, rtol=tol(1e-12, 1e-5))
    for k, W, row in zip(np.asarray(matched.step_matched), matched.W_matched, loss):
        assert row[k] <= target and (k == 0 or row[k - 1] > target)
        assert float(deq.shallow_loss(W, Phi, Y)) == pytest.approx(row[k], rel=tol(1e-10, 1e-4))
    assert np.asarray(matched.step_matched)[0] == int(np.argmax(loss[0] <= target))


def test_accuracy_counts_argmax_hits():
    Phi = jnp.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
    W = jnp.array([[1.0, 0.0], [0.0, 2.0]])                  # classes: argmax of (x_1, 2 x_2)
    assert deq.accuracy(W, Phi, np.array([0, 1, 1, 1])) == 1.0
    assert deq.accuracy(W, Phi, np.array([1, 1, 1, 0])) == 0.5
