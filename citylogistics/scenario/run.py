"""Run a scenario end to end: regions → demand → network → matrix → routes →
plan, map and KPI files.

The outputs are written into a staging folder and renamed into place at the
end (:func:`citylogistics.fileio.staged_output_dir`): a failed or interrupted
run leaves the output directory as it was.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from citylogistics.errors import InputError
from citylogistics.scenario.files import Scenario, dump_json, manifest

KPI_FIELDS = (
    "scenario",
    "city",
    "year",
    "stops",
    "stops_served",
    "stops_unassigned",
    "routes",
    "demand_parcels",
    "delivered_parcels",
    "pickup_parcels",
    "distance_m",
    "vehicle_km",
    "duration_s",
    "fixed_cost_cny",
    "cost_cny",
    "cost_per_parcel_cny",
    "co2_kg",
)


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What a run produced: the output folder, the plan dictionary and the KPI row."""

    out_dir: Path
    plan: dict
    kpis: dict
    timings_s: dict
    #: The coverage plan of a ``[plan]`` run (None for a route run).
    coverage: Any = dataclasses.field(default=None, repr=False, compare=False)

    def _repr_html_(self) -> str:
        from citylogistics.outputs.notebook import run_result_html

        return run_result_html(self)

    def summary(self) -> str:
        k = self.kpis
        if "population_covered_share" in k:
            from citylogistics.planner.kpis import summary_rows

            rows = [("scope", k["scope"]), ("year", k["year"]), *summary_rows(k), ("output", str(self.out_dir))]
            width = max(len(r[0]) for r in rows)
            return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)
        rows = [
            ("scenario", k["scenario"]),
            ("city", k["city"]),
            ("year", k["year"]),
            ("stops served", f"{k['stops_served']} of {k['stops']}"),
            ("unassigned", k["stops_unassigned"]),
            ("routes", k["routes"]),
            ("parcels delivered", f"{k['delivered_parcels']:,.0f} of {k['demand_parcels']:,.0f}"),
            ("vehicle-km", f"{k['vehicle_km']:,.1f}"),
            ("cost (CNY/day)", f"{k['cost_cny']:,.0f}"),
            ("cost per parcel (CNY)", f"{k['cost_per_parcel_cny']:.3f}"),
            ("CO2 (kg/day)", f"{k['co2_kg']:,.1f}"),
            ("output", str(self.out_dir)),
        ]
        width = max(len(r[0]) for r in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _stops_frame(scenario: Scenario, regions, city_code: str):
    from citylogistics.demand import DemandParams, settlement_demand

    df = regions.of_level(scenario.routing.stops, city=city_code)
    df = df[df["point_source"].isin(scenario.regions.point_sources)]
    if scenario.regions.counties:
        unknown = sorted(set(scenario.regions.counties) - set(regions.of_level("county", city=city_code).index))
        if unknown:
            raise InputError(
                f"county codes {', '.join(unknown)} are not counties of city {city_code}; "
                "use 6-digit adcodes from 'citylogistics regions --level county'",
                source=scenario.path,
                where="regions.counties",
            )
        df = df[df["county_code"].isin(scenario.regions.counties)]
    if df.empty:
        raise InputError(
            f"no {scenario.routing.stops} settlements with point sources {list(scenario.regions.point_sources)}; "
            "widen regions.point_sources",
            source=scenario.path,
            where="regions.point_sources",
        )
    overrides = {k: v for k, v in dataclasses.asdict(scenario.demand).items() if v is not None}
    params = DemandParams(**overrides)
    return settlement_demand(df, year=scenario.year, params=params).sort_index()


def _network(scenario: Scenario, regions, city_code: str):
    from citylogistics.network.generate import build_city_network
    from citylogistics.network.osm_import import load_network

    path = scenario.resolve(scenario.network.file)
    if path is not None:
        return load_network(path), path
    return build_city_network(
        regions.settlements, city_code=city_code, land=regions.province_polygon(), roads=scenario.network.roads
    ), None


def build_problem(scenario: Scenario, G, hub_node, stops_frame, *, hub_id: str):
    """The routing problem of a scenario: hub depot, one stop per load, the fleet."""
    from citylogistics.network.matrix import od_matrices
    from citylogistics.network.snap import settlement_nodes
    from citylogistics.routing.problem import RoutingProblem, Stop

    stop_nodes = settlement_nodes(G, stops_frame)
    # A stop snapped onto the hub's road node keeps a node entry of its own (zero distance to the hub).
    graph_nodes = [hub_node] + sorted(set(stop_nodes), key=str)
    index = {n: i + 1 for i, n in enumerate(graph_nodes[1:])}
    time_m, dist_m = od_matrices(G, graph_nodes, weight="travel_time_s")
    max_cap = max(v.capacity_parcels for v in scenario.vehicles)
    stops = []
    for (code, row), node in zip(stops_frame.iterrows(), stop_nodes):
        delivery = float(row["delivery_parcels"])
        pickup = float(row["pickup_parcels"]) if scenario.routing.pickups else 0.0
        n_loads = 1
        if scenario.routing.split_loads:
            n_loads = max(1, math.ceil(max(delivery, pickup) / max_cap - 1e-9))
        for k in range(n_loads):
            stops.append(
                Stop(
                    id=code if k == 0 else f"{code}~{k + 1}",
                    node=index[node],
                    delivery=delivery / n_loads,
                    pickup=pickup / n_loads,
                    service_s=scenario.routing.service_s,
                )
            )
    vtypes = tuple(v.vehicle_type() for v in scenario.vehicles)
    node_ids = (str(hub_id),) + tuple(str(n) for n in graph_nodes[1:])
    return RoutingProblem.from_matrices(
        node_ids, dist_m.values, time_m.values, depots=(0,), stops=tuple(stops), vehicle_types=vtypes
    )


def settlement_of(stop_id: str) -> str:
    """The settlement code of a stop id (split loads are ``code~k``)."""
    return stop_id.split("~", 1)[0]


def kpi_row(scenario: Scenario, city_name: str, plan: dict, stops_frame) -> dict:
    routes = plan["routes"]
    delivered = sum(s.get("delivery", 0.0) for r in routes for s in r["steps"] if s["type"] in ("delivery", "pickup"))
    picked = sum(s.get("pickup", 0.0) for r in routes for s in r["steps"] if s["type"] in ("delivery", "pickup"))
    unassigned = {settlement_of(u["id"]) for u in plan["unassigned"]}
    demand = float(stops_frame["delivery_parcels"].sum())
    summ = plan["summary"]
    cost = float(summ["cost"])
    fixed = float(summ.get("fixed_cost_cny", 0.0))
    return {
        "scenario": scenario.title,
        "city": city_name,
        "year": scenario.year,
        "stops": len(stops_frame),
        "stops_served": len(stops_frame) - len(unassigned),
        "stops_unassigned": len(unassigned),
        "routes": summ["routes"],
        "demand_parcels": round(demand, 1),
        "delivered_parcels": round(delivered, 1),
        "pickup_parcels": round(picked, 1),
        "distance_m": round(float(summ["distance_m"]), 1),
        "vehicle_km": round(float(summ["distance_m"]) / 1000, 3),
        "duration_s": round(float(summ["duration_s"]), 1),
        "fixed_cost_cny": round(fixed, 2),
        "cost_cny": round(cost, 2),
        "cost_per_parcel_cny": round(cost / delivered, 4) if delivered > 0 else float("nan"),
        "co2_kg": round(float(summ.get("co2_kg", 0.0)), 3),
    }


def csv_text(rows: list[dict], fields: tuple[str, ...]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, "") for k in fields})
    return buf.getvalue()


