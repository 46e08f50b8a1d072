r"""Deep ReLU implicit networks (chapter 4, after Gao et al. 2022 and Gao & Gao 2022).

The hidden state of sample :math:`x_i` is the solution of the equilibrium equation

.. math::

    z_i = \mathrm{relu}\big(\tilde A z_i + W x_i\big), \qquad \tilde A = \frac{\gamma}{\sqrt m} A,

an infinitely deep weight-tied ReLU network of width :math:`m`, and the output is
:math:`\hat y_i = u^\top z_i` (the standard parameterisation of the output layer, whose
weights start at :math:`\mathcal N(0, 1/m)` or at zero). The fixed scalar :math:`\gamma` is Gao & Gao's
scaling of the implicit matrix: with :math:`A_{ij} \sim \mathcal N(0, 1)`,
:math:`\|\tilde A\|_2 \approx 2\gamma`, so :math:`\gamma < 1/2` makes the equation
well posed at initialisation (ReLU is 1-Lipschitz, so :math:`z \mapsto \mathrm{relu}(\tilde Az + b)`
is a contraction when :math:`\|\tilde A\|_2 < 1`).

* :func:`init`, :func:`implicit_norm`, :func:`check_well_posed`, :func:`predict`;
* :func:`fixed_point`: plain iteration and Anderson acceleration under ``jit``, batched
  over samples, with a relative-residual stopping rule and an iteration cap; :func:`solve`
  raises :class:`NonConvergenceError` when the cap is hit;
* :func:`equilibrium`: the equilibrium features, differentiable by implicit differentiation
  (``jax.custom_vjp``): the backward pass solves the adjoint equilibrium
  :math:`w = \bar z + \tilde A^\top(D w)` with the same solver, so its memory does not grow
  with the number of forward iterations;
* :func:`gram`, :func:`limit_kernel`: the Gram matrix :math:`ZZ^\top/m` of the equilibrium
  features and its infinite-width limit, the fixed point of the arc-cosine recursion.
"""
from __future__ import annotations

import math
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lib import _validate as V
from lib import linalg
from lib.data import check_data
from lib.kernels import arccos_moments

__all__ = [
    "Params", "SolverConfig", "NonConvergenceError", "init", "scaled_A", "implicit_norm", "check_well_posed",
    "fixed_point", "solve", "equilibrium_map", "solve_equilibrium", "equilibrium", "equilibrium_with_stats",
    "predict", "targets", "loss", "gram", "limit_kernel",
]

METHODS = ("plain", "anderson")


class Params(NamedTuple):
    """Parameters of the implicit network (all trained)."""

    A: jax.Array  # (m, m) implicit weights; the layer uses gamma * A / sqrt(m)
    W: jax.Array  # (m, d) input weights
    u: jax.Array  # (m,) output weights; the output is u.z


class SolverConfig(NamedTuple):
    r"""How equilibria are solved: ``method`` ("plain" or "anderson"), relative tolerance, cap, Anderson memory.

    ``tol=None`` (the default) is dtype-aware: :math:`10^{-10}` in float64, 100 machine epsilons
    (about :math:`1.2\cdot 10^{-5}`) in float32, where :math:`10^{-10}` is below the resolution.
    """

    method: str = "anderson"
    tol: float | None = None
    max_iter: int = 500
    memory: int = 5
    regularization: float = 1e-10  # ridge on Anderson's least-squares system, relative to its largest entry
    adjoint: "SolverConfig | None" = None  # solver for the backward (adjoint) equilibrium; None: the same


class NonConvergenceError(RuntimeError):
    """A fixed-point solve hit its iteration cap before reaching the relative-residual tolerance."""


