"""Each unassigned reason code comes from a crafted stop; validation errors name the field."""

import math

import numpy as np
import pytest

from citylogistics.errors import InputError
from citylogistics.routing.problem import RoutingProblem, Stop, VehicleType
from citylogistics.routing.solver import SolveParams, solve
from citylogistics.routing.check import stop_reason

INF = math.inf


def line_problem(stops, vts, n_nodes=8, unreachable=()):
    """Nodes on a line 1 km apart, 10 m/s; node 0 is the depot."""
    x = np.arange(n_nodes, dtype=float) * 1000.0
    d = np.abs(x[:, None] - x[None, :])
    for u in unreachable:
        d[u, :] = INF
        d[:, u] = INF
        d[u, u] = 0
    return RoutingProblem.from_matrices([f"n{i}" for i in range(n_nodes)], d, d / 10.0, depots=[0], stops=stops,
                                        vehicle_types=vts)


VAN = VehicleType("van", 2, 10, cost_per_km_cny=1, shift_end_s=10_000, max_duration_s=8_000)


CRAFTED = {
    "ok": Stop("ok", 1, delivery=2),
    "unreachable": Stop("island", 7, delivery=1),
    "capacity": Stop("bulky", 2, delivery=50),
    "time_window": Stop("early", 5, delivery=1, tw_start_s=0, tw_end_s=100),  # needs 500 s to get there
    "shift_length": Stop("remote", 6, delivery=1, service_s=7_000),  # 1200 s driving + 7000 s > 8000 s
    "no_vehicle": Stop("night", 3, delivery=1, tw_start_s=20_000, tw_end_s=21_000),  # after every shift
    "penalty": Stop("optional", 4, delivery=1, required=False, penalty_cny=0.01),
}


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_every_reason_code(engine):
    prob = line_problem(list(CRAFTED.values()), [VAN], unreachable=(7,))
    plan = solve(prob, SolveParams(time_limit_s=1, engine=engine))
    got = {u.id: u.reason for u in plan.unassigned}
    want = {s.id: reason for reason, s in CRAFTED.items() if reason != "ok"}
    assert got == want
    assert plan.served_ids() == ("ok",)
    assert plan.penalty_cny == pytest.approx(0.01)


def test_check_is_per_vehicle_type():
    # A bulky stop is fine when one type is big enough.
    truck = VehicleType("truck", 1, 100)
    prob = line_problem([CRAFTED["capacity"]], [VAN, truck])
    assert stop_reason(prob, prob.stops[0]) is None
    # Big type exists but is not available (count 0): no_vehicle, not capacity.
    prob = line_problem([CRAFTED["capacity"]], [VAN, VehicleType("truck", 0, 100)])
    assert stop_reason(prob, prob.stops[0]) == "no_vehicle"


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_fleet_exhausted_gives_penalty(engine):
    """Stops the fleet cannot carry are listed as "penalty"; the fleet still carries all it can."""
    stops = [Stop(f"s{i}", i, delivery=6) for i in range(1, 6)]
    van = VehicleType("van", 2, 10)
    prob = line_problem(stops, [van])
    plan = solve(prob, SolveParams(time_limit_s=1, engine=engine))
    assert plan.solver.feasible
    assert 2 * 6 > van.capacity  # a van carries one 6-parcel stop: `count` stops can go
    assert len(plan.served_ids()) == van.count
    assert set(plan.served_ids()) | set(plan.unassigned_ids()) == {s.id for s in stops}
    assert {u.reason for u in plan.unassigned} == {"penalty"}


def test_no_vehicle_types_usable():
    prob = line_problem([Stop("a", 1, delivery=1)], [VehicleType("van", 0, 10)])
    plan = solve(prob, SolveParams(time_limit_s=1))
    assert [(u.id, u.reason) for u in plan.unassigned] == [("a", "no_vehicle")]
    assert plan.routes == ()


