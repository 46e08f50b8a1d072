"""Bad input to the theorem modules (lastlayer, pyramid, report, plotting, explore) gets a clear error.

Each case asserts the exception type and that the message names the argument
(``badinput.raises_naming``); the last tests check that reasonable input (lists,
tuples, NumPy integers, JAX scalars, float32 arrays) is accepted and converted.
"""
import math

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib import explore, lastlayer, mlp, plotting, pyramid, report
from lib.activations import SmoothLeakyReLU

from badinput import covers, exempt, raises_naming

exempt("lib.lastlayer.LastLayerRun", "result record that lastlayer.run builds itself")
exempt("lib.pyramid.PyramidRun", "result record that pyramid.run builds itself")
exempt("lib.pyramid.LambdaStar", "result record that pyramid.lambda_star builds itself")
exempt("lib.pyramid.InitSummary", "result record that pyramid.init_summary and nested_lecun_summaries build")
exempt("lib.report.Hypothesis", "result record that the theorem checks build themselves")
exempt("lib.report.TheoremReport", "result record that the theorem checks build themselves")
exempt("lib.plotting.use_house_style", "takes no arguments")

BAD_POSITIVE = [0.0, -1.0, math.nan, math.inf, -math.inf]
BAD_TYPE = [None, "1", 1 + 2j, np.complex128(1.0), True, np.ones(2)]
ACT = SmoothLeakyReLU(0.5, 1.0)


@pytest.fixture(scope="module")
def relu():
    key = jax.random.key(0)
    X = jax.random.normal(key, (4, 3))
    X = X / jnp.linalg.norm(X, axis=1, keepdims=True)
    Y = jax.random.normal(jax.random.fold_in(key, 1), (4, 1))
    net = mlp.MLP((3, 8, 6, 1))
    return net, mlp.init(jax.random.key(1), net, "he"), X, Y


@pytest.fixture(scope="module")
def pyr():
    key = jax.random.key(2)
    X = jax.random.normal(key, (4, 3))
    Y = jax.random.normal(jax.random.fold_in(key, 1), (4, 1))
    net = mlp.MLP((3, 6, 4, 2, 1), activation=ACT)
    return net, mlp.init(jax.random.key(3), net, "lecun"), X, Y


def _bad_arrays(X, Y):
    """(X, Y, argument named) cases common to every function taking data."""
    Xn = np.asarray(X).copy()
    Xn[0, 0] = np.nan
    Yi = np.asarray(Y).copy()
    Yi[1, 0] = np.inf
    return [
        (Xn, Y, "X"),
        (X, Yi, "Y"),
        (np.asarray(X)[0], Y, "X"),  # wrong rank
        (X, np.asarray(Y)[:-1], ("X", "Y")),  # N mismatch
        (np.zeros((0, X.shape[1])), np.zeros((0, 1)), "X"),  # empty
        (np.asarray(X) + 1j, Y, "X"),  # complex
        (X, np.asarray(Y) + 1j, "Y"),
        (None, Y, "X"),
        (X, np.ones((X.shape[0], 3)), "Y"),  # wrong n_L
    ]


def _exc(X, Y):
    complex_or_none = any(a is None or np.iscomplexobj(a) for a in (X, Y))
    return TypeError if complex_or_none else ValueError


# ---- lastlayer -------------------------------------------------------------------------------------------------

@covers("lib.lastlayer.feature_lipschitz", "lib.lastlayer.gradient_bounds", "lib.lastlayer.cross_constant",
        "lib.lastlayer.trajectory_bounds", "lib.lastlayer.radii")
def test_lastlayer_constants_refuse_bad_norms():
    lam = [1.0, 2.0, 0.5]
    for fn, extra in ((lastlayer.feature_lipschitz, ()), (lastlayer.cross_constant, ()),
                      (lastlayer.gradient_bounds, (1.0,)), (lastlayer.trajectory_bounds, (2.0, 0.5))):
        for bad in (-1.0, math.nan, math.inf):
            raises_naming(ValueError, "X_spec", fn, bad, 3.0, lam, *extra)
            raises_naming(ValueError, "X_frob", fn, 1.0, bad, lam, *extra)
        raises_naming(ValueError, "X_spec", fn, 4.0, 3.0, lam, *extra)    # ||X||_2 > ||X||_F is impossible
        for bad in ([], [1.0, -2.0], [1.0, math.nan], [[1.0, 2.0]]):
            raises_naming(ValueError, "lam_bar", fn, 1.0, 3.0, bad, *extra)
        raises_naming(TypeError, "lam_bar", fn, 1.0, 3.0, [1.0, 2j], *extra)
        raises_naming(TypeError, "lam_bar", fn, 1.0, 3.0, None, *extra)
        raises_naming(TypeError, "X_spec", fn, 1j, 3.0, lam, *extra)
        raises_naming(TypeError, "X_frob", fn, 1.0, "3", lam, *extra)
    raises_naming(ValueError, "F_bar", lastlayer.gradient_bounds, 1.0, 3.0, lam, -1.0)
    raises_naming(TypeError, "F_bar", lastlayer.gradient_bounds, 1.0, 3.0, lam, None)
    raises_naming(ValueError, "loss0", lastlayer.trajectory_bounds, 1.0, 3.0, lam, math.nan, 0.5)
    raises_naming(ValueError, "alpha0", lastlayer.trajectory_bounds, 1.0, 3.0, lam, 2.0, 0.0)  # 1 / alpha0
    raises_naming(ValueError, "alpha0", lastlayer.radii, 1.0, 3.0, lam, 2.0, -1.0)
    raises_naming(ValueError, "X_spec", lastlayer.radii, 5.0, 3.0, lam, 2.0, 1.0)
    raises_naming(ValueError, "W_norms0", lastlayer.radii, 1.0, 3.0, [1.0, math.inf], 2.0, 1.0)
    raises_naming(ValueError, "max_iter", lastlayer.radii, 1.0, 3.0, lam, 2.0, 1.0, max_iter=0)
    raises_naming(TypeError, "max_iter", lastlayer.radii, 1.0, 3.0, lam, 2.0, 1.0, max_iter=2.5)


