"""Siting e-commerce logistics hubs (T0) on scarce land, year by year.

Three pieces the planner wires together:

* :func:`read_candidates` / :func:`write_candidates`: the candidate land
  parcels (CSV, validated with line numbers);
* :func:`propose_candidates` / :func:`candidates_for_city`: candidates
  generated at junctions of the major road network when a user has none
  (labelled ``generated``);
* :class:`HubSiting`: the multi-period hub-location MIP (SCIP), returning a
  frozen :class:`HubSitingPlan`.

The candidates live in :mod:`citylogistics.location.hub_candidates` and are
re-exported here; this module holds the model.

Units: loads in parcels per day, money in CNY, distances in km (matrices) or
m (graph, thresholds). Costs are not discounted.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from citylogistics.errors import InputError, SolverError
from citylogistics.location.hub_candidates import (
    CANDIDATE_COLUMNS,
    DEFAULT_THROUGHPUT_PARCELS_PER_M2_DAY,
    MAJOR_ROAD_CLASSES,
    HubCandidate,
    LandCostRule,
    candidates_for_city,
    propose_candidates,
    read_candidates,
    write_candidates,
)

__all__ = [
    "HubCandidate",
    "HubSiting",
    "HubSitingPlan",
    "LandCostRule",
    "read_candidates",
    "write_candidates",
    "propose_candidates",
    "candidates_for_city",
    "CANDIDATE_COLUMNS",
    "DEFAULT_THROUGHPUT_PARCELS_PER_M2_DAY",
    "MAJOR_ROAD_CLASSES",
    "per_parcel_km_from_truck",
]


def per_parcel_km_from_truck(cost_per_km_cny: float, capacity_parcels: float, *, fill: float = 1.0) -> float:
    """Convert a truck's cost per km into the model's cost per parcel-km
    (``cost_per_km / (capacity * fill)``; ``fill`` is the average load factor,
    and the empty return leg is in ``cost_per_km`` if the rate includes it)."""
    if not (capacity_parcels > 0 and 0 < fill <= 1 and cost_per_km_cny >= 0):
        raise InputError(
            "need cost_per_km_cny >= 0, capacity_parcels > 0 and 0 < fill <= 1", source="per_parcel_km_from_truck"
        )
    return float(cost_per_km_cny) / (float(capacity_parcels) * float(fill))


# ---------------------------------------------------------------------------
# The multi-period model
# ---------------------------------------------------------------------------
def _freeze(d: Mapping) -> Mapping:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class HubSitingPlan:
    """The answer of :class:`HubSiting`.

    Attributes
    ----------
    years
        The horizon.
    open_year
        Hub id -> first year open; existing hubs carry ``years[0] - 1`` (the
        convention of ``sites.csv``); ``None``: never opened.
    assignment
        Year -> county id -> hub id.
    load
        Year -> hub id -> parcels/day assigned (open hubs only).
    capacity
        Hub id -> parcels/day.
    land_cost_cny, annual_cost_cny, transport_cost_cny
        Objective terms over the horizon; ``cost_by_year`` splits them by year.
    objective, bound, gap, status
        SCIP's objective, best bound, relative gap and status (``optimal`` or
        ``feasible``).
    """

    years: tuple[int, ...]
    open_year: Mapping[str, int | None]
    assignment: Mapping[int, Mapping[str, str]]
    load: Mapping[int, Mapping[str, float]]
    capacity: Mapping[str, float]
    land_cost_cny: float
    annual_cost_cny: float
    transport_cost_cny: float
    cost_by_year: Mapping[int, Mapping[str, float]]
    objective: float
    bound: float
    gap: float
    status: str
    solve_time_s: float = field(default=0.0, compare=False)
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "open_year", _freeze(self.open_year))
        object.__setattr__(self, "assignment", _freeze({y: _freeze(a) for y, a in self.assignment.items()}))
        object.__setattr__(self, "load", _freeze({y: _freeze(a) for y, a in self.load.items()}))
        object.__setattr__(self, "capacity", _freeze(self.capacity))
        object.__setattr__(self, "cost_by_year", _freeze({y: _freeze(a) for y, a in self.cost_by_year.items()}))
        object.__setattr__(self, "extra", _freeze(self.extra))

    def open_hubs(self, year: int) -> tuple[str, ...]:
        """Hubs open in ``year``."""
        return tuple(h for h, y in self.open_year.items() if y is not None and y <= year)

    def utilisation(self, year: int) -> dict[str, float]:
        """Load / capacity of each hub open in ``year``."""
        return {h: self.load[year].get(h, 0.0) / self.capacity[h] for h in self.open_hubs(year)}

    @property
    def total_cost_cny(self) -> float:
        return self.land_cost_cny + self.annual_cost_cny + self.transport_cost_cny

    def summary(self) -> str:
        gap = "n/a" if not math.isfinite(self.gap) else f"{100 * self.gap:.3f} %"
        last = self.years[-1]
        lines = [
            f"HubSitingPlan {self.years[0]}-{last}: status={self.status}, gap {gap}",
            f"  cost (CNY)  : land {self.land_cost_cny:,.0f} + annual {self.annual_cost_cny:,.0f} "
            f"+ transport {self.transport_cost_cny:,.0f} = {self.total_cost_cny:,.0f}",
        ]
        for y in self.years:
            opened = [h for h, oy in self.open_year.items() if oy == y]
            util = self.utilisation(y)
            peak = max(util.values()) if util else 0.0
            lines.append(
                f"  {y}: {len(self.open_hubs(y))} hubs open"
                + (f" (new: {', '.join(opened)})" if opened else "")
                + f", peak utilisation {peak:.0%}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        def num(x: float):
            return x if math.isfinite(x) else str(x)

        return {
            "units": {"load": "parcels/day", "cost": "CNY (undiscounted, over the horizon)"},
            "years": list(self.years),
            "open_year": dict(self.open_year),
            "assignment": {str(y): dict(a) for y, a in self.assignment.items()},
            "load": {str(y): dict(a) for y, a in self.load.items()},
            "capacity": dict(self.capacity),
            "cost": {
                "land_cny": self.land_cost_cny,
                "annual_cny": self.annual_cost_cny,
                "transport_cny": self.transport_cost_cny,
                "total_cny": self.total_cost_cny,
                "by_year": {str(y): dict(c) for y, c in self.cost_by_year.items()},
            },
            "solver": {
                "status": self.status,
                "objective": num(self.objective),
                "bound": num(self.bound),
                "gap": num(self.gap),
            },
            "extra": dict(self.extra),
        }


@dataclass(frozen=True, eq=False)
class HubSiting:
    r"""Multi-period siting of T0 hubs and assignment of county hubs (T1) to them.

    Formulation (``h`` hub candidate, ``c`` county hub, ``t`` year of the
    horizon ``T``; ``y[h,t]`` hub open in ``t``; ``x[c,h,t]`` county ``c``
    supplied by hub ``h`` in ``t``)::

        min  sum_h sum_t  L_h * (y[h,t] - y[h,t-1])         land, once, in the opening year
           + sum_h sum_t  A_h * y[h,t]                       annual cost of each year open
           + sum_t sum_c sum_h  D * q[c,t] * r * d[h,c] * x[c,h,t]   trunk transport
        s.t. y[h,t] >= y[h,t-1]                              a hub once open stays open
             y[h,t] = 1                   existing h         existing hubs run every year
             y[h,t] = y[h,t-1]            t not in opening_years (no opening then)
             sum_h x[c,h,t] = 1                              single sourcing, every year
             x[c,h,t] <= y[h,t]
             sum_c q[c,t] x[c,h,t] <= K_h y[h,t]             daily capacity, every year
             min_open <= sum_h y[h,t] <= max_open            every year
             x, y binary;  y[h,t0-1] = existing_h (no land cost for existing hubs)

    ``L`` land cost, ``A`` annual cost, ``K`` capacity (parcels/day), ``q``
    county load (parcels/day), ``d`` trunk distance (km, from the road
    network), ``r`` cost per **parcel-km** (convert a truck rate with
    :func:`per_parcel_km_from_truck`), ``D`` days per year (365). No
    discounting.

    Re-assignment: a county hub may change its T0 hub from one year to the
    next (``x`` is free each year), e.g. when a nearer hub opens; with
    ``allow_reassignment=False`` each county keeps its first-year hub
    (``x[c,h,t] = x[c,h,t-1]``).

    Infeasible inputs are refused before solving with an :class:`InputError`:
    ``min_open`` above the number of candidates or above ``max_open``,
    ``max_open`` below the number of existing hubs, total capacity (or the
    capacity of the ``max_open`` largest hubs, existing ones included) below
    the peak year's load, a year before the first opening year whose load the
    existing hubs cannot carry, a county whose load exceeds every hub's
    capacity, or a county no hub can reach.
    """

    candidates: tuple[HubCandidate, ...]
    county_ids: tuple[str, ...]
    years: tuple[int, ...]
    load_parcels_per_day: np.ndarray = field(repr=False)
    distance_km: np.ndarray = field(repr=False)
    cost_per_parcel_km_cny: float = 0.0
    min_open: int = 1
    max_open: int | None = None
    opening_years: tuple[int, ...] | None = None
    allow_reassignment: bool = True
    days_per_year: float = 365.0
    source: str = "HubSiting"

    def __post_init__(self) -> None:
        src = self.source
        cands = tuple(self.candidates)
        if not cands:
            raise InputError("no hub candidates; give at least one", source=src, where="candidates")
        for k, c in enumerate(cands):
            if not isinstance(c, HubCandidate):
                raise InputError(f"candidates[{k}] is not a HubCandidate", source=src, where="candidates")
        ids = [c.id for c in cands]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise InputError(f"candidate id {dup[0]!r} appears twice", source=src, where="candidates")
        object.__setattr__(self, "candidates", cands)
        counties = tuple(str(c) for c in self.county_ids)
        if not counties:
            raise InputError("no county hubs; give at least one", source=src, where="county_ids")
        if len(set(counties)) != len(counties):
            raise InputError("county ids must be unique", source=src, where="county_ids")
        object.__setattr__(self, "county_ids", counties)
        years = tuple(int(y) for y in self.years)
        if not years or any(b != a + 1 for a, b in zip(years[:-1], years[1:])):
            raise InputError(f"years must be consecutive and non-empty, got {list(years)}", source=src, where="years")
        object.__setattr__(self, "years", years)
        H, C, T = len(cands), len(counties), len(years)
        load = np.array(self.load_parcels_per_day, dtype=float)
        if load.shape != (C, T):
            raise InputError(
                f"has shape {load.shape}; expected (counties, years) = ({C}, {T})",
                source=src,
                where="load_parcels_per_day",
            )
        if not np.isfinite(load).all() or (load < 0).any():
            raise InputError("loads must be finite and >= 0", source=src, where="load_parcels_per_day")
        dist = np.array(self.distance_km, dtype=float)
        if dist.shape != (H, C):
            raise InputError(
                f"has shape {dist.shape}; expected (hubs, counties) = ({H}, {C})", source=src, where="distance_km"
            )
        if np.isnan(dist).any() or (dist < 0).any():
            raise InputError("distances must be >= 0 (inf: unreachable)", source=src, where="distance_km")
        for a in (load, dist):
            a.setflags(write=False)
        object.__setattr__(self, "load_parcels_per_day", load)
        object.__setattr__(self, "distance_km", dist)
        r = self.cost_per_parcel_km_cny
        if not (isinstance(r, (int, float)) and math.isfinite(r) and r >= 0):
            raise InputError(f"must be a number >= 0, got {r!r}", source=src, where="cost_per_parcel_km_cny")
        if not (isinstance(self.days_per_year, (int, float)) and self.days_per_year > 0):
            raise InputError("must be > 0", source=src, where="days_per_year")
        oy = years if self.opening_years is None else tuple(sorted({int(y) for y in self.opening_years}))
        bad = [y for y in oy if y not in years]
        if bad:
            raise InputError(
                f"opening year {bad[0]} is outside the horizon {years[0]}-{years[-1]}",
                source=src,
                where="opening_years",
            )
        object.__setattr__(self, "opening_years", oy)
        self._check_feasible()

    # ------------------------------------------------------------ checks
    @property
    def n_existing(self) -> int:
        return sum(1 for c in self.candidates if c.existing)

    @property
    def max_open_effective(self) -> int:
        return len(self.candidates) if self.max_open is None else int(self.max_open)

    def _check_feasible(self) -> None:
        src = self.source
        H = len(self.candidates)
        for name in ("min_open", "max_open"):
            v = getattr(self, name)
            if v is None and name == "max_open":
                continue
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
                raise InputError(f"must be an integer >= 0, got {v!r}", source=src, where=name)
        lo, hi = int(self.min_open), self.max_open_effective
        if lo > H:
            raise InputError(
                f"min_open = {lo} but there are only {H} candidates; lower min_open or add candidates",
                source=src,
                where="min_open",
            )
        if hi < self.n_existing:
            raise InputError(
                f"max_open = {hi} but {self.n_existing} hubs already exist and stay open; "
                f"raise max_open to at least {self.n_existing}",
                source=src,
                where="max_open",
            )
        if lo > hi:
            raise InputError(f"min_open = {lo} is above max_open = {hi}", source=src, where="min_open")
        if hi < 1:
            raise InputError("max_open must be at least 1 (county hubs need a hub)", source=src, where="max_open")
        cap = np.array([c.capacity_parcels_per_day for c in self.candidates])
        ex = np.array([c.existing for c in self.candidates])
        total = self.load_parcels_per_day.sum(axis=0)
        peak_t = int(np.argmax(total))
        peak = float(total[peak_t])
        if cap.sum() < peak - 1e-9:
            raise InputError(
                f"not enough capacity: all {H} candidates together handle {cap.sum():,.0f} parcels/day "
                f"but the county hubs need {peak:,.0f} in {self.years[peak_t]}; add candidates or "
                "capacity",
                source=src,
                where="capacity_parcels_per_day",
            )
        best = float(cap[ex].sum() + np.sort(cap[~ex])[::-1][: max(hi - int(ex.sum()), 0)].sum())
        if best < peak - 1e-9:
            raise InputError(
                f"not enough capacity with max_open = {hi}: the largest hubs allowed handle "
                f"{best:,.0f} parcels/day but {self.years[peak_t]} needs {peak:,.0f}; raise max_open "
                "or add capacity",
                source=src,
                where="max_open",
            )
        first_open = min(self.opening_years) if self.opening_years else None
        for t, y in enumerate(self.years):
            if first_open is None or y < first_open:
                have = float(cap[ex].sum())
                if have < total[t] - 1e-9:
                    raise InputError(
                        f"in {y} no hub may open yet (opening_years start "
                        f"{first_open if first_open is not None else 'never'}) and the existing hubs "
                        f"handle {have:,.0f} < {total[t]:,.0f} parcels/day; allow an earlier opening "
                        "year",
                        source=src,
                        where="opening_years",
                    )
                if lo > int(ex.sum()):
                    raise InputError(
                        f"in {y} no hub may open yet but min_open = {lo} > {int(ex.sum())} existing "
                        "hubs; allow an opening in the first year or lower min_open",
                        source=src,
                        where="opening_years",
                    )
        reach = np.isfinite(self.distance_km)
        for c, cid in enumerate(self.county_ids):
            if not reach[:, c].any():
                raise InputError(
                    "no hub candidate can reach this county hub (all distances inf)",
                    source=src,
                    where=f"distance_km[:, {cid!r}]",
                )
            q = float(self.load_parcels_per_day[c].max())
            if q > cap[reach[:, c]].max() + 1e-9:
                raise InputError(
                    f"county hub needs {q:,.0f} parcels/day, more than any reachable hub handles "
                    f"({cap[reach[:, c]].max():,.0f}); each county is served by one hub",
                    source=src,
                    where=f"load_parcels_per_day[{cid!r}]",
                )

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_cost_matrix(
        cls,
        candidates: Sequence[HubCandidate],
        county_ids: Sequence[str],
        load_parcels_per_day,
        years: Sequence[int],
        distance_km,
        *,
        cost_per_parcel_km_cny: float,
        **options,
    ) -> HubSiting:
        """Build the model from a hub x county distance matrix (km).

        ``load_parcels_per_day`` is counties x years; ``options``: ``min_open``,
        ``max_open``, ``opening_years``, ``allow_reassignment``,
        ``days_per_year``, ``source``.
        """
        return cls(
            candidates=tuple(candidates),
            county_ids=tuple(county_ids),
            years=tuple(years),
            load_parcels_per_day=load_parcels_per_day,
            distance_km=distance_km,
            cost_per_parcel_km_cny=cost_per_parcel_km_cny,
            **options,
        )

    @classmethod
    def from_network(
        cls,
        candidates: Sequence[HubCandidate],
        G,
        counties: Sequence[tuple[str, float, float]],
        load_parcels_per_day,
        years: Sequence[int],
        *,
        cost_per_parcel_km_cny: float,
        weight: str = "length_m",
        **options,
    ) -> HubSiting:
        """Build the model from a road network: candidates and county hubs
        (``(id, lon, lat)``) snap to their nearest node, and ``d[h,c]`` is the
        shortest-path ``weight`` (``length_m``) between them in km (``inf``
        when disconnected); then delegate to :meth:`from_cost_matrix`."""
        import networkx as nx
        from scipy.spatial import cKDTree

        from citylogistics.geo import local_xy_m

        nodes = list(G.nodes)
        if not nodes:
            raise InputError("the road network has no nodes", source="HubSiting.from_network", where="G")
        nlon = np.array([float(G.nodes[n]["x"]) for n in nodes])
        nlat = np.array([float(G.nodes[n]["y"]) for n in nodes])
        lon0, lat0 = float(nlon.mean()), float(nlat.mean())
        tree = cKDTree(np.column_stack(local_xy_m(nlon, nlat, lon0=lon0, lat0=lat0)))

        def snap(lon: float, lat: float):
            x, y = local_xy_m(lon, lat, lon0=lon0, lat0=lat0)
            return nodes[int(tree.query([x, y], k=1)[1])]

        counties = [(str(c[0]), float(c[1]), float(c[2])) for c in counties]
        cnode = [snap(lon, lat) for _, lon, lat in counties]
        dist = np.full((len(candidates), len(counties)), np.inf)
        for h, cand in enumerate(candidates):
            lengths = nx.single_source_dijkstra_path_length(G, snap(cand.lon, cand.lat), weight=weight)
            for c, n in enumerate(cnode):
                if n in lengths:
                    dist[h, c] = lengths[n] / 1000.0
        return cls.from_cost_matrix(
            candidates,
            [c[0] for c in counties],
            load_parcels_per_day,
            years,
            dist,
            cost_per_parcel_km_cny=cost_per_parcel_km_cny,
            **options,
        )

    # ------------------------------------------------------------ solve
    def solve(self, *, time_limit_s: float = 60.0, seed: int = 0) -> HubSitingPlan:
        """Solve with SCIP (see the class docstring for the formulation).

        Raises
        ------
        InputError
            SCIP proves that no single-sourcing assignment fits the capacities.
        SolverError
            No plan within ``time_limit_s``.
        """
        from citylogistics.location.mip import Scip

        t0 = time.perf_counter()
        H, C, T = len(self.candidates), len(self.county_ids), len(self.years)
        unit = (
            self.days_per_year
            * self.cost_per_parcel_km_cny
            * np.where(np.isfinite(self.distance_km), self.distance_km, 0.0)
        )
        reach = np.isfinite(self.distance_km)
        scip = Scip(time_limit_s=time_limit_s, seed=seed, name="hub siting")
        s = scip.solver
        y = {(h, t): s.BoolVar(f"y_{h}_{t}") for h in range(H) for t in range(T)}
        x = {
            (c, h, t): s.BoolVar(f"x_{c}_{h}_{t}") for c in range(C) for h in range(H) for t in range(T) if reach[h, c]
        }
        self._add_opening_rows(s, y)
        self._add_assignment_rows(s, y, x, reach)
        s.Minimize(self._objective(y, x, unit))
        status, objective, bound, _ = scip.solve()
        if status == "infeasible":
            raise InputError(
                "no plan fits: with one T0 hub per county hub, the hubs' capacities cannot hold "
                "every year's loads (the totals fit, the packing does not); add capacity or "
                "allow more hubs",
                source=self.source,
                where="capacity_parcels_per_day",
            )
        if status == "timeout":
            raise SolverError(f"SCIP found no hub plan within {time_limit_s} s; raise time_limit_s")
        return self._read_plan(y, x, reach, unit, status=status, objective=objective, bound=bound, t0=t0)

    def _add_opening_rows(self, s, y: dict) -> None:
        """Existing hubs open every year; no opening outside ``opening_years``; no closing."""
        years, opening = self.years, set(self.opening_years or ())
        for h, cand in enumerate(self.candidates):
            for t in range(len(years)):
                if cand.existing:
                    s.Add(y[h, t] == 1)
                elif t == 0:
                    if years[0] not in opening:
                        s.Add(y[h, 0] == 0)
                else:
                    s.Add(y[h, t] >= y[h, t - 1])
                    if years[t] not in opening:
                        s.Add(y[h, t] == y[h, t - 1])

    def _add_assignment_rows(self, s, y: dict, x: dict, reach: np.ndarray) -> None:
        """Per year: open-hub count, single sourcing, capacity and the aggregate capacity cut."""
        H, C = len(self.candidates), len(self.county_ids)
        q = self.load_parcels_per_day
        cap = [c.capacity_parcels_per_day for c in self.candidates]
        for t in range(len(self.years)):
            n_open = sum(y[h, t] for h in range(H))
            s.Add(n_open >= int(self.min_open))
            s.Add(n_open <= self.max_open_effective)
            for c in range(C):
                s.Add(sum(x[c, h, t] for h in range(H) if reach[h, c]) == 1)
                for h in range(H):
                    if reach[h, c]:
                        s.Add(x[c, h, t] <= y[h, t])
                        if not self.allow_reassignment and t > 0:
                            s.Add(x[c, h, t] == x[c, h, t - 1])
            for h in range(H):
                terms = [float(q[c, t]) * x[c, h, t] for c in range(C) if reach[h, c] and q[c, t] > 0]
                if terms:
                    s.Add(sum(terms) <= float(cap[h]) * y[h, t])
            # aggregate capacity cut (tightens the LP)
            s.Add(sum(float(cap[h]) * y[h, t] for h in range(H)) >= float(q[:, t].sum()))

    def _objective(self, y: dict, x: dict, unit: np.ndarray):
        """Land (once, when opened), annual costs of each year open, trunk transport."""
        q = self.load_parcels_per_day
        obj = []
        for h, cand in enumerate(self.candidates):
            for t in range(len(self.years)):
                obj.append(float(cand.annual_cost_cny) * y[h, t])
                if not cand.existing:
                    prev = 0 if t == 0 else y[h, t - 1]
                    obj.append(float(cand.land_cost_cny) * (y[h, t] - prev))
        for (c, h, t), v in x.items():
            if q[c, t] > 0 and unit[h, c] > 0:
                obj.append(float(q[c, t] * unit[h, c]) * v)
        return sum(obj)

    def _read_plan(
        self,
        y: dict,
        x: dict,
        reach: np.ndarray,
        unit: np.ndarray,
        *,
        status: str,
        objective: float,
        bound: float,
        t0: float,
    ) -> HubSitingPlan:
        """The solution as a :class:`HubSitingPlan`, costs recomputed from it."""
        cands, years = self.candidates, self.years
        H, T = len(cands), len(years)
        q = self.load_parcels_per_day
        Y = np.array([[y[h, t].solution_value() > 0.5 for t in range(T)] for h in range(H)])
        open_year: dict[str, int | None] = {}
        for h, cand in enumerate(cands):
            if cand.existing:
                open_year[cand.id] = years[0] - 1
            else:
                on = np.flatnonzero(Y[h])
                open_year[cand.id] = years[int(on[0])] if on.size else None
        assignment, loads, by_year = {}, {}, {}
        land = annual = transport = 0.0
        for t, yr in enumerate(years):
            a, ld = {}, {cands[h].id: 0.0 for h in range(H) if Y[h, t]}
            tr = 0.0
            for c, cid in enumerate(self.county_ids):
                h = next(h for h in range(H) if reach[h, c] and x[c, h, t].solution_value() > 0.5)
                a[cid] = cands[h].id
                ld[cands[h].id] += float(q[c, t])
                tr += float(q[c, t] * unit[h, c])
            la = sum(
                float(cands[h].land_cost_cny)
                for h in range(H)
                if not cands[h].existing and open_year[cands[h].id] == yr
            )
            an = sum(float(cands[h].annual_cost_cny) for h in range(H) if Y[h, t])
            assignment[yr], loads[yr] = a, ld
            by_year[yr] = {"land_cny": la, "annual_cny": an, "transport_cny": tr, "total_cny": la + an + tr}
            land, annual, transport = land + la, annual + an, transport + tr
        gap = abs(objective - bound) / max(abs(objective), 1e-9) if math.isfinite(bound) else math.inf
        if status == "optimal" and gap < 1e-6:
            gap = 0.0
        return HubSitingPlan(
            years=years,
            open_year=open_year,
            assignment=assignment,
            load=loads,
            capacity={c.id: float(c.capacity_parcels_per_day) for c in cands},
            land_cost_cny=land,
            annual_cost_cny=annual,
            transport_cost_cny=transport,
            cost_by_year=by_year,
            objective=float(objective),
            bound=float(bound),
            gap=float(gap),
            status=status,
            solve_time_s=time.perf_counter() - t0,
            extra={
                "transport_cost_basis": "per parcel-km, road-network distance",
                "cost_per_parcel_km_cny": float(self.cost_per_parcel_km_cny),
                "days_per_year": float(self.days_per_year),
                "reassignment": "yearly" if self.allow_reassignment else "never",
                "opening_years": list(self.opening_years or ()),
                "min_open": int(self.min_open),
                "max_open": self.max_open_effective,
                "discounting": "none",
            },
        )
