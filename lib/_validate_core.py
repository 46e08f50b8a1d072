"""Argument validators shared by lib's core modules (private).

Every check raises with a message that names the argument, the value received
and what was expected (DEVELOPERS.md, "Errors say what to do"):

* ``TypeError`` for a value of the wrong kind (``None``, a string, a complex
  number or array, a non-numeric array);
* ``ValueError`` for a value of the right kind out of range (a non-positive or
  non-integer size, NaN or infinity, a wrong shape).

Values that are traced inside ``jax.jit`` pass the value checks unchanged
(only static properties, shape and dtype, are checked on them).
"""
from __future__ import annotations

import numbers

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


def as_int(value, name: str, *, minimum: int = 1, what: str | None = None) -> int:
    """``value`` as a Python ``int`` >= ``minimum``.

    Accepts Python and NumPy integers and integer 0-d arrays (NumPy or JAX, concrete).
    ``None``, strings and complex numbers raise ``TypeError``; bools, floats (even
    integral ones: a size is not a measurement), other arrays and values below
    ``minimum`` raise ``ValueError``.
    """
    if what is None:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if value is None or isinstance(value, (str, bytes, complex)):
        raise TypeError(f"{_must(name, what)}, got {_short(value)}")
    dtype = _scalar_dtype(value)
    if (isinstance(value, (bool, np.bool_)) or dtype is None or not np.issubdtype(dtype, np.integer)
            or np.ndim(value) != 0 or is_traced(value)):
        raise ValueError(f"{_must(name, what)}, got {_short(value)}")
    v = int(value)
    if v < minimum:
        raise ValueError(f"{_must(name, what)}, got {v}")
    return v


def as_real(value, name: str, *, what: str = "a finite real number", low=None, high=None,
            low_open: bool = False, high_open: bool = False, finite: bool = True):
    """Check that ``value`` is a real scalar in the given range; return it (a ``float`` if concrete).

    Accepts Python and NumPy numbers and 0-d arrays (NumPy or JAX). Traced values
    are returned unchanged after a dtype check. ``None``, strings, bools, complex
    numbers and non-numeric values raise ``TypeError``; arrays of other shapes,
    NaN, infinity (when ``finite``) and values out of ``[low, high]`` (open ends
    when ``low_open`` / ``high_open``) raise ``ValueError``.
    """
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{_must(name, what)}, got {_short(value)}")
    dtype = _scalar_dtype(value)
    if dtype is None:
        raise TypeError(f"{_must(name, what)}, got {_short(value)}")
    if np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"{_must(name, what)}, got the complex value {_short(value)}: pass a real number")
    if not np.issubdtype(dtype, np.number):  # bools too: True is not a step size
        raise TypeError(f"{_must(name, what)}, got {_short(value)} of dtype {dtype}")
    if np.ndim(value) != 0:
        raise ValueError(f"{_must(name, what)} (a scalar), got an array of shape {np.shape(value)}")
    if is_traced(value):
        return value
    v = float(value)
    bad = (finite and not np.isfinite(v)) or np.isnan(v)
    if low is not None:
        bad = bad or (v <= low if low_open else v < low)
    if high is not None:
        bad = bad or (v >= high if high_open else v > high)
    if bad:
        raise ValueError(f"{_must(name, what)}, got {_short(value)}")
    return v


def option(value, name: str, choices) -> str:
    """``value`` if it is one of the strings ``choices``; ``TypeError`` if not a string, else ``ValueError``."""
    names = [repr(c) for c in choices]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
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


def real_array(x, name: str):
    """``x`` as a JAX array of a real dtype; integers and bools become the default float dtype."""
    real_dtype(x, name)
    arr = jnp.asarray(x)
    if not jnp.issubdtype(arr.dtype, jnp.floating):
        arr = arr.astype(jnp.result_type(float))
    return arr


def check_key(key, name: str = "key"):
    """Raise ``TypeError`` unless ``key`` is a JAX PRNG key (typed, or a raw ``uint32`` pair)."""
    dtype = getattr(key, "dtype", None)
    if dtype is not None:
        if jnp.issubdtype(dtype, jax.dtypes.prng_key):
            if jnp.ndim(key) == 0:
                return key
        elif np.dtype(dtype) == np.uint32 and jnp.shape(key) == (2,):
            return key
    raise TypeError(f"{name} must be a JAX random key (jax.random.key(seed)), got {_short(key)}")
