import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib import data, lastlayer, mlp, pyramid, train
from lib.activations import ReLU, SmoothLeakyReLU

from precision import tol


@pytest.mark.parametrize("widths,N,match", [
    ((4, 5, 3, 1), 8, "widths\\[1\\] = n_1 = 5 < N = 8: the first hidden layer must be at least as wide"),
    ((4, 16, 8, 12, 1), 8, "widths\\[3\\] = 12 > widths\\[2\\] = 8: .*pyramidal topology"),
    ((4, 16), 8, "at least one hidden layer"),
])
def test_check_topology_rejects_wrong_topologies(widths, N, match):
    with pytest.raises(ValueError, match=match):
        pyramid.check_topology(widths, N)


def test_check_topology_accepts_a_pyramid():
    assert pyramid.check_topology((4, 16, 8, 8, 3, 1), 16) is None


@pytest.mark.property
@given(seed=st.integers(0, 2**31 - 1), gamma=st.floats(0.05, 0.9), depth=st.integers(3, 5),
       scale=st.floats(0.3, 3.0))
def test_weak_pl_inequality_at_random_full_rank_points(seed, gamma, depth, scale):
    k = jax.random.split(jax.random.key(seed), 4)
    N, d = 6, 4
    X = data.sphere_points(k[0], N, d)
    Y = jax.random.normal(k[1], (N, 2))
    widths = (d, 8) + tuple(range(7, 7 - (depth - 2), -1)) + (2,)
    net = mlp.MLP(widths, activation=SmoothLeakyReLU(gamma, 1.0))
    params = [scale * W for W in mlp.init(k[2], net, "lecun")]
    grad_W2, bound = pyramid.weak_pl_sides(net, params, X, Y)
    assert bound > 0 and grad_W2 >= bound * (1 - 1e-9)


def test_weak_pl_constant_is_zero_for_relu_deeper_than_two():
    net = mlp.MLP((3, 8, 4, 1))
    X = data.sphere_points(jax.random.key(0), 5, 3)
    assert pyramid.weak_pl_constant(net, mlp.init(jax.random.key(1), net, "he"), X) == 0.0


def test_lambda_star_monte_carlo_brackets_the_closed_form():
    X = data.sphere_points(jax.random.key(0), 6, 5, min_angle=0.3)
    for leak, act in [(0.0, ReLU()), (0.2, SmoothLeakyReLU(0.2, 1e5))]:
        est = pyramid.lambda_star(jax.random.key(1), X, act, num_samples=40_000)
        exact = pyramid.lambda_star_closed(X, leak)
        assert est.low <= est.estimate <= est.high
        assert est.low - 0.02 * exact <= exact <= est.high + 0.02 * exact   # CI, with slack for the smoothing


def test_lambda_star_is_the_limit_of_first_layer_features():
    X = data.sphere_points(jax.random.key(2), 5, 4, min_angle=0.3)
    n1 = 200_000
    net = mlp.MLP((4, n1, 1))
    F1 = mlp.features(net, mlp.init(jax.random.key(3), net, "lecun"), X)[1]
    from lib import linalg

    assert linalg.lam_min(F1 @ F1.T / n1) == pytest.approx(pyramid.lambda_star_closed(X), rel=0.05)


def test_lambda_star_errors():
    X = data.sphere_points(jax.random.key(0), 4, 3)
    with pytest.raises(ValueError, match="num_samples must be an integer >= 2"):
        pyramid.lambda_star(jax.random.key(0), X, ReLU(), num_samples=1)
    with pytest.raises(ValueError, match="level must lie in \\(0, 1\\)"):
        pyramid.lambda_star(jax.random.key(0), X, ReLU(), num_samples=10, level=1.0)
    with pytest.raises(ValueError, match="leak must lie in \\[0, 1\\)"):
        pyramid.lambda_star_closed(X, leak=1.0)


def test_lastlayer_theorem_check_refuses_non_relu():
    net = mlp.MLP((3, 8, 1), activation=SmoothLeakyReLU(0.1, 1.0))
    X = data.sphere_points(jax.random.key(0), 4, 3)
    with pytest.raises(ValueError, match="the chapter 2 theorem is for ReLU networks"):
        lastlayer.theorem_check(net, mlp.init(jax.random.key(0), net, "he"), X, jnp.ones((4, 1)), 0.1)


def _problem(N=6, d=5, seed=0):
    kx, ky = jax.random.split(jax.random.key(seed))
    X = data.sphere_points(kx, N, d, min_angle=0.2) * d**0.5
    return X, data.teacher_labels(ky, X)


