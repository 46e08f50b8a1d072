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

The book's convergence theorem (``thm-pyramid`` in chapter 3) works in the Frobenius ball
:math:`\mathcal B = \{\theta : \|\theta - \theta_0\|_F \le R\}` of radius
:math:`R = 3\sqrt{2\Phi_0/\alpha}`: the path length of chapter 1's lemma ``lem-path-length``
(:func:`lib.rates.path_length_bound` with sufficient decrease :math:`c = 1/2`) plus one last step,
with the PL constant :math:`\alpha = \gamma^{2(L-2)}(\lambda_F/2)^2\prod_{l\ge3}(\lambda_l/2)^2` that holds on all
of :math:`\mathcal B` once :math:`R \le \lambda_F/(2\|X\|_2)` and :math:`R \le \lambda_l/2` (Weyl). The step size must be
at most :math:`1/Q`, a Lipschitz constant of :math:`\nabla\Phi` on :math:`\mathcal B` (``lem-smooth``:
:func:`norm_bounds`, :func:`smoothness_terms`, :func:`smoothness_constant`). :func:`theorem_check` measures every
hypothesis; :func:`init_summary` and :func:`theorem_report` split it into "measure the initialisation" and
"evaluate the hypotheses", so that :func:`nested_lecun_summaries` can check LeCun initialisations with a first
layer of millions of units without building it. :func:`hessian_norm` and :func:`feature_jacobian_norms` measure
what :math:`Q` and :math:`E_l` bound.

:func:`special_init` is the first-layer-width-:math:`N` initialisation (:math:`W_2^0 = 0`, a
large first layer, orthonormal later layers) and :func:`admissible_scale` finds how large the
first layer must be for the theorem to apply; :func:`run` trains and records the weak PL
inequality's two sides at every step.
"""
from __future__ import annotations

from typing import NamedTuple

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from lib import _validate as V
from lib import linalg, mlp, rates, train
from lib.activations import SmoothLeakyReLU
from lib.kernels import arccos_moments
from lib.report import Hypothesis, TheoremReport

__all__ = [
    "check_topology", "weak_pl_constant", "weak_pl_sides", "LambdaStar", "lambda_star", "lambda_star_closed",
    "special_init", "norm_bounds", "smoothness_terms", "smoothness_constant", "InitSummary", "init_summary",
    "theorem_report", "theorem_check", "nested_lecun_init", "nested_lecun_summaries", "hessian_norm",
    "feature_jacobian_norms", "admissible_scale", "PyramidRun", "run",
]

THEOREM = "Theorem (geometric rate on the full-rank manifold, chapter 3, path-length version)"


def check_topology(widths, N: int) -> None:
    r"""Raise ``ValueError`` unless ``widths = (d, n_1, ..., n_L)`` has :math:`n_1 \ge N` and :math:`n_2 \ge \dots \ge n_L`.

    ``widths`` is a sequence of positive integers (Python or NumPy); ``N`` a positive integer. A width or
    ``N`` that is not an integer raises ``TypeError``, one below 1 ``ValueError``.
    """
    widths = _widths(widths)
    N = V.integer(N, "N")
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


def _widths(widths) -> tuple:
    if widths is None or isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
        raise TypeError(f"widths must be a sequence of positive integers (d, n_1, ..., n_L), got {widths!r}")
    return tuple(V.integer(n, f"widths[{i}]") for i, n in enumerate(widths))


def weak_pl_constant(net: mlp.MLP, params, X) -> float:
    r""":math:`\gamma^{L-2}\,\sigma_{\min}(F_1)\prod_{l=3}^{L}\sigma_{\min}(W_l)`, computed in float64.

    ``gamma`` is the activation's lower derivative bound (0 for ReLU, where the
    inequality says nothing beyond two layers). Requires the pyramidal topology.
    Raises ``TypeError``/``ValueError`` naming the argument for a bad ``net``, ``params`` or ``X``
    (wrong shape, NaN/inf, complex) and ``ValueError`` for a non-pyramidal topology.
    """
    V.net(net)
    X, _ = V.data(X)
    params = V.params(net, params)
    check_topology(net.widths, X.shape[0])
    return float(_weak_pl_constant(net, params, X))


def _weak_pl_constant(net: mlp.MLP, params, X):
    # traceable: used at every step of run()
    value = net.activation.gamma ** (net.L - 2) * linalg.sigma_min(mlp.features(net, params, X)[1])
    for W in params[2:]:
        value = value * linalg.sigma_min(W)
    return value


def weak_pl_sides(net: mlp.MLP, params, X, Y):
    r"""Both sides of the weak PL inequality: ``(||grad_{W_2} Phi||_F, constant * ||F_L - Y||_F)``.

    Raises as :func:`weak_pl_constant`, and ``ValueError`` when ``Y`` does not have ``N`` rows and ``n_L`` columns.
    """
    V.net(net)
    X, Y = V.data(X, Y)
    V.output_columns(net, Y)
    params = V.params(net, params)
    grads = jax.grad(lambda p: train.square_loss(mlp.apply(net, p, X), Y))(list(params))
    residual = float(jnp.linalg.norm(mlp.apply(net, params, X) - Y))
    return float(jnp.linalg.norm(grads[1])), weak_pl_constant(net, params, X) * residual


class LambdaStar(NamedTuple):
    r"""A Monte Carlo estimate :math:`\lambda_{\min}(\hat K_S)` of :math:`\lambda_*` with its bootstrap spread."""

    estimate: float  # lambda_min of the Monte Carlo kernel matrix K_S (biased downward: E <= lambda_*)
    low: float  # lower end of the percentile-bootstrap interval of lambda_min(K_S)
    high: float  # upper end
    num_samples: int  # number of first-layer weight vectors drawn


def lambda_star(key, X, activation, num_samples: int = 20_000, num_boot: int = 200, level: float = 0.95) -> LambdaStar:
    r"""Monte Carlo estimate of :math:`\lambda_* = \lambda_{\min}(\mathbb E_w[\sigma(Xw)\sigma(Xw)^\top])`, :math:`w \sim \mathcal N(0, I_d/d)`.

    Draws ``num_samples`` vectors :math:`w`, forms :math:`\hat K = \frac1S\sum_s\sigma(Xw_s)\sigma(Xw_s)^\top`
    (exactly :math:`F_1F_1^\top/n_1` for a first layer of width :math:`n_1 = S` at LeCun
    initialisation) and returns :math:`\lambda_{\min}(\hat K)` with a percentile-bootstrap
    interval at ``level`` (resampling the :math:`w_s`). The interval describes the spread of
    :math:`\lambda_{\min}(\hat K_S)`, not a confidence interval for :math:`\lambda_*`: :math:`\lambda_{\min}` is concave, so
    :math:`\mathbb E\,\lambda_{\min}(\hat K_S) \le \lambda_*` (the estimate is biased downward) and the bootstrap
    inherits the bias.

    Raises ``TypeError`` for a ``key`` that is not a JAX key, a non-callable ``activation`` and non-integer
    counts; ``ValueError`` for a bad ``X``, ``num_samples < 2``, ``num_boot < 1`` or ``level`` outside (0, 1).
    """
    key = V.key(key)
    X, _ = V.data(X)
    if not callable(activation):
        raise TypeError(f"activation must be a callable (a lib.activations activation), got {activation!r}")
    num_samples = V.integer(num_samples, "num_samples", minimum=2)
    num_boot = V.integer(num_boot, "num_boot")
    level = V.real(level, "level", low=0.0, high=1.0, low_open=True, high_open=True)
    k_w, k_boot = jax.random.split(key)
    d = X.shape[1]
    F = np.asarray(activation(X @ (jax.random.normal(k_w, (d, num_samples)) / np.sqrt(d))), dtype=np.float64)
    if F.shape != (X.shape[0], num_samples) or not np.all(np.isfinite(F)):
        raise ValueError(f"activation must map a finite (N, S) array to a finite one of the same shape, got shape "
                         f"{F.shape} with {int(np.size(F) - np.count_nonzero(np.isfinite(F)))} non-finite entries")
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
    :math:`\gamma = ` ``leak``. Raises ``ValueError`` (``TypeError`` for complex or non-numeric input) for a
    bad ``X`` or a ``leak`` outside [0, 1). An ``X`` with a zero row gives ``0.0`` (that row of the kernel vanishes).
    """
    X, _ = V.data(X)
    leak = V.real(leak, "leak", low=0.0, high=1.0, high_open=True)
    if np.any(np.all(np.asarray(X) == 0, axis=1)):
        return 0.0  # a zero row x_i has sigma(x_i^T w) = 0 for every w: row i of the kernel matrix vanishes
    S = X @ X.T / X.shape[1]
    diag = jnp.diag(S)
    k1, _ = arccos_moments(diag[:, None], diag[None, :], S)
    # leak^2 S + 2 leak (1 - leak) S/2 + (1 - leak)^2 k1
    K = leak * S + (1 - leak) ** 2 * k1
    return linalg.lam_min(K)


