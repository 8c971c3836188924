"""Geodesy helpers: distances, metres per degree, local planes and the WGS-84 ⇄ GCJ-02 datum shift.

Everything inside citylogistics is WGS-84 longitude/latitude in degrees
(EPSG:4326). This module is the one place the package turns degrees into
metres:

* :func:`geodesic_m` — the distance on the WGS-84 ellipsoid (pyproj's
  ``Geod(ellps="WGS84")``, Karney's algorithm, accurate to about 15 nm). Used
  where metres are measured: the length of real road polylines
  (:mod:`citylogistics.network.osm_import`).
* :func:`haversine_m` — the great-circle distance on the sphere of mean radius
  :data:`EARTH_RADIUS_M`, in vectorised numpy (about 10× faster than
  ``Geod.inv`` on large arrays, and it broadcasts, e.g. an n × n medoid
  search). Within Zhejiang it differs from the geodesic by −0.2 % (east–west)
  … +0.3 % (north–south). Used for estimates and searches: generated edges
  (straight length × a detour factor that is itself an assumption), snapping
  and access distances, clustering and spacing rules.
* :data:`M_PER_DEG` — metres per degree of latitude on the same sphere
  (and of longitude at the equator): turns metre tolerances and buffers into
  degrees. :func:`local_xy_m` / :func:`local_lonlat` project to and from a
  local equirectangular plane with it (nearest-neighbour searches, hulls).

Chinese web-map tiles (Amap/Gaode, Tencent) are drawn in GCJ-02,
an obfuscated datum shifted by roughly 450–550 m in Zhejiang; convert with
:func:`wgs84_to_gcj02` only when drawing on such tiles, and convert points read
off such maps back with :func:`gcj02_to_wgs84`.

All functions accept scalars or numpy arrays (broadcast together) and return
floats for scalar input and ``numpy.ndarray`` otherwise.

The GCJ-02 forward transform is the widely published reverse-engineered
formula (Krasovsky 1940 ellipsoid, ``a = 6378245 m``, ``ee = 0.00669342162296594323``);
points outside mainland China's rough bounding box are returned unchanged, as
web maps do. The inverse has no closed form; :func:`gcj02_to_wgs84` iterates
``wgs ← wgs − (forward(wgs) − gcj)`` until the residual is below 1e-9 degrees
(about 0.1 mm), which converges in 3–5 steps because the shift is smooth.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = [
    "EARTH_RADIUS_M",
    "M_PER_DEG",
    "gcj02_to_wgs84",
    "geodesic_m",
    "haversine_m",
    "local_lonlat",
    "local_xy_m",
    "wgs84_to_gcj02",
]

#: Mean Earth radius (IUGG R1) used by :func:`haversine_m`, in metres.
EARTH_RADIUS_M = 6371008.8
#: Metres per degree of latitude on the sphere of :data:`EARTH_RADIUS_M`; of
#: longitude, multiply by cos(latitude). π/180 × R = 111,195.08 m, rounded to the
#: metre as the generated points and networks have always used it (the 0.7 ppm
#: difference is far below any tolerance or buffer it converts; the exact value
#: would move every generated village point by up to 1 cm and so change every plan).
M_PER_DEG = 111_195.0

_GCJ_A_M = 6378245.0
_GCJ_EE = 0.00669342162296594323


def _out(x):
    """Return a Python float for 0-d results, else the array."""
    arr = np.asarray(x, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def haversine_m(lon1, lat1, lon2, lat2):
    """Great-circle distance on a sphere of radius :data:`EARTH_RADIUS_M`.

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        WGS-84 degrees; scalars or arrays broadcastable together.

    Returns
    -------
    float or numpy.ndarray
        Distance in metres.
    """
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    dlat = lat2 - lat1
    dlon = lon2 - lon1
    h = np.sin(dlat / 2.0) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2.0) ** 2
    return _out(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


@lru_cache(maxsize=1)
def _wgs84_geod():
    from pyproj import Geod

    return Geod(ellps="WGS84")


def geodesic_m(lon1, lat1, lon2, lat2):
    """Distance on the WGS-84 ellipsoid (pyproj ``Geod.inv``).

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        WGS-84 degrees; scalars or arrays broadcastable together.

    Returns
    -------
    float or numpy.ndarray
        Distance in metres.
    """
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2)))
    shape = arrays[0].shape
    flat = [np.ascontiguousarray(a).ravel() for a in arrays]
    if flat[0].size == 0:
        return np.zeros(shape)
    _, _, dist = _wgs84_geod().inv(flat[0], flat[1], flat[2], flat[3])
    return _out(np.asarray(dist, dtype=float).reshape(shape))


def local_xy_m(lon, lat, *, lon0: float, lat0: float):
    """Project to a local equirectangular plane around ``(lon0, lat0)``.

    Good to well under 1 % within a county (a few tens of km); use it for
    spreading and clustering, not for long distances.

    Parameters
    ----------
    lon, lat
        WGS-84 degrees (scalars or arrays).
    lon0, lat0
        Origin of the plane, WGS-84 degrees.

    Returns
    -------
    tuple
        ``(x_m, y_m)`` east and north offsets in metres.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return _out((lon - lon0) * M_PER_DEG * np.cos(np.radians(lat0))), _out((lat - lat0) * M_PER_DEG)


