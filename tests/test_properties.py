"""Property-based tests (hypothesis) of scenario loading and small random plans.

Scenario loading: any file, any value in any key either loads into a scenario
that satisfies every documented bound, or raises :class:`InputError` with one
line naming the file - never another exception.  Valid random scenarios load
and keep their values.

Planning: small random routing problems (capacities, time windows, shifts,
pickups, optional stops) and siting problems always give plans whose
invariants hold: every stop served once or reported with a reason, loads
within capacity, windows and shifts met, fleet size respected; p sites open and
every point assigned to its nearest open site.

All examples are derandomised so CI is reproducible.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from citylogistics.errors import InputError
from citylogistics.location.models import PMedian
from citylogistics.routing.problem import RoutingProblem, Stop, VehicleType
from citylogistics.routing.plan import REASONS
from citylogistics.routing.solver import SolveParams, solve
from citylogistics.scenario.files import PlanSection, Scenario, load_scenario

FAST = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
SOLVES = settings(max_examples=40, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --------------------------------------------------------------------------- TOML writing


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(v)


def toml_text(doc: dict) -> str:
    lines = []
    for k, v in doc.items():
        if not isinstance(v, (dict, list)) or (isinstance(v, list) and not (v and isinstance(v[0], dict))):
            lines.append(f"{k} = {toml_value(v)}")
    for k, v in doc.items():
        if isinstance(v, dict):
            lines.append(f"[{k}]")
            lines += [f"{kk} = {toml_value(vv)}" for kk, vv in v.items()]
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                lines.append(f"[[{k}]]")
                lines += [f"{kk} = {toml_value(vv)}" for kk, vv in item.items()]
    return "\n".join(lines) + "\n"


def base_doc() -> dict:
    return {"title": "property", "city": "Zhoushan", "year": 2015, "seed": 0,
            "routing": {"time_limit_s": 5.0, "engine": "auto"},
            "demand": {"rural_parcels_per_capita_day": 0.05},
            "plan": {"start_year": 2011, "end_year": 2013, "budget_cny": [100000.0]},
            "vehicles": [{"name": "truck", "leg": "trunk", "count": 2, "capacity_parcels": 3000.0},
                         {"name": "van", "leg": "shuttle", "count": 4, "capacity_parcels": 800.0},
                         {"name": "tricycle", "leg": "lastmile", "count": 4, "capacity_parcels": 150.0}]}


def load_text(text: str | bytes) -> Scenario:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "prop.toml"
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text, encoding="utf-8")
        return load_scenario(p)


def assert_input_error_is_one_line(exc: InputError) -> None:
    line = exc.one_line()
    assert "\n" not in line
    assert "prop.toml" in line
    assert not line.startswith("Traceback")


# --------------------------------------------------------------------------- scenario loading

ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**6, max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.lists(st.one_of(st.integers(-5, 5), st.floats(-1e6, 1e6), st.text(max_size=5)), max_size=4))

KEYS = (
    [("title",), ("city",), ("year",), ("seed",), ("nonsense_key",)]
    + [("routing", k) for k in ("time_limit_s", "engine", "stops", "service_s", "deterministic", "bogus")]
    + [("demand", k) for k in ("rural_parcels_per_capita_day", "pickup_share_rural", "growth_factor_2010_2015")]
    + [("plan", k) for k in ("start_year", "end_year", "budget_cny", "coverage_target", "coverage_limit_s",
                             "route_legs", "weight", "siting_time_limit_s")]
    + [("vehicles", i, k) for i in (0, 2) for k in ("name", "count", "capacity_parcels", "leg", "max_duration_s",
                                                    "max_trips", "speed_factor", "capacity")]
)


def check_valid_scenario(s: Scenario) -> None:
    """What a scenario that loaded promises to everything downstream."""
    assert s.vehicles and len({v.name for v in s.vehicles}) == len(s.vehicles)
    for v in s.vehicles:
        assert isinstance(v.count, int) and v.count >= 1
        assert math.isfinite(v.capacity_parcels) and v.capacity_parcels > 0
        assert v.max_duration_s is None or (math.isfinite(v.max_duration_s) and v.max_duration_s > 0)
        assert 1 <= v.max_trips <= 20
    assert 0 < s.routing.time_limit_s <= 3600
    assert 2000 <= s.year <= 2100 and s.seed >= 0
    for name in ("rural_parcels_per_capita_day", "urban_parcels_per_capita_day"):
        val = getattr(s.demand, name)
        assert val is None or (math.isfinite(val) and val >= 0)
    if s.plan is not None:
        p = s.plan
        assert p.start_year <= p.end_year
        assert all(math.isfinite(b) and b >= 0 for b in p.budget_cny)
        assert len(p.budget_cny) in (0, 1, len(p.years))
        assert all(0 <= t <= 1 for t in p.coverage_target)
        assert list(p.coverage_target) == sorted(p.coverage_target)
        for leg in p.route_legs:
            assert any(v.leg == leg for v in s.vehicles)


@FAST
@given(key=st.sampled_from(KEYS), value=ANY_VALUE)
def test_any_value_in_any_key_loads_or_raises_input_error(key, value):
    doc = base_doc()
    target = doc
    for part in key[:-1]:
        target = target[part]
    if value is None:
        target.pop(key[-1], None)
    else:
        target[key[-1]] = value
    try:
        s = load_text(toml_text(doc))
    except InputError as exc:
        assert_input_error_is_one_line(exc)
        return
    check_valid_scenario(s)


@FAST
@given(data=st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_any_file_content_loads_or_raises_input_error(data):
    try:
        s = load_text(data)
    except InputError as exc:
        assert_input_error_is_one_line(exc)
        return
    check_valid_scenario(s)


@st.composite
def valid_docs(draw):
    start = draw(st.integers(2005, 2020))
    end = draw(st.integers(start, start + 4))
    n = end - start + 1
    budgets = draw(st.one_of(st.just([]), st.lists(st.floats(0, 1e7, allow_subnormal=False), min_size=1, max_size=1),
                             st.lists(st.floats(0, 1e7, allow_subnormal=False), min_size=n, max_size=n)))
    targets = sorted(draw(st.lists(st.floats(0, 1, allow_subnormal=False), min_size=n, max_size=n))) if draw(st.booleans()) else []
    legs = draw(st.lists(st.sampled_from(["trunk", "shuttle", "lastmile"]), min_size=1, max_size=3, unique=True))
    vehicles = [{"name": f"v-{leg}", "leg": leg, "count": draw(st.integers(1, 50)),
                 "capacity_parcels": draw(st.floats(0.5, 1e4)),
                 "max_trips": draw(st.integers(1, 20))} for leg in legs]
    doc = {"title": draw(st.text(min_size=1, max_size=20)),
           "city": draw(st.sampled_from(["Zhoushan", "330100", "丽水", "quzhou", "Zhejiang"])),
           "seed": draw(st.integers(0, 2**31 - 1)), "year": draw(st.integers(2000, 2100)),
           "plan": {"start_year": start, "end_year": end, "budget_cny": budgets, "coverage_target": targets,
                    "route_legs": legs},
           "vehicles": vehicles}
    return doc


@FAST
@given(doc=valid_docs())
def test_valid_random_scenarios_load_and_keep_their_values(doc):
    s = load_text(toml_text(doc))
    check_valid_scenario(s)
    assert s.title == doc["title"] and s.seed == doc["seed"]
    assert s.plan.years == tuple(range(doc["plan"]["start_year"], doc["plan"]["end_year"] + 1))
    assert list(s.plan.budget_cny) == doc["plan"]["budget_cny"]
    assert [v.name for v in s.vehicles] == [v["name"] for v in doc["vehicles"]]
    assert [v.capacity_parcels for v in s.vehicles] == [v["capacity_parcels"] for v in doc["vehicles"]]
    per_year = s.plan.per_year("budget_cny")
    assert len(per_year) == len(s.plan.years)


@FAST
@given(rows=st.lists(st.tuples(st.sampled_from(["330902", "330903", "330921", "330999", "abc", ""]),
                               st.one_of(st.floats(allow_nan=True), st.text(max_size=6)),
                               st.one_of(st.floats(allow_nan=True), st.text(max_size=6))), max_size=4))
def test_override_files_read_or_raise_input_error(rows):
    from citylogistics.regions import read_overrides

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "points.csv"
        body = "".join(f"{c},{x},{y}\n" for c, x, y in rows)
        p.write_text("code,lon,lat\n" + body, encoding="utf-8")
        try:
            df = read_overrides(p)
        except InputError as exc:
            line = exc.one_line()
            assert "\n" not in line and "points.csv" in line
            return
    assert df["lon"].map(math.isfinite).all() and df["lat"].map(math.isfinite).all()
    assert df["lon"].between(118, 123.5).all() and df["lat"].between(27, 31.5).all()
    assert df["code"].is_unique


# --------------------------------------------------------------------------- small random plans


@st.composite
def routing_problems(draw):
    n = draw(st.integers(1, 12))
    seed = draw(st.integers(0, 10**6))
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 20_000, size=(n + 1, 2))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    t = d / draw(st.sampled_from([5.0, 10.0, 15.0]))
    windows = draw(st.booleans())
    optional = draw(st.booleans())
    stops = []
    for i in range(1, n + 1):
        kw = {}
        if windows:
            a = float(rng.uniform(0, 4 * 3600))
            kw.update(tw_start_s=a, tw_end_s=a + float(rng.uniform(0, 4 * 3600)))
        if optional and rng.random() < 0.5:
            kw.update(required=False, penalty_cny=float(rng.uniform(0, 200)))
        stops.append(Stop(id=f"s{i}", node=i, delivery=float(rng.integers(0, 60)),
                          pickup=float(rng.integers(0, 30)) if draw(st.booleans()) else 0.0,
                          service_s=float(rng.integers(0, 900)), **kw))
    vts = []
    for k in range(draw(st.integers(1, 2))):
        vts.append(VehicleType(name=f"type{k}", count=draw(st.integers(0, 4)), capacity=float(draw(st.integers(1, 120))),
                               fixed_cost_cny=float(draw(st.integers(0, 300))), cost_per_km_cny=1.0,
                               max_duration_s=draw(st.one_of(st.none(), st.floats(1800, 8 * 3600))),
                               max_trips=draw(st.integers(1, 2))))
    assume(any(vt.count > 0 for vt in vts))
    problem = RoutingProblem.from_matrices([f"n{i}" for i in range(n + 1)], d, t, depots=(0,), stops=tuple(stops),
                                           vehicle_types=tuple(vts))
    engine = draw(st.sampled_from(["ortools", "auto"]))
    return problem, engine


TOL_S = 1.0  # times are rounded up to deciseconds inside the solvers
TOL_LOAD = 1e-3


@SOLVES
@given(case=routing_problems())
def test_random_routing_plans_keep_their_invariants(case):
    problem, engine = case
    try:
        plan = solve(problem, SolveParams(time_limit_s=1.0, deterministic=True, engine=engine, seed=0))
    except InputError as exc:
        # combinations a given engine does not support (e.g. reloading with OR-Tools) must say so cleanly
        event("rejected by the engine")
        assert "\n" not in exc.one_line()
        return
    stops = {s.id: s for s in problem.stops}
    vts = {vt.name: vt for vt in problem.vehicle_types}
    served = []
    used = {}
    for r in plan.routes:
        vt = vts[r.vehicle_type]
        used[vt.name] = used.get(vt.name, 0) + 1
        assert r.steps[0].type == "start" and r.steps[-1].type == "end"
        for st_ in r.steps:
            assert -TOL_LOAD <= st_.load <= vt.capacity + TOL_LOAD, (r.vehicle, st_)
            if st_.type in ("delivery", "pickup"):
                s = stops[st_.id]
                served.append(st_.id)
                start = max(st_.arrival_s, s.tw_start_s)
                if s.tw_end_s is not None:
                    assert start <= s.tw_end_s + TOL_S, (st_.id, start, s.tw_end_s)
        if vt.max_duration_s is not None:
            assert r.duration_s <= vt.max_duration_s + TOL_S
        assert max(st_.trip for st_ in r.steps) + 1 <= vt.max_trips
        dists = [st_.distance_m for st_ in r.steps]
        assert dists == sorted(dists)
    for name, k in used.items():
        assert k <= vts[name].count
    reported = [u.id for u in plan.unassigned]
    assert len(served) == len(set(served)), "a stop served twice"
    assert sorted(served + reported) == sorted(stops), "every stop is served once or reported"
    assert all(u.reason in REASONS for u in plan.unassigned)
    assert not plan.solver.get("violations")
    event("all served" if not reported else "some unassigned")


@st.composite
def siting_problems(draw):
    n = draw(st.integers(2, 25))
    m = draw(st.integers(1, 10))
    p = draw(st.integers(1, m))
    rng = np.random.default_rng(draw(st.integers(0, 10**6)))
    cost = rng.integers(0, 50, size=(n, m)).astype(float)
    weights = rng.integers(0, 10, size=n).astype(float)
    return cost, weights, p


@SOLVES
@given(case=siting_problems(), method=st.sampled_from(["mip", "lagrangian"]))
def test_random_p_median_plans_keep_their_invariants(case, method):
    cost, weights, p = case
    n, m = cost.shape
    demand_ids = [f"d{i}" for i in range(n)]
    site_ids = [f"j{j}" for j in range(m)]
    plan = PMedian.from_cost_matrix(demand_ids, site_ids, cost, weights=weights, p=p).solve(
        time_limit_s=2.0, method=method)
    assert plan.status in ("optimal", "feasible")
    assert len(plan.open_sites) == p == len(set(plan.open_sites))
    cols = [site_ids.index(s) for s in plan.open_sites]
    best = cost[:, cols].min(axis=1)
    objective = 0.0
    for i, d in enumerate(demand_ids):
        j = site_ids.index(plan.assignment[d])
        assert j in cols
        assert cost[i, j] == pytest.approx(best[i])
        objective += weights[i] * cost[i, j]
    assert plan.objective == pytest.approx(objective, rel=1e-6, abs=1e-6)
    assert plan.bound <= plan.objective + 1e-6
    if plan.status == "optimal":
        # brute force on the smallest instances
        if m <= 6:
            from itertools import combinations

            opt = min((weights * cost[:, list(c)].min(axis=1)).sum() for c in combinations(range(m), p))
            assert plan.objective == pytest.approx(opt, rel=1e-4, abs=1e-6)


def test_plan_section_rejects_reversed_horizon_directly():
    with pytest.raises(InputError, match="swap"):
        PlanSection(start_year=2015, end_year=2011)
    with pytest.raises(InputError, match="one per year"):
        PlanSection(start_year=2011, end_year=2015, budget_cny=(1.0, 2.0))
