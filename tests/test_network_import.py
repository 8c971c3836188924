"""Importing real roads: the hand-written .osm fixture, road-line files, snapping."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, MultiLineString

from citylogistics.errors import InputError
from citylogistics.geo import geodesic_m
from citylogistics.network.graph import save_graphml, validate_network
from citylogistics.network.hierarchy import NetworkParams
from citylogistics.network.matrix import travel_matrix
from citylogistics.network.osm_import import (
    attach_settlements,
    import_osm,
    import_road_lines,
    load_network,
    snap_settlements,
)

OSM = Path(__file__).parent / "data" / "osm" / "small.osm"


@pytest.fixture(scope="module")
def osm():
    return import_osm(OSM)


def test_osm_fixture_imports(osm):
    validate_network(osm, source="small.osm")
    assert osm.graph["source"] == "osm" and osm.graph["crs"] == "EPSG:4326"
    # interior vertex 13 merged away, footway node 10 skipped, island 11-12 dropped
    assert set(osm.nodes) == {f"osm{i}" for i in range(1, 10)}
    assert osm.graph["dropped_nodes"] == 2
    assert osm.edges["osm1", "osm2"]["road_class"] == "national"
    assert osm.edges["osm4", "osm8"]["road_class"] == "bridge"
    assert osm.edges["osm8", "osm9"]["road_class"] == "ferry"
    assert osm.edges["osm3", "osm7"]["road_class"] == "county"
    p = NetworkParams()
    n2, n3 = osm.nodes["osm2"], osm.nodes["osm3"]
    straight = float(geodesic_m(n2["x"], n2["y"], n3["x"], n3["y"]))  # measured roads: WGS-84 ellipsoid
    e = osm.edges["osm2", "osm3"]
    assert e["length_m"] == pytest.approx(straight, abs=0.2)
    assert e["travel_time_s"] == pytest.approx(straight / (60 / 3.6), abs=0.2)  # maxspeed 60
    f = osm.edges["osm8", "osm9"]
    assert f["travel_time_s"] == pytest.approx(f["length_m"] / (p.ferry_speed_kmh / 3.6) + p.ferry_wait_s, abs=0.2)
    e67 = osm.edges["osm6", "osm7"]
    assert e67["travel_time_s"] == pytest.approx(e67["length_m"] / (20 * 1.609344 / 3.6), abs=0.2)  # 20 mph


def test_osm_fixture_routes(osm):
    nodes = sorted(osm)
    M = travel_matrix(osm, nodes)
    assert np.isfinite(M.values).all()
    for o in nodes:
        ref = nx.single_source_dijkstra_path_length(osm, o, weight="travel_time_s")
        for d in nodes:
            assert M.loc(o, d) == pytest.approx(ref[d])
    path = nx.shortest_path(osm, "osm1", "osm9", weight="travel_time_s")
    assert path == ["osm1", "osm2", "osm3", "osm4", "osm8", "osm9"]


def test_osm_directed_honours_oneway():
    D = import_osm(OSM, directed=True)
    assert D.is_directed()
    assert D.has_edge("osm3", "osm7") and not D.has_edge("osm7", "osm3")
    assert D.has_edge("osm1", "osm2") and D.has_edge("osm2", "osm1")
    M = travel_matrix(D, ["osm3", "osm7"])
    assert M.loc("osm7", "osm3") > M.loc("osm3", "osm7")  # must go round


def test_osm_graphml_round_trip(tmp_path, osm):
    p = save_graphml(osm, tmp_path / "osm.graphml")
    G = load_network(p)
    assert set(G.nodes) == set(osm.nodes)
    assert G.edges["osm1", "osm2"] == {k: v for k, v in osm.edges["osm1", "osm2"].items()}


def test_snap_and_attach_settlements(osm):
    s = pd.DataFrame({
        "code": ["330106001001", "330106001002", "330106001003"],
        "level": ["village", "village", "town"],
        "lon": [120.1051, 120.1401, 120.1149],
        "lat": [30.2551, 30.2502, 30.2501],
        "name": ["a", "b", "c"],
    })
    snap = snap_settlements(osm, s)
    assert list(snap["node"]) == ["osm5", "osm9", "osm4"]
    assert (snap["dist_m"] < 30).all()
    G = attach_settlements(osm, s)
    validate_network(G)
    assert G.nodes["330106001003"]["kind"] == "town"
    assert G.edges["330106001001", "osm5"]["road_class"] == "village"
    M = travel_matrix(G, ["330106001001"], ["330106001002", "330106001003"])
    assert np.isfinite(M.values).all()
    assert M.values[0, 0] > NetworkParams().ferry_wait_s  # village b is across the ferry
    far = pd.DataFrame({"code": ["x"], "lon": [121.0], "lat": [31.0]})
    with pytest.raises(InputError, match="from any road"):
        attach_settlements(osm, far, max_dist_m=1000)
    G2 = attach_settlements(osm, far, max_dist_m=1000, on_far="drop")
    assert "x" not in G2 and G2.graph["unsnapped"] == "x"


def test_osm_bad_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        import_osm(tmp_path / "none.osm")
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node id='1' lat='30' lon='120'>", encoding="utf-8")
    with pytest.raises(InputError, match="OSM XML"):
        import_osm(bad)
    dangling = tmp_path / "dangling.osm"
    dangling.write_text("<osm><node id='1' lat='30' lon='120'/><way id='5'><nd ref='1'/><nd ref='2'/>"
                        "<tag k='highway' v='primary'/></way></osm>", encoding="utf-8")
    with pytest.raises(InputError, match="way 5"):
        import_osm(dangling)
    empty = tmp_path / "empty.osm"
    empty.write_text("<osm><node id='1' lat='30' lon='120'/></osm>", encoding="utf-8")
    with pytest.raises(InputError, match="no drivable roads"):
        import_osm(empty)


def _lines() -> gpd.GeoDataFrame:
    # a cross (shared vertex at 120.1, 30.0) and a multi-line continuing east
    geoms = [
        LineString([(120.09, 30.0), (120.1, 30.0), (120.11, 30.0)]),
        LineString([(120.1, 29.99), (120.1, 30.0), (120.1, 30.01)]),
        MultiLineString([[(120.11, 30.0), (120.12, 30.0)], [(120.12, 30.0), (120.13, 30.005)]]),
    ]
    return gpd.GeoDataFrame({"cls": ["primary", "village", None], "kmh": [70.0, None, None]},
                            geometry=geoms, crs="EPSG:4326")


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_road_lines_import(tmp_path, suffix):
    path = tmp_path / f"roads{suffix}"
    _lines().to_file(path)
    G = import_road_lines(path, class_column="cls", speed_column="kmh")
    validate_network(G)
    assert G.graph["source"] == "road-lines"
    assert G.number_of_nodes() == 7 and G.number_of_edges() == 6
    classes = sorted(c for _, _, c in G.edges(data="road_class"))
    assert classes == ["county", "county", "national", "national", "village", "village"]
    # the line is split at the shared vertex: the cross centre has degree 4
    centre = [n for n, d in G.nodes(data=True) if abs(d["x"] - 120.1) < 1e-9 and abs(d["y"] - 30.0) < 1e-9]
    assert len(centre) == 1 and G.degree(centre[0]) == 4
    for _u, _v, d in G.edges(data=True):
        if d["road_class"] == "national":
            assert d["travel_time_s"] == pytest.approx(d["length_m"] / (70 / 3.6), abs=0.2)
    G2 = load_network(path, class_column="cls")
    assert G2.number_of_edges() == 6


def test_road_lines_projected_crs_and_errors(tmp_path):
    g = _lines().to_crs("EPSG:32651")  # UTM 51N
    path = tmp_path / "utm.gpkg"
    g.to_file(path)
    G = import_road_lines(path)
    xs = [d["x"] for _, d in G.nodes(data=True)]
    assert min(xs) == pytest.approx(120.09, abs=1e-6)
    nocrs = tmp_path / "nocrs.geojson"
    nocrs.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
                     '"geometry":{"type":"Point","coordinates":[120,30]}}]}', encoding="utf-8")
    with pytest.raises(InputError, match="LineString"):
        import_road_lines(nocrs)
    with pytest.raises(InputError, match="column"):
        import_road_lines(path, class_column="nope")
    with pytest.raises(InputError, match="unknown network file type"):
        load_network(tmp_path / "x.txt")


# --------------------------------------------------------------------------- hostile inputs (issue 14)

@pytest.mark.parametrize("text, wants", [
    ("<osm>\n<node id='1' lat='30' lon='120'/>\n<node id='2' lat='3", ["line 3", "not well-formed OSM XML"]),
    ("<osm>\n<node id='1' lat='nan' lon='120'/>\n</osm>", ["line 2: node 1", "'nan'"]),
    ("<osm>\n\n<node id='7' lat='30' lon='-1e999'/>\n</osm>", ["line 3: node 7", "WGS-84"]),
    ("<osm>\n<node id='1' lat='30' lon='200'/>\n</osm>", ["line 2: node 1", "'200'"]),
    ("<osm>\n<node id='" + "9" * 5000 + "' lat='x' lon='1'/>\n</osm>", ["line 2: node 999", "\u2026", "numeric"]),
    ("<osm>\n<way id='5'>\n<nd ref='1'/><nd ref='2'/><tag k='highway' v='primary'/></way></osm>",
     ["line 2: way 5", "node 1"]),
])
def test_osm_hostile_files(tmp_path, text, wants):
    p = tmp_path / "h.osm"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_osm(p)
    msg = err.value.one_line()
    assert len(msg) <= 300, msg
    for want in wants:
        assert want in msg, (want, msg)


def test_osm_binary_file_gives_the_parser_line(tmp_path):
    p = tmp_path / "b.osm"
    p.write_bytes(b"<osm>\n\n" + bytes(range(256)))
    with pytest.raises(InputError, match="line 3: not well-formed OSM XML"):
        import_osm(p)


@pytest.mark.parametrize("coord", ["1e999", "500.0"])
def test_road_lines_with_bad_vertex(tmp_path, coord):
    p = tmp_path / "bad.geojson"
    line = {"type": "LineString", "coordinates": "COORDS"}
    text = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": line}]})
    p.write_text(text.replace('"COORDS"', f"[[120.0, 30.0], [{coord}, 30.1]]"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_road_lines(p)
    msg = err.value.one_line()
    assert "bad.geojson" in msg and len(msg) <= 300
    if coord == "500.0":
        assert "feature 0" in msg and "lon/lat" in msg
