"""The printing policy's helpers: significant digits, round-off bounds, the round-off floor of a run."""
import numpy as np
import pytest

from lib import printing


def test_sig_rounds_to_significant_digits():
    assert printing.sig(0.0123456) == "0.0123"
    assert printing.sig(123456.0, 2) == "1.2e+05"
    assert printing.sig(np.float32(2.5)) == "2.5"
    assert printing.sig(float("inf")) == "inf"


def test_at_most_prints_round_off_as_a_bound_and_the_rest_as_values():
    assert printing.at_most(3.4e-16, 1e-12) == "< 1e-12"
    assert printing.at_most(-1.7e-16, 1e-12) == "< 1e-12"
    assert printing.at_most(2.4e-10, 1e-12) == "2.4e-10"
    assert printing.at_most(0.0, 1e-30) == "< 1e-30"


def test_two_round_offs_of_one_quantity_print_the_same():
    # the failure nbval saw on another CPU: 3.4e-16 against 1.7e-16, 1.5e-33 against 1.1e-32
    assert printing.at_most(3.4e-16, 1e-12) == printing.at_most(1.7e-16, 1e-12)
    assert printing.at_most(1.5e-33, 1e-30) == printing.at_most(1.1e-32, 1e-30)


def test_steps_above_floor_stops_at_the_round_off_floor():
    loss = np.array([1.0, 1e-3, 1e-9, 1e-14, 1e-20, 3e-33, 1e-32])
    assert printing.steps_above_floor(loss) == 3  # default floor 1e3 * eps * loss[0] = 2.2e-13
    assert printing.steps_above_floor(loss, floor=1e-8) == 2
    assert printing.steps_above_floor(np.array([1.0, 0.5]), floor=0.0) == 2  # never reaches the floor
    assert printing.steps_above_floor(np.array([1.0, 1e-6], dtype=np.float32)) == 1  # float32 floor ~1.2e-4


def test_at_most_rejects_nan_and_bad_floors():
    with pytest.raises(ValueError, match="x must be"):
        printing.at_most(float("nan"), 1e-12)
