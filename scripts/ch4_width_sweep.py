"""Chapter 4: the widths implicit ReLU networks need, against the number of samples N.

Network: lib.implicit (z = relu(gamma A z / sqrt(m) + W x), output u.z, all of A, W, u trained), zero output
layer, gamma = `--gamma` (0.1), for the theorems and for gradient descent alike. Two data models, each with
`--seeds` seeds and nested data sets (the set for N is the first N points of one draw per seed):

* "d2N": unit-norm inputs in d = 2N (a Gaussian draw of shape (N_max, 2 N_max); the set for N is its first N
  rows restricted to the first 2N coordinates, renormalised), where lambda_0 stays bounded as N grows;
* "d32": the chapter's data model, N points on the unit sphere of R^32 at least 0.3 rad apart, where
  lambda_0 falls with N.

Labels: random signs (||y||^2 = N), or teacher labels (unit RMS, the same norm) as the contrast.

For each data set the script records lambda_0 = lambda_min(K) of the limit kernel and

* limit: the smallest width at which lib.implicit_theorem.check of limit_quantities (alpha_0^2 = m lambda_0,
  ||Z_0||^2 = m lambda_max(K), ||A_0|| = 2 sqrt(m), ||W_0|| = sqrt(m) + sqrt(d)) holds, for the flow and the
  gradient-descent theorems (and the first versions, sharp=False, for comparison);
* fresh: the smallest width at which lib.implicit_theorem.theorem_check holds on a fresh random network
  (bisection in a bracket around the limit threshold; each width is a new draw, so the predicate is noisy
  at the resolution), for the flow (`--fresh-flow-Ns`) and gradient descent (`--fresh-gd-Ns`);
* trains: for each width on a grid, whether gradient descent (eta = 1 / ||Z_0||_2^2, the NTK's top
  eigenvalue at u_0 = 0) brings the loss below `--tol` times its initial value within `--steps` steps; all
  seeds are trained at once (jax.vmap), one compilation per (N, width). The per-seed threshold is the first
  grid width at which it trains.
* run: gradient descent at the largest step the GD theorem allows, N = `--run-N`, m = `--run-m`, on the
  d32 data, with everything the chapter checks along it.

The full run takes about ten minutes on two CPU cores and prints its own time:

    python scripts/ch4_width_sweep.py --out book/data/ch4_width_sweep.json
"""
from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

from lib import data, implicit, linalg, rates  # noqa: E402
from lib import implicit_theorem as theorem  # noqa: E402
from lib.sweep import smallest_width  # noqa: E402

MODELS = ("d2N", "d32")


def full_draw(model: str, seed: int, n_max: int):
    """One draw per (model, seed): inputs for the largest N, random signs, and a key for the teacher."""
    k = jax.random.split(jax.random.key(4000 + seed), 3)
    if model == "d2N":
        X = jax.random.normal(k[0], (n_max, 2 * n_max))
    else:
        X = data.sphere_points(k[0], n_max, 32, min_angle=0.3)
    return X, jnp.where(jax.random.normal(k[1], (n_max,)) >= 0, 1.0, -1.0), k[2]


def dataset(model: str, seed: int, N: int, n_max: int, labels: str = "random"):
    """The nested data set for N: the first N points (d2N: restricted to 2N coordinates, renormalised)."""
    X, signs, kt = full_draw(model, seed, n_max)
    X = X[:N, :2 * N] if model == "d2N" else X[:N]
    X = X / jnp.linalg.norm(X, axis=1, keepdims=True)
    y = signs[:N] if labels == "random" else data.teacher_labels(kt, X)[:, 0]
    return X, y


def limit_threshold(X, y, gamma, flow, sharp=True, kernel=None, cap=10**8):
    eta = None if flow else 1e-300        # H4 then holds; it plays no role in the width
    K = implicit.limit_kernel(X, gamma) if kernel is None else kernel
    return smallest_width(lambda m: theorem.check(theorem.limit_quantities(X, y, gamma, m, K), eta, sharp).holds,
                          X.shape[0], cap, resolution=1 / 64)


