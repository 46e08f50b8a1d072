"""The benchmark scripts run end to end at a tiny size (their speed targets are printed, not tested)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_calibrate_runs_and_prints_rates():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "calibrate.py"), "--n", "64", "--N", "16", "--d", "8", "--m", "32"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert "GFLOP/s" in out and "of the measured jax matmul rate" in out
