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
    sweep.main(["--theorem-Ns", "3", "--theorem-depths", "2", "--theorem-cap", "64", "--gd-Ns", "4",
                "--gd-depths", "2", "--steps", "50", "--seeds", "1", "--out", str(out)])
    result = json.loads(out.read_text())
    assert result["config"]["steps"] == 50
    assert {(r["L"], r["scheme"], r["N"]) for r in result["theorem"]} == {(2, s, 3) for s in sweep.SCHEMES}
    assert all(r["width"] is None for r in result["theorem"])       # far below the theorem's threshold
    assert len(result["gd"]) == 3 and all(r["width"] is None or 1 <= r["width"] <= 256 for r in result["gd"])


def test_committed_sweep_data_matches_the_script_layout():
    result = json.loads((ROOT / "book" / "data" / "ch2_width_sweep.json").read_text())
    assert set(result) == {"config", "theorem", "gd"}
    assert {"L", "scheme", "N", "width", "cap"} <= set(result["theorem"][0])


@float64_script
def test_ch3_width_sweep_tiny(tmp_path):
    sweep = _load("ch3_width_sweep")
    out = tmp_path / "sweep.json"
    sweep.main(["--Ns", "4", "--theorem-cap", "64", "--steps", "50", "--seeds", "1", "--d", "6", "--later", "4",
                "--out", str(out)])
    result = json.loads(out.read_text())
    thm = {r["init"]: r for r in result["theorem"]}
    assert thm["special"]["width"] == 4                      # the special initialisation: n_1 = N
    assert thm["lecun"]["width"] is None and thm["lecun"]["worst_ratio_at_cap"] > 1
    assert {r["init"] for r in result["gd"]} == set(sweep.INITS)


def test_committed_ch3_sweep_data_matches_the_script_layout():
    result = json.loads((ROOT / "book" / "data" / "ch3_width_sweep.json").read_text())
    assert set(result) == {"config", "theorem", "gd"}
    assert {"init", "N", "width", "cap"} <= set(result["theorem"][0])


@float64_script
def test_ch4_width_sweep_tiny(tmp_path):
    sweep = _load("ch4_width_sweep")
    out = tmp_path / "sweep.json"
    sweep.main(["--Ns", "4", "--theorem-Ns", "2", "--theorem-cap", "256", "--steps", "100", "--seeds", "1",
                "--run-N", "2", "--run-m", "128", "--run-steps", "5", "--out", str(out)])
    result = json.loads(out.read_text())
    thm = {r["version"]: r for r in result["theorem"]}
    assert 2 <= thm["flow"]["width"] <= 256 and thm["gd"]["width"] is None   # GD's version needs far more
    assert result["gd"][0]["N"] == 4 and result["gd"][0]["width"] is not None
    run = result["run"]
    assert not run["holds"] and run["bound"] is None and len(run["loss"]) == 6


def test_committed_ch4_sweep_data_matches_the_script_layout():
    result = json.loads((ROOT / "book" / "data" / "ch4_width_sweep.json").read_text())
    assert set(result) == {"config", "theorem", "gd", "run"}
    assert {"version", "N", "width", "cap"} <= set(result["theorem"][0])
    assert {"loss", "bound", "moves", "D", "holds", "table"} <= set(result["run"])


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
