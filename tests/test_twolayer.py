import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lib import explore, twolayer
from precision import tol


@pytest.fixture(scope="module")
def chapter_data():
    return explore.two_layer_data()


def test_network_is_the_ntk_mlp_with_c1():
    net = twolayer.network(5, 100)
    assert net.widths == (5, 100, 1) and net.parameterization == "ntk" and net.c_sigma == 1.0


def test_predict_formula():
    W, a = twolayer.init(jax.random.key(0), 3, 7)
    X = jnp.eye(3)
    expected = np.maximum(np.asarray(X @ W), 0) @ np.asarray(a)[:, 0] / np.sqrt(7)
    np.testing.assert_allclose(twolayer.predict(W, a, X), expected, rtol=tol(1e-12, 2e-6))


def test_movement_bound_formula_and_error():
    assert twolayer.movement_bound(8, 2.0, 0.5, 16) == pytest.approx(4 * np.sqrt(32) / (0.5 * 4))
    with pytest.raises(ValueError, match="lam0 must be positive"):
        twolayer.movement_bound(8, 2.0, 0.0, 16)


def test_run_converges_and_respects_movement_bound(chapter_data):
    X, Y, lam0 = chapter_data
    result = twolayer.run(jax.random.key(1), X, Y, 2000, 0.5, 300)
    h = result.history
    assert float(h.loss[-1]) < 1e-6 * float(h.loss[0])
    assert float(h.extras["lam_min_H"].min()) >= lam0 / 2
    R = twolayer.movement_bound(X.shape[0], float(h.loss[0]), lam0, 2000)
    assert float(h.extras["max_move"].max()) <= R
    np.testing.assert_allclose(h.extras["max_move"][-1], np.max(np.linalg.norm(result.W - result.W0, axis=0)))


def test_run_errors(chapter_data):
    X, Y, _ = chapter_data
    with pytest.raises(ValueError, match="Y must have one output column"):
        twolayer.run(jax.random.key(0), X, jnp.ones((X.shape[0], 2)), 10, 0.1, 2)
    with pytest.raises(ValueError, match="m \\(width\\) must be a positive integer, got 0"):
        twolayer.run(jax.random.key(0), X, Y, 0, 0.1, 2)
    with pytest.raises(ValueError, match="X must have unit-norm rows"):
        twolayer.run(jax.random.key(0), 2 * X, Y, 10, 0.1, 2)
