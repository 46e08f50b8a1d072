r"""The over-parameterised two-layer ReLU network of Du et al. (2019).

.. math::

    f(W, x) = \frac{1}{\sqrt m} \sum_{r=1}^m a_r\, \mathrm{relu}(w_r^\top x),
    \qquad w_r(0) \sim \mathcal N(0, I_d), \quad a_r \sim \mathrm{Unif}\{\pm 1\},

trained on :math:`\Phi(W) = \tfrac12 \|f(W, X) - y\|^2` with the output weights
:math:`a` fixed. It is the :class:`lib.mlp.MLP` with widths ``(d, m, 1)``, the
``"ntk"`` parameterisation, :math:`c_\sigma = 1` and the ``"du"`` initialisation;
this module adds what chapter 1 measures on it: the Gram matrix
:math:`H(W)` of the first layer and the movement bound of the chapter's theorem.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lib import linalg, mlp, train
from lib import _validate as V
from lib.data import check_data

__all__ = ["TwoLayerRun", "network", "init", "predict", "gram", "movement_bound", "run"]


def network(d: int, m: int) -> mlp.MLP:
    """The architecture: widths ``(d, m, 1)``, NTK parameterisation with :math:`c_\\sigma = 1`.

    Raises ``TypeError`` unless ``d`` and ``m`` are integers (``None``, strings and floats are not), ``ValueError``
    unless they are positive.
    """
    d = V.integer(d, "d (input dimension)")
    m = V.integer(m, "m (width)")
    return mlp.MLP((d, m, 1), parameterization="ntk", c_sigma=1.0)


def init(key, d: int, m: int):
    r"""Initial ``(W, a)``: ``W: (d, m)`` with :math:`\mathcal N(0,1)` entries (column ``r`` is :math:`w_r`), ``a: (m, 1)`` of :math:`\pm1`.

    Raises ``TypeError`` for a ``key`` that is not a JAX key, and like :func:`network` for ``d`` and ``m``.
    """
    V.key(key)
    W, a = mlp.init(key, network(d, m), scheme="du")
    return W, a


def predict(W, a, X):
    r"""Predictions :math:`f(W, x_i)`, ``(N,)``.

    ``W: (d, m)``, ``a: (m, 1)``, ``X: (N, d)``. Raises ``ValueError`` for
    shapes that do not match and the errors of :func:`lib.mlp.features`.
    """
    W = _check_W(W)
    V.real_dtype(a, "a")
    if np.shape(a) != (W.shape[1], 1):
        raise ValueError(f"a must have shape (m, 1) = {(W.shape[1], 1)} for W of shape {W.shape}, got {np.shape(a)}")
    return mlp.apply(network(W.shape[0], W.shape[1]), [W, a], X)[:, 0]


def _check_W(W):
    V.real_dtype(W, "W")
    if not hasattr(W, "dtype"):  # a nested list
        W = V.array(W, "W", nonempty=False, finite=False)
    if np.ndim(W) != 2 or 0 in np.shape(W):
        raise ValueError(f"W must be a non-empty 2-d array (d, m), got shape {np.shape(W)}")
    if not isinstance(W, jax.core.Tracer) and not np.all(np.isfinite(np.asarray(W))):
        raise ValueError("W contains NaN or infinite entries")
    return W


def gram(W, X):
    r"""The first-layer Gram matrix (NTK of :math:`W`) in closed form, ``(N, N)``:

    .. math::

        H_{ij}(W) = \frac1m\, x_i^\top x_j \sum_{r=1}^m
        \mathbb 1\{w_r^\top x_i \ge 0,\ w_r^\top x_j \ge 0\}.

    It equals :func:`lib.kernels.empirical_ntk` of :func:`predict` in ``W`` (a
    test checks this) and does not depend on ``a`` since :math:`a_r^2 = 1`.
    ``W: (d, m)``, ``X: (N, d)``. Raises ``ValueError`` for shapes that do not
    match and the errors of :func:`lib.data.check_data` on ``X``.
    """
    W = _check_W(W)
    X_checked = check_data(X)[0]
    X = X if jnp.issubdtype(getattr(X, "dtype", np.dtype(object)), jnp.floating) else X_checked
    if X.shape[1] != W.shape[0]:
        raise ValueError(f"X must have shape (N, d) with d = W.shape[0] = {W.shape[0]}, got {X.shape}")
    S = (X @ W >= 0).astype(X.dtype)
    return (X @ X.T) * (S @ S.T) / W.shape[1]


def movement_bound(N: int, loss0: float, lam0: float, m: int) -> float:
    r"""The chapter's bound :math:`R' = 4\sqrt{2 N \Phi_0} / (\lambda_0 \sqrt m)` on :math:`\max_r \|w_r(k) - w_r(0)\|`."""
    # validated, then used as given (so a NumPy or JAX scalar computes as before)
    V.integer(N, "N")
    V.integer(m, "m (width)")
    V.real(loss0, "loss0", what="a finite number >= 0", low=0.0)
    V.real(lam0, "lam0", what="positive and finite (lambda_0 = lam_min(H_inf))",
                   low=0.0, low_open=True)
    return float(4.0 * np.sqrt(2.0 * N * loss0) / (lam0 * np.sqrt(m)))


class TwoLayerRun(NamedTuple):
    """A gradient-descent run of the two-layer network."""

    W0: jax.Array  # (d, m) initial first-layer weights
    a: jax.Array  # (m, 1) fixed output weights
    W: jax.Array  # (d, m) final first-layer weights
    history: train.History  # extras: "lam_min_H" = lambda_min(H(W_k)), "max_move" = max_r ||w_r(k) - w_r(0)||


def run(key, X, Y, m: int, eta: float, num_steps: int) -> TwoLayerRun:
    r"""Train the two-layer network of width ``m`` with gradient descent from a fresh initialisation.

    ``X: (N, d)`` unit-norm rows, ``Y: (N,)`` or ``(N, 1)``. Records
    :math:`\lambda_{\min}(H(W_k))` and :math:`\max_r\|w_r(k) - w_r(0)\|` at every step.
    Raises ``ValueError`` for a ``Y`` with more than one column, a width ``m``
    or ``num_steps`` below 1 (``TypeError`` for one that is not an integer), an ``eta`` that is not a
    positive finite number (JAX and NumPy scalars are accepted), besides the
    checks of :func:`lib.data.check_data` (unit-norm rows) and of
    :func:`lib.train.gradient_descent`.
    """
    V.key(key)
    if Y is None:
        raise TypeError("Y must be the targets, an (N,) or (N, 1) array, got None")
    X, Y = check_data(X, Y, unit_norm=True)
    if Y.shape[1] != 1:
        raise ValueError(f"Y must have one output column for the two-layer network, got shape {Y.shape}")
    m = V.integer(m, "m (width)")
    eta_checked = V.real(eta, "eta (step size)", what="a positive finite number", low=0.0, low_open=True)
    if not isinstance(eta, (int, float, np.floating)):  # a JAX or 0-d array scalar: train takes a number
        eta = eta_checked
    num_steps = V.integer(num_steps, "num_steps")
    y = Y[:, 0]
    W0, a = init(key, X.shape[1], int(m))

    def loss_fn(W):
        return train.square_loss(predict(W, a, X), y)

    extras = {
        "lam_min_H": lambda W: linalg.lam_min(gram(W, X)),
        "max_move": lambda W: jnp.max(jnp.linalg.norm(W - W0, axis=0)),
    }
    W, history = train.gradient_descent(loss_fn, W0, eta, num_steps, extras=extras)
    return TwoLayerRun(W0, a, W, history)

