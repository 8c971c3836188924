"""Route an order list and write its outputs: the ``citylogistics route`` command.

:func:`route_orders` solves an :class:`~citylogistics.routing.orders.OrdersProblem`
with the routing engines and returns a
:class:`~citylogistics.routing.plan.RoutePlan` whose ``solver["check"]`` holds the
independent check (:func:`citylogistics.routing.orders.check_plan`).
:func:`write_orders_outputs` writes, atomically (all files or none):

``plan.json``
    the plan schema (README) with an ``orders`` block (file, day, travel
    model, depots, fleet); ``arrival_s``/``departure_s`` of every step are
    seconds from midnight of the orders' day, comparable with the windows.
``schedule.csv``
    the drivers' sheet, one row per step: ``vehicle, sequence, order_id,
    kind, arrival, service_start, departure, window, demand, load, lon,
    lat`` (times ``HH:MM:SS``, hours past 23 on the next day).
``map.html``
    orders coloured by window start, unserved orders outlined, one layer
    per vehicle, routes along the roads when a network is used; works
    offline (Leaflet inlined, see :mod:`citylogistics.outputs.maps`).
``kpis.csv``
    ``orders, served, unassigned, vehicles_used, km, hours, on_time,
    on_time_share, delivered_parcels, picked_up_parcels, cost_cny``;
    on-time share = orders served inside their window ÷ all orders.
``manifest.json``
    inputs with SHA-256, seed, settings, package versions, timings.

Search budget: ``time_limit_s`` is an amount of search *work* (seconds on the
development machine), with a wall-clock cap ten times larger (at least 5 s),
so the same input and seed give the same bytes (``manifest.json`` aside:
it records timings).

Several depots with more than :data:`SPLIT_ABOVE` orders are solved one depot
at a time (``split="auto"``): each order goes to its nearest depot by travel
time, and each depot's orders are routed with its own vehicles. This keeps
10,000-order days within memory and time; it gives up moving an order to a
farther depot's vehicle.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from citylogistics.errors import InputError
from citylogistics.fileio import MANIFEST_TOOL, check_output_dir
from citylogistics.routing.orders import (
    Depot,
    OrdersProblem,
    OrderVehicle,
    PlanCheck,
    check_plan,
    format_clock,
    parse_depot,
    parse_shift,
    read_depots,
    read_orders,
)
from citylogistics.routing.plan import RoutePlan, SolverStats, Step
from citylogistics.scenario.files import OrdersSection

__all__ = [
    "OrdersSection",
    "route_orders",
    "write_orders_outputs",
    "orders_map",
    "schedule_rows",
    "kpi_row",
    "SCHEDULE_FIELDS",
    "KPI_FIELDS",
    "SPLIT_ABOVE",
    "cmd_route",
    "problem_from_section",
    "run_orders_scenario",
]

#: Orders above which a several-depot day is solved depot by depot (``split="auto"``).
SPLIT_ABOVE = 1500
SCHEDULE_FIELDS = (
    "vehicle",
    "sequence",
    "order_id",
    "kind",
    "arrival",
    "service_start",
    "departure",
    "window",
    "demand",
    "load",
    "lon",
    "lat",
)
KPI_FIELDS = (
    "orders",
    "served",
    "unassigned",
    "vehicles_used",
    "km",
    "hours",
    "on_time",
    "on_time_share",
    "delivered_parcels",
    "picked_up_parcels",
    "cost_cny",
)
OUTPUT_FILES = ("plan.json", "schedule.csv", "map.html", "kpis.csv", "manifest.json")


# ---------------------------------------------------------------------------
# Scenario section
# ---------------------------------------------------------------------------
def problem_from_section(
    section: OrdersSection, vehicles: Sequence[Any] = (), *, base_dir: str | Path, network=None
) -> OrdersProblem:
    """The :class:`OrdersProblem` of an ``[orders]`` table.

    ``vehicles`` are the scenario's ``[[vehicles]]`` entries (objects with
    ``name, count, capacity_parcels, fixed_cost_cny, cost_per_km_cny,
    max_duration_s, max_distance_m, co2_kg_per_km, speed_factor``).
    """
    base = Path(base_dir)
    orders = read_orders(
        base / section.file, columns=section.columns, crs=section.crs, default_service_s=section.service_s
    )
    depots: tuple[Depot, ...]
    if section.depot is not None:
        depots = (parse_depot(f"{section.depot[0]},{section.depot[1]}", crs=section.crs, source="orders.depot"),)
    else:
        assert section.depots is not None  # OrdersSection requires exactly one of depot and depots
        depots = read_depots(base / section.depots, crs=section.crs)
    if vehicles:
        fleet = tuple(
            OrderVehicle(
                name=v.name,
                count=int(v.count),
                capacity_parcels=float(v.capacity_parcels),
                speed_kmh=None if section.speed_kmh is None else section.speed_kmh / float(v.speed_factor),
                fixed_cost_cny=v.fixed_cost_cny,
                cost_per_km_cny=v.cost_per_km_cny,
                max_duration_s=v.max_duration_s,
                max_distance_m=v.max_distance_m,
                co2_kg_per_km=v.co2_kg_per_km,
            )
            for v in vehicles
        )
    else:
        fleet = (
            OrderVehicle(
                count=section.vehicles, capacity_parcels=section.capacity_parcels, speed_kmh=section.speed_kmh
            ),
        )
    shift = parse_shift(section.shift, source="scenario", where="orders.shift") if section.shift else None
    return OrdersProblem(
        orders, depots, fleet, network=network, circuity=section.circuity, shift=shift, max_snap_m=section.max_snap_m
    )


# ---------------------------------------------------------------------------
# Solving
# ---------------------------------------------------------------------------
def _params(time_limit_s: float, seed: int, engine: str):
    from citylogistics.routing.solver import SolveParams

    return SolveParams(
        time_limit_s=max(10.0 * time_limit_s, 5.0),
        work_limit_s=time_limit_s,
        seed=seed,
        engine=engine,
        deterministic=True,
    )


def _merge_checks(checks: Sequence[PlanCheck]) -> PlanCheck:
    return PlanCheck(
        tuple(v for c in checks for v in c.violations),
        sum(c.orders for c in checks),
        sum(c.served for c in checks),
        sum(c.on_time for c in checks),
    )


def route_orders(
    problem: OrdersProblem, *, time_limit_s: float = 10.0, seed: int = 0, engine: str = "auto", split: str = "auto"
) -> RoutePlan:
    """Route the orders and check the plan independently.

    Parameters
    ----------
    problem
        Orders, depots, fleet, travel model.
    time_limit_s
        Search work (seconds on the development machine); the wall-clock cap
        is ten times larger (at least 5 s). Split runs share it among depots
        by their share of the orders.
    seed
        Solver seed: the same input and seed give the same plan.
    engine
        ``"auto"``, ``"pyvrp"`` or ``"ortools"`` (:mod:`citylogistics.routing.solver`).
    split
        ``"auto"`` (several depots and more than :data:`SPLIT_ABOVE` orders),
        ``"always"`` or ``"never"``: solve depot by depot (module docs).

    Returns
    -------
    RoutePlan
        ``solver["check"]`` is :meth:`PlanCheck.to_dict` of the independent check.
    """
    from citylogistics.routing.solver import solve

    if split not in ("auto", "always", "never"):
        raise InputError(f"split is {split!r}; use auto, always or never", source="route_orders", where="split")
    t0 = time.perf_counter()
    many = len(problem.depots) > 1
    if many and (split == "always" or (split == "auto" and len(problem.orders) > SPLIT_ABOVE)):
        parts = problem.split_by_depot()
        plans, checks, infos = [], [], []
        n = len(problem.orders)
        for part in parts:
            budget = max(time_limit_s * len(part.orders) / n, 0.5)
            rp = part.routing_problem
            p = solve(rp, _params(budget, seed, engine))
            plans.append(p)
            checks.append(check_plan(rp, p))
            infos.append(
                {
                    "depot": part.depots[0].id,
                    "orders": len(part.orders),
                    **{k: p.solver.get(k) for k in ("engine", "status", "stopped_by", "feasible")},
                }
            )
            del part.__dict__["routing_problem"], part.__dict__["matrices"]  # free the part's matrices
        position = {o.id: k for k, o in enumerate(problem.orders)}
        unassigned = sorted((u for p in plans for u in p.unassigned), key=lambda u: position[u.id])
        solver = {
            "engine": plans[0].solver.get("engine") if plans else engine,
            "seed": int(seed),
            "deterministic": True,
            "time_limit_s": float(time_limit_s),
            "split_by_depot": len(parts),
            "parts": infos,
            "feasible": all(p.solver.get("feasible", False) for p in plans),
            "violations": [v for p in plans for v in p.solver.get("violations", [])],
        }
        plan = RoutePlan(
            routes=tuple(r for p in plans for r in p.routes),
            unassigned=tuple(unassigned),
            penalty_cny=sum(p.penalty_cny for p in plans),
            solver=SolverStats.from_dict(solver),
        )
        check = _merge_checks(checks)
    else:
        rp = problem.routing_problem
        plan = solve(rp, _params(time_limit_s, seed, engine))
        check = check_plan(rp, plan)
    stats = dict(plan.solver)
    stats["check"] = check.to_dict()
    return dataclasses.replace(plan, solver=SolverStats.from_dict(stats), solve_time_s=time.perf_counter() - t0)


# ---------------------------------------------------------------------------
# Output tables
# ---------------------------------------------------------------------------
def schedule_rows(plan: RoutePlan, problem: OrdersProblem) -> list[dict]:
    """The drivers' sheet (see module docs): one row per step of every route."""
    orders = problem.orders.by_id()
    depots = {d.id: d for d in problem.depots}
    rows = []
    for r in plan.routes:
        for k, s in enumerate(r.steps):
            o = orders.get(s.id) if s.type in ("delivery", "pickup") else None
            if o is not None:
                start = max(s.arrival_s, o.tw_start_s or 0.0)
                rows.append(
                    {
                        "vehicle": r.vehicle,
                        "sequence": k,
                        "order_id": o.id,
                        "kind": o.kind,
                        "arrival": format_clock(s.arrival_s),
                        "service_start": format_clock(start),
                        "departure": format_clock(s.departure_s),
                        "window": o.window,
                        "demand": f"{o.demand_parcels:g}",
                        "load": f"{s.load:g}",
                        "lon": f"{o.lon:.6f}",
                        "lat": f"{o.lat:.6f}",
                    }
                )
            else:
                d = depots.get(r.depot)
                rows.append(
                    {
                        "vehicle": r.vehicle,
                        "sequence": k,
                        "order_id": "",
                        "kind": s.type,
                        "arrival": format_clock(s.arrival_s) if s.type != "start" else "",
                        "service_start": "",
                        "departure": format_clock(s.departure_s) if s.type == "start" else "",
                        "window": "",
                        "demand": "",
                        "load": f"{s.load:g}",
                        "lon": f"{d.lon:.6f}" if d else "",
                        "lat": f"{d.lat:.6f}" if d else "",
                    }
                )
    return rows


