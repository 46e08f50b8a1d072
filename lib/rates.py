r"""Linear-rate arithmetic: predicted bounds, measured rates, fitted exponents.

A linear (geometric) rate :math:`\rho` means
:math:`\Phi_k - \Phi^* \le (1 - \rho)^k (\Phi_0 - \Phi^*)`. These helpers turn a
theorem's :math:`\rho` into a curve, read the :math:`\rho` a run achieved off
its loss history, and fit power laws (width against :math:`N`) on log-log axes.
:func:`path_length_bound` is the finite-path-length lemma of chapter 1: how far
a run can travel when it decreases the loss enough at every step and PL holds.
"""
from __future__ import annotations

import math

import numpy as np

from lib import _validate as V

__all__ = ["linear_bound", "path_length_bound", "fitted_rate", "loglog_slope"]


def linear_bound(loss0: float, rate: float, num_steps: int, loss_star: float = 0.0) -> np.ndarray:
    r"""The curve :math:`\Phi^* + (1-\rho)^k (\Phi_0 - \Phi^*)`, ``k = 0..num_steps``, as ``(num_steps + 1,)``.

    Raises ``ValueError`` for a ``rate`` outside :math:`(0, 1]`, a ``loss0``
    below ``loss_star``, a non-finite ``loss0`` / ``loss_star`` or a
    negative ``num_steps`` (``TypeError`` for ``None``, strings, complex
    numbers, and a ``num_steps`` that is not an integer). NumPy and JAX scalars are accepted.
    """
    # validated, then used as given (a JAX scalar computes as before)
    V.real(rate, "rate", what="lie in (0, 1]", low=0.0, high=1.0, low_open=True)
    V.real(loss0, "loss0")
    V.real(loss_star, "loss_star")
    num_steps = V.integer(num_steps, "num_steps", minimum=0)
    if not loss0 >= loss_star:
        raise ValueError(f"loss0 = {loss0} must be at least loss_star = {loss_star}")
    k = np.arange(num_steps + 1)
    return loss_star + (loss0 - loss_star) * (1.0 - rate) ** k


def path_length_bound(loss0: float, mu: float, decrease: float = 0.5, loss_star: float = 0.0) -> float:
    r"""The path-length bound :math:`\sqrt{2(\Phi_0 - \Phi^*)/\mu}\,/\,c` of chapter 1's lemma ``lem-path-length``.

    Gradient descent :math:`\theta_{k+1} = \theta_k - \eta\nabla\Phi(\theta_k)` with, at every step
    :math:`k < T`, sufficient decrease :math:`\Phi_k - \Phi_{k+1} \ge c\,\eta\|g_k\|^2` and the PL
    inequality :math:`\|g_k\|^2 \ge 2\mu(\Phi_k - \Phi^*)` travels at most this far in total,
    :math:`\eta\sum_{k<T}\|g_k\|`, whatever :math:`\eta` and :math:`T`. Here :math:`g_k` is the gradient, or
    one block of it (one layer's gradient) when both inequalities hold for that block: the bound is
    then that block's travel. ``decrease`` is :math:`c`: ``0.5`` for a step :math:`\eta \le 1/\beta` on a
    :math:`\beta`-smooth loss (the descent lemma), ``1.0`` for gradient flow
    (:math:`\int_0^t\|\nabla\Phi\|\,ds \le \sqrt{2(\Phi_0 - \Phi^*)/\mu}`). There is no condition number in it.

    Raises ``ValueError`` unless ``mu`` and ``decrease`` are positive and finite and ``loss0 >= loss_star``
    are finite (``TypeError`` for non-numbers); NumPy and JAX scalars are accepted.
    """
    loss0 = V.real(loss0, "loss0")
    loss_star = V.real(loss_star, "loss_star")
    mu = V.real(mu, "mu", low=0.0, low_open=True)
    decrease = V.real(decrease, "decrease", low=0.0, low_open=True)
    if not loss0 >= loss_star:
        raise ValueError(f"loss0 = {loss0} must be at least loss_star = {loss_star}")
    return math.sqrt(2.0 * (loss0 - loss_star) / mu) / decrease


def fitted_rate(loss, start: int = 0, stop: int | None = None, loss_star: float = 0.0) -> float:
    r"""The rate :math:`\rho` of the least-squares fit :math:`\log(\Phi_k - \Phi^*) \approx a + k \log(1-\rho)`.

    ``loss: (T+1,)``; the fit uses steps ``start..stop-1``. Raises ``ValueError``
    when fewer than two usable (positive, finite) points remain, ``loss`` is not
    1-d, ``start`` / ``stop`` are not integers or ``loss_star`` is not finite;
    ``TypeError`` for a complex or non-numeric ``loss``.
    """
    V.real_dtype(loss, "loss")
    loss = np.asarray(loss, dtype=np.float64)
    if loss.ndim != 1:
        raise ValueError(f"loss must be a 1-d loss history (T+1,), got shape {loss.shape}")
    start = V.integer(start, "start", minimum=0)
    if stop is not None:
        stop = V.integer(stop, "stop", minimum=-len(loss), what="an integer (a step index) or None")
    loss_star = V.real(loss_star, "loss_star")
    loss = loss[start:stop] - loss_star
    k = np.arange(start, start + len(loss))
    good = np.isfinite(loss) & (loss > 0)
    if good.sum() < 2:
        raise ValueError(
            f"need at least two positive finite values of loss - loss_star in steps [{start}, {stop}), "
            f"got {int(good.sum())}"
        )
    slope = np.polyfit(k[good], np.log(loss[good]), 1)[0]
    return float(1.0 - np.exp(slope))


def loglog_slope(x, y) -> float:
    r"""Slope :math:`p` of the least-squares fit :math:`\log y \approx c + p \log x` (a power law :math:`y \propto x^p`).

    Raises ``ValueError`` unless ``x`` and ``y`` are 1-d, of the same length
    >= 2, positive and finite, with at least two distinct ``x``; ``TypeError``
    for complex or non-numeric input.
    """
    V.real_dtype(x, "x")
    V.real_dtype(y, "y")
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"x and y must be 1-d arrays of the same length >= 2, got {x.shape} and {y.shape}")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y must be positive for a log-log fit")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite for a log-log fit (an entry is NaN or inf)")
    if np.all(x == x[0]):
        raise ValueError(f"x must hold at least two distinct values for a slope, got all x = {x[0]}")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
