"""Chapter 2, "the widths the theorem needs": theorem and gradient-descent width thresholds against N.

Two data models, each with `--seeds` nested data sets (the first N points of one draw):

* "bounded": inputs of norm sqrt(d) with d = 2N, the first N rows and 2N columns of one Gaussian
  draw, rescaled. The limiting feature kernel's smallest eigenvalue lambda_* stays bounded as N grows,
  so the threshold's order in N is not mixed with lambda_*(N).
* "fixed_d": unit-norm inputs in d = 8 (the chapter's own data model), where lambda_* falls with N.

Labels are random, y_i ~ N(0, 1): the theorem is about arbitrary labels. For every two-layer network
(d, n, 1) with He first layer and a zero, LeCun or He output layer:

* theorem: the smallest n at which every hypothesis of the chapter's theorem holds at initialisation
  (lib.lastlayer.theorem_check; the step size is free, so H4 is met by a tiny eta), with lambda_*,
  ||X||_2, Phi_0 and the threshold the chapter's formula predicts;
* gd (zero output layer, the theorem's network): for each seed, the smallest n on a grid from which
  gradient descent with eta = 1 / lambda_max(K_0) brings the loss below `--tol` times its initial
  value within `--steps` steps at every larger grid width up to the cap, on random labels, and on
  teacher labels as the contrast.

Results go to a small JSON file that the chapter loads. The full run takes about 8 minutes on two
otherwise idle CPU cores (487 s measured); it prints its time:

    python scripts/ch2_width_sweep.py --out book/data/ch2_width_sweep.json
"""
from __future__ import annotations

import argparse
import json
import math
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

from lib import data, kernels, lastlayer, mlp  # noqa: E402
from lib.sweep import smallest_width  # noqa: E402

SCHEMES = ("zero_output", "he", "lecun")
GAIN2 = {"lecun": 1.0, "he": 2.0, "zero_output": 2.0}  # variance gain of the first (hidden) layer


def draws(model: str, N_max: int, seed: int, d_fixed: int):
    """One draw per seed, from which every N takes its first rows (and, for "bounded", its first 2N columns)."""
    kx, ky = jax.random.split(jax.random.key(seed))
    if model == "bounded":
        X = np.asarray(jax.random.normal(kx, (N_max, 2 * N_max)))
    else:
        X = np.asarray(data.sphere_points(kx, N_max, d_fixed, min_angle=0.1))
    return X, np.asarray(jax.random.normal(ky, (N_max, 1)))


def dataset(model: str, N: int, seed: int, N_max: int, d_fixed: int):
    X, Y = draws(model, N_max, seed, d_fixed)
    if model == "bounded":
        X = X[:N, : 2 * N]
        X = X / np.linalg.norm(X, axis=1, keepdims=True) * math.sqrt(2 * N)
    else:
        X = X[:N]
    return jnp.asarray(X), jnp.asarray(Y[:N])


def lambda_star(X, scheme: str) -> float:
    r""":math:`\lambda_{\min}` of the limiting feature kernel :math:`\mathbb E[\mathrm{relu}(Xw)\mathrm{relu}(Xw)^\top]`,
    :math:`w \sim \mathcal N(0, (g/d) I)`: the arc-cosine kernel of :func:`lib.kernels.relu_kernels`, divided by d."""
    K = kernels.relu_kernels(X, L=2, c_sigma=GAIN2[scheme]).nngp / X.shape[1]
    return float(np.linalg.eigvalsh(np.asarray(K, dtype=np.float64))[0])


def predicted_width(X_spec: float, loss0: float, lam: float, out_norm: float) -> float:
    r"""The width at which (H1) holds when :math:`\alpha_0^2 = n\lambda_*` exactly: the root of
    :math:`32\|X\|_2^2(\|W_2^0\|_2 + D_2)^2 = n\lambda_*` with :math:`D_2 = K\sqrt{\Phi_0}/\sqrt{n\lambda_*}`,
    :math:`K = \sqrt2\,(2/c + 1/2)`. For the zero output layer it is :math:`8(2/c+1/2)\|X\|_2\sqrt{\Phi_0}/\lambda_*`."""
    K = math.sqrt(2.0) * (2.0 / lastlayer.DECREASE + 0.5)
    a = math.sqrt(32.0) * X_spec * out_norm
    b = math.sqrt(32.0) * X_spec * K * math.sqrt(loss0)
    u = (a + math.sqrt(a * a + 4.0 * b)) / 2.0
    return u * u / lam