def kpi_row(plan: RoutePlan, problem: OrdersProblem, check: PlanCheck | Mapping | None = None) -> dict:
    """The figures of ``kpis.csv`` (module docs)."""
    if check is None:
        check = plan.solver.get("check") or {}
    if isinstance(check, PlanCheck):
        check = check.to_dict()
    n = len(problem.orders)
    steps = [s for r in plan.routes for s in r.steps if s.type in ("delivery", "pickup")]
    on_time = int(check.get("on_time", 0))
    return {
        "orders": n,
        "served": len(steps),
        "unassigned": len(plan.unassigned),
        "vehicles_used": len(plan.routes),
        "km": round(plan.distance_m / 1000.0, 3),
        "hours": round(plan.duration_s / 3600.0, 3),
        "on_time": on_time,
        "on_time_share": round(on_time / n, 4) if n else 0.0,
        "delivered_parcels": round(sum(s.delivery for s in steps), 3),
        "picked_up_parcels": round(sum(s.pickup for s in steps), 3),
        "cost_cny": round(plan.cost, 2),
    }


def _csv(rows: Sequence[Mapping], fields: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, "") for k in fields})
    return buf.getvalue()


# ---------------------------------------------------------------------------
# Map
# ---------------------------------------------------------------------------
#: Window-start classes of the map: (upper bound in s, colour, label); orders without a window are grey.
_WINDOW_CLASSES = (
    (8 * 3600, "#6a3d9a", "starts before 08:00"),
    (10 * 3600, "#1f78b4", "08:00–10:00"),
    (12 * 3600, "#33a02c", "10:00–12:00"),
    (14 * 3600, "#b2df8a", "12:00–14:00"),
    (16 * 3600, "#fdbf6f", "14:00–16:00"),
    (18 * 3600, "#ff7f00", "16:00–18:00"),
    (24 * 3600, "#e31a1c", "18:00–24:00"),
    (math.inf, "#8b0000", "the next day or later"),
)
_NO_WINDOW = ("#9e9e9e", "no window")


