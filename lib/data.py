r"""Data sets in the form the theorems assume.

The convergence theorems of the book assume inputs on the unit sphere,
:math:`\|x_i\|_2 = 1`, with no two inputs parallel (Du et al.'s condition, which
makes the limiting Gram matrix positive definite). This module makes such data:

* :func:`sphere_points`: uniform points on :math:`S^{d-1}` with a controllable
  minimum angle between the lines through any two of them;
* :func:`teacher_labels`: labels from a random ReLU teacher network;
* :func:`digits`: scikit-learn's handwritten digits (shipped with the package,
  no download), centred and normalised to unit rows;
* :func:`mnist_like` and :func:`cifar10`: MNIST-format (MNIST, Kuzushiji-MNIST)
  and CIFAR-10 files that the user already has, normalised the same way;
* :func:`train_test`: a training and a test set preprocessed with the training
  statistics only, from scikit-learn's digits, breast-cancer or wine data or from
  those files;
* :func:`check_data`: the validation every trainer and kernel applies.

All arrays use the row layout of the book: ``X: (N, d)``, ``Y: (N, k)``.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lib import _validate as V

__all__ = [
    "Dataset",
    "check_data",
    "min_pairwise_angle",
    "sphere_points",
    "teacher_labels",
    "digits",
    "read_idx",
    "mnist_like",
    "cifar10",
    "SHIPPED",
    "FROM_FILES",
    "train_test",
]


class Dataset(NamedTuple):
    """A supervised data set in the book's row layout."""

    X: jax.Array  # (N, d) inputs, unit-norm rows
    Y: jax.Array  # (N, k) regression targets (one-hot or +-1 for classification)
    labels: jax.Array  # (N,) integer class labels (-1 where not a classification set)


def min_pairwise_angle(X) -> float:
    r"""Smallest angle, in radians, between the lines through two rows of ``X``.

    ``X: (N, d)``. Returns :math:`\min_{i \ne j} \arccos |\langle x_i, x_j\rangle|
    / (\|x_i\| \|x_j\|) \in [0, \pi/2]`; parallel and anti-parallel pairs both
    give 0. A single point gives :math:`\pi/2`. Raises ``ValueError`` for zero
    rows, no rows, NaN/inf entries or an ``X`` that is not 2-d, and ``TypeError``
    for a complex or non-numeric ``X``.
    """
    from lib.linalg import as_float64

    X64 = as_float64(X, "X")
    if X64.ndim != 2:
        raise ValueError(f"X must be a 2-d array (N, d), got shape {X64.shape}")
    if X64.shape[0] == 0:
        raise ValueError(f"X must have at least one row, got shape {X64.shape}")
    norms = np.linalg.norm(X64, axis=1)
    if np.any(norms == 0):
        raise ValueError(f"X has {int(np.sum(norms == 0))} zero rows; angles are undefined")
    if X64.shape[0] < 2:
        return float(np.pi / 2)
    U = X64 / norms[:, None]
    C = np.abs(U @ U.T)
    np.fill_diagonal(C, 0.0)
    return float(np.arccos(np.clip(C.max(), 0.0, 1.0)))


def _concrete(x) -> bool:
    """Whether ``x`` holds values (not a tracer inside ``jit``), so value checks can run."""
    return not isinstance(x, jax.core.Tracer)


