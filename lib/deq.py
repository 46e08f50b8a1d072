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

from lib import _validate as V
from lib import linalg, train
from lib.trust_region import solve_subproblem_exact

__all__ = [
    "DEQParams", "check_gamma", "init", "sigma", "U_matrix", "equilibrium", "equilibrium_iterate",
    "effective_weight", "predict", "loss", "shallow_loss", "shallow_gradient", "preconditioner",
    "preconditioner_matrix", "random_features", "run", "trust_region_shadow", "ShallowConstants", "shallow_constants",
    "MODELS", "Comparison", "compare_models", "accuracy", "real_data_comparison",
]

LOSSES = ("square", "cross_entropy")


class DEQParams(NamedTuple):
    r"""Trainable parameters :math:`\theta = (A, B)` of the deep equilibrium linear model."""

    A: jax.Array  # (m, m) implicit weight; sigma(A) is its column softmax
    B: jax.Array  # (m_y, m) output weight


def check_gamma(gamma) -> float:
    """Return ``gamma`` as a float (a traced scalar as is), or raise ``ValueError`` unless it lies in (0, 1).

    Python and NumPy numbers and 0-d arrays are accepted; a string, None or complex number raises ``TypeError``.
    """
    if V.is_traced(gamma):
        return V.real(gamma, "gamma")
    try:
        g = V.real(gamma, "gamma", low=0.0, low_open=True, high=1.0, high_open=True)
    except ValueError:
        raise ValueError(f"gamma must lie in the open interval (0, 1), got {gamma!r}") from None
    except TypeError:
        raise TypeError(f"gamma must be a real number in the open interval (0, 1), got {gamma!r}") from None
    return g


def _params(params) -> DEQParams:
    """``params`` as :class:`DEQParams` of real floating arrays (a plain ``(A, B)`` tuple or list is accepted)."""
    if not isinstance(params, (tuple, list)) or len(params) != 2:
        raise TypeError(f"params must be a DEQParams (A, B) or a pair of arrays, got {type(params).__name__}")
    A = V.array(params[0], "A", ndim=2, shape_hint="(m, m)")
    B = V.array(params[1], "B", ndim=2, shape_hint="(m_y, m)")
    dt = V.common_float(A, B)
    return DEQParams(A.astype(dt), B.astype(dt))


def _check(params: DEQParams, Phi=None, Y=None):
    """Validate and convert; returns ``(params, Phi, Y)`` in one floating dtype (``Y`` (N,) becomes (N, 1) when m_y = 1)."""
    A, B = _params(params)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square (m, m) matrix, got shape {jnp.shape(A)}")
    m = A.shape[0]
    if B.shape[1] != m:
        raise ValueError(f"B must have shape (m_y, m) with m = {m}, got {jnp.shape(B)}")
    if Phi is not None:
        Phi = V.array(Phi, "Phi", ndim=2, shape_hint="(N, m)", nonempty=False)
        if Phi.shape[1] != m:
            raise ValueError(f"Phi must have shape (N, m) with m = {m}, got {jnp.shape(Phi)}")
        if Phi.shape[0] == 0:
            raise ValueError(f"Phi must have at least one row (sample), got shape {Phi.shape}")
    if Y is not None:
        Y = _targets(Y, Phi.shape[0], B.shape[0])
    dt = V.common_float(*[x for x in (A, Phi, Y) if x is not None])
    cast = (lambda x: None if x is None else x.astype(dt))
    return DEQParams(cast(A), cast(B)), cast(Phi), cast(Y)


def _targets(Y, N, m_y):
    Y = V.array(Y, "Y", ndim=(1, 2), shape_hint="(N, m_y)", nonempty=False)
    if Y.ndim == 1 and m_y == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape != (N, m_y):
        raise ValueError(f"Y must have shape (N, m_y) = {(N, m_y)}, got {jnp.shape(Y)}")
    return Y