def special_init(key, net: mlp.MLP, scale: float) -> list:
    r"""The initialisation that needs a first layer of width only :math:`N` (chapter 3).

    * :math:`W_1^0 = ` ``scale`` :math:`\times` LeCun (:math:`\mathcal N(0, \text{scale}^2/d)` entries): with
      :math:`n_1 \ge N` the features :math:`F_1 = \sigma(XW_1^0)` have full row rank and
      :math:`\sigma_{\min}(F_1)` grows linearly in ``scale``;
    * :math:`W_2^0 = 0`, as in Nguyen & Mondelli's first example: the network starts as a
      constant function, so :math:`\Phi_0` does not grow with ``scale``;
    * :math:`W_l^0`, :math:`l \ge 3`: orthonormal columns (the :math:`Q` of a Gaussian matrix's QR),
      so :math:`\sigma_{\min}(W_l^0) = \|W_l^0\|_2 = 1`, which needs :math:`n_{l-1} \ge n_l` (the pyramid).

    Raises ``TypeError`` for a bad ``key``, ``net`` or non-numeric ``scale``; ``ValueError`` for a ``scale``
    that is not positive and finite, ``L < 3`` or a non-pyramidal topology.
    """
    key = V.key(key)
    V.net(net)
    if net.parameterization != "standard":
        raise ValueError(f"special_init is for the standard parameterisation, got net.parameterization = "
                         f"{net.parameterization!r}")
    scale = V.real(scale, "scale (of the first layer)", low=0.0, low_open=True)
    if net.L < 3:
        raise ValueError(f"special_init needs L >= 3 layers (widths (d, n_1, n_2, ..., n_L)), got widths {net.widths}")
    for l in range(3, net.L + 1):
        if net.widths[l] > net.widths[l - 1]:
            raise ValueError(
                f"widths[{l}] = {net.widths[l]} > widths[{l - 1}] = {net.widths[l - 1]}: orthonormal columns "
                "need a pyramidal topology"
            )
    keys = jax.random.split(key, net.L)
    d, n1 = net.widths[:2]
    params = [scale * jax.random.normal(keys[0], (d, n1)) / math.sqrt(d), jnp.zeros(net.widths[1:3])]
    for l in range(3, net.L + 1):
        G = jax.random.normal(keys[l - 1], (net.widths[l - 1], net.widths[l]))
        Qm, R = jnp.linalg.qr(G)
        params.append(Qm * jnp.sign(jnp.diag(R)))
    return params


