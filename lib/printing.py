r"""Printing numbers that survive another CPU: the book's printing policy (CONTRIBUTING.md).

nbval re-executes every chapter and compares the printed text, on machines whose
round-off differs from the one that committed the outputs (another CPU, another
instruction set: ``XLA_FLAGS=--xla_cpu_max_isa=SSE4_2``). So a chapter prints

* a measured quantity to the significant digits that survive that round-off
  (:func:`sig`, three by default);
* a round-off-level quantity as a bound, never as a value (:func:`at_most`:
  ``< 1e-12``), since its digits are noise;
* a statistic over a run only over the steps before the loss reaches the
  round-off floor (:func:`steps_above_floor`), since what happens below it
  differs from machine to machine.
"""
from __future__ import annotations

import math

import numpy as np

from lib import _validate as V

__all__ = ["sig", "at_most", "steps_above_floor"]


def _digits(digits) -> int:
    d = V.integer(digits, "digits", what="an integer in [1, 17]")
    if d > 17:
        raise ValueError(f"digits must be an integer in [1, 17], got {d}")
    return d


def sig(x, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits (``'g'`` format); ``inf`` as such, NaN raises ``ValueError``."""
    v = V.real(x, "x", finite=False)
    d = _digits(digits)
    if not math.isfinite(v):
        return str(v)
    return f"{v:.{d}g}"


def at_most(x, floor: float, digits: int = 3) -> str:
    """``x`` as :func:`sig` when ``|x| >= floor``, else the bound ``'< floor'`` (e.g. ``'< 1e-12'``).

    Use it for a quantity that is zero in exact arithmetic (a residual, an
    error against a closed form, a final loss at the round-off floor): below
    ``floor`` only the bound is portable.
    """
    v = V.real(x, "x", finite=False)
    f = V.real(floor, "floor", low=0.0, low_open=True)
    if abs(v) < f:
        return f"< {f:.0e}".replace("e-0", "e-").replace("e+0", "e+")
    return sig(v, digits)


def steps_above_floor(loss, floor: float | None = None) -> int:
    r"""The number of leading steps ``k`` with :math:`\Phi_k > ` ``floor`` (the round-off floor).

    ``loss: (T+1,)``, a recorded loss curve. ``floor`` defaults to
    :math:`10^3 \varepsilon\, \Phi_0`, with :math:`\varepsilon` the machine
    epsilon of ``loss``'s dtype: from there on a loss curve is round-off.
    Summarise a run (a fitted rate, a median, a share) over ``loss[:k]`` only.
    """
    arr = np.asarray(loss)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"loss must be a non-empty 1-d array (one loss per step), got shape {arr.shape}")
    if np.iscomplexobj(arr) or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"loss must be real, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("loss contains non-finite entries (NaN or inf): the run diverged")
    if floor is None:
        eps = np.finfo(arr.dtype).eps if np.issubdtype(arr.dtype, np.floating) else np.finfo(float).eps
        floor = 1e3 * eps * abs(float(arr[0]))
    f = V.real(floor, "floor", low=0.0)
    below = np.nonzero(arr <= f)[0]
    return int(below[0]) if below.size else int(arr.size)
