"""Tests for citylogistics.geo: distances and the WGS-84 ⇄ GCJ-02 shift."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citylogistics.geo import EARTH_RADIUS_M, gcj02_to_wgs84, haversine_m, local_xy_m, wgs84_to_gcj02
from citylogistics.regions import data_path


def test_haversine_one_degree_on_equator():
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(EARTH_RADIUS_M * math.pi / 180, rel=1e-12)


def test_haversine_scalar_returns_float_and_zero_distance():
    d = haversine_m(120.15, 30.27, 120.15, 30.27)
    assert isinstance(d, float) and d == 0.0


def test_haversine_vectorised_symmetric_and_plausible():
    # Hangzhou seat -> Ningbo seat is about 136 km in a straight line.
    lon1 = np.array([120.2052, 121.55])
    lat1 = np.array([30.2493, 29.87])
    d = haversine_m(lon1, lat1, lon1[::-1], lat1[::-1])
    assert isinstance(d, np.ndarray) and d.shape == (2,)
    assert d[0] == pytest.approx(d[1])
    assert 130_000 < d[0] < 142_000


def test_local_xy_matches_haversine_at_county_scale():
    x, y = local_xy_m(120.3, 30.1, lon0=120.2, lat0=30.0)
    assert math.hypot(x, y) == pytest.approx(haversine_m(120.2, 30.0, 120.3, 30.1), rel=2e-3)


def test_gcj_offset_size_in_zhejiang():
    lon, lat = 120.15, 30.27
    glon, glat = wgs84_to_gcj02(lon, lat)
    shift_m = haversine_m(lon, lat, glon, glat)
    assert 400 < shift_m < 650
    assert glon > lon and glat < lat  # ~+0.0044 deg lon, ~-0.0025 deg lat (SOURCES.md)


def test_outside_china_unchanged():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(-74.0, 40.7) == (-74.0, 40.7)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.floats(118.0, 123.0), st.floats(27.0, 31.2))
def test_round_trip_below_1e6_degrees(lon, lat):
    wlon, wlat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert abs(wlon - lon) < 1e-6 and abs(wlat - lat) < 1e-6
    glon, glat = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert abs(glon - lon) < 1e-6 and abs(glat - lat) < 1e-6


def test_vectorised_round_trip_on_grid():
    lon, lat = np.meshgrid(np.linspace(118, 123, 41), np.linspace(27, 31.2, 37))
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert glon.shape == lon.shape
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert np.abs(wlon - lon).max() < 1e-8 and np.abs(wlat - lat).max() < 1e-8


def test_inverse_agrees_with_shipped_prcoords_conversion():
    # zj_divisions.csv holds cpca GCJ-02 seats and their WGS-84 conversion made
    # with prcoords (an independent implementation).
    d = pd.read_csv(data_path("zj_divisions.csv"))
    d = d.dropna(subset=["seat_lon_gcj02", "seat_lon_wgs84"])
    wlon, wlat = gcj02_to_wgs84(d["seat_lon_gcj02"].to_numpy(), d["seat_lat_gcj02"].to_numpy())
    assert np.abs(wlon - d["seat_lon_wgs84"].to_numpy()).max() < 2e-6
    assert np.abs(wlat - d["seat_lat_wgs84"].to_numpy()).max() < 2e-6


def test_geodesic_matches_the_wgs84_ellipsoid_and_haversine_within_half_a_percent():
    """geodesic_m is pyproj's WGS-84 distance; the sphere is within 0.5 % of it in Zhejiang."""
    from citylogistics.geo import geodesic_m

    # one degree of latitude at 30°N on WGS-84 is 110.85 km (meridian arc), shorter than the sphere's
    assert geodesic_m(120.0, 29.5, 120.0, 30.5) == pytest.approx(110_854, abs=5)
    rng = np.random.default_rng(3)
    lon1, lon2 = rng.uniform(118.0, 123.0, (2, 200))
    lat1, lat2 = rng.uniform(27.0, 31.2, (2, 200))
    g = geodesic_m(lon1, lat1, lon2, lat2)
    h = haversine_m(lon1, lat1, lon2, lat2)
    assert g.shape == (200,) and isinstance(geodesic_m(120.0, 30.0, 121.0, 30.0), float)
    assert np.all(np.abs(h / g - 1.0) < 0.005)
    assert geodesic_m(120.15, 30.27, 120.15, 30.27) == 0.0


def test_metres_per_degree_and_local_plane_round_trip():
    from citylogistics.geo import M_PER_DEG, local_lonlat

    assert M_PER_DEG == pytest.approx(haversine_m(0.0, 0.0, 0.0, 1.0), rel=1e-6)
    lon = np.array([120.1, 120.4, 119.9])
    lat = np.array([30.2, 29.8, 30.0])
    x, y = local_xy_m(lon, lat, lon0=120.0, lat0=30.0)
    back_lon, back_lat = local_lonlat(x, y, lon0=120.0, lat0=30.0)
    assert np.allclose(back_lon, lon, atol=1e-12) and np.allclose(back_lat, lat, atol=1e-12)