def _network_paths(G, plan: dict, node_of: dict) -> dict:
    """Road geometry of each route leg, as (lon, lat) along the network path and its road polylines."""
    import networkx as nx

    from citylogistics.network.lines import RoadLines

    lines = RoadLines(G)
    paths = {}
    for r in plan["routes"]:
        ids = [s["id"] for s in r["steps"]]
        for a, b in itertools.pairwise(ids):
            if (a, b) in paths:
                continue
            na, nb = node_of[a], node_of[b]
            try:
                nodes = nx.shortest_path(G, na, nb, weight="travel_time_s")
            except nx.NetworkXNoPath:
                continue
            paths[(a, b)] = lines.along(nodes)
    return paths


def run_scenario(
    scenario: Scenario,
    out_dir: str | Path,
    *,
    progress: Callable[[str], Any] | None = None,
    overwrite: bool = False,
    workers: int = 1,
    scheduler: str | None = None,
) -> RunResult:
    """Run ``scenario`` and write ``plan.json``, ``kpis.csv``, ``map.html`` and
    ``manifest.json`` into ``out_dir`` atomically."""
    from citylogistics.fileio import check_output_dir, staged_output_dir
    from citylogistics.network.snap import settlement_nodes
    from citylogistics.outputs.export import dump_plan_json
    from citylogistics.outputs.maps import map_routes, new_map, save_map
    from citylogistics.regions import (
        CITY_CODES,
        DATA_NOTICE,
        load_regions,
        resolve_city,
    )
    from citylogistics.routing.solver import SolveParams, solve

    if scenario.plan is not None:
        return run_plan(scenario, out_dir, progress=progress, overwrite=overwrite, workers=workers, scheduler=scheduler)
    check_output_dir(out_dir, overwrite=overwrite)
    say = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = now - t
        t = now

    city_code = resolve_city(scenario.city)
    overrides = scenario.resolve(scenario.regions.overrides)
    say("loading regions and demand")
    regions = load_regions(seed=scenario.seed, overrides=overrides)
    stops_frame = _stops_frame(scenario, regions, city_code)
    lap("regions_demand")
    say("building the road network")
    G, net_path = _network(scenario, regions, city_code)
    hub = settlement_nodes(G, regions.settlements.loc[[city_code]])[0]
    lap("network")
    say(f"travel matrix for {len(stops_frame)} stops")
    problem = build_problem(scenario, G, hub, stops_frame, hub_id=city_code)
    lap("matrix")
    say(f"routing (time limit {scenario.routing.time_limit_s:g} s)")
    plan_obj = solve(
        problem,
        SolveParams(
            time_limit_s=scenario.routing.time_limit_s,
            seed=scenario.seed,
            deterministic=scenario.routing.deterministic,
            engine=scenario.routing.engine,
        ),
    )
    plan = plan_obj.to_dict()
    lap("routing")
    say("writing outputs")
    city_name = CITY_CODES[city_code]
    kpis = kpi_row(scenario, city_name, plan, stops_frame)
    node_of = {}
    points = {}
    hub_row = regions.settlements.loc[city_code]
    points[problem.node_ids[0]] = {
        "lon": hub_row["lon"],
        "lat": hub_row["lat"],
        "name": f"{hub_row['name']} hub",
        "kind": "depot",
    }
    node_of[problem.node_ids[0]] = hub
    for s in problem.stops:
        code = settlement_of(s.id)
        row = stops_frame.loc[code]
        points[s.id] = {
            "lon": row["lon"],
            "lat": row["lat"],
            "name": row["name"],
            "pinyin": row.get("pinyin", ""),
            "demand (parcels/day)": round(s.delivery, 1),
            "pickup (parcels/day)": round(s.pickup, 1),
            "point": row["point_source"],
        }
        node_of[s.id] = problem.node_ids[s.node]
    m = new_map(tiles=scenario.map.tiles, title=scenario.title, attribution=DATA_NOTICE)
    map_routes(plan, points, paths=_network_paths(G, plan, node_of), m=m)
    doc = {"scenario": {"title": scenario.title, "city": city_code, "year": scenario.year, "seed": scenario.seed}}
    doc.update(plan)
    with staged_output_dir(out_dir) as stage:
        (stage / "plan.json").write_text(dump_plan_json(doc), encoding="utf-8")
        (stage / "kpis.csv").write_text(csv_text([kpis], KPI_FIELDS), encoding="utf-8")
        save_map(m, stage / "map.html")
        lap("outputs")
        (stage / "manifest.json").write_text(
            dump_json(manifest(scenario, timings, {"network": net_path, "overrides": overrides})), encoding="utf-8"
        )
    return RunResult(out_dir=Path(out_dir), plan=doc, kpis=kpis, timings_s=timings)