def fresh_quantities(X, y, gamma, m, seed):
    """lib.implicit_theorem.Quantities of a fresh zero-output network of width m, measured with NumPy.

    The same numbers as theorem.initial_quantities (checked in main on one network), without JAX's
    compilation for every new width: Gaussian A, W (NumPy's generator), plain fixed-point iteration from Z = 0
    to a relative change of 1e-11, ||A_0||_2 by Lanczos (ARPACK), sigma_min(Z_0), ||Z_0||_2 from the N x N Gram.
    """
    import scipy.sparse.linalg as sla

    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    rng = np.random.default_rng([7000 + seed, m])
    A, W = rng.standard_normal((m, m)), rng.standard_normal((m, X.shape[1]))
    A_norm = float(sla.svds(A, k=1, tol=1e-8, return_singular_vectors=False, random_state=0)[0]) if m > 64 \
        else float(np.linalg.norm(A, 2))
    if not gamma * A_norm / np.sqrt(m) < 1:
        raise ValueError(f"not well posed at m = {m}")
    At, B = gamma * A / np.sqrt(m), X @ W.T
    Z = np.zeros_like(B)
    for _ in range(10_000):
        Z_new = np.maximum(Z @ At.T + B, 0.0)
        if np.linalg.norm(Z_new - Z) <= 1e-11 * np.linalg.norm(Z_new):
            break
        Z = Z_new
    Z = Z_new
    ev = np.linalg.eigvalsh(Z @ Z.T)
    W_norm = float(np.sqrt(np.linalg.eigvalsh(W.T @ W)[-1]))
    alpha0 = float(np.sqrt(max(ev[0], 0.0))) if m >= X.shape[0] else 0.0
    return theorem.Quantities(X.shape[0], m, gamma, alpha0, float(np.sqrt(ev[-1])), 0.5 * float(y @ y),
                              float(np.linalg.norm(X)), (A_norm, W_norm, 0.0)), (A, W)


def fresh_holds(X, y, gamma, flow, m, seed):
    return theorem.check(fresh_quantities(X, y, gamma, m, seed)[0], None if flow else 1e-300).holds


def fresh_threshold(X, y, gamma, flow, m_limit, seed, resolution=0.04):
    """Bisection in a bracket around the limit threshold; the bracket widens if a fresh draw disagrees."""
    lo, hi = int(0.9 * m_limit), int(1.15 * m_limit) + 1
    while fresh_holds(X, y, gamma, flow, lo, seed):
        lo, hi = int(lo / 1.15), lo
    while not fresh_holds(X, y, gamma, flow, hi, seed):
        lo, hi = hi, int(hi * 1.15) + 1
    while hi - lo > resolution * lo:
        mid = (lo + hi) // 2
        if fresh_holds(X, y, gamma, flow, mid, seed):
            hi = mid
        else:
            lo = mid
    return hi


def cross_check_quantities(gamma):
    """fresh_quantities agrees with lib's initial_quantities on the same network."""
    X, y = dataset("d32", 0, 4, 4)
    q, (A, W) = fresh_quantities(X, y, gamma, 96, 0)
    q_lib = theorem.initial_quantities(implicit.Params(jnp.asarray(A), jnp.asarray(W), jnp.zeros(96)), X, y, gamma)
    a = np.array([q.alpha0, q.Z_norm, q.loss0, q.X_norm, *q.norms0])
    b = np.array([q_lib.alpha0, q_lib.Z_norm, q_lib.loss0, q_lib.X_norm, *q_lib.norms0])
    assert np.allclose(a, b, rtol=1e-7), (a, b)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def _batched_gd(gamma, steps):
    def loss_one(p, X, y):
        Z = implicit.solve_equilibrium(gamma * p.A / jnp.sqrt(p.A.shape[0]), X @ p.W.T)[0]
        return 0.5 * jnp.sum((Z @ p.u - y) ** 2)

    grad_one = jax.value_and_grad(loss_one)

    def train_one(p, X, y, eta):
        def step(p, _):
            val, g = grad_one(p, X, y)
            p = jax.tree_util.tree_map(lambda a, b: a - eta * b, p, g)
            return p, val
        p, vals = jax.lax.scan(step, p, None, length=steps)
        return jnp.concatenate([vals, loss_one(p, X, y)[None]])

    return jax.jit(jax.vmap(train_one))


