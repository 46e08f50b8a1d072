import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lib import data, kernels, mlp, twolayer
from precision import tol


@pytest.fixture(scope="module")
def X():
    return data.sphere_points(jax.random.key(0), 8, 4, min_angle=0.2)


def test_empirical_ntk_of_linear_model_is_gram(X):
    w = jnp.ones(4)
    K = kernels.empirical_ntk(lambda w, x: x @ w, w, X)
    np.testing.assert_allclose(K, X @ X.T, rtol=tol(1e-12, 2e-6))


def test_empirical_ntk_cross_and_multi_output(X):
    W = jax.random.normal(jax.random.key(1), (4, 3))
    f = lambda W, x: x @ W  # noqa: E731
    K = kernels.empirical_ntk(f, W, X[:5], X[5:])
    assert K.shape == (5 * 3, 3 * 3)
    # vec-Jacobian Gram of a linear map with k outputs: (x_i . x_j) delta_ab, sample-major
    np.testing.assert_allclose(K, np.kron(X[:5] @ X[5:].T, np.eye(3)), rtol=tol(1e-12, 2e-6), atol=tol(1e-14, 1e-6))


def test_empirical_ntk_sums_over_parameter_blocks(X):
    params = {"w": jnp.ones(4), "b": jnp.array(0.3)}
    K = kernels.empirical_ntk(lambda p, x: x @ p["w"] + p["b"], params, X)
    np.testing.assert_allclose(K, X @ X.T + 1.0, rtol=tol(1e-12, 2e-6))


def test_du_gram_closed_form_matches_monte_carlo(X):
    w = jax.random.normal(jax.random.key(2), (400_000, 4))
    S = (X @ w.T >= 0).astype(X.dtype)
    H_mc = (X @ X.T) * (S @ S.T) / w.shape[0]
    np.testing.assert_allclose(kernels.du_gram(X), H_mc, atol=5e-3)


def test_du_gram_diagonal_is_half(X):
    np.testing.assert_allclose(np.diag(kernels.du_gram(X)), 0.5, rtol=tol(1e-12, 2e-6))


def test_relu_kernels_one_layer_is_linear_kernel(X):
    k = kernels.relu_kernels(X, L=1)
    np.testing.assert_allclose(k.ntk, X @ X.T)
    np.testing.assert_allclose(k.nngp, X @ X.T)


def test_relu_kernels_two_layer_c1_is_du_plus_output_layer(X):
    k = kernels.relu_kernels(X, L=2, c_sigma=1.0)
    k1, _ = kernels.arccos_moments(1.0, 1.0, X @ X.T)
    np.testing.assert_allclose(k.nngp, k1, rtol=tol(1e-12, 2e-6))
    np.testing.assert_allclose(k.ntk, kernels.du_gram(X) + k1, rtol=tol(1e-12, 2e-6))


def test_relu_kernels_preserve_the_diagonal_with_c2(X):
    k = kernels.relu_kernels(X, L=4, c_sigma=2.0)
    np.testing.assert_allclose(np.diag(k.nngp), 1.0, rtol=tol(1e-12, 2e-6))
    np.testing.assert_allclose(np.diag(k.ntk), 4.0, rtol=tol(1e-12, 2e-6))  # each of 4 layers adds 1


def test_arccos_moments_known_values():
    k1, k0 = kernels.arccos_moments(1.0, 1.0, 0.0)
    assert float(k1) == pytest.approx(1 / (2 * np.pi))
    assert float(k0) == pytest.approx(0.25)
    k1, k0 = kernels.arccos_moments(4.0, 1.0, 2.0)  # parallel: E[relu(u)^2] scaled
    assert float(k1) == pytest.approx(1.0)
    assert float(k0) == pytest.approx(0.5)


def test_twolayer_gram_equals_empirical_ntk(X):
    W, a = twolayer.init(jax.random.key(3), 4, 64)
    K = kernels.empirical_ntk(lambda W, x: twolayer.predict(W, a, x), W, X)
    np.testing.assert_allclose(twolayer.gram(W, X), K, rtol=tol(1e-10, 2e-6), atol=tol(1e-12, 1e-6))


def test_deep_empirical_ntk_approaches_relu_kernels(X):
    net = mlp.MLP((4, 1024, 1024, 1), parameterization="ntk")
    params = mlp.init(jax.random.key(4), net, "ntk")
    K = kernels.empirical_ntk(lambda p, x: mlp.apply(net, p, x)[:, 0], params, X)
    Theta = kernels.relu_kernels(X, L=3).ntk
    assert float(jnp.linalg.norm(K - Theta) / jnp.linalg.norm(Theta)) < 0.15


def test_kernel_errors(X):
    with pytest.raises(ValueError, match="L \\(number of weight layers\\) must be a positive integer"):
        kernels.relu_kernels(X, L=0)
    with pytest.raises(ValueError, match="c_sigma must be positive"):
        kernels.relu_kernels(X, c_sigma=-1.0)
    with pytest.raises(ValueError, match="X1 and X2 must have the same dimension d, got 4 and 3"):
        kernels.relu_kernels(X, jnp.ones((2, 3)))
    with pytest.raises(ValueError, match="X1 must be a 2-d array"):
        kernels.du_gram(jnp.ones(3))
    with pytest.raises(ValueError, match="X1 contains NaN"):
        kernels.empirical_ntk(lambda w, x: x @ w, jnp.ones(2), jnp.array([[1.0, jnp.nan]]))
