"""The experiment scripts behind the chapters' committed data run end to end at a tiny size."""
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The scripts run in float64 by design (their results are the chapters' committed data) and switch
# jax_enable_x64 on when imported, which would turn the rest of a float32 pass into a float64 one.
float64_script = pytest.mark.float64


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@float64_script
def test_ch2_width_sweep_tiny(tmp_path):
    sweep = _load("ch2_width_sweep")
    out = tmp_path / "sweep.json"
    sweep.main(["--Ns", "2", "3", "--fixed-d-theorem-Ns", "2", "--cap", "1024", "--steps", "20", "--seeds", "2", "--gd-cap-factor", "2",
                "--out", str(out)])
    result = json.loads(out.read_text())
    assert result["config"]["steps"] == 20 and result["seconds"] >= 0
    keys = {(r["model"], r["N"], r["seed"], r["scheme"]) for r in result["theorem"]}
    assert keys == {(m, N, s, sch) for m in ("bounded", "fixed_d") for N in (2, 3) for s in (0, 1)
                    for sch in sweep.SCHEMES if m == "bounded" or N == 2}
    found = [r for r in result["theorem"] if r["width"] is not None]
    assert found and all(r["width"] >= r["N"] and r["predicted"] > 0 for r in found)
    assert len(result["gd"]) == 2 * 2 * 2 * 2       # models x N x seeds x labels
    assert all(r["width"] is None or 1 <= r["width"] <= r["cap"] for r in result["gd"])
    assert all(r["he"] > 0 and abs(r["lecun"] - r["he"] / 2) < 1e-9 * r["he"] for r in result["lambda"])


def test_sweep_data_are_nested_across_N():
    """Each seed's data set for N is the first N points of one draw (rescaled for the bounded model)."""
    sweep = _load("ch2_width_sweep")
    X8, Y8 = sweep.dataset("fixed_d", 8, 0, 16, 8)
    X4, Y4 = sweep.dataset("fixed_d", 4, 0, 16, 8)
    assert (X4 == X8[:4]).all() and (Y4 == Y8[:4]).all()
    Xb, _ = sweep.dataset("bounded", 4, 0, 16, 8)
    assert Xb.shape == (4, 8) and abs(float((Xb**2).sum(1).max()) - 8) < 1e-9


def test_committed_sweep_data_matches_the_script_layout():
    result = json.loads((ROOT / "book" / "data" / "ch2_width_sweep.json").read_text())
    assert {"config", "theorem", "gd", "lambda", "seconds", "theorem_seconds", "gd_seconds"} <= set(result)
    assert {"model", "scheme", "N", "seed", "width"} <= set(result["theorem"][0])
    assert {"model", "N", "seed", "labels", "width", "cap"} <= set(result["gd"][0])


@float64_script
def test_ch3_width_sweep_tiny(tmp_path):
    sweep = _load("ch3_width_sweep")
    out = tmp_path / "sweep.json"
    sweep.main(["--Ns", "4", "--theorem-Ns-fixed-d", "4", "--theorem-cap", "4096", "--chunk", "1024", "--steps", "50",
                "--seeds", "2", "--d", "6", "--later", "4", "--out", str(out)])
    result = json.loads(out.read_text())
    assert {r["model"] for r in result["theorem"]} == set(sweep.MODELS) and len(result["theorem"]) == 4
    assert all(r["width"] is None or 4 <= r["width"] <= 4096 for r in result["theorem"])
    assert all(r["lambda_star"] > 0 for r in result["theorem"])
    assert all(r["scale"] is not None for r in result["special"])      # the special initialisation at n_1 = N
    assert {(r["model"], r["labels"]) for r in result["gd"]} == {(m, lab) for m in sweep.MODELS for lab in sweep.LABELS}
    assert all(r["width"] is None or 1 <= r["width"] <= 16 for r in result["gd"])   # the search starts below N


def test_committed_ch3_sweep_data_matches_the_script_layout():
    result = json.loads((ROOT / "book" / "data" / "ch3_width_sweep.json").read_text())
    assert set(result) == {"config", "theorem", "special", "gd", "seconds"}
    assert {"model", "N", "d", "seed", "width", "cap", "lambda_star"} <= set(result["theorem"][0])
    assert {"model", "N", "seed", "labels", "width", "cap"} <= set(result["gd"][0])


@float64_script
def test_ch4_width_sweep_tiny(tmp_path):
    sweep = _load("ch4_width_sweep")
    out = tmp_path / "sweep.json"
    sweep.main(["--seeds", "2", "--Ns", "4", "--fresh-flow-Ns", "4", "--fresh-gd-Ns", "2", "--gd-Ns", "4",
                "--gd-widths", "2", "8", "--steps", "50", "--run-N", "2", "--run-m", "128", "--run-steps", "5",
                "--out", str(out)])
    result = json.loads(out.read_text())
    assert result["cross_check"] < 1e-7          # the script's NumPy quantities are lib's
    lim = result["limit"]
    assert {(r["model"], r["seed"]) for r in lim} == {(mo, s) for mo in sweep.MODELS for s in (0, 1)}
    for r in lim:
        assert r["lam0"] > 0 and 4 <= r["flow"] < r["gd"] and r["flow"] < r["flow_first_version"]
        assert r["gd"] < r["gd_first_version"]
    fresh = {(r["version"], r["N"], r["seed"]): r for r in result["fresh"]}
    assert set(fresh) == {("flow", 4, 0), ("flow", 4, 1), ("gd", 2, 0), ("gd", 2, 1)}
    assert all(0.3 < r["width"] / r["limit"] < 3 for r in fresh.values())
    assert {(r["labels"], r["N"]) for r in result["trains"]} == {("random", 4), ("teacher", 4)}
    assert all(len(r["trained"]) == 2 for r in result["trains"])
    run = result["run"]
    assert not run["holds"] and run["bound"] is None and len(run["loss"]) == 6


def test_committed_ch4_sweep_data_matches_the_script_layout():
    result = json.loads((ROOT / "book" / "data" / "ch4_width_sweep.json").read_text())
    assert set(result) == {"config", "limit", "fresh", "trains", "run", "cross_check", "seconds"}
    assert {"model", "N", "d", "seed", "lam0", "flow", "gd", "flow_first_version", "gd_first_version"} <= set(result["limit"][0])
    assert {"model", "version", "N", "seed", "width", "limit"} <= set(result["fresh"][0])
    assert {"labels", "N", "m", "trained", "final_fraction"} <= set(result["trains"][0])


@float64_script
def test_ch5_real_data_tiny(tmp_path):
    script = _load("ch5_real_data")
    out = tmp_path / "real.json"
    script.main(["--data", "wine", "--n-train", "30", "--seeds", "2", "--steps", "50", "--out", str(out)])
    result = json.loads(out.read_text())
    assert result["config"]["seeds"] == 2 and len(result["records"]) == 4      # 2 seeds x 2 losses
    for r in result["records"]:
        assert r["n_train"] == 30 and r["n_test"] == 178 - 30 and len(r["acc_matched"]) == 3
        assert max(r["final_loss"]) == r["target"] and all(0 <= k <= 50 for k in r["step_matched"])
    assert set(result["curves"]["wine"]) == {"square", "cross_entropy"}


def test_committed_ch5_real_data_matches_the_script_layout():
    result = json.loads((ROOT / "book" / "data" / "ch5_real_data.json").read_text())
    assert set(result) == {"config", "records", "curves"}
    assert {"data", "seed", "kind", "acc_matched", "step_matched", "target"} <= set(result["records"][0])
