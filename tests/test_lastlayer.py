import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lib import data, kernels, lastlayer, linalg, mlp, rates, train
from lib.report import Hypothesis, TheoremReport

from precision import tol


@pytest.fixture(scope="module")
def XY():
    X = data.sphere_points(jax.random.key(0), 6, 5, min_angle=0.2)
    return X, data.teacher_labels(jax.random.key(1), X)


@pytest.mark.parametrize("widths,par,scheme", [
    ((5, 16, 1), "standard", "he"), ((5, 7, 9, 3), "standard", "lecun"),
    ((5, 8, 8, 8, 2), "ntk", "ntk"), ((5, 12, 1), "standard", "zero_output"),
])
@pytest.mark.float64  # agreement to 1e-10 is below float32 resolution; the next test is the float32 version
def test_ntk_gram_closed_form_matches_jacobian_contraction_float64(XY, widths, par, scheme):
    X, _ = XY
    net = mlp.MLP(widths, par)
    params = mlp.init(jax.random.key(2), net, scheme)
    K = mlp.ntk_gram(net, params, X)
    K_ref = kernels.empirical_ntk(lambda p, x: mlp.apply(net, p, x), params, X)
    assert K.shape == K_ref.shape == (6 * widths[-1],) * 2
    assert float(jnp.max(jnp.abs(K - K_ref)) / jnp.max(jnp.abs(K_ref))) <= 1e-10


def test_ntk_gram_closed_form_matches_in_float32(XY):
    X, _ = XY
    net = mlp.MLP((5, 64, 64, 1))
    params = [W.astype(jnp.float32) for W in mlp.init(jax.random.key(3), net, "he")]
    X32 = X.astype(jnp.float32)
    K = mlp.ntk_gram(net, params, X32)
    K_ref = kernels.empirical_ntk(lambda p, x: mlp.apply(net, p, x), params, X32)
    assert K.dtype == jnp.float32
    assert float(jnp.max(jnp.abs(K - K_ref)) / jnp.max(jnp.abs(K_ref))) <= 1e-5


def test_ntk_gram_last_layer_bound(XY):
    X, _ = XY
    net = mlp.MLP((5, 32, 16, 1))
    params = mlp.init(jax.random.key(4), net, "he")
    alpha = linalg.sigma_min(mlp.features(net, params, X)[-2])
    assert linalg.lam_min(mlp.ntk_gram(net, params, X)) >= alpha**2 * (1 - 1e-10)


def test_backward_factors_shapes_and_last_layer(XY):
    X, _ = XY
    net = mlp.MLP((5, 7, 4, 3))
    B = mlp.backward_factors(net, mlp.init(jax.random.key(5), net, "he"), X)
    assert [b.shape for b in B] == [(3, 6, 7), (3, 6, 4), (3, 6, 3)]
    np.testing.assert_array_equal(B[-1][1], np.tile([0.0, 1.0, 0.0], (6, 1)))


def test_zero_output_scheme():
    net = mlp.MLP((3, 8, 2))
    W1, W2 = mlp.init(jax.random.key(0), net, "zero_output")
    assert float(jnp.max(jnp.abs(W2))) == 0.0
    assert float(jnp.var(W1)) > 0


def test_constants_by_hand():
    lam = [2.0, 3.0, 5.0]
    # the first layer meets ||X||_2 = 1.5, the second ||X||_F = 4
    assert lastlayer.feature_lipschitz(1.5, 4.0, lam) == pytest.approx([1.5 * 3.0, 4.0 * 2.0])
    assert lastlayer.gradient_bounds(1.5, 4.0, lam, 7.0) == pytest.approx([1.5 * 15, 4.0 * 10, 7.0])
    assert lastlayer.cross_constant(1.5, 4.0, lam) == pytest.approx(1.5**2 * 15**2 + 4.0**2 * 10**2)
    D = lastlayer.trajectory_bounds(1.5, 4.0, lam, loss0=2.0, alpha0=4.0)
    c = 3 / 8 - 1 / 512
    P = 2 * 2.0 / (c * 4.0)                     # 2 sqrt(2 Phi_0) / (c alpha_0), sqrt(2 Phi_0) = 2
    assert P == pytest.approx(rates.path_length_bound(2.0, 4.0**2 / 4, decrease=c))
    assert D[-1] == pytest.approx(P + 2.0 / (2 * 4.0))
    assert D[:-1] == pytest.approx([2 * g / 4.0 * (P + 2.0 / (4 * 4.0)) for g in (1.5 * 15, 4.0 * 10)])
    assert lastlayer.DECREASE == c


def test_output_layer_bound_has_no_condition_number():
    """D_L depends on Phi_0 and alpha_0 only: no lam_bar, no ||F_(L-1)||."""
    D_a = lastlayer.trajectory_bounds(1.0, 2.0, [3.0, 1.0], loss0=5.0, alpha0=0.5)
    D_b = lastlayer.trajectory_bounds(1.0, 2.0, [300.0, 1e3], loss0=5.0, alpha0=0.5)
    assert D_a[-1] == D_b[-1] == pytest.approx((2 / lastlayer.DECREASE + 0.5) * math.sqrt(10.0) / 0.5)


def test_radii_fixed_point_or_none():
    rho = lastlayer.radii(1.0, 1.0, [1.0, 1.0], loss0=1e-6, alpha0=10.0)
    D = lastlayer.trajectory_bounds(1.0, 1.0, [1.0 + rho[0], 1.0 + rho[1]], 1e-6, 10.0)
    assert rho == pytest.approx(D, rel=1e-10)
    assert lastlayer.radii(10.0, 10.0, [5.0, 5.0, 5.0], loss0=100.0, alpha0=0.1) is None


