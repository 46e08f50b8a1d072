r"""The functions behind the chapters' interactive explorers.

Each explorer is a plain function of its slider values that returns a
matplotlib figure, so a notebook wraps it in ``ipywidgets.interact`` and the
test suite calls it directly.
"""
from __future__ import annotations

from functools import lru_cache

import jax
import matplotlib.pyplot as plt
import numpy as np

from lib import data, deq, implicit, kernels, lastlayer, linalg, mlp, pyramid, rates, train, twolayer
from lib import implicit_theorem
from lib import _validate as V
from lib.activations import SmoothLeakyReLU
from lib.plotting import loss_vs_bound

__all__ = [
    "two_layer_data", "two_layer", "deep_relu_data", "deep_relu", "pyramid_data", "pyramid_net", "deq_data",
    "deq_linear", "implicit_data", "implicit_net",
]


def _show_error(fig, axes, err, fontsize: int = 9):
    """Write an exception's message across ``axes`` (a run that diverged, an input that is refused) and return ``fig``."""
    for ax in axes:
        ax.text(0.5, 0.5, str(err), ha="center", va="center", wrap=True, transform=ax.transAxes, fontsize=fontsize)
    return fig


def _loss_panel(ax, loss, report, num_steps: int) -> str:
    """The loss on a log scale, with the guaranteed bound when ``report`` holds; returns a status line for a title."""
    if report.holds:
        loss_vs_bound(loss, rates.linear_bound(float(loss[0]), report.rate, num_steps), ax=ax)
        return "all hypotheses hold"
    ax.semilogy(loss, label="measured")
    ax.set_xlabel("step $k$")
    ax.legend()
    return "fails " + ", ".join(report.failed)


def _sphere_teacher(N: int, d: int, min_angle: float, seed: int):
    """``N`` points on :math:`S^{d-1}` at least ``min_angle`` apart and teacher labels ``(N, 1)``: the chapters' data."""
    kx, ky = jax.random.split(jax.random.key(seed))
    X = data.sphere_points(kx, N, d, min_angle=min_angle)
    return X, data.teacher_labels(ky, X)


def _data_args(N: int, d: int, min_angle: float, seed: int) -> tuple:
    """The data explorers' arguments, checked and converted (hashable, for the caches)."""
    angle = V.real(min_angle, "min_angle")
    if not 0.0 <= angle <= np.pi / 2:
        raise ValueError(f"min_angle must lie in [0, pi/2] radians, got {min_angle!r}")
    return V.integer(N, "N"), V.integer(d, "d"), angle, _seed(seed)


def _seed(seed) -> int:
    return V.integer(seed, "seed", minimum=None)


def _topology(topology) -> tuple:
    """``"16-8"`` -> ``(16, 8)``, or raise naming ``topology``."""
    if not isinstance(topology, str):
        raise TypeError(f"topology must be a string of dash-separated widths such as '16-8', got {topology!r}")
    parts = topology.split("-")
    if not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"topology must be dash-separated positive integers such as '16-8', got {topology!r}")
    return tuple(int(p) for p in parts)


def two_layer_data(N: int = 20, d: int = 5, min_angle: float = 0.3, seed: int = 0):
    r"""Chapter 1's data set: ``N`` points on :math:`S^{d-1}` at least ``min_angle`` apart, teacher labels, and :math:`\lambda_0`.

    Cached (the last call). Raises ``TypeError``/``ValueError`` naming the argument for non-integer or
    non-positive ``N``, ``d``, a non-integer ``seed`` or a ``min_angle`` outside [0, pi/2].
    """
    return _two_layer_data(*_data_args(N, d, min_angle, seed))


@lru_cache(maxsize=1)
def _two_layer_data(N, d, min_angle, seed):
    X, Y = _sphere_teacher(N, d, min_angle, seed)
    lam0 = linalg.lam_min(kernels.du_gram(X))
    return X, Y, lam0


