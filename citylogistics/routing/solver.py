"""Vehicle routing: solve a :class:`~citylogistics.routing.problem.RoutingProblem`.

Two engines share one integer model policy and one plan builder:

``"ortools"``
    OR-Tools routing library (classic ``pywrapcp`` API): transit matrices
    registered once per vehicle-type profile, a load dimension (two for
    simultaneous delivery and pickup), a time dimension with windows and shift
    limits, a distance dimension for distance limits, disjunctions for
    optional stops. Reloading (``max_trips > 1``) is not modelled here.
``"pyvrp"``
    PyVRP's iterated local search (:mod:`citylogistics.routing.pyvrp_engine`); it
    supports every variant of :class:`RoutingProblem`, including reloading.
``"auto"`` (default)
    PyVRP: on this machine it is 0-0.6 % above best-known values on the
    Solomon and X benchmarks in 30 s where OR-Tools' plain configuration is
    0-5.7 % above them (see ``benchmarks/notes/routing.md``).

Integer policy (one place: :class:`IntPolicy`): distances in decimetres
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
is hit first (a much slower machine), ``plan.solver["stopped_by"]`` says
``"time_limit"`` and the result may differ between runs. With
``deterministic=False`` the search uses the whole wall-clock time.

Every stop not served is listed in ``plan.unassigned`` with a reason computed
by :mod:`citylogistics.routing.check`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from citylogistics.errors import InputError, SolverError
from citylogistics.routing.problem import RoutingProblem, VehicleType
from citylogistics.routing.plan import Route, RoutePlan, Step, Unassigned
from citylogistics.routing.check import stop_reason

__all__ = ["SolveParams", "solve", "IntPolicy", "RouteSpec", "build_plan", "ENGINES"]

ENGINES = ("auto", "ortools", "pyvrp")
_FIRST_SOLUTIONS = ("PATH_CHEAPEST_ARC", "PARALLEL_CHEAPEST_INSERTION", "SAVINGS", "CHRISTOFIDES",
                    "LOCAL_CHEAPEST_INSERTION", "SWEEP", "AUTOMATIC", "BEST_INSERTION", "GLOBAL_CHEAPEST_ARC",
                    "LOCAL_CHEAPEST_ARC", "FIRST_UNBOUND_MIN_VALUE", "PATH_MOST_CONSTRAINED_ARC",
                    "LOCAL_CHEAPEST_COST_INSERTION", "SEQUENTIAL_CHEAPEST_INSERTION")


@dataclass(frozen=True)
class SolveParams:
    """How to solve.

    Parameters
    ----------
    time_limit_s
        Wall-clock budget (a safety cap in deterministic mode).
    seed
        Random seed (PyVRP; OR-Tools search is seedless but deterministic).
    deterministic
        Stop on a work limit instead of the clock, so the same input and seed
        give the same plan (see module docs).
    work_limit_s
        Deterministic mode only: the amount of search work, expressed as the
        seconds it takes on the dev machine (default: half of ``time_limit_s``,
        as calibrated). Give a ``time_limit_s`` well above it (a safety cap)
        when many small solves must stay deterministic on a loaded machine.
    engine
        ``"auto"``, ``"ortools"`` or ``"pyvrp"``.
    first_solution
        OR-Tools first-solution strategy name (e.g. ``"PATH_CHEAPEST_ARC"``);
        ``None`` picks one by variant.
    log
        Print solver progress.
    """

    time_limit_s: float = 10.0
    seed: int = 0
    deterministic: bool = True
    engine: str = "auto"
    first_solution: str | None = None
    log: bool = False
    work_limit_s: float | None = None

    def __post_init__(self) -> None:
        if self.work_limit_s is not None and not (isinstance(self.work_limit_s, (int, float))
                                                  and 0 < self.work_limit_s <= self.time_limit_s):
            raise InputError(f"must be a positive number of seconds no larger than time_limit_s, got "
                             f"{self.work_limit_s!r}", source="SolveParams", where="work_limit_s")
        if not isinstance(self.time_limit_s, (int, float)) or not self.time_limit_s > 0 \
                or not math.isfinite(self.time_limit_s):
            raise InputError(f"must be a positive number of seconds, got {self.time_limit_s!r}",
                             source="SolveParams", where="time_limit_s")
        if self.engine not in ENGINES:
            raise InputError(f"unknown engine {self.engine!r}; use one of {', '.join(ENGINES)}",
                             source="SolveParams", where="engine")
        if self.first_solution is not None and self.first_solution not in _FIRST_SOLUTIONS:
            raise InputError(f"unknown first solution strategy {self.first_solution!r}; use one of "
                             f"{', '.join(_FIRST_SOLUTIONS)}", source="SolveParams", where="first_solution")
        if not isinstance(self.seed, (int, np.integer)) or isinstance(self.seed, bool) or self.seed < 0:
            raise InputError(f"must be an integer >= 0, got {self.seed!r}", source="SolveParams", where="seed")


# ---------------------------------------------------------------------------
# The one integer policy
# ---------------------------------------------------------------------------
class IntPolicy:
    """Float -> integer conversion used by every engine (see module docs)."""

    DIST_PER_M = 10  # decimetres
    TIME_PER_S = 10  # deciseconds
    LOAD_PER_PARCEL = 1000
    COST_PER_CNY = 1_000_000  # micro-yuan
    BIG = 1 << 40  # stands for inf in matrices
    REQUIRED_PENALTY = 10 ** 13  # dropping a required stop (only if the fleet is exhausted)

    @classmethod
    def dist(cls, x_m: np.ndarray | float) -> np.ndarray:
        a = np.asarray(x_m, dtype=float) * cls.DIST_PER_M
        return np.where(np.isfinite(a), np.rint(np.minimum(a, cls.BIG)), cls.BIG).astype(np.int64)

    @classmethod
    def time(cls, x_s: np.ndarray | float) -> np.ndarray:
        a = np.asarray(x_s, dtype=float) * cls.TIME_PER_S
        return np.where(np.isfinite(a), np.ceil(np.minimum(a, cls.BIG) - 1e-6), cls.BIG).astype(np.int64)

    @classmethod
    def time_floor(cls, x_s: float) -> int:
        """For upper bounds (window ends, shift ends, limits): round down, never relaxing a limit."""
        return int(math.floor(x_s * cls.TIME_PER_S + 1e-6))

    @classmethod
    def dist_floor(cls, x_m: float) -> int:
        return int(math.floor(x_m * cls.DIST_PER_M + 1e-6))

    @classmethod
    def load(cls, parcels: float) -> int:
        return int(math.ceil(parcels * cls.LOAD_PER_PARCEL - 1e-6))

    @classmethod
    def capacity(cls, parcels: float) -> int:
        return int(math.floor(parcels * cls.LOAD_PER_PARCEL + 1e-6))

    @classmethod
    def money(cls, cny: float) -> int:
        return int(round(cny * cls.COST_PER_CNY))

    @classmethod
    def cost_per_dist_unit(cls, vt: VehicleType) -> int:
        """Cost of one decimetre in micro-yuan (1 yuan/km for unpriced types)."""
        per_km = vt.cost_per_km_cny if vt.priced else 1.0
        return int(round(per_km * cls.COST_PER_CNY / (1000 * cls.DIST_PER_M)))

    @classmethod
    def cost_per_time_unit(cls, vt: VehicleType) -> int:
        """Cost of one decisecond of route duration in micro-yuan."""
        return int(round(vt.cost_per_hour_cny * cls.COST_PER_CNY / (3600 * cls.TIME_PER_S)))

    @classmethod
    def horizon(cls, problem: RoutingProblem, stop_idx: Sequence[int]) -> int:
        """An upper bound on any useful time value (deciseconds)."""
        ends = [vt.shift_end_s for vt in problem.vehicle_types if vt.shift_end_s is not None]
        if len(ends) == len(problem.vehicle_types):
            return cls.time_floor(max(ends))
        dur = problem.duration_s
        fin = np.where(np.isfinite(dur), dur, 0.0)
        sf = max(vt.speed_factor for vt in problem.vehicle_types)
        total = max(vt.shift_start_s for vt in problem.vehicle_types)
        total += sum(problem.stops[i].service_s for i in stop_idx)
        total += 2 * sf * float(fin.max(axis=1).sum()) + 1.0
        total = max(total, max((s.tw_end_s or 0.0) for s in problem.stops) if problem.stops else 0.0)
        return int(min(cls.time(total), cls.BIG // 4))


# ---------------------------------------------------------------------------
# Plan building (shared by engines)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RouteSpec:
    """An engine's answer for one vehicle: its type and its trips (stop indices)."""

    vehicle_type: int
    trips: tuple[tuple[int, ...], ...]


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
    for kind, node, si, arr, start, dep in sched:
        waits += start - arr
        if si >= 0 and problem.stops[si].tw_end_s is not None:
            slack = min(slack, waits + problem.stops[si].tw_end_s - start)
    delay = min(slack, waits)
    if delay > 1e-9 and math.isfinite(delay):
        sched = forward(vt.shift_start_s + delay)
    return sched


