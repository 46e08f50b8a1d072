r"""Trust-region Newton methods, jit-compatible, with an optional metric.

The trust-region subproblem at a point with gradient :math:`g` and Hessian
:math:`H` is

.. math::

    \min_v\ g^\top v + \tfrac12 v^\top H v \quad\text{subject to}\quad \|v\|_{M} \le \Delta,
    \qquad \|v\|_M^2 = v^\top M v .

The metric is given through :math:`P = M^{-1}` (symmetric positive definite), the
form in which it arises for deep equilibrium models (chapter 5): the step is then
a Newton step in the geometry where :math:`P` is the identity. ``P = None`` is the
Euclidean trust region.

* :func:`solve_subproblem_exact`: a nearly exact solution for small problems
  (dense :math:`H`): the Newton step if it is interior, else the boundary solution
  :math:`v = -(H + \mu M)^{-1}g` with :math:`\mu` found by bisection on the secular
  equation, via an eigendecomposition.
* :func:`solve_subproblem_cg`: Steihaug's truncated conjugate gradient, using only
  Hessian-vector products and products with :math:`P` (preconditioned CG).
* :func:`trust_region_newton`: the outer iteration, with the acceptance rule and
  radius update of Nocedal & Wright (Algorithm 4.1), as in SciPy.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import equinox as eqx
import numpy as np

from lib import _validate as V

__all__ = ["TRResult", "solve_subproblem_exact", "solve_subproblem_cg", "trust_region_newton"]


def solve_subproblem_exact(g, H, radius, P=None, bisection_steps: int = 100):
    r"""Nearly exact solution of the trust-region subproblem, ``(v, hits_boundary)``.

    ``g: (n,)``, ``H: (n, n)`` symmetric, ``radius`` :math:`\Delta > 0`, ``P: (n, n)``
    SPD (the inverse metric) or ``None``. With :math:`P = LL^\top` and :math:`v = Lu`
    the problem becomes Euclidean in :math:`u`, with :math:`\tilde g = L^\top g`,
    :math:`\tilde H = L^\top H L`. If :math:`\tilde H \succ 0` and the Newton step is
    inside the region it is returned (one Cholesky factorisation); otherwise
    :math:`u(\mu) = -(\tilde H + \mu I)^{-1}\tilde g` with :math:`\|u(\mu)\| = \Delta`, from an
    eigendecomposition and ``bisection_steps`` bisections on :math:`\mu` (the
    *hard case* adds the needed multiple of the lowest eigenvector).

    Raises ``ValueError`` naming the argument when ``g`` is not a non-empty 1-d array, ``H`` or ``P`` not
    ``(n, n)``, an entry is NaN/inf, ``radius`` is not a positive finite number or ``bisection_steps``
    not a positive integer (``TypeError`` for complex input); under ``jit`` a non-finite ``g``, ``H`` or
    ``radius`` raises at run time (``equinox.error_if``) instead of giving a zero step.
    """
    g, H, P, radius = _check_subproblem(g, H, radius, P)
    bisection_steps = V.integer(bisection_steps, "bisection_steps")
    n = g.shape[0]
    Lf = jnp.eye(n, dtype=g.dtype) if P is None else jnp.linalg.cholesky(P)
    gt, Ht = Lf.T @ g, Lf.T @ H @ Lf
    chol = jnp.linalg.cholesky(Ht)
    newton = -jax.scipy.linalg.cho_solve((chol, True), gt)
    interior = jnp.all(jnp.isfinite(chol)) & (jnp.linalg.norm(newton) <= radius)

    def boundary(_):
        lam, Q = jnp.linalg.eigh(Ht)
        a = Q.T @ gt
        lo = jnp.maximum(0.0, -lam[0])

        def norm_u(mu):
            den = lam + mu
            safe = jnp.where(jnp.abs(den) > 0, den, 1.0)
            return jnp.sqrt(jnp.sum(jnp.where(jnp.abs(den) > 0, (a / safe) ** 2, 0.0)))

        hi = lo + jnp.linalg.norm(gt) / radius + 1.0
        eps = jnp.finfo(g.dtype).eps

        def bisect(_, bounds):
            l, h = bounds
            mid = 0.5 * (l + h)
            too_long = norm_u(mid) > radius
            return jnp.where(too_long, mid, l), jnp.where(too_long, h, mid)

        # hard case: even at mu = lo (+ tiny) the step is shorter than the radius
        lo_eps = lo * (1 + 8 * eps) + 8 * eps * jnp.maximum(1.0, jnp.abs(lam[-1]))
        hard = norm_u(lo_eps) <= radius
        l, h = jax.lax.fori_loop(0, bisection_steps, bisect, (lo_eps, hi))
        mu = jnp.where(hard, lo, h)
        den = lam + mu
        coef = jnp.where(jnp.abs(den) > 0, -a / jnp.where(jnp.abs(den) > 0, den, 1.0), 0.0)
        u = Q @ coef
        tau = jnp.sqrt(jnp.maximum(radius**2 - jnp.sum(u**2), 0.0))
        u = jnp.where(hard, u + tau * Q[:, 0], u)
        return u

    u = jax.lax.cond(interior, lambda _: newton, boundary, None)
    v = Lf @ u
    if V.is_traced(v):
        bad = ~(jnp.isfinite(radius) & jnp.all(jnp.isfinite(g)) & jnp.all(jnp.isfinite(H)))
        v = eqx.error_if(v, bad, "solve_subproblem_exact: g, H and radius must be finite (got NaN or inf)")
    return v, ~interior


def _check_subproblem(g, H, radius, P):
    g = V.array(g, "g", ndim=1, shape_hint="(n,) (the gradient)")
    n = g.shape[0]
    H = V.array(H, "H", ndim=2, shape_hint="(n, n) (the Hessian)")
    if H.shape != (n, n):
        raise ValueError(f"H must have shape (n, n) = {(n, n)} to match g, got {H.shape}")
    if P is not None:
        P = V.array(P, "P", ndim=2, shape_hint="(n, n) (the inverse metric)")
        if P.shape != (n, n):
            raise ValueError(f"P must have shape (n, n) = {(n, n)} to match g, got {P.shape}")
    radius = _radius(radius)
    dt = V.common_float(*[x for x in (g, H, P) if x is not None])
    return g.astype(dt), H.astype(dt), None if P is None else P.astype(dt), radius


def _radius(radius):
    if V.is_traced(radius):
        return radius
    return V.real(radius, "radius (trust radius)", low=0.0, low_open=True)


def solve_subproblem_cg(g, hvp: Callable, radius, P_apply: Callable | None = None, tol: float = 1e-10,
                        max_iter: int | None = None, _track_model: bool = False):
    r"""Steihaug's truncated (preconditioned) conjugate gradient, ``(v, hits_boundary)``.

    ``hvp(v)`` returns :math:`Hv`; ``P_apply(r)`` returns :math:`Pr` (the inverse metric,
    used as the CG preconditioner, so the region is :math:`\|v\|_{P^{-1}} \le \Delta`);
    ``None`` is the identity. Stops at the boundary (a step leaves the region, or a
    direction of non-positive curvature), or when :math:`\|r\| \le \mathrm{tol}\,\|g\|`,
    or after ``max_iter`` (default :math:`n`) iterations. The :math:`M`-norms are
    updated by the standard recurrences, so no product with :math:`M = P^{-1}` is needed.

    Raises ``ValueError`` naming the argument when ``g`` is not a non-empty finite 1-d array, ``radius``
    or ``tol`` not a positive finite number, ``max_iter`` not a positive integer, or ``hvp(g)`` /
    ``P_apply(g)`` not of ``g``'s shape; ``TypeError`` when ``hvp`` or ``P_apply`` is not a function.
    """
    g = V.array(g, "g", ndim=1, shape_hint="(n,) (the gradient)")
    n = g.shape[0]
    V.callable_arg(hvp, "hvp", "a function v -> H v")
    if P_apply is not None:
        V.callable_arg(P_apply, "P_apply", "a function r -> P r, or None")
    radius = _radius(radius)
    if not V.is_traced(tol):
        tol = V.real(tol, "tol (relative residual)", low=0.0, low_open=True)
    max_iter = n if max_iter is None else V.integer(max_iter, "max_iter")
    for name, fn in (("hvp", hvp), ("P_apply", P_apply)):
        if fn is not None and not V.is_traced(g):
            out = jax.eval_shape(fn, g)
            if getattr(out, "shape", None) != g.shape:
                raise ValueError(f"{name}(v) must return an array of v's shape {g.shape}, got {out}")
    P_apply = (lambda r: r) if P_apply is None else P_apply
    z = P_apply(g)
    rz = g @ z
    state = dict(v=jnp.zeros_like(g), Hv=jnp.zeros_like(g), r=g, z=z, d=-z, rz=rz, vMv=jnp.zeros(()), vMd=jnp.zeros(()),
                 dMd=rz, k=0, done=jnp.array(False), boundary=jnp.array(False))
    g_norm = jnp.linalg.norm(g)

    def to_boundary(s):
        # tau >= 0 with ||v + tau d||_M = radius
        a, b, c = s["dMd"], 2 * s["vMd"], s["vMv"] - radius**2
        return (-b + jnp.sqrt(jnp.maximum(b**2 - 4 * a * c, 0.0))) / (2 * a)

    def body(s):
        Hd = hvp(s["d"])
        kappa = s["d"] @ Hd
        alpha = s["rz"] / jnp.where(kappa > 0, kappa, 1.0)
        vMv_next = s["vMv"] + 2 * alpha * s["vMd"] + alpha**2 * s["dMd"]
        hit = (kappa <= 0) | (vMv_next >= radius**2)
        v_hit = s["v"] + to_boundary(s) * s["d"]
        v_next = s["v"] + alpha * s["d"]
        r_next = s["r"] + alpha * Hd
        z_next = P_apply(r_next)
        rz_next = r_next @ z_next
        beta = rz_next / s["rz"]
        converged = jnp.linalg.norm(r_next) <= tol * g_norm
        tau = to_boundary(s)
        new = dict(
            v=jnp.where(hit, v_hit, v_next), Hv=s["Hv"] + jnp.where(hit, tau, alpha) * Hd, r=r_next, z=z_next, d=-z_next + beta * s["d"], rz=rz_next,
            vMv=vMv_next, vMd=beta * (s["vMd"] + alpha * s["dMd"]), dMd=rz_next + beta**2 * s["dMd"],
            k=s["k"] + 1, done=hit | converged, boundary=hit,
        )
        return new

    def cond(s):
        return (~s["done"]) & (s["k"] < max_iter) & (g_norm > 0)

    out = jax.lax.while_loop(cond, body, state)
    if _track_model:
        return out["v"], out["boundary"], g @ out["v"] + 0.5 * out["v"] @ out["Hv"]
    return out["v"], out["boundary"]


def _cg_with_model(g, hvp, radius, P_apply):
    """Steihaug-CG for the outer loop: inexact-Newton forcing tolerance min(1/2, sqrt(||g||)) (superlinear
    convergence, as SciPy's trust-ncg), and the model value g.v + v.Hv/2 (Hv carried along, no extra product)."""
    tol = jnp.minimum(0.5, jnp.sqrt(jnp.linalg.norm(g)))
    return solve_subproblem_cg(g, hvp, radius, P_apply, tol=tol, _track_model=True)


class TRResult(NamedTuple):
    """Outcome of :func:`trust_region_newton`."""

    x: jax.Array  # (n,) final iterate
    fun: jax.Array  # objective at x
    grad_norm: jax.Array  # ||grad f(x)||
    iterations: jax.Array  # outer iterations taken (accepted or not), as SciPy's nit
    radius: jax.Array  # final trust radius
    converged: jax.Array  # grad_norm < gtol
    path: jax.Array  # (max_iter + 1, n): x_k after each iteration (rows past `iterations` repeat x)


@partial(jax.jit, static_argnames=("fun", "subproblem", "max_iter"))
def _tr(fun, x0, P, subproblem, initial_radius, max_radius, eta, gtol, max_iter):
    grad = jax.grad(fun)
    hess = jax.hessian(fun)

    def hvp(x, v):
        return jax.jvp(grad, (x,), (v,))[1]

    def model_step(x, g, radius):
        if subproblem == "exact":
            H = hess(x)
            v, hit = solve_subproblem_exact(g, H, radius, P)
            pred = -(g @ v + 0.5 * v @ H @ v)
        else:
            P_apply = None if P is None else (lambda r: P @ r)
            v, hit, model = _cg_with_model(g, lambda u: hvp(x, u), radius, P_apply)
            pred = -model
        return v, hit, pred

    def cond(s):
        x, f, g, radius, k, stop, path = s
        return (jnp.linalg.norm(g) >= gtol) & (k < max_iter) & ~stop

    def body(s):
        x, f, g, radius, k, stop, path = s
        v, hit, pred = model_step(x, g, radius)
        x_new = x + v
        f_new = fun(x_new)
        rho = (f - f_new) / pred
        radius = jnp.where(rho < 0.25, 0.25 * radius,
                           jnp.where((rho > 0.75) & hit, jnp.minimum(2 * radius, max_radius), radius))
        accept = rho > eta
        x, f = jnp.where(accept, x_new, x), jnp.where(accept, f_new, f)
        g = jnp.where(accept, grad(x_new), g)
        path = path.at[k + 1].set(x)
        return x, f, g, radius, k + 1, pred <= 0, path

    path = jnp.tile(x0, (max_iter + 1, 1))
    s = (x0, fun(x0), grad(x0), jnp.asarray(initial_radius, x0.dtype), 0, jnp.array(False), path)
    x, f, g, radius, k, _, path = jax.lax.while_loop(cond, body, s)
    path = jnp.where((jnp.arange(max_iter + 1) > k)[:, None], x, path)
    g_norm = jnp.linalg.norm(g)
    return TRResult(x, f, g_norm, k, radius, g_norm < gtol, path)


def trust_region_newton(fun: Callable, x0, *, P=None, subproblem: str = "exact", initial_radius: float = 1.0,
                        max_radius: float = 1000.0, eta: float = 0.15, gtol: float = 1e-4,
                        max_iter: int = 200, raise_on_failure: bool = True) -> TRResult:
    r"""Minimise ``fun`` (a scalar function of a vector ``x0: (n,)``) by trust-region Newton.

    Each iteration solves the subproblem (``"exact"``: :func:`solve_subproblem_exact`
    with the dense Hessian; ``"cg"``: :func:`solve_subproblem_cg` with Hessian-vector
    products, stopped at the relative residual :math:`\min(1/2, \|\nabla f\|^{1/2})`) in the metric :math:`M = P^{-1}` (``P=None``: Euclidean), computes the
    ratio :math:`\rho` of actual to predicted reduction, multiplies the radius by
    1/4 if :math:`\rho < 1/4`, doubles it (up to ``max_radius``) if :math:`\rho > 3/4` and
    the step hit the boundary, and accepts the step if :math:`\rho >` ``eta``. Stops when
    :math:`\|\nabla f\| <` ``gtol``. These are the rules of SciPy's ``trust-exact`` and
    ``trust-ncg``, with the same defaults. The whole loop is one jitted
    ``lax.while_loop``; ``fun`` must be a JAX-traceable function (reuse the same
    function object to avoid recompiling).

    Raises ``RuntimeError`` naming the cap and the gradient norm reached when the run stops
    without :math:`\|\nabla f\| <` ``gtol`` (the cap, or a step with no predicted decrease), eagerly
    and under ``jax.jit`` (``equinox.error_if``). ``raise_on_failure=False`` returns the
    :class:`TRResult` instead, with ``converged=False``. Raises ``ValueError`` naming the argument for
    a bad ``x0`` (not a non-empty finite 1-d array; ``TypeError`` if complex), ``P`` (not an SPD
    ``(n, n)`` matrix), ``subproblem``, radii, ``eta``, ``gtol`` (a positive finite number) or
    ``max_iter``, and ``TypeError`` when ``fun`` is not a function.
    """
    V.callable_arg(fun, "fun", "a scalar function of x")
    x0 = V.array(x0, "x0", nonempty=False)
    if x0.ndim != 1:
        raise ValueError(f"x0 must be a 1-d array (flatten the parameters), got shape {x0.shape}")
    if x0.size == 0:
        raise ValueError(f"x0 must not be empty, got shape {x0.shape}")
    if subproblem not in ("exact", "cg"):
        raise ValueError(f"subproblem must be 'exact' or 'cg', got {subproblem!r}")
    radii = f"need 0 < initial_radius < max_radius, got initial_radius={initial_radius}, max_radius={max_radius}"
    try:
        initial_radius = V.real(initial_radius, "initial_radius (trust radius)", low=0.0, low_open=True)
        max_radius = V.real(max_radius, "max_radius (largest trust radius)", low=0.0, low_open=True)
    except ValueError:
        raise ValueError(radii + " (both finite)") from None
    if not 0 < initial_radius < max_radius:
        raise ValueError(
            f"need 0 < initial_radius < max_radius, got initial_radius={initial_radius}, max_radius={max_radius}"
        )
    try:
        eta = V.real(eta, "eta (acceptance threshold)", low=0.0, low_open=False, high=0.25, high_open=True)
    except ValueError:
        raise ValueError(f"eta (acceptance threshold) must lie in [0, 0.25), got {eta}") from None
    gtol = V.real(gtol, "gtol (gradient-norm tolerance)", low=0.0, low_open=True)
    if P is not None:
        P = V.array(P, "P", ndim=2, shape_hint="(n, n) (the inverse metric)")
        if P.shape != (x0.size, x0.size):
            raise ValueError(f"P must have shape {(x0.size, x0.size)}, got {P.shape}")
        if not V.is_traced(P) and not bool(jnp.all(jnp.isfinite(jnp.linalg.cholesky(P)))):
            raise ValueError("P (the inverse metric) must be symmetric positive definite")
        P = P.astype(V.common_float(P, x0))
    max_iter = V.integer(max_iter, "max_iter")
    if not isinstance(raise_on_failure, (bool, np.bool_)):
        raise TypeError(f"raise_on_failure must be True or False, got {raise_on_failure!r}")
    out = jax.eval_shape(fun, x0)
    if not (getattr(out, "shape", None) == () and jnp.issubdtype(out.dtype, jnp.floating)):
        raise ValueError(f"fun must return a real scalar, got {out}")
    res = _tr(fun, x0, P, subproblem, float(initial_radius), float(max_radius), float(eta), float(gtol),
              int(max_iter))
    if not raise_on_failure:
        return res
    x = V.fail_if(res.x, ~res.converged, res.grad_norm,
                  f"trust_region_newton ({subproblem}) stopped without ||grad f|| < gtol = {gtol:g} within the cap "
                  f"max_iter = {max_iter}: gradient norm {{res}} (at the cap, or no predicted decrease: gtol below "
                  "the precision of the arithmetic?); pass raise_on_failure=False to get the result anyway")
    return res._replace(x=x)
