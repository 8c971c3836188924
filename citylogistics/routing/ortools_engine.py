"""OR-Tools engine: translate a :class:`RoutingProblem` into the classic ``pywrapcp`` model and back.

Transit matrices are registered once per vehicle-type profile (integers from
:class:`~citylogistics.routing.params.IntPolicy`); a load dimension (two for
simultaneous delivery and pickup), a time dimension with windows and shift
limits, a distance dimension for distance limits, disjunctions for optional
stops. Reloading (``max_trips > 1``) is not modelled here. In deterministic
mode the search stops after a solution limit derived from the instance size
and :func:`~citylogistics.routing.params.work_seconds`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from citylogistics.errors import InputError, SolverError
from citylogistics.routing.params import IntPolicy, RouteSpec, SolveParams, work_seconds
from citylogistics.routing.problem import RoutingProblem

__all__ = ["ortools_status_name", "solve_ortools"]

#: Solutions accepted per second per 100 stops, measured on the dev machine
#: (see benchmarks/notes/routing.md); the deterministic budget uses 50 % of it.
_ORTOOLS_SOLUTIONS_PER_S_100 = 40.0


def _ortools_solution_limit(n_stops: int, time_limit_s: float) -> int:
    rate = _ORTOOLS_SOLUTIONS_PER_S_100 * 100.0 / max(n_stops, 10)
    return max(20, int(0.5 * rate * time_limit_s))


def ortools_status_name(status) -> str:
    """OR-Tools' routing status as a lower-case readable name taken from the
    installed version's ``RoutingSearchStatus`` enum, without the ``ROUTING_``
    prefix (``ROUTING_SUCCESS`` -> ``"success"``, ``ROUTING_FAIL_TIMEOUT`` ->
    ``"fail_timeout"``); a value the enum does not know becomes ``"unknown_<n>"``."""
    from ortools.constraint_solver import routing_enums_pb2

    enum = routing_enums_pb2.RoutingSearchStatus.Value
    try:
        name = enum.Name(int(status))
    except ValueError:
        return f"unknown_{int(status)}"
    return name.removeprefix("ROUTING_").lower()


def _fix_sinks(mat: np.ndarray, is_sink: np.ndarray, open_end: bool, into_sink: np.ndarray | int = 0) -> np.ndarray:
    """Arcs into an open-route sink cost ``into_sink`` (open routes) or are
    forbidden; arcs out of a sink are forbidden, sink to sink is free."""
    m = mat.copy()
    m[:, is_sink] = np.asarray(into_sink).reshape(-1, 1) if open_end else IntPolicy.BIG
    m[is_sink, :] = IntPolicy.BIG
    m[np.ix_(is_sink, is_sink)] = 0
    return m


def _register_arcs(
    routing,
    problem: RoutingProblem,
    vehicles: Sequence[int],
    real,
    is_sink,
    service: np.ndarray,
    *,
    need_time: bool,
    need_dist: bool,
) -> tuple[list[int], list[int]]:
    """Arc costs and fixed costs of every vehicle; the time and distance
    transit callbacks of every vehicle (one matrix per profile)."""
    P = IntPolicy
    vts = problem.vehicle_types
    D = P.dist(problem.distance_m[np.ix_(real, real)])
    cost_cb: dict[tuple, int] = {}
    time_cb: dict[tuple, int] = {}
    dist_cb: dict[tuple, int] = {}
    v_time: list[int] = []
    v_dist: list[int] = []
    for v, t in enumerate(vehicles):
        vt = vts[t]
        key = (vt.open_end, P.cost_per_dist_unit(vt))
        if key not in cost_cb:
            Dc = _fix_sinks(D, is_sink, vt.open_end)
            C = np.minimum(Dc * key[1], P.BIG * 1000)
            cost_cb[key] = routing.RegisterTransitMatrix(C.tolist())
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[key], v)
        if vt.fixed_cost_cny > 0:
            routing.SetFixedCostOfVehicle(P.money(vt.fixed_cost_cny), v)
        if need_time:
            tkey = (vt.open_end, vt.speed_factor)
            if tkey not in time_cb:
                T = P.time(problem.duration_s[np.ix_(real, real)] * vt.speed_factor)
                T = np.minimum(T + service[:, None], P.BIG)
                time_cb[tkey] = routing.RegisterTransitMatrix(_fix_sinks(T, is_sink, vt.open_end, service).tolist())
            v_time.append(time_cb[tkey])
        if need_dist:
            dkey = (vt.open_end,)
            if dkey not in dist_cb:
                dist_cb[dkey] = routing.RegisterTransitMatrix(_fix_sinks(D, is_sink, vt.open_end).tolist())
            v_dist.append(dist_cb[dkey])
    return v_time, v_dist


def _add_loads(routing, problem: RoutingProblem, stops, vehicles: Sequence[int], first_stop: int) -> None:
    """The load dimension; with deliveries and pickups, a second one so that the
    load at the start equals the route's deliveries."""
    P = IntPolicy
    vts = problem.vehicle_types
    dl = [P.load(s.delivery) for s in stops]
    pk = [P.load(s.pickup) for s in stops]
    caps = [P.capacity(vts[t].capacity) for t in vehicles]
    zeros = [0] * first_stop
    if any(pk) and any(dl):
        # load(start) = deliveries of the route; each stop changes it by pickup - delivery.
        net = routing.RegisterUnaryTransitVector(zeros + [p - d for p, d in zip(pk, dl)])
        delv = routing.RegisterUnaryTransitVector(zeros + dl)
        routing.AddDimensionWithVehicleCapacity(net, 0, caps, False, "Load")
        routing.AddDimensionWithVehicleCapacity(delv, 0, caps, True, "Delivered")
        load_dim = routing.GetDimensionOrDie("Load")
        del_dim = routing.GetDimensionOrDie("Delivered")
        solver = routing.solver()
        for v in range(len(vehicles)):
            solver.Add(load_dim.CumulVar(routing.Start(v)) == del_dim.CumulVar(routing.End(v)))
    else:
        dem = routing.RegisterUnaryTransitVector(zeros + (dl if any(dl) else pk))
        routing.AddDimensionWithVehicleCapacity(dem, 0, caps, True, "Load")


