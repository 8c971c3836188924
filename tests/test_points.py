"""Surveyed and generated settlement points (issue 16, part 1): counts, county
polygons, the 15 km rule, villages around their own town, the GCJ-02 inverse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from citylogistics.geo import gcj02_to_wgs84, haversine_m, wgs84_to_gcj02
from citylogistics.regions import VILLAGE_MAX_KM, data_path, load_regions, point_counts

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "zhejiang"


@pytest.fixture(scope="module")
def regions():
    return load_regions(seed=0)


@pytest.fixture(scope="module")
def s(regions):
    return regions.settlements


def test_surveyed_counts_meet_the_targets(regions, s):
    table = point_counts(regions)
    assert list(table.columns) == ["level", "point_source", "point_origin", "points"]
    assert list(table["level"].unique()) == ["town", "village"]
    c = table.groupby(["level", "point_source"])["points"].sum()
    assert c["town", "surveyed"] >= 1200
    assert c["village", "surveyed"] >= 1900
    assert c["town"].sum() == 1387 and c["village"].sum() == 25547
    assert set(s.loc[s["point_source"] == "surveyed", "point_origin"]) == {"adcode2016", "geonames"}


def test_every_point_inside_its_county_polygon(regions, s):
    polys = regions.county_polygons().geometry
    rows = s[s["level"].isin(["town", "village"])]
    for county, grp in rows.groupby("county_code"):
        inside = shapely.intersects_xy(polys[county], grp["lon"].to_numpy(), grp["lat"].to_numpy())
        assert inside.all(), (county, grp.index[~inside][:5].tolist())


def _km_to_town(s: pd.DataFrame, villages: pd.DataFrame) -> np.ndarray:
    t = s.loc[villages["town_code"]]
    return haversine_m(villages["lon"].to_numpy(), villages["lat"].to_numpy(), t["lon"].to_numpy(), t["lat"].to_numpy()) / 1000


def test_every_village_within_15_km_of_its_town(s):
    v = s[s["level"] == "village"]
    assert (_km_to_town(s, v) <= VILLAGE_MAX_KM + 1e-9).all()
    surveyed = v[v["point_source"] == "surveyed"]
    assert np.median(_km_to_town(s, surveyed)) < 3.0


def test_generated_villages_stand_near_their_own_town(s):
    v = s[(s["level"] == "village") & (s["point_source"] == "generated")]
    own = _km_to_town(s, v)
    # the nearest other town of the same county is farther, for most villages
    towns = s[s["level"] == "town"]
    nearer = 0
    for county, grp in v.groupby("county_code"):
        ct = towns[towns["county_code"] == county]
        if len(ct) < 2:
            continue
        d = haversine_m(grp["lon"].to_numpy()[:, None], grp["lat"].to_numpy()[:, None],
                        ct["lon"].to_numpy()[None, :], ct["lat"].to_numpy()[None, :]) / 1000
        own_col = ct.index.get_indexer(grp["town_code"])
        nearer += int((d.argmin(axis=1) == own_col).sum())
    assert nearer / len(v) > 0.6
    assert np.median(own) < 4.0 and np.median(own) > 0.2


def test_towns_without_a_point_but_with_surveyed_villages_stand_among_them(s):
    medoid = s[(s["level"] == "town") & (s["point_origin"] == "medoid")]
    assert len(medoid) > 0 and (medoid["point_source"] == "generated").all()
    sv = s[(s["level"] == "village") & (s["point_source"] == "surveyed")]
    on_village = pd.MultiIndex.from_frame(medoid[["lon", "lat"]]).isin(pd.MultiIndex.from_frame(sv[["lon", "lat"]]))
    assert on_village.all()


def test_same_seed_same_points_other_seed_moves_only_generated(s):
    again = load_regions(seed=0).settlements
    pd.testing.assert_frame_equal(s, again)
    other = load_regions(seed=3).settlements
    fixed = s["point_origin"] != "generated"
    assert (other.loc[fixed, ["lon", "lat"]].to_numpy() == s.loc[fixed, ["lon", "lat"]].to_numpy()).all()
    assert (other["point_origin"] == s["point_origin"]).all()
    assert (other.loc[~fixed, "lon"] != s.loc[~fixed, "lon"]).mean() > 0.99


def test_user_town_far_away_drops_its_surveyed_villages(tmp_path, s):
    # a town with surveyed villages, moved by the user to the far side of its county
    sv = s[(s["level"] == "village") & (s["point_source"] == "surveyed")]
    far = None
    for town in sv["town_code"].value_counts().index:  # the busiest surveyed town with a county town >= 20 km away
        ct = s[(s["level"] == "town") & (s["county_code"] == s.loc[town, "county_code"])]
        cand = ct.iloc[int(np.argmax(haversine_m(ct["lon"], ct["lat"], s.loc[town, "lon"], s.loc[town, "lat"])))]
        if haversine_m(cand["lon"], cand["lat"], s.loc[town, "lon"], s.loc[town, "lat"]) >= 20_000:
            far = cand
            break
    assert far is not None, "no surveyed town has a county town 20 km away"
    path = tmp_path / "ov.csv"
    path.write_text(f"code,lon,lat\n{town},{far['lon']},{far['lat']}\n", encoding="utf-8")
    st = load_regions(seed=0, overrides=path).settlements
    v = st[(st["level"] == "village") & (st["town_code"] == town)]
    assert (_km_to_town(st, v) <= VILLAGE_MAX_KM + 1e-9).all()
    assert (v["point_source"] == "generated").any()


@pytest.mark.parametrize("lon,lat", [(120.15, 30.27), (118.2, 27.1), (122.9, 31.2), (121.5, 28.6)])
def test_gcj02_to_wgs84_round_trip_below_a_metre(lon, lat):
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert haversine_m(lon, lat, glon, glat) > 300  # the shift is real
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert haversine_m(lon, lat, wlon, wlat) < 1.0
    # and the other way: forward(inverse(gcj)) reproduces the GCJ-02 point
    back = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert haversine_m(lon, lat, *back) < 1.0


def test_gcj02_round_trip_over_the_province():
    rng = np.random.default_rng(0)
    lon = rng.uniform(118.0, 123.3, 5000)
    lat = rng.uniform(27.0, 31.3, 5000)
    wlon, wlat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert haversine_m(lon, lat, wlon, wlat).max() < 1.0


def test_packaged_file_is_compact_and_rounded():
    pts = pd.read_csv(data_path("zj_points_surveyed.csv"), dtype={"code": str})
    assert list(pts.columns) == ["code", "lon", "lat", "source", "join"]
    assert pts["code"].is_unique and pts["code"].str.len().isin([9, 12]).all()
    assert set(pts["source"]) == {"adcode2016", "geonames"}
    assert (pts["lon"].round(6) == pts["lon"]).all() and (pts["lat"].round(6) == pts["lat"]).all()


def test_build_reproduces_the_packaged_file(tmp_path):
    """Rebuilding from ../shared (required: a missing file fails) gives the packaged CSV byte for byte."""
    from conftest import shared_path

    from citylogistics.points_build import build_points

    shared_path("data", "zhejiang", "zj_adcode2016_points_gcj02.csv")

    out = tmp_path / "pts.csv"
    build_points(SHARED, out=out)
    assert out.read_bytes() == data_path("zj_points_surveyed.csv").read_bytes()
