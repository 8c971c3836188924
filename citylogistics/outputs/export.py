"""Export a coverage plan: CSV tables, GeoPackage layers, plan.json and the map.

Column sets are part of the product's interface (later versions add columns,
never rename these):

- ``sites.csv``: ``id,tier,code,name,lon,lat,open_year`` (+ ``county_code,city_code,pinyin``)
- ``villages.csv``: ``code,name,county_code,lon,lat,population,demand_parcels,served_by,
  access_time_s,access_km,covered_year,reason`` (+ ``pinyin,point_source,pickup_parcels,city_code``)
- ``kpis.csv``: ``year,scope,villages,villages_covered,population_covered_share,cost_cny,
  vehicle_km,co2_kg`` first, then the rest (see :mod:`citylogistics.planner.kpis`)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SITES_COLUMNS = ("id", "tier", "code", "name", "lon", "lat", "open_year", "county_code", "city_code", "pinyin")
VILLAGES_COLUMNS = ("code", "name", "county_code", "lon", "lat", "population", "demand_parcels", "served_by",
                    "access_time_s", "access_km", "covered_year", "reason", "pinyin", "point_source",
                    "pickup_parcels", "city_code")
KPI_LEAD = ("year", "scope", "villages", "villages_covered", "population_covered_share", "cost_cny",
            "vehicle_km", "co2_kg")


def _csv(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, lineterminator="\n", float_format="%.10g")


def sites_table(sites: pd.DataFrame) -> pd.DataFrame:
    out = sites.copy()
    out["open_year"] = out["open_year"].astype("Int64")
    return out[list(SITES_COLUMNS)].sort_values(["tier", "code"], kind="stable")


def villages_table(villages: pd.DataFrame) -> pd.DataFrame:
    out = villages.copy()
    out["code"] = out.index
    out = out.reset_index(drop=True)
    out["covered_year"] = out["covered_year"].astype("Int64")
    out["access_time_s"] = out["access_time_s"].where(np.isfinite(out["access_time_s"])).round(1)
    out["access_km"] = out["access_km"].where(np.isfinite(out["access_km"])).round(3)
    out["demand_parcels"] = out["demand_parcels"].round(3)
    out["pickup_parcels"] = out["pickup_parcels"].round(3)
    out["lon"] = out["lon"].round(6)
    out["lat"] = out["lat"].round(6)
    return out[list(VILLAGES_COLUMNS)].sort_values("code", kind="stable")


def kpi_table(kpis: pd.DataFrame) -> pd.DataFrame:
    rest = [c for c in kpis.columns if c not in KPI_LEAD]
    return kpis[list(KPI_LEAD) + rest]


def plan_document(*, scenario_info: Mapping[str, Any], routes: Sequence[dict], unassigned: Sequence[dict],
                  final_year: int, villages: pd.DataFrame, phases: Sequence[dict], siting: Mapping) -> dict:
    """plan.json: the issue-2 schema (summary of the final year) plus phases, legs and siting."""
    final = [r for r in routes if r["year"] == final_year]
    cost = sum(r.get("fixed_cost_cny", 0) + r.get("distance_cost_cny", 0) + r.get("time_cost_cny", 0) for r in final)
    served = int((villages["reason"] == "").sum())
    return {
        "scenario": dict(scenario_info),
        "units": {"distance": "m", "time": "s", "load": "parcels", "cost": "CNY"},
        "summary": {"year": final_year, "cost": round(cost, 2), "distance_m": round(sum(r["distance_m"] for r in final), 1),
                    "duration_s": round(sum(r["duration_s"] for r in final), 1), "routes": len(final),
                    "served": served, "unassigned": len(villages) - served},
        "phases": list(phases),
        "siting": dict(siting),
        "routes": [{k: v for k, v in r.items() if k != "geometry"} for r in routes],
        "unassigned": list(unassigned),
    }


def dump_plan_json(doc: Mapping) -> str:
    big = len(doc.get("routes", ())) > 2000
    if big:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def route_points(route: Mapping, coords: Mapping[str, tuple[float, float]]) -> list[tuple[float, float]]:
    """(lon, lat) along the road network when the route carries its geometry, else through its stops."""
    geom = route.get("geometry")
    if geom and len(geom) >= 2:
        return [tuple(p) for p in geom]
    return [coords[s["id"].split("~")[0]] for s in route["steps"] if s["id"].split("~")[0] in coords]


def write_geopackage(path: Path, sites: pd.DataFrame, villages: pd.DataFrame, routes: Sequence[dict],
                     coords: Mapping[str, tuple[float, float]], *, kpis: pd.DataFrame | None = None,
                     county_polygons=None, with_service_areas: bool = True) -> None:
    """Write ``plan.gpkg``; every layer in EPSG:4326 (WGS-84), readable by QGIS.

    Layers: ``sites`` and ``villages`` (points, the columns of sites.csv and
    villages.csv), ``routes`` (lines along the road network where the route
    carries its geometry, else through its stops), ``service_areas`` (a
    polygon per station around its villages, final year) and, with ``kpis``
    and ``county_polygons``, ``county_coverage`` (one county polygon per year
    with its coverage KPIs).
    """
    import geopandas as gpd
    from shapely import LineString

    s = sites_table(sites)
    gpd.GeoDataFrame(s, geometry=gpd.points_from_xy(s["lon"], s["lat"]), crs="EPSG:4326").to_file(
        path, layer="sites", driver="GPKG")
    v = villages_table(villages)
    gpd.GeoDataFrame(v, geometry=gpd.points_from_xy(v["lon"], v["lat"]), crs="EPSG:4326").to_file(
        path, layer="villages", driver="GPKG", mode="a")
    rows, geoms = [], []
    for r in routes:
        pts = route_points(r, coords)
        if len(pts) < 2:
            continue
        rows.append({"year": r["year"], "city": r["city"], "leg": r["leg"], "vehicle": str(r["vehicle"]),
                     "vehicle_type": r.get("vehicle_type", ""), "depot": r["depot"],
                     "stops": sum(1 for s in r["steps"] if s["type"] in ("delivery", "pickup")),
                     "distance_m": r["distance_m"], "duration_s": r["duration_s"], "co2_kg": r.get("co2_kg", 0.0)})
        geoms.append(LineString(pts))
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows, columns=list(ROUTE_LAYER_COLUMNS)), geometry=geoms, crs="EPSG:4326")
    gdf.to_file(path, layer="routes", driver="GPKG", mode="a")
    if with_service_areas:
        from citylogistics.outputs.plan_map import service_areas

        areas = service_areas(sites, villages)
        names = dict(zip(sites["id"], sites["name"]))
        areas.insert(1, "name", [names.get(i, "") for i in areas["id"]])
        gpd.GeoDataFrame(areas.drop(columns="geometry"), geometry=list(areas["geometry"]), crs="EPSG:4326").to_file(
            path, layer="service_areas", driver="GPKG", mode="a", promote_to_multi=True)
    if kpis is not None and county_polygons is not None:
        k = kpis[kpis["scope"].astype(str).str.startswith("county:")].copy()
        k.insert(0, "county_code", k["scope"].str.split(":", n=1).str[1])
        k = k[k["county_code"].isin(county_polygons.index)]
        k.insert(1, "county_name", [county_polygons.at[c, "name"] for c in k["county_code"]])
        gpd.GeoDataFrame(k.reset_index(drop=True), geometry=[county_polygons.geometry.at[c] for c in k["county_code"]],
                         crs="EPSG:4326").to_file(path, layer="county_coverage", driver="GPKG", mode="a",
                                                  promote_to_multi=True)


ROUTE_LAYER_COLUMNS = ("year", "city", "leg", "vehicle", "vehicle_type", "depot", "stops", "distance_m", "duration_s",
                       "co2_kg")


def write_csvs(stage: Path, sites: pd.DataFrame, villages: pd.DataFrame, kpis: pd.DataFrame) -> None:
    (stage / "sites.csv").write_text(_csv(sites_table(sites)), encoding="utf-8")
    (stage / "villages.csv").write_text(_csv(villages_table(villages)), encoding="utf-8")
    (stage / "kpis.csv").write_text(_csv(kpi_table(kpis)), encoding="utf-8")
