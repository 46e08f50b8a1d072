"""Bad input to lib.printing: each error names its argument."""
import numpy as np
import pytest

from badinput import covers, raises_naming
from lib import printing


@covers("lib.printing.sig", "lib.printing.at_most")
@pytest.mark.parametrize("x, exc", [(None, TypeError), ("1.0", TypeError), (1 + 2j, TypeError),
                                    (True, TypeError), (np.ones(2), TypeError), (float("nan"), ValueError)])
def test_scalars(x, exc):
    raises_naming(exc, "x", printing.sig, x)
    raises_naming(exc, "x", printing.at_most, x, 1e-12)


@covers("lib.printing.sig", "lib.printing.at_most")
@pytest.mark.parametrize("digits, exc", [(0, ValueError), (18, ValueError), (2.5, TypeError), (None, TypeError),
                                         (True, TypeError)])
def test_digits(digits, exc):
    raises_naming(exc, "digits", printing.sig, 1.0, digits)
    raises_naming(exc, "digits", printing.at_most, 1.0, 1e-12, digits)


@covers("lib.printing.at_most")
@pytest.mark.parametrize("floor", [0.0, -1.0, float("nan"), float("inf")])
def test_floor(floor):
    raises_naming(ValueError, "floor", printing.at_most, 1.0, floor)


def test_numpy_and_jax_scalars_are_accepted():
    import jax.numpy as jnp
    assert printing.sig(np.int64(3)) == "3"
    assert printing.sig(jnp.float32(0.5)) == "0.5"
    assert printing.at_most(jnp.array(1e-20), 1e-12) == "< 1e-12"


@covers("lib.printing.steps_above_floor")
@pytest.mark.parametrize("loss, exc, name", [
    (np.ones((2, 2)), ValueError, "loss"), (np.array([]), ValueError, "loss"),
    (np.array([1.0, np.nan]), ValueError, "loss"), (np.array([1 + 1j]), TypeError, "loss"),
])
def test_loss(loss, exc, name):
    raises_naming(exc, name, printing.steps_above_floor, loss)


@covers("lib.printing.steps_above_floor")
@pytest.mark.parametrize("floor", [-1.0, float("nan")])
def test_steps_floor(floor):
    raises_naming(ValueError, "floor", printing.steps_above_floor, np.ones(3), floor)
