"""Chapter 2, "where the theory is loose": two width thresholds against the number of samples N.

For each initialisation (LeCun, He, zero output layer) and depth L, and each N:

* theorem: the smallest last-hidden-layer width n_(L-1) at which every hypothesis of
  the chapter's theorem holds at initialisation (lib.lastlayer.theorem_check, with the
  step size eta = 1 / (2 F_bar^2) that H4 allows);
* gd: the smallest n_(L-1) at which gradient descent (eta = 1 / lambda_max(K_0)) brings
  the loss below `--tol` times its initial value within `--steps` steps, for every seed.

Results go to a small JSON file that the chapter loads. The full run takes about
twenty minutes on two CPU cores:

    python scripts/ch2_width_sweep.py --out book/data/ch2_width_sweep.json
"""
from __future__ import annotations

import argparse
import json
import time

import jax

jax.config.update("jax_enable_x64", True)

from lib import data, linalg, mlp, train  # noqa: E402
from lib.lastlayer import theorem_check  # noqa: E402
from lib.sweep import smallest_width  # noqa: E402

SCHEMES = ("lecun", "he", "zero_output")


def dataset(N: int, d: int, seed: int):
    kx, ky = jax.random.split(jax.random.key(1000 * seed + N))
    X = data.sphere_points(kx, N, d, min_angle=0.1)
    return X, data.teacher_labels(ky, X)


def network(d: int, L: int, n: int, middle: int) -> mlp.MLP:
    return mlp.MLP((d,) + (middle,) * (L - 2) + (n, 1))


def theorem_holds(N, d, L, scheme, middle, n, seed=0):
    X, Y = dataset(N, d, seed)
    net = network(d, L, n, middle)
    params = mlp.init(jax.random.key(seed), net, scheme)
    report = theorem_check(net, params, X, Y, eta=1e-300)  # H4 then holds; the step size is free
    return report.holds


def gd_trains(N, d, L, scheme, middle, steps, tol, seeds, n):
    for seed in range(seeds):
        X, Y = dataset(N, d, seed)
        net = network(d, L, n, middle)
        params = mlp.init(jax.random.key(seed), net, scheme)
        eta = 1.0 / linalg.lam_max(mlp.ntk_gram(net, params, X))
        loss_fn = _loss(net, X, Y)
        try:
            _, hist = train.gradient_descent(loss_fn, params, eta, steps)
        except train.DivergenceError:
            return False
        if not float(hist.loss[-1]) <= tol * float(hist.loss[0]):
            return False
    return True


def _loss(net, X, Y):
    def loss(params):
        return train.square_loss(mlp.apply(net, params, X), Y)

    return loss


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--d", type=int, default=8, help="input dimension")
    parser.add_argument("--middle", type=int, default=16, help="width of the hidden layers before the wide one")
    parser.add_argument("--theorem-Ns", type=int, nargs="+", default=[4, 6, 8, 12])
    parser.add_argument("--theorem-depths", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--theorem-cap", type=int, default=2**23)
    parser.add_argument("--gd-Ns", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    parser.add_argument("--gd-depths", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--tol", type=float, default=1e-3)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default="book/data/ch2_width_sweep.json")
    args = parser.parse_args(argv)

    t0 = time.time()
    result = {"config": vars(args), "theorem": [], "gd": []}
    for L in args.theorem_depths:
        for scheme in SCHEMES:
            # deep nets: the theorem does not hold at any width we can afford; a smaller cap saves time
            cap = args.theorem_cap if L == 2 else min(args.theorem_cap, 2**21)
            for N in args.theorem_Ns:
                n = smallest_width(lambda n: theorem_holds(N, args.d, L, scheme, args.middle, n), N, cap)
                result["theorem"].append({"L": L, "scheme": scheme, "N": N, "width": n, "cap": cap})
                print(f"theorem L={L} {scheme:<11} N={N:3d}: width {n}  [{time.time() - t0:.0f}s]", flush=True)
    for L in args.gd_depths:
        for scheme in SCHEMES:
            for N in args.gd_Ns:
                n = smallest_width(
                    lambda n: gd_trains(N, args.d, L, scheme, args.middle, args.steps, args.tol, args.seeds, n),
                    1, 64 * N)
                result["gd"].append({"L": L, "scheme": scheme, "N": N, "width": n})
                print(f"gd      L={L} {scheme:<11} N={N:3d}: width {n}  [{time.time() - t0:.0f}s]", flush=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {args.out} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