def two_layer(width: int = 1000, eta: float = 1.0, num_steps: int = 300, seed: int = 1):
    r"""Train chapter 1's two-layer network and plot what the theorem talks about.

    Left: the loss against the guaranteed bound
    :math:`(1 - \eta\lambda_0/2)^k \Phi_0`. Right: :math:`\lambda_{\min}(H(W_k))`
    against :math:`\lambda_0` and :math:`\lambda_0/2`. A step size that makes
    gradient descent diverge gives a figure that says so instead of raising.
    Returns the figure. Arguments that are not what the sliders give raise at once (not in the figure):
    ``TypeError``/``ValueError`` naming the argument for a non-integer or non-positive ``width`` or
    ``num_steps``, an ``eta`` that is not positive and finite, a non-integer ``seed``.
    """
    width, num_steps, seed = V.integer(width, "width"), V.integer(num_steps, "num_steps"), _seed(seed)
    eta = V.real(eta, "eta (step size)", low=0.0, low_open=True)
    X, Y, lam0 = two_layer_data()
    fig, (ax_loss, ax_lam) = plt.subplots(1, 2, figsize=(10, 3.8))
    try:
        result = twolayer.run(jax.random.key(seed), X, Y, int(width), float(eta), int(num_steps))
    except Exception as err:  # DivergenceError: show it in the figure
        return _show_error(fig, (ax_loss, ax_lam), err)
    h = result.history
    rate = min(1.0, eta * lam0 / 2)
    loss_vs_bound(h.loss, rates.linear_bound(float(h.loss[0]), rate, int(num_steps)), ax=ax_loss,
                  bound_label=r"$(1-\eta\lambda_0/2)^k\Phi_0$")
    ax_loss.set_title(f"m = {width}, eta = {eta:g}")
    ax_lam.plot(h.extras["lam_min_H"], label=r"$\lambda_{\min}(H(W_k))$")
    ax_lam.axhline(lam0, color="0.3", linestyle=":", label=r"$\lambda_0$")
    ax_lam.axhline(lam0 / 2, color="0.55", linestyle="--", label=r"$\lambda_0/2$")
    ax_lam.set_xlabel("step $k$")
    ax_lam.legend()
    fig.tight_layout()
    return fig


def deep_relu_data(N: int = 8, d: int = 8, min_angle: float = 0.3, seed: int = 0):
    r"""Chapter 2's data set: ``N`` points on :math:`S^{d-1}` at least ``min_angle`` apart and teacher labels.

    Cached (the last call). Raises as :func:`two_layer_data`.
    """
    return _deep_relu_data(*_data_args(N, d, min_angle, seed))


@lru_cache(maxsize=1)
def _deep_relu_data(N, d, min_angle, seed):
    return _sphere_teacher(N, d, min_angle, seed)


def deep_relu(depth: int = 3, width: int = 256, scheme: str = "he", eta_scale: float = 1.0,
              num_steps: int = 500, seed: int = 2):
    r"""Train chapter 2's deep ReLU network and plot the loss and :math:`\sigma_{\min}(F_{L-1})`.

    The network has ``depth`` layers, hidden layers of width 64 and a last hidden
    layer of width ``width``, initialised with ``scheme``; the step size is
    ``eta_scale`` over :math:`\lambda_{\max}` of the initial NTK. Left: the loss
    (and the theorem's guaranteed rate when every hypothesis holds). Right:
    :math:`\sigma_{\min}(F_{L-1}(\theta_k))` against :math:`\alpha_0/2`. A
    diverging run is reported in the figure. Returns the figure.

    Raises at once ``TypeError``/``ValueError`` naming the argument for a ``depth`` below 2 (the network
    needs a last hidden layer), a non-integer or non-positive ``width`` or ``num_steps``, a ``scheme`` other
    than ``"he"``, ``"lecun"``, ``"zero_output"``, an ``eta_scale`` that is not positive and finite, a
    non-integer ``seed``.
    """
    depth = V.integer(depth, "depth (number of layers L)", minimum=2)
    width, num_steps, seed = V.integer(width, "width"), V.integer(num_steps, "num_steps"), _seed(seed)
    scheme = V.option(scheme, "scheme", ("he", "lecun", "zero_output"))
    eta_scale = V.real(eta_scale, "eta_scale", low=0.0, low_open=True)
    X, Y = deep_relu_data()
    net = mlp.MLP((X.shape[1],) + (64,) * (int(depth) - 2) + (int(width), 1))
    params = mlp.init(jax.random.key(seed), net, scheme)
    eta = float(eta_scale) / linalg.lam_max(mlp.ntk_gram(net, params, X))
    report = lastlayer.theorem_check(net, params, X, Y, eta)
    fig, (ax_loss, ax_sig) = plt.subplots(1, 2, figsize=(10, 3.8))
    try:
        h = lastlayer.run(net, params, X, Y, eta, int(num_steps)).history
    except Exception as err:  # DivergenceError: show it in the figure
        return _show_error(fig, (ax_loss, ax_sig), err)
    status = _loss_panel(ax_loss, h.loss, report, int(num_steps))
    ax_loss.set_title(f"L = {depth}, n_(L-1) = {width}, {scheme}: {status}", fontsize=9)
    sig = h.extras["sigma_min_F"]
    ax_sig.plot(sig, label=r"$\sigma_{\min}(F_{L-1}(\theta_k))$")
    ax_sig.axhline(float(sig[0]) / 2, color="0.55", linestyle="--", label=r"$\alpha_0/2$")
    ax_sig.set_xlabel("step $k$")
    ax_sig.set_ylim(0, None)
    ax_sig.legend()
    fig.tight_layout()
    return fig


