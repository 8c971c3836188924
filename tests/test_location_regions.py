"""from_regions builds the travel matrix from regions + network and delegates."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

from citylogistics.errors import InputError
from citylogistics.location.models import MaxCoverage, PMedian


class _Regions:
    """The slice of citylogistics.regions.Regions that from_regions uses."""

    def __init__(self, df):
        self.settlements = df

    def of_level(self, level, *, city=None, county=None):
        df = self.settlements[self.settlements.level == level]
        if city is not None:
            df = df[df.city_code == city]
        if county is not None:
            df = df[df.county_code == county]
        return df


@pytest.fixture
def line():
    # v1 - t1 - v2 - v3 - t2 - v4 along a road, 60 s per edge
    # (about 960 m apart along latitude 30°N)
    codes = ["v1", "t1", "v2", "v3", "t2", "v4"]
    G = nx.Graph()
    for k, c in enumerate(codes):
        G.add_node(c, x=120.0 + 0.01 * k, y=30.0)
    for a, b in zip(codes, codes[1:]):
        G.add_edge(a, b, travel_time_s=60.0, length_m=1000.0)
    df = pd.DataFrame({
        "code": codes,
        "level": ["village", "town", "village", "village", "town", "village"],
        "city_code": ["c"] * 6, "county_code": ["k"] * 6,
        "population": [100, 0, 200, 50, 0, 10],
        "lon": [120.0 + 0.01 * k for k in range(6)], "lat": [30.0] * 6,
    }).set_index("code", drop=False)
    return _Regions(df), G


def test_pmedian_from_regions(line):
    regions, G = line
    model = PMedian.from_regions(regions, G, p=1)
    assert model.site_ids == ("t1", "t2")
    assert model.cost[model.demand_ids.index("v3"), 0] == 120.0
    plan = model.solve(time_limit_s=2)
    # t1: 100*60 + 200*60 + 50*120 + 10*240 = 26400 ; t2: 100*240+200*120+50*60+10*60 = 51600
    assert plan.open_sites == ("t1",)
    assert plan.objective == pytest.approx(26400.0)
    assert plan.total_demand == 360


def test_max_coverage_from_regions_with_limit(line):
    regions, G = line
    plan = MaxCoverage.from_regions(regions, G, p=1, limit=60.0).solve(time_limit_s=2)
    assert plan.open_sites == ("t1",)
    assert plan.covered_demand == 300
    assert plan.assignment["v4"] is None


def test_from_regions_snaps_settlements_that_are_not_nodes(line):
    """An imported road network has its own node ids: every settlement snaps
    to its nearest road node, none is dropped."""
    regions, G = line
    roads = nx.relabel_nodes(G, {c: f"n{k}" for k, c in enumerate(G.nodes)})
    model = PMedian.from_regions(regions, roads, p=1)
    assert model.demand_ids == ("v1", "v2", "v3", "v4") and model.site_ids == ("t1", "t2")
    assert "6 settlements snapped" in model.source
    plan = model.solve(time_limit_s=2)
    assert plan.open_sites == ("t1",) and plan.objective == pytest.approx(26400.0)


def test_from_regions_rejects_settlements_far_from_the_network(line):
    regions, G = line
    # the network covers only the two western points; v4 is ~4.8 km from t1
    G2 = G.subgraph(["v1", "t1"]).copy()
    with pytest.raises(InputError, match="more than 3000 m from every node"):
        PMedian.from_regions(regions, G2, p=1, max_snap_m=3000.0)
    with pytest.raises(InputError, match="no village settlements"):
        PMedian.from_regions(regions, G, p=1, county="elsewhere")
