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

:func:`trajectory` trains the same network and measures what chapter 6 compares: the rate per unit time,
the PL and sufficient-decrease constants the run saw, its path length against chapter 1's path-length bound,
how far each block of weights moved, and how much the empirical NTK changed (lazy training or not).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lib import _validate as V
from lib import deq, implicit, implicit_theorem, kernels, lastlayer, linalg, mlp, pyramid, rates, train, twolayer
from lib.activations import SmoothLeakyReLU
from lib.data import check_data
from lib.report import Hypothesis, TheoremReport

__all__ = ["FRAMEWORKS", "FrameworkCheck", "NetworkCheck", "Trajectory", "check_network", "trajectory"]

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


class Network(NamedTuple):
    """One framework's network on the data: initial parameters and the map from parameters to predictions."""

    params: object  # the trained parameters at initialisation (a pytree)
    predict: object  # predict(params, inputs) -> (N,) predictions
    inputs: jax.Array  # what predict takes: X, or chapter 5's random features Psi = phi(X)
    blocks: tuple  # a name for each leaf of params, in jax.tree.leaves order
    net: mlp.MLP | None = None  # the architecture, for chapters 2 and 3


def _not_applicable(framework, hidden, d, N) -> str:
    """Why the framework's theorem does not apply to hidden widths ``hidden`` on N inputs in R^d ("" when it does)."""
    if framework in ("two_layer", "implicit", "deq_linear") and len(hidden) != 1:
        return f"{len(hidden)} hidden layers: the theorem is for one"
    if framework == "pyramid":
        try:
            pyramid.check_topology((d, *hidden, 1), N)
        except ValueError as err:
            return "topology: " + str(err).split(":")[0]
    return ""


def _network(framework, key, X, hidden, gamma_implicit, gamma_deq, pyramid_scale=None) -> Network:
    """The network check_network checks for ``framework`` (drawn from ``key``, already folded with the chapter)."""
    N, d = X.shape
    widths = (d, *hidden, 1)
    if framework == "two_layer":
        W0, a = twolayer.init(key, d, hidden[0])
        return Network(W0, lambda W, X_: twolayer.predict(W, a, X_), X, ("W",))
    if framework in ("last_layer", "pyramid"):
        names = tuple(f"W{l}" for l in range(1, len(widths)))
        if framework == "last_layer":
            net = mlp.MLP(widths)
            params = mlp.init(key, net, "zero_output")
        else:
            net = mlp.MLP(widths, activation=SmoothLeakyReLU())
            params = (mlp.init(key, net, "lecun") if pyramid_scale is None
                      else pyramid.special_init(key, net, pyramid_scale))
        return Network(params, lambda p, X_: mlp.apply(net, p, X_)[:, 0], X, names, net)
    if framework == "implicit":
        params = implicit.init(key, hidden[0], d, output="zero")
        return Network(params, lambda p, X_: implicit.predict(p, X_, gamma_implicit), X, implicit.Params._fields)
    k_feat, k_init = jax.random.split(key)
    Psi = deq.random_features(k_feat, X, hidden[0])
    return Network(deq.init(k_init, hidden[0], 1), lambda p, P: deq.predict(p, P, gamma_deq)[:, 0], Psi,
                   deq.DEQParams._fields)


def _decrease(loss, g, eta):
    """The steps whose decrease is above the loss's round-off, and min over them of (Phi_k - Phi_k+1)/(eta ||g_k||^2).

    The loss carries an error of about eps sqrt(Phi_0 Phi_k), so Phi_k > (1000 eps)^2 Phi_0 keeps it below 1e-3
    of the decrease; returns ``(live, ratio)``, ``ratio = inf`` when no step is live."""
    eps = float(jnp.finfo(jnp.asarray(loss).dtype).eps)  # of the precision the run computed in
    loss, g = np.asarray(loss, np.float64), np.asarray(g, np.float64)
    wanted = eta * g[:-1] ** 2
    live = (loss[:-1] > (1e3 * eps) ** 2 * loss[0]) & (wanted > 0)
    ratio = float(np.min((loss[:-1] - loss[1:])[live] / wanted[live])) if live.any() else math.inf
    return live, ratio


def _two_layer(key, X, y, W0, eta, steps) -> TheoremReport:
    N, m = X.shape[0], W0.shape[1]
    lam0 = linalg.lam_min(kernels.du_gram(X))
    if eta is None:  # 1 / lambda_max(H(W_0)): the smoothness of the loss in W at initialisation
        eta = 1.0 / linalg.lam_max(twolayer.gram(W0, X))
    run = twolayer.run(key, X, y, m, eta, steps)
    loss = np.asarray(run.history.loss, np.float64)
    lam_H = np.asarray(run.history.extras["lam_min_H"], np.float64)
    ratio = 2 * _decrease(run.history.loss, run.history.grad_norm, eta)[1]  # against eta/2 ||g_k||^2
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


