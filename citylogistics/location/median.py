"""The p-median and p-center models: :class:`PMedian` and :class:`PCenter`.

The p-median is solved on SCIP (radius formulation, or the classic one with
capacities) or by the Lagrangian of :mod:`citylogistics.location.lagrangian`;
the p-center by bisection over radii with set-covering tests.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from citylogistics.errors import InputError
from citylogistics.location.base import (
    _assignment_block,
    _BuildTimeout,
    _dedup_rows,
    _loads,
    _read_single,
    _SitingModel,
)
from citylogistics.location.coverage import solve_set_cover
from citylogistics.location.mip import Scip as _Scip
from citylogistics.location.plan import LocationPlan

__all__ = ["PMedian", "PCenter"]


# ================================================================ p-median
@dataclass(frozen=True, eq=False)
class PMedian(_SitingModel):
    r"""p-median: open exactly ``p`` sites, minimise demand-weighted travel.

    Uncapacitated formulation (Elloumi 2010, "radius" form; sparse chained
    variant). For each demand point ``i`` let ``D_i^1 < … < D_i^{K_i}`` be the
    distinct finite costs to allowed sites and ``S_i^k = {j : c_ij = D_i^k}``::

        min   sum_i w_i (D_i^1 + sum_{k<K_i} (D_i^{k+1} - D_i^k) z_i^k)
        s.t.  z_i^1 + sum_{j in S_i^1} y_j >= 1
              z_i^k - z_i^{k-1} + sum_{j in S_i^k} y_j >= 0     k = 2..K_i-1
              sum_{j: c_ij < inf} y_j >= 1                     (only if some pair is inf)
              sum_j y_j = p,   sum_j f_j y_j <= B (optional)
              y binary, z >= 0

    ``z_i^k = 1`` means "no open site within ``D_i^k``"; the chain makes the
    matrix O(n m) non-zeros while keeping the LP bound of the classic
    formulation. Levels at which ``i`` already sees ``m_allowed - p + 1`` sites
    are dropped (at least one of them is open in any solution, also in the LP).

    With ``capacities`` (single sourcing: each point to one site) the classic
    formulation is used instead::

        min   sum_ij w_i c_ij x_ij
        s.t.  sum_j x_ij = 1,  x_ij <= y_j,  sum_i w_i x_ij <= Q_j y_j,  sum_j y_j = p

    Without capacities each point is assigned to its nearest open site.
    """

    p: int = 1
    capacities: np.ndarray | None = None

    _model_name = "p_median"

    def _check(self):
        self._check_p(self.p)
        q = self._check_capacity(self.capacities, self.p)
        object.__setattr__(self, "capacities", q)
        self._check_every_point_reachable()

    def solve(self, *, time_limit_s: float = 60.0, seed: int = 0, method: str = "auto") -> LocationPlan:
        """Solve exactly (up to the time limit); see the class docstring.

        Parameters
        ----------
        method
            ``"mip"``: the radius formulation on SCIP directly.
            ``"lagrangian"``: Lagrangian bound + fast interchange + reduced-cost
            fixing, then the radius MIP on the sites left
            (:mod:`citylogistics.location.lagrangian`); much faster on OR-Library
            pmed. ``"auto"`` (default): ``"lagrangian"`` unless a budget is
            set (the Lagrangian ignores budgets) or capacities are given (then
            the classic capacitated formulation is used).

        Returns
        -------
        LocationPlan
            ``objective`` = sum of ``w_i * c_i,site(i)``; ``bound`` a proven
            lower bound.
        """
        if method not in ("auto", "mip", "lagrangian"):
            raise InputError("method must be 'auto', 'mip' or 'lagrangian'", source=self.source, where="method")
        if self.capacities is not None:
            return self._solve_capacitated(time_limit_s=time_limit_s, seed=seed)
        if method == "lagrangian" or (method == "auto" and self.budget_cny is None):
            return self._solve_lagrangian(time_limit_s=time_limit_s, seed=seed)
        return self._solve_radius_mip(time_limit_s=time_limit_s, seed=seed)

    def _solve_radius_mip(self, *, time_limit_s: float, seed: int) -> LocationPlan:
        """The chained radius formulation (class docstring) on SCIP."""
        t0 = time.perf_counter()
        scip = _Scip(time_limit_s=time_limit_s, seed=seed, name=self._model_name)
        s = scip.solver
        y = self._add_site_vars(scip)
        s.Add(sum(y) == int(self.p))
        m_allowed = int(self.allowed_mask.sum())
        objective_terms: list[Any] = []  # linear expressions of the solver
        const = 0.0
        n_rows = 0
        for i in range(self.n_demand):
            if i % 64 == 0 and scip.expired():
                extra = {"p": self.p, "solver": "SCIP", "stopped": "model building hit the time limit"}
                if self.budget_cny is None:
                    return self._greedy_plan(t0, math.nan, extra)
                return self._empty_plan("timeout", math.nan, time.perf_counter() - t0, extra)
            w = float(self.weights[i])
            if w <= 0:
                continue
            const_i, rows_i = self._add_radius_rows(s, y, i, w, m_allowed, objective_terms)
            const += const_i
            n_rows += rows_i
        s.Minimize(sum(objective_terms) + const if objective_terms else const)
        status, _, bound, _ = scip.solve()
        seconds = time.perf_counter() - t0
        extra = {"p": self.p, "solver": "SCIP", "formulation": "elloumi-chained", "n_radius_rows": n_rows}
        if status == "timeout" and self.budget_cny is None:
            return self._greedy_plan(t0, bound, extra)
        if status in ("infeasible", "timeout"):
            return self._empty_plan(status, bound, seconds, extra)
        open_mask = np.array([v.solution_value() > 0.5 for v in y])
        assign = self._nearest_open(open_mask)
        objective = float((self.weights * self.cost[np.arange(self.n_demand), assign]).sum())
        return self._plan(
            open_mask=open_mask,
            assign=assign,
            objective=objective,
            bound=min(bound, objective),
            status=status,
            seconds=seconds,
            extra=extra,
        )

    def _add_radius_rows(
        self, s, y: list, i: int, w: float, m_allowed: int, objective_terms: list
    ) -> tuple[float, int]:
        """Demand point ``i``'s chain of radius rows; appends its objective terms and
        returns (its constant ``w_i D_i^1``, the number of rows added)."""
        c = self.cost[i]
        cols = np.flatnonzero(self.allowed_mask & np.isfinite(c))
        order = cols[np.argsort(c[cols], kind="stable")]
        vals = c[order]
        levels, starts = np.unique(vals, return_index=True)
        if len(cols) < m_allowed:
            s.Add(sum(y[j] for j in cols) >= 1)
        counts = np.append(starts[1:], len(order))  # sites seen up to each level
        prev = None
        n_rows = 0
        for k in range(len(levels) - 1):
            if counts[k] >= m_allowed - self.p + 1:
                break  # some site within D^k is open in every solution
            z = s.NumVar(0, 1, "")
            group = order[starts[k] : counts[k]]
            if prev is None:
                s.Add(z + sum(y[j] for j in group) >= 1)
            else:
                s.Add(z - prev + sum(y[j] for j in group) >= 0)
            n_rows += 1
            objective_terms.append(w * float(levels[k + 1] - levels[k]) * z)
            prev = z
        return w * float(levels[0]), n_rows

    def _greedy_plan(self, t0: float, bound: float, extra: dict) -> LocationPlan:
        """No incumbent in time: the greedy plan with SCIP's bound (or the nearest-site
        bound, valid for any p), so a caller always gets the best plan found."""
        open_mask = self._greedy_open()
        assign = self._nearest_open(open_mask)
        objective = float((self.weights * self.cost[np.arange(self.n_demand), assign]).sum())
        c = np.where(self.allowed_mask[None, :], self.cost, np.inf).min(axis=1)
        trivial = float((self.weights * c).sum())
        best = max(bound, trivial) if math.isfinite(bound) else trivial
        return self._plan(
            open_mask=open_mask,
            assign=assign,
            objective=objective,
            bound=min(best, objective),
            status="feasible",
            seconds=time.perf_counter() - t0,
            extra={**extra, "fallback": "greedy"},
        )

    def _greedy_open(self) -> np.ndarray:
        """Greedy p-median: required sites, then repeatedly the allowed site that
        lowers the weighted cost most (ties: lowest index)."""
        allowed = self.allowed_mask
        open_mask = self.required_mask.copy()
        big = np.where(np.isfinite(self.cost), self.cost, 1e18)
        current = (
            np.where(open_mask[None, :], big, 1e18).min(axis=1) if open_mask.any() else np.full(self.n_demand, 1e18)
        )
        while open_mask.sum() < self.p:
            cand = np.flatnonzero(allowed & ~open_mask)
            totals = (self.weights[:, None] * np.minimum(current[:, None], big[:, cand])).sum(axis=0)
            j = int(cand[int(np.argmin(totals))])
            open_mask[j] = True
            current = np.minimum(current, big[:, j])
        return open_mask

    def _solve_lagrangian(self, *, time_limit_s: float, seed: int) -> LocationPlan:
        from citylogistics.location.lagrangian import SparseCosts, SparsePMedian

        t0 = time.perf_counter()
        cost = self.cost

        def exact(open_mask):
            assign = self._nearest_open(open_mask)
            ok = assign >= 0
            c = np.full(self.n_demand, np.inf)
            c[ok] = cost[np.flatnonzero(ok), assign[ok]]
            return c, assign

        sp = SparsePMedian(
            self.demand_ids,
            self.site_ids,
            SparseCosts.from_dense(cost),
            self.weights,
            int(self.p),
            required_sites=self.required_sites,
            forbidden_sites=self.forbidden_sites,
            exact_cost=exact,
            source=self.source,
        )
        res = sp.solve(time_limit_s=time_limit_s, seed=seed)
        open_mask = np.isin(np.array(self.site_ids), np.array(res.open_sites))
        assign = self._nearest_open(open_mask)
        extra = dict(res.extra)
        return self._plan(
            open_mask=open_mask,
            assign=assign,
            objective=res.objective,
            bound=min(res.bound, res.objective),
            status=res.status,
            seconds=time.perf_counter() - t0,
            extra=extra,
        )

    def _solve_capacitated(self, *, time_limit_s: float, seed: int) -> LocationPlan:
        t0 = time.perf_counter()
        scip = _Scip(time_limit_s=time_limit_s, seed=seed, name=self._model_name)
        s = scip.solver
        y = self._add_site_vars(scip)
        s.Add(sum(y) == int(self.p))
        try:
            x, obj = _assignment_block(
                self, scip, y, binary=True, capacities=self.capacities, unit_cost=self.weights[:, None] * self.cost
            )
        except _BuildTimeout:
            return self._empty_plan(
                "timeout",
                math.nan,
                time.perf_counter() - t0,
                {"p": self.p, "solver": "SCIP", "stopped": "model building hit the time limit"},
            )
        s.Minimize(obj)
        status, objv, bound, _ = scip.solve()
        seconds = time.perf_counter() - t0
        extra = {"p": self.p, "solver": "SCIP", "formulation": "classic-capacitated", "capacities": True}
        if status in ("infeasible", "timeout"):
            return self._empty_plan(status, bound, seconds, extra)
        open_mask = np.array([v.solution_value() > 0.5 for v in y])
        assign = _read_single(self, x)
        extra["load"] = _loads(self, assign)
        return self._plan(
            open_mask=open_mask,
            assign=assign,
            objective=objv,
            bound=min(bound, objv),
            status=status,
            seconds=seconds,
            extra=extra,
        )


# ================================================================ p-center
@dataclass(frozen=True, eq=False)
class PCenter(_SitingModel):
    r"""p-center: open at most ``p`` sites, minimise the worst travel of any
    demand point with positive weight (weights only select points here).

    Solved exactly by bisection on the sorted distinct costs ``r``; each step
    is a set-covering decision (without a budget, by
    :func:`citylogistics.location.coverage.solve_set_cover` with ``decide_at
    = p``; with one, a SCIP MIP)::

        min   sum_j y_j
        s.t.  sum_{j : c_ij <= r, j allowed} y_j >= 1   for every i with w_i > 0
              sum_j f_j y_j <= B (optional), required/forbidden fixed

    ``r`` is feasible iff the optimum is ``<= p``. The lower bound is the
    largest ``r`` proven infeasible (SCIP's bound ``> p``) or ``max_i min_j
    c_ij``; the objective is the smallest feasible ``r`` found.
    """

    p: int = 1

    _model_name = "p_center"

    def _check(self):
        self._check_p(self.p)
        self._check_every_point_reachable()

    def _cover_test(self, r: float, *, time_limit_s: float, seed: int):
        """Return (verdict, open_mask): verdict in 'yes', 'no', 'unknown'."""
        within = (self.cost[self.weights > 0] <= r + 1e-9) & self.allowed_mask[None, :]
        if self.budget_cny is None:
            res = solve_set_cover(
                within,
                np.ones(self.n_sites),
                allowed=self.allowed_mask,
                required=self.required_mask,
                time_limit_s=time_limit_s,
                seed=seed,
                decide_at=float(self.p),
            )
            if res.value <= self.p + 1e-6:
                return "yes", res.open_mask
            if res.bound > self.p + 1e-6:
                return "no", None
            return "unknown", None
        scip = _Scip(time_limit_s=time_limit_s, seed=seed, name="p_center/cover")
        s = scip.solver
        y = self._add_site_vars(scip)
        for cols in _dedup_rows(within):
            s.Add(sum(y[j] for j in cols) >= 1)
        s.Minimize(sum(y))
        status, obj, bound, _ = scip.solve()
        if status == "infeasible":
            return "no", None
        if status in ("optimal", "feasible") and obj <= self.p + 1e-6:
            return "yes", np.array([v.solution_value() > 0.5 for v in y])
        if math.isfinite(bound) and bound > self.p + 1e-6:
            return "no", None
        return "unknown", None

    def solve(self, *, time_limit_s: float = 60.0, seed: int = 0) -> LocationPlan:
        """Bisection over candidate radii; see the class docstring."""
        t0 = time.perf_counter()
        allowed = self.allowed_mask
        pos = self.weights > 0
        c = np.where(allowed[None, :], self.cost, np.inf)[pos]
        if not pos.any():
            open_mask = self.required_mask.copy()
            if not open_mask.any():
                open_mask[np.flatnonzero(allowed)[0]] = True
            return self._plan(
                open_mask=open_mask,
                assign=self._nearest_open(open_mask),
                objective=0.0,
                bound=0.0,
                status="optimal",
                seconds=time.perf_counter() - t0,
                extra={"p": self.p},
            )
        lb_value = float(c.min(axis=1).max())
        radii = np.unique(c[np.isfinite(c)])
        radii = radii[radii >= lb_value]
        lo, hi = 0, len(radii) - 1  # answer index in [lo, hi]
        best_mask, best_idx = None, None
        proven_lb = lb_value
        n_tests, timed_out = 0, False
        # greedy warm start narrows hi cheaply
        g_mask = _greedy_center(c, self.p, self.required_mask, allowed)
        if g_mask is not None:
            g_r = float(np.min(np.where(g_mask[None, :], c, np.inf), axis=1).max())
            best_mask, best_idx = g_mask, int(np.searchsorted(radii, g_r))
            hi = best_idx
        while lo < hi or best_mask is None:
            remaining = time_limit_s - (time.perf_counter() - t0)
            if remaining <= 0.05:
                timed_out = True
                break
            mid = (lo + hi) // 2
            verdict, mask = self._cover_test(float(radii[mid]), time_limit_s=remaining, seed=seed)
            n_tests += 1
            if verdict == "yes":
                best_mask, best_idx, hi = mask, mid, mid
            elif verdict == "no":
                proven_lb = max(proven_lb, float(radii[mid + 1]) if mid + 1 < len(radii) else math.inf)
                lo = mid + 1
                if lo > hi and best_mask is None:
                    break
            else:
                timed_out = True
                break
        seconds = time.perf_counter() - t0
        extra = {
            "p": self.p,
            "solver": "bisection on set-covering tests" if self.budget_cny is None else "SCIP bisection",
            "cover_tests": n_tests,
        }
        if best_mask is None:
            status = "timeout" if timed_out else "infeasible"
            return self._empty_plan(status, proven_lb, seconds, extra)
        assign = self._nearest_open(best_mask)
        rows = np.flatnonzero(pos)
        objective = float(self.cost[rows, assign[rows]].max())
        status = "optimal" if (not timed_out and lo >= hi) else "feasible"
        if status == "optimal":
            proven_lb = objective
        return self._plan(
            open_mask=best_mask,
            assign=assign,
            objective=objective,
            bound=min(proven_lb, objective),
            status=status,
            seconds=seconds,
            extra=extra,
        )


def _greedy_center(c: np.ndarray, p: int, required: np.ndarray, allowed: np.ndarray):
    """Farthest-point greedy: repeatedly open the allowed site nearest the worst point."""
    mask = required.copy()
    if not mask.any():
        j0 = int(np.argmin(np.where(allowed, c.max(axis=0, initial=0, where=np.isfinite(c)), np.inf)))
        mask[j0] = True
    while mask.sum() < p:
        d = np.min(np.where(mask[None, :], c, np.inf), axis=1)
        worst = int(np.argmax(d))
        row = np.where(allowed & ~mask, c[worst], np.inf)
        j = int(np.argmin(row))
        if not np.isfinite(row[j]):
            break
        mask[j] = True
    d = np.min(np.where(mask[None, :], c, np.inf), axis=1)
    return mask if np.isfinite(d).all() else None
