"""Sparse p-median: Lagrangian bound validity, fixing, agreement with brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from citylogistics.location.models import PMedian
from citylogistics.location.lagrangian import SparseCosts, SparsePMedian


def _inst(seed, n=14, m=8):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 100, (n, 2))
    b = rng.uniform(0, 100, (m, 2))
    c = np.round(np.linalg.norm(a[:, None] - b[None], axis=2), 2)
    w = rng.integers(1, 9, n).astype(float)
    return c, w


def _brute(c, w, p):
    return min((w * c[:, list(S)].min(axis=1)).sum() for S in itertools.combinations(range(c.shape[1]), p))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [2, 3, None])
def test_sparse_k_nearest_bound_is_valid_for_full_problem(seed, k):
    c, w = _inst(seed)
    p = 3
    opt = _brute(c, w, p)
    n, m = c.shape

    def exact(open_mask):
        cc = np.where(open_mask[None, :], c, np.inf)
        j = cc.argmin(axis=1)
        return cc[np.arange(n), j], j

    model = SparsePMedian(tuple(map(str, range(n))), tuple(f"s{j}" for j in range(m)),
                          SparseCosts.from_dense(c, k=k), w, p, exact_cost=exact)
    plan = model.solve(time_limit_s=5)
    assert plan.bound <= opt + 1e-6  # valid lower bound of the dense problem
    assert plan.objective >= opt - 1e-6  # exact evaluation of a real plan
    assert plan.extra["lagrangian_bound"] <= opt + 1e-6
    assert len(plan.open_sites) == p
    if k is None:
        assert plan.status == "optimal" and plan.objective == pytest.approx(opt)
    assert plan.gap == pytest.approx(0.0 if plan.status == "optimal"
                                     else (plan.objective - plan.bound) / plan.objective)


@pytest.mark.parametrize("seed", range(3))
def test_pmedian_mip_and_lagrangian_agree(seed):
    c, w = _inst(seed + 10, n=20, m=10)
    ids_d = [f"d{i}" for i in range(20)]
    ids_s = [f"s{j}" for j in range(10)]
    for p in (2, 4):
        a = PMedian.from_cost_matrix(ids_d, ids_s, c, weights=w, p=p).solve(time_limit_s=5, method="mip")
        b = PMedian.from_cost_matrix(ids_d, ids_s, c, weights=w, p=p,
                                     required_sites=["s0"]).solve(time_limit_s=5, method="lagrangian")
        b2 = PMedian.from_cost_matrix(ids_d, ids_s, c, weights=w, p=p,
                                      required_sites=["s0"]).solve(time_limit_s=5, method="mip")
        assert a.status == b.status == "optimal"
        assert a.objective == pytest.approx(_brute(c, w, p))
        assert b.objective == pytest.approx(b2.objective)
        assert "s0" in b.open_sites


def test_sparse_costs_from_dense_fallback():
    c = np.array([[3.0, 1.0, 2.0], [5.0, np.inf, 4.0]])
    sc = SparseCosts.from_dense(c, k=1)
    assert sc.site.tolist() == [1, 2]
    assert sc.cost.tolist() == [1.0, 4.0]
    assert sc.fallback.tolist() == [2.0, 5.0]
