"""The road source of the city networks and of `networks build`: roads="osm" | "generated" (issue 16 part 2)."""

from __future__ import annotations

import networkx as nx
import pytest

from citylogistics.errors import InputError
from citylogistics.network.generate import ROADS, build_all, build_city_network, build_province_backbone
from citylogistics.network.graph import load_graphml, validate_network
from citylogistics.network.hierarchy import generated_city_network
from citylogistics.network.osm_major import OSM_ATTRIBUTION

ZHOUSHAN, JIAXING = "330900", "330400"


@pytest.fixture(scope="module")
def regions():
    from citylogistics.regions import load_regions

    return load_regions()


@pytest.fixture(scope="module")
def jiaxing_osm(regions):
    return build_city_network(regions.settlements, city_code=JIAXING, land=regions.province_polygon(), roads="osm")


def _edges(G):
    return {(min(u, v), max(u, v)): (d["length_m"], d["travel_time_s"], d["road_class"]) for u, v, d in G.edges(data=True)}


@pytest.mark.parametrize("fn", [build_city_network, build_province_backbone, build_all])
def test_unknown_road_source_is_refused(fn, regions, tmp_path):
    kwargs = {"city_code": ZHOUSHAN} if fn is build_city_network else {}
    first = tmp_path if fn is build_all else regions.settlements
    with pytest.raises(InputError, match=r"roads is 'real'.*'osm'.*'generated'") as exc:
        fn(first, roads="real", **kwargs)
    assert exc.value.where == "roads"
    assert list(tmp_path.iterdir()) == []


def test_default_city_network_is_still_the_generated_one(regions):
    """Until the plans' baseline moves, a scenario without [network] keeps the generated network."""
    land = regions.province_polygon()
    G = build_city_network(regions.settlements, city_code=ZHOUSHAN, land=land)
    H = generated_city_network(regions.settlements, city_code=ZHOUSHAN, land=land)
    assert G.graph["source"] == "generated" and set(G.nodes) == set(H.nodes) and _edges(G) == _edges(H)


def test_osm_city_network_has_every_settlement_and_sourced_edges(jiaxing_osm, regions):
    G = jiaxing_osm
    validate_network(G, source="jiaxing osm")
    assert G.graph["source"] == "osm+generated" and G.graph["attribution"] == OSM_ATTRIBUTION
    city = regions.settlements[regions.settlements["city_code"] == JIAXING]
    assert set(city["code"]) <= set(G.nodes)
    assert {d["source"] for _, _, d in G.edges(data=True)} == {"osm", "generated"}
    # village-to-village and village-to-town links stay generated: the major roads do not reach villages
    for u, v, d in G.edges(data=True):
        if "village" in (G.nodes[u]["kind"], G.nodes[v]["kind"]):
            assert d["source"] == "generated"


def test_osm_city_network_routes_the_hub_to_its_towns_on_real_roads(jiaxing_osm):
    """The fastest paths from the hub to the towns run mostly on OSM roads (access links are short)."""
    G = jiaxing_osm
    _, paths = nx.single_source_dijkstra(G, JIAXING, weight="travel_time_s")
    on = total = 0.0
    for town in (n for n, k in G.nodes(data="kind") if k == "town"):
        for u, v in zip(paths[town], paths[town][1:]):
            d = G.edges[u, v]
            total += d["length_m"]
            on += d["length_m"] if d["source"] == "osm" else 0.0
    assert on / total >= 0.6


def test_build_all_writes_loadable_networks_of_the_chosen_roads(regions, tmp_path, monkeypatch):
    """build_all(roads=...) writes one file per city and the backbone; each loads and says its source."""
    from citylogistics import regions as regions_mod

    monkeypatch.setattr(regions_mod, "CITY_CODES", {ZHOUSHAN: "Zhoushan"})
    paths = build_all(tmp_path / "osm", regions=regions, progress=False)
    assert [p.name for p in paths] == ["zhoushan.graphml", "zhejiang.graphml"]
    city, backbone = (load_graphml(p) for p in paths)
    assert city.graph["source"] == backbone.graph["source"] == "osm+generated"
    assert city.graph["name"] == "Zhoushan"
    gen = build_all(tmp_path / "gen", regions=regions, roads="generated", progress=False)
    assert load_graphml(gen[0]).graph["source"] == "generated"
    assert set(ROADS) == {"osm", "generated"}
