"""Build the packaged surveyed points of towns and villages (run once, by hand).

The product never reads ``../shared`` at run time: this module joins the
staged sources to today's towns and villages once and writes the compact
``citylogistics/data/zhejiang/zj_points_surveyed.csv`` that
:mod:`citylogistics.points` reads. Rebuild it with::

    .venv/bin/python -m citylogistics.points_build --shared ../shared/data/zhejiang

and print the resulting counts of surveyed and generated points by level
(from the packaged file, as :func:`citylogistics.regions.load_regions` sees it)::

    .venv/bin/python -m citylogistics.points_build --counts [--seed N]

Sources (see ``data/zhejiang/SOURCES.md``)
------------------------------------------
``adcode2016``
    ``zj_adcode2016_points_gcj02.csv``: points of 1,255 towns and 2,977
    villages from GitHub Vonng/adcode (CC BY 4.0), 12-digit NBS codes of July
    2016, GCJ-02. Converted to WGS-84 with
    :func:`citylogistics.geo.gcj02_to_wgs84` (iterative inverse, residual
    < 1e-9°).
``geonames``
    GeoNames ``cities500`` (CC BY 4.0), WGS-84: the 587 town points already in
    ``zj_towns.csv`` (exactly one place whose Chinese alternate name equals the
    town's full name, inside the town's county polygon), plus places of
    ``zj_geonames_places.csv`` whose Chinese name equals a still unmatched
    town's core name (name without 街道/镇/乡), uniquely within its county.

Join, in this order; a unit keeps the first point found:

1. towns: ``adcode2016`` by code, when the 2016 name agrees with today's
   (same core name, or one contains the other: 乐成街道办事处 = 乐成街道;
   a code now naming another town, e.g. 330205001 中马街道 → 外滩街道, is
   not joined by code);
2. towns: ``geonames`` (the points of ``zj_towns.csv``, then the name join
   above);
3. towns: ``adcode2016`` by core name within the county (2016 code's county =
   today's county), then within the city for counties whose borders or codes
   changed since 2016 (:data:`REDISTRICTED`: Hangzhou 2021, 临安, 奉化,
   海曙/鄞州 (江东), 苍南/龙港, 玉环); the name must be unique on both sides;
4. villages: ``adcode2016`` by code with the same name check, then by core name
   (village name without 村民委员会/居委会/村/社区…) within the village's
   town (the 2016 town joined in 1/3), then within its county, then within the
   city for :data:`REDISTRICTED` counties, unique on both sides.

Every joined point is then checked: it must lie inside its current county
polygon, and a village must lie within 15 km (:data:`citylogistics.points.VILLAGE_MAX_KM`) of its town's
point. When the town has no surveyed point, its village points are checked
against their medoid, the point :mod:`citylogistics.points` gives such a town
(see there). Rejected points are dropped (the unit's point is then generated).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from citylogistics.errors import InputError
from citylogistics.geo import gcj02_to_wgs84, haversine_m
from citylogistics.points import VILLAGE_MAX_KM, _county_geom_map, _medoid_index, _towns, _villages

__all__ = ["OUTPUT_NAME", "REDISTRICTED", "build_points", "main"]

#: File name of the packaged output under ``citylogistics/data/zhejiang/``.
OUTPUT_NAME = "zj_points_surveyed.csv"
#: Current counties whose borders or codes changed between the July 2016
#: snapshot and today; their units are also joined by name within the city.
REDISTRICTED = frozenset(
    {
        "330102",
        "330105",
        "330109",
        "330110",
        "330113",
        "330114",  # Hangzhou, April 2021
        "330112",  # 临安 (330185 until 2017)
        "330213",  # 奉化 (330283 until Oct 2016)
        "330203",
        "330212",  # 海曙, 鄞州 (江东 330204 merged, Oct 2016)
        "330327",
        "330383",  # 苍南, 龙港 (split 2019)
        "331083",  # 玉环 (331021 until 2017)
    }
)

_TOWN_SUFFIX = re.compile(r"(办事处|街道|镇|乡)+$")
_VILLAGE_SUFFIX = re.compile(r"(村民委员会|居民委员会|村委会|居委会|委员会|生活区|社区|村|居)+$")


def _town_core(name: str) -> str:
    core = _TOWN_SUFFIX.sub("", str(name))
    return core or str(name)


def _village_core(name: str) -> str:
    core = _VILLAGE_SUFFIX.sub("", str(name))
    return core or str(name)


def _same_place(a: str, b: str) -> bool:
    """Two core names of one code name the same place (equal, or one holds the other)."""
    return a == b or (len(a) >= 2 and len(b) >= 2 and (a in b or b in a))


def _unique_name_join(left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Inner join on ``keys`` keeping only keys unique on both sides."""
    lu = left[~left.duplicated(keys, keep=False)]
    ru = right[~right.duplicated(keys, keep=False)]
    return lu.merge(ru, on=keys, how="inner", suffixes=("", "_src"))


