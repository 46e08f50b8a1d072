r"""One wide layer followed by a pyramid (chapter 3, after Nguyen & Mondelli 2020): building blocks.

The architecture is the standard-parameterised MLP of :mod:`lib.mlp` with
``widths = (d, n_1, n_2, ..., n_L)`` where the first hidden layer is wide,
:math:`n_1 \ge N`, and the rest form a pyramid, :math:`n_2 \ge n_3 \ge \dots \ge n_L`
(:func:`check_topology`). With an activation whose derivative lies in
:math:`[\gamma, 1]` (:class:`lib.activations.SmoothLeakyReLU`), the gradient with respect
to :math:`W_2` obeys the *weak PL inequality*

.. math::

    \|\nabla_{W_2}\Phi\|_F \ \ge\ \gamma^{L-2}\,\sigma_{\min}(F_1)\prod_{l=3}^{L}\sigma_{\min}(W_l)\;\|F_L - Y\|_F ,

useful wherever :math:`F_1` and the :math:`W_l`, :math:`l \ge 3`, have full rank
(:func:`weak_pl_constant`). Its size at LeCun initialisation is governed by
:math:`\lambda_* = \lambda_{\min}(\mathbb E_w[\sigma(Xw)\sigma(Xw)^\top])`, :math:`w \sim \mathcal N(0, I_d/d)`, the
limit of :math:`\lambda_{\min}(F_1F_1^\top)/n_1` (:func:`lambda_star`, :func:`lambda_star_closed`).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lib import linalg, mlp, train
from lib.data import check_data
from lib.kernels import arccos_moments

__all__ = ["check_topology", "weak_pl_constant", "weak_pl_sides", "LambdaStar", "lambda_star", "lambda_star_closed"]


def check_topology(widths, N: int) -> None:
    r"""Raise ``ValueError`` unless ``widths = (d, n_1, ..., n_L)`` has :math:`n_1 \ge N` and :math:`n_2 \ge \dots \ge n_L`."""
    widths = tuple(widths)
    if len(widths) < 3:
        raise ValueError(f"widths must be (d, n_1, ..., n_L) with at least one hidden layer, got {widths}")
    if widths[1] < N:
        raise ValueError(
            f"widths[1] = n_1 = {widths[1]} < N = {N}: the first hidden layer must be at least as wide "
            "as the number of samples"
        )
    for l in range(3, len(widths)):
        if widths[l] > widths[l - 1]:
            raise ValueError(
                f"widths[{l}] = {widths[l]} > widths[{l - 1}] = {widths[l - 1]}: after the first hidden layer "
                "the widths must not increase (pyramidal topology)"
            )


def weak_pl_constant(net: mlp.MLP, params, X) -> float:
    r""":math:`\gamma^{L-2}\,\sigma_{\min}(F_1)\prod_{l=3}^{L}\sigma_{\min}(W_l)`, computed in float64.

    ``gamma`` is the activation's lower derivative bound (0 for ReLU, where the
    inequality says nothing beyond two layers). Requires the pyramidal topology.
    """
    X, _ = check_data(X)
    check_topology(net.widths, X.shape[0])
    F1 = mlp.features(net, params, X)[1]
    value = net.activation.gamma ** (net.L - 2) * linalg.sigma_min(F1)
    for W in params[2:]:
        value *= linalg.sigma_min(W)
    return float(value)


def weak_pl_sides(net: mlp.MLP, params, X, Y):
    r"""Both sides of the weak PL inequality: ``(||grad_{W_2} Phi||_F, constant * ||F_L - Y||_F)``."""
    X, Y = check_data(X, Y)
    grads = jax.grad(lambda p: train.square_loss(mlp.apply(net, p, X), Y))(list(params))
    residual = float(jnp.linalg.norm(mlp.apply(net, params, X) - Y))
    return float(jnp.linalg.norm(grads[1])), weak_pl_constant(net, params, X) * residual


class LambdaStar(NamedTuple):
    r"""A Monte Carlo estimate of :math:`\lambda_*` with a bootstrap confidence interval."""

    estimate: float  # lambda_min of the Monte Carlo kernel matrix
    low: float  # lower end of the confidence interval
    high: float  # upper end
    num_samples: int  # number of first-layer weight vectors drawn


def lambda_star(key, X, activation, num_samples: int = 20_000, num_boot: int = 200, level: float = 0.95) -> LambdaStar:
    r"""Monte Carlo estimate of :math:`\lambda_* = \lambda_{\min}(\mathbb E_w[\sigma(Xw)\sigma(Xw)^\top])`, :math:`w \sim \mathcal N(0, I_d/d)`.

    Draws ``num_samples`` vectors :math:`w`, forms :math:`\hat K = \frac1S\sum_s\sigma(Xw_s)\sigma(Xw_s)^\top`
    (exactly :math:`F_1F_1^\top/n_1` for a first layer of width :math:`n_1 = S` at LeCun
    initialisation) and returns :math:`\lambda_{\min}(\hat K)` with a percentile-bootstrap
    interval at ``level`` (resampling the :math:`w_s`).
    """
    X, _ = check_data(X)
    if not isinstance(num_samples, (int, np.integer)) or num_samples < 2:
        raise ValueError(f"num_samples must be an integer >= 2, got {num_samples!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    k_w, k_boot = jax.random.split(key)
    d = X.shape[1]
    F = np.asarray(activation(X @ (jax.random.normal(k_w, (d, num_samples)) / np.sqrt(d))), dtype=np.float64)
    estimate = linalg.lam_min(F @ F.T / num_samples)
    idx = np.asarray(jax.random.randint(k_boot, (num_boot, num_samples), 0, num_samples))
    boot = [linalg.lam_min(F[:, i] @ F[:, i].T / num_samples) for i in idx]
    low, high = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return LambdaStar(estimate, float(low), float(high), int(num_samples))


def lambda_star_closed(X, leak: float = 0.0) -> float:
    r""":math:`\lambda_*` in closed form for the leaky ReLU :math:`\sigma(x) = \mathrm{leak}\cdot x + (1-\mathrm{leak})\,\mathrm{relu}(x)`.

    With :math:`\Sigma = XX^\top/d` (the covariance of :math:`Xw`),
    :math:`\mathbb E[\sigma(u)\sigma(v)] = \mathrm{leak}\,\Sigma_{uv} + (1-\mathrm{leak})^2 k_1(\Sigma)_{uv}`, where :math:`k_1`
    is the degree-1 arc-cosine kernel (:func:`lib.kernels.arccos_moments`) and
    :math:`\mathbb E[u\,\mathrm{relu}(v)] = \Sigma_{uv}/2`. ``leak = 0`` is ReLU. It is the
    :math:`\beta\to\infty` limit of :class:`lib.activations.SmoothLeakyReLU` with
    :math:`\gamma = ` ``leak``.
    """
    X, _ = check_data(X)
    if not 0 <= leak < 1:
        raise ValueError(f"leak must lie in [0, 1), got {leak}")
    S = X @ X.T / X.shape[1]
    diag = jnp.diag(S)
    k1, _ = arccos_moments(diag[:, None], diag[None, :], S)
    # leak^2 S + 2 leak (1 - leak) S/2 + (1 - leak)^2 k1
    K = leak * S + (1 - leak) ** 2 * k1
    return linalg.lam_min(K)