def check_data(X, Y=None, *, min_angle: float | None = None, unit_norm: bool = False, name: str = "X"):
    """Validate a data set and return ``(X, Y)`` as JAX arrays with ``Y: (N, k)``.

    Raises ``ValueError`` naming the argument when ``X`` is not 2-d, ``Y`` does
    not have ``N`` rows, an entry is NaN or infinite, ``unit_norm`` is asked for
    and a row of ``X`` is not of norm 1, or ``min_angle`` (radians) is given and
    two rows of ``X`` are closer to parallel than that; ``TypeError`` when ``X``
    or ``Y`` is ``None``, complex or not numeric. Python lists are accepted;
    integer and bool arrays are converted to the default float dtype. ``name``
    is the name of ``X`` in the messages (``"X1"`` for a kernel's first argument). Inside
    ``jit`` only the static (shape, dtype) checks run.
    """
    X = V.array(X, name, nonempty=False, finite=False)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-d array (N, d), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column, got shape {X.shape}")
    if _concrete(X) and not np.all(np.isfinite(np.asarray(X))):
        raise ValueError(f"{name} contains NaN or infinite entries")
    if unit_norm and _concrete(X):
        norms = np.linalg.norm(np.asarray(X, dtype=np.float64), axis=1)
        worst = float(np.max(np.abs(norms - 1.0)))
        if worst > 1e-5:
            raise ValueError(
                f"{name} must have unit-norm rows, but a row has norm off by {worst:.3g}; "
                f"normalise with {name} / ||x_i|| first"
            )
    if min_angle is not None and _concrete(X):
        min_angle = V.real(min_angle, "min_angle", what="lie in [0, pi/2] radians", low=0.0, high=np.pi / 2)
        angle = min_pairwise_angle(X)
        if angle < min_angle or (min_angle == 0.0 and angle == 0.0):
            raise ValueError(
                f"{name} has two rows at angle {angle:.3g} rad, below min_angle = {min_angle:.3g}: "
                "duplicate or (anti-)parallel inputs make the Gram matrix singular"
            )
    if Y is None:
        return X, None
    Y = V.array(Y, "Y", nonempty=False, finite=False)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2:
        raise ValueError(f"Y must be a 1-d or 2-d array (N,) or (N, k), got shape {Y.shape}")
    if Y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{name} and Y must have the same number of rows N, got {name}: {X.shape[0]} and Y: {Y.shape[0]}"
        )
    if _concrete(Y) and not np.all(np.isfinite(np.asarray(Y))):
        raise ValueError("Y contains NaN or infinite entries")
    return X, Y


def sphere_points(key, N: int, d: int, min_angle: float = 0.0, max_draws: int = 100_000):
    r"""``N`` points on the unit sphere :math:`S^{d-1}`, rows of an ``(N, d)`` array.

    Candidates are drawn uniformly (normalised Gaussians) and accepted greedily
    when the angle between their line and the line of every accepted point is at
    least ``min_angle`` radians. With ``min_angle = 0`` the points are i.i.d.
    uniform. Raises ``ValueError`` when ``max_draws`` candidates do not give
    ``N`` points (ask for a smaller angle, fewer points or a larger ``d``), and
    at once, without drawing, when no ``N`` lines on :math:`S^{d-1}` can be
    ``min_angle`` apart (the caps of angular radius ``min_angle / 2`` around the
    ``2N`` points :math:`\pm x_i` would not fit on the sphere, or ``min_angle = pi/2``
    with ``N > 1``: random candidates are never exactly orthogonal), or when
    ``_STALL_DRAWS`` (a million) candidates in a row are rejected, so a huge
    ``max_draws`` cannot hang. Bad ``N``, ``d``,
    ``min_angle`` or ``max_draws`` raise ``ValueError`` (``TypeError`` for
    ``None``/strings/complex), a ``key`` that is not a JAX key ``TypeError``.
    """
    V.key(key)
    N = V.integer(N, "N")
    d = V.integer(d, "d")
    min_angle = V.real(min_angle, "min_angle", what="lie in [0, pi/2] radians", low=0.0, high=np.pi / 2)
    max_draws = V.integer(max_draws, "max_draws")
    if min_angle == 0.0:
        G = jax.random.normal(key, (N, d))
        return G / jnp.linalg.norm(G, axis=1, keepdims=True)
    at_most = _max_lines(d, min_angle)
    if N > at_most:
        raise ValueError(
            f"cannot place N = {N} points on S^{d - 1} with min_angle = {min_angle:.3g} rad: at most "
            f"{at_most} lines through the origin of R^{d} are that far apart; lower min_angle or N, or raise d"
        )
    cos_max = np.cos(min_angle)
    accepted = np.empty((N, d))
    count, drawn, batch = 0, 0, max(4 * N, 256)
    last_accept = 0  # draws up to the last accepted point
    while count < N and drawn < max_draws and drawn - last_accept < _STALL_DRAWS:
        key, sub = jax.random.split(key)
        G = np.array(jax.random.normal(sub, (batch, d)), dtype=np.float64)
        G /= np.linalg.norm(G, axis=1, keepdims=True)
        G = G[: max_draws - drawn]
        # a candidate too close to an already accepted point stays rejected (the set only grows):
        # screen the batch at once, with a margin far above round-off, and decide the survivors
        # one by one with the exact test, so the accepted points are those of the sequential loop.
        if count:
            alive = np.max(np.abs(G @ accepted[:count].T), axis=1) <= cos_max + 1e-9
        else:
            alive = np.ones(len(G), dtype=bool)
        stop = len(G)
        for i in np.flatnonzero(alive):
            g = G[i]
            if count == 0 or np.max(np.abs(accepted[:count] @ g)) <= cos_max:
                accepted[count] = g
                count += 1
                last_accept = drawn + i + 1
                if count == N:
                    stop = i + 1
                    break
        drawn += stop
    if count < N and drawn - last_accept >= _STALL_DRAWS and drawn < max_draws:
        raise ValueError(
            f"could only place {count} of N = {N} points on S^{d - 1} with min_angle = {min_angle:.3g} rad: "
            f"no candidate was accepted in the last {_STALL_DRAWS} draws (of max_draws = {max_draws}), so the "
            "greedy placement is stuck: lower min_angle or N, or raise d"
        )
    if count < N:
        raise ValueError(
            f"could only place {count} of N = {N} points on S^{d - 1} with min_angle = "
            f"{min_angle:.3g} rad after {drawn} draws: lower min_angle or N, or raise d"
        )
    return jnp.asarray(accepted, dtype=jnp.result_type(float))


