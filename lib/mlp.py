r"""Deep ReLU networks in the book's row layout.

The forward pass of an ``L``-layer network (``L - 1`` hidden layers) is

.. math::

    F_0 = X, \qquad F_l = \sigma(s_l\, F_{l-1} W_l)\ (l = 1, \dots, L-1),
    \qquad F_L = s_L\, F_{L-1} W_L ,

with ``X: (N, n_0)``, ``W_l: (n_{l-1}, n_l)``, ``F_l: (N, n_l)`` and the activation
:math:`\sigma` ReLU unless the architecture names another (:mod:`lib.activations`)
(:doc:`/book/notation`). The layer scales :math:`s_l` fix the parameterisation:

* ``"standard"``: :math:`s_l = 1`; the initial variance sits in the weights
  (:math:`[W_l]_{ij} \sim \mathcal N(0, \beta^2 / n_{l-1})`, LeCun
  :math:`\beta^2 = 1`, He :math:`\beta^2 = 2`). This is the layout of Nguyen
  (2021) and Nguyen & Mondelli (2020).
* ``"ntk"``: :math:`s_1 = 1` and :math:`s_l = \sqrt{c_\sigma / n_{l-1}}` for
  :math:`l \ge 2`, with :math:`\mathcal N(0, 1)` weights. This is the
  parameterisation whose infinite-width kernels :func:`lib.kernels.relu_kernels`
  computes; with ``L = 2``, :math:`c_\sigma = 1` and the ``"du"`` initialisation
  it is the two-layer network of Du et al. (2019),
  :math:`f(x) = m^{-1/2} \sum_r a_r \mathrm{relu}(w_r^\top x)`.

Parameters are a list ``[W_1, ..., W_L]`` of arrays; the architecture is the
hashable :class:`MLP`, so it can be a static argument of ``jax.jit``.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from lib import _validate as V
from lib.activations import ReLU

__all__ = [
    "MLP", "SCHEMES", "init", "features", "apply", "activation_patterns", "layer_scales",
    "backward_factors", "ntk_gram",
]

#: initialisation schemes and the parameterisation each belongs to
SCHEMES = {"lecun": "standard", "he": "standard", "zero_output": "standard", "ntk": "ntk", "du": "ntk"}


@dataclass(frozen=True)
class MLP:
    """Architecture of a deep ReLU network (hashable, so usable as a static jit argument)."""

    widths: tuple  # (n_0, n_1, ..., n_L): input dimension, hidden widths, output dimension
    parameterization: str = "standard"  # "standard" (s_l = 1) or "ntk" (s_l = sqrt(c_sigma / n_{l-1}))
    c_sigma: float = 2.0  # NTK scale constant; 2 keeps E|F_l|^2 constant through ReLU layers
    activation: object = ReLU()  # a lib.activations activation: callable, with .derivative

    def __post_init__(self):
        # Raises TypeError for widths that are not a sequence, a width that is not an integer (a
        # float or bool), a parameterization that is not a string; ValueError for fewer than two
        # widths, a width < 1 (NumPy and 0-d JAX integers are accepted and stored as int), an unknown parameterization,
        # a non-positive or non-finite c_sigma, an activation that is not a lib.activations instance.
        if isinstance(self.widths, (str, bytes)) or not np.iterable(self.widths):
            raise TypeError(f"widths must be a sequence (n_0, n_1, ..., n_L) of positive integers, got {self.widths!r}")
        widths = tuple(self.widths)
        if len(widths) < 2:
            raise ValueError(
                f"widths must list at least (n_0, n_L), got {widths!r}"
            )
        checked = []
        for i, n in enumerate(widths):
            try:
                checked.append(V.integer(n, f"widths[{i}]"))
            except (TypeError, ValueError) as err:
                raise type(err)(
                    f"widths[{i}] = {n!r}: every width must be a positive integer"
                ) from None
        widths = tuple(checked)
        V.option(self.parameterization, "parameterization", ("standard", "ntk"))
        c_sigma = V.real(self.c_sigma, "c_sigma", what="positive and finite", low=0.0, low_open=True)
        if not isinstance(self.c_sigma, float):
            object.__setattr__(self, "c_sigma", c_sigma)
        if isinstance(self.activation, type) or not (
                callable(self.activation) and hasattr(self.activation, "derivative")):
            raise ValueError(
                f"activation must be a lib.activations activation (callable with .derivative), got {self.activation!r}"
                + ("; pass an instance, e.g. ReLU()" if isinstance(self.activation, type) else "")
            )
        object.__setattr__(self, "widths", widths)

    @property
    def L(self) -> int:
        """Number of weight layers (``L - 1`` hidden layers)."""
        return len(self.widths) - 1


def layer_scales(net: MLP) -> tuple:
    r"""The layer scales :math:`(s_1, \dots, s_L)` of the parameterisation.

    Raises ``TypeError`` unless ``net`` is an :class:`MLP`.
    """
    _check_net(net)
    if net.parameterization == "standard":
        return (1.0,) * net.L
    return (1.0,) + tuple((net.c_sigma / n) ** 0.5 for n in net.widths[1:-1])


def init(key, net: MLP, scheme: str = "he") -> list:
    r"""Random initial weights ``[W_1, ..., W_L]`` with ``W_l: (n_{l-1}, n_l)``.

    ``scheme``:

    * ``"lecun"``: :math:`\mathcal N(0, 1/n_{l-1})` entries (standard parameterisation);
    * ``"he"``: :math:`\mathcal N(0, 2/n_{l-1})` entries (standard parameterisation);
    * ``"zero_output"``: He hidden layers and :math:`W_L = 0` (standard
      parameterisation): the small-output-layer initialisation of chapter 2;
    * ``"ntk"``: :math:`\mathcal N(0, 1)` entries (NTK parameterisation);
    * ``"du"``: :math:`\mathcal N(0, 1)` hidden weights and a :math:`\pm 1` output
      layer, as in Du et al. (2019) (NTK parameterisation).

    Raises ``TypeError`` for a ``key`` that is not a JAX key, a ``net`` that is
    not an :class:`MLP` or a ``scheme`` that is not a string, ``ValueError``
    for an unknown scheme or one of the other parameterisation.
    """
    V.key(key)
    _check_net(net)
    V.option(scheme, "scheme", sorted(SCHEMES))
    if SCHEMES[scheme] != net.parameterization:
        raise ValueError(
            f"scheme {scheme!r} belongs to the {SCHEMES[scheme]!r} parameterisation, "
            f"but net.parameterization = {net.parameterization!r}"
        )
    keys = jax.random.split(key, net.L)
    params = []
    for l, (k, n_in, n_out) in enumerate(zip(keys, net.widths[:-1], net.widths[1:]), start=1):
        if scheme == "du" and l == net.L:
            W = jax.random.rademacher(k, (n_in, n_out), dtype=jnp.result_type(float))
        elif scheme == "zero_output" and l == net.L:
            W = jnp.zeros((n_in, n_out))
        else:
            W = jax.random.normal(k, (n_in, n_out))
            if scheme in ("lecun", "he", "zero_output"):
                W = W * jnp.sqrt((1.0 if scheme == "lecun" else 2.0) / n_in)
        params.append(W)
    return params


def _check_net(net):
    if not isinstance(net, MLP):
        raise TypeError(f"net must be a lib.mlp.MLP architecture, got {net!r}")


def _check_params(net: MLP, params):
    _check_net(net)
    if not isinstance(params, (list, tuple)):
        raise TypeError(
            f"params must be a list [W_1, ..., W_L] of L = {net.L} weight matrices, got {type(params).__name__}"
        )
    if len(params) != net.L:
        raise ValueError(f"params must hold L = {net.L} weight matrices, got {len(params)}")
    for l, (W, n_in, n_out) in enumerate(zip(params, net.widths[:-1], net.widths[1:]), start=1):
        if np.shape(W) != (n_in, n_out):
            raise ValueError(
                f"params[{l - 1}] (W_{l}) must have shape {(n_in, n_out)}, got {np.shape(W)}"
            )
        V.real_dtype(W, f"params[{l - 1}] (W_{l})")


def _check_X(net: MLP, X):
    from lib.data import check_data

    V.real_dtype(X, "X")
    if np.ndim(X) != 2 or np.shape(X)[1] != net.widths[0]:
        raise ValueError(f"X must have shape (N, {net.widths[0]}), got {np.shape(X)}")
    checked = check_data(X)[0]
    # a float array is passed on as given (NumPy stays NumPy), so the numbers are those of before
    return X if jnp.issubdtype(getattr(X, "dtype", np.dtype(object)), jnp.floating) else checked


def features(net: MLP, params, X) -> list:
    r"""Every feature matrix ``[F_0, F_1, ..., F_L]`` of the forward pass, ``F_l: (N, n_l)``.

    Raises ``TypeError`` when ``net`` is not an :class:`MLP`, ``params`` not a
    list of real arrays or ``X`` complex / not numeric; ``ValueError`` for a
    wrong number or shape of weight matrices, an ``X`` not of shape
    ``(N, n_0)``, empty or with NaN/inf entries (value checks skipped inside ``jit``).
    """
    _check_params(net, params)
    X = _check_X(net, X)
    F = [X]
    for l, (s, W) in enumerate(zip(layer_scales(net), params), start=1):
        G = s * (F[-1] @ W)
        F.append(G if l == net.L else net.activation(G))
    return F


def apply(net: MLP, params, X):
    """The network output ``F_L: (N, n_L)``. Raises like :func:`features`."""
    return features(net, params, X)[-1]


def activation_patterns(net: MLP, params, X) -> list:
    r"""Boolean activation patterns :math:`\mathbb 1\{s_l F_{l-1} W_l > 0\}` of the hidden layers.

    Returns ``L - 1`` arrays of shape ``(N, n_l)``. Raises like :func:`features`.
    """
    F = features(net, params, X)
    return [
        (s * (F[l - 1] @ params[l - 1])) > 0
        for l, s in zip(range(1, net.L), layer_scales(net))
    ]


def backward_factors(net: MLP, params, X) -> list:
    r"""The backward factors :math:`B_l = \partial F_L / \partial G_l` of every layer, with :math:`G_l = s_l F_{l-1} W_l`.

    For output unit ``a``, :math:`B_L^{(a)}` has rows :math:`e_a^\top` and
    :math:`B_l^{(a)} = (B_{l+1}^{(a)} (s_{l+1} W_{l+1})^\top) \circ \sigma'(G_l)` (for ReLU,
    :math:`\sigma'(G_l) = \mathbb 1\{G_l > 0\}`).
    Returns ``[B_1, ..., B_L]`` with ``B_l: (n_L, N, n_l)``. One forward and one
    backward pass (per output unit). Raises like :func:`features`.
    """
    F = features(net, params, X)
    X = F[0]
    scales = layer_scales(net)
    N, n_L = X.shape[0], net.widths[-1]
    B = jnp.broadcast_to(jnp.eye(n_L, dtype=X.dtype)[:, None, :], (n_L, N, n_L))
    out = [B]
    for l in range(net.L - 1, 0, -1):  # l = L-1, ..., 1
        slope = net.activation.derivative(scales[l - 1] * (F[l - 1] @ params[l - 1]))
        B = (B @ (scales[l] * params[l]).T) * slope
        out.append(B)
    return out[::-1]


def ntk_gram(net: MLP, params, X):
    r"""The empirical NTK Gram matrix of the network in closed form.

    .. math::

        K = \sum_{l=1}^{L} s_l^2\,(F_{l-1} F_{l-1}^\top) \circ (B_l B_l^\top),

    from one forward and one backward pass (:func:`backward_factors`). For a
    scalar output ``K: (N, N)``; for ``n_L`` outputs ``K: (N n_L, N n_L)``,
    sample-major like :func:`lib.kernels.empirical_ntk`, which it equals.
    Its last term is :math:`(F_{L-1}F_{L-1}^\top) \otimes I` (standard
    parameterisation), so by the Schur product theorem
    :math:`\lambda_{\min}(K) \ge \sigma_{\min}(F_{L-1})^2` when
    :math:`n_{L-1} \ge N`. Raises like :func:`features`.
    """
    F = features(net, params, X)
    B = backward_factors(net, params, X)
    N, n_L = F[0].shape[0], net.widths[-1]
    K = jnp.zeros((N, n_L, N, n_L), dtype=F[-1].dtype)
    for s, F_prev, B_l in zip(layer_scales(net), F[:-1], B):
        P = s**2 * (F_prev @ F_prev.T)  # (N, N)
        Q = jnp.einsum("aik,bjk->iajb", B_l, B_l)  # (N, n_L, N, n_L)
        K = K + P[:, None, :, None] * Q
    K = K.reshape(N * n_L, N * n_L)
    return K
