"""Phased station siting: which county hubs and town stations to open, and in
which year, to extend coverage over a horizon under yearly budgets and/or
coverage targets.

Formulation (one mixed-integer model per city, solved with SCIP through
OR-Tools ``pywraplp``)::

    sets      J candidates (T1 county hubs, T2 town stations), T years,
              G coverage groups: villages with the same set S_g ⊆ J of
              candidates within the coverage limit (merged; their weights add)
    data      c_j   one-off opening cost          w_g   weight (population or count) of group g
              B_t   opening budget of year t      τ_t   coverage target share of year t
              W     total weight of the city (incl. villages no candidate can cover)
              h(j)  the county hub that supplies station j
    vars      y_jt ∈ {0,1}  site j open in year t      z_gt ∈ [0,1]  group g covered in year t
              s_t ≥ 0       coverage shortfall against the target of year t
    s.t.      y_jt ≥ y_j,t-1                         (a site once opened stays open)
              y_jt = 1 for existing sites
              y_jt ≤ y_h(j),t                        (a town station needs its county hub)
              Σ_j c_j (y_jt − y_j,t-1) ≤ B_t          (yearly opening budget, not carried over)
              z_gt ≤ Σ_{j∈S_g} y_jt                  (covered only if a site within the limit is open)
              Σ_g w_g z_gt + s_t ≥ τ_t W             (coverage target, soft)
    objective with targets:    min Σ_t Σ_j c_j (y_jt − y_j,t-1) + P Σ_t s_t
              without targets: max Σ_t Σ_g w_g z_gt / W − ε Σ_t Σ_j c_j (y_jt − y_j,t-1) / C

``P`` is large enough that any coverage is worth more than any site; ``ε`` is
small enough that cost only breaks ties between equal coverage.  Grouping
villages by coverage set keeps the model small (a city's 3,000 villages give a
few hundred groups); villages that no candidate can cover are left out of the
model and reported as ``too_far``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from citylogistics.errors import InputError, SolverError
from citylogistics.location.mip import Scip


@dataclasses.dataclass(frozen=True)
class PhasedSitingResult:
    """Opening year of every candidate (``None``: never opened) and solver facts."""

    open_year: tuple[int | None, ...]
    status: str
    objective: float
    bound: float
    gap: float
    solve_time_s: float
    shortfall: tuple[float, ...]


def solve_phased_siting(
    cover: Sequence[np.ndarray],
    weights: np.ndarray,
    *,
    years: Sequence[int],
    open_cost: np.ndarray,
    existing: np.ndarray,
    parent: np.ndarray,
    budgets: Sequence[float | None],
    targets: Sequence[float | None],
    time_limit_s: float = 60.0,
    total_weight: float | None = None,
) -> PhasedSitingResult:
    """Solve the phased siting model above.

    Parameters
    ----------
    cover
        For each demand point, the indices of candidates within the coverage limit.
    weights
        Weight of each demand point (population or 1).
    years
        The phases in order.
    open_cost
        One-off opening cost of each candidate (CNY).
    existing
        Boolean: candidate is open before the first phase.
    parent
        Index of the candidate that must be open for this one to open (its
        county hub), or -1.
    budgets, targets
        Per year: opening budget (CNY) or ``None``; coverage target share or ``None``.

    SCIP runs through :class:`~citylogistics.location.mip.Scip` with SCIP's own
    seed, OR-Tools' default relative gap and the whole time limit for the solve.
    """
    weights = np.asarray(weights, dtype=float)
    if np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise InputError("demand weights must be finite and non-negative", where="weights")
    W = float(total_weight if total_weight is not None else weights.sum())
    T = len(years)
    groups = _coverage_groups(cover, weights)
    scip = Scip(time_limit_s=time_limit_s, seed=None, name="phased siting")
    solver = scip.solver
    y = _site_variables(solver, existing, parent, T)
    total_cost = _opening_costs(solver, y, open_cost, existing, budgets, T)
    covered = _coverage_shares(solver, y, existing, groups, W, T)
    slack = _target_slacks(solver, covered, targets, T)
    max_cost = float(np.sum(open_cost[~existing])) or 1.0
    if any(tt is not None for tt in targets):
        penalty = 1000.0 * max_cost
        solver.Minimize(total_cost + penalty * solver.Sum([s for s in slack if s is not None]))
    else:
        solver.Maximize(solver.Sum(covered) - 1e-4 * total_cost / max_cost)
    status, obj, bound, elapsed = scip.solve(rel_gap=None, charge_build=False)
    if status not in ("optimal", "feasible"):
        raise SolverError(
            f"the siting model found no solution in {time_limit_s:g} s (status {status}); "
            "raise plan.siting_time_limit_s"
        )
    gap = abs(obj - bound) / max(abs(obj), 1e-9) if status != "optimal" else 0.0
    return PhasedSitingResult(
        open_year=_opening_years(y, existing, years),
        status=status,
        objective=float(obj),
        bound=float(bound),
        gap=float(gap),
        solve_time_s=elapsed,
        shortfall=tuple(float(s.solution_value()) if s is not None else 0.0 for s in slack),
    )


def _coverage_groups(cover: Sequence[np.ndarray], weights: np.ndarray) -> dict[tuple[int, ...], float]:
    """Demand points with the same covering set, merged (weights add); points
    with no covering candidate or no weight are left out."""
    groups: dict[tuple[int, ...], float] = {}
    for sites, w in zip(cover, weights):
        if len(sites) and w > 0:
            key = tuple(sorted(int(j) for j in sites))
            groups[key] = groups.get(key, 0.0) + float(w)
    return groups


def _site_variables(solver, existing: np.ndarray, parent: np.ndarray, T: int) -> list[list]:
    """``y[j][t]`` (``None`` for existing sites), a site once open stays open, a
    station needs its county hub."""
    n_c = len(existing)
    y: list[list[Any]] = [
        [solver.BoolVar(f"y{j}_{t}") if not existing[j] else None for t in range(T)] for j in range(n_c)
    ]
    for j in range(n_c):
        if existing[j]:
            continue
        for t in range(1, T):
            solver.Add(y[j][t] >= y[j][t - 1])
        p = int(parent[j])
        if p >= 0 and not existing[p]:
            for t in range(T):
                solver.Add(y[j][t] <= y[p][t])
    return y


def _opening_costs(
    solver, y: list[list], open_cost: np.ndarray, existing: np.ndarray, budgets: Sequence[float | None], T: int
):
    """Each year's opening cost, capped by its budget; returns the total over the horizon."""
    n_c = len(open_cost)
    new_cost = []
    for t in range(T):
        terms = [open_cost[j] * (y[j][t] - (y[j][t - 1] if t else 0)) for j in range(n_c) if not existing[j]]
        cost_t = solver.Sum(terms) if terms else 0
        new_cost.append(cost_t)
        budget = budgets[t]
        if budget is not None and terms:
            solver.Add(cost_t <= float(budget))
    return solver.Sum(new_cost) if n_c else 0


