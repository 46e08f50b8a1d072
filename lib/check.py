r"""Self-checks for the reader: is a numeric answer, or a function the reader wrote, right?

The book's code exercises end with a cell such as ::

    path_bound = None     # your answer
    lib.check.exercise("ex-path-length", path_bound, A, y_ls)

which prints ``Correct`` or what is wrong with the answer, with a hint, and never
the reference value: the reference is computed here, by ``lib``, from the
exercise's inputs (:data:`EXERCISES`). Some answers have no single reference
value (a construction, a width found by a search to a resolution): those
exercises check the answer's defining property instead (``"property"``). The two
building blocks work on their own:

* :func:`answer` compares a number or an array with a reference, with a relative
  and an absolute tolerance, :math:`|a - r| \le \mathrm{atol} + \mathrm{rtol}\,|r|` entrywise;
* :func:`function` calls the reader's function and a reference function on the
  same test inputs and compares the results with :func:`answer`.

Both return a :class:`Verdict`, true when the answer is right; printing it shows
the message. A reader's mistake (a wrong value, a wrong shape, a function that
raises) is reported in the verdict; a mistake in calling the check (a negative
tolerance, an unknown exercise) raises ``ValueError`` or ``TypeError``.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

__all__ = ["Verdict", "answer", "function", "Exercise", "EXERCISES", "exercise"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: ``passed`` and the message shown to the reader (``bool(verdict) == passed``)."""

    passed: bool  # the answer is right
    message: str  # what the reader sees: "Correct" or what is wrong, with a hint

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message

    __repr__ = __str__


