"""Export a coverage plan: CSV tables, GeoPackage layers and the plan.json text.

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
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from citylogistics.outputs.geometry import route_points, service_areas

SITES_COLUMNS = ("id", "tier", "code", "name", "lon", "lat", "open_year", "county_code", "city_code", "pinyin")
VILLAGES_COLUMNS = (
    "code",
    "name",
    "county_code",
    "lon",
    "lat",
    "population",
    "demand_parcels",
    "served_by",
    "access_time_s",
    "access_km",
    "covered_year",
    "reason",
    "pinyin",
    "point_source",
    "pickup_parcels",
    "city_code",
)
KPI_LEAD = (
    "year",
    "scope",
    "villages",
    "villages_covered",
    "population_covered_share",
    "cost_cny",
    "vehicle_km",
    "co2_kg",
)


def _csv(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, lineterminator="\n", float_format="%.10g")


def sites_table(sites: pd.DataFrame) -> pd.DataFrame:
    out = sites.copy()
    out["open_year"] = out["open_year"].astype("Int64")
    from citylogistics.planner.hubs_stage import HUB_SITE_COLUMNS

    cols = list(SITES_COLUMNS) + [c for c in HUB_SITE_COLUMNS if c in out.columns]  # [hubs] plans only
    return out[cols].sort_values(["tier", "code"], kind="stable")


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


def dump_plan_json(doc: Mapping) -> str:
    """The one plan.json writer (route runs and coverage plans): indented, compact above 2,000 routes."""
    big = len(doc.get("routes", ())) > 2000
    if big:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def plan_geodataframes(plan) -> dict:
    """The layers of a :class:`~citylogistics.planner.coverage_plan.CoveragePlan`
    as GeoDataFrames in EPSG:4326: ``sites`` and ``villages`` (points, the
    columns of sites.csv and villages.csv), ``routes`` (lines along the road
    network where the route carries its geometry, else through its stops) and
    ``service_areas`` (a polygon per station around its villages, final year)."""
    import geopandas as gpd
    from shapely import LineString

    s = sites_table(plan.sites)
    v = villages_table(plan.villages)
    coords = plan.coords
    rows, geoms = [], []
    for r in plan.routes:
        pts = route_points(r, coords)
        if len(pts) < 2:
            continue
        rows.append(
            {
                "year": r["year"],
                "city": r["city"],
                "leg": r["leg"],
                "vehicle": str(r["vehicle"]),
                "vehicle_type": r.get("vehicle_type", ""),
                "depot": r["depot"],
                "stops": sum(1 for st in r["steps"] if st["type"] in ("delivery", "pickup")),
                "distance_m": r["distance_m"],
                "duration_s": r["duration_s"],
                "co2_kg": r.get("co2_kg", 0.0),
            }
        )
        geoms.append(LineString(pts))
    areas = service_areas(plan.sites, plan.villages)
    names = dict(zip(plan.sites["id"], plan.sites["name"]))
    areas.insert(1, "name", [names.get(i, "") for i in areas["id"]])
    return {
        "sites": gpd.GeoDataFrame(s, geometry=gpd.points_from_xy(s["lon"], s["lat"]), crs="EPSG:4326"),
        "villages": gpd.GeoDataFrame(v, geometry=gpd.points_from_xy(v["lon"], v["lat"]), crs="EPSG:4326"),
        "routes": gpd.GeoDataFrame(
            pd.DataFrame(rows, columns=list(ROUTE_LAYER_COLUMNS)), geometry=geoms, crs="EPSG:4326"
        ),
        "service_areas": gpd.GeoDataFrame(
            areas.drop(columns="geometry"), geometry=list(areas["geometry"]), crs="EPSG:4326"
        ),
    }


def write_geopackage(path: Path, plan, *, county_polygons=None) -> None:
    """Write ``plan.gpkg``; every layer in EPSG:4326 (WGS-84), readable by QGIS.

    Layers: those of :func:`plan_geodataframes` and, with ``county_polygons``,
    ``county_coverage`` (one county polygon per year with its coverage KPIs).
    """
    import geopandas as gpd

    for i, (layer, gdf) in enumerate(plan_geodataframes(plan).items()):
        extra = {"promote_to_multi": True} if layer == "service_areas" else {}
        gdf.to_file(path, layer=layer, driver="GPKG", mode="w" if i == 0 else "a", **extra)
    kpis = plan.kpis
    if county_polygons is not None:
        k = kpis[kpis["scope"].astype(str).str.startswith("county:")].copy()
        k.insert(0, "county_code", k["scope"].str.split(":", n=1).str[1])
        k = k[k["county_code"].isin(county_polygons.index)]
        k.insert(1, "county_name", [county_polygons.at[c, "name"] for c in k["county_code"]])
        gpd.GeoDataFrame(
            k.reset_index(drop=True),
            geometry=[county_polygons.geometry.at[c] for c in k["county_code"]],
            crs="EPSG:4326",
        ).to_file(path, layer="county_coverage", driver="GPKG", mode="a", promote_to_multi=True)


ROUTE_LAYER_COLUMNS = (
    "year",
    "city",
    "leg",
    "vehicle",
    "vehicle_type",
    "depot",
    "stops",
    "distance_m",
    "duration_s",
    "co2_kg",
)


def write_csvs(stage: Path, plan) -> None:
    """``sites.csv``, ``villages.csv`` and ``kpis.csv`` of a plan."""
    (stage / "sites.csv").write_text(_csv(sites_table(plan.sites)), encoding="utf-8")
    (stage / "villages.csv").write_text(_csv(villages_table(plan.villages)), encoding="utf-8")
    (stage / "kpis.csv").write_text(_csv(kpi_table(plan.kpis)), encoding="utf-8")
