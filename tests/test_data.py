import jax
import numpy as np
import pytest

from lib import data
from precision import tol


def test_sphere_points_are_unit_norm_and_separated():
    X = data.sphere_points(jax.random.key(0), 30, 4, min_angle=0.4)
    assert X.shape == (30, 4)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=tol(1e-12, 2e-6))
    assert data.min_pairwise_angle(X) >= 0.4


def test_sphere_points_without_separation_are_iid():
    X = data.sphere_points(jax.random.key(0), 500, 3)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=tol(1e-12, 2e-6))
    np.testing.assert_allclose(np.mean(X, axis=0), 0.0, atol=0.1)


def test_sphere_points_are_reproducible():
    a = data.sphere_points(jax.random.key(7), 10, 3, min_angle=0.2)
    b = data.sphere_points(jax.random.key(7), 10, 3, min_angle=0.2)
    np.testing.assert_array_equal(a, b)


def test_sphere_points_impossible_separation_raises():
    with pytest.raises(ValueError, match="cannot place N = 50 points on S\\^1 with min_angle = 1 rad: at most 3 lines"):
        data.sphere_points(jax.random.key(0), 50, 2, min_angle=1.0, max_draws=2000)


@pytest.mark.parametrize("N,d,angle,exc,match", [
    (0, 3, 0.0, ValueError, "N must be a positive integer, got 0"),
    (3, 0, 0.0, ValueError, "d must be a positive integer, got 0"),
    (3, 2, 2.0, ValueError, "min_angle must lie in \\[0, pi/2\\]"),
    (2.5, 2, 0.0, TypeError, "N must be a positive integer, got 2.5"),  # a float is not a count
])
def test_sphere_points_bad_arguments(N, d, angle, exc, match):
    with pytest.raises(exc, match=match):
        data.sphere_points(jax.random.key(0), N, d, min_angle=angle)


def test_min_pairwise_angle_treats_antiparallel_as_parallel():
    X = np.array([[1.0, 0.0], [-2.0, 0.0], [0.0, 1.0]])
    assert data.min_pairwise_angle(X) == pytest.approx(0.0, abs=1e-7)
    assert data.min_pairwise_angle(np.array([[1.0, 0.0], [1.0, 1.0]])) == pytest.approx(np.pi / 4)
    assert data.min_pairwise_angle(np.array([[1.0, 0.0]])) == pytest.approx(np.pi / 2)


def test_min_pairwise_angle_errors():
    with pytest.raises(ValueError, match="X must be a 2-d array"):
        data.min_pairwise_angle(np.ones(3))
    with pytest.raises(ValueError, match="X has 1 zero rows"):
        data.min_pairwise_angle(np.array([[1.0, 0.0], [0.0, 0.0]]))


def test_check_data_reshapes_vector_targets():
    X, Y = data.check_data(np.eye(3), np.arange(3.0))
    assert Y.shape == (3, 1)


