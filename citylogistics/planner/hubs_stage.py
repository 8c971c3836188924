"""The ``[hubs]`` stage of the planner: city hubs (T0) chosen from candidate land parcels.

:func:`citylogistics.planner.four_tier.plan_city` calls it between the
phased T1/T2 siting and the first routing:

1. the county hubs' (T1) daily loads per year come from the planner's own
   demand: every village covered by an open station that year, delivery plus
   pickup (a hub sorts both), summed by the station's county hub;
2. :class:`citylogistics.location.hubs.HubSiting` chooses which candidates
   open in which year (a hub once open stays open; ``existing`` hubs open
   throughout) and assigns each county hub to one T0 hub per year, under
   each hub's daily capacity in every year. Objective: land cost once in the
   opening year + annual cost per year open + ``cost_per_parcel_km_cny`` x
   parcel-km on road distances (the fastest-path length between the hub's
   and the county hub's road nodes) x 365; no discounting;
3. the trunk leg of each year is then routed from every open hub to the
   county hubs assigned to it (one routing problem per hub: a vehicle never
   crosses into another hub's catchment, so the assignment, and with it the
   capacity, holds on the routes);
4. the per-km estimate is checked against the routed trunk legs: the routed
   trunk cost (vehicle fixed + distance costs of a day) divided by the
   parcel-km the model charges for the same loads (each delivered or picked
   up parcel x the road distance hub -> county hub). Both go into plan.json
   (``siting.<city>.hubs.trunk_check``) and the KPIs
   (``trunk_cost_per_parcel_km_cny`` against ``trunk_cost_per_parcel_km_model_cny``).

Re-assignment: with ``allow_reassignment = true`` (the default) a county hub
may move to another T0 hub from one year to the next (e.g. to a nearer hub
opened that year); with ``false`` it keeps its first-year hub for the horizon.

May import what the planner may (``errors``, ``geo``, ``network``,
``location``); nothing from :mod:`citylogistics.planner.four_tier` (which
calls it).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from citylogistics.errors import InputError, SolverError

#: A candidate further than this from every road node of the city network lies outside the city.
MAX_SNAP_M = 10_000.0
#: Trunk cost per year = a day's routes x this (as in the KPIs).
DAYS_PER_YEAR = 365
#: Columns the T0 rows add to the sites table (``sites.csv`` shows them when a plan has hubs).
HUB_SITE_COLUMNS = (
    "area_m2",
    "capacity_parcels_per_day",
    "load_parcels_per_day",
    "land_cost_cny",
    "annual_cost_cny",
    "existing",
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class HubSettings:
    """A scenario's ``[hubs]`` table with its candidates read (see
    :class:`citylogistics.scenario.files.HubsSection` for each key's meaning).

    ``source`` names the scenario file in errors; ``candidates_file`` the CSV.
    """

    candidates: tuple[Any, ...]  # citylogistics.location.hubs.HubCandidate
    min_open: int = 1
    max_open: int | None = None
    opening_years: tuple[int, ...] = ()
    cost_per_parcel_km_cny: float = 0.0013
    allow_reassignment: bool = True
    source: str = "scenario"
    candidates_file: str = ""

    @classmethod
    def from_section(cls, section, *, path, source: str, years: Sequence[int], province: bool = False) -> HubSettings:
        """From a scenario's :class:`~citylogistics.scenario.files.HubsSection`
        (``path``: its candidates file resolved), candidates read and :meth:`check` passed."""
        from citylogistics.location.hubs import read_candidates

        if province:
            raise InputError(
                "[hubs] candidates belong to one city; use [hubs] in a city scenario, not the province",
                source=source,
                where="hubs",
            )
        cands = read_candidates(path, throughput_parcels_per_m2_day=section.throughput_parcels_per_m2_day)
        hubs = cls(
            candidates=cands,
            min_open=section.min_open,
            max_open=section.max_open,
            opening_years=tuple(section.opening_years),
            cost_per_parcel_km_cny=section.cost_per_parcel_km_cny,
            allow_reassignment=section.allow_reassignment,
            source=str(source),
            candidates_file=str(section.candidates),
        )
        hubs.check(years)
        return hubs

    def check(self, years: Sequence[int]) -> None:
        """The infeasible cases known before any work: ``min_open`` above the
        candidates or ``max_open``, ``max_open`` below the existing hubs,
        opening years outside the horizon."""
        n, n_ex = len(self.candidates), sum(1 for c in self.candidates if c.existing)
        if self.min_open > n:
            raise InputError(
                f"= {self.min_open} but {self.candidates_file or 'hubs.candidates'} has only {n} "
                "candidates; lower hubs.min_open or add candidates",
                source=self.source,
                where="hubs.min_open",
            )
        if self.max_open is not None and self.max_open < self.min_open:
            raise InputError(
                f"= {self.max_open} is below hubs.min_open = {self.min_open}; raise it",
                source=self.source,
                where="hubs.max_open",
            )
        if self.max_open is not None and self.max_open < n_ex:
            raise InputError(
                f"= {self.max_open} but {n_ex} candidates are existing hubs that stay open; raise "
                f"hubs.max_open to at least {n_ex}",
                source=self.source,
                where="hubs.max_open",
            )
        bad = [y for y in self.opening_years if y not in years]
        if bad:
            raise InputError(
                f"{bad[0]} is outside the plan's years {years[0]}-{years[-1]}; use years of the plan",
                source=self.source,
                where="hubs.opening_years",
            )


def snap_candidates(G, index: Mapping[Any, int], hubs: HubSettings) -> np.ndarray:
    """Graph node index (into ``index``) of each candidate's nearest road node;
    a candidate more than :data:`MAX_SNAP_M` from the network is refused."""
    from citylogistics.geo import haversine_m
    from citylogistics.network.snap import nearest_nodes

    lon = np.array([c.lon for c in hubs.candidates], dtype=float)
    lat = np.array([c.lat for c in hubs.candidates], dtype=float)
    near = nearest_nodes(G, lon, lat)
    out = np.empty(len(near), dtype=np.int64)
    for k, (cand, n) in enumerate(zip(hubs.candidates, near)):
        d = float(haversine_m(cand.lon, cand.lat, float(G.nodes[n]["x"]), float(G.nodes[n]["y"])))
        if d > MAX_SNAP_M:
            raise InputError(
                f"candidate {cand.id!r} at ({cand.lon:.4f}, {cand.lat:.4f}) is {d / 1000:.0f} km from "
                "the city's road network; give candidates inside the scenario's city",
                source=hubs.source,
                where="hubs.candidates",
            )
        out[k] = index[n]
    return out


def _hub_key(where: str | None) -> str:
    """The ``[hubs]`` key behind a :class:`HubSiting` error field."""
    if where in ("min_open", "max_open", "opening_years"):
        return f"hubs.{where}"
    return "hubs.candidates"


def site_hubs(
    hubs: HubSettings,
    *,
    county_ids: Sequence[str],
    load_parcels_per_day: np.ndarray,
    distance_km: np.ndarray,
    years: Sequence[int],
    time_limit_s: float,
    seed: int,
):
    """Solve :class:`~citylogistics.location.hubs.HubSiting`; its infeasible
    cases become an :class:`InputError` naming the scenario and the ``hubs.*`` key.

    Returns a :class:`~citylogistics.location.hubs.HubSitingPlan`.
    """
    from citylogistics.location.hubs import HubSiting

    try:
        model = HubSiting.from_cost_matrix(
            hubs.candidates,
            county_ids,
            load_parcels_per_day,
            years,
            distance_km,
            cost_per_parcel_km_cny=hubs.cost_per_parcel_km_cny,
            min_open=hubs.min_open,
            max_open=hubs.max_open,
            opening_years=hubs.opening_years or None,
            allow_reassignment=hubs.allow_reassignment,
            days_per_year=float(DAYS_PER_YEAR),
            source="hubs",
        )
        return model.solve(time_limit_s=time_limit_s, seed=seed)
    except InputError as exc:
        raise InputError(
            f"{exc.message} (candidates: {hubs.candidates_file})", source=hubs.source, where=_hub_key(exc.where)
        ) from None
    except SolverError as exc:
        raise SolverError(f"{hubs.source}: hub siting: {exc}") from None


def hub_sites(
    hubs: HubSettings, plan, *, nodes: np.ndarray, city_code: str, final_load: Mapping[str, float]
) -> list[dict]:
    """One sites row (tier T0) per candidate: open year (NaN: never opened;
    existing hubs the year before the horizon), area, capacity, final-year load, costs."""
    rows = []
    for cand, node in zip(hubs.candidates, nodes):
        oy = plan.open_year[cand.id]
        rows.append(
            {
                "id": cand.id,
                "tier": "T0",
                "code": cand.id,
                "name": cand.name or cand.id,
                "lon": float(cand.lon),
                "lat": float(cand.lat),
                "county_code": "",
                "city_code": city_code,
                "pinyin": "",
                "open_year": np.nan if oy is None else float(oy),
                "node": int(node),
                "area_m2": float(cand.area_m2),
                "capacity_parcels_per_day": float(cand.capacity_parcels_per_day),
                "load_parcels_per_day": round(float(final_load.get(cand.id, 0.0)), 3) if oy is not None else 0.0,
                "land_cost_cny": float(cand.land_cost_cny),
                "annual_cost_cny": float(cand.annual_cost_cny),
                "existing": bool(cand.existing),
            }
        )
    return rows


def route_parcel_km(route: Mapping, distance_km: Mapping[tuple[str, str], float]) -> float:
    """Parcel-km a trunk route carries in the model's terms: each stop's
    delivery plus pickup x the road distance from the route's hub to that county hub."""
    total = 0.0
    for s in route["steps"]:
        if s["type"] in ("delivery", "pickup"):
            d = distance_km.get((route["depot"], s["id"].split("~")[0]), 0.0)
            total += (float(s.get("delivery", 0.0)) + float(s.get("pickup", 0.0))) * d
    return total