def _check_config(config: SolverConfig, name: str = "config") -> SolverConfig:
    if isinstance(config, tuple) and not isinstance(config, SolverConfig):
        try:
            config = SolverConfig(*config)
        except TypeError as err:
            raise TypeError(f"{name} must be a SolverConfig, got {config!r} ({err})") from None
    if not isinstance(config, SolverConfig):
        raise TypeError(f"{name} must be a SolverConfig, got {config!r}")
    if not isinstance(config.method, str) or config.method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {config.method!r}")
    if config.tol is not None:
        try:
            tol = V.real(config.tol, "tol (relative residual)", low=0.0, low_open=True)
        except (TypeError, ValueError) as err:
            raise type(err)(f"tol (relative residual) must be a positive finite number, got {config.tol!r} "
                             "(or None for the dtype-aware default)") from None
        config = config._replace(tol=tol)
    config = config._replace(max_iter=V.integer(config.max_iter, "max_iter"),
                             memory=V.integer(config.memory, "memory (Anderson)"))
    reg = V.real(config.regularization, "regularization (Anderson ridge)", low=0.0, low_open=False)
    config = config._replace(regularization=reg)
    if config.adjoint is not None:
        config = config._replace(adjoint=_check_config(config.adjoint, "adjoint"))
    return config


def _tol(config: SolverConfig, dtype) -> float:
    """The relative-residual tolerance of ``config`` for arrays of ``dtype`` (``tol=None``: dtype-aware)."""
    return V.default_tol(config.tol, dtype, 1e-10)


def _params(params) -> Params:
    """``params`` as :class:`Params` (a plain ``(A, W, u)`` tuple is accepted), shapes checked."""
    if not isinstance(params, (tuple, list)) or len(params) != 3:
        raise TypeError(f"params must be a Params (A, W, u) or a triple of arrays, got {type(params).__name__}")
    A = V.array(params[0], "A", ndim=2, shape_hint="(m, m)")
    W = V.array(params[1], "W", ndim=2, shape_hint="(m, d)")
    u = V.array(params[2], "u", ndim=1, shape_hint="(m,)")
    m = A.shape[0]
    if A.shape != (m, m):
        raise ValueError(f"A must be a square (m, m) matrix, got shape {A.shape}")
    if W.shape[0] != m:
        raise ValueError(f"W must have shape (m, d) with m = {m}, got {W.shape}")
    if u.shape != (m,):
        raise ValueError(f"u must have shape (m,) = ({m},), got {u.shape}")
    dt = V.common_float(A, W, u)
    return Params(A.astype(dt), W.astype(dt), u.astype(dt))


def _gamma(gamma):
    if V.is_traced(gamma):
        return gamma
    return V.real(gamma, "gamma (scale of the implicit matrix)", low=0.0, low_open=True)


OUTPUTS = ("lecun", "zero")


def init(key, m: int, d: int, output: str = "lecun") -> Params:
    r"""Standard Gaussian :math:`A` and :math:`W` (the scale :math:`\gamma/\sqrt m` of :math:`A` lives in the model).

    The output weights are :math:`\mathcal N(0, 1/m)` (``output="lecun"``) or zero (``output="zero"``).
    Raises ``ValueError`` when ``m`` or ``d`` is not positive or ``output`` is unknown; ``TypeError``
    when ``m`` or ``d`` is not an integer (a float, even 3.0, included) or ``key`` is not a PRNG key.
    """
    m, d = V.integer(m, "m"), V.integer(d, "d")
    V.key(key)
    if not isinstance(output, str) or output not in OUTPUTS:
        raise ValueError(f"output (initialisation of u) must be one of {OUTPUTS}, got {output!r}")
    ka, kw, ku = jax.random.split(key, 3)
    u = jax.random.normal(ku, (m,)) / math.sqrt(m) if output == "lecun" else jnp.zeros(m)
    return Params(jax.random.normal(ka, (m, m)), jax.random.normal(kw, (m, d)), u)


def scaled_A(params: Params, gamma: float):
    r""":math:`\tilde A = \gamma A/\sqrt m`, the matrix of the equilibrium equation.

    Raises ``ValueError`` unless ``gamma`` is a positive finite number and ``params`` has the shapes of
    :class:`Params`."""
    params, gamma = _params(params), _gamma(gamma)
    return gamma * params.A / math.sqrt(params.A.shape[0])


def implicit_norm(params: Params, gamma: float) -> float:
    r""":math:`\|\tilde A\|_2`, in float64: the equilibrium is well posed when it is below 1."""
    return linalg.spectral_norm(scaled_A(params, gamma))