@pytest.mark.parametrize("X,Y,kwargs,match", [
    (np.ones(3), None, {}, "X must be a 2-d array \\(N, d\\), got shape \\(3,\\)"),
    (np.ones((0, 2)), None, {}, "X must have at least one row"),
    (np.array([[1.0, np.nan]]), None, {}, "X contains NaN or infinite entries"),
    (np.eye(3), np.ones(4), {}, "same number of rows N, got X: 3 and Y: 4"),
    (np.eye(3), np.ones((3, 1, 1)), {}, "Y must be a 1-d or 2-d array"),
    (np.eye(3), np.array([1.0, np.inf, 0.0]), {}, "Y contains NaN or infinite entries"),
    (2 * np.eye(3), None, {"unit_norm": True}, "X must have unit-norm rows"),
    (np.array([[1.0, 0.0], [1.0, 0.0]]), None, {"min_angle": 0.0}, "duplicate or \\(anti-\\)parallel"),
    (np.array([[1.0, 0.0], [1.0, 0.1]]), None, {"min_angle": 0.2}, "below min_angle = 0.2"),
    (np.eye(2), None, {"min_angle": -1.0}, "min_angle must lie in"),
])
def test_check_data_errors(X, Y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.check_data(X, Y, **kwargs)


def test_check_data_accepts_separated_unit_data():
    X = data.sphere_points(jax.random.key(1), 5, 3, min_angle=0.3)
    X2, _ = data.check_data(X, unit_norm=True, min_angle=0.3)
    np.testing.assert_array_equal(X, X2)


def test_teacher_labels_are_standardised():
    X = data.sphere_points(jax.random.key(0), 40, 5)
    Y = data.teacher_labels(jax.random.key(1), X, width=32, depth=3, n_out=2)
    assert Y.shape == (40, 2)
    np.testing.assert_allclose(np.mean(Y, axis=0), 0.0, atol=tol(1e-12, 1e-6))
    np.testing.assert_allclose(np.mean(Y**2, axis=0), 1.0, rtol=tol(1e-12, 2e-6))


@pytest.mark.parametrize("kwargs,match", [
    ({"depth": 0}, "depth must be >= 1"),
    ({"width": 0}, "width must be a positive integer, got 0"),
    ({"n_out": 0}, "n_out must be a positive integer, got 0"),
])
def test_teacher_labels_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.teacher_labels(jax.random.key(0), np.eye(3), **kwargs)


def test_digits_full_set_is_normalised():
    ds = data.digits()
    assert ds.X.shape == (1797, 64) and ds.Y.shape == (1797, 10)
    np.testing.assert_allclose(np.linalg.norm(ds.X, axis=1), 1.0, rtol=tol(1e-12, 2e-6))
    np.testing.assert_array_equal(np.argmax(ds.Y, axis=1), ds.labels)


def test_digits_binary_pm1_subset():
    ds = data.digits(classes=(3, 8), n=50, key=jax.random.key(0), targets="pm1")
    assert ds.X.shape == (50, 64) and ds.Y.shape == (50, 1)
    assert set(np.unique(ds.Y)) == {-1.0, 1.0}
    np.testing.assert_array_equal(ds.Y[:, 0] == 1.0, ds.labels == 0)


@pytest.mark.parametrize("kwargs,match", [
    ({"classes": (1,)}, "at least two distinct labels of digits"),
    ({"classes": (1, 1)}, "at least two distinct labels of digits"),
    ({"classes": (1, 12)}, "at least two distinct labels of digits"),
    ({"targets": "labels"}, "targets must be 'onehot' or 'pm1'"),
    ({"targets": "pm1"}, "needs exactly two classes"),
    ({"n": 10}, "pass key="),
    ({"n": 0, "key": jax.random.key(0)}, "n must lie in \\[2, 1797\\]"),
])
def test_digits_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.digits(**kwargs)


def _write_idx(path, array, gz):
    import gzip

    codes = {np.uint8: 0x08}
    header = bytes([0, 0, codes[array.dtype.type], array.ndim]) + b"".join(
        int(s).to_bytes(4, "big") for s in array.shape)
    opener = gzip.open if gz else open
    with opener(path, "wb") as f:
        f.write(header + array.astype(">u1").tobytes())


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_like_reads_tiny_idx_files(tmp_path, gz):
    rng = np.random.default_rng(0)
    for img, lab in {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                     "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}.values():
        images = rng.integers(0, 256, size=(12, 4, 4), dtype=np.uint8)
        labels = np.arange(12, dtype=np.uint8) % 3
        suffix = ".gz" if gz else ""
        _write_idx(tmp_path / (img + suffix), images, gz)
        _write_idx(tmp_path / (lab + suffix), labels, gz)
    np.testing.assert_array_equal(data.read_idx(tmp_path / ("t10k-labels-idx1-ubyte" + suffix)), labels)
    ds = data.mnist_like(tmp_path, split="test", name="Kuzushiji-MNIST")
    assert ds.X.shape == (12, 16) and ds.Y.shape == (12, 3)
    np.testing.assert_allclose(np.linalg.norm(ds.X, axis=1), 1.0, rtol=tol(1e-12, 2e-6))
    np.testing.assert_array_equal(ds.labels, labels)
    ds2 = data.mnist_like(tmp_path, classes=(2, 0), targets="pm1")
    assert ds2.X.shape == (8, 16) and set(np.unique(ds2.Y)) == {-1.0, 1.0}


def test_mnist_like_missing_file_says_where_to_put_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte \\(or train-images-idx3-ubyte.gz\\) "
                                                "not found in .*Put the four standard MNIST IDX files"):
        data.mnist_like(tmp_path)
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        data.mnist_like(tmp_path, split="valid")


def test_read_idx_rejects_other_files(tmp_path):
    (tmp_path / "junk").write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(tmp_path / "junk")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + b"\x00" * 3)
    with pytest.raises(ValueError, match="header says shape \\(10,\\) but the file holds 3 values"):
        data.read_idx(tmp_path / "short")


