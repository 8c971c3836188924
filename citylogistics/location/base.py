"""Shared data, checks and plan building of the siting models.

:class:`_SitingModel` holds what every model of
:mod:`citylogistics.location.models` shares: the demand and site ids, the
``n × m`` cost matrix, weights, required/forbidden sites, fixed costs and a
budget, all validated when the model is built (bad input raises
:class:`~citylogistics.errors.InputError` naming the field); the two
constructors (``from_cost_matrix``, ``from_regions``); the SCIP site
variables; and the conversion of a solution into a
:class:`~citylogistics.location.plan.LocationPlan`. The assignment block
(``x_ij`` with capacities) used by the capacitated p-median and the
capacitated facility-location model lives here too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np

from citylogistics.errors import InputError
from citylogistics.location.coverage import unique_rows
from citylogistics.location.mip import Scip as _Scip
from citylogistics.location.plan import LocationPlan

__all__ = ["_SitingModel"]


def _gap(objective: float, bound: float) -> float:
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    return abs(objective - bound) / max(abs(objective), 1e-9)


# =============================================================== validation
def _ids(values: Iterable, what: str, source: str) -> tuple[str, ...]:
    ids = tuple(str(v) for v in values)
    seen = set()
    for k, v in enumerate(ids):
        if v in seen:
            raise InputError(f"duplicate id {v!r}; ids must be unique", source=source, where=f"{what}[{k}]")
        seen.add(v)
    return ids


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class _SitingModel:
    """Shared data and checks of all siting models (see module docstring)."""

    demand_ids: tuple[str, ...]
    site_ids: tuple[str, ...]
    cost: np.ndarray
    weights: np.ndarray
    required_sites: tuple[str, ...] = ()
    forbidden_sites: tuple[str, ...] = ()
    fixed_cost_cny: np.ndarray | None = None
    budget_cny: float | None = None
    source: str = "cost matrix"

    _model_name = "siting"

    # ------------------------------------------------------------- checks
    def __post_init__(self):
        src = self.source
        object.__setattr__(self, "demand_ids", _ids(self.demand_ids, "demand_ids", src))
        object.__setattr__(self, "site_ids", _ids(self.site_ids, "site_ids", src))
        n, m = len(self.demand_ids), len(self.site_ids)
        if m == 0:
            raise InputError("no candidate sites; give at least one site id", source=src, where="site_ids")
        if n == 0:
            raise InputError("no demand points; give at least one demand id", source=src, where="demand_ids")
        cost = np.asarray(self.cost, dtype=float)
        if cost.shape != (n, m):
            raise InputError(
                f"cost matrix has shape {cost.shape}, expected (n_demand, n_sites) "
                f"= ({n}, {m}); rows are demand points, columns sites",
                source=src,
                where="cost",
            )
        if np.isnan(cost).any():
            i, j = np.argwhere(np.isnan(cost))[0]
            raise InputError(
                "cost is NaN; use inf for a pair that is not allowed",
                source=src,
                where=f"cost[{self.demand_ids[i]!r}, {self.site_ids[j]!r}]",
            )
        if (cost < 0).any():
            i, j = np.argwhere(cost < 0)[0]
            raise InputError(
                f"negative cost {cost[i, j]}; costs are travel times/distances >= 0",
                source=src,
                where=f"cost[{self.demand_ids[i]!r}, {self.site_ids[j]!r}]",
            )
        object.__setattr__(self, "cost", _readonly(cost))
        w = np.ones(n) if self.weights is None else np.asarray(self.weights, dtype=float)
        if w.shape != (n,):
            raise InputError(
                f"weights has length {w.size}, expected one per demand point ({n})", source=src, where="weights"
            )
        if not np.isfinite(w).all():
            i = int(np.argwhere(~np.isfinite(w))[0][0])
            raise InputError("demand weight is not finite", source=src, where=f"weights[{self.demand_ids[i]!r}]")
        if (w < 0).any():
            i = int(np.argwhere(w < 0)[0][0])
            raise InputError(
                f"negative demand {w[i]}; demand must be >= 0", source=src, where=f"weights[{self.demand_ids[i]!r}]"
            )
        object.__setattr__(self, "weights", _readonly(w))
        index = {s: j for j, s in enumerate(self.site_ids)}
        req = tuple(str(s) for s in self.required_sites)
        forb = tuple(str(s) for s in self.forbidden_sites)
        for what, group in (("required_sites", req), ("forbidden_sites", forb)):
            for s in group:
                if s not in index:
                    raise InputError(f"site {s!r} is not among the candidate site ids", source=src, where=what)
        both = sorted(set(req) & set(forb))
        if both:
            raise InputError(
                f"sites {both} are both required and forbidden; remove them from one list",
                source=src,
                where="required_sites/forbidden_sites",
            )
        object.__setattr__(self, "required_sites", req)
        object.__setattr__(self, "forbidden_sites", forb)
        if len(set(forb)) >= m:
            raise InputError(
                "every candidate site is forbidden; no candidates left", source=src, where="forbidden_sites"
            )
        if self.fixed_cost_cny is not None:
            f = np.asarray(self.fixed_cost_cny, dtype=float)
            if f.shape != (m,) or not np.isfinite(f).all() or (f < 0).any():
                raise InputError(
                    f"fixed_cost_cny must be {m} finite numbers >= 0 (one per site)", source=src, where="fixed_cost_cny"
                )
            object.__setattr__(self, "fixed_cost_cny", _readonly(f))
        if self.budget_cny is not None:
            if self.fixed_cost_cny is None:
                raise InputError(
                    "budget_cny needs fixed_cost_cny (one opening cost per site)", source=src, where="budget_cny"
                )
            req_cost = float(sum(self.fixed_cost_cny[index[s]] for s in set(req)))
            if req_cost > float(self.budget_cny) + 1e-9:
                raise InputError(
                    f"required sites cost {req_cost:,.0f} CNY, above budget_cny "
                    f"{float(self.budget_cny):,.0f}; raise the budget or drop sites",
                    source=src,
                    where="budget_cny",
                )
        self._check()

    def _check(self) -> None:
        """Model-specific checks (overridden)."""

    def _check_p(self, p: int | None) -> None:
        if p is None:
            return
        src = self.source
        if int(p) != p or p < 1:
            raise InputError(f"p must be a positive integer, got {p!r}", source=src, where="p")
        n_allowed = len(self.site_ids) - len(set(self.forbidden_sites))
        if p > n_allowed:
            raise InputError(
                f"p = {p} is larger than the {n_allowed} candidate sites that are not "
                "forbidden; lower p or add candidates",
                source=src,
                where="p",
            )
        if len(set(self.required_sites)) > p:
            raise InputError(
                f"{len(set(self.required_sites))} required sites but p = {p}; raise p or require fewer sites",
                source=src,
                where="required_sites",
            )

    def _check_capacity(self, capacities: np.ndarray | None, p: int | None = None) -> np.ndarray | None:
        if capacities is None:
            return None
        src = self.source
        q = np.asarray(capacities, dtype=float)
        if q.shape != (len(self.site_ids),) or np.isnan(q).any() or (q < 0).any():
            raise InputError(
                f"capacities must be {len(self.site_ids)} numbers >= 0 (one per site)", source=src, where="capacities"
            )
        allowed = self.allowed_mask
        total = float(self.weights.sum())
        avail = float(q[allowed].sum())
        if avail < total - 1e-9:
            raise InputError(
                f"capacity of the allowed sites ({avail:,.2f}) is below total demand "
                f"({total:,.2f}); add capacity or candidates",
                source=src,
                where="capacities",
            )
        if p is not None:
            best = float(np.sort(q[allowed])[::-1][:p].sum())
            if best < total - 1e-9:
                raise InputError(
                    f"the {p} largest capacities sum to {best:,.2f}, below total demand "
                    f"({total:,.2f}); raise p or capacities",
                    source=src,
                    where="capacities",
                )
        return _readonly(q)

    # ------------------------------------------------------------- helpers
    @property
    def n_demand(self) -> int:
        return len(self.demand_ids)

    @property
    def n_sites(self) -> int:
        return len(self.site_ids)

    def _check_every_point_reachable(self) -> None:
        """Models that assign every point (p-median, p-center) need a finite cost to some allowed site."""
        reach = (np.isfinite(self.cost) & self.allowed_mask[None, :]).any(axis=1)
        if not reach.all():
            i = int(np.flatnonzero(~reach)[0])
            raise InputError(
                "demand point has no allowed site at finite cost; give it a finite cost to some site or drop it",
                source=self.source,
                where=f"demand {self.demand_ids[i]!r}",
            )

    def _site_mask(self, sites) -> np.ndarray:
        """Boolean mask of the given site ids."""
        mask = np.zeros(self.n_sites, dtype=bool)
        index = {s: j for j, s in enumerate(self.site_ids)}
        for s in sites:
            mask[index[s]] = True
        return mask

    @property
    def allowed_mask(self) -> np.ndarray:
        """Boolean mask of sites that may open."""
        return ~self._site_mask(self.forbidden_sites)

    @property
    def required_mask(self) -> np.ndarray:
        """Boolean mask of sites that must open."""
        return self._site_mask(self.required_sites)

    def _add_site_vars(self, scip: _Scip) -> list:
        """Binary y_j, fixed to 1 for required and 0 for forbidden sites; budget row."""
        s = scip.solver
        allowed, required = self.allowed_mask, self.required_mask
        y = []
        for j in range(self.n_sites):
            lb = 1 if required[j] else 0
            ub = 1 if allowed[j] else 0
            y.append(s.IntVar(lb, ub, f"y{j}"))
        if self.budget_cny is not None:
            fixed = cast(np.ndarray, self.fixed_cost_cny)  # set: budget_cny needs it (checked on construction)
            s.Add(sum(float(fixed[j]) * y[j] for j in range(self.n_sites) if fixed[j] > 0) <= float(self.budget_cny))
        return y

    def _plan(
        self,
        *,
        open_mask: np.ndarray,
        assign: np.ndarray,
        objective: float,
        bound: float,
        status: str,
        seconds: float,
        covered: np.ndarray | None = None,
        extra: Mapping | None = None,
    ) -> LocationPlan:
        """Build a plan; ``assign[i]`` is a site index or -1."""
        if covered is None:
            covered = assign >= 0
        assignment = {d: (self.site_ids[assign[i]] if assign[i] >= 0 else None) for i, d in enumerate(self.demand_ids)}
        ex: dict[str, Any] = {"n_demand": self.n_demand, "n_sites": self.n_sites}
        if self.fixed_cost_cny is not None:
            ex["fixed_cost_cny"] = float(self.fixed_cost_cny[open_mask].sum())
        if self.budget_cny is not None:
            ex["budget_cny"] = float(self.budget_cny)
        ex.update(extra or {})
        return LocationPlan(
            model=self._model_name,
            open_sites=tuple(self.site_ids[j] for j in np.flatnonzero(open_mask)),
            assignment=assignment,
            objective=float(objective),
            bound=float(bound),
            gap=0.0 if status == "optimal" else _gap(objective, bound),
            status=status,
            covered_demand=float(self.weights[covered].sum()),
            total_demand=float(self.weights.sum()),
            covered_points=int(covered.sum()),
            n_points=self.n_demand,
            solve_time_s=float(seconds),
            extra=ex,
        )

    def _empty_plan(self, status: str, bound: float, seconds: float, extra=None) -> LocationPlan:
        return self._plan(
            open_mask=np.zeros(self.n_sites, dtype=bool),
            assign=np.full(self.n_demand, -1),
            objective=math.nan,
            bound=bound,
            status=status,
            seconds=seconds,
            extra=extra,
        )

    def _nearest_open(self, open_mask: np.ndarray, limit: float | None = None) -> np.ndarray:
        """Index of the nearest open site per demand point (-1 if none allowed / within limit)."""
        if not open_mask.any():
            return np.full(self.n_demand, -1)
        # In row blocks: one full-size masked copy costs more in page faults
        # than the argmin itself on province-size matrices.
        penalty = np.where(open_mask, 0.0, np.inf)
        j = np.empty(self.n_demand, dtype=np.intp)
        best = np.empty(self.n_demand)
        for s in range(0, self.n_demand, 1024):
            block = self.cost[s : s + 1024] + penalty
            j[s : s + 1024] = np.argmin(block, axis=1)
            best[s : s + 1024] = block[np.arange(block.shape[0]), j[s : s + 1024]]
        ok = np.isfinite(best)
        if limit is not None:
            ok &= best <= limit + 1e-9
        return np.where(ok, j, -1)

    # ----------------------------------------------------------- constructors
    @classmethod
    def from_cost_matrix(
        cls, demand_ids: Sequence, site_ids: Sequence, cost, *, weights=None, **options
    ) -> _SitingModel:
        """Build the model from a cost matrix.

        Parameters
        ----------
        demand_ids, site_ids
            Ids of the rows and columns of ``cost``.
        cost
            ``n_demand × n_sites`` travel time (s) or distance (m); ``inf`` means
            the pair is not allowed.
        weights
            Demand per point (parcels/day or population); ones if omitted.
        **options
            The model's own keyword options (``p``, ``limit``, ``required_sites``,
            ``forbidden_sites``, ``fixed_cost_cny``, ``budget_cny``, ``capacities``…).
        """
        return cls(demand_ids=tuple(demand_ids), site_ids=tuple(site_ids), cost=cost, weights=weights, **options)

    @classmethod
    def from_regions(
        cls,
        regions,
        G,
        *,
        demand_level: str = "village",
        site_level: str = "town",
        city: str | None = None,
        county: str | None = None,
        weight_column: str = "population",
        travel_weight: str = "travel_time_s",
        max_snap_m: float = 5000.0,
        **options,
    ) -> _SitingModel:
        """Build the model from regions and a road network, then delegate to
        :meth:`from_cost_matrix`.

        Parameters
        ----------
        regions
            :class:`citylogistics.regions.Regions`; demand points and candidate
            sites are its settlements of ``demand_level`` / ``site_level``
            (optionally restricted to one city or county). Settlements that
            are nodes of ``G`` (the generated networks) are used as they are;
            the others snap to their nearest road node (imported networks).
        G
            Road network (networkx graph) whose edges carry ``travel_weight``.
        weight_column
            Column of the demand frame used as weights (``population``,
            ``delivery_parcels``…); missing → ones.
        travel_weight
            Edge attribute for the cost matrix (``travel_time_s`` or ``length_m``).
        max_snap_m
            A settlement farther than this from every node of ``G`` is outside
            the network: :class:`~citylogistics.errors.InputError`.
        **options
            Passed to :meth:`from_cost_matrix`.
        """
        from citylogistics.network.matrix import travel_matrix
        from citylogistics.network.snap import settlement_nodes

        demand = regions.of_level(demand_level, city=city, county=county)
        sites = regions.of_level(site_level, city=city, county=county)
        for level, frame in ((demand_level, demand), (site_level, sites)):
            if len(frame) == 0:
                raise InputError(
                    f"the selection has no {level} settlements; check city= and county=",
                    source="regions",
                    where=f"level={level}",
                )
        # Settlements that are not nodes of G (imported road networks) use their nearest road node;
        # one far from every node is outside the network, which is an input error, not a silent drop.
        d_nodes, d_dist = settlement_nodes(G, demand, return_dist=True)
        s_nodes, s_dist = settlement_nodes(G, sites, return_dist=True)
        for level, frame, dist in ((demand_level, demand, d_dist), (site_level, sites, s_dist)):
            far = np.flatnonzero(dist > max_snap_m)
            if far.size:
                raise InputError(
                    f"{far.size} {level} settlements (e.g. {frame.index[far[0]]}) are more than "
                    f"{max_snap_m:.0f} m from every node of the network; restrict the selection with "
                    "city= or county=, or give a network that covers them",
                    source="regions",
                    where=f"level={level}",
                )
        snapped = sum(1 for c, n in zip(demand.index, d_nodes) if c != n) + sum(
            1 for c, n in zip(sites.index, s_nodes) if c != n
        )
        ud, s_ud = list(dict.fromkeys(d_nodes)), list(dict.fromkeys(s_nodes))
        tm = travel_matrix(G, ud, s_ud, weight=travel_weight)
        row = {n: i for i, n in enumerate(ud)}
        col = {n: j for j, n in enumerate(s_ud)}
        cost = np.asarray(tm.values, dtype=float)[np.ix_([row[n] for n in d_nodes], [col[n] for n in s_nodes])]
        w = demand[weight_column].to_numpy(dtype=float) if weight_column in demand.columns else None
        source = f"regions {demand_level}->{site_level}"
        if snapped:
            source += f" ({snapped} settlements snapped to their nearest road node)"
        return cls.from_cost_matrix(
            [str(c) for c in demand.index], [str(c) for c in sites.index], cost, weights=w, source=source, **options
        )

    def solve(self, *, time_limit_s: float = 60.0, seed: int = 0) -> LocationPlan:
        raise NotImplementedError

    def __str__(self) -> str:
        return (
            f"{type(self).__name__}({self.n_demand} demand points, {self.n_sites} sites, "
            f"total demand {float(self.weights.sum()):,.2f})"
        )


def _dedup_rows(mask: np.ndarray) -> list[tuple[int, ...]]:
    """Distinct non-empty column sets of a boolean matrix, in first-seen order."""
    rows, inverse = unique_rows(mask)
    _, first = np.unique(inverse, return_index=True)
    return [
        cols for cols in (tuple(np.flatnonzero(rows[g]).tolist()) for g in np.argsort(first, kind="stable")) if cols
    ]


class _BuildTimeout(Exception):
    """Model building used up its share of the time limit."""


def _assignment_block(
    model: _SitingModel, scip: _Scip, y: list, *, binary: bool, capacities: np.ndarray | None, unit_cost: np.ndarray
):
    """Variables x_ij for finite pairs; sum_j x_ij = 1, x_ij <= y_j, capacity rows.

    Returns (x dict keyed (i, j), objective expression).
    """
    s = scip.solver
    allowed = model.allowed_mask
    x: dict[tuple[int, int], Any] = {}
    by_site: dict[int, list] = {j: [] for j in range(model.n_sites)}
    obj = []
    for i in range(model.n_demand):
        if i % 32 == 0 and scip.expired():
            raise _BuildTimeout
        cols = np.flatnonzero(allowed & np.isfinite(model.cost[i]))
        row = []
        for j in cols.tolist():
            v = s.IntVar(0, 1, "") if binary else s.NumVar(0, 1, "")
            x[i, j] = v
            row.append(v)
            s.Add(v <= y[j])
            by_site[j].append((i, v))
            if unit_cost[i, j] != 0:
                obj.append(float(unit_cost[i, j]) * v)
        s.Add(sum(row) == 1)
    if capacities is not None:
        for j, items in by_site.items():
            if items:
                s.Add(
                    sum(float(model.weights[i]) * v for i, v in items if model.weights[i] > 0)
                    <= float(capacities[j]) * y[j]
                )
        total = float(model.weights.sum())
        s.Add(sum(float(capacities[j]) * y[j] for j in range(model.n_sites)) >= total)
    return x, sum(obj)


def _read_single(model: _SitingModel, x: dict) -> np.ndarray:
    assign = np.full(model.n_demand, -1)
    best = np.zeros(model.n_demand)
    for (i, j), v in x.items():
        val = v.solution_value()
        if val > best[i] + 1e-9:
            best[i] = val
            assign[i] = j
    return assign


def _loads(model: _SitingModel, assign: np.ndarray) -> dict[str, float]:
    load = np.zeros(model.n_sites)
    ok = assign >= 0
    np.add.at(load, assign[ok], model.weights[ok])
    return {model.site_ids[j]: float(load[j]) for j in np.flatnonzero(load > 0)}


def _renamed(plan: LocationPlan, model: str) -> LocationPlan:
    return replace(plan, model=model)
