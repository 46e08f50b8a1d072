import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib import kernels, mlp
from lib.activations import ReLU, SmoothLeakyReLU
from precision import tol

xs = st.floats(-50.0, 50.0)


@pytest.mark.property
@given(gamma=st.floats(0.01, 0.99), beta=st.floats(0.01, 100.0), x=xs, y=xs)
def test_smooth_leaky_relu_derivative_bounds(gamma, beta, x, y):
    """sigma' in [gamma, 1] and |sigma'(x) - sigma'(y)| <= beta |x - y|, and sigma' is sigma's derivative."""
    act = SmoothLeakyReLU(gamma, beta)
    dx = float(act.derivative(jnp.array(x)))
    eps = tol(1e-12, 1e-6)  # round-off of sigma' in the working precision
    assert gamma - eps <= dx <= 1 + eps
    assert abs(dx - float(act.derivative(jnp.array(y)))) <= beta * abs(x - y) * (1 + 1e-9) + 2 * eps
    assert float(jax.grad(act)(jnp.array(x))) == pytest.approx(dx, rel=tol(1e-9, 1e-5), abs=eps)


def test_smooth_leaky_relu_lipschitz_constant_is_attained():
    act = SmoothLeakyReLU(0.2, 3.0)
    second = jax.vmap(jax.grad(act.derivative))(jnp.linspace(-1, 1, 20001))
    assert float(second.max()) == pytest.approx(3.0, rel=1e-6)


def test_smooth_leaky_relu_tends_to_leaky_relu():
    x = jnp.linspace(-3, 3, 61)
    act = SmoothLeakyReLU(0.3, 1e4)
    np.testing.assert_allclose(act(x), 0.3 * x + 0.7 * np.maximum(x, 0), atol=1e-4)


def test_relu_derivative_convention():
    np.testing.assert_array_equal(ReLU().derivative(jnp.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 1.0])
    assert ReLU().gamma == 0.0


@pytest.mark.parametrize("kwargs,match", [
    ({"gamma": 0.0}, "gamma \\(lower bound of sigma'\\) must lie in \\(0, 1\\)"),
    ({"gamma": 1.0}, "gamma \\(lower bound of sigma'\\) must lie in \\(0, 1\\)"),
    ({"beta": 0.0}, "beta \\(Lipschitz constant of sigma'\\) must be positive"),
])
def test_smooth_leaky_relu_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SmoothLeakyReLU(**kwargs)


def test_mlp_with_smooth_activation_and_its_closed_form_ntk():
    act = SmoothLeakyReLU(0.2, 2.0)
    net = mlp.MLP((3, 9, 7, 2), activation=act)
    params = mlp.init(jax.random.key(0), net, "lecun")
    X = jax.random.normal(jax.random.key(1), (5, 3))
    F = mlp.features(net, params, X)
    np.testing.assert_allclose(F[1], act(X @ params[0]), rtol=tol(1e-12, 2e-6))
    K = mlp.ntk_gram(net, params, X)
    K_ref = kernels.empirical_ntk(lambda p, x: mlp.apply(net, p, x), params, X)
    assert float(jnp.max(jnp.abs(K - K_ref)) / jnp.max(jnp.abs(K_ref))) <= tol(1e-10, 1e-6)


def test_mlp_rejects_a_non_activation():
    with pytest.raises(ValueError, match="activation must be a lib.activations activation"):
        mlp.MLP((2, 3, 1), activation=jnp.tanh)
