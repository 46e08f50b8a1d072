r"""Full-batch gradient descent, the algorithm every theorem of the book is about.

:func:`gradient_descent` runs :math:`\theta_{k+1} = \theta_k - \eta \nabla\Phi(\theta_k)`
under ``jax.jit`` with ``lax.scan`` and returns the final parameters and a
:class:`History`: the loss, the gradient norm, the distance of every parameter
block from its initial value, and any extra per-step quantity a chapter asks for.
A run whose loss becomes non-finite, or grows by more than ``max_growth`` over
its initial value, raises :class:`DivergenceError` naming the step size and the
step; parameters are frozen from that step on, so nothing turns silently into NaN.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lib import _validate as V

__all__ = ["History", "DivergenceError", "gradient_descent", "square_loss"]


class History(NamedTuple):
    r"""Per-step record of a gradient-descent run; index ``k`` is :math:`\theta_k`, ``k = 0..T``."""

    loss: jax.Array  # (T+1,) loss Phi(theta_k)
    grad_norm: jax.Array  # (T+1,) Frobenius norm of the whole gradient at theta_k
    distance: Any  # pytree shaped like params; each leaf (T+1,): ||theta_k - theta_0|| (Frobenius) of that block
    extras: dict  # name -> (T+1, ...) array of extras[name](theta_k)


class DivergenceError(RuntimeError):
    """Gradient descent diverged: the loss became non-finite or grew by a large factor."""


def square_loss(pred, Y):
    r"""Square loss :math:`\Phi = \tfrac12 \|F - Y\|_F^2` of predictions ``pred`` against targets ``Y`` (same shape).

    Raises ``ValueError`` when the shapes differ, an array is empty or (outside ``jit``) has NaN/inf
    entries, and ``TypeError`` for complex or non-numeric input.
    """
    pred, Y = V.array(pred, "pred"), V.array(Y, "Y")
    if jnp.shape(pred) != jnp.shape(Y):
        raise ValueError(
            f"pred and Y must have the same shape, got {jnp.shape(pred)} and {jnp.shape(Y)}"
        )
    return 0.5 * jnp.sum((pred - Y) ** 2)


def _tree_distance(a, b):
    return jax.tree.map(lambda x, y: jnp.sqrt(jnp.sum((x - y) ** 2)), a, b)


@partial(jax.jit, static_argnames=("loss_fn", "num_steps", "extras"))
def _run(loss_fn, params0, eta, num_steps, extras, max_growth):
    value_and_grad = jax.value_and_grad(loss_fn)

    def record(params):
        loss, grad = value_and_grad(params)
        gnorm = jnp.sqrt(sum(jnp.sum(g**2) for g in jax.tree.leaves(grad)))
        row = (loss, gnorm, _tree_distance(params, params0), {n: fn(params) for n, fn in extras})
        return row, grad

    (loss0, *_), _ = record(params0)

    def step(carry, k):
        params, diverged_at = carry
        row, grad = record(params)
        loss = row[0]
        bad = ~jnp.isfinite(loss) | ((loss0 > 0) & (loss > max_growth * loss0))
        diverged_at = jnp.where((diverged_at < 0) & bad, k, diverged_at)
        ok = diverged_at < 0
        params = jax.tree.map(lambda p, g: jnp.where(ok, p - eta * g, p), params, grad)
        return (params, diverged_at), row

    (params, diverged_at), rows = jax.lax.scan(
        step, (params0, jnp.array(-1)), jnp.arange(num_steps)
    )
    last, _ = record(params)
    rows = jax.tree.map(lambda r, x: jnp.concatenate([r, x[None]]), rows, last)
    return params, rows, diverged_at


def _check_params(params):
    """Every leaf as a real floating array (lists, numbers and integer arrays converted), finite outside jit."""
    leaves, treedef = jax.tree.flatten(params)
    if not leaves:
        raise ValueError(f"params must hold at least one array, got {params!r}")
    out = []
    for i, leaf in enumerate(leaves):
        name = "params" if len(leaves) == 1 else f"params (leaf {i} of {len(leaves)})"
        if isinstance(leaf, jax.Array) and not V.is_traced(leaf) and jnp.issubdtype(leaf.dtype, jnp.floating):
            V.array(leaf, name, nonempty=False)   # finite check only: the array itself is passed on unchanged
            out.append(leaf)
        else:
            out.append(V.array(leaf, name, nonempty=False))
    return jax.tree.unflatten(treedef, out)


def gradient_descent(
    loss_fn: Callable,
    params,
    eta: float,
    num_steps: int,
    *,
    extras: dict | None = None,
    max_growth: float = 1e4,
):
    r"""Run ``num_steps`` steps of full-batch gradient descent on ``loss_fn``.

    ``loss_fn(params) -> scalar`` closes over the data; ``params`` is any pytree
    of arrays; ``eta`` is the step size :math:`\eta > 0`. ``extras`` maps names
    to functions ``fn(params) -> array`` evaluated at every iterate (for example
    :math:`\lambda_{\min}` of a Gram matrix) and stored in ``History.extras``.

    Returns ``(params_T, history)`` (:class:`History`, arrays of length
    ``num_steps + 1``). Raises :class:`DivergenceError` when the loss at some
    step is non-finite or exceeds ``max_growth`` times the initial loss. The
    jitted loop is cached per ``loss_fn`` object: reuse one function to avoid
    recompiling.

    The final iterate is checked too. Raises ``ValueError`` (``TypeError`` for a wrong kind of object)
    naming the argument when ``eta`` is not a positive finite number, ``num_steps`` not a positive
    integer, ``max_growth`` not above 1, ``loss_fn`` or an ``extras`` entry not a function, ``loss_fn``
    not scalar-valued, a leaf of ``params`` complex or non-finite, or the initial loss non-finite.
    """
    V.callable_arg(loss_fn, "loss_fn", "a function of params returning a scalar loss")
    eta = V.real(eta, "eta (step size)", low=0.0, low_open=True)
    num_steps = V.integer(num_steps, "num_steps")
    max_growth = V.real(max_growth, "max_growth (divergence factor)", low=1.0, low_open=True)
    if extras is not None and not isinstance(extras, dict):
        raise TypeError(f"extras must be a dict mapping names to functions of params, got {extras!r}")
    for name, fn in (extras or {}).items():
        if not isinstance(name, str):
            raise TypeError(f"extras keys must be strings (names of the records), got {name!r}")
        if not callable(fn):
            raise ValueError(f"extras[{name!r}] must be a function of params, got {fn!r}")
    extras = tuple(sorted((extras or {}).items()))
    params = _check_params(params)
    out = jax.eval_shape(loss_fn, params)
    if not (isinstance(out, jax.ShapeDtypeStruct) and out.shape == () and jnp.issubdtype(out.dtype, jnp.floating)):
        raise ValueError(f"loss_fn must return a real scalar, got {out}")
    params_T, rows, diverged_at = _run(loss_fn, params, float(eta), int(num_steps), extras, float(max_growth))
    loss, gnorm, distance, extra_rows = rows
    loss0 = float(loss[0])
    if not np.isfinite(loss0):
        raise ValueError(f"loss_fn(params) is not finite at the initial params (loss {loss0}): nothing to descend")
    k = int(diverged_at)
    if k < 0:  # the scan checks the loss before each step; the final iterate is checked here
        last = float(loss[-1])
        if not np.isfinite(last) or (loss0 > 0 and last > max_growth * loss0):
            k = int(num_steps)
    if k >= 0:
        gk = float(gnorm[k - 1]) if k > 0 else float(gnorm[0])
        if k > 0 and not np.isfinite(gk) and np.isfinite(float(loss[k - 1])):
            why = (f"the gradient at step {k - 1} is non-finite while the loss is finite ({float(loss[k - 1]):.4g}): "
                   "not a step-size problem; check the derivative of loss_fn (an inner solve that did not converge?)")
        else:
            why = "lower eta"
        raise DivergenceError(
            f"gradient descent diverged at step {k} with step size eta = {eta:g}: "
            f"loss {float(loss[k]):.4g} against initial loss {loss0:.4g} "
            f"(limit {max_growth:g} times the initial loss, or non-finite); {why}"
        )
    return params_T, History(loss, gnorm, distance, dict(extra_rows))
