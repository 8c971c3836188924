"""Where each town and village of Zhejiang stands: the packaged data files,
the user's point overrides and the generated points.

:func:`citylogistics.regions.load_regions` builds its table on these; this
module reads the packaged tables (:func:`data_path`), validates a user override
file (:func:`read_overrides`) and places every town and village point for a seed
(``_all_points``).

Points
------
``point_source`` is one of

``seat``
    the government seat of a province, city or county (cpca points converted
    from GCJ-02, see ``data/zhejiang/SOURCES.md``);
``surveyed``
    a real point from open data: a town or village point of the July 2016
    division snapshot of Vonng/adcode (converted from GCJ-02), a GeoNames town
    point, or the GeoNames points standing in for the seats of 临平区 and 钱塘区;
``generated``
    a synthetic point (towns and villages without a surveyed point, and the
    seats of 余杭区 and 龙港市, which are polygon representative points);
``user``
    a point from the user's override file (see :func:`read_overrides`).

``point_origin`` says where exactly (one of :data:`POINT_ORIGINS`): ``cpca``
(seats), ``adcode2016`` or ``geonames`` (surveyed), ``user``, and for
generated points ``polygon`` (the two county representative points),
``medoid`` (a town without a point of its own standing at the medoid of its
surveyed villages) or ``generated`` (drawn from the seed as below).

Surveyed town and village points are read from the packaged
``zj_points_surveyed.csv``, which :mod:`citylogistics.points_build` joins once
from the staged sources (by code, then by name within the town, county, or
city where counties were re-districted; every point inside its current county
polygon). At load time a surveyed village point farther than
:data:`VILLAGE_MAX_KM` (15 km) from its town's final point (surveyed, medoid,
generated or the user's) is dropped and the village generated instead.

Generation method (per county, deterministic for a seed):

1. A random generator is seeded with ``numpy.random.default_rng((seed,
   int(county_code)))``, so a county's points depend only on the seed, the
   county and the fixed points, never on the order counties are processed.
2. A town without a point of its own but with surveyed villages is put on the
   medoid of those villages (least summed distance to the others); it stays
   ``generated``.
3. Candidate points are drawn uniformly inside the county polygon by
   rejection from its bounding box (``shapely.contains_xy``, vectorised), at
   least ``max(400, 40 × generated towns)`` of them.
4. The remaining towns are placed one at a time, in code order,
   by Mitchell's best-candidate rule (blue noise): draw ``k = 10`` candidates
   and keep the one farthest (local metric, ``cos(lat)`` scaled) from every
   point already placed, starting from the fixed points (the county seat,
   surveyed, medoid and user towns); the distance to the county border counts
   double, so towns keep half a spacing away from the border. Generated towns therefore fill the county
   around the surveyed ones instead of piling on a centroid, and keep a
   settlement-like spacing without being pushed onto the border the way a
   global farthest-point rule would. Urban sub-districts (街道, NBS town codes
   001–099) draw their candidates only from the share ``max(0.05, n_街道 /
   n_towns)`` of candidates nearest the county seat, because sub-districts make
   up the county's built-up core.
5. Villages without a surveyed point are placed around their own town's final
   point: an isotropic normal offset with standard deviation ``0.30 × s`` for
   rural villages and ``0.15 × s`` for urban communities, where ``s =
   sqrt(county area / number of towns)`` is the side of a town's average cell.
   A village is redrawn (up to 40 times) when it falls outside the polygon part
   (island) holding its town or farther than :data:`VILLAGE_MAX_KM` from it, so
   island villages stay on their town's island; any still unplaced are put on
   the town point.

Overrides
---------
A user CSV with header ``code,lon,lat`` replaces the point of any unit
(``point_source = "user"``). County and town overrides are applied *before*
generation, so generated towns avoid them and villages cluster around the
user's town point (a surveyed village more than 15 km from it is generated
instead).

May import ``errors`` and ``geo`` only (``regions`` imports it).
"""

from __future__ import annotations

import csv
import json
import math
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from citylogistics.errors import InputError
from citylogistics.geo import M_PER_DEG, haversine_m

__all__ = [
    "POINT_ORIGINS",
    "POINT_SOURCES",
    "VILLAGE_MAX_KM",
    "data_path",
    "read_overrides",
]

POINT_SOURCES = ("seat", "surveyed", "generated", "user")
#: Where a point comes from, finer than ``point_source`` (see the module docstring).
POINT_ORIGINS = ("cpca", "adcode2016", "geonames", "user", "medoid", "polygon", "generated")
_ORIGIN_SOURCE = {
    "cpca": "seat",
    "adcode2016": "surveyed",
    "geonames": "surveyed",
    "user": "user",
    "medoid": "generated",
    "polygon": "generated",
    "generated": "generated",
}
#: A surveyed village point farther than this from its town's final point is
#: rejected; generated villages are drawn within it.
VILLAGE_MAX_KM = 15.0

