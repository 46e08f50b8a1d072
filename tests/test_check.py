"""lib.check: what it says for right, wrong and missing answers, and that it never shows the reference."""
import math

import numpy as np
import pytest

from lib import check, linalg


def test_answer_accepts_within_tolerance_and_says_correct():
    v = check.answer(1.0 + 1e-8, 1.0)
    assert v and v.passed and str(v).startswith("Correct")
    assert check.answer([1.0, 2.0], np.array([1.0, 2.0 + 1e-7]), rtol=1e-6)
    assert check.answer(0.0, 1e-12, atol=1e-9)          # atol for references at zero


@pytest.mark.parametrize("value, ref, words", [
    (1.1, 1.0, "too large"),
    (0.9, 1.0, "too small"),
    ([1.0, 2.5, 3.0], [1.0, 2.0, 3.0], "1 of 3 entries of answer are off"),
    ([1.0, 2.0], [1.0, 2.0, 3.0], "shape (2,), expected shape (3,)"),
    ([[1.0]], 1.0, "expected a scalar"),
    (float("nan"), 1.0, "non-finite"),
    ("seven", 7.0, "must be a number"),
])
def test_answer_says_what_is_wrong(value, ref, words):
    v = check.answer(value, ref, hint="look at the definition")
    assert not v and not v.passed
    assert str(v).startswith("Not yet") and words in str(v)
    assert "Hint: look at the definition" in str(v)


def test_answer_none_is_not_answered_yet():
    v = check.answer(None, 2.0, name="path_bound")
    assert not v and "No answer yet" in str(v) and "path_bound" in str(v)


@pytest.mark.parametrize("ref", [math.pi, 0.123456789, np.array([2.718281828, 1.414213562])])
def test_messages_never_show_the_reference(ref):
    for value in (0.5 * np.asarray(ref), np.asarray(ref) * (1 + 1e-3), None, np.zeros(5)):
        message = str(check.answer(value, ref))
        for r in np.atleast_1d(ref):
            for digits in (3, 4, 6, 9):
                assert f"{r:.{digits}g}" not in message, message


def test_function_right_wrong_raising_and_missing():
    inputs = [(np.array([[1.0, 2.0], [3.0, 4.0]]),), (np.eye(3),)]
    assert check.function(lambda A: np.trace(A), np.trace, inputs)
    wrong = check.function(lambda A: np.sum(A), np.trace, inputs)
    assert not wrong and "test input 1 of 2 (array of shape (2, 2))" in str(wrong) and "too large" in str(wrong)

    def broken(A):
        raise KeyError("oops")

    raised = check.function(broken, np.trace, inputs, name="trace_fn")
    assert not raised and "trace_fn raised KeyError" in str(raised) and "test input 1 of 2" in str(raised)
    assert not check.function(None, np.trace, inputs) and "No answer yet" in str(check.function(None, np.trace, inputs))
    assert "must be a function" in str(check.function(3.0, np.trace, inputs))


def test_function_reports_the_first_failing_input_only():
    inputs = [(np.eye(2),), (2 * np.eye(2),)]
    v = check.function(lambda A: np.trace(A) if A[0, 0] == 1 else 0.0, np.trace, inputs)
    assert not v and "test input 2 of 2" in str(v) and "too small" in str(v)


def _tiny_binding_data():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((2, 2))
    return X / np.linalg.norm(X, axis=1, keepdims=True), np.array([[0.5], [-1.0]])


@pytest.fixture(scope="module")
def binding_reference():
    """ex-binding's reference on tiny data, computed once (it runs four width searches)."""
    import jax
    X, Y = _tiny_binding_data()
    return check.EXERCISES["ex-binding"].reference(jax.random.key(7), X, Y)


def test_every_exercise_accepts_its_reference_and_rejects_a_perturbation(binding_reference, monkeypatch):
    rng = np.random.default_rng(0)
    A, y = rng.standard_normal((5, 9)), rng.standard_normal(5)
    Phi, Y = rng.standard_normal((12, 4)), np.eye(3)[rng.integers(0, 3, 12)]
    import jax
    from lib import mlp
    from lib.activations import SmoothLeakyReLU
    Xs = rng.standard_normal((5, 4))
    Xs /= np.linalg.norm(Xs, axis=1, keepdims=True)
    u = rng.standard_normal(4)
    u -= (u @ Xs[0]) * Xs[0]
    net = mlp.MLP((4, 6, 8, 1))
    act = SmoothLeakyReLU(gamma=0.5)
    # ex-binding's four searches once (the fixture), not three times
    monkeypatch.setitem(check.EXERCISES, "ex-binding",
                        check.EXERCISES["ex-binding"]._replace(reference=lambda *args: binding_reference))
    value_inputs = {"ex-path-length": (A, y), "ex-deq-rate": (Phi, Y, 0.5, 0.01),
                    "ex-parallel": (Xs, u / np.linalg.norm(u), [1.0, 0.1]), "ex-underparam": (A.T,),
                    "ex-zero-output": (net, mlp.init(jax.random.key(0), net, "zero_output"), Xs, Xs[:, :1], 0.01),
                    "ex-sigma-norm": (16,),
                    "ex-square": (jax.random.key(3), 16, act),
                    "ex-neumann": (0.5 * np.eye(4)[::-1], np.abs(rng.standard_normal((3, 4))), rng.standard_normal((3, 4))),
                    "ex-nonconvex-pl": (20.0,),
                    "ex-binding": (jax.random.key(7), *_tiny_binding_data()),
                    "ex-zero-w2": (mlp.MLP((4, 5, 3, 1), activation=act), jax.random.key(4), 2.0 * Xs, Xs[:, :1]),
                    "ex-small-gamma": (Xs, (0.2, 0.1))}
    relu_net = mlp.MLP((4, 5, 3, 1))
    stuck = mlp.init(jax.random.key(1), relu_net, "lecun")
    stuck[1] = -np.ones((5, 3))
    property_cases = {  # label: (inputs, a right answer, a wrong one)
        "ex-relu-pl": ((relu_net, Xs, Xs[:, :1]), stuck, mlp.init(jax.random.key(1), relu_net, "lecun")),
        "ex-two-equilibria": ((), [np.zeros(2), np.ones(2)], [np.zeros(2), np.zeros((1, 2))]),
    }
    assert set(value_inputs) | set(property_cases) | {k for k, e in check.EXERCISES.items() if e.kind == "function"} \
        == set(check.EXERCISES)
    for label, ex in check.EXERCISES.items():
        if ex.kind == "value":
            ref = ex.reference(*value_inputs[label])
            assert check.exercise(label, ref, *value_inputs[label]), label
            v = check.exercise(label, np.asarray(ref) * 1.01, *value_inputs[label])
        elif ex.kind == "property":
            inputs, right, wrong = property_cases[label]
            assert check.exercise(label, right, *inputs), label
            v = check.exercise(label, wrong, *inputs)
        else:
            assert check.exercise(label, ex.reference), label
            v = check.exercise(label, lambda *args, _f=ex.reference: 1.01 * np.asarray(_f(*args)))
        assert not v and ex.hint in str(v), (label, str(v))


