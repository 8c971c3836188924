"""Hub siting (issue 19 part 2): the candidates file, generated candidates and the
multi-period model's invariants, checked from the inputs rather than from the plan's
own figures."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from citylogistics.errors import InputError
from citylogistics.location.hubs import (DEFAULT_THROUGHPUT_PARCELS_PER_M2_DAY, HubCandidate, HubSiting, LandCostRule,
                                      per_parcel_km_from_truck, propose_candidates, read_candidates,
                                      write_candidates)

DATA = Path(__file__).parent / "data" / "hubs"


# ---------------------------------------------------------------------------
# Candidates file
# ---------------------------------------------------------------------------
def test_read_candidates_fixture():
    cands = read_candidates(DATA / "candidates_ok.csv")
    assert [c.id for c in cands] == ["T0-seat", "XS-1", "YH-1", "FY-1"]
    assert [c.existing for c in cands] == [True, False, False, False]
    # empty capacity cell: derived from the area at the stated throughput
    assert cands[1].capacity_parcels_per_day == pytest.approx(80000 * DEFAULT_THROUGHPUT_PARCELS_PER_M2_DAY)
    assert cands[2].capacity_parcels_per_day == 450000
    assert cands[1].land_cost_cny == 240_000_000 and cands[3].annual_cost_cny == 5_500_000
    again = read_candidates(DATA / "candidates_ok.csv", throughput_parcels_per_m2_day=5.0)
    assert again[1].capacity_parcels_per_day == 400000


def test_candidates_round_trip(tmp_path):
    cands = read_candidates(DATA / "candidates_ok.csv")
    back = read_candidates(write_candidates(tmp_path / "c.csv", cands))
    assert back == cands


INVALID = {
    "bad_number.csv": ("line 3, column lat", "not a number"),
    "missing_column.csv": ("line 1", "annual_cost_cny"),
    "unknown_column.csv": ("line 1, column 6", "did you mean 'annual_cost_cny'"),
    "duplicate_id.csv": ("line 3, column id", "already used on line 2"),
    "zero_area.csv": ("line 2, column area_m2", "> 0"),
    "negative_land_cost.csv": ("line 2, column land_cost_cny", ">= 0"),
    "lat_out_of_range.csv": ("line 2, column lat", "outside"),
    "bad_boolean.csv": ("line 2, column existing", "not a boolean"),
    "no_rows.csv": ("line 2", "no candidate rows"),
    "empty.csv": ("line 1", "empty"),
    "short_row.csv": ("line 2", "5 fields"),
    "negative_capacity.csv": ("line 2, column capacity_parcels_per_day", "> 0"),
    "empty_id.csv": ("line 2, column id", "empty"),
}


def test_every_invalid_fixture_is_listed():
    assert sorted(p.name for p in (DATA / "invalid").glob("*.csv")) == sorted(INVALID)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_candidates_refused(name):
    where, text = INVALID[name]
    with pytest.raises(InputError) as exc:
        read_candidates(DATA / "invalid" / name)
    assert exc.value.where == where
    assert text in exc.value.message
    assert name in exc.value.source


def test_missing_candidates_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_candidates(tmp_path / "nope.csv")


# ---------------------------------------------------------------------------
# Generated candidates
# ---------------------------------------------------------------------------
def _grid_graph(n: int = 6, step_deg: float = 0.02) -> nx.Graph:
    """An n x n grid of roads around (120.0, 30.0): the outer ring is 'county' road,
    inner roads 'national' (major); node degree 4 inside, 3 on the sides, 2 at corners."""
    G = nx.Graph(crs="EPSG:4326")
    for i in range(n):
        for j in range(n):
            G.add_node(f"j{i}_{j}", x=120.0 + i * step_deg, y=30.0 + j * step_deg, kind="junction")
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n:
                    edge_ring = (i in (0, n - 1) and di == 0) or (j in (0, n - 1) and dj == 0)
                    G.add_edge(f"j{i}_{j}", f"j{i + di}_{j + dj}", length_m=2000.0, travel_time_s=100.0,
                               road_class="county" if edge_ring else "national")
    return G


def test_propose_candidates_rules():
    from citylogistics.geo import haversine_m

    G = _grid_graph()
    demand = [(120.05, 30.05, 100.0), (120.06, 30.04, 50.0)]
    rule = LandCostRule(centre_cny_per_m2=3000, edge_cny_per_m2=500, decay_m=5000)
    cands = propose_candidates(G, demand, max_dist_m=4000, land_cost_rule=rule, min_spacing_m=2500,
                               max_candidates=5, area_m2=20000, throughput_parcels_per_m2_day=8,
                               annual_cost_cny_per_m2=100)
    assert 1 <= len(cands) <= 5
    assert [c.id for c in cands] == [f"G{k:03d}" for k in range(1, len(cands) + 1)]
    node_at = {(round(d["x"], 6), round(d["y"], 6)): n for n, d in G.nodes(data=True)}
    major = nx.Graph([(u, v) for u, v, c in G.edges(data="road_class") if c == "national"])
    for c in cands:
        assert c.generated and not c.existing
        n = node_at[(c.lon, c.lat)]
        assert major.degree(n) >= 3  # a junction of the major network
        near = min(haversine_m(c.lon, c.lat, lon, lat) for lon, lat, _ in demand)
        assert near <= 4000
        assert c.capacity_parcels_per_day == 20000 * 8 and c.annual_cost_cny == 20000 * 100
        centre = (np.average([p[0] for p in demand], weights=[p[2] for p in demand]),
                  np.average([p[1] for p in demand], weights=[p[2] for p in demand]))
        expect = 20000 * rule.price_per_m2(haversine_m(c.lon, c.lat, *centre))
        assert c.land_cost_cny == pytest.approx(expect, abs=1.0)
    for a, b in itertools.combinations(cands, 2):
        assert haversine_m(a.lon, a.lat, b.lon, b.lat) >= 2500
    # a callable rule, and nothing when no junction is near demand
    flat = propose_candidates(G, demand, max_dist_m=4000, land_cost_rule=lambda lon, lat, d, area: 7.0 * area)
    assert all(c.land_cost_cny == 7.0 * c.area_m2 for c in flat)
    assert propose_candidates(G, [(121.5, 31.5)], max_dist_m=1000, land_cost_rule=rule) == ()
    with pytest.raises(InputError, match="LandCostRule"):
        propose_candidates(G, demand, max_dist_m=4000, land_cost_rule=3.0)


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------
def _random_model(seed: int, *, H=6, C=8, T=4, existing=1, **options) -> HubSiting:
    rng = np.random.default_rng(seed)
    cands = [HubCandidate(id=f"H{h}", lon=120 + rng.random(), lat=30 + rng.random(), area_m2=1e4,
                          land_cost_cny=float(rng.integers(1_000_000, 5_000_000)),
                          capacity_parcels_per_day=float(rng.integers(3000, 8000)),
                          annual_cost_cny=float(rng.integers(200_000, 800_000)), existing=h < existing)
             for h in range(H)]
    load = np.outer(rng.integers(300, 1200, C), np.linspace(1.0, 1.8, T)).round()
    dist = rng.uniform(5, 80, (H, C))
    options.setdefault("cost_per_parcel_km_cny", 0.01)
    return HubSiting.from_cost_matrix(cands, [f"C{c}" for c in range(C)], load, range(2011, 2011 + T), dist,
                                      **options)


def _check_invariants(model: HubSiting, plan) -> None:
    years = model.years
    cap = {c.id: c.capacity_parcels_per_day for c in model.candidates}
    idx = {c.id: h for h, c in enumerate(model.candidates)}
    first_year_open = {h: oy for h, oy in plan.open_year.items()}
    for c in model.candidates:  # existing hubs kept, from before the horizon
        if c.existing:
            assert first_year_open[c.id] == years[0] - 1
    land = annual = transport = 0.0
    for t, y in enumerate(years):
        open_now = {h for h, oy in first_year_open.items() if oy is not None and oy <= y}
        assert model.min_open <= len(open_now) <= model.max_open_effective
        if t > 0:  # hubs never close
            before = {h for h, oy in first_year_open.items() if oy is not None and oy <= years[t - 1]}
            assert before <= open_now
        if y not in model.opening_years:
            assert not any(oy == y for oy in first_year_open.values())
        assign = plan.assignment[y]
        assert sorted(assign) == sorted(model.county_ids)  # every county, exactly one hub (a mapping)
        load = dict.fromkeys(open_now, 0.0)
        for c, cid in enumerate(model.county_ids):
            h = assign[cid]
            assert h in open_now, f"{cid} assigned to closed hub {h} in {y}"
            load[h] += model.load_parcels_per_day[c, t]
            transport += (model.days_per_year * model.cost_per_parcel_km_cny * model.load_parcels_per_day[c, t]
                          * model.distance_km[idx[h], c])
        for h, q in load.items():  # capacity, recomputed from the inputs
            assert q <= cap[h] + 1e-6, f"{h} carries {q} > {cap[h]} in {y}"
            assert plan.load[y][h] == pytest.approx(q)
        annual += sum(model.candidates[idx[h]].annual_cost_cny for h in open_now)
        land += sum(c.land_cost_cny for c in model.candidates if not c.existing and first_year_open[c.id] == y)
    assert plan.land_cost_cny == pytest.approx(land)
    assert plan.annual_cost_cny == pytest.approx(annual)
    assert plan.transport_cost_cny == pytest.approx(transport)
    assert plan.objective == pytest.approx(land + annual + transport, rel=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_random_instances_invariants(seed):
    rng = np.random.default_rng(100 + seed)
    options = {"min_open": int(rng.integers(1, 3)), "max_open": int(rng.integers(3, 6)),
               "existing": int(rng.integers(0, 3))}
    if seed % 2:
        options["opening_years"] = (2011, 2013)
    if seed == 5:
        options["allow_reassignment"] = False
    model = _random_model(seed, **options)
    plan = model.solve(time_limit_s=20, seed=0)
    assert plan.status == "optimal" and plan.gap == 0.0
    _check_invariants(model, plan)
    if not model.allow_reassignment:
        assert all(plan.assignment[y] == plan.assignment[model.years[0]] for y in model.years)
    assert "HubSitingPlan" in str(plan) and plan.to_dict()["solver"]["status"] == "optimal"


def test_optimum_matches_brute_force():
    """Tiny instance: every opening schedule and every single-sourcing assignment."""
    model = _random_model(7, H=3, C=3, T=2, existing=0, min_open=1, max_open=3)
    plan = model.solve(time_limit_s=20)
    H, C, T = 3, 3, 2
    q, d = model.load_parcels_per_day, model.distance_km
    cap = [c.capacity_parcels_per_day for c in model.candidates]
    unit = model.days_per_year * model.cost_per_parcel_km_cny * d
    best = math.inf
    for sched in itertools.product((None, 0, 1), repeat=H):  # opening year index of each hub
        if not any(s == 0 for s in sched):
            continue  # a hub is needed in the first year
        cost = 0.0
        for t in range(T):
            open_h = [h for h in range(H) if sched[h] is not None and sched[h] <= t]
            cost += sum(model.candidates[h].annual_cost_cny for h in open_h)
            cost += sum(model.candidates[h].land_cost_cny for h in range(H) if sched[h] == t)
            tr = math.inf
            for a in itertools.product(open_h, repeat=C):
                if all(sum(q[c, t] for c in range(C) if a[c] == h) <= cap[h] for h in open_h):
                    tr = min(tr, sum(q[c, t] * unit[a[c], c] for c in range(C)))
            cost += tr
        best = min(best, cost)
    assert plan.objective == pytest.approx(best, rel=1e-9)


def test_reassignment_when_a_nearer_hub_opens():
    """The existing hub is far from county B; once growth forces a second hub (opened
    near B), B moves to it; with re-assignment off the counties stay where they began."""
    cands = [HubCandidate("old", 120.0, 30.0, 1e4, 0.0, 1000.0, 1e5, existing=True),
             HubCandidate("new", 120.5, 30.0, 1e4, 1e6, 1000.0, 1e5)]
    load = np.array([[400.0, 600.0], [300.0, 500.0]])  # A, B over 2 years: 700 then 1100 > 1000
    dist = np.array([[5.0, 60.0], [60.0, 5.0]])
    kw = dict(cost_per_parcel_km_cny=0.001, min_open=1, max_open=2)  # transport < a year of annual cost
    plan = HubSiting.from_cost_matrix(cands, ["A", "B"], load, [2014, 2015], dist, **kw).solve(time_limit_s=10)
    assert plan.open_year == {"old": 2013, "new": 2015}
    assert dict(plan.assignment[2014]) == {"A": "old", "B": "old"}
    assert dict(plan.assignment[2015]) == {"A": "old", "B": "new"}
    fixed = HubSiting.from_cost_matrix(cands, ["A", "B"], load, [2014, 2015], dist, allow_reassignment=False,
                                       **kw).solve(time_limit_s=10)
    assert fixed.assignment[2014] == fixed.assignment[2015]
    _check_invariants(HubSiting.from_cost_matrix(cands, ["A", "B"], load, [2014, 2015], dist,
                                                 allow_reassignment=False, **kw), fixed)


def test_from_network_uses_shortest_paths():
    G = _grid_graph(4)
    cands = [HubCandidate("a", 120.0, 30.0, 1e4, 1e6, 5e4, 1e5), HubCandidate("b", 120.06, 30.06, 1e4, 1e6, 5e4, 1e5)]
    model = HubSiting.from_network(cands, G, [("C1", 120.02, 30.0), ("C2", 120.06, 30.04)], [[100.0], [100.0]],
                                   [2015], cost_per_parcel_km_cny=0.01, min_open=2)
    assert model.distance_km.tolist() == [[2.0, 10.0], [10.0, 2.0]]
    assert model.solve(time_limit_s=10).assignment[2015] == {"C1": "a", "C2": "b"}


def _tiny(**changes):
    cands = [HubCandidate("E", 120.0, 30.0, 1e4, 0.0, 100.0, 1e5, existing=True),
             HubCandidate("N1", 120.1, 30.0, 1e4, 1e6, 100.0, 1e5),
             HubCandidate("N2", 120.2, 30.0, 1e4, 1e6, 100.0, 1e5)]
    args = dict(candidates=cands, county_ids=["A", "B", "C"], years=[2014, 2015],
                load_parcels_per_day=np.array([[40.0, 60.0], [40.0, 60.0], [40.0, 60.0]]),
                distance_km=np.full((3, 3), 10.0), cost_per_parcel_km_cny=0.01)
    args.update(changes)
    return HubSiting(**args)


@pytest.mark.parametrize("changes, where, text", [
    ({"load_parcels_per_day": np.full((3, 2), 120.0)}, "capacity_parcels_per_day", "not enough capacity"),
    ({"min_open": 4}, "min_open", "only 3 candidates"),
    ({"min_open": 3, "max_open": 2}, "min_open", "above max_open"),
    ({"max_open": 0}, "max_open", "already exist"),
    ({"max_open": 1}, "max_open", "not enough capacity with max_open = 1"),
    ({"opening_years": [2015]}, "opening_years", "no hub may open yet"),
    ({"load_parcels_per_day": np.array([[150.0, 10.0], [10.0, 10.0], [10.0, 10.0]])},
     "load_parcels_per_day['A']", "more than any reachable hub"),
    ({"distance_km": np.array([[10.0, 10.0, np.inf]] * 3)}, "distance_km[:, 'C']", "can reach"),
    ({"opening_years": [2013]}, "opening_years", "outside the horizon"),
    ({"years": [2014, 2016]}, "years", "consecutive"),
    ({"load_parcels_per_day": np.ones((2, 2))}, "load_parcels_per_day", "shape"),
])
def test_infeasible_inputs_refused_before_solving(changes, where, text):
    with pytest.raises(InputError) as exc:
        _tiny(**changes)
    assert exc.value.where == where
    assert text in exc.value.message


def test_packing_infeasibility_is_an_input_error():
    """Totals fit (3 x 60 <= 2 x 100) but one hub holds only one county."""
    cands = [HubCandidate("a", 120.0, 30.0, 1e4, 1e6, 100.0, 1e5), HubCandidate("b", 120.1, 30.0, 1e4, 1e6, 100.0, 1e5)]
    model = HubSiting(cands, ["A", "B", "C"], [2015], np.full((3, 1), 60.0), np.full((2, 3), 10.0),
                      cost_per_parcel_km_cny=0.01)
    with pytest.raises(InputError, match="packing"):
        model.solve(time_limit_s=10)


def test_truck_rate_conversion():
    assert per_parcel_km_from_truck(6.0, 2000, fill=0.75) == pytest.approx(0.004)
    with pytest.raises(InputError):
        per_parcel_km_from_truck(6.0, 0)


# ---------------------------------------------------------------------------
# Shipped candidate files (issue 19 part 4) and candidates_for_city
# ---------------------------------------------------------------------------
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
YEARS = tuple(range(2011, 2016))


@pytest.fixture(scope="module")
def major_roads():
    from citylogistics.network.osm_major import load_major_roads

    return load_major_roads()


@pytest.fixture(scope="module")
def regions():
    from citylogistics.regions import load_regions

    return load_regions(seed=0)


def _county_loads(regions, city: str) -> tuple[list[tuple[str, float, float]], np.ndarray]:
    """County hubs (seat points) and their daily loads 2011-2015: every village's
    delivery + pickup parcels summed by county, as the four-tier planner's T1 loads
    are when every village is served (default demand rates)."""
    from citylogistics.demand import settlement_demand
    from citylogistics.regions import resolve_city

    code = resolve_city(city)
    villages = regions.of_level("village", city=code)
    counties = regions.of_level("county", city=code)
    ids = sorted(set(villages["county_code"]))
    load = np.zeros((len(ids), len(YEARS)))
    for t, year in enumerate(YEARS):
        d = settlement_demand(villages, year=year)
        by = (d["delivery_parcels"] + d["pickup_parcels"]).groupby(d["county_code"]).sum()
        load[:, t] = [float(by[c]) for c in ids]
    points = [(c, float(counties.loc[c, "lon"]), float(counties.loc[c, "lat"])) for c in ids]
    return points, load


def _solve_shipped(name: str, city: str, major_roads, regions):
    cands = read_candidates(SCENARIOS / name)
    points, load = _county_loads(regions, city)
    # the trunk truck of the shipped scenarios: 3.2 CNY/km, 3,000 parcels, 80 % full on average
    rate = per_parcel_km_from_truck(3.2, 3000, fill=0.8)
    model = HubSiting.from_network(cands, major_roads, points, load, YEARS, cost_per_parcel_km_cny=rate)
    return cands, load, model.solve(time_limit_s=60)


def _check_shipped_plan(cands, load, plan, county_ids):
    cap = {c.id: c.capacity_parcels_per_day for c in cands}
    for c in cands:
        if c.existing:
            assert plan.open_year[c.id] == YEARS[0] - 1
    for t, year in enumerate(YEARS):
        open_now = set(plan.open_hubs(year))
        if t:
            assert set(plan.open_hubs(year - 1)) <= open_now  # hubs never close
        assert set(plan.assignment[year]) == set(county_ids)  # each county hub to exactly one hub
        used: dict[str, float] = {}
        for k, cid in enumerate(county_ids):
            hub = plan.assignment[year][cid]
            assert hub in open_now
            used[hub] = used.get(hub, 0.0) + load[k, t]
        for hub, q in used.items():
            assert q <= cap[hub] + 1e-6, (year, hub, q, cap[hub])  # recomputed from the loads


def test_hangzhou_candidates_need_more_than_one_hub(major_roads, regions):
    cands, load, plan = _solve_shipped("hangzhou_hubs_candidates.csv", "Hangzhou", major_roads, regions)
    assert len(cands) >= 10 and sum(c.existing for c in cands) == 1
    existing = next(c for c in cands if c.existing)
    # capacity binds: the existing hub alone cannot carry 2015
    assert load[:, -1].sum() > existing.capacity_parcels_per_day
    points, _ = _county_loads(regions, "Hangzhou")
    _check_shipped_plan(cands, load, plan, [p[0] for p in points])
    assert len(plan.open_hubs(2015)) >= 2
    assert len(plan.open_hubs(2011)) >= 1


def test_lishui_candidates_one_hub_suffices(major_roads, regions):
    cands, load, plan = _solve_shipped("lishui_hubs_candidates.csv", "Lishui", major_roads, regions)
    existing = [c for c in cands if c.existing]
    assert len(existing) == 1
    assert load[:, -1].sum() <= existing[0].capacity_parcels_per_day
    points, _ = _county_loads(regions, "Lishui")
    _check_shipped_plan(cands, load, plan, [p[0] for p in points])
    assert plan.open_hubs(2015) == (existing[0].id,)


def test_shipped_candidates_sit_on_major_road_junctions(major_roads):
    junctions = {(round(float(d["x"]), 6), round(float(d["y"]), 6)) for n, d in major_roads.nodes(data=True)
                 if len(set(major_roads.neighbors(n)) - {n}) >= 3}
    for name in ("hangzhou_hubs_candidates.csv", "lishui_hubs_candidates.csv"):
        for c in read_candidates(SCENARIOS / name):
            assert (round(c.lon, 6), round(c.lat, 6)) in junctions, (name, c.id)


def test_candidates_for_city(major_roads, regions):
    from citylogistics.geo import haversine_m
    from citylogistics.location.hubs import candidates_for_city

    cands = candidates_for_city("Lishui", max_dist_m=2000.0, n_max=5, min_spacing_m=6000.0, regions=regions,
                                G=major_roads)
    assert 1 < len(cands) <= 5
    assert cands[0].existing and cands[0].id == "T0-331100"
    assert all(c.generated for c in cands) and not any(c.existing for c in cands[1:])
    assert len({c.id for c in cands}) == len(cands)
    villages = regions.of_level("village", city="331100")
    for c in cands[1:]:
        d = haversine_m(c.lon, c.lat, villages["lon"].to_numpy(float), villages["lat"].to_numpy(float))
        assert float(np.min(d)) <= 2000.0 + 1e-6
    for a, b in itertools.combinations(cands, 2):
        assert float(haversine_m(a.lon, a.lat, b.lon, b.lat)) >= 6000.0 - 1e-6
    # land cost follows the stated rule: dearer nearer the seat
    rule = LandCostRule(centre=(float(regions.settlements.loc["331100", "lon"]),
                                float(regions.settlements.loc["331100", "lat"])))
    for c in cands[1:]:
        d = float(haversine_m(c.lon, c.lat, *rule.centre))
        assert c.land_cost_cny == pytest.approx(c.area_m2 * rule.price_per_m2(d), abs=1.0)
    with pytest.raises(InputError, match="unknown city"):
        candidates_for_city("Atlantis", regions=regions, G=major_roads)