#: sphere_points gives up after this many consecutive rejected candidates (more than the default
#: max_draws, so only a larger max_draws is affected): a stuck greedy placement stays stuck.
_STALL_DRAWS = 1_000_000


def _max_lines(d: int, angle: float) -> float:
    """An upper bound on the number of lines in R^d pairwise at least ``angle`` (radians) apart."""
    from scipy.special import betainc

    if angle <= 0.0:
        return np.inf
    if d == 1:
        return 1
    if angle >= np.pi / 2:
        return 1  # exactly orthogonal random candidates occur with probability 0
    # the 2N points +-x_i are pairwise >= angle apart on the sphere: their caps of radius angle/2
    # are disjoint, and a cap of radius r covers I_{sin^2 r}((d-1)/2, 1/2) / 2 of the sphere
    cap = 0.5 * betainc((d - 1) / 2, 0.5, np.sin(angle / 2) ** 2)
    return int(np.floor(1.0 / (2.0 * cap) * (1 + 1e-9)))


def teacher_labels(key, X, width: int = 64, depth: int = 2, n_out: int = 1):
    r"""Labels ``Y: (N, n_out)`` from a random ReLU teacher network.

    The teacher is the book's MLP (:mod:`lib.mlp`) with ``depth`` layers, hidden
    width ``width`` and He initialisation. Each output column is centred and
    scaled to unit root-mean-square, so :math:`\|Y\|_F^2 = N\,n_{\rm out}`.
    Raises ``ValueError`` for ``N < 2`` (one centred label is 0 and cannot be
    scaled) and when the teacher's output is constant on ``X`` (e.g. every ReLU
    dead: draw another ``key``), besides the checks of :func:`check_data`.
    """
    from lib import mlp

    V.key(key)
    X, _ = check_data(X)
    depth = V.integer(depth, "depth", what="be >= 1 (an integer)")
    width = V.integer(width, "width")
    n_out = V.integer(n_out, "n_out")
    if X.shape[0] < 2:
        raise ValueError(
            f"X must have at least N = 2 rows for teacher labels, got shape {X.shape}: "
            "labels centred over one sample are all zero and cannot be scaled to unit RMS"
        )
    widths = (X.shape[1],) + (width,) * (depth - 1) + (n_out,)
    net = mlp.MLP(widths)
    params = mlp.init(key, net, scheme="he")
    Y = mlp.apply(net, params, X)
    Y = Y - Y.mean(axis=0, keepdims=True)
    rms = jnp.sqrt(jnp.mean(Y**2, axis=0, keepdims=True))
    if _concrete(rms) and not bool(jnp.all(rms > 0)):
        raise ValueError(
            "the teacher's output is constant on X (every label equal), so it cannot be scaled to unit RMS: "
            "draw another key or use a larger width"
        )
    return Y / rms