def norm_bounds(X_norm: float, lam_bar, sigma0: float, N: int, widths) -> list:
    r""":math:`\varphi_0, \dots, \varphi_L`: bounds on :math:`\|F_l\|_F` wherever :math:`\|W_l\|_2 \le \bar\lambda_l`.

    :math:`\varphi_0 = \|X\|_F`, :math:`\varphi_l = \bar\lambda_l\varphi_{l-1} + |\sigma(0)|\sqrt{Nn_l}` for
    :math:`l < L` (as :math:`|\sigma(x)| \le |\sigma(0)| + |x|`), :math:`\varphi_L = \bar\lambda_L\varphi_{L-1}`.

    Raises ``ValueError`` (``TypeError`` for non-numbers) for a negative or non-finite ``X_norm`` or
    ``lam_bar`` entry, a non-finite ``sigma0``, a non-positive ``N`` or ``widths`` without ``L + 1`` entries.
    """
    X_norm = V.real(X_norm, "X_norm", low=0.0)
    lam_bar = V.real_sequence(lam_bar, "lam_bar")
    sigma0 = V.real(sigma0, "sigma0")
    N = V.integer(N, "N")
    widths = _widths(widths)
    L = len(lam_bar)
    if len(widths) != L + 1:
        raise ValueError(f"widths must have len(lam_bar) + 1 = {L + 1} entries (d, n_1, ..., n_L), got {widths}")
    phi = [X_norm]
    for l in range(1, L + 1):
        offset = abs(sigma0) * math.sqrt(N * widths[l]) if l < L else 0.0
        phi.append(lam_bar[l - 1] * phi[-1] + offset)
    return phi


def smoothness_terms(phi, lam_bar, beta: float):
    r"""The recursions of ``lem-smooth``: ``(E, K)``, lists :math:`E_0, \dots, E_L` and :math:`K_0, \dots, K_L`.

    :math:`E_0 = K_0 = 0`, :math:`E_l = \bar\lambda_lE_{l-1} + \varphi_{l-1}` and
    :math:`K_l = \beta E_l^2\,[l < L] + \bar\lambda_lK_{l-1} + 2E_{l-1}`. On the set where
    :math:`\|W_l\|_2 \le \bar\lambda_l` (and :math:`\|F_l\|_F \le \varphi_l`), :math:`E_l` bounds
    :math:`\|F_l(\theta) - F_l(\theta')\|_F / \|\theta - \theta'\|` and the norm of the derivative
    :math:`\mathrm dF_l` as a linear map of the parameters (so :math:`\|J\|_2 \le E_L`), and :math:`K_l` the
    Lipschitz constant of :math:`\theta \mapsto \mathrm dF_l[v]` for unit :math:`v`.

    Raises as :func:`smoothness_constant`.
    """
    lam_bar = V.real_sequence(lam_bar, "lam_bar")
    phi = V.real_sequence(phi, "phi", length=len(lam_bar) + 1)
    beta = V.real(beta, "beta", low=0.0)
    L = len(lam_bar)
    E, K = [0.0], [0.0]
    for l in range(1, L + 1):
        E.append(lam_bar[l - 1] * E[-1] + phi[l - 1])
        K.append((beta * E[l] * E[l] if l < L else 0.0) + lam_bar[l - 1] * K[-1] + 2 * E[l - 1])
    return E, K


def smoothness_constant(phi, lam_bar, beta: float, Y_norm: float) -> float:
    r"""A Lipschitz constant :math:`Q = K_L(\|Y\|_F + \varphi_L) + E_L^2` of :math:`\nabla\Phi` (``lem-smooth``).

    Valid on a convex set where :math:`\|W_l\|_2 \le \bar\lambda_l` for every layer, with :math:`E_l, K_l` the
    recursions of :func:`smoothness_terms`: for :math:`\theta, \theta'` in the set, :math:`t = \|\theta - \theta'\|`,
    :math:`\|F_l - F_l'\|_F \le E_l t`, :math:`\|\mathrm dF_l[v] - \mathrm dF_l'[v]\|_F \le K_l t` for unit :math:`v`,
    and :math:`\|F_L - Y\|_F \le \|Y\|_F + \varphi_L`.

    Raises ``ValueError`` (``TypeError`` for non-numbers) for negative or non-finite entries, a ``phi`` without
    ``len(lam_bar) + 1`` entries, a negative ``beta`` or ``Y_norm``.
    """
    E, K = smoothness_terms(phi, lam_bar, beta)
    Y_norm = V.real(Y_norm, "Y_norm", low=0.0)
    phi = V.real_sequence(phi, "phi")
    return K[-1] * (Y_norm + phi[-1]) + E[-1] * E[-1]


class InitSummary(NamedTuple):
    r"""What chapter 3's theorem needs to know about an initialisation :math:`\theta_0` and the data."""

    widths: tuple  # (d, n_1, ..., n_L)
    N: int  # number of samples
    lam_F: float  # lambda_F = sigma_min(F_1^0), 0.0 when n_1 < N
    lam: tuple  # lambda_l = sigma_min(W_l^0), l = 3..L
    W_norms: tuple  # ||W_l^0||_2, l = 1..L
    loss0: float  # Phi_0 = ||F_L^0 - Y||_F^2 / 2
    X_fro: float  # ||X||_F
    X_spec: float  # ||X||_2
    Y_norm: float  # ||Y||_F


