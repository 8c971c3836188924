"""The packaged OSM major roads and the backbone built on them (issue 16 parts 2-3)."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from citylogistics.network.graph import validate_network
from citylogistics.network.osm_build import build_province_road_backbone
from citylogistics.network.osm_major import OSM_ATTRIBUTION, SpeedRule, load_major_roads, major_roads_files
from citylogistics.network.snap import nearest_nodes


@pytest.fixture(scope="module")
def major():
    return load_major_roads()


@pytest.fixture(scope="module")
def regions():
    from citylogistics.regions import load_regions

    return load_regions()


@pytest.fixture(scope="module")
def backbone(major, regions):
    return build_province_road_backbone(major, regions.settlements)


def test_packaged_files_carry_the_attribution():
    import gzip

    for path in major_roads_files():
        with gzip.open(path, "rt", encoding="utf-8") as f:
            assert OSM_ATTRIBUTION in f.readline()
    assert "ODbL" in (major_roads_files()[0].parent / "SOURCES.md").read_text(encoding="utf-8")


def test_major_roads_load_with_plausible_size(major):
    assert 10_000 <= major.number_of_nodes() <= 12_500
    assert 16_000 <= major.number_of_edges() <= 19_000
    assert major.graph["crs"] == "EPSG:4326" and major.graph["source"] == "osm"
    xs = np.array([d["x"] for _, d in major.nodes(data=True)])
    ys = np.array([d["y"] for _, d in major.nodes(data=True)])
    assert xs.min() > 117.8 and xs.max() < 123.1 and ys.min() > 26.9 and ys.max() < 31.4
    km = sum(d["length_m"] for _, _, d in major.edges(data=True)) / 1000
    assert 28_000 < km < 35_000


def test_every_edge_has_source_length_time_and_class(major):
    for _, _, d in major.edges(data=True):
        assert d["source"] == "osm"
        assert math.isfinite(d["length_m"]) and d["length_m"] > 0
        assert math.isfinite(d["travel_time_s"]) and d["travel_time_s"] > 0
        assert d["road_class"] in ("expressway", "national", "provincial")
    # the largest component is the mainland network
    assert len(max(nx.connected_components(major), key=len)) > 0.9 * major.number_of_nodes()


def test_speed_rule():
    rule = SpeedRule()
    cls = rule.classify(np.array([20_000.0, 20_000.0, 3_000.0, 3_000.0, 500.0]),
                        np.array([0.97, 0.7, 0.95, 0.5, 1.0]))
    assert cls.tolist() == ["expressway", "provincial", "national", "provincial", "provincial"]


def test_backbone_valid_and_sourced(backbone, regions):
    validate_network(backbone)
    assert backbone.graph["attribution"] == OSM_ATTRIBUTION
    sources = {d["source"] for _, _, d in backbone.edges(data=True)}
    assert sources == {"osm", "generated"}
    pts = list(regions.of_level("city")["code"]) + list(regions.of_level("county")["code"])
    assert len(pts) == 101 and all(c in backbone for c in pts)
    assert {backbone.nodes[c]["kind"] for c in pts} == {"hub", "county"}
    land = regions.province_polygon()
    from citylogistics.network.land import sea_crossing_edges

    assert sea_crossing_edges(backbone, land) == []


def test_backbone_distances_agree_with_osm(backbone, major, regions):
    """A sample of backbone pairs: median |ratio-1| <= 5 %, >= 90 % within 15 % (pairs >= 20 km by road,
    points within 5 km of a major road)."""
    import pandas as pd

    pts = pd.concat([regions.of_level("city"), regions.of_level("county")])
    pts = pts.iloc[::4]  # every fourth point: 26 points, ~250 pairs that count
    ref_nodes, snap = nearest_nodes(major, pts["lon"].to_numpy(), pts["lat"].to_numpy(), return_dist=True)
    codes = pts["code"].tolist()
    ratios = []
    for i, (c, r) in enumerate(zip(codes, ref_nodes)):
        if snap[i] > 5000:
            continue
        ref = nx.single_source_dijkstra_path_length(major, r, weight="length_m")
        got = nx.single_source_dijkstra_path_length(backbone, c, weight="length_m")
        for j in range(i + 1, len(codes)):
            dref = ref.get(ref_nodes[j], math.inf)
            if snap[j] > 5000 or not (20_000 <= dref < math.inf):
                continue
            ratios.append(got[codes[j]] / dref)
    dev = np.abs(np.array(ratios) - 1)
    assert len(ratios) > 150
    assert np.median(dev) <= 0.05
    assert np.mean(dev <= 0.15) >= 0.90