def _select(images, target, classes, targets, name):
    """Check a loader's arrays and keep ``classes`` (relabelled ``0..C-1``): ``(images (n, d) float64, labels, classes)``."""
    images = np.asarray(images)
    target = np.asarray(target)
    if target.ndim != 1 or not np.issubdtype(target.dtype, np.integer) or np.any(target < 0):
        raise ValueError(
            f"{name}: the labels must be a 1-d array of non-negative integers, got shape {target.shape} "
            f"and dtype {target.dtype}: is the label file the right one?"
        )
    if images.ndim < 2 or images.shape[0] != len(target) or not np.issubdtype(images.dtype, np.number):
        raise ValueError(
            f"{name}: the images must be a numeric array with one image per label, got shape {images.shape} "
            f"for {len(target)} labels: are the files complete and from the same split?"
        )
    images = images.astype(np.float64).reshape(len(target), -1)
    n_classes = int(target.max()) + 1 if len(target) else 0
    asked = classes is not None
    if classes is None:
        classes = tuple(range(max(n_classes, 2)))
    if isinstance(classes, (str, bytes)) or not np.iterable(classes):
        raise TypeError(f"classes must be a sequence of integer labels of {name}, got {classes!r}")
    classes = tuple(V.integer(c, "classes", minimum=0, what=f"a sequence of integer labels of {name}")
                    for c in classes)
    if len(classes) < 2 or len(set(classes)) != len(classes) or not set(classes) <= set(range(max(n_classes, 10))):
        raise ValueError(f"classes must be at least two distinct labels of {name}, got {classes}")
    V.option(targets, "targets", ("onehot", "pm1"))
    if targets == "pm1" and len(classes) != 2:
        raise ValueError(f"targets='pm1' needs exactly two classes, got {classes}")
    keep = np.isin(target, classes)
    images, target = images[keep], target[keep]
    labels = np.array([classes.index(t) for t in target], dtype=np.int64)
    absent = [c for i, c in enumerate(classes) if not np.any(labels == i)]
    if absent and asked:
        raise ValueError(f"classes must be labels present in {name}, got {classes}: no sample has label(s) {absent}")
    return images, labels, classes


def _targets_of(labels, classes, targets):
    if targets == "onehot":
        return np.eye(len(classes))[labels]
    return np.where(labels == 0, 1.0, -1.0)[:, None]


def _unit_rows(X, name, what="image(s) equal the mean image"):
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError(
            f"{name}: {int(np.sum(norms == 0))} {what}, so their centred rows are zero "
            "and cannot be normalised; select other classes or samples"
        )
    return X / norms


def _as_dataset(images, target, classes, n, key, targets, name) -> Dataset:
    """Select classes, subsample, centre and normalise rows, build targets: shared by every loader."""
    images, labels, classes = _select(images, target, classes, targets, name)
    if n is not None:
        if key is None:
            raise ValueError(f"{name}(n=...) draws a random subset: pass key=jax.random.key(...)")
        V.key(key)
        n = V.integer(n, "n", minimum=-2**63, what=f"be an integer in [2, {len(labels)}] for classes {classes}")
        if not 2 <= n <= len(labels):
            raise ValueError(
                f"n must lie in [2, {len(labels)}] for classes {classes}, got {n}"
                + (" (one image centred by its own mean is zero)" if n == 1 else "")
            )
        idx = np.sort(np.asarray(jax.random.permutation(key, len(labels))[:n]))
        images, labels = images[idx], labels[idx]
    if len(labels) < 2:
        raise ValueError(
            f"{name}: classes {classes} select {len(labels)} image(s); at least 2 are needed "
            "(one image centred by its own mean is zero)"
        )
    X = _unit_rows(images - images.mean(axis=0, keepdims=True), name)
    dtype = jnp.result_type(float)
    return Dataset(jnp.asarray(X, dtype), jnp.asarray(_targets_of(labels, classes, targets), dtype), jnp.asarray(labels))


