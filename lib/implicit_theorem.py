r"""Chapter 4: the book's convergence theorem for deep ReLU implicit networks.

The network of :mod:`lib.implicit`: :math:`Z = \mathrm{relu}(Z\tilde A^\top + XW^\top)` with
:math:`\tilde A = \gamma A/\sqrt m`, output :math:`\hat y = Zu`, loss
:math:`\Phi = \tfrac12\|Zu - y\|^2`, all of :math:`(A, W, u)` trained. The proof is chapter 2's
with the equilibrium features :math:`Z` in the role of the last hidden layer: a PL
inequality from the output layer, :math:`\|Z^\top r\| \ge \sigma_{\min}(Z)\|r\|`, and Lipschitz
control of :math:`Z` through the equilibrium equation, whose constant is
:math:`1/(1 - \|\tilde A\|_2)` instead of a product of layer norms.

For a ball :math:`\|A - A_0\|_2 \le R_A`, :math:`\|W - W_0\|_2 \le R_W`,
:math:`\|u - u_0\| \le R_u` (:func:`bounds`):

* :math:`\bar a = \gamma(\|A_0\|_2 + R_A)/\sqrt m` bounds :math:`\|\tilde A\|_2` (the equation is
  well posed on the ball when :math:`\bar a < 1`), :math:`\bar w = \|W_0\|_2 + R_W`,
  :math:`\bar u = \|u_0\| + R_u`;
* :math:`\mathrm{Lip}_W = \|X\|_F/(1 - \bar a)` and :math:`\mathrm{Lip}_A = \gamma\bar w\|X\|_F/(\sqrt m(1 - \bar a)^2)`:
  :math:`\|Z(\theta) - Z(\theta')\|_F \le \mathrm{Lip}_A\|A - A'\|_2 + \mathrm{Lip}_W\|W - W'\|_2`
  (:func:`equilibrium_lipschitz`);
* :math:`G_A = \bar u\,\mathrm{Lip}_A`, :math:`G_W = \bar u\,\mathrm{Lip}_W`, :math:`G_u = \bar F`:
  :math:`\|\nabla_p\Phi\| \le G_p\|r\|` (:func:`gradient_bounds`);
* the cross constant :math:`C_\times = G_A^2 + G_W^2` of the one-step lemma;
* trajectory lengths (:func:`trajectory_bounds`), with :math:`\|r_0\| = \sqrt{2\Phi_0}` and chapter 1's
  path-length bound (:func:`lib.rates.path_length_bound`, lemma ``lem-path-length``) for the PL constant
  :math:`\mu = \alpha_0^2/4` that :math:`\sigma_{\min}(Z) \ge \alpha_0/2` gives:

  - gradient flow: :math:`D_p = \min(4G_p\|r_0\|/\alpha_0^2,\ 2\|r_0\|/\alpha_0)` for every block
    (the second is the whole path's length, :math:`\int\|\nabla\Phi\| \le 2\|r_0\|/\alpha_0`);
  - gradient descent: :math:`D_p = 12G_p\|r_0\|/\alpha_0^2` for :math:`p = A, W` (geometric decay at rate
    :math:`\eta\alpha_0^2/6`) and :math:`D_u = 6\|r_0\|/\alpha_0 + \|r_0\|/(3\alpha_0) = \tfrac{19}{3}\|r_0\|/\alpha_0`
    (sufficient decrease :math:`\Phi_k - \Phi_{k+1} \ge \tfrac\eta3\|\nabla_u\Phi_k\|^2` for the steps before the last,
    the last step bounded on its own);
  - ``sharp=False``: the book's first version, :math:`D_p = c\,G_p\|r_0\|/\alpha_0^2` with :math:`c = 16`
    (descent) or 4 (flow) for every block, :math:`G_u = \bar F`; its :math:`D_u` carries the condition
    number :math:`\bar F/\alpha_0`.

:func:`theorem_check` evaluates every hypothesis; :func:`run` trains a network and
records what the chapter's lemmas talk about.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lib import _validate as V
from lib import implicit, linalg, rates, train
from lib.report import Hypothesis, TheoremReport, smallest_radii

__all__ = [
    "Bounds", "bounds", "equilibrium_lipschitz", "gradient_bounds", "cross_constant", "trajectory_bounds",
    "radii", "Quantities", "initial_quantities", "limit_quantities", "check", "theorem_check", "ImplicitRun", "run",
]

THEOREM_GD = "Theorem (linear rate for implicit networks, chapter 4)"
THEOREM_FLOW = "Theorem (gradient flow on implicit networks, chapter 4)"


class Bounds(NamedTuple):
    """Norm bounds on a ball around the initialisation."""

    a: float  # bound on ||gamma A / sqrt(m)||_2
    w: float  # bound on ||W||_2
    u: float  # bound on ||u||


def bounds(gamma: float, m: int, norms0, rho) -> Bounds:
    r"""The :class:`Bounds` of the ball of radii ``rho = (rho_A, rho_W, rho_u)`` around initial norms
    ``norms0 = (||A_0||_2, ||W_0||_2, ||u_0||)``."""
    gamma, m = _gamma(gamma), V.integer(m, "m (width)")
    norms0, rho = _triple(norms0, "norms0"), _triple(rho, "rho", allow_inf=True)
    return Bounds(gamma * (norms0[0] + rho[0]) / math.sqrt(m), norms0[1] + rho[1], norms0[2] + rho[2])


def _gamma(gamma):
    return V.real(gamma, "gamma (scale of the implicit matrix)", low=0.0, low_open=True)


def _nonneg(x, name, what=""):
    return V.real(x, f"{name} ({what})" if what else name, low=0.0)


def _triple(t, name, allow_inf=False):
    """Three non-negative numbers (a tuple, list, Bounds or 1-d array of length 3); +inf only if ``allow_inf``."""
    if isinstance(t, (str, bytes)) or not hasattr(t, "__len__") or len(t) != 3:
        raise TypeError(f"{name} must be three non-negative numbers (for A, W, u), got {t!r}")
    return tuple(math.inf if (allow_inf and not V.is_traced(v) and isinstance(v, (int, float, np.number))
                              and v == math.inf) else _nonneg(v, f"{name}[{i}]") for i, v in enumerate(t))


def _bounds(b):
    a, w, u = _triple(b, "b", allow_inf=True)
    return Bounds(a, w, u)


def equilibrium_lipschitz(X_norm: float, gamma: float, m: int, b: Bounds):
    r"""``(Lip_A, Lip_W)``: :math:`\|Z(\theta) - Z(\theta')\|_F \le \mathrm{Lip}_A\|A - A'\|_2 + \mathrm{Lip}_W\|W - W'\|_2`
    for parameters with :math:`\|\tilde A\|_2 \le \bar a < 1` and :math:`\|W\|_2 \le \bar w`; infinite when :math:`\bar a \ge 1`.

    Raises ``ValueError`` naming the argument unless ``X_norm`` and the entries of ``b`` are non-negative
    finite numbers, ``gamma`` positive and ``m`` a positive integer (the same for the other bounds below)."""
    X_norm, gamma, m, b = _nonneg(X_norm, "X_norm", "||X||_F"), _gamma(gamma), V.integer(m, "m (width)"), _bounds(b)
    if not b.a < 1:
        return math.inf, math.inf
    return gamma * b.w * X_norm / (math.sqrt(m) * (1 - b.a) ** 2), X_norm / (1 - b.a)


def gradient_bounds(X_norm: float, gamma: float, m: int, b: Bounds, F_bar: float):
    r"""``(G_A, G_W, G_u)``: :math:`\|\nabla_p\Phi\| \le G_p\|r\|`, with :math:`G_u = \bar F \ge \|Z\|_2`."""
    F_bar = _nonneg(F_bar, "F_bar", "bound on ||Z||_2")
    lip_A, lip_W = equilibrium_lipschitz(X_norm, gamma, m, b)
    b = _bounds(b)
    # not well posed (infinite Lipschitz constants): no bound, even at u = 0 (where 0 * inf would be NaN)
    return _bound_times(b.u, lip_A), _bound_times(b.u, lip_W), F_bar


def _bound_times(u: float, lip: float) -> float:
    return math.inf if math.isinf(lip) else u * lip


def cross_constant(X_norm: float, gamma: float, m: int, b: Bounds) -> float:
    r""":math:`C_\times = G_A^2 + G_W^2`: the one-step lemma reads :math:`\Phi_{k+1} \le \Phi_k - \eta(1 - \eta\bar F^2)\|Z_k^\top r_k\|^2
    + (2\eta C_\times + 2\eta^2C_\times^2)\Phi_k`."""
    G_A, G_W, _ = gradient_bounds(X_norm, gamma, m, b, 0.0)
    return G_A**2 + G_W**2


def _flag(x, name):
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {x!r}")
    return bool(x)


def trajectory_bounds(X_norm: float, gamma: float, m: int, b: Bounds, F_bar: float, loss0: float, alpha0: float,
                      flow: bool = False, sharp: bool = True) -> list:
    r"""``[D_A, D_W, D_u]``: how far each block can travel along the whole run (Frobenius norm).

    With :math:`\|r_0\| = \sqrt{2\Phi_0}` and :math:`P(c) =` :func:`lib.rates.path_length_bound` ``(loss0,
    alpha0**2 / 4, c)`` (chapter 1's lemma for the PL constant :math:`\alpha_0^2/4`):

    * ``flow=True``: :math:`D_p = \min(4G_p\|r_0\|/\alpha_0^2,\ P(1))`, :math:`P(1) = 2\|r_0\|/\alpha_0`;
    * ``flow=False``: :math:`D_{A,W} = 12G_p\|r_0\|/\alpha_0^2` and :math:`D_u = P(1/3) + \|r_0\|/(3\alpha_0)
      = \tfrac{19}{3}\|r_0\|/\alpha_0`;
    * ``sharp=False``: the first version, :math:`D_p = c\,G_p\|r_0\|/\alpha_0^2`, :math:`c = 16` (or 4 for the
      flow), :math:`G_u = \bar F`.
    """
    loss0 = _nonneg(loss0, "loss0", "initial loss")
    alpha0 = V.real(alpha0, "alpha0 (sigma_min(Z_0))", low=0.0, low_open=True)
    flow, sharp = _flag(flow, "flow"), _flag(sharp, "sharp")
    G = gradient_bounds(X_norm, gamma, m, b, F_bar)
    r0 = math.sqrt(2.0 * loss0)
    if not sharp:
        c = 4.0 if flow else 16.0
        return [c * g * r0 / alpha0**2 for g in G]
    mu = alpha0**2 / 4                      # PL constant of the u-block while sigma_min(Z) >= alpha_0 / 2
    if flow:
        path = rates.path_length_bound(loss0, mu, decrease=1.0)          # = 2 ||r_0|| / alpha_0
        return [min(4.0 * g * r0 / alpha0**2, path) for g in G]
    D_u = rates.path_length_bound(loss0, mu, decrease=1 / 3) + r0 / (3 * alpha0)   # = (19/3) ||r_0|| / alpha_0
    return [12.0 * G[0] * r0 / alpha0**2, 12.0 * G[1] * r0 / alpha0**2, D_u]


def radii(X_norm: float, gamma: float, m: int, norms0, F_bar: float, loss0: float, alpha0: float,
          flow: bool = False, max_iter: int = 2000, sharp: bool = True):
    r"""The smallest radii with :math:`D_p(R) \le R_p` for every block, or ``None`` when there are none.

    :math:`D` increases with :math:`\rho` (through :math:`\bar a, \bar w, \bar u`), so iterating
    :math:`\rho \leftarrow D(\rho)` from zero increases to the smallest fixed point when one exists;
    otherwise it grows without bound, or :math:`\bar a` reaches 1 and well-posedness is lost.
    Raises ``ValueError`` naming the argument for a bad number (as :func:`trajectory_bounds`).
    """
    X_norm, gamma, m = _nonneg(X_norm, "X_norm", "||X||_F"), _gamma(gamma), V.integer(m, "m (width)")
    norms0, F_bar, loss0 = _triple(norms0, "norms0"), _nonneg(F_bar, "F_bar", "bound on ||Z||_2"), _nonneg(loss0, "loss0")
    alpha0, max_iter = V.real(alpha0, "alpha0 (sigma_min(Z_0))", low=0.0, low_open=True), V.integer(max_iter, "max_iter")
    flow, sharp = _flag(flow, "flow"), _flag(sharp, "sharp")
    return smallest_radii(
        lambda rho: trajectory_bounds(X_norm, gamma, m, bounds(gamma, m, norms0, rho), F_bar, loss0, alpha0, flow, sharp),
        3, max(1.0, *norms0), max_iter)


def _check_step(eta):
    if eta is None:
        return None
    try:
        return V.real(eta, "eta (step size)", low=0.0, low_open=True)
    except (TypeError, ValueError) as err:
        raise type(err)(f"eta (step size) must be a positive finite number, or None for gradient flow, got {eta!r}") from None


class Quantities(NamedTuple):
    r"""What the theorems need from a network at initialisation: :func:`initial_quantities` measures them,
    :func:`limit_quantities` gives their infinite-width values, :func:`check` evaluates the hypotheses."""

    N: int  # number of samples
    m: int  # width
    gamma: float  # scale of the implicit matrix, A~ = gamma A / sqrt(m)
    alpha0: float  # sigma_min(Z_0) (0 when m < N)
    Z_norm: float  # ||Z_0||_2
    loss0: float  # Phi_0 = ||r_0||^2 / 2
    X_norm: float  # ||X||_F
    norms0: tuple  # (||A_0||_2, ||W_0||_2, ||u_0||)


def initial_quantities(params: implicit.Params, X, Y, gamma: float,
                       config: implicit.SolverConfig = implicit.SolverConfig()) -> Quantities:
    r"""The :class:`Quantities` of the network ``params`` on the data ``X: (N, d)``, ``Y: (N,)``, measured
    (:math:`\|A_0\|_2`, :math:`\sigma_{\min}(Z_0)`, :math:`\|Z_0\|_2` in float64). Raises ``ValueError`` when the
    initialisation is not well posed, and ``ValueError`` / ``TypeError`` naming the argument for a bad ``X``,
    ``Y``, ``gamma`` or params."""
    gamma = _gamma(gamma)
    params = implicit._params(params)
    y = implicit.targets(X, Y)
    m, N = params.A.shape[0], y.shape[0]
    A_norm0 = implicit.check_well_posed(params, gamma) * math.sqrt(m) / gamma   # ||A_0||_2, computed once
    Z = implicit.equilibrium(params, X, gamma, config)
    loss0 = 0.5 * float(jnp.sum((Z @ params.u - y) ** 2))
    X_norm = float(np.linalg.norm(np.asarray(X, dtype=np.float64)))
    if not (math.isfinite(loss0) and math.isfinite(X_norm)):
        raise ValueError(f"X (or Y) is too large: ||X||_F = {X_norm:.3g}, Phi_0 = {loss0:.3g} overflow")
    norms0 = (A_norm0, linalg.spectral_norm(params.W), float(jnp.linalg.norm(params.u)))
    alpha0 = linalg.sigma_min(Z) if m >= N else 0.0
    return Quantities(N, m, gamma, alpha0, linalg.spectral_norm(Z), loss0, X_norm, norms0)


def limit_quantities(X, Y, gamma: float, m: int, kernel=None) -> Quantities:
    r"""The infinite-width values of the :class:`Quantities` for a zero output layer at width ``m``:
    :math:`\alpha_0^2 = m\lambda_{\mathcal K}`, :math:`\|Z_0\|_2^2 = m\lambda_{\max}(\mathcal K)` with :math:`\mathcal K` the limit kernel
    (:func:`lib.implicit.limit_kernel`, :math:`\lambda_{\mathcal K} = \lambda_{\min}(\mathcal K)`), :math:`\|A_0\|_2 = 2\sqrt m` and
    :math:`\|W_0\|_2 = \sqrt m + \sqrt d` (the edges of the Gaussian spectra), :math:`u_0 = 0`,
    :math:`\Phi_0 = \|y\|^2/2`. :func:`check` of these is the theorem's threshold "at infinite width";
    fresh draws deviate by the finite-width fluctuations of :math:`\sigma_{\min}(Z_0)^2/m` (chapter 4, 4.3).
    ``kernel``: the limit kernel of ``X`` if already computed (a sweep over ``m`` needs it once).
    Raises ``ValueError`` / ``TypeError`` naming the argument for a bad ``X``, ``Y``, ``gamma`` (in (0, 1)),
    ``m`` or ``kernel`` (an (N, N) symmetric matrix)."""
    gamma, m = _gamma(gamma), V.integer(m, "m (width)")
    y = np.asarray(implicit.targets(X, Y), dtype=np.float64)
    X64 = np.asarray(X, dtype=np.float64)
    N, d = X64.shape
    K = implicit.limit_kernel(X, gamma) if kernel is None else linalg.as_float64(kernel, "kernel", ndim=2)
    if K.shape != (N, N):
        raise ValueError(f"kernel must be the ({N}, {N}) limit kernel of X, got shape {K.shape}")
    lam = np.linalg.eigvalsh(np.asarray(K, dtype=np.float64))
    alpha0 = math.sqrt(m * max(lam[0], 0.0)) if m >= N else 0.0
    return Quantities(N, m, gamma, alpha0, math.sqrt(m * lam[-1]), 0.5 * float(y @ y), float(np.linalg.norm(X64)),
                      (2 * math.sqrt(m), math.sqrt(m) + math.sqrt(d), 0.0))


def _quantities(q):
    if not isinstance(q, Quantities):
        raise TypeError(f"q must be a Quantities record (from initial_quantities or limit_quantities), got {q!r}")
    N, m = V.integer(q.N, "q.N"), V.integer(q.m, "q.m")
    return Quantities(N, m, _gamma(q.gamma), _nonneg(q.alpha0, "q.alpha0"), _nonneg(q.Z_norm, "q.Z_norm"),
                      _nonneg(q.loss0, "q.loss0"), _nonneg(q.X_norm, "q.X_norm"), _triple(q.norms0, "q.norms0"))


def _ratio(d: float, r: float) -> float:
    """``d / r``, with ``0 / 0 = 0`` (Phi_0 = 0: every travel bound and radius is 0, nothing needs to move)."""
    return d / r if r > 0 else (0.0 if d == 0 else math.inf)


def check(q: Quantities, eta: float | None = None, sharp: bool = True) -> TheoremReport:
    r"""Every hypothesis of chapter 4's theorems, evaluated on the :class:`Quantities` ``q``.

    ``eta`` is the step size of gradient descent (theorem ``thm-implicit``); ``eta=None`` checks the
    gradient-flow version (``thm-implicit-flow``), which has no cross-term or step-size hypothesis.
    ``sharp=False`` checks the first version (trajectory lengths with the condition number, see
    :func:`trajectory_bounds`). The radii are the smallest self-consistent ones (:func:`radii`).
    With :math:`\bar F = \|Z_0\|_2 + \alpha_0/2`:

    * H0: :math:`m \ge N` and :math:`\alpha_0 = \sigma_{\min}(Z_0) > 0`;
    * HW: :math:`\bar a < 1`, the equilibrium is well posed on the whole ball;
    * H1: :math:`C_\times \le \alpha_0^2/32` (gradient descent only);
    * H2: :math:`\mathrm{Lip}_AD_A + \mathrm{Lip}_WD_W \le \alpha_0/2` (features stay well conditioned);
    * H3: :math:`D_p \le R_p` for every block;
    * H4: :math:`\eta \le 1/(2\bar F^2)` (gradient descent only).

    Guaranteed rates: :math:`\eta\alpha_0^2/6` per step (:math:`\eta\alpha_0^2/8` with ``sharp=False``), or
    :math:`\alpha_0^2/2` per unit time for the flow. Raises ``TypeError`` / ``ValueError`` naming the argument
    for a bad ``q``, ``eta`` or ``sharp``.
    """
    eta = _check_step(eta)
    sharp = _flag(sharp, "sharp")
    q = _quantities(q)
    flow = eta is None
    N, m, gamma, alpha0, X_norm, loss0, norms0 = q.N, q.m, q.gamma, q.alpha0, q.X_norm, q.loss0, q.norms0
    F_bar = q.Z_norm + alpha0 / 2
    qd = {"N": N, "m": m, "gamma": gamma, "alpha0": alpha0, "loss0": loss0, "X_norm": X_norm, "norms0": norms0,
          "F_bar": F_bar, "sharp": sharp}

    wide = m >= N and alpha0 > 0
    note0 = (f"m = {m} < N = {N}: Z cannot have full row rank" if m < N
             else "Z is rank deficient at initialisation" if alpha0 <= 0 else "")
    rho = radii(X_norm, gamma, m, norms0, F_bar, loss0, alpha0, flow, sharp=sharp) if wide else None
    # without self-consistent radii the hypotheses are shown at radius 0: their left sides grow with
    # the radii, so radius 0 gives a lower bound for every radius
    b = bounds(gamma, m, norms0, rho or (0.0, 0.0, 0.0))
    lip_A, lip_W = equilibrium_lipschitz(X_norm, gamma, m, b)
    C_cross = cross_constant(X_norm, gamma, m, b)
    D = trajectory_bounds(X_norm, gamma, m, b, F_bar, loss0, alpha0, flow, sharp) if wide else [math.inf] * 3
    move = lip_A * D[0] + lip_W * D[1]
    qd.update(rho=rho, bounds=b, lip=(lip_A, lip_W), C_cross=C_cross, D=D, feature_move=move)

    def evaluated(name, statement, lhs, rhs, why):
        if not wide:
            return Hypothesis(name, statement, math.inf, rhs, False, "needs H0")
        if rho is None:
            at0 = "fails even at radius 0" if lhs > rhs else "holds at radius 0, but no radii satisfy H3"
            return Hypothesis(name, statement, lhs, rhs, False, at0)
        return Hypothesis(name, statement, lhs, rhs, lhs <= rhs, why)

    hyps = [Hypothesis("H0", "N <= m and alpha_0 > 0", float(N), float(m), wide, note0),
            evaluated("HW", "a_bar = gamma (||A_0|| + rho_A) / sqrt(m) < 1", b.a, 1.0,
                      "the ball reaches matrices with ||A~||_2 >= 1")]
    if not flow:
        hyps.append(evaluated("H1", "C_cross <= alpha_0^2 / 32", C_cross, alpha0**2 / 32,
                              "the cross term of the descent lemma beats the output-layer PL term"))
    hyps.append(evaluated("H2", "Lip_A D_A + Lip_W D_W <= alpha_0 / 2", move, alpha0 / 2,
                          "the features may move too far to keep sigma_min >= alpha_0 / 2"))
    hyps.append(Hypothesis("H3", "D_p <= rho_p for p = A, W, u", max(_ratio(d, r) for d, r in zip(D, rho)) if rho else math.inf,
                           1.0 + 1e-9, rho is not None,
                           "needs H0" if not wide else "no radii with D_p(rho) <= rho_p: the bounds feed back and grow"))
    if not flow:
        hyps.append(Hypothesis("H4", "eta <= 1 / (2 F_bar^2)", float(eta), 1 / (2 * F_bar**2), eta <= 1 / (2 * F_bar**2),
                               "step size too large for the one-step descent lemma"))
    name = (THEOREM_FLOW if flow else THEOREM_GD) + ("" if sharp else ", first version")
    report = TheoremReport(name, tuple(hyps), math.nan, qd, "per unit time" if flow else "per step")
    if not report.holds:
        return report
    return report._replace(rate=alpha0**2 / 2 if flow else eta * alpha0**2 / (6 if sharp else 8))


def theorem_check(params: implicit.Params, X, Y, gamma: float, eta: float | None = None,
                  config: implicit.SolverConfig = implicit.SolverConfig(), sharp: bool = True) -> TheoremReport:
    r"""Every hypothesis of chapter 4's theorems, measured on ``params`` (the initialisation):
    :func:`check` of :func:`initial_quantities`. ``eta=None`` checks the gradient-flow version;
    ``sharp=False`` the first version (see :func:`check`).
    Raises ``ValueError`` when the initialisation is not well posed (no equilibrium to measure), and
    ``ValueError`` / ``TypeError`` naming the argument for a bad ``X``, ``Y``, ``gamma``, ``eta`` or params.
    """
    eta = _check_step(eta)
    sharp = _flag(sharp, "sharp")
    return check(initial_quantities(params, X, Y, gamma, config), eta, sharp)


class ImplicitRun(NamedTuple):
    """A gradient-descent run of the implicit network with chapter 4's per-step records."""

    params0: implicit.Params
    params: implicit.Params
    history: train.History  # extras: see run()


def run(params0: implicit.Params, X, Y, gamma: float, eta: float, num_steps: int,
        config: implicit.SolverConfig = implicit.SolverConfig(), exact_norm: bool = False) -> ImplicitRun:
    r"""Gradient descent on :math:`(A, W, u)`, recording at every step :math:`k`:

    * ``"iterations"``, ``"residual"``: evaluations and relative residual of the forward solve (from :math:`Z = 0`);
    * ``"sigma_min_Z"``, ``"Z_norm"``: :math:`\sigma_{\min}(Z_k)` and :math:`\|Z_k\|_2`
      (:math:`\lambda_{\min}(Z_kZ_k^\top/m) = \sigma_{\min}(Z_k)^2/m`);
    * ``"feature_move"``: :math:`\|Z_k - Z_0\|_F`;
    * ``"grad_norms"``: :math:`(\|\nabla_A\Phi\|_F, \|\nabla_W\Phi\|_F, \|\nabla_u\Phi\|)`, shape ``(T+1, 3)``;
    * ``"norms"``: :math:`(\|W_k\|_2, \|u_k\|)`, shape ``(T+1, 2)``;
    * ``"implicit_norm"``: :math:`\|\tilde A_k\|_2` (only with ``exact_norm``: an :math:`m\times m`
      eigenvalue problem per step); ``"implicit_norm_bound"``:
      :math:`\gamma(\|A_0\|_2 + \|A_k - A_0\|_F)/\sqrt m \ge \|\tilde A_k\|_2`, always.

    The history's ``distance`` holds :math:`\|A_k - A_0\|_F`, :math:`\|W_k - W_0\|_F`, :math:`\|u_k - u_0\|`.
    A forward solve that hits the cap does not stop the jitted loop; it is recorded, and
    :class:`lib.implicit.NonConvergenceError` is raised at the end naming the first such step; an adjoint
    solve at its cap raises it (under ``jit``, a ``RuntimeError``) during training.
    Bad input raises as :func:`lib.train.gradient_descent` and :func:`lib.implicit.equilibrium`.
    """
    if not isinstance(exact_norm, (bool, np.bool_)):
        raise TypeError(f"exact_norm must be True or False, got {exact_norm!r}")
    config = implicit._check_config(config)
    params0 = implicit._params(params0)
    gamma = _gamma(gamma)
    eta, num_steps = V.real(eta, "eta (step size)", low=0.0, low_open=True), V.integer(num_steps, "num_steps")
    X = implicit._X(X)
    y = implicit.targets(X, Y)
    m = params0.A.shape[0]
    A0_norm = implicit.check_well_posed(params0, gamma) * math.sqrt(m) / gamma   # ||A_0||_2
    Z0, _, res0 = implicit.equilibrium_with_stats(params0, X, gamma, config)  # a solve at the cap is reported at the end
    tol = implicit._tol(config, Z0.dtype)

    def loss_fn(p):  # implicit.loss without its check of the forward solve: a solve at its cap is reported at the end
        Z = implicit.equilibrium_with_stats(p, X, gamma, config)[0]
        return 0.5 * jnp.sum((Z @ p.u - y) ** 2)

    def solve_stats(p):  # one forward solve per step for all the equilibrium records
        Z, k, res = implicit.equilibrium_with_stats(p, X, gamma, config)
        return {"iterations": k, "residual": res, "sigma_min_Z": linalg.sigma_min(Z), "Z_norm": linalg.spectral_norm(Z),
                "feature_move": jnp.linalg.norm(Z - Z0)}

    grad_fn = jax.grad(loss_fn)
    extras = {
        "solve": solve_stats,
        "grad_norms": lambda p: jnp.stack([jnp.linalg.norm(g) for g in grad_fn(p)]),
        "norms": lambda p: jnp.stack([linalg.spectral_norm(p.W), jnp.linalg.norm(p.u)]),
        "implicit_norm_bound": lambda p: gamma * (A0_norm + jnp.linalg.norm(p.A - params0.A)) / math.sqrt(m),
    }
    if exact_norm:
        extras["implicit_norm"] = lambda p: linalg.spectral_norm(implicit.scaled_A(p, gamma))
    try:
        params, history = train.gradient_descent(loss_fn, params0, eta, num_steps, extras=extras)
    except RuntimeError as err:  # divergence, or an adjoint solve at its cap: say so when the forward solve is why
        if not float(res0) <= tol:
            raise implicit.NonConvergenceError(
                f"the forward equilibrium solve ({config.method}) hits its cap max_iter = {config.max_iter} at "
                f"initialisation (relative residual {float(res0):.3g} > tol = {tol:g}), and gradient descent "
                f"failed: {str(err)[:400]}"
            ) from err
        raise
    records = dict(history.extras)
    records.update(records.pop("solve"))
    history = history._replace(extras=records)
    res = np.asarray(history.extras["residual"])
    bad = np.flatnonzero(~(res <= tol))
    if bad.size:
        k = int(bad[0])
        raise implicit.NonConvergenceError(
            f"the forward equilibrium solve ({config.method}) hit its cap max_iter = {config.max_iter} at step {k} "
            f"of gradient descent with relative residual {res[k]:.3g} > tol = {tol:g}"
        )
    return ImplicitRun(params0, params, history)
