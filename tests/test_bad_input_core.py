"""Bad input to lib's core modules: data, kernels, linalg, activations, mlp, twolayer, rates, sweep.

Every case asserts the exception type and that the message names the argument
(:func:`badinput.raises_naming`); the ``accepts`` tests check that reasonable
input (lists, NumPy integers, JAX scalars, float32 arrays under x64) is
converted rather than rejected, and that finite input never gives NaN.
"""
import gzip
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from badinput import covers, exempt, raises_naming
from lib import activations, data, kernels, linalg, mlp, rates, sweep, twolayer

KEY = jax.random.key(0)

exempt("lib.data.Dataset", "a result record that the loaders build themselves")
exempt("lib.kernels.Kernels", "a result record that relu_kernels builds itself")
exempt("lib.twolayer.TwoLayerRun", "a result record that twolayer.run builds itself")

COMPLEX = np.array([[1.0, 1j], [-1j, 1.0]])  # Hermitian, eigenvalues 0 and 2
NAN = np.array([[1.0, np.nan], [0.0, 1.0]])
INF = np.array([[1.0, np.inf], [0.0, 1.0]])
NOT_NUMBERS = [None, "abc", np.array([["a", "b"]]), [[1.0, 2.0], [3.0]]]


def _unit(X):
    X = np.asarray(X, dtype=float)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


X3 = _unit(np.array([[1.0, 0.2, 0.0], [0.0, 1.0, 0.3], [0.4, 0.0, 1.0], [1.0, 1.0, 1.0]]))


# ---------------------------------------------------------------- linalg


@covers("lib.linalg.lam_min", "lib.linalg.lam_max")
@pytest.mark.parametrize("fn", [linalg.lam_min, linalg.lam_max])
def test_eigenvalues_bad_input(fn):
    raises_naming(TypeError, "K", fn, COMPLEX)
    raises_naming(TypeError, "K", fn, None)
    raises_naming(TypeError, "K", fn, np.array([["a", "b"], ["c", "d"]]))
    raises_naming(ValueError, "K", fn, np.zeros((0, 0)))
    raises_naming(ValueError, "K", fn, np.zeros((2, 3)))
    raises_naming(ValueError, "K", fn, np.zeros(3))
    raises_naming(ValueError, "K", fn, NAN)
    raises_naming(ValueError, "K", fn, INF)
    raises_naming(ValueError, "K", fn, [[1.0, 2.0], [3.0]])
    # inside jit the dtype check is static
    raises_naming(TypeError, "K", jax.jit(fn), jnp.asarray(COMPLEX))


@covers("lib.linalg.sigma_min", "lib.linalg.spectral_norm")
@pytest.mark.parametrize("fn,name", [(linalg.sigma_min, "F"), (linalg.spectral_norm, "W")])
def test_singular_values_bad_input(fn, name):
    raises_naming(TypeError, name, fn, COMPLEX)
    raises_naming(TypeError, name, fn, None)
    raises_naming(TypeError, name, fn, "abc")
    raises_naming(ValueError, name, fn, np.zeros((0, 3)))
    raises_naming(ValueError, name, fn, np.zeros(3))
    raises_naming(ValueError, name, fn, np.zeros((2, 2, 2)))
    raises_naming(ValueError, name, fn, NAN)
    raises_naming(TypeError, name, jax.jit(fn), jnp.asarray(COMPLEX))


@covers("lib.linalg.as_float64")
def test_as_float64_bad_input():
    raises_naming(TypeError, "A", linalg.as_float64, COMPLEX)
    raises_naming(TypeError, "B", linalg.as_float64, None, "B")
    raises_naming(ValueError, "A", linalg.as_float64, [[1.0], [1.0, 2.0]])
    raises_naming(ValueError, "A", linalg.as_float64, np.ones(3), ndim=2)
    raises_naming(ValueError, "A", linalg.as_float64, np.array([np.inf]))


def test_linalg_accepts_lists_ints_and_float32():
    assert linalg.lam_min([[2, 0], [0, 1]]) == 1.0
    assert linalg.lam_max(np.eye(2, dtype=np.int64)) == 1.0
    assert linalg.sigma_min(jnp.eye(3, dtype=jnp.float32)) == 1.0
    assert linalg.spectral_norm([[3.0, 0.0], [0.0, 1.0]]) == pytest.approx(3.0)
    assert linalg.lam_min([[5.0]]) == 5.0


# ---------------------------------------------------------------- data


@covers("lib.data.check_data")
def test_check_data_bad_input():
    for bad in NOT_NUMBERS:
        with pytest.raises((TypeError, ValueError), match="X"):
            data.check_data(bad)
    raises_naming(TypeError, "X", data.check_data, None)
    raises_naming(TypeError, "X", data.check_data, COMPLEX)
    raises_naming(TypeError, "Y", data.check_data, np.eye(2), np.array([1j, 0.0]))
    raises_naming(TypeError, "Y", data.check_data, np.eye(2), "ab")
    raises_naming(ValueError, "X", data.check_data, np.ones(3))
    raises_naming(ValueError, "X", data.check_data, np.zeros((0, 3)))
    raises_naming(ValueError, "X", data.check_data, np.zeros((3, 0)))
    raises_naming(ValueError, "X", data.check_data, NAN)
    raises_naming(ValueError, "Y", data.check_data, np.eye(3), np.ones(4))
    raises_naming(ValueError, "Y", data.check_data, np.eye(2), np.array([np.nan, 1.0]))
    raises_naming(ValueError, "min_angle", data.check_data, X3, min_angle=np.nan)
    raises_naming(ValueError, "min_angle", data.check_data, X3, min_angle=3.0)
    raises_naming(TypeError, "min_angle", data.check_data, X3, min_angle="0.1")
    raises_naming(ValueError, "X1", data.check_data, np.ones(3), name="X1")