def digits(classes=None, n: int | None = None, key=None, targets: str = "onehot") -> Dataset:
    r"""scikit-learn's 8x8 handwritten digits, normalised as the theorems assume.

    Each image (64 pixels) is centred by the mean image of the selected samples
    and scaled to a unit-norm row, so :math:`\|x_i\|_2 = 1`.

    ``classes``: the digits to keep (default all ten), relabelled ``0..C-1`` in
    the given order. ``n``: keep ``n`` samples, drawn without replacement with
    ``key`` (required then). ``targets``: ``"onehot"`` gives ``Y: (N, C)``;
    ``"pm1"`` (two classes only) gives ``Y: (N, 1)`` with entries :math:`\pm 1`.
    The data ship with scikit-learn: nothing is downloaded.
    Raises ``ValueError`` for bad ``classes`` / ``n`` (``n >= 2``: one image
    centred by its own mean is zero) / ``targets``, ``n`` without ``key``;
    ``TypeError`` for arguments of the wrong kind.
    """
    from sklearn.datasets import load_digits

    raw = load_digits()
    return _as_dataset(raw.data, raw.target, classes, n, key, targets, "digits")


_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path) -> np.ndarray:
    """Read an IDX file (the MNIST format; plain or ``.gz``) into a NumPy array.

    Raises ``TypeError`` when ``path`` is not a path, ``FileNotFoundError`` when
    it does not exist, ``ValueError`` when the file is not a complete IDX file.
    """
    import gzip
    import os
    from pathlib import Path

    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or pathlib.Path), got {path!r}")
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if raw[2] not in dtypes:
        raise ValueError(f"{path}: unknown IDX element type 0x{raw[2]:02x}")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes for {ndim} dimensions)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    itemsize = np.dtype(dtypes[raw[2]]).itemsize
    body = len(raw) - 4 - 4 * ndim
    if body % itemsize:
        raise ValueError(f"{path}: header says shape {shape} but the file holds {body} bytes, "
                         f"not a whole number of {itemsize}-byte values")
    data_ = np.frombuffer(raw, dtype=dtypes[raw[2]], offset=4 + 4 * ndim)
    if data_.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says shape {shape} but the file holds {data_.size} values")
    return data_.reshape(shape)


def _find(root, stem: str, name: str, where: str):
    import os
    from pathlib import Path

    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a folder path (str or pathlib.Path), got {root!r}")
    root = Path(root)
    for candidate in (root / stem, root / f"{stem}.gz"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"{name}: {stem} (or {stem}.gz) not found in {root.resolve()}. {where}"
    )


def mnist_like(root, split: str = "train", classes=None, n: int | None = None, key=None,
               targets: str = "onehot", name: str = "MNIST") -> Dataset:
    r"""An MNIST-format data set (MNIST, Kuzushiji-MNIST, Fashion-MNIST) from files you already have.

    ``root`` is the folder holding the four standard IDX files
    (``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
    ``t10k-images-idx3-ubyte[.gz]``, ``t10k-labels-idx1-ubyte[.gz]``); ``split`` is
    ``"train"`` or ``"test"``. Normalised like :func:`digits` (centred, unit rows,
    784 features). Nothing is downloaded: a missing file raises
    ``FileNotFoundError`` saying where to put it; files that do not match (a
    different number of images and labels, labels that are not integers) raise
    ``ValueError``; other arguments are checked as in :func:`digits`.
    """
    return _as_dataset(*_mnist_raw(root, split, name), classes, n, key, targets, name)