def _read_adcode(shared: Path) -> pd.DataFrame:
    path = shared / "zj_adcode2016_points_gcj02.csv"
    if not path.is_file():
        raise InputError("file not found; give --shared the folder holding the staged Zhejiang data", source=str(path))
    a = pd.read_csv(path, dtype={"code12": str, "parent_code12": str})
    lon, lat = gcj02_to_wgs84(a["lon_gcj02"].to_numpy(dtype=float), a["lat_gcj02"].to_numpy(dtype=float))
    a["lon"] = lon
    a["lat"] = lat
    return a


def _inside_county(points: pd.DataFrame, geoms: dict) -> np.ndarray:
    import shapely

    ok = np.zeros(len(points), dtype=bool)
    county = points["county_adcode"].to_numpy()
    lon = points["lon"].to_numpy(dtype=float)
    lat = points["lat"].to_numpy(dtype=float)
    for c in np.unique(county):
        m = county == c
        ok[m] = shapely.intersects_xy(geoms[c], lon[m], lat[m])
    return ok


def _join_towns(towns: pd.DataFrame, a: pd.DataFrame, shared: Path, geoms: dict) -> pd.DataFrame:
    """One row per joined town: code, lon, lat, source, join, code2016."""
    at = a[a["level"] == "town"].copy()
    at["code9"] = at["code12"].str[:9]
    at["county_adcode"] = at["code12"].str[:6]
    at["city"] = at["code12"].str[:4]
    at["core"] = at["name"].map(_town_core)
    t = towns[["code9_nbs", "name", "county_adcode", "geonameid", "lon_wgs84", "lat_wgs84"]].copy()
    t["core"] = t["name"].map(_town_core)
    t["city"] = t["county_adcode"].str[:4]
    rows: list[pd.DataFrame] = []
    done: set[str] = set()
    used2016: set[str] = set()

    def take(df: pd.DataFrame, source: str, join: str, code2016=None) -> None:
        df = df[~df["code9_nbs"].isin(done)]
        if code2016 is not None:
            df = df[~df[code2016].isin(used2016)]
        out = pd.DataFrame(
            {
                "code": df["code9_nbs"].to_numpy(),
                "lon": df["lon"].to_numpy(dtype=float),
                "lat": df["lat"].to_numpy(dtype=float),
                "source": source,
                "join": join,
                "county_adcode": df["county_adcode"].to_numpy(),
                "code2016": df[code2016].to_numpy() if code2016 is not None else "",
            }
        )
        out = out[_inside_county(out, geoms)]
        rows.append(out)
        done.update(out["code"])
        used2016.update(c for c in out["code2016"] if c)

    # 1. adcode2016 by code, the name agreeing
    by_code = t.merge(
        at[["code9", "code12", "core", "lon", "lat"]], left_on="code9_nbs", right_on="code9", suffixes=("", "_src")
    )
    by_code = by_code[[_same_place(x, y) for x, y in zip(by_code["core"], by_code["core_src"])]]
    take(by_code, "adcode2016", "code", "code12")
    # 2. GeoNames: the points in zj_towns.csv, then a name join on the staged places
    g = t[t["lon_wgs84"].notna()].rename(columns={"lon_wgs84": "lon", "lat_wgs84": "lat"})
    take(g, "geonames", "name_county")
    places = pd.read_csv(shared / "zj_geonames_places.csv", dtype={"county_adcode_by_polygon": str, "geonameid": str})
    places = places.dropna(subset=["county_adcode_by_polygon", "name_zh"])
    gn = places.assign(core=places["name_zh"].str.split("|")).explode("core")
    gn = gn[["geonameid", "core", "lon_wgs84", "lat_wgs84", "county_adcode_by_polygon"]].drop_duplicates(
        ["geonameid", "core"]
    )
    gn = gn.rename(columns={"county_adcode_by_polygon": "county_adcode", "lon_wgs84": "lon", "lat_wgs84": "lat"})
    left = t[~t["code9_nbs"].isin(done)][["code9_nbs", "core", "county_adcode"]]
    take(_unique_name_join(left, gn, ["county_adcode", "core"]), "geonames", "name_county")
    # 3. adcode2016 by name within the county, then within the city where re-districted
    src = at[~at["code12"].isin(used2016)][["code12", "core", "county_adcode", "city", "lon", "lat"]]
    left = t[~t["code9_nbs"].isin(done)][["code9_nbs", "core", "county_adcode", "city"]]
    take(
        _unique_name_join(left, src.drop(columns="city"), ["county_adcode", "core"]).drop(columns="city"),
        "adcode2016",
        "name_county",
        "code12",
    )
    src = at[~at["code12"].isin(used2016)][["code12", "core", "city", "lon", "lat"]]
    left = t[~t["code9_nbs"].isin(done) & t["county_adcode"].isin(REDISTRICTED)][
        ["code9_nbs", "core", "county_adcode", "city"]
    ]
    take(_unique_name_join(left, src, ["city", "core"]), "adcode2016", "name_city", "code12")
    return pd.concat(rows, ignore_index=True)