def check_well_posed(params: Params, gamma: float) -> float:
    r"""Return :math:`\|\tilde A\|_2`, or raise ``ValueError`` when it is not below 1."""
    gamma = _gamma(gamma)
    norm = implicit_norm(params, gamma)
    if not norm < 1:
        raise ValueError(
            f"the equilibrium is not known to be well posed: ||gamma A / sqrt(m)||_2 = {norm:.4g} >= 1 "
            f"(gamma = {gamma}); choose a smaller gamma"
        )
    return norm


class _State(NamedTuple):
    k: jax.Array  # iterations taken
    z: jax.Array  # current iterate (flattened)
    res: jax.Array  # relative residual ||f(z) - z|| / ||f(z)||
    Xh: jax.Array  # (memory, n) Anderson: past iterates
    Fh: jax.Array  # (memory, n) Anderson: past residuals g = f(x) - x
    fz: jax.Array  # f at the last point whose residual was measured (returned at the end)


def _rel(g, fz):
    return jnp.linalg.norm(g) / jnp.maximum(jnp.linalg.norm(fz), jnp.finfo(fz.dtype).tiny)


@partial(jax.jit, static_argnums=(0, 3))
def _fixed_point(f, z0, args, config: SolverConfig):
    shape = z0.shape
    x0 = z0.reshape(-1)

    def F(x):
        return f(x.reshape(shape), *args).reshape(-1)

    fx0 = F(x0)
    tol = _tol(config, x0.dtype)
    mem = config.memory
    n = x0.shape[0]
    if config.method == "anderson":
        Xh0 = jnp.zeros((mem, n), x0.dtype).at[0].set(x0)
        Fh0 = jnp.zeros((mem, n), x0.dtype).at[0].set(fx0 - x0)
    else:  # plain iteration carries no history
        Xh0 = Fh0 = jnp.zeros((0, n), x0.dtype)
    state = _State(jnp.array(1), fx0, _rel(fx0 - x0, fx0), Xh0, Fh0, fx0)

    def cond(s):
        return (s.res > tol) & (s.k < config.max_iter)

    def plain(s):
        fz = F(s.z)
        return s._replace(k=s.k + 1, z=fz, res=_rel(fz - s.z, fz), fz=fz)

    def anderson(s):
        # type-II Anderson: combine the last `mem` (iterate, residual) pairs
        fz = F(s.z)
        g = fz - s.z
        slot = s.k % mem
        Xh, Fh = s.Xh.at[slot].set(s.z), s.Fh.at[slot].set(g)
        valid = jnp.arange(mem) < jnp.minimum(s.k + 1, mem)
        G = Fh @ Fh.T  # slots not yet written are zero
        G = G + config.regularization * jnp.max(jnp.diag(G)) * jnp.eye(mem)  # ridge relative to the scale
        # minimise ||sum_j alpha_j g_j|| subject to sum_j alpha_j = 1 (slots not yet written get alpha = 0)
        G = jnp.where(valid[:, None] & valid[None, :], G, jnp.eye(mem))
        a = jnp.where(valid, jnp.linalg.solve(G, valid.astype(G.dtype)), 0.0)
        a = a / jnp.sum(a)
        z_new = a @ Xh + a @ Fh  # sum_j alpha_j f(x_j)
        return s._replace(k=s.k + 1, z=z_new, res=_rel(g, fz), Xh=Xh, Fh=Fh, fz=fz)

    step = plain if config.method == "plain" else anderson
    s = jax.lax.while_loop(cond, step, state)
    # return f(z) at the last point whose residual was measured (for Anderson, not the untested extrapolation)
    return s.fz.reshape(shape), s.k, s.res


def fixed_point(f, z0, args=(), config: SolverConfig = SolverConfig()):
    r"""Solve :math:`z = f(z, *args)` from ``z0``: returns ``(f(z), evaluations, relative_residual)``.

    ``f`` is a module-level function (it is a static argument of ``jit``; ``args`` are traced).
    Stops when the relative residual :math:`\|f(z) - z\|/\|f(z)\|` is at most the tolerance
    (``config.tol``, dtype-aware when None), or after ``config.max_iter`` evaluations of ``f``. Works
    under ``jit`` and never raises on non-convergence (the residual is the result): check it, or call
    :func:`solve`. Raises ``TypeError`` when ``f`` is not a function, ``args`` not a tuple or list, or
    ``config`` not a :class:`SolverConfig`; ``ValueError`` for a bad ``z0`` (empty or non-finite;
    ``TypeError`` if complex), an option out of range, or ``f(z0)`` not of ``z0``'s shape.
    """
    config = _check_config(config)
    z0, args = _check_fixed_point(f, z0, args)
    return _fixed_point(f, z0, args, config)