def init_summary(net: mlp.MLP, params, X, Y) -> InitSummary:
    r"""The :class:`InitSummary` of ``params`` (the initialisation :math:`\theta_0`) on ``X: (N, d)``, ``Y: (N, n_L)``.

    Singular values and norms in float64. Raises ``TypeError`` for a ``net`` that is not a :class:`lib.mlp.MLP`
    and for complex or ``None`` arrays; ``ValueError`` naming the argument for the wrong parameterisation, wrong
    shapes, ``X`` and ``Y`` with different ``N`` and NaN/inf entries.
    """
    V.net(net)
    if net.parameterization != "standard":
        raise ValueError(
            f"the chapter 3 theorem is for the standard parameterisation, got net.parameterization = "
            f"{net.parameterization!r}"
        )
    X, Y = V.data(X, Y)
    V.output_columns(net, Y)
    params = V.params(net, params)
    N = X.shape[0]
    X64 = np.asarray(X, dtype=np.float64)
    F = mlp.features(net, params, X)
    lam_F = linalg.sigma_min(F[1]) if net.widths[1] >= N else 0.0
    summary = InitSummary(
        widths=tuple(net.widths), N=N, lam_F=lam_F, lam=tuple(linalg.sigma_min(W) for W in params[2:]),
        W_norms=tuple(linalg.spectral_norm(W) for W in params), loss0=float(train.square_loss(F[-1], Y)),
        X_fro=float(np.linalg.norm(X64)), X_spec=float(np.linalg.norm(X64, 2)),
        Y_norm=float(np.linalg.norm(np.asarray(Y, dtype=np.float64))))
    V.finite_measured({"||X||_F": summary.X_fro, "||Y||_F": summary.Y_norm, "Phi_0 (the initial loss)": summary.loss0},
                      "X, Y or params")
    return summary


def theorem_report(summary: InitSummary, activation, eta: float | None = None) -> TheoremReport:
    r"""Chapter 3's theorem (``thm-pyramid``), its hypotheses measured from an :class:`InitSummary`.

    With :math:`\alpha = \gamma^{2(L-2)}(\lambda_F/2)^2\prod_{l\ge3}(\lambda_l/2)^2` and the radius
    :math:`R = 2\sqrt{2\Phi_0/\alpha} + \sqrt{2\Phi_0/\alpha}` (the path length of ``lem-path-length`` with
    :math:`c = 1/2`, :func:`lib.rates.path_length_bound`, plus one last step) of the Frobenius ball
    :math:`\mathcal B = \{\theta : \|\theta - \theta_0\|_F \le R\}`:

    * H0: pyramidal topology with :math:`n_1 \ge N`, and :math:`\lambda_F, \lambda_3, \dots, \lambda_L, \|X\|_2 > 0`;
    * H1: :math:`R \le \lambda_F/(2\|X\|_2)` (:math:`F_1` keeps :math:`\sigma_{\min} \ge \lambda_F/2` on :math:`\mathcal B`);
    * H2: :math:`\max_{l\ge3} R/(\lambda_l/2) \le 1` (the :math:`W_l` keep :math:`\sigma_{\min} \ge \lambda_l/2`);
    * H3: :math:`\eta \le 1/Q`, :math:`Q` from :func:`smoothness_constant` with :math:`\bar\lambda_l = \|W_l^0\|_2 + R`.
      ``eta=None`` takes :math:`\eta = 1/Q`.

    When all hold, :math:`\|\theta_k - \theta_0\|_F \le R` and :math:`\Phi_k \le (1 - \eta\alpha)^k\Phi_0`: the
    guaranteed rate is :math:`\eta\alpha`. ``quantities`` holds every constant and ``slack``, the factor by which
    each of H1-H3 holds (right side over left side; below 1 when it fails).

    Raises ``TypeError`` for a ``summary`` that is not an :class:`InitSummary` or a non-numeric ``eta``;
    ``ValueError`` for an ``activation`` that is not a :class:`lib.activations.SmoothLeakyReLU` and an ``eta``
    that is not ``None`` or positive and finite.
    """
    if not isinstance(summary, InitSummary):
        raise TypeError(f"summary must be a lib.pyramid.InitSummary (from init_summary), got {type(summary).__name__}")
    if not isinstance(activation, SmoothLeakyReLU):
        raise ValueError(
            "the chapter 3 theorem needs sigma' in [gamma, 1] with gamma > 0 and a Lipschitz sigma' "
            f"(lib.activations.SmoothLeakyReLU), got activation {activation!r}"
        )
    if eta is not None:
        eta = V.real(eta, "eta (step size)", what="None or a positive finite number", low=0.0, low_open=True)
    s = summary
    widths, N, L, gamma = s.widths, s.N, len(s.widths) - 1, activation.gamma
    q = {"N": N, "lam_F": s.lam_F, "lam": list(s.lam), "loss0": s.loss0, "X_fro": s.X_fro, "X_spec": s.X_spec,
         "W_norms0": list(s.W_norms)}
    try:
        check_topology(widths, N)
        topology_note = ""
    except ValueError as err:
        topology_note = str(err)
    full_rank = not topology_note and s.lam_F > 0 and s.X_spec > 0 and all(v > 0 for v in s.lam)
    note0 = topology_note or ("X = 0: the radius lam_F / (2 ||X||_2) is undefined" if s.X_spec == 0 else
                              "F_1 or some W_l (l >= 3) is rank deficient at initialisation" if not full_rank else "")
    h0 = Hypothesis("H0", "pyramid, n_1 >= N, full rank", float(N), float(widths[1]), full_rank, note0)
    statements = (("H1", "R <= lam_F / (2 ||X||_2)", 0.0), ("H2", "max_(l>=3) R / (lam_l / 2) <= 1", 1.0),
                  ("H3", "eta <= 1 / Q", 0.0))
    if not full_rank:
        failed = [Hypothesis(n, st, math.inf, r, False, "needs H0") for n, st, r in statements]
        return TheoremReport(THEOREM, (h0, *failed), math.nan, q)
    alpha = gamma ** (2 * (L - 2)) * (s.lam_F / 2) ** 2 * math.prod((v / 2) ** 2 for v in s.lam)
    path = rates.path_length_bound(s.loss0, alpha, decrease=0.5)   # lem-path-length, sufficient decrease c = 1/2
    last_step = math.sqrt(2 * s.loss0 / alpha)                     # eta ||g_k|| <= sqrt(2 Phi_0) / E_L <= this
    R = path + last_step
    lam_bar = [w + R for w in s.W_norms]
    phi = norm_bounds(s.X_fro, lam_bar, float(activation(jnp.zeros(()))), N, widths)
    E, K = smoothness_terms(phi, lam_bar, activation.beta)
    Q = K[-1] * (s.Y_norm + phi[-1]) + E[-1] ** 2
    eta = 1.0 / Q if eta is None else float(eta)
    rho1 = s.lam_F / (2 * s.X_spec)
    h2_ratios = [R / (v / 2) for v in s.lam]
    h2_lhs = max(h2_ratios, default=0.0)  # L = 2: no layer l >= 3, H2 is vacuous
    slack = {"H1": rho1 / R if R > 0 else math.inf, "H2": 1.0 / h2_lhs if h2_lhs > 0 else math.inf,
             "H3": (1.0 / Q) / eta}
    q.update(alpha=alpha, path_length=path, last_step=last_step, R=R, rho1=rho1, h2_ratios=h2_ratios,
             lam_bar=lam_bar, phi=phi, E=E, K=K, Q=Q, eta=eta, slack=slack)
    hyps = (
        h0,
        Hypothesis("H1", statements[0][1], R, rho1, R <= rho1, "W_1 may move far enough to lose the rank of F_1"),
        Hypothesis("H2", statements[1][1], h2_lhs, 1.0, h2_lhs <= 1.0,
                   "some W_l (l >= 3) may move far enough to lose its rank"),
        Hypothesis("H3", statements[2][1], eta, 1.0 / Q, eta <= 1.0 / Q * (1 + 1e-12),
                   "step size too large for the descent lemma"),
    )
    report = TheoremReport(THEOREM, hyps, math.nan, q)
    return report._replace(rate=eta * alpha) if report.holds else report


