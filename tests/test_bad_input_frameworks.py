"""Bad input to lib.frameworks.check_network: clear errors naming the argument."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lib import data, frameworks

from badinput import covers, exempt, raises_naming

exempt("lib.frameworks.FrameworkCheck", "a result record that check_network builds itself")
exempt("lib.frameworks.NetworkCheck", "a result record that check_network builds itself")
exempt("lib.frameworks.Trajectory", "a result record that trajectory builds itself")

X = data.sphere_points(jax.random.key(0), 4, 6)
y = jnp.ones(4)
KEY = jax.random.key(1)


@covers("lib.frameworks.check_network")
@pytest.mark.parametrize("kwargs, exc, name", [
    ({"hidden": 0}, ValueError, "hidden[0]"),
    ({"hidden": 8.0}, TypeError, "hidden"),
    ({"hidden": ()}, ValueError, "hidden"),
    ({"hidden": "8"}, TypeError, "hidden"),
    ({"eta": -1.0}, ValueError, "eta"),
    ({"eta": float("nan")}, ValueError, "eta"),
    ({"gamma_implicit": 1.0}, ValueError, "gamma_implicit"),
    ({"gamma_deq": 0.0}, ValueError, "gamma"),
    ({"steps": 0}, ValueError, "steps"),
    ({"frameworks": ("ntk",)}, ValueError, "frameworks"),
    ({"frameworks": "pyramid"}, TypeError, "frameworks"),
    ({"frameworks": ()}, ValueError, "frameworks"),
    ({"key": 0}, TypeError, "key"),
])
def test_bad_arguments(kwargs, exc, name):
    args = {"hidden": 8, "key": KEY, **kwargs}
    hidden = args.pop("hidden")
    raises_naming(exc, name, frameworks.check_network, X, y, hidden, **args)


@covers("lib.frameworks.check_network")
def test_bad_data():
    raises_naming(ValueError, "X", frameworks.check_network, 2 * X, y, 8, key=KEY)  # rows not unit norm
    raises_naming(ValueError, "Y", frameworks.check_network, X, jnp.ones((4, 2)), 8, key=KEY)
    raises_naming(ValueError, ("X", "Y"), frameworks.check_network, X, jnp.ones(3), 8, key=KEY)
    bad = np.array(X); bad[0, 0] = np.nan
    raises_naming(ValueError, "X", frameworks.check_network, bad, y, 8, key=KEY)


@covers("lib.frameworks.trajectory")
@pytest.mark.parametrize("framework, hidden, kwargs, exc, name", [
    ("ntk", 8, {}, ValueError, "framework"),
    (None, 8, {}, ValueError, "framework"),
    ("implicit", (8, 4), {}, ValueError, "hidden"),
    ("pyramid", (2, 2), {}, ValueError, "hidden"),          # n_1 = 2 < N = 4
    ("two_layer", 8, {"pyramid_scale": 2.0}, ValueError, "pyramid_scale"),
    ("pyramid", (8, 4), {"pyramid_scale": -1.0}, ValueError, "pyramid_scale"),
    ("two_layer", 8, {"eta": 0.0}, ValueError, "eta"),
    ("two_layer", 8, {"steps": 0}, ValueError, "steps"),
    ("deq_linear", 8, {"gamma_deq": 1.5}, ValueError, "gamma"),
    ("two_layer", 0, {}, ValueError, "hidden[0]"),
    ("two_layer", 8, {"key": None}, TypeError, "key"),
])
def test_trajectory_bad_arguments(framework, hidden, kwargs, exc, name):
    args = {"key": KEY, **kwargs}
    raises_naming(exc, name, frameworks.trajectory, X, y, framework, hidden, **args)


@covers("lib.frameworks.trajectory")
def test_trajectory_bad_data_and_divergence():
    raises_naming(ValueError, "X", frameworks.trajectory, 2 * X, y, "two_layer", 8, key=KEY)
    raises_naming(ValueError, "Y", frameworks.trajectory, X, jnp.ones((4, 2)), "two_layer", 8, key=KEY)
    from lib.train import DivergenceError
    with pytest.raises(DivergenceError, match="eta"):
        frameworks.trajectory(X, y, "two_layer", 8, key=KEY, eta=1e3, steps=50)
