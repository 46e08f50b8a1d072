import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lib import mlp
from precision import tol


def test_standard_forward_is_the_papers_layout():
    net = mlp.MLP((3, 5, 4, 2))
    params = mlp.init(jax.random.key(0), net, "he")
    X = jax.random.normal(jax.random.key(1), (7, 3))
    F = mlp.features(net, params, X)
    assert [f.shape for f in F] == [(7, 3), (7, 5), (7, 4), (7, 2)]
    np.testing.assert_allclose(F[1], np.maximum(X @ params[0], 0))
    np.testing.assert_allclose(F[2], np.maximum(F[1] @ params[1], 0))
    np.testing.assert_allclose(F[3], F[2] @ params[2])
    np.testing.assert_array_equal(mlp.apply(net, params, X), F[3])


def test_ntk_parameterisation_scales():
    net = mlp.MLP((3, 16, 8, 1), parameterization="ntk", c_sigma=2.0)
    assert mlp.layer_scales(net) == (1.0, (2.0 / 16) ** 0.5, (2.0 / 8) ** 0.5)
    assert mlp.layer_scales(mlp.MLP((3, 4, 1))) == (1.0, 1.0)
    params = mlp.init(jax.random.key(0), net, "ntk")
    X = jax.random.normal(jax.random.key(1), (4, 3))
    F = mlp.features(net, params, X)
    np.testing.assert_allclose(F[2], np.maximum(np.sqrt(2 / 16) * F[1] @ params[1], 0), rtol=tol(1e-12, 2e-6))


@pytest.mark.parametrize("scheme,var", [("lecun", 1.0), ("he", 2.0)])
def test_standard_init_variances(scheme, var):
    n_in = 400
    net = mlp.MLP((n_in, 300, 1))
    W1 = mlp.init(jax.random.key(0), net, scheme)[0]
    assert float(jnp.var(W1)) == pytest.approx(var / n_in, rel=0.02)


def test_du_init_has_pm1_output_layer():
    net = mlp.MLP((3, 2000, 1), parameterization="ntk", c_sigma=1.0)
    W, a = mlp.init(jax.random.key(0), net, "du")
    assert set(np.unique(a)) == {-1.0, 1.0}
    assert float(jnp.var(W)) == pytest.approx(1.0, rel=0.1)  # 6000 draws: the sample variance is within 0.02


def test_activation_patterns():
    net = mlp.MLP((2, 3, 3, 1))
    params = mlp.init(jax.random.key(0), net, "he")
    X = jax.random.normal(jax.random.key(1), (5, 2))
    P = mlp.activation_patterns(net, params, X)
    F = mlp.features(net, params, X)
    assert len(P) == 2 and P[0].dtype == bool
    np.testing.assert_array_equal(P[0], F[1] > 0)
    np.testing.assert_array_equal(P[1], F[2] > 0)


def test_mlp_is_hashable_for_jit():
    net = mlp.MLP((2, 3, 1))
    assert hash(net) == hash(mlp.MLP((2, 3, 1)))
    assert net.L == 2


@pytest.mark.parametrize("kwargs,match", [
    ({"widths": (3,)}, "widths must list at least"),
    ({"widths": (3, 0, 1)}, "widths\\[1\\] = 0: every width must be a positive integer"),
    ({"widths": (3, -2, 1)}, "widths\\[1\\] = -2"),
    ({"widths": (3, 2, 1), "parameterization": "mup"}, "parameterization must be 'standard' or 'ntk'"),
    ({"widths": (3, 2, 1), "c_sigma": 0.0}, "c_sigma must be positive"),
])
def test_mlp_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mlp.MLP(**kwargs)


def test_mlp_float_width_is_a_type_error():
    with pytest.raises(TypeError, match="widths\\[1\\] = 2.5: every width must be a positive integer"):
        mlp.MLP((3, 2.5, 1))


def test_init_rejects_unknown_or_mismatched_scheme():
    with pytest.raises(ValueError, match="scheme must be one of"):
        mlp.init(jax.random.key(0), mlp.MLP((2, 3, 1)), "xavier-ish")
    with pytest.raises(ValueError, match="scheme 'ntk' belongs to the 'ntk' parameterisation"):
        mlp.init(jax.random.key(0), mlp.MLP((2, 3, 1)), "ntk")


def test_features_reject_bad_params_and_inputs():
    net = mlp.MLP((2, 3, 1))
    params = mlp.init(jax.random.key(0), net, "he")
    with pytest.raises(ValueError, match="params must hold L = 2 weight matrices, got 1"):
        mlp.features(net, params[:1], jnp.ones((4, 2)))
    with pytest.raises(ValueError, match="params\\[1\\] \\(W_2\\) must have shape \\(3, 1\\)"):
        mlp.features(net, [params[0], jnp.ones((3, 2))], jnp.ones((4, 2)))
    with pytest.raises(ValueError, match="X must have shape \\(N, 2\\), got \\(4, 3\\)"):
        mlp.features(net, params, jnp.ones((4, 3)))