def test_cifar10_reads_tiny_pickle_batches(tmp_path):
    import pickle

    rng = np.random.default_rng(1)
    for stem in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, size=(4, 3072), dtype=np.uint8),
                 b"labels": [0, 1, 2, 9]}
        with open(tmp_path / stem, "wb") as f:
            pickle.dump(batch, f)
    ds = data.cifar10(tmp_path)
    assert ds.X.shape == (20, 3072) and ds.Y.shape == (20, 10)
    np.testing.assert_allclose(np.linalg.norm(ds.X, axis=1), 1.0, rtol=tol(1e-12, 2e-6))
    assert data.cifar10(tmp_path, split="test", classes=(0, 9)).X.shape == (2, 3072)


def test_cifar10_missing_batch_says_where_to_put_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="data_batch_1 not found in .*cifar-10-batches-py"):
        data.cifar10(tmp_path)


def test_train_test_preprocesses_with_training_statistics_only():
    from sklearn.datasets import load_breast_cancer

    raw = load_breast_cancer()
    train, test = data.train_test("breast_cancer", 50, jax.random.key(3), standardise=True)
    assert train.X.shape == (50, 30) and test.X.shape == (len(raw.target) - 50, 30)
    # the two sets partition the data, and the test rows are the raw rows shifted by the training mean
    order = np.asarray(jax.random.permutation(jax.random.key(3), len(raw.target)))
    tr_idx, te_idx = np.sort(order[:50]), np.sort(order[50:])
    mean, std = raw.data[tr_idx].mean(0), raw.data[tr_idx].std(0)
    expected = (raw.data[te_idx] - mean) / std
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(test.X, expected, rtol=tol(1e-10, 1e-4), atol=tol(1e-12, 1e-6))
    np.testing.assert_array_equal(test.labels, raw.target[te_idx])
    np.testing.assert_allclose(np.linalg.norm(train.X, axis=1), 1.0, rtol=tol(1e-12, 2e-6))
    assert train.Y.shape == (50, 2) and np.all(np.asarray(train.Y).sum(1) == 1)


def test_train_test_reads_files_for_the_file_data_sets(tmp_path):
    rng = np.random.default_rng(1)
    for img, lab, n in [("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 12),
                        ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 9)]:
        _write_idx(tmp_path / img, rng.integers(0, 256, size=(n, 4, 4), dtype=np.uint8), False)
        _write_idx(tmp_path / lab, (np.arange(n) % 3).astype(np.uint8), False)
    train, test = data.train_test("kmnist", 8, jax.random.key(0), root=tmp_path)
    assert train.X.shape == (8, 16) and test.X.shape == (9, 16) and train.Y.shape == (8, 3)


def test_train_test_per_class_draws_each_class_equally():
    train, test = data.train_test("digits", None, jax.random.key(5), per_class=2)
    assert train.X.shape == (20, 64) and test.X.shape == (1777, 64)
    assert np.all(np.bincount(np.asarray(train.labels)) == 2)