# Province bounding box used for quick rejection (WGS-84 degrees).
_ZJ_BBOX = (118.0, 27.0, 123.3, 31.3)
# Tolerance (degrees, ~1 km) around the simplified province polygon for user points
# on coasts and small islands.
_OVERRIDE_TOLERANCE_DEG = 0.01

_TOWN_K_CANDIDATES = 10
_VILLAGE_SIGMA_RURAL = 0.30
_VILLAGE_SIGMA_URBAN = 0.15
_VILLAGE_MAX_REDRAWS = 40


# --------------------------------------------------------------------------- data files


def data_path(name: str) -> Path:
    """Path of a packaged data file under ``citylogistics/data/zhejiang/``.

    Parameters
    ----------
    name
        File name, e.g. ``"zj_towns.csv"`` or ``"NOTICE.md"``.

    Returns
    -------
    pathlib.Path
    """
    path = Path(str(resources.files("citylogistics") / "data" / "zhejiang" / name))
    if not path.exists():
        have = sorted(p.name for p in path.parent.iterdir())
        raise InputError(
            f"no packaged data file {name!r}; available: {', '.join(have)}", source="citylogistics/data/zhejiang"
        )
    return path


@cache
def _divisions() -> pd.DataFrame:
    return pd.read_csv(data_path("zj_divisions.csv"), dtype={"adcode": str, "parent_adcode": str})


@cache
def _towns() -> pd.DataFrame:
    t = pd.read_csv(data_path("zj_towns.csv"), dtype=str)
    t = t[t["code9_nbs"].notna()].copy()
    t["lon_wgs84"] = t["lon_wgs84"].astype(float)
    t["lat_wgs84"] = t["lat_wgs84"].astype(float)
    return t.sort_values("code9_nbs").reset_index(drop=True)


@cache
def _surveyed_points() -> pd.DataFrame:
    """Packaged surveyed town and village points (index ``code``; ``lon``, ``lat``,
    ``source``, ``join``), built by :mod:`citylogistics.points_build`."""
    p = pd.read_csv(data_path("zj_points_surveyed.csv"), dtype={"code": str, "source": str, "join": str})
    return p.set_index("code")


@cache
def _villages() -> pd.DataFrame:
    v = pd.read_csv(data_path("zj_villages.csv"), dtype=str)
    return v.sort_values("code12").reset_index(drop=True)


@cache
def _geojson_geoms(name: str) -> tuple[tuple[str, str, object], ...]:
    import shapely

    with open(data_path(name), encoding="utf-8") as fh:
        fc = json.load(fh)
    out = []
    for feat in fc["features"]:
        geom = shapely.geometry.shape(feat["geometry"])
        shapely.prepare(geom)
        out.append((str(feat["properties"]["adcode"]), feat["properties"]["name"], geom))
    return tuple(out)


def _county_geom_map() -> dict[str, object]:
    return {code: g for code, _, g in _geojson_geoms("zj_boundary_counties.geojson")}


def _province_geom():
    return _geojson_geoms("zj_boundary_province.geojson")[0][2]


@cache
def _known_codes() -> frozenset[str]:
    return frozenset(_divisions()["adcode"]) | frozenset(_towns()["code9_nbs"]) | frozenset(_villages()["code12"])


# --------------------------------------------------------------------------- overrides