def _coverage_shares(
    solver, y: list[list], existing: np.ndarray, groups: dict[tuple[int, ...], float], W: float, T: int
) -> list:
    """Per year, the covered share of the total weight ``W`` (``z_gt`` per group)."""

    def Y(j, t):
        return 1 if existing[j] else y[j][t]

    covered = []
    for t in range(T):
        expr = []
        for g, (sites, w) in enumerate(groups.items()):
            var = solver.NumVar(0, 1, f"z{g}_{t}")
            solver.Add(var <= solver.Sum([Y(j, t) for j in sites]))
            expr.append((w / W) * var if W > 0 else 0 * var)
        covered.append(solver.Sum(expr) if expr else 0)
    return covered


def _target_slacks(solver, covered: list, targets: Sequence[float | None], T: int) -> list:
    """Per year, the shortfall ``s_t`` against the coverage target (``None``: no target)."""
    slack = []
    for t in range(T):
        target = targets[t]
        if target is not None:
            s = solver.NumVar(0, 1, f"s{t}")
            solver.Add(covered[t] + s >= float(target))
            slack.append(s)
        else:
            slack.append(None)
    return slack


def _opening_years(y: list[list], existing: np.ndarray, years: Sequence[int]) -> tuple[int | None, ...]:
    """First year each candidate is open; existing ones the year before the horizon."""
    open_year: list[int | None] = []
    for j in range(len(existing)):
        if existing[j]:
            open_year.append(int(years[0]) - 1)
            continue
        first = next((years[t] for t in range(len(years)) if y[j][t].solution_value() > 0.5), None)
        open_year.append(None if first is None else int(first))
    return tuple(open_year)