def _window_class(order) -> tuple[str, str]:
    if order.tw_start_s is None and order.tw_end_s is None:
        return _NO_WINDOW
    t = order.tw_start_s if order.tw_start_s is not None else 0.0
    for hi, colour, label in _WINDOW_CLASSES:
        if t < hi:
            return colour, label
    return _WINDOW_CLASSES[-1][1:]


def orders_map(
    plan: RoutePlan, problem: OrdersProblem, *, tiles: str = "OpenStreetMap", title: str | None = None, m=None
):
    """Orders coloured by window start, depots, and one layer per vehicle (its route, along the roads
    when the problem has a network). Every name shown is HTML-escaped."""
    import folium

    from citylogistics.outputs.maps import add_legend, bind_info, depot_icon, fit_to, new_map, route_colour, to_display

    if m is None:
        m = new_map(tiles=tiles, title=title)
    served: dict[str, tuple[str, int, Step]] = {}
    for r in plan.routes:
        for k, s in enumerate(r.steps):
            if s.type in ("delivery", "pickup"):
                served[s.id] = (r.vehicle, k, s)
    unassigned = {u.id: u.reason for u in plan.unassigned}
    orders = list(problem.orders)
    lon = [o.lon for o in orders] + [d.lon for d in problem.depots]
    lat = [o.lat for o in orders] + [d.lat for d in problem.depots]
    dx, dy = to_display(m, lon, lat)
    layer = folium.FeatureGroup(name=html.escape("Orders (colour: window start)"), show=True)
    used_classes = {}
    for o, x, y in zip(orders, dx.tolist(), dy.tolist()):
        colour, label = _window_class(o)
        used_classes[label] = colour
        info = {"order": o.id, "kind": o.kind, "parcels": f"{o.demand_parcels:g}", "window": o.window or "open"}
        if o.id in served:
            veh, k, s = served[o.id]
            info.update(
                {
                    "vehicle": veh,
                    "stop": k,
                    "arrival": format_clock(s.arrival_s),
                    "service start": format_clock(max(s.arrival_s, o.tw_start_s or 0.0)),
                }
            )
            mk = folium.CircleMarker(
                (y, x), radius=5, color="#333333", weight=1, fill=True, fill_color=colour, fill_opacity=0.9
            )
        else:
            info["unserved"] = unassigned.get(o.id, "")
            mk = folium.CircleMarker(
                (y, x),
                radius=7,
                color="#000000",
                weight=3,
                fill=True,
                fill_color=colour,
                fill_opacity=0.5,
                dash_array="3",
            )
        tip = f"{o.id} · {o.window or 'open'}" + (f" · {info['arrival']}" if "arrival" in info else " · unserved")
        bind_info(mk, tooltip=tip, popup=info)
        mk.add_to(layer)
    n_o = len(orders)
    dep_layer = folium.FeatureGroup(name=html.escape("Depots"), show=True)
    for d, x, y in zip(problem.depots, dx.tolist()[n_o:], dy.tolist()[n_o:]):
        depot_mk = folium.Marker((y, x), icon=depot_icon())
        bind_info(
            depot_mk, tooltip=f"depot {d.id}", popup={"depot": d.id, "lon": f"{d.lon:.6f}", "lat": f"{d.lat:.6f}"}
        )
        depot_mk.add_to(dep_layer)
    _add_route_layers(m, plan, problem)
    layer.add_to(m)  # after the routes, so the order markers are drawn on top of the lines
    dep_layer.add_to(m)
    classes = [(f"background:{c};border-radius:50%", label) for label, c in used_classes.items()]
    order_of = {label: k for k, (_, _, label) in enumerate(_WINDOW_CLASSES)}
    classes.sort(key=lambda e: order_of.get(e[1], 99))
    add_legend(
        m,
        [
            ("orders by window start", classes),
            (
                "",
                [
                    ("background:#fff;border:2px dashed #000;border-radius:50%", "unserved"),
                    ("background:#000", "depot"),
                    (f"background:{route_colour(0)};height:4px", "route (one layer per vehicle)"),
                ],
            ),
        ],
    )
    folium.LayerControl(collapsed=len(plan.routes) > 12).add_to(m)
    fit_to(m, lon, lat)
    return m