@covers("lib.lastlayer.theorem_check")
def test_lastlayer_theorem_check_refuses_bad_input(relu):
    net, params, X, Y = relu
    for Xb, Yb, name in _bad_arrays(X, Y):
        raises_naming(_exc(Xb, Yb), name, lastlayer.theorem_check, net, params, Xb, Yb, 1e-3)
    for bad in BAD_POSITIVE:
        raises_naming(ValueError, "eta", lastlayer.theorem_check, net, params, X, Y, bad)
    for bad in BAD_TYPE:
        raises_naming(TypeError, "eta", lastlayer.theorem_check, net, params, X, Y, bad)
    raises_naming(TypeError, "net", lastlayer.theorem_check, (3, 8, 6, 1), params, X, Y, 1e-3)
    raises_naming(ValueError, "params", lastlayer.theorem_check, net, params[:2], X, Y, 1e-3)
    raises_naming(ValueError, "params[1]", lastlayer.theorem_check, net, [params[0], params[1].T, params[2]],
                  X, Y, 1e-3)
    raises_naming(ValueError, "params[0]", lastlayer.theorem_check, net,
                  [params[0].at[0, 0].set(jnp.nan), *params[1:]], X, Y, 1e-3)
    raises_naming(TypeError, "params[2]", lastlayer.theorem_check, net, [*params[:2], params[2] + 0j], X, Y, 1e-3)
    raises_naming(TypeError, "params", lastlayer.theorem_check, net, None, X, Y, 1e-3)
    raises_naming(ValueError, "activation", lastlayer.theorem_check, mlp.MLP((3, 8, 6, 1), activation=ACT),
                  params, X, Y, 1e-3)


@covers("lib.lastlayer.run")
def test_lastlayer_run_refuses_bad_input(relu):
    net, params, X, Y = relu
    for Xb, Yb, name in _bad_arrays(X, Y):
        raises_naming(_exc(Xb, Yb), name, lastlayer.run, net, params, Xb, Yb, 1e-3, 2)
    for bad in BAD_POSITIVE:
        raises_naming(ValueError, "eta", lastlayer.run, net, params, X, Y, bad, 2)
    raises_naming(TypeError, "eta", lastlayer.run, net, params, X, Y, 1j, 2)
    for bad, exc in ((0, ValueError), (-3, ValueError), (2.5, TypeError), (None, TypeError), ("2", TypeError)):
        raises_naming(exc, "num_steps", lastlayer.run, net, params, X, Y, 1e-3, bad)
    raises_naming(ValueError, "params0", lastlayer.run, net, params[:1], X, Y, 1e-3, 2)
    raises_naming(TypeError, "net", lastlayer.run, "net", params, X, Y, 1e-3, 2)


# ---- pyramid ---------------------------------------------------------------------------------------------------

@covers("lib.pyramid.check_topology")
def test_check_topology_refuses_bad_widths():
    raises_naming(ValueError, "widths[3]", pyramid.check_topology, (3, 8, 4, 6, 1), 4)
    raises_naming(ValueError, "widths[1]", pyramid.check_topology, (3, 2, 2, 1), 4)
    raises_naming(ValueError, "widths", pyramid.check_topology, (3, 8), 4)
    raises_naming(ValueError, "widths[2]", pyramid.check_topology, (3, 8, 0, 1), 4)
    raises_naming(TypeError, "widths[2]", pyramid.check_topology, (3, 8, 4.5, 1), 4)
    raises_naming(TypeError, "widths", pyramid.check_topology, None, 4)
    raises_naming(TypeError, "widths", pyramid.check_topology, "3-8-4", 4)
    for bad, exc in ((0, ValueError), (-1, ValueError), (2.0, TypeError), (None, TypeError)):
        raises_naming(exc, "N", pyramid.check_topology, (3, 8, 4, 1), bad)