def read_overrides(path: str | Path) -> pd.DataFrame:
    """Read and validate a user point file (CSV with header ``code,lon,lat``).

    Parameters
    ----------
    path
        CSV file, UTF-8, WGS-84 degrees. ``code`` is any unit's code: 6 digits
        (province/city/county), 9 (town, NBS) or 12 (village, NBS).

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (str), ``lon``, ``lat`` (float), ``line`` (line
        number in the file), in file order.

    Raises
    ------
    InputError
        Naming the file and line: missing file, wrong header, unknown or
        duplicate code, a non-numeric/NaN coordinate, or a point outside
        Zhejiang's province polygon (with ~1 km tolerance for coasts).
    """
    path = Path(path)
    src = str(path)
    rows = _override_rows(path, src)
    known = _known_codes()
    codes, lons, lats, lines = [], [], [], []
    seen: dict[str, int] = {}
    for i, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        where = f"line {i}"
        if len(row) != 3:
            raise InputError(f"expected 3 fields code,lon,lat, got {len(row)}", source=src, where=where)
        code, lon_s, lat_s = (c.strip() for c in row)
        if code not in known:
            raise InputError(
                f"unknown code {code!r}; use a Zhejiang adcode (6 digits), NBS town code (9) or village code (12)",
                source=src,
                where=f"{where}, field code",
            )
        if code in seen:
            raise InputError(
                f"code {code} already given on line {seen[code]}; keep one row per code", source=src, where=where
            )
        try:
            lon, lat = float(lon_s), float(lat_s)
        except ValueError:
            raise InputError(
                f"lon/lat {lon_s!r},{lat_s!r} are not numbers; give decimal WGS-84 degrees", source=src, where=where
            ) from None
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise InputError("lon/lat must be finite numbers (got NaN or inf)", source=src, where=where)
        seen[code] = i
        codes.append(code)
        lons.append(lon)
        lats.append(lat)
        lines.append(i)
    df = pd.DataFrame({"code": codes, "lon": lons, "lat": lats, "line": lines})
    _check_overrides_inside(df, src)
    return df


def _override_rows(path: Path, src: str) -> list[list[str]]:
    """The rows of an overrides CSV, its header checked."""
    if not path.is_file():
        raise InputError("file not found; give the path of a CSV with header code,lon,lat", source=src)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason}); save the CSV as UTF-8", source=src) from None
    if not rows:
        raise InputError("empty file; expected a header line code,lon,lat", source=src, where="line 1")
    header = [h.strip().lower() for h in rows[0]]
    if header != ["code", "lon", "lat"]:
        raise InputError(
            f"header is {','.join(rows[0])!r}; it must be exactly code,lon,lat (WGS-84 degrees)",
            source=src,
            where="line 1",
        )
    return rows


def _check_overrides_inside(df: pd.DataFrame, src: str) -> None:
    """Refuse an override point outside the province polygon (beyond the coast tolerance)."""
    import shapely

    if not len(df):
        return
    prov = _province_geom()
    inside = shapely.contains_xy(prov, df["lon"].to_numpy(), df["lat"].to_numpy())
    if inside.all():
        return
    pts = shapely.points(df["lon"].to_numpy()[~inside], df["lat"].to_numpy()[~inside])
    near = shapely.distance(prov, pts) <= _OVERRIDE_TOLERANCE_DEG
    bad = np.flatnonzero(~inside)[~near]
    if len(bad):
        r = df.iloc[bad[0]]
        hint = " (lon and lat swapped?)" if _in_bbox(r["lat"], r["lon"]) else ""
        raise InputError(
            f"point ({r['lon']}, {r['lat']}) for code {r['code']} is outside Zhejiang{hint}; "
            "give WGS-84 lon,lat inside the province",
            source=src,
            where=f"line {int(r['line'])}",
        )


def _in_bbox(lon: float, lat: float) -> bool:
    return _ZJ_BBOX[0] <= lon <= _ZJ_BBOX[2] and _ZJ_BBOX[1] <= lat <= _ZJ_BBOX[3]


def _village_is_urban(codes: pd.Series) -> np.ndarray:
    k = codes.str[9:12].astype(int).to_numpy()
    return (k < 200) | ((k >= 400) & (k < 500))


# --------------------------------------------------------------------------- points


