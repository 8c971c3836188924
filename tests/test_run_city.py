"""End to end: a city scenario through the command line, checked by its
invariants (not by one exact route)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

SCENARIO = """
title = "Hangzhou test <b>bold</b>"
city = "330100"
year = 2012
seed = 3

[network]
file = "{network}"

[routing]
stops = "town"
time_limit_s = 4
engine = "{engine}"

[[vehicles]]
name = "truck"
count = 40
capacity_parcels = 1500
fixed_cost_cny = 400
cost_per_km_cny = 3
max_duration_s = 36000
co2_kg_per_km = 0.6

[[vehicles]]
name = "van"
count = 10
capacity_parcels = 500
fixed_cost_cny = 200
cost_per_km_cny = 1.5
max_duration_s = 36000
co2_kg_per_km = 0.25
"""


@pytest.fixture(scope="module", params=["ortools", "pyvrp"])
def run(request, tmp_path_factory, root: Path):
    from conftest import run_cli

    tmp = tmp_path_factory.mktemp(f"run_{request.param}")
    scen = tmp / "s.toml"
    scen.write_text(SCENARIO.format(network=root / "networks" / "hangzhou.graphml", engine=request.param),
                    encoding="utf-8")
    out = tmp / "out"
    res = run_cli("run", str(scen), "--out", str(out))
    assert res.returncode == 0, res.stderr
    return out, res


def test_outputs_written(run):
    out, res = run
    for name in ("plan.json", "kpis.csv", "map.html", "manifest.json"):
        assert (out / name).is_file(), name
    assert "stops served" in res.stdout
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")], "staging folder left behind"


def test_plan_schema(run):
    plan = json.loads((run[0] / "plan.json").read_text())
    assert plan["units"] == {"distance": "m", "time": "s", "load": "parcels"}
    assert {"cost", "distance_m", "duration_s", "routes", "served", "unassigned"} <= set(plan["summary"])
    for r in plan["routes"]:
        assert {"vehicle", "depot", "capacity", "distance_m", "duration_s", "steps"} <= set(r)
        assert r["steps"][0]["type"] == "start" and r["steps"][-1]["type"] == "end"
        for s in r["steps"]:
            assert {"type", "id", "load", "arrival_s", "distance_m"} <= set(s)
    for u in plan["unassigned"]:
        assert u["reason"] in {"capacity", "time_window", "shift_length", "unreachable", "no_vehicle", "penalty"}


def _expected_demand(root: Path):
    from citylogistics.demand import settlement_demand
    from citylogistics.regions import load_regions

    towns = load_regions(seed=3).of_level("town", city="330100")
    return settlement_demand(towns, year=2012)


def test_every_town_served_once_or_unassigned(run, root):
    plan = json.loads((run[0] / "plan.json").read_text())
    demand = _expected_demand(root)
    seen = defaultdict(int)
    delivered = defaultdict(float)
    for r in plan["routes"]:
        for s in r["steps"]:
            if s["type"] in ("delivery", "pickup"):
                seen[s["id"]] += 1
                delivered[s["id"].split("~")[0]] += s.get("delivery", 0.0)
    assert all(n == 1 for n in seen.values()), "a load visited twice"
    unassigned = {u["id"] for u in plan["unassigned"]}
    assert not (set(seen) & unassigned)
    towns_in_plan = {i.split("~")[0] for i in set(seen) | unassigned}
    assert towns_in_plan == set(demand.index)
    for code, row in demand.iterrows():
        if not any(u.split("~")[0] == code for u in unassigned):
            assert delivered[code] == pytest.approx(row["delivery_parcels"], rel=1e-3, abs=0.05)
    assert plan["summary"]["served"] == len(seen)
    assert plan["summary"]["unassigned"] == len(unassigned)


def test_load_never_above_capacity(run):
    plan = json.loads((run[0] / "plan.json").read_text())
    for r in plan["routes"]:
        for s in r["steps"]:
            assert -1e-6 <= s["load"] <= r["capacity"] + 1e-6


def test_distances_agree_with_matrix(run, root):
    import networkx as nx

    from citylogistics.network.matrix import od_matrices
    from citylogistics.network.graph import load_graphml

    plan = json.loads((run[0] / "plan.json").read_text())
    G = load_graphml(root / "networks" / "hangzhou.graphml")
    ids = sorted({s["id"].split("~")[0] for r in plan["routes"] for s in r["steps"]})
    _, dist = od_matrices(G, ids)
    for r in plan["routes"]:
        total = 0.0
        steps = r["steps"]
        for a, b in zip(steps, steps[1:]):
            total += dist.loc(a["id"].split("~")[0], b["id"].split("~")[0])
            assert b["distance_m"] == pytest.approx(total, abs=2.0 * len(steps))
        assert r["distance_m"] == pytest.approx(total, abs=2.0 * len(steps))
        # never shorter than the straight line
        first = G.nodes[steps[1]["id"].split("~")[0]]
        hub = G.nodes[steps[0]["id"]]
        from citylogistics.geo import haversine_m
        assert r["distance_m"] >= haversine_m(hub["x"], hub["y"], first["x"], first["y"]) * 2 - 1
    assert nx.is_connected(G) if not G.is_directed() else nx.is_weakly_connected(G)


def test_kpis_recomputed(run):
    out = run[0]
    plan = json.loads((out / "plan.json").read_text())
    rows = list(csv.DictReader((out / "kpis.csv").open(encoding="utf-8")))
    assert len(rows) == 1
    k = rows[0]
    km = sum(r["distance_m"] for r in plan["routes"]) / 1000
    assert float(k["vehicle_km"]) == pytest.approx(km, rel=1e-3)
    assert int(k["routes"]) == len(plan["routes"])


def test_map_has_routes_layers_and_escaped_title(run):
    html = (run[0] / "map.html").read_text(encoding="utf-8")
    plan = json.loads((run[0] / "plan.json").read_text())
    assert html.count("L.polyline(") == len(plan["routes"])
    assert "L.control.layers(" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    n_stops = sum(1 for r in plan["routes"] for s in r["steps"] if s["type"] != "start" and s["type"] != "end")
    assert html.count("L.circleMarker(") == n_stops + len(plan["unassigned"])
