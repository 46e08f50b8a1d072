"""Chapter 4: the widths implicit ReLU networks need, against the number of samples N.

Network: lib.implicit (z = relu(gamma A z / sqrt(m) + W x), output u.z, all of A, W, u trained);
data: N points on the unit sphere of R^d at least 0.3 rad apart, teacher labels. Three parts:

* theorem: for each N, the smallest width m >= N at which every hypothesis of the chapter's
  theorem holds at initialisation (zero output layer, gamma = `--theorem-gamma`), for gradient
  flow (lib.implicit_theorem.theorem_check with eta = None) and for gradient descent (with a step
  small enough for H4, which then plays no role), up to `--theorem-cap`;
* gd: for each N, the smallest width m >= 1 at which gradient descent (LeCun output layer,
  gamma = `--gamma`, eta = 1 / lambda_max of the NTK at initialisation) brings the loss below
  `--tol` times its initial value within `--steps` steps, for every one of `--seeds` seeds;
* run: gradient descent at the largest step the theorem allows, on a network where the
  gradient-descent theorem holds (N = `--run-N`, m = `--run-m`), with the measured loss, the
  guaranteed bound, sigma_min(Z_k) / alpha_0 and the movement of each block against its D_p.

Results go to a small JSON file that the chapter loads. The full run takes about eleven minutes
on two CPU cores:

    python scripts/ch4_width_sweep.py --out book/data/ch4_width_sweep.json
"""
from __future__ import annotations

import argparse
import json
import time

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

from lib import data, implicit, kernels, linalg, rates, train  # noqa: E402
from lib import implicit_theorem as theorem  # noqa: E402
from lib.sweep import smallest_width  # noqa: E402


def dataset(N: int, d: int, seed: int):
    kx, ky = jax.random.split(jax.random.key(1000 * seed + N))
    X = data.sphere_points(kx, N, d, min_angle=0.3)
    return X, data.teacher_labels(ky, X)[:, 0]


def theorem_holds(N, d, gamma, flow, m, seed=0):
    X, Y = dataset(N, d, seed)
    params = implicit.init(jax.random.key(seed), m, d, "zero")
    return theorem.theorem_check(params, X, Y, gamma, None if flow else 1e-300).holds


def gd_trains(N, d, gamma, steps, tol, seeds, m):
    for seed in range(seeds):
        X, Y = dataset(N, d, seed)
        params = implicit.init(jax.random.key(seed), m, d)
        eta = 1.0 / linalg.lam_max(kernels.empirical_ntk(lambda p, x: implicit.predict(p, x, gamma), params, X))

        def loss_fn(p):
            return implicit.loss(p, X, Y, gamma)

        try:
            _, h = train.gradient_descent(loss_fn, params, eta, steps)
        except train.DivergenceError:
            return False
        if not float(h.loss[-1]) <= tol * float(h.loss[0]):
            return False
    return True


def theorem_run(N, d, gamma, m, steps, seed=0):
    X, Y = dataset(N, d, seed)
    params = implicit.init(jax.random.key(seed), m, d, "zero")
    probe = theorem.theorem_check(params, X, Y, gamma, 1e-300)
    eta = 1 / (2 * probe.quantities["F_bar"] ** 2)  # the largest step H4 allows
    report = theorem.theorem_check(params, X, Y, gamma, eta)
    h = theorem.run(params, X, Y, gamma, eta, steps).history
    loss = np.asarray(h.loss)
    sig = np.asarray(h.extras["sigma_min_Z"])
    moves = np.stack([np.asarray(v) for v in h.distance], axis=1)  # (T+1, 3): A, W, u
    return {
        "N": N, "m": m, "eta": eta, "holds": report.holds, "rate": report.rate, "table": report.table(),
        "loss": loss.tolist(),
        "bound": rates.linear_bound(loss[0], report.rate, steps).tolist() if report.holds else None,
        "sigma_ratio": (sig / sig[0]).tolist(), "moves": moves.tolist(), "D": report.quantities["D"],
        "implicit_norm_bound": np.asarray(h.extras["implicit_norm_bound"]).tolist(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--d", type=int, default=32, help="input dimension")
    parser.add_argument("--gamma", type=float, default=0.3, help="scale of the implicit matrix for gradient descent")
    parser.add_argument("--theorem-gamma", type=float, default=0.1, help="scale of the implicit matrix for the theorem")
    parser.add_argument("--Ns", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    parser.add_argument("--theorem-Ns", type=int, nargs="+", default=[2, 4, 8, 16])
    parser.add_argument("--theorem-cap", type=int, default=8192)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--tol", type=float, default=1e-3)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--run-N", type=int, default=4)
    parser.add_argument("--run-m", type=int, default=6144)
    parser.add_argument("--run-steps", type=int, default=100)
    parser.add_argument("--out", default="book/data/ch4_width_sweep.json")
    args = parser.parse_args(argv)

    t0 = time.time()
    result = {"config": vars(args), "theorem": [], "gd": [], "run": None}
    for flow in (True, False):
        for N in args.theorem_Ns:
            m = smallest_width(lambda n: theorem_holds(N, args.d, args.theorem_gamma, flow, n), N, args.theorem_cap)
            result["theorem"].append({"version": "flow" if flow else "gd", "N": N, "width": m, "cap": args.theorem_cap})
            print(f"theorem {'flow' if flow else 'gd'} N={N:3d}: width {m}  [{time.time() - t0:.0f}s]", flush=True)
    for N in args.Ns:
        m = smallest_width(lambda n: gd_trains(N, args.d, args.gamma, args.steps, args.tol, args.seeds, n), 1, 16 * N)
        result["gd"].append({"N": N, "width": m})
        print(f"gd N={N:3d}: width {m}  [{time.time() - t0:.0f}s]", flush=True)
    result["run"] = theorem_run(args.run_N, args.d, args.theorem_gamma, args.run_m, args.run_steps)
    print(result["run"]["table"])
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {args.out} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
