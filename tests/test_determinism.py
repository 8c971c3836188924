"""The same scenario and seed give byte-identical plan.json and villages.csv.

The two runs are separate processes with different ``PYTHONHASHSEED`` values
(so set/dict-order accidents show), started at the same time (so each runs
under the other's CPU load, as on a busy CI machine).

The planner's many small routing solves stop on a work budget
(``SolveParams.work_limit_s``) with a wall-clock cap ten times larger, so a
loaded machine still gives the same plan.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "tests" / "data" / "scenarios" / "zhoushan_small.toml"
ROUTE_SCENARIO = """title = "determinism route run"
city = "Zhoushan"
seed = 3
[routing]
time_limit_s = 2
[map]
tiles = "none"
[[vehicles]]
name = "van"
count = 8
capacity_parcels = 800
fixed_cost_cny = 220
cost_per_km_cny = 1.6
max_duration_s = 36000
"""


def _start(out: Path, hash_seed: str, scenario: Path = SCENARIO) -> subprocess.Popen:
    env = dict(os.environ, CI="true", PYTHONHASHSEED=hash_seed)
    return subprocess.Popen([sys.executable, "-m", "citylogistics", "run", str(scenario), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("determinism")
    a, b = base / "a", base / "b"
    procs = [_start(a, "0"), _start(b, "4242")]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    return a, b


def _assert_same_bytes(a: Path, b: Path, name: str) -> None:
    data_a, data_b = (a / name).read_bytes(), (b / name).read_bytes()
    assert data_a, f"{name} is empty"
    if data_a != data_b:
        la, lb = data_a.decode().splitlines(), data_b.decode().splitlines()
        first = next((i for i, (x, y) in enumerate(zip(la, lb)) if x != y), min(len(la), len(lb)))
        pytest.fail(f"{name} differs between two runs with the same seed; first difference at line {first + 1}:\n"
                    f"  a: {la[first] if first < len(la) else '<end>'}\n  b: {lb[first] if first < len(lb) else '<end>'}")


@pytest.mark.parametrize("name", [n for n in ("plan.json", "villages.csv", "kpis.csv")]
                         + ["sites.csv"])
def test_same_scenario_and_seed_give_identical_files(two_runs, name):
    a, b = two_runs
    _assert_same_bytes(a, b, name)


def test_route_run_gives_identical_plan(tmp_path: Path):
    scenario = tmp_path / "route.toml"
    scenario.write_text(ROUTE_SCENARIO, encoding="utf-8")
    a, b = tmp_path / "a", tmp_path / "b"
    procs = [_start(a, "0", scenario), _start(b, "4242", scenario)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    _assert_same_bytes(a, b, "plan.json")
    _assert_same_bytes(a, b, "kpis.csv")


def test_seed_is_recorded(two_runs):
    import json

    a, _ = two_runs
    doc = json.loads((a / "plan.json").read_text(encoding="utf-8"))
    assert doc["scenario"]["seed"] == 1
