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

The book's convergence theorem (``thm-pyramid`` in chapter 3) works in the convex set
:math:`\mathcal B = \{\theta : \|W_l - W_l^0\|_2 \le \rho_l\}` with
:math:`\rho_1 = \lambda_F / (2\|X\|_F)`, :math:`\rho_l = \lambda_l/2` for :math:`l \ge 3` (so that
:math:`\sigma_{\min}(F_1) \ge \lambda_F/2` and :math:`\sigma_{\min}(W_l) \ge \lambda_l/2` there, by Weyl) and
:math:`\rho_2 = D_2`, the length :math:`W_2` can travel. Its constants, all explicit
(:func:`norm_bounds`, :func:`smoothness_constant`, :func:`theorem_check`):

* the PL constant :math:`\alpha = \gamma^{2(L-2)}(\lambda_F/2)^2\prod_{l\ge3}(\lambda_l/2)^2`;
* gradient bounds :math:`\|\nabla_{W_l}\Phi\|_F \le a_l\|F_L - Y\|_F`, :math:`a_l = \varphi_{l-1}\prod_{p>l}\bar\lambda_p`,
  with :math:`\varphi_l` a bound on :math:`\|F_l\|_F` in :math:`\mathcal B`;
* trajectory lengths :math:`D_l = 2a_l\sqrt{2\Phi_0}/\alpha`;
* a Lipschitz constant :math:`Q` of :math:`\nabla\Phi` on :math:`\mathcal B` (it needs :math:`\sigma'` to be
  :math:`\beta`-Lipschitz).

