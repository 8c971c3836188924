"""Order routing through the command line: `citylogistics route` and a scenario with [orders] (issue 17)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDERS = ROOT / "tests" / "data" / "orders"


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, CI="true", PYTHONHASHSEED="0")
    return subprocess.run([sys.executable, "-m", "citylogistics", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def _clock(text: str, empty: float = 0.0) -> float:
    if not text:
        return empty
    h, m, s = (int(x) for x in (text + ":00" if text.count(":") == 1 else text).split(":"))
    return 3600 * h + 60 * m + s


def test_scenario_with_orders_writes_sheet_inside_windows(tmp_path: Path):
    """Every served stop on the driver's sheet is reached inside its window; each order once or unassigned."""
    out = tmp_path / "out"
    res = _cli("run", str(ORDERS / "scenario.toml"), "--out", str(out))
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader((out / "schedule.csv").open(encoding="utf-8")))
    served = [r for r in rows if r["order_id"] and r["service_start"]]
    for r in served:
        if r["window"]:
            start, end = r["window"].split("-")  # an open side is empty: "-16:00"
            lo, hi = _clock(start), _clock(end, float("inf"))
            assert lo <= _clock(r["service_start"]) <= hi, r
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    ids = [r["order_id"] for r in served] + [u["id"] for u in plan["unassigned"]]
    with (ORDERS / "basic.csv").open(encoding="utf-8") as fh:
        assert sorted(ids) == sorted(r["id"] for r in csv.DictReader(fh))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tool"] == "citylogistics"


def test_route_command_is_deterministic(tmp_path: Path):
    """Same orders and seed give the same plan.json and schedule.csv bytes."""
    outs = []
    for k in range(2):
        out = tmp_path / f"out{k}"
        res = _cli("route", str(ORDERS / "basic.csv"), "--depot", "120.1,30.25", "--out", str(out),
                   "--vehicles", "2", "--capacity", "10", "--time-limit", "0.5", "--seed", "7")
        assert res.returncode == 0, res.stderr
        outs.append(out)
    for name in ("plan.json", "schedule.csv", "kpis.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def test_bad_order_row_is_refused_before_work(tmp_path: Path):
    """A window that ends before it starts: exit 2, one line naming the file and line, nothing written."""
    out = tmp_path / "out"
    res = _cli("route", str(ORDERS / "bad" / "window_inverted.csv"), "--depot", "120.1,30.25", "--out", str(out))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "window_inverted.csv" in res.stderr and "line" in res.stderr
    assert not out.exists()


def test_orders_and_plan_together_are_refused(tmp_path: Path):
    """A scenario is either an order list or a coverage plan."""
    text = (ORDERS / "scenario.toml").read_text(encoding="utf-8") + "\n[plan]\nstart_year = 2011\n"
    scen = ORDERS / "scenario.toml"
    both = tmp_path / "both.toml"
    both.write_text(text.replace('file = "basic.csv"', f'file = "{(ORDERS / "basic.csv").as_posix()}"')
                        .replace('depots = "depots.csv"', f'depots = "{(ORDERS / "depots.csv").as_posix()}"'),
                    encoding="utf-8")
    res = _cli("run", str(both), "--out", str(tmp_path / "out"))
    assert res.returncode == 2 and "not both" in res.stderr, res.stderr
    assert scen.is_file()