def planner_settings(scenario: Scenario):
    """The planner's settings from a scenario with a ``[plan]`` table."""
    from citylogistics.planner.four_tier import PlannerSettings
    from citylogistics.planner.hubs_stage import HubSettings

    p, s = scenario.plan, scenario.sites
    if p is None:
        raise ValueError(f"{scenario.path}: planner_settings needs a scenario with a [plan] table")
    fleet = tuple((v.leg, v.vehicle_type()) for v in scenario.vehicles)
    return PlannerSettings(
        years=p.years,
        budgets=p.per_year("budget_cny"),
        targets=p.per_year("coverage_target"),
        coverage_limit_s=p.coverage_limit_s,
        weight=p.weight,
        county_hubs_exist=p.county_hubs_exist,
        route_legs=p.route_legs,
        fleet_sizing=p.fleet_sizing,
        fleet=fleet,
        t1_open_cost_cny=s.t1_open_cost_cny,
        t1_fixed_cost_cny_per_year=s.t1_fixed_cost_cny_per_year,
        t2_open_cost_cny=s.t2_open_cost_cny,
        t2_fixed_cost_cny_per_year=s.t2_fixed_cost_cny_per_year,
        t3_fixed_cost_cny_per_year=s.t3_fixed_cost_cny_per_year,
        t2_candidates=s.t2_candidates,
        day_start_s=p.day_start_s,
        handling_s=p.handling_s,
        next_day_cutoff_s=p.next_day_cutoff_s,
        service_s=scenario.routing.service_s,
        siting_time_limit_s=p.siting_time_limit_s,
        route_time_limit_s=p.route_time_limit_s,
        lastmile_time_limit_s=p.lastmile_time_limit_s,
        engine=scenario.routing.engine,
        seed=scenario.seed,
        pickups=scenario.routing.pickups,
        hubs=None
        if scenario.hubs is None
        else HubSettings.from_section(
            scenario.hubs,
            path=scenario.resolve(scenario.hubs.candidates),
            source=scenario.path,
            years=p.years,
            province=scenario.city.strip().lower() in PROVINCE_CODES,
        ),
    )


