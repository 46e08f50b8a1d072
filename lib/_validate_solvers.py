"""Private validators of the solver modules (deq, trust_region, implicit, implicit_theorem, train).

To be merged into the shared ``lib._check``. Every function raises ``TypeError`` (wrong kind of
object: a string, None, a complex number or array) or ``ValueError`` (right kind, bad value)
with a message naming the argument, the value and what was expected. Value checks on traced
arrays are skipped (shapes and dtypes are static and always checked); solvers report failure
under ``jit`` with :func:`fail_if` (``equinox.error_if``).
"""
from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


def is_traced(x) -> bool:
    return isinstance(x, jax.core.Tracer)


def _short(x) -> str:
    r = repr(x)
    return r if len(r) <= 80 else r[:77] + "..."


def scalar(x, name: str, what: str, *, lo=None, hi=None, lo_open=True, hi_open=True, allow_traced=True):
    """``x`` as a Python float (a traced scalar is returned as is), or raise.

    Accepts Python and NumPy numbers and 0-d NumPy/JAX arrays of a real dtype. ``lo``/``hi`` bound the
    value (open unless ``lo_open``/``hi_open`` is False); the message reads "name (what) must be ..., got x".
    """
    label = f"{name} ({what})" if what else name
    if is_traced(x):
        if not allow_traced:
            raise TypeError(f"{label} must be a concrete number, not a traced value inside jit")
        if jnp.ndim(x) != 0 or jnp.iscomplexobj(x):
            raise TypeError(f"{label} must be a real scalar, got a traced array of shape {jnp.shape(x)}, dtype {x.dtype}")
        return x
    if isinstance(x, (bool, np.bool_)) or x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{label} must be a real number, got {_short(x)}")
    if isinstance(x, (complex, np.complexfloating)) or (hasattr(x, "dtype") and np.iscomplexobj(x)):
        raise TypeError(f"{label} must be a real number, got the complex value {_short(x)}")
    if hasattr(x, "dtype") or hasattr(x, "__array__"):
        if np.ndim(x) != 0:
            raise TypeError(f"{label} must be a real scalar, got an array of shape {np.shape(x)}")
        if not (np.issubdtype(np.asarray(x).dtype, np.number)):
            raise TypeError(f"{label} must be a real number, got {_short(x)}")
        x = np.asarray(x).item()
    if not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{label} must be a real number, got {_short(x)}")
    v = float(x)
    bad = not math.isfinite(v)
    if lo is not None:
        bad = bad or (v <= lo if lo_open else v < lo)
    if hi is not None:
        bad = bad or (v >= hi if hi_open else v > hi)
    if bad:
        raise ValueError(f"{label} must be {_range(lo, hi, lo_open, hi_open)}, got {_short(x)}")
    return v


def _range(lo, hi, lo_open, hi_open) -> str:
    if lo is None and hi is None:
        return "a finite number"
    if hi is None:
        return "a positive finite number" if (lo == 0 and lo_open) else (
            "a non-negative finite number" if lo == 0 else f"a finite number {'>' if lo_open else '>='} {lo:g}")
    if lo is None:
        return f"a finite number {'<' if hi_open else '<='} {hi:g}"
    return f"in the interval {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"


def positive(x, name: str, what: str = ""):
    return scalar(x, name, what, lo=0.0)


def count(x, name: str, what: str = "", minimum: int = 1) -> int:
    """``x`` as a Python int >= ``minimum`` (Python or NumPy integers, or a 0-d integer array).

    A float (even integral, such as 3.0) raises ``ValueError``; a string, None or bool ``TypeError``."""
    label = f"{name} ({what})" if what else name
    expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if hasattr(x, "dtype") and np.ndim(x) == 0 and not is_traced(x) and np.issubdtype(np.asarray(x).dtype, np.integer):
        x = int(np.asarray(x))
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
        exc = ValueError if isinstance(x, (float, np.floating)) else TypeError
        raise exc(f"{label} must be {expected}, got {_short(x)}")
    if x < minimum:
        raise ValueError(f"{label} must be {expected}, got {_short(x)}")
    return int(x)