@covers("lib.pyramid.weak_pl_constant", "lib.pyramid.weak_pl_sides")
def test_weak_pl_refuses_bad_input(pyr):
    net, params, X, Y = pyr
    for Xb, Yb, name in _bad_arrays(X, Y):
        raises_naming(_exc(Xb, Yb), name, pyramid.weak_pl_sides, net, params, Xb, Yb)
    for Xb, _, name in _bad_arrays(X, Y)[:1] + _bad_arrays(X, Y)[2:3] + _bad_arrays(X, Y)[5:6]:
        raises_naming(_exc(Xb, Xb), "X", pyramid.weak_pl_constant, net, params, Xb)
    raises_naming(ValueError, "params", pyramid.weak_pl_constant, net, params[:2], X)
    raises_naming(TypeError, "net", pyramid.weak_pl_constant, None, params, X)
    raises_naming(ValueError, "widths[1]", pyramid.weak_pl_constant, net, params, jnp.ones((9, 3)))


@covers("lib.pyramid.lambda_star", "lib.pyramid.lambda_star_closed")
def test_lambda_star_refuses_bad_input(pyr):
    _, _, X, _ = pyr
    key = jax.random.key(0)
    for bad, exc in ((1, ValueError), (0, ValueError), (10.0, TypeError), (None, TypeError)):
        raises_naming(exc, "num_samples", pyramid.lambda_star, key, X, ACT, num_samples=bad)
    raises_naming(ValueError, "num_boot", pyramid.lambda_star, key, X, ACT, num_samples=10, num_boot=0)
    for bad in (0.0, 1.0, math.nan, -0.5):
        raises_naming(ValueError, "level", pyramid.lambda_star, key, X, ACT, num_samples=10, level=bad)
    raises_naming(TypeError, "level", pyramid.lambda_star, key, X, ACT, num_samples=10, level=0.5j)
    raises_naming(TypeError, "key", pyramid.lambda_star, 0, X, ACT, num_samples=10)
    raises_naming(TypeError, "activation", pyramid.lambda_star, key, X, "relu", num_samples=10)
    raises_naming(TypeError, "X", pyramid.lambda_star, key, np.asarray(X) * 1j, ACT, num_samples=10)
    raises_naming(ValueError, "X", pyramid.lambda_star, key, np.full((3, 2), np.inf), ACT, num_samples=10)
    for bad in (-0.1, 1.0, math.nan, math.inf):
        raises_naming(ValueError, "leak", pyramid.lambda_star_closed, X, leak=bad)
    raises_naming(TypeError, "leak", pyramid.lambda_star_closed, X, leak=None)
    raises_naming(TypeError, "X", pyramid.lambda_star_closed, np.asarray(X) + 0j)
    raises_naming(ValueError, "X", pyramid.lambda_star_closed, np.ones(3))


@covers("lib.pyramid.special_init")
def test_special_init_refuses_bad_input(pyr):
    net = pyr[0]
    key = jax.random.key(0)
    for bad in BAD_POSITIVE:
        raises_naming(ValueError, "scale", pyramid.special_init, key, net, bad)
    for bad in (None, 1j, "1"):
        raises_naming(TypeError, "scale", pyramid.special_init, key, net, bad)
    raises_naming(TypeError, "net", pyramid.special_init, key, (3, 6, 4, 1), 1.0)
    raises_naming(TypeError, "key", pyramid.special_init, None, net, 1.0)
    raises_naming(ValueError, "widths[3]", pyramid.special_init, key, mlp.MLP((3, 6, 2, 4, 1), activation=ACT), 1.0)
    raises_naming(ValueError, "L", pyramid.special_init, key, mlp.MLP((3, 6, 1), activation=ACT), 1.0)


@covers("lib.pyramid.norm_bounds", "lib.pyramid.smoothness_constant")
def test_norm_bounds_and_smoothness_refuse_bad_input():
    lam, widths = [1.0, 2.0, 1.5], (3, 6, 4, 1)
    raises_naming(ValueError, "X_norm", pyramid.norm_bounds, -1.0, lam, 0.3, 4, widths)
    raises_naming(ValueError, "lam_bar", pyramid.norm_bounds, 3.0, [1.0, math.nan, 1.0], 0.3, 4, widths)
    raises_naming(ValueError, "sigma0", pyramid.norm_bounds, 3.0, lam, math.inf, 4, widths)
    raises_naming(TypeError, "sigma0", pyramid.norm_bounds, 3.0, lam, 1j, 4, widths)
    raises_naming(ValueError, "N", pyramid.norm_bounds, 3.0, lam, 0.3, 0, widths)
    raises_naming(ValueError, "widths", pyramid.norm_bounds, 3.0, lam, 0.3, 4, (3, 6, 1))  # IndexError before
    raises_naming(TypeError, "widths[1]", pyramid.norm_bounds, 3.0, lam, 0.3, 4, (3, 6.5, 4, 1))
    phi = pyramid.norm_bounds(3.0, lam, 0.3, 4, widths)
    raises_naming(ValueError, "phi", pyramid.smoothness_constant, phi[:-1], lam, 1.0, 2.0)
    raises_naming(ValueError, "phi", pyramid.smoothness_constant, [math.nan, *phi[1:]], lam, 1.0, 2.0)
    raises_naming(ValueError, "lam_bar", pyramid.smoothness_constant, phi, [1.0, -1.0, 1.0], 1.0, 2.0)
    raises_naming(ValueError, "beta", pyramid.smoothness_constant, phi, lam, -1.0, 2.0)
    raises_naming(ValueError, "Y_norm", pyramid.smoothness_constant, phi, lam, 1.0, math.nan)
    raises_naming(TypeError, "Y_norm", pyramid.smoothness_constant, phi, lam, 1.0, None)


