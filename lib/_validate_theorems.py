"""Argument checks shared by the theorem modules (lastlayer, pyramid, report, plotting, explore).

Private. Each check names the argument, the value received and what was expected
(DEVELOPERS.md: bad input gets a clear error), and returns the value converted to
what the caller computes with. Complex input is refused with ``TypeError`` rather than
silently losing its imaginary part.
"""
from __future__ import annotations

import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np


def _is_traced(x) -> bool:
    return isinstance(x, jax.core.Tracer)


def _scalar(value, name: str, what: str):
    """``value`` as a Python ``float`` (a real number: Python, NumPy or a 0-d array), or raise ``TypeError``."""
    if value is None or isinstance(value, (bool, np.bool_, str, bytes)):
        raise TypeError(f"{name} must be {what}, got {value!r}")
    if isinstance(value, (complex, np.complexfloating)) or (
            hasattr(value, "dtype") and np.issubdtype(np.dtype(value.dtype), np.complexfloating)):
        raise TypeError(f"{name} must be {what}, got the complex value {value!r}")
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        if tuple(value.shape) != ():
            raise TypeError(f"{name} must be {what} (a scalar), got an array of shape {tuple(value.shape)}")
        if np.dtype(value.dtype) == np.bool_:
            raise TypeError(f"{name} must be {what}, got the boolean {value!r}")
        return float(value)
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} {value!r}")
    return float(value)


def positive_finite(value, name: str, or_none: bool = False) -> float:
    """``value`` as a positive finite ``float``, or raise (``TypeError`` for a non-number, ``ValueError`` otherwise).

    ``or_none``: the caller accepts ``None`` too (and handles it before calling); only the message says so.
    """
    what = "None or a positive finite number" if or_none else "a positive finite number"
    x = _scalar(value, name, what)
    if not (math.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return x


def nonnegative_finite(value, name: str) -> float:
    """``value`` as a finite ``float >= 0``, or raise."""
    what = "a non-negative finite number"
    x = _scalar(value, name, what)
    if not (math.isfinite(x) and x >= 0):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return x


def finite(value, name: str) -> float:
    """``value`` as a finite ``float``, or raise."""
    what = "a finite real number"
    x = _scalar(value, name, what)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return x


def in_interval(value, name: str, low: float, high: float, closed_low: bool = False) -> float:
    """``value`` as a ``float`` in ``(low, high)`` (``[low, high)`` with ``closed_low``), or raise."""
    interval = f"{'[' if closed_low else '('}{low:g}, {high:g})"
    x = _scalar(value, name, f"a real number in {interval}")
    if not ((low <= x if closed_low else low < x) and x < high):
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return x


def integer(value, name: str, minimum: int | None = 1) -> int:
    """``value`` as a Python ``int >= minimum`` (Python or NumPy integer, or an integer 0-d array), or raise.

    Floats, even integral ones, are refused with ``TypeError``: a size is counted, not measured.
    """
    what = ("an integer" if minimum is None else "a non-negative integer" if minimum == 0
            else "a positive integer" if minimum == 1 else f"an integer >= {minimum}")
    if isinstance(value, (bool, np.bool_)) or value is None:
        raise TypeError(f"{name} must be {what}, got {value!r}")
    if hasattr(value, "dtype") and hasattr(value, "shape") and not isinstance(value, np.generic):
        if tuple(value.shape) != () or not np.issubdtype(np.dtype(value.dtype), np.integer):
            raise TypeError(f"{name} must be {what}, got an array of dtype {value.dtype} and shape {value.shape}")
        value = int(value)
    if not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return int(value)


def option(value, name: str, accepted) -> str:
    """``value`` if it is one of the strings ``accepted`` (exactly: no case folding), else raise ``ValueError``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {list(accepted)}, got {type(value).__name__} {value!r}")
    if value not in accepted:
        raise ValueError(f"{name} must be one of {list(accepted)}, got {value!r}")
    return value


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


def array(A, name: str, ndim: int | None = None):
    """``A`` as a real floating JAX array (integers are converted to the default float), or raise.

    Refuses ``None`` and complex arrays (``TypeError``) and NaN/inf entries of concrete arrays
    (``ValueError``); floating arrays are passed through unchanged (same dtype).
    """
    if A is None:
        raise TypeError(f"{name} must be an array, got None")
    try:
        arr = jnp.asarray(A)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of real numbers, got {type(A).__name__}: {err}") from None
    if jnp.issubdtype(arr.dtype, jnp.complexfloating):
        raise TypeError(f"{name} must be real, got a complex array (dtype {arr.dtype}); pass its real part explicitly")
    if arr.dtype == jnp.bool_:
        raise TypeError(f"{name} must be an array of real numbers, got a boolean array")
    if not jnp.issubdtype(arr.dtype, jnp.floating):
        arr = arr.astype(jnp.result_type(float))
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {arr.shape}")
    if not _is_traced(arr) and not np.all(np.isfinite(np.asarray(arr))):
        raise ValueError(f"{name} contains NaN or infinite entries")
    return arr


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


def key(value, name: str = "key"):
    """Raise ``TypeError`` unless ``value`` is a JAX PRNG key (new-style ``jax.random.key`` or a raw uint32 pair)."""
    if value is None:
        raise TypeError(f"{name} must be a JAX PRNG key (jax.random.key(seed)), got None")
    dtype = getattr(value, "dtype", None)
    if dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key) and jnp.ndim(value) == 0:
        return value
    if dtype is not None and np.dtype(dtype) == np.uint32 and tuple(jnp.shape(value)) == (2,):
        return value
    raise TypeError(f"{name} must be a JAX PRNG key (jax.random.key(seed)), got {type(value).__name__} {value!r}")


def finite_measured(values: dict, culprits: str) -> None:
    """Raise ``ValueError`` when a quantity measured from finite input overflowed (``values``: symbol -> float)."""
    for symbol, value in values.items():
        if not math.isfinite(value):
            raise ValueError(f"{symbol} = {value} is not finite although the input is: the values overflow float64; "
                             f"rescale {culprits}")
