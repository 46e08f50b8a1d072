import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lib import linalg
from precision import tol


def test_lam_min_and_max_match_numpy():
    A = np.random.default_rng(0).normal(size=(6, 6))
    K = A @ A.T
    ev = np.linalg.eigvalsh(K)
    assert linalg.lam_min(K) == pytest.approx(ev[0], rel=1e-12, abs=1e-14)
    assert linalg.lam_max(K) == pytest.approx(ev[-1], rel=1e-12)


def test_lam_min_symmetrises_round_off_asymmetry():
    K = np.diag([1.0, 2.0, 3.0])
    K[0, 1] += 1e-9
    assert linalg.lam_min(K) == pytest.approx(1.0, abs=1e-8)


def test_sigma_min_wide_and_tall():
    F = np.random.default_rng(1).normal(size=(4, 9))
    s = np.linalg.svd(F, compute_uv=False)
    assert linalg.sigma_min(F) == pytest.approx(s[-1], rel=1e-12)
    assert linalg.sigma_min(F.T) == pytest.approx(s[-1], rel=1e-12)
    assert linalg.sigma_min(F) ** 2 == pytest.approx(linalg.lam_min(F @ F.T), rel=1e-10)


def test_spectral_norm():
    W = np.random.default_rng(2).normal(size=(5, 3))
    assert linalg.spectral_norm(W) == pytest.approx(np.linalg.norm(W, 2), rel=1e-12)


def test_results_are_float64_even_for_float32_input():
    K = jnp.eye(3, dtype=jnp.float32) * 1e-3
    assert isinstance(linalg.lam_min(K), float)
    assert linalg.lam_min(K) == pytest.approx(1e-3, rel=1e-6)


def test_traced_path_inside_jit_agrees():
    F = np.random.default_rng(3).normal(size=(4, 7))
    K = F @ F.T
    # the traced path runs in the working precision: float32 in the LIB_X64=0 pass
    rel = tol(1e-10, 1e-3)
    assert float(jax.jit(linalg.lam_min)(K)) == pytest.approx(linalg.lam_min(K), rel=rel)
    assert float(jax.jit(linalg.lam_max)(K)) == pytest.approx(linalg.lam_max(K), rel=rel)
    assert float(jax.jit(linalg.sigma_min)(F)) == pytest.approx(linalg.sigma_min(F), rel=rel)
    assert float(jax.jit(linalg.spectral_norm)(F)) == pytest.approx(linalg.spectral_norm(F), rel=rel)


@pytest.mark.parametrize("fn", [linalg.lam_min, linalg.lam_max])
def test_non_square_matrix_is_rejected(fn):
    with pytest.raises(ValueError, match="K must be a square matrix, got shape \\(2, 3\\)"):
        fn(np.ones((2, 3)))


@pytest.mark.parametrize("fn,name", [(linalg.sigma_min, "F"), (linalg.spectral_norm, "W")])
def test_non_matrix_is_rejected(fn, name):
    with pytest.raises(ValueError, match=f"{name} must be a 2-d array"):
        fn(np.ones(3))


@pytest.mark.parametrize("fn", [linalg.lam_min, linalg.lam_max, linalg.sigma_min, linalg.spectral_norm])
def test_nan_is_rejected(fn):
    K = np.eye(3)
    K[1, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        fn(K)


def test_as_float64_checks_ndim():
    with pytest.raises(ValueError, match="A must be a 2-d array"):
        linalg.as_float64(np.ones(3), "A", ndim=2)