PROVINCE_CODES = ("330000", "zhejiang", "浙江", "浙江省", "province")


def scenario_cities(scenario: Scenario) -> tuple[str, tuple[str, ...]]:
    """('province', all city codes) or (city code, (city code,))."""
    from citylogistics.regions import CITY_CODES, resolve_city

    if scenario.city.strip().lower() in PROVINCE_CODES:
        return "province", tuple(sorted(CITY_CODES))
    code = resolve_city(scenario.city)
    return code, (code,)


def _city_network(scenario: Scenario, regions, city_code: str, multi: bool):
    """The road network of one city of a plan run and its file (None: generated).

    A network read from a file must lie in Zhejiang and reach the city (its hub
    within ``max_snap_m`` of a node, see :func:`citylogistics.network.graph.check_plan_network`);
    otherwise it is refused, naming the file, before any planning."""
    from citylogistics.network.generate import build_city_network
    from citylogistics.network.osm_import import load_network
    from citylogistics.network.snap import check_plan_network
    from citylogistics.regions import CITY_CODES

    p = None
    if scenario.network.file is not None and not multi:
        p = scenario.resolve(scenario.network.file)
    elif scenario.network.dir is not None:
        p = scenario.resolve(scenario.network.dir) / f"{CITY_CODES[city_code].lower()}.graphml"
        if not p.is_file():
            raise InputError(
                f"no network file {p.name} in {p.parent}; run 'citylogistics networks build --out "
                f"{p.parent}' or remove network.dir",
                source=scenario.path,
                where="network.dir",
            )
    if p is None:
        return build_city_network(
            regions.settlements, city_code=city_code, land=regions.province_polygon(), roads=scenario.network.roads
        ), None
    G = load_network(p)
    check_plan_network(G, regions.settlements, city_code=city_code, source=str(p))
    return G, p