def theorem_check(net: mlp.MLP, params, X, Y, eta: float | None = None) -> TheoremReport:
    r"""Every hypothesis of chapter 3's theorem (``thm-pyramid``), measured at ``params`` (the initialisation).

    :func:`init_summary` followed by :func:`theorem_report` (which lists the hypotheses H0-H3 and the
    constants). ``params`` is a list or tuple of ``L`` weight matrices. Raises ``TypeError`` for a ``net`` that
    is not a :class:`lib.mlp.MLP`, complex or ``None`` arrays and a non-numeric ``eta``; ``ValueError`` naming
    the argument for the wrong parameterisation or activation, wrong shapes, ``X`` and ``Y`` with different
    ``N``, NaN/inf entries, and an ``eta`` that is not ``None`` or positive and finite.
    """
    V.net(net)
    if not isinstance(net.activation, SmoothLeakyReLU):
        raise ValueError(
            "the chapter 3 theorem needs sigma' in [gamma, 1] with gamma > 0 and a Lipschitz sigma' "
            f"(lib.activations.SmoothLeakyReLU), got activation {net.activation!r}"
        )
    if eta is not None:
        eta = V.real(eta, "eta (step size)", what="None or a positive finite number", low=0.0, low_open=True)
    return theorem_report(init_summary(net, params, X, Y), net.activation, eta)


def _lecun_keys(key, L: int):
    return jax.random.split(key, L)


def _first_layer_chunk(keys, d: int, n2: int, chunk: int, i: int):
    """Columns ``i*chunk .. (i+1)*chunk - 1`` of ``Z_1`` (d, chunk) and rows of ``Z_2`` (chunk, n2), standard normal."""
    return (jax.random.normal(jax.random.fold_in(keys[0], i), (d, chunk)),
            jax.random.normal(jax.random.fold_in(keys[1], i), (chunk, n2)))


def _check_nested(name: str, key, net, chunk):
    """The arguments shared by the nested LeCun functions: a key, a standard network with L >= 2, a chunk size."""
    key = V.key(key)
    V.net(net)
    chunk = V.integer(chunk, "chunk")
    if net.parameterization != "standard":
        raise ValueError(f"{name} is for the standard parameterisation, got net.parameterization = "
                         f"{net.parameterization!r}")
    if net.L < 2:
        raise ValueError(f"{name} needs L >= 2 layers (a first layer and W_2), got widths {net.widths}")
    return key, chunk