def local_lonlat(x_m, y_m, *, lon0: float, lat0: float):
    """Inverse of :func:`local_xy_m`: plane coordinates back to WGS-84 degrees.

    Parameters
    ----------
    x_m, y_m
        East and north offsets in metres (scalars or arrays).
    lon0, lat0
        Origin of the plane, WGS-84 degrees (the same as given to :func:`local_xy_m`).

    Returns
    -------
    tuple
        ``(lon, lat)`` in degrees.
    """
    x_m = np.asarray(x_m, dtype=float)
    y_m = np.asarray(y_m, dtype=float)
    return _out(x_m / (M_PER_DEG * np.cos(np.radians(lat0))) + lon0), _out(y_m / M_PER_DEG + lat0)


def _outside_china(lon, lat):
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _transform_lat(x, y):
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x, y):
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_delta(lon, lat):
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _GCJ_EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A_M * (1.0 - _GCJ_EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_GCJ_A_M / sqrtmagic * np.cos(radlat) * np.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon, lat):
    """Shift WGS-84 coordinates to GCJ-02 (for Chinese web-map tiles).

    Parameters
    ----------
    lon, lat
        WGS-84 degrees; scalars or arrays.

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02 degrees. Points outside China are unchanged.
    """
    lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    dlon, dlat = _gcj_delta(lon, lat)
    return _out(lon + dlon), _out(lat + dlat)


def gcj02_to_wgs84(lon, lat, *, tol_deg: float = 1e-9, max_iter: int = 30):
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration.

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees; scalars or arrays.
    tol_deg
        Stop when every residual ``|forward(wgs) - gcj|`` is below this (degrees).
    max_iter
        Safety cap on iterations (convergence normally takes 3–5).

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS-84 degrees; the round trip
        ``wgs84_to_gcj02(*gcj02_to_wgs84(x, y))`` reproduces the input to
        better than 1e-6 degrees.
    """
    glon, glat = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    dlon, dlat = _gcj_delta(glon, glat)
    wlon, wlat = glon - dlon, glat - dlat
    for _ in range(max_iter):
        dlon, dlat = _gcj_delta(wlon, wlat)
        elon = wlon + dlon - glon
        elat = wlat + dlat - glat
        wlon = wlon - elon
        wlat = wlat - elat
        if np.all(np.abs(elon) < tol_deg) and np.all(np.abs(elat) < tol_deg):
            break
    return _out(wlon), _out(wlat)