def test_check_data_accepts_lists_ints_and_traced_input():
    X, Y = data.check_data([[1, 0], [0, 1]], [1, -1])
    assert jnp.issubdtype(X.dtype, jnp.floating) and Y.shape == (2, 1)
    X, _ = data.check_data(np.eye(3, dtype=np.float32), min_angle=jnp.asarray(0.5))
    assert X.dtype == jnp.float32
    out = jax.jit(lambda A: data.check_data(A)[0].sum())(jnp.eye(3))
    assert float(out) == 3.0


@covers("lib.data.min_pairwise_angle")
def test_min_pairwise_angle_bad_input():
    raises_naming(TypeError, "X", data.min_pairwise_angle, np.array([[1.0, 1j], [1.0, 0.0]]))
    raises_naming(TypeError, "X", data.min_pairwise_angle, None)
    raises_naming(ValueError, "X", data.min_pairwise_angle, np.ones(3))
    raises_naming(ValueError, "X", data.min_pairwise_angle, np.zeros((0, 3)))
    raises_naming(ValueError, "X", data.min_pairwise_angle, np.array([[1.0, 0.0], [0.0, 0.0]]))
    raises_naming(ValueError, "X", data.min_pairwise_angle, NAN)
    assert data.min_pairwise_angle([[1, 0], [0, 1]]) == pytest.approx(np.pi / 2)


@covers("lib.data.sphere_points")
def test_sphere_points_bad_input():
    sp = data.sphere_points
    raises_naming(TypeError, "key", sp, 0, 3, 2)
    raises_naming(TypeError, "key", sp, None, 3, 2)
    raises_naming(TypeError, "N", sp, KEY, None, 2)
    raises_naming(ValueError, "N", sp, KEY, 0, 2)
    raises_naming(TypeError, "N", sp, KEY, 3.0, 2)
    raises_naming(TypeError, "N", sp, KEY, True, 2)
    raises_naming(ValueError, "d", sp, KEY, 3, -1)
    raises_naming(TypeError, "d", sp, KEY, 3, "2")
    raises_naming(ValueError, "min_angle", sp, KEY, 3, 2, min_angle=np.nan)
    raises_naming(ValueError, "min_angle", sp, KEY, 3, 2, min_angle=-0.1)
    raises_naming(TypeError, "min_angle", sp, KEY, 3, 2, min_angle=0.1j)
    raises_naming(ValueError, "max_draws", sp, KEY, 3, 2, min_angle=0.1, max_draws=0)
    # infeasible separations raise at once, whatever max_draws
    raises_naming(ValueError, "min_angle", sp, KEY, 4, 2, min_angle=1.0, max_draws=10**15)
    raises_naming(ValueError, "min_angle", sp, KEY, 2, 1, min_angle=0.1, max_draws=10**15)
    raises_naming(ValueError, "min_angle", sp, KEY, 2, 5, min_angle=np.pi / 2, max_draws=10**15)
    raises_naming(ValueError, "min_angle", sp, KEY, 50, 3, min_angle=1.2, max_draws=10**15)


def test_sphere_points_stuck_greedy_placement_stops(monkeypatch):
    # 5 lines in R^3 can be 1.2 rad apart (the packing bound allows it) but the greedy draw gets stuck:
    # it stops after _STALL_DRAWS rejections in a row instead of using up a huge max_draws
    monkeypatch.setattr(data, "_STALL_DRAWS", 20_000)
    with pytest.raises(ValueError, match="no candidate was accepted in the last 20000 draws"):
        data.sphere_points(KEY, 5, 3, min_angle=1.2, max_draws=10**15)


def test_sphere_points_accepts_numpy_and_jax_integers():
    a = data.sphere_points(KEY, np.int64(4), np.int32(3), min_angle=np.float32(0.2), max_draws=np.int64(1000))
    b = data.sphere_points(KEY, jnp.asarray(4), 3, min_angle=jnp.asarray(0.2))
    np.testing.assert_array_equal(a, data.sphere_points(KEY, 4, 3, min_angle=float(np.float32(0.2))))
    assert b.shape == (4, 3)
    assert data.sphere_points(jax.random.PRNGKey(0), 2, 2).shape == (2, 2)  # raw uint32 keys too


