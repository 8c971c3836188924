"""PyVRP adapter: translate a :class:`RoutingProblem` into PyVRP's data and back.

Mapping (integers from :class:`citylogistics.routing.params.IntPolicy`):

- one PyVRP location per depot, one extra "sink" depot per depot used by
  open routes (every arc into it costs nothing), then one per stop;
- one routing profile per distinct (speed factor, open end) of the fleet;
- clients: delivery/pickup (one load dimension), service time, time window,
  ``required`` or optional with ``prize = penalty``;
- vehicle types: count, capacity, depots, fixed cost, cost per decimetre and
  per decisecond of route duration, shift window, max duration/distance,
  reloading at the start depot for ``max_trips > 1``.

If the fleet cannot serve every required stop, PyVRP returns an infeasible
solution; the adapter then re-solves with required stops made optional with a
very large prize, so the plan lists the stops it could not fit as unassigned.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from citylogistics.routing.params import IntPolicy, RouteSpec, SolveParams, work_seconds
from citylogistics.routing.problem import RoutingProblem

__all__ = ["build_data", "iteration_limit", "solve_pyvrp"]

#: ILS iterations per second for 100 clients on the dev machine (measured
#: with other jobs running; see benchmarks/notes/routing.md). The
#: deterministic budget uses 50 % of the estimate.
_ITERS_PER_S_100 = 1000.0


def iteration_limit(n_clients: int, time_limit_s: float) -> int:
    """Work budget of deterministic mode for ``n_clients`` and a time limit."""
    rate = _ITERS_PER_S_100 * (100.0 / max(n_clients, 20)) ** 0.3
    return max(200, int(0.5 * rate * time_limit_s))


#: Prize of a required stop when the fleet is too small to serve all: above
#: any plausible cost of serving it, below PyVRP's maximum penalty so that
#: infeasible routes never pay off. The cap on PyVRP's penalty weights must be
#: far above the prizes: at 1e9, a trunk leg of near-full truckloads (Lishui,
#: tests/data/lishui_trunk_2013.json) settled on overloaded routes and left 31
#: of 41 loads unserved where one truck was missing; at 1e12 it leaves one.
#: (PyVRP warns above 2**44.)
_PRIZE_FLOOR = 10**8
_PRIZE_MAX_PENALTY = 1e12


def _required_prize(problem: RoutingProblem, stop) -> int:
    from citylogistics.routing.check import vehicle_check

    P = IntPolicy
    best = None
    for vt in problem.vehicle_types:
        if vehicle_check(problem, vt, stop) is not None:
            continue
        dep = problem.depot_node(vt)
        d = problem.distance_m[dep, stop.node] + (0 if vt.open_end else problem.distance_m[stop.node, dep])
        t = (
            problem.duration_s[dep, stop.node] + (0 if vt.open_end else problem.duration_s[stop.node, dep])
        ) * vt.speed_factor + stop.service_s
        c = (
            P.money(vt.fixed_cost_cny)
            + int(P.dist(d)) * P.cost_per_dist_unit(vt)
            + int(P.time(t)) * P.cost_per_time_unit(vt)
        )
        best = c if best is None else min(best, c)
    return int(min(_PRIZE_FLOOR + 4 * (best or 0), _PRIZE_MAX_PENALTY // 2))


def build_data(problem: RoutingProblem, keep: Sequence[int], *, prize_required: bool = False):
    """PyVRP ``ProblemData`` for the stops ``keep`` (indices into ``problem.stops``)."""
    from pyvrp import Client, Depot, Location, ProblemData
    from pyvrp import VehicleType as PVType

    P = IntPolicy
    vts = problem.vehicle_types
    stops, nodes, sink_of, first, real, is_sink = problem.solver_nodes(keep)
    big = int(P.BIG // 64)  # PyVRP warns above 2**44
    D = np.minimum(P.dist(problem.distance_m[np.ix_(real, real)]), big)
    profiles: dict[tuple, int] = {}
    dists: list[np.ndarray] = []
    durs: list[np.ndarray] = []
    for vt in vts:
        key = (vt.speed_factor, vt.open_end)
        if key in profiles:
            continue
        T = np.minimum(P.time(problem.duration_s[np.ix_(real, real)] * vt.speed_factor), big)
        Dp = D.copy()
        for m in (Dp, T):
            m[:, is_sink] = 0 if vt.open_end else big
            m[is_sink, :] = big
            m[np.ix_(is_sink, is_sink)] = 0
            np.fill_diagonal(m, 0)
        profiles[key] = len(dists)
        dists.append(np.ascontiguousarray(Dp, dtype=np.int64))
        durs.append(np.ascontiguousarray(T, dtype=np.int64))
    locations = [Location(0, 0, name=str(i)) for i in range(len(nodes))]
    depots = [Depot(location=k) for k in range(first)]
    clients = []
    for k, s in enumerate(stops):
        opt = (not s.required) or prize_required
        prize = P.money(s.penalty_cny) if not s.required else (_required_prize(problem, s) if prize_required else 0)
        kw: dict[str, Any] = {}
        if s.tw_end_s is not None:
            kw["tw_late"] = P.time_floor(s.tw_end_s)
        clients.append(
            Client(
                location=first + k,
                delivery=[P.load(s.delivery)],
                pickup=[P.load(s.pickup)],
                service_duration=int(P.time(s.service_s)),
                tw_early=int(P.time(s.tw_start_s)),
                prize=prize,
                required=not opt,
                name=s.id,
                **kw,
            )
        )
    types = []
    type_of = []
    for t, vt in enumerate(vts):
        if vt.count <= 0:
            continue
        kw = {}
        if vt.shift_end_s is not None:
            kw["tw_late"] = P.time_floor(vt.shift_end_s)
        if vt.max_duration_s is not None:
            kw["shift_duration"] = P.time_floor(vt.max_duration_s)
        if vt.max_distance_m is not None:
            kw["max_distance"] = P.dist_floor(vt.max_distance_m)
        if vt.max_trips > 1:
            kw["reload_depots"] = [vt.depot]
            kw["max_reloads"] = vt.max_trips - 1
        types.append(
            PVType(
                num_available=int(vt.count),
                capacity=[P.capacity(vt.capacity)],
                start_depot=vt.depot,
                end_depot=sink_of[vt.depot] if vt.open_end else vt.depot,
                fixed_cost=P.money(vt.fixed_cost_cny),
                tw_early=int(P.time(vt.shift_start_s)),
                unit_distance_cost=P.cost_per_dist_unit(vt),
                unit_duration_cost=P.cost_per_time_unit(vt),
                profile=profiles[(vt.speed_factor, vt.open_end)],
                name=vt.name,
                **kw,
            )
        )
        type_of.append(t)
    # PyVRP's stub types the matrices as np.ndarray[int], int in the shape slot, which no array matches
    data = ProblemData(locations, clients, depots, types, dists, durs)  # type: ignore[arg-type]
    return data, type_of


def _extract(result, keep: Sequence[int], type_of: Sequence[int]):
    sol = result.best
    specs: list[RouteSpec] = []
    served: set[int] = set()
    for route in sol.routes():
        trips: list[list[int]] = [[]]
        acts = list(route.schedule())
        for a in acts[1:-1]:
            if a.is_depot():
                trips.append([])
            elif a.is_client():
                trips[-1].append(keep[a.idx])
        trips = [t for t in trips if t]
        if trips:
            specs.append(RouteSpec(type_of[route.vehicle_type()], tuple(tuple(t) for t in trips)))
            served.update(i for t in trips for i in t)
    return specs, [i for i in keep if i not in served]


def solve_pyvrp(problem: RoutingProblem, keep: Sequence[int], params: SolveParams):
    """Solve with PyVRP; return (route specs, dropped stop indices, solver info)."""
    from pyvrp import PenaltyParams
    from pyvrp import SolveParams as PVParams
    from pyvrp import solve as pv_solve
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

    t_start = time.perf_counter()
    if not any(vt.count > 0 for vt in problem.vehicle_types):
        return [], list(keep), {"status": "no_vehicles", "stopped_by": "nothing_to_do"}
    total_del = sum(problem.stops[i].delivery for i in keep)
    fleet = sum(vt.count * vt.capacity * vt.max_trips for vt in problem.vehicle_types)
    prize_required = total_del > fleet
    limit = iteration_limit(len(keep), work_seconds(params)) if params.deterministic else None

    notes: list[str] = []

    def run(prize: bool, budget_s: float):
        data, type_of = build_data(problem, keep, prize_required=prize)
        crit: list[StoppingCriterion] = [MaxRuntime(budget_s)]
        if limit is not None:
            crit.append(MaxIterations(limit))
        pv_params = PVParams()
        if prize:
            pv_params = PVParams(penalty=PenaltyParams(max_penalty=_PRIZE_MAX_PENALTY))
        with warnings.catch_warnings(record=True) as caught:
            # PyVRP warns when its penalties saturate on a hard instance; the outcome
            # (feasible or not, dropped stops) is reported in the plan instead.
            warnings.simplefilter("always")
            res = pv_solve(
                data,
                MultipleCriteria(crit) if len(crit) > 1 else crit[0],
                seed=int(params.seed),
                collect_stats=False,
                display=bool(params.log),
                params=pv_params,
            )
        notes.extend(sorted({type(w.message).__name__ for w in caught}))
        return res, type_of

    res, type_of = run(prize_required, params.time_limit_s)
    retried = False
    if not res.best.is_feasible() and not prize_required:
        left = max(params.time_limit_s - (time.perf_counter() - t_start), 0.2 * params.time_limit_s)
        res, type_of = run(True, left)
        retried = True
        prize_required = True
    elapsed = time.perf_counter() - t_start
    specs, dropped = _extract(res, keep, type_of)
    stopped = "iteration_limit" if limit is not None and res.num_iterations >= limit else "time_limit"
    info: dict[str, Any] = {
        "status": "feasible" if res.best.is_feasible() else "infeasible",
        "objective": int(res.cost()) if res.best.is_feasible() else None,
        "iterations": int(res.num_iterations),
        "stopped_by": stopped,
        "required_as_prizes": bool(prize_required),
        "retried": retried,
    }
    if notes:
        info["warnings"] = sorted(set(notes))
    if limit is not None:
        info["iteration_limit"] = limit
    del elapsed
    return specs, dropped, info
