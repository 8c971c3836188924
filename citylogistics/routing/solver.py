"""Vehicle routing: solve a :class:`~citylogistics.routing.problem.RoutingProblem`.

This module chooses the engine and builds the plan from its answer. Two
engines share one integer model policy and the parameters
(:mod:`citylogistics.routing.params`):

``"ortools"``
    OR-Tools routing library (:mod:`citylogistics.routing.ortools_engine`,
    classic ``pywrapcp`` API). Reloading (``max_trips > 1``) is not modelled there.
``"pyvrp"``
    PyVRP's iterated local search (:mod:`citylogistics.routing.pyvrp_engine`); it
    supports every variant of :class:`RoutingProblem`, including reloading.
``"auto"`` (default)
    PyVRP: on this machine it is 0-0.6 % above best-known values on the
    Solomon and X benchmarks in 30 s where OR-Tools' plain configuration is
    0-5.7 % above them (see ``benchmarks/notes/routing.md``).

Integer policy (one place: :class:`~citylogistics.routing.params.IntPolicy`): distances in decimetres
rounded to nearest, times in deciseconds rounded up, loads in 1/1000 parcel
(capacities rounded down), money in micro-yuan. A vehicle type without cost
rates is routed as if it cost 1 yuan/km, so plain instances minimise distance.
Unreachable pairs (``inf``) become a large finite value that no feasible route
can use.

Determinism: with ``SolveParams(deterministic=True)`` (the default) the search
stops after a fixed amount of *work* derived from the instance size and
``time_limit_s`` (OR-Tools: a solution limit; PyVRP: an iteration limit),
calibrated on this machine to finish well under the time limit, which stays
as a safety cap. The same input and seed then give the same plan. If the cap
is hit first (a much slower machine), ``plan.solver.stopped_by`` says
``"time_limit"`` and the result may differ between runs. With
``deterministic=False`` the search uses the whole wall-clock time.

Every stop not served is listed in ``plan.unassigned`` with a reason computed
by :mod:`citylogistics.routing.check`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

from citylogistics.errors import InputError
from citylogistics.routing.check import stop_reason
from citylogistics.routing.ortools_engine import (  # noqa: F401
    _solve_ortools,
    ortools_status_name,
    solve_ortools,
)
from citylogistics.routing.params import (
    ENGINES,
    IntPolicy,
    RouteSpec,
    SolveParams,
    work_seconds,
)
from citylogistics.routing.plan import Route, RoutePlan, SolverStats, Step, Unassigned
from citylogistics.routing.problem import RoutingProblem, VehicleType

# SolveParams, IntPolicy, RouteSpec, work_seconds, ENGINES and the OR-Tools engine live in
# params.py and ortools_engine.py; they stay importable from here (``_solve_ortools`` for
# benchmarks/bench_vrp.py).
__all__ = [
    "ENGINES",
    "IntPolicy",
    "RouteSpec",
    "SolveParams",
    "build_plan",
    "choose_engine",
    "ortools_status_name",
    "solve",
    "solve_ortools",
    "work_seconds",
]


# ---------------------------------------------------------------------------
# Plan building (from the engines' route specs)
# ---------------------------------------------------------------------------
def _schedule(problem: RoutingProblem, vt: VehicleType, trips: Sequence[Sequence[int]]):
    """Float schedule of a route: list of (kind, node, stop_idx, arrival, start, departure)."""
    depot = problem.depot_node(vt)
    seq: list[tuple[str, int, int]] = [("start", depot, -1)]
    for k, trip in enumerate(trips):
        if k > 0:
            seq.append(("reload", depot, -1))
        seq.extend(("stop", problem.stops[i].node, i) for i in trip)
    if not vt.open_end:
        seq.append(("end", depot, -1))
    dur = problem.duration_s

    def forward(t0: float):
        out = []
        t = t0
        prev = None
        for kind, node, si in seq:
            arr = t if prev is None else t + dur[prev, node] * vt.speed_factor
            if si >= 0:
                s = problem.stops[si]
                start = max(arr, s.tw_start_s)
                dep = start + s.service_s
            else:
                start = dep = arr
            out.append((kind, node, si, arr, start, dep))
            t = dep
            prev = node
        return out

    sched = forward(vt.shift_start_s)
    # Savelsbergh forward slack: leave later to remove waiting, keeping every window.
    waits = 0.0
    slack = math.inf
    for _kind, _node, si, arr, start, _dep in sched:
        waits += start - arr
        if si >= 0 and problem.stops[si].tw_end_s is not None:
            slack = min(slack, waits + problem.stops[si].tw_end_s - start)
    delay = min(slack, waits)
    if delay > 1e-9 and math.isfinite(delay):
        sched = forward(vt.shift_start_s + delay)
    return sched


def _route_steps(
    problem: RoutingProblem, vt: VehicleType, name: str, trips: Sequence[Sequence[int]], violations: list[str]
) -> tuple[list[Step], float, int]:
    """The steps of one route, its distance and its last trip number; load and
    window violations are appended to ``violations``."""
    dist = problem.distance_m
    tol = 1e-6
    steps: list[Step] = []
    cum_d = 0.0
    prev = None
    trip_no = 0
    trip_loads = [sum(problem.stops[i].delivery for i in t) for t in trips]
    load = trip_loads[0]
    for kind, node, si, arr, start, dep in _schedule(problem, vt, trips):
        if prev is not None:
            cum_d += dist[prev, node]
        prev = node
        if kind == "start":
            steps.append(Step("start", problem.node_ids[node], load, arr, cum_d, departure_s=dep))
        elif kind == "reload":
            trip_no += 1
            load = trip_loads[trip_no]
            steps.append(Step("reload", problem.node_ids[node], load, arr, cum_d, departure_s=dep, trip=trip_no))
        elif kind == "end":
            load = 0.0 if not steps else load  # parcels picked up are unloaded at the depot
            steps.append(Step("end", problem.node_ids[node], 0.0, arr, cum_d, departure_s=dep, trip=trip_no))
        else:
            s = problem.stops[si]
            load = load - s.delivery + s.pickup
            typ = "delivery" if s.delivery > 0 or s.pickup <= 0 else "pickup"
            steps.append(
                Step(typ, s.id, load, arr, cum_d, delivery=s.delivery, pickup=s.pickup, departure_s=dep, trip=trip_no)
            )
            if load > vt.capacity + tol or load < -tol:
                violations.append(f"{name}: load {load:g} outside [0, {vt.capacity:g}] after {s.id}")
            if s.tw_end_s is not None and start > s.tw_end_s + 1e-3:
                violations.append(f"{name}: {s.id} served at {start:.1f} s after window end {s.tw_end_s}")
    if any(trip_load > vt.capacity + tol for trip_load in trip_loads):
        violations.append(f"{name}: trip deliveries exceed capacity {vt.capacity:g}")
    return steps, cum_d, trip_no


def _route(
    problem: RoutingProblem, vt: VehicleType, name: str, trips: Sequence[Sequence[int]], violations: list[str]
) -> Route:
    """One route evaluated in floating point; shift, duration and distance
    violations are appended to ``violations``."""
    steps, cum_d, trip_no = _route_steps(problem, vt, name, trips, violations)
    if vt.open_end:
        last = steps[-1]
        steps.append(
            Step("end", last.id, last.load, last.departure_s, cum_d, departure_s=last.departure_s, trip=trip_no)
        )
    t0 = steps[0].departure_s
    t_end = steps[-1].arrival_s
    duration = t_end - t0
    if not math.isfinite(cum_d) or not math.isfinite(duration):
        violations.append(f"{name}: uses an unreachable leg")
    if vt.shift_end_s is not None and t_end > vt.shift_end_s + 1e-3:
        violations.append(f"{name}: ends at {t_end:.1f} s after shift end {vt.shift_end_s}")
    if vt.max_duration_s is not None and duration > vt.max_duration_s + 1e-3:
        violations.append(f"{name}: duration {duration:.1f} s > max {vt.max_duration_s}")
    if vt.max_distance_m is not None and cum_d > vt.max_distance_m + 1e-3 + 0.05 * len(steps):
        violations.append(f"{name}: distance {cum_d:.1f} m > max {vt.max_distance_m}")
    km = cum_d / 1000.0
    return Route(
        vehicle=name,
        depot=problem.node_ids[problem.depot_node(vt)],
        capacity=vt.capacity,
        distance_m=cum_d,
        duration_s=duration,
        steps=tuple(steps),
        vehicle_type=vt.name,
        fixed_cost_cny=vt.fixed_cost_cny,
        distance_cost_cny=vt.cost_per_km_cny * km,
        time_cost_cny=vt.cost_per_hour_cny * duration / 3600.0,
        co2_kg=vt.co2_kg_per_km * km,
    )


def build_plan(
    problem: RoutingProblem,
    specs: Sequence[RouteSpec],
    unassigned: Sequence[tuple[int, str]],
    *,
    solver: Mapping[str, Any],
    solve_time_s: float = 0.0,
) -> RoutePlan:
    """Evaluate routes in floating point and build the :class:`RoutePlan`.

    Routes are ordered by vehicle type, then by their stop sequence, and named
    ``<type>-<k>``; the float evaluation also verifies every constraint and
    records violations in ``plan.solver.violations`` (empty when feasible).
    ``solver`` holds the engine's facts; the plan gets them as
    :class:`~citylogistics.routing.plan.SolverStats`.
    """
    by_type: dict[int, list[RouteSpec]] = {}
    for sp in specs:
        if any(len(t) for t in sp.trips):
            trips = tuple(tuple(t) for t in sp.trips if len(t))
            by_type.setdefault(sp.vehicle_type, []).append(RouteSpec(sp.vehicle_type, trips))
    routes: list[Route] = []
    violations: list[str] = []
    for t_idx in sorted(by_type):
        vt = problem.vehicle_types[t_idx]
        group = sorted(by_type[t_idx], key=lambda sp: [i for t in sp.trips for i in t])
        if len(group) > vt.count:
            violations.append(f"type {vt.name}: {len(group)} routes > count {vt.count}")
        if max(len(sp.trips) for sp in group) > vt.max_trips:
            violations.append(f"type {vt.name}: more than max_trips={vt.max_trips} trips")
        for k, sp in enumerate(group):
            routes.append(_route(problem, vt, f"{vt.name}-{k + 1}", sp.trips, violations))
    served = [i for sp in specs for t in sp.trips for i in t]
    if len(served) != len(set(served)):
        violations.append("a stop is visited twice")
    un = sorted(unassigned, key=lambda x: x[0])
    penalty = sum(problem.stops[i].penalty_cny or 0.0 for i, _ in un if not problem.stops[i].required)
    stats = SolverStats.from_dict({**solver, "violations": tuple(violations), "feasible": not violations})
    return RoutePlan(
        routes=tuple(routes),
        unassigned=tuple(Unassigned(problem.stops[i].id, r) for i, r in un),
        penalty_cny=penalty,
        solver=stats,
        solve_time_s=solve_time_s,
    )


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------
def choose_engine(problem: RoutingProblem, params: SolveParams) -> str:
    """The engine ``params.engine`` resolves to for ``problem``."""
    if params.engine != "auto":
        return params.engine
    return "pyvrp"


def solve(problem: RoutingProblem, params: SolveParams | None = None) -> RoutePlan:
    """Solve a routing problem and return a :class:`RoutePlan`.

    Stops that no vehicle can serve even alone are excluded before solving and
    listed with their reason; stops the solver leaves out are listed with
    ``"penalty"``.

    Parameters
    ----------
    problem
        The problem.
    params
        Solver settings (default :class:`SolveParams()`).

    Returns
    -------
    RoutePlan
    """
    if params is None:
        params = SolveParams()
    if not isinstance(problem, RoutingProblem):
        raise InputError("first argument must be a RoutingProblem", source="solve", where="problem")
    t0 = time.perf_counter()
    excluded: list[tuple[int, str]] = []
    keep: list[int] = []
    for i, s in enumerate(problem.stops):
        reason = stop_reason(problem, s)
        if reason is None:
            keep.append(i)
        else:
            excluded.append((i, reason))
    engine = choose_engine(problem, params)
    info: dict = {
        "engine": engine,
        "seed": int(params.seed),
        "deterministic": bool(params.deterministic),
        "time_limit_s": float(params.time_limit_s),
    }
    if not keep:
        specs: list[RouteSpec] = []
        dropped: list[int] = []
        info.update(status="empty", stopped_by="nothing_to_do")
    elif engine == "ortools":
        specs, dropped, extra = solve_ortools(problem, keep, params)
        info.update(extra)
    else:
        from citylogistics.routing.pyvrp_engine import solve_pyvrp

        specs, dropped, extra = solve_pyvrp(problem, keep, params)
        info.update(extra)
        infeasible = extra.get("status") == "infeasible"
        short = any(problem.stops[i].required for i in dropped)
        if (infeasible or short) and not any(vt.max_trips > 1 for vt in problem.vehicle_types):
            # PyVRP ended on an infeasible solution, or dropped required stops (a fleet
            # too small for the loads, where its prize-collecting search can strand
            # many stops): OR-Tools with disjunctions always yields a feasible plan
            # that drops only what does not fit. The better of the two is kept.
            # OR-Tools gets what is left of the time limit (at least a tenth) and, in
            # deterministic mode, a fixed quarter of the work budget: never cut by the
            # clock (a loaded machine must get the same plan), the wall-clock cap then
            # being ten times that work.
            left = max(params.time_limit_s - (time.perf_counter() - t0), 0.1 * params.time_limit_s)
            work = 0.25 * work_seconds(params) if params.deterministic else None
            if work is not None:
                left = max(left, 10 * work)
            o_specs, o_dropped, o_extra = solve_ortools(
                problem, keep, dataclasses.replace(params, time_limit_s=left, work_limit_s=work)
            )
            if infeasible or _better_plan(problem, (o_specs, o_dropped), (specs, dropped)):
                pyvrp_said = {"status": extra.get("status"), "unassigned": len(dropped)}
                specs, dropped = o_specs, o_dropped
                info = {k: info[k] for k in ("seed", "deterministic", "time_limit_s")}
                info.update(engine="ortools", **o_extra, fallback_from="pyvrp", pyvrp=pyvrp_said)
            else:
                info["compared_with_ortools"] = {"unassigned": len(o_dropped)}
    if info.get("engine") == "ortools":
        specs, dropped = canonical_labels(problem, specs, dropped)
    unassigned = excluded + [(i, "penalty") for i in dropped]
    return build_plan(problem, specs, unassigned, solver=info, solve_time_s=time.perf_counter() - t0)


def canonical_labels(
    problem: RoutingProblem, specs: Sequence[RouteSpec], dropped: Sequence[int]
) -> tuple[list[RouteSpec], list[int]]:
    """The same solution with interchangeable stops relabelled in one fixed order.

    Stops that differ only by id (same node, loads, service, window, penalty:
    a load split into equal vehicle loads) can swap places without changing a
    route's cost or feasibility, and OR-Tools returns any of those equal
    solutions from run to run. Routes are put in an order that does not depend
    on such ids (vehicle type, then each stop's class), and each class's stops
    are handed out in index order along them, the unserved ones last.
    """

    first: dict[tuple, int] = {}
    rep_of: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    for i, st in enumerate(problem.stops):
        key = (st.node, st.delivery, st.pickup, st.service_s, st.tw_start_s, st.tw_end_s, st.required, st.penalty_cny)
        rep_of[i] = first.setdefault(key, i)
        members.setdefault(rep_of[i], []).append(i)
    if all(len(m) == 1 for m in members.values()):
        return list(specs), list(dropped)
    order = sorted(specs, key=lambda sp: (sp.vehicle_type, [[rep_of[i] for i in t] for t in sp.trips]))
    pools = {rep: iter(m) for rep, m in members.items()}
    out = [
        RouteSpec(sp.vehicle_type, tuple(tuple(next(pools[rep_of[i]]) for i in t) for t in sp.trips)) for sp in order
    ]
    return out, sorted(next(pools[rep_of[i]]) for i in sorted(dropped, key=lambda i: rep_of[i]))


def _better_plan(problem: RoutingProblem, a, b) -> bool:
    """Is solution ``a`` (route specs, dropped stops) better than ``b``: fewer
    required stops dropped, then fewer stops dropped, then lower cost."""

    def key(sol):
        specs, dropped = sol
        cost = build_plan(problem, specs, [(i, "penalty") for i in dropped], solver={}, solve_time_s=0.0).cost
        return (sum(1 for i in dropped if problem.stops[i].required), len(dropped), round(cost, 6))

    return key(a) < key(b)