def route_cost(route: Mapping) -> float:
    """A route's cost of a day (fixed + distance + time), as in the KPIs."""
    return float(
        route.get("fixed_cost_cny", 0.0) + route.get("distance_cost_cny", 0.0) + route.get("time_cost_cny", 0.0)
    )


def trunk_check(routes: Sequence[Mapping], *, years: Sequence[int], model_cny_per_parcel_km: float) -> dict:
    """Per year: the routed trunk cost per parcel-km against the model's estimate.

    ``routes`` carry ``parcel_km`` (:func:`route_parcel_km`). ``ratio`` =
    routed / model (1: the estimate matches the routes; above 1 the model
    underestimates trunk transport).
    """
    out = {}
    for year in years:
        rs = [r for r in routes if r["leg"] == "trunk" and r["year"] == year]
        cost = sum(route_cost(r) for r in rs)
        pkm = sum(float(r.get("parcel_km", 0.0)) for r in rs)
        routed = cost / pkm if pkm > 0 else math.nan
        out[str(year)] = {
            "routed_cost_cny_per_day": round(cost, 2),
            "parcel_km_per_day": round(pkm, 1),
            "routed_cny_per_parcel_km": _num(routed, 6),
            "model_cny_per_parcel_km": model_cny_per_parcel_km,
            "ratio": _num(routed / model_cny_per_parcel_km if model_cny_per_parcel_km > 0 else math.nan, 4),
        }
    return out


