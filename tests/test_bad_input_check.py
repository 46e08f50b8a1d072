"""Bad input to lib.check: a mistake in calling a check raises, naming the argument."""
import numpy as np
import pytest

from lib import check

from badinput import covers, exempt, raises_naming

exempt("lib.check.Verdict", "result record that lib.check builds itself")
exempt("lib.check.Exercise", "registry record of lib.check.EXERCISES, built by lib itself")


@covers("lib.check.answer")
@pytest.mark.parametrize("kwargs, exc, names", [
    (dict(rtol=-1e-3), ValueError, "rtol"),
    (dict(rtol=float("nan")), ValueError, "rtol"),
    (dict(atol="0.1"), TypeError, "atol"),
    (dict(atol=True), TypeError, "atol"),
    (dict(name=""), TypeError, "name"),
    (dict(hint=3), TypeError, "hint"),
])
def test_answer_rejects_bad_options(kwargs, exc, names):
    raises_naming(exc, names, check.answer, 1.0, 1.0, **kwargs)


@covers("lib.check.answer")
def test_answer_rejects_bad_reference():
    raises_naming(ValueError, "reference", check.answer, 1.0, np.array([1.0, np.nan]))
    raises_naming(TypeError, "reference", check.answer, 1.0, "one")


@covers("lib.check.function")
def test_function_rejects_bad_arguments():
    ref = np.sum
    raises_naming(TypeError, "reference", check.function, ref, "not callable", [(np.ones(2),)])
    raises_naming(ValueError, "inputs", check.function, ref, ref, [])
    raises_naming(ValueError, "inputs", check.function, ref, ref, "x")
    raises_naming(TypeError, "inputs", check.function, ref, ref, [np.ones(2)])
    raises_naming(ValueError, "rtol", check.function, ref, ref, [(np.ones(2),)], rtol=-1.0)
    raises_naming(TypeError, "name", check.function, ref, ref, [(np.ones(2),)], name=None)


@covers("lib.check.exercise")
def test_exercise_rejects_bad_label_and_inputs():
    raises_naming(ValueError, "label", check.exercise, "ex-no-such-exercise", 1.0)
    raises_naming(ValueError, "label", check.exercise, 3, 1.0)
    raises_naming(ValueError, "inputs", check.exercise, "ex-path-length", 1.0)          # value: needs its inputs
    raises_naming(ValueError, "inputs", check.exercise, "ex-two-equilibria", [np.zeros(2)], np.eye(2))  # property: none
    raises_naming(ValueError, "inputs", check.exercise, "ex-relu-pl", [np.zeros(2)])    # property: needs net, X, Y
    raises_naming(ValueError, "inputs", check.exercise, "ex-pl-several-outputs-code", np.min, np.ones((2, 3)))