def test_property_checks_say_what_is_wrong():
    import jax
    from lib import mlp
    v = check.exercise("ex-two-equilibria", [np.zeros(2), np.array([0.5, 1.0])])
    assert not v and "solutions[1] is not an equilibrium" in str(v)
    v = check.exercise("ex-two-equilibria", [np.zeros(2), np.zeros(2)])
    assert not v and "at least two different solutions" in str(v)
    assert "must hold the m = 2 entries" in str(check.exercise("ex-two-equilibria", [np.zeros(3), np.ones(2)]))
    assert "must be a list" in str(check.exercise("ex-two-equilibria", np.zeros(2)))
    net = mlp.MLP((3, 4, 2, 1))
    X = np.eye(3)
    fitted = mlp.init(jax.random.key(2), net, "lecun")
    fitted[1] = -np.ones((4, 2))
    Y_fit = np.asarray(mlp.apply(net, fitted, X))  # the point fits these labels: residual zero
    v = check.exercise("ex-relu-pl", fitted, net, X, Y_fit)
    assert not v and "residual is zero" in str(v)
    v = check.exercise("ex-relu-pl", fitted[:2], net, X, Y_fit)
    assert not v and "list of 3 weight matrices" in str(v)
    v = check.exercise("ex-relu-pl", [fitted[0], fitted[1].T, fitted[2]], net, X, Y_fit)
    assert not v and "W_2 (params[1]) has shape (2, 4), expected (4, 2)" in str(v)


def test_binding_reference_is_the_searches_answer(binding_reference):
    """On tiny data (H1) is the binding hypothesis, as in the chapter, and the hypotheses hold at each width."""
    import jax
    from lib import lastlayer, mlp
    X, Y = _tiny_binding_data()
    assert binding_reference.shape == (2, 2) and np.all(binding_reference == np.round(binding_reference))
    assert np.all(binding_reference[:, 0] == binding_reference[:, 1])
    for n, scheme in zip(binding_reference[:, 1].astype(int), ("he", "zero_output")):
        net = mlp.MLP((2, n, 1))
        report = lastlayer.theorem_check(net, mlp.init(jax.random.key(7), net, scheme), X, Y, 1e-300)
        assert all(h.holds for h in report.hypotheses)


def test_exercise_without_an_answer_needs_no_inputs():
    for label in check.EXERCISES:
        v = check.exercise(label, None, None, None)
        assert not v and str(v).startswith("No answer yet"), label


@pytest.mark.float64
def test_the_references_are_the_chapters_quantities():
    rng = np.random.default_rng(1)
    A, y = rng.standard_normal((4, 7)), rng.standard_normal(4)
    mu = np.linalg.eigvalsh(A @ A.T)[0]
    assert check.EXERCISES["ex-path-length"].reference(A, y) == pytest.approx(math.sqrt(8 * 0.5 * y @ y / mu))
    F = rng.standard_normal((3, 5))
    assert check.EXERCISES["ex-pl-several-outputs-code"].reference(F) == pytest.approx(
        np.linalg.eigvalsh(F @ F.T)[0], rel=1e-10)
    A_t, B = check.EXERCISES["ex-plain-iteration"].tests()[0]
    Z = check.EXERCISES["ex-plain-iteration"].reference(A_t, B)
    np.testing.assert_allclose(Z, np.maximum(Z @ A_t.T + B, 0.0), atol=1e-10)
    Phi = rng.standard_normal((6, 3))
    lam_plus, rate = check.EXERCISES["ex-deq-rate"].reference(Phi, np.ones((6, 2)), 0.5, 0.1)
    assert lam_plus == pytest.approx(linalg.lam_min(Phi.T @ Phi)) and rate == pytest.approx(
        0.1 * lam_plus / (1 + 0.5 * math.sqrt(3)) ** 2)
    x = np.linspace(1e-4, 20, 400_001)
    ratio = (2 * x + 3 * np.sin(2 * x)) ** 2 / (2 * (x**2 + 3 * np.sin(x) ** 2))
    assert check.EXERCISES["ex-nonconvex-pl"].reference(20.0) == pytest.approx(ratio.min(), rel=1e-6)
    assert check.EXERCISES["ex-nonconvex-pl"].reference(20.0) <= ratio.min()
