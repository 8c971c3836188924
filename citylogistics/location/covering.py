"""The coverage models: :class:`SetCovering` and :class:`MaxCoverage`.

Both reduce the model first (dominated sites removed, demand points with the
same covering set grouped) and hand it to the exact search of
:mod:`citylogistics.location.coverage`; with a budget SCIP solves the full
model through :mod:`citylogistics.location.mip`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import cast

import numpy as np

from citylogistics.errors import InputError
from citylogistics.location.base import _dedup_rows, _SitingModel
from citylogistics.location.coverage import solve_max_coverage_p, solve_set_cover, unique_rows
from citylogistics.location.mip import Scip as _Scip
from citylogistics.location.plan import LocationPlan

__all__ = ["SetCovering", "MaxCoverage"]


# ============================================================= set covering
@dataclass(frozen=True, eq=False)
class SetCovering(_SitingModel):
    r"""Location set covering: fewest sites (or least fixed cost) so that every
    demand point is within ``limit`` of an open site.

    Formulation (``N_i = {j : c_ij <= limit, j allowed}``)::

        min   sum_j a_j y_j                a_j = 1 (minimize="sites") or f_j ("cost")
        s.t.  sum_{j in N_i} y_j >= 1      for every i with N_i non-empty
              sum_j f_j y_j <= B           (budget, optional)
              y_j = 1 (required), y_j = 0 (forbidden), y binary

    Points with an empty ``N_i`` cannot be covered by any site: they are left
    unassigned (reason ``"no candidate within limit"``) instead of making the
    model infeasible. The objective tie-break among equal counts is arbitrary.

    Without a budget the model is solved by
    :func:`citylogistics.location.coverage.solve_set_cover` (greedy cover, LP
    bound, reduced-cost fixing, SCIP on what is left); with one, SCIP solves
    the full model.
    """

    limit: float = math.inf
    minimize: str = "sites"

    _model_name = "set_covering"

    def _check(self):
        if not (self.limit >= 0):
            raise InputError(f"limit must be >= 0, got {self.limit!r}", source=self.source, where="limit")
        if self.minimize not in ("sites", "cost"):
            raise InputError("minimize must be 'sites' or 'cost'", source=self.source, where="minimize")
        if self.minimize == "cost" and self.fixed_cost_cny is None:
            raise InputError("minimize='cost' needs fixed_cost_cny", source=self.source, where="fixed_cost_cny")

    def solve(self, *, time_limit_s: float = 60.0, seed: int = 0) -> LocationPlan:
        """Solve with SCIP; see the class docstring for the formulation."""
        t0 = time.perf_counter()
        within = (self.cost <= self.limit) & self.allowed_mask[None, :]
        coverable = within.any(axis=1)
        dominated = _dominated_sites(
            within[coverable],
            required=self.required_mask,
            allowed=self.allowed_mask,
            fixed_cost=self.fixed_cost_cny if (self.minimize == "cost" or self.budget_cny is not None) else None,
        )
        # minimize="cost" needs fixed_cost_cny (checked on construction)
        a = np.ones(self.n_sites) if self.minimize == "sites" else cast(np.ndarray, self.fixed_cost_cny)
        extra = {
            "limit": self.limit,
            "minimize": self.minimize,
            "uncoverable_points": int((~coverable).sum()),
            "solver": "SCIP",
        }
        if self.budget_cny is None:
            rows = within[coverable] & ~dominated[None, :]
            result = solve_set_cover(
                rows,
                a,
                allowed=self.allowed_mask & ~dominated,
                required=self.required_mask,
                time_limit_s=time_limit_s,
                seed=seed,
            )
            extra.update(result.info)
            extra["solver"] = result.solver
            open_mask, bound, status = result.open_mask, result.bound, result.status
            seconds = time.perf_counter() - t0
            return self._cover_plan(open_mask, a, bound, status, seconds, coverable, extra)
        scip = _Scip(time_limit_s=time_limit_s, seed=seed, name=self._model_name)
        s = scip.solver
        y = self._add_site_vars(scip)
        for j in np.flatnonzero(dominated):
            y[j].SetUb(0)
        rows = _dedup_rows(within[coverable] & ~dominated[None, :])
        for cols in rows:  # low-level API: cheaper than the natural one on small models
            row = s.Constraint(1.0, s.infinity())
            for site in cols:
                row.SetCoefficient(y[site], 1.0)
        if len(rows) <= 2000:
            scip.add_params("presolving/maxrounds = 0")
        objective_fn = s.Objective()
        for j in np.flatnonzero(a != 0):
            objective_fn.SetCoefficient(y[j], float(a[j]))
        objective_fn.SetMinimization()
        status, obj, bound, _ = scip.solve()
        seconds = time.perf_counter() - t0
        if status in ("infeasible", "timeout"):
            return self._empty_plan(status, bound, seconds, extra)
        open_mask = np.array([v.solution_value() > 0.5 for v in y])
        return self._cover_plan(open_mask, a, bound, status, seconds, coverable, extra)

    def _cover_plan(self, open_mask, a, bound, status, seconds, coverable, extra) -> LocationPlan:
        assign = self._nearest_open(open_mask, self.limit)
        objective = float(a[open_mask].sum())
        reasons = {self.demand_ids[i]: "no candidate within limit" for i in np.flatnonzero(~coverable)}
        if reasons:
            extra["unassigned_reason"] = reasons
        return self._plan(
            open_mask=open_mask,
            assign=assign,
            objective=objective,
            bound=bound,
            status=status,
            seconds=seconds,
            extra=extra,
        )


def _dominated_sites(
    within: np.ndarray, *, required: np.ndarray, allowed: np.ndarray, fixed_cost: np.ndarray | None
) -> np.ndarray:
    """Sites whose coverage set is inside another allowed site's set (no dearer).

    Removing them keeps an optimal solution of coverage models: swap a
    dominated site for its dominator. Among equal sets the lowest index stays.
    Required sites are never removed (they stay open anyway).
    """
    from scipy.sparse import csc_matrix

    a = csc_matrix(unique_rows(within)[0], dtype=np.float64)
    overlap = (a.T @ a).tocoo()
    size = np.asarray(a.sum(axis=0)).ravel()
    j, k, v = overlap.row, overlap.col, overlap.data
    cand = (j != k) & (v >= size[j] - 0.5) & allowed[k] & allowed[j] & ~required[j]
    if fixed_cost is not None:
        cand &= fixed_cost[k] <= fixed_cost[j]
    equal = size[k] <= size[j] + 0.5
    if fixed_cost is not None:
        equal &= fixed_cost[k] >= fixed_cost[j]
    # strict superset dominates; an equal set dominates only from a lower index
    cand &= ~equal | (k < j)
    out = np.zeros(within.shape[1], dtype=bool)
    out[j[cand]] = True
    out &= size >= 0
    return out


# ============================================================ max coverage
@dataclass(frozen=True, eq=False)
class MaxCoverage(_SitingModel):
    r"""Maximal covering location: at most ``p`` sites, most demand within ``limit``.

    Formulation (``N_i = {j : c_ij <= limit, j allowed}``)::

        max   sum_i w_i z_i
        s.t.  z_i <= sum_{j in N_i} y_j    for every i
              sum_j y_j <= p               (if p given)
              sum_j f_j y_j <= B           (budget, optional)
              y_j = 1 (required), y_j = 0 (forbidden), y binary, 0 <= z_i <= 1

    Demand points with the same ``N_i`` are aggregated into one ``z`` (their
    weights summed), which shrinks province-size models without changing the
    optimum. ``z`` is continuous: for fixed binary ``y`` its optimum is 0/1.
    The bound is an upper bound (maximisation). At least one of ``p`` and
    ``budget_cny`` must be given.

    Without a budget, the model is solved by
    :func:`citylogistics.location.coverage.solve_max_coverage_p`: local search for
    the incumbent, the LP bound (GLOP) to certify it, reduced-cost fixing and
    SCIP on the remaining sites only when the LP cannot. With a budget, SCIP
    solves the full model.
    """

    limit: float = math.inf
    p: int | None = None

    _model_name = "max_coverage"

    def _check(self):
        if not (self.limit >= 0):
            raise InputError(f"limit must be >= 0, got {self.limit!r}", source=self.source, where="limit")
        if self.p is None and self.budget_cny is None:
            raise InputError("give p (number of sites) or budget_cny", source=self.source, where="p")
        self._check_p(self.p)

    def solve(self, *, time_limit_s: float = 60.0, seed: int = 0) -> LocationPlan:
        """Solve with SCIP; see the class docstring for the formulation."""
        t0 = time.perf_counter()
        within = (self.cost <= self.limit) & self.allowed_mask[None, :]
        pos = self.weights > 0
        dominated = _dominated_sites(
            within[pos], required=self.required_mask, allowed=self.allowed_mask, fixed_cost=self.fixed_cost_cny
        )
        within = within & ~dominated[None, :]
        # Demand points with the same covering set form one group (its first point
        # stands for it, the weights add up).
        idx = np.flatnonzero(pos & within.any(axis=1))
        _, inverse = unique_rows(within[idx])
        _, first = np.unique(inverse, return_index=True)
        group_w = np.bincount(inverse, weights=self.weights[idx], minlength=first.size)
        order = np.argsort(first, kind="stable")  # groups in order of their first point
        members, member_w = idx[first[order]], group_w[order]
        extra = {
            "limit": self.limit,
            "p": self.p,
            "solver": "SCIP",
            "n_groups": int(members.size),
            "dominated_sites": int(dominated.sum()),
        }
        if self.budget_cny is None and self.p is not None and members.size:
            result = solve_max_coverage_p(
                within[members],
                member_w,
                p=int(self.p),
                allowed=self.allowed_mask & ~dominated,
                required=self.required_mask,
                time_limit_s=time_limit_s,
                seed=seed,
            )
            extra.update(result.info)
            extra["solver"] = result.solver
            return self._coverage_plan(
                result.open_mask, result.bound, result.status, time.perf_counter() - t0, within, extra
            )
        scip = _Scip(time_limit_s=time_limit_s, seed=seed, name=self._model_name)
        s = scip.solver
        y = self._add_site_vars(scip)
        for j in np.flatnonzero(dominated):
            y[j].SetUb(0)
        if self.p is not None:
            s.Add(sum(y) <= int(self.p))
        # Rows through the low-level API (the natural-language API costs more than
        # SCIP's own solve on small instances).
        objective_fn = s.Objective()
        for g, (i, w) in enumerate(zip(members, member_w)):
            z = s.NumVar(0, 1, f"z{g}")
            row = s.Constraint(-s.infinity(), 0.0)
            row.SetCoefficient(z, 1.0)
            for j in np.flatnonzero(within[i]):
                row.SetCoefficient(y[j], -1.0)
            objective_fn.SetCoefficient(z, float(w))
        objective_fn.SetMaximization()
        status, objv, bound, _ = scip.solve(maximize=True)
        seconds = time.perf_counter() - t0
        if status in ("infeasible", "timeout"):
            return self._empty_plan(status, bound, seconds, extra)
        open_mask = np.array([v.solution_value() > 0.5 for v in y])
        return self._coverage_plan(open_mask, bound, status, seconds, within, extra)

    def _coverage_plan(
        self, open_mask: np.ndarray, bound: float, status: str, seconds: float, within: np.ndarray, extra: dict
    ) -> LocationPlan:
        assign = self._nearest_open(open_mask, self.limit)
        covered = assign >= 0
        objective = float(self.weights[covered].sum())
        if not math.isfinite(bound):
            bound = float(self.weights.sum())
        reasons = {}
        for i in np.flatnonzero(~covered):
            reasons[self.demand_ids[i]] = (
                "no candidate within limit" if not within[i].any() else "not covered by the chosen sites (p/budget)"
            )
        if reasons:
            extra["unassigned_reason"] = reasons
        return self._plan(
            open_mask=open_mask,
            assign=assign,
            objective=objective,
            bound=max(bound, objective),
            status=status,
            seconds=seconds,
            extra=extra,
        )