def _add_time(
    routing,
    manager,
    problem: RoutingProblem,
    keep: Sequence[int],
    stops,
    vehicles: Sequence[int],
    first_stop: int,
    v_time: list[int],
) -> None:
    """The time dimension: stop windows, shift windows, shift lengths, time costs."""
    P = IntPolicy
    vts = problem.vehicle_types
    H = P.horizon(problem, keep)
    routing.AddDimensionWithVehicleTransitAndCapacity(v_time, H, [H] * len(vehicles), False, "Time")
    tdim = routing.GetDimensionOrDie("Time")
    for k, s in enumerate(stops):
        idx = manager.NodeToIndex(first_stop + k)
        lo = int(P.time(s.tw_start_s))
        hi = H if s.tw_end_s is None else min(H, P.time_floor(s.tw_end_s))
        tdim.CumulVar(idx).SetRange(lo, max(lo, hi))
    for v, t in enumerate(vehicles):
        vt = vts[t]
        hi = H if vt.shift_end_s is None else min(H, P.time_floor(vt.shift_end_s))
        lo = int(P.time(vt.shift_start_s))
        tdim.CumulVar(routing.Start(v)).SetRange(lo, hi)
        tdim.CumulVar(routing.End(v)).SetRange(lo, hi)
        if vt.max_duration_s is not None:
            tdim.SetSpanUpperBoundForVehicle(P.time_floor(vt.max_duration_s), v)
        if vt.cost_per_hour_cny > 0:
            tdim.SetSpanCostCoefficientForVehicle(P.cost_per_time_unit(vt), v)
        routing.AddVariableMaximizedByFinalizer(tdim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.End(v)))


