"""Maximal coverage with a site count: the local-search + LP-bound path and the
reduced-cost-fixing + SCIP path both reach the true optimum, with a valid
bound, on random instances checked by brute force or by the plain full model."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from citylogistics.location.models import MaxCoverage
from citylogistics.location.coverage import coverage_local_search, solve_max_coverage_p

CERTIFIED = "local search + LP bound (GLOP)"
FIXED = "local search + LP fixing + SCIP"


def _ids(prefix, n):
    return [f"{prefix}{i}" for i in range(n)]


def _full_model_optimum(within: np.ndarray, w: np.ndarray, p: int, required=(), forbidden=()) -> float:
    """The textbook model on every site and point, no reductions, SCIP defaults."""
    from ortools.linear_solver import pywraplp

    s = pywraplp.Solver.CreateSolver("SCIP")
    n, m = within.shape
    y = [s.BoolVar("") for _ in range(m)]
    for j in required:
        y[j].SetLb(1)
    for j in forbidden:
        y[j].SetUb(0)
    s.Add(sum(y) <= p)
    z = [s.NumVar(0, 1, "") for _ in range(n)]
    for i in range(n):
        s.Add(z[i] <= sum(y[j] for j in np.flatnonzero(within[i])))
    s.Maximize(sum(float(w[i]) * z[i] for i in range(n)))
    assert s.Solve() == pywraplp.Solver.OPTIMAL
    return s.Objective().Value()


def _assert_proven(plan, ref: float) -> float:
    """The plan is optimal at ``ref`` with a bound equal to it; returns the tolerance."""
    tol = 1e-6 * max(1.0, ref)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(ref, abs=tol)
    assert ref - tol <= plan.bound <= ref + tol
    return tol


def test_max_coverage_matches_brute_force_on_random_instances():
    rng = np.random.default_rng(1)
    for _ in range(40):
        n, m = int(rng.integers(5, 25)), int(rng.integers(3, 9))
        p = int(rng.integers(1, m))
        cost = rng.uniform(0, 100, (n, m))
        w = rng.integers(1, 10, n).astype(float)
        limit = float(rng.uniform(10, 50))
        plan = MaxCoverage.from_cost_matrix(_ids("d", n), _ids("s", m), cost,
                                            weights=w, p=p, limit=limit).solve()
        best = max(w[(cost[:, list(S)] <= limit).any(axis=1)].sum() for S in itertools.combinations(range(m), p))
        assert plan.status == "optimal"
        assert plan.objective == best
        assert plan.bound >= plan.objective - 1e-9
        assert len(plan.open_sites) <= p


def _graph_instance(rng, n, *, integer: bool):
    """Points that are also the candidate sites (as in OR-Library pmed), with
    a radius at a low percentile: the kind of instance where the LP bound
    alone does not prove the optimum."""
    pts = rng.uniform(0, 100, (n, 2))
    cost = np.linalg.norm(pts[:, None] - pts[None], axis=2) * rng.uniform(1, 1.5, (n, n))
    w = rng.integers(1, 5, n).astype(float) if integer else rng.uniform(0.5, 3.0, n)
    limit = float(np.percentile(cost, rng.uniform(5, 14)))
    return cost, w, limit


def test_max_coverage_matches_the_full_model_on_both_paths():
    rng = np.random.default_rng(11)
    solvers = set()
    for trial in range(36):
        n = int(rng.integers(60, 160))
        p = int(rng.integers(2, 12))
        cost, w, limit = _graph_instance(rng, n, integer=trial % 3 != 0)
        ids = _ids("v", n)
        required = [int(j) for j in rng.choice(n, 2, replace=False)] if trial % 4 == 0 else []
        forbidden = ([int(j) for j in rng.choice(np.setdiff1d(np.arange(n), required), 8, replace=False)]
                     if trial % 5 == 0 else [])
        plan = MaxCoverage.from_cost_matrix(ids, ids, cost, weights=w, p=p, limit=limit,
                                            required_sites=[ids[j] for j in required],
                                            forbidden_sites=[ids[j] for j in forbidden]).solve(seed=trial)
        ref = _full_model_optimum(cost <= limit, w, p, required, forbidden)
        tol = _assert_proven(plan, ref)
        opened = {ids.index(s) for s in plan.open_sites}
        assert set(required) <= opened and not opened & set(forbidden) and len(opened) <= p
        # coverage recomputed from the open sites
        covered = (cost[:, sorted(opened)] <= limit).any(axis=1)
        assert plan.objective == pytest.approx(float(w[covered].sum()), abs=tol)
        solvers.add(plan.extra["solver"])
    assert {CERTIFIED, FIXED} <= solvers, solvers


def test_max_coverage_is_deterministic_and_keeps_the_incumbent_at_the_time_limit():
    rng = np.random.default_rng(22)
    cost, w, limit = _graph_instance(rng, 150, integer=True)
    ids = _ids("v", 150)
    model = MaxCoverage.from_cost_matrix(ids, ids, cost, weights=w, p=8, limit=limit)
    a, b = model.solve(seed=3), model.solve(seed=3)
    assert a.open_sites == b.open_sites and a.objective == b.objective
    # this instance needs SCIP, which beats the local search
    assert a.extra["solver"] == FIXED and a.extra["heuristic_objective"] < a.objective
    # A limit too short for SCIP still returns the local-search sites and a valid bound.
    within = cost <= limit
    quick = solve_max_coverage_p(within, w, p=8, allowed=np.ones(150, bool), required=np.zeros(150, bool),
                                 time_limit_s=1e-6)
    assert quick.open_mask.sum() <= 8
    assert quick.value == pytest.approx(float(w[within[:, quick.open_mask].any(axis=1)].sum()))
    assert quick.bound >= a.objective - 1e-9 and quick.value <= a.objective
    assert quick.status == "feasible" and "time limit" in quick.solver


def test_local_search_respects_required_allowed_and_p():
    rng = np.random.default_rng(2)
    rows = rng.random((80, 30)) < 0.15
    w = rng.uniform(1, 5, 80)
    allowed = np.ones(30, bool)
    allowed[:5] = False
    required = np.zeros(30, bool)
    required[[7, 9]] = True
    open_mask, value = coverage_local_search(rows, w, p=6, allowed=allowed, required=required)
    assert open_mask[[7, 9]].all() and not open_mask[:5].any() and open_mask.sum() <= 6
    assert value == pytest.approx(float(w[rows[:, open_mask].any(axis=1)].sum()))
    # no single swap improves the result (a swap-optimal solution)
    for j in np.flatnonzero(open_mask & ~required):
        for k in np.flatnonzero(allowed & ~open_mask):
            trial = open_mask.copy()
            trial[j], trial[k] = False, True
            assert float(w[rows[:, trial].any(axis=1)].sum()) <= value + 1e-9


# ------------------------------------------------------------ set covering
def _full_cover_optimum(within: np.ndarray, cost: np.ndarray, required=(), forbidden=()) -> float:
    """The textbook set-covering model, no reductions, SCIP defaults."""
    from ortools.linear_solver import pywraplp

    s = pywraplp.Solver.CreateSolver("SCIP")
    n, m = within.shape
    y = [s.BoolVar("") for _ in range(m)]
    for j in required:
        y[j].SetLb(1)
    for j in forbidden:
        y[j].SetUb(0)
    usable = within.copy()
    usable[:, list(forbidden)] = False
    for i in range(n):
        cols = np.flatnonzero(usable[i])
        if cols.size:
            s.Add(sum(y[j] for j in cols) >= 1)
    s.Minimize(sum(float(cost[j]) * y[j] for j in range(m)))
    assert s.Solve() == pywraplp.Solver.OPTIMAL
    return s.Objective().Value()


SC_CERTIFIED = "greedy + LP bound (GLOP)"
SC_FIXED = "greedy + LP fixing + SCIP"


def test_set_covering_matches_the_full_model_on_both_paths():
    from citylogistics.location.models import SetCovering

    rng = np.random.default_rng(3)
    solvers = set()
    for trial in range(45):
        n = int(rng.integers(30, 150))
        cost, _, _ = _graph_instance(rng, n, integer=True)
        limit = float(np.percentile(cost, rng.uniform(3, 25)))
        mode = trial % 3  # fewest sites, integer costs, fractional costs
        fixed = None if mode == 0 else (rng.integers(1, 6, n).astype(float) if mode == 1
                                        else rng.uniform(0.5, 3.0, n))
        ids = _ids("v", n)
        required = [int(j) for j in rng.choice(n, 2, replace=False)] if trial % 4 == 0 else []
        forbidden = ([int(j) for j in rng.choice(np.setdiff1d(np.arange(n), required), 5, replace=False)]
                     if trial % 5 == 0 else [])
        options = dict(limit=limit, required_sites=[ids[j] for j in required],
                       forbidden_sites=[ids[j] for j in forbidden])
        if fixed is not None:
            options.update(fixed_cost_cny=fixed, minimize="cost")
        plan = SetCovering.from_cost_matrix(ids, ids, cost, **options).solve(seed=trial)
        unit = np.ones(n) if fixed is None else fixed
        ref = _full_cover_optimum(cost <= limit, unit, required, forbidden)
        tol = _assert_proven(plan, ref)
        opened = sorted(ids.index(s) for s in plan.open_sites)
        assert set(required) <= set(opened) and not set(opened) & set(forbidden)
        usable = cost <= limit
        usable[:, forbidden] = False
        coverable = usable.any(axis=1)
        assert usable[coverable][:, opened].any(axis=1).all()  # every coverable point covered
        assert plan.objective == pytest.approx(float(unit[opened].sum()), abs=tol)
        solvers.add(plan.extra["solver"])
    assert {SC_CERTIFIED, SC_FIXED} <= solvers, solvers


def test_set_cover_keeps_the_greedy_cover_at_the_time_limit():
    from citylogistics.location.coverage import solve_set_cover

    rng = np.random.default_rng(4)
    cost, _, _ = _graph_instance(rng, 150, integer=True)
    rows = cost <= np.percentile(cost, 22)
    quick = solve_set_cover(rows, np.ones(150), allowed=np.ones(150, bool), required=np.zeros(150, bool),
                            time_limit_s=1e-6)
    assert rows[:, quick.open_mask].any(axis=1).all()
    assert quick.value == quick.open_mask.sum() and quick.bound <= quick.value
    full = solve_set_cover(rows, np.ones(150), allowed=np.ones(150, bool), required=np.zeros(150, bool),
                           time_limit_s=30)
    assert full.status == "optimal" and quick.bound <= full.value <= quick.value


def test_unique_rows_matches_numpy():
    from citylogistics.location.coverage import unique_rows

    rng = np.random.default_rng(0)
    mask = rng.random((300, 70)) < 0.1
    mask = np.vstack([mask, mask[:50], np.zeros((3, 70), bool)])
    rows, inverse = unique_rows(mask)
    assert (rows[inverse] == mask).all()
    assert rows.shape == np.unique(mask, axis=0).shape


def test_set_covering_does_not_open_free_sites_it_does_not_need():
    from citylogistics.location.models import SetCovering

    # A covers all three points (cost 1); B costs nothing but covers only p1
    cost = np.array([[1.0, 1.0], [1.0, 9.0], [1.0, 9.0]])
    plan = SetCovering.from_cost_matrix(["p1", "p2", "p3"], ["A", "B"], cost, limit=2.0, minimize="cost",
                                        fixed_cost_cny=np.array([1.0, 0.0])).solve()
    assert plan.status == "optimal" and plan.objective == 1.0
    assert plan.open_sites == ("A",)
