"""The precision a test run uses, and the tolerances that follow from it.

The suite runs twice (``make test``): with float64 enabled (``LIB_X64=1``, the
default; the chapters' setting) and with JAX's default float32 (``LIB_X64=0``),
as a student who never enables x64 would run ``lib``. A test that compares
against a reference states its tolerance for both with :func:`tol`; a test that
checks a statement only float64 can resolve is marked ``@pytest.mark.float64``
(skipped in the float32 pass, with that marker as the reason).
"""
import os

X64 = os.environ.get("LIB_X64", "1") != "0"


def tol(f64: float, f32: float) -> float:
    """The tolerance of this pass: ``f64`` with x64 enabled, ``f32`` without."""
    return f64 if X64 else f32