def plan_one_city(
    scenario: Scenario,
    city: str,
    settings,
    demand_params,
    multi: bool,
    *,
    regions,
    progress: Callable[[str], Any] | None = None,
):
    """One city of a plan run (a Dask task in distributed runs): (CityPlan, network file, network seconds)."""
    from citylogistics.planner.four_tier import plan_city

    t = time.perf_counter()
    G, net_path = _city_network(scenario, regions, city, multi=multi)
    net_s = time.perf_counter() - t
    plan = plan_city(regions, G, city, settings, demand_params=demand_params, progress=progress)
    return plan, net_path, net_s


def _prefixed(say: Callable[[str], Any], prefix: str) -> Callable[[str], Any]:
    """``say`` with ``prefix`` and a space before each message."""

    def prefixed(message: str) -> Any:
        return say(f"{prefix} {message}")

    return prefixed


def _plan_coverage(scenario: Scenario, say: Callable[[str], Any], *, workers: int = 1, scheduler: str | None = None):
    """Plan every city of a ``[plan]`` scenario and combine them: (plan, timings, input files).

    With ``workers`` > 1 or a ``scheduler`` the cities are Dask tasks (see
    :mod:`citylogistics.scenario.distributed`); the plan is the same bytes."""
    from citylogistics.demand import DemandParams
    from citylogistics.planner.coverage_plan import CoveragePlan, PlanInfo
    from citylogistics.regions import CITY_CODES, load_regions

    settings = planner_settings(scenario)
    top, cities = scenario_cities(scenario)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    say("loading regions")
    overrides = scenario.resolve(scenario.regions.overrides)
    regions = load_regions(seed=scenario.seed, overrides=overrides)
    timings["regions"] = time.perf_counter() - t0
    demand_params = DemandParams(**{k: v for k, v in dataclasses.asdict(scenario.demand).items() if v is not None})
    plans, inputs = [], {"overrides": overrides}
    city_settings = {c: settings for c in cities}
    if len(cities) > 1:
        # A province budget is split across cities by rural population (the extension is rural).
        vil = regions.of_level("village")
        rural = vil.groupby("city_code")["population_rural"].sum()
        share = (rural / rural.sum()).to_dict()
        city_settings = {
            c: dataclasses.replace(
                settings, budgets=tuple(None if b is None else b * share.get(c, 0.0) for b in settings.budgets)
            )
            for c in cities
        }
    multi = len(cities) > 1
    if workers == 1 and scheduler is None:  # in this process, with progress from inside each city
        results = []
        for i, city in enumerate(cities):
            prefix = f"[{i + 1}/{len(cities)}]"
            say(f"{prefix} {CITY_CODES[city]}: network")
            results.append(
                plan_one_city(
                    scenario,
                    city,
                    city_settings[city],
                    demand_params,
                    multi,
                    regions=regions,
                    progress=_prefixed(say, prefix),
                )
            )
    else:  # one Dask task per city, the largest first; results back in city order
        from citylogistics.scenario.distributed import map_ordered

        size = regions.of_level("village").groupby("city_code").size().to_dict()
        order = sorted(range(len(cities)), key=lambda k: (-size.get(cities[k], 0), cities[k]))
        done: list[int] = []

        def city_done(j: int, _result: Any) -> None:
            done.append(j)
            say(f"[{len(done)}/{len(cities)}] {CITY_CODES[cities[order[j]]]} planned")

        say(f"planning {len(cities)} cities on Dask ({scheduler or f'{workers} local workers'})")
        got = map_ordered(
            plan_one_city,
            [(scenario, cities[k], city_settings[cities[k]], demand_params, multi) for k in order],
            workers=workers,
            scheduler=scheduler,
            shared={"regions": regions},
            key="plan-city",
            on_done=city_done,
        )
        results = [None] * len(cities)
        for j, k in enumerate(order):
            results[k] = got[j]
    for city, (plan, net_path, net_s) in zip(cities, results):
        inputs[f"network_{city}"] = net_path
        timings[f"network_{city}"] = net_s
        for k, v in plan.timings_s.items():
            timings[f"{k}_{city}"] = v
        plans.append(plan)
    t = time.perf_counter()
    s = regions.settlements
    counties = s.loc[s["level"] == "county", "name"].to_dict() if "level" in s else {}
    info = PlanInfo(
        title=scenario.title,
        city=top,
        cities=cities,
        years=settings.years,
        seed=scenario.seed,
        coverage_limit_s=settings.coverage_limit_s,
        tiles=scenario.map.tiles,
        hubs=tuple((c, str(s.at[c, "name"]), float(s.at[c, "lon"]), float(s.at[c, "lat"])) for c in cities),
        county_names={
            c: str(counties[c]) for p in plans for c in sorted(set(p.villages["county_code"])) if c in counties
        },
    )
    coverage = CoveragePlan.from_city_plans(plans, info=info, settings=settings, regions=regions)
    timings["kpis"] = time.perf_counter() - t
    timings["total_planning"] = time.perf_counter() - t0
    return coverage, timings, inputs


