"""Spectral quantities that the convergence theorems depend on.

Every theorem in the book is conditioned on a smallest eigenvalue (of a Gram
matrix) or a smallest singular value (of a feature matrix). These are
ill-conditioned in float32, so the functions here compute them in float64 with
NumPy/SciPy whenever they receive concrete arrays. Inside a ``jax.jit`` trace
(for per-step quantities recorded during training) they fall back to JAX in the
working precision of the input, which is float64 when the caller has enabled
``jax_enable_x64``; singular values are then taken from the eigenvalues of the
Gram matrix on the short side, which squares the condition number (harmless in
float64, where the chapters record them).
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import scipy.sparse.linalg

from lib import _validate as V

_LANCZOS_FROM = 1024  # spectral norms of matrices with both sides above this use Lanczos (ARPACK), to full precision

__all__ = ["lam_min", "lam_max", "sigma_min", "spectral_norm", "as_float64"]


def as_float64(A, name: str = "A", ndim: int | None = None) -> np.ndarray:
    """Return ``A`` as a finite float64 NumPy array, or raise.

    ``name`` is used in the error message; ``ndim`` (if given) is the required
    number of dimensions. Raises ``TypeError`` for ``None``, strings, complex or
    non-numeric arrays (a complex array is not silently cast to its real part),
    ``ValueError`` for a ragged nested list, the wrong number of dimensions or a
    NaN/inf entry.
    """
    V.real_dtype(A, name)
    arr = np.asarray(A, dtype=np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-d array, got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} non-finite entries (NaN or inf)")
    return arr


def _check_square(K, name: str):
    V.real_dtype(K, name)
    shape = np.shape(K)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {shape}")
    if shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {shape}")


def _check_matrix(A, name: str):
    V.real_dtype(A, name)
    if np.ndim(A) != 2:
        raise ValueError(f"{name} must be a 2-d array, got shape {np.shape(A)}")
    if 0 in np.shape(A):
        raise ValueError(f"{name} must be a non-empty 2-d array, got shape {np.shape(A)}")


def _small_gram(A):
    # the Gram matrix on the short side: its eigenvalues are the squared singular values of A.
    # (A traced SVD of a very wide matrix can allocate its full square factor.)
    return A @ A.T if A.shape[0] <= A.shape[1] else A.T @ A


def _very_long(A) -> bool:
    """A matrix so much wider than tall (or taller than wide) that an SVD spends its time on the long side:
    the Gram matrix on the short side is then many times cheaper (8 x 65536: 6 s against 0.05 s)."""
    return max(A.shape) >= 4096 and max(A.shape) >= 16 * min(A.shape)


def lam_min(K):
    r"""Smallest eigenvalue :math:`\lambda_{\min}(K)` of a symmetric matrix.

    ``K: (N, N)``. The matrix is symmetrised, :math:`(K + K^\top)/2`, before
    the eigenvalue computation, so round-off asymmetry does not matter.
    Returns a Python ``float`` computed in float64 (a JAX scalar inside jit).
    Raises ``TypeError`` for a complex or non-numeric ``K`` (a Hermitian complex
    matrix is not silently replaced by its real part) and ``ValueError`` for a
    non-square, empty or non-finite one.
    """
    _check_square(K, "K")
    if V.is_traced(K):
        return jnp.linalg.eigvalsh(0.5 * (K + K.T))[0]
    K64 = as_float64(K, "K", ndim=2)
    return float(np.linalg.eigvalsh(0.5 * (K64 + K64.T))[0])


def lam_max(K):
    r"""Largest eigenvalue :math:`\lambda_{\max}(K)` of a symmetric matrix ``K: (N, N)``.

    Raises like :func:`lam_min`.
    """
    _check_square(K, "K")
    if V.is_traced(K):
        return jnp.linalg.eigvalsh(0.5 * (K + K.T))[-1]
    K64 = as_float64(K, "K", ndim=2)
    return float(np.linalg.eigvalsh(0.5 * (K64 + K64.T))[-1])


def sigma_min(F):
    r"""Smallest singular value :math:`\sigma_{\min}(F)` of ``F: (N, n)``.

    This is the :math:`\min(N, n)`-th singular value. For a feature matrix with
    ``n >= N`` it satisfies :math:`\sigma_{\min}(F)^2 = \lambda_{\min}(F F^\top)`,
    the quantity the PL inequalities of the book are written in.
    Returns a Python ``float`` computed in float64 (a JAX scalar inside jit).
    Raises ``TypeError`` for a complex or non-numeric ``F``, ``ValueError`` for
    one that is not 2-d, is empty or has a NaN/inf entry.
    """
    _check_matrix(F, "F")
    if V.is_traced(F):
        return jnp.sqrt(jnp.maximum(jnp.linalg.eigvalsh(_small_gram(F))[0], 0.0))
    F64 = as_float64(F, "F", ndim=2)
    if _very_long(F64):
        eigs = np.linalg.eigvalsh(_small_gram(F64))
        if eigs[0] >= 1e-6 * eigs[-1]:  # well conditioned: the Gram route loses at most eps * kappa^2 <= 1e-10
            return float(np.sqrt(eigs[0]))
    return float(np.linalg.svd(F64, compute_uv=False)[-1])


def spectral_norm(W):
    r"""Spectral norm :math:`\|W\|_2` (largest singular value) of ``W: (p, q)``.

    Concrete matrices with both sides above 1024 use a Lanczos method (ARPACK, tolerance 0, so
    machine precision) instead of a full SVD. Raises like :func:`sigma_min`.
    """
    _check_matrix(W, "W")
    if V.is_traced(W):
        return jnp.sqrt(jnp.linalg.eigvalsh(_small_gram(W))[-1])
    W64 = as_float64(W, "W", ndim=2)
    if min(W64.shape) > _LANCZOS_FROM:  # a full SVD of a large square matrix takes minutes on a laptop
        return float(scipy.sparse.linalg.svds(W64, k=1, tol=0, return_singular_vectors=False, random_state=0)[0])
    if _very_long(W64):  # the largest eigenvalue of the short side's Gram matrix is exact to round-off
        return float(np.sqrt(np.linalg.eigvalsh(_small_gram(W64))[-1]))
    return float(np.linalg.norm(W64, 2))