def test_special_init_structure():
    net = mlp.MLP((5, 6, 4, 3, 1), activation=SmoothLeakyReLU(0.5, 1.0))
    p = pyramid.special_init(jax.random.key(0), net, 8.0)
    assert [W.shape for W in p] == [(5, 6), (6, 4), (4, 3), (3, 1)]
    assert float(jnp.abs(p[1]).max()) == 0.0
    for W in p[2:]:
        assert jnp.allclose(W.T @ W, jnp.eye(W.shape[1]), atol=tol(1e-12, 1e-6))     # orthonormal columns
    p1 = pyramid.special_init(jax.random.key(0), net, 1.0)
    assert jnp.allclose(p[0], 8.0 * p1[0])


@pytest.mark.parametrize("kwargs,match", [
    ({"scale": 0.0}, "scale \\(of the first layer\\) must be a positive finite number, got 0.0"),
    ({"scale": float("nan")}, "scale \\(of the first layer\\) must be a positive finite number"),
])
def test_special_init_errors(kwargs, match):
    net = mlp.MLP((5, 6, 4, 1), activation=SmoothLeakyReLU(0.5, 1.0))
    with pytest.raises(ValueError, match=match):
        pyramid.special_init(jax.random.key(0), net, **kwargs)


def test_special_init_rejects_shallow_nets_ntk_and_growing_widths():
    with pytest.raises(ValueError, match="special_init needs L >= 3 layers"):
        pyramid.special_init(jax.random.key(0), mlp.MLP((5, 6, 1)), 1.0)
    with pytest.raises(ValueError, match="special_init is for the standard parameterisation"):
        pyramid.special_init(jax.random.key(0), mlp.MLP((5, 6, 4, 1), parameterization="ntk"), 1.0)
    with pytest.raises(ValueError, match="widths\\[3\\] = 8 > widths\\[2\\] = 4: orthonormal columns"):
        pyramid.special_init(jax.random.key(0), mlp.MLP((5, 6, 4, 8, 1)), 1.0)


def test_theorem_holds_for_special_init_at_width_N_and_its_conclusions_follow():
    X, Y = _problem()
    net = mlp.MLP((5, 6, 4, 1), activation=SmoothLeakyReLU(0.5, 1.0))
    scale = pyramid.admissible_scale(jax.random.key(1), net, X, Y)
    assert scale is not None and scale >= 1.0
    params = pyramid.special_init(jax.random.key(1), net, scale)
    report = pyramid.theorem_check(net, params, X, Y)
    assert report.holds and report.rate > 0 and "all hypotheses hold" in report.table()
    q = report.quantities
    assert q["eta"] == pytest.approx(1 / q["Q"])
    assert q["R"] == pytest.approx(3 * (2 * q["loss0"] / q["alpha"]) ** 0.5)     # path length 2 sqrt(.) + last step
    assert q["eta"] * q["alpha"] <= 1.0 and q["E"][-1] ** 2 >= q["alpha"]
    h = pyramid.run(net, params, X, Y, q["eta"], 20).history
    assert (np.diff(np.asarray(h.loss)) <= 0).all()
    dist = np.sqrt(sum(np.asarray(v) ** 2 for v in h.distance))
    path = q["eta"] * np.concatenate([[0.0], np.cumsum(np.asarray(h.grad_norm)[:-1])])
    assert (dist <= path * (1 + tol(1e-9, 1e-4)) + 1e-300).all() and path[-1] <= q["path_length"]
    assert dist.max() <= q["R"]
    # half the scale must fail H1 or H2: admissible_scale returns the smallest power of two
    if scale > 1:
        half = pyramid.theorem_check(net, pyramid.special_init(jax.random.key(1), net, scale / 2), X, Y)
        assert set(half.failed) & {"H1", "H2"}


def test_theorem_check_reports_failures_instead_of_raising():
    X, Y = _problem()
    net = mlp.MLP((5, 64, 4, 1), activation=SmoothLeakyReLU(0.5, 1.0))
    params = mlp.init(jax.random.key(0), net, "lecun")
    report = pyramid.theorem_check(net, params, X, Y, eta=10.0)
    assert not report.holds and {"H1", "H2", "H3"} <= set(report.failed)
    assert np.isnan(report.rate) and "the theorem guarantees nothing" in report.table()
    narrow = mlp.MLP((5, 4, 4, 1), activation=SmoothLeakyReLU(0.5, 1.0))
    r0 = pyramid.theorem_check(narrow, mlp.init(jax.random.key(0), narrow, "lecun"), X, Y)
    assert r0.failed == ("H0", "H1", "H2", "H3") and "n_1 = 4 < N = 6" in r0.hypotheses[0].note