def init(key, m: int, m_y: int, scale: float = 1.0) -> DEQParams:
    r"""Random initial parameters: :math:`A` and :math:`B` with :math:`\mathcal N(0, \mathrm{scale}^2/m)` entries.

    Raises ``ValueError`` unless ``m``, ``m_y`` are positive and ``scale`` a non-negative finite number;
    ``TypeError`` when ``m`` or ``m_y`` is not an integer or ``key`` is not a PRNG key.
    """
    try:
        m, m_y = V.integer(m, "m"), V.integer(m_y, "m_y")
    except (TypeError, ValueError) as err:
        raise type(err)(f"m and m_y must be positive integers, got m={m!r}, m_y={m_y!r}") from None
    scale = V.real(scale, "scale (standard deviation times sqrt(m))", low=0.0, low_open=False)
    ka, kb = jax.random.split(V.key(key))
    s = scale / np.sqrt(m)
    return DEQParams(s * jax.random.normal(ka, (m, m)), s * jax.random.normal(kb, (m_y, m)))


def random_features(key, X, m: int):
    r"""A fixed feature map :math:`\phi(x) = R^\top x` with :math:`R \in \mathbb R^{d\times m}`,
    :math:`\mathcal N(0, 1/d)` entries: returns ``Phi = X R: (N, m)``. Lets the width :math:`m`
    differ from the input dimension (and be smaller than :math:`m_y` and :math:`N`).

    Raises ``ValueError`` unless ``X`` is a non-empty finite ``(N, d)`` array and ``m`` a positive
    integer; ``TypeError`` for complex ``X`` or a ``key`` that is not a PRNG key."""
    V.key(key)
    m = V.integer(m, "m (width)")
    X = V.array(X, "X", ndim=2, shape_hint="(N, d)")
    R = jax.random.normal(key, (X.shape[1], m)) / np.sqrt(X.shape[1])
    return X @ R


def sigma(A):
    r"""Column softmax :math:`\sigma(A)`: positive entries, every column sums to one.

    Raises ``ValueError`` unless ``A`` is a non-empty finite 2-d array (``TypeError`` if complex)."""
    A = V.array(A, "A", ndim=2, shape_hint="(m, m)")
    return jax.nn.softmax(A, axis=0)


def U_matrix(A, gamma: float):
    r""":math:`U = I - \gamma\sigma(A)`, invertible for every :math:`A` when :math:`0 < \gamma < 1`."""
    gamma = check_gamma(gamma)
    A = V.array(A, "A", ndim=2, shape_hint="(m, m)")
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square (m, m) matrix, got shape {A.shape}")
    return jnp.eye(A.shape[0], dtype=A.dtype) - gamma * sigma(A)


def equilibrium(params: DEQParams, Phi, gamma: float):
    r"""Equilibria by a linear solve: :math:`Z = \Phi U^{-\top}` (row :math:`i` is :math:`z_i^{*\top}`), ``(N, m)``."""
    params, Phi, _ = _check(params, Phi)
    return jnp.linalg.solve(U_matrix(params.A, gamma), Phi.T).T


def equilibrium_iterate(params: DEQParams, Phi, gamma: float, tol: float | None = None, max_iter: int = 10_000):
    r"""Equilibria by the fixed-point iteration :math:`Z_{k+1} = \gamma Z_k\sigma(A)^\top + \Phi` from :math:`Z_0 = \Phi`.

    Stops when :math:`\|Z_{k+1} - Z_k\|_F \le \mathrm{tol}\,\|Z_{k+1}\|_F`. Each step contracts by
    :math:`\gamma` in the norm :math:`\max_i \|z_i\|_1` (the columns of :math:`\sigma(A)` sum to one).
    ``tol=None`` is :math:`10^{-12}` in float64 and 100 machine epsilons in float32.
    Returns ``(Z, iterations)``; raises ``RuntimeError`` naming the cap and the residual reached
    if ``max_iter`` iterations do not converge, eagerly and under ``jax.jit`` (``equinox.error_if``).
    Raises ``ValueError`` for a ``tol`` that is not a positive finite number or a ``max_iter`` that is
    not a positive integer.
    """
    params, Phi, _ = _check(params, Phi)
    gamma = check_gamma(gamma)
    tol = V.default_tol(tol, Phi.dtype, 1e-12)
    tol = V.real(tol, "tol (relative residual)", low=0.0, low_open=True)
    max_iter = V.integer(max_iter, "max_iter (iteration cap)")
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
    Z = V.fail_if(Z, ~(res <= tol), res,
                  f"deq.equilibrium_iterate: fixed-point iteration did not converge in max_iter = {max_iter} iterations: "
                  f"relative residual {{res}} > tol = {tol:g}" + V.precision_hint(tol, Phi.dtype).replace("{", "{{").replace("}", "}}"))
    return Z, k