def _check_fixed_point(f, z0, args):
    V.callable_arg(f, "f", "a function z, *args -> z")
    z0 = V.array(z0, "z0")
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"args must be a tuple of the extra arguments of f, got {type(args).__name__}")
    args = tuple(args)
    out = jax.eval_shape(f, z0, *args)
    if getattr(out, "shape", None) != z0.shape:
        raise ValueError(f"f(z0, *args) must return an array of z0's shape {z0.shape}, got {out}")
    return z0, args


def _fail_message(solver: str, config: SolverConfig, tol: float, dtype, extra: str = "") -> str:
    return (f"{solver} ({config.method}) stopped at the cap max_iter = {config.max_iter} with relative residual "
            f"{{res}} > tol = {tol:g}{extra}" + V.precision_hint(tol, dtype).replace("{", "{{").replace("}", "}}"))


def solve(f, z0, args=(), config: SolverConfig = SolverConfig()):
    """:func:`fixed_point`, raising :class:`NonConvergenceError` (with the cap and the residual reached) when
    the cap is hit, eagerly and under ``jax.jit`` (``equinox.error_if``, a ``RuntimeError``).

    Returns ``(z, iterations, residual)`` (Python numbers outside ``jit``). Raises as :func:`fixed_point`
    on bad input."""
    config = _check_config(config)
    z0, args = _check_fixed_point(f, z0, args)
    z, k, res = _fixed_point(f, z0, args, config)
    tol = _tol(config, z.dtype)
    z = V.fail_if(z, ~(res <= tol), res, _fail_message("fixed-point iteration", config, tol, z.dtype),
                  NonConvergenceError)
    if V.is_traced(res):
        return z, k, res
    return z, int(k), float(res)


def equilibrium_map(Z, A_t, B):
    r"""One step of the equilibrium equation for all samples: :math:`Z \mapsto \mathrm{relu}(Z\tilde A^\top + B)`.

    ``Z, B: (N, m)``, ``A_t: (m, m)``; raises ``ValueError`` naming the argument for other shapes
    (``TypeError`` for complex input)."""
    Z, A_t, B = _check_equation(Z, A_t, B, "Z")
    return jax.nn.relu(Z @ A_t.T + B)


def _check_equation(Z, A_t, B, zname):
    A_t = V.array(A_t, "A_t", ndim=2, shape_hint="(m, m)")
    m = A_t.shape[0]
    if A_t.shape != (m, m):
        raise ValueError(f"A_t must be a square (m, m) matrix, got shape {A_t.shape}")
    B = V.array(B, "B", ndim=2, shape_hint="(N, m)")
    if B.shape[1] != m:
        raise ValueError(f"B must have shape (N, m) with m = {m}, got {B.shape}")
    if Z is not None:
        Z = V.array(Z, zname, ndim=2, shape_hint="(N, m)", finite=False)
        if Z.shape != B.shape:
            raise ValueError(f"{zname} must have the shape of B, {B.shape}, got {Z.shape}")
    return Z, A_t, B


def _adjoint_map(Wv, A_t, Dmask, Zbar):
    return Zbar + (Dmask * Wv) @ A_t


@partial(jax.custom_vjp, nondiff_argnums=(2,))
def _equilibrium(A_t, B, config):
    return _fixed_point(equilibrium_map, jnp.zeros_like(B), (A_t, B), config)


def _equilibrium_fwd(A_t, B, config):
    Z, k, res = _fixed_point(equilibrium_map, jnp.zeros_like(B), (A_t, B), config)
    return (Z, k, res), (A_t, B, Z)


