"""Key performance indicators of a coverage plan, per year and scope.

Scopes: the scenario's top scope (``province`` or the city), every city (in a
province scenario) and every county.  Every row is a year's figure:

- coverage: ``villages``, ``villages_covered`` (an open station within the
  coverage limit), ``villages_served`` (covered and routed),
  ``population_covered_share``, ``village_covered_share``, ``next_day_share``
  (population share whose parcels arrive by the next-day cutoff);
- cost (CNY per year): ``opening_cost_cny`` (sites opened that year),
  ``site_cost_cny`` (running the open hubs, stations and served village
  points), ``vehicle_cost_cny`` (route costs of a day × 365), ``cost_cny``
  (their sum), ``parcels`` (served deliveries × 365), ``cost_per_parcel_cny``;
- transport (per year, a day × 365): ``vehicle_km``, ``co2_kg`` and
  ``co2_kg_<vehicle type>``;
- equity over villages with a road path to an open site:
  ``access_mean_s``, ``worst_tenth_access_s`` (mean access time of the worst
  served tenth), ``gini_access_time``; ``min_county_coverage`` (lowest county
  population coverage inside the scope);
- ``unserved_<reason>`` counts;
- with city hubs chosen from candidates (``[hubs]``; :data:`HUB_COLUMNS`, after
  ``min_county_coverage``, only in such plans so other plans' kpis.csv keep
  their bytes): ``hubs_open``, ``land_used_m2`` (area of the open hubs),
  ``hub_utilisation_max`` / ``hub_utilisation_mean`` (over open hubs: the
  parcels delivered and picked up on the hub's trunk routes of a day ÷ its
  daily capacity; 0 when the trunk leg is not routed), and the check of the
  transport estimate: ``trunk_cost_per_parcel_km_cny`` (routed trunk cost of
  a day ÷ the parcel-km the hub model charges for the same parcels: parcels ×
  road distance hub → county hub) next to ``trunk_cost_per_parcel_km_model_cny``
  (``hubs.cost_per_parcel_km_cny``). Hubs' land cost counts in
  ``opening_cost_cny`` in the opening year and their annual cost in
  ``site_cost_cny``. County scopes hold no hubs: NaN there.

County scope counts last-mile routes from the county's stations and shuttles
from its hub; trunk routes count in the city and province scopes only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365
REASON_COLUMNS = (
    "budget",
    "too_far",
    "unreachable",
    "capacity",
    "time_window",
    "shift_length",
    "no_vehicle",
    "penalty",
    "shuttle_leg",
    "trunk_leg",
)


#: the columns of :func:`compute_kpis` in order; ``co2_kg_<vehicle type>`` follow ``gini``…
#: ``min_county_coverage``, then ``unserved_<reason>`` for each of :data:`REASON_COLUMNS`
BASE_COLUMNS = (
    "year",
    "scope",
    "villages",
    "villages_covered",
    "villages_served",
    "population",
    "population_covered_share",
    "village_covered_share",
    "next_day_share",
    "t1_open",
    "t2_open",
    "sites_opened",
    "opening_cost_cny",
    "site_cost_cny",
    "vehicle_cost_cny",
    "cost_cny",
    "parcels",
    "cost_per_parcel_cny",
    "vehicle_km",
    "co2_kg",
    "access_mean_s",
    "worst_tenth_access_s",
    "gini_access_time",
    "min_county_coverage",
)
#: columns of plans with city hubs chosen from candidates (``[hubs]``), after ``min_county_coverage``
HUB_COLUMNS = (
    "hubs_open",
    "land_used_m2",
    "hub_utilisation_max",
    "hub_utilisation_mean",
    "trunk_cost_per_parcel_km_cny",
    "trunk_cost_per_parcel_km_model_cny",
)


def kpi_columns(vehicle_types: Sequence[str], *, hubs: bool = False) -> tuple[str, ...]:
    """Every column :func:`compute_kpis` writes for a fleet of these vehicle type
    names (``hubs``: a plan with city hubs chosen from candidates)."""
    return (
        *BASE_COLUMNS,
        *(HUB_COLUMNS if hubs else ()),
        *(f"co2_kg_{vt}" for vt in sorted(vehicle_types)),
        *(f"unserved_{rc}" for rc in REASON_COLUMNS),
    )


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0: all equal)."""
    v = np.sort(np.asarray(values, dtype=float))
    v = v[np.isfinite(v)]
    if len(v) == 0 or v.sum() <= 0:
        return 0.0
    n = len(v)
    cum = np.cumsum(v)
    return float((n + 1 - 2 * (cum / cum[-1]).sum()) / n)