def test_theorem_report_radius_uses_the_path_length_lemma_and_the_spectral_norm_of_X():
    from lib import rates

    X, Y = _problem()
    net = mlp.MLP((5, 64, 4, 1), activation=SmoothLeakyReLU(0.5, 1.0))
    s = pyramid.init_summary(net, mlp.init(jax.random.key(0), net, "lecun"), X, Y)
    q = pyramid.theorem_report(s, net.activation).quantities
    assert q["path_length"] == pytest.approx(rates.path_length_bound(s.loss0, q["alpha"]))
    assert q["rho1"] == pytest.approx(s.lam_F / (2 * s.X_spec)) and s.X_spec < s.X_fro
    assert q["lam_bar"] == pytest.approx([w + q["R"] for w in s.W_norms])
    # the slack of each hypothesis is right side / left side
    assert q["slack"]["H1"] == pytest.approx(q["rho1"] / q["R"])
    assert q["slack"]["H2"] == pytest.approx(s.lam[0] / 2 / q["R"])
    # H1 and H2 scale as the theory says: R ~ sqrt(Phi_0) / lam_F at fixed later layers
    s2 = s._replace(lam_F=4 * s.lam_F)
    q2 = pyramid.theorem_report(s2, net.activation).quantities
    assert q2["R"] == pytest.approx(q["R"] / 4)


def test_nested_lecun_summaries_match_the_materialised_networks():
    X, Y = _problem()
    act = SmoothLeakyReLU(0.5, 1.0)
    key = jax.random.key(5)
    big = mlp.MLP((5, 300, 4, 3, 1), activation=act)
    grid = [6, 100, 128, 257, 300]
    sums = pyramid.nested_lecun_summaries(key, big, X, Y, grid, chunk=128)
    for n, s in zip(grid, sums):
        net = mlp.MLP((5, n, 4, 3, 1), activation=act)
        p = pyramid.nested_lecun_init(key, net, chunk=128)
        ref = pyramid.init_summary(net, p, X, Y)
        assert s.widths == ref.widths and s.N == ref.N
        for a, b in zip(s[2:], ref[2:]):
            np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=tol(1e-9, 2e-4))
    # the nesting: the narrower network's first layer is a prefix of the wider one's
    p_small = pyramid.nested_lecun_init(key, mlp.MLP((5, 100, 4, 3, 1), activation=act), chunk=128)
    p_big = pyramid.nested_lecun_init(key, big, chunk=128)
    np.testing.assert_allclose(p_small[0], p_big[0][:, :100])
    # until stops the pass at the first width where it is true
    stopped = pyramid.nested_lecun_summaries(key, big, X, Y, grid, chunk=128, until=lambda s: s.widths[1] >= 128)
    assert [s.widths[1] for s in stopped] == [6, 100, 128]


def test_hessian_norm_and_feature_jacobian_norms_match_dense_computations():
    X, Y = _problem()
    net = mlp.MLP((5, 6, 4, 1), activation=SmoothLeakyReLU(0.5, 1.0))
    p = mlp.init(jax.random.key(1), net, "lecun")
    flat, unravel = jax.flatten_util.ravel_pytree(p)
    H = jax.hessian(lambda v: train.square_loss(mlp.apply(net, unravel(v), X), Y))(flat)
    exact = float(np.abs(np.linalg.eigvalsh(np.asarray(H, dtype=np.float64))).max())
    est = pyramid.hessian_norm(net, p, X, Y, jax.random.key(0), num_iters=500)
    assert est <= exact * (1 + tol(1e-9, 1e-4)) and est >= 0.99 * exact
    norms = pyramid.feature_jacobian_norms(net, p, X, jax.random.key(0), num_iters=300)
    for l, n in enumerate(norms, start=1):
        J = jax.jacobian(lambda v: mlp.features(net, unravel(v), X)[l].ravel())(flat)
        top = float(np.linalg.norm(np.asarray(J, dtype=np.float64), 2))
        assert n <= top * (1 + tol(1e-9, 1e-4)) and n >= 0.99 * top
    # and lem-smooth's recursions bound them
    lam_bar = [float(jnp.linalg.norm(W, 2)) for W in p]
    phi = pyramid.norm_bounds(float(jnp.linalg.norm(X)), lam_bar, float(net.activation(0.0)), 6, net.widths)
    E, _ = pyramid.smoothness_terms(phi, lam_bar, 1.0)
    assert all(n <= e for n, e in zip(norms, E[1:]))
    assert exact <= pyramid.smoothness_constant(phi, lam_bar, 1.0, float(jnp.linalg.norm(Y)))


