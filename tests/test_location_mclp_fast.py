"""Maximal coverage: the greedy + LP-bound fast path and the SCIP path both
reach the brute-force optimum, with a valid bound."""

from __future__ import annotations

import itertools

import numpy as np

from citylogistics.location import MaxCoverage


def test_max_coverage_matches_brute_force_on_random_instances():
    rng = np.random.default_rng(1)
    solvers = set()
    for _ in range(40):
        n, m = int(rng.integers(5, 25)), int(rng.integers(3, 9))
        p = int(rng.integers(1, m))
        cost = rng.uniform(0, 100, (n, m))
        w = rng.integers(1, 10, n).astype(float)
        limit = float(rng.uniform(10, 50))
        plan = MaxCoverage.from_cost_matrix([f"d{i}" for i in range(n)], [f"s{j}" for j in range(m)], cost,
                                            weights=w, p=p, limit=limit).solve()
        best = max(w[(cost[:, list(S)] <= limit).any(axis=1)].sum() for S in itertools.combinations(range(m), p))
        assert plan.status == "optimal"
        assert plan.objective == best
        assert plan.bound >= plan.objective - 1e-9
        assert len(plan.open_sites) <= p
        solvers.add(plan.extra["solver"])
    assert solvers == {"SCIP", "greedy + LP bound (GLOP)"}, solvers