def _equilibrium_bwd(config, saved, cotangents):
    A_t, B, Z = saved
    Zbar = cotangents[0]
    Dmask = (Z @ A_t.T + B > 0).astype(Z.dtype)
    # adjoint equilibrium w = zbar + A^T (D w), row by row: W = Zbar + (D * W) A
    adj = config if config.adjoint is None else config.adjoint
    Wv, _, res = _fixed_point(_adjoint_map, Zbar, (A_t, Dmask, Zbar), adj)
    tol = _tol(adj, Wv.dtype)
    Wv = jnp.where(res <= tol, Wv, jnp.nan)  # an unconverged adjoint must not pass for a gradient
    Wv = V.fail_if(Wv, ~(res <= tol), res,
                   _fail_message("implicit: the adjoint equilibrium solve of the backward pass", adj, tol, Wv.dtype,
                                 ": the gradient is undefined; raise the adjoint's max_iter or tol "
                                 "(SolverConfig(adjoint=...))"), NonConvergenceError)
    Vd = Dmask * Wv
    return Vd.T @ Z, Vd


_equilibrium.defvjp(_equilibrium_fwd, _equilibrium_bwd)


def solve_equilibrium(A_t, B, config: SolverConfig = SolverConfig()):
    r"""``(Z, iterations, residual)`` for :math:`Z = \mathrm{relu}(Z\tilde A^\top + B)` from :math:`Z = 0`, given the
    scaled matrix ``A_t`` and the input injections ``B`` (rows :math:`Wx_i`); differentiable in both by
    implicit differentiation. :func:`equilibrium_with_stats` is this function of the network's parameters.
    Does not raise at the cap (check the residual); the backward pass raises :class:`NonConvergenceError`
    (under ``jit``, a ``RuntimeError``) when the adjoint solve does not converge. Raises ``ValueError``
    naming the argument for bad shapes or non-finite entries.
    """
    config = _check_config(config)
    _, A_t, B = _check_equation(None, A_t, B, "Z")
    dt = V.common_float(A_t, B)
    return _equilibrium(A_t.astype(dt), B.astype(dt), config)


def equilibrium_with_stats(params: Params, X, gamma: float, config: SolverConfig = SolverConfig()):
    r"""``(Z, iterations, residual)``: the equilibrium features :math:`Z \in \mathbb R^{N\times m}` (rows :math:`z_i`).

    Differentiable in ``params`` by implicit differentiation. Works under ``jit``; it does not
    raise when the cap is hit (see :func:`equilibrium`). An adjoint solve that does not converge
    raises :class:`NonConvergenceError` in the backward pass (a ``RuntimeError`` under ``jit``).
    Raises ``ValueError`` naming the argument for a bad ``X`` (2-d, non-empty, finite; ``TypeError``
    if complex), ``gamma`` (a positive finite number), parameter shapes or ``config``.
    """
    config = _check_config(config)
    params = _params(params)
    X = _X(X)
    if X.shape[1] != params.W.shape[1]:
        raise ValueError(f"X must have d = {params.W.shape[1]} columns (the input weights' width), got shape {X.shape}")
    return solve_equilibrium(scaled_A(params, gamma), X @ params.W.T, config)


def _X(X):
    X = V.array(X, "X", ndim=2, shape_hint="(N, d)", nonempty=False)
    return check_data(X)[0]


def equilibrium(params: Params, X, gamma: float, config: SolverConfig = SolverConfig()):
    r"""The equilibrium features, raising :class:`NonConvergenceError` (the cap, the residual reached and
    :math:`\|\tilde A\|_2`) when the solver hits its cap; under ``jax.jit`` the same message comes as a
    ``RuntimeError`` (``equinox.error_if``). Raises as :func:`equilibrium_with_stats` on bad input."""
    config = _check_config(config)
    params = _params(params)
    Z, k, res = equilibrium_with_stats(params, X, gamma, config)
    tol = _tol(config, Z.dtype)
    if not V.is_traced(res):
        if not float(res) <= tol:
            raise NonConvergenceError(_fail_message("equilibrium solve", config, tol, Z.dtype).format(
                res=f"{float(res):.3g}") + f"; ||gamma A / sqrt(m)||_2 = {implicit_norm(params, gamma):.4g}")
        return Z
    return V.fail_if(Z, ~(res <= tol), res, _fail_message("equilibrium solve", config, tol, Z.dtype),
                     NonConvergenceError)