def pyramid_data(N: int = 16, d: int = 16, min_angle: float = 0.3, seed: int = 0):
    r"""Chapter 3's data set: ``N`` points on the sphere of radius :math:`\sqrt d` (so that LeCun
    pre-activations have unit variance), at least ``min_angle`` apart, and teacher labels.

    Cached (the last call). Raises as :func:`two_layer_data`.
    """
    return _pyramid_data(*_data_args(N, d, min_angle, seed))


@lru_cache(maxsize=1)
def _pyramid_data(N, d, min_angle, seed):
    kx, ky = jax.random.split(jax.random.key(seed))
    X = data.sphere_points(kx, N, d, min_angle=min_angle) * np.sqrt(d)
    return X, data.teacher_labels(ky, X)


def pyramid_net(gamma: float = 0.5, n1: int = 16, topology: str = "16-8", init: str = "lecun",
                eta_scale: float = 0.5, num_steps: int = 1000, seed: int = 2):
    r"""Train chapter 3's pyramidal network and plot the weak PL inequality and the singular values.

    The widths are ``(d, n1, *topology, 1)`` with ``topology`` a dash-separated list of
    non-increasing widths; the activation is the smooth leaky ReLU with slope bound
    ``gamma`` (:math:`\beta = 1`); ``init`` is ``"lecun"`` or ``"special"``
    (:func:`lib.pyramid.special_init` with scale 1). The step is ``eta_scale`` over
    :math:`\lambda_{\max}` of the NTK at LeCun initialisation. Left: the loss. Right: the ratio of the two
    sides of the weak PL inequality (never below 1) and :math:`\sigma_{\min}(F_1)`,
    :math:`\sigma_{\min}(W_l)` relative to their initial values (the proof needs them above 1/2).
    A wrong topology or a diverging run is reported in the figure. Returns the figure.

    Raises at once ``TypeError``/``ValueError`` naming the argument for an ``init`` other than ``"lecun"`` or
    ``"special"`` (exactly), a ``gamma`` outside (0, 1), a ``topology`` that is not a dash-separated list of
    positive integers, a non-integer or non-positive ``n1`` or ``num_steps``, an ``eta_scale`` that is not
    positive and finite, a non-integer ``seed``.
    """
    init = V.option(init, "init", ("lecun", "special"))
    gamma = V.real(gamma, "gamma", low=0.0, high=1.0, low_open=True, high_open=True)
    n1, num_steps, seed = V.integer(n1, "n1"), V.integer(num_steps, "num_steps"), _seed(seed)
    eta_scale = V.real(eta_scale, "eta_scale", low=0.0, low_open=True)
    later = _topology(topology)
    X, Y = pyramid_data()
    fig, (ax_loss, ax_ratio) = plt.subplots(1, 2, figsize=(10, 3.8))
    try:
        net = mlp.MLP((X.shape[1], n1) + later + (1,), activation=SmoothLeakyReLU(gamma, 1.0))
        pyramid.check_topology(net.widths, X.shape[0])
        key = jax.random.key(seed)
        lecun = mlp.init(key, net, "lecun")
        params = lecun if init == "lecun" else pyramid.special_init(key, net, 1.0)
        # the special initialisation's NTK starts small (W_2 = 0) and grows: step from LeCun's
        eta = float(eta_scale) / linalg.lam_max(mlp.ntk_gram(net, lecun, X))
        h = pyramid.run(net, params, X, Y, eta, int(num_steps)).history
    except Exception as err:  # ValueError (topology) or DivergenceError: show it in the figure
        return _show_error(fig, (ax_loss, ax_ratio), err)
    ax_loss.semilogy(h.loss, label="measured")
    ax_loss.set_xlabel("step $k$")
    ax_loss.set_title(f"widths {net.widths}, {init}, gamma = {gamma:g}", fontsize=9)
    ax_loss.legend()
    ratio = np.asarray(h.extras["grad_W2"]) / np.maximum(np.asarray(h.extras["pl_bound"]), 1e-300)
    ax_ratio.semilogy(ratio, label=r"$\|\nabla_{W_2}\Phi\|_F$ / weak PL bound")
    sig_F = np.asarray(h.extras["sigma_min_F1"])
    ax_ratio.semilogy(sig_F / sig_F[0], label=r"$\sigma_{\min}(F_1)$ / initial")
    sig_W = np.asarray(h.extras["sigma_min_W"])
    ax_ratio.semilogy(sig_W.min(axis=1) / sig_W[0].min(), label=r"$\min_l\sigma_{\min}(W_l)$ / initial")
    ax_ratio.axhline(1.0, color="0.3", linestyle=":")
    ax_ratio.axhline(0.5, color="0.55", linestyle="--", label="1/2")
    ax_ratio.set_xlabel("step $k$")
    ax_ratio.legend(fontsize=8)
    fig.tight_layout()
    return fig