@covers("lib.data.teacher_labels")
def test_teacher_labels_bad_input():
    tl = data.teacher_labels
    raises_naming(TypeError, "key", tl, 1, X3)
    raises_naming(TypeError, "X", tl, KEY, None)
    raises_naming(TypeError, "X", tl, KEY, X3 + 0j)
    raises_naming(ValueError, "X", tl, KEY, X3[:1])  # N = 1: the centred label is 0
    raises_naming(ValueError, "X", tl, KEY, np.ones(3))
    raises_naming(ValueError, "X", tl, KEY, np.full((3, 2), np.nan))
    raises_naming(ValueError, "width", tl, KEY, X3, width=0)
    raises_naming(TypeError, "width", tl, KEY, X3, width=2.5)
    raises_naming(ValueError, "depth", tl, KEY, X3, depth=0)
    raises_naming(TypeError, "depth", tl, KEY, X3, depth=None)
    raises_naming(ValueError, "n_out", tl, KEY, X3, n_out=-1)
    # a constant teacher (every row equal) cannot be scaled to unit RMS: an error, not NaN
    raises_naming(ValueError, "X", tl, KEY, np.ones((4, 3)))


def test_teacher_labels_accepts_numpy_integers_and_lists():
    Y = data.teacher_labels(KEY, X3.tolist(), width=np.int64(8), depth=np.int64(3), n_out=np.int32(2))
    assert Y.shape == (4, 2) and bool(jnp.all(jnp.isfinite(Y)))


@covers("lib.data.digits")
def test_digits_bad_input():
    raises_naming(ValueError, "n", data.digits, n=1, key=KEY)  # one centred image is zero: not NaN
    raises_naming(TypeError, "n", data.digits, n=2.5, key=KEY)
    raises_naming(TypeError, "n", data.digits, n="10", key=KEY)
    raises_naming(ValueError, "n", data.digits, n=10**6, key=KEY)
    raises_naming(ValueError, "key", data.digits, n=10)
    raises_naming(TypeError, "key", data.digits, n=10, key=3)
    raises_naming(TypeError, "classes", data.digits, classes="38")
    raises_naming(TypeError, "classes", data.digits, classes=3)
    raises_naming(TypeError, "classes", data.digits, classes=(3, 8.5))
    raises_naming(ValueError, "classes", data.digits, classes=(3, -1))
    raises_naming(ValueError, "classes", data.digits, classes=(3,))
    raises_naming(TypeError, "targets", data.digits, targets=None)
    raises_naming(ValueError, "targets", data.digits, targets="one-hot")


def test_digits_accepts_numpy_integers():
    ds = data.digits(classes=np.array([3, 8]), n=np.int64(20), key=KEY, targets="pm1")
    assert ds.X.shape == (20, 64) and bool(jnp.all(jnp.isfinite(ds.X)))
    ref = data.digits(classes=(3, 8), n=20, key=KEY, targets="pm1")
    np.testing.assert_array_equal(ds.X, ref.X)


def _write_idx(path, array, code=0x08):
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    dtype = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}[code]
    raw = header + np.asarray(array, dtype=dtype).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(raw)


def _mnist_folder(tmp_path, n_images=12, n_labels=12, labels_code=0x08):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n_images, 4, 4)).astype(np.uint8)
    labels = (np.arange(n_labels) % 3).astype(np.uint8)
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    _write_idx(tmp_path / "train-labels-idx1-ubyte", labels, code=labels_code)
    return tmp_path


@covers("lib.data.train_test")
def test_train_test_bad_input(tmp_path):
    key = jax.random.key(0)
    f = data.train_test
    raises_naming(ValueError, "name", f, "iris", 10, key)
    raises_naming(TypeError, "name", f, None, 10, key)
    for n, exc in [(1, ValueError), (1797, ValueError), (2.5, TypeError), (None, TypeError)]:
        raises_naming(exc, "n_train", f, "digits", n, key)
    raises_naming(TypeError, "key", f, "digits", 10, 0)
    raises_naming(TypeError, "standardise", f, "wine", 10, key, standardise="yes")
    raises_naming(ValueError, "targets", f, "digits", 10, key, targets="ones")
    raises_naming(ValueError, "classes", f, "wine", 10, key, classes=(0, 7))
    raises_naming(ValueError, "root", f, "digits", 10, key, root=tmp_path)
    raises_naming(ValueError, "root", f, "mnist", 10, key)
    raises_naming(ValueError, "per_class", f, "digits", 10, key, per_class=2)
    for n, exc in [(0, ValueError), (200, ValueError), (1.5, TypeError)]:
        raises_naming(exc, "per_class", f, "wine", None, key, per_class=n)
    with pytest.raises(FileNotFoundError, match="MNIST"):
        f("mnist", 10, key, root=tmp_path)
    with pytest.raises(FileNotFoundError, match="CIFAR-10"):
        f("cifar10", 10, key, root=tmp_path)
    train, test = f("wine", np.int64(20), key, classes=[0, 2], standardise=np.bool_(True), targets="pm1")
    assert train.Y.shape == (20, 1) and test.X.shape[0] == int(np.sum(np.isin(
        __import__("sklearn.datasets", fromlist=["load_wine"]).load_wine().target, (0, 2)))) - 20


