import pytest

from lib.sweep import smallest_width


@pytest.mark.parametrize("threshold", [1, 5, 37, 1000])
def test_smallest_width_finds_threshold(threshold):
    calls = []

    def holds(n):
        calls.append(n)
        return n >= threshold

    n = smallest_width(holds, 1, 4096)
    assert threshold <= n <= threshold * (1 + 1 / 16) + 1
    assert len(calls) < 30


def test_smallest_width_none_beyond_cap():
    assert smallest_width(lambda n: n >= 5000, 1, 4096) is None


def test_smallest_width_at_start():
    assert smallest_width(lambda n: True, 8, 64) == 8


@pytest.mark.parametrize("kwargs,match", [
    ({"start": 0, "cap": 4}, "start must be a positive integer"),
    ({"start": 4, "cap": 2}, "cap must be an integer >= start"),
    ({"start": 1, "cap": 4, "resolution": 0.0}, "resolution must lie in \\(0, 1\\)"),
])
def test_smallest_width_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        smallest_width(lambda n: True, **kwargs)
