"""Chapter 5 benchmark: lib's trust-region Newton against SciPy's trust-exact and trust-ncg.

Problem: the shallow model W phi(x) on scikit-learn's digits (1797 samples, 64 inputs,
10 outputs: 640 parameters), L2-regularised mean cross-entropy (strictly convex, so all
methods share one minimiser), from W = 0, stopping at gradient norm < gtol. The same
JAX-jitted objective, gradient, Hessian and Hessian-vector product serve SciPy and lib.
Prints iterations, best wall time and final loss; targets: for each pair (lib exact vs
trust-exact, lib CG vs trust-ncg) the same final loss to 1e-8 relative, no more
iterations, less wall time.

    python benchmarks/trust_region.py [--lam 1e-3 --gtol 1e-8]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize as so

jax.config.update("jax_enable_x64", True)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibrate import best_time  # noqa: E402

from lib import data, trust_region  # noqa: E402


def problem(lam: float, n: int | None):
    ds = data.digits() if n is None else data.digits(n=n, key=jax.random.key(0))
    X, Y = ds.X, ds.Y
    k, d = Y.shape[1], X.shape[1]

    def f(w):
        W = w.reshape(k, d)
        return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(X @ W.T, axis=1), axis=1)) + 0.5 * lam * jnp.sum(W**2)

    return f, jnp.zeros(k * d)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lam", type=float, default=1e-3)
    parser.add_argument("--gtol", type=float, default=1e-8)
    parser.add_argument("--n", type=int, default=None, help="use n digits only (default: all 1797)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    f, x0 = problem(args.lam, args.n)
    fj, gj, hj = jax.jit(f), jax.jit(jax.grad(f)), jax.jit(jax.hessian(f))
    hvpj = jax.jit(lambda x, v: jax.jvp(jax.grad(f), (x,), (v,))[1])
    fn, gn = (lambda x: float(fj(x))), (lambda x: np.asarray(gj(x)))
    hn, hp = (lambda x: np.asarray(hj(x))), (lambda x, v: np.asarray(hvpj(x, v)))
    x0n = np.asarray(x0)

    runs = {
        "lib exact": lambda: trust_region.trust_region_newton(f, x0, subproblem="exact", gtol=args.gtol),
        "lib CG": lambda: trust_region.trust_region_newton(f, x0, subproblem="cg", gtol=args.gtol),
        "scipy trust-exact": lambda: so.minimize(fn, x0n, jac=gn, hess=hn, method="trust-exact",
                                                 options={"gtol": args.gtol}),
        "scipy trust-ncg": lambda: so.minimize(fn, x0n, jac=gn, hessp=hp, method="trust-ncg",
                                               options={"gtol": args.gtol}),
    }

    def finished(res):
        if isinstance(res, trust_region.TRResult):
            res.x.block_until_ready()
        return res

    results = {}
    for name, run in runs.items():
        res = finished(run())  # compile / warm the jitted callbacks
        t = best_time(lambda: finished(run()), args.repeats)
        its = int(res.iterations) if name.startswith("lib") else res.nit
        results[name] = {"iterations": its, "time": t, "loss": float(res.fun)}
    print(f"digits softmax regression, {x0.size} parameters, lambda = {args.lam:g}, gtol = {args.gtol:g}")
    print(f"{'method':<18} {'iterations':>10} {'time (ms)':>10} {'final loss':>22}")
    for name, r in results.items():
        print(f"{name:<18} {r['iterations']:10d} {1e3 * r['time']:10.2f} {r['loss']:22.16g}")
    ok = True
    for ours, ref in [("lib exact", "scipy trust-exact"), ("lib CG", "scipy trust-ncg")]:
        a, b = results[ours], results[ref]
        rel = abs(a["loss"] - b["loss"]) / abs(b["loss"])
        good = rel <= 1e-8 and a["iterations"] <= b["iterations"] and a["time"] < b["time"]
        ok &= good
        print(f"{ours} vs {ref}: loss rel diff {rel:.1e} (<= 1e-8), iterations {a['iterations']} vs "
              f"{b['iterations']}, time {b['time'] / a['time']:.2f}x faster -> {'met' if good else 'NOT MET'}")
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