def deq_data(n: int = 300, seed: int = 0):
    r"""Chapter 5's training set: ``n`` of scikit-learn's digits (one-hot targets), normalised.

    Cached (the last call). Raises ``TypeError``/``ValueError`` for a non-integer or non-positive ``n`` or a
    non-integer ``seed``.
    """
    return _deq_data(V.integer(n, "n"), _seed(seed))


@lru_cache(maxsize=1)
def _deq_data(n, seed):
    return data.digits(n=n, key=jax.random.key(seed))


def deq_linear(gamma: float = 0.8, width: int = 8, eta_scale: float = 1.0, num_steps: int = 1500, seed: int = 2):
    r"""Train chapter 5's deep equilibrium linear model and the shallow model on the same features.

    Features: a fixed random projection of the digits to ``width`` dimensions. The
    DEQ's step is ``eta_scale`` :math:`(1-\gamma)^2/\lambda_{\max}(\Phi^\top\Phi)`; the shallow
    model's is ``eta_scale`` :math:`/\lambda_{\max}(\Phi^\top\Phi)`. Plots both excess losses
    :math:`L - L^*` on a log scale, with the DEQ's guaranteed rate
    :math:`(1 - \eta\lambda^+/(1+\gamma\sqrt m)^2)^k`. A diverging run is reported in the
    figure. Returns the figure.

    Raises at once ``TypeError``/``ValueError`` naming the argument for a ``gamma`` outside (0, 1), a
    non-integer or non-positive ``width`` or ``num_steps``, an ``eta_scale`` that is not positive and finite,
    a non-integer ``seed``.
    """
    gamma = V.real(gamma, "gamma", low=0.0, high=1.0, low_open=True, high_open=True)
    width, num_steps, seed = V.integer(width, "width"), V.integer(num_steps, "num_steps"), _seed(seed)
    eta_scale = V.real(eta_scale, "eta_scale", low=0.0, low_open=True)
    ds = deq_data()
    Phi = deq.random_features(jax.random.key(1), ds.X, int(width))
    sc = deq.shallow_constants(Phi, ds.Y)
    params0 = deq.init(jax.random.key(seed), int(width), ds.Y.shape[1])
    eta = float(eta_scale) * (1 - gamma) ** 2 / sc.lam_max
    fig, ax = plt.subplots(figsize=(7, 4))
    try:
        _, h_deq = deq.run(params0, Phi, ds.Y, gamma, eta, int(num_steps))
        W0 = deq.effective_weight(params0, gamma)
        _, h_lin = train.gradient_descent(lambda W: deq.shallow_loss(W, Phi, ds.Y), W0,
                                          float(eta_scale) / sc.lam_max, int(num_steps))
    except Exception as err:  # DivergenceError: show it in the figure
        return _show_error(fig, (ax,), err)
    rate = eta * sc.lam_plus / (1 + gamma * np.sqrt(width)) ** 2
    excess = np.maximum(np.asarray(h_deq.loss) - sc.loss_star, 1e-300)
    loss_vs_bound(excess, rates.linear_bound(float(excess[0]), min(rate, 1.0), int(num_steps)), ax=ax,
                  label=f"DEQ, gamma = {gamma:g}", bound_label="DEQ guaranteed rate")
    ax.semilogy(np.maximum(np.asarray(h_lin.loss) - sc.loss_star, 1e-300), color="#D55E00", linestyle="-.",
                label="shallow model, same features")
    ax.set_ylabel(r"$L - L^*$")
    ax.set_title(f"m = {width} (< 10 classes < N = {ds.X.shape[0]})", fontsize=10)
    ax.legend()
    fig.tight_layout()
    return fig