def _mnist_raw(root, split, name):
    V.option(split, "split", ("train", "test"))
    where = (f"Put the four standard {name} IDX files in that folder, or pass root= the folder that "
             "holds them.")
    img_stem, lab_stem = _IDX_FILES[split]
    images = read_idx(_find(root, img_stem, name, where))
    labels = read_idx(_find(root, lab_stem, name, where))
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{name} {split}: {images.shape[0]} images but {labels.shape[0]} labels")
    return images, labels


def cifar10(root, split: str = "train", classes=None, n: int | None = None, key=None,
            targets: str = "onehot") -> Dataset:
    r"""CIFAR-10 from the standard Python-pickle batches you already have.

    ``root`` is the ``cifar-10-batches-py`` folder (``data_batch_1`` ... ``data_batch_5``,
    ``test_batch``); ``split`` is ``"train"`` or ``"test"``. Each image becomes a
    3072-feature row, normalised like :func:`digits`. A missing batch raises
    ``FileNotFoundError`` saying where to put it; a batch that is not a CIFAR-10
    batch (not a dict with ``data: (n, 3072)`` and ``n`` labels) raises
    ``ValueError`` naming the file; other arguments are checked as in :func:`digits`.
    """
    return _as_dataset(*_cifar10_raw(root, split), classes, n, key, targets, "CIFAR-10")


def _cifar10_raw(root, split):
    import os
    import pickle
    from pathlib import Path

    V.option(split, "split", ("train", "test"))
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a folder path (str or pathlib.Path), got {root!r}")
    files = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    images, labels = [], []
    for stem in files:
        path = Path(root) / stem
        if not path.exists():
            raise FileNotFoundError(
                f"CIFAR-10: {stem} not found in {Path(root).resolve()}. Unpack the Python version of "
                "CIFAR-10 (the cifar-10-batches-py folder) and pass root= that folder."
            )
        with open(path, "rb") as f:
            try:
                batch = pickle.load(f, encoding="bytes")
            except Exception as err:  # a truncated or foreign file: unpickling can fail in many ways
                raise ValueError(f"CIFAR-10: {path} is not a CIFAR-10 batch (unpickling failed: {err})") from None
        if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
            raise ValueError(f"CIFAR-10: {path} is not a CIFAR-10 batch (a dict with b'data' and b'labels')")
        X_b, y_b = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"])
        if X_b.ndim != 2 or X_b.shape[1] != 3072 or y_b.ndim != 1 or X_b.shape[0] != y_b.shape[0]:
            raise ValueError(
                f"CIFAR-10: {path} holds data of shape {X_b.shape} and {y_b.shape} labels; expected "
                "(n, 3072) images (3 x 32 x 32 pixels) and n labels"
            )
        images.append(X_b)
        labels.append(y_b)
    return np.concatenate(images), np.concatenate(labels)


#: the data sets :func:`train_test` finds in scikit-learn (nothing is downloaded)
SHIPPED = ("digits", "breast_cancer", "wine")
#: the data sets :func:`train_test` reads from files you supply (``root=``)
FROM_FILES = ("mnist", "kmnist", "cifar10")