def effective_weight(params: DEQParams, gamma: float):
    r"""The shallow weight :math:`W = BU^{-1}` that the DEQ computes: :math:`f(x) = W\phi(x)`, ``(m_y, m)``."""
    params, _, _ = _check(params)
    return jnp.linalg.solve(U_matrix(params.A, gamma).T, params.B.T).T


def predict(params: DEQParams, Phi, gamma: float):
    r"""Predictions :math:`f(x_i) = Bz_i^*`, ``(N, m_y)``."""
    params, Phi, _ = _check(params, Phi)
    return equilibrium(params, Phi, gamma) @ params.B.T


def shallow_loss(W, Phi, Y, kind: str = "square"):
    r"""The shallow objective :math:`L_0(W)` of predictions ``Phi W^T`` against ``Y: (N, m_y)``.

    ``"square"``: :math:`\tfrac12\|\Phi W^\top - Y\|_F^2`. ``"cross_entropy"``:
    :math:`-\sum_i \langle y_i, \log\mathrm{softmax}(W\phi(x_i))\rangle` for one-hot (or
    probability) rows :math:`y_i`.

    Raises ``ValueError`` naming the argument when ``W`` is not ``(m_y, m)``, ``Phi`` not ``(N, m)``,
    ``Y`` not ``(N, m_y)`` (``(N,)`` is accepted when ``m_y = 1``), an entry is NaN/inf (outside ``jit``)
    or ``kind`` is unknown; ``TypeError`` for complex input.
    """
    if kind not in LOSSES:
        raise ValueError(f"kind must be one of {LOSSES}, got {kind!r}")
    W, Phi, Y = _shallow_args(W, Phi, Y)
    F = Phi @ W.T
    if kind == "square":
        return 0.5 * jnp.sum((F - Y) ** 2)
    return -jnp.sum(Y * jax.nn.log_softmax(F, axis=1))


def _shallow_args(W, Phi, Y):
    W = V.array(W, "W", ndim=2, shape_hint="(m_y, m)")
    Phi = V.array(Phi, "Phi", ndim=2, shape_hint="(N, m)")
    if Phi.shape[1] != W.shape[1]:
        raise ValueError(f"Phi must have shape (N, m) with m = {W.shape[1]} (the columns of W), got {Phi.shape}")
    Y = _targets(Y, Phi.shape[0], W.shape[0])
    dt = V.common_float(W, Phi, Y)
    return W.astype(dt), Phi.astype(dt), Y.astype(dt)


def shallow_gradient(W, Phi, Y, kind: str = "square"):
    r""":math:`G_W = \nabla L_0(W)`, ``(m_y, m)``; for the square loss :math:`(\Phi W^\top - Y)^\top\Phi`.

    Raises as :func:`shallow_loss`."""
    if kind not in LOSSES:
        raise ValueError(f"kind must be one of {LOSSES}, got {kind!r}")
    W, Phi, Y = _shallow_args(W, Phi, Y)
    return jax.grad(shallow_loss)(W, Phi, Y, kind)


def loss(params: DEQParams, Phi, Y, gamma: float, kind: str = "square"):
    r"""The DEQ objective :math:`L(A, B) = L_0(BU^{-1})`: the shallow loss of the effective weight."""
    if kind not in LOSSES:
        raise ValueError(f"kind must be one of {LOSSES}, got {kind!r}")
    params, Phi, Y = _check(params, Phi, Y)
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
    params, _, _ = _check(params)
    G = V.array(G, "G", ndim=2, shape_hint="(m_y, m)")
    if G.shape != params.B.shape:
        raise ValueError(f"G must have the shape of B, (m_y, m) = {params.B.shape}, got {G.shape}")
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
    params, _, _ = _check(params)
    gamma = check_gamma(gamma)
    m_y, m = params.B.shape
    basis = jnp.eye(m_y * m, dtype=params.B.dtype).reshape(m_y * m, m_y, m)
    cols = jax.vmap(lambda E: preconditioner(params, gamma, E).reshape(-1))(basis)
    return cols.T