def _add_route_layers(m, plan: RoutePlan, problem: OrdersProblem) -> None:
    """One map layer per vehicle: its route along the roads (straight between stops without a network)."""
    import folium

    from citylogistics.outputs.maps import bind_info, latlon_path, route_colour

    paths = problem.road_paths(plan)
    points = {d.id: (d.lon, d.lat) for d in problem.depots}
    points.update({o.id: (o.lon, o.lat) for o in problem.orders})
    for i, r in enumerate(plan.routes):
        ids = [s.id for s in r.steps]
        coords: list[tuple[float, float]] = []
        for a, b in zip(ids, ids[1:]):
            seg = paths.get((a, b)) or [points[a], points[b]]
            coords.extend(seg if not coords else seg[1:])
        stops = len(r.stop_ids)
        label = f"{r.vehicle}: {stops} order{'s' if stops != 1 else ''}, {r.distance_m / 1000:.1f} km"
        g = folium.FeatureGroup(name=html.escape(label), show=True)
        line = latlon_path(m, coords)
        if len(line) >= 2:
            pl = folium.PolyLine(line, color=route_colour(i), weight=4, opacity=0.8)
            bind_info(
                pl,
                tooltip=f"{r.vehicle}: {stops} orders",
                popup={
                    "vehicle": r.vehicle,
                    "depot": r.depot,
                    "orders": stops,
                    "km": round(r.distance_m / 1000, 2),
                    "leaves": format_clock(r.steps[0].departure_s),
                    "back": format_clock(r.steps[-1].arrival_s),
                },
            )
            pl.add_to(g)
        g.add_to(m)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------