def _num(x: float, digits: int):
    return round(x, digits) if math.isfinite(x) else None


def hubs_block(hubs: HubSettings, plan, *, routed_load: Mapping[int, Mapping[str, float]], check: dict) -> dict:
    """plan.json's ``siting.<city>.hubs``: the hub plan (open years, yearly
    assignment and planned loads, costs, solver), the routed loads and the per-km check."""
    d = plan.to_dict()
    d["candidates_file"] = hubs.candidates_file
    d["routed_load"] = {str(y): {h: round(v, 3) for h, v in sorted(ld.items())} for y, ld in routed_load.items()}
    d["trunk_check"] = check
    d["load"] = {y: {h: round(v, 3) for h, v in ld.items()} for y, ld in d["load"].items()}
    return d


def routed_loads(routes: Sequence[Mapping], *, years: Sequence[int]) -> dict[int, dict[str, float]]:
    """Year -> hub id -> parcels/day on its trunk routes (delivered plus picked up)."""
    out: dict[int, dict[str, float]] = {y: {} for y in years}
    for r in routes:
        if r["leg"] != "trunk":
            continue
        load = sum(
            float(s.get("delivery", 0.0)) + float(s.get("pickup", 0.0))
            for s in r["steps"]
            if s["type"] in ("delivery", "pickup")
        )
        out[r["year"]][r["depot"]] = out[r["year"]].get(r["depot"], 0.0) + load
    return out