def _medoid_index(lon: np.ndarray, lat: np.ndarray) -> int:
    """Position of the point with the least summed great-circle distance to the
    others (the first on ties); at least one point."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    d = haversine_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    return int(np.argmin(np.atleast_2d(d).sum(axis=1)))


def _sample_in(geom, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform inside ``geom`` (vectorised rejection sampling)."""
    import shapely

    minx, miny, maxx, maxy = geom.bounds
    fill = max(geom.area / ((maxx - minx) * (maxy - miny)), 0.02)
    xs, ys = [], []
    got = 0
    while got < n:
        m = int((n - got) / fill * 1.3) + 16
        x = rng.uniform(minx, maxx, m)
        y = rng.uniform(miny, maxy, m)
        ok = shapely.contains_xy(geom, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        got += int(ok.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _county_points(
    seed: int,
    county: str,
    geom,
    area_km2: float,
    fixed_xy: np.ndarray,
    town_lonlat: np.ndarray,
    town_is_jd: np.ndarray,
    seat_xy: tuple[float, float],
    village_town_idx: np.ndarray,
    village_urban: np.ndarray,
    village_lonlat: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Generate the missing town and village points of one county.

    ``town_lonlat`` and ``village_lonlat`` have NaN rows for points to
    generate. Returns the completed ``town_lonlat`` and ``village_lonlat`` and
    a mask of the villages whose given (surveyed) point was kept: a given
    village point farther than :data:`VILLAGE_MAX_KM` from its town's final
    point is dropped and generated instead.
    """
    rng = np.random.default_rng((int(seed), int(county)))
    kx = math.cos(math.radians(geom.centroid.y))
    towns = _place_towns(rng, geom, kx, town_lonlat, fixed_xy, town_is_jd, seat_xy)
    villages = village_lonlat.copy()
    kept = ~np.isnan(villages[:, 0])
    if kept.any():
        t = towns[village_town_idx[kept]]
        far = haversine_m(villages[kept, 0], villages[kept, 1], t[:, 0], t[:, 1]) > VILLAGE_MAX_KM * 1000.0
        kept[np.flatnonzero(kept)[far]] = False
        villages[~kept] = np.nan
    if len(village_town_idx) and not kept.all():
        _place_villages(rng, geom, kx, area_km2, towns, village_town_idx, village_urban, villages, kept)
    return towns, villages, kept


def _place_towns(
    rng: np.random.Generator,
    geom,
    kx: float,
    town_lonlat: np.ndarray,
    fixed_xy: np.ndarray,
    town_is_jd: np.ndarray,
    seat_xy: tuple[float, float],
) -> np.ndarray:
    """``town_lonlat`` with its NaN rows filled: each new town at the candidate
    point farthest from the towns placed so far and the border (subdistricts
    near the seat)."""
    import shapely

    towns = town_lonlat.copy()
    todo = np.flatnonzero(np.isnan(towns[:, 0]))
    if not len(todo):
        return towns
    cx, cy = _sample_in(geom, max(400, 40 * len(todo)), rng)
    placed = [p for p in fixed_xy] + [t for t in towns[~np.isnan(towns[:, 0])]]
    placed_arr = np.array(placed, dtype=float).reshape(-1, 2)
    placed_arr = np.unique(placed_arr, axis=0) if len(placed_arr) else placed_arr
    d_seat = np.hypot((cx - seat_xy[0]) * kx, cy - seat_xy[1])
    near_order = np.argsort(d_seat, kind="stable")
    share_jd = max(0.05, float(town_is_jd.sum()) / len(towns))
    core = near_order[: max(_TOWN_K_CANDIDATES, int(round(share_jd * len(cx))))]
    # Distance to the border counts double, so a town keeps at least half
    # the usual spacing from the border instead of being pushed onto it.
    d_border = 2.0 * kx * shapely.distance(geom.boundary, shapely.points(cx, cy))
    pts = list(placed_arr)
    for i in todo:
        pool = core if town_is_jd[i] else np.arange(len(cx))
        pick = pool[rng.integers(0, len(pool), _TOWN_K_CANDIDATES)]
        d = d_border[pick]
        if pts:
            p = np.asarray(pts)
            d = np.minimum(
                d, np.hypot((cx[pick, None] - p[None, :, 0]) * kx, cy[pick, None] - p[None, :, 1]).min(axis=1)
            )
        best = pick[int(np.argmax(d))]
        towns[i] = (cx[best], cy[best])
        pts.append(towns[i])
    return towns


def _town_parts(geom, towns: np.ndarray) -> tuple[list, np.ndarray]:
    """Polygon parts (islands) of a county and the part holding each town."""
    import shapely

    parts = list(getattr(geom, "geoms", [geom]))
    town_part = np.zeros(len(towns), dtype=int)
    if len(parts) > 1:
        town_part[:] = -1
        for j, part in enumerate(parts):
            hit = (town_part < 0) & shapely.contains_xy(part, towns[:, 0], towns[:, 1])
            town_part[hit] = j
        if (town_part < 0).any():  # on a border/vertex: nearest part
            for i in np.flatnonzero(town_part < 0):
                pt = shapely.Point(towns[i])
                town_part[i] = int(np.argmin([part.distance(pt) for part in parts]))
    return parts, town_part


def _place_villages(
    rng: np.random.Generator,
    geom,
    kx: float,
    area_km2: float,
    towns: np.ndarray,
    village_town_idx: np.ndarray,
    village_urban: np.ndarray,
    villages: np.ndarray,
    kept: np.ndarray,
) -> None:
    """Fill the villages not ``kept`` (in place) with points drawn around their
    own town's point, on the town's polygon part, within :data:`VILLAGE_MAX_KM`."""
    import shapely

    s_km = math.sqrt(area_km2 / max(len(towns), 1))
    s_deg = s_km / (M_PER_DEG / 1000.0)
    sigma = np.where(village_urban, _VILLAGE_SIGMA_URBAN, _VILLAGE_SIGMA_RURAL) * s_deg
    max_deg = VILLAGE_MAX_KM / (M_PER_DEG / 1000.0)
    parts, town_part = _town_parts(geom, towns)
    vpart = town_part[village_town_idx]
    base = towns[village_town_idx]
    todo_v = np.flatnonzero(~kept)
    for _ in range(_VILLAGE_MAX_REDRAWS):
        off = rng.normal(size=(len(todo_v), 2)) * sigma[todo_v, None]
        ok = np.hypot(off[:, 0], off[:, 1]) <= max_deg
        off[:, 0] /= kx
        cand = base[todo_v] + off
        for j in np.unique(vpart[todo_v]):
            m = vpart[todo_v] == j
            ok[m] &= shapely.contains_xy(parts[j], cand[m, 0], cand[m, 1])
        villages[todo_v[ok]] = cand[ok]
        todo_v = todo_v[~ok]
        if not len(todo_v):
            break
    villages[todo_v] = base[todo_v]


@lru_cache(maxsize=32)
def _all_points(seed: int, fixed: tuple[tuple[str, float, float], ...]) -> tuple[np.ndarray, ...]:
    """Town and village points for a seed and a tuple of user (code, lon, lat)
    points of counties/towns. Returns read-only (town_lonlat, town_origin,
    village_lonlat, village_origin) in :func:`_towns` / :func:`_villages`
    order; origins are values of :data:`POINT_ORIGINS`."""
    div = _divisions().set_index("adcode")
    towns = _towns()
    villages = _villages()
    geoms = _county_geom_map()
    surveyed = _surveyed_points()
    user = {c: (x, y) for c, x, y in fixed}

    town_xy = np.full((len(towns), 2), np.nan)
    town_origin = np.full(len(towns), "generated", dtype=object)
    tcodes = towns["code9_nbs"].to_numpy()
    has = np.isin(tcodes, surveyed.index)
    town_xy[has] = surveyed.loc[tcodes[has], ["lon", "lat"]].to_numpy(dtype=float)
    town_origin[has] = surveyed.loc[tcodes[has], "source"].to_numpy()
    for i, code in enumerate(tcodes):
        if code in user:
            town_xy[i] = user[code]
            town_origin[i] = "user"
    village_xy = np.full((len(villages), 2), np.nan)
    vcodes = villages["code12"].to_numpy()
    v_has = np.isin(vcodes, surveyed.index)
    village_xy[v_has] = surveyed.loc[vcodes[v_has], ["lon", "lat"]].to_numpy(dtype=float)
    town_index = {c: i for i, c in enumerate(tcodes)}
    v_town = villages["town_code9"].map(town_index).to_numpy()
    # A town without a point but with surveyed villages stands at their medoid.
    for i, idx in pd.Series(np.flatnonzero(v_has)).groupby(v_town[v_has]).groups.items():
        if np.isnan(town_xy[i, 0]):
            vi = np.flatnonzero(v_has)[np.asarray(idx)]
            town_xy[i] = village_xy[vi[_medoid_index(village_xy[vi, 0], village_xy[vi, 1])]]
            town_origin[i] = "medoid"
    town_is_jd = towns["code9_nbs"].str[6:9].astype(int).to_numpy() < 100
    v_urban = _village_is_urban(villages["code12"])
    village_origin = np.full(len(villages), "generated", dtype=object)

    t_groups = towns.groupby("county_adcode").indices
    v_groups = villages.groupby("county_adcode").indices
    for county, t_idx in t_groups.items():
        seat = user.get(county) or (div.at[county, "point_lon_wgs84"], div.at[county, "point_lat_wgs84"])
        fixed_xy = np.array([seat], dtype=float)
        v_idx = v_groups.get(county, np.zeros(0, dtype=int))
        local_town = np.full(len(towns), -1)
        local_town[t_idx] = np.arange(len(t_idx))
        new_t, new_v, kept = _county_points(
            seed,
            county,
            geoms[county],
            float(div.at[county, "area_km2"]),
            fixed_xy,
            town_xy[t_idx],
            town_is_jd[t_idx],
            seat,
            local_town[v_town[v_idx]],
            v_urban[v_idx],
            village_xy[v_idx],
        )
        town_xy[t_idx] = new_t
        village_xy[v_idx] = new_v
        village_origin[v_idx[kept]] = surveyed.loc[vcodes[v_idx[kept]], "source"].to_numpy()
    for a in (town_xy, town_origin, village_xy, village_origin):
        a.setflags(write=False)
    return town_xy, town_origin, village_xy, village_origin
