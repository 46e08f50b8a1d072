import numpy as np
import pytest

from lib import printing, rates


def test_linear_bound_values():
    b = rates.linear_bound(8.0, 0.5, 3, loss_star=1.0)
    np.testing.assert_allclose(b, [8.0, 4.5, 2.75, 1.875])


def test_path_length_bound_values():
    assert rates.path_length_bound(8.0, 4.0) == pytest.approx(4.0)              # sqrt(2 * 8 / 4) / 0.5
    assert rates.path_length_bound(8.0, 4.0, decrease=1.0) == pytest.approx(2.0)
    assert rates.path_length_bound(9.0, 4.0, loss_star=1.0, decrease=1.0) == pytest.approx(2.0)
    assert rates.path_length_bound(1.0, 1.0, loss_star=1.0) == 0.0


def _least_squares(seed, N=6, p=15):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((N, p)) / np.sqrt(p)
    eig, vec = np.linalg.eigh(A @ A.T)
    return A, rng.standard_normal(N), eig, vec


def _gd_path(A, y, eta, steps):
    """Gradient descent on 0.5 ||A w - y||^2 from w = 0: (losses, step lengths, final w)."""
    w, losses, lengths = np.zeros(A.shape[1]), [], []
    for _ in range(steps):
        g = A.T @ (A @ w - y)
        losses.append(0.5 * np.sum((A @ w - y) ** 2))
        lengths.append(eta * np.linalg.norm(g))
        w = w - eta * g
    losses.append(0.5 * np.sum((A @ w - y) ** 2))
    return np.array(losses), np.array(lengths), w


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("eta_beta", [0.1, 0.5, 1.0])
def test_path_length_bound_holds_for_gradient_descent_on_least_squares(seed, eta_beta):
    A, y, eig, _ = _least_squares(seed)
    mu, beta = eig[0], np.linalg.eigvalsh(A.T @ A)[-1]
    losses, lengths, _ = _gd_path(A, y, eta_beta / beta, 3000)
    assert np.sum(lengths) <= rates.path_length_bound(losses[0], mu)                 # eta <= 1/beta: c = 1/2
    # and every tail of the run obeys the bound from where it starts (the lemma's tail form),
    # for tails that start above the round-off floor
    for j in (j for j in (10, 100, 1000) if j < printing.steps_above_floor(losses)):
        assert np.sum(lengths[j:]) <= rates.path_length_bound(losses[j], mu) * (1 + 1e-9)


def test_path_length_bound_is_attained_up_to_its_decrease_constant():
    """y along the bottom eigenvector of AA^T: the run is a straight line of length sqrt(2 Phi_0 / mu).

    So the flow bound (c = 1) is attained in the limit, and no bound smaller by a constant factor holds."""
    A, y, eig, vec = _least_squares(0)
    mu, beta = eig[0], np.linalg.eigvalsh(A.T @ A)[-1]
    y_tight = vec[:, 0] * np.linalg.norm(y)
    losses, lengths, _ = _gd_path(A, y_tight, 1.0 / beta, 4000)
    flow = rates.path_length_bound(losses[0], mu, decrease=1.0)
    assert 0.999 * flow < np.sum(lengths) <= flow * (1 + 1e-9)


def test_path_length_bound_holds_on_a_non_convex_pl_function():
    """phi(x) = x^2 + 3 sin^2 x (chapter 1's exercise): PL with mu = 0.1755, beta = 8."""
    mu, beta = 0.1755, 8.0
    for x0 in (-7.3, -1.1, 2.5, 13.0):
        x, path = x0, 0.0
        loss0 = x0**2 + 3 * np.sin(x0) ** 2
        for _ in range(2000):
            g = 2 * x + 3 * np.sin(2 * x)
            path += abs(g) / beta
            x -= g / beta
        assert path <= rates.path_length_bound(loss0, mu)


def test_fitted_rate_recovers_geometric_decay():
    loss = 3.0 * 0.9 ** np.arange(50)
    assert rates.fitted_rate(loss) == pytest.approx(0.1, rel=1e-10)
    assert rates.fitted_rate(loss + 2.0, loss_star=2.0) == pytest.approx(0.1, rel=1e-8)


def test_fitted_rate_ignores_zeros_and_window():
    loss = np.concatenate([0.5 ** np.arange(10), np.zeros(5)])
    assert rates.fitted_rate(loss, 0, 10) == pytest.approx(0.5, rel=1e-10)
    assert rates.fitted_rate(loss) == pytest.approx(0.5, rel=1e-10)


def test_loglog_slope_recovers_exponent():
    x = np.array([1.0, 2.0, 4.0, 8.0])
    assert rates.loglog_slope(x, 3 * x**-0.5) == pytest.approx(-0.5)


@pytest.mark.parametrize("rate", [0.0, -0.1, 1.5])
def test_linear_bound_rejects_bad_rate(rate):
    with pytest.raises(ValueError, match="rate must lie in \\(0, 1\\]"):
        rates.linear_bound(1.0, rate, 3)


def test_linear_bound_rejects_loss_below_star():
    with pytest.raises(ValueError, match="loss0 = 1.0 must be at least loss_star = 2.0"):
        rates.linear_bound(1.0, 0.1, 3, loss_star=2.0)


def test_fitted_rate_needs_two_points():
    with pytest.raises(ValueError, match="at least two positive finite values"):
        rates.fitted_rate([1.0, 0.0, np.nan])


@pytest.mark.parametrize("x,y", [([1.0], [1.0]), ([1.0, 2.0], [1.0]), ([0.0, 1.0], [1.0, 2.0])])
def test_loglog_slope_rejects_bad_input(x, y):
    with pytest.raises(ValueError):
        rates.loglog_slope(x, y)
