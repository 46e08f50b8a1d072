r"""Check your own network: every theorem of the book on one data set, side by side.

:func:`check_network` takes data ``X: (N, d)``, ``Y: (N,)`` or ``(N, 1)`` and a network description, the
hidden widths :math:`(n_1, \dots, n_{L-1})`, builds each framework's network with those widths from one
PRNG key, and measures its theorem's hypotheses:

* ``"two_layer"`` (chapter 1): Du et al.'s two-layer ReLU network (NTK parameterisation, output layer
  fixed at :math:`\pm 1`), ``thm-du-book``; its hypotheses hold along a run, so the check trains
  ``steps`` steps of gradient descent;
* ``"last_layer"`` (chapter 2): a standard-parameterised ReLU network, He hidden layers and a zero output
  layer, ``thm-lastlayer`` (:func:`lib.lastlayer.theorem_check`);
* ``"pyramid"`` (chapter 3): the same widths with the smooth leaky ReLU and LeCun's initialisation,
  ``thm-pyramid`` (:func:`lib.pyramid.theorem_check`);
* ``"implicit"`` (chapter 4): the implicit ReLU network of width :math:`n_1` with zero output weights,
  ``thm-implicit`` (:func:`lib.implicit_theorem.theorem_check`);
* ``"deq_linear"`` (chapter 5): the deep equilibrium linear model on :math:`n_1` random features,
  ``thm-deq-rate`` (gradient flow).

A framework whose architecture the description does not fit (two hidden layers for the two-layer
network, a non-pyramidal topology, ...) is reported as not applicable, with the reason. The step size
``eta=None`` runs chapter 1's network with the step :math:`1/\lambda_{\max}(H(W_0))`, gives chapters 2 and 3 the
largest step their own hypotheses allow, and checks the gradient-flow version where the book proves one
(chapters 4 and 5). The result prints as one table; each :class:`lib.report.TheoremReport` is in its
``checks``, and prints as the chapters print theirs.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lib import _validate as V
from lib import deq, implicit, implicit_theorem, kernels, lastlayer, linalg, mlp, pyramid, twolayer
from lib.activations import SmoothLeakyReLU
from lib.data import check_data
from lib.report import Hypothesis, TheoremReport

__all__ = ["FRAMEWORKS", "FrameworkCheck", "NetworkCheck", "check_network"]

FRAMEWORKS = ("two_layer", "last_layer", "pyramid", "implicit", "deq_linear")
CHAPTER = {"two_layer": 1, "last_layer": 2, "pyramid": 3, "implicit": 4, "deq_linear": 5}
THEOREM_TWO_LAYER = "Theorem (linear rate and bounded movement, chapter 1), checked along the run"
THEOREM_DEQ = "Theorem (linear rate with no condition on the width, chapter 5), gradient flow"


class FrameworkCheck(NamedTuple):
    """One framework's verdict on the network: its theorem report, or why the theorem does not apply."""

    framework: str  # one of FRAMEWORKS
    chapter: int  # the chapter that proves the theorem
    report: TheoremReport | None  # None when the theorem does not apply to this architecture or data
    reason: str = ""  # why it does not apply

    @property
    def applies(self) -> bool:
        return self.report is not None

    @property
    def holds(self) -> bool:
        """Whether the theorem applies and all its hypotheses hold."""
        return self.report is not None and self.report.holds