@covers("lib.data.read_idx")
def test_read_idx_bad_input(tmp_path):
    raises_naming(TypeError, "path", data.read_idx, None)
    raises_naming(TypeError, "path", data.read_idx, 3)
    with pytest.raises(FileNotFoundError):
        data.read_idx(tmp_path / "missing")
    (tmp_path / "short").write_bytes(bytes([0, 0, 0x08, 3, 0, 0]))  # header cut off
    with pytest.raises(ValueError, match="truncated IDX header"):
        data.read_idx(tmp_path / "short")
    (tmp_path / "odd").write_bytes(bytes([0, 0, 0x0C, 1, 0, 0, 0, 1, 1, 2, 3]))  # 3 bytes for one int32
    with pytest.raises(ValueError, match="not a whole number of 4-byte values"):
        data.read_idx(tmp_path / "odd")
    _write_idx(tmp_path / "ok.gz", np.arange(6, dtype=np.uint8).reshape(2, 3))
    np.testing.assert_array_equal(data.read_idx(str(tmp_path / "ok.gz")), np.arange(6).reshape(2, 3))


@covers("lib.data.mnist_like")
def test_mnist_like_bad_input(tmp_path):
    root = _mnist_folder(tmp_path)
    ds = data.mnist_like(root, classes=[0, 1], n=np.int64(5), key=KEY)
    assert ds.X.shape == (5, 16) and bool(jnp.all(jnp.isfinite(ds.X)))
    raises_naming(TypeError, "root", data.mnist_like, None)
    raises_naming(TypeError, "split", data.mnist_like, root, split=1)
    raises_naming(ValueError, "split", data.mnist_like, root, split="val")
    raises_naming(ValueError, "targets", data.mnist_like, root, targets="labels")
    raises_naming(ValueError, "n", data.mnist_like, root, n=1, key=KEY)
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        data.mnist_like(root, split="test")


def test_mnist_like_mismatched_or_foreign_files(tmp_path):
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match="12 images but 10 labels"):
        data.mnist_like(_mnist_folder(tmp_path / "a", n_labels=10))
    (tmp_path / "b").mkdir()
    root = _mnist_folder(tmp_path / "b")
    _write_idx(root / "train-labels-idx1-ubyte", np.zeros(12, dtype=np.float32), code=0x0D)
    with pytest.raises(ValueError, match="labels must be a 1-d array of non-negative integers"):
        data.mnist_like(root)


def _cifar_folder(root, n=6, n_labels=None, data_shape=None, obj=None):
    root.mkdir(exist_ok=True)
    rng = np.random.default_rng(1)
    n_labels = n if n_labels is None else n_labels
    for stem in ["test_batch"]:
        batch = obj if obj is not None else {
            b"data": rng.integers(0, 256, size=data_shape or (n, 3072)).astype(np.uint8),
            b"labels": [i % 2 for i in range(n_labels)],
        }
        with open(root / stem, "wb") as f:
            pickle.dump(batch, f)
    return root


@covers("lib.data.cifar10")
def test_cifar10_bad_input(tmp_path):
    good = _cifar_folder(tmp_path / "good")
    ds = data.cifar10(good, split="test", classes=(0, 1))
    assert ds.X.shape == (6, 3072) and bool(jnp.all(jnp.isfinite(ds.X)))
    raises_naming(TypeError, "root", data.cifar10, None, split="test")
    raises_naming(ValueError, "split", data.cifar10, good, split="validation")
    raises_naming(TypeError, "split", data.cifar10, good, split=None)
    raises_naming(ValueError, "classes", data.cifar10, good, split="test", classes=(0, 0))
    # more images than labels: an error, not a silent re-split of the pixels
    with pytest.raises(ValueError, match="test_batch holds data of shape \\(12, 3072\\) and \\(6,\\) labels"):
        data.cifar10(_cifar_folder(tmp_path / "more", n=12, n_labels=6), split="test")
    with pytest.raises(ValueError, match="expected \\(n, 3072\\) images"):
        data.cifar10(_cifar_folder(tmp_path / "wide", n=6, data_shape=(6, 100)), split="test")
    with pytest.raises(ValueError, match="is not a CIFAR-10 batch"):
        data.cifar10(_cifar_folder(tmp_path / "list", obj=[1, 2, 3]), split="test")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "test_batch").write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="is not a CIFAR-10 batch"):
        data.cifar10(tmp_path / "junk", split="test")


# ---------------------------------------------------------------- kernels


@covers("lib.kernels.du_gram", "lib.kernels.relu_kernels")
@pytest.mark.parametrize("fn", [kernels.du_gram, lambda *a, **k: kernels.relu_kernels(*a, **k).ntk])
def test_kernels_bad_input(fn):
    raises_naming(TypeError, "X1", fn, None)
    raises_naming(TypeError, "X1", fn, X3 + 0j)
    raises_naming(TypeError, "X2", fn, X3, X3 * 1j)
    raises_naming(ValueError, "X1", fn, np.ones(3))
    raises_naming(ValueError, "X1", fn, np.zeros((0, 3)))
    raises_naming(ValueError, "X1", fn, NAN)
    raises_naming(ValueError, "X2", fn, X3, X3[:, :2])
    raises_naming(ValueError, "X2", fn, X3, np.full((2, 3), np.inf))