def plan_coverage(scenario: Scenario, *, progress: Callable[[str], Any] | None = None):
    """The :class:`~citylogistics.planner.coverage_plan.CoveragePlan` of a scenario with a ``[plan]`` table."""
    if scenario.plan is None:
        raise InputError(
            "this scenario has no [plan] table; add one (see the README) or run it with "
            "'citylogistics run' as a route run",
            source=scenario.path,
            where="plan",
        )
    return _plan_coverage(scenario, progress or (lambda _msg: None))[0]


def run_plan(
    scenario: Scenario,
    out_dir: str | Path,
    *,
    progress: Callable[[str], Any] | None = None,
    overwrite: bool = False,
    workers: int = 1,
    scheduler: str | None = None,
) -> RunResult:
    """Run a coverage-extension scenario (a ``[plan]`` table) and write its outputs atomically.

    ``workers`` > 1 plans the cities on a local Dask cluster, ``scheduler`` on an
    existing one; the outputs are the same bytes either way."""
    from citylogistics.fileio import check_output_dir
    from citylogistics.outputs.export import kpi_table

    check_output_dir(out_dir, overwrite=overwrite)
    say = progress or (lambda _msg: None)
    if scheduler:
        from citylogistics.scenario.distributed import check_scheduler

        check_scheduler(scheduler)
    coverage, timings, inputs = _plan_coverage(scenario, say, workers=workers, scheduler=scheduler)
    say("writing outputs")

    def manifest_doc(write_timings: dict[str, float]) -> dict:
        timings.update(write_timings)
        timings["total"] = timings.pop("total_planning") + write_timings["outputs"]
        return manifest(scenario, timings, inputs)

    coverage.write(out_dir, overwrite=overwrite, manifest=manifest_doc, language=scenario.report.language)
    kpis = kpi_table(coverage.kpis)
    top = kpis[(kpis["year"] == coverage.final_year) & (kpis["scope"] == coverage.info.top_scope)]
    return RunResult(
        out_dir=Path(out_dir),
        plan=coverage.plan_document(),
        kpis=top.iloc[0].to_dict(),
        timings_s=timings,
        coverage=coverage,
    )