def run(params0: DEQParams, Phi, Y, gamma: float, eta: float, num_steps: int, kind: str = "square"):
    r"""Gradient descent on :math:`(A, B)`; returns ``(params, history)`` (:func:`lib.train.gradient_descent`).

    ``history.extras["U_norm"]`` is :math:`\|U_k\|_2` and ``history.extras["W"]`` the effective
    weight :math:`W_k` at every step, ``(T+1, m_y, m)``. Raises as :func:`lib.train.gradient_descent`
    (including :class:`lib.train.DivergenceError`) and ``ValueError`` for bad shapes, ``gamma`` or ``kind``.
    """
    if kind not in LOSSES:
        raise ValueError(f"kind must be one of {LOSSES}, got {kind!r}")
    params0, Phi, Y = _check(params0, Phi, Y)
    gamma = check_gamma(gamma)

    def loss_fn(p):
        return loss(p, Phi, Y, gamma, kind)

    extras = {
        "U_norm": lambda p: linalg.spectral_norm(U_matrix(p.A, gamma)),
        "W": lambda p: effective_weight(p, gamma),
    }
    return train.gradient_descent(loss_fn, params0, eta, num_steps, extras=extras)


def trust_region_shadow(params0: DEQParams, Phi, Y, gamma: float, eta: float, num_steps: int,
                        hessian_scale: float = 1.0):
    r"""The DEQ's gradient descent in :math:`W`-space next to its trust-region shadow (square loss).

    At every step :math:`k` the DEQ takes its gradient step, moving the effective
    weight from :math:`W_k` to :math:`W_{k+1}`. The shadow iteration takes, from its own
    iterate :math:`V_k`, the exact trust-region Newton step of the shallow objective
    :math:`L_0` in the metric :math:`M_k = P_k^{-1}` (:func:`preconditioner_matrix` at the DEQ's
    parameters) with the matching radius :math:`\Delta_k = \|W_{k+1} - W_k\|_{M_k}`, the length of
    the DEQ's own step in that metric. ``hessian_scale`` multiplies the model's Hessian
    :math:`\nabla^2 L_0`: ``1`` is the Newton model, ``0`` the linear model (normalised steepest
    descent in the metric :math:`M_k`); to first order in ``eta`` every model gives the same step.
    Returns ``(W, V)``, both ``(num_steps + 1, m_y, m)``.
    Raises ``ValueError`` for bad shapes, ``gamma``, ``eta`` (a positive finite number), ``num_steps``
    (a positive integer) or ``hessian_scale`` (a finite number >= 0), and ``RuntimeError`` if an iterate
    becomes non-finite.
    """
    params0, Phi, Y = _check(params0, Phi, Y)
    gamma = check_gamma(gamma)
    eta = V.real(eta, "eta (step size)", low=0.0, low_open=True)
    num_steps = V.integer(num_steps, "num_steps")
    hessian_scale = V.real(hessian_scale, "hessian_scale", low=0.0)
    m_y, m = params0.B.shape
    H = hessian_scale * jnp.kron(jnp.eye(m_y, dtype=Phi.dtype), Phi.T @ Phi)  # the model's Hessian, row-major vec(W)
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

    W, Vs = scan(params0, eta)
    bad = ~(jnp.all(jnp.isfinite(W)) & jnp.all(jnp.isfinite(Vs)))
    if bool(bad):
        raise RuntimeError(f"deq.trust_region_shadow: an iterate became non-finite (eta = {eta:g}); lower eta")
    return W, Vs


#: the three models of :func:`compare_models`, in the order of its records
MODELS = ("DEQ", "shallow", "deep linear")


class Comparison(NamedTuple):
    r"""Gradient descent on the three models of :data:`MODELS` from one initial function (:func:`compare_models`)."""

    loss: jax.Array  # (3, T+1) training loss of each model at every step
    W: jax.Array  # (3, m_y, m) the function each model computes at the last step, as a weight: f(x) = W phi(x)
    W_matched: jax.Array  # (3, m_y, m) the same at the first step whose loss is <= target (the last step without target)
    step_matched: jax.Array  # (3,) that step