def test_relu_kernels_bad_parameters():
    raises_naming(ValueError, "L", kernels.relu_kernels, X3, L=0)
    raises_naming(TypeError, "L", kernels.relu_kernels, X3, L=2.0)
    raises_naming(TypeError, "L", kernels.relu_kernels, X3, L=None)
    raises_naming(ValueError, "c_sigma", kernels.relu_kernels, X3, c_sigma=0.0)
    raises_naming(ValueError, "c_sigma", kernels.relu_kernels, X3, c_sigma=np.inf)
    raises_naming(ValueError, "c_sigma", kernels.relu_kernels, X3, c_sigma=np.nan)
    raises_naming(TypeError, "c_sigma", kernels.relu_kernels, X3, c_sigma=1j)


def test_kernels_of_a_zero_row_are_zero_not_nan():
    X = np.vstack([X3, np.zeros(3)])
    H = kernels.du_gram(X)
    K = kernels.relu_kernels(X, L=3)
    for M in (H, K.nngp, K.ntk):
        assert bool(jnp.all(jnp.isfinite(M)))
        np.testing.assert_array_equal(M[-1], 0.0)
        np.testing.assert_array_equal(M[:, -1], 0.0)
    np.testing.assert_array_equal(H[:-1, :-1], kernels.du_gram(X3))
    np.testing.assert_array_equal(K.ntk[:-1, :-1], kernels.relu_kernels(X3, L=3).ntk)


def test_kernels_accept_lists_numpy_integers_and_jax_scalars():
    K = kernels.relu_kernels(X3.tolist(), L=np.int64(3), c_sigma=jnp.asarray(2.0))
    np.testing.assert_allclose(K.ntk, kernels.relu_kernels(X3, L=3).ntk, rtol=1e-6)
    assert kernels.du_gram([[1, 0], [0, 1]]).shape == (2, 2)


@covers("lib.kernels.arccos_moments")
def test_arccos_moments_bad_input():
    am = kernels.arccos_moments
    raises_naming(TypeError, "S11", am, None, 1.0, 0.0)
    raises_naming(TypeError, "S22", am, 1.0, 1j, 0.0)
    raises_naming(TypeError, "S12", am, 1.0, 1.0, "0")
    raises_naming(ValueError, "S11", am, -1.0, 1.0, 0.0)
    raises_naming(ValueError, "S22", am, 1.0, np.nan, 0.0)
    raises_naming(ValueError, "S12", am, 1.0, 1.0, np.inf)
    raises_naming(ValueError, "S12", am, np.ones(2), np.ones(3), np.ones(4))


@given(s22=st.floats(0.0, 10.0), s12=st.floats(-10.0, 10.0))
def test_arccos_moments_degenerate_variance_is_zero_not_nan(s22, s12):
    for k in kernels.arccos_moments(0.0, s22, s12):
        assert float(k) == 0.0
    for k in kernels.arccos_moments(s22, 0.0, s12):
        assert float(k) == 0.0


@covers("lib.kernels.empirical_ntk")
def test_empirical_ntk_bad_input():
    net = mlp.MLP((3, 4, 1))
    params = mlp.init(KEY, net)

    def f(p, X):
        return mlp.apply(net, p, X)

    raises_naming(TypeError, "f", kernels.empirical_ntk, "f", params, X3)
    raises_naming(ValueError, "params", kernels.empirical_ntk, f, None, X3)
    raises_naming(ValueError, "params", kernels.empirical_ntk, f, [], X3)
    raises_naming(TypeError, "X1", kernels.empirical_ntk, f, params, X3 + 1j)
    raises_naming(ValueError, "X1", kernels.empirical_ntk, f, params, NAN)
    raises_naming(ValueError, "X2", kernels.empirical_ntk, f, params, X3, X3[:, :2])
    K = kernels.empirical_ntk(f, params, X3.tolist())
    assert K.shape == (4, 4)


# ---------------------------------------------------------------- activations


@covers("lib.activations.ReLU")
def test_relu_bad_input():
    raises_naming(ValueError, "gamma", activations.ReLU, 0.5)
    raises_naming(TypeError, "gamma", activations.ReLU, None)
    raises_naming(TypeError, "x", activations.ReLU(), jnp.ones(2) * 1j)
    raises_naming(TypeError, "x", activations.ReLU().derivative, np.ones(2) * 1j)
    raises_naming(TypeError, "x", activations.ReLU(), None)
    np.testing.assert_array_equal(activations.ReLU().derivative([-1.0, 2.0]), [0.0, 1.0])


@covers("lib.activations.SmoothLeakyReLU")
def test_smooth_leaky_relu_bad_input():
    S = activations.SmoothLeakyReLU
    for bad in (0.0, 1.0, -0.1, np.nan, np.inf):
        raises_naming(ValueError, "gamma", S, gamma=bad)
    for bad in (0.0, -1.0, np.nan, np.inf):
        raises_naming(ValueError, "beta", S, beta=bad)
    raises_naming(TypeError, "gamma", S, gamma=0.1j)
    raises_naming(TypeError, "beta", S, beta="1")
    raises_naming(TypeError, "beta", S, beta=None)
    raises_naming(TypeError, "x", S(), np.ones(2) * 1j)
    raises_naming(TypeError, "x", S().derivative, np.ones(2) * 1j)


