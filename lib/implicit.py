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
    """How equilibria are solved: ``method`` ("plain" or "anderson"), relative tolerance, cap, Anderson memory."""

    method: str = "anderson"
    tol: float = 1e-10
    max_iter: int = 500
    memory: int = 5
    regularization: float = 1e-10  # ridge on Anderson's least-squares system, relative to its largest entry
    adjoint: "SolverConfig | None" = None  # solver for the backward (adjoint) equilibrium; None: the same


class NonConvergenceError(RuntimeError):
    """A fixed-point solve hit its iteration cap before reaching the relative-residual tolerance."""


def _check_config(config: SolverConfig) -> SolverConfig:
    if config.method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {config.method!r}")
    if not (np.isfinite(config.tol) and config.tol > 0):
        raise ValueError(f"tol (relative residual) must be a positive finite number, got {config.tol!r}")
    if not isinstance(config.max_iter, (int, np.integer)) or config.max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {config.max_iter!r}")
    if not isinstance(config.memory, (int, np.integer)) or config.memory < 1:
        raise ValueError(f"memory (Anderson) must be a positive integer, got {config.memory!r}")
    if config.adjoint is not None:
        _check_config(config.adjoint)
    return config


OUTPUTS = ("lecun", "zero")


def init(key, m: int, d: int, output: str = "lecun") -> Params:
    r"""Standard Gaussian :math:`A` and :math:`W` (the scale :math:`\gamma/\sqrt m` of :math:`A` lives in the model).

    The output weights are :math:`\mathcal N(0, 1/m)` (``output="lecun"``) or zero (``output="zero"``).
    """
    for name, v in (("m", m), ("d", d)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if output not in OUTPUTS:
        raise ValueError(f"output (initialisation of u) must be one of {OUTPUTS}, got {output!r}")
    ka, kw, ku = jax.random.split(key, 3)
    u = jax.random.normal(ku, (m,)) / math.sqrt(m) if output == "lecun" else jnp.zeros(m)
    return Params(jax.random.normal(ka, (m, m)), jax.random.normal(kw, (m, d)), u)


def scaled_A(params: Params, gamma: float):
    r""":math:`\tilde A = \gamma A/\sqrt m`, the matrix of the equilibrium equation."""
    return gamma * params.A / math.sqrt(params.A.shape[0])


def implicit_norm(params: Params, gamma: float) -> float:
    r""":math:`\|\tilde A\|_2`, in float64: the equilibrium is well posed when it is below 1."""
    return linalg.spectral_norm(scaled_A(params, gamma))


def check_well_posed(params: Params, gamma: float) -> float:
    r"""Return :math:`\|\tilde A\|_2`, or raise ``ValueError`` when it is not below 1."""
    if not (np.isfinite(gamma) and gamma > 0):
        raise ValueError(f"gamma (scale of the implicit matrix) must be a positive finite number, got {gamma!r}")
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
    mem = config.memory
    n = x0.shape[0]
    if config.method == "anderson":
        Xh0 = jnp.zeros((mem, n), x0.dtype).at[0].set(x0)
        Fh0 = jnp.zeros((mem, n), x0.dtype).at[0].set(fx0 - x0)
    else:  # plain iteration carries no history
        Xh0 = Fh0 = jnp.zeros((0, n), x0.dtype)
    state = _State(jnp.array(1), fx0, _rel(fx0 - x0, fx0), Xh0, Fh0, fx0)

    def cond(s):
        return (s.res > config.tol) & (s.k < config.max_iter)

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
    Stops when the relative residual :math:`\|f(z) - z\|/\|f(z)\|` is at most ``config.tol``, or
    after ``config.max_iter`` evaluations of ``f``. Works under ``jit`` and never raises on
    non-convergence: check the residual, or call :func:`solve`.
    """
    return _fixed_point(f, z0, tuple(args), _check_config(config))


def solve(f, z0, args=(), config: SolverConfig = SolverConfig()):
    """:func:`fixed_point`, raising :class:`NonConvergenceError` (with the residual reached) at the cap."""
    z, k, res = fixed_point(f, z0, args, config)
    if not float(res) <= config.tol:
        raise NonConvergenceError(
            f"{config.method} fixed-point iteration stopped at the cap max_iter = {config.max_iter} with relative "
            f"residual {float(res):.3g} > tol = {config.tol:g}"
        )
    return z, int(k), float(res)


def equilibrium_map(Z, A_t, B):
    r"""One step of the equilibrium equation for all samples: :math:`Z \mapsto \mathrm{relu}(Z\tilde A^\top + B)`."""
    return jax.nn.relu(Z @ A_t.T + B)


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
    Wv = jnp.where(res <= adj.tol, Wv, jnp.nan)  # an unconverged adjoint must not pass for a gradient
    V = Dmask * Wv
    return V.T @ Z, V


_equilibrium.defvjp(_equilibrium_fwd, _equilibrium_bwd)


def solve_equilibrium(A_t, B, config: SolverConfig = SolverConfig()):
    r"""``(Z, iterations, residual)`` for :math:`Z = \mathrm{relu}(Z\tilde A^\top + B)` from :math:`Z = 0`, given the
    scaled matrix ``A_t`` and the input injections ``B`` (rows :math:`Wx_i`); differentiable in both by
    implicit differentiation. :func:`equilibrium_with_stats` is this function of the network's parameters.
    """
    return _equilibrium(A_t, B, _check_config(config))


def equilibrium_with_stats(params: Params, X, gamma: float, config: SolverConfig = SolverConfig()):
    r"""``(Z, iterations, residual)``: the equilibrium features :math:`Z \in \mathbb R^{N\times m}` (rows :math:`z_i`).

    Differentiable in ``params`` by implicit differentiation. Works under ``jit``; it does not
    raise when the cap is hit (see :func:`equilibrium`). An adjoint solve that does not converge
    gives NaN gradients, which :func:`lib.train.gradient_descent` reports as divergence.
    """
    X, _ = check_data(X)
    if X.shape[1] != params.W.shape[1]:
        raise ValueError(f"X must have d = {params.W.shape[1]} columns (the input weights' width), got shape {X.shape}")
    return solve_equilibrium(scaled_A(params, gamma), X @ params.W.T, config)


def equilibrium(params: Params, X, gamma: float, config: SolverConfig = SolverConfig()):
    """The equilibrium features, raising :class:`NonConvergenceError` when the solver hits its cap (outside ``jit``)."""
    Z, k, res = equilibrium_with_stats(params, X, gamma, config)
    if not linalg._is_traced(res) and not float(res) <= config.tol:
        raise NonConvergenceError(
            f"equilibrium solve ({config.method}) stopped at max_iter = {config.max_iter} with relative residual "
            f"{float(res):.3g} > tol = {config.tol:g}; ||gamma A / sqrt(m)||_2 = {implicit_norm(params, gamma):.4g}"
        )
    return Z


def predict(params: Params, X, gamma: float, config: SolverConfig = SolverConfig()):
    r""":math:`\hat y = Z u`, shape ``(N,)``."""
    return equilibrium(params, X, gamma, config) @ params.u


def targets(X, Y):
    """``Y`` as a vector of ``N`` scalar labels (shape ``(N,)`` or ``(N, 1)``), or ``ValueError``."""
    X, Y = check_data(X, Y)
    if Y.shape[1] != 1:
        raise ValueError(f"Y must hold one scalar label per sample, shape (N,) or (N, 1), got shape {Y.shape}")
    return Y[:, 0]


def loss(params: Params, X, Y, gamma: float, config: SolverConfig = SolverConfig()):
    r""":math:`\tfrac12\|\hat y - y\|^2`."""
    return 0.5 * jnp.sum((predict(params, X, gamma, config) - targets(X, Y)) ** 2)


def gram(params: Params, X, gamma: float, config: SolverConfig = SolverConfig()):
    r""":math:`ZZ^\top/m`, the normalised Gram matrix of the equilibrium features (:math:`m` times it is the
    output layer's block :math:`ZZ^\top` of the NTK); its limit as :math:`m \to \infty` is :func:`limit_kernel`."""
    X, _ = check_data(X)
    Z = equilibrium(params, X, gamma, config)
    return Z @ Z.T / Z.shape[1]


def limit_kernel(X, gamma: float, tol: float = 1e-13, max_iter: int = 10_000):
    r"""The infinite-width limit of :func:`gram`: the fixed point :math:`K^*` of the arc-cosine recursion.

    At width :math:`m\to\infty` the pre-activations :math:`h_i = \tilde Az_i + Wx_i` are jointly
    Gaussian with covariance :math:`\Sigma = \gamma^2K + XX^\top`, where :math:`K = ZZ^\top/m`, and
    :math:`z = \mathrm{relu}(h)`, so :math:`K` must satisfy :math:`K = k_1(\gamma^2K + XX^\top)`,
    :math:`k_1` the degree-1 arc-cosine kernel. The map is a contraction for :math:`\gamma^2 < 1`
    (:math:`k_1` is monotone with derivative at most one in the covariance), so we iterate it.
    Raises :class:`NonConvergenceError` when ``max_iter`` iterations do not reach ``tol``.
    """
    X, _ = check_data(X)
    if not (np.isfinite(gamma) and 0 < gamma < 1):
        raise ValueError(f"gamma must lie in (0, 1) for the limit kernel to be a contraction, got {gamma!r}")
    S0 = np.asarray(X @ X.T, dtype=np.float64)
    K = np.zeros_like(S0)
    for _ in range(max_iter):
        S = gamma**2 * K + S0
        diag = np.diag(S)
        K_new = np.asarray(arccos_moments(diag[:, None], diag[None, :], S)[0])
        if np.abs(K_new - K).max() <= tol * np.abs(K_new).max():
            return jnp.asarray(K_new)
        K = K_new
    raise NonConvergenceError(f"limit_kernel: no convergence to tol = {tol:g} in {max_iter} iterations")
