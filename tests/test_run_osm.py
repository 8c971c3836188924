"""A route run on a real-road OpenStreetMap extract instead of the generated
network: settlements snap to the nearest road node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SCENARIO = """
title = "Central Hangzhou on OSM roads"
city = "Hangzhou"
year = 2013
[network]
file = "{osm}"
[regions]
counties = ["330102", "330105"]
[routing]
stops = "town"
time_limit_s = 2
engine = "ortools"
[[vehicles]]
name = "van"
count = 150
capacity_parcels = 2000
"""


def test_route_run_on_osm_fixture(tmp_path: Path, cli, root: Path):
    from citylogistics.network.osm_import import load_network

    osm = root / "tests" / "data" / "osm" / "small.osm"
    scen = tmp_path / "osm.toml"
    scen.write_text(SCENARIO.format(osm=osm), encoding="utf-8")
    res = cli("run", str(scen), "--out", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    G = load_network(osm)
    served = [s for r in plan["routes"] for s in r["steps"] if s["type"] in ("delivery", "pickup")]
    assert served and plan["summary"]["served"] == len(served)
    # Every leg follows OSM roads: a route's distance is the sum of OSM shortest paths between the
    # road nodes its stops snapped to.
    from citylogistics.network.matrix import od_matrices
    from citylogistics.network.snap import nearest_nodes
    from citylogistics.regions import load_regions

    st = load_regions().settlements
    ids = sorted({s["id"].split("~")[0] for r in plan["routes"] for s in r["steps"]})
    snapped = dict(zip(ids, nearest_nodes(G, st.loc[ids, "lon"].to_numpy(), st.loc[ids, "lat"].to_numpy())))
    _, dist = od_matrices(G, sorted(set(snapped.values())))
    assert {st.at[i, "county_code"] for i in ids if st.at[i, "level"] == "town"} <= {"330102", "330105"}
    for r in plan["routes"]:
        legs = [snapped[s["id"].split("~")[0]] for s in r["steps"]]
        assert r["distance_m"] == pytest.approx(sum(dist.loc(a, b) for a, b in zip(legs, legs[1:])), abs=1.0 * len(legs))
    assert sum(r["distance_m"] for r in plan["routes"]) > 0


def test_unknown_county_in_scenario(tmp_path: Path, cli, root: Path):
    scen = tmp_path / "bad.toml"
    scen.write_text(SCENARIO.format(osm=root / "tests" / "data" / "osm" / "small.osm").replace("330105", "339999"),
                    encoding="utf-8")
    res = cli("run", str(scen), "--out", str(tmp_path / "out"))
    assert res.returncode == 2
    assert "regions.counties" in res.stderr and "339999" in res.stderr
    assert not (tmp_path / "out").exists()


def test_hangzhou_centre_streets_scenario_routes_on_the_directed_streets(tmp_path: Path, cli, root: Path):
    """scenarios/hangzhou_centre_streets.toml routes on the imported one-way street graph: every community
    is served or reported, and each route's distance is the sum of the directed shortest paths of its legs."""
    import tomllib

    from citylogistics.network.graph import load_graphml
    from citylogistics.network.matrix import od_matrices
    from citylogistics.network.snap import nearest_nodes
    from citylogistics.regions import load_regions

    src = root / "scenarios" / "hangzhou_centre_streets.toml"
    text = src.read_text(encoding="utf-8").replace('file = "../networks/', f'file = "{root}/networks/')
    text = text.replace("time_limit_s = 20", "time_limit_s = 2")
    scen = tmp_path / "streets.toml"
    scen.write_text(text, encoding="utf-8")
    res = cli("run", str(scen), "--out", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    st = load_regions().settlements
    counties = tomllib.loads(text)["regions"]["counties"]
    communities = set(st.index[(st["level"] == "village") & st["county_code"].isin(counties)])
    served = {s["id"].split("~")[0] for r in plan["routes"] for s in r["steps"] if s["type"] == "delivery"}
    unserved = {u["id"].split("~")[0] for u in plan["unassigned"]}
    assert served | unserved == communities and len(served) >= 0.9 * len(communities)
    G = load_graphml(root / "networks" / "hangzhou_centre_streets.graphml")
    assert G.is_directed()
    ids = sorted({s["id"].split("~")[0] for r in plan["routes"] for s in r["steps"]})
    snapped = dict(zip(ids, nearest_nodes(G, st.loc[ids, "lon"].to_numpy(), st.loc[ids, "lat"].to_numpy())))
    _, dist = od_matrices(G, sorted(set(snapped.values())))
    for r in plan["routes"]:
        legs = [snapped[s["id"].split("~")[0]] for s in r["steps"]]
        assert r["distance_m"] == pytest.approx(sum(dist.loc(a, b) for a, b in zip(legs, legs[1:])),
                                                abs=1.0 * len(legs))
