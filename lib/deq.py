r"""Deep equilibrium linear models (chapter 5, after Kawaguchi 2021).

The hidden state of sample :math:`x` is the equilibrium of an infinitely deep,
weight-tied linear layer whose nonlinearity acts on the *weights*:

.. math::

    z = \gamma\,\sigma(A)\,z + \phi(x), \qquad f(x) = B z,
    \qquad \sigma(A)_{ij} = \frac{e^{A_{ij}}}{\sum_k e^{A_{kj}}},

with :math:`A \in \mathbb R^{m\times m}`, :math:`B \in \mathbb R^{m_y \times m}`,
:math:`\gamma \in (0, 1)` and a fixed feature map :math:`\phi`. The column
softmax makes :math:`\sigma(A)` column-stochastic, so the spectral radius of
:math:`\gamma\sigma(A)` is at most :math:`\gamma < 1` and the equilibrium exists
for every :math:`A`: :math:`z^* = U^{-1}\phi(x)` with :math:`U = I - \gamma\sigma(A)`.
The model is therefore the shallow linear model :math:`W\phi(x)` with the
*effective weight* :math:`W = BU^{-1}`.

Row layout: the features of the ``N`` samples are ``Phi: (N, m)`` (row ``i`` is
:math:`\phi(x_i)^\top`), the equilibria ``Z: (N, m)``, the predictions
``Z B^T = Phi W^T: (N, m_y)``.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lib import linalg, train
from lib.trust_region import solve_subproblem_exact

__all__ = [
    "DEQParams", "check_gamma", "init", "sigma", "U_matrix", "equilibrium", "equilibrium_iterate",
    "effective_weight", "predict", "loss", "shallow_loss", "shallow_gradient", "preconditioner",
    "preconditioner_matrix", "random_features", "run", "trust_region_shadow", "ShallowConstants", "shallow_constants",
]

LOSSES = ("square", "cross_entropy")


class DEQParams(NamedTuple):
    r"""Trainable parameters :math:`\theta = (A, B)` of the deep equilibrium linear model."""

    A: jax.Array  # (m, m) implicit weight; sigma(A) is its column softmax
    B: jax.Array  # (m_y, m) output weight


def check_gamma(gamma) -> float:
    """Return ``gamma`` as a float, or raise ``ValueError`` unless it lies in (0, 1)."""
    if not (isinstance(gamma, (int, float, np.floating)) and 0 < gamma < 1):
        raise ValueError(f"gamma must lie in the open interval (0, 1), got {gamma!r}")
    return float(gamma)


def _check(params: DEQParams, Phi=None, Y=None):
    A, B = params
    if jnp.ndim(A) != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square (m, m) matrix, got shape {jnp.shape(A)}")
    m = A.shape[0]
    if jnp.ndim(B) != 2 or B.shape[1] != m:
        raise ValueError(f"B must have shape (m_y, m) with m = {m}, got {jnp.shape(B)}")
    if Phi is not None and (jnp.ndim(Phi) != 2 or Phi.shape[1] != m):
        raise ValueError(f"Phi must have shape (N, m) with m = {m}, got {jnp.shape(Phi)}")
    if Y is not None:
        if jnp.ndim(Y) != 2 or Y.shape != (Phi.shape[0], B.shape[0]):
            raise ValueError(
                f"Y must have shape (N, m_y) = {(Phi.shape[0], B.shape[0])}, got {jnp.shape(Y)}"
            )


def init(key, m: int, m_y: int, scale: float = 1.0) -> DEQParams:
    r"""Random initial parameters: :math:`A` and :math:`B` with :math:`\mathcal N(0, \mathrm{scale}^2/m)` entries."""
    if not isinstance(m, (int, np.integer)) or m < 1 or not isinstance(m_y, (int, np.integer)) or m_y < 1:
        raise ValueError(f"m and m_y must be positive integers, got m={m!r}, m_y={m_y!r}")
    ka, kb = jax.random.split(key)
    s = scale / np.sqrt(m)
    return DEQParams(s * jax.random.normal(ka, (m, m)), s * jax.random.normal(kb, (m_y, m)))


def random_features(key, X, m: int):
    r"""A fixed feature map :math:`\phi(x) = R^\top x` with :math:`R \in \mathbb R^{d\times m}`,
    :math:`\mathcal N(0, 1/d)` entries: returns ``Phi = X R: (N, m)``. Lets the width :math:`m`
    differ from the input dimension (and be smaller than :math:`m_y` and :math:`N`)."""
    if not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m (width) must be a positive integer, got {m!r}")
    X = jnp.asarray(X)
    R = jax.random.normal(key, (X.shape[1], m)) / np.sqrt(X.shape[1])
    return X @ R


def sigma(A):
    r"""Column softmax :math:`\sigma(A)`: positive entries, every column sums to one."""
    return jax.nn.softmax(A, axis=0)


def U_matrix(A, gamma: float):
    r""":math:`U = I - \gamma\sigma(A)`, invertible for every :math:`A` when :math:`0 < \gamma < 1`."""
    gamma = check_gamma(gamma)
    return jnp.eye(A.shape[0], dtype=A.dtype) - gamma * sigma(A)


def equilibrium(params: DEQParams, Phi, gamma: float):
    r"""Equilibria by a linear solve: :math:`Z = \Phi U^{-\top}` (row :math:`i` is :math:`z_i^{*\top}`), ``(N, m)``."""
    _check(params, Phi)
    return jnp.linalg.solve(U_matrix(params.A, gamma), Phi.T).T


def equilibrium_iterate(params: DEQParams, Phi, gamma: float, tol: float = 1e-12, max_iter: int = 10_000):
    r"""Equilibria by the fixed-point iteration :math:`Z_{k+1} = \gamma Z_k\sigma(A)^\top + \Phi` from :math:`Z_0 = \Phi`.

    Stops when :math:`\|Z_{k+1} - Z_k\|_F \le \mathrm{tol}\,\|Z_{k+1}\|_F`. Each step contracts by
    :math:`\gamma` in the norm :math:`\max_i \|z_i\|_1` (the columns of :math:`\sigma(A)` sum to one).
    Returns ``(Z, iterations)``; raises ``RuntimeError`` with the residual reached
    if ``max_iter`` iterations do not converge.
    """
    _check(params, Phi)
    gamma = check_gamma(gamma)
    S = gamma * sigma(params.A).T

    def cond(state):
        _, k, res = state
        return (res > tol) & (k < max_iter)

    def body(state):
        Z, k, _ = state
        Z_new = Z @ S + Phi
        res = jnp.linalg.norm(Z_new - Z) / jnp.maximum(jnp.linalg.norm(Z_new), jnp.finfo(Z.dtype).tiny)
        return Z_new, k + 1, res

    Z, k, res = jax.lax.while_loop(cond, body, (Phi, 0, jnp.array(jnp.inf, dtype=Phi.dtype)))
    if not linalg._is_traced(res) and float(res) > tol:
        raise RuntimeError(
            f"fixed-point iteration did not converge in max_iter = {max_iter} iterations: "
            f"relative residual {float(res):.3g} > tol = {tol:g}"
        )
    return Z, k


def effective_weight(params: DEQParams, gamma: float):
    r"""The shallow weight :math:`W = BU^{-1}` that the DEQ computes: :math:`f(x) = W\phi(x)`, ``(m_y, m)``."""
    _check(params)
    return jnp.linalg.solve(U_matrix(params.A, gamma).T, params.B.T).T


def predict(params: DEQParams, Phi, gamma: float):
    r"""Predictions :math:`f(x_i) = Bz_i^*`, ``(N, m_y)``."""
    return equilibrium(params, Phi, gamma) @ params.B.T


def shallow_loss(W, Phi, Y, kind: str = "square"):
    r"""The shallow objective :math:`L_0(W)` of predictions ``Phi W^T`` against ``Y: (N, m_y)``.

    ``"square"``: :math:`\tfrac12\|\Phi W^\top - Y\|_F^2`. ``"cross_entropy"``:
    :math:`-\sum_i \langle y_i, \log\mathrm{softmax}(W\phi(x_i))\rangle` for one-hot (or
    probability) rows :math:`y_i`.
    """
    if kind not in LOSSES:
        raise ValueError(f"kind must be one of {LOSSES}, got {kind!r}")
    F = Phi @ W.T
    if kind == "square":
        return 0.5 * jnp.sum((F - Y) ** 2)
    return -jnp.sum(Y * jax.nn.log_softmax(F, axis=1))


def shallow_gradient(W, Phi, Y, kind: str = "square"):
    r""":math:`G_W = \nabla L_0(W)`, ``(m_y, m)``; for the square loss :math:`(\Phi W^\top - Y)^\top\Phi`."""
    return jax.grad(shallow_loss)(W, Phi, Y, kind)


def loss(params: DEQParams, Phi, Y, gamma: float, kind: str = "square"):
    r"""The DEQ objective :math:`L(A, B) = L_0(BU^{-1})`: the shallow loss of the effective weight."""
    _check(params, Phi, Y)
    return shallow_loss(effective_weight(params, gamma), Phi, Y, kind)


def preconditioner(params: DEQParams, gamma: float, G):
    r"""The operator :math:`P_\theta` with :math:`\dot W = -P_\theta(G_W)` along the DEQ's gradient flow.

    .. math::

        P_\theta(G) = G\,(UU^\top)^{-1} + \gamma^2\,W\,\big[J_j^2\,c_j\big]_{j=1..m}\,U^{-1},
        \qquad c = W^\top G\,U^{-\top},

    with :math:`J_j = \mathrm{diag}(s_j) - s_js_j^\top` the softmax Jacobian of column
    :math:`j` (:math:`s_j = \sigma(A)_{:,j}`). The first term comes from :math:`B`, the
    second from :math:`A`; :math:`\langle G, P_\theta(G)\rangle \ge \|GU^{-\top}\|_F^2`.
    ``G: (m_y, m)``; returns ``(m_y, m)``.
    """
    _check(params)
    U = U_matrix(params.A, gamma)
    Uinv = jnp.linalg.inv(U)
    W = params.B @ Uinv
    S = sigma(params.A)
    C = W.T @ G @ Uinv.T  # (m, m): column j is c_j
    # J_j c_j = s_j * c_j - s_j (s_j . c_j), applied twice, for every column at once
    def J(Cm):
        return S * Cm - S * jnp.sum(S * Cm, axis=0, keepdims=True)

    return G @ Uinv.T @ Uinv + gamma**2 * W @ J(J(C)) @ Uinv


def preconditioner_matrix(params: DEQParams, gamma: float):
    r"""The matrix of :func:`preconditioner` acting on :math:`\mathrm{vec}(G)` (row-major), ``(m_y m, m_y m)``."""
    m_y, m = params.B.shape
    basis = jnp.eye(m_y * m, dtype=params.B.dtype).reshape(m_y * m, m_y, m)
    cols = jax.vmap(lambda E: preconditioner(params, gamma, E).reshape(-1))(basis)
    return cols.T


def run(params0: DEQParams, Phi, Y, gamma: float, eta: float, num_steps: int, kind: str = "square"):
    r"""Gradient descent on :math:`(A, B)`; returns ``(params, history)`` (:func:`lib.train.gradient_descent`).

    ``history.extras["U_norm"]`` is :math:`\|U_k\|_2` and ``history.extras["W"]`` the effective
    weight :math:`W_k` at every step, ``(T+1, m_y, m)``.
    """
    _check(params0, Phi, Y)
    gamma = check_gamma(gamma)

    def loss_fn(p):
        return loss(p, Phi, Y, gamma, kind)

    extras = {
        "U_norm": lambda p: linalg.spectral_norm(U_matrix(p.A, gamma)),
        "W": lambda p: effective_weight(p, gamma),
    }
    return train.gradient_descent(loss_fn, params0, eta, num_steps, extras=extras)


def trust_region_shadow(params0: DEQParams, Phi, Y, gamma: float, eta: float, num_steps: int):
    r"""The DEQ's gradient descent in :math:`W`-space next to its trust-region shadow (square loss).

    At every step :math:`k` the DEQ takes its gradient step, moving the effective
    weight from :math:`W_k` to :math:`W_{k+1}`. The shadow iteration takes, from its own
    iterate :math:`V_k`, the exact trust-region Newton step of the shallow objective
    :math:`L_0` in the metric :math:`M_k = P_k^{-1}` (:func:`preconditioner_matrix` at the DEQ's
    parameters) with the matching radius :math:`\Delta_k = \|W_{k+1} - W_k\|_{M_k}`, the length of
    the DEQ's own step in that metric. Returns ``(W, V)``, both ``(num_steps + 1, m_y, m)``.
    """
    _check(params0, Phi, Y)
    gamma = check_gamma(gamma)
    m_y, m = params0.B.shape
    H = jnp.kron(jnp.eye(m_y, dtype=Phi.dtype), Phi.T @ Phi)  # Hessian of L0 in row-major vec(W)
    grad = jax.grad(loss)

    @jax.jit
    def scan(params0, eta):
        def step(carry, _):
            p, V = carry
            W = effective_weight(p, gamma)
            g = grad(p, Phi, Y, gamma)
            p_next = jax.tree.map(lambda a, b: a - eta * b, p, g)
            dW = (effective_weight(p_next, gamma) - W).reshape(-1)
            P = preconditioner_matrix(p, gamma)
            radius = jnp.sqrt(dW @ jnp.linalg.solve(P, dW))
            gV = shallow_gradient(V, Phi, Y).reshape(-1)
            v, _ = solve_subproblem_exact(gV, H, radius, P)
            V_next = V + v.reshape(m_y, m)
            return (p_next, V_next), (W, V)

        W0 = effective_weight(params0, gamma)
        (p, V), (Ws, Vs) = jax.lax.scan(step, (params0, W0), None, length=num_steps)
        W_last = effective_weight(p, gamma)
        return jnp.concatenate([Ws, W_last[None]]), jnp.concatenate([Vs, V[None]])

    return scan(params0, eta)


class ShallowConstants(NamedTuple):
    r"""What the linear-rate theorem needs from the shallow square-loss problem."""

    W_star: jax.Array  # (m_y, m) minimum-norm least-squares weight, a global minimiser of L0
    loss_star: float  # L* = min_W L0(W) = min_{A,B} L(A, B)
    lam_plus: float  # smallest non-zero eigenvalue of Phi^T Phi (the PL constant of L0)
    lam_max: float  # largest eigenvalue of Phi^T Phi (the smoothness constant of L0)


def shallow_constants(Phi, Y, rtol: float = 1e-10) -> ShallowConstants:
    r""":math:`W^* = (\Phi^+ Y)^\top`, :math:`L^*`, and the extreme non-zero eigenvalues of :math:`\Phi^\top\Phi`, in float64.

    Eigenvalues below ``rtol`` times the largest count as zero.
    """
    Phi64, Y64 = np.asarray(Phi, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    if Phi64.ndim != 2 or Y64.ndim != 2 or Phi64.shape[0] != Y64.shape[0]:
        raise ValueError(f"Phi (N, m) and Y (N, m_y) must have the same N, got {Phi64.shape} and {Y64.shape}")
    lam = np.linalg.eigvalsh(Phi64.T @ Phi64)
    W_star = np.linalg.lstsq(Phi64, Y64, rcond=None)[0].T
    loss_star = 0.5 * float(np.sum((Phi64 @ W_star.T - Y64) ** 2))
    return ShallowConstants(jnp.asarray(W_star), loss_star, float(lam[lam > rtol * lam[-1]][0]), float(lam[-1]))