def test_smooth_leaky_relu_accepts_jax_scalars_and_stays_hashable():
    act = activations.SmoothLeakyReLU(gamma=jnp.asarray(0.25), beta=np.float32(2.0))
    assert act == activations.SmoothLeakyReLU(0.25, 2.0) and hash(act) == hash(activations.SmoothLeakyReLU(0.25, 2.0))


# ---------------------------------------------------------------- mlp


@covers("lib.mlp.MLP")
def test_mlp_bad_input():
    raises_naming(TypeError, "widths", mlp.MLP, None)
    raises_naming(TypeError, "widths", mlp.MLP, 5)
    raises_naming(TypeError, "widths", mlp.MLP, "345")
    raises_naming(ValueError, "widths", mlp.MLP, (3,))
    raises_naming(TypeError, "widths[1]", mlp.MLP, (3, None, 1))
    raises_naming(TypeError, "widths[1]", mlp.MLP, (3, True, 1))
    raises_naming(TypeError, "widths[0]", mlp.MLP, (3.0, 2, 1))
    raises_naming(TypeError, "parameterization", mlp.MLP, (3, 2, 1), parameterization=None)
    raises_naming(ValueError, "parameterization", mlp.MLP, (3, 2, 1), parameterization="NTK")
    raises_naming(ValueError, "c_sigma", mlp.MLP, (3, 2, 1), c_sigma=np.inf)
    raises_naming(ValueError, "c_sigma", mlp.MLP, (3, 2, 1), c_sigma=np.nan)
    raises_naming(TypeError, "c_sigma", mlp.MLP, (3, 2, 1), c_sigma=2j)
    raises_naming(TypeError, "c_sigma", mlp.MLP, (3, 2, 1), c_sigma=True)
    raises_naming(ValueError, "activation", mlp.MLP, (3, 2, 1), activation=activations.ReLU)
    raises_naming(ValueError, "activation", mlp.MLP, (3, 2, 1), activation=abs)


def test_mlp_accepts_numpy_and_jax_integer_widths():
    net = mlp.MLP([np.int64(3), jnp.asarray(4), 1], c_sigma=np.float32(2.0))
    assert net.widths == (3, 4, 1) and all(type(n) is int for n in net.widths)
    assert hash(net) == hash(mlp.MLP((3, 4, 1)))


@covers("lib.mlp.init", "lib.mlp.layer_scales")
def test_init_and_layer_scales_bad_input():
    net = mlp.MLP((3, 4, 1))
    raises_naming(TypeError, "key", mlp.init, 0, net)
    raises_naming(TypeError, "net", mlp.init, KEY, (3, 4, 1))
    raises_naming(TypeError, "scheme", mlp.init, KEY, net, scheme=None)
    raises_naming(ValueError, "scheme", mlp.init, KEY, net, scheme="xavier")
    raises_naming(ValueError, "scheme", mlp.init, KEY, net, scheme="du")
    raises_naming(TypeError, "net", mlp.layer_scales, None)


@covers("lib.mlp.features", "lib.mlp.apply", "lib.mlp.activation_patterns", "lib.mlp.backward_factors",
        "lib.mlp.ntk_gram")
@pytest.mark.parametrize("fn", [mlp.features, mlp.apply, mlp.activation_patterns, mlp.backward_factors,
                                mlp.ntk_gram])
def test_forward_functions_bad_input(fn):
    net = mlp.MLP((3, 4, 1))
    params = mlp.init(KEY, net)
    raises_naming(TypeError, "net", fn, (3, 4, 1), params, X3)
    raises_naming(TypeError, "params", fn, net, None, X3)
    raises_naming(TypeError, "params", fn, net, {"W": params[0]}, X3)
    raises_naming(ValueError, "params", fn, net, params[:1], X3)
    raises_naming(ValueError, "params[1]", fn, net, [params[0], params[1].T], X3)
    raises_naming(TypeError, "params[0]", fn, net, [params[0] * 1j, params[1]], X3)
    raises_naming(TypeError, "X", fn, net, params, None)
    raises_naming(TypeError, "X", fn, net, params, X3 + 0j)
    raises_naming(ValueError, "X", fn, net, params, X3[:, :2])
    raises_naming(ValueError, "X", fn, net, params, np.zeros((0, 3)))
    raises_naming(ValueError, "X", fn, net, params, np.full((2, 3), np.nan))
    out = fn(net, params, X3.tolist())  # a list is accepted
    assert out is not None


def test_forward_pass_accepts_float32_input_under_either_precision():
    net = mlp.MLP((3, 4, 2))
    params = mlp.init(KEY, net)
    K = mlp.ntk_gram(net, params, X3.astype(np.float32))
    assert K.shape == (8, 8) and bool(jnp.all(jnp.isfinite(K)))
    # under jit the checks are static: the traced X passes
    out = jax.jit(lambda X: mlp.apply(net, params, X))(jnp.asarray(X3))
    assert out.shape == (4, 2)


# ---------------------------------------------------------------- twolayer


