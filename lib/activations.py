r"""Activations, with the derivative bounds the convergence theorems use.

* :class:`ReLU`: :math:`\max(x, 0)`, 1-Lipschitz, :math:`\mathrm{relu}(0) = 0`; its derivative
  (:math:`\mathbb 1\{x > 0\}`, the convention of JAX) has no positive lower bound and is not
  Lipschitz. Chapters 1 and 2 need only the former properties.
* :class:`SmoothLeakyReLU`: :math:`\sigma(x) = \gamma x + (1-\gamma)\,\mathrm{softplus}(cx)/c` with
  :math:`c = 4\beta/(1-\gamma)`, so that :math:`\sigma'(x) = \gamma + (1-\gamma)\,\mathrm{sigmoid}(cx) \in (\gamma, 1)` and
  :math:`\sigma'` is :math:`\beta`-Lipschitz (:math:`\sup|\sigma''| = (1-\gamma)c/4 = \beta`): the class of
  activations of Nguyen & Mondelli (2020) (chapter 3).

Both are frozen dataclasses, hence hashable and usable inside :class:`lib.mlp.MLP`.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from lib import _validate as V

__all__ = ["ReLU", "SmoothLeakyReLU"]


@dataclass(frozen=True)
class ReLU:
    """:math:`\\sigma(x) = \\max(x, 0)`."""

    gamma: float = 0.0  # lower bound of sigma' (none)

    def __post_init__(self):
        gamma = V.real(self.gamma, "gamma (lower bound of relu')", what="0 (relu' has no positive lower bound)")
        if gamma != 0.0:
            raise ValueError(
                f"gamma (lower bound of relu') must be 0: relu' has no positive lower bound, got {self.gamma!r}; "
                "use SmoothLeakyReLU(gamma=...) for an activation with sigma' >= gamma > 0"
            )
        object.__setattr__(self, "gamma", 0.0)

    def __call__(self, x):
        r""":math:`\max(x, 0)`; ``TypeError`` for a complex or non-numeric ``x``."""
        V.real_dtype(x, "x")
        return jax.nn.relu(x)

    def derivative(self, x):
        r""":math:`\mathbb 1\{x > 0\}` (0 at 0, as JAX's gradient of relu); ``TypeError`` for a complex ``x``."""
        V.real_dtype(x, "x")
        if not hasattr(x, "dtype"):
            x = jnp.asarray(x)
        return (x > 0).astype(jnp.result_type(x))


@dataclass(frozen=True)
class SmoothLeakyReLU:
    r"""A smooth leaky ReLU with :math:`\sigma' \in [\gamma, 1]` and a :math:`\beta`-Lipschitz :math:`\sigma'`."""

    gamma: float = 0.1  # lower bound of sigma', in (0, 1)
    beta: float = 1.0  # Lipschitz constant of sigma', > 0

    def __post_init__(self):
        # stored as Python floats, so the activation stays hashable (a static jit argument)
        gamma = V.real(self.gamma, "gamma (lower bound of sigma')", what="lie in (0, 1)",
                        low=0.0, high=1.0, low_open=True, high_open=True)
        beta = V.real(self.beta, "beta (Lipschitz constant of sigma')", what="positive and finite",
                       low=0.0, low_open=True)
        if not isinstance(self.gamma, float):
            object.__setattr__(self, "gamma", gamma)
        if not isinstance(self.beta, float):
            object.__setattr__(self, "beta", beta)

    @property
    def sharpness(self) -> float:
        r""":math:`c = 4\beta/(1-\gamma)`: larger :math:`\beta` is closer to the leaky ReLU with slope :math:`\gamma`."""
        return 4.0 * self.beta / (1.0 - self.gamma)

    def __call__(self, x):
        r""":math:`\sigma(x)`; ``TypeError`` for a complex or non-numeric ``x``."""
        V.real_dtype(x, "x")
        c = self.sharpness
        return self.gamma * x + (1.0 - self.gamma) * jax.nn.softplus(c * x) / c

    def derivative(self, x):
        r""":math:`\sigma'(x)`; ``TypeError`` for a complex or non-numeric ``x``."""
        V.real_dtype(x, "x")
        return self.gamma + (1.0 - self.gamma) * jax.nn.sigmoid(self.sharpness * x)
