"""Chapter 3: the smallest first-layer width n_1 against the number of samples N, for both initialisations.

Network: widths (d, n_1, 16, 1) with the smooth leaky ReLU (gamma = 0.5, beta = 1); data: N
points on the sphere of radius sqrt(d), teacher labels. For each initialisation ("lecun" and
"special", lib.pyramid.special_init) and each N:

* theorem: the smallest n_1 >= N at which every hypothesis of the chapter's theorem holds at
  initialisation (lib.pyramid.theorem_check with eta = 1/Q; for the special initialisation the
  first-layer scale is lib.pyramid.admissible_scale). Where no width up to `--theorem-cap`
  suffices, the record keeps the worst hypothesis ratio max(D_1/rho_1, max_l D_l/rho_l) at the
  cap, to show how far off it is;
* gd: the smallest n_1 >= N at which gradient descent (eta = 0.5 / lambda_max of the NTK at
  LeCun initialisation) brings the loss below `--tol` times its initial value within `--steps`
  steps *and* stays where the proof works (sigma_min(F_1) and sigma_min(W_3) never below half
  their initial values), for every seed.

Results go to a small JSON file that the chapter loads. The full run takes about ten minutes on
two CPU cores:

    python scripts/ch3_width_sweep.py --out book/data/ch3_width_sweep.json
"""
from __future__ import annotations

import argparse
import json
import time

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

from lib import data, linalg, mlp, pyramid, train  # noqa: E402
from lib.activations import SmoothLeakyReLU  # noqa: E402
from lib.sweep import smallest_width  # noqa: E402

INITS = ("lecun", "special")
ACTIVATION = SmoothLeakyReLU(0.5, 1.0)


def dataset(N: int, d: int, seed: int):
    kx, ky = jax.random.split(jax.random.key(1000 * seed + N))
    X = data.sphere_points(kx, N, d, min_angle=0.1) * np.sqrt(d)
    return X, data.teacher_labels(ky, X)


def network(d: int, n1: int, later: int) -> mlp.MLP:
    return mlp.MLP((d, n1, later, 1), activation=ACTIVATION)


def initial_params(init, net, X, Y, seed):
    key = jax.random.key(seed)
    if init == "lecun":
        return mlp.init(key, net, "lecun")
    scale = pyramid.admissible_scale(key, net, X, Y)
    return None if scale is None else pyramid.special_init(key, net, scale)


def worst_ratio(report) -> float:
    h1, h2 = report.hypotheses[1:3]
    return max(h1.lhs / h1.rhs, h2.lhs / h2.rhs)


def theorem_holds(N, d, later, init, n1, seed=0):
    X, Y = dataset(N, d, seed)
    net = network(d, n1, later)
    params = initial_params(init, net, X, Y, seed)
    return params is not None and pyramid.theorem_check(net, params, X, Y).holds


def gd_trains(N, d, later, init, steps, tol, seeds, n1):
    for seed in range(seeds):
        X, Y = dataset(N, d, seed)
        net = network(d, n1, later)
        key = jax.random.key(seed)
        lecun = mlp.init(key, net, "lecun")
        params = lecun if init == "lecun" else pyramid.special_init(key, net, 1.0)
        eta = 0.5 / linalg.lam_max(mlp.ntk_gram(net, lecun, X))
        try:
            h = pyramid.run(net, params, X, Y, eta, steps).history
        except train.DivergenceError:
            return False
        sig_F, sig_W = np.asarray(h.extras["sigma_min_F1"]), np.asarray(h.extras["sigma_min_W"])
        in_ball = sig_F.min() >= sig_F[0] / 2 and (sig_W.min(axis=0) >= sig_W[0] / 2).all()
        if not (in_ball and float(h.loss[-1]) <= tol * float(h.loss[0])):
            return False
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--d", type=int, default=16, help="input dimension")
    parser.add_argument("--later", type=int, default=16, help="width n_2 of the pyramid after the wide layer")
    parser.add_argument("--Ns", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    parser.add_argument("--theorem-cap", type=int, default=2**17)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--tol", type=float, default=1e-3)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--out", default="book/data/ch3_width_sweep.json")
    args = parser.parse_args(argv)

    t0 = time.time()
    result = {"config": vars(args), "theorem": [], "gd": []}
    for init in INITS:
        for N in args.Ns:
            n1 = smallest_width(lambda n: theorem_holds(N, args.d, args.later, init, n), N, args.theorem_cap)
            record = {"init": init, "N": N, "width": n1, "cap": args.theorem_cap}
            if n1 is None:
                X, Y = dataset(N, args.d, 0)
                net = network(args.d, args.theorem_cap, args.later)
                record["worst_ratio_at_cap"] = worst_ratio(
                    pyramid.theorem_check(net, initial_params(init, net, X, Y, 0), X, Y))
            result["theorem"].append(record)
            print(f"theorem {init:<8} N={N:3d}: {record}  [{time.time() - t0:.0f}s]", flush=True)
    for init in INITS:
        for N in args.Ns:
            n1 = smallest_width(
                lambda n: gd_trains(N, args.d, args.later, init, args.steps, args.tol, args.seeds, n), N, 64 * N)
            result["gd"].append({"init": init, "N": N, "width": n1})
            print(f"gd      {init:<8} N={N:3d}: width {n1}  [{time.time() - t0:.0f}s]", flush=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {args.out} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