@covers("lib.twolayer.network", "lib.twolayer.init")
def test_twolayer_network_and_init_bad_input():
    raises_naming(ValueError, "d", twolayer.network, 0, 4)
    raises_naming(TypeError, "m", twolayer.network, 3, 2.5)
    raises_naming(TypeError, "m", twolayer.network, 3, None)
    raises_naming(TypeError, "key", twolayer.init, None, 3, 4)
    raises_naming(ValueError, "m", twolayer.init, KEY, 3, -4)
    W, a = twolayer.init(KEY, np.int64(3), jnp.asarray(4))
    assert W.shape == (3, 4) and a.shape == (4, 1)


@covers("lib.twolayer.predict", "lib.twolayer.gram")
def test_twolayer_predict_and_gram_bad_input():
    W, a = twolayer.init(KEY, 3, 8)
    raises_naming(TypeError, "W", twolayer.predict, None, a, X3)
    raises_naming(TypeError, "W", twolayer.predict, W * 1j, a, X3)
    raises_naming(ValueError, "W", twolayer.predict, W[0], a, X3)
    raises_naming(ValueError, "a", twolayer.predict, W, a[:3], X3)
    raises_naming(ValueError, "X", twolayer.predict, W, a, X3[:, :2])
    raises_naming(TypeError, "X", twolayer.predict, W, a, X3 * 1j)
    raises_naming(TypeError, "W", twolayer.gram, "W", X3)
    raises_naming(ValueError, "W", twolayer.gram, np.zeros((3, 0)), X3)
    raises_naming(ValueError, "W", twolayer.gram, np.full((3, 8), np.nan), X3)
    raises_naming(ValueError, "X", twolayer.gram, W, X3[:, :2])
    raises_naming(ValueError, "X", twolayer.gram, W, np.full((2, 3), np.nan))
    raises_naming(TypeError, "X", twolayer.gram, W, None)
    assert twolayer.gram(np.asarray(W).tolist(), X3.tolist()).shape == (4, 4)
    assert twolayer.predict(W, a, X3.tolist()).shape == (4,)


@covers("lib.twolayer.movement_bound")
def test_movement_bound_bad_input():
    mb = twolayer.movement_bound
    raises_naming(ValueError, "N", mb, 0, 1.0, 0.1, 10)
    raises_naming(TypeError, "N", mb, 2.5, 1.0, 0.1, 10)
    raises_naming(ValueError, "loss0", mb, 4, -1.0, 0.1, 10)
    raises_naming(ValueError, "loss0", mb, 4, np.nan, 0.1, 10)
    raises_naming(ValueError, "lam0", mb, 4, 1.0, 0.0, 10)
    raises_naming(ValueError, "lam0", mb, 4, 1.0, np.inf, 10)
    raises_naming(TypeError, "lam0", mb, 4, 1.0, None, 10)
    raises_naming(ValueError, "m", mb, 4, 1.0, 0.1, 0)
    assert mb(np.int64(4), jnp.asarray(1.0), np.float32(0.5), np.int64(16)) == pytest.approx(
        mb(4, 1.0, 0.5, 16), rel=1e-6)


@covers("lib.twolayer.run")
def test_twolayer_run_bad_input():
    y = np.array([1.0, -1.0, 0.5, 0.0])
    raises_naming(TypeError, "key", twolayer.run, None, X3, y, 8, 0.1, 2)
    raises_naming(TypeError, "Y", twolayer.run, KEY, X3, None, 8, 0.1, 2)
    raises_naming(ValueError, "Y", twolayer.run, KEY, X3, y[:3], 8, 0.1, 2)
    raises_naming(ValueError, "Y", twolayer.run, KEY, X3, np.ones((4, 2)), 8, 0.1, 2)
    raises_naming(ValueError, "X", twolayer.run, KEY, 2 * X3, y, 8, 0.1, 2)
    raises_naming(ValueError, "m", twolayer.run, KEY, X3, y, 0, 0.1, 2)
    raises_naming(ValueError, "eta", twolayer.run, KEY, X3, y, 8, -1.0, 2)
    raises_naming(ValueError, "eta", twolayer.run, KEY, X3, y, 8, np.nan, 2)
    raises_naming(TypeError, "eta", twolayer.run, KEY, X3, y, 8, None, 2)
    raises_naming(TypeError, "eta", twolayer.run, KEY, X3, y, 8, True, 2)
    raises_naming(ValueError, "num_steps", twolayer.run, KEY, X3, y, 8, 0.1, 0)
    raises_naming(TypeError, "num_steps", twolayer.run, KEY, X3, y, 8, 0.1, 2.0)
    out = twolayer.run(KEY, X3.tolist(), y.tolist(), np.int64(8), jnp.asarray(0.1), np.int64(2))
    ref = twolayer.run(KEY, X3, y, 8, 0.1, 2)
    np.testing.assert_allclose(out.history.loss, ref.history.loss, rtol=1e-6)


# ---------------------------------------------------------------- rates