def build_plan(problem: RoutingProblem, specs: Sequence[RouteSpec], unassigned: Sequence[tuple[int, str]],
               *, solver: dict, solve_time_s: float = 0.0) -> RoutePlan:
    """Evaluate routes in floating point and build the :class:`RoutePlan`.

    Routes are ordered by vehicle type, then by their stop sequence, and named
    ``<type>-<k>``; the float evaluation also verifies every constraint and
    records violations in ``solver["violations"]`` (empty when feasible).
    """
    by_type: dict[int, list[RouteSpec]] = {}
    for sp in specs:
        if any(len(t) for t in sp.trips):
            trips = tuple(tuple(t) for t in sp.trips if len(t))
            by_type.setdefault(sp.vehicle_type, []).append(RouteSpec(sp.vehicle_type, trips))
    routes: list[Route] = []
    violations: list[str] = []
    dist = problem.distance_m
    tol = 1e-6
    for t_idx in sorted(by_type):
        vt = problem.vehicle_types[t_idx]
        group = sorted(by_type[t_idx], key=lambda sp: [i for t in sp.trips for i in t])
        if len(group) > vt.count:
            violations.append(f"type {vt.name}: {len(group)} routes > count {vt.count}")
        if max(len(sp.trips) for sp in group) > vt.max_trips:
            violations.append(f"type {vt.name}: more than max_trips={vt.max_trips} trips")
        for k, sp in enumerate(group):
            name = f"{vt.name}-{k + 1}"
            sched = _schedule(problem, vt, sp.trips)
            steps: list[Step] = []
            cum_d = 0.0
            prev = None
            trip_no = 0
            trip_loads = [sum(problem.stops[i].delivery for i in t) for t in sp.trips]
            load = trip_loads[0]
            for kind, node, si, arr, start, dep in sched:
                if prev is not None:
                    cum_d += dist[prev, node]
                prev = node
                if kind == "start":
                    steps.append(Step("start", problem.node_ids[node], load, arr, cum_d, departure_s=dep))
                elif kind == "reload":
                    trip_no += 1
                    load = trip_loads[trip_no]
                    steps.append(Step("reload", problem.node_ids[node], load, arr, cum_d, departure_s=dep,
                                      trip=trip_no))
                elif kind == "end":
                    load = 0.0 if not steps else load  # parcels picked up are unloaded at the depot
                    steps.append(Step("end", problem.node_ids[node], 0.0, arr, cum_d, departure_s=dep,
                                      trip=trip_no))
                else:
                    s = problem.stops[si]
                    load = load - s.delivery + s.pickup
                    typ = "delivery" if s.delivery > 0 or s.pickup <= 0 else "pickup"
                    steps.append(Step(typ, s.id, load, arr, cum_d, delivery=s.delivery, pickup=s.pickup,
                                      departure_s=dep, trip=trip_no))
                    if load > vt.capacity + tol or load < -tol:
                        violations.append(f"{name}: load {load:g} outside [0, {vt.capacity:g}] after {s.id}")
                    if s.tw_end_s is not None and start > s.tw_end_s + 1e-3:
                        violations.append(f"{name}: {s.id} served at {start:.1f} s after window end {s.tw_end_s}")
            if any(l > vt.capacity + tol for l in trip_loads):
                violations.append(f"{name}: trip deliveries exceed capacity {vt.capacity:g}")
            if vt.open_end:
                last = steps[-1]
                steps.append(Step("end", last.id, last.load, last.departure_s, cum_d, departure_s=last.departure_s,
                                  trip=trip_no))
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
            routes.append(Route(vehicle=name, depot=problem.node_ids[problem.depot_node(vt)], capacity=vt.capacity,
                                distance_m=cum_d, duration_s=duration, steps=tuple(steps), vehicle_type=vt.name,
                                fixed_cost_cny=vt.fixed_cost_cny, distance_cost_cny=vt.cost_per_km_cny * km,
                                time_cost_cny=vt.cost_per_hour_cny * duration / 3600.0,
                                co2_kg=vt.co2_kg_per_km * km))
    served = [i for sp in specs for t in sp.trips for i in t]
    if len(served) != len(set(served)):
        violations.append("a stop is visited twice")
    un = sorted(unassigned, key=lambda x: x[0])
    penalty = sum(problem.stops[i].penalty_cny or 0.0 for i, _ in un if not problem.stops[i].required)
    info = dict(solver)
    info["violations"] = violations
    info["feasible"] = not violations
    return RoutePlan(routes=tuple(routes), unassigned=tuple(Unassigned(problem.stops[i].id, r) for i, r in un),
                     penalty_cny=penalty, solver=info, solve_time_s=solve_time_s)


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
    info: dict = {"engine": engine, "seed": int(params.seed), "deterministic": bool(params.deterministic),
                  "time_limit_s": float(params.time_limit_s)}
    if not keep:
        specs: list[RouteSpec] = []
        dropped: list[int] = []
        info.update(status="empty", stopped_by="nothing_to_do")
    elif engine == "ortools":
        specs, dropped, extra = _solve_ortools(problem, keep, params)
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
            # deterministic mode, a fixed quarter of the work budget.
            left = max(params.time_limit_s - (time.perf_counter() - t0), 0.1 * params.time_limit_s)
            work = min(0.25 * work_seconds(params), left) if params.deterministic else None
            o_specs, o_dropped, o_extra = _solve_ortools(
                problem, keep, dataclasses.replace(params, time_limit_s=left, work_limit_s=work))
            if infeasible or _better_plan(problem, (o_specs, o_dropped), (specs, dropped)):
                pyvrp_said = {"status": extra.get("status"), "unassigned": len(dropped)}
                specs, dropped = o_specs, o_dropped
                info = {k: info[k] for k in ("seed", "deterministic", "time_limit_s")}
                info.update(engine="ortools", **o_extra, fallback_from="pyvrp", pyvrp=pyvrp_said)
            else:
                info["compared_with_ortools"] = {"unassigned": len(o_dropped)}
    unassigned = excluded + [(i, "penalty") for i in dropped]
    return build_plan(problem, specs, unassigned, solver=info, solve_time_s=time.perf_counter() - t0)


