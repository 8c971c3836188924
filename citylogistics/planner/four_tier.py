"""The coverage-extension planner: four tiers, yearly phases, routes and KPIs.

For each city (a province scenario runs the eleven cities one after the other
and adds them up) and each year of the horizon:

1. **Siting** (:mod:`citylogistics.location.phased`): one phased model for the
   whole horizon chooses which county hubs (T1, at county seats) and town
   stations (T2, at towns) open in which year, under the yearly opening budget
   and/or coverage targets.  A site once opened stays open; a town station
   needs its county hub.
2. **Assignment**: every village (T3 service point) goes to its nearest open
   station by network travel time (one multi-source Dijkstra).  It is served
   when that station is within the coverage limit; otherwise it is unserved
   with a reason: ``unreachable`` (no road path to any site), ``too_far`` (no
   candidate site at all within the limit), ``budget`` (a candidate within the
   limit exists but was not opened).
3. **Routing** (:mod:`citylogistics.routing.solver`), the three legs of a day:
   ``trunk`` city hub → open county hubs (each county's whole served demand,
   split into vehicle loads), ``shuttle`` county hub → its open town stations,
   ``lastmile`` station → its villages with farm-produce pickups.  A village the
   last-mile solver cannot serve is unserved that year with the solver's
   reason (``capacity``, ``shift_length``, ...).  When a trunk or shuttle
   route cannot carry a station's load, the station's farthest villages go
   unserved until the missing load is accounted for (reason ``trunk_leg`` or
   ``shuttle_leg``).
4. **KPIs** per year for the scope (province or city), each city and each
   county: coverage, cost, vehicle-km, CO2, next-day feasibility and equity.

Demand grows by year (:mod:`citylogistics.demand`).  Travel times are network
times (:mod:`citylogistics.network.graph`); a village's access time is the time from
its station.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from citylogistics.errors import InputError


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlannerSettings:
    """Everything the planner needs besides the data.

    Built from a scenario by :func:`citylogistics.scenario.run.planner_settings`;
    the defaults and the meaning of each field live in one place, the
    scenario's :class:`~citylogistics.scenario.files.PlanSection`,
    :class:`~citylogistics.scenario.files.SitesSection` and
    :class:`~citylogistics.scenario.files.RoutingSection`, so none are repeated here.
    ``fleet`` holds (leg, :class:`citylogistics.routing.problem.VehicleType`) pairs.
    """

    years: tuple[int, ...]
    budgets: tuple[float | None, ...]
    targets: tuple[float | None, ...]
    coverage_limit_s: float
    weight: str
    county_hubs_exist: bool
    route_legs: tuple[str, ...]
    fleet_sizing: str
    fleet: tuple[tuple[str, Any], ...]
    t1_open_cost_cny: float
    t1_fixed_cost_cny_per_year: float
    t2_open_cost_cny: float
    t2_fixed_cost_cny_per_year: float
    t3_fixed_cost_cny_per_year: float
    t2_candidates: str
    day_start_s: float
    handling_s: float
    next_day_cutoff_s: float
    service_s: float
    siting_time_limit_s: float
    route_time_limit_s: float
    lastmile_time_limit_s: float
    engine: str
    seed: int
    pickups: bool

    def fleet_of(self, leg: str) -> tuple:
        """The vehicle types (:class:`citylogistics.routing.problem.VehicleType`) that run ``leg``."""
        return tuple(vt for fleet_leg, vt in self.fleet if fleet_leg == leg)


# --------------------------------------------------------------------------- graph helpers

@dataclasses.dataclass(frozen=True)
class _Graph:
    """A road graph as a CSR matrix of travel times and lengths, with its node order."""

    nodes: tuple
    index: Mapping[Any, int]
    time_csr: Any
    length_csr: Any
    lon: np.ndarray
    lat: np.ndarray
    length_table: tuple  # matrix.edge_table of length_m

    @classmethod
    def of(cls, G) -> "_Graph":
        from citylogistics.network.matrix import edge_table, graph_to_csr

        time_csr, length_csr, nodes, index = graph_to_csr(G, "travel_time_s", also="length_m")
        lon = np.array([float(G.nodes[x]["x"]) for x in nodes])
        lat = np.array([float(G.nodes[x]["y"]) for x in nodes])
        return cls(tuple(nodes), index, time_csr, length_csr, lon, lat, edge_table(length_csr))

    def from_sources(self, sources: Sequence[int], *, limit: float = np.inf) -> np.ndarray:
        """Travel time from each source to every node (rows: sources)."""
        from scipy.sparse.csgraph import dijkstra

        if len(sources) == 0:
            return np.full((0, len(self.nodes)), np.inf)
        return dijkstra(self.time_csr, directed=True, indices=np.asarray(sources), limit=limit)

    def nearest_source(self, sources: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """For every node, the travel time from the nearest source and that source's node index (-1: none)."""
        from scipy.sparse.csgraph import dijkstra

        if len(sources) == 0:
            n = len(self.nodes)
            return np.full(n, np.inf), np.full(n, -1)
        dist, _pred, src = dijkstra(self.time_csr, directed=True, indices=np.asarray(sources), min_only=True,
                                    return_predecessors=True)
        return dist, src

    def od(self, idx: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Time and length matrices among ``idx``, both along the fastest path,
        and the predecessor rows of those paths (for :meth:`path_from`)."""
        from scipy.sparse.csgraph import dijkstra

        from citylogistics.network.matrix import tree_sums

        idx = np.asarray(idx)
        t, pred = dijkstra(self.time_csr, directed=True, indices=idx, return_predecessors=True)
        t = np.atleast_2d(t)
        pred = np.atleast_2d(pred)
        length = tree_sums(pred, t, self.length_table)[:, idx]
        return t[:, idx], length, pred

    def path_from(self, pred_row: np.ndarray, source: int, target: int) -> list[int]:
        """Node indices of the path from ``source`` to ``target`` given ``source``'s predecessor row."""
        out, v = [target], target
        while v != source:
            v = int(pred_row[v])
            if v < 0:
                return []
            out.append(v)
        return out[::-1]

    def lengths_from(self, source: int, targets: Sequence[int]) -> np.ndarray:
        """Length (m) of the fastest path from ``source`` to each target (inf: no path)."""
        from scipy.sparse.csgraph import dijkstra

        from citylogistics.network.matrix import tree_sums

        t, pred = dijkstra(self.time_csr, directed=True, indices=[source], return_predecessors=True)
        return tree_sums(pred, t, self.length_table)[0, np.asarray(targets, dtype=np.int64)]


# --------------------------------------------------------------------------- results

@dataclasses.dataclass(frozen=True)
class CityPlan:
    """The plan of one city over the horizon."""

    city_code: str
    sites: pd.DataFrame        # id, tier, code, name, lon, lat, county_code, open_year (NaN: never), node
    villages: pd.DataFrame     # per village: final-year state plus covered_year
    yearly: pd.DataFrame       # per (village, year): served_by, access_time_s, covered, served, reason, demand
    routes: tuple[dict, ...]   # plan.json routes with leg, year, city
    unassigned: tuple[dict, ...]
    siting: Mapping[str, Any]
    timings_s: Mapping[str, float]
    paths: Mapping[tuple[str, str], tuple[tuple[float, float], ...]]


def _bins_needed(sizes: Sequence[float], capacity: float) -> int:
    """Vehicle loads needed to carry ``sizes`` (those that fit at all), first-fit decreasing."""
    items = np.sort(np.asarray([x for x in sizes if x <= capacity + 1e-9], dtype=float))[::-1]
    room = np.empty(len(items))
    used = 0
    for size in items:
        fits = np.flatnonzero(room[:used] >= size - 1e-9)
        if fits.size:
            room[fits[0]] -= size
        else:
            room[used] = capacity - size
            used += 1
    return used


def _route(graph: _Graph, depot_node: int, depot_id: str, stops: Sequence[tuple[str, int, float, float]], *, leg: str,
           settings: PlannerSettings, start_s: float, split: bool) -> tuple[list[dict], list[dict]]:
    """Solve one leg's routing problem from ``depot_node`` to ``stops``.

    ``stops``: (id, graph node index, delivery, pickup).  Returns plan routes
    and unassigned entries (ids as given; a split load's pieces are ``id~k``),
    each with the ``delivery`` and ``pickup`` it leaves behind.
    """
    from citylogistics.routing.problem import RoutingProblem, Stop
    from citylogistics.routing.solver import SolveParams, solve

    vtypes = settings.fleet_of(leg)
    if not stops or not vtypes:
        return [], []
    vtypes = tuple(dataclasses.replace(v, shift_start_s=start_s) for v in vtypes)
    # A stop on the depot's own road node keeps a node entry of its own (zero distance to the depot).
    nodes = [depot_node] + sorted({n for _, n, _, _ in stops})
    pos = {n: i + 1 for i, n in enumerate(nodes[1:])}
    t, length, pred = graph.od(nodes)
    max_cap = max(v.capacity for v in vtypes)
    problem_stops = []
    for sid, node, delivery, pickup in stops:
        n_loads = max(1, math.ceil(max(delivery, pickup) / max_cap - 1e-9)) if split else 1
        for k in range(n_loads):
            problem_stops.append(Stop(id=sid if k == 0 else f"{sid}~{k + 1}", node=pos[node],
                                      delivery=delivery / n_loads, pickup=pickup / n_loads,
                                      service_s=settings.service_s if leg == "lastmile" else settings.handling_s / 2))
    if settings.fleet_sizing == "auto":
        # Enough vehicles of every type to carry every load in one trip each (plus two), so
        # what is unserved is unserved for a reason other than a short fleet; the routes then
        # say how many vehicles the plan needs. Loads are packed first-fit decreasing: a
        # total-load count falls short when loads nearly fill a vehicle each (split
        # truckloads). Reloading (max_trips) is not counted on: the shift may not allow it.
        sizes = [max(st.delivery, st.pickup) for st in problem_stops]
        vtypes = tuple(dataclasses.replace(v, count=max(v.count, _bins_needed(sizes, v.capacity) + 2))
                       for v in vtypes)
    node_ids = (depot_id,) + tuple(str(graph.nodes[n]) for n in nodes[1:])
    problem_stops_by_id = {st.id: nodes[st.node] for st in problem_stops}
    problem = RoutingProblem.from_matrices(node_ids, length, t, depots=(0,), stops=tuple(problem_stops),
                                           vehicle_types=vtypes)
    # The per-solve limit is the deterministic work budget; the wall-clock cap is ten times
    # larger (at least 5 s) so a loaded machine still gets the same plan.
    # The work grows with the number of loads beyond 50, so a dense urban station with
    # hundreds of loads gets a search in proportion.
    base = settings.lastmile_time_limit_s if leg == "lastmile" else settings.route_time_limit_s
    work = base * max(1.0, len(problem_stops) / 50)
    plan = solve(problem, SolveParams(time_limit_s=max(10 * work, 5.0), work_limit_s=work, seed=settings.seed,
                                      deterministic=True, engine=settings.engine)).to_dict()
    for route in plan["routes"]:
        # Road geometry of the route (kept in memory for maps and the GeoPackage, not in plan.json).
        seq = [problem_stops_by_id[s["id"]] if s["id"] in problem_stops_by_id else nodes[node_ids.index(s["id"])]
               for s in route["steps"]]
        geom: list[tuple[float, float]] = []
        for a, b in zip(seq, seq[1:]):
            if a == b:
                continue
            seg = graph.path_from(pred[0 if a == depot_node else pos[a]], a, b)
            coords = [(float(graph.lon[k]), float(graph.lat[k])) for k in seg]
            geom.extend(coords if not geom else coords[1:])
        route["geometry"] = geom
    by_id = {st.id: st for st in problem_stops}
    unassigned = [{**u, "delivery": float(by_id[u["id"]].delivery), "pickup": float(by_id[u["id"]].pickup)}
                  if u["id"] in by_id else u for u in plan["unassigned"]]
    return plan["routes"], unassigned


def plan_city(regions, G, city_code: str, settings: PlannerSettings, *, demand_params=None,
              progress: Callable[[str], Any] | None = None) -> CityPlan:
    """Plan one city over the horizon (see the module docstring)."""
    from citylogistics.demand import DemandParams, settlement_demand
    from citylogistics.location.phased import solve_phased_siting

    say = progress or (lambda _m: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    params = demand_params or DemandParams()
    graph = _Graph.of(G)
    counties = regions.of_level("county", city=city_code)
    towns = regions.of_level("town", city=city_code)
    villages = regions.of_level("village", city=city_code).sort_index()
    if villages.empty:
        raise InputError(f"city {city_code} has no villages in the regions data", where="city")

    def node_of(codes, frame) -> np.ndarray:
        out = np.empty(len(codes), dtype=np.int64)
        missing = []
        for i, c in enumerate(codes):
            j = graph.index.get(c)
            if j is None:
                missing.append(i)
            else:
                out[i] = j
        if missing:
            from citylogistics.network.snap import nearest_nodes

            near = nearest_nodes(G, frame["lon"].to_numpy()[missing], frame["lat"].to_numpy()[missing])
            for i, n in zip(missing, near):
                out[i] = graph.index[n]
        return out

    hub_node = node_of([city_code], regions.settlements.loc[[city_code]])[0]
    # Candidates: T1 at county seats, T2 at towns.
    if settings.t2_candidates == "surveyed_towns":
        towns = towns[towns["point_source"].isin(("surveyed", "user"))]
    cand = pd.concat([
        pd.DataFrame({"tier": "T1", "code": counties.index, "name": counties["name"].to_numpy(),
                      "lon": counties["lon"].to_numpy(), "lat": counties["lat"].to_numpy(),
                      "county_code": counties.index, "pinyin": counties["pinyin"].to_numpy()}),
        pd.DataFrame({"tier": "T2", "code": towns.index, "name": towns["name"].to_numpy(),
                      "lon": towns["lon"].to_numpy(), "lat": towns["lat"].to_numpy(),
                      "county_code": towns["county_code"].to_numpy(), "pinyin": towns["pinyin"].to_numpy()}),
    ], ignore_index=True)
    cand["node"] = np.concatenate([node_of(list(counties.index), counties), node_of(list(towns.index), towns)])
    cand["id"] = cand["tier"] + "-" + cand["code"]
    cand["city_code"] = city_code
    sid_index = {sid: i for i, sid in enumerate(cand["id"])}
    n_c = len(cand)
    is_t1 = (cand["tier"] == "T1").to_numpy()
    t1_of_county = {c: i for i, c in enumerate(cand["code"]) if is_t1[i]}
    parent = np.array([-1 if is_t1[i] else t1_of_county.get(cand["county_code"].iat[i], -1) for i in range(n_c)])
    existing = is_t1 & settings.county_hubs_exist
    open_cost = np.where(is_t1, settings.t1_open_cost_cny, settings.t2_open_cost_cny).astype(float)
    village_nodes = node_of(list(villages.index), villages)
    timings["prepare"] = time.perf_counter() - t0

    # Coverage sets: candidates within the limit of each village.
    t1 = time.perf_counter()
    times = graph.from_sources(cand["node"].to_numpy(), limit=settings.coverage_limit_s)
    within = np.isfinite(times[:, village_nodes]) & (times[:, village_nodes] <= settings.coverage_limit_s)
    cover = [np.flatnonzero(within[:, i]) for i in range(len(villages))]
    pop = villages["population"].to_numpy(dtype=float)
    weights = pop if settings.weight == "population" else np.ones(len(villages))
    say(f"{city_code}: siting {n_c} candidates for {len(villages)} villages")
    res = solve_phased_siting(cover, weights, years=settings.years, open_cost=open_cost, existing=existing,
                              parent=parent, budgets=settings.budgets, targets=settings.targets,
                              time_limit_s=settings.siting_time_limit_s)
    cand["open_year"] = [np.nan if y is None else y for y in res.open_year]
    timings["siting"] = time.perf_counter() - t1

    # Year by year: assignment, routing.
    t2 = time.perf_counter()
    any_cover = within.any(axis=0)
    reach = graph.from_sources([hub_node])[0]
    yearly_rows = []
    routes: list[dict] = []
    unassigned: list[dict] = []
    cand_by_node: dict[int, list[int]] = {}
    for i, n in enumerate(cand["node"]):
        cand_by_node.setdefault(int(n), []).append(i)
    for year in settings.years:
        say(f"{city_code}: {year} assignment and routes")
        opened = np.flatnonzero(cand["open_year"].fillna(10_000).to_numpy() <= year)
        open_nodes = cand["node"].to_numpy()[opened]
        access, src = graph.nearest_source(open_nodes)
        v_access = access[village_nodes]
        v_src = src[village_nodes]
        dem = settlement_demand(villages, year=year, params=params)
        delivery = dem["delivery_parcels"].to_numpy()
        pickup = dem["pickup_parcels"].to_numpy() if settings.pickups else np.zeros(len(villages))
        covered = np.isfinite(v_access) & (v_access <= settings.coverage_limit_s)
        # The station serving a village: prefer a T2 at that node over the T1 at the same seat.
        station_of = np.full(len(villages), -1)
        open_set = set(opened.tolist())
        for i in np.flatnonzero(covered):
            options = [c for c in cand_by_node[int(v_src[i])] if c in open_set]
            station_of[i] = max(options, key=lambda c: (not is_t1[c], -c))
        # Not covered: no road from the city hub at all; else a candidate within the limit
        # exists but was not opened (budget); else none exists (too far).
        reason = np.where(covered, "", np.where(~np.isfinite(reach[village_nodes]), "unreachable",
                                                 np.where(any_cover, "budget", "too_far")))
        reason = reason.astype(object)
        served = covered.copy()
        # Last mile: each open station to its villages.
        year_routes: list[dict] = []
        if "lastmile" in settings.route_legs:
            for c in sorted(set(station_of[covered].tolist())):
                members = np.flatnonzero(station_of == c)
                stops = [(villages.index[i], int(village_nodes[i]), float(delivery[i]), float(pickup[i]))
                         for i in members]
                r, u = _route(graph, int(cand["node"].iat[c]), cand["id"].iat[c], stops, leg="lastmile", settings=settings,
                              start_s=settings.day_start_s, split=True)
                for route in r:
                    route.update(leg="lastmile", year=year, city=city_code, depot=cand["id"].iat[c])
                year_routes += r
                for item in u:
                    code = item["id"].split("~")[0]
                    i = villages.index.get_loc(code)
                    served[i] = False
                    reason[i] = item["reason"]
        # Station loads (served demand).
        station_load = {}
        for i in np.flatnonzero(served):
            c = int(station_of[i])
            d, p = station_load.get(c, (0.0, 0.0))
            station_load[c] = (d + delivery[i], p + pickup[i])
        county_load: dict[int, tuple[float, float]] = {}
        shuttle_stops: dict[int, list] = {}
        for c, (d, p) in station_load.items():
            hub_c = c if is_t1[c] else int(parent[c])
            if hub_c < 0:
                continue
            hd, hp = county_load.get(hub_c, (0.0, 0.0))
            county_load[hub_c] = (hd + d, hp + p)
            if not is_t1[c]:
                shuttle_stops.setdefault(hub_c, []).append((cand["id"].iat[c], int(cand["node"].iat[c]), d, p))
        upstream: list[tuple[str, dict]] = []  # (leg, unassigned piece) of trunk and shuttle
        if "shuttle" in settings.route_legs:
            for hub_c in sorted(shuttle_stops):
                r, u = _route(graph, int(cand["node"].iat[hub_c]), cand["id"].iat[hub_c], shuttle_stops[hub_c],
                              leg="shuttle",
                              settings=settings, start_s=settings.day_start_s, split=True)
                for route in r:
                    route.update(leg="shuttle", year=year, city=city_code, depot=cand["id"].iat[hub_c])
                year_routes += r
                for item in u:
                    unassigned.append({**item, "leg": "shuttle", "year": year, "city": city_code})
                    upstream.append(("shuttle", item))
        if "trunk" in settings.route_legs:
            stops = [(cand["id"].iat[c], int(cand["node"].iat[c]), d, p) for c, (d, p) in sorted(county_load.items())]
            r, u = _route(graph, int(hub_node), f"T0-{city_code}", stops, leg="trunk", settings=settings,
                          start_s=settings.day_start_s, split=True)
            for route in r:
                route.update(leg="trunk", year=year, city=city_code, depot=f"T0-{city_code}")
            year_routes += r
            for item in u:
                unassigned.append({**item, "leg": "trunk", "year": year, "city": city_code})
                upstream.append(("trunk", item))
        if upstream:
            _drop_upstream(upstream, served=served, reason=reason, station_of=station_of, v_access=v_access,
                           delivery=delivery, pickup=pickup, station_load=station_load, parent=parent, is_t1=is_t1,
                           sid_index=sid_index)
        routes += year_routes
        # Next-day feasibility: the village's last-mile arrival is before the cutoff, counting the
        # trunk and shuttle arrivals plus handling before each leg leaves.
        arrive_station = _arrivals(year_routes, "trunk", "shuttle", settings=settings)
        lastmile_arrival = _leg_arrivals(year_routes, "lastmile", arrive_station, settings=settings, after_s=0.0)
        for i, code in enumerate(villages.index):
            yearly_rows.append((code, year, cand["id"].iat[station_of[i]] if served[i] else "",
                                float(v_access[i]), bool(covered[i]), bool(served[i]), reason[i] if not served[i] else "",
                                float(delivery[i]), float(pickup[i]), lastmile_arrival.get(code, np.nan)))
    timings["assign_route"] = time.perf_counter() - t2
    yearly = pd.DataFrame(yearly_rows, columns=["code", "year", "served_by", "access_time_s", "covered", "served",
                                                "reason", "delivery_parcels", "pickup_parcels", "arrival_s"])
    yearly["next_day"] = yearly["served"] & (yearly["arrival_s"] <= settings.next_day_cutoff_s)
    last = yearly[yearly["year"] == settings.years[-1]].set_index("code")
    first_cov = yearly[yearly["covered"]].groupby("code")["year"].min()
    # Access distance along the fastest path from the final-year station.
    v = villages.copy()
    v["served_by"] = last["served_by"]
    v["access_time_s"] = last["access_time_s"]
    v["covered_year"] = first_cov.reindex(v.index)
    v["reason"] = last["reason"]
    v["demand_parcels"] = last["delivery_parcels"]
    v["pickup_parcels"] = last["pickup_parcels"]
    v["node"] = village_nodes
    access_km = np.full(len(v), np.inf)
    final_station = np.array([-1 if not sid else sid_index[sid] for sid in v["served_by"].fillna("")])
    for c in sorted(set(final_station[final_station >= 0].tolist())):
        members = np.flatnonzero(final_station == c)
        access_km[members] = graph.lengths_from(int(cand["node"].iat[c]), village_nodes[members]) / 1000.0
    v["access_km"] = access_km
    final_unassigned = [{"id": code, "reason": r, "leg": UPSTREAM_REASONS.get(r, "lastmile"),
                         "year": settings.years[-1], "city": city_code}
                        for code, r in last["reason"].items() if r]
    sites = cand.copy()
    siting = {"status": res.status, "objective": res.objective, "bound": res.bound, "gap": res.gap,
              "shortfall": list(res.shortfall),
              "groups_villages": len(villages)}
    timings["total"] = time.perf_counter() - t0
    return CityPlan(city_code=city_code, sites=sites, villages=v, yearly=yearly, routes=tuple(routes),
                    unassigned=tuple(final_unassigned + unassigned), siting=siting, timings_s=timings,
                    paths={})


# A village whose station's supply leg could not be routed: reason -> that leg.
UPSTREAM_REASONS = {"trunk_leg": "trunk", "shuttle_leg": "shuttle"}


def _drop_upstream(upstream: Sequence[tuple[str, dict]], *, served: np.ndarray, reason: np.ndarray,
                   station_of: np.ndarray, v_access: np.ndarray, delivery: np.ndarray, pickup: np.ndarray,
                   station_load: Mapping[int, tuple[float, float]], parent: np.ndarray, is_t1: np.ndarray,
                   sid_index: Mapping[str, int]) -> None:
    """Villages whose goods a trunk or shuttle route cannot carry are not served.

    A trunk piece left unassigned is a share of its county hub's load missing
    at every station under that hub (the same share at each); a shuttle piece
    is missing at its town station. At each station short of goods, villages
    are dropped farthest first until the dropped delivery and pickup both
    reach what is missing; they become unserved with reason ``trunk_leg`` or
    ``shuttle_leg`` (the leg upstream of the station that failed). Edits
    ``served`` and ``reason`` in place. The last-mile routes, planned before
    the supply legs, are not re-planned: they still visit those villages.
    """
    def hub_of(station: int) -> int:
        return station if is_t1[station] else int(parent[station])

    missing: dict[int, list[float]] = {}  # station -> [delivery, pickup] that does not arrive
    leg_of: dict[int, str] = {}  # station -> the failing leg (trunk wins: it is further upstream)
    for leg, item in upstream:
        c = sid_index.get(str(item["id"]).split("~")[0])
        if c is None:
            continue
        d, p = float(item.get("delivery", 0.0)), float(item.get("pickup", 0.0))
        if leg == "shuttle":
            shares = {c: (d, p)}
        else:  # the hub's missing share, the same at each of its stations
            under = [s for s in station_load if hub_of(s) == c]
            hub_d = sum(station_load[s][0] for s in under)
            hub_p = sum(station_load[s][1] for s in under)
            share = max(d / hub_d if hub_d > 0 else 0.0, p / hub_p if hub_p > 0 else 0.0)
            shares = {s: (share * station_load[s][0], share * station_load[s][1]) for s in under}
        for s, (md, mp) in shares.items():
            m = missing.setdefault(s, [0.0, 0.0])
            m[0] += md
            m[1] += mp
            if leg == "trunk" or s not in leg_of:
                leg_of[s] = leg
    for s in sorted(missing):
        need_d, need_p = missing[s]
        members = np.flatnonzero(served & (station_of == s))
        members = members[np.lexsort((members, -v_access[members]))]  # farthest first, then index
        got_d = got_p = 0.0
        for i in members:
            if got_d >= need_d - 1e-9 and got_p >= need_p - 1e-9:
                break
            served[i] = False
            reason[i] = f"{leg_of[s]}_leg"
            got_d += delivery[i]
            got_p += pickup[i]


def _leg_arrivals(routes: Sequence[dict], leg: str, ready: Mapping[str, float], *, settings: PlannerSettings,
                  after_s: float) -> dict[str, float]:
    """Latest arrival (plus ``after_s``) at each site ``leg``'s routes visit, each
    route leaving when its depot's parcels are ``ready`` (else at day start)."""
    out: dict[str, float] = {}
    for route in routes:
        if route["leg"] != leg:
            continue
        shift = ready.get(route["depot"], settings.day_start_s) - settings.day_start_s
        for s in route["steps"]:
            if s["type"] in ("delivery", "pickup"):
                site = s["id"].split("~")[0]
                out[site] = max(out.get(site, 0.0), s["arrival_s"] + shift + after_s)
    return out


def _arrivals(routes: Sequence[dict], *legs_in_order: str, settings: PlannerSettings) -> dict[str, float]:
    """When each site's inbound parcels are ready to leave again: the arrival of
    its last load on the upstream legs, plus handling."""
    ready: dict[str, float] = {}
    for leg in legs_in_order:
        for site, t in _leg_arrivals(routes, leg, ready, settings=settings, after_s=settings.handling_s).items():
            ready[site] = max(ready.get(site, 0.0), t)
    return ready
