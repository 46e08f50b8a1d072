"""Calibrate this machine, then time one full-batch gradient-descent step of a two-layer net.

Prints the float32 matrix-multiply rate (GFLOP/s) of jax.numpy and NumPy, and the
fraction of that rate one jitted GD step of the two-layer network achieves.
Later chapters' benchmarks use `matmul_gflops` to turn FLOP counts into bound times.

    python benchmarks/calibrate.py [--n 1024] [--N 1024 --d 256 --m 4096]
"""
from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from lib import train, twolayer


def best_time(fn, repeats: int = 7) -> float:
    """Smallest wall time of `repeats` calls of `fn` (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def matmul_gflops(n: int = 1024) -> dict:
    """Measured float32 GFLOP/s of an n x n matrix product with jax.numpy and NumPy."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    ja, jb = jnp.asarray(a), jnp.asarray(b)
    mm = jax.jit(jnp.matmul)
    flops = 2.0 * n**3
    return {
        "jax": flops / best_time(lambda: mm(ja, jb).block_until_ready()) / 1e9,
        "numpy": flops / best_time(lambda: a @ b) / 1e9,
    }


def gd_step_fraction(N: int, d: int, m: int, peak_gflops: float) -> dict:
    """Time one jitted GD step of the two-layer network; FLOPs: forward X W (2Ndm), backward X^T G (2Ndm)."""
    kx, kw = jax.random.split(jax.random.key(0))
    X = jax.random.normal(kx, (N, d), dtype=jnp.float32)
    X = X / jnp.linalg.norm(X, axis=1, keepdims=True)
    y = jnp.sin(X[:, 0])
    W, a = twolayer.init(kw, d, m)
    W, a = W.astype(jnp.float32), a.astype(jnp.float32)

    @jax.jit
    def step(W):
        g = jax.grad(lambda W: train.square_loss(twolayer.predict(W, a, X), y))(W)
        return W - 0.1 * g

    t = best_time(lambda: step(W).block_until_ready())
    flops = 4.0 * N * d * m + 6.0 * N * m  # two matmuls plus the elementwise work
    gflops = flops / t / 1e9
    return {"time_ms": 1e3 * t, "gflops": gflops, "fraction": gflops / peak_gflops}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1024, help="matrix size for the calibration")
    parser.add_argument("--N", type=int, default=1024, help="samples in the GD step")
    parser.add_argument("--d", type=int, default=256, help="input dimension in the GD step")
    parser.add_argument("--m", type=int, default=4096, help="width in the GD step")
    args = parser.parse_args()

    rates = matmul_gflops(args.n)
    print(f"device: {jax.devices()[0].platform}, float32 matmul {args.n}x{args.n}")
    print(f"  jax.numpy : {rates['jax']:8.1f} GFLOP/s")
    print(f"  numpy     : {rates['numpy']:8.1f} GFLOP/s")
    step = gd_step_fraction(args.N, args.d, args.m, rates["jax"])
    print(f"two-layer GD step, N={args.N} d={args.d} m={args.m}:")
    print(f"  time {step['time_ms']:.2f} ms, {step['gflops']:.1f} GFLOP/s, "
          f"{100 * step['fraction']:.0f}% of the measured jax matmul rate")


if __name__ == "__main__":
    main()
