"""A solve given T seconds returns within T x 1.1 + 1 s, with the best plan found.

Instances are big enough that no solver finishes early by proving optimality
(a few hundred routing stops; a p-median and a capacitated facility location
model over a thousand points), so the time limit is what stops them.  Wall
time is measured around the public call, building the model included.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from citylogistics.location.models import CapacitatedFacilityLocation, PMedian
from citylogistics.routing.problem import RoutingProblem, Stop, VehicleType
from citylogistics.routing.solver import SolveParams, solve

T_S = 2.0


def allowed_s(limit_s: float) -> float:
    return limit_s * 1.1 + 1.0


def routing_instance(n_stops: int, *, seed: int, windows: bool) -> RoutingProblem:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 40_000, size=(n_stops + 1, 2))  # metres, depot first
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    t = d / 10.0  # 36 km/h
    stops = []
    for i in range(1, n_stops + 1):
        tw = {}
        if windows:
            start = float(rng.uniform(0, 6 * 3600))
            tw = {"tw_start_s": start, "tw_end_s": start + 3 * 3600}
        stops.append(Stop(id=f"s{i}", node=i, delivery=float(rng.integers(1, 20)), service_s=120.0, **tw))
    vts = (VehicleType(name="van", count=40, capacity=150, fixed_cost_cny=200, cost_per_km_cny=1.5,
                       max_duration_s=10 * 3600),)
    return RoutingProblem.from_matrices([f"n{i}" for i in range(n_stops + 1)], d, t, depots=(0,),
                                        stops=tuple(stops), vehicle_types=vts)


@pytest.mark.parametrize("engine, windows", [("ortools", False), ("ortools", True), ("pyvrp", False)])
def test_routing_respects_time_limit(engine, windows):
    problem = routing_instance(300, seed=7, windows=windows)
    t0 = time.perf_counter()
    plan = solve(problem, SolveParams(time_limit_s=T_S, deterministic=False, engine=engine, seed=1))
    wall = time.perf_counter() - t0
    assert wall <= allowed_s(T_S), f"{engine}: {wall:.2f} s for a {T_S} s limit"
    # the best plan found: every stop served exactly once or reported, loads within capacity
    served = [s.id for r in plan.routes for s in r.steps if s.id.startswith("s")]
    reported = [u.id for u in plan.unassigned]
    assert len(served) == len(set(served))
    assert sorted(served + reported) == sorted(s.id for s in problem.stops)
    assert len(served) >= 0.9 * len(problem.stops), f"{engine} served only {len(served)} stops"
    assert plan.routes


def test_deterministic_mode_also_respects_time_limit():
    problem = routing_instance(300, seed=11, windows=False)
    t0 = time.perf_counter()
    solve(problem, SolveParams(time_limit_s=T_S, deterministic=True, engine="auto", seed=0))
    assert time.perf_counter() - t0 <= allowed_s(T_S)


def location_instance(n_demand: int, n_sites: int, *, seed: int):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 100_000, size=(n_demand, 2))
    sites = pts[rng.choice(n_demand, n_sites, replace=False)]
    cost = np.hypot(*(pts[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    weights = rng.integers(1, 100, n_demand).astype(float)
    return [f"d{i}" for i in range(n_demand)], [f"j{j}" for j in range(n_sites)], cost, weights


def _check_p_median(plan, demand_ids, p):
    assert plan.status in ("optimal", "feasible"), f"no plan returned (status {plan.status})"
    assert len(plan.open_sites) == p
    open_sites = set(plan.open_sites)
    assert all(plan.assignment[d] in open_sites for d in demand_ids)
    assert plan.bound <= plan.objective * (1 + 1e-9)


# Location solves charge model building and extraction against the limit; when
# SCIP has no incumbent in time, p-median returns its greedy plan and the
# capacitated model its greedy single-sourcing construction.


def test_p_median_respects_time_limit():
    limit_s = 3.0
    demand_ids, site_ids, cost, w = location_instance(1000, 300, seed=3)
    t0 = time.perf_counter()
    model = PMedian.from_cost_matrix(demand_ids, site_ids, cost, weights=w, p=30)
    plan = model.solve(time_limit_s=limit_s)  # method "auto": Lagrangian + interchange + reduced MIP
    wall = time.perf_counter() - t0
    assert wall <= allowed_s(limit_s), f"p-median: {wall:.2f} s for a {limit_s} s limit"
    _check_p_median(plan, demand_ids, 30)


def test_p_median_mip_respects_time_limit():
    limit_s = 1.0
    demand_ids, site_ids, cost, w = location_instance(600, 180, seed=3)
    t0 = time.perf_counter()
    model = PMedian.from_cost_matrix(demand_ids, site_ids, cost, weights=w, p=20)
    plan = model.solve(time_limit_s=limit_s, method="mip")
    wall = time.perf_counter() - t0
    assert wall <= allowed_s(limit_s), f"p-median mip: {wall:.2f} s for a {limit_s} s limit"
    _check_p_median(plan, demand_ids, 20)


def test_capacitated_location_respects_time_limit():
    limit_s = 1.0
    demand_ids, site_ids, cost, w = location_instance(600, 150, seed=5)
    caps = np.full(len(site_ids), w.sum() / 25)
    fixed = np.random.default_rng(5).uniform(1e5, 3e5, len(site_ids))
    t0 = time.perf_counter()
    model = CapacitatedFacilityLocation.from_cost_matrix(demand_ids, site_ids, cost / 1000, weights=w,
                                                         capacities=caps, fixed_cost_cny=fixed)
    plan = model.solve(time_limit_s=limit_s)
    wall = time.perf_counter() - t0
    assert wall <= allowed_s(limit_s), f"CFL: {wall:.2f} s for a {limit_s} s limit"
    assert plan.status in ("optimal", "feasible"), f"no plan returned (status {plan.status})"
    load = {s: 0.0 for s in plan.open_sites}
    for d, wi in zip(demand_ids, w):
        load[plan.assignment[d]] += wi
    assert max(load.values()) <= caps[0] * (1 + 1e-6)
