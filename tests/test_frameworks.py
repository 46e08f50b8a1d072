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


@pytest.fixture(scope="module")
def runs(problem):
    X, y = problem
    hidden = {"two_layer": (64,), "last_layer": (64,), "pyramid": (32, 8), "implicit": (32,), "deq_linear": (64,)}
    # the pyramid's narrow later layers let its kernel grow several-fold along the run: a step of half the
    # initial 1/lambda_max(K_0) would not decrease the loss at every step, so it gets a smaller one
    eta = {"pyramid": 0.03}
    return {f: frameworks.trajectory(X, y, f, h, key=jax.random.key(2), steps=300, eta=eta.get(f))
            for f, h in hidden.items()}


def test_every_trajectory_stays_within_its_path_length_bound(runs):
    """Chapter 1's lemma, applied with the PL and decrease constants each run measured: it cannot fail
    unless the lemma or the measurement is wrong."""
    for f, r in runs.items():
        assert r.loss[-1] < 1e-3 * r.loss[0], f
        assert 0 < r.decrease <= 1.0 and r.pl > 0, f
        assert r.path <= r.path_bound, f
        assert all(dist <= (r.path + r.tail) * (1 + 1e-9) for dist in r.distances.values()), f   # triangle inequality
        assert r.tail < 1e-3 * r.path, f                   # after the round-off floor the run barely moves
        assert r.eta > 0 and 0 < r.rate < 1 and r.rate_per_time > 0, f


def test_trajectory_starts_from_the_checked_network(problem, runs):
    """The run's first loss is the checked network's Phi_0, and a zero-initialised block reports inf."""
    X, y = problem
    c = frameworks.check_network(X, y, 64, key=jax.random.key(2), steps=5, frameworks=("last_layer", "two_layer"))
    assert math.isclose(runs["last_layer"].loss[0], c["last_layer"].report.quantities["loss0"], rel_tol=1e-6)
    assert math.isclose(runs["two_layer"].loss[0], c["two_layer"].report.quantities["loss0"], rel_tol=1e-6)
    assert set(runs["last_layer"].moves) == {"W1", "W2"} and runs["last_layer"].moves["W2"] == math.inf
    assert set(runs["implicit"].moves) == {"A", "W", "u"} and set(runs["deq_linear"].moves) == {"A", "B"}


def test_kernel_change_is_relative_and_shrinks_with_width_for_the_two_layer_network(problem):
    """The NTK of the two-layer network moves less at a larger width (the lazy regime), and is
    measured relative to its size."""
    X, y = problem
    narrow, wide = (frameworks.trajectory(X, y, "two_layer", m, key=jax.random.key(4), steps=200) for m in (32, 2048))
    assert wide.kernel_change < narrow.kernel_change
    assert wide.moves["W"] < narrow.moves["W"]


def test_special_initialisation_moves_only_the_second_layer(problem):
    """Chapter 3's special initialisation (W_2 = 0, first layer scaled up): the other layers' weights do
    not move in relative terms, and the path shrinks as the scale grows."""
    X, y = problem
    small, large = (frameworks.trajectory(X, y, "pyramid", (16, 8), key=jax.random.key(2), steps=300,
                                          pyramid_scale=s) for s in (16.0, 256.0))
    assert small.moves["W2"] == math.inf and large.moves["W1"] < small.moves["W1"] < 1e-2
    assert large.path < small.path / 4


def test_rate_per_time_converts_a_step_rate(problem, one_layer):
    from lib.report import TheoremReport
    step = TheoremReport("t", (), 0.1, {"eta": 0.5})
    assert math.isclose(step.rate_per_time, -math.log(0.9) / 0.5, rel_tol=1e-14)
    assert math.isnan(TheoremReport("t", (), 0.1, {}).rate_per_time)          # a step rate without its step
    assert TheoremReport("t", (), 0.3, {}, "per unit time").rate_per_time == 0.3
    flow = one_layer["deq_linear"].report
    assert flow.rate_per_time == flow.rate
    failing = frameworks.check_network(*problem, 8, key=jax.random.key(2), frameworks=("last_layer",))["last_layer"]
    assert not failing.holds and math.isnan(failing.report.rate_per_time)