@covers("lib.pyramid.theorem_check", "lib.pyramid.admissible_scale")
def test_pyramid_theorem_check_refuses_bad_input(pyr):
    net, params, X, Y = pyr
    key = jax.random.key(0)
    for Xb, Yb, name in _bad_arrays(X, Y):
        raises_naming(_exc(Xb, Yb), name, pyramid.theorem_check, net, params, Xb, Yb)
        raises_naming(_exc(Xb, Yb), name, pyramid.admissible_scale, key, net, Xb, Yb, max_doublings=1)
    for bad in BAD_POSITIVE:
        raises_naming(ValueError, "eta", pyramid.theorem_check, net, params, X, Y, bad)
    for bad in ("1", 1j, True):
        raises_naming(TypeError, "eta", pyramid.theorem_check, net, params, X, Y, bad)
    raises_naming(ValueError, "params", pyramid.theorem_check, net, params[:3], X, Y)
    raises_naming(TypeError, "net", pyramid.theorem_check, object(), params, X, Y)
    raises_naming(ValueError, "activation", pyramid.theorem_check, mlp.MLP(net.widths), params, X, Y)
    for bad, exc in ((-1, ValueError), (1.5, TypeError), (None, TypeError)):
        raises_naming(exc, "max_doublings", pyramid.admissible_scale, key, net, X, Y, max_doublings=bad)
    raises_naming(TypeError, "key", pyramid.admissible_scale, 3, net, X, Y)


@covers("lib.pyramid.run")
def test_pyramid_run_refuses_bad_input(pyr):
    net, params, X, Y = pyr
    for Xb, Yb, name in _bad_arrays(X, Y):
        raises_naming(_exc(Xb, Yb), name, pyramid.run, net, params, Xb, Yb, 1e-3, 2)
    for bad in BAD_POSITIVE:
        raises_naming(ValueError, "eta", pyramid.run, net, params, X, Y, bad, 2)
    for bad, exc in ((0, ValueError), (1.0, TypeError)):
        raises_naming(exc, "num_steps", pyramid.run, net, params, X, Y, 1e-3, bad)
    raises_naming(ValueError, "params0", pyramid.run, net, [*params[:3], params[3].T], X, Y, 1e-3, 2)
    raises_naming(ValueError, "widths[1]", pyramid.run, net, params, jnp.ones((8, 3)), jnp.ones((8, 1)), 1e-3, 2)


@covers("lib.pyramid.smoothness_terms")
def test_smoothness_terms_refuse_bad_input():
    lam = [1.0, 2.0, 1.5]
    phi = pyramid.norm_bounds(3.0, lam, 0.3, 4, (3, 6, 4, 1))
    raises_naming(ValueError, "phi", pyramid.smoothness_terms, phi[:-1], lam, 1.0)
    raises_naming(ValueError, "lam_bar", pyramid.smoothness_terms, phi, [1.0, math.inf, 1.0], 1.0)
    raises_naming(ValueError, "beta", pyramid.smoothness_terms, phi, lam, -0.5)
    raises_naming(TypeError, "beta", pyramid.smoothness_terms, phi, lam, "1")


@covers("lib.pyramid.init_summary", "lib.pyramid.theorem_report")
def test_init_summary_and_theorem_report_refuse_bad_input(pyr):
    net, params, X, Y = pyr
    for Xb, Yb, name in _bad_arrays(X, Y):
        raises_naming(_exc(Xb, Yb), name, pyramid.init_summary, net, params, Xb, Yb)
    raises_naming(TypeError, "net", pyramid.init_summary, None, params, X, Y)
    raises_naming(ValueError, "params", pyramid.init_summary, net, params[:2], X, Y)
    raises_naming(ValueError, "parameterization", pyramid.init_summary,
                  mlp.MLP(net.widths, parameterization="ntk", activation=ACT), params, X, Y)
    summary = pyramid.init_summary(net, params, X, Y)
    raises_naming(TypeError, "summary", pyramid.theorem_report, tuple(summary), ACT)
    raises_naming(ValueError, "activation", pyramid.theorem_report, summary, mlp.MLP(net.widths).activation)
    for bad in BAD_POSITIVE:
        raises_naming(ValueError, "eta", pyramid.theorem_report, summary, ACT, bad)
    raises_naming(TypeError, "eta", pyramid.theorem_report, summary, ACT, "0.1")