def _join_villages(villages: pd.DataFrame, a: pd.DataFrame, town_pts: pd.DataFrame, geoms: dict) -> pd.DataFrame:
    av = a[a["level"] == "village"].copy()
    av["county_adcode"] = av["code12"].str[:6]
    av["city"] = av["code12"].str[:4]
    av["town2016"] = av["code12"].str[:9]
    av["core"] = av["name"].map(_village_core)
    # 2016 town code -> current town code, from the town join (and codes unchanged)
    t2016 = dict(zip(town_pts["code2016"].str[:9], town_pts["code"]))
    av["town_code9"] = [t2016.get(c, c) for c in av["town2016"]]
    v = villages[["code12", "name", "town_code9", "county_adcode"]].copy()
    v["core"] = v["name"].map(_village_core)
    v["city"] = v["county_adcode"].str[:4]
    rows: list[pd.DataFrame] = []
    done: set[str] = set()
    used: set[str] = set()

    def take(df: pd.DataFrame, join: str) -> None:
        df = df[~df["code12"].isin(done) & ~df["code12_src"].isin(used)]
        df = df[~df["code12_src"].duplicated(keep=False)]
        out = pd.DataFrame(
            {
                "code": df["code12"].to_numpy(),
                "lon": df["lon"].to_numpy(dtype=float),
                "lat": df["lat"].to_numpy(dtype=float),
                "source": "adcode2016",
                "join": join,
                "county_adcode": df["county_adcode"].to_numpy(),
                "code2016": df["code12_src"].to_numpy(),
            }
        )
        out = out[_inside_county(out, geoms)]
        rows.append(out)
        done.update(out["code"])
        used.update(out["code2016"])

    src = av[["code12", "core", "lon", "lat"]].assign(code12_src=av["code12"])
    by_code = v.merge(src, on="code12", suffixes=("", "_a"))
    by_code = by_code[[_same_place(x, y) for x, y in zip(by_code["core"], by_code["core_a"])]]
    take(by_code, "code")
    for keys, only_redistricted, join in (
        (["town_code9", "core"], False, "name_town"),
        (["county_adcode", "core"], False, "name_county"),
        (["city", "core"], True, "name_city"),
    ):
        left = v[~v["code12"].isin(done)]
        if only_redistricted:
            left = left[left["county_adcode"].isin(REDISTRICTED)]
        right = av[~av["code12"].isin(used)].rename(columns={"code12": "code12_src"})
        right = right[keys + ["code12_src", "lon", "lat"]]
        take(_unique_name_join(left[["code12", "county_adcode", "city", "town_code9", "core"]], right, keys), join)
    return pd.concat(rows, ignore_index=True)