def _check_tolerance(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a non-negative number, got {value!r} of type {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite non-negative number, got {value!r}")
    return value


def _check_text(value, name: str, optional: bool = False):
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        what = "a non-empty string or None" if optional else "a non-empty string"
        raise TypeError(f"{name} must be {what}, got {value!r}")
    return value


def _check_reference(reference, name: str = "reference") -> np.ndarray:
    try:
        ref = np.asarray(reference, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(reference).__name__}: {err}") from None
    if not np.all(np.isfinite(ref)):
        raise ValueError(f"{name} must be finite, got an array of shape {ref.shape} with non-finite entries")
    return ref


def _fail(text: str, hint: str | None) -> Verdict:
    return Verdict(False, f"Not yet: {text}" + (f" Hint: {hint}" if hint else ""))


def _compare(value, ref: np.ndarray, rtol: float, atol: float, name: str, hint: str | None) -> Verdict:
    # never put `ref` (or anything from which it follows, like a relative error) in a message
    if value is None:
        return Verdict(False, f"No answer yet: replace None by your {name}.")
    try:
        got = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return _fail(f"{name} must be a number or an array of numbers, got {type(value).__name__}.", hint)
    if got.shape != ref.shape:
        want = "a scalar" if ref.shape == () else f"shape {ref.shape}"
        have = "a scalar" if got.shape == () else f"shape {got.shape}"
        return _fail(f"{name} has {have}, expected {want}.", hint)
    if not np.all(np.isfinite(got)):
        return _fail(f"{name} has non-finite entries (NaN or infinity).", hint)
    wrong = np.abs(got - ref) > atol + rtol * np.abs(ref)
    if not wrong.any():
        return Verdict(True, f"Correct: {name} agrees with the reference to rtol = {rtol:g}, atol = {atol:g}.")
    if ref.shape == ():
        side = "too large" if got > ref else "too small"
        return _fail(f"{name} is {side} (tolerance rtol = {rtol:g}, atol = {atol:g}).", hint)
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    return _fail(f"{int(wrong.sum())} of {wrong.size} entries of {name} are off beyond rtol = {rtol:g}, "
                 f"atol = {atol:g}; the first is at index {first}.", hint)


def answer(value, reference, *, rtol: float = 1e-6, atol: float = 0.0, name: str = "answer",
           hint: str | None = None) -> Verdict:
    r"""Is ``value`` equal to ``reference`` up to :math:`|a - r| \le \mathrm{atol} + \mathrm{rtol}\,|r|` entrywise?

    ``value``: the reader's number or array (``None``: not answered yet);
    ``reference``: a finite number or array of the same shape; ``name``: how the
    message calls the answer; ``hint``: shown when the answer is wrong. The message
    says whether a scalar is too large or too small, or which entries of an array
    are off; it never shows the reference.
    """
    rtol, atol = _check_tolerance(rtol, "rtol"), _check_tolerance(atol, "atol")
    name, hint = _check_text(name, "name"), _check_text(hint, "hint", optional=True)
    return _compare(value, _check_reference(reference), rtol, atol, name, hint)


def _describe(args) -> str:
    parts = []
    for a in args:
        if hasattr(a, "shape") and hasattr(a, "dtype"):
            parts.append(f"array of shape {tuple(a.shape)}")
        elif isinstance(a, (list, tuple)) and all(hasattr(b, "shape") for b in a):
            parts.append(f"{type(a).__name__} of {len(a)} arrays")
        elif isinstance(a, (int, float)) or (isinstance(a, tuple) and all(isinstance(b, int) for b in a)):
            parts.append(repr(a))
        else:
            parts.append(type(a).__name__)
    return ", ".join(parts)


def function(fn, reference: Callable, inputs: Sequence[tuple], *, rtol: float = 1e-6, atol: float = 0.0,
             name: str = "your function", hint: str | None = None) -> Verdict:
    r"""Does ``fn(*args)`` agree with ``reference(*args)`` (see :func:`answer`) for every ``args`` in ``inputs``?

    ``fn``: the reader's function (``None``: not written yet); ``reference``: the
    reference function; ``inputs``: a non-empty sequence of argument tuples. A
    function that raises, or returns the wrong shape or values, gets a verdict that
    names the test input (by number and argument shapes), never the expected output.
    """
    rtol, atol = _check_tolerance(rtol, "rtol"), _check_tolerance(atol, "atol")
    name, hint = _check_text(name, "name"), _check_text(hint, "hint", optional=True)
    if not callable(reference):
        raise TypeError(f"reference must be a function, got {reference!r}")
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence) or len(inputs) == 0:
        raise ValueError(f"inputs must be a non-empty sequence of argument tuples, got {inputs!r}")
    if not all(isinstance(args, tuple) for args in inputs):
        raise TypeError("inputs must hold tuples of arguments (write (x,) for a single argument), got "
                        + ", ".join(type(a).__name__ for a in inputs))
    if fn is None:
        return Verdict(False, f"No answer yet: replace None by {name}.")
    if not callable(fn):
        return _fail(f"{name} must be a function, got {type(fn).__name__}.", hint)
    n = len(inputs)
    for i, args in enumerate(inputs, start=1):
        ref = _check_reference(reference(*args), "reference(*args)")
        try:
            got = fn(*args)
        except Exception as err:  # the reader's bug is feedback, not a crash
            return _fail(f"{name} raised {type(err).__name__}: {err} on test input {i} of {n} "
                         f"({_describe(args)}).", hint)
        verdict = _compare(got, ref, rtol, atol, f"the result on test input {i} of {n} ({_describe(args)})", hint)
        if not verdict:
            return verdict
    return Verdict(True, f"Correct: {name} agrees with the reference on all {n} test inputs "
                         f"(rtol = {rtol:g}, atol = {atol:g}).")


class Exercise(NamedTuple):
    r"""A self-checking exercise of the book: how its reference answer is computed, by ``lib``."""

    kind: str  # "value": answer(...) against reference(*inputs); "function": function(...) on tests();
    #            "property": the answer is right when reference(answer, *inputs) finds nothing wrong
    reference: Callable  # computes the reference from the exercise's inputs (or from one test input);
    #                      "property": returns the list of what is wrong with the answer (empty: right)
    tests: Callable | None  # "function" exercises: () -> list of argument tuples; None otherwise
    rtol: float  # relative tolerance
    atol: float  # absolute tolerance
    hint: str  # shown when the answer is wrong
    chapter: str  # the chapter whose exercise this is


# ---------------------------------------------------------------- the references, computed by lib


def _path_length_bound(A, y):
    """Chapter 1: sqrt(8 Phi_0 / mu) for least squares from w_0 = 0, mu = lam_min(A A^T)."""
    from lib import linalg, rates
    A64, y64 = np.asarray(A, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return rates.path_length_bound(0.5 * float(np.sum(y64**2)), linalg.lam_min(A64 @ A64.T), decrease=0.5)


def _parallel_lam0(X, u, eps_list):
    """Chapter 1: lambda_0 = lam_min(H^infinity) with row 2 of X replaced by (x_1 + eps u) / ||x_1 + eps u||."""
    from lib import kernels, linalg
    X64, u64 = np.asarray(X, dtype=np.float64), np.asarray(u, dtype=np.float64)
    out = []
    for eps in eps_list:
        x2 = X64[0] + eps * u64
        X2 = X64.copy()
        X2[1] = x2 / np.linalg.norm(x2)
        out.append(linalg.lam_min(kernels.du_gram(X2)))
    return np.array(out)


def _underparam_lam_plus(A):
    """Chapter 1: the smallest non-zero eigenvalue of A A^T for a tall A of full column rank, lam_min(A^T A)."""
    from lib import linalg
    A64 = np.asarray(A, dtype=np.float64)
    return linalg.lam_min(A64.T @ A64)


def _zero_output_step(net, params, X, Y, eta):
    """Chapter 2: the network's output after one gradient step from a zero output layer, taken by lib.train."""
    from lib import mlp, train
    params1, _ = train.gradient_descent(lambda p: train.square_loss(mlp.apply(net, p, X), Y), params, eta, 1)
    return np.asarray(mlp.apply(net, params1, X))  # in the precision of the reader's params, as their answer


def _sigma_norm_sup(m):
    """Chapter 5: the supremum sqrt(m) of ||sigma(A)||_2 over A in R^(m x m)."""
    return math.sqrt(m)


def _output_pl_constant(F):
    """Chapter 2: sigma_min(F)^2, the output layer's PL constant when F has at least as many columns as rows."""
    from lib import linalg
    return linalg.sigma_min(F) ** 2


def _output_pl_tests():
    rng = np.random.default_rng(2021)
    shapes = [(4, 6), (8, 8), (5, 40), (3, 3)]
    tests = [(rng.standard_normal(s),) for s in shapes]
    tests.append((np.maximum(rng.standard_normal((6, 12)), 0.0),))   # ReLU-like features
    return tests


def _weak_pl_constant(widths, gamma, params, X):
    """Chapter 3: gamma^(L-2) sigma_min(F_1) prod_{l>=3} sigma_min(W_l) for the pyramid with these weights."""
    from lib import activations, mlp, pyramid
    net = mlp.MLP(tuple(widths), activation=activations.SmoothLeakyReLU(gamma=gamma))
    return pyramid.weak_pl_constant(net, params, X)


def _weak_pl_tests():
    rng = np.random.default_rng(2020)
    tests = []
    for widths, gamma in [((6, 8, 6, 4, 1), 0.5), ((6, 10, 5, 1), 0.2), ((6, 8, 8, 3, 2, 1), 0.7)]:
        X = rng.standard_normal((6, widths[0]))
        X = X / np.linalg.norm(X, axis=1, keepdims=True) * math.sqrt(widths[0])
        params = [rng.standard_normal((p, q)) / math.sqrt(p) for p, q in zip(widths[:-1], widths[1:])]
        tests.append((widths, gamma, params, X))
    return tests


def _square_layer_medians(key, d, activation):
    """Chapter 3: median of sigma_min(W_3^0) over LeCun draws fold_in(key, s), s < 20, for (d,16,32,16,1) and (d,16,16,16,1)."""
    import jax
    from lib import linalg, mlp
    medians = []
    for widths in [(d, 16, 32, 16, 1), (d, 16, 16, 16, 1)]:
        net = mlp.MLP(widths, activation=activation)
        medians.append(np.median([linalg.sigma_min(mlp.init(jax.random.fold_in(key, s), net, "lecun")[2])
                                  for s in range(20)]))
    return np.array(medians)


def _neumann_worst(A_t, Z, B):
    """Chapter 4: max over samples i of ||(I - D_i A_t)^(-1)||_2, D_i the activation pattern at the equilibrium."""
    A64, Z64, B64 = (np.asarray(v, dtype=np.float64) for v in (A_t, Z, B))
    eye = np.eye(A64.shape[0])
    return max(np.linalg.norm(np.linalg.inv(eye - np.diag((Z64[i] @ A64.T + B64[i] > 0).astype(float)) @ A64), 2)
               for i in range(Z64.shape[0]))


def _equilibrium(A_t, B):
    """Chapter 4: the equilibrium Z = relu(Z A_t^T + B), by lib's solver."""
    import jax
    from lib import implicit
    cfg = implicit.SolverConfig(tol=1e-13, max_iter=10_000)
    with jax.enable_x64(True):  # the reference is float64 whatever the reader's setting (tol 1e-13)
        return np.asarray(implicit.solve_equilibrium(np.asarray(A_t, np.float64), np.asarray(B, np.float64), cfg)[0])


def _equilibrium_tests():
    rng = np.random.default_rng(2022)
    tests = []
    for m, N, a in [(8, 3, 0.5), (16, 4, 0.9), (32, 2, 0.3)]:
        A = rng.standard_normal((m, m))
        A_t = a * A / np.linalg.norm(A, 2)
        tests.append((A_t, rng.standard_normal((N, m))))
    return tests


def _deq_rate(Phi, Y, gamma, eta):
    """Chapter 5: (lambda^+, eta lambda^+ / (1 + gamma sqrt(m))^2) for the shallow square loss on features Phi."""
    from lib import deq
    lam_plus = deq.shallow_constants(Phi, Y).lam_plus
    m = np.shape(Phi)[1]
    return np.array([lam_plus, eta * lam_plus / (1.0 + gamma * math.sqrt(m)) ** 2])


def _best_pl_constant(half_width):
    """Chapter 1: min over 0 < |x| <= a of phi'(x)^2 / (2 phi(x)), phi(x) = x^2 + 3 sin^2 x (grid, then refined)."""
    from scipy.optimize import minimize_scalar
    a = float(half_width)

    def ratio(x):
        return (2 * x + 3 * np.sin(2 * x)) ** 2 / (2 * (x**2 + 3 * np.sin(x) ** 2))

    x = np.linspace(1e-3, a, 200_001)  # the ratio is even, and tends to 8 at 0: its minimum is away from 0
    i = int(np.argmin(ratio(x)))
    lo, hi = x[max(i - 1, 0)], x[min(i + 1, x.size - 1)]
    return min(float(ratio(x[i])), float(minimize_scalar(ratio, bounds=(lo, hi), method="bounded",
                                                          options={"xatol": 1e-12}).fun))


def _as_array(value, name: str, shape=None):
    """The reader's answer as a float array, or the message saying why it is not one of the right shape."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None, f"{name} must be a number or an array of numbers, got {type(value).__name__}."
    if shape is not None and arr.shape != tuple(shape):
        return None, f"{name} has shape {arr.shape}, expected {tuple(shape)}."
    if not np.all(np.isfinite(arr)):
        return None, f"{name} has non-finite entries (NaN or infinity)."
    return arr, None


def _binding_widths(key, X, Y):
    """Chapter 2: [[H1 threshold, all-hypotheses threshold] for He, the same for the zero output layer].

    The thresholds are lib.sweep.smallest_width's answers, from N to 2^21: the
    hypotheses are measured on a fresh draw at each width, so they need not be
    monotone in the width, and the search's answer is the reference.
    """
    from lib import lastlayer, mlp, sweep
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    N, d = X.shape

    def first_width(scheme, which):
        def holds(n):
            net = mlp.MLP((d, n, 1))
            report = lastlayer.theorem_check(net, mlp.init(key, net, scheme), X, Y, 1e-300)
            return all(h.holds for h in report.hypotheses if which == "all" or h.name in ("H0", which))
        width = sweep.smallest_width(holds, N, 2**21)
        return np.nan if width is None else float(width)

    return np.array([[first_width(scheme, which) for which in ("H1", "all")] for scheme in ("he", "zero_output")])


def _relu_stationary_point(params, net, X, Y):
    """Chapter 3: params with grad_{W_2} Phi = 0, a non-zero residual, F_1 of full row rank and W_3 of full column rank."""
    import jax
    import jax.numpy as jnp
    from lib import linalg, mlp, train
    if not isinstance(params, (list, tuple)) or len(params) != len(net.widths) - 1:
        return [f"params must be a list of {len(net.widths) - 1} weight matrices, got {type(params).__name__}"
                + (f" of length {len(params)}." if isinstance(params, (list, tuple)) else ".")]
    Ws = []
    for i, (W, shape) in enumerate(zip(params, zip(net.widths[:-1], net.widths[1:])), start=1):
        arr, problem = _as_array(W, f"W_{i} (params[{i - 1}])", shape=shape)
        if problem:
            return [problem]
        Ws.append(jnp.asarray(arr))
    X, Y = jnp.asarray(np.asarray(X, dtype=np.float64)), jnp.asarray(np.asarray(Y, dtype=np.float64))
    grad_W2 = jax.grad(lambda p: train.square_loss(mlp.apply(net, p, X), Y))(Ws)[1]
    wrong = []
    scale = 1e-12 * max(1.0, float(jnp.linalg.norm(Y)))
    if float(jnp.abs(grad_W2).max()) > scale:
        wrong.append("the gradient with respect to W_2 is not zero at your point.")
    if float(jnp.linalg.norm(mlp.apply(net, Ws, X) - Y)) <= scale:
        wrong.append("the residual is zero at your point: the point must not fit the data.")
    if linalg.sigma_min(mlp.features(net, Ws, X)[1]) <= 1e-10:
        wrong.append("F_1 does not have full row rank at your point.")
    if linalg.sigma_min(Ws[2]) <= 1e-10:
        wrong.append("W_3 does not have full column rank at your point.")
    return wrong


def _scaled_lecun_ratios(net, key, X, Y):
    """Chapter 3: R / (lambda_3 / 2) of the theorem's check for LeCun weights with W_1 scaled by s = 1e3 and 1e4."""
    from lib import mlp, pyramid
    out = []
    for s in (1e3, 1e4):
        params = [s * W if i == 0 else W for i, W in enumerate(mlp.init(key, net, "lecun"))]
        q = pyramid.theorem_check(net, params, X, Y).quantities
        out.append(q["R"] / (q["lam"][0] / 2))
    return np.array(out)


def _relu_equilibria(solutions):
    """Chapter 4: at least two different solutions z in R^2 of z = relu(2z + b), b = (-1, -1)."""
    if not isinstance(solutions, (list, tuple)):
        return [f"solutions must be a list of vectors z, got {type(solutions).__name__}."]
    zs = []
    for i, z in enumerate(solutions):
        arr, problem = _as_array(z, f"solutions[{i}]")
        if problem:
            return [problem]
        if arr.size != 2:
            return [f"solutions[{i}] must hold the m = 2 entries of z, got {arr.size}."]
        zs.append(arr.reshape(2))
    wrong = [f"solutions[{i}] is not an equilibrium: relu(2z - 1) differs from z." for i, z in enumerate(zs)
             if np.max(np.abs(np.maximum(2 * z - 1, 0) - z)) > 1e-12]
    distinct = {tuple(np.round(z, 9)) for z in zs}
    if len(distinct) < 2:
        wrong.append(f"give at least two different solutions, got {len(distinct)}.")
    return wrong


def _small_gamma_gaps(X, gammas):
    """Chapter 4: max_ij |K(gamma) - k_1(X X^T)|_ij for each gamma, K the implicit network's limit kernel."""
    import jax
    from lib import implicit, kernels
    out = []
    with jax.enable_x64(True):
        X64 = np.asarray(X, dtype=np.float64)
        S0 = X64 @ X64.T
        k1 = np.asarray(kernels.arccos_moments(np.diag(S0)[:, None], np.diag(S0)[None, :], S0)[0])
        for gamma in gammas:
            out.append(float(np.max(np.abs(np.asarray(implicit.limit_kernel(X64, float(gamma))) - k1))))
    return np.array(out)


#: the book's self-checking exercises, by label
#:
#: :meta hide-value:
EXERCISES: dict[str, Exercise] = {
    "ex-parallel": Exercise(
        "value", _parallel_lam0, None, 1e-6, 1e-12,
        "replace row 2 (index 1) of X by the unit vector along x_1 + eps u, with u orthogonal to x_1; lambda_0 "
        "is the smallest eigenvalue of kernels.du_gram of the new data, one value per eps.",
        "ch1"),
    "ex-underparam": Exercise(
        "value", _underparam_lam_plus, None, 1e-6, 0.0,
        "A A^T is singular now; its smallest non-zero eigenvalue is also an eigenvalue of A^T A.",
        "ch1"),
    "ex-path-length": Exercise(
        "value", _path_length_bound, None, 1e-6, 0.0,
        "Phi_0 is the loss at w_0 = 0 and mu the PL constant of Section 1.1; the bound does not depend on eta.",
        "ch1"),
    "ex-square": Exercise(
        "value", _square_layer_medians, None, 1e-8, 0.0,
        "W_3^0 is params[2] of mlp.init(jax.random.fold_in(k_ex, s), net, 'lecun') for s = 0, ..., 19; give the two "
        "medians in the order of the exercise.",
        "ch3"),
    "ex-zero-output": Exercise(
        "value", _zero_output_step, None, 1e-10, 1e-14,
        "compute eta F F^T Y with F the last hidden features of the initial parameters (mlp.features(...)[-2]).",
        "ch2"),
    "ex-pl-several-outputs-code": Exercise(
        "function", _output_pl_constant, _output_pl_tests, 1e-8, 1e-12,
        "the PL constant is the smallest eigenvalue of F F^T, the square of the smallest singular value.",
        "ch2"),
    "ex-weak-pl-code": Exercise(
        "function", _weak_pl_constant, _weak_pl_tests, 1e-6, 1e-14,
        "F_1 is the activation applied to X W_1; the product runs over W_3, ..., W_L; gamma has power L - 2.",
        "ch3"),
    "ex-neumann": Exercise(
        "value", _neumann_worst, None, 1e-8, 0.0,
        "D_i = diag(1{A_t z_i + b_i > 0}) at sample i's equilibrium; take the spectral norm of the inverse, then the "
        "largest over the samples.",
        "ch4"),
    "ex-plain-iteration": Exercise(
        "function", _equilibrium, _equilibrium_tests, 1e-8, 1e-10,
        "iterate Z <- relu(Z A_t^T + B) from Z = 0 until the change is below 1e-13 of Z, not a fixed number of times.",
        "ch4"),
    "ex-sigma-norm": Exercise(
        "value", _sigma_norm_sup, None, 1e-6, 0.0,
        "make one row of A much larger than the others: every column of sigma(A) then puts its mass on that row.",
        "ch5"),
    "ex-deq-rate": Exercise(
        "value", _deq_rate, None, 1e-6, 0.0,
        "lambda^+ is the smallest non-zero eigenvalue of Phi^T Phi (count eigenvalues below 1e-10 of the largest "
        "as zero); m is the number of columns of Phi.",
        "ch5"),
    "ex-nonconvex-pl": Exercise(
        "value", _best_pl_constant, None, 1e-3, 0.0,
        "the best constant is the smallest value of phi'(x)^2 / (2 phi(x)) over x != 0 in [-20, 20] (phi^* = 0); "
        "a grid finer than 1e-3 is enough.",
        "ch1"),
    "ex-binding": Exercise(
        "value", _binding_widths, None, 0.0, 0.5,
        "run lib.sweep.smallest_width(holds, N, 2**21) with holds(n) true when the hypotheses hold at width n, "
        "once per scheme and per set of hypotheses; give [[He: H1, all], [zero output: H1, all]].",
        "ch2"),
    "ex-relu-pl": Exercise(
        "property", _relu_stationary_point, None, 0.0, 0.0,
        "ReLU features are non-negative: choose W_2 so that every pre-activation of layer 2 is negative.",
        "ch3"),
    "ex-zero-w2": Exercise(
        "value", _scaled_lecun_ratios, None, 1e-6, 0.0,
        "scale only W_1 = params[0] of mlp.init(k_ex, net_s, 'lecun') by s; R and lam (the lambda_l, l >= 3, "
        "so lambda_3 is lam[0]) are in pyramid.theorem_check(...).quantities.",
        "ch3"),
    "ex-two-equilibria": Exercise(
        "property", _relu_equilibria, None, 0.0, 0.0,
        "try vectors whose entries are 0 or 1: relu(2 * 0 - 1) = 0 and relu(2 * 1 - 1) = 1.",
        "ch4"),
    "ex-small-gamma": Exercise(
        "value", _small_gamma_gaps, None, 1e-6, 1e-12,
        "k_1(X X^T) is kernels.arccos_moments(diag, diag, X X^T)[0] with the diagonal of X X^T as column and row; "
        "take the largest entrywise difference from implicit.limit_kernel(X, gamma), one value per gamma.",
        "ch4"),
}


def exercise(label: str, value, *inputs: Any) -> Verdict:
    r"""Check the reader's answer to the book's exercise ``label`` (a key of :data:`EXERCISES`).

    ``value``: the number, array, function or construction the exercise asks for
    (``None``: not answered yet). ``inputs``: the exercise's inputs, for a
    ``"value"`` exercise (the reference is computed from them by ``lib``) and a
    ``"property"`` one (the answer is checked on them); none for a ``"function"``
    exercise, whose test inputs are fixed here.
    """
    if not isinstance(label, str) or label not in EXERCISES:
        raise ValueError(f"label must be one of {sorted(EXERCISES)}, got {label!r}")
    ex = EXERCISES[label]
    if value is None:  # not answered yet: no need for the reference (its inputs may be placeholders too)
        return Verdict(False, f"No answer yet: replace None by your {'function' if ex.kind == 'function' else 'answer'}.")
    if ex.kind == "property":
        expected = len(inspect.signature(ex.reference).parameters) - 1
        if len(inputs) != expected:
            raise ValueError(f"inputs: exercise {label!r} takes {expected} input(s) after the answer, "
                             f"got {len(inputs)}")
        wrong = ex.reference(value, *inputs)
        if wrong:
            return _fail(" ".join(wrong), ex.hint)
        return Verdict(True, "Correct: your answer has every property the exercise asks for.")
    if ex.kind == "function":
        if inputs:
            raise ValueError(f"inputs: exercise {label!r} checks a function on its own test inputs; "
                             f"pass only the function, got {len(inputs)} extra argument(s)")
        return function(value, ex.reference, ex.tests(), rtol=ex.rtol, atol=ex.atol, hint=ex.hint)
    if not inputs:
        raise ValueError(f"inputs: exercise {label!r} computes its reference from the exercise's inputs; "
                         "pass them after the answer")
    return answer(value, ex.reference(*inputs), rtol=ex.rtol, atol=ex.atol, hint=ex.hint)