def compare_models(params0: DEQParams, Phi, Y, gamma: float, etas, num_steps: int, kind: str = "square",
                   target: float | str | None = None) -> Comparison:
    r"""Gradient descent on the DEQ, the shallow model and a deep linear network, from the same function.

    The DEQ trains :math:`(A, B)` from ``params0``; the shallow model trains :math:`W` from
    :math:`W_0 = B_0U_0^{-1}`; the deep linear network trains :math:`W_3W_2W_1` from
    :math:`W_1 = W_2 = I`, :math:`W_3 = W_0` (unbalanced, so that all three start from the same
    function). ``etas = (eta_DEQ, eta_shallow, eta_deep)`` are their step sizes. All three
    losses are :func:`shallow_loss` of the weight the model computes (``kind``). With ``target``,
    ``W_matched`` records each model's weight at the first step whose training loss is at most
    ``target``: the models can then be compared at equal training loss. ``target="slowest"`` takes
    the largest of the three losses after ``num_steps`` steps (two runs of the loop: the first finds
    it). One compiled loop runs all three, so further calls with data of the same shapes do not
    recompile.

    Raises ``ValueError`` for bad shapes, ``gamma``, ``etas`` (three positive finite numbers),
    ``num_steps``, ``kind`` or ``target`` (a finite number or ``"slowest"``); :class:`lib.train.DivergenceError`
    naming the model whose loss becomes non-finite or exceeds :math:`10^4` times its initial value;
    ``RuntimeError`` naming a model that does not reach ``target`` within ``num_steps`` steps.
    """
    if kind not in LOSSES:
        raise ValueError(f"kind must be one of {LOSSES}, got {kind!r}")
    params0, Phi, Y = _check(params0, Phi, Y)
    gamma = check_gamma(gamma)
    if isinstance(etas, (str, bytes)) or not np.iterable(etas) or len(etas) != 3:
        raise ValueError(f"etas must be three step sizes (eta_DEQ, eta_shallow, eta_deep), got {etas!r}")
    etas = tuple(V.real(e, f"etas[{i}] (step size of the {name})", low=0.0, low_open=True)
                 for i, (e, name) in enumerate(zip(etas, MODELS)))
    num_steps = V.integer(num_steps, "num_steps")
    slowest = isinstance(target, str) and target == "slowest"
    if target is not None and not slowest:
        target = V.real(target, "target (training loss to match, or 'slowest')")

    def run(level):
        return _compare(params0, Phi, Y, gamma, jnp.asarray(etas, Phi.dtype), jnp.asarray(level, Phi.dtype),
                        num_steps, kind)

    losses, W_T, W_m, k_m = run(-jnp.inf if target is None or slowest else target)
    losses = np.asarray(losses)
    for name, row in zip(MODELS, losses):
        bad = ~np.isfinite(row) | (row > 1e4 * max(row[0], np.finfo(row.dtype).tiny))
        if bad.any():
            k = int(np.argmax(bad))
            raise train.DivergenceError(
                f"compare_models: the {name} diverged at step {k} (loss {row[k]:.4g} against initial loss "
                f"{row[0]:.4g}) with step size {etas[MODELS.index(name)]:g}: lower its entry of etas")
    if target is None:
        return Comparison(jnp.asarray(losses), W_T, W_T, jnp.full(3, num_steps))
    if slowest:
        target = float(losses[:, -1].max())
        _, _, W_m, k_m = run(target)
    k_m = np.asarray(k_m)
    for name, k, row in zip(MODELS, k_m, losses):
        if k < 0:
            raise RuntimeError(f"compare_models: the {name} did not reach the target loss {target:g} in "
                               f"num_steps = {num_steps} steps (final loss {row[-1]:.4g}): raise num_steps or the target")
    return Comparison(jnp.asarray(losses), W_T, W_m, jnp.asarray(k_m))


def accuracy(W, Phi, labels) -> float:
    r"""Classification accuracy of the linear model :math:`W\phi(x)`: the share of rows of ``Phi`` whose
    largest output :math:`\arg\max_c (\Phi W^\top)_{ic}` is ``labels[i]``.

    Raises ``ValueError`` naming the argument when ``W`` is not ``(m_y, m)``, ``Phi`` not ``(N, m)``
    or ``labels`` not ``N`` integers in ``[0, m_y)``; ``TypeError`` for complex input.
    """
    W = V.array(W, "W", ndim=2, shape_hint="(m_y, m)")
    Phi = V.array(Phi, "Phi", ndim=2, shape_hint="(N, m)")
    if Phi.shape[1] != W.shape[1]:
        raise ValueError(f"Phi must have shape (N, m) with m = {W.shape[1]} (the columns of W), got {Phi.shape}")
    labels = np.asarray(labels)
    if (labels.shape != (Phi.shape[0],) or not np.issubdtype(labels.dtype, np.integer)
            or np.any(labels < 0) or np.any(labels >= W.shape[0])):
        raise ValueError(f"labels must be {Phi.shape[0]} integers in [0, {W.shape[0]}) (one class per row of Phi), "
                         f"got shape {labels.shape} and dtype {labels.dtype}")
    return float(np.mean(np.argmax(np.asarray(Phi @ W.T), axis=1) == labels))


