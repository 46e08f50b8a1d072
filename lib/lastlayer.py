r"""Chapter 2: convergence tracked through the last hidden layer only.

For the standard-parameterised ReLU network of :mod:`lib.mlp`
(:math:`F_l = \mathrm{relu}(F_{l-1}W_l)`, :math:`F_L = F_{L-1}W_L`) trained by
gradient descent on :math:`\Phi = \tfrac12\|F_L - Y\|_F^2`, the book's theorem
(``thm-lastlayer`` in chapter 2) needs only:

* :math:`\alpha_0 = \sigma_{\min}(F_{L-1}(\theta_0)) > 0` (so :math:`n_{L-1} \ge N`);
* bounds :math:`\bar\lambda_l = \|W_l^0\|_2 + R_l` on the weight norms in a
  ball of radii :math:`R_l` around the initialisation.

From these it builds the constants of the proof, functions of :math:`\|X\|_2`, :math:`\|X\|_F` and
the :math:`\bar\lambda_l`. The input enters the first layer's terms through its spectral norm
:math:`\|X\|_2` (``X_spec``) and the deeper layers' through :math:`\|X\|_F` (``X_frob``), because
ReLU does not preserve spectral norms:

* feature Lipschitz constants :math:`\mathrm{Lip}_l`, :math:`\mathrm{Lip}_1 = \|X\|_2\prod_{1<p<L}\bar\lambda_p`,
  :math:`\mathrm{Lip}_l = \|X\|_F\prod_{p<L, p\ne l}\bar\lambda_p` (:func:`feature_lipschitz`);
* gradient bounds :math:`\Gamma_l` (the same with :math:`p \le L`) for :math:`l < L`, and
  :math:`\Gamma_L = \bar F := \|F_{L-1}^0\|_2 + \alpha_0/2`, a bound on :math:`\|F_{L-1}\|_2` wherever
  the features have moved less than :math:`\alpha_0/2` (:func:`gradient_bounds`);
* the cross constant :math:`C_\times = \sum_{l < L}\bar\lambda_L\mathrm{Lip}_l \Gamma_l`
  of the one-step descent lemma (:func:`cross_constant`);
* the trajectory lengths (:func:`trajectory_bounds`): the output layer's
  :math:`D_L = P + \sqrt{2\Phi_0}/(2\alpha_0)`, with :math:`P` chapter 1's path-length bound
  (:func:`lib.rates.path_length_bound`) for the PL constant :math:`\alpha_0^2/4` and the decrease
  constant :data:`DECREASE`, and :math:`D_l = (2\Gamma_l/\alpha_0)\,(P + \sqrt{2\Phi_0}/(4\alpha_0))` for
  :math:`l < L`. No condition number :math:`\bar F/\alpha_0` enters.

:func:`theorem_check` evaluates every hypothesis on a given network;
:func:`run` trains one and records what the chapter's lemmas talk about.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lib import _validate as V
from lib import linalg, mlp, rates, train
from lib.activations import ReLU
from lib.report import Hypothesis, TheoremReport, smallest_radii

__all__ = [
    "DECREASE", "feature_lipschitz", "gradient_bounds", "cross_constant", "trajectory_bounds",
    "radii", "theorem_check", "LastLayerRun", "run",
]

THEOREM = "Theorem (linear rate from the last hidden layer, chapter 2)"

#: The constant :math:`c` of the sufficient decrease :math:`\Phi_k - \Phi_{k+1} \ge c\,\eta\|\nabla_{W_L}\Phi_k\|_F^2`
#: that the theorem's hypotheses give: :math:`1/2` from the step size, minus :math:`1/8 + 1/512` for the cross term.
DECREASE = 3 / 8 - 1 / 512


def _check_norms(X_spec, X_frob, lam_bar):
    X_spec = V.real(X_spec, "X_spec", low=0.0)
    X_frob = V.real(X_frob, "X_frob", low=0.0)
    if X_spec > X_frob * (1 + 1e-12):
        raise ValueError(f"X_spec = {X_spec} (||X||_2) cannot exceed X_frob = {X_frob} (||X||_F)")
    return X_spec, X_frob, V.real_sequence(lam_bar, "lam_bar")


def _ratio(d: float, r: float) -> float:
    """``d / r``, with ``0 / 0 = 0`` (a zero radius that nothing needs to cross: the loss is already 0)."""
    return d / r if r > 0 else (0.0 if d == 0 else math.inf)


def _prod_except(values, skip, upto=None):
    vals = values[:upto] if upto is not None else values
    return math.prod(v for p, v in enumerate(vals) if p != skip)


def _input_norm(X_spec, X_frob, l):
    """The norm of ``X`` that layer ``l`` (0-based) meets: spectral for the first layer, Frobenius after ReLU."""
    return X_spec if l == 0 else X_frob


def feature_lipschitz(X_spec: float, X_frob: float, lam_bar) -> list:
    r"""``Lip_l`` for ``l = 1..L-1``: :math:`\|F_{L-1}(\theta) - F_{L-1}(\theta')\|_F \le \mathrm{Lip}_1\|W_1 - W_1'\|_F + \sum_{l\ge2} \mathrm{Lip}_l \|W_l - W_l'\|_2`.

    ``X_spec`` and ``X_frob`` are :math:`\|X\|_2 \le \|X\|_F`; ``lam_bar`` the norm bounds
    :math:`(\bar\lambda_1, \dots, \bar\lambda_L)`. Raises ``ValueError`` (``TypeError`` for a non-number) unless
    both norms are finite and non-negative with ``X_spec <= X_frob``, and ``lam_bar`` is a non-empty sequence of
    finite non-negative numbers.
    """
    X_spec, X_frob, lam_bar = _check_norms(X_spec, X_frob, lam_bar)
    L = len(lam_bar)
    return [_input_norm(X_spec, X_frob, l) * _prod_except(lam_bar, l, upto=L - 1) for l in range(L - 1)]


def gradient_bounds(X_spec: float, X_frob: float, lam_bar, F_bar: float) -> list:
    r"""``Gamma_l`` for ``l = 1..L``: :math:`\|\nabla_{W_l}\Phi\|_F \le \Gamma_l \|F_L - Y\|_F`.

    :math:`\Gamma_1 = \|X\|_2\prod_{p>1}\bar\lambda_p`, :math:`\Gamma_l = \|X\|_F\prod_{p\ne l}\bar\lambda_p` for
    :math:`1 < l < L` and :math:`\Gamma_L = \bar F` (``F_bar``, a bound on :math:`\|F_{L-1}\|_2`). Raises as
    :func:`feature_lipschitz`, and ``ValueError`` for a negative or non-finite ``F_bar`` (``TypeError`` for a
    non-number).
    """
    X_spec, X_frob, lam_bar = _check_norms(X_spec, X_frob, lam_bar)
    F_bar = V.real(F_bar, "F_bar", low=0.0)
    return [_input_norm(X_spec, X_frob, l) * _prod_except(lam_bar, l) for l in range(len(lam_bar) - 1)] + [F_bar]


def cross_constant(X_spec: float, X_frob: float, lam_bar) -> float:
    r""":math:`C_\times = \sum_{l<L}\bar\lambda_L\mathrm{Lip}_l\Gamma_l = \|X\|_2^2\prod_{p\ne 1}\bar\lambda_p^2 + \|X\|_F^2\sum_{1<l<L}\prod_{p\ne l}\bar\lambda_p^2`:
    the one-step descent lemma reads
    :math:`\Phi_{k+1} \le \Phi_k - \eta(1 - \eta\bar F^2)\|F_{L-1}^\top r_k\|_F^2 + (2\eta C_\times + 2\eta^2 C_\times^2)\Phi_k`.

    Raises as :func:`feature_lipschitz`.
    """
    X_spec, X_frob, lam_bar = _check_norms(X_spec, X_frob, lam_bar)
    return sum((_input_norm(X_spec, X_frob, l) * _prod_except(lam_bar, l)) ** 2 for l in range(len(lam_bar) - 1))


def trajectory_bounds(X_spec: float, X_frob: float, lam_bar, loss0: float, alpha0: float) -> list:
    r"""How far each :math:`W_l` can travel (Frobenius norm) along the whole run, ``[D_1, ..., D_L]``.

    :math:`D_L = P + \sqrt{2\Phi_0}/(2\alpha_0)`, where
    :math:`P = \texttt{rates.path_length\_bound}(\Phi_0, \alpha_0^2/4, c) = 2\sqrt{2\Phi_0}/(c\,\alpha_0)` bounds the
    output layer's travel over every step but the last (chapter 1's path-length lemma, with the decrease constant
    :math:`c` = :data:`DECREASE`) and :math:`\sqrt{2\Phi_0}/(2\alpha_0)` its last step. A layer :math:`l < L`
    travels at most :math:`\Gamma_l` times the summed residuals, and :math:`\|r_k\|_F \le 2\|\nabla_{W_L}\Phi_k\|_F/\alpha_0`:
    :math:`D_l = (2\Gamma_l/\alpha_0)\,(P + \sqrt{2\Phi_0}/(4\alpha_0))`.

    Raises ``ValueError`` unless ``loss0 >= 0`` and ``alpha0 > 0`` are finite (and as :func:`gradient_bounds`).
    """
    loss0 = V.real(loss0, "loss0", low=0.0)
    alpha0 = V.real(alpha0, "alpha0", low=0.0, low_open=True)
    last_step = math.sqrt(2.0 * loss0) / (2.0 * alpha0)
    P = rates.path_length_bound(loss0, alpha0**2 / 4, decrease=DECREASE)
    G = gradient_bounds(X_spec, X_frob, lam_bar, 0.0)[:-1]
    return [2.0 * g / alpha0 * (P + last_step / 2) for g in G] + [P + last_step]


def radii(X_spec: float, X_frob: float, W_norms0, loss0: float, alpha0: float, max_iter: int = 2000):
    r"""The smallest radii :math:`R = (R_l)_l` with :math:`D_l(R) \le R_l` for every ``l``, or ``None``.

    :math:`D` is increasing in :math:`R` (through :math:`\bar\lambda_l = \|W_l^0\|_2 + R_l`),
    so the iteration :math:`\rho \leftarrow D(\rho)` from :math:`\rho = 0` increases to the
    smallest fixed point when one exists, and grows without bound otherwise.
    Raises ``ValueError`` as :func:`trajectory_bounds` and for a ``max_iter`` below 1 (``TypeError`` if not an integer).
    """
    X_spec, X_frob, _ = _check_norms(X_spec, X_frob, [0.0])
    W_norms0 = V.real_sequence(W_norms0, "W_norms0")
    loss0 = V.real(loss0, "loss0", low=0.0)
    alpha0 = V.real(alpha0, "alpha0", low=0.0, low_open=True)
    max_iter = V.integer(max_iter, "max_iter")
    return smallest_radii(
        lambda rho: trajectory_bounds(X_spec, X_frob, [w + r for w, r in zip(W_norms0, rho)], loss0, alpha0),
        len(W_norms0), max(1.0, *W_norms0), max_iter)


def theorem_check(net: mlp.MLP, params, X, Y, eta: float) -> TheoremReport:
    r"""Every hypothesis of chapter 2's theorem, measured on ``params`` (the initialisation).

    The radii are the smallest self-consistent ones (:func:`radii`), so H3 holds
    whenever any radii do. The hypotheses:

    * H0: :math:`n_{L-1} \ge N` and :math:`\alpha_0 > 0`;
    * H1: :math:`C_\times \le \alpha_0^2/32` (cross term dominated);
    * H2: :math:`\sum_{l<L}\mathrm{Lip}_l D_l \le \alpha_0/2` (features stay well conditioned);
    * H3: :math:`D_l \le R_l` for every ``l`` (the run stays in the ball);
    * H4: :math:`\eta \le 1 / (2\bar F^2)` (step size).

    When all hold, the guaranteed rate is :math:`\eta\alpha_0^2/8`. A network that
    cannot satisfy the theorem gets a report saying which hypothesis fails and why.

    ``params`` is a list or tuple of ``L`` weight matrices. Raises ``TypeError`` for a ``net`` that is not a
    :class:`lib.mlp.MLP`, complex or ``None`` arrays and a non-numeric ``eta``; ``ValueError`` naming the
    argument for a network that is not a standard-parameterised ReLU network, wrong shapes, ``X`` and ``Y``
    with different ``N``, NaN/inf entries, and an ``eta`` that is not positive and finite.
    """
    V.net(net)
    if net.parameterization != "standard":
        raise ValueError(
            f"the chapter 2 theorem is for the standard parameterisation, got net.parameterization = "
            f"{net.parameterization!r}"
        )
    if not isinstance(net.activation, ReLU):
        raise ValueError(
            f"the chapter 2 theorem is for ReLU networks (it uses relu(0) = 0), got activation {net.activation!r}"
        )
    X, Y = V.data(X, Y)
    V.output_columns(net, Y)
    params = V.params(net, params)
    eta = V.real(eta, "eta (step size)", low=0.0, low_open=True)
    N, n_last = X.shape[0], net.widths[-2]
    F = mlp.features(net, params, X)
    loss0 = float(train.square_loss(F[-1], Y))
    X64 = np.asarray(X, dtype=np.float64)
    X_frob = float(np.linalg.norm(X64))
    V.finite_measured({"||X||_F": X_frob, "Phi_0 (the initial loss)": loss0}, "X, Y or params")
    X_spec = min(float(np.linalg.norm(X64, 2)), X_frob)
    W_norms0 = [linalg.spectral_norm(W) for W in params]
    alpha0 = linalg.sigma_min(F[-2]) if n_last >= N else 0.0
    F_bar = linalg.spectral_norm(F[-2]) + alpha0 / 2
    q = {"N": N, "n_last": n_last, "alpha0": alpha0, "loss0": loss0, "X_spec": X_spec, "X_frob": X_frob, "W_norms0": W_norms0,
         "F_bar": F_bar, "eta": eta}

    wide = n_last >= N and alpha0 > 0
    note0 = (f"n_(L-1) = {n_last} < N = {N}: F_(L-1) cannot have full row rank" if n_last < N
             else "F_(L-1) is rank deficient at initialisation" if alpha0 <= 0 else "")
    h0 = Hypothesis("H0", "N <= n_(L-1) and alpha_0 > 0", float(N), float(n_last), wide, note0)
    eta_max = 1 / (2 * F_bar**2) if F_bar > 0 else math.inf  # F_(L-1) = 0: the output layer's gradient vanishes
    h4 = Hypothesis("H4", "eta <= 1 / (2 F_bar^2)", float(eta), eta_max, eta <= eta_max,
                    "step size too large for the one-step descent lemma")
    rho = radii(X_spec, X_frob, W_norms0, loss0, alpha0) if wide else None
    # without self-consistent radii, H1 and H2 are shown at radius 0: their left sides grow
    # with the radii, so radius 0 gives a lower bound for every radius
    lam_bar = [w + r for w, r in zip(W_norms0, rho or [0.0] * len(W_norms0))]
    C_cross = cross_constant(X_spec, X_frob, lam_bar)
    D = trajectory_bounds(X_spec, X_frob, lam_bar, loss0, alpha0) if wide else [math.inf] * net.L
    move = sum(a * b for a, b in zip(feature_lipschitz(X_spec, X_frob, lam_bar), D[:-1]))
    q.update(rho=rho, lam_bar=lam_bar, C_cross=C_cross, D=D, feature_move=move)

    def evaluated(name, statement, lhs, rhs, why):
        if not wide:
            return Hypothesis(name, statement, math.inf, rhs, False, "needs H0")
        if rho is None:
            at0 = "fails even at radius 0" if lhs > rhs else "holds at radius 0, but no radii satisfy H3"
            return Hypothesis(name, statement, lhs, rhs, False, f"{at0}")
        return Hypothesis(name, statement, lhs, rhs, lhs <= rhs, why)

    h3_lhs = max(_ratio(d, r) for d, r in zip(D, rho)) if rho else math.inf
    hyps = (
        h0,
        evaluated("H1", "C_cross <= alpha_0^2 / 32", C_cross, alpha0**2 / 32,
                  "the cross term of the descent lemma beats the output-layer PL term"),
        evaluated("H2", "sum_l Lip_l D_l <= alpha_0 / 2", move, alpha0 / 2,
                  "the features may move too far to keep sigma_min >= alpha_0 / 2"),
        Hypothesis("H3", "D_l <= rho_l for every l", h3_lhs, 1.0 + 1e-9, rho is not None,
                   "needs H0" if not wide else "no radii rho with D_l(rho) <= rho_l: the bounds feed back and grow"),
        h4,
    )
    report = TheoremReport(THEOREM, hyps, math.nan, q)
    return report._replace(rate=eta * alpha0**2 / 8) if report.holds else report


class LastLayerRun(NamedTuple):
    """A gradient-descent run of the deep network with chapter 2's per-step records."""

    params0: list  # initial weights
    params: list  # final weights
    history: train.History  # extras: see run()


