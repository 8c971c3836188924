"""City streets (`citylogistics networks import`, issue 16 part 4): drivable classes only, one-way streets,
maxspeed, the largest strongly connected part, degree-2 chains merged with their geometry."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely

from citylogistics.cli import build_parser
from citylogistics.errors import InputError
from citylogistics.geo import geodesic_m
from citylogistics.network.graph import load_graphml
from citylogistics.network.osm_import import import_streets

ROOT = Path(__file__).resolve().parents[1]
HANGZHOU_SHP = ROOT.parent / "shared" / "data" / "osm" / "hangzhou_centre" / "roads.shp"
SHIPPED = ROOT / "networks" / "hangzhou_centre_streets.graphml"

P0, P3, Q, R, S = (120.00, 30.00), (120.03, 30.00), (120.03, 30.01), (120.00, 30.01), (120.04, 30.00)
CHAIN = [[P0, (120.005, 30.001), (120.01, 30.0)], [(120.01, 30.0), (120.02, 30.0)],
         [(120.02, 30.0), (120.025, 29.999), P3]]


def _feature(coords, fclass, oneway="B", maxspeed=0, name=""):
    return {"type": "Feature", "properties": {"fclass": fclass, "oneway": oneway, "maxspeed": maxspeed, "name": name},
            "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]}}


@pytest.fixture
def lines(tmp_path) -> Path:
    """A loop P0 =chain= P3 -> Q -> R = P0, a one-way spur P3 -> S and a footway."""
    feats = [
        _feature(CHAIN[0], "residential", maxspeed=30, name="Chain Rd"),
        _feature(CHAIN[1], "residential", name="Chain Rd"),
        _feature(CHAIN[2], "residential", name="Chain Rd"),
        _feature([P3, Q], "primary", oneway="F", maxspeed=60),
        _feature([R, Q], "secondary", oneway="T"),           # drawn R -> Q, driven Q -> R (T: against)
        _feature([R, P0], "tertiary"),
        _feature([P3, S], "primary", oneway="F"),            # dead end: not strongly connected
        _feature([P0, (119.99, 30.0)], "footway"),           # not drivable
    ]
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


def _node_at(G, xy):
    found = [n for n, d in G.nodes(data=True) if abs(d["x"] - xy[0]) < 1e-9 and abs(d["y"] - xy[1]) < 1e-9]
    assert len(found) == 1, (xy, found)
    return found[0]


def _polyline_m(coords) -> float:
    c = np.asarray(coords, dtype=float)
    return float(np.sum(geodesic_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1])))


def test_import_keeps_drivable_strongly_connected_roads(lines):
    G = import_streets(lines)
    assert G.is_directed() and nx.is_strongly_connected(G)
    assert G.number_of_nodes() == 4  # P0, P3, Q, R: the chain's two inner nodes merged, S and the footway gone
    assert G.graph["dropped_nodes"] == 1 and G.graph["merged_nodes"] == 2
    assert not any(abs(d["x"] - 119.99) < 1e-9 or abs(d["x"] - S[0]) < 1e-9 for _, d in G.nodes(data=True))
    assert "OpenStreetMap" in G.graph["attribution"]


def test_oneway_honoured(lines):
    G = import_streets(lines)
    p3, q, r = _node_at(G, P3), _node_at(G, Q), _node_at(G, R)
    assert G.has_edge(p3, q) and not G.has_edge(q, p3)      # F: along the drawing
    assert G.has_edge(q, r) and not G.has_edge(r, q)        # T: against the drawing (drawn R -> Q)
    time = nx.shortest_path_length(G, q, p3, weight="travel_time_s")
    assert time > G.edges[p3, q]["travel_time_s"]           # back from Q goes round the loop


def test_degree2_chain_merged_with_geometry_length_and_time(lines):
    G = import_streets(lines)
    p0, p3 = _node_at(G, P0), _node_at(G, P3)
    e = G.edges[p0, p3]
    coords = [CHAIN[0][0], *CHAIN[0][1:], *CHAIN[1][1:], *CHAIN[2][1:]]
    line = shapely.from_wkt(e["geometry"])
    assert np.allclose(np.asarray(line.coords), coords, atol=1e-7)
    assert np.allclose(np.asarray(shapely.from_wkt(G.edges[p3, p0]["geometry"]).coords), coords[::-1], atol=1e-7)
    assert e["length_m"] == pytest.approx(_polyline_m(coords), abs=0.1)
    parts = [_polyline_m(c) for c in CHAIN]
    expected_s = parts[0] / (30 / 3.6) + (parts[1] + parts[2]) / (25 / 3.6)  # maxspeed 30, then class speed 25
    assert e["travel_time_s"] == pytest.approx(expected_s, abs=0.1)
    assert e["road_class"] == "village" and e["name"] == "Chain Rd"


def test_maxspeed_used_where_given_class_speed_elsewhere(lines):
    G = import_streets(lines)
    p3, q, r, p0 = (_node_at(G, xy) for xy in (P3, Q, R, P0))
    assert G.edges[p3, q]["length_m"] / G.edges[p3, q]["travel_time_s"] * 3.6 == pytest.approx(60, rel=1e-3)
    assert G.edges[q, r]["length_m"] / G.edges[q, r]["travel_time_s"] * 3.6 == pytest.approx(50, rel=1e-3)
    assert G.edges[r, p0]["length_m"] / G.edges[r, p0]["travel_time_s"] * 3.6 == pytest.approx(40, rel=1e-3)


def _parse(argv):
    return build_parser().parse_args(["networks", *argv])


def test_cli_handler_writes_graphml_and_refuses_to_overwrite(lines, tmp_path, capsys):
    out = tmp_path / "streets.graphml"
    args = _parse(["import", str(lines), "--out", str(out)])
    assert args.func(args) == 0 and "4 nodes" in capsys.readouterr().out
    G = load_graphml(out)
    assert G.is_directed() and all(d["geometry"].startswith("LINESTRING") for _, _, d in G.edges(data=True))
    before = out.read_bytes()
    with pytest.raises(InputError, match="--overwrite"):
        args.func(_parse(["import", str(lines), "--out", str(out)]))
    assert out.read_bytes() == before
    args = _parse(["import", str(lines), "--out", str(out), "--overwrite"])
    assert args.func(args) == 0 and out.read_bytes() == before  # deterministic
    with pytest.raises(InputError, match="graphml"):
        args.func(_parse(["import", str(lines), "--out", str(tmp_path / "streets.csv")]))
    with pytest.raises(InputError, match="unknown street file type"):
        args.func(_parse(["import", str(tmp_path / "roads.txt"), "--out", str(tmp_path / "x.graphml")]))
    assert not (tmp_path / "x.graphml").exists()


def test_osm_xml_streets_are_directed_and_strongly_connected():
    G = import_streets(ROOT / "tests" / "data" / "osm" / "small.osm")
    assert G.is_directed() and nx.is_strongly_connected(G)
    assert all("geometry" in d for _, _, d in G.edges(data=True))


@pytest.fixture(scope="module")
def hangzhou():
    if not HANGZHOU_SHP.exists():
        pytest.fail(f"required shared data missing: {HANGZHOU_SHP}", pytrace=False)
    return import_streets(HANGZHOU_SHP)


def test_hangzhou_centre_streets(hangzhou):
    """The shipped extract: ~7,500 nodes at shared vertices, ~7,000 strongly connected before merging."""
    G = hangzhou
    assert nx.is_strongly_connected(G)
    assert G.graph["dropped_nodes"] < 0.1 * (G.number_of_nodes() + G.graph["merged_nodes"])
    assert 5_000 <= G.number_of_nodes() <= 8_000
    one_way = sum(1 for u, v in G.edges if not G.has_edge(v, u))
    assert one_way > 1_000
    speeds = np.array([d["length_m"] / d["travel_time_s"] * 3.6 for _, _, d in G.edges(data=True)])
    assert np.any(np.abs(speeds - 30) < 0.5)  # only a maxspeed gives 30 km/h (class speeds are 25/40/50/60/90)
    for u, v, d in G.edges(data=True):
        c = np.asarray(shapely.from_wkt(d["geometry"]).coords)
        assert np.allclose(c[0], (G.nodes[u]["x"], G.nodes[u]["y"]), atol=1e-6)
        assert np.allclose(c[-1], (G.nodes[v]["x"], G.nodes[v]["y"]), atol=1e-6)
        assert d["length_m"] == pytest.approx(_polyline_m(c), abs=0.1 + 1e-6 * d["length_m"])


def test_shipped_hangzhou_graph_is_the_import_of_the_extract(hangzhou):
    """networks/hangzhou_centre_streets.graphml is what `networks import` makes of the shared extract."""
    S = load_graphml(SHIPPED)
    assert S.is_directed() and "OpenStreetMap" in S.graph["attribution"]
    assert set(S.nodes) == set(hangzhou.nodes) and set(S.edges) == set(hangzhou.edges)