class NetworkCheck(NamedTuple):
    """Every framework's check of one network description on one data set."""

    hidden: tuple  # the hidden widths (n_1, ..., n_(L-1))
    N: int  # number of samples
    checks: tuple  # of FrameworkCheck, in the order of FRAMEWORKS

    def __getitem__(self, framework):
        if isinstance(framework, int):
            return self.checks[framework]
        for c in self.checks:
            if c.framework == framework:
                return c
        raise KeyError(f"framework must be one of {tuple(c.framework for c in self.checks)}, got {framework!r}")

    def table(self) -> str:
        """One row per framework: chapter, whether it applies, whether its hypotheses hold, which fail, the rate."""
        head = f"hidden widths {self.hidden}, N = {self.N}"
        lines = [head, f"{'framework':<11} {'ch':>2}  {'applies':<7}  {'holds':<5}  {'fails / why not':<34}  guaranteed rate"]
        for c in self.checks:
            if c.report is None:
                lines.append(f"{c.framework:<11} {c.chapter:>2}  {'no':<7}  {'-':<5}  {c.reason[:34]:<34}  -")
                continue
            r = c.report
            fails = ", ".join(r.failed) if r.failed else "-"
            rate = f"{r.rate:.3g} {r.unit}" if r.holds else "-"
            lines.append(f"{c.framework:<11} {c.chapter:>2}  {'yes':<7}  {'yes' if r.holds else 'no':<5}  {fails:<34}  {rate}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _hidden(hidden) -> tuple:
    if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
        hidden = (hidden,)
    if isinstance(hidden, (str, bytes)) or not np.iterable(hidden):
        raise TypeError(f"hidden must be a width or a sequence of hidden widths (n_1, ..., n_(L-1)), got {hidden!r}")
    hidden = tuple(V.integer(n, f"hidden[{i}]") for i, n in enumerate(hidden))
    if not hidden:
        raise ValueError("hidden must list at least one hidden width, got ()")
    return hidden


def _frameworks(frameworks) -> tuple:
    if isinstance(frameworks, str) or not np.iterable(frameworks):
        raise TypeError(f"frameworks must be a sequence of names from {FRAMEWORKS}, got {frameworks!r}")
    frameworks = tuple(frameworks)
    for f in frameworks:
        if f not in FRAMEWORKS:
            raise ValueError(f"frameworks: unknown framework {f!r}; expected names from {FRAMEWORKS}")
    if not frameworks:
        raise ValueError(f"frameworks must name at least one of {FRAMEWORKS}, got ()")
    return frameworks


def _two_layer(key, X, y, m, eta, steps) -> TheoremReport:
    N, d = X.shape
    lam0 = linalg.lam_min(kernels.du_gram(X))
    W0, _ = twolayer.init(key, d, m)
    if eta is None:  # 1 / lambda_max(H(W_0)): the smoothness of the loss in W at initialisation
        eta = 1.0 / linalg.lam_max(twolayer.gram(W0, X))
    run = twolayer.run(key, X, y, m, eta, steps)
    loss, g = np.asarray(run.history.loss, np.float64), np.asarray(run.history.grad_norm, np.float64)
    lam_H = np.asarray(run.history.extras["lam_min_H"], np.float64)
    decrease = loss[:-1] - loss[1:]
    wanted = 0.5 * eta * g[:-1] ** 2
    # the ratio of the decrease to eta/2 ||g||^2, at the steps whose decrease is above round-off: the loss
    # carries an error of about eps sqrt(Phi_0 Phi_k), so Phi_k > (1000 eps)^2 Phi_0 keeps it below 1e-3 of it
    eps = float(jnp.finfo(run.history.loss.dtype).eps)
    live = (loss[:-1] > (1e3 * eps) ** 2 * loss[0]) & (wanted > 0)
    ratio = float(np.min(decrease[live] / wanted[live])) if live.any() else math.inf
    hyps = (
        Hypothesis("H0", "0 < lambda_0 = lam_min(H_inf)", 0.0, lam0, lam0 > 0, "two inputs are parallel"),
        Hypothesis("H1", f"lambda_0/2 <= min_k lam_min(H(W_k)), k < {steps}", lam0 / 2, float(np.min(lam_H[:-1])),
                   bool(lam0 / 2 <= np.min(lam_H[:-1])), "the Gram matrix lost half its smallest eigenvalue"),
        Hypothesis("H2", "1 <= min_k (Phi_k - Phi_k+1)/(eta/2 ||g_k||^2)", 1.0, ratio, ratio >= 1.0,
                   "a step without sufficient decrease"),
    )
    q = {"N": N, "m": m, "eta": float(eta), "steps": steps, "lam0": lam0, "loss0": float(loss[0]),
         "loss": float(loss[-1]), "max_move": float(np.asarray(run.history.extras["max_move"])[-1]),
         "movement_bound": twolayer.movement_bound(N, float(loss[0]), lam0, m) if lam0 > 0 else math.inf}
    report = TheoremReport(THEOREM_TWO_LAYER, hyps, math.nan, q)
    return report._replace(rate=float(eta) * lam0 / 2) if report.holds else report


def _deq_linear(key, X, y, m, gamma) -> TheoremReport:
    k_feat, k_init = jax.random.split(key)
    Psi = deq.random_features(k_feat, X, m)
    params = deq.init(k_init, m, 1)
    try:
        c = deq.shallow_constants(Psi, y[:, None])
    except ValueError:  # Psi = 0: no non-zero eigenvalue, H0 fails
        c = None
    nonzero = c is not None
    lam_plus = c.lam_plus if c else 0.0
    mu = lam_plus / (1 + gamma * math.sqrt(m)) ** 2
    loss0 = float(deq.loss(params, Psi, y[:, None], gamma))
    hyps = (Hypothesis("H0", "0 < lambda^+ (the features are not all zero)", 0.0, lam_plus, nonzero,
                       "the features vanish"),)
    q = {"N": X.shape[0], "m": m, "gamma": gamma, "lam_plus": lam_plus, "mu": mu, "loss0": loss0,
         "loss_star": c.loss_star if c else math.nan}
    report = TheoremReport(THEOREM_DEQ, hyps, math.nan, q, "per unit time")
    return report._replace(rate=2 * mu) if report.holds else report


def _largest_step(report_at, eta):
    """Chapter 2's theorem at the step size its own H4 allows, when ``eta`` is None."""
    report = report_at(1.0 if eta is None else eta)
    if eta is None:
        report = report_at(1 / (2 * report.quantities["F_bar"] ** 2))
    return report


def check_network(X, Y, hidden, *, key, eta: float | None = None, gamma_implicit: float = 0.1,
                  gamma_deq: float = 0.8, steps: int = 200, frameworks=FRAMEWORKS) -> NetworkCheck:
    r"""Every applicable theorem of the book on the network with hidden widths ``hidden``, side by side.

    ``X: (N, d)`` with unit-norm rows (chapters 1 and 4 assume them), ``Y: (N,)`` or ``(N, 1)``; ``hidden`` a
    width :math:`n_1` or the hidden widths :math:`(n_1, \dots, n_{L-1})`; ``key`` a JAX PRNG key (each framework
    draws its initialisation from ``jax.random.fold_in(key, chapter)``). ``eta``: one step size for every
    gradient-descent theorem, or ``None`` for each theorem's own step (see the module's description) and the gradient-flow versions
    of chapters 4 and 5. ``gamma_implicit``: the scale of chapter 4's implicit matrix; ``gamma_deq``: chapter
    5's feedback strength; ``steps``: the length of the run along which chapter 1's hypotheses are checked;
    ``frameworks``: which of ``FRAMEWORKS`` to check.

    Raises ``TypeError`` / ``ValueError`` naming the argument for data that are not finite arrays of matching
    ``N``, rows that are not unit norm, more than one output column, a width that is not a positive integer,
    an ``eta`` that is not ``None`` or positive and finite, a ``gamma`` outside ``(0, 1)``, ``steps < 1`` or an
    unknown framework.
    """
    V.key(key)
    hidden = _hidden(hidden)
    frameworks = _frameworks(frameworks)
    X, Y = V.data(X, Y)
    if Y.shape[1] != 1:
        raise ValueError(f"Y must have one output column (every framework's theorem is stated for it), got shape {Y.shape}")
    check_data(X, unit_norm=True)  # chapters 1 and 4 assume unit-norm rows
    if eta is not None:
        eta = V.real(eta, "eta (step size)", what="None or a positive finite number", low=0.0, low_open=True)
    gamma_implicit = V.real(gamma_implicit, "gamma_implicit", what="lie in (0, 1)", low=0.0, high=1.0,
                            low_open=True, high_open=True)
    gamma_deq = deq.check_gamma(gamma_deq)
    steps = V.integer(steps, "steps")
    N, d = X.shape
    y = Y[:, 0]
    widths = (d, *hidden, 1)
    one = len(hidden) == 1
    not_one = f"{len(hidden)} hidden layers: the theorem is for one"
    checks = []
    for f in frameworks:
        k = jax.random.fold_in(key, CHAPTER[f])
        if f == "two_layer":
            check = FrameworkCheck(f, 1, _two_layer(k, X, Y, hidden[0], eta, steps) if one else None,
                                   "" if one else not_one)
        elif f == "last_layer":
            net = mlp.MLP(widths)
            params = mlp.init(k, net, "zero_output")
            report = _largest_step(lambda e: lastlayer.theorem_check(net, params, X, Y, e), eta)
            check = FrameworkCheck(f, 2, report)
        elif f == "pyramid":
            try:
                pyramid.check_topology(widths, N)
            except ValueError as err:
                check = FrameworkCheck(f, 3, None, "topology: " + str(err).split(":")[0])
            else:
                net = mlp.MLP(widths, activation=SmoothLeakyReLU())
                check = FrameworkCheck(f, 3, pyramid.theorem_check(net, mlp.init(k, net, "lecun"), X, Y, eta))
        elif f == "implicit":
            report = None
            if one:
                params = implicit.init(k, hidden[0], d, output="zero")
                report = implicit_theorem.theorem_check(params, X, y, gamma_implicit, eta)
            check = FrameworkCheck(f, 4, report, "" if one else not_one)
        else:
            check = FrameworkCheck(f, 5, _deq_linear(k, X, y, hidden[0], gamma_deq) if one else None,
                                   "" if one else not_one)
        checks.append(check)
    return NetworkCheck(hidden, N, tuple(checks))