def array(x, name: str, *, ndim=None, shape_hint: str = "", nonempty: bool = True, finite: bool = True,
          dtype=None):
    """``x`` as a real floating JAX array (lists, tuples and integer arrays converted), or raise.

    ``ndim`` is an int or a tuple of allowed ranks; ``shape_hint`` (say "(N, m)") goes into the message.
    Complex input raises ``TypeError`` (it would lose its imaginary part); non-numeric input ``TypeError``;
    NaN/inf entries (concrete arrays only) and empty arrays ``ValueError``.
    """
    if x is None or isinstance(x, (str, bytes, dict)):
        raise TypeError(f"{name} must be an array{' ' + shape_hint if shape_hint else ''}, got {_short(x)}")
    if not is_traced(x) and not isinstance(x, jax.Array):
        try:
            x = jnp.asarray(x)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be a numeric array{' ' + shape_hint if shape_hint else ''}, "
                            f"got {_short(x)} ({err})") from None
    if jnp.iscomplexobj(x):
        raise TypeError(f"{name} must be real, got a complex array (dtype {x.dtype}); pass the real part explicitly")
    if not (jnp.issubdtype(x.dtype, jnp.floating) or jnp.issubdtype(x.dtype, jnp.integer)
            or x.dtype == jnp.bool_):
        raise TypeError(f"{name} must be a numeric array, got dtype {x.dtype}")
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(dtype or jnp.result_type(float))
    elif dtype is not None and x.dtype != dtype:
        x = x.astype(dtype)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            ranks = " or ".join(f"{r}-d" for r in allowed)
            raise ValueError(f"{name} must be a {ranks} array{' ' + shape_hint if shape_hint else ''}, got shape {x.shape}")
    if nonempty and x.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    if finite and not is_traced(x):
        ok = np.isfinite(np.asarray(x))
        if not ok.all():
            raise ValueError(f"{name} contains {int(ok.size - ok.sum())} non-finite entries (NaN or inf)")
    return x


def common_float(*arrays):
    """The floating dtype all of ``arrays`` promote to (float32 inputs meet float64 parameters in float64)."""
    return jnp.result_type(*[a.dtype for a in arrays])


def default_tol(tol, dtype, f64_default: float, eps_factor: float = 100.0):
    """``tol``, or when it is None the dtype-aware default: ``f64_default`` (below float32 resolution)
    raised to ``eps_factor`` machine epsilons of ``dtype``. In float64 the default is ``f64_default``."""
    if tol is None:
        return max(f64_default, eps_factor * float(jnp.finfo(dtype).eps))
    return tol


def precision_hint(tol, dtype) -> str:
    eps = float(jnp.finfo(dtype).eps)
    if tol < 10 * eps:
        return (f"; tol = {tol:g} is within 10 machine epsilons of {jnp.dtype(dtype).name} (eps = {eps:.3g}): "
                "raise tol, or enable float64 (jax.config.update('jax_enable_x64', True))")
    return ""


_DECADES = tuple(range(-30, 31))


def fail_if(x, failed, res, message: str, exc=RuntimeError):
    """Return ``x``; raise when ``failed``. Concrete: ``exc(message.format(res=...))`` with the residual.

    Traced: ``equinox.error_if`` (a ``RuntimeError`` at run time), whose message is static, so the
    residual is named to its decade ("between 1e-04 and 1e-03", or "NaN or inf").
    """
    if not (is_traced(failed) or is_traced(res)):
        if bool(failed):
            raise exc(message.format(res=f"{float(res):.3g}"))
        return x
    msgs = [message.format(res="NaN or inf")]
    msgs += [message.format(res=f"between 1e{d:+03d} and 1e{d + 1:+03d}") for d in _DECADES]
    r = jnp.abs(res)
    d = jnp.clip(jnp.floor(jnp.log10(jnp.maximum(r, 1e-30))), _DECADES[0], _DECADES[-1]).astype(jnp.int32)
    index = jnp.where(jnp.isfinite(res), d - _DECADES[0] + 1, 0)
    return eqx.branched_error_if(x, failed, index, msgs)


def callable_arg(fn, name: str, what: str = "a function"):
    if not callable(fn):
        raise TypeError(f"{name} must be {what}, got {_short(fn)}")
    return fn


def choice(x, name: str, options):
    if not isinstance(x, str) or x not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}, got {_short(x)}")
    return x


def key(k, name: str = "key"):
    """A JAX PRNG key: a typed key array, or a legacy raw ``uint32`` key of shape ``(2,)``."""
    if isinstance(k, jax.Array) or is_traced(k):
        if jnp.issubdtype(k.dtype, jax.dtypes.prng_key) and k.ndim == 0:
            return k
        if k.dtype == jnp.uint32 and k.shape == (2,):
            return k
    raise TypeError(f"{name} must be a JAX PRNG key (jax.random.key(seed)), got {_short(k)}")