def worst_tenth_mean(values: np.ndarray) -> float:
    v = np.sort(np.asarray(values, dtype=float))
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return float("nan")
    k = max(1, int(np.ceil(len(v) / 10)))
    return float(v[-k:].mean())


def route_frame(routes: Sequence[dict], site_county: dict[str, str]) -> pd.DataFrame:
    """One row per route: year, city, county (of its depot; '' for trunk), leg, type, km, cost, co2."""
    rows = []
    for r in routes:
        cost = r.get("fixed_cost_cny", 0.0) + r.get("distance_cost_cny", 0.0) + r.get("time_cost_cny", 0.0)
        county = "" if r["leg"] == "trunk" else site_county.get(r["depot"], "")
        rows.append(
            (
                r["year"],
                r["city"],
                county,
                r["leg"],
                r.get("vehicle_type", ""),
                r["distance_m"] / 1000.0,
                cost,
                r.get("co2_kg", 0.0),
            )
        )
    return pd.DataFrame(rows, columns=["year", "city", "county", "leg", "vehicle_type", "km", "cost", "co2"])


def compute_kpis(
    villages: pd.DataFrame,
    yearly: pd.DataFrame,
    sites: pd.DataFrame,
    routes: Sequence[dict],
    *,
    years: Sequence[int],
    top_scope: str,
    settings,
) -> pd.DataFrame:
    """KPI table: one row per (year, scope).

    ``villages``: code index with city_code, county_code, population.
    ``yearly``: code, year, access_time_s, covered, served, reason, delivery_parcels, next_day.
    ``sites``: id, tier, county_code, city_code, open_year.
    """
    y = yearly.merge(villages[["city_code", "county_code", "population"]], left_on="code", right_index=True)
    site_county = dict(zip(sites["id"], sites["county_code"]))
    rf = route_frame(routes, site_county)
    vtypes = sorted(set(rf["vehicle_type"])) if len(rf) else []
    scopes = _scopes(villages, top_scope)
    has_hubs = bool((sites["tier"] == "T0").any())
    rows = []
    for year in years:
        yy = y[y["year"] == year]
        ry = rf[rf["year"] == year] if len(rf) else rf
        county_cov = yy.groupby("county_code").apply(
            lambda g: (g["population"] * g["covered"]).sum() / max(g["population"].sum(), 1), include_groups=False
        )
        for scope, city, county in scopes:
            g, rg, s = _in_scope(yy, ry, sites, city=city, county=county)
            row = _kpi_row(
                g,
                rg,
                s,
                year=year,
                scope=scope,
                county_cov=county_cov,
                settings=settings,
                has_hubs=has_hubs,
                hubs_in_scope=county is None,
                routes=routes,
                vtypes=vtypes,
            )
            rows.append(row)
    return pd.DataFrame(rows)


def _scopes(villages: pd.DataFrame, top_scope: str) -> list[tuple[str, str | None, str | None]]:
    """(scope, city code, county code) of every scope: the top one, each city (province plans), each county."""
    scopes: list[tuple[str, str | None, str | None]] = [(top_scope, None, None)]
    if top_scope == "province":
        scopes += [(f"city:{c}", c, None) for c in sorted(villages["city_code"].unique())]
    scopes += [(f"county:{c}", None, c) for c in sorted(villages["county_code"].unique())]
    return scopes