def theorem_threshold(X, Y, scheme: str, seed: int, cap: int, guess: int | None = None):
    """The smallest width at which every hypothesis holds; the search starts near ``guess / 8`` to save time,
    and again from N if the hypotheses already hold there (the start must lie below the threshold)."""
    N, d = X.shape
    reports = {}

    def holds(n):
        net = mlp.MLP((d, n, 1))
        reports[n] = lastlayer.theorem_check(net, mlp.init(jax.random.key(10_000 + seed), net, scheme), X, Y, 1e-300)
        return reports[n].holds

    start = N   # a power-of-two multiple of N below guess / 4: the widths the search visits repeat across seeds,
    while guess and 8 * start <= guess:  # and each visited width compiles once
        start *= 2
    n = smallest_width(holds, start, cap)
    if n == start and start > N:
        n = smallest_width(holds, N, cap)
    if n is None:
        return {"width": None}
    q = reports[n].quantities
    return {"width": n, "alpha0_sq_over_n": q["alpha0"] ** 2 / n, "loss0": q["loss0"], "X_spec": q["X_spec"],
            "out_norm": q["W_norms0"][-1]}


def _gd_final_ratio(net, steps):
    """A jitted, seed-vmapped GD run: final loss / initial loss (inf when it diverges)."""

    def one(params, X, Y):
        loss = lambda p: 0.5 * jnp.sum((mlp.apply(net, p, X) - Y) ** 2)   # noqa: E731
        F = mlp.features(net, params, X)[-2]
        # zero output layer: only W_2 has a gradient at theta_0, and K_0 = F_1 F_1^T
        eta = 1.0 / jnp.linalg.eigvalsh(F @ F.T)[-1]
        grad = jax.grad(loss)
        p = jax.lax.fori_loop(0, steps, lambda _, p: [w - eta * g for w, g in zip(p, grad(p))], params)
        ratio = loss(p) / loss(params)
        return jnp.where(jnp.isfinite(ratio), ratio, jnp.inf)

    return jax.jit(jax.vmap(one))


def gd_thresholds(Xs, Ys, seeds, grid, steps, tol, run=3):
    """Per seed: the smallest grid width that trains together with the next ``run - 1`` grid widths (None if none
    does), and the grid widths that train. Not "every larger width": far above the threshold the run is lazy and
    converges at the rate of the features' condition number, too slowly for a fixed step budget."""
    d = Xs.shape[2]
    ok = []
    for n in grid:
        net = mlp.MLP((d, n, 1))
        keys = jax.vmap(lambda s: jax.random.fold_in(jax.random.key(20_000), s))(jnp.asarray(seeds))
        params = jax.vmap(lambda k: mlp.init(k, net, "zero_output"))(keys)
        ok.append(np.asarray(_gd_final_ratio(net, steps)(params, Xs, Ys)) <= tol)
    ok = np.array(ok)  # (len(grid), seeds)
    out = []
    for s in range(len(seeds)):
        good = [i for i in range(len(grid)) if ok[i:i + run, s].all()]
        out.append((grid[good[0]] if good else None, [n for n, t in zip(grid, ok[:, s]) if t]))
    return out