def _deq_linear(network: Network, y, gamma) -> TheoremReport:
    Psi, params = network.inputs, network.params
    m = Psi.shape[1]
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
    q = {"N": Psi.shape[0], "m": m, "gamma": gamma, "lam_plus": lam_plus, "mu": mu, "loss0": loss0,
         "loss_star": c.loss_star if c else math.nan}
    report = TheoremReport(THEOREM_DEQ, hyps, math.nan, q, "per unit time")
    return report._replace(rate=2 * mu) if report.holds else report


def _largest_step(report_at, eta):
    """Chapter 2's theorem at the step size its own H4 allows, when ``eta`` is None."""
    report = report_at(1.0 if eta is None else eta)
    if eta is None:
        report = report_at(1 / (2 * report.quantities["F_bar"] ** 2))
    return report


def _arguments(X, Y, hidden, eta, gamma_implicit, gamma_deq, steps):
    """The arguments check_network and trajectory share, validated (see check_network's Raises)."""
    hidden = _hidden(hidden)
    X, Y = V.data(X, Y)
    if Y.shape[1] != 1:
        raise ValueError(f"Y must have one output column (every framework's theorem is stated for it), got shape {Y.shape}")
    check_data(X, unit_norm=True)  # chapters 1 and 4 assume unit-norm rows
    if eta is not None:
        eta = V.real(eta, "eta (step size)", what="None or a positive finite number", low=0.0, low_open=True)
    gamma_implicit = V.real(gamma_implicit, "gamma_implicit", what="lie in (0, 1)", low=0.0, high=1.0,
                            low_open=True, high_open=True)
    return X, Y, hidden, eta, gamma_implicit, deq.check_gamma(gamma_deq), V.integer(steps, "steps")


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
    frameworks = _frameworks(frameworks)
    X, Y, hidden, eta, gamma_implicit, gamma_deq, steps = _arguments(X, Y, hidden, eta, gamma_implicit, gamma_deq,
                                                                     steps)
    N, d = X.shape
    y = Y[:, 0]
    checks = []
    for f in frameworks:
        k = jax.random.fold_in(key, CHAPTER[f])
        why = _not_applicable(f, hidden, d, N)
        if why:
            checks.append(FrameworkCheck(f, CHAPTER[f], None, why))
            continue
        net = _network(f, k, X, hidden, gamma_implicit, gamma_deq)
        if f == "two_layer":
            report = _two_layer(k, X, Y, net.params, eta, steps)
        elif f == "last_layer":
            report = _largest_step(lambda e: lastlayer.theorem_check(net.net, net.params, X, Y, e), eta)
        elif f == "pyramid":
            report = pyramid.theorem_check(net.net, net.params, X, Y, eta)
        elif f == "implicit":
            report = implicit_theorem.theorem_check(net.params, X, y, gamma_implicit, eta)
        else:
            report = _deq_linear(net, y, gamma_deq)
        checks.append(FrameworkCheck(f, CHAPTER[f], report))
    return NetworkCheck(hidden, N, tuple(checks))


class Trajectory(NamedTuple):
    r"""A gradient-descent run of one framework's network, with what the path-length lemma and laziness are about.

    The PL constant and the sufficient-decrease constant are measured at every step before the loss first
    reaches its round-off floor (:math:`\Phi_k \le (1000\,\varepsilon)^2\Phi_0`), so ``path <= path_bound`` is chapter
    1's lemma ``lem-path-length`` applied to that part of the run: it can fail only if the lemma, or the
    measurement, is wrong. Each block's distance is at most ``path + tail``.
    """

    framework: str
    hidden: tuple  # the hidden widths
    eta: float  # the step, 1 / (2 lambda_max(K_0)) unless given
    loss: np.ndarray  # (T+1,) Phi(theta_k)
    rate: float  # the fitted per-step rate of Phi_k (lib.rates.fitted_rate over the live steps)
    pl: float  # min_{k<K} ||g_k||^2 / (2 Phi_k): the PL constant the run saw (Phi^* = 0, a lower bound's worth)
    decrease: float  # min_{k<K} (Phi_k - Phi_k+1) / (eta ||g_k||^2): the sufficient-decrease constant it saw
    path: float  # eta sum_{k<K} ||g_k||, K the first step at the loss's round-off floor (T if none)
    path_bound: float  # lib.rates.path_length_bound(Phi_0, pl, decrease), which path cannot exceed
    tail: float  # eta sum_{K<=k<T} ||g_k||: the path after the floor, where the ratios measure round-off
    moves: dict  # block name -> ||theta_T - theta_0|| / ||theta_0|| of that block (inf for a block that starts at 0)
    distances: dict  # block name -> ||theta_T - theta_0|| of that block (at most path, by the triangle inequality)
    kernel_change: float  # ||K_T - K_0||_F / ||K_0||_F, K the empirical NTK of all trained parameters

    @property
    def rate_per_time(self) -> float:
        """The fitted rate per unit time, comparable with any theorem's :attr:`lib.report.TheoremReport.rate_per_time`.

        It is ``-log(1 - rate) / eta``, for time ``t = k eta``.
        """
        return -math.log1p(-self.rate) / self.eta if self.rate < 1 else math.inf


