"""Chapter 2 benchmark: the closed-form NTK Gram matrix against Jacobian contraction
and NTK-vector products, same network and inputs, one process (float32).

Default size: N = 512 inputs of dimension 64, two hidden layers of width 512, scalar
output. Prints, for each method, the best wall time, the peak memory XLA plans for
the compiled computation (arguments + outputs + temporaries), and the largest
relative difference to Jacobian contraction; then the closed form's time against
its FLOP count at this machine's measured matmul rate (benchmarks/calibrate.py).
Targets: closed form >= 100x faster and <= 1/10 the peak memory of Jacobian
contraction, within 2x of its FLOP-bound time, agreement <= 1e-5.

    python benchmarks/ntk_closed_form.py [--N 512 --d 64 --width 512]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax
import jax.numpy as jnp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibrate import best_time, matmul_gflops  # noqa: E402

from lib import kernels, mlp  # noqa: E402


def build(N: int, d: int, width: int):
    net = mlp.MLP((d, width, width, 1))
    params = [W.astype(jnp.float32) for W in mlp.init(jax.random.key(0), net, "he")]
    X = jax.random.normal(jax.random.key(1), (N, d), dtype=jnp.float32)
    X = X / jnp.linalg.norm(X, axis=1, keepdims=True)
    return net, params, X


def methods(net):
    def f(p, x):
        return mlp.apply(net, p, x)[:, 0]

    def closed_form(p, x):
        return mlp.ntk_gram(net, p, x)

    def jacobian_contraction(p, x):
        return kernels.empirical_ntk(f, p, x)

    def ntk_vector_products(p, x):
        """Column i of K is J (J^T e_i): one VJP and one JVP per column, never forming J."""
        _, vjp = jax.vjp(lambda q: f(q, x), p)

        def column(e):
            (jt_e,) = vjp(e)
            return jax.jvp(lambda q: f(q, x), (p,), (jt_e,))[1]

        return jax.lax.map(column, jnp.eye(x.shape[0], dtype=x.dtype))

    return {"closed form": closed_form, "Jacobian contraction": jacobian_contraction,
            "NTK-vector products": ntk_vector_products}


def peak_bytes(compiled) -> int:
    m = compiled.memory_analysis()
    return int(m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes)


def flops(compiled) -> float:
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    return float(cost["flops"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--N", type=int, default=512)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    net, params, X = build(args.N, args.d, args.width)
    results = {}
    for name, fn in methods(net).items():
        compiled = jax.jit(fn).lower(params, X).compile()
        K = compiled(params, X)
        t = best_time(lambda: compiled(params, X).block_until_ready(), args.repeats)
        results[name] = {"K": K, "time": t, "mem": peak_bytes(compiled), "flops": flops(compiled)}
    ref = results["Jacobian contraction"]["K"]
    print(f"N = {args.N}, d = {args.d}, hidden widths {args.width}, {args.width}; float32; "
          f"{sum(p.size for p in params):,} parameters")
    print(f"{'method':<22} {'time (ms)':>10} {'peak memory (MB)':>17} {'max rel diff':>13}")
    for name, r in results.items():
        diff = float(jnp.max(jnp.abs(r["K"] - ref)) / jnp.max(jnp.abs(ref)))
        r["diff"] = diff
        print(f"{name:<22} {1e3 * r['time']:10.2f} {r['mem'] / 2**20:17.1f} {diff:13.1e}")
    cf, jc = results["closed form"], results["Jacobian contraction"]
    rate = matmul_gflops(1024)["jax"]
    bound = cf["flops"] / (rate * 1e9)
    speedup, mem_ratio, flop_ratio = jc["time"] / cf["time"], cf["mem"] / jc["mem"], cf["time"] / bound
    print(f"closed form: {speedup:.0f}x faster than Jacobian contraction (target >= 100x)")
    print(f"closed form: {mem_ratio:.4f} of its peak memory (target <= 0.1)")
    print(f"closed form: {cf['flops'] / 1e9:.3f} GFLOP at the measured {rate:.0f} GFLOP/s = {1e3 * bound:.2f} ms; "
          f"measured {1e3 * cf['time']:.2f} ms = {flop_ratio:.2f}x the FLOP-bound time (target <= 2)")
    ok = speedup >= 100 and mem_ratio <= 0.1 and flop_ratio <= 2 and cf["diff"] <= 1e-5
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
