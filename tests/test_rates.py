import numpy as np
import pytest

from lib import rates


def test_linear_bound_values():
    b = rates.linear_bound(8.0, 0.5, 3, loss_star=1.0)
    np.testing.assert_allclose(b, [8.0, 4.5, 2.75, 1.875])


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
