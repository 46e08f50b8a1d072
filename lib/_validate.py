"""Argument validators of lib (private): one function per kind of check.

Every check raises with a message that names the argument, the value received
and what was expected (DEVELOPERS.md, "Errors say what to do"), under one rule:

* ``TypeError`` for a value of the wrong kind: ``None``, a string, a bool, a
  complex number or array, a non-numeric array, an array where a scalar is
  expected, a float (even an integral one) or a traced value where an integer
  is expected (as ``range(2.5)`` and ``numpy.zeros(2.5)`` refuse it: a size is
  counted, not measured);
* ``ValueError`` for a value of the right kind that is out of range (a
  non-positive size, NaN or infinity, a wrong shape, a ragged nested list, an
  unknown option string).

Values traced inside ``jax.jit`` pass the value checks unchanged (only static
properties, shape and dtype, are checked on them); solvers report failure under
``jit`` with :func:`fail_if` (``equinox.error_if``).
"""
from __future__ import annotations

import math
import numbers

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


def is_traced(x) -> bool:
    """Whether ``x`` is a tracer (inside ``jit``/``grad``), so its values cannot be inspected."""
    return isinstance(x, jax.core.Tracer)


def _must(name: str, what: str) -> str:
    """``"<name> must be <what>"``, or ``"<name> must <what>"`` when ``what`` has its own verb ("lie in ...")."""
    return f"{name} must {what}" if what.startswith(("lie ", "be ")) else f"{name} must be {what}"


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _scalar_dtype(value):
    """The dtype of a scalar-like ``value``, or None when it is not a number at all."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(bool)
    if isinstance(value, numbers.Number):
        return np.asarray(value).dtype
    dtype = getattr(value, "dtype", None)
    return np.dtype(dtype) if dtype is not None else None


def integer(value, name: str, *, minimum: int | None = 1, what: str | None = None) -> int:
    """``value`` as a Python ``int`` >= ``minimum`` (no bound when ``minimum`` is None).

    Accepts Python and NumPy integers and integer 0-d arrays (NumPy or JAX, concrete).
    ``None``, strings, bools, floats (even integral ones), complex numbers, other
    arrays and traced values raise ``TypeError``; values below ``minimum`` raise
    ``ValueError``. ``what`` replaces the expected phrase of the message
    ("a positive integer", "an integer >= 2", ...).
    """
    if what is None:
        what = ("an integer" if minimum is None else "a non-negative integer" if minimum == 0
                else "a positive integer" if minimum == 1 else f"an integer >= {minimum}")
    if is_traced(value):
        raise TypeError(f"{_must(name, what)}, got a traced value inside jit: pass a concrete integer")
    dtype = _scalar_dtype(value)
    if (value is None or isinstance(value, (str, bytes, bool, np.bool_)) or dtype is None
            or not np.issubdtype(dtype, np.integer) or np.ndim(value) != 0):
        raise TypeError(f"{_must(name, what)}, got {_short(value)}")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{_must(name, what)}, got {v}")
    return v


def _range(low, high, low_open, high_open, finite) -> str:
    """The expected phrase of :func:`real` for the bounds given."""
    if low is None and high is None:
        return "a finite real number" if finite else "a real number (not NaN)"
    if high is None:
        if low == 0:
            return "a positive finite number" if low_open else "a non-negative finite number"
        return f"a finite number {'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"a finite number {'<' if high_open else '<='} {high:g}"
    return f"lie in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def real(value, name: str, *, what: str | None = None, low=None, high=None,
         low_open: bool = False, high_open: bool = False, finite: bool = True):
    """Check that ``value`` is a real scalar in the given range; return it (a ``float`` if concrete).

    Accepts Python and NumPy numbers and 0-d arrays (NumPy or JAX). Traced values are
    returned unchanged after a shape and dtype check. ``None``, strings, bools, complex
    numbers, non-numeric values and arrays of other shapes raise ``TypeError``; NaN,
    infinity (when ``finite``) and values out of ``[low, high]`` (open ends when
    ``low_open`` / ``high_open``) raise ``ValueError``.

    ``what`` is the expected phrase of both messages ("positive and finite", "lie in
    (0, 1]"); without it a ``TypeError`` says "must be a real number" and a
    ``ValueError`` names the range ("a positive finite number", "lie in (0, 1)").
    """
    kind = what or "a real number"
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{_must(name, kind)}, got {_short(value)}")
    dtype = _scalar_dtype(value)
    if dtype is None:
        raise TypeError(f"{_must(name, kind)}, got {type(value).__name__} {_short(value)}")
    if np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"{_must(name, kind)}, got the complex value {_short(value)}: pass a real number")
    if not np.issubdtype(dtype, np.number):  # bools too: True is not a step size
        raise TypeError(f"{_must(name, kind)}, got {_short(value)} of dtype {dtype}")
    if np.ndim(value) != 0:
        raise TypeError(f"{_must(name, kind)} (a scalar), got an array of shape {np.shape(value)}")
    if is_traced(value):
        return value
    v = float(value)
    bad = (finite and not math.isfinite(v)) or math.isnan(v)
    if low is not None:
        bad = bad or (v <= low if low_open else v < low)
    if high is not None:
        bad = bad or (v >= high if high_open else v > high)
    if bad:
        raise ValueError(f"{_must(name, what or _range(low, high, low_open, high_open, finite))}, got {_short(value)}")
    return v


def option(value, name: str, choices) -> str:
    """``value`` if it is one of the strings ``choices``; ``TypeError`` if not a string, else ``ValueError``.

    The message lists the choices: "must be 'a' or 'b'", "must be one of 'a', 'b' or 'c'".
    """
    names = [repr(c) for c in choices]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    listed = f"one of {listed}" if len(names) > 2 else listed
    if not isinstance(value, str):
        raise TypeError(f"{name} must be {listed}, got {_short(value)} of type {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be {listed}, got {value!r}")
    return value


def real_dtype(x, name: str):
    """Raise ``TypeError`` when array-like ``x`` is complex or not numeric; return its dtype.

    ``x`` may be traced (the dtype is static). ``None`` and strings raise ``TypeError``.
    """
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a real numeric array, got {_short(x)}")
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        try:
            dtype = np.asarray(x).dtype
        except (ValueError, TypeError) as err:
            raise ValueError(f"{name} must be a rectangular real numeric array, got {_short(x)} ({err})") from None
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.complexfloating):
        raise TypeError(
            f"{name} must be real, got a complex array (dtype {dtype}): the imaginary part would be dropped; "
            f"pass {name}.real or abs({name}) explicitly"
        )
    if not (np.issubdtype(dtype, np.number) or dtype == np.bool_):
        raise TypeError(f"{name} must be a real numeric array, got dtype {dtype}")
    return dtype


def array(x, name: str, *, ndim=None, shape_hint: str = "", nonempty: bool = True, finite: bool = True,
          dtype=None):
    """``x`` as a real floating JAX array (lists, tuples, integer and bool arrays converted), or raise.

    ``x`` may be traced. Floating arrays keep their dtype unless ``dtype`` is given; other
    real arrays become ``dtype`` or the default float dtype. ``ndim`` is an int or a tuple of
    allowed ranks; ``shape_hint`` (say "(N, m)") goes into the message. ``None``, strings,
    dicts, complex and non-numeric input raise ``TypeError`` (see :func:`real_dtype`); a ragged
    nested list, a wrong rank, an empty array (when ``nonempty``) and NaN/inf entries of a
    concrete array (when ``finite``) raise ``ValueError``.
    """
    hint = " " + shape_hint if shape_hint else ""
    real_dtype(x, name)  # a dict, like any non-numeric object, is an array of dtype object
    if not is_traced(x) and not isinstance(x, jax.Array):
        x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(dtype or jnp.result_type(float))
    elif dtype is not None and x.dtype != dtype:
        x = x.astype(dtype)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            ranks = " or ".join(f"{r}-d" for r in allowed)
            raise ValueError(f"{name} must be a {ranks} array{hint}, got shape {x.shape}")
    if nonempty and x.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    if finite and not is_traced(x):
        ok = np.isfinite(np.asarray(x))
        if not ok.all():
            raise ValueError(f"{name} contains {int(ok.size - ok.sum())} non-finite entries (NaN or inf)")
    return x


def key(value, name: str = "key"):
    """``value`` if it is a JAX PRNG key (a typed key array, or a raw ``uint32`` pair), else ``TypeError``."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        if jnp.issubdtype(dtype, jax.dtypes.prng_key):
            if jnp.ndim(value) == 0:
                return value
        elif np.dtype(dtype) == np.uint32 and tuple(jnp.shape(value)) == (2,):
            return value
    raise TypeError(f"{name} must be a JAX PRNG key (jax.random.key(seed)), got {_short(value)}")


def callable_arg(fn, name: str, what: str = "a function"):
    """``fn`` if it is callable, else ``TypeError``."""
    if not callable(fn):
        raise TypeError(f"{name} must be {what}, got {_short(fn)}")
    return fn


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


def real_sequence(values, name: str, length: int | None = None, nonnegative: bool = True) -> list:
    """``values`` (a 1-d sequence of real numbers: list, tuple or array) as a list of finite floats, or raise."""
    if values is None or isinstance(values, (str, bytes)) or np.ndim(values) != 1:
        raise (TypeError if values is None or isinstance(values, (str, bytes)) else ValueError)(
            f"{name} must be a 1-d sequence of numbers, got {values!r}")
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got complex entries {values!r}")
    if not (np.issubdtype(arr.dtype, np.number)) or arr.dtype == np.bool_:
        raise TypeError(f"{name} must be a sequence of real numbers, got {values!r}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if length is not None and arr.size != length:
        raise ValueError(f"{name} must have {length} entries, got {arr.size}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must have finite entries, got {values!r}")
    if nonnegative and np.any(arr < 0):
        raise ValueError(f"{name} must have non-negative entries, got {values!r}")
    return [float(v) for v in arr]


def data(X, Y=None):
    """``(X, Y)`` checked by :func:`lib.data.check_data`, after refusing complex, boolean and ``None`` input
    and converting integer arrays to float."""
    from lib.data import check_data

    X = array(X, "X")
    if Y is not None:
        Y = array(Y, "Y")
    return check_data(X, Y)


def net(value, name: str = "net"):
    """Raise ``TypeError`` unless ``value`` is a :class:`lib.mlp.MLP`."""
    from lib import mlp

    if not isinstance(value, mlp.MLP):
        raise TypeError(f"{name} must be a lib.mlp.MLP, got {type(value).__name__} {value!r}")
    return value


def params(net_, value, name: str = "params") -> list:
    """``value`` (a list or tuple of ``L`` weight matrices of ``net_``'s shapes, real and finite) as a list of arrays."""
    if value is None or isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a list or tuple of L = {net_.L} weight matrices, got {type(value).__name__}")
    if len(value) != net_.L:
        raise ValueError(f"{name} must hold L = {net_.L} weight matrices, got {len(value)}")
    out = []
    for l, (W, n_in, n_out) in enumerate(zip(value, net_.widths[:-1], net_.widths[1:]), start=1):
        W = array(W, f"{name}[{l - 1}] (W_{l})")
        if W.shape != (n_in, n_out):
            raise ValueError(f"{name}[{l - 1}] (W_{l}) must have shape {(n_in, n_out)}, got {W.shape}")
        out.append(W)
    return out


def output_columns(net_, Y):
    """Raise ``ValueError`` unless ``Y`` has ``n_L`` columns."""
    if Y.shape[1] != net_.widths[-1]:
        raise ValueError(f"Y must have n_L = {net_.widths[-1]} columns, got shape {Y.shape}")


def finite_measured(values: dict, culprits: str) -> None:
    """Raise ``ValueError`` when a quantity measured from finite input overflowed (``values``: symbol -> float)."""
    for symbol, value in values.items():
        if not math.isfinite(value):
            raise ValueError(f"{symbol} = {value} is not finite although the input is: the values overflow float64; "
                             f"rescale {culprits}")
