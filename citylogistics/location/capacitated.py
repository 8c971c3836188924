"""The capacitated facility-location model: :class:`CapacitatedFacilityLocation`
(fixed opening costs, assignment costs, capacities; single or split sourcing),
solved on SCIP through :mod:`citylogistics.location.mip`, with a greedy plan
when SCIP has no incumbent in time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from citylogistics.errors import InputError
from citylogistics.location.base import (
    _assignment_block,
    _BuildTimeout,
    _read_single,
    _readonly,
    _renamed,
    _SitingModel,
)
from citylogistics.location.mip import Scip as _Scip
from citylogistics.location.plan import LocationPlan

__all__ = ["CapacitatedFacilityLocation"]


# ======================================================== capacitated CFL
@dataclass(frozen=True, eq=False)
class CapacitatedFacilityLocation(_SitingModel):
    r"""Capacitated facility location with fixed opening costs.

    Formulation (``x_ij`` share of point ``i``'s demand served by site ``j``)::

        min   sum_j f_j y_j + sum_ij a_ij x_ij
        s.t.  sum_j x_ij = 1                          every i
              x_ij <= y_j                              (strong linking)
              sum_i w_i x_ij <= Q_j y_j                every j
              sum_j Q_j y_j >= sum_i w_i               (aggregate capacity cut)
              sum_j y_j <= p (optional), sum_j f_j y_j <= B (optional)
              y binary; x binary (sourcing="single") or in [0, 1] ("split")

    ``a_ij = w_i c_ij`` (``c`` per unit of demand), or ``a_ij = c_ij`` when
    ``cost_is_total=True`` (OR-Library ``cap`` convention). Objective in CNY
    when ``c`` is a cost; ``extra["fixed_cost_cny"]`` and
    ``extra["assignment_cost"]`` split it.
    """

    capacities: np.ndarray | None = None
    sourcing: str = "single"
    cost_is_total: bool = False
    p: int | None = None

    _model_name = "cfl"

    def _check(self):
        src = self.source
        if self.sourcing not in ("single", "split"):
            raise InputError("sourcing must be 'single' or 'split'", source=src, where="sourcing")
        if self.fixed_cost_cny is None:
            object.__setattr__(self, "fixed_cost_cny", _readonly(np.zeros(self.n_sites)))
        if self.capacities is None:
            raise InputError(
                "capacities are required (one per site; use inf for unlimited)", source=src, where="capacities"
            )
        self._check_p(self.p)
        object.__setattr__(self, "capacities", self._check_capacity(self.capacities, self.p))
        reach = (np.isfinite(self.cost) & self.allowed_mask[None, :]).any(axis=1)
        if not reach.all():
            i = int(np.flatnonzero(~reach)[0])
            raise InputError(
                "demand point has no allowed site at finite cost; give it a finite cost to some site or drop it",
                source=src,
                where=f"demand {self.demand_ids[i]!r}",
            )
        if self.sourcing == "single":
            big = self.weights > np.max(np.where(self.allowed_mask, self.capacities, 0))
            if big.any():
                i = int(np.flatnonzero(big)[0])
                raise InputError(
                    f"demand {self.weights[i]:,.2f} exceeds every site capacity, so "
                    "single sourcing is impossible; use sourcing='split' or raise "
                    "capacities",
                    source=src,
                    where=f"weights[{self.demand_ids[i]!r}]",
                )

    def _greedy_or_empty(self, t0: float, bound: float, extra: dict, unit: np.ndarray) -> LocationPlan:
        """No incumbent in time: the greedy construction (see :func:`_greedy_cfl`)
        with SCIP's bound or the cheapest-assignment bound; an empty plan if it fails."""
        built = _greedy_cfl(self, unit)
        if built is None:
            return self._empty_plan("timeout", bound, time.perf_counter() - t0, extra)
        open_mask, assign = built
        acost = float(unit[np.arange(self.n_demand), assign].sum())
        objective = float(self._fixed_cost[open_mask].sum()) + acost
        trivial = float(np.where(self.allowed_mask[None, :], unit, np.inf).min(axis=1).sum())
        best = max(bound, trivial) if math.isfinite(bound) else trivial
        load = np.bincount(assign, weights=self.weights, minlength=self.n_sites)
        extra = {
            **extra,
            "fallback": "greedy",
            "assignment_cost": acost,
            "load": {self.site_ids[j]: float(load[j]) for j in np.flatnonzero(load > 1e-9)},
        }
        return self._plan(
            open_mask=open_mask,
            assign=assign,
            objective=objective,
            bound=min(best, objective),
            status="feasible",
            seconds=time.perf_counter() - t0,
            extra=extra,
        )

    @property
    def _fixed_cost(self) -> np.ndarray:
        """``fixed_cost_cny``: never None once checked (zeros when not given)."""
        return cast(np.ndarray, self.fixed_cost_cny)

    @property
    def _capacities(self) -> np.ndarray:
        """``capacities``: required, so never None once checked."""
        return cast(np.ndarray, self.capacities)

    @property
    def _unit_cost(self) -> np.ndarray:
        return self.cost if self.cost_is_total else self.weights[:, None] * self.cost

    def solve(self, *, time_limit_s: float = 60.0, seed: int = 0) -> LocationPlan:
        """Solve with SCIP; see the class docstring for the formulation."""
        t0 = time.perf_counter()
        scip = _Scip(time_limit_s=time_limit_s, seed=seed, name=self._model_name)
        s = scip.solver
        y = self._add_site_vars(scip)
        if self.p is not None:
            s.Add(sum(y) <= int(self.p))
        cap = np.where(np.isfinite(self._capacities), self._capacities, float(self.weights.sum()) + 1.0)
        unit = self._unit_cost
        name = f"cfl_{self.sourcing}"
        extra: dict[str, Any] = {"sourcing": self.sourcing, "p": self.p, "solver": "SCIP"}
        try:
            x, assign_obj = _assignment_block(
                self, scip, y, binary=self.sourcing == "single", capacities=cap, unit_cost=unit
            )
        except _BuildTimeout:
            return _renamed(
                self._greedy_or_empty(t0, math.nan, {**extra, "stopped": "model building hit the time limit"}, unit),
                name,
            )
        fixed = self._fixed_cost
        s.Minimize(sum(float(fixed[j]) * y[j] for j in range(self.n_sites) if fixed[j] > 0) + assign_obj)
        status, objv, bound, _ = scip.solve()
        seconds = time.perf_counter() - t0
        if status == "timeout":
            return _renamed(self._greedy_or_empty(t0, bound, extra, unit), name)
        if status == "infeasible":
            return _renamed(self._empty_plan(status, bound, seconds, extra), name)
        open_mask = np.array([v.solution_value() > 0.5 for v in y])
        assign = _read_single(self, x)
        split: dict[str, dict[str, float]] = {}
        load = np.zeros(self.n_sites)
        acost = 0.0
        for (i, j), v in x.items():
            val = v.solution_value()
            if val > 1e-7:
                load[j] += val * self.weights[i]
                acost += val * unit[i, j]
                if val < 1 - 1e-7:
                    split.setdefault(self.demand_ids[i], {})[self.site_ids[j]] = round(val, 9)
        extra["assignment_cost"] = float(acost)
        extra["load"] = {self.site_ids[j]: float(load[j]) for j in np.flatnonzero(load > 1e-9)}
        if split:
            extra["split"] = split
        plan = self._plan(
            open_mask=open_mask,
            assign=assign,
            objective=objv,
            bound=min(bound, objv),
            status=status,
            seconds=seconds,
            extra=extra,
        )
        return _renamed(plan, name)


def _greedy_cfl(model, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """A single-sourcing construction for capacitated facility location (also
    feasible for split sourcing): open required sites, then the cheapest sites
    per unit of capacity until capacity covers demand; assign demand points,
    heaviest first, to the open site with room and the lowest cost, opening the
    cheapest site with room when none has.  ``None`` when that fails (p, budget)."""
    if model.budget_cny is not None:
        return None
    allowed = model.allowed_mask
    cap = np.where(np.isfinite(model.capacities), model.capacities, float(model.weights.sum()) + 1.0)
    fixed = model.fixed_cost_cny
    open_mask = model.required_mask.copy()
    order = np.argsort(fixed / np.maximum(cap, 1e-9), kind="stable")
    for j in order:
        if cap[open_mask].sum() >= model.weights.sum():
            break
        if allowed[j] and not open_mask[j]:
            open_mask[j] = True
    room = np.where(open_mask, cap, 0.0).astype(float)
    assign = np.full(model.n_demand, -1)
    for i in np.argsort(-model.weights, kind="stable"):
        w = model.weights[i]
        fits = open_mask & (room >= w - 1e-9) & np.isfinite(unit[i])
        if not fits.any():
            new = allowed & ~open_mask & (cap >= w - 1e-9) & np.isfinite(unit[i])
            if not new.any():
                return None
            j = int(np.flatnonzero(new)[np.argmin((unit[i] + fixed)[new])])
            open_mask[j] = True
            room[j] = cap[j]
        else:
            j = int(np.flatnonzero(fits)[np.argmin(unit[i][fits])])
        assign[i] = j
        room[j] -= w
    if model.p is not None and open_mask.sum() > model.p:
        return None
    return open_mask, assign
