import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lib import train

from precision import tol


@pytest.fixture(scope="module")
def problem():
    A = jax.random.normal(jax.random.key(0), (6, 10)) / jnp.sqrt(10.0)
    y = jax.random.normal(jax.random.key(1), (6,))
    return A, y


def test_gradient_descent_matches_hand_iteration(problem):
    A, y = problem
    eta = 0.3
    loss = lambda w: train.square_loss(A @ w, y)  # noqa: E731
    w_T, h = train.gradient_descent(loss, jnp.zeros(10), eta, 25)
    w = np.zeros(10)
    losses = []
    for _ in range(25):
        losses.append(0.5 * np.sum((A @ w - y) ** 2))
        w = w - eta * np.asarray(A.T @ (A @ w - y))
    losses.append(0.5 * np.sum((A @ w - y) ** 2))
    np.testing.assert_allclose(w_T, w, rtol=tol(1e-10, 1e-5), atol=tol(0, 1e-5))
    np.testing.assert_allclose(h.loss, losses, rtol=tol(1e-10, 1e-5), atol=tol(0, 1e-5))
    assert h.loss.shape == h.grad_norm.shape == h.distance.shape == (26,)
    np.testing.assert_allclose(h.distance[-1], np.linalg.norm(w), rtol=tol(1e-10, 1e-5))
    np.testing.assert_allclose(h.grad_norm[0], np.linalg.norm(A.T @ y), rtol=tol(1e-10, 1e-5))


def test_history_distance_is_per_block_and_extras_recorded(problem):
    A, y = problem
    params = {"w": jnp.zeros(10), "b": jnp.array(0.0)}
    loss = lambda p: train.square_loss(A @ p["w"] + p["b"], y)  # noqa: E731
    _, h = train.gradient_descent(loss, params, 0.1, 5, extras={"b": lambda p: p["b"], "w2": lambda p: p["w"][:2]})
    assert set(h.distance) == {"w", "b"}
    assert h.extras["b"].shape == (6,) and h.extras["w2"].shape == (6, 2)
    np.testing.assert_allclose(h.distance["b"], np.abs(h.extras["b"]), rtol=tol(1e-12, 1e-6))


def test_divergence_raises_with_step_size_and_step(problem):
    A, y = problem
    loss = lambda w: train.square_loss(A @ w, y)  # noqa: E731
    with pytest.raises(train.DivergenceError, match="diverged at step \\d+ with step size eta = 50"):
        train.gradient_descent(loss, jnp.zeros(10), 50.0, 200)


def test_nan_loss_raises_instead_of_returning_nan():
    loss = lambda w: jnp.sum(jnp.log(w))  # noqa: E731  (becomes NaN once w < 0)
    with pytest.raises(train.DivergenceError, match="diverged at step 1 .* eta = 10"):
        train.gradient_descent(loss, jnp.ones(3), 10.0, 5)


@pytest.mark.parametrize("kwargs,match", [
    ({"eta": 0.0}, "eta \\(step size\\) must be a positive finite number, got 0.0"),
    ({"eta": float("nan")}, "eta \\(step size\\) must be a positive finite number"),
    ({"num_steps": 0}, "num_steps must be a positive integer, got 0"),
    ({"max_growth": 1.0}, "max_growth \\(divergence factor\\) must be a finite number > 1"),
    ({"extras": {"x": 3}}, "extras\\['x'\\] must be a function of params"),
])
def test_gradient_descent_bad_arguments(kwargs, match):
    args = {"eta": 0.1, "num_steps": 3} | kwargs
    with pytest.raises(ValueError, match=match):
        train.gradient_descent(lambda w: jnp.sum(w**2), jnp.ones(2), **args)


def test_a_string_step_size_is_a_type_error():
    with pytest.raises(TypeError, match="eta \\(step size\\) must be a real number, got '0.1'"):
        train.gradient_descent(lambda w: jnp.sum(w**2), jnp.ones(2), "0.1", 3)


def test_divergence_at_the_last_step_is_caught():
    # the loss is finite at every iterate the scan checks, and only the final iterate is NaN
    loss = lambda w: jnp.sum(jnp.log(w))  # noqa: E731
    with pytest.raises(train.DivergenceError, match="diverged at step 1 .* eta = 10"):
        train.gradient_descent(loss, jnp.ones(3), 10.0, 1)


def test_square_loss_shape_mismatch():
    assert float(train.square_loss(jnp.ones(3), jnp.zeros(3))) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="pred and Y must have the same shape, got \\(3,\\) and \\(3, 1\\)"):
        train.square_loss(jnp.ones(3), jnp.ones((3, 1)))