def test_theorem_check_errors():
    X, Y = _problem()
    smooth = mlp.MLP((5, 8, 4, 1), activation=SmoothLeakyReLU(0.5, 1.0))
    p = mlp.init(jax.random.key(0), smooth, "lecun")
    with pytest.raises(ValueError, match="needs sigma' in \\[gamma, 1\\] with gamma > 0"):
        relu = mlp.MLP((5, 8, 4, 1))
        pyramid.theorem_check(relu, mlp.init(jax.random.key(0), relu, "lecun"), X, Y)
    with pytest.raises(ValueError, match="standard parameterisation"):
        ntk = mlp.MLP((5, 8, 4, 1), parameterization="ntk", activation=SmoothLeakyReLU(0.5, 1.0))
        pyramid.theorem_check(ntk, mlp.init(jax.random.key(0), ntk, "ntk"), X, Y)
    with pytest.raises(ValueError, match="eta \\(step size\\) must be None or a positive finite number, got -1"):
        pyramid.theorem_check(smooth, p, X, Y, eta=-1.0)
    with pytest.raises(ValueError, match="Y must have n_L = 1 columns"):
        pyramid.theorem_check(smooth, p, X, jnp.ones((6, 2)))
    with pytest.raises(ValueError, match="max_doublings must be a non-negative integer"):
        pyramid.admissible_scale(jax.random.key(0), smooth, X, Y, max_doublings=-1)
    with pytest.raises(ValueError, match="the first hidden layer must be at least as wide"):
        pyramid.run(mlp.MLP((5, 4, 4, 1), activation=SmoothLeakyReLU(0.5, 1.0)),
                    mlp.init(jax.random.key(0), mlp.MLP((5, 4, 4, 1)), "lecun"), X, Y, 0.1, 2)


@pytest.mark.property
@given(seed=st.integers(0, 2**31 - 1), beta=st.floats(0.2, 5.0), radius=st.floats(0.05, 1.0))
def test_smoothness_constant_bounds_measured_gradient_lipschitz_ratios(seed, beta, radius):
    k = jax.random.split(jax.random.key(seed), 5)
    X, Y = _problem(seed=seed % 7)
    net = mlp.MLP((5, 7, 4, 3, 1), activation=SmoothLeakyReLU(0.3, beta))
    p0 = mlp.init(k[0], net, "lecun")
    lam_bar = [float(jnp.linalg.norm(W, 2)) + radius for W in p0]
    phi = pyramid.norm_bounds(float(jnp.linalg.norm(X)), lam_bar, float(net.activation(0.0)), 6, net.widths)
    Q = pyramid.smoothness_constant(phi, lam_bar, beta, float(jnp.linalg.norm(Y)))

    def point(key):
        ks = jax.random.split(key, net.L)
        return [W + radius * jax.random.uniform(kk) * D / jnp.linalg.norm(D, 2)
                for kk, W, D in zip(ks, p0, [jax.random.normal(kk, W.shape) for kk, W in zip(ks, p0)])]

    grad = jax.grad(lambda p: train.square_loss(mlp.apply(net, p, X), Y))
    pa, pb = point(k[1]), point(k[2])
    num = jnp.sqrt(sum(jnp.sum((a - b) ** 2) for a, b in zip(grad(pa), grad(pb))))
    den = jnp.sqrt(sum(jnp.sum((a - b) ** 2) for a, b in zip(pa, pb)))
    assert float(num / den) <= Q


def test_run_records_weak_pl_sides_and_feature_moves():
    X, Y = _problem()
    net = mlp.MLP((5, 6, 4, 3, 1), activation=SmoothLeakyReLU(0.5, 1.0))
    h = pyramid.run(net, mlp.init(jax.random.key(2), net, "lecun"), X, Y, 0.01, 30).history
    lhs, rhs = np.asarray(h.extras["grad_W2"]), np.asarray(h.extras["pl_bound"])
    assert lhs.shape == (31,) and (lhs >= rhs * (1 - 1e-9)).all()
    assert np.asarray(h.extras["sigma_min_W"]).shape == (31, 2)
    moves = np.asarray(h.extras["feature_moves"])
    assert moves.shape == (31, 3) and (moves[0] == 0).all() and (moves[-1] > 0).all()