@covers("lib.rates.linear_bound")
def test_linear_bound_bad_input():
    lb = rates.linear_bound
    raises_naming(ValueError, "rate", lb, 1.0, 0.0, 5)
    raises_naming(ValueError, "rate", lb, 1.0, np.nan, 5)
    raises_naming(TypeError, "rate", lb, 1.0, None, 5)
    raises_naming(ValueError, "loss0", lb, np.inf, 0.5, 5)
    raises_naming(ValueError, "loss0", lb, np.nan, 0.5, 5)
    raises_naming(ValueError, "loss_star", lb, 1.0, 0.5, 5, loss_star=-np.inf)
    raises_naming(ValueError, "num_steps", lb, 1.0, 0.5, -1)
    raises_naming(TypeError, "num_steps", lb, 1.0, 0.5, 2.5)
    raises_naming(TypeError, "num_steps", lb, 1.0, 0.5, None)
    np.testing.assert_allclose(lb(jnp.asarray(1.0), jnp.asarray(0.5), np.int64(2)), [1.0, 0.5, 0.25])


@covers("lib.rates.path_length_bound")
def test_path_length_bound_bad_input():
    plb = rates.path_length_bound
    raises_naming(ValueError, "mu", plb, 1.0, 0.0)
    raises_naming(ValueError, "mu", plb, 1.0, -1.0)
    raises_naming(ValueError, "mu", plb, 1.0, np.inf)
    raises_naming(TypeError, "mu", plb, 1.0, None)
    raises_naming(ValueError, "decrease", plb, 1.0, 0.5, 0.0)
    raises_naming(ValueError, "decrease", plb, 1.0, 0.5, np.nan)
    raises_naming(ValueError, "loss0", plb, np.nan, 0.5)
    raises_naming(TypeError, "loss0", plb, "1.0", 0.5)
    raises_naming(ValueError, "loss0", plb, 0.5, 0.5, loss_star=1.0)
    raises_naming(ValueError, "loss_star", plb, 1.0, 0.5, loss_star=np.inf)
    assert plb(jnp.asarray(1.0), np.float32(0.5), decrease=np.int64(1)) == pytest.approx(2.0)


@covers("lib.rates.fitted_rate")
def test_fitted_rate_bad_input():
    loss = 0.5 ** np.arange(10)
    raises_naming(TypeError, "loss", rates.fitted_rate, loss * 1j)
    raises_naming(TypeError, "loss", rates.fitted_rate, None)
    raises_naming(ValueError, "loss", rates.fitted_rate, loss.reshape(2, 5))
    raises_naming(ValueError, "loss", rates.fitted_rate, np.zeros(10))
    raises_naming(TypeError, "start", rates.fitted_rate, loss, start=1.5)
    raises_naming(TypeError, "stop", rates.fitted_rate, loss, 0, 4.0)
    raises_naming(ValueError, "loss_star", rates.fitted_rate, loss, loss_star=np.nan)
    assert rates.fitted_rate(list(loss), np.int64(0), np.int64(8)) == pytest.approx(0.5)


@covers("lib.rates.loglog_slope")
def test_loglog_slope_bad_input():
    raises_naming(TypeError, "x", rates.loglog_slope, np.array([1j, 2.0]), [1.0, 2.0])
    raises_naming(TypeError, "y", rates.loglog_slope, [1.0, 2.0], None)
    raises_naming(ValueError, "x", rates.loglog_slope, [1.0, 2.0], [1.0, 2.0, 3.0])
    raises_naming(ValueError, "x", rates.loglog_slope, [1.0], [1.0])
    raises_naming(ValueError, "x", rates.loglog_slope, [1.0, -2.0], [1.0, 2.0])
    raises_naming(ValueError, "x", rates.loglog_slope, [1.0, np.inf], [1.0, 2.0])
    raises_naming(ValueError, "y", rates.loglog_slope, [1.0, 2.0], [1.0, np.nan])
    raises_naming(ValueError, "x", rates.loglog_slope, [2.0, 2.0], [1.0, 3.0])
    assert rates.loglog_slope([1, 2, 4], [1, 4, 16]) == pytest.approx(2.0)


# ---------------------------------------------------------------- sweep


@covers("lib.sweep.smallest_width")
def test_smallest_width_bad_input():
    sw = sweep.smallest_width
    raises_naming(TypeError, "holds", sw, None, 1, 8)
    raises_naming(ValueError, "start", sw, bool, 0, 8)
    raises_naming(TypeError, "start", sw, bool, 1.0, 8)
    raises_naming(TypeError, "start", sw, bool, None, 8)
    raises_naming(ValueError, "cap", sw, bool, 4, 2)
    raises_naming(TypeError, "cap", sw, bool, 4, np.inf)
    raises_naming(ValueError, "resolution", sw, bool, 1, 8, resolution=np.nan)
    raises_naming(ValueError, "resolution", sw, bool, 1, 8, resolution=1.0)
    raises_naming(TypeError, "resolution", sw, bool, 1, 8, resolution="1/16")
    assert sw(lambda n: n >= 5, np.int64(1), np.int64(64), resolution=np.float32(0.25)) == sw(
        lambda n: n >= 5, 1, 64, resolution=0.25)


# ---------------------------------------------------------------- properties


@given(N=st.integers(1, 6), d=st.integers(1, 5))
def test_iid_sphere_points_and_their_kernels_are_finite(N, d):
    X = data.sphere_points(KEY, N, d)
    assert bool(jnp.all(jnp.isfinite(kernels.du_gram(X))))
    assert bool(jnp.all(jnp.isfinite(kernels.relu_kernels(X, L=3).ntk)))
    assert np.isfinite(linalg.lam_min(kernels.du_gram(X)))
