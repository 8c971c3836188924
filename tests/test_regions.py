"""Tests for citylogistics.regions: hierarchy, points, population, overrides."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from citylogistics.errors import InputError
from citylogistics.geo import haversine_m
from citylogistics.regions import (
    CITY_CODES,
    DATA_NOTICE,
    LEVELS,
    POINT_ORIGINS,
    REGIONS_TABLE_COLUMNS,
    county_population,
    data_path,
    load_regions,
    read_overrides,
    regions_table,
    resolve_city,
    to_geojson,
)

FIXTURES = Path(__file__).parent / "data" / "regions"
BAD_FILES = sorted((FIXTURES / "bad").glob("*.csv"))
EXPECTED_LINE = {"unknown_code.csv": 3, "duplicate_code.csv": 3, "wrong_header.csv": 1}
HANGZHOU_SIX = ("330102", "330105", "330109", "330110", "330113", "330114")


@pytest.fixture(scope="module")
def regions():
    return load_regions(seed=0)


@pytest.fixture(scope="module")
def s(regions):
    return regions.settlements


@pytest.fixture(scope="module")
def census2020():
    c = pd.read_csv(data_path("zj_census2020_county.csv"), dtype={"adcode_2020": str})
    return c


def test_exact_counts(regions):
    counts = regions.summary()["counts"]
    assert counts == {"province": 1, "city": 11, "county": 90, "town": 1387, "village": 25547}


def test_columns_and_index(s):
    assert list(s.columns[:15]) == [
        "code", "name", "pinyin", "level", "parent_code", "city_code", "county_code", "town_code",
        "lon", "lat", "point_source", "population", "population_urban", "population_rural", "urban",
    ]
    assert s.index.is_unique and (s.index == s["code"]).all()
    assert set(s["level"]) == set(LEVELS)
    assert set(s["point_source"]) <= {"seat", "surveyed", "generated", "user"}
    assert set(s["point_origin"]) <= set(POINT_ORIGINS)
    assert s[["lon", "lat"]].notna().all().all()
    assert (s["population"] == s["population_urban"] + s["population_rural"]).all()
    assert s["urban"].dtype == bool


def test_parent_links_are_consistent(s):
    non_root = s[s["level"] != "province"]
    assert non_root["parent_code"].isin(s.index).all()
    parent_level = s.loc[non_root["parent_code"], "level"].to_numpy()
    expected = non_root["level"].map({"city": "province", "county": "city", "town": "county", "village": "town"})
    assert (parent_level == expected.to_numpy()).all()
    below = s[s["level"].isin(["town", "village"])]
    assert (below["county_code"] == below["code"].str[:6]).all()
    assert (below["city_code"] == below["code"].str[:4] + "00").all()
    assert (s.loc[s["level"] == "village", "town_code"] == s.loc[s["level"] == "village", "code"].str[:9]).all()


def test_every_point_inside_its_county_polygon(regions, s):
    polys = regions.county_polygons()
    assert len(polys) == 90 and polys.crs.to_epsg() == 4326
    rows = s[s["level"].isin(["county", "town", "village"])]
    for county, grp in rows.groupby("county_code"):
        geom = polys.geometry[county]
        inside = shapely.intersects_xy(geom, grp["lon"].to_numpy(), grp["lat"].to_numpy())
        assert inside.all(), (county, grp.index[~inside][:5].tolist())


def test_surveyed_points_are_the_packaged_ones(s):
    pts = pd.read_csv(data_path("zj_points_surveyed.csv"), dtype={"code": str}).set_index("code")
    surveyed = s[s["level"].isin(["town", "village"]) & (s["point_source"] == "surveyed")]
    assert surveyed.index.isin(pts.index).all()
    got = pts.loc[surveyed.index]
    assert np.array_equal(surveyed["lon"].to_numpy(), got["lon"].to_numpy())
    assert np.array_equal(surveyed["lat"].to_numpy(), got["lat"].to_numpy())
    assert (surveyed["point_origin"].to_numpy() == got["source"].to_numpy()).all()
    # every GeoNames town point of zj_towns.csv still makes its town surveyed
    towns = pd.read_csv(data_path("zj_towns.csv"), dtype=str).dropna(subset=["code9_nbs", "lon_wgs84"])
    assert len(towns) == 587
    assert (s.loc[towns["code9_nbs"], "point_source"] == "surveyed").all()


def test_same_seed_identical_points_other_seed_differs(s):
    again = load_regions(seed=0).settlements
    pd.testing.assert_frame_equal(s, again)
    other = load_regions(seed=1).settlements
    gen = s["point_source"] == "generated"
    assert (other.loc[~gen, ["lon", "lat"]].to_numpy() == s.loc[~gen, ["lon", "lat"]].to_numpy()).all()
    moved = (other.loc[gen, "lon"] != s.loc[gen, "lon"]).mean()
    assert moved > 0.99
    assert (other["population"] == s["population"]).all()


def test_loaded_frame_is_not_shared_between_calls(s):
    r = load_regions(seed=0)
    r.settlements.loc["330102001", "lon"] = 0.0
    assert load_regions(seed=0).settlements.loc["330102001", "lon"] != 0.0


def test_generated_points_are_spread_not_piled(s):
    pts = s[s["point_source"] == "generated"]
    assert not pts.duplicated(subset=["lon", "lat"]).any()
    # Generated towns of a large rural county spread over it: their nearest
    # neighbour among all towns is on average at least 1/4 of a town cell side.
    area = {"330127": 4412.7, "331181": 3042.1, "330824": 2239.5}
    for county, area_km2 in area.items():
        towns = s[(s["level"] == "town") & (s["county_code"] == county)]
        lon, lat = towns["lon"].to_numpy(), towns["lat"].to_numpy()
        d = haversine_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
        np.fill_diagonal(d, np.inf)
        cell_m = np.sqrt(area_km2 / len(towns)) * 1000
        assert d.min(axis=1).mean() > 0.25 * cell_m, county


def test_villages_cluster_around_their_town(s):
    v = s[s["level"] == "village"]
    t = s.loc[v["town_code"]]
    own = haversine_m(v["lon"].to_numpy(), v["lat"].to_numpy(), t["lon"].to_numpy(), t["lat"].to_numpy())
    # distance to another town of the same county, chosen deterministically
    towns = s[s["level"] == "town"]
    other = towns.groupby("county_code")["code"].apply(list)
    rng = np.random.default_rng(0)
    pick = [rng.choice(other[c]) for c in v["county_code"]]
    o = s.loc[pick]
    rand = haversine_m(v["lon"].to_numpy(), v["lat"].to_numpy(), o["lon"].to_numpy(), o["lat"].to_numpy())
    assert np.median(own) < 0.5 * np.median(rand)
    assert np.median(own) > 200  # not stacked on the town point


def test_zhoushan_villages_stay_on_their_towns_island(regions, s):
    geom = regions.county_polygons().geometry["330922"]  # 嵊泗: islands only
    parts = list(geom.geoms)
    v = s[(s["level"] == "village") & (s["county_code"] == "330922")]
    t = s.loc[v["town_code"]]

    def part_of(lon, lat):
        return np.array([next(i for i, p in enumerate(parts) if p.intersects(shapely.Point(x, y))) for x, y in zip(lon, lat)])

    assert (part_of(v["lon"], v["lat"]) == part_of(t["lon"], t["lat"])).all()


def test_population_equals_census_per_county(s, census2020):
    c = census2020.dropna(subset=["adcode_2020"]).set_index("adcode_2020")
    counties = s[s["level"] == "county"]
    direct = [k for k in counties.index if k not in HANGZHOU_SIX and k != "330303"]
    assert len(direct) == 90 - 7
    for col, ccol in (("population", "pop_total"), ("population_urban", "pop_urban"), ("population_rural", "pop_rural")):
        assert (counties.loc[direct, col].to_numpy() == c.loc[direct, ccol].to_numpy()).all()
    # 龙湾区 plus the uncoded 温州经济技术开发区 row
    etdz = census2020[census2020["adcode_2020"].isna()]["pop_total"].item()
    assert counties.loc["330303", "population"] == c.loc["330303", "pop_total"] + etdz
    # the six re-districted Hangzhou units share exactly what the others leave
    hz_total = c.loc["330100", "pop_total"]
    others = counties[(counties["city_code"] == "330100") & ~counties.index.isin(HANGZHOU_SIX)]["population"].sum()
    assert counties.loc[list(HANGZHOU_SIX), "population"].sum() == hz_total - others
    old = ["330102", "330103", "330104", "330105", "330109", "330110"]
    assert counties.loc[list(HANGZHOU_SIX), "population"].sum() == c.loc[old, "pop_total"].sum()
    assert (counties.loc[list(HANGZHOU_SIX), "population"] > 300_000).all()
    # cities and province
    cities = s[s["level"] == "city"]
    assert (cities["population"].to_numpy() == c.loc[cities.index, "pop_total"].to_numpy()).all()
    assert s.loc["330000", "population"] == c.loc["330000", "pop_total"] == 64567588
    assert s.loc["330000", "population_urban"] == c.loc["330000", "pop_urban"]


@pytest.mark.parametrize("child,parent", [("town", "county"), ("village", "town")])
def test_population_sums_down_the_hierarchy(s, child, parent):
    kids = s[s["level"] == child]
    key = "county_code" if parent == "county" else "town_code"
    for col in ("population", "population_urban", "population_rural"):
        sums = kids.groupby(key)[col].sum()
        par = s[s["level"] == parent]
        assert (sums.reindex(par.index).to_numpy() == par[col].to_numpy()).all()


def test_urban_rural_classes(s):
    v = s[s["level"] == "village"]
    # urban population sits in urban units (居委会) wherever a county has them
    assert (v.loc[~v["urban"], "population_urban"] == 0).all()
    has_rural_units = v.groupby("county_code")["urban"].transform(lambda u: (~u).any())
    assert (v.loc[v["urban"] & has_rural_units, "population_rural"] == 0).all()
    # a county without rural units (滨江区: 2020 rural 0; 龙港市: 14,446) spreads its rural figure over all units
    assert not has_rural_units[v["county_code"] == "330383"].any()
    assert v.loc[v["county_code"] == "330383", "population_rural"].sum() == 14446
    assert (v["population"] > 0).all()
    t = s[s["level"] == "town"]
    assert (t.loc[t["urban"], "kind"] == "街道").all()


def test_census_2010_loads_with_current_units():
    r = load_regions(seed=0, census_year=2010)
    st = r.settlements
    assert st.loc["330000", "population"] == 54426891
    c = st[st["level"] == "county"]
    assert len(c) == 90 and (c["population"] > 0).all()
    # 2016 Ningbo pool: old 海曙+江东+鄞州 → current 海曙+鄞州
    assert c.loc[["330203", "330212"], "population"].sum() == 373742 + 366648 + 1359198
    assert c.loc[["330327", "330383"], "population"].sum() == 1184643
    assert (st[["lon", "lat"]].to_numpy() == load_regions(seed=0).settlements[["lon", "lat"]].to_numpy()).all()


def test_bad_census_year():
    with pytest.raises(InputError, match="census_year"):
        load_regions(census_year=2015)


def test_override_file_applied():
    r = load_regions(seed=0, overrides=FIXTURES / "good.csv")
    st = r.settlements
    for code, lon, lat in [("330102001", 120.17, 30.25), ("330102001051", 120.169, 30.249), ("330127", 119.04, 29.61)]:
        assert st.loc[code, "point_source"] == "user"
        assert (st.loc[code, "lon"], st.loc[code, "lat"]) == (lon, lat)
    # the other villages of the overridden town follow its new point
    v = st[(st["town_code"] == "330102001") & (st["level"] == "village") & (st["point_source"] == "generated")]
    d = haversine_m(v["lon"].to_numpy(), v["lat"].to_numpy(), 120.17, 30.25)
    assert np.median(d) < 3000
    assert "good.csv" in str(r)
    assert (st["point_source"] == "user").sum() == 3
    # points of untouched counties are exactly those of a load without overrides
    base = load_regions(seed=0).settlements
    other = ~st["county_code"].isin(["330102", "330127"]) & st["level"].isin(["town", "village"])
    assert other.sum() > 25_000
    assert (st.loc[other, ["lon", "lat"]].to_numpy() == base.loc[other, ["lon", "lat"]].to_numpy()).all()


@pytest.mark.parametrize("path", BAD_FILES, ids=lambda p: p.name)
def test_bad_override_files(path):
    with pytest.raises(InputError) as info:
        load_regions(overrides=path)
    msg = str(info.value)
    assert path.name in msg
    assert f"line {EXPECTED_LINE.get(path.name, 2)}" in msg
    assert "\n" not in msg


def test_missing_override_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_overrides(tmp_path / "nope.csv")


@pytest.mark.parametrize("name", ["Hangzhou", "hangzhou", "杭州", "杭州市", "330100", "3301", " HANGZHOU "])
def test_resolve_city(name):
    assert resolve_city(name) == "330100"


def test_resolve_city_unknown_suggests():
    with pytest.raises(InputError, match="did you mean.*hangzhou"):
        resolve_city("Hangzou")
    assert len(CITY_CODES) == 11 and all(resolve_city(n) == c for c, n in CITY_CODES.items())


def test_of_level_and_children(regions):
    assert len(regions.of_level("county", city="Quzhou")) == 6
    towns = regions.of_level("town", county="330127")
    assert len(towns) > 0 and (towns["county_code"] == "330127").all()
    assert len(regions.of_level("town", county="淳安县")) == len(towns)
    assert len(regions.children("330100")) == 13
    assert set(regions.children("330127")["level"]) == {"town"}
    with pytest.raises(InputError):
        regions.of_level("street")
    with pytest.raises(InputError):
        regions.children("123")


def test_province_polygon_contains_everything(regions, s):
    prov = regions.province_polygon()
    assert prov.geom_type == "MultiPolygon"
    assert shapely.intersects_xy(prov, s["lon"].to_numpy(), s["lat"].to_numpy()).all()


def test_regions_table_and_geojson(regions):
    df = regions_table(regions)
    assert tuple(df.columns) == REGIONS_TABLE_COLUMNS
    assert len(df) == 1 + 11 + 90 + 1387 + 25547
    hz = regions_table(regions, city="杭州", level="county")
    assert len(hz) == 13 and (hz["level"] == "county").all() and hz["code"].is_monotonic_increasing
    gj = json.loads(to_geojson(hz))
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 13
    f0 = gj["features"][0]
    assert f0["geometry"]["type"] == "Point"
    assert set(f0["properties"]) == set(REGIONS_TABLE_COLUMNS) - {"lon", "lat"}
    assert isinstance(f0["properties"]["population"], int)
    assert "上城区" in to_geojson(hz)
    with pytest.raises(InputError):
        regions_table(regions, level="planet")


def test_summary_str_notice(regions):
    text = str(regions)
    assert "1387 towns" in text and "25547 villages" in text
    assert "GeoNames" in DATA_NOTICE and "CC BY 4.0" in DATA_NOTICE
    assert "Contains data from GeoNames (geonames.org), licensed CC BY 4.0" in data_path("NOTICE.md").read_text(encoding="utf-8")
    d = regions.summary()
    assert d["point_sources"]["village/generated"] + d["point_sources"]["village/surveyed"] == 25547
    with pytest.raises(InputError):
        data_path("nope.csv")


def test_county_population_methods_and_to_dict(regions):
    cp = county_population(census_year=2020)
    assert len(cp) == 90 and cp["population"].sum() == 64567588
    assert cp.loc["330114", "method"].startswith("census 2020 pool")
    assert cp.loc["330303", "method"] == "census 2020 sum of 330303+ETDZ"
    assert cp.loc["330127", "method"] == "census 2020"
    cp.loc["330127", "population"] = 0  # a copy: the cache is untouched
    assert county_population()["population"]["330127"] == 328957
    d = regions.to_dict()
    text = json.dumps(d, ensure_ascii=False)
    assert len(d["settlements"]) == 27036 and "千岛湖镇" in text
