r"""The functions behind the chapters' interactive explorers.

Each explorer is a plain function of its slider values that returns a
matplotlib figure, so a notebook wraps it in ``ipywidgets.interact`` and the
test suite calls it directly.
"""
from __future__ import annotations

from functools import lru_cache

import jax
import matplotlib.pyplot as plt

from lib import data, kernels, linalg, rates, twolayer
from lib.plotting import loss_vs_bound

__all__ = ["two_layer_data", "two_layer"]


@lru_cache(maxsize=1)
def two_layer_data(N: int = 20, d: int = 5, min_angle: float = 0.3, seed: int = 0):
    r"""Chapter 1's data set: ``N`` points on :math:`S^{d-1}` at least ``min_angle`` apart, teacher labels, and :math:`\lambda_0`."""
    kx, ky = jax.random.split(jax.random.key(seed))
    X = data.sphere_points(kx, N, d, min_angle=min_angle)
    Y = data.teacher_labels(ky, X)
    lam0 = linalg.lam_min(kernels.du_gram(X))
    return X, Y, lam0


def two_layer(width: int = 1000, eta: float = 1.0, num_steps: int = 300, seed: int = 1):
    r"""Train chapter 1's two-layer network and plot what the theorem talks about.

    Left: the loss against the guaranteed bound
    :math:`(1 - \eta\lambda_0/2)^k \Phi_0`. Right: :math:`\lambda_{\min}(H(W_k))`
    against :math:`\lambda_0` and :math:`\lambda_0/2`. A step size that makes
    gradient descent diverge gives a figure that says so instead of raising.
    Returns the figure.
    """
    X, Y, lam0 = two_layer_data()
    fig, (ax_loss, ax_lam) = plt.subplots(1, 2, figsize=(10, 3.8))
    try:
        result = twolayer.run(jax.random.key(seed), X, Y, int(width), float(eta), int(num_steps))
    except Exception as err:  # DivergenceError: show it in the figure
        for ax in (ax_loss, ax_lam):
            ax.text(0.5, 0.5, str(err), ha="center", va="center", wrap=True, transform=ax.transAxes, fontsize=9)
        return fig
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