:func:`special_init` is the first-layer-width-:math:`N` initialisation (:math:`W_2^0 = 0`, a
large first layer, orthonormal later layers) and :func:`admissible_scale` finds how large the
first layer must be for the theorem to apply; :func:`run` trains and records the weak PL
inequality's two sides at every step.
"""
from __future__ import annotations

from typing import NamedTuple

import math

import jax
import jax.numpy as jnp
import numpy as np

from lib import _validate as V
from lib import linalg, mlp, train
from lib.activations import SmoothLeakyReLU
from lib.kernels import arccos_moments
from lib.report import Hypothesis, TheoremReport

__all__ = [
    "check_topology", "weak_pl_constant", "weak_pl_sides", "LambdaStar", "lambda_star", "lambda_star_closed",
    "special_init", "norm_bounds", "smoothness_constant", "theorem_check", "admissible_scale", "PyramidRun", "run",
]

THEOREM = "Theorem (geometric rate on the full-rank manifold, chapter 3)"


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


def smoothness_constant(phi, lam_bar, beta: float, Y_norm: float) -> float:
    r"""A Lipschitz constant :math:`Q` of :math:`\nabla\Phi` on the ball where :math:`\|W_l\|_2 \le \bar\lambda_l`.

    With :math:`\theta, \theta'` in the ball, :math:`t = \|\theta - \theta'\|` and a unit direction
    :math:`v`, three recursions over the layers (:math:`P_0 = E_0 = K_0 = 0`) bound

    * :math:`\|F_l - F_l'\|_F \le P_l t` and :math:`\|\mathrm dF_l[v]\|_F \le E_l`, with
      :math:`P_l = E_l = \bar\lambda_l E_{l-1} + \varphi_{l-1}` (:math:`\sigma` is 1-Lipschitz);
    * :math:`\|\mathrm dF_l[v] - \mathrm dF_l'[v]\|_F \le K_l t`, with
      :math:`K_l = \beta P_lE_l + \bar\lambda_lK_{l-1} + E_{l-1} + P_{l-1}` (the first term, from
      :math:`|\sigma'(a) - \sigma'(b)| \le \beta|a-b|`, is absent for the linear layer :math:`l = L`).

    Then :math:`\|\nabla\Phi(\theta) - \nabla\Phi(\theta')\| \le (K_L R + E_L P_L)\,t` with
    :math:`R = \|Y\|_F + \varphi_L \ge \|F_L - Y\|_F`.

    Raises ``ValueError`` (``TypeError`` for non-numbers) for negative or non-finite entries, a ``phi`` without
    ``len(lam_bar) + 1`` entries, a negative ``beta`` or ``Y_norm``.
    """
    lam_bar = V.real_sequence(lam_bar, "lam_bar")
    phi = V.real_sequence(phi, "phi", length=len(lam_bar) + 1)
    beta = V.real(beta, "beta", low=0.0)
    Y_norm = V.real(Y_norm, "Y_norm", low=0.0)
    L = len(lam_bar)
    E, K = 0.0, 0.0
    for l in range(1, L + 1):
        E_new = lam_bar[l - 1] * E + phi[l - 1]
        K = (beta * E_new * E_new if l < L else 0.0) + lam_bar[l - 1] * K + 2 * E
        E = E_new
    return K * (Y_norm + phi[L]) + E * E


def theorem_check(net: mlp.MLP, params, X, Y, eta: float | None = None) -> TheoremReport:
    r"""Every hypothesis of chapter 3's theorem, measured at ``params`` (the initialisation).

    * H0: pyramidal topology with :math:`n_1 \ge N`, and :math:`\lambda_F, \lambda_3, \dots, \lambda_L > 0`
      (the initialisation lies on the full-rank manifold);
    * H1: :math:`D_1 \le \rho_1 = \lambda_F/(2\|X\|_F)` (:math:`F_1` keeps :math:`\sigma_{\min} \ge \lambda_F/2`);
    * H2: :math:`\max_{l\ge3} D_l/\rho_l \le 1` with :math:`\rho_l = \lambda_l/2` (the :math:`W_l` keep
      :math:`\sigma_{\min} \ge \lambda_l/2`);
    * H3: :math:`\eta \le 1/Q` (descent lemma). ``eta=None`` takes :math:`\eta = 1/Q`.

    When all hold, :math:`\Phi_k \le (1 - \eta\alpha)^k\Phi_0`: the guaranteed rate is :math:`\eta\alpha`.

    ``params`` is a list or tuple of ``L`` weight matrices. Raises ``TypeError`` for a ``net`` that is not a
    :class:`lib.mlp.MLP`, complex or ``None`` arrays and a non-numeric ``eta``; ``ValueError`` naming the
    argument for the wrong parameterisation or activation, wrong shapes, ``X`` and ``Y`` with different
    ``N``, NaN/inf entries, and an ``eta`` that is not ``None`` or positive and finite.
    """
    V.net(net)
    if net.parameterization != "standard":
        raise ValueError(
            f"the chapter 3 theorem is for the standard parameterisation, got net.parameterization = "
            f"{net.parameterization!r}"
        )
    if not isinstance(net.activation, SmoothLeakyReLU):
        raise ValueError(
            "the chapter 3 theorem needs sigma' in [gamma, 1] with gamma > 0 and a Lipschitz sigma' "
            f"(lib.activations.SmoothLeakyReLU), got activation {net.activation!r}"
        )
    X, Y = V.data(X, Y)
    V.output_columns(net, Y)
    if eta is not None:
        eta = V.real(eta, "eta (step size)", what="None or a positive finite number", low=0.0, low_open=True)
    params = V.params(net, params)
    N, L, gamma = X.shape[0], net.L, net.activation.gamma
    X_norm = float(np.linalg.norm(np.asarray(X, dtype=np.float64)))
    Y_norm = float(np.linalg.norm(np.asarray(Y, dtype=np.float64)))
    F = mlp.features(net, params, X)
    loss0 = float(train.square_loss(F[-1], Y))
    V.finite_measured({"||X||_F": X_norm, "||Y||_F": Y_norm, "Phi_0 (the initial loss)": loss0}, "X, Y or params")
    lam_F = linalg.sigma_min(F[1]) if net.widths[1] >= N else 0.0
    lam = [linalg.sigma_min(W) for W in params[2:]]
    W_norms0 = [linalg.spectral_norm(W) for W in params]
    q = {"N": N, "lam_F": lam_F, "lam": lam, "loss0": loss0, "X_norm": X_norm, "W_norms0": W_norms0}
    try:
        check_topology(net.widths, N)
        topology_note = ""
    except ValueError as err:
        topology_note = str(err)
    full_rank = not topology_note and lam_F > 0 and X_norm > 0 and all(v > 0 for v in lam)
    note0 = topology_note or ("X = 0: rho_1 = lam_F / (2 ||X||_F) is undefined" if X_norm == 0 else
                              "F_1 or some W_l (l >= 3) is rank deficient at initialisation" if not full_rank else "")
    h0 = Hypothesis("H0", "pyramid, n_1 >= N, full rank", float(N), float(net.widths[1]), full_rank, note0)
    if not full_rank:
        failed = [Hypothesis(n, s, math.inf, r, False, "needs H0") for n, s, r in
                  (("H1", "D_1 <= lam_F / (2 ||X||_F)", 0.0), ("H2", "max_(l>=3) D_l / (lam_l / 2) <= 1", 1.0),
                   ("H3", "eta <= 1 / Q", 0.0))]
        return TheoremReport(THEOREM, (h0, *failed), math.nan, q)
    alpha = gamma ** (2 * (L - 2)) * (lam_F / 2) ** 2 * math.prod((v / 2) ** 2 for v in lam)
    rho = [lam_F / (2 * X_norm), 0.0] + [v / 2 for v in lam]
    sigma0 = float(net.activation(jnp.zeros(())))
    # a_2 does not involve lam_bar_2, so rho_2 = D_2 is self-consistent in one pass
    lam_bar = [w + r for w, r in zip(W_norms0, rho)]
    phi = norm_bounds(X_norm, lam_bar, sigma0, N, net.widths)
    a2 = phi[1] * math.prod(lam_bar[2:])
    rho[1] = 2 * a2 * math.sqrt(2 * loss0) / alpha
    lam_bar[1] = W_norms0[1] + rho[1]
    phi = norm_bounds(X_norm, lam_bar, sigma0, N, net.widths)
    a = [phi[l - 1] * math.prod(lam_bar[l:]) for l in range(1, L + 1)]
    D = [2 * a_l * math.sqrt(2 * loss0) / alpha for a_l in a]
    Q = smoothness_constant(phi, lam_bar, net.activation.beta, Y_norm)
    eta = 1.0 / Q if eta is None else float(eta)
    q.update(alpha=alpha, rho=rho, lam_bar=lam_bar, phi=phi, a=a, D=D, Q=Q, eta=eta)
    h2_lhs = max((D[l] / rho[l] for l in range(2, L)), default=0.0)  # L = 2: no layer l >= 3, H2 is vacuous
    hyps = (
        h0,
        Hypothesis("H1", "D_1 <= lam_F / (2 ||X||_F)", D[0], rho[0], D[0] <= rho[0],
                   "W_1 may move far enough to lose the rank of F_1"),
        Hypothesis("H2", "max_(l>=3) D_l / (lam_l / 2) <= 1", h2_lhs, 1.0, h2_lhs <= 1.0,
                   "some W_l (l >= 3) may move far enough to lose its rank"),
        Hypothesis("H3", "eta <= 1 / Q", eta, 1.0 / Q, eta <= 1.0 / Q * (1 + 1e-12),
                   "step size too large for the descent lemma"),
    )
    report = TheoremReport(THEOREM, hyps, math.nan, q)
    return report._replace(rate=eta * alpha) if report.holds else report


def admissible_scale(key, net: mlp.MLP, X, Y, max_doublings: int = 60) -> float | None:
    r"""The smallest ``scale = 2^j`` (``j >= 0``) for which :func:`special_init` satisfies H0-H2, or ``None``.

    H1 and H2 hold once the first layer is large enough: with :math:`W_2^0 = 0`,
    :math:`\Phi_0` does not depend on ``scale`` while :math:`D_1 \propto \text{scale}^{-3}`,
    :math:`\rho_1 \propto \text{scale}` and :math:`D_l \propto \text{scale}^{-2}` (:math:`l \ge 3`), up to lower-order terms.

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