def trains(Xs, ys, gamma, m, steps, tol, seeds, gd_fn):
    """Per seed: whether GD from a zero output layer reaches tol * Phi_0 within `steps` steps."""
    params = [implicit.init(jax.random.fold_in(jax.random.key(9000 + s), m), m, Xs.shape[2], "zero") for s in seeds]
    P = implicit.Params(*(jnp.stack(leaves) for leaves in zip(*params)))
    etas = []
    for p, X in zip(params, Xs):
        Z = implicit.equilibrium(p, X, gamma)
        top = linalg.lam_max(Z @ Z.T)
        etas.append(1.0 / top if top > 0 else 1.0)     # Z = 0 (every unit dead): no gradient, nothing trains
    try:
        loss = np.asarray(gd_fn(P, Xs, ys, jnp.asarray(etas)))
    except Exception:  # noqa: BLE001 (JAX wraps the solver error in several types)
        # a run left the well-posed region (a solve at its cap raises): run the seeds one by one, and count a
        # seed whose run raises as not trained
        rows = []
        for i in range(len(seeds)):
            one = jax.tree_util.tree_map(lambda a: a[i:i + 1], P)
            try:
                rows.append(np.asarray(gd_fn(one, Xs[i:i + 1], ys[i:i + 1], jnp.asarray(etas[i:i + 1])))[0])
            except Exception:  # noqa: BLE001 (JAX wraps the solver error in several types)
                rows.append(np.full(steps + 1, np.nan))
        loss = np.stack(rows)
        loss[:, 0] = np.where(np.isnan(loss[:, 0]), 1.0, loss[:, 0])
    final = loss[:, -1]
    ok = np.isfinite(final) & (final <= tol * loss[:, 0])
    return ok, final / loss[:, 0]