def plan_document(plan: RoutePlan, problem: OrdersProblem) -> dict:
    """The ``plan.json`` content: an ``orders`` block, then the plan schema."""
    net = problem.network
    travel = {
        "model": "network" if net is not None else "straight_line",
        "circuity": None if net is not None else problem.circuity,
        "network": None if net is None else str(net.graph.get("name", "")),
        "speeds": "network" if problem.uses_network_speeds else "vehicle",
    }
    doc = {
        "orders": {
            "file": Path(problem.orders.source).name,
            "count": len(problem.orders),
            "day": problem.orders.day.isoformat() if problem.orders.day else None,
            "time_origin": "midnight of the orders' day",
            "crs_read": problem.orders.crs,
            "travel": travel,
            "shift": None if problem.shift is None else [problem.shift[0], problem.shift[1]],
            "depots": [{"id": d.id, "lon": round(d.lon, 7), "lat": round(d.lat, 7)} for d in problem.depots],
            "vehicles": [dataclasses.asdict(v) for v in problem.vehicles],
        }
    }
    doc.update(plan.to_dict())
    return doc


def write_orders_outputs(
    plan: RoutePlan,
    out_dir: str | Path,
    *,
    problem: OrdersProblem,
    overwrite: bool = False,
    inputs: Mapping[str, str | Path | None] | None = None,
    settings: Mapping | None = None,
    timings: Mapping[str, float] | None = None,
    tiles: str = "OpenStreetMap",
    title: str | None = None,
) -> Path:
    """Write plan.json, schedule.csv, map.html, kpis.csv and manifest.json into ``out_dir`` atomically.

    Parameters
    ----------
    plan, problem
        From :func:`route_orders`.
    overwrite
        Replace an existing citylogistics output folder (see :func:`check_out_dir`).
    inputs
        Files to hash into the manifest (name → path); default the orders file.
    settings
        Extra facts for the manifest (seed, time limit…).
    """
    from citylogistics.fileio import staged_output_dir
    from citylogistics.outputs.maps import render_map
    from citylogistics.scenario.files import dump_json, file_sha256, versions

    out = check_output_dir(out_dir, overwrite=overwrite)
    t0 = time.perf_counter()
    doc = plan_document(plan, problem)
    sched = _csv(schedule_rows(plan, problem), SCHEDULE_FIELDS)
    kpis = _csv([kpi_row(plan, problem)], KPI_FIELDS)
    page = render_map(
        orders_map(plan, problem, tiles=tiles, title=title or f"Routes for {Path(problem.orders.source).name}")
    )
    files = {"orders": problem.orders.source} if inputs is None else dict(inputs)
    manifest = {
        "tool": MANIFEST_TOOL,
        "command": "route",
        "title": title,
        "outputs": list(OUTPUT_FILES),
        "inputs": {k: {"path": str(p), "sha256": file_sha256(p)} for k, p in files.items() if p is not None},
        "settings": dict(settings or {}),
        "versions": versions(),
        "timings_s": {k: round(v, 3) for k, v in {**(timings or {}), "outputs": time.perf_counter() - t0}.items()},
        "created_unix": int(time.time()),
    }
    with staged_output_dir(out) as stage:
        (stage / "plan.json").write_text(dump_json(doc), encoding="utf-8")
        (stage / "schedule.csv").write_text(sched, encoding="utf-8")
        (stage / "kpis.csv").write_text(kpis, encoding="utf-8")
        (stage / "map.html").write_text(page, encoding="utf-8")
        (stage / "manifest.json").write_text(dump_json(manifest), encoding="utf-8")
    return Path(out_dir)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