def implicit_data(N: int = 8, d: int = 32, min_angle: float = 0.3, seed: int = 0):
    r"""Chapter 4's data set: ``N`` points on :math:`S^{d-1}` at least ``min_angle`` apart, scalar teacher labels.

    Cached (the last call). Raises as :func:`two_layer_data`.
    """
    return _implicit_data(*_data_args(N, d, min_angle, seed))


@lru_cache(maxsize=1)
def _implicit_data(N, d, min_angle, seed):
    X, Y = _sphere_teacher(N, d, min_angle, seed)
    return X, Y[:, 0]


def implicit_net(width: int = 256, gamma: float = 0.3, solver: str = "anderson", eta_scale: float = 1.0,
                 num_steps: int = 300, seed: int = 1):
    r"""Train chapter 4's implicit ReLU network and plot the loss, :math:`\|\tilde A_k\|_2` and the solver's work.

    Width ``width``, scale ``gamma`` of the implicit matrix, forward and backward equilibria
    solved by ``solver`` (``"plain"`` or ``"anderson"``, relative residual :math:`10^{-10}`); the
    step is ``eta_scale`` over :math:`\lambda_{\max}` of the NTK at initialisation. Left: the loss
    (with the guaranteed rate when the theorem's hypotheses hold). Middle: :math:`\|\tilde A_k\|_2`
    against 1. Right: solver iterations per forward pass. An ill-posed initialisation, a diverging
    run or a solver that hits its cap is reported in the figure. Returns the figure.

    Raises at once ``TypeError``/``ValueError`` naming the argument for a ``solver`` other than ``"plain"`` or
    ``"anderson"``, a ``gamma`` that is not positive and finite, a non-integer or non-positive ``width`` or
    ``num_steps``, an ``eta_scale`` that is not positive and finite, a non-integer ``seed``.
    """
    solver = V.option(solver, "solver", implicit.METHODS)
    gamma = V.real(gamma, "gamma", low=0.0, low_open=True)
    width, num_steps, seed = V.integer(width, "width"), V.integer(num_steps, "num_steps"), _seed(seed)
    eta_scale = V.real(eta_scale, "eta_scale", low=0.0, low_open=True)
    X, Y = implicit_data()
    fig, (ax_loss, ax_norm, ax_it) = plt.subplots(1, 3, figsize=(12, 3.6))
    try:
        params = implicit.init(jax.random.key(seed), int(width), X.shape[1])
        config = implicit.SolverConfig(solver)
        implicit.check_well_posed(params, gamma)
        ntk = kernels.empirical_ntk(lambda p, x: implicit.predict(p, x, gamma, config), params, X)
        eta = float(eta_scale) / linalg.lam_max(ntk)
        report = implicit_theorem.theorem_check(params, X, Y, gamma, eta, config)
        h = implicit_theorem.run(params, X, Y, gamma, eta, int(num_steps), config, exact_norm=True).history
    except Exception as err:  # ValueError, DivergenceError, NonConvergenceError: show it in the figure
        return _show_error(fig, (ax_loss, ax_norm, ax_it), err, fontsize=8)
    status = _loss_panel(ax_loss, h.loss, report, int(num_steps))
    ax_loss.set_title(f"m = {width}, gamma = {gamma:g}: {status}", fontsize=9)
    ax_norm.plot(h.extras["implicit_norm"], label=r"$\|\tilde A_k\|_2$")
    ax_norm.axhline(1.0, color="0.3", linestyle=":", label="1 (well-posedness)")
    ax_norm.set_ylim(0, 1.1)
    ax_norm.set_xlabel("step $k$")
    ax_norm.legend()
    ax_it.plot(h.extras["iterations"], label=f"{solver}")
    ax_it.set_ylim(0, None)
    ax_it.set_xlabel("step $k$")
    ax_it.set_ylabel("forward solver iterations")
    ax_it.legend()
    fig.tight_layout()
    return fig
