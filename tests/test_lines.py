"""Routes drawn along the roads (issue 16 part 5): a path of nodes becomes the polyline its roads follow."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from citylogistics.geo import geodesic_m
from citylogistics.network.graph import load_graphml
from citylogistics.network.lines import RoadLines
from citylogistics.network.osm_import import import_streets

ROOT = Path(__file__).resolve().parents[1]
CHAIN = [(120.00, 30.00), (120.005, 30.001), (120.01, 30.0), (120.02, 30.0), (120.025, 29.999), (120.03, 30.0)]


def _polyline_m(coords) -> float:
    c = np.asarray(coords, dtype=float)
    return float(np.sum(geodesic_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1])))


def _path_m(G, path) -> float:
    return sum(G.edges[a, b]["length_m"] for a, b in zip(path, path[1:]))


def test_merged_chain_is_drawn_through_its_bends(tmp_path):
    """A two-way street whose degree-2 chain was merged: the drawn path passes every bend, both ways."""
    feats = [
        {
            "type": "Feature",
            "properties": {"fclass": "residential", "oneway": "B", "maxspeed": 0, "name": "Chain"},
            "geometry": {"type": "LineString", "coordinates": [list(c) for c in CHAIN]},
        },
        {
            "type": "Feature",
            "properties": {"fclass": "residential", "oneway": "B", "maxspeed": 0, "name": "Back"},
            "geometry": {
                "type": "LineString",
                "coordinates": [list(CHAIN[-1]), [120.03, 30.01], [120.0, 30.01], list(CHAIN[0])],
            },
        },
    ]
    src = tmp_path / "roads.geojson"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    G = import_streets(src)
    a = next(n for n, d in G.nodes(data=True) if (d["x"], d["y"]) == CHAIN[0])
    b = next(n for n, d in G.nodes(data=True) if (d["x"], d["y"]) == CHAIN[-1])
    lines = RoadLines(G)
    assert lines.has_geometry
    path = nx.shortest_path(G, a, b, weight="travel_time_s")
    drawn = lines.along(path)
    assert len(path) < len(drawn)
    assert [tuple(p) for p in drawn] == CHAIN
    back = lines.along(nx.shortest_path(G, b, a, weight="travel_time_s"))
    assert back[0] == CHAIN[-1] and back[-1] == CHAIN[0]
    assert _polyline_m(drawn) == pytest.approx(_path_m(G, path), rel=1e-3)


def test_undirected_edge_stored_backwards_is_oriented_from_its_first_node():
    G = nx.Graph()
    G.add_node("u", x=120.0, y=30.0)
    G.add_node("v", x=120.02, y=30.0)
    G.add_edge(
        "v", "u", length_m=2000.0, travel_time_s=100.0, geometry="LINESTRING (120.02 30.0, 120.01 30.005, 120.0 30.0)"
    )
    lines = RoadLines(G)
    assert lines.along(["u", "v"]) == [(120.0, 30.0), (120.01, 30.005), (120.02, 30.0)]
    assert lines.along(["v", "u"]) == [(120.02, 30.0), (120.01, 30.005), (120.0, 30.0)]


def test_graph_without_polylines_draws_its_nodes():
    """The OSM major-road networks: edges are straight segments between the source's nodes."""
    G = load_graphml(ROOT / "networks" / "zhoushan.graphml")
    lines = RoadLines(G)
    assert not lines.has_geometry
    path = nx.shortest_path(G, "330900", "330903", weight="travel_time_s")
    assert lines.along(path) == [(G.nodes[n]["x"], G.nodes[n]["y"]) for n in path]


def test_shipped_streets_drawn_length_equals_road_length():
    """On the imported Hangzhou-centre streets, a drawn path is as long as the roads it runs on
    (straight node-to-node drawing would cut every bend short)."""
    G = load_graphml(ROOT / "networks" / "hangzhou_centre_streets.graphml")
    lines = RoadLines(G)
    rng = np.random.default_rng(0)
    nodes = sorted(G.nodes)
    shortcut = 0
    for _ in range(20):
        a, b = (nodes[i] for i in rng.choice(len(nodes), 2, replace=False))
        path = nx.shortest_path(G, a, b, weight="travel_time_s")
        drawn = lines.along(path)
        road = _path_m(G, path)
        assert _polyline_m(drawn) == pytest.approx(road, rel=1e-3, abs=1.0)
        straight = [(G.nodes[n]["x"], G.nodes[n]["y"]) for n in path]
        shortcut += _polyline_m(straight) < 0.999 * road
    assert shortcut > 10


def test_plan_on_imported_streets_draws_routes_along_them_and_lists_what_they_miss(tmp_path, cli):
    """A [plan] on the Hangzhou-centre streets: every route in plan.gpkg is drawn as long as the roads it
    runs on; villages farther than 5 km from every street are unserved as unreachable, never snapped."""
    import geopandas as gpd
    import pandas as pd

    from citylogistics.network.snap import nearest_nodes

    out = tmp_path / "out"
    res = cli("run", str(ROOT / "tests" / "data" / "scenarios" / "hangzhou_centre_plan.toml"), "--out", str(out))
    assert res.returncode == 0, res.stderr
    routes = gpd.read_file(out / "plan.gpkg", layer="routes")
    # A round whose villages all snap to the station's own street node drives 0 m on the
    # network; it is drawn through its stops instead.
    routes = routes[routes["distance_m"] > 0]
    assert len(routes) > 0
    for geom, dist in zip(routes.geometry, routes["distance_m"]):
        assert _polyline_m(geom.coords) == pytest.approx(dist, rel=1e-3, abs=2.0)
    v = pd.read_csv(out / "villages.csv", dtype={"code": str}).set_index("code")
    G = load_graphml(ROOT / "networks" / "hangzhou_centre_streets.graphml")
    _, snap_m = nearest_nodes(G, v["lon"].to_numpy(), v["lat"].to_numpy(), return_dist=True)
    off = np.asarray(snap_m) > 5010  # villages.csv rounds points to 1e-6 degrees
    assert 0 < off.sum() < len(v)
    assert (v["reason"][off] == "unreachable").all()
    assert v["covered_year"][off].isna().all() and v["served_by"][off].isna().all()
    served = v["reason"].fillna("").eq("")
    assert served.any() and v["covered_year"][served].notna().all()