@covers("lib.pyramid.nested_lecun_init", "lib.pyramid.nested_lecun_summaries")
def test_nested_lecun_refuse_bad_input(pyr):
    net, _, X, Y = pyr
    key = jax.random.key(0)
    for bad, exc in ((0, ValueError), (2.5, TypeError), (None, TypeError)):
        raises_naming(exc, "chunk", pyramid.nested_lecun_init, key, net, chunk=bad)
        raises_naming(exc, "chunk", pyramid.nested_lecun_summaries, key, net, X, Y, [6], chunk=bad)
    raises_naming(TypeError, "key", pyramid.nested_lecun_init, 0, net)
    raises_naming(TypeError, "net", pyramid.nested_lecun_init, key, (3, 6, 4, 1))
    raises_naming(ValueError, "parameterization", pyramid.nested_lecun_init, key,
                  mlp.MLP(net.widths, parameterization="ntk", activation=ACT))
    raises_naming(ValueError, "L", pyramid.nested_lecun_init, key, mlp.MLP((3, 6), activation=ACT))
    for Xb, Yb, name in _bad_arrays(X, Y):
        raises_naming(_exc(Xb, Yb), name, pyramid.nested_lecun_summaries, key, net, Xb, Yb, [6])
    raises_naming(ValueError, "X", pyramid.nested_lecun_summaries, key, net, np.ones((4, 5)), Y, [6])
    raises_naming(ValueError, "n1_grid", pyramid.nested_lecun_summaries, key, net, X, Y, [])
    raises_naming(ValueError, "n1_grid", pyramid.nested_lecun_summaries, key, net, X, Y, [7])
    raises_naming(ValueError, "n1_grid[0]", pyramid.nested_lecun_summaries, key, net, X, Y, [0])
    raises_naming(TypeError, "n1_grid[1]", pyramid.nested_lecun_summaries, key, net, X, Y, [2, 2.5])
    raises_naming(TypeError, "n1_grid", pyramid.nested_lecun_summaries, key, net, X, Y, 6)
    raises_naming(TypeError, "until", pyramid.nested_lecun_summaries, key, net, X, Y, [6], until=True)


@covers("lib.pyramid.hessian_norm", "lib.pyramid.feature_jacobian_norms")
def test_hessian_and_jacobian_norms_refuse_bad_input(pyr):
    net, params, X, Y = pyr
    key = jax.random.key(0)
    for Xb, Yb, name in _bad_arrays(X, Y):
        raises_naming(_exc(Xb, Yb), name, pyramid.hessian_norm, net, params, Xb, Yb, key)
    raises_naming(_exc(np.asarray(X) + 1j, None), "X", pyramid.feature_jacobian_norms, net, params,
                  np.asarray(X) + 1j, key)
    for fn, args in ((pyramid.hessian_norm, (X, Y)), (pyramid.feature_jacobian_norms, (X,))):
        raises_naming(TypeError, "net", fn, None, params, *args, key)
        raises_naming(ValueError, "params", fn, net, params[:2], *args, key)
        raises_naming(TypeError, "key", fn, net, params, *args, 3)
        for bad, exc in ((0, ValueError), (1.5, TypeError)):
            raises_naming(exc, "num_iters", fn, net, params, *args, key, num_iters=bad)


# ---- report, plotting --------------------------------------------------------------------------------------------

@covers("lib.report.smallest_radii")
def test_smallest_radii_refuses_bad_input():
    def D(rho):
        return [0.5 + 0.1 * r for r in rho]

    raises_naming(TypeError, "trajectory", report.smallest_radii, None, 2, 1.0)
    for bad, exc in ((0, ValueError), (2.0, TypeError), (None, TypeError)):
        raises_naming(exc, "n", report.smallest_radii, D, bad, 1.0)
    for bad in BAD_POSITIVE:
        raises_naming(ValueError, "scale", report.smallest_radii, D, 2, bad)
    raises_naming(ValueError, "max_iter", report.smallest_radii, D, 2, 1.0, max_iter=0)
    raises_naming(ValueError, "trajectory", report.smallest_radii, lambda rho: [1.0], 2, 1.0)


@covers("lib.plotting.loss_vs_bound")
def test_loss_vs_bound_refuses_bad_input():
    ok = np.array([1.0, 0.5, 0.25])
    try:
        raises_naming(ValueError, ("loss", "bound"), plotting.loss_vs_bound, ok, ok[:2])
        raises_naming(ValueError, ("loss", "bound"), plotting.loss_vs_bound, np.ones((3, 1)), np.ones((3, 1)))
        raises_naming(ValueError, ("loss", "bound"), plotting.loss_vs_bound, np.zeros(0), np.zeros(0))
        raises_naming(ValueError, "loss", plotting.loss_vs_bound, np.array([1.0, np.nan, 0.2]), ok)
        raises_naming(ValueError, "loss", plotting.loss_vs_bound, np.array([1.0, np.inf, 0.2]), ok)
        raises_naming(ValueError, "bound", plotting.loss_vs_bound, ok, np.array([1.0, np.nan, 0.2]))
        raises_naming(TypeError, "loss", plotting.loss_vs_bound, ok + 1j, ok)
        raises_naming(TypeError, "bound", plotting.loss_vs_bound, ok, None)
        raises_naming(TypeError, "loss", plotting.loss_vs_bound, ["a", "b", "c"], ok)
        raises_naming(ValueError, "loss_star", plotting.loss_vs_bound, ok, ok, loss_star=math.nan)
        raises_naming(TypeError, "ax", plotting.loss_vs_bound, ok, ok, ax="left")
        raises_naming(TypeError, "label", plotting.loss_vs_bound, ok, ok, label=3)
    finally:
        plt.close("all")


# ---- explore -----------------------------------------------------------------------------------------------------

@covers("lib.explore.two_layer_data", "lib.explore.deep_relu_data", "lib.explore.pyramid_data",
        "lib.explore.implicit_data", "lib.explore.deq_data")
