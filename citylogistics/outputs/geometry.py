"""Geometry of a coverage plan, shared by the map, the GeoPackage and
:meth:`citylogistics.planner.coverage_plan.CoveragePlan.to_geodataframes`:
route lines along the road network and station service areas.

Everything is WGS-84 (lon, lat); metric work happens in a local plane per
station (:func:`citylogistics.geo.local_xy_m`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

#: Service-area polygons are buffered by this much around their villages.
SERVICE_AREA_BUFFER_M = 800.0


def route_points(route: Mapping, coords: Mapping[str, tuple[float, float]]) -> list[tuple[float, float]]:
    """(lon, lat) along the road network when the route carries its geometry, else through its stops."""
    geom = route.get("geometry")
    if geom and len(geom) >= 2:
        return [tuple(p) for p in geom]
    return [coords[s["id"].split("~")[0]] for s in route["steps"] if s["id"].split("~")[0] in coords]


def service_areas(
    sites: pd.DataFrame, villages: pd.DataFrame, *, buffer_m: float = SERVICE_AREA_BUFFER_M, simplify_m: float = 50.0
) -> pd.DataFrame:
    """A polygon per station around the villages assigned to it (final year).

    The polygon is the concave hull of the station and its villages (each of
    them reached within the coverage limit along the road network), buffered by
    ``buffer_m``; computed in a local metric frame per station, so the cost is
    linear in the number of villages.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``villages``, ``max_access_s``, ``demand_parcels`` and
        ``geometry`` (shapely Polygon/MultiPolygon, WGS-84).
    """
    import shapely
    from shapely.geometry import MultiPoint

    from citylogistics.geo import EARTH_RADIUS_M, local_xy_m

    served = villages[villages["served_by"].fillna("").astype(str) != ""]
    rows = []
    by_id = sites.set_index("id")
    for sid, g in served.groupby("served_by", sort=True):
        if sid not in by_id.index:
            continue
        lon0, lat0 = float(by_id.at[sid, "lon"]), float(by_id.at[sid, "lat"])
        lons = np.append(g["lon"].to_numpy(dtype=float), lon0)
        lats = np.append(g["lat"].to_numpy(dtype=float), lat0)
        x, y = local_xy_m(lons, lats, lon0=lon0, lat0=lat0)
        pts = MultiPoint(np.column_stack([x, y]))
        hull = shapely.concave_hull(pts, ratio=0.4) if len(g) >= 3 else pts
        poly = hull.buffer(buffer_m, quad_segs=4).simplify(simplify_m)
        # Back to degrees: the inverse of geo.local_xy_m's equirectangular plane.
        ky = np.pi / 180.0 * EARTH_RADIUS_M
        kx = ky * np.cos(np.radians(lat0))
        poly = shapely.transform(
            poly,
            lambda c, kx=kx, ky=ky, lon0=lon0, lat0=lat0: np.column_stack([c[:, 0] / kx + lon0, c[:, 1] / ky + lat0]),
        )
        acc = g["access_time_s"].to_numpy(dtype=float)
        rows.append(
            {
                "id": sid,
                "villages": len(g),
                "max_access_s": float(np.nanmax(acc)) if np.isfinite(acc).any() else float("nan"),
                "demand_parcels": float(g["demand_parcels"].sum()),
                "geometry": poly,
            }
        )
    return pd.DataFrame(rows, columns=["id", "villages", "max_access_s", "demand_parcels", "geometry"])