def _search_parameters(params: SolveParams, n_stops: int, *, need_time: bool, metaheuristic: str):
    """OR-Tools search parameters, the first-solution strategy and the solution limit (or ``None``)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    sp = pywrapcp.DefaultRoutingSearchParameters()
    fs = params.first_solution or ("PARALLEL_CHEAPEST_INSERTION" if need_time else "SAVINGS")
    sp.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, fs)
    sp.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic)
    sp.time_limit.FromMilliseconds(int(params.time_limit_s * 1000))
    limit = None
    if params.deterministic:
        limit = _ortools_solution_limit(n_stops, work_seconds(params))
        sp.solution_limit = limit
        # Each large-neighbourhood sub-search is otherwise cut at 100 ms of wall-clock time, which
        # makes the result depend on the machine's load; cap it by the whole time limit instead.
        sp.lns_time_limit.FromMilliseconds(int(params.time_limit_s * 1000))
    sp.log_search = bool(params.log)
    return sp, fs, limit


def _read_routes(
    routing, manager, sol, vehicles: Sequence[int], keep: Sequence[int], first_stop: int
) -> tuple[list[RouteSpec], list[int]]:
    """Route specs of the used vehicles and the stops left out."""
    specs: list[RouteSpec] = []
    served: set[int] = set()
    for v in range(len(vehicles)):
        idx = routing.Start(v)
        seq = []
        idx = sol.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            seq.append(keep[node - first_stop])
            idx = sol.Value(routing.NextVar(idx))
        if seq:
            specs.append(RouteSpec(vehicles[v], (tuple(seq),)))
            served.update(seq)
    return specs, [i for i in keep if i not in served]


def solve_ortools(
    problem: RoutingProblem, keep: Sequence[int], params: SolveParams, *, metaheuristic: str = "GUIDED_LOCAL_SEARCH"
):
    """Solve with OR-Tools; return (route specs, dropped stop indices, solver info)."""
    from ortools.constraint_solver import pywrapcp

    P = IntPolicy
    vts = problem.vehicle_types
    if any(vt.max_trips > 1 and vt.count > 0 for vt in vts):
        raise InputError(
            "engine 'ortools' does not model reloading (max_trips > 1); use engine='pyvrp' or 'auto'",
            source="SolveParams",
            where="engine",
        )
    # OR-Tools nodes: depots, one open-route sink per depot that needs one, then the stops.
    stops, nodes, sink_of, first_stop, real, is_sink = problem.solver_nodes(keep)
    K = len(nodes)
    service = np.zeros(K, dtype=np.int64)
    service[first_stop:] = [int(P.time(s.service_s)) for s in stops]

    vehicles: list[int] = []  # type index of each vehicle
    for t, vt in enumerate(vts):
        vehicles.extend([t] * vt.count)
    if not vehicles:
        return [], list(keep), {"status": "no_vehicles", "stopped_by": "nothing_to_do"}
    starts = [vts[t].depot for t in vehicles]
    ends = [sink_of[vts[t].depot] if vts[t].open_end else vts[t].depot for t in vehicles]
    manager = pywrapcp.RoutingIndexManager(K, len(vehicles), starts, ends)
    routing = pywrapcp.RoutingModel(manager, pywrapcp.DefaultRoutingModelParameters())

    need_time = any(s.tw_end_s is not None or s.tw_start_s > 0 for s in stops) or any(
        vt.shift_end_s is not None or vt.max_duration_s is not None or vt.cost_per_hour_cny > 0 or vt.shift_start_s > 0
        for vt in vts
    )
    need_dist = any(vt.max_distance_m is not None for vt in vts)
    v_time, v_dist = _register_arcs(
        routing, problem, vehicles, real, is_sink, service, need_time=need_time, need_dist=need_dist
    )
    _add_loads(routing, problem, stops, vehicles, first_stop)
    if need_time:
        _add_time(routing, manager, problem, keep, stops, vehicles, first_stop, v_time)
    if need_dist:
        dcap = [P.BIG if (limit_m := vts[t].max_distance_m) is None else P.dist_floor(limit_m) for t in vehicles]
        routing.AddDimensionWithVehicleTransitAndCapacity(v_dist, 0, dcap, True, "Distance")
    for k, s in enumerate(stops):
        pen = P.money(s.penalty_cny) if not s.required else P.REQUIRED_PENALTY
        routing.AddDisjunction([manager.NodeToIndex(first_stop + k)], pen)

    sp, fs, limit = _search_parameters(params, len(stops), need_time=need_time, metaheuristic=metaheuristic)
    t_start = time.perf_counter()
    sol = routing.SolveWithParameters(sp)
    elapsed = time.perf_counter() - t_start
    st = ortools_status_name(routing.status())
    if sol is None:
        raise SolverError(f"OR-Tools found no solution (status {st}); raise time_limit_s or use engine='pyvrp'")
    specs, dropped = _read_routes(routing, manager, sol, vehicles, keep, first_stop)
    stopped = "time_limit" if elapsed >= params.time_limit_s * 0.98 else ("solution_limit" if limit else "search_end")
    extra = {
        "status": st,
        "objective": int(sol.ObjectiveValue()),
        "first_solution": fs,
        "metaheuristic": metaheuristic,
        "stopped_by": stopped,
    }
    if limit is not None:
        extra["solution_limit"] = limit
    return specs, dropped, extra


#: The former private name, kept for ``benchmarks/bench_vrp.py``.
_solve_ortools = solve_ortools