def test_explorer_data_refuse_bad_arguments():
    for fn in (explore.two_layer_data, explore.deep_relu_data, explore.pyramid_data, explore.implicit_data):
        for bad, exc in ((0, ValueError), (2.5, TypeError), ([4], TypeError), (None, TypeError)):
            raises_naming(exc, "N", fn, N=bad)
            raises_naming(exc, "d", fn, d=bad)
        for bad, exc in ((-0.1, ValueError), (2.0, ValueError), (math.nan, ValueError), (1j, TypeError)):
            raises_naming(exc, "min_angle", fn, min_angle=bad)
        raises_naming(TypeError, "seed", fn, seed=0.5)
    raises_naming(ValueError, "n", explore.deq_data, n=0)
    raises_naming(TypeError, "seed", explore.deq_data, seed="0")


@covers("lib.explore.two_layer", "lib.explore.deep_relu", "lib.explore.pyramid_net", "lib.explore.deq_linear",
        "lib.explore.implicit_net")
def test_explorers_refuse_bad_arguments_before_running():
    try:
        # the fuzz findings: these ran something other than what was asked
        raises_naming(ValueError, "init", explore.pyramid_net, init="LeCun")
        raises_naming(ValueError, "init", explore.pyramid_net, init="orthogonal")
        raises_naming(ValueError, "depth", explore.deep_relu, depth=1)
        raises_naming(ValueError, "scheme", explore.deep_relu, scheme="He")
        raises_naming(ValueError, "scheme", explore.deep_relu, scheme="ntk")
        raises_naming(ValueError, "solver", explore.implicit_net, solver="Anderson")
        raises_naming(TypeError, "solver", explore.implicit_net, solver=None)
        for fn in (explore.two_layer, explore.deep_relu, explore.deq_linear, explore.implicit_net):
            for bad, exc in ((0, ValueError), (-4, ValueError), (3.5, TypeError), (None, TypeError)):
                raises_naming(exc, "width", fn, width=bad)
                raises_naming(exc, "num_steps", fn, num_steps=bad)
            raises_naming(TypeError, "seed", fn, seed=1.5)
        for fn in (explore.deep_relu, explore.pyramid_net, explore.deq_linear, explore.implicit_net):
            for bad in BAD_POSITIVE:
                raises_naming(ValueError, "eta_scale", fn, eta_scale=bad)
            raises_naming(TypeError, "eta_scale", fn, eta_scale=1j)
        for bad in BAD_POSITIVE:
            raises_naming(ValueError, "eta", explore.two_layer, eta=bad)
        for bad, exc in ((0.0, ValueError), (1.0, ValueError), (math.nan, ValueError), (0.5j, TypeError)):
            raises_naming(exc, "gamma", explore.pyramid_net, gamma=bad)
            raises_naming(exc, "gamma", explore.deq_linear, gamma=bad)
        raises_naming(ValueError, "gamma", explore.implicit_net, gamma=-0.3)
        for bad, exc in (("16-x", ValueError), ("16--8", ValueError), ("0", ValueError), ((16, 8), TypeError)):
            raises_naming(exc, "topology", explore.pyramid_net, topology=bad)
        raises_naming(ValueError, "n1", explore.pyramid_net, n1=0)
        raises_naming(ValueError, "depth", explore.deep_relu, depth=0)
        raises_naming(TypeError, "depth", explore.deep_relu, depth=3.0)
    finally:
        plt.close("all")


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not x > 0 or math.isinf(x)),
                 st.none(), st.complex_numbers(allow_nan=False).filter(lambda z: z.imag != 0), st.text(max_size=3)))
@covers("lib.explore.two_layer")
def test_two_layer_step_size_property(eta):
    exc = ValueError if isinstance(eta, float) else TypeError
    raises_naming(exc, "eta", explore.two_layer, eta=eta)
    plt.close("all")


def test_pyramid_explorer_keeps_reporting_a_wrong_topology_in_the_figure():
    # a topology that parses but is not a pyramid is a result the explorer shows (the chapter's dropdown offers one)
    fig = explore.pyramid_net(topology="8-16", num_steps=2)
    assert any("pyramidal" in t.get_text() for ax in fig.axes for t in ax.texts)
    plt.close("all")


# ---- reasonable input is accepted ------------------------------------------------------------------------------

def test_lastlayer_accepts_tuples_lists_numpy_and_jax_scalars(relu):
    net, params, X, Y = relu
    eta = 2.0**-10  # exact in float32, so a JAX scalar of either pass holds the same number
    ref = lastlayer.theorem_check(net, params, X, Y, eta)
    for p, Xa, Ya, eta in ((tuple(params), X, Y, eta),
                           (params, np.asarray(X).tolist(), np.asarray(Y)[:, 0].tolist(), eta),
                           (params, X, Y, jnp.asarray(eta)), (params, X, Y, np.float32(eta))):
        r = lastlayer.theorem_check(net, p, Xa, Ya, eta)
        assert r.table() == ref.table()
    run = lastlayer.run(net, tuple(params), X, Y, jnp.asarray(1e-3), np.int64(3))
    assert run.history.loss.shape == (4,)
    assert lastlayer.gradient_bounds(np.float64(1.0), jnp.asarray(3.0), np.array([1.0, 2.0, 0.5]), jnp.asarray(2.0))[-1] == 2.0
    assert lastlayer.cross_constant(1, 3, (1, 2, 1)) == lastlayer.cross_constant(1.0, 3.0, [1.0, 2.0, 1.0])


