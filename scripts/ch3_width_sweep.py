"""Chapter 3: the smallest first-layer width n_1 against the number of samples N.

Network: widths (d, n_1, 16, 1) with the smooth leaky ReLU (gamma = 0.5, beta = 1), LeCun
initialisation. Two data models, each with `--seeds` nested data sets (seed s draws one Gaussian
matrix of shape (max N, max d); the data set of size N is its first N rows):

* "proportional": d = 2N, the first d coordinates, rows scaled to norm sqrt(d). lambda_* stays
  bounded as N grows, so the threshold's order in N is the order of the theorem;
* "fixed_d": d = `--d` (16), rows scaled to norm sqrt(d). lambda_* falls with N, so a fitted
  exponent mixes the order in N with lambda_*(N); the records keep lambda_*(N).

Labels: random (i.i.d. N(0, 1), nested like the inputs) and, as a contrast for gradient
descent, a random teacher network (lib.data.teacher_labels).

For each model, N and seed:

* theorem: the smallest n_1 on a grid (ratio 2^(1/4)) at which every hypothesis of the chapter's
  corrected theorem holds at a LeCun initialisation with random labels
  (lib.pyramid.theorem_report of lib.pyramid.nested_lecun_summaries: one pass over the first-layer
  units, nested in n_1, without building W_1), with lambda_* (lib.pyramid.lambda_star, 2^16
  draws), Phi_0 and lambda_3 at that width, and the width the theory predicts when (H2) binds,
  1152 Phi_0 / (gamma^2 lambda_* lambda_3^4);
* special: the smallest scale 2^j for which the special initialisation satisfies the theorem
  at n_1 = N (lib.pyramid.admissible_scale);
* gd: for random and teacher labels, the smallest n_1 on the grid 1, 2, 3, 4, 6, 8, 12, ...
  (starting below N: gradient descent needs no n_1 >= N) at which gradient descent from LeCun's
  initialisation, step 0.5 / lambda_max(NTK), brings the loss below `--tol` times its initial
  value within `--steps` steps. The runs of all seeds, both label kinds and the widths of one
  bucket (up to a power of two; narrower widths are masked) are one vmapped, jitted computation.

Results go to a JSON file that the chapter loads. The full run takes about thirteen minutes on two
CPU cores (most of it in the theorem thresholds of the d = 2N model at N = 64) and prints its own time:

    python scripts/ch3_width_sweep.py --out book/data/ch3_width_sweep.json
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

from lib import data, mlp, pyramid  # noqa: E402
from lib.activations import SmoothLeakyReLU  # noqa: E402

ACTIVATION = SmoothLeakyReLU(0.5, 1.0)
MODELS = ("proportional", "fixed_d")
LABELS = ("random", "teacher")


def dims(model: str, N: int, d_fixed: int) -> int:
    return 2 * N if model == "proportional" else d_fixed


def dataset(model: str, N: int, seed: int, max_N: int, d_fixed: int):
    """The nested data set of size N (first N rows of seed's draw), with random and teacher labels."""
    d = dims(model, N, d_fixed)
    max_d = max(dims(model, max_N, d_fixed), d)
    G = np.asarray(jax.random.normal(jax.random.key(10_000 + seed), (max_N, max_d)), dtype=np.float64)[:N, :d]
    X = G / np.linalg.norm(G, axis=1, keepdims=True) * math.sqrt(d)
    y = np.asarray(jax.random.normal(jax.random.key(20_000 + seed), (max_N, 1)), dtype=np.float64)[:N]
    teacher = np.asarray(data.teacher_labels(jax.random.fold_in(jax.random.key(30_000 + seed), N), jnp.asarray(X)))
    return X, {"random": y, "teacher": teacher}


def geometric_grid(lo: int, hi: int, per_octave: int = 4) -> list:
    k0, k1 = math.floor(per_octave * math.log2(lo)), math.ceil(per_octave * math.log2(hi))
    return sorted({min(max(lo, round(2 ** (k / per_octave))), hi) for k in range(k0, k1 + 1)})


def theorem_record(model, N, seed, X, Y, later, cap, chunk):
    d = X.shape[1]
    net = mlp.MLP((d, cap, later, 1), activation=ACTIVATION)
    grid = geometric_grid(max(N, min(256, cap)), cap)
    key = jax.random.key(40_000 + seed)
    summaries = pyramid.nested_lecun_summaries(
        key, net, X, Y, grid, chunk=chunk, until=lambda s: pyramid.theorem_report(s, ACTIVATION).holds)
    last = summaries[-1]
    report = pyramid.theorem_report(last, ACTIVATION)
    lam_star = pyramid.lambda_star(jax.random.key(50_000 + seed), X, ACTIVATION, num_samples=2**16, num_boot=1).estimate
    g = ACTIVATION.gamma
    return {"model": model, "N": N, "d": d, "seed": seed, "cap": cap,
            "width": last.widths[1] if report.holds else None,
            "lambda_star": lam_star, "loss0": last.loss0, "lambda_3": last.lam[0],
            "lam_F2_over_n1": last.lam_F ** 2 / last.widths[1],
            "slack_at_last": report.quantities["slack"], "last_width": last.widths[1],
            "predicted_H2": 1152 * last.loss0 / (g**2 * lam_star * last.lam[0] ** 4),
            "predicted_H1": 24 * math.sqrt(2) * last.X_spec * math.sqrt(last.loss0) / (g * lam_star * last.lam[0])}


def special_record(model, N, seed, X, Y, later):
    net = mlp.MLP((X.shape[1], N, later, 1), activation=ACTIVATION)
    scale = pyramid.admissible_scale(jax.random.key(60_000 + seed), net, X, Y)
    rate = None
    if scale is not None:
        rate = pyramid.theorem_check(net, pyramid.special_init(jax.random.key(60_000 + seed), net, scale), X, Y).rate
    return {"model": model, "N": N, "seed": seed, "scale": scale, "rate": rate}


# ---- gradient descent: all seeds, both label kinds and one bucket of widths in one vmapped run -------------------

def _masked_forward(p, mask, X):
    W1, W2, W3 = p
    F1 = ACTIVATION(X @ W1) * mask
    return ACTIVATION(F1 @ W2) @ W3


def _loss(p, mask, X, Y):
    return 0.5 * jnp.sum((_masked_forward(p, mask, X) - Y) ** 2)


def _ntk_lam_max(p, mask, X, iters=40):
    f = lambda q: _masked_forward(q, mask, X)  # noqa: E731
    _, vjp = jax.vjp(f, p)
    u = jnp.ones((X.shape[0], 1), X.dtype) / math.sqrt(X.shape[0])

    def body(_, carry):
        u, _ = carry
        Ku = jax.jvp(f, (p,), (vjp(u)[0],))[1]
        n = jnp.linalg.norm(Ku)
        return Ku / n, n

    return jax.lax.fori_loop(0, iters, body, (u, jnp.zeros((), X.dtype)))[1]


def _gd_final_ratio(p, mask, X, Y, steps):
    eta = 0.5 / _ntk_lam_max(p, mask, X)
    loss0 = _loss(p, mask, X, Y)
    grad = jax.grad(_loss)

    def step(q, _):
        g = grad(q, mask, X, Y)
        return [a - eta * b for a, b in zip(q, g)], None

    q, _ = jax.lax.scan(step, p, None, length=steps)
    final = _loss(q, mask, X, Y)
    return jnp.where(jnp.isfinite(final), final / loss0, jnp.inf)


_batched = jax.jit(jax.vmap(_gd_final_ratio, in_axes=(0, 0, 0, 0, None)), static_argnums=4)


def gd_thresholds(Xs, Ys, later, grid, steps, tol, seed0):
    """Per (seed, label kind): the smallest width of `grid` at which GD reaches tol, or None."""
    S, (N, d) = len(Xs), Xs[0].shape
    found = {(s, lab): None for s in range(S) for lab in LABELS}
    buckets = {}
    for n in grid:
        buckets.setdefault(2 ** math.ceil(math.log2(n)), []).append(n)
    for top, widths in sorted(buckets.items()):
        batch = [(s, lab, n) for n in widths for s in range(S) for lab in LABELS if found[(s, lab)] is None]
        if not batch:
            break
        P, M, XX, YY = [], [], [], []
        for s, lab, n in batch:
            k = jax.random.split(jax.random.key(70_000 + seed0 + s), 3)
            Z1 = jax.random.normal(k[0], (d, top))
            Z2 = jax.random.normal(k[1], (top, later))
            mask = (jnp.arange(top) < n).astype(jnp.float32)
            P.append([(Z1 * mask / math.sqrt(d)).astype(jnp.float32),
                      (Z2 * mask[:, None] / math.sqrt(n)).astype(jnp.float32),
                      (jax.random.normal(k[2], (later, 1)) / math.sqrt(later)).astype(jnp.float32)])
            M.append(mask)
            XX.append(jnp.asarray(Xs[s], jnp.float32))
            YY.append(jnp.asarray(Ys[lab][s], jnp.float32))
        params = [jnp.stack([p[i] for p in P]) for i in range(3)]
        ratios = np.asarray(_batched(params, jnp.stack(M), jnp.stack(XX), jnp.stack(YY), steps))
        for (s, lab, n), r in zip(batch, ratios):
            if r <= tol and (found[(s, lab)] is None or n < found[(s, lab)]):
                found[(s, lab)] = n
    return found


def gd_grid(cap: int) -> list:
    return [n for n in sorted({1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512}) if n <= cap]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--d", type=int, default=16, help="input dimension of the fixed-d model")
    parser.add_argument("--later", type=int, default=16, help="width n_2 of the pyramid after the wide layer")
    parser.add_argument("--Ns", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    parser.add_argument("--theorem-Ns-fixed-d", type=int, nargs="+", default=[4, 8, 16, 32],
                        help="the fixed-d model's theorem thresholds (N = 64 needs n_1 of order 1e8)")
    parser.add_argument("--theorem-cap", type=int, default=2**25)
    parser.add_argument("--chunk", type=int, default=2**14)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--tol", type=float, default=1e-3)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--gd-cap-factor", type=int, default=4, help="gradient descent searches n_1 <= factor * N")
    parser.add_argument("--out", default="book/data/ch3_width_sweep.json")
    args = parser.parse_args(argv)

    t0 = time.time()
    result = {"config": vars(args), "theorem": [], "special": [], "gd": []}
    max_N = max(args.Ns)
    for model in MODELS:
        theorem_Ns = args.Ns if model == "proportional" else [n for n in args.Ns if n in args.theorem_Ns_fixed_d]
        for N in args.Ns:
            sets = [dataset(model, N, s, max_N, args.d) for s in range(args.seeds)]
            Xs, Ys = [X for X, _ in sets], {lab: [Y[lab] for _, Y in sets] for lab in LABELS}
            if N in theorem_Ns:
                for s in range(args.seeds):
                    rec = theorem_record(model, N, s, Xs[s], Ys["random"][s], args.later, args.theorem_cap, args.chunk)
                    result["theorem"].append(rec)
                    print(f"theorem {model:<12} N={N:3d} seed {s}: width {rec['width']} "
                          f"(lambda_* {rec['lambda_star']:.3g}, predicted {rec['predicted_H2']:.3g})  "
                          f"[{time.time() - t0:.0f}s]", flush=True)
            else:
                for s in range(args.seeds):
                    lam = pyramid.lambda_star(jax.random.key(50_000 + s), Xs[s], ACTIVATION, num_samples=2**16,
                                              num_boot=1).estimate
                    result["theorem"].append({"model": model, "N": N, "d": Xs[s].shape[1], "seed": s, "cap": None,
                                              "width": None, "lambda_star": lam})
            for s in range(args.seeds):
                result["special"].append(special_record(model, N, s, Xs[s], Ys["random"][s], args.later))
            found = gd_thresholds(Xs, Ys, args.later, gd_grid(args.gd_cap_factor * N), args.steps, args.tol,
                                  1000 * MODELS.index(model) + N)
            for (s, lab), n in sorted(found.items()):
                result["gd"].append({"model": model, "N": N, "d": Xs[s].shape[1], "seed": s, "labels": lab,
                                     "width": n, "cap": args.gd_cap_factor * N})
            print(f"gd      {model:<12} N={N:3d}: "
                  + ", ".join(f"{lab} {[found[(s, lab)] for s in range(args.seeds)]}" for lab in LABELS)
                  + f"  [{time.time() - t0:.0f}s]", flush=True)
    result["seconds"] = round(time.time() - t0)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {args.out} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