def width_grid(cap: int):
    grid, n = [], 1
    while n <= cap:
        grid += [n] + ([n * 3 // 2] if n >= 2 and n * 3 // 2 <= cap else [])
        n *= 2
    return sorted(set(grid))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--Ns", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    parser.add_argument("--fixed-d-theorem-Ns", type=int, nargs="+", default=[4, 8, 16, 32],
                        help="N of the fixed_d theorem search (its threshold grows like 1/lambda_*, beyond the cap at 64)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--d-fixed", type=int, default=8, help="input dimension of the fixed_d model")
    parser.add_argument("--cap", type=int, default=2**21, help="largest width the theorem search tries")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--tol", type=float, default=1e-3)
    parser.add_argument("--gd-cap-factor", type=int, default=16, help="the gradient-descent grid goes up to this times N")
    parser.add_argument("--theorem-from", default=None,
                        help="reuse the theorem and lambda rows of an earlier run's JSON (they do not depend on the "
                             "gradient-descent settings) and run only gradient descent")
    parser.add_argument("--out", default="book/data/ch2_width_sweep.json")
    args = parser.parse_args(argv)

    t0 = time.time()
    seeds = list(range(args.seeds))
    N_max = max(args.Ns)
    gd_time = theorem_time = 0.0
    result = {"config": {k: v for k, v in vars(args).items() if k not in ("out", "theorem_from")},
              "theorem": [], "gd": [], "lambda": []}
    earlier = None
    if args.theorem_from:
        earlier = json.loads(open(args.theorem_from).read())
        mismatch = {k: (earlier["config"][k], v) for k, v in result["config"].items()
                    if k in ("Ns", "seeds", "d_fixed", "cap", "fixed_d_theorem_Ns") and earlier["config"][k] != v}
        if mismatch:
            raise ValueError(f"--theorem-from {args.theorem_from}: its config differs in {mismatch}")
        result["theorem"], result["lambda"] = earlier["theorem"], earlier["lambda"]
        result["theorem_seconds"] = earlier.get("theorem_seconds")
    for model in ("bounded", "fixed_d"):
        for N in args.Ns:
            sets = [dataset(model, N, s, N_max, args.d_fixed) for s in seeds]
            search = model == "bounded" or N in args.fixed_d_theorem_Ns
            for s, (X, Y) in zip(seeds, sets) if earlier is None else ():
                result["lambda"].append({"model": model, "N": N, "seed": s,
                                         **{sch: lambda_star(X, sch) for sch in ("he", "lecun")}})
                guess = None
                for scheme in SCHEMES if search else ():
                    if scheme == "zero_output":  # Phi_0 = ||Y||^2 / 2 exactly: the prediction is known in advance
                        guess = int(predicted_width(float(np.linalg.norm(np.asarray(X), 2)),
                                                    0.5 * float(jnp.sum(Y**2)), lambda_star(X, scheme), 0.0))
                    row = theorem_threshold(X, Y, scheme, s, args.cap, guess)
                    guess = row["width"] or guess
                    if row["width"] is not None:
                        row["predicted"] = predicted_width(row["X_spec"], row["loss0"], lambda_star(X, scheme),
                                                           row["out_norm"])
                    result["theorem"].append({"model": model, "N": N, "seed": s, "scheme": scheme, **row})
            theorem_time = time.time() - t0 - gd_time
            print(f"theorem {model:<8} N={N:3d}: "
                  + ", ".join(f"{sch} {[r['width'] for r in result['theorem'] if r['model'] == model and r['N'] == N and r['scheme'] == sch]}"
                              for sch in SCHEMES) + f"  [{time.time() - t0:.0f}s]", flush=True)
            Xs = jnp.stack([X for X, _ in sets])
            labels = {"random": jnp.stack([Y for _, Y in sets])}
            labels["teacher"] = jnp.stack([data.teacher_labels(jax.random.key(30_000 + s), X) for s, (X, _) in zip(seeds, sets)])
            t_gd = time.time()
            for kind, Ys in labels.items():
                cap = args.gd_cap_factor * N
                found = gd_thresholds(Xs, Ys, seeds, width_grid(cap), args.steps, args.tol)
                result["gd"] += [{"model": model, "N": N, "seed": s, "labels": kind, "width": w, "trains_at": at,
                                  "cap": cap} for s, (w, at) in zip(seeds, found)]
                print(f"gd      {model:<8} N={N:3d} {kind:<7}: {[w for w, _ in found]}  [{time.time() - t0:.0f}s]",
                      flush=True)
            gd_time += time.time() - t_gd
    if earlier is None:
        result["theorem_seconds"] = round(theorem_time)
    result["gd_seconds"] = round(gd_time)
    result["seconds"] = round(time.time() - t0)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {args.out} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