def run(net: mlp.MLP, params0, X, Y, eta: float, num_steps: int) -> LastLayerRun:
    r"""Gradient descent on all layers, recording at every step :math:`k`:

    * ``"sigma_min_F"``: :math:`\sigma_{\min}(F_{L-1}(\theta_k))`;
    * ``"W_norms"``: :math:`(\|W_l^k\|_2)_{l=1..L}`, shape ``(T+1, L)``;
    * ``"grad_norms"``: :math:`(\|\nabla_{W_l}\Phi(\theta_k)\|_F)_{l}`, shape ``(T+1, L)``;
    * ``"W_moves"``: :math:`(\|W_l^k - W_l^0\|_2)_{l}`, shape ``(T+1, L)``;
    * ``"F_norm"``: :math:`\|F_{L-1}(\theta_k)\|_2`;
    * ``"feature_move"``: :math:`\|F_{L-1}(\theta_k) - F_{L-1}(\theta_0)\|_F`.

    Raises as :func:`theorem_check` for bad ``net``, ``params0``, ``X``, ``Y`` and ``eta``; ``TypeError`` or
    ``ValueError`` for a ``num_steps`` below 1 (``TypeError`` if not an integer); :class:`lib.train.DivergenceError`
    when the run diverges.
    """
    V.net(net)
    X, Y = V.data(X, Y)
    V.output_columns(net, Y)
    params0 = V.params(net, params0, "params0")
    eta = V.real(eta, "eta (step size)", low=0.0, low_open=True)
    num_steps = V.integer(num_steps, "num_steps")
    F0 = mlp.features(net, params0, X)[-2]

    def loss_fn(params):
        return train.square_loss(mlp.apply(net, params, X), Y)

    grad_fn = jax.grad(loss_fn)
    extras = {
        # jnp.asarray: with L = 1, F_(L-1) = X does not depend on p and the linalg functions return floats
        "sigma_min_F": lambda p: jnp.asarray(linalg.sigma_min(mlp.features(net, p, X)[-2])),
        "W_norms": lambda p: jnp.stack([linalg.spectral_norm(W) for W in p]),
        "grad_norms": lambda p: jnp.stack([jnp.linalg.norm(g) for g in grad_fn(p)]),
        "W_moves": lambda p: jnp.stack([linalg.spectral_norm(W - W0) for W, W0 in zip(p, params0)]),
        "F_norm": lambda p: jnp.asarray(linalg.spectral_norm(mlp.features(net, p, X)[-2])),
        "feature_move": lambda p: jnp.linalg.norm(mlp.features(net, p, X)[-2] - F0),
    }
    params, history = train.gradient_descent(loss_fn, list(params0), eta, num_steps, extras=extras)
    return LastLayerRun(list(params0), params, history)
