r"""Gram matrices: empirical NTK, the analytic ReLU kernels, and :math:`H^\infty`.

* :func:`empirical_ntk`: :math:`\Theta(X_1, X_2) = J(X_1) J(X_2)^\top` for any
  model, by Jacobian contraction. It is the reference implementation the
  faster closed forms of later chapters are tested against.
* :func:`relu_kernels`: the infinite-width NNGP and NTK of the deep ReLU network
  of :mod:`lib.mlp` in the ``"ntk"`` parameterisation, by the arc-cosine
  recursion.
* :func:`du_gram`: the two-layer Gram matrix :math:`H^\infty` of Du et al. (2019).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lib import _validate as V
from lib.data import check_data

__all__ = ["Kernels", "empirical_ntk", "relu_kernels", "du_gram", "arccos_moments"]


def _flat_jacobian(f, params, X):
    """Jacobian of the flattened outputs of ``f(params, X)``, one ``(N k, P_leaf)`` block per leaf."""
    n_out = int(np.prod(jax.eval_shape(lambda p: f(p, X), params).shape))
    J = jax.jacrev(lambda p: f(p, X))(params)
    return [j.reshape(n_out, -1) for j in jax.tree.leaves(J)]


def empirical_ntk(f, params, X1, X2=None):
    r"""Empirical NTK Gram matrix :math:`\Theta = \sum_p J_p(X_1) J_p(X_2)^\top`.

    ``f(params, X)`` returns ``(N,)`` or ``(N, k)``; ``params`` is any pytree.
    :math:`J_p(X)` is the Jacobian of the flattened outputs with respect to the
    parameter leaf :math:`p`. Returns ``(N1, N2)`` for a scalar output and
    ``(N1 k, N2 k)`` (sample-major: row ``i k + a`` is output ``a`` of sample
    ``i``) for ``k`` outputs: the Gram matrix that gradient descent on the
    square loss of :math:`\mathrm{vec}(f)` sees.
    Raises ``TypeError`` when ``f`` is not callable, ``ValueError`` when
    ``params`` holds no arrays or ``X1`` and ``X2`` differ in ``d``, besides
    the checks of :func:`lib.data.check_data` on ``X1`` and ``X2``.
    """
    if not callable(f):
        raise TypeError(f"f must be a function f(params, X), got {f!r}")
    if not jax.tree.leaves(params):
        raise ValueError(f"params must be a pytree holding at least one array, got {params!r}")
    X1, _ = check_data(X1, name="X1")
    X2 = X1 if X2 is None else check_data(X2, name="X2")[0]
    _same_d(X1, X2)

    J1 = _flat_jacobian(f, params, X1)
    J2 = J1 if X2 is X1 else _flat_jacobian(f, params, X2)
    return sum(a @ b.T for a, b in zip(J1, J2))


def arccos_moments(S11, S22, S12):
    r"""ReLU moments of a centred Gaussian pair with covariance ``[[S11, S12], [S12, S22]]``.

    Returns :math:`(\mathbb E[\mathrm{relu}(u)\mathrm{relu}(v)],
    \mathbb E[\mathbb 1\{u>0\}\mathbb 1\{v>0\}])`, i.e. the arc-cosine kernels of
    degree 1 and 0 (Cho & Saul, 2009):
    :math:`\frac{\sqrt{S_{11}S_{22}}}{2\pi}(\sin\theta + (\pi-\theta)\cos\theta)` and
    :math:`\frac{\pi-\theta}{2\pi}`, with :math:`\cos\theta = S_{12}/\sqrt{S_{11}S_{22}}`.

    A zero variance (:math:`S_{11} = 0` or :math:`S_{22} = 0`: the Gaussian is
    degenerate, :math:`u \equiv 0`) gives the exact values ``(0, 0)`` (with
    :math:`\mathbb 1\{0 > 0\} = 0`, the convention of JAX's relu gradient), not NaN.
    The arguments broadcast together. Raises ``TypeError`` for complex or
    non-numeric arguments and, on concrete values, ``ValueError`` for a negative
    or non-finite variance or a non-finite ``S12``.
    """
    S11 = _moment_arg(S11, "S11", variance=True)
    S22 = _moment_arg(S22, "S22", variance=True)
    S12 = _moment_arg(S12, "S12", variance=False)
    try:
        np.broadcast_shapes(np.shape(S11), np.shape(S22), np.shape(S12))
    except ValueError:
        raise ValueError(
            f"S11, S22 and S12 must broadcast together, got shapes {np.shape(S11)}, {np.shape(S22)}, "
            f"{np.shape(S12)}"
        ) from None
    return _arccos_moments(S11, S22, S12)


def _moment_arg(S, name: str, variance: bool):
    S = V.array(S, name, nonempty=False, finite=False)
    if not V.is_traced(S):
        values = np.asarray(S)
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name} contains NaN or infinite entries")
        if variance and np.any(values < 0):
            raise ValueError(f"{name} is a variance and must be >= 0, got a minimum of {values.min():.3g}")
    return S


def _arccos_moments(S11, S22, S12):
    norm = jnp.sqrt(S11 * S22)
    degenerate = norm == 0
    cos = jnp.clip(S12 / jnp.where(degenerate, 1.0, norm), -1.0, 1.0)
    # arccos has infinite slope at +-1: a cosine within a few ulps of +-1 (rounding of a
    # parallel pair, e.g. a diagonal entry) would become an angle of ~1e-8. Snap it.
    ulp = 4 * jnp.finfo(jnp.result_type(cos)).eps
    cos = jnp.where(jnp.abs(cos) > 1 - ulp, jnp.sign(cos), cos)
    theta = jnp.arccos(cos)
    k1 = norm * (jnp.sin(theta) + (jnp.pi - theta) * cos) / (2 * jnp.pi)
    k0 = jnp.where(degenerate, 0.0, (jnp.pi - theta) / (2 * jnp.pi))
    return k1, k0


def _same_d(X1, X2):
    if X1.shape[1] != X2.shape[1]:
        raise ValueError(f"X1 and X2 must have the same dimension d, got {X1.shape[1]} and {X2.shape[1]}")


class Kernels(NamedTuple):
    """Infinite-width kernels of the output of a deep ReLU network."""

    nngp: jax.Array  # (N1, N2) covariance of the output at initialisation
    ntk: jax.Array  # (N1, N2) neural tangent kernel


def relu_kernels(X1, X2=None, *, L: int = 2, c_sigma: float = 2.0) -> Kernels:
    r"""Infinite-width NNGP and NTK of an ``L``-layer ReLU network (``"ntk"`` parameterisation).

    The normalisation is that of :class:`lib.mlp.MLP` with
    ``parameterization="ntk"``: :math:`\mathcal N(0,1)` weights, an unscaled first
    layer and scales :math:`\sqrt{c_\sigma/n_{l-1}}` after. With
    :math:`\Sigma^{(1)}(x, x') = x^\top x'`,

    .. math::

        \Sigma^{(l+1)} = c_\sigma\,\mathbb E[\mathrm{relu}(u)\mathrm{relu}(v)], \quad
        \dot\Sigma^{(l+1)} = c_\sigma\,\mathbb E[\mathbb 1\{u>0\}\mathbb 1\{v>0\}], \quad
        (u, v) \sim \mathcal N\big(0, \Sigma^{(l)}|_{\{x, x'\}}\big),

    and :math:`\Theta^{(1)} = \Sigma^{(1)}`,
    :math:`\Theta^{(l+1)} = \Theta^{(l)} \dot\Sigma^{(l+1)} + \Sigma^{(l+1)}`.
    Returns the output's :math:`(\Sigma^{(L)}, \Theta^{(L)})` as ``(N1, N2)``
    arrays. As every width tends to infinity, :func:`empirical_ntk` of the
    network at initialisation tends to ``ntk`` (Jacot et al., 2018).

    A zero row of ``X1`` or ``X2`` gives zero kernel entries, the exact values
    for the input :math:`x = 0` (every feature and every gradient vanishes).
    Raises ``TypeError`` for a non-integer ``L``, ``ValueError`` for a
    non-positive ``L``, a non-positive or non-finite ``c_sigma``, ``X1`` and ``X2`` of different
    ``d``, besides the checks of :func:`lib.data.check_data`.
    """
    X1, _ = check_data(X1, name="X1")
    X2 = X1 if X2 is None else check_data(X2, name="X2")[0]
    _same_d(X1, X2)
    L = V.integer(L, "L (number of weight layers)")
    V.real(c_sigma, "c_sigma", what="positive and finite", low=0.0, low_open=True)
    s12 = X1 @ X2.T
    s11 = jnp.sum(X1**2, axis=1)[:, None]
    s22 = jnp.sum(X2**2, axis=1)[None, :]
    theta = s12
    for _ in range(L - 1):
        k1, k0 = _arccos_moments(s11, s22, s12)
        s12, dot = c_sigma * k1, c_sigma * k0
        # diagonal variances propagate as c_sigma * E[relu(u)^2] = c_sigma * S / 2
        s11, s22 = c_sigma * s11 / 2, c_sigma * s22 / 2
        theta = theta * dot + s12
    return Kernels(nngp=s12, ntk=theta)


def du_gram(X1, X2=None):
    r"""The limiting Gram matrix of Du et al. (2019), in closed form.

    .. math::

        H^\infty_{ij} = \mathbb E_{w \sim \mathcal N(0, I)}\big[x_i^\top x_j\,
        \mathbb 1\{w^\top x_i \ge 0, w^\top x_j \ge 0\}\big]
        = x_i^\top x_j\, \frac{\pi - \theta_{ij}}{2\pi},

    :math:`\theta_{ij}` the angle between :math:`x_i` and :math:`x_j`. It is the
    NTK of the first layer of the two-layer network at infinite width.
    ``X1: (N1, d)``, ``X2: (N2, d)``; returns ``(N1, N2)``. A zero row gives
    zero entries (exact: :math:`x_i^\top x_j = 0`). Raises ``ValueError`` when
    ``X1`` and ``X2`` differ in ``d``, besides the checks of
    :func:`lib.data.check_data`.
    """
    X1, _ = check_data(X1, name="X1")
    X2 = X1 if X2 is None else check_data(X2, name="X2")[0]
    _same_d(X1, X2)
    s12 = X1 @ X2.T
    s11 = jnp.sum(X1**2, axis=1)[:, None]
    s22 = jnp.sum(X2**2, axis=1)[None, :]
    _, k0 = _arccos_moments(s11, s22, s12)
    return s12 * k0