def _check_village_distance(vpts: pd.DataFrame, town_pts: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    """Drop village points more than :data:`VILLAGE_MAX_KM` from their town's point
    (the town's surveyed point, else the medoid of its surveyed villages)."""
    town_of = dict(zip(villages["code12"], villages["town_code9"]))
    vpts = vpts.assign(town=vpts["code"].map(town_of))
    tp = town_pts.set_index("code")[["lon", "lat"]]
    keep = np.zeros(len(vpts), dtype=bool)
    for town, idx in vpts.groupby("town").indices.items():
        lon = vpts["lon"].to_numpy()[idx]
        lat = vpts["lat"].to_numpy()[idx]
        if town in tp.index:
            tx, ty = tp.at[town, "lon"], tp.at[town, "lat"]
        else:
            m = _medoid_index(lon, lat)
            tx, ty = lon[m], lat[m]
        keep[idx] = haversine_m(lon, lat, tx, ty) <= VILLAGE_MAX_KM * 1000.0
    return vpts[keep].drop(columns="town")


def build_points(shared: str | Path, *, out: str | Path | None = None) -> pd.DataFrame:
    """Join the staged surveyed points to today's towns and villages.

    Parameters
    ----------
    shared
        Folder holding ``zj_adcode2016_points_gcj02.csv`` and
        ``zj_geonames_places.csv`` (``../shared/data/zhejiang``).
    out
        If given, write the CSV there (UTF-8, ``\\n`` line ends).

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (9-digit town or 12-digit village NBS code), ``lon``,
        ``lat`` (WGS-84, 6 decimals), ``source`` (``adcode2016``/``geonames``)
        and ``join`` (``code``, ``name_town``, ``name_county``, ``name_city``),
        sorted by code.
    """
    shared = Path(shared)
    geoms = _county_geom_map()
    towns = _towns()
    villages = _villages()
    a = _read_adcode(shared)
    tpts = _join_towns(towns, a, shared, geoms)
    vpts = _join_villages(villages, a, tpts, geoms)
    vpts = _check_village_distance(vpts, tpts, villages)
    df = pd.concat([tpts, vpts], ignore_index=True)[["code", "lon", "lat", "source", "join"]]
    df["lon"] = df["lon"].round(6)
    df["lat"] = df["lat"].round(6)
    df = df.sort_values("code", kind="stable").reset_index(drop=True)
    if out is not None:
        df.to_csv(out, index=False, float_format="%.6f", lineterminator="\n")
    return df


def main(argv: list[str] | None = None) -> int:
    """``python -m citylogistics.points_build [--shared DIR] [--out FILE]``."""
    ap = argparse.ArgumentParser(prog="python -m citylogistics.points_build", description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default="../shared/data/zhejiang", help="folder of the staged Zhejiang data")
    ap.add_argument(
        "--out", default=str(Path(__file__).parent / "data" / "zhejiang" / OUTPUT_NAME), help="CSV to write"
    )
    ap.add_argument(
        "--counts",
        action="store_true",
        help="only print the points by level, source and origin of load_regions (no rebuild)",
    )
    ap.add_argument("--seed", type=int, default=0, help="seed for --counts")
    args = ap.parse_args(argv)
    if args.counts:
        from citylogistics.regions import load_regions, point_counts

        print(point_counts(load_regions(seed=args.seed)).to_string(index=False))
        return 0
    try:
        df = build_points(args.shared, out=args.out)
    except InputError as exc:
        print(f"points_build: error: {exc}", file=sys.stderr)
        return 2
    level = np.where(df["code"].str.len() == 9, "town", "village")
    print(df.groupby([level, "source", "join"]).size().rename("points").to_string())
    print(f"wrote {len(df)} points to {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
