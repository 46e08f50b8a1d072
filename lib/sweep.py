r"""Width sweeps: the smallest width at which a property holds.

Chapters 2-4 ask "from which width on does X hold?", where X is either a
theorem's hypotheses (measured at initialisation) or "gradient descent reaches a
small loss". :func:`smallest_width` answers it for any monotone predicate by
doubling and then bisection, with a relative resolution.
"""
from __future__ import annotations

from typing import Callable

from lib import _validate as V

__all__ = ["smallest_width"]


def smallest_width(holds: Callable[[int], bool], start: int, cap: int, resolution: float = 1 / 16):
    r"""The smallest integer width ``n`` in ``[start, cap]`` with ``holds(n)``, or ``None``.

    Doubles ``n`` from ``start`` until ``holds(n)``, then bisects the last
    doubling interval down to a relative width of ``resolution``. The answer is
    exact for a monotone predicate (false below a threshold, true above) up to
    that resolution. Returns ``None`` when ``holds(cap)`` is never reached true.
    Raises ``TypeError`` when ``holds`` is not callable or ``start`` / ``cap`` not
    an integer, ``ValueError`` when ``start`` < 1, ``cap`` < ``start``
    or ``resolution`` not in (0, 1) (NumPy integers and scalars are accepted).
    """
    if not callable(holds):
        raise TypeError(f"holds must be a function holds(n) -> bool, got {holds!r}")
    start = V.integer(start, "start")
    cap = V.integer(cap, "cap", minimum=start, what=f"an integer >= start = {start}")
    resolution = V.real(resolution, "resolution", what="lie in (0, 1)", low=0.0, high=1.0,
                         low_open=True, high_open=True)
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