#: features in different units: standardised by :func:`real_data_comparison`
_STANDARDISE = {"breast_cancer": True, "wine": True}


def real_data_comparison(name: str, n_train: int, seed: int, gamma: float = 0.8, num_steps: int = 6000,
                         root=None) -> tuple[list[dict], dict]:
    r"""Kawaguchi's comparison on one data set and seed: the three :data:`MODELS` at matched training loss.

    A random training set of ``n_train`` samples and the rest (or the test split) as test set
    (:func:`lib.data.train_test`; breast-cancer and wine features are standardised with training
    statistics), :math:`\phi(x) = x`, and for each loss (square, cross-entropy) the three models
    of :func:`compare_models` from one initial function (``init(..., scale=0.1)``), with steps
    :math:`(1-\gamma)^2/\lambda_{\max}`, :math:`1/\lambda_{\max}` and :math:`0.25/\lambda_{\max}`
    (:math:`\lambda_{\max}` of :math:`\Phi^\top\Phi`). A first run of ``num_steps`` steps gives the
    target, the largest of the three final training losses; a second run records each model's
    weight at the first step that reaches it. Returns ``(records, curves)``: one record per loss
    (test accuracy at the matched loss and after ``num_steps`` steps, the matching steps, the
    losses), and the three loss curves per loss at 400 points. ``root`` as in
    :func:`lib.data.train_test`. Raises as :func:`lib.data.train_test` and :func:`compare_models`.
    """
    from lib import data

    seed = V.integer(seed, "seed", minimum=0, what="be a non-negative integer")
    k_data, k_init = jax.random.split(jax.random.fold_in(jax.random.key(2021_5), seed))
    train_set, test = data.train_test(name, n_train, k_data, standardise=_STANDARDISE.get(name, False), root=root)
    m, m_y = train_set.X.shape[1], train_set.Y.shape[1]
    sc = shallow_constants(train_set.X, train_set.Y)
    p0 = init(k_init, m, m_y, scale=0.1)
    gamma = check_gamma(gamma)
    eta = 1.0 / sc.lam_max
    etas = ((1 - gamma) ** 2 * eta, eta, 0.25 * eta)

    records, curves = [], {}
    for kind in LOSSES:
        run = compare_models(p0, train_set.X, train_set.Y, gamma, etas, num_steps, kind, target="slowest")
        loss_k = np.asarray(run.loss)
        target = float(loss_k[:, -1].max())
        records.append({
            "data": name, "seed": seed, "kind": kind, "n_train": int(train_set.X.shape[0]),
            "n_test": int(test.X.shape[0]), "m": m, "gamma": gamma, "steps": num_steps,
            "loss_star": sc.loss_star if kind == "square" else 0.0, "loss_0": float(loss_k[0, 0]), "target": target,
            "step_matched": [int(k) for k in np.asarray(run.step_matched)],
            "acc_matched": [accuracy(W, test.X, test.labels) for W in run.W_matched],
            "acc_final": [accuracy(W, test.X, test.labels) for W in run.W],
            "final_loss": [float(v) for v in loss_k[:, -1]],
        })
        stride = max(1, num_steps // 400)
        curves[kind] = {model: [float(v) for v in row[::stride]] for model, row in zip(MODELS, loss_k)}
    return records, curves


def _compare_weights(state, gamma):
    p, W, Ws = state
    return jnp.stack([effective_weight(p, gamma), W, Ws[2] @ Ws[1] @ Ws[0]])


@jax.jit(static_argnames=("num_steps", "kind"))
def _compare(params0, Phi, Y, gamma, etas, target, num_steps, kind):
    losses_of = (
        lambda p: shallow_loss(effective_weight(p, gamma), Phi, Y, kind),
        lambda W: shallow_loss(W, Phi, Y, kind),
        lambda Ws: shallow_loss(Ws[2] @ Ws[1] @ Ws[0], Phi, Y, kind),
    )
    W0 = effective_weight(params0, gamma)
    eye = jnp.eye(W0.shape[1], dtype=W0.dtype)
    state0 = (params0, W0, (eye, eye, W0))

    def record(state, W_m, k_m, k):
        values = jnp.stack([f(x) for f, x in zip(losses_of, state)])
        hit = (k_m < 0) & (values <= target)
        W_m = jnp.where(hit[:, None, None], _compare_weights(state, gamma), W_m)
        return values, W_m, jnp.where(hit, k, k_m)

    def step(carry, k):
        state, W_m, k_m = carry
        values, W_m, k_m = record(state, W_m, k_m, k)
        grads = [jax.grad(f)(x) for f, x in zip(losses_of, state)]
        state = tuple(jax.tree.map(lambda a, g, e=etas[i]: a - e * g, x, g_)
                      for i, (x, g_) in enumerate(zip(state, grads)))
        return (state, W_m, k_m), values

    init = (state0, jnp.zeros((3, *W0.shape), W0.dtype), jnp.full(3, -1))
    (state, W_m, k_m), values = jax.lax.scan(step, init, jnp.arange(num_steps))
    last, W_m, k_m = record(state, W_m, k_m, num_steps)
    return jnp.concatenate([values, last[None]]).T, _compare_weights(state, gamma), W_m, k_m


class ShallowConstants(NamedTuple):
    r"""What the linear-rate theorem needs from the shallow square-loss problem."""

    W_star: jax.Array  # (m_y, m) minimum-norm least-squares weight, a global minimiser of L0
    loss_star: float  # L* = min_W L0(W) = min_{A,B} L(A, B)
    lam_plus: float  # smallest non-zero eigenvalue of Phi^T Phi (the PL constant of L0)
    lam_max: float  # largest eigenvalue of Phi^T Phi (the smoothness constant of L0)


def shallow_constants(Phi, Y, rtol: float = 1e-10) -> ShallowConstants:
    r""":math:`W^* = (\Phi^+ Y)^\top`, :math:`L^*`, and the extreme non-zero eigenvalues of :math:`\Phi^\top\Phi`, in float64.

    Eigenvalues below ``rtol`` times the largest count as zero. ``Y`` may be ``(N,)`` (one output).
    Raises ``ValueError`` naming the argument for wrong ranks, different ``N``, empty or non-finite
    input, an ``rtol`` outside (0, 1), or ``Phi = 0`` (no non-zero eigenvalue); ``TypeError`` for complex input.
    """
    rtol = V.real(rtol, "rtol (relative eigenvalue cut-off)", low=0.0, low_open=True, high=1.0, high_open=True)
    Phi = V.array(Phi, "Phi", ndim=2, shape_hint="(N, m)")
    Y = V.array(Y, "Y", ndim=(1, 2), shape_hint="(N, m_y)")
    Phi64, Y64 = np.asarray(Phi, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    if Y64.ndim == 1:
        Y64 = Y64[:, None]
    if Phi64.shape[0] != Y64.shape[0]:
        raise ValueError(f"Phi (N, m) and Y (N, m_y) must have the same N, got {Phi64.shape} and {Y64.shape}")
    # the non-zero eigenvalues of Phi^T Phi (m, m) are those of Phi Phi^T (N, N): take the smaller Gram matrix
    lam = np.linalg.eigvalsh(Phi64.T @ Phi64 if Phi64.shape[1] <= Phi64.shape[0] else Phi64 @ Phi64.T)
    W_star = np.linalg.lstsq(Phi64, Y64, rcond=None)[0].T
    loss_star = 0.5 * float(np.sum((Phi64 @ W_star.T - Y64) ** 2))
    if not lam[-1] > 0:
        raise ValueError("Phi must not be zero: Phi^T Phi has no non-zero eigenvalue (no PL constant)")
    return ShallowConstants(jnp.asarray(W_star), loss_star, float(lam[lam > rtol * lam[-1]][0]), float(lam[-1]))
