r"""Width sweeps: the smallest width at which a property holds.

Chapters 2-4 ask "from which width on does X hold?", where X is either a
theorem's hypotheses (measured at initialisation) or "gradient descent reaches a
small loss". :func:`smallest_width` answers it for any monotone predicate by
doubling and then bisection, with a relative resolution.
"""
from __future__ import annotations

from typing import Callable

__all__ = ["smallest_width"]


def smallest_width(holds: Callable[[int], bool], start: int, cap: int, resolution: float = 1 / 16):
    r"""The smallest integer width ``n`` in ``[start, cap]`` with ``holds(n)``, or ``None``.

    Doubles ``n`` from ``start`` until ``holds(n)``, then bisects the last
    doubling interval down to a relative width of ``resolution``. The answer is
    exact for a monotone predicate (false below a threshold, true above) up to
    that resolution. Returns ``None`` when ``holds(cap)`` is never reached true.
    """
    if not isinstance(start, int) or start < 1:
        raise ValueError(f"start must be a positive integer, got {start!r}")
    if not isinstance(cap, int) or cap < start:
        raise ValueError(f"cap must be an integer >= start = {start}, got {cap!r}")
    if not 0 < resolution < 1:
        raise ValueError(f"resolution must lie in (0, 1), got {resolution}")
    n = start
    while not holds(n):
        if n >= cap:
            return None
        n = min(2 * n, cap)
    lo, hi = n // 2, n
    if lo < start:
        return n
    while hi - lo > max(1, int(resolution * lo)):
        mid = (lo + hi) // 2
        if holds(mid):
            hi = mid
        else:
            lo = mid
    return hi
