"""Scenario sweeps: same table whatever the workers, failures reported,
reruns reuse finished points, the frontier is non-dominated, bad sweep files
are one-line InputErrors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citylogistics.errors import InputError
from citylogistics.scenario.sweep import SweepResult, load_sweep, pareto_frontier, point_id, run_sweep

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "data" / "scenarios" / "zhoushan_small.toml"
NETWORK = ROOT / "networks" / "zhoushan.graphml"

SWEEP = """\
title = "tiny sweep"
base = "{base}"
[grid]
"plan.coverage_limit_s" = [900, 2400]
"network.file" = ["{good}", "{bad}"]
[set]
"plan.end_year" = 2011
"plan.budget_cny" = [900000]
"""


def write_sweep(folder: Path, text: str | None = None) -> Path:
    bad = folder / "broken.graphml"
    bad.write_text("this is not GraphML", encoding="utf-8")
    path = folder / "sweep_tiny.toml"
    path.write_text(text or SWEEP.format(base=BASE.as_posix(), good=NETWORK.as_posix(), bad=bad.as_posix()),
                    encoding="utf-8")
    return path


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    """The table without wall times (the only column that may differ between runs)."""
    return table.drop(columns=["seconds"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    path = write_sweep(folder)
    one = run_sweep(path, folder / "one", workers=1, progress=False)
    return path, folder, one


def test_table_rows_status_and_failures(tiny):
    path, folder, one = tiny
    t = one.table
    assert isinstance(one, SweepResult)
    assert len(t) == 4
    assert list(t["point_id"]) == sorted(t["point_id"])
    bad = t[t["network.file"].str.endswith("broken.graphml")]
    good = t[~t["network.file"].str.endswith("broken.graphml")]
    # the broken network fails its points with a readable error; the others complete
    assert set(bad["status"]) == {"error"} and len(bad) == 2
    assert all("broken.graphml" in e and "InputError" in e for e in bad["error"])
    assert set(good["status"]) == {"ok"} and (good["error"] == "").all()
    assert good["population_covered_share"].between(0, 1).all()
    assert (good["year"] == 2011).all()
    # a wider coverage limit never covers fewer villages (same budget)
    by_limit = good.set_index("plan.coverage_limit_s")["villages_covered"]
    assert by_limit[2400] >= by_limit[900]
    assert one.failed == 2 and one.ran == 4 and one.skipped == 0
    for name in ("sweep.csv", "sweep.parquet", "frontier.csv", "frontier.svg", "report.md", "report.html"):
        assert (folder / "one" / name).is_file(), name
    for pid in t["point_id"]:
        rec = json.loads((folder / "one" / "points" / pid / "result.json").read_text(encoding="utf-8"))
        assert rec["point_id"] == pid
    csv = pd.read_csv(folder / "one" / "sweep.csv", dtype={"point_id": str})
    assert list(csv["point_id"]) == list(t["point_id"])
    pq = pd.read_parquet(folder / "one" / "sweep.parquet")
    assert list(pq["point_id"]) == list(t["point_id"])
    report = (folder / "one" / "report.md").read_text(encoding="utf-8")
    assert "Failed points" in report and "broken.graphml" in report
    assert "failed" in one.summary()


def test_same_table_with_two_workers_and_a_scheduler(tiny):
    from dask.distributed import LocalCluster

    path, folder, one = tiny
    two = run_sweep(path, folder / "two", workers=2, progress=False)
    pd.testing.assert_frame_equal(comparable(one.table), comparable(two.table))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50) as cluster:
        remote = run_sweep(path, folder / "remote", scheduler=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(comparable(one.table), comparable(remote.table))


def test_rerun_skips_finished_points(tiny):
    path, folder, one = tiny
    again = run_sweep(path, folder / "one", workers=1, progress=False)
    assert again.skipped == 2  # the two ok points are reused
    assert again.ran == 2      # the two failed points are tried again
    pd.testing.assert_frame_equal(comparable(one.table), comparable(again.table))
    ok = one.table[one.table["status"] == "ok"]
    assert list(again.table.loc[again.table["status"] == "ok", "seconds"]) == list(ok["seconds"])


def test_rerun_repeats_points_whose_input_files_changed(tmp_path):
    net = tmp_path / "net.graphml"
    net.write_bytes(NETWORK.read_bytes())
    text = (f'title = "one point"\nbase = "{BASE.as_posix()}"\n[grid]\n"plan.coverage_limit_s" = [1800]\n'
            f'[set]\n"plan.end_year" = 2011\n"plan.budget_cny" = [900000]\n"network.file" = "{net.as_posix()}"\n')
    path = tmp_path / "sweep_one.toml"
    path.write_text(text, encoding="utf-8")
    first = run_sweep(path, tmp_path / "out", workers=1, progress=False)
    assert first.ran == 1 and first.failed == 0
    assert run_sweep(path, tmp_path / "out", workers=1, progress=False).skipped == 1
    # same scenario text, different network contents: the point is run again
    net.write_text(net.read_text(encoding="utf-8") + "<!-- edited -->\n", encoding="utf-8")
    third = run_sweep(path, tmp_path / "out", workers=1, progress=False)
    assert third.skipped == 0 and third.ran == 1 and third.failed == 0


def dominated(p, q) -> bool:
    """q dominates p: no more expensive, no less coverage, better in one."""
    return q[0] <= p[0] and q[1] >= p[1] and (q[0] < p[0] or q[1] > p[1])


def check_frontier(table: pd.DataFrame, fr) -> None:
    ok = table[table["status"] == "ok"]
    pts = {r.point_id: (r.cost_cny, r.population_covered_share) for r in ok.itertuples()}
    front = set(fr.ids)
    for pid in front:
        assert not any(dominated(pts[pid], q) for k, q in pts.items() if k != pid), pid
    for pid in set(pts) - front:
        assert any(dominated(pts[pid], q) for k, q in pts.items() if k != pid), pid
    costs = [c for _, c, _ in fr.points]
    assert costs == sorted(costs)
    if fr.knee_id is not None:
        assert fr.knee_id in front


def test_frontier_of_the_sweep_is_non_dominated(tiny):
    _, _, one = tiny
    check_frontier(one.table, one.frontier)
    assert set(one.table.loc[one.table["on_frontier"], "point_id"]) == set(one.frontier.ids)
    assert one.table["knee"].sum() == (1 if one.frontier.knee_id else 0)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), st.booleans()), min_size=0, max_size=25))
def test_frontier_non_dominated_property(rows):
    table = pd.DataFrame({"point_id": [f"p{i:03d}" for i in range(len(rows))],
                          "status": ["ok" if ok else "error" for _, _, ok in rows],
                          "cost_cny": [float(c) for c, _, _ in rows],
                          "population_covered_share": [v / 20 for _, v, _ in rows]})
    fr = pareto_frontier(table)
    check_frontier(table, fr)
    assert all(table.set_index("point_id").loc[list(fr.ids), "status"] == "ok")


def test_knee_is_the_bend():
    table = pd.DataFrame({"point_id": ["a", "b", "c", "d", "x"], "status": ["ok"] * 5,
                          "cost_cny": [0.0, 1.0, 5.0, 10.0, 6.0],
                          "population_covered_share": [0.0, 0.9, 0.95, 1.0, 0.5]})
    fr = pareto_frontier(table)
    assert fr.ids == ("a", "b", "c", "d")  # x is dominated by c
    assert fr.knee_id == "b"
    straight = table.assign(population_covered_share=[0.0, 0.1, 0.5, 1.0, 0.2])
    assert pareto_frontier(straight).knee_id is None


def test_point_id_is_stable_and_order_free():
    a = point_id({"plan.coverage_limit_s": 900, "plan.budget_cny": [600000]})
    b = point_id({"plan.budget_cny": [600000], "plan.coverage_limit_s": 900})
    assert a == b and len(a) == 12
    assert a != point_id({"plan.coverage_limit_s": 901, "plan.budget_cny": [600000]})


def test_stations_maps_to_budget(tmp_path):
    path = write_sweep(tmp_path, f'base = "{BASE.as_posix()}"\n[grid]\nstations = [0, 2]\n'
                                 '[set]\n"sites.t2_open_cost_cny" = 250000.0\n')
    plan = load_sweep(path)
    budgets = sorted(p.table["plan"]["budget_cny"][0] for p in plan.points)
    assert budgets == [0.0, 500000.0]


def test_fleet_by_vehicle_name(tmp_path):
    path = write_sweep(tmp_path, f'base = "{BASE.as_posix()}"\n[grid]\n"vehicles.tricycle.count" = [5, 9]\n')
    plan = load_sweep(path)
    counts = sorted(next(v["count"] for v in p.table["vehicles"] if v["name"] == "tricycle") for p in plan.points)
    assert counts == [5, 9]
    others = {v["name"]: v["count"] for v in plan.points[0].table["vehicles"] if v["name"] != "tricycle"}
    assert others == {"truck": 30, "van": 20}


@pytest.mark.parametrize("body, where, words", [
    ('[grid]\n"plan.budgett_cny" = [[1]]\n', 'grid."plan.budgett_cny"', ["did you mean 'budget_cny'"]),
    ('[grid]\n"plan.coverage_limit_s" = [-5]\n', 'grid."plan.coverage_limit_s"', ["greater than 0"]),
    ('[grid]\n"plan.coverage_limit_s" = 900\n', 'grid."plan.coverage_limit_s"', ["list"]),
    ('[grid]\n"vehicles.trike.count" = [3]\n', 'grid."vehicles.trike.count"', ["did you mean 'tricycle'"]),
    ('[grid]\n"plan.budget_cny" = [[1, 2]]\n', "grid", ["one per year"]),
    ('[grid]\nstations = [1]\n"plan.budget_cny" = [[1]]\n', "grid", ["not both"]),
    ('[grid]\n"plan.coverage_limit_s" = [900, 900]\n', 'grid."plan.coverage_limit_s"', ["twice"]),
    ('[grids]\n"plan.coverage_limit_s" = [900]\n', "grids", ["did you mean 'grid'"]),
    ('[grid]\n', "grid", ["non-empty", "table"]),
])
def test_bad_sweep_files_name_file_and_key(tmp_path, body, where, words):
    path = write_sweep(tmp_path, f'base = "{BASE.as_posix()}"\n' + body)
    with pytest.raises(InputError) as err:
        load_sweep(path)
    msg = str(err.value)
    assert "\n" not in msg
    assert str(path) in msg and where in msg, msg
    assert any(w in msg for w in words), msg


def test_missing_base_is_an_input_error(tmp_path):
    path = write_sweep(tmp_path, 'base = "nowhere.toml"\n[grid]\n"plan.coverage_limit_s" = [900]\n')
    with pytest.raises(InputError, match="base scenario .*nowhere.toml not found"):
        load_sweep(path)


def test_bad_workers_is_an_input_error(tmp_path):
    path = write_sweep(tmp_path)
    with pytest.raises(InputError, match="workers"):
        run_sweep(path, tmp_path / "out", workers=0, progress=False)


def test_frontier_empty_without_ok_points():
    """A sweep where every point failed has an empty frontier whose summary says so."""
    table = pd.DataFrame({"point_id": ["a"], "status": ["error"], "cost_cny": [math.nan],
                          "population_covered_share": [math.nan]})
    fr = pareto_frontier(table)
    assert fr.points == () and fr.knee_id is None
    assert "no successful points" in fr.summary()


def test_misspelt_frontier_column_is_an_input_error_after_reusing_points(tiny, tmp_path):
    path, folder, one = tiny
    text = path.read_text(encoding="utf-8") + '[frontier]\ncost = "cost_cnyy"\n'
    bad = folder / "sweep_bad_frontier.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        run_sweep(bad, folder / "one", workers=1, progress=False)
    msg = str(err.value)
    assert "frontier.cost" in msg and "did you mean 'cost_cny'" in msg and str(bad) in msg


def test_frontier_svg_is_valid_and_marks_the_knee():
    import xml.etree.ElementTree as ET

    from citylogistics.scenario.sweep import frontier_svg

    table = pd.DataFrame({"point_id": ["a", "b", "c", "d", "x"], "status": ["ok"] * 4 + ["error"],
                          "cost_cny": [0.0, 1.0, 5.0, 10.0, math.nan],
                          "population_covered_share": [0.0, 0.9, 0.95, 1.0, math.nan]})
    fr = pareto_frontier(table)
    svg = frontier_svg(table, fr, title="A <b> & C")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "knee b" in svg and "A &lt;b&gt; &amp; C" in svg
    assert svg.count("<circle") == 4 + 1  # four ok points and the knee ring


def test_summary_names_the_knee_parameters(tmp_path):
    import numpy as np

    table = pd.DataFrame({"point_id": ["a", "b", "c", "d"], "plan.coverage_limit_s": np.array([900, 1200, 1800, 2700]),
                          "status": ["ok"] * 4, "error": [""] * 4, "seconds": [1.0] * 4,
                          "cost_cny": [0.0, 1.0, 5.0, 10.0], "population_covered_share": [0.0, 0.9, 0.95, 1.0]})
    fr = pareto_frontier(table)
    res = SweepResult(title="t", table=table, frontier=fr, out_dir=tmp_path, keys=("plan.coverage_limit_s",),
                      ran=4, skipped=0, seconds=1.0)
    text = str(res)
    assert "knee: plan.coverage_limit_s = 1200" in text
    assert json.dumps(res.to_dict())
