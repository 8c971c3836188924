"""Generated road networks: connectivity, water crossings, attributes, GraphML I/O."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from citylogistics.errors import InputError
from citylogistics.geo import haversine_m
from citylogistics.network.generate import NetworkParams, build_city_network, build_province_backbone, compose_networks
from citylogistics.network.graph import NODE_KINDS, ROAD_CLASSES, load_graphml, save_graphml, validate_network
from citylogistics.network.land import sea_crossing_edges
from citylogistics.network.snap import nearest_nodes

REPO = Path(__file__).resolve().parents[1]
NETWORKS = REPO / "networks"
CITY_FILES = ["hangzhou", "ningbo", "wenzhou", "jiaxing", "huzhou", "shaoxing", "jinhua", "quzhou",
              "zhoushan", "taizhou", "lishui"]

# a mainland square, a bay cut into it, and two islands (one bridged, one not)
MAINLAND = box(120.0, 30.0, 120.5, 30.5).difference(box(120.2, 30.2, 120.5, 30.3))
BRIDGED = box(120.6, 30.0, 120.7, 30.1)
FERRY_ISLAND = box(121.0, 30.4, 121.05, 30.45)
LAND = MultiPolygon([MAINLAND, BRIDGED, FERRY_ISLAND])
PARAMS = NetworkParams(bridged_islands=(("test island", 120.65, 30.05),), fixed_bridges=(),
                       mountain_counties=("339902",), hills_counties=())


def _row(code, level, parent, county, lon, lat):
    return {"code": code, "name": f"n{code}", "level": level, "parent_code": parent, "city_code": "339900",
            "county_code": county, "town_code": code if level == "town" else "", "lon": lon, "lat": lat}


def _settlements() -> pd.DataFrame:
    rows = [
        _row("339900", "city", "330000", "", 120.1, 30.1),
        _row("339901", "county", "339900", "339901", 120.4, 30.4),     # north of the bay
        _row("339902", "county", "339900", "339902", 120.4, 30.1),     # south of the bay, mountains
        _row("339901001", "town", "339901", "339901", 120.3, 30.45),
        _row("339901002", "town", "339901", "339901", 121.02, 30.42),  # on the ferry island
        _row("339902001", "town", "339902", "339902", 120.45, 30.05),
        _row("339902002", "town", "339902", "339902", 120.65, 30.05),  # on the bridged island
    ]
    rng = np.random.default_rng(1)
    k = 0
    for town, (x0, y0, dx, dy) in {
        "339901001": (120.25, 30.35, 0.2, 0.1),
        "339901002": (121.005, 30.405, 0.04, 0.04),
        "339902001": (120.3, 30.02, 0.15, 0.15),
        "339902002": (120.61, 30.01, 0.08, 0.08),
    }.items():
        for _ in range(4):
            k += 1
            county = town[:6]
            rows.append(_row(f"{town}{k:03d}", "village", town, county,
                             x0 + rng.random() * dx, y0 + rng.random() * dy))
    return pd.DataFrame(rows).set_index("code", drop=False)


@pytest.fixture(scope="module")
def toy():
    return build_city_network(_settlements(), city_code="339900", land=LAND, params=PARAMS)


def _on_land(G, land, tol_m=300.0, buffered=None):
    lines = []
    for u, v, c in G.edges(data="road_class"):
        if c in ("bridge", "ferry"):
            continue
        a, b = G.nodes[u], G.nodes[v]
        lines.append(shapely.LineString([(a["x"], a["y"]), (b["x"], b["y"])]))
    buffered = land.buffer(tol_m / 111_195.0) if buffered is None else buffered
    return shapely.covers(buffered, lines)


def test_toy_network_connected_and_complete(toy):
    s = _settlements()
    assert nx.is_connected(toy)
    assert set(s["code"]) <= set(toy.nodes)
    validate_network(toy)
    assert toy.graph["crs"] == "EPSG:4326" and toy.graph["source"] == "generated"
    assert toy.nodes["339900"]["kind"] == "hub"
    assert toy.nodes["339901"]["kind"] == "county"
    assert toy.nodes["339901001"]["kind"] == "town"
    for _, d in toy.nodes(data=True):
        assert d["kind"] in NODE_KINDS
    for _, _, d in toy.edges(data=True):
        assert d["length_m"] > 0 and d["travel_time_s"] > 0 and d["road_class"] in ROAD_CLASSES


def test_toy_no_land_edge_crosses_water(toy):
    assert all(_on_land(toy, LAND))
    assert sea_crossing_edges(toy, LAND) == []
    # the bay is not crossed: the straight hub-county link north of the bay would cross it
    for u, v in toy.edges:
        a, b = toy.nodes[u], toy.nodes[v]
        seg = shapely.LineString([(a["x"], a["y"]), (b["x"], b["y"])])
        if toy.edges[u, v]["road_class"] not in ("bridge", "ferry"):
            assert not seg.crosses(box(120.21, 30.21, 120.49, 30.29))


def test_islands_reached_only_by_bridge_or_ferry(toy):
    island_nodes = {n for n, d in toy.nodes(data=True) if FERRY_ISLAND.buffer(0.003).contains(shapely.Point(d["x"], d["y"]))}
    bridged_nodes = {n for n, d in toy.nodes(data=True) if BRIDGED.buffer(0.003).contains(shapely.Point(d["x"], d["y"]))}
    assert "339901002" in island_nodes and "339902002" in bridged_nodes
    cut = [toy.edges[u, v]["road_class"] for u, v in nx.edge_boundary(toy, island_nodes)]
    assert cut and set(cut) == {"ferry"}
    mainland = set(toy) - island_nodes - bridged_nodes
    cut = [toy.edges[u, v]["road_class"] for u, v in nx.edge_boundary(toy, bridged_nodes, mainland)]
    assert cut and set(cut) == {"bridge"}
    # every edge leaving an island is a water edge
    for u, v in nx.edge_boundary(toy, bridged_nodes):
        assert toy.edges[u, v]["road_class"] in ("bridge", "ferry")
    for _u, _v, d in toy.edges(data=True):
        if d["road_class"] == "ferry":
            assert d["travel_time_s"] >= PARAMS.ferry_wait_s
            # slow: at ferry speed
            assert d["travel_time_s"] == pytest.approx(d["length_m"] / (PARAMS.ferry_speed_kmh / 3.6)
                                                       + PARAMS.ferry_wait_s, abs=0.2)


def test_detour_and_speed_by_terrain(toy):
    p = PARAMS
    for u, v, d in toy.edges(data=True):
        if d["road_class"] in ("bridge", "ferry"):
            continue
        a, b = toy.nodes[u], toy.nodes[v]
        straight = float(haversine_m(a["x"], a["y"], b["x"], b["y"]))
        if straight * p.detour_mountain < p.min_edge_m:
            continue
        zones = {p.zone(a["county_code"] or u), p.zone(b["county_code"] or v)}
        if zones == {"mountain"}:
            assert d["length_m"] == pytest.approx(straight * p.detour_mountain, abs=0.2)
            if d["road_class"] != "expressway":
                speed = p.speeds_kmh[d["road_class"]] * p.mountain_speed_factor / 3.6
                assert d["travel_time_s"] == pytest.approx(d["length_m"] / speed, abs=0.2)
        elif zones == {"plain"}:
            assert d["length_m"] == pytest.approx(straight * p.detour_plain, abs=0.2)


def test_road_classes_follow_tiers(toy):
    assert toy.edges["339900", "339901"]["road_class"] in ("expressway",) if toy.has_edge("339900", "339901") else True
    for u, v, c in toy.edges(data="road_class"):
        kinds = {toy.nodes[u]["kind"], toy.nodes[v]["kind"]}
        if c in ("bridge", "ferry"):
            continue
        if "village" in kinds:
            assert c == "village"
        elif kinds == {"town"}:
            assert c == "county"


def test_build_is_deterministic(tmp_path, toy):
    G2 = build_city_network(_settlements(), city_code="339900", land=LAND, params=PARAMS)
    save_graphml(toy, tmp_path / "a.graphml")
    save_graphml(G2, tmp_path / "b.graphml")
    assert (tmp_path / "a.graphml").read_bytes() == (tmp_path / "b.graphml").read_bytes()


def test_graphml_round_trip(tmp_path, toy):
    path = save_graphml(toy, tmp_path / "toy.graphml")
    G = load_graphml(path)
    assert set(G.nodes) == set(toy.nodes)
    assert G.number_of_edges() == toy.number_of_edges()
    for n, d in toy.nodes(data=True):
        assert G.nodes[n]["x"] == d["x"] and G.nodes[n]["y"] == d["y"]
        assert isinstance(G.nodes[n]["x"], float) and isinstance(G.nodes[n]["code"], str)
    for u, v, d in toy.edges(data=True):
        assert G.edges[u, v] == d
    assert G.graph["source"] == "generated"
    assert not list(tmp_path.glob(".*tmp"))  # atomic write left no temp file


def _write_broken(tmp_path, toy, mutate) -> Path:
    H = toy.copy()
    mutate(H)
    path = tmp_path / "broken.graphml"
    save_graphml(H, path)
    return path


@pytest.mark.parametrize("mutate,match", [
    (lambda H: H.edges[next(iter(H.edges))].update(length_m=0.0), "length_m"),
    (lambda H: H.edges[next(iter(H.edges))].update(travel_time_s=-3.0), "travel_time_s"),
    (lambda H: H.edges[next(iter(H.edges))].update(road_class="motorway"), "road_class"),
    (lambda H: H.nodes["339900"].update(kind="depot"), "kind"),
    (lambda H: H.nodes["339900"].update(x=200.0), "longitude"),
    (lambda H: H.add_node("lonely", x=120.0, y=30.0, kind="junction", code="lonely", name="",
                          city_code="", county_code=""), "not connected"),
])
def test_load_rejects_bad_networks(tmp_path, toy, mutate, match):
    path = _write_broken(tmp_path, toy, mutate)
    with pytest.raises(InputError, match=match) as exc:
        load_graphml(path)
    assert "broken.graphml" in str(exc.value)


def test_load_missing_and_garbage_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_graphml(tmp_path / "nope.graphml")
    bad = tmp_path / "bad.graphml"
    bad.write_text("<graphml><oops", encoding="utf-8")
    with pytest.raises(InputError, match="GraphML"):
        load_graphml(bad)


def test_nearest_nodes(toy):
    n = nearest_nodes(toy, 120.1001, 30.1001)
    assert n == "339900"
    ids, dist = nearest_nodes(toy, [120.1, 120.4], [30.1, 30.4], return_dist=True)
    assert list(ids) == ["339900", "339901"]
    assert np.all(dist < 1.0)


def test_params_validation():
    with pytest.raises(InputError, match="detour"):
        NetworkParams(detour_plain=0.9)
    with pytest.raises(InputError, match="speeds_kmh"):
        NetworkParams(speeds_kmh={"expressway": 90})
    with pytest.raises(InputError, match="ferry_wait_s"):
        NetworkParams(ferry_wait_s=-1)
    p = NetworkParams()
    assert p.zone("331102") == "mountain" and p.zone("330402") == "plain" and p.zone("330782") == "hills"


def test_builder_rejects_bad_input():
    s = _settlements()
    with pytest.raises(InputError, match="city_code"):
        build_city_network(s, city_code="330100", land=LAND)
    s2 = s.copy()
    s2.loc["339901", "lon"] = np.nan
    with pytest.raises(InputError, match="lon/lat"):
        build_city_network(s2, city_code="339900", land=LAND)


# --- the real province ---------------------------------------------------------

@pytest.fixture(scope="module")
def regions():
    from citylogistics.regions import load_regions

    return load_regions()


def test_zhoushan_from_regions(regions):
    land = regions.province_polygon()
    G = build_city_network(regions.settlements, city_code="330900", land=land)
    validate_network(G)
    codes = regions.settlements.query("city_code == '330900' and level != 'province'")["code"]
    assert set(codes) <= set(G.nodes)
    assert sea_crossing_edges(G, land) == []
    classes = {c for _, _, c in G.edges(data="road_class")}
    assert {"bridge", "ferry"} <= classes


def test_backbone_joins_all_hubs(regions):
    land = regions.province_polygon()
    B = build_province_backbone(regions.settlements, land=land)
    validate_network(B)
    hubs = [n for n, k in B.nodes(data="kind") if k == "hub"]
    assert len(hubs) == 11
    assert sea_crossing_edges(B, land) == []
    assert B.edges["330282", "330424"]["road_class"] == "bridge"  # Hangzhou Bay Bridge
    assert B.has_edge("330206", "330902")  # Zhoushan bridges


def test_shipped_networks_valid(regions):
    """The committed networks/*.graphml (required, never skipped) stay on land and join every settlement."""
    land = regions.province_polygon()
    buffered = land.buffer(300.0 / 111_195.0)
    graphs = []
    for name in CITY_FILES + ["zhejiang"]:
        G = load_graphml(NETWORKS / f"{name}.graphml")
        assert G.graph["source"] == "osm+generated", name  # built by `networks build` on the OSM major roads
        assert {d.get("source") for _, _, d in G.edges(data=True)} == {"osm", "generated"}, name
        assert all(_on_land(G, land, buffered=buffered)), name  # independent of sea_crossing_edges
        graphs.append(G)
    P = compose_networks(graphs)
    assert sea_crossing_edges(P, land) == []
    settle = regions.settlements[regions.settlements["level"] != "province"]
    assert set(settle["code"]) <= set(P.nodes)
    for c in ("330900",):  # the Zhoushan hub is on an island: reached by bridge from the mainland
        assert any(P.edges[e]["road_class"] == "bridge" for e in P.edges(c)) or nx.has_path(P, c, "330100")


def test_bay_is_rounded_through_a_junction():
    # an L-shaped land: the straight hub-county link would cut across the sea
    land = box(120.0, 30.0, 120.05, 30.3).union(box(120.0, 30.0, 120.3, 30.05))
    s = pd.DataFrame([
        _row("339900", "city", "330000", "", 120.025, 30.28),
        _row("339901", "county", "339900", "339901", 120.28, 30.025),
    ]).set_index("code", drop=False)
    G = build_city_network(s, city_code="339900", land=land, params=NetworkParams(fixed_bridges=()))
    validate_network(G)
    kinds = [k for _, k in G.nodes(data="kind")]
    assert kinds.count("junction") == 1
    assert sea_crossing_edges(G, land) == []
    assert {c for _, _, c in G.edges(data="road_class")} <= {"expressway"}
    path = nx.shortest_path(G, "339900", "339901")
    assert len(path) == 3


def test_u_shaped_bay_needs_a_path_of_junctions():
    land = (box(120.0, 30.0, 120.05, 30.3).union(box(120.0, 30.0, 120.3, 30.05))
            .union(box(120.25, 30.0, 120.3, 30.3)))
    s = pd.DataFrame([
        _row("339900", "city", "330000", "", 120.025, 30.28),
        _row("339901", "county", "339900", "339901", 120.275, 30.28),
    ]).set_index("code", drop=False)
    G = build_city_network(s, city_code="339900", land=land, params=NetworkParams(fixed_bridges=()))
    validate_network(G)
    assert sum(1 for _, k in G.nodes(data="kind") if k == "junction") >= 2
    assert sea_crossing_edges(G, land) == []
    assert {c for _, _, c in G.edges(data="road_class")} == {"expressway"}


# --------------------------------------------------------------------------- hostile inputs (issue 14)

INVALID_NET = Path(__file__).parent / "data" / "invalid" / "network"


def _frame(rows):
    import pandas as pd

    return pd.DataFrame(rows, columns=["code", "lon", "lat", "city_code"]).set_index("code")


def test_plan_network_must_lie_in_zhejiang_and_reach_the_city():
    from citylogistics.network.graph import load_graphml
    from citylogistics.network.snap import check_plan_network

    G = load_graphml(INVALID_NET / "valid_small.graphml")
    near = _frame([("330900", 122.202939, 29.987949, "330900"), ("330902001", 122.11, 30.03, "330900")])
    check_plan_network(G, near, city_code="330900", source="net.graphml")
    with pytest.raises(InputError, match="net.graphml: node '330900': 4 of 4 nodes lie outside Zhejiang"):
        check_plan_network(load_graphml(INVALID_NET / "net_beijing.graphml"), near, city_code="330900",
                           source="net.graphml")
    with pytest.raises(InputError, match="no settlement of city 330900 .*max_snap_m = 5000 m"):
        check_plan_network(load_graphml(INVALID_NET / "net_lishui.graphml"), near, city_code="330900",
                           source="net.graphml")
    with pytest.raises(InputError, match="city hub 330900 is 19.3 km"):
        check_plan_network(load_graphml(INVALID_NET / "net_hub_far.graphml"), near, city_code="330900",
                           source="net.graphml")
    far = _frame([("330900", 122.202939, 29.5, "330900")])  # the hub 54 km south of every node
    check_plan_network(G, far, city_code="330900", source="n", max_snap_m=60_000)
    with pytest.raises(InputError, match="max_snap_m = 5000 m"):
        check_plan_network(G.subgraph(["330902", "330903"]).copy(), far, city_code="330900", source="n")


@pytest.mark.parametrize("name, wants", [
    ("net_truncated.graphml", ["line 18", "not a readable GraphML file"]),
    ("net_utf8_nul.graphml", ["line 4", "not a readable GraphML file"]),
    ("net_nan_coordinate.graphml", ["node '330902'", "'x' is nan"]),
    ("net_swapped.graphml", ["latitude", "swapped"]),
    ("net_long_value.graphml", ["\u2026"]),
])
def test_load_graphml_hostile_files(name, wants):
    with pytest.raises(InputError) as err:
        load_graphml(INVALID_NET / name)
    msg = err.value.one_line()
    assert len(msg) <= 300, msg
    for want in wants:
        assert want in msg, (want, msg)


def test_long_node_ids_are_echoed_cut_short(tmp_path):
    G = nx.Graph(crs="EPSG:4326")
    G.add_node("n" * 10_000, x=500.0, y=30.0, kind="junction")
    with pytest.raises(InputError) as err:
        validate_network(G, source="g")
    assert len(err.value.one_line()) < 300 and "\u2026" in err.value.one_line()