def test_reloading_multiple_trips():
    """One vehicle with max_trips=3 serves three full loads by reloading at its depot, load within capacity."""
    stops = [Stop(f"s{i}", i, delivery=8, pickup=3) for i in range(1, 4)]
    prob = line_problem(stops, [VehicleType("van", 1, 10, max_trips=3, shift_end_s=50_000)])
    plan = solve(prob, SolveParams(time_limit_s=1))
    assert not plan.unassigned and plan.solver.feasible
    (route,) = plan.routes
    assert route.trips == 3
    assert [s.type for s in route.steps].count("reload") == 2
    assert all(0 <= s.load <= 10 for s in route.steps)
    with pytest.raises(InputError, match="reloading"):
        solve(prob, SolveParams(time_limit_s=1, engine="ortools"))


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_open_routes_do_not_return(engine):
    stops = [Stop(f"s{i}", i, delivery=1) for i in (3, 4, 5)]
    prob = line_problem(stops, [VehicleType("van", 1, 10, open_end=True)])
    plan = solve(prob, SolveParams(time_limit_s=1, engine=engine))
    (route,) = plan.routes
    assert route.distance_m == pytest.approx(5000)
    assert route.steps[-1].type == "end" and route.steps[-1].id == "s5"


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_heterogeneous_fleet_prefers_cheap_type(engine):
    stops = [Stop(f"s{i}", i, delivery=1) for i in (1, 2)]
    vts = [VehicleType("truck", 1, 100, fixed_cost_cny=500, cost_per_km_cny=5),
           VehicleType("trike", 1, 5, fixed_cost_cny=20, cost_per_km_cny=0.5, speed_factor=2.0)]
    prob = line_problem(stops, vts)
    plan = solve(prob, SolveParams(time_limit_s=1, engine=engine))
    assert [r.vehicle_type for r in plan.routes] == ["trike"]
    assert plan.cost == pytest.approx(20 + 0.5 * 4)
    assert plan.routes[0].duration_s == pytest.approx(800)  # 4 km at 5 m/s


@pytest.mark.parametrize("field,kwargs", [
    ("delivery", dict(delivery=-1)),
    ("tw_end_s", dict(tw_start_s=100, tw_end_s=50)),
    ("service_s", dict(service_s=float("nan"))),
    ("penalty_cny", dict(required=False)),
])
def test_bad_stop_names_field(field, kwargs):
    with pytest.raises(InputError, match=field):
        Stop("x", 1, **kwargs)


@pytest.mark.parametrize("field,kwargs", [("capacity", dict(capacity=0)), ("count", dict(count=-1)),
                                          ("shift_end_s", dict(shift_start_s=100, shift_end_s=10)),
                                          ("speed_factor", dict(speed_factor=0))])
def test_bad_vehicle_names_field(field, kwargs):
    base = dict(name="v", count=1, capacity=10)
    base.update(kwargs)
    with pytest.raises(InputError, match=field):
        VehicleType(**base)


def test_bad_matrices_name_field():
    d = np.zeros((3, 3))
    with pytest.raises(InputError, match="distance_m.*shape"):
        RoutingProblem.from_matrices(["a", "b"], d, np.zeros((2, 2)), depots=[0], stops=[],
                                     vehicle_types=[VehicleType("v", 1, 1)])
    bad = d.copy()
    bad[0, 1] = np.nan
    with pytest.raises(InputError, match="duration_s.*NaN"):
        RoutingProblem.from_matrices(["a", "b", "c"], d, bad, depots=[0], stops=[],
                                     vehicle_types=[VehicleType("v", 1, 1)])
    with pytest.raises(InputError, match="depot"):
        RoutingProblem.from_matrices(["a", "b", "c"], d, d, depots=[0], stops=[Stop("s", 0)],
                                     vehicle_types=[VehicleType("v", 1, 1)])
    with pytest.raises(InputError, match="twice"):
        RoutingProblem.from_matrices(["a", "b", "c"], d, d, depots=[0], stops=[Stop("s", 1), Stop("s", 2)],
                                     vehicle_types=[VehicleType("v", 1, 1)])
