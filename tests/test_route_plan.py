"""RoutePlan schema, JSON round trip and determinism of serialisation."""

import json

import numpy as np
import pytest

from citylogistics.errors import InputError
from citylogistics.routing.problem import RoutingProblem, Stop, VehicleType
from citylogistics.routing.plan import RoutePlan
from citylogistics.routing.solver import SolveParams, solve


def _problem():
    xy = np.array([[0, 0], [1000, 0], [0, 1000], [1000, 1000], [3000, 0]], dtype=float)
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    stops = [Stop("a", 1, delivery=3, pickup=1, service_s=60), Stop("b", 2, pickup=2),
             Stop("c", 3, delivery=1), Stop("far", 4, delivery=50)]
    vts = [VehicleType("van", 2, 5, fixed_cost_cny=100, cost_per_km_cny=2, co2_kg_per_km=0.2)]
    return RoutingProblem.from_matrices(["D", "A", "B", "C", "F"], d, d / 10, depots=[0], stops=stops,
                                        vehicle_types=vts)


@pytest.fixture(scope="module")
def plan():
    return solve(_problem(), SolveParams(time_limit_s=1, engine="ortools"))


def test_to_dict_schema(plan):
    d = plan.to_dict()
    assert list(d) == ["units", "summary", "routes", "unassigned"]
    assert d["units"] == {"distance": "m", "time": "s", "load": "parcels"}
    for key in ("cost", "distance_m", "duration_s", "routes", "served", "unassigned"):
        assert key in d["summary"]
    assert "solve_time_s" not in d["summary"]
    for r in d["routes"]:
        for key in ("vehicle", "depot", "capacity", "distance_m", "duration_s", "steps"):
            assert key in r
        assert r["steps"][0]["type"] == "start" and r["steps"][-1]["type"] == "end"
        for s in r["steps"]:
            assert {"type", "id", "load", "arrival_s", "distance_m"} <= set(s)
            assert s["type"] in ("start", "delivery", "pickup", "reload", "end")
    assert d["unassigned"] == [{"id": "far", "reason": "capacity"}]
    types = {s["id"]: s["type"] for r in d["routes"] for s in r["steps"]}
    assert types["a"] == "delivery" and types["b"] == "pickup" and types["c"] == "delivery"


def test_load_and_distance_after_step(plan):
    for r in plan.routes:
        assert r.steps[0].load == pytest.approx(sum(s.delivery for s in r.steps))
        dists = [s.distance_m for s in r.steps]
        assert dists == sorted(dists)
        assert dists[-1] == pytest.approx(r.distance_m)


def test_round_trip_json(plan, tmp_path):
    path = plan.to_json(tmp_path / "plan.json")
    back = RoutePlan.from_json(path)
    assert back.to_dict() == plan.to_dict()
    assert json.loads(path.read_text()) == plan.to_dict()
    assert back.served_ids() == plan.served_ids()
    assert not list(tmp_path.glob("*.tmp"))


def test_timing_only_on_request(plan):
    assert plan.to_dict(include_timing=True)["summary"]["solve_time_s"] >= 0


def test_same_input_byte_identical_json(tmp_path):
    a = solve(_problem(), SolveParams(time_limit_s=1, engine="pyvrp", seed=3)).to_json(tmp_path / "a.json")
    b = solve(_problem(), SolveParams(time_limit_s=1, engine="pyvrp", seed=3)).to_json(tmp_path / "b.json")
    assert a.read_bytes() == b.read_bytes()


def test_summary_and_str(plan):
    text = str(plan)
    assert "RoutePlan" in text and "van-1" in text and "capacity 1" in text
    assert plan.cost == pytest.approx(sum(r.cost_cny for r in plan.routes))


def test_from_dict_rejects_garbage():
    with pytest.raises(InputError):
        RoutePlan.from_dict({"summary": {}})