def trajectory(X, Y, framework: str, hidden, *, key, steps: int = 1000, eta: float | None = None,
               gamma_implicit: float = 0.1, gamma_deq: float = 0.8, pyramid_scale: float | None = None) -> Trajectory:
    r"""Train ``framework``'s network (the one :func:`check_network` checks, from the same ``key``) and measure its path.

    ``steps`` steps of gradient descent on :math:`\Phi = \tfrac12\|\hat y(\theta) - y\|^2` with step ``eta``
    (``None``: :math:`1/(2\lambda_{\max}(K_0))`, :math:`K_0` the empirical NTK at initialisation: half the step
    at which the linearised model diverges, since the kernel may grow along the run). ``pyramid_scale``: ``None`` for chapter 3's LeCun initialisation, or the
    scale of its special initialisation (:func:`lib.pyramid.special_init`, ``W_2^0 = 0``; needs two hidden
    layers). Every layer the chapter's theorem trains is trained (chapter 1: the first layer only).

    Raises what :func:`check_network` raises for the data, the widths and the constants; ``ValueError`` for an
    unknown framework, one whose theorem does not apply to ``hidden`` (the reason in the message), or a
    ``pyramid_scale`` that is not positive and finite or not for the pyramid; :class:`lib.train.DivergenceError`
    when the run diverges.
    """
    V.key(key)
    if not isinstance(framework, str) or framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {FRAMEWORKS}, got {framework!r}")
    X, Y, hidden, eta, gamma_implicit, gamma_deq, steps = _arguments(X, Y, hidden, eta, gamma_implicit, gamma_deq,
                                                                     steps)
    if pyramid_scale is not None:
        if framework != "pyramid":
            raise ValueError(f"pyramid_scale is the scale of chapter 3's special initialisation, for "
                             f"framework='pyramid', got framework={framework!r}")
        pyramid_scale = V.real(pyramid_scale, "pyramid_scale", low=0.0, low_open=True)
    N, d = X.shape
    why = _not_applicable(framework, hidden, d, N)
    if why:
        raise ValueError(f"hidden = {hidden}: the {framework} theorem does not apply ({why})")
    net = _network(framework, jax.random.fold_in(key, CHAPTER[framework]), X, hidden, gamma_implicit, gamma_deq,
                   pyramid_scale)
    y = Y[:, 0]
    ntk = jax.jit(lambda p: kernels.empirical_ntk(net.predict, p, net.inputs))  # one compilation, two kernels
    K0 = ntk(net.params)
    if eta is None:
        eta = 0.5 / linalg.lam_max(K0)

    def loss_fn(p):
        return train.square_loss(net.predict(p, net.inputs), y)

    params, history = train.gradient_descent(loss_fn, net.params, eta, steps)
    loss, g = np.asarray(history.loss, np.float64), np.asarray(history.grad_norm, np.float64)
    # the lemma is applied to the steps k < K before the loss first reaches its round-off floor (a prefix of
    # the run, so its hypotheses are measured at every step they are used for); the rest is the tail
    live = _decrease(history.loss, history.grad_norm, eta)[0]
    K = int(np.argmin(live)) if not live.all() else live.size
    decrease = _decrease(history.loss[:K + 1], history.grad_norm[:K + 1], eta)[1] if K > 0 else math.nan
    pl = float(np.min(g[:K] ** 2 / (2 * loss[:K]))) if K > 0 else math.nan
    rate = rates.fitted_rate(loss, 0, K + 1) if K > 0 else math.nan
    bound = rates.path_length_bound(float(loss[0]), pl, decrease) if pl > 0 and decrease > 0 else math.inf
    moves, distances = {}, {}
    for name, p0, dist in zip(net.blocks, jax.tree.leaves(net.params), jax.tree.leaves(history.distance)):
        size = float(jnp.linalg.norm(p0))
        distances[name] = float(dist[-1])
        moves[name] = distances[name] / size if size > 0 else math.inf
    KT = ntk(params)
    change = float(jnp.linalg.norm(KT - K0) / jnp.linalg.norm(K0))
    return Trajectory(framework, hidden, float(eta), loss, rate, pl, decrease, float(eta * g[:K].sum()), bound,
                      float(eta * g[K:-1].sum()), moves, distances, change)
