"""Depot and station siting models solved with OR-Tools (pywraplp + SCIP).

Five models share one data layout: ``n`` demand points (villages, towns) with
weights ``w_i`` (parcels/day or population), ``m`` candidate sites, and a cost
matrix ``c`` of shape ``n × m`` (travel time in s or distance in m; ``inf``
means the pair is not allowed). All take ``required_sites`` (forced open),
``forbidden_sites`` (never opened), an optional ``budget_cny`` on the sum of
site fixed costs ``fixed_cost_cny`` and, where meaningful, site capacities.

* :class:`SetCovering` — fewest sites so every point is within a limit.
* :class:`MaxCoverage` — at most ``p`` sites, most demand within a limit.
* :class:`PMedian` — ``p`` sites, least demand-weighted travel.
* :class:`PCenter` — ``p`` sites, least worst travel.
* :class:`CapacitatedFacilityLocation` — fixed opening costs + assignment
  costs, capacities, single or split sourcing.

Each model has ``from_cost_matrix`` (tests, benchmarks) and ``from_regions``
(builds the travel matrix from regions + a road network and delegates), and
``solve(*, time_limit_s, seed) -> LocationPlan``. Bad input raises
:class:`~citylogistics.errors.InputError` when the model is built.

Large p-median instances (the whole province) are solved by
:mod:`citylogistics.location.lagrangian` (Lagrangian relaxation with a valid bound).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from citylogistics.errors import InputError
from citylogistics.location.plan import LocationPlan
from citylogistics.location.coverage import solve_max_coverage_p, solve_set_cover, unique_rows
from citylogistics.location.mip import Scip as _Scip

__all__ = [
    "SetCovering",
    "MaxCoverage",
    "PMedian",
    "PCenter",
    "CapacitatedFacilityLocation",
]


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
            raise InputError(f"duplicate id {v!r}; ids must be unique", source=source,
                             where=f"{what}[{k}]")
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
            raise InputError("no candidate sites; give at least one site id", source=src,
                             where="site_ids")
        if n == 0:
            raise InputError("no demand points; give at least one demand id", source=src,
                             where="demand_ids")
        cost = np.asarray(self.cost, dtype=float)
        if cost.shape != (n, m):
            raise InputError(f"cost matrix has shape {cost.shape}, expected (n_demand, n_sites) "
                             f"= ({n}, {m}); rows are demand points, columns sites",
                             source=src, where="cost")
        if np.isnan(cost).any():
            i, j = np.argwhere(np.isnan(cost))[0]
            raise InputError("cost is NaN; use inf for a pair that is not allowed", source=src,
                             where=f"cost[{self.demand_ids[i]!r}, {self.site_ids[j]!r}]")
        if (cost < 0).any():
            i, j = np.argwhere(cost < 0)[0]
            raise InputError(f"negative cost {cost[i, j]}; costs are travel times/distances >= 0",
                             source=src, where=f"cost[{self.demand_ids[i]!r}, {self.site_ids[j]!r}]")
        object.__setattr__(self, "cost", _readonly(cost))
        w = np.ones(n) if self.weights is None else np.asarray(self.weights, dtype=float)
        if w.shape != (n,):
            raise InputError(f"weights has length {w.size}, expected one per demand point ({n})",
                             source=src, where="weights")
        if not np.isfinite(w).all():
            i = int(np.argwhere(~np.isfinite(w))[0][0])
            raise InputError("demand weight is not finite", source=src,
                             where=f"weights[{self.demand_ids[i]!r}]")
        if (w < 0).any():
            i = int(np.argwhere(w < 0)[0][0])
            raise InputError(f"negative demand {w[i]}; demand must be >= 0", source=src,
                             where=f"weights[{self.demand_ids[i]!r}]")
        object.__setattr__(self, "weights", _readonly(w))
        index = {s: j for j, s in enumerate(self.site_ids)}
        req = tuple(str(s) for s in self.required_sites)
        forb = tuple(str(s) for s in self.forbidden_sites)
        for what, group in (("required_sites", req), ("forbidden_sites", forb)):
            for s in group:
                if s not in index:
                    raise InputError(f"site {s!r} is not among the candidate site ids", source=src,
                                     where=what)
        both = sorted(set(req) & set(forb))
        if both:
            raise InputError(f"sites {both} are both required and forbidden; remove them from one list",
                             source=src, where="required_sites/forbidden_sites")
        object.__setattr__(self, "required_sites", req)
        object.__setattr__(self, "forbidden_sites", forb)
        if len(set(forb)) >= m:
            raise InputError("every candidate site is forbidden; no candidates left", source=src,
                             where="forbidden_sites")
        if self.fixed_cost_cny is not None:
            f = np.asarray(self.fixed_cost_cny, dtype=float)
            if f.shape != (m,) or not np.isfinite(f).all() or (f < 0).any():
                raise InputError(f"fixed_cost_cny must be {m} finite numbers >= 0 (one per site)",
                                 source=src, where="fixed_cost_cny")
            object.__setattr__(self, "fixed_cost_cny", _readonly(f))
        if self.budget_cny is not None:
            if self.fixed_cost_cny is None:
                raise InputError("budget_cny needs fixed_cost_cny (one opening cost per site)",
                                 source=src, where="budget_cny")
            req_cost = float(sum(self.fixed_cost_cny[index[s]] for s in set(req)))
            if req_cost > float(self.budget_cny) + 1e-9:
                raise InputError(f"required sites cost {req_cost:,.0f} CNY, above budget_cny "
                                 f"{float(self.budget_cny):,.0f}; raise the budget or drop sites",
                                 source=src, where="budget_cny")
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
            raise InputError(f"p = {p} is larger than the {n_allowed} candidate sites that are not "
                             "forbidden; lower p or add candidates", source=src, where="p")
        if len(set(self.required_sites)) > p:
            raise InputError(f"{len(set(self.required_sites))} required sites but p = {p}; "
                             "raise p or require fewer sites", source=src, where="required_sites")

    def _check_capacity(self, capacities: np.ndarray | None, p: int | None = None) -> np.ndarray | None:
        if capacities is None:
            return None
        src = self.source
        q = np.asarray(capacities, dtype=float)
        if q.shape != (len(self.site_ids),) or np.isnan(q).any() or (q < 0).any():
            raise InputError(f"capacities must be {len(self.site_ids)} numbers >= 0 (one per site)",
                             source=src, where="capacities")
        allowed = self.allowed_mask
        total = float(self.weights.sum())
        avail = float(q[allowed].sum())
        if avail < total - 1e-9:
            raise InputError(f"capacity of the allowed sites ({avail:,.2f}) is below total demand "
                             f"({total:,.2f}); add capacity or candidates", source=src,
                             where="capacities")
        if p is not None:
            best = float(np.sort(q[allowed])[::-1][:p].sum())
            if best < total - 1e-9:
                raise InputError(f"the {p} largest capacities sum to {best:,.2f}, below total demand "
                                 f"({total:,.2f}); raise p or capacities", source=src,
                                 where="capacities")
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
            raise InputError("demand point has no allowed site at finite cost; give it a finite "
                             "cost to some site or drop it", source=self.source,
                             where=f"demand {self.demand_ids[i]!r}")

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
            s.Add(sum(float(self.fixed_cost_cny[j]) * y[j] for j in range(self.n_sites)
                      if self.fixed_cost_cny[j] > 0) <= float(self.budget_cny))
        return y

    def _plan(self, *, open_mask: np.ndarray, assign: np.ndarray, objective: float, bound: float,
              status: str, seconds: float, covered: np.ndarray | None = None,
              extra: Mapping | None = None) -> LocationPlan:
        """Build a plan; ``assign[i]`` is a site index or -1."""
        if covered is None:
            covered = assign >= 0
        assignment = {d: (self.site_ids[assign[i]] if assign[i] >= 0 else None)
                      for i, d in enumerate(self.demand_ids)}
        ex = {"n_demand": self.n_demand, "n_sites": self.n_sites}
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
        return self._plan(open_mask=np.zeros(self.n_sites, dtype=bool),
                          assign=np.full(self.n_demand, -1), objective=math.nan, bound=bound,
                          status=status, seconds=seconds, extra=extra)

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
            block = self.cost[s:s + 1024] + penalty
            j[s:s + 1024] = np.argmin(block, axis=1)
            best[s:s + 1024] = block[np.arange(block.shape[0]), j[s:s + 1024]]
        ok = np.isfinite(best)
        if limit is not None:
            ok &= best <= limit + 1e-9
        return np.where(ok, j, -1)

    # ----------------------------------------------------------- constructors
    @classmethod
    def from_cost_matrix(cls, demand_ids: Sequence, site_ids: Sequence, cost, *,
                         weights=None, **options) -> "_SitingModel":
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
        return cls(demand_ids=tuple(demand_ids), site_ids=tuple(site_ids), cost=cost,
                   weights=weights, **options)

    @classmethod
    def from_regions(cls, regions, G, *, demand_level: str = "village", site_level: str = "town",
                     city: str | None = None, county: str | None = None,
                     weight_column: str = "population", travel_weight: str = "travel_time_s",
                     max_snap_m: float = 5000.0, **options) -> "_SitingModel":
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
        from citylogistics.network.graph import settlement_nodes

        demand = regions.of_level(demand_level, city=city, county=county)
        sites = regions.of_level(site_level, city=city, county=county)
        for level, frame in ((demand_level, demand), (site_level, sites)):
            if len(frame) == 0:
                raise InputError(f"the selection has no {level} settlements; check city= and county=",
                                 source="regions", where=f"level={level}")
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
                    "city= or county=, or give a network that covers them", source="regions",
                    where=f"level={level}")
        snapped = sum(1 for c, n in zip(demand.index, d_nodes) if c != n) + \
            sum(1 for c, n in zip(sites.index, s_nodes) if c != n)
        ud, s_ud = list(dict.fromkeys(d_nodes)), list(dict.fromkeys(s_nodes))
        tm = travel_matrix(G, ud, s_ud, weight=travel_weight)
        row = {n: i for i, n in enumerate(ud)}
        col = {n: j for j, n in enumerate(s_ud)}
        cost = np.asarray(tm.values, dtype=float)[np.ix_([row[n] for n in d_nodes], [col[n] for n in s_nodes])]
        w = demand[weight_column].to_numpy(dtype=float) if weight_column in demand.columns else None
        source = f"regions {demand_level}->{site_level}"
        if snapped:
            source += f" ({snapped} settlements snapped to their nearest road node)"
        return cls.from_cost_matrix([str(c) for c in demand.index], [str(c) for c in sites.index], cost,
                                    weights=w, source=source, **options)

    def solve(self, *, time_limit_s: float = 60.0, seed: int = 0) -> LocationPlan:
        raise NotImplementedError

    def __str__(self) -> str:
        return (f"{type(self).__name__}({self.n_demand} demand points, {self.n_sites} sites, "
                f"total demand {float(self.weights.sum()):,.2f})")


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
            raise InputError("minimize='cost' needs fixed_cost_cny", source=self.source,
                             where="fixed_cost_cny")

    def solve(self, *, time_limit_s: float = 60.0, seed: int = 0) -> LocationPlan:
        """Solve with SCIP; see the class docstring for the formulation."""
        t0 = time.perf_counter()
        within = (self.cost <= self.limit) & self.allowed_mask[None, :]
        coverable = within.any(axis=1)
        dominated = _dominated_sites(
            within[coverable], required=self.required_mask, allowed=self.allowed_mask,
            fixed_cost=self.fixed_cost_cny if (self.minimize == "cost" or self.budget_cny is not None)
            else None)
        a = np.ones(self.n_sites) if self.minimize == "sites" else self.fixed_cost_cny
        extra = {"limit": self.limit, "minimize": self.minimize,
                 "uncoverable_points": int((~coverable).sum()), "solver": "SCIP"}
        if self.budget_cny is None:
            rows = within[coverable] & ~dominated[None, :]
            result = solve_set_cover(rows, a,
                                     allowed=self.allowed_mask & ~dominated,
                                     required=self.required_mask, time_limit_s=time_limit_s, seed=seed)
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
            for j in cols:
                row.SetCoefficient(y[j], 1.0)
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
        return self._plan(open_mask=open_mask, assign=assign, objective=objective, bound=bound,
                          status=status, seconds=seconds, extra=extra)


def _dominated_sites(within: np.ndarray, *, required: np.ndarray, allowed: np.ndarray,
                     fixed_cost: np.ndarray | None) -> np.ndarray:
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


def _dedup_rows(mask: np.ndarray) -> list[tuple[int, ...]]:
    """Distinct non-empty column sets of a boolean matrix, in first-seen order."""
    rows, inverse = unique_rows(mask)
    _, first = np.unique(inverse, return_index=True)
    return [cols for cols in (tuple(np.flatnonzero(rows[g]).tolist()) for g in np.argsort(first, kind="stable"))
            if cols]


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
        dominated = _dominated_sites(within[pos], required=self.required_mask,
                                     allowed=self.allowed_mask, fixed_cost=self.fixed_cost_cny)
        within = within & ~dominated[None, :]
        # Demand points with the same covering set form one group (its first point
        # stands for it, the weights add up).
        idx = np.flatnonzero(pos & within.any(axis=1))
        _, inverse = unique_rows(within[idx])
        _, first = np.unique(inverse, return_index=True)
        group_w = np.bincount(inverse, weights=self.weights[idx], minlength=first.size)
        order = np.argsort(first, kind="stable")  # groups in order of their first point
        members, member_w = idx[first[order]], group_w[order]
        extra = {"limit": self.limit, "p": self.p, "solver": "SCIP", "n_groups": int(members.size),
                 "dominated_sites": int(dominated.sum())}
        if self.budget_cny is None and self.p is not None and members.size:
            result = solve_max_coverage_p(within[members], member_w,
                                          p=int(self.p), allowed=self.allowed_mask & ~dominated,
                                          required=self.required_mask, time_limit_s=time_limit_s,
                                          seed=seed)
            extra.update(result.info)
            extra["solver"] = result.solver
            return self._coverage_plan(result.open_mask, result.bound, result.status,
                                       time.perf_counter() - t0, within, extra)
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

    def _coverage_plan(self, open_mask: np.ndarray, bound: float, status: str, seconds: float,
                       within: np.ndarray, extra: dict) -> LocationPlan:
        assign = self._nearest_open(open_mask, self.limit)
        covered = assign >= 0
        objective = float(self.weights[covered].sum())
        if not math.isfinite(bound):
            bound = float(self.weights.sum())
        reasons = {}
        for i in np.flatnonzero(~covered):
            reasons[self.demand_ids[i]] = ("no candidate within limit" if not within[i].any()
                                           else "not covered by the chosen sites (p/budget)")
        if reasons:
            extra["unassigned_reason"] = reasons
        return self._plan(open_mask=open_mask, assign=assign, objective=objective,
                          bound=max(bound, objective), status=status, seconds=seconds,
                          extra=extra)


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

    def solve(self, *, time_limit_s: float = 60.0, seed: int = 0,
              method: str = "auto") -> LocationPlan:
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
            raise InputError("method must be 'auto', 'mip' or 'lagrangian'", source=self.source,
                             where="method")
        if self.capacities is not None:
            return self._solve_capacitated(time_limit_s=time_limit_s, seed=seed)
        if method == "lagrangian" or (method == "auto" and self.budget_cny is None):
            return self._solve_lagrangian(time_limit_s=time_limit_s, seed=seed)
        t0 = time.perf_counter()
        scip = _Scip(time_limit_s=time_limit_s, seed=seed, name=self._model_name)
        s = scip.solver
        y = self._add_site_vars(scip)
        s.Add(sum(y) == int(self.p))
        allowed = self.allowed_mask
        m_allowed = int(allowed.sum())
        objective_terms = []
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
            c = self.cost[i]
            cols = np.flatnonzero(allowed & np.isfinite(c))
            order = cols[np.argsort(c[cols], kind="stable")]
            vals = c[order]
            levels, starts = np.unique(vals, return_index=True)
            const += w * float(levels[0])
            if len(cols) < m_allowed:
                s.Add(sum(y[j] for j in cols) >= 1)
            counts = np.append(starts[1:], len(order))  # sites seen up to each level
            prev = None
            for k in range(len(levels) - 1):
                if counts[k] >= m_allowed - self.p + 1:
                    break  # some site within D^k is open in every solution
                z = s.NumVar(0, 1, "")
                group = order[starts[k]:counts[k]]
                if prev is None:
                    s.Add(z + sum(y[j] for j in group) >= 1)
                else:
                    s.Add(z - prev + sum(y[j] for j in group) >= 0)
                n_rows += 1
                objective_terms.append(w * float(levels[k + 1] - levels[k]) * z)
                prev = z
        s.Minimize(sum(objective_terms) + const if objective_terms else const)
        status, _, bound, _ = scip.solve()
        seconds = time.perf_counter() - t0
        extra = {"p": self.p, "solver": "SCIP", "formulation": "elloumi-chained",
                 "n_radius_rows": n_rows}
        if status == "timeout" and self.budget_cny is None:
            return self._greedy_plan(t0, bound, extra)
        if status in ("infeasible", "timeout"):
            return self._empty_plan(status, bound, seconds, extra)
        open_mask = np.array([v.solution_value() > 0.5 for v in y])
        assign = self._nearest_open(open_mask)
        objective = float((self.weights * self.cost[np.arange(self.n_demand), assign]).sum())
        return self._plan(open_mask=open_mask, assign=assign, objective=objective,
                          bound=min(bound, objective), status=status, seconds=seconds, extra=extra)

    def _greedy_plan(self, t0: float, bound: float, extra: dict) -> LocationPlan:
        """No incumbent in time: the greedy plan with SCIP's bound (or the nearest-site
        bound, valid for any p), so a caller always gets the best plan found."""
        open_mask = self._greedy_open()
        assign = self._nearest_open(open_mask)
        objective = float((self.weights * self.cost[np.arange(self.n_demand), assign]).sum())
        c = np.where(self.allowed_mask[None, :], self.cost, np.inf).min(axis=1)
        trivial = float((self.weights * c).sum())
        best = max(bound, trivial) if math.isfinite(bound) else trivial
        return self._plan(open_mask=open_mask, assign=assign, objective=objective, bound=min(best, objective),
                          status="feasible", seconds=time.perf_counter() - t0, extra={**extra, "fallback": "greedy"})

    def _greedy_open(self) -> np.ndarray:
        """Greedy p-median: required sites, then repeatedly the allowed site that
        lowers the weighted cost most (ties: lowest index)."""
        allowed = self.allowed_mask
        open_mask = self.required_mask.copy()
        big = np.where(np.isfinite(self.cost), self.cost, 1e18)
        current = np.where(open_mask[None, :], big, 1e18).min(axis=1) if open_mask.any() \
            else np.full(self.n_demand, 1e18)
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

        sp = SparsePMedian(self.demand_ids, self.site_ids, SparseCosts.from_dense(cost),
                           self.weights, int(self.p), required_sites=self.required_sites,
                           forbidden_sites=self.forbidden_sites, exact_cost=exact,
                           source=self.source)
        res = sp.solve(time_limit_s=time_limit_s, seed=seed)
        open_mask = np.isin(np.array(self.site_ids), np.array(res.open_sites))
        assign = self._nearest_open(open_mask)
        extra = dict(res.extra)
        return self._plan(open_mask=open_mask, assign=assign, objective=res.objective,
                          bound=min(res.bound, res.objective), status=res.status,
                          seconds=time.perf_counter() - t0, extra=extra)

    def _solve_capacitated(self, *, time_limit_s: float, seed: int) -> LocationPlan:
        t0 = time.perf_counter()
        scip = _Scip(time_limit_s=time_limit_s, seed=seed, name=self._model_name)
        s = scip.solver
        y = self._add_site_vars(scip)
        s.Add(sum(y) == int(self.p))
        try:
            x, obj = _assignment_block(self, scip, y, binary=True, capacities=self.capacities,
                                       unit_cost=self.weights[:, None] * self.cost)
        except _BuildTimeout:
            return self._empty_plan("timeout", math.nan, time.perf_counter() - t0,
                                    {"p": self.p, "solver": "SCIP", "stopped": "model building hit the time limit"})
        s.Minimize(obj)
        status, objv, bound, _ = scip.solve()
        seconds = time.perf_counter() - t0
        extra = {"p": self.p, "solver": "SCIP", "formulation": "classic-capacitated",
                 "capacities": True}
        if status in ("infeasible", "timeout"):
            return self._empty_plan(status, bound, seconds, extra)
        open_mask = np.array([v.solution_value() > 0.5 for v in y])
        assign = _read_single(self, x)
        extra["load"] = _loads(self, assign)
        return self._plan(open_mask=open_mask, assign=assign, objective=objv, bound=min(bound, objv),
                          status=status, seconds=seconds, extra=extra)


class _BuildTimeout(Exception):
    """Model building used up its share of the time limit."""


def _assignment_block(model: _SitingModel, scip: _Scip, y: list, *, binary: bool,
                      capacities: np.ndarray | None, unit_cost: np.ndarray):
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
        for j in cols:
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
                s.Add(sum(float(model.weights[i]) * v for i, v in items if model.weights[i] > 0)
                      <= float(capacities[j]) * y[j])
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
            res = solve_set_cover(within, np.ones(self.n_sites), allowed=self.allowed_mask,
                                  required=self.required_mask, time_limit_s=time_limit_s, seed=seed,
                                  decide_at=float(self.p))
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
            return self._plan(open_mask=open_mask, assign=self._nearest_open(open_mask),
                              objective=0.0, bound=0.0, status="optimal",
                              seconds=time.perf_counter() - t0, extra={"p": self.p})
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
        extra = {"p": self.p, "solver": "bisection on set-covering tests" if self.budget_cny is None else "SCIP bisection", "cover_tests": n_tests}
        if best_mask is None:
            status = "timeout" if timed_out else "infeasible"
            return self._empty_plan(status, proven_lb, seconds, extra)
        assign = self._nearest_open(best_mask)
        rows = np.flatnonzero(pos)
        objective = float(self.cost[rows, assign[rows]].max())
        status = "optimal" if (not timed_out and lo >= hi) else "feasible"
        if status == "optimal":
            proven_lb = objective
        return self._plan(open_mask=best_mask, assign=assign, objective=objective,
                          bound=min(proven_lb, objective), status=status, seconds=seconds, extra=extra)


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
            raise InputError("capacities are required (one per site; use inf for unlimited)",
                             source=src, where="capacities")
        self._check_p(self.p)
        object.__setattr__(self, "capacities", self._check_capacity(self.capacities, self.p))
        reach = (np.isfinite(self.cost) & self.allowed_mask[None, :]).any(axis=1)
        if not reach.all():
            i = int(np.flatnonzero(~reach)[0])
            raise InputError("demand point has no allowed site at finite cost; give it a finite "
                             "cost to some site or drop it", source=src,
                             where=f"demand {self.demand_ids[i]!r}")
        if self.sourcing == "single":
            big = self.weights > np.max(np.where(self.allowed_mask, self.capacities, 0))
            if big.any():
                i = int(np.flatnonzero(big)[0])
                raise InputError(f"demand {self.weights[i]:,.2f} exceeds every site capacity, so "
                                 "single sourcing is impossible; use sourcing='split' or raise "
                                 "capacities", source=src, where=f"weights[{self.demand_ids[i]!r}]")

    def _greedy_or_empty(self, t0: float, bound: float, extra: dict, unit: np.ndarray) -> LocationPlan:
        """No incumbent in time: the greedy construction (see :func:`_greedy_cfl`)
        with SCIP's bound or the cheapest-assignment bound; an empty plan if it fails."""
        built = _greedy_cfl(self, unit)
        if built is None:
            return self._empty_plan("timeout", bound, time.perf_counter() - t0, extra)
        open_mask, assign = built
        acost = float(unit[np.arange(self.n_demand), assign].sum())
        objective = float(self.fixed_cost_cny[open_mask].sum()) + acost
        trivial = float(np.where(self.allowed_mask[None, :], unit, np.inf).min(axis=1).sum())
        best = max(bound, trivial) if math.isfinite(bound) else trivial
        load = np.bincount(assign, weights=self.weights, minlength=self.n_sites)
        extra = {**extra, "fallback": "greedy", "assignment_cost": acost,
                 "load": {self.site_ids[j]: float(load[j]) for j in np.flatnonzero(load > 1e-9)}}
        return self._plan(open_mask=open_mask, assign=assign, objective=objective, bound=min(best, objective),
                          status="feasible", seconds=time.perf_counter() - t0, extra=extra)

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
        cap = np.where(np.isfinite(self.capacities), self.capacities, float(self.weights.sum()) + 1.0)
        unit = self._unit_cost
        name = f"cfl_{self.sourcing}"
        extra = {"sourcing": self.sourcing, "p": self.p, "solver": "SCIP"}
        try:
            x, assign_obj = _assignment_block(self, scip, y, binary=self.sourcing == "single",
                                              capacities=cap, unit_cost=unit)
        except _BuildTimeout:
            return _renamed(self._greedy_or_empty(t0, math.nan, {**extra, "stopped": "model building hit the time limit"},
                                                  unit), name)
        s.Minimize(sum(float(self.fixed_cost_cny[j]) * y[j] for j in range(self.n_sites)
                       if self.fixed_cost_cny[j] > 0) + assign_obj)
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
        plan = self._plan(open_mask=open_mask, assign=assign, objective=objv, bound=min(bound, objv),
                          status=status, seconds=seconds, extra=extra)
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


def _renamed(plan: LocationPlan, model: str) -> LocationPlan:
    from dataclasses import replace

    return replace(plan, model=model)
