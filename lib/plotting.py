r"""The book's figure style and its standard plot: measured loss against a predicted bound.

Importing this module sets the house style once (:func:`use_house_style`):
opaque white backgrounds, so figures stay readable in the book theme's dark
mode; one figure size; and a colour cycle paired with line styles and markers
that survives greyscale printing.
"""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.axes
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler

from lib import _validate as V

__all__ = ["use_house_style", "loss_vs_bound", "HOUSE_STYLE"]

#: colours ordered dark to light (distinct in greyscale), each with its own dash pattern
_COLORS = ["#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00"]
_DASHES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]

HOUSE_STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "figure.edgecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "axes.facecolor": "white",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=_COLORS) + cycler(linestyle=_DASHES),
    "font.size": 11,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
}


def use_house_style() -> None:
    """Apply the house style to matplotlib's ``rcParams``."""
    mpl.rcParams.update(HOUSE_STYLE)


def loss_vs_bound(loss, bound, *, ax=None, label: str = "measured", bound_label: str = "guaranteed bound",
                  loss_star: float = 0.0):
    r"""Plot a measured loss curve and a predicted rate bound on one log-scale axis.

    ``loss: (T+1,)`` and ``bound: (T+1,)`` are indexed by the step ``k``; both are
    shown as :math:`\Phi_k - \Phi^*` (``loss_star``) on a logarithmic y-axis, the
    measured curve solid and the bound dashed and grey. Returns the axis.

    Raises ``ValueError`` when ``loss`` and ``bound`` are not 1-d arrays of the same non-zero length or
    contain NaN (``+inf`` in ``bound`` is allowed: a bound that says nothing yet), when ``loss`` has
    infinite entries or ``loss_star`` is not finite; ``TypeError`` for complex or non-numeric arrays, an ``ax``
    that is not a matplotlib ``Axes`` and labels that are not strings.
    """
    loss = _real_curve(loss, "loss")
    bound = _real_curve(bound, "bound")
    loss_star = V.real(loss_star, "loss_star")
    if loss.ndim != 1 or bound.shape != loss.shape:
        raise ValueError(
            f"loss and bound must be 1-d arrays of the same length, got {loss.shape} and {bound.shape}"
        )
    if loss.size == 0:
        raise ValueError("loss and bound must have at least one entry (step k = 0), got empty arrays")
    if np.isnan(loss).any() or np.isinf(loss).any():
        raise ValueError("loss contains NaN or infinite entries: the run diverged (lower eta) or is not a loss curve")
    if np.isnan(bound).any() or np.isneginf(bound).any():
        raise ValueError("bound contains NaN or -inf entries")
    for name, text in (("label", label), ("bound_label", bound_label)):
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a string, got {type(text).__name__} {text!r}")
    if ax is not None and not isinstance(ax, mpl.axes.Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__} {ax!r}")
    loss = loss - loss_star
    bound = bound - loss_star
    if ax is None:
        _, ax = plt.subplots()
    k = np.arange(len(loss))
    ax.semilogy(k, bound, color="0.55", linestyle="--", label=bound_label)
    ax.semilogy(k, loss, color=_COLORS[1], linestyle="-", label=label)
    ax.set_xlabel("step $k$")
    ax.set_ylabel(r"$\Phi(\theta_k) - \Phi^*$" if loss_star else r"$\Phi(\theta_k)$")
    ax.legend()
    return ax


def _real_curve(values, name: str) -> np.ndarray:
    if values is None or isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a 1-d array of numbers, got {values!r}")
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got a complex array (dtype {arr.dtype})")
    if not np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_:
        raise TypeError(f"{name} must be a 1-d array of numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64)


use_house_style()
