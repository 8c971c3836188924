"""LocationPlan: summary, dict and JSON round trip."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from citylogistics.location.models import PMedian
from citylogistics.location.plan import LocationPlan


def _plan(**kw):
    base = dict(model="p_median", open_sites=("s1",), assignment={"a": "s1", "b": None},
                objective=12.5, bound=12.0, gap=0.04, status="feasible", covered_demand=3.0,
                total_demand=5.0, covered_points=1, n_points=2, solve_time_s=0.5,
                extra={"p": 1, "nested": {"x": [1, 2]}, "inf": math.inf})
    base.update(kw)
    return LocationPlan(**base)


def test_summary_and_str():
    p = _plan()
    text = str(p)
    assert "p_median" in text and "feasible" in text and "60.00 %" in text
    assert p.unassigned == ("b",)
    assert p.served_by("s1") == ("a",)


def test_json_round_trip(tmp_path):
    p = _plan()
    path = p.to_json(tmp_path / "sub" / "plan.json")
    data = json.loads(path.read_text())
    assert data["unassigned"] == ["b"]
    q = LocationPlan.from_json(path)
    assert q.to_dict() == p.to_dict()
    assert q.assignment["b"] is None
    assert not list(tmp_path.glob("sub/*.tmp"))


def test_round_trip_of_solved_plan(tmp_path):
    c = np.array([[1.0, 4.0], [4.0, 1.0], [2.0, 3.0]])
    plan = PMedian.from_cost_matrix(["a", "b", "c"], ["x", "y"], c, p=1).solve(time_limit_s=2)
    back = LocationPlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert back.open_sites == plan.open_sites
    assert back.objective == plan.objective and back.status == "optimal"


def test_frozen_and_bad_status():
    p = _plan()
    with pytest.raises(Exception):
        p.objective = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.assignment["a"] = "x"  # type: ignore[index]
    with pytest.raises(ValueError):
        _plan(status="great")