def predict(params: Params, X, gamma: float, config: SolverConfig = SolverConfig()):
    r""":math:`\hat y = Z u`, shape ``(N,)``. Raises as :func:`equilibrium`."""
    params = _params(params)
    return equilibrium(params, X, gamma, config) @ params.u


def targets(X, Y):
    """``Y`` as a vector of ``N`` scalar labels (shape ``(N,)`` or ``(N, 1)``), or ``ValueError``
    (``TypeError`` for complex input)."""
    X = _X(X)
    Y = V.array(Y, "Y", ndim=(1, 2), shape_hint="(N,) or (N, 1)", nonempty=False)
    X, Y = check_data(X, Y)
    if Y.shape[1] != 1:
        raise ValueError(f"Y must hold one scalar label per sample, shape (N,) or (N, 1), got shape {Y.shape}")
    return Y[:, 0]


def loss(params: Params, X, Y, gamma: float, config: SolverConfig = SolverConfig()):
    r""":math:`\tfrac12\|\hat y - y\|^2`. Raises as :func:`equilibrium` and :func:`targets`."""
    return 0.5 * jnp.sum((predict(params, X, gamma, config) - targets(X, Y)) ** 2)


def gram(params: Params, X, gamma: float, config: SolverConfig = SolverConfig()):
    r""":math:`ZZ^\top/m`, the normalised Gram matrix of the equilibrium features (:math:`m` times it is the
    output layer's block :math:`ZZ^\top` of the NTK); its limit as :math:`m \to \infty` is :func:`limit_kernel`.
    Raises as :func:`equilibrium`."""
    X = _X(X)
    Z = equilibrium(params, X, gamma, config)
    return Z @ Z.T / Z.shape[1]


def limit_kernel(X, gamma: float, tol: float = 1e-13, max_iter: int = 10_000):
    r"""The infinite-width limit of :func:`gram`: the fixed point :math:`K^*` of the arc-cosine recursion.

    At width :math:`m\to\infty` the pre-activations :math:`h_i = \tilde Az_i + Wx_i` are jointly
    Gaussian with covariance :math:`\Sigma = \gamma^2K + XX^\top`, where :math:`K = ZZ^\top/m`, and
    :math:`z = \mathrm{relu}(h)`, so :math:`K` must satisfy :math:`K = k_1(\gamma^2K + XX^\top)`,
    :math:`k_1` the degree-1 arc-cosine kernel. The map is a contraction for :math:`\gamma^2 < 1`
    (:math:`k_1` is monotone with derivative at most one in the covariance), so we iterate it.
    Raises :class:`NonConvergenceError` when ``max_iter`` iterations do not reach ``tol``, and
    ``ValueError`` naming the argument for a bad ``X``, ``gamma`` (in (0, 1)), ``tol`` or ``max_iter``
    (``TypeError`` for a ``max_iter`` that is not an integer).
    """
    X = _X(X)
    try:
        gamma = V.real(gamma, "gamma", low=0.0, low_open=True, high=1.0, high_open=True)
    except ValueError:
        raise ValueError(f"gamma must lie in (0, 1) for the limit kernel to be a contraction, got {gamma!r}") from None
    tol = V.real(tol, "tol (relative change)", low=0.0, low_open=True)
    max_iter = V.integer(max_iter, "max_iter")
    S0 = np.asarray(X @ X.T, dtype=np.float64)
    K = np.zeros_like(S0)
    for _ in range(max_iter):
        S = gamma**2 * K + S0
        diag = np.diag(S)
        K_new = np.asarray(arccos_moments(diag[:, None], diag[None, :], S)[0])
        if np.abs(K_new - K).max() <= tol * np.abs(K_new).max():
            return jnp.asarray(K_new)
        K = K_new
    change = float(np.abs(K_new - K).max() / max(np.abs(K_new).max(), np.finfo(np.float64).tiny))
    raise NonConvergenceError(f"limit_kernel: no convergence to tol = {tol:g} in max_iter = {max_iter} iterations "
                              f"(relative change {change:.3g})")
