"""Property tests (hypothesis): kernels are symmetric PSD, wide networks have the analytic NTK,
gradient descent on a strongly convex quadratic meets the PL rate."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib import data, kernels, linalg, rates, train, twolayer
from precision import tol as precision_tol

pytestmark = pytest.mark.property

seeds = st.integers(0, 2**31 - 1)


def _sphere(seed, N, d):
    return data.sphere_points(jax.random.key(seed), N, d)


def _assert_symmetric_psd(K, tol=None):
    tol = precision_tol(1e-10, 1e-5) if tol is None else tol  # relative round-off of the kernel's entries
    K = np.asarray(K)
    np.testing.assert_allclose(K, K.T, atol=tol * max(1.0, np.abs(K).max()))
    assert linalg.lam_min(K) >= -tol * max(1.0, np.abs(K).max())


@given(seed=seeds, N=st.integers(2, 12), d=st.integers(2, 6), L=st.integers(1, 5),
       c_sigma=st.floats(0.5, 3.0))
def test_relu_kernels_are_symmetric_psd(seed, N, d, L, c_sigma):
    k = kernels.relu_kernels(_sphere(seed, N, d), L=L, c_sigma=c_sigma)
    _assert_symmetric_psd(k.nngp)
    _assert_symmetric_psd(k.ntk)


@given(seed=seeds, N=st.integers(2, 12), d=st.integers(2, 6))
def test_du_gram_is_symmetric_psd(seed, N, d):
    _assert_symmetric_psd(kernels.du_gram(_sphere(seed, N, d)))


@given(seed=seeds, N=st.integers(2, 8), m=st.integers(1, 64))
def test_empirical_ntk_is_symmetric_psd(seed, N, m):
    X = _sphere(seed, N, 3)
    W, a = twolayer.init(jax.random.key(seed + 1), 3, m)
    _assert_symmetric_psd(kernels.empirical_ntk(lambda W, x: twolayer.predict(W, a, x), W, X))


@given(seed=seeds, N=st.integers(3, 10), d=st.integers(2, 6))
def test_analytic_ntk_matches_wide_two_layer_network(seed, N, d):
    """Stated tolerance: at width m = 40,000 the two-layer NTK (both layers trained) is within
    10% (Frobenius, relative) of the arc-cosine kernel; the fluctuation is O(m^{-1/2}) ~ 0.5%."""
    X = _sphere(seed, N, d)
    m = 40_000
    W, a = twolayer.init(jax.random.key(seed + 1), d, m)
    a = jax.random.normal(jax.random.key(seed + 2), a.shape)  # train a too: Gaussian output layer
    K = kernels.empirical_ntk(lambda p, x: twolayer.predict(p[0], p[1], x), (W, a), X)
    Theta = kernels.relu_kernels(X, L=2, c_sigma=1.0).ntk
    assert float(jnp.linalg.norm(K - Theta) / jnp.linalg.norm(Theta)) < 0.1


@given(seed=seeds, p=st.integers(2, 12), kappa=st.floats(1.0, 50.0), eta_frac=st.floats(0.1, 1.0))
def test_gradient_descent_on_strongly_convex_quadratic_meets_pl_rate(seed, p, kappa, eta_frac):
    """Phi(w) = 1/2 (w - w*)^T Q (w - w*): mu = lam_min(Q), beta = lam_max(Q), eta <= 1/beta
    gives Phi_k <= (1 - eta mu)^k Phi_0 at every step."""
    key_q, key_w = jax.random.split(jax.random.key(seed))
    Qr, _ = jnp.linalg.qr(jax.random.normal(key_q, (p, p)))
    eig = jnp.geomspace(1.0, kappa, p)
    Q = (Qr * eig) @ Qr.T
    w_star = jax.random.normal(key_w, (p,))
    loss = lambda w: 0.5 * (w - w_star) @ Q @ (w - w_star)  # noqa: E731
    mu, beta = linalg.lam_min(Q), linalg.lam_max(Q)
    eta = eta_frac / beta
    _, h = train.gradient_descent(loss, jnp.zeros(p), eta, 60)
    bound = rates.linear_bound(float(h.loss[0]), eta * mu, 60)
    # float32 pass: the loss and gradient carry round-off of about 1e-7 of Phi_0, which dominates
    # the inequalities once the loss has decayed by that much
    loss0 = float(h.loss[0])
    rel, floor = precision_tol(1e-9, 1e-4), precision_tol(1e-300, 1e-5 * loss0)
    assert np.all(np.asarray(h.loss) <= bound * (1 + rel) + floor)
    assert np.all(np.asarray(h.grad_norm) ** 2 >= 2 * mu * (np.asarray(h.loss) * (1 - rel) - floor))
