"""lib.implicit_theorem: the lemmas' bounds on random parameters, the theorem check, the training run."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import data, implicit, linalg
from lib import implicit_theorem as thm

from precision import X64, tol


def _problem(N=4, d=32, m=64, seed=0, output="zero"):
    k = jax.random.split(jax.random.key(seed), 3)
    X = data.sphere_points(k[0], N, d, min_angle=0.3)
    Y = data.teacher_labels(k[1], X)[:, 0]
    return X, Y, implicit.init(k[2], m, d, output)


def _norms(p):
    return linalg.spectral_norm(p.A), linalg.spectral_norm(p.W), float(jnp.linalg.norm(p.u))


@pytest.mark.property
@settings(max_examples=15 if X64 else 5, deadline=None)   # fewer in the float32 pass (conftest.py)
@given(seed=st.integers(0, 2**31 - 1), gamma=st.floats(0.05, 0.45), scale=st.floats(1e-3, 1.0))
def test_equilibrium_lipschitz_and_gradient_bounds_hold(seed, gamma, scale):
    X, Y, p = _problem(seed=seed % 1000, output="lecun")
    k = jax.random.split(jax.random.key(seed), 3)
    q = p._replace(A=p.A + scale * jax.random.normal(k[0], p.A.shape), W=p.W + scale * jax.random.normal(k[1], p.W.shape),
                   u=p.u + scale * jax.random.normal(k[2], p.u.shape) / 8)
    m = p.A.shape[0]
    if not max(implicit.implicit_norm(p, gamma), implicit.implicit_norm(q, gamma)) < 0.95:
        return
    X_norm = float(jnp.linalg.norm(X))
    np_, nq = _norms(p), _norms(q)
    b = thm.Bounds(gamma * max(np_[0], nq[0]) / math.sqrt(m), max(np_[1], nq[1]), max(np_[2], nq[2]))
    lip_A, lip_W = thm.equilibrium_lipschitz(X_norm, gamma, m, b)
    Zp, Zq = implicit.equilibrium(p, X, gamma), implicit.equilibrium(q, X, gamma)
    move = float(jnp.linalg.norm(Zp - Zq))
    bound = lip_A * linalg.spectral_norm(p.A - q.A) + lip_W * linalg.spectral_norm(p.W - q.W)
    assert move <= bound * (1 + tol(1e-9, 1e-3))
    # gradient bounds at q
    g = jax.grad(lambda r: implicit.loss(r, X, Y, gamma))(q)
    r_norm = float(jnp.linalg.norm(Zq @ q.u - Y))
    G = thm.gradient_bounds(X_norm, gamma, m, b, linalg.spectral_norm(Zq))
    for gp, Gp in zip((g.A, g.W, g.u), G):
        assert float(jnp.linalg.norm(gp)) <= Gp * r_norm * (1 + tol(1e-9, 1e-3))


def test_lipschitz_constants_are_infinite_when_not_well_posed():
    assert thm.equilibrium_lipschitz(1.0, 0.5, 16, thm.Bounds(1.0, 1.0, 1.0)) == (math.inf, math.inf)
    assert thm.radii(1.0, 0.5, 16, (8.0, 1.0, 0.0), 1.0, 1.0, 1.0) is None   # a_bar = 1 at radius 0


def test_flow_theorem_holds_on_a_wide_network_and_gd_needs_more():
    X, Y, p = _problem(N=2, m=128)
    flow = thm.theorem_check(p, X, Y, 0.1)
    assert flow.holds and flow.unit == "per unit time" and "per unit time" in flow.table()
    assert flow.rate == pytest.approx(flow.quantities["alpha0"] ** 2 / 2)
    assert [h.name for h in flow.hypotheses] == ["H0", "HW", "H2", "H3"]
    gd = thm.theorem_check(p, X, Y, 0.1, 1e-300)
    assert [h.name for h in gd.hypotheses] == ["H0", "HW", "H1", "H2", "H3", "H4"]
    assert "H1" in gd.failed and math.isnan(gd.rate)
    # the first version's gradient-flow trajectory lengths are a quarter of gradient descent's, at the same radii
    q = thm.theorem_check(p, X, Y, 0.1, 1e-300, sharp=False).quantities
    D_flow = thm.trajectory_bounds(q["X_norm"], 0.1, 128, q["bounds"], q["F_bar"], q["loss0"], q["alpha0"], flow=True,
                                   sharp=False)
    np.testing.assert_allclose(np.array(q["D"]) / 4, D_flow, rtol=1e-12)


def test_sharp_trajectory_bounds_are_the_path_length_bounds():
    from lib import rates
    b, F_bar, loss0, alpha0 = thm.Bounds(0.2, 12.0, 0.5), 9.0, 2.0, 3.0
    r0 = math.sqrt(2 * loss0)
    G = thm.gradient_bounds(2.0, 0.1, 64, b, F_bar)
    flow = thm.trajectory_bounds(2.0, 0.1, 64, b, F_bar, loss0, alpha0, flow=True)
    path = rates.path_length_bound(loss0, alpha0**2 / 4, decrease=1.0)
    assert path == pytest.approx(2 * r0 / alpha0)
    np.testing.assert_allclose(flow, [min(4 * g * r0 / alpha0**2, path) for g in G], rtol=1e-12)
    assert flow[2] == pytest.approx(path)       # the output layer: always the whole path's length
    gd = thm.trajectory_bounds(2.0, 0.1, 64, b, F_bar, loss0, alpha0)
    assert gd[2] == pytest.approx(19 / 3 * r0 / alpha0)
    np.testing.assert_allclose(gd[:2], [12 * g * r0 / alpha0**2 for g in G[:2]], rtol=1e-12)
    old = thm.trajectory_bounds(2.0, 0.1, 64, b, F_bar, loss0, alpha0, sharp=False)
    # the first version's D_u carries the condition number F_bar / alpha_0: 16 F_bar / alpha_0 against 19/3
    assert old[2] / gd[2] == pytest.approx(16 * F_bar / alpha0 / (19 / 3))


def test_sharp_theorem_holds_where_the_first_version_does_and_at_smaller_widths():
    from lib.sweep import smallest_width
    X, Y, _ = _problem(N=4)
    for m in (96, 192, 384):
        q = thm.limit_quantities(X, Y, 0.1, m)
        for eta in (None, 1e-300):
            if thm.check(q, eta, sharp=False).holds:
                assert thm.check(q, eta).holds
    K = implicit.limit_kernel(X, 0.1)
    for eta, factor in ((None, 2), (1e-300, 4)):
        sharp, old = (smallest_width(lambda m: thm.check(thm.limit_quantities(X, Y, 0.1, m, K), eta, s).holds, 4, 10**6)
                      for s in (True, False))
        assert sharp is not None and old is not None and factor * sharp < old


def test_limit_quantities_are_close_to_a_wide_fresh_draw():
    X, Y, p = _problem(N=4, m=1024)
    q, q_lim = thm.initial_quantities(p, X, Y, 0.1), thm.limit_quantities(X, Y, 0.1, 1024)
    assert q.N == q_lim.N == 4 and q.loss0 == pytest.approx(q_lim.loss0)
    assert abs(q.alpha0 / q_lim.alpha0 - 1) < 0.1 and abs(q.Z_norm / q_lim.Z_norm - 1) < 0.05
    assert abs(q.norms0[0] / q_lim.norms0[0] - 1) < 0.05 and abs(q.norms0[1] / q_lim.norms0[1] - 1) < 0.1
    r = thm.check(q)
    assert r.holds == thm.theorem_check(p, X, Y, 0.1).holds and r.quantities["sharp"]


@pytest.mark.float64   # the sufficient-decrease and rate checks compare losses to 1e-9 relative
def test_gradient_descent_theorem_conclusions_hold_along_a_run():
    X, Y, p = _problem(N=2, m=512)
    q = thm.initial_quantities(p, X, Y, 0.1)
    eta = 1 / (2 * (q.Z_norm + q.alpha0 / 2) ** 2)
    report = thm.check(q, eta)
    assert report.holds and report.rate == pytest.approx(eta * q.alpha0**2 / 6)
    h = thm.run(p, X, Y, 0.1, eta, 40).history
    loss, g_u = np.asarray(h.loss), np.asarray(h.extras["grad_norms"])[:, 2]
    assert np.all(loss <= loss[0] * (1 - report.rate) ** np.arange(41) * (1 + 1e-9))
    assert np.all(loss[:-1] - loss[1:] >= eta / 3 * g_u[:-1] ** 2 * (1 - 1e-9))        # sufficient decrease, c = 1/3
    moves = np.stack([np.asarray(v) for v in h.distance], axis=1)
    assert np.all(moves <= np.array(report.quantities["D"]))
    assert eta * g_u.sum() <= report.quantities["D"][2]
    assert np.asarray(h.extras["sigma_min_Z"]).min() >= q.alpha0 / 2


def test_theorem_check_reports_narrow_networks_and_large_steps():
    X, Y, p = _problem(N=8, m=4)
    report = thm.theorem_check(p, X, Y, 0.1, 1e-3)
    assert report.failed[0] == "H0" and "m = 4 < N = 8" in report.table()
    X, Y, p = _problem(N=2, m=64)
    report = thm.theorem_check(p, X, Y, 0.1, 1.0)
    assert "H4" in report.failed


def test_theorem_check_at_zero_initial_loss_holds_without_dividing_by_zero_radii():
    """Zero labels and a zero output layer: Phi_0 = 0, every travel bound and radius is 0, and nothing moves."""
    X, Y, p = _problem(N=4, m=64)
    for flow in (True, False):
        report = thm.theorem_check(p, X, 0 * Y, 0.1, None if flow else 1e-3)
        h3 = {h.name: h for h in report.hypotheses}["H3"]
        assert h3.holds and h3.lhs == 0.0


def test_theorem_check_errors():
    X, Y, p = _problem()
    with pytest.raises(ValueError, match="eta \\(step size\\) must be a positive finite number, or None"):
        thm.theorem_check(p, X, Y, 0.1, -1.0)
    with pytest.raises(ValueError, match="not known to be well posed"):
        thm.theorem_check(p, X, Y, 0.9)
    with pytest.raises(ValueError, match="one scalar label per sample"):
        thm.theorem_check(p, X, jnp.ones((4, 2)), 0.1)


def test_run_records_the_chapter_quantities():
    X, Y, p = _problem(output="lecun")
    eta = 0.5 / linalg.lam_max(implicit.equilibrium(p, X, 0.3) @ implicit.equilibrium(p, X, 0.3).T)
    r = thm.run(p, X, Y, 0.3, eta, 30, exact_norm=True)
    h = r.history
    assert float(h.loss[-1]) < float(h.loss[0])
    for name in ("iterations", "residual", "sigma_min_Z", "Z_norm", "feature_move", "implicit_norm",
                 "implicit_norm_bound"):
        assert h.extras[name].shape == (31,), name
    assert h.extras["grad_norms"].shape == (31, 3) and h.extras["norms"].shape == (31, 2)
    assert np.all(np.asarray(h.extras["residual"]) <= implicit._tol(implicit.SolverConfig(), X.dtype))
    assert np.all(np.asarray(h.extras["implicit_norm"]) <= np.asarray(h.extras["implicit_norm_bound"]) * (1 + tol(1e-12, 1e-5)))
    assert float(h.extras["feature_move"][0]) == 0.0
    np.testing.assert_allclose(float(h.extras["sigma_min_Z"][0]), linalg.sigma_min(implicit.equilibrium(p, X, 0.3)),
                               rtol=tol(1e-9, 1e-4))
    # the whole gradient's norm is at least the output layer's
    assert np.all(np.asarray(h.grad_norm) >= np.asarray(h.extras["grad_norms"])[:, 2] * (1 - tol(1e-12, 1e-5)))


def test_run_reports_a_forward_solve_at_its_cap_at_the_end():
    X, Y, p = _problem(output="lecun")
    # the forward solve stops at its cap; the adjoint converges, so training goes on to the end
    cfg = implicit.SolverConfig("plain", 1e-14, 3, adjoint=implicit.SolverConfig("anderson", None, 500))
    with pytest.raises(implicit.NonConvergenceError, match="hit its cap max_iter = 3 at step 0 of gradient descent"):
        thm.run(p, X, Y, 0.3, 1e-3, 3, cfg)
    # both at the cap: the adjoint's NaN gradients stop training, and the error says why
    with pytest.raises(implicit.NonConvergenceError, match="hits its cap max_iter = 3 at initialisation"):
        thm.run(p, X, Y, 0.3, 1e-3, 3, implicit.SolverConfig("plain", 1e-14, 3))


def test_init_output_layer_options():
    p = implicit.init(jax.random.key(0), 400, 3)
    assert 0.8 < float(jnp.linalg.norm(p.u)) < 1.2                      # N(0, 1/m) entries
    assert float(jnp.abs(implicit.init(jax.random.key(0), 8, 3, "zero").u).max()) == 0.0
    with pytest.raises(ValueError, match="output \\(initialisation of u\\) must be one of"):
        implicit.init(jax.random.key(0), 8, 3, "he")


def test_smallest_radii_finds_the_least_fixed_point_or_reports_none():
    from lib.report import smallest_radii
    rho = smallest_radii(lambda r: [1.0 + 0.5 * r[0], 2.0 + 0.25 * r[1]], 2, 1.0)
    np.testing.assert_allclose(rho, [2.0, 8 / 3], rtol=1e-10)
    assert smallest_radii(lambda r: [1.0 + 2.0 * r[0]], 1, 1.0) is None          # grows without bound
    assert smallest_radii(lambda r: [math.inf], 1, 1.0) is None                   # e.g. well-posedness lost
