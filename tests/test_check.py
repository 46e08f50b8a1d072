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


def test_every_exercise_accepts_its_reference_and_rejects_a_perturbation():
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
    value_inputs = {"ex-path-length": (A, y), "ex-deq-rate": (Phi, Y, 0.5, 0.01),
                    "ex-parallel": (Xs, u / np.linalg.norm(u), [1.0, 0.1]), "ex-underparam": (A.T,),
                    "ex-zero-output": (net, mlp.init(jax.random.key(0), net, "zero_output"), Xs, Xs[:, :1], 0.01),
                    "ex-sigma-norm": (16,),
                    "ex-square": (jax.random.key(3), 16, SmoothLeakyReLU(gamma=0.5)),
                    "ex-neumann": (0.5 * np.eye(4)[::-1], np.abs(rng.standard_normal((3, 4))), rng.standard_normal((3, 4)))}
    for label, ex in check.EXERCISES.items():
        if ex.kind == "value":
            ref = ex.reference(*value_inputs[label])
            assert check.exercise(label, ref, *value_inputs[label]), label
            v = check.exercise(label, np.asarray(ref) * 1.01, *value_inputs[label])
        else:
            assert check.exercise(label, ex.reference), label
            v = check.exercise(label, lambda *args, _f=ex.reference: 1.01 * np.asarray(_f(*args)))
        assert not v and ex.hint in str(v), (label, str(v))


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
