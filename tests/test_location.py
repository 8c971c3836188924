"""Siting models on tiny instances checked by brute force, plus invariants."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from citylogistics.errors import InputError
from citylogistics.location.models import (
    CapacitatedFacilityLocation,
    MaxCoverage,
    PCenter,
    PMedian,
    SetCovering,
)

TL = 5.0


def _instance(seed: int, n: int = 9, m: int = 6):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 100, size=(n, 2))
    sites = rng.uniform(0, 100, size=(m, 2))
    cost = np.round(np.linalg.norm(pts[:, None, :] - sites[None, :, :], axis=2), 1)
    w = rng.integers(1, 10, size=n).astype(float)
    return [f"d{i}" for i in range(n)], [f"s{j}" for j in range(m)], cost, w


def _check_assignment(plan, model, *, limit=None):
    """Invariants: assigned sites are open; coverage recomputed independently."""
    open_ = set(plan.open_sites)
    sidx = {s: j for j, s in enumerate(model.site_ids)}
    covered_w, covered_n = 0.0, 0
    for i, d in enumerate(model.demand_ids):
        s = plan.assignment[d]
        if s is None:
            continue
        assert s in open_
        c = model.cost[i, sidx[s]]
        assert np.isfinite(c)
        if limit is not None:
            assert c <= limit + 1e-9
        covered_w += model.weights[i]
        covered_n += 1
    assert plan.covered_points == covered_n
    assert plan.covered_demand == pytest.approx(covered_w)
    assert plan.total_demand == pytest.approx(model.weights.sum())
    assert plan.n_points == model.n_demand
    for s in model.forbidden_sites:
        assert s not in open_
    for s in model.required_sites:
        assert s in open_


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("p", [1, 2, 3])
def test_pmedian_matches_brute_force(seed, p):
    d, s, c, w = _instance(seed)
    plan = PMedian.from_cost_matrix(d, s, c, weights=w, p=p).solve(time_limit_s=TL)
    best = min((w * c[:, list(S)].min(axis=1)).sum() for S in itertools.combinations(range(len(s)), p))
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(best)
    assert plan.bound == pytest.approx(best, rel=1e-6)
    assert plan.gap == 0.0
    assert len(plan.open_sites) == p
    model = PMedian.from_cost_matrix(d, s, c, weights=w, p=p)
    _check_assignment(plan, model)
    # every point goes to its nearest open site
    sidx = {x: j for j, x in enumerate(s)}
    open_idx = [sidx[x] for x in plan.open_sites]
    for i, di in enumerate(d):
        assert c[i, sidx[plan.assignment[di]]] == pytest.approx(c[i, open_idx].min())


def test_pmedian_required_forbidden_and_inf_pairs():
    d, s, c, w = _instance(7)
    c = c.copy()
    c[0, :3] = np.inf  # d0 may only use s3..s5
    model = PMedian.from_cost_matrix(d, s, c, weights=w, p=2, required_sites=["s1"],
                                     forbidden_sites=["s4"])
    plan = model.solve(time_limit_s=TL)
    best = math.inf
    for S in itertools.combinations(range(6), 2):
        if 1 not in S or 4 in S:
            continue
        v = (w * c[:, list(S)].min(axis=1)).sum()
        best = min(best, v)
    assert plan.objective == pytest.approx(best)
    _check_assignment(plan, model)


def test_capacitated_pmedian_holds_capacity():
    d, s, c, w = _instance(3, n=8, m=4)
    q = np.full(4, w.sum() / 2 + 1)
    model = PMedian.from_cost_matrix(d, s, c, weights=w, p=2, capacities=q)
    plan = model.solve(time_limit_s=TL)
    assert plan.status == "optimal"
    # brute force: all assignments of 8 points to 2 sites
    best = math.inf
    for S in itertools.combinations(range(4), 2):
        for a in itertools.product(S, repeat=8):
            load = {j: sum(w[i] for i in range(8) if a[i] == j) for j in S}
            if any(load[j] > q[j] + 1e-9 for j in S):
                continue
            best = min(best, sum(w[i] * c[i, a[i]] for i in range(8)))
    assert plan.objective == pytest.approx(best)
    for site, load in plan.extra["load"].items():
        assert load <= q[0] + 1e-9
    _check_assignment(plan, model)


@pytest.mark.parametrize("seed", range(3))
def test_pcenter_matches_brute_force(seed):
    d, s, c, w = _instance(seed, n=10, m=7)
    for p in (1, 2, 3):
        plan = PCenter.from_cost_matrix(d, s, c, weights=w, p=p).solve(time_limit_s=TL)
        best = min(c[:, list(S)].min(axis=1).max() for S in itertools.combinations(range(7), p))
        assert plan.status == "optimal"
        assert plan.objective == pytest.approx(best)
        assert plan.bound == pytest.approx(best)
        assert len(plan.open_sites) <= p


@pytest.mark.parametrize("seed", range(3))
def test_max_coverage_matches_brute_force(seed):
    d, s, c, w = _instance(seed)
    limit = 30.0
    for p in (1, 2):
        model = MaxCoverage.from_cost_matrix(d, s, c, weights=w, p=p, limit=limit)
        plan = model.solve(time_limit_s=TL)
        best = max(w[(c[:, list(S)] <= limit).any(axis=1)].sum()
                   for S in itertools.combinations(range(6), p))
        assert plan.status == "optimal"
        assert plan.objective == pytest.approx(best)
        assert plan.covered_demand == pytest.approx(best)
        assert plan.bound >= plan.objective - 1e-9
        _check_assignment(plan, model, limit=limit)
        for x in plan.unassigned:
            assert x in plan.extra["unassigned_reason"]


def test_max_coverage_budget():
    d, s, c, w = _instance(2)
    f = np.array([5.0, 1.0, 1.0, 3.0, 2.0, 4.0])
    model = MaxCoverage.from_cost_matrix(d, s, c, weights=w, limit=35.0, fixed_cost_cny=f,
                                         budget_cny=4.0)
    plan = model.solve(time_limit_s=TL)
    best = 0.0
    for r in range(7):
        for S in itertools.combinations(range(6), r):
            if f[list(S)].sum() <= 4.0:
                best = max(best, w[(c[:, list(S)] <= 35.0).any(axis=1)].sum() if S else 0.0)
    assert plan.objective == pytest.approx(best)
    assert plan.extra["fixed_cost_cny"] <= 4.0 + 1e-9


@pytest.mark.parametrize("seed", range(3))
def test_set_covering_matches_brute_force(seed):
    d, s, c, w = _instance(seed)
    limit = 45.0
    model = SetCovering.from_cost_matrix(d, s, c, weights=w, limit=limit)
    plan = model.solve(time_limit_s=TL)
    coverable = (c <= limit).any(axis=1)
    best = None
    for r in range(7):
        for S in itertools.combinations(range(6), r):
            if ((c[:, list(S)] <= limit).any(axis=1) | ~coverable).all() if S else (~coverable).all():
                best = r
                break
        if best is not None:
            break
    assert plan.status == "optimal"
    assert plan.objective == best == len(plan.open_sites)
    _check_assignment(plan, model, limit=limit)
    assert plan.covered_points == int(coverable.sum())


def test_set_covering_uncoverable_point_is_reported():
    c = np.array([[1.0, 2.0], [50.0, 60.0]])
    plan = SetCovering.from_cost_matrix(["a", "b"], ["x", "y"], c, limit=10).solve(time_limit_s=TL)
    assert plan.assignment["a"] == "x" and plan.assignment["b"] is None
    assert plan.extra["unassigned_reason"]["b"] == "no candidate within limit"


def _cfl_brute(c_total, w, q, f, single):
    from scipy.optimize import linprog

    n, m = c_total.shape
    best = math.inf
    for r in range(1, m + 1):
        for S in itertools.combinations(range(m), r):
            S = list(S)
            if q[S].sum() < w.sum() - 1e-9:
                continue
            if single:
                for a in itertools.product(S, repeat=n):
                    load = np.zeros(m)
                    for i in range(n):
                        load[a[i]] += w[i]
                    if (load <= q + 1e-9).all():
                        best = min(best, f[S].sum() + sum(c_total[i, a[i]] for i in range(n)))
            else:
                k = len(S)
                cvec = c_total[:, S].ravel()
                a_eq = np.zeros((n, n * k))
                for i in range(n):
                    a_eq[i, i * k:(i + 1) * k] = 1
                a_ub = np.zeros((k, n * k))
                for t in range(k):
                    for i in range(n):
                        a_ub[t, i * k + t] = w[i]
                res = linprog(cvec, A_ub=a_ub, b_ub=q[S], A_eq=a_eq, b_eq=np.ones(n), bounds=(0, 1))
                if res.status == 0:
                    best = min(best, f[S].sum() + res.fun)
    return best


@pytest.mark.parametrize("sourcing", ["single", "split"])
@pytest.mark.parametrize("seed", range(2))
def test_cfl_matches_brute_force(sourcing, seed):
    rng = np.random.default_rng(seed)
    n, m = 6, 4
    c = rng.uniform(1, 20, size=(n, m)).round(2)
    w = rng.integers(2, 8, size=n).astype(float)
    q = np.full(m, w.sum() * 0.4).round()
    f = rng.uniform(10, 40, size=m).round()
    ids_d, ids_s = [f"d{i}" for i in range(n)], [f"s{j}" for j in range(m)]
    model = CapacitatedFacilityLocation.from_cost_matrix(
        ids_d, ids_s, c, weights=w, capacities=q, fixed_cost_cny=f, sourcing=sourcing)
    plan = model.solve(time_limit_s=TL)
    assert plan.status == "optimal"
    assert plan.model == f"cfl_{sourcing}"
    best = _cfl_brute(w[:, None] * c, w, q, f, sourcing == "single")
    assert plan.objective == pytest.approx(best, rel=1e-6)
    for site, load in plan.extra["load"].items():
        assert site in plan.open_sites
        assert load <= q[0] + 1e-6
    assert plan.extra["fixed_cost_cny"] + plan.extra["assignment_cost"] == pytest.approx(plan.objective)
    _check_assignment(plan, model)


# ------------------------------------------------------------ validation
def _base():
    return ["a", "b", "c"], ["x", "y"], np.array([[1.0, 2.0], [3.0, 1.0], [2.0, 2.0]])


@pytest.mark.parametrize("build, match", [
    (lambda d, s, c: PMedian.from_cost_matrix(d, s, c, weights=[1, -1, 1], p=1), "negative demand"),
    (lambda d, s, c: PMedian.from_cost_matrix(d, s, c, p=3), "larger than"),
    (lambda d, s, c: PMedian.from_cost_matrix(d, s, c, p=1, required_sites=["x"],
                                              forbidden_sites=["x"]), "both required and forbidden"),
    (lambda d, s, c: PMedian.from_cost_matrix(d, [], np.zeros((3, 0)), p=1), "no candidate"),
    (lambda d, s, c: PMedian.from_cost_matrix(d, s, c, p=1, forbidden_sites=["x", "y"]), "forbidden"),
    (lambda d, s, c: CapacitatedFacilityLocation.from_cost_matrix(
        d, s, c, capacities=[1, 1], fixed_cost_cny=[1, 1]), "below total demand"),
    (lambda d, s, c: PMedian.from_cost_matrix(d, s, c, p=1, capacities=[2, 2]), "largest capacities"),
    (lambda d, s, c: PMedian.from_cost_matrix(d, s, c[:2], p=1), "shape"),
    (lambda d, s, c: PMedian.from_cost_matrix(d, s, -c, p=1), "negative cost"),
    (lambda d, s, c: PMedian.from_cost_matrix(d, s, c, p=1, required_sites=["zz"]), "not among"),
    (lambda d, s, c: PMedian.from_cost_matrix(["a", "a", "b"], s, c, p=1), "duplicate"),
    (lambda d, s, c: PMedian.from_cost_matrix(d, s, c, p=2, required_sites=["x"],
                                              fixed_cost_cny=[5, 1], budget_cny=3), "budget"),
    (lambda d, s, c: MaxCoverage.from_cost_matrix(d, s, c, limit=1), "give p"),
    (lambda d, s, c: PCenter.from_cost_matrix(d, s, np.where(c > 1.5, np.inf, c), p=1,
                                              forbidden_sites=["x"]), "no allowed site"),
])
def test_bad_input_rejected_before_solving(build, match):
    d, s, c = _base()
    with pytest.raises(InputError, match=match):
        build(d, s, c)


def test_input_error_is_value_error_and_one_line():
    d, s, c = _base()
    with pytest.raises(ValueError) as info:
        PMedian.from_cost_matrix(d, s, c, weights=[1, -2, 1], p=1)
    assert "\n" not in str(info.value)
    assert "'b'" in str(info.value)


def test_deterministic_same_seed():
    d, s, c, w = _instance(11, n=12, m=8)
    a = PMedian.from_cost_matrix(d, s, c, weights=w, p=3).solve(time_limit_s=TL, seed=1)
    b = PMedian.from_cost_matrix(d, s, c, weights=w, p=3).solve(time_limit_s=TL, seed=1)
    assert a.open_sites == b.open_sites and dict(a.assignment) == dict(b.assignment)