def test_theorem_check_on_a_wide_two_layer_network_holds_and_its_conclusions_hold(XY):
    X, Y = XY
    net = mlp.MLP((5, 2**17, 1))
    params = mlp.init(jax.random.key(6), net, "zero_output")
    F = mlp.features(net, params, X)[-2]
    eta = 1 / (2 * (linalg.spectral_norm(F) + linalg.sigma_min(F) / 2) ** 2)
    report = lastlayer.theorem_check(net, params, X, Y, eta)
    assert report.holds, report.table()
    assert report.rate == pytest.approx(eta * report.quantities["alpha0"] ** 2 / 8)
    h = lastlayer.run(net, params, X, Y, eta, 40).history
    k = np.arange(41)
    assert np.all(np.asarray(h.loss) <= h.loss[0] * (1 - report.rate) ** k * (1 + 1e-9))
    assert np.all(np.asarray(h.extras["sigma_min_F"]) >= report.quantities["alpha0"] / 2)
    for l, dist in enumerate(h.distance):
        assert float(dist.max()) <= report.quantities["D"][l]


def test_theorem_check_reports_narrow_last_layer_instead_of_raising(XY):
    X, Y = XY
    net = mlp.MLP((5, 16, 4, 1))
    report = lastlayer.theorem_check(net, mlp.init(jax.random.key(7), net, "he"), X, Y, 0.1)
    assert not report.holds and report.failed[:4] == ("H0", "H1", "H2", "H3")
    assert [h.note for h in report.hypotheses[1:4]] == ["needs H0"] * 3
    assert "n_(L-1) = 4 < N = 6" in report.hypotheses[0].note
    assert math.isnan(report.rate)
    assert "fails: H0" in report.table()


def test_theorem_check_without_radii_reports_h1_h2_at_radius_zero(XY):
    X, Y = XY
    net = mlp.MLP((5, 32, 64, 1))
    params = mlp.init(jax.random.key(9), net, "he")
    report = lastlayer.theorem_check(net, params, X, Y, 1e-6)
    assert report.quantities["rho"] is None and "H3" in report.failed and "H4" not in report.failed
    h1 = report.hypotheses[1]
    C0 = lastlayer.cross_constant(report.quantities["X_spec"], report.quantities["X_frob"], report.quantities["W_norms0"])
    assert h1.lhs == pytest.approx(C0) and h1.note == "fails even at radius 0"


def test_theorem_check_reports_failing_step_size(XY):
    X, Y = XY
    net = mlp.MLP((5, 2**17, 1))
    report = lastlayer.theorem_check(net, mlp.init(jax.random.key(6), net, "zero_output"), X, Y, 1.0)
    assert report.failed == ("H4",)


def test_theorem_check_errors(XY):
    X, Y = XY
    net = mlp.MLP((5, 8, 1))
    params = mlp.init(jax.random.key(0), net, "he")
    with pytest.raises(ValueError, match="standard parameterisation"):
        ntk_net = mlp.MLP((5, 8, 1), "ntk")
        lastlayer.theorem_check(ntk_net, mlp.init(jax.random.key(0), ntk_net, "ntk"), X, Y, 0.1)
    with pytest.raises(ValueError, match="Y must have n_L = 1 columns"):
        lastlayer.theorem_check(net, params, X, jnp.ones((6, 2)), 0.1)
    with pytest.raises(ValueError, match="eta \\(step size\\) must be a positive finite number"):
        lastlayer.theorem_check(net, params, X, Y, -1.0)
    with pytest.raises(ValueError, match="same number of rows N"):
        lastlayer.theorem_check(net, params, X, Y[:3], 0.1)
    with pytest.raises(ValueError, match="Y must have n_L = 1 columns"):
        lastlayer.run(net, params, X, jnp.ones((6, 2)), 0.1, 2)


def test_run_records(XY):
    X, Y = XY
    net = mlp.MLP((5, 16, 32, 1))
    params = mlp.init(jax.random.key(8), net, "he")
    h = lastlayer.run(net, params, X, Y, 0.01, 5).history
    assert h.extras["W_norms"].shape == h.extras["grad_norms"].shape == h.extras["W_moves"].shape == (6, 3)
    # traced: from the eigenvalues of the Gram matrix in the working precision; reference: float64 SVD
    np.testing.assert_allclose(h.extras["W_norms"][0], [linalg.spectral_norm(W) for W in params], rtol=tol(1e-8, 1e-4))
    np.testing.assert_allclose(h.extras["W_moves"][0], 0.0, atol=1e-12)
    np.testing.assert_allclose(h.extras["sigma_min_F"][0], linalg.sigma_min(mlp.features(net, params, X)[-2]),
                               rtol=tol(1e-8, 1e-3))
    g = jax.grad(lambda p: train.square_loss(mlp.apply(net, p, X), Y))(params)
    np.testing.assert_allclose(h.extras["grad_norms"][0], [float(jnp.linalg.norm(x)) for x in g],
                               rtol=tol(1e-10, 1e-5))


def test_report_table_formats_every_row():
    report = TheoremReport("T", (Hypothesis("H1", "a <= b", 1.0, 2.0, True),
                                 Hypothesis("H2", "c <= d", math.inf, 1.0, False, "why")), math.nan, {})
    text = report.table()
    assert "H1" in text and "inf" in text and "(why)" in text and "fails: H2" in text
    assert str(report) == text and report.failed == ("H2",) and not report.holds