def nested_lecun_init(key, net: mlp.MLP, chunk: int = 4096) -> list:
    r"""LeCun weights for ``net`` whose first layer is the first :math:`n_1` columns of one infinite draw.

    :math:`W_1 = Z_1[:, :n_1]/\sqrt d`, :math:`W_2 = Z_2[:n_1]/\sqrt{n_1}` with standard normal :math:`Z_1, Z_2`
    drawn ``chunk`` columns (rows) at a time, and :math:`W_l = Z_l/\sqrt{n_{l-1}}` for :math:`l \ge 3`: each is a
    LeCun draw (:math:`\mathcal N(0, 1/n_{l-1})` entries), and networks of different :math:`n_1` from one ``key`` are
    nested. :func:`nested_lecun_summaries` computes their :class:`InitSummary` without building :math:`W_1`.

    Raises ``TypeError`` for a bad ``key`` or ``net`` and a non-integer ``chunk``; ``ValueError`` for ``chunk < 1``,
    ``L < 2`` or a parameterisation other than ``"standard"``.
    """
    key, chunk = _check_nested("nested_lecun_init", key, net, chunk)
    d, n1, n2 = net.widths[:3]
    keys = _lecun_keys(key, net.L)
    blocks = [_first_layer_chunk(keys, d, n2, chunk, i) for i in range(-(-n1 // chunk))]
    W1 = jnp.concatenate([b[0] for b in blocks], axis=1)[:, :n1] / math.sqrt(d)
    W2 = jnp.concatenate([b[1] for b in blocks], axis=0)[:n1] / math.sqrt(n1)
    later = [jax.random.normal(keys[l - 1], net.widths[l - 1:l + 1]) / math.sqrt(net.widths[l - 1])
             for l in range(3, net.L + 1)]
    return [W1, W2, *later]


def nested_lecun_summaries(key, net: mlp.MLP, X, Y, n1_grid, chunk: int = 4096, until=None) -> list:
    r""":func:`init_summary` of :func:`nested_lecun_init` for every first-layer width in ``n1_grid``, in one pass.

    ``net`` has widths :math:`(d, n_{\max}, n_2, \dots, n_L)`; each :math:`n_1` in ``n1_grid`` (at most
    :math:`n_{\max}`) gives the network :math:`(d, n_1, n_2, \dots, n_L)`. The theorem needs only
    :math:`F_1F_1^\top = \sum_j \sigma(Xw_j)\sigma(Xw_j)^\top` (:math:`N\times N`), :math:`F_1Z_2`
    (:math:`N\times n_2`), :math:`W_1W_1^\top` (:math:`d\times d`) and :math:`Z_2^\top Z_2`, which are sums over
    the first-layer units: they are accumulated ``chunk`` units at a time (prefix sums, float64 accumulators), so
    the memory does not grow with :math:`n_1` and every width of the grid comes from one draw. Returns a list of
    :class:`InitSummary`, in the order of ``n1_grid``. With ``until`` (a function of an :class:`InitSummary`
    returning a bool), the pass stops at the first width, in increasing order, where ``until`` is true: the list then
    holds the summaries of the grid's widths up to that one, in increasing order.

    Raises as :func:`nested_lecun_init` and :func:`init_summary`, ``ValueError``/``TypeError`` naming
    ``n1_grid`` for an empty grid, a non-integer entry or one outside :math:`[1, n_{\max}]`, and ``TypeError`` for
    an ``until`` that is neither ``None`` nor callable.
    """
    key, chunk = _check_nested("nested_lecun_summaries", key, net, chunk)
    X, Y = V.data(X, Y)
    V.output_columns(net, Y)
    if X.shape[1] != net.widths[0]:
        raise ValueError(f"X must have d = widths[0] = {net.widths[0]} columns, got shape {X.shape}")
    if n1_grid is None or isinstance(n1_grid, (str, bytes)) or not hasattr(n1_grid, "__iter__"):
        raise TypeError(f"n1_grid must be a sequence of first-layer widths, got {n1_grid!r}")
    grid = [V.integer(n, f"n1_grid[{i}]") for i, n in enumerate(n1_grid)]
    if not grid:
        raise ValueError("n1_grid must hold at least one first-layer width, got an empty sequence")
    if max(grid) > net.widths[1]:
        raise ValueError(f"n1_grid entries must be at most widths[1] = {net.widths[1]}, got {max(grid)}")
    if until is not None:
        V.callable_arg(until, "until", "None or a function of an InitSummary returning a bool")
    act, L = net.activation, net.L
    (N, d), n2 = X.shape, net.widths[2]
    keys = _lecun_keys(key, L)
    later = [np.asarray(jax.random.normal(keys[l - 1], net.widths[l - 1:l + 1]), dtype=np.float64)
             / math.sqrt(net.widths[l - 1]) for l in range(3, L + 1)]
    X64, Y64 = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    X_fro, X_spec, Y_norm = float(np.linalg.norm(X64)), float(np.linalg.norm(X64, 2)), float(np.linalg.norm(Y64))

    hi_prec = jax.lax.Precision.HIGHEST

    @jax.jit
    def block(i, m):
        # the grams of units i*chunk .. i*chunk + m - 1 (columns of Z_1, rows of Z_2)
        Z1, Z2 = _first_layer_chunk(keys, d, n2, chunk, i)
        keep = (jnp.arange(chunk) < m).astype(Z1.dtype)
        Z1, Z2 = Z1 * keep, Z2 * keep[:, None]
        S = act(jnp.matmul(X, Z1 / math.sqrt(d), precision=hi_prec)) * keep
        return (jnp.matmul(S, S.T, precision=hi_prec), jnp.matmul(S, Z2, precision=hi_prec),
                jnp.matmul(Z1, Z1.T, precision=hi_prec) / d, jnp.matmul(Z2.T, Z2, precision=hi_prec))

    def grams(i, m):
        return [np.asarray(a, dtype=np.float64) for a in block(i, m)]

    acc = [np.zeros((N, N)), np.zeros((N, n2)), np.zeros((d, d)), np.zeros((n2, n2))]
    out = {}
    todo = sorted(set(grid))
    for i in range(-(-max(todo) // chunk)):
        lo, hi = i * chunk, (i + 1) * chunk
        for n in [n for n in todo if lo < n <= hi]:
            G, H, Gw, Gz = (a + b for a, b in zip(acc, grams(i, n - lo)))
            out[n] = _summary_from_sums(net, n, G, H, Gw, Gz, later, Y64, X_fro, X_spec, Y_norm)
            if until is not None and until(out[n]):
                return [out[k] for k in sorted(out)]
        if hi < max(todo):
            acc = [a + b for a, b in zip(acc, grams(i, chunk))]
    return [out[n] for n in grid]


def _summary_from_sums(net, n1, G, H, Gw, Gz, later, Y64, X_fro, X_spec, Y_norm):
    N, L, act = G.shape[0], net.L, net.activation
    lam_F = math.sqrt(max(float(np.linalg.eigvalsh(G)[0]), 0.0)) if n1 >= N else 0.0
    out = H / math.sqrt(n1)                            # G_2 = F_1 W_2; the output when L = 2
    for W in later:                                    # F_{l-1} = sigma(G_{l-1}), G_l = F_{l-1} W_l
        out = np.asarray(act(jnp.asarray(out)), dtype=np.float64) @ W
    loss0 = 0.5 * float(np.sum((out - Y64) ** 2))
    W_norms = (math.sqrt(float(np.linalg.eigvalsh(Gw)[-1])), math.sqrt(float(np.linalg.eigvalsh(Gz)[-1]) / n1),
               *(float(np.linalg.norm(W, 2)) for W in later))
    lam = tuple(float(np.linalg.svd(W, compute_uv=False)[-1]) for W in later)
    widths = (net.widths[0], n1, *net.widths[2:])
    return InitSummary(widths, N, lam_F, lam, W_norms, loss0, X_fro, X_spec, Y_norm)


def hessian_norm(net: mlp.MLP, params, X, Y, key, num_iters: int = 100) -> float:
    r"""A lower bound on :math:`\|\nabla^2\Phi(\theta)\|_2` by power iteration on Hessian-vector products.

    Starts from a random unit direction (``key``) and iterates :math:`v \leftarrow Hv/\|Hv\|` ``num_iters``
    times; returns :math:`\|Hv\|` for the last unit :math:`v`, which is at most the largest
    :math:`|\text{eigenvalue}|` of the Hessian and converges to it. Any Lipschitz constant of
    :math:`\nabla\Phi` on a set containing :math:`\theta` (such as :math:`Q` of ``lem-smooth``) is at least this.

    Raises ``TypeError`` for a bad ``net``, ``key`` or non-integer ``num_iters``; ``ValueError`` for
    ``num_iters < 1`` and bad ``params``, ``X``, ``Y`` as :func:`theorem_check`.
    """
    V.net(net)
    X, Y = V.data(X, Y)
    V.output_columns(net, Y)
    params = V.params(net, params)
    key = V.key(key)
    num_iters = V.integer(num_iters, "num_iters")
    return float(_hessian_norm(net, params, X, Y, key, num_iters))


@functools.partial(jax.jit, static_argnums=(0, 5))
def _hessian_norm(net, params, X, Y, key, num_iters):
    def loss(p):
        return train.square_loss(mlp.apply(net, p, X), Y)

    def hvp(v):
        return jax.jvp(jax.grad(loss), (params,), (v,))[1]

    def norm(v):
        return jnp.sqrt(sum(jnp.sum(a ** 2) for a in v))

    keys = jax.random.split(key, len(params))
    v = [jax.random.normal(k, W.shape, W.dtype) for k, W in zip(keys, params)]
    v = [a / norm(v) for a in v]

    def body(_, carry):
        v, _ = carry
        Hv = hvp(v)
        n = norm(Hv)
        return [a / jnp.maximum(n, jnp.finfo(n.dtype).tiny) for a in Hv], n

    _, n = jax.lax.fori_loop(0, num_iters, body, (v, jnp.zeros((), params[0].dtype)))
    return n


def feature_jacobian_norms(net: mlp.MLP, params, X, key, num_iters: int = 100) -> list:
    r"""Lower bounds on :math:`\|\mathrm dF_l\|_2 = \sup_{\|v\| = 1}\|\mathrm dF_l[v]\|_F`, :math:`l = 1, \dots, L`.

    :math:`\mathrm dF_l` is the derivative of the features :math:`F_l(\theta)` with respect to all parameters;
    power iteration on :math:`v \mapsto \mathrm dF_l^*\,\mathrm dF_l[v]` (``num_iters`` steps from a random
    direction, ``key``) returns :math:`\|\mathrm dF_l[v]\|_F` for the last unit :math:`v`. ``lem-smooth`` bounds
    each by :math:`E_l` (:func:`smoothness_terms`).

    Raises ``TypeError`` for a bad ``net``, ``key`` or non-integer ``num_iters``; ``ValueError`` for
    ``num_iters < 1`` and bad ``params`` or ``X``.
    """
    V.net(net)
    X, _ = V.data(X)
    params = V.params(net, params)
    key = V.key(key)
    num_iters = V.integer(num_iters, "num_iters")
    return [float(_jacobian_norm(net, l, params, X, jax.random.fold_in(key, l), num_iters))
            for l in range(1, net.L + 1)]


@functools.partial(jax.jit, static_argnums=(0, 1, 5))
def _jacobian_norm(net, l, params, X, key, num_iters):
    def f(p):
        return mlp.features(net, p, X)[l]

    def norm(v):
        return jnp.sqrt(sum(jnp.sum(a ** 2) for a in v))

    _, vjp = jax.vjp(f, params)
    keys = jax.random.split(key, len(params))
    v = [jax.random.normal(k, W.shape, W.dtype) for k, W in zip(keys, params)]
    v = [a / norm(v) for a in v]

    def body(_, carry):
        v, _ = carry
        Jv = jax.jvp(f, (params,), (v,))[1]
        w = vjp(Jv)[0]
        n = norm(w)
        return [a / jnp.maximum(n, jnp.finfo(n.dtype).tiny) for a in w], jnp.linalg.norm(Jv)

    v, _ = jax.lax.fori_loop(0, num_iters, body, (v, jnp.zeros((), params[0].dtype)))
    return jnp.linalg.norm(jax.jvp(f, (params,), (v,))[1])


def admissible_scale(key, net: mlp.MLP, X, Y, max_doublings: int = 60) -> float | None:
    r"""The smallest ``scale = 2^j`` (``j >= 0``) for which :func:`special_init` satisfies H0-H2, or ``None``.

    H1 and H2 hold once the first layer is large enough: with :math:`W_2^0 = 0`,
    :math:`\Phi_0` does not depend on ``scale`` while :math:`\lambda_F \propto \text{scale}`, so
    :math:`R \propto \text{scale}^{-1}` against :math:`\lambda_F/(2\|X\|_2) \propto \text{scale}` and :math:`\lambda_l/2 = 1/2`.

    Raises as :func:`theorem_check` and :func:`special_init`, ``ValueError`` for a non-pyramidal topology,
    and ``TypeError``/``ValueError`` for a ``max_doublings`` that is not a non-negative integer.
    """
    key = V.key(key)
    V.net(net)
    X, Y = V.data(X, Y)
    V.output_columns(net, Y)
    check_topology(net.widths, X.shape[0])
    max_doublings = V.integer(max_doublings, "max_doublings", minimum=0)
    for j in range(max_doublings + 1):
        report = theorem_check(net, special_init(key, net, 2.0**j), X, Y)
        if all(h.holds for h in report.hypotheses[:3]):
            return 2.0**j
    return None


class PyramidRun(NamedTuple):
    """A gradient-descent run of a pyramidal network with chapter 3's per-step records."""

    params0: list  # initial weights
    params: list  # final weights
    history: train.History  # extras: see run()


def run(net: mlp.MLP, params0, X, Y, eta: float, num_steps: int) -> PyramidRun:
    r"""Gradient descent on all layers, recording at every step :math:`k`:

    * ``"grad_W2"``: :math:`\|\nabla_{W_2}\Phi(\theta_k)\|_F`, the left side of the weak PL inequality;
    * ``"pl_bound"``: its right side, :math:`\gamma^{L-2}\sigma_{\min}(F_1)\prod_{l\ge3}\sigma_{\min}(W_l)\|F_L - Y\|_F`;
    * ``"sigma_min_F1"``: :math:`\sigma_{\min}(F_1(\theta_k))`;
    * ``"sigma_min_W"``: :math:`(\sigma_{\min}(W_l^k))_{l=3..L}`, shape ``(T+1, L-2)``;
    * ``"W_moves"``: :math:`(\|W_l^k - W_l^0\|_2)_{l=1..L}`, shape ``(T+1, L)``;
    * ``"feature_moves"``: :math:`(\|F_l(\theta_k) - F_l(\theta_0)\|_F / \|F_l(\theta_0)\|_F)_{l=1..L-1}`,
      shape ``(T+1, L-1)``.

    Raises as :func:`theorem_check` for bad ``net``, ``params0``, ``X``, ``Y`` and ``eta``; ``ValueError`` for
    a non-pyramidal topology; ``TypeError``/``ValueError`` for a ``num_steps`` that is not a positive integer;
    :class:`lib.train.DivergenceError` when the run diverges.
    """
    V.net(net)
    X, Y = V.data(X, Y)
    V.output_columns(net, Y)
    check_topology(net.widths, X.shape[0])
    params0 = V.params(net, params0, "params0")
    eta = V.real(eta, "eta (step size)", low=0.0, low_open=True)
    num_steps = V.integer(num_steps, "num_steps")
    F0 = mlp.features(net, params0, X)[1:-1]

    def loss_fn(params):
        return train.square_loss(mlp.apply(net, params, X), Y)

    grad_fn = jax.grad(loss_fn)

    def pl_bound(p):
        return _weak_pl_constant(net, p, X) * jnp.linalg.norm(mlp.apply(net, p, X) - Y)

    def feature_moves(p):
        F = mlp.features(net, p, X)[1:-1]
        return jnp.stack([jnp.linalg.norm(f - f0) / jnp.linalg.norm(f0) for f, f0 in zip(F, F0)])

    extras = {
        "grad_W2": lambda p: jnp.linalg.norm(grad_fn(p)[1]),
        "pl_bound": pl_bound,
        "sigma_min_F1": lambda p: linalg.sigma_min(mlp.features(net, p, X)[1]),
        "sigma_min_W": lambda p: jnp.stack([linalg.sigma_min(W) for W in p[2:]]) if net.L > 2 else jnp.zeros((0,)),
        "W_moves": lambda p: jnp.stack([linalg.spectral_norm(W - W0) for W, W0 in zip(p, params0)]),
        "feature_moves": feature_moves,
    }
    params, history = train.gradient_descent(loss_fn, list(params0), eta, num_steps, extras=extras)
    return PyramidRun(list(params0), params, history)