def test_lastlayer_accepts_integer_data(relu):
    net, params, _, _ = relu
    Xi = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]])
    Yi = np.array([1, -1, 2, 0])
    r = lastlayer.theorem_check(net, params, Xi, Yi, 1e-3)
    assert r.quantities["N"] == 4 and math.isfinite(r.quantities["loss0"])


@pytest.mark.float64  # float32 arrays mixed into float64 computations only arise when x64 is on
def test_float32_arrays_are_accepted_under_x64(pyr):
    net, params, X, Y = pyr
    r64 = pyramid.theorem_check(net, params, X, Y)
    r32 = pyramid.theorem_check(net, [W.astype(jnp.float32) for W in params], X.astype(jnp.float32),
                                Y.astype(jnp.float32))
    assert r32.quantities["N"] == r64.quantities["N"]
    assert math.isclose(r32.quantities["loss0"], r64.quantities["loss0"], rel_tol=1e-5)


def test_pyramid_accepts_numpy_integers_and_tuples(pyr):
    net, params, X, Y = pyr
    pyramid.check_topology(np.array([3, 6, 4, 2, 1]), np.int64(4))
    pyramid.check_topology([np.int64(3), 6, 4, 1], jnp.asarray(4))
    phi = pyramid.norm_bounds(np.float64(3.0), np.array([1.0, 2.0, 1.5]), jnp.asarray(0.5), np.int64(4),
                              np.array([3, 6, 4, 1]))
    assert phi == pyramid.norm_bounds(3.0, [1.0, 2.0, 1.5], 0.5, 4, (3, 6, 4, 1))
    assert pyramid.special_init(jax.random.key(0), net, np.float32(2.0))[0].shape == (3, 6)
    r = pyramid.theorem_check(net, tuple(params), X, Y, jnp.asarray(1e-4))
    assert r.quantities["eta"] == pytest.approx(1e-4)
    assert pyramid.admissible_scale(jax.random.key(0), net, X, Y, max_doublings=np.int64(0)) in (None, 1.0)
    assert pyramid.lambda_star(jax.random.key(0), X, ACT, num_samples=np.int64(8), num_boot=4).num_samples == 8
    assert pyramid.run(net, tuple(params), X, Y, np.float64(1e-3), np.int64(2)).history.loss.shape == (3,)


def test_explorer_data_accept_numpy_integers():
    X, Y = explore.deep_relu_data(N=np.int64(8))
    X2, _ = explore.deep_relu_data()
    assert np.array_equal(np.asarray(X), np.asarray(X2))


# ---- finite input never gives NaN or a cryptic crash -----------------------------------------------------------

def test_lastlayer_degenerate_but_finite_input_gives_a_report(relu):
    net, params, X, Y = relu
    for case in (dict(X=jnp.zeros_like(X)),  # F_(L-1) = 0: F_bar = 0 (was ZeroDivisionError)
                 dict(params=[jnp.zeros_like(W) for W in params]),
                 dict(Y=mlp.apply(net, params, X)),  # Phi_0 = 0: zero radii (was 0 / 0)
                 dict(X=X[:1], Y=Y[:1])):  # N = 1
        args = dict(net=net, params=params, X=X, Y=Y, eta=1e-3) | case
        r = lastlayer.theorem_check(**args)
        assert not any(isinstance(v, float) and math.isnan(v) for h in r.hypotheses for v in (h.lhs, h.rhs))
    r = lastlayer.theorem_check(net, params, X, mlp.apply(net, params, X), 1e-3)
    assert r.hypotheses[3].holds and r.hypotheses[3].lhs == 0.0
    assert lastlayer.run(net, params, X[:1], Y[:1], 1e-3, 2).history.loss.shape == (3,)
    # L = 1: F_(L-1) = X does not move; the run records it instead of crashing inside the scan
    net1 = mlp.MLP((3, 1))
    h = lastlayer.run(net1, [params[0][:, :1]], X, Y, 1e-3, 2).history
    assert h.extras["sigma_min_F"].shape == (3,)


def test_theorem_checks_refuse_overflowing_input(relu, pyr):
    # float64: ||X||_F and Phi_0 overflow; float32: X * 1e200 is already inf. Either way X is named.
    net, params, X, Y = relu
    with np.errstate(over="ignore"):
        raises_naming(ValueError, "X", lastlayer.theorem_check, net, params, X * 1e200, Y, 1e-3)
        netp, paramsp, Xp, Yp = pyr
        raises_naming(ValueError, "X", pyramid.theorem_check, netp, paramsp, Xp * 1e200, Yp)