def cmd_route(args) -> int:
    """Handler of ``citylogistics route`` (its arguments are defined in :mod:`citylogistics.cli`)."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    check_output_dir(args.out, overwrite=args.overwrite)
    orders = read_orders(args.orders, columns=args.columns, crs=args.crs, default_service_s=args.service_s)
    if args.depots:
        depots = read_depots(args.depots, crs=args.crs)
    else:
        depots = (parse_depot(args.depot, crs=args.crs),)
    shift = parse_shift(args.shift) if args.shift else None
    G = None
    if args.network:
        from citylogistics.network.osm_import import load_network

        if not Path(args.network).is_file():
            raise InputError("network file not found; check the path", source=args.network)
        G = load_network(args.network)
    speed = args.speed_kmh if args.speed_kmh is not None else (None if G is not None else 15.0)
    fleet = (OrderVehicle(name="vehicle", count=args.vehicles, capacity_parcels=args.capacity, speed_kmh=speed),)
    problem = OrdersProblem(orders, depots, fleet, network=G, circuity=args.circuity, shift=shift)
    _ = problem.snapped  # snapping refuses points outside the network before solving
    timings["read"] = time.perf_counter() - t
    t = time.perf_counter()
    plan = route_orders(problem, time_limit_s=args.time_limit, seed=args.seed)
    timings["route"] = time.perf_counter() - t
    settings = {
        "seed": args.seed,
        "time_limit_s": args.time_limit,
        "vehicles_per_depot": args.vehicles,
        "capacity": args.capacity,
        "speed_kmh": speed,
        "shift": args.shift,
        "service_s": args.service_s,
        "crs": args.crs,
        "columns": args.columns,
        "circuity": args.circuity,
    }
    write_orders_outputs(
        plan,
        args.out,
        problem=problem,
        overwrite=args.overwrite,
        settings=settings,
        inputs={"orders": args.orders, "depots": args.depots, "network": args.network},
        timings=timings,
    )
    check = plan.solver["check"]
    print(plan.summary())
    print(
        f"check: {'ok' if check['ok'] else 'FAILED'}; {check['served']} of {check['orders']} orders served, "
        f"{check['on_time']} inside their window ({100 * check['on_time_share']:.1f} %)"
    )
    print(f"output: {args.out}")
    return 0 if check["ok"] else 1


def run_orders_scenario(scenario, out_dir: str | Path, *, overwrite: bool = True) -> RoutePlan:
    """Run a scenario with an ``[orders]`` table (``scenario.orders``) and write the outputs.

    Reads ``scenario.orders``, ``vehicles``, ``network.file``, ``seed``,
    ``routing.engine``, ``map.tiles`` and ``title``; paths are relative to the scenario file.
    """
    section: OrdersSection = scenario.orders
    t = time.perf_counter()
    check_output_dir(out_dir, overwrite=overwrite)
    net_path = scenario.resolve(scenario.network.file)
    G = None
    if net_path is not None:
        from citylogistics.network.osm_import import load_network

        G = load_network(net_path)
    problem = problem_from_section(section, scenario.vehicles, base_dir=Path(scenario.path).parent, network=G)
    _ = problem.snapped  # snapping refuses points outside the network before solving
    timings = {"read": time.perf_counter() - t}
    t = time.perf_counter()
    plan = route_orders(
        problem,
        time_limit_s=section.time_limit_s,
        seed=scenario.seed,
        engine=scenario.routing.engine,
        split=section.split,
    )
    timings["route"] = time.perf_counter() - t
    base = Path(scenario.path).parent
    write_orders_outputs(
        plan,
        out_dir,
        problem=problem,
        overwrite=overwrite,
        timings=timings,
        inputs={
            "scenario": scenario.path,
            "orders": base / section.file,
            "depots": None if section.depots is None else base / section.depots,
            "network": net_path,
        },
        settings={"seed": scenario.seed, "time_limit_s": section.time_limit_s},
        tiles=scenario.map.tiles,
        title=scenario.title,
    )
    return plan