def _better_plan(problem: RoutingProblem, a, b) -> bool:
    """Is solution ``a`` (route specs, dropped stops) better than ``b``: fewer
    required stops dropped, then fewer stops dropped, then lower cost."""
    def key(sol):
        specs, dropped = sol
        cost = build_plan(problem, specs, [(i, "penalty") for i in dropped], solver={}, solve_time_s=0.0).cost
        return (sum(1 for i in dropped if problem.stops[i].required), len(dropped), round(cost, 6))
    return key(a) < key(b)


# ---------------------------------------------------------------------------
# OR-Tools engine
# ---------------------------------------------------------------------------
#: Solutions accepted per second per 100 stops, measured on the dev machine
#: (see benchmarks/notes/routing.md); the deterministic budget uses 50 % of it.
_ORTOOLS_SOLUTIONS_PER_S_100 = 40.0


def work_seconds(params: "SolveParams") -> float:
    """The wall-clock seconds the deterministic work budget is calibrated to."""
    return params.work_limit_s if params.work_limit_s is not None else params.time_limit_s


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


def _solve_ortools(problem: RoutingProblem, keep: Sequence[int], params: SolveParams, *,
                   metaheuristic: str = "GUIDED_LOCAL_SEARCH"):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    P = IntPolicy
    vts = problem.vehicle_types
    if any(vt.max_trips > 1 and vt.count > 0 for vt in vts):
        raise InputError("engine 'ortools' does not model reloading (max_trips > 1); use engine='pyvrp' or "
                         "'auto'", source="SolveParams", where="engine")
    # OR-Tools nodes: depots, one open-route sink per depot that needs one, then the stops.
    stops, nodes, sink_of, first_stop, real, is_sink = problem.solver_nodes(keep)
    K = len(nodes)
    D = IntPolicy.dist(problem.distance_m[np.ix_(real, real)])
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
    model_params = pywrapcp.DefaultRoutingModelParameters()
    routing = pywrapcp.RoutingModel(manager, model_params)

    def fix_sinks(mat: np.ndarray, open_end: bool, into_sink: np.ndarray | int = 0) -> np.ndarray:
        m = mat.copy()
        m[:, is_sink] = np.asarray(into_sink).reshape(-1, 1) if open_end else P.BIG
        m[is_sink, :] = P.BIG
        m[np.ix_(is_sink, is_sink)] = 0
        return m

    need_time = any(s.tw_end_s is not None or s.tw_start_s > 0 for s in stops) or any(
        vt.shift_end_s is not None or vt.max_duration_s is not None or vt.cost_per_hour_cny > 0
        or vt.shift_start_s > 0 for vt in vts)
    need_dist = any(vt.max_distance_m is not None for vt in vts)
    cost_cb: dict[tuple, int] = {}
    time_cb: dict[tuple, int] = {}
    dist_cb: dict[tuple, int] = {}
    v_time: list[int] = []
    v_dist: list[int] = []
    for v, t in enumerate(vehicles):
        vt = vts[t]
        key = (vt.open_end, P.cost_per_dist_unit(vt))
        if key not in cost_cb:
            Dc = fix_sinks(D, vt.open_end)
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
                time_cb[tkey] = routing.RegisterTransitMatrix(fix_sinks(T, vt.open_end, service).tolist())
            v_time.append(time_cb[tkey])
        if need_dist:
            dkey = (vt.open_end,)
            if dkey not in dist_cb:
                dist_cb[dkey] = routing.RegisterTransitMatrix(fix_sinks(D, vt.open_end).tolist())
            v_dist.append(dist_cb[dkey])

    # Loads
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

    if need_time:
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
    if need_dist:
        dcap = [P.dist_floor(vts[t].max_distance_m) if vts[t].max_distance_m is not None else P.BIG
                for t in vehicles]
        routing.AddDimensionWithVehicleTransitAndCapacity(v_dist, 0, dcap, True, "Distance")

    for k, s in enumerate(stops):
        pen = P.money(s.penalty_cny) if not s.required else P.REQUIRED_PENALTY
        routing.AddDisjunction([manager.NodeToIndex(first_stop + k)], pen)

    sp = pywrapcp.DefaultRoutingSearchParameters()
    fs = params.first_solution or ("PARALLEL_CHEAPEST_INSERTION" if need_time else "SAVINGS")
    sp.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, fs)
    sp.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic)
    sp.time_limit.FromMilliseconds(int(params.time_limit_s * 1000))
    limit = None
    if params.deterministic:
        limit = _ortools_solution_limit(len(stops), work_seconds(params))
        sp.solution_limit = limit
    sp.log_search = bool(params.log)
    t_start = time.perf_counter()
    sol = routing.SolveWithParameters(sp)
    elapsed = time.perf_counter() - t_start
    status = routing.status()
    st = ortools_status_name(status)
    if sol is None:
        raise SolverError(f"OR-Tools found no solution (status {st}); raise time_limit_s or use engine='pyvrp'")
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
    dropped = [i for i in keep if i not in served]
    stopped = "time_limit" if elapsed >= params.time_limit_s * 0.98 else ("solution_limit" if limit else "search_end")
    extra = {"status": st, "objective": int(sol.ObjectiveValue()), "first_solution": fs,
             "metaheuristic": metaheuristic, "stopped_by": stopped}
    if limit is not None:
        extra["solution_limit"] = limit
    return specs, dropped, extra
