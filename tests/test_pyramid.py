import jax
import jax.numpy as jnp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib import data, lastlayer, mlp, pyramid
from lib.activations import ReLU, SmoothLeakyReLU


@pytest.mark.parametrize("widths,N,match", [
    ((4, 5, 3, 1), 8, "widths\\[1\\] = n_1 = 5 < N = 8: the first hidden layer must be at least as wide"),
    ((4, 16, 8, 12, 1), 8, "widths\\[3\\] = 12 > widths\\[2\\] = 8: .*pyramidal topology"),
    ((4, 16), 8, "at least one hidden layer"),
])
def test_check_topology_rejects_wrong_topologies(widths, N, match):
    with pytest.raises(ValueError, match=match):
        pyramid.check_topology(widths, N)


def test_check_topology_accepts_a_pyramid():
    assert pyramid.check_topology((4, 16, 8, 8, 3, 1), 16) is None


@pytest.mark.property
@given(seed=st.integers(0, 2**31 - 1), gamma=st.floats(0.05, 0.9), depth=st.integers(3, 5),
       scale=st.floats(0.3, 3.0))
def test_weak_pl_inequality_at_random_full_rank_points(seed, gamma, depth, scale):
    k = jax.random.split(jax.random.key(seed), 4)
    N, d = 6, 4
    X = data.sphere_points(k[0], N, d)
    Y = jax.random.normal(k[1], (N, 2))
    widths = (d, 8) + tuple(range(7, 7 - (depth - 2), -1)) + (2,)
    net = mlp.MLP(widths, activation=SmoothLeakyReLU(gamma, 1.0))
    params = [scale * W for W in mlp.init(k[2], net, "lecun")]
    grad_W2, bound = pyramid.weak_pl_sides(net, params, X, Y)
    assert bound > 0 and grad_W2 >= bound * (1 - 1e-9)


def test_weak_pl_constant_is_zero_for_relu_deeper_than_two():
    net = mlp.MLP((3, 8, 4, 1))
    X = data.sphere_points(jax.random.key(0), 5, 3)
    assert pyramid.weak_pl_constant(net, mlp.init(jax.random.key(1), net, "he"), X) == 0.0


def test_lambda_star_monte_carlo_brackets_the_closed_form():
    X = data.sphere_points(jax.random.key(0), 6, 5, min_angle=0.3)
    for leak, act in [(0.0, ReLU()), (0.2, SmoothLeakyReLU(0.2, 1e5))]:
        est = pyramid.lambda_star(jax.random.key(1), X, act, num_samples=40_000)
        exact = pyramid.lambda_star_closed(X, leak)
        assert est.low <= est.estimate <= est.high
        assert est.low - 0.02 * exact <= exact <= est.high + 0.02 * exact   # CI, with slack for the smoothing


def test_lambda_star_is_the_limit_of_first_layer_features():
    X = data.sphere_points(jax.random.key(2), 5, 4, min_angle=0.3)
    n1 = 200_000
    net = mlp.MLP((4, n1, 1))
    F1 = mlp.features(net, mlp.init(jax.random.key(3), net, "lecun"), X)[1]
    from lib import linalg

    assert linalg.lam_min(F1 @ F1.T / n1) == pytest.approx(pyramid.lambda_star_closed(X), rel=0.05)


def test_lambda_star_errors():
    X = data.sphere_points(jax.random.key(0), 4, 3)
    with pytest.raises(ValueError, match="num_samples must be an integer >= 2"):
        pyramid.lambda_star(jax.random.key(0), X, ReLU(), num_samples=1)
    with pytest.raises(ValueError, match="level must lie in \\(0, 1\\)"):
        pyramid.lambda_star(jax.random.key(0), X, ReLU(), num_samples=10, level=1.0)
    with pytest.raises(ValueError, match="leak must lie in \\[0, 1\\)"):
        pyramid.lambda_star_closed(X, leak=1.0)


def test_lastlayer_theorem_check_refuses_non_relu():
    net = mlp.MLP((3, 8, 1), activation=SmoothLeakyReLU(0.1, 1.0))
    X = data.sphere_points(jax.random.key(0), 4, 3)
    with pytest.raises(ValueError, match="the chapter 2 theorem is for ReLU networks"):
        lastlayer.theorem_check(net, mlp.init(jax.random.key(0), net, "he"), X, jnp.ones((4, 1)), 0.1)