def theorem_run(N, gamma, m, steps, n_max):
    """The GD theorem's setting (zero output, d32 data, random labels), at the largest step H4 allows."""
    X, y = dataset("d32", 0, N, n_max)
    params = implicit.init(jax.random.key(11), m, X.shape[1], "zero")
    q = theorem.initial_quantities(params, X, y, gamma)
    eta = 1 / (2 * (q.Z_norm + q.alpha0 / 2) ** 2)            # the largest step H4 allows
    report = theorem.check(q, eta)
    old = theorem.check(q, eta, sharp=False)
    h = theorem.run(params, X, y, gamma, eta, steps).history
    loss = np.asarray(h.loss)
    g = np.asarray(h.extras["grad_norms"])
    return {
        "N": N, "m": m, "eta": eta, "holds": report.holds, "holds_first_version": old.holds, "rate": report.rate,
        "table": report.table(), "table_first_version": old.table(), "alpha0": q.alpha0, "F_bar": q.Z_norm + q.alpha0 / 2,
        "loss": loss.tolist(),
        "bound": rates.linear_bound(loss[0], report.rate, steps).tolist() if report.holds else None,
        "grad_u": g[:, 2].tolist(), "grad_norm": np.asarray(h.grad_norm).tolist(),
        "sigma_ratio": (np.asarray(h.extras["sigma_min_Z"]) / q.alpha0).tolist(),
        "Z_norm": np.asarray(h.extras["Z_norm"]).tolist(),
        "moves": np.stack([np.asarray(v) for v in h.distance], axis=1).tolist(),
        "D": report.quantities["D"], "D_first_version": old.quantities["D"],
        "implicit_norm_bound": np.asarray(h.extras["implicit_norm_bound"]).tolist(),
        "a_bar": report.quantities["bounds"].a,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gamma", type=float, default=0.1, help="scale of the implicit matrix")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--Ns", type=int, nargs="+", default=[4, 8, 16, 32, 64, 128], help="N for the limit thresholds")
    parser.add_argument("--fresh-flow-Ns", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    parser.add_argument("--fresh-gd-Ns", type=int, nargs="+", default=[4])
    parser.add_argument("--fresh-models", nargs="+", default=["d2N"], choices=MODELS)
    parser.add_argument("--gd-Ns", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    parser.add_argument("--gd-widths", type=int, nargs="+", default=[2, 4, 8, 16, 32, 64, 128])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--tol", type=float, default=1e-2)
    parser.add_argument("--run-N", type=int, default=4)
    parser.add_argument("--run-m", type=int, default=2048)
    parser.add_argument("--run-steps", type=int, default=60)
    parser.add_argument("--out", default="book/data/ch4_width_sweep.json")
    args = parser.parse_args(argv)

    t0 = time.time()
    n_max = max(args.Ns + args.gd_Ns + args.fresh_flow_Ns + args.fresh_gd_Ns + [args.run_N])
    seeds = list(range(args.seeds))
    result = {"config": vars(args), "limit": [], "fresh": [], "trains": [], "run": None, "cross_check": None}
    for model in MODELS:
        for N in args.Ns:
            for s in seeds:
                X, y = dataset(model, s, N, n_max)
                K = np.asarray(implicit.limit_kernel(X, args.gamma))
                row = {"model": model, "N": N, "d": int(X.shape[1]), "seed": s, "lam0": float(np.linalg.eigvalsh(K)[0]),
                       "lam_max": float(np.linalg.eigvalsh(K)[-1]), "y_norm": float(jnp.linalg.norm(y)),
                       "X_norm": float(jnp.linalg.norm(X))}
                for flow in (True, False):
                    v = "flow" if flow else "gd"
                    row[v] = limit_threshold(X, y, args.gamma, flow, kernel=K)
                    row[v + "_first_version"] = limit_threshold(X, y, args.gamma, flow, sharp=False, kernel=K)
                result["limit"].append(row)
            rows = [r for r in result["limit"] if r["model"] == model and r["N"] == N]
            print(f"limit {model} N={N:4d}: lambda_0 {np.median([r['lam0'] for r in rows]):.3f}  flow "
                  f"{np.median([r['flow'] for r in rows]):.0f}  gd {np.median([r['gd'] for r in rows]):.0f}  "
                  f"[{time.time() - t0:.0f}s]", flush=True)
    result["cross_check"] = cross_check_quantities(args.gamma)
    limits = {(r["model"], r["N"], r["seed"]): r for r in result["limit"]}
    for model in args.fresh_models:
        for version, Ns in (("flow", args.fresh_flow_Ns), ("gd", args.fresh_gd_Ns)):
            for N in Ns:
                for s in seeds:
                    X, y = dataset(model, s, N, n_max)
                    lim = limits.get((model, N, s))
                    m_lim = lim[version] if lim else limit_threshold(X, y, args.gamma, version == "flow")
                    m = fresh_threshold(X, y, args.gamma, version == "flow", m_lim, s)
                    result["fresh"].append({"model": model, "version": version, "N": N, "seed": s, "width": m,
                                            "limit": m_lim})
                print(f"fresh {model} {version} N={N:4d}: " + ", ".join(
                    f"{r['width']}" for r in result["fresh"] if r["model"] == model and r["version"] == version
                    and r["N"] == N) + f"  [{time.time() - t0:.0f}s]", flush=True)
    for labels in ("random", "teacher"):
        for N in args.gd_Ns:
            sets = [dataset("d2N", s, N, n_max, labels) for s in seeds]
            Xs, ys = jnp.stack([a for a, _ in sets]), jnp.stack([b for _, b in sets])
            gd_fn = _batched_gd(args.gamma, args.steps)
            first = [None] * len(seeds)
            for m in args.gd_widths:
                ok, frac = trains(Xs, ys, args.gamma, m, args.steps, args.tol, seeds, gd_fn)
                result["trains"].append({"labels": labels, "N": N, "m": m, "trained": ok.tolist(),
                                         "final_fraction": [float(v) if np.isfinite(v) else None for v in frac]})
                for i, o in enumerate(ok):
                    if o and first[i] is None:
                        first[i] = m
                if all(f is not None for f in first):
                    break
            print(f"trains {labels} N={N:4d}: first widths {first}  [{time.time() - t0:.0f}s]", flush=True)
    result["run"] = theorem_run(args.run_N, args.gamma, args.run_m, args.run_steps, n_max)
    print(result["run"]["table"])
    result["seconds"] = round(time.time() - t0)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {args.out} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
