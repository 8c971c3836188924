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
   with a reason: ``unreachable`` (no road path to any site, or no road node
   within :data:`MAX_SNAP_M` of the village), ``too_far`` (no
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
import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from citylogistics.errors import InputError
from citylogistics.network.snap import DEFAULT_MAX_SNAP_M

#: A settlement farther than this from every road node is off the network (the rule
#: that refuses a network no settlement reaches, :func:`~citylogistics.network.snap.check_plan_network`).
MAX_SNAP_M = DEFAULT_MAX_SNAP_M


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
    #: the ``[hubs]`` table (:class:`citylogistics.planner.hubs_stage.HubSettings`); None: the city hub is fixed
    hubs: Any = None

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
    time_csr_rev: Any  # travel times of the reversed graph (searches towards a node); None: symmetric
    lines: Any  # network.lines.RoadLines: paths drawn along the road polylines

    @classmethod
    def of(cls, G) -> _Graph:
        from citylogistics.network.lines import RoadLines
        from citylogistics.network.matrix import edge_table, graph_to_csr

        time_csr, length_csr, nodes, index = graph_to_csr(G, "travel_time_s", also="length_m")
        lon = np.array([float(G.nodes[x]["x"]) for x in nodes])
        lat = np.array([float(G.nodes[x]["y"]) for x in nodes])
        rev = time_csr.transpose().tocsr()
        if (rev != time_csr).nnz == 0:  # an undirected network: t(i, j) = t(j, i)
            rev = None
        return cls(tuple(nodes), index, time_csr, length_csr, lon, lat, edge_table(length_csr), rev, RoadLines(G))

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
        dist, _pred, src = dijkstra(
            self.time_csr, directed=True, indices=np.asarray(sources), min_only=True, return_predecessors=True
        )
        return dist, src

    def od(self, idx: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Time and length matrices among ``idx``, both along the fastest path,
        and the predecessor rows of those paths (for :meth:`path_from`).

        The searches from ``idx[1:]`` stop at an exact radius: no fastest path
        between two of ``idx`` is longer than the way through ``idx[0]``, so
        ``max t(i, idx[0]) + max t(idx[0], j)`` bounds them all, and a
        station's round does not search the whole city.
        """
        from scipy.sparse.csgraph import dijkstra

        from citylogistics.network.matrix import tree_sums

        ix = np.asarray(idx)
        t0, pred0 = dijkstra(self.time_csr, directed=True, indices=ix[:1], return_predecessors=True)
        back = t0 if self.time_csr_rev is None else dijkstra(self.time_csr_rev, directed=True, indices=ix[:1])
        bound = float(t0[0, ix].max() + back[0, ix].max())
        limit = bound * (1 + 1e-9) + 1e-6 if np.isfinite(bound) else np.inf
        t, pred = t0, pred0
        if len(ix) > 1:
            t_rest, pred_rest = dijkstra(
                self.time_csr, directed=True, indices=ix[1:], return_predecessors=True, limit=limit
            )
            t, pred = np.vstack([t0, t_rest]), np.vstack([pred0, pred_rest])
        # The depot's tree cut at the same radius (every path wanted lies inside it).
        inside = np.where(t <= limit, t, np.inf)
        length = tree_sums(np.where(np.isfinite(inside), pred, -9999), inside, self.length_table)[:, ix]
        return t[:, ix], length, pred

    def path_from(self, pred_row: np.ndarray, source: int, target: int) -> list[int]:
        """Node indices of the path from ``source`` to ``target`` given ``source``'s predecessor row."""
        out, v = [target], target
        while v != source:
            v = int(pred_row[v])
            if v < 0:
                return []
            out.append(v)
        return out[::-1]

    def lengths_from(self, source: int, targets: Sequence[int] | np.ndarray) -> np.ndarray:
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
    sites: pd.DataFrame  # id, tier, code, name, lon, lat, county_code, open_year (NaN: never), node
    villages: pd.DataFrame  # per village: final-year state plus covered_year
    yearly: pd.DataFrame  # per (village, year): served_by, access_time_s, covered, served, reason, demand
    routes: tuple[dict, ...]  # plan.json routes with leg, year, city
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


def _route(
    graph: _Graph,
    depot_node: int,
    depot_id: str,
    stops: Sequence[tuple[str, int, float, float]],
    *,
    leg: str,
    settings: PlannerSettings,
    start_s: float,
    split: bool,
) -> tuple[list[dict], list[dict]]:
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
            problem_stops.append(
                Stop(
                    id=sid if k == 0 else f"{sid}~{k + 1}",
                    node=pos[node],
                    delivery=delivery / n_loads,
                    pickup=pickup / n_loads,
                    service_s=settings.service_s if leg == "lastmile" else settings.handling_s / 2,
                )
            )
    if settings.fleet_sizing == "auto":
        # Enough vehicles of every type to carry every load in one trip each (plus two), so
        # what is unserved is unserved for a reason other than a short fleet; the routes then
        # say how many vehicles the plan needs. Loads are packed first-fit decreasing: a
        # total-load count falls short when loads nearly fill a vehicle each (split
        # truckloads). Reloading (max_trips) is not counted on: the shift may not allow it.
        sizes = [max(st.delivery, st.pickup) for st in problem_stops]
        vtypes = tuple(dataclasses.replace(v, count=max(v.count, _bins_needed(sizes, v.capacity) + 2)) for v in vtypes)
    node_ids = (depot_id,) + tuple(str(graph.nodes[n]) for n in nodes[1:])
    problem_stops_by_id = {st.id: nodes[st.node] for st in problem_stops}
    problem = RoutingProblem.from_matrices(
        node_ids, length, t, depots=(0,), stops=tuple(problem_stops), vehicle_types=vtypes
    )
    # The per-solve limit is the deterministic work budget; the wall-clock cap is ten times
    # larger (at least 5 s) so a loaded machine still gets the same plan.
    # The work grows with the number of loads beyond 50, so a dense urban station with
    # hundreds of loads gets a search in proportion.
    base = settings.lastmile_time_limit_s if leg == "lastmile" else settings.route_time_limit_s
    work = base * max(1.0, len(problem_stops) / 50)
    plan = solve(
        problem,
        SolveParams(
            time_limit_s=max(10 * work, 5.0),
            work_limit_s=work,
            seed=settings.seed,
            deterministic=True,
            engine=settings.engine,
        ),
    ).to_dict()
    for route in plan["routes"]:
        # Road geometry of the route (kept in memory for maps and the GeoPackage, not in plan.json).
        seq = [
            problem_stops_by_id[s["id"]] if s["id"] in problem_stops_by_id else nodes[node_ids.index(s["id"])]
            for s in route["steps"]
        ]
        geom: list[tuple[float, float]] = []
        for a, b in itertools.pairwise(seq):
            if a == b:
                continue
            seg = graph.path_from(pred[0 if a == depot_node else pos[a]], a, b)
            coords = graph.lines.along([graph.nodes[k] for k in seg])
            geom.extend(coords if not geom else coords[1:])
        route["geometry"] = geom
    by_id = {st.id: st for st in problem_stops}
    unassigned = [
        {**u, "delivery": float(by_id[u["id"]].delivery), "pickup": float(by_id[u["id"]].pickup)}
        if u["id"] in by_id
        else u
        for u in plan["unassigned"]
    ]
    return plan["routes"], unassigned


def _node_of(graph: _Graph, G, codes: Sequence[str], frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Graph node index of each settlement (its own node, else the nearest road node to its
    point) and the great-circle distance (m) to that node (0 for its own node)."""
    out = np.empty(len(codes), dtype=np.int64)
    snap_m = np.zeros(len(codes))
    missing = []
    for i, c in enumerate(codes):
        j = graph.index.get(c)
        if j is None:
            missing.append(i)
        else:
            out[i] = j
    if missing:
        from citylogistics.network.snap import nearest_nodes

        lon, lat = frame["lon"].to_numpy()[missing], frame["lat"].to_numpy()[missing]
        near, dist = nearest_nodes(G, lon, lat, return_dist=True)
        for i, n, d in zip(missing, near, np.atleast_1d(dist)):
            out[i] = graph.index[n]
            snap_m[i] = float(d)
    return out, snap_m


@dataclasses.dataclass
class _City:
    """One city's planning data, shared by the siting, yearly and final steps of :func:`plan_city`."""

    code: str
    settings: PlannerSettings
    graph: _Graph
    villages: pd.DataFrame
    village_nodes: np.ndarray
    off_network: np.ndarray  # villages farther than MAX_SNAP_M from any road node: unreachable
    hub_node: int
    cand: pd.DataFrame  # candidate sites (T1 at county seats, T2 at towns)
    is_t1: np.ndarray
    parent: np.ndarray  # the county hub of each T2 (-1: none)
    sid_index: Mapping[str, int]
    cand_by_node: dict[int, list[int]] = dataclasses.field(default_factory=dict)
    hubs: _Hubs | None = None  # the chosen T0 hubs ([hubs] scenarios)

    @property
    def chosen_hubs(self) -> _Hubs:
        """:attr:`hubs`, for steps that run only after the ``[hubs]`` stage chose them."""
        if self.hubs is None:
            raise RuntimeError(f"city {self.code}: no T0 hubs were chosen (the scenario has no [hubs] table)")
        return self.hubs


@dataclasses.dataclass(frozen=True)
class _Hubs:
    """The T0 hubs chosen by the ``[hubs]`` stage: the plan, each candidate's road
    node and the road distance (km) from each hub to each county hub."""

    plan: Any  # citylogistics.location.hubs.HubSitingPlan
    node_of: Mapping[str, int]  # hub id -> graph node index
    distance_km: Mapping[tuple[str, str], float]  # (hub id, county hub site id) -> km

    def split(self, year: int, stops: Sequence[tuple[str, int, float, float]]) -> list[tuple[str, list]]:
        """The trunk stops of ``year`` grouped by the T0 hub each county hub is assigned to."""
        assigned = self.plan.assignment[year]
        by_hub: dict[str, list] = {}
        for stop in stops:
            by_hub.setdefault(assigned[stop[0]], []).append(stop)
        return sorted(by_hub.items())


def _candidates(regions, G, graph: _Graph, city_code: str, settings: PlannerSettings) -> pd.DataFrame:
    """Candidate sites: T1 at county seats, T2 at towns (surveyed ones only with ``surveyed_towns``)."""
    counties = regions.of_level("county", city=city_code)
    towns = regions.of_level("town", city=city_code)
    if settings.t2_candidates == "surveyed_towns":
        towns = towns[towns["point_source"].isin(("surveyed", "user"))]
    cand = pd.concat(
        [
            pd.DataFrame(
                {
                    "tier": "T1",
                    "code": counties.index,
                    "name": counties["name"].to_numpy(),
                    "lon": counties["lon"].to_numpy(),
                    "lat": counties["lat"].to_numpy(),
                    "county_code": counties.index,
                    "pinyin": counties["pinyin"].to_numpy(),
                }
            ),
            pd.DataFrame(
                {
                    "tier": "T2",
                    "code": towns.index,
                    "name": towns["name"].to_numpy(),
                    "lon": towns["lon"].to_numpy(),
                    "lat": towns["lat"].to_numpy(),
                    "county_code": towns["county_code"].to_numpy(),
                    "pinyin": towns["pinyin"].to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    (n1, d1), (n2, d2) = (
        _node_of(graph, G, list(counties.index), counties),
        _node_of(graph, G, list(towns.index), towns),
    )
    cand["node"] = np.concatenate([n1, n2])
    # A seat or town farther than MAX_SNAP_M from the network (a network that covers part of
    # the city) cannot hold a site on it.
    cand = cand[np.concatenate([d1, d2]) <= MAX_SNAP_M].reset_index(drop=True)
    cand["id"] = cand["tier"] + "-" + cand["code"]
    cand["city_code"] = city_code
    return cand


def _prepare(regions, G, city_code: str, settings: PlannerSettings) -> _City:
    graph = _Graph.of(G)
    villages = regions.of_level("village", city=city_code).sort_index()
    if villages.empty:
        raise InputError(f"city {city_code} has no villages in the regions data", where="city")
    hub_node = int(_node_of(graph, G, [city_code], regions.settlements.loc[[city_code]])[0][0])
    village_nodes, village_snap_m = _node_of(graph, G, list(villages.index), villages)
    cand = _candidates(regions, G, graph, city_code, settings)
    is_t1 = (cand["tier"] == "T1").to_numpy()
    t1_of_county = {c: i for i, c in enumerate(cand["code"]) if is_t1[i]}
    parent = np.array([-1 if is_t1[i] else t1_of_county.get(cand["county_code"].iat[i], -1) for i in range(len(cand))])
    return _City(
        code=city_code,
        settings=settings,
        graph=graph,
        villages=villages,
        village_nodes=village_nodes,
        off_network=village_snap_m > MAX_SNAP_M,
        hub_node=hub_node,
        cand=cand,
        is_t1=is_t1,
        parent=parent,
        sid_index={sid: i for i, sid in enumerate(cand["id"])},
    )


def _siting(city: _City, say: Callable[[str], Any]) -> tuple[Any, np.ndarray]:
    """Solve the phased siting model; set ``open_year`` on the candidates. Returns (result, village covered-by-any)."""
    from citylogistics.location.phased import solve_phased_siting

    settings, cand, is_t1 = city.settings, city.cand, city.is_t1
    existing = is_t1 & settings.county_hubs_exist
    open_cost = np.where(is_t1, settings.t1_open_cost_cny, settings.t2_open_cost_cny).astype(float)
    times = city.graph.from_sources(cand["node"].to_numpy(), limit=settings.coverage_limit_s)
    vn = city.village_nodes
    within = np.isfinite(times[:, vn]) & (times[:, vn] <= settings.coverage_limit_s) & ~city.off_network
    cover = [np.flatnonzero(within[:, i]) for i in range(len(city.villages))]
    pop = city.villages["population"].to_numpy(dtype=float)
    weights = pop if settings.weight == "population" else np.ones(len(city.villages))
    say(f"{city.code}: siting {len(cand)} candidates for {len(city.villages)} villages")
    res = solve_phased_siting(
        cover,
        weights,
        years=settings.years,
        open_cost=open_cost,
        existing=existing,
        parent=city.parent,
        budgets=settings.budgets,
        targets=settings.targets,
        time_limit_s=settings.siting_time_limit_s,
    )
    cand["open_year"] = [np.nan if y is None else y for y in res.open_year]
    return res, within.any(axis=0)


def plan_city(
    regions,
    G,
    city_code: str,
    settings: PlannerSettings,
    *,
    demand_params=None,
    progress: Callable[[str], Any] | None = None,
) -> CityPlan:
    """Plan one city over the horizon (see the module docstring)."""
    from citylogistics.demand import DemandParams

    say = progress or (lambda _m: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    params = demand_params or DemandParams()
    city = _prepare(regions, G, city_code, settings)
    timings["prepare"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    res, any_cover = _siting(city, say)
    timings["siting"] = time.perf_counter() - t1

    reach = city.graph.from_sources([city.hub_node])[0]
    for i, n in enumerate(city.cand["node"]):
        city.cand_by_node.setdefault(int(n), []).append(i)
    if settings.hubs is not None:
        t = time.perf_counter()
        city.hubs = _hub_siting(city, G, params=params, any_cover=any_cover, reach=reach, say=say)
        timings["hub_siting"] = time.perf_counter() - t

    t2 = time.perf_counter()
    yearly_rows: list[tuple] = []
    routes: list[dict] = []
    unassigned: list[dict] = []
    for year in settings.years:
        say(f"{city_code}: {year} assignment and routes")
        rows, year_routes, year_unassigned = _plan_year(city, year, params=params, any_cover=any_cover, reach=reach)
        yearly_rows += rows
        routes += year_routes
        unassigned += year_unassigned
    timings["assign_route"] = time.perf_counter() - t2
    yearly = pd.DataFrame(
        yearly_rows,
        columns=[
            "code",
            "year",
            "served_by",
            "access_time_s",
            "covered",
            "served",
            "reason",
            "delivery_parcels",
            "pickup_parcels",
            "arrival_s",
        ],
    )
    yearly["next_day"] = yearly["served"] & (yearly["arrival_s"] <= settings.next_day_cutoff_s)
    v, final_unassigned = _final_villages(city, yearly)
    siting = {
        "status": res.status,
        "objective": res.objective,
        "bound": res.bound,
        "gap": res.gap,
        "shortfall": list(res.shortfall),
        "groups_villages": len(city.villages),
    }
    sites = city.cand.copy()
    if city.hubs is not None:
        sites = _with_hubs(city, sites, siting, routes)
    timings["total"] = time.perf_counter() - t0
    return CityPlan(
        city_code=city_code,
        sites=sites,
        villages=v,
        yearly=yearly,
        routes=tuple(routes),
        unassigned=tuple(final_unassigned + unassigned),
        siting=siting,
        timings_s=timings,
        paths={},
    )


def _county_hub_loads(
    city: _City, *, params, any_cover: np.ndarray, reach: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The county hubs that open in the horizon (candidate indices) and their daily
    loads per year (counties x years): delivery plus pickup of every village an
    open station covers that year, summed by the station's county hub."""
    from citylogistics.demand import settlement_demand

    settings, cand, is_t1 = city.settings, city.cand, city.is_t1
    t1 = np.flatnonzero(is_t1 & cand["open_year"].notna().to_numpy())
    row = {int(c): k for k, c in enumerate(t1)}
    load = np.zeros((len(t1), len(settings.years)))
    for t, year in enumerate(settings.years):
        _access, covered, station_of, _reason = _assign(city, year, any_cover=any_cover, reach=reach)
        dem = settlement_demand(city.villages, year=year, params=params)
        parcels = dem["delivery_parcels"].to_numpy(dtype=float)
        if settings.pickups:
            parcels = parcels + dem["pickup_parcels"].to_numpy(dtype=float)
        for i in np.flatnonzero(covered):
            c = int(station_of[i])
            hub_c = c if is_t1[c] else int(city.parent[c])
            if hub_c in row:
                load[row[hub_c], t] += parcels[i]
    return t1, load


def _hub_siting(
    city: _City, G, *, params, any_cover: np.ndarray, reach: np.ndarray, say: Callable[[str], Any]
) -> _Hubs:
    """The ``[hubs]`` stage (:mod:`citylogistics.planner.hubs_stage`): T0 hubs chosen
    and county hubs assigned, before any routing."""
    from citylogistics.planner.hubs_stage import site_hubs, snap_candidates

    settings, hubs = city.settings, city.settings.hubs
    nodes = snap_candidates(G, city.graph.index, hubs)
    t1, load = _county_hub_loads(city, params=params, any_cover=any_cover, reach=reach)
    county_ids = [str(city.cand["id"].iat[c]) for c in t1]
    t1_nodes = city.cand["node"].to_numpy()[t1].astype(np.int64)
    dist = (
        np.vstack([city.graph.lengths_from(int(n), t1_nodes) / 1000.0 for n in nodes])
        if len(t1)
        else np.zeros((len(nodes), 0))
    )
    say(f"{city.code}: siting hubs from {len(hubs.candidates)} candidates for {len(county_ids)} county hubs")
    plan = site_hubs(
        hubs,
        county_ids=county_ids,
        load_parcels_per_day=load,
        distance_km=dist,
        years=settings.years,
        time_limit_s=settings.siting_time_limit_s,
        seed=settings.seed,
    )
    ids = [c.id for c in hubs.candidates]
    return _Hubs(
        plan=plan,
        node_of=dict(zip(ids, (int(n) for n in nodes))),
        distance_km={(h, c): float(dist[i, k]) for i, h in enumerate(ids) for k, c in enumerate(county_ids)},
    )


def _with_hubs(city: _City, sites: pd.DataFrame, siting: dict, routes: Sequence[dict]) -> pd.DataFrame:
    """The sites with a T0 row per hub candidate, and ``siting["hubs"]`` (plan,
    routed loads, per-km check). A hub's final-year load is the routed trunk
    load when the trunk leg is routed, else the planned load."""
    from citylogistics.planner.hubs_stage import hub_sites, hubs_block, routed_loads, trunk_check

    settings, hubs, chosen = city.settings, city.settings.hubs, city.chosen_hubs
    routed = routed_loads(routes, years=settings.years)
    final = settings.years[-1]
    final_load = routed[final] if "trunk" in settings.route_legs else dict(chosen.plan.load[final])
    check = trunk_check(routes, years=settings.years, model_cny_per_parcel_km=hubs.cost_per_parcel_km_cny)
    siting["hubs"] = hubs_block(hubs, chosen.plan, routed_load=routed, check=check)
    nodes = [chosen.node_of[c.id] for c in hubs.candidates]
    rows = pd.DataFrame(
        hub_sites(hubs, chosen.plan, nodes=np.asarray(nodes), city_code=city.code, final_load=final_load)
    )
    return pd.concat(
        [
            sites,
            rows[[c for c in rows.columns if c in sites.columns] + [c for c in rows.columns if c not in sites.columns]],
        ],
        ignore_index=True,
    )


def _assign(city: _City, year: int, *, any_cover: np.ndarray, reach: np.ndarray):
    """Each village's nearest open station this year: (access time, covered, station index or -1, reason)."""
    cand, is_t1 = city.cand, city.is_t1
    opened = np.flatnonzero(cand["open_year"].fillna(10_000).to_numpy() <= year)
    access, src = city.graph.nearest_source(cand["node"].to_numpy()[opened])
    v_access = access[city.village_nodes]
    v_src = src[city.village_nodes]
    covered = np.isfinite(v_access) & (v_access <= city.settings.coverage_limit_s) & ~city.off_network
    # The station serving a village: prefer a T2 at that node over the T1 at the same seat.
    station_of = np.full(len(city.villages), -1)
    open_set = set(opened.tolist())
    for i in np.flatnonzero(covered):
        options = [c for c in city.cand_by_node[int(v_src[i])] if c in open_set]
        station_of[i] = max(options, key=lambda c: (not is_t1[c], -c))
    # Not covered: no road from the city hub at all, or none within MAX_SNAP_M of the
    # village; else a candidate within the limit exists but was not opened (budget);
    # else none exists (too far).
    no_road = ~np.isfinite(reach[city.village_nodes]) | city.off_network
    reason = np.where(covered, "", np.where(no_road, "unreachable", np.where(any_cover, "budget", "too_far")))
    return v_access, covered, station_of, reason.astype(object)


def _route_leg(city: _City, depot: int | str | None, stops, *, leg: str, year: int) -> tuple[list[dict], list[dict]]:
    """Route one leg from candidate ``depot`` (None: the city hub; a string: a
    T0 hub chosen by the ``[hubs]`` stage) and label its routes."""
    settings = city.settings
    if isinstance(depot, str):
        node, depot_id = int(city.chosen_hubs.node_of[depot]), depot
    else:
        node = int(city.hub_node) if depot is None else int(city.cand["node"].iat[depot])
        depot_id = f"T0-{city.code}" if depot is None else city.cand["id"].iat[depot]
    r, u = _route(
        city.graph, node, depot_id, stops, leg=leg, settings=settings, start_s=settings.day_start_s, split=True
    )
    for route in r:
        route.update(leg=leg, year=year, city=city.code, depot=depot_id)
    if isinstance(depot, str) and leg == "trunk":
        from citylogistics.planner.hubs_stage import route_parcel_km

        for route in r:
            route["parcel_km"] = round(route_parcel_km(route, city.chosen_hubs.distance_km), 1)
    return r, u


def _plan_year(city: _City, year: int, *, params, any_cover: np.ndarray, reach: np.ndarray):
    """Assignment and the three legs of one year: (yearly rows, routes, unassigned route pieces)."""
    from citylogistics.demand import settlement_demand

    settings, cand, is_t1, villages = city.settings, city.cand, city.is_t1, city.villages
    v_access, covered, station_of, reason = _assign(city, year, any_cover=any_cover, reach=reach)
    dem = settlement_demand(villages, year=year, params=params)
    delivery = dem["delivery_parcels"].to_numpy()
    pickup = dem["pickup_parcels"].to_numpy() if settings.pickups else np.zeros(len(villages))
    served = covered.copy()
    year_routes: list[dict] = []
    unassigned: list[dict] = []
    if "lastmile" in settings.route_legs:  # each open station to its villages
        for c in sorted(set(station_of[covered].tolist())):
            members = np.flatnonzero(station_of == c)
            stops = [
                (villages.index[i], int(city.village_nodes[i]), float(delivery[i]), float(pickup[i])) for i in members
            ]
            r, u = _route_leg(city, c, stops, leg="lastmile", year=year)
            year_routes += r
            for item in u:
                i = villages.index.get_loc(item["id"].split("~")[0])
                served[i] = False
                reason[i] = item["reason"]
    station_load: dict[int, tuple[float, float]] = {}  # served (delivery, pickup) parcels by station
    for i in np.flatnonzero(served):
        c = int(station_of[i])
        d, p = station_load.get(c, (0.0, 0.0))
        station_load[c] = (d + delivery[i], p + pickup[i])
    county_load: dict[int, tuple[float, float]] = {}
    shuttle_stops: dict[int, list] = {}
    for c, (d, p) in station_load.items():
        hub_c = c if is_t1[c] else int(city.parent[c])
        if hub_c < 0:
            continue
        hd, hp = county_load.get(hub_c, (0.0, 0.0))
        county_load[hub_c] = (hd + d, hp + p)
        if not is_t1[c]:
            shuttle_stops.setdefault(hub_c, []).append((cand["id"].iat[c], int(cand["node"].iat[c]), d, p))
    upstream: list[tuple[str, dict]] = []  # (leg, unassigned piece) of trunk and shuttle
    legs: list[tuple[str, int | str | None, list]] = []  # (leg, depot as _route_leg takes it, stops)
    if "shuttle" in settings.route_legs:
        legs += [("shuttle", hub_c, shuttle_stops[hub_c]) for hub_c in sorted(shuttle_stops)]
    if "trunk" in settings.route_legs:
        trunk_stops = [(cand["id"].iat[c], int(cand["node"].iat[c]), d, p) for c, (d, p) in sorted(county_load.items())]
        if city.hubs is None:
            legs.append(("trunk", None, trunk_stops))
        else:  # from each open T0 hub to the county hubs assigned to it this year
            legs += [("trunk", hub, stops) for hub, stops in city.hubs.split(year, trunk_stops)]
    for leg, depot, stops in legs:
        r, u = _route_leg(city, depot, stops, leg=leg, year=year)
        year_routes += r
        for item in u:
            unassigned.append({**item, "leg": leg, "year": year, "city": city.code})
            upstream.append((leg, item))
    if upstream:
        _drop_upstream(
            upstream,
            served=served,
            reason=reason,
            station_of=station_of,
            v_access=v_access,
            delivery=delivery,
            pickup=pickup,
            station_load=station_load,
            parent=city.parent,
            is_t1=is_t1,
            sid_index=city.sid_index,
        )
    # Next-day feasibility: the village's last-mile arrival is before the cutoff, counting the
    # trunk and shuttle arrivals plus handling before each leg leaves.
    arrive_station = _arrivals(year_routes, "trunk", "shuttle", settings=settings)
    lastmile_arrival = _leg_arrivals(year_routes, "lastmile", arrive_station, settings=settings, after_s=0.0)
    rows = [
        (
            code,
            year,
            cand["id"].iat[station_of[i]] if served[i] else "",
            float(v_access[i]),
            bool(covered[i]),
            bool(served[i]),
            reason[i] if not served[i] else "",
            float(delivery[i]),
            float(pickup[i]),
            lastmile_arrival.get(code, np.nan),
        )
        for i, code in enumerate(villages.index)
    ]
    return rows, year_routes, unassigned


def _final_villages(city: _City, yearly: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """The villages with their final-year state and first covered year, and the final year's unserved."""
    final_year = city.settings.years[-1]
    last = yearly[yearly["year"] == final_year].set_index("code")
    first_cov = yearly[yearly["covered"]].groupby("code")["year"].min()
    v = city.villages.copy()
    v["served_by"] = last["served_by"]
    v["access_time_s"] = last["access_time_s"]
    v["covered_year"] = first_cov.reindex(v.index)
    v["reason"] = last["reason"]
    v["demand_parcels"] = last["delivery_parcels"]
    v["pickup_parcels"] = last["pickup_parcels"]
    v["node"] = city.village_nodes
    # Access distance along the fastest path from the final-year station.
    access_km = np.full(len(v), np.inf)
    final_station = np.array([-1 if not sid else city.sid_index[sid] for sid in v["served_by"].fillna("")])
    for c in sorted(set(final_station[final_station >= 0].tolist())):
        members = np.flatnonzero(final_station == c)
        access_km[members] = (
            city.graph.lengths_from(int(city.cand["node"].iat[c]), city.village_nodes[members]) / 1000.0
        )
    v["access_km"] = access_km
    final_unassigned = [
        {"id": code, "reason": r, "leg": UPSTREAM_REASONS.get(r, "lastmile"), "year": final_year, "city": city.code}
        for code, r in last["reason"].items()
        if r
    ]
    return v, final_unassigned


# A village whose station's supply leg could not be routed: reason -> that leg.
UPSTREAM_REASONS = {"trunk_leg": "trunk", "shuttle_leg": "shuttle"}


def _drop_upstream(
    upstream: Sequence[tuple[str, dict]],
    *,
    served: np.ndarray,
    reason: np.ndarray,
    station_of: np.ndarray,
    v_access: np.ndarray,
    delivery: np.ndarray,
    pickup: np.ndarray,
    station_load: Mapping[int, tuple[float, float]],
    parent: np.ndarray,
    is_t1: np.ndarray,
    sid_index: Mapping[str, int],
) -> None:
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


def _leg_arrivals(
    routes: Sequence[dict], leg: str, ready: Mapping[str, float], *, settings: PlannerSettings, after_s: float
) -> dict[str, float]:
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
