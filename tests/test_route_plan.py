"""RoutePlan schema, JSON round trip and determinism of serialisation."""

import json

import numpy as np
import pytest

from citylogistics.errors import InputError
from citylogistics.routing.problem import RoutingProblem, Stop, VehicleType
from citylogistics.routing.plan import STATS_FIELDS, RoutePlan, SolverStats
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


def test_solver_stats_are_typed_and_keep_the_recorded_key_order(plan, tmp_path):
    """plan.solver is a SolverStats whose to_dict() is the JSON block plans always had (same keys, same order)."""
    stats = plan.solver
    assert isinstance(stats, SolverStats)
    assert stats.engine == "ortools" and stats.seed == 0 and stats.deterministic is True
    assert isinstance(stats.objective, int) and stats.feasible is True and stats.violations == ()
    assert "first_solution" in stats.extra and not set(stats.extra) & set(STATS_FIELDS)
    d = stats.to_dict()
    assert list(d)[:4] == ["engine", "seed", "deterministic", "time_limit_s"]
    assert list(d)[-2:] == ["violations", "feasible"] and d["violations"] == []
    assert plan.to_dict()["summary"]["solver"] == d
    back = RoutePlan.from_json(plan.to_json(tmp_path / "plan.json"))
    assert isinstance(back.solver, SolverStats) and list(back.solver.to_dict()) == list(d)
    assert json.dumps(back.to_dict()) == json.dumps(plan.to_dict())


def test_solver_stats_read_like_the_mapping_they_replace():
    """Code written against the old dict (stats["k"], .get, dict(...)) keeps working; a mapping given to
    RoutePlan becomes SolverStats with unknown keys in extra."""
    p = RoutePlan(routes=(), solver={"engine": "pyvrp", "parts": 2, "feasible": False, "violations": ["x"]})
    assert isinstance(p.solver, SolverStats)
    assert p.solver.engine == "pyvrp" and p.solver.feasible is False and p.solver.violations == ("x",)
    assert p.solver.extra == {"parts": 2} and p.solver["parts"] == 2 and p.solver.get("status", "?") == "?"
    assert dict(p.solver) == {"engine": "pyvrp", "parts": 2, "feasible": False, "violations": ["x"]}
    assert list(p.solver) == ["engine", "parts", "feasible", "violations"]
    with pytest.raises(KeyError):
        p.solver["status"]  # a field never recorded is absent, as in the dict
    assert SolverStats(engine="ortools", status="success").to_dict() == {"engine": "ortools", "status": "success"}
