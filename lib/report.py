r"""The report format every chapter's theorem check returns.

A theorem of the book has hypotheses of the form "measured left side
:math:`\le` right side". A :class:`TheoremReport` lists each hypothesis with
both sides as measured on a given network and data set, whether it holds, and
why not when it does not, plus the rate the theorem then guarantees. Reports
print as a plain-text table, so a chapter can show them as they are.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from lib import _validate as V

__all__ = ["Hypothesis", "TheoremReport", "smallest_radii"]


class Hypothesis(NamedTuple):
    """One hypothesis of a theorem, evaluated: ``lhs <= rhs``."""

    name: str  # short label, e.g. "H1"
    statement: str  # the inequality in words or symbols
    lhs: float  # measured left side (inf when it cannot be computed)
    rhs: float  # measured right side
    holds: bool  # whether lhs <= rhs
    note: str = ""  # why it fails, when it does


class TheoremReport(NamedTuple):
    """Every hypothesis of a theorem on one network, and the guaranteed rate if all hold."""

    theorem: str  # which theorem (label in the book)
    hypotheses: tuple  # of Hypothesis
    rate: float  # guaranteed per-step rate rho (Phi_k <= (1 - rho)^k Phi_0); nan unless all hold
    quantities: dict  # the measured constants the hypotheses are built from
    unit: str = "per step"  # what the rate is per: a step of gradient descent, or unit time of gradient flow

    @property
    def holds(self) -> bool:
        """Whether every hypothesis holds (then the theorem's conclusions follow)."""
        return all(h.holds for h in self.hypotheses)

    @property
    def rate_per_time(self) -> float:
        r"""The guaranteed rate per unit time, a unit shared by gradient descent and gradient flow.

        That is :math:`\varrho` with :math:`\Phi \le e^{-\varrho t}\Phi_0` at time :math:`t = k\eta`. A per-step rate
        :math:`\rho` at the step ``quantities["eta"]`` gives :math:`\varrho = -\log(1-\rho)/\eta`; a flow rate is
        returned as it is. nan when the theorem does not hold, or when a per-step report does not record its step.
        """
        if self.unit == "per unit time" or math.isnan(self.rate):
            return self.rate
        eta = self.quantities.get("eta")
        ok = isinstance(eta, (int, float, np.floating)) and eta > 0 and self.rate < 1
        return -math.log1p(-self.rate) / float(eta) if ok else math.nan

    @property
    def failed(self) -> tuple:
        """The names of the hypotheses that fail."""
        return tuple(h.name for h in self.hypotheses if not h.holds)

    def table(self) -> str:
        """A plain-text table: hypothesis, left side, right side, holds, note."""
        lines = [f"{self.theorem}", f"{'':4} {'hypothesis':<44} {'left side':>11} {'right side':>11}  holds"]
        for h in self.hypotheses:
            lines.append(
                f"{h.name:<4} {h.statement:<44} {_fmt(h.lhs):>11} {_fmt(h.rhs):>11}  {'yes' if h.holds else 'NO'}"
                + (f"  ({h.note})" if h.note and not h.holds else "")
            )
        if self.holds:
            lines.append(f"all hypotheses hold: guaranteed rate rho = {self.rate:.4g} {self.unit}")
        else:
            lines.append(f"fails: {', '.join(self.failed)}; the theorem guarantees nothing here")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def smallest_radii(trajectory, n: int, scale: float, max_iter: int = 2000):
    r"""The smallest radii :math:`\rho \in \mathbb R^n_{\ge 0}` with :math:`D(\rho) = \rho`, or ``None``.

    ``trajectory(rho)`` returns the trajectory lengths :math:`D(\rho)` of a theorem whose
    bounds grow with the radii. :math:`D` is increasing, so the iteration
    :math:`\rho \leftarrow D(\rho)` from :math:`\rho = 0` increases to the smallest fixed point when
    one exists; otherwise it grows without bound (beyond ``1e6 * scale``) or becomes infinite.

    Raises ``TypeError`` for a ``trajectory`` that is not callable or a non-integer ``n``/``max_iter``;
    ``ValueError`` for ``n < 1``, ``max_iter < 1``, a ``scale`` that is not positive and finite, and a
    ``trajectory`` that does not return ``n`` real numbers or returns NaN.
    """
    if not callable(trajectory):
        raise TypeError(f"trajectory must be a function rho -> D(rho), got {trajectory!r}")
    n = V.integer(n, "n")
    scale = V.real(scale, "scale", low=0.0, low_open=True)
    max_iter = V.integer(max_iter, "max_iter")
    rho = [0.0] * n
    for _ in range(max_iter):
        new = trajectory(rho)
        if isinstance(new, (str, bytes)) or np.ndim(new) != 1 or len(new) != n:
            raise ValueError(f"trajectory(rho) must return {n} numbers D_1..D_{n}, got {new!r}")
        if np.iscomplexobj(new):
            raise TypeError(f"trajectory(rho) must return real numbers, got {new!r}")
        if any(math.isnan(r) for r in new):
            raise ValueError(f"trajectory(rho) returned NaN at rho = {rho}: D must be finite or +inf")
        if any(not math.isfinite(r) or r > 1e6 * scale for r in new):
            return None
        if all(abs(a - b) <= 1e-12 * max(abs(a), 1e-300) for a, b in zip(new, rho)):
            return new
        rho = new
    return None


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if math.isinf(x):
        return "inf"
    return f"{x:.4g}"