def train_test(name: str, n_train: int | None, key, *, per_class: int | None = None, classes=None,
               standardise: bool = False, root=None, targets: str = "onehot") -> tuple[Dataset, Dataset]:
    r"""A random training set of ``n_train`` samples and a test set, preprocessed with training statistics only.

    ``name``: one of :data:`SHIPPED` (scikit-learn's digits, breast-cancer and wine data, which
    ship with the package: the test set is every sample not drawn for training), or one of
    :data:`FROM_FILES` with ``root`` the folder of files you already have (as :func:`mnist_like` and
    :func:`cifar10`: the training samples are drawn from the train split, the test set is the test
    split). Both sets are centred by the *training* mean, each feature divided by its training
    standard deviation if ``standardise`` (features measured in different units; a feature constant on
    the training set is left as it is), and every row scaled to unit norm. ``classes`` and
    ``targets`` as in :func:`digits`. With ``per_class`` (and ``n_train=None``) the training set has
    ``per_class`` samples of each class. Returns ``(train, test)`` :class:`Dataset` s.

    Raises ``ValueError`` naming the argument for an unknown ``name``, ``root`` missing for a data set
    read from files, ``n_train`` outside ``[2, n - 1]`` for a shipped set (``[2, n]`` otherwise), a bad
    ``key``, ``classes`` or ``targets``, or a sample whose preprocessed row is zero; ``TypeError`` for
    a ``standardise`` that is not a bool; ``FileNotFoundError`` as the file loaders.
    """
    V.option(name, "name", SHIPPED + FROM_FILES)
    if not isinstance(standardise, (bool, np.bool_)):
        raise TypeError(f"standardise must be True or False, got {standardise!r}")
    V.option(targets, "targets", ("onehot", "pm1"))
    if name in SHIPPED:
        if root is not None:
            raise ValueError(f"root is for the data sets read from files {FROM_FILES}; {name!r} ships with "
                             f"scikit-learn, got root={root!r}")
        from sklearn import datasets

        raw = getattr(datasets, f"load_{name}")()
        images, labels, classes = _select(raw.data, raw.target, classes, targets, name)
        test = None
    else:
        if root is None:
            raise ValueError(f"root must be the folder holding the {name} files (nothing is downloaded), got None")
        read = (lambda split: _cifar10_raw(root, split)) if name == "cifar10" else (
            lambda split: _mnist_raw(root, split, "Kuzushiji-MNIST" if name == "kmnist" else "MNIST"))
        images, labels, classes = _select(*read("train"), classes, targets, name)
        test = _select(*read("test"), classes, targets, name)[:2]
    V.key(key)
    order = np.asarray(jax.random.permutation(key, len(labels)))
    if per_class is not None:
        if n_train is not None:
            raise ValueError(f"pass n_train or per_class, not both: got n_train={n_train!r}, per_class={per_class!r}")
        fewest = int(np.bincount(labels, minlength=len(classes)).min())
        per_class = V.integer(per_class, "per_class", minimum=-2**63, what=f"be an integer in [1, {fewest}]")
        if not 1 <= per_class <= fewest - (1 if test is None else 0):
            raise ValueError(f"per_class must lie in [1, {fewest - (1 if test is None else 0)}] for {name} "
                             f"with classes {classes} (the rarest class has {fewest} samples), got {per_class}")
        chosen = np.concatenate([order[labels[order] == c][:per_class] for c in range(len(classes))])
    else:
        n_max = len(labels) - (1 if test is None else 0)
        n_train = V.integer(n_train, "n_train", minimum=-2**63, what=f"be an integer in [2, {n_max}]")
        if not 2 <= n_train <= n_max:
            raise ValueError(f"n_train must lie in [2, {n_max}] for {name} with classes {classes}"
                             + (" (at least one sample is left for the test set)" if test is None else "")
                             + f", got {n_train}")
        chosen = order[:n_train]
    idx = np.sort(chosen)
    if test is None:
        rest = np.setdiff1d(np.arange(len(labels)), idx)
        test = (images[rest], labels[rest])
    X_tr, y_tr = images[idx], labels[idx]
    mean = X_tr.mean(axis=0, keepdims=True)
    scale = X_tr.std(axis=0, keepdims=True) if standardise else np.ones_like(mean)
    scale = np.where(scale > 0, scale, 1.0)
    dtype = jnp.result_type(float)

    def prepare(X, y, which):
        X = _unit_rows((X - mean) / scale, name, f"{which} sample(s) equal the training mean")
        return Dataset(jnp.asarray(X, dtype), jnp.asarray(_targets_of(y, classes, targets), dtype), jnp.asarray(y))

    return prepare(X_tr, y_tr, "training"), prepare(*test, "test")