def _in_scope(
    yy: pd.DataFrame, ry: pd.DataFrame, sites: pd.DataFrame, *, city: str | None, county: str | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The village-years, routes and sites of one scope (a city, a county, or all of them)."""
    if city is not None:
        return yy[yy["city_code"] == city], ry[ry["city"] == city] if len(ry) else ry, sites[sites["city_code"] == city]
    if county is not None:
        return (
            yy[yy["county_code"] == county],
            ry[ry["county"] == county] if len(ry) else ry,
            sites[sites["county_code"] == county],
        )
    return yy, ry, sites


def _site_costs(
    s: pd.DataFrame, g: pd.DataFrame, *, year: int, settings, has_hubs: bool
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, float, float]:
    """The stations opened this year and open now (T0 hubs apart), the hubs open now,
    and the year's opening and site costs (CNY) of a scope."""
    open_now = s[s["open_year"].fillna(10_000) <= year]
    opened = s[s["open_year"] == year]
    hub_open, hub_now = opened[opened["tier"] == "T0"], open_now[open_now["tier"] == "T0"]
    if has_hubs:  # T0 rows: the hubs' own land and annual costs
        opened, open_now = opened[opened["tier"] != "T0"], open_now[open_now["tier"] != "T0"]
    open_cost = float(np.where(opened["tier"] == "T1", settings.t1_open_cost_cny, settings.t2_open_cost_cny).sum())
    site_cost = float(
        np.where(
            open_now["tier"] == "T1", settings.t1_fixed_cost_cny_per_year, settings.t2_fixed_cost_cny_per_year
        ).sum()
        + settings.t3_fixed_cost_cny_per_year * int(g["served"].sum())
    )
    if has_hubs:
        open_cost += float(hub_open.loc[~hub_open["existing"].astype(bool), "land_cost_cny"].sum())
        site_cost += float(hub_now["annual_cost_cny"].sum())
    return opened, open_now, hub_now, open_cost, site_cost


def _kpi_row(
    g: pd.DataFrame,
    rg: pd.DataFrame,
    s: pd.DataFrame,
    *,
    year: int,
    scope: str,
    county_cov: pd.Series,
    settings,
    has_hubs: bool,
    hubs_in_scope: bool,
    routes: Sequence[dict],
    vtypes: Sequence[str],
) -> dict:
    """One (year, scope) row of :func:`compute_kpis` from the scope's village-years ``g``,
    routes ``rg`` and sites ``s``."""
    opened, open_now, hub_now, open_cost, site_cost = _site_costs(s, g, year=year, settings=settings, has_hubs=has_hubs)
    pop = float(g["population"].sum())
    vehicle_cost = float(rg["cost"].sum()) * DAYS_PER_YEAR if len(rg) else 0.0
    parcels = float(g.loc[g["served"], "delivery_parcels"].sum()) * DAYS_PER_YEAR
    total = open_cost + site_cost + vehicle_cost
    acc = g["access_time_s"].to_numpy(dtype=float)
    row = {
        "year": year,
        "scope": scope,
        "villages": len(g),
        "villages_covered": int(g["covered"].sum()),
        "villages_served": int(g["served"].sum()),
        "population": int(pop),
        "population_covered_share": round(float((g["population"] * g["covered"]).sum()) / pop, 6) if pop else 0.0,
        "village_covered_share": round(float(g["covered"].mean()), 6) if len(g) else 0.0,
        "next_day_share": round(float((g["population"] * g["next_day"]).sum()) / pop, 6) if pop else 0.0,
        "t1_open": int((open_now["tier"] == "T1").sum()),
        "t2_open": int((open_now["tier"] == "T2").sum()),
        "sites_opened": len(opened),
        "opening_cost_cny": round(open_cost, 2),
        "site_cost_cny": round(site_cost, 2),
        "vehicle_cost_cny": round(vehicle_cost, 2),
        "cost_cny": round(total, 2),
        "parcels": round(parcels, 1),
        "cost_per_parcel_cny": round(total / parcels, 4) if parcels else float("nan"),
        "vehicle_km": round(float(rg["km"].sum()) * DAYS_PER_YEAR, 1) if len(rg) else 0.0,
        "co2_kg": round(float(rg["co2"].sum()) * DAYS_PER_YEAR, 1) if len(rg) else 0.0,
        "access_mean_s": round(float(np.nanmean(np.where(np.isfinite(acc), acc, np.nan))), 1)
        if np.isfinite(acc).any()
        else float("nan"),
        "worst_tenth_access_s": round(worst_tenth_mean(acc), 1),
        "gini_access_time": round(gini(acc), 4),
        "min_county_coverage": round(float(county_cov.reindex(g["county_code"].unique()).min()), 6)
        if len(g)
        else float("nan"),
    }
    if has_hubs:
        row.update(_hub_kpis(hub_now, year=year, settings=settings, hubs_in_scope=hubs_in_scope, routes=routes))
    for vt in vtypes:
        row[f"co2_kg_{vt}"] = (
            round(float(rg.loc[rg["vehicle_type"] == vt, "co2"].sum()) * DAYS_PER_YEAR, 1) if len(rg) else 0.0
        )
    reasons = g.loc[~g["served"], "reason"].value_counts()
    for rc in REASON_COLUMNS:
        row[f"unserved_{rc}"] = int(reasons.get(rc, 0))
    return row


def _hub_kpis(hubs_open: pd.DataFrame, *, year: int, settings, hubs_in_scope: bool, routes: Sequence[dict]) -> dict:
    """The :data:`HUB_COLUMNS` of one (year, scope) row; NaN in county scopes."""
    if not hubs_in_scope:
        return dict.fromkeys(HUB_COLUMNS, float("nan"))
    load: dict[str, float] = {}
    parcel_km = cost = 0.0
    for r in routes:
        if r["leg"] != "trunk" or r["year"] != year or r["depot"] not in set(hubs_open["id"]):
            continue
        load[r["depot"]] = load.get(r["depot"], 0.0) + sum(
            float(s.get("delivery", 0.0)) + float(s.get("pickup", 0.0))
            for s in r["steps"]
            if s["type"] in ("delivery", "pickup")
        )
        parcel_km += float(r.get("parcel_km", 0.0))
        cost += r.get("fixed_cost_cny", 0.0) + r.get("distance_cost_cny", 0.0) + r.get("time_cost_cny", 0.0)
    util = np.array(
        [load.get(h, 0.0) / float(c) for h, c in zip(hubs_open["id"], hubs_open["capacity_parcels_per_day"])]
    )
    model = settings.hubs.cost_per_parcel_km_cny if getattr(settings, "hubs", None) is not None else float("nan")
    return {
        "hubs_open": len(hubs_open),
        "land_used_m2": round(float(hubs_open["area_m2"].sum()), 1),
        "hub_utilisation_max": round(float(util.max()), 6) if len(util) else float("nan"),
        "hub_utilisation_mean": round(float(util.mean()), 6) if len(util) else float("nan"),
        "trunk_cost_per_parcel_km_cny": round(cost / parcel_km, 6) if parcel_km > 0 else float("nan"),
        "trunk_cost_per_parcel_km_model_cny": model,
    }


def summary_rows(k) -> list[tuple[str, str]]:
    """The headline figures of one KPI row (a mapping), as (label, text) pairs:
    the one list the plan summary, the report and the notebook display share."""

    def num(key: str, fmt: str) -> str:
        v = k.get(key, float("nan"))
        try:
            v = float(v)
        except (TypeError, ValueError):
            return ""
        return fmt.format(v) if np.isfinite(v) else "–"

    return [
        ("villages covered", f"{int(k['villages_covered']):,} of {int(k['villages']):,}"),
        ("population covered", num("population_covered_share", "{:.1%}").replace("%", " %")),
        ("next-day share", num("next_day_share", "{:.1%}").replace("%", " %")),
        ("hubs / stations open", f"{int(k.get('t1_open', 0))} / {int(k.get('t2_open', 0))}"),
        ("cost (CNY/year)", num("cost_cny", "{:,.0f}")),
        ("cost per parcel (CNY)", num("cost_per_parcel_cny", "{:.3f}")),
        ("vehicle-km (per year)", num("vehicle_km", "{:,.0f}")),
        ("CO2 (kg/year)", num("co2_kg", "{:,.0f}")),
    ]
