"""lib.frameworks.check_network: every framework's theorem on one network description, side by side."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lib import data, deq, frameworks, lastlayer, mlp

N, D = 6, 12


@pytest.fixture(scope="module")
def problem():
    X = data.sphere_points(jax.random.key(0), N, D)
    y = jnp.sign(jax.random.normal(jax.random.key(1), (N,)))
    return X, y


@pytest.fixture(scope="module")
def one_layer(problem):
    X, y = problem
    return frameworks.check_network(X, y, 48, key=jax.random.key(2), steps=20)


def test_one_hidden_layer_every_framework_applies(one_layer):
    assert [c.framework for c in one_layer.checks] == list(frameworks.FRAMEWORKS)
    assert all(c.applies for c in one_layer.checks)
    assert [c.chapter for c in one_layer.checks] == [1, 2, 3, 4, 5]
    table = one_layer.table()
    for f in frameworks.FRAMEWORKS:
        assert f in table


def test_deq_rate_is_twice_the_pl_constant(problem, one_layer):
    X, y = problem
    r = one_layer["deq_linear"].report
    assert r.holds and r.unit == "per unit time"
    q = r.quantities
    assert math.isclose(q["mu"], q["lam_plus"] / (1 + 0.8 * math.sqrt(48)) ** 2, rel_tol=1e-12)
    assert math.isclose(r.rate, 2 * q["mu"], rel_tol=1e-12)
    assert q["loss_star"] >= 0 and q["loss0"] >= q["loss_star"]


def test_last_layer_report_is_chapter_2s_check_at_its_largest_step(problem, one_layer):
    X, y = problem
    net = mlp.MLP((D, 48, 1))
    params = mlp.init(jax.random.fold_in(jax.random.key(2), 2), net, "zero_output")
    r = one_layer["last_layer"].report
    F_bar = r.quantities["F_bar"]
    direct = lastlayer.theorem_check(net, params, X, y, 1 / (2 * F_bar**2))
    assert direct.failed == r.failed
    assert math.isclose(direct.quantities["alpha0"], r.quantities["alpha0"], rel_tol=1e-12)
    h4 = [h for h in r.hypotheses if h.name == "H4"][0]
    assert h4.holds and math.isclose(h4.lhs, h4.rhs, rel_tol=1e-12)


def test_two_layer_hypotheses_are_measured_along_the_run(one_layer):
    r = one_layer["two_layer"].report
    assert [h.name for h in r.hypotheses] == ["H0", "H1", "H2"]
    assert r.hypotheses[0].holds  # no two inputs parallel
    assert r.quantities["steps"] == 20
    assert r.quantities["loss"] < r.quantities["loss0"]
    assert r.holds == (not r.failed) and (math.isnan(r.rate) != r.holds)


def test_a_deep_network_is_checked_by_chapters_2_and_3_only(problem):
    X, y = problem
    c = frameworks.check_network(X, y, (32, 16), key=jax.random.key(3))
    assert [x.applies for x in c.checks] == [False, True, True, False, False]
    assert "2 hidden layers" in c["implicit"].reason
    narrow = frameworks.check_network(X, y, (4, 32), key=jax.random.key(3), frameworks=("pyramid",))
    assert len(narrow.checks) == 1 and not narrow["pyramid"].applies   # n_1 = 4 < N = 6
    assert "n_1 = 4 < N = 6" in narrow["pyramid"].reason


def test_one_step_size_for_every_descent_theorem(problem):
    X, y = problem
    c = frameworks.check_network(X, y, 48, key=jax.random.key(2), eta=1e-4, steps=5,
                                 frameworks=("last_layer", "implicit"))
    assert c["last_layer"].report.quantities["F_bar"] > 0
    assert c["implicit"].report.unit == "per step"   # eta given: the gradient-descent version
    with pytest.raises(KeyError, match="framework"):
        c["pyramid"]


def test_two_layer_sufficient_decrease_ignores_round_off(problem):
    """A run long enough to reach round-off: the decrease ratio is taken over the steps above round-off
    only, so the hypotheses hold at the default step 1 / lambda_max(H(W_0))."""
    X, y = problem
    r = frameworks.check_network(X, y, 512, key=jax.random.key(2), steps=300, frameworks=("two_layer",))
    r = r["two_layer"].report
    assert r.holds, r.table()
    assert 1.0 <= r.hypotheses[2].rhs < 3.0
    assert math.isclose(r.rate, r.quantities["eta"] * r.quantities["lam0"] / 2, rel_tol=1e-12)