def test_pyramid_degenerate_but_finite_input(pyr):
    net, params, X, Y = pyr
    r = pyramid.theorem_check(net, params, jnp.zeros_like(X), Y)  # ||X||_F = 0: rho_1 undefined
    assert r.failed[0] == "H0" and "X = 0" in r.hypotheses[0].note
    net2 = mlp.MLP((3, 6, 1), activation=ACT)  # L = 2: H2 is vacuous (was max() of an empty sequence)
    p2 = mlp.init(jax.random.key(5), net2, "lecun")
    r2 = pyramid.theorem_check(net2, p2, X, Y)
    assert r2.hypotheses[2].lhs == 0.0 and r2.hypotheses[2].holds
    h2 = pyramid.run(net2, p2, X, Y, 1e-3, 2).history  # was "Need at least one array to stack"
    assert h2.extras["sigma_min_W"].shape == (3, 0)
    assert pyramid.lambda_star_closed(X.at[0].set(0.0)) == 0.0  # a zero row: the kernel's row vanishes (was NaN)
    raises_naming(ValueError, "activation", pyramid.lambda_star, jax.random.key(0), X, lambda x: x * jnp.nan,
                  num_samples=10, num_boot=2)
    raises_naming(ValueError, "trajectory", report.smallest_radii, lambda rho: [math.nan, 1.0], 2, 1.0)


# ---------------------------------------------------------------- implicit_theorem: quantities and check (chapter 4)

def _implicit_problem():
    from lib import data, implicit
    k = jax.random.split(jax.random.key(3), 3)
    X = data.sphere_points(k[0], 3, 8, min_angle=0.3)
    y = jnp.array([1.0, -1.0, 1.0])
    return X, y, implicit.init(k[2], 16, 8, "zero")


@covers("lib.implicit_theorem.initial_quantities", "lib.implicit_theorem.limit_quantities",
        "lib.implicit_theorem.check", "lib.implicit_theorem.Quantities")
def test_implicit_quantities_and_check():
    from lib import implicit_theorem as thm
    X, y, p = _implicit_problem()
    for g in BAD_POSITIVE:
        raises_naming(ValueError, "gamma", thm.initial_quantities, p, X, y, g)
        raises_naming(ValueError, "gamma", thm.limit_quantities, X, y, g, 16)
    raises_naming(ValueError, "gamma", thm.limit_quantities, X, y, 1.5, 16)      # the limit kernel needs gamma < 1
    raises_naming(TypeError, "params", thm.initial_quantities, (p.A,), X, y, 0.1)
    raises_naming(ValueError, "Y", thm.initial_quantities, p, X, y[:2], 0.1)
    raises_naming(ValueError, "X", thm.limit_quantities, X.at[0, 0].set(math.nan), y, 0.1, 16)
    for n, exc in ((0, ValueError), (2.5, TypeError), ("8", TypeError)):
        raises_naming(exc, "m", thm.limit_quantities, X, y, 0.1, n)
    raises_naming(ValueError, "kernel", thm.limit_quantities, X, y, 0.1, 16, jnp.eye(2))
    raises_naming(ValueError, "kernel", thm.limit_quantities, X, y, 0.1, 16, jnp.full((3, 3), math.nan))
    q = thm.initial_quantities(p, X, y, 0.1)
    raises_naming(TypeError, "q", thm.check, tuple(q))
    raises_naming(ValueError, "q.alpha0", thm.check, q._replace(alpha0=-1.0))
    raises_naming(ValueError, "q.loss0", thm.check, q._replace(loss0=math.nan))
    raises_naming(TypeError, "q.norms0", thm.check, q._replace(norms0=(1.0, 2.0)))
    raises_naming(ValueError, "q.m", thm.check, q._replace(m=0))
    raises_naming(TypeError, "q.N", thm.check, q._replace(N=3.0))
    raises_naming(ValueError, "gamma", thm.check, q._replace(gamma=0.0))
    for eta, exc in ((0.0, ValueError), (-1.0, ValueError), (math.nan, ValueError), ("1", TypeError)):
        raises_naming(exc, "eta", thm.check, q, eta)
    raises_naming(TypeError, "sharp", thm.check, q, None, "yes")
    raises_naming(TypeError, "sharp", thm.theorem_check, p, X, y, 0.1, None, sharp=1)
    raises_naming(TypeError, "sharp", thm.trajectory_bounds, 1.0, 0.1, 16, thm.Bounds(0.5, 1.0, 1.0), 1.0, 1.0, 1.0,
                  False, None)
    raises_naming(TypeError, "sharp", thm.radii, 1.0, 0.1, 16, (1.0, 1.0, 1.0), 1.0, 1.0, 1.0, sharp="no")
    # reasonable input: NumPy integers, JAX scalars, lists, the kernel passed in
    from lib import implicit
    K = implicit.limit_kernel(X, 0.1)
    q1 = thm.limit_quantities(np.asarray(X), [1.0, -1.0, 1.0], jnp.asarray(0.1), np.int64(16), np.asarray(K))
    q2 = thm.limit_quantities(X, y, 0.1, 16)
    np.testing.assert_allclose([q1.gamma, q1.alpha0, q1.Z_norm, q1.loss0, *q1.norms0],
                               [q2.gamma, q2.alpha0, q2.Z_norm, q2.loss0, *q2.norms0], rtol=1e-6)
    assert thm.check(q1, jnp.asarray(1e-6)).quantities["sharp"] is True
