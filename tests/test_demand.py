"""Tests for citylogistics.demand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from citylogistics.demand import FARM_COUNTIES, DemandParams, settlement_demand, year_factor
from citylogistics.errors import InputError
from citylogistics.regions import load_regions


@pytest.fixture(scope="module")
def villages():
    return load_regions(seed=0).of_level("village")


def test_defaults_documented_and_frozen():
    p = DemandParams()
    assert p.base_year == 2010 and p.growth_factor_2010_2015 == 5.0
    assert p.pickup_share_farm_counties > p.pickup_share_rural
    assert {c[:4] for c in p.farm_counties} == {"3308", "3311"}
    assert len(FARM_COUNTIES) == 6 + 9
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.base_year = 2011
    assert p.to_dict()["farm_counties"] == list(FARM_COUNTIES)
    assert p.annual_growth_rate == pytest.approx(5 ** 0.2 - 1)


@pytest.mark.parametrize("year,expected", [(2010, 1.0), (2015, 5.0), (2020, 25.0), (2005, 0.2)])
def test_year_factor(year, expected):
    assert year_factor(year) == pytest.approx(expected)


def test_year_factor_compound_and_monotone():
    f = [year_factor(y) for y in range(2008, 2018)]
    assert all(b > a for a, b in zip(f, f[1:]))
    ratios = np.array(f[1:]) / np.array(f[:-1])
    assert np.allclose(ratios, 5 ** 0.2)
    flat = DemandParams(growth_factor_2010_2015=1.0)
    assert year_factor(2030, flat) == 1.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"urban_parcels_per_capita_day": -1.0},
        {"rural_parcels_per_capita_day": float("nan")},
        {"growth_factor_2010_2015": 0.0},
        {"pickup_share_rural": 1.5},
        {"farm_counties": "330802"},
    ],
)
def test_bad_params_raise(kwargs):
    with pytest.raises(InputError):
        DemandParams(**kwargs)


def test_village_demand_totals_match_rates(villages):
    p = DemandParams()
    d = settlement_demand(villages, year=2015, params=p)
    assert len(d) == len(villages) and d.index.equals(villages.index)
    assert "delivery_parcels" not in villages.columns  # input not modified
    expected = 5.0 * (villages["population_urban"].sum() * 0.025 + villages["population_rural"].sum() * 0.008)
    assert d["delivery_parcels"].sum() == pytest.approx(expected)
    assert (d["delivery_parcels"] >= 0).all() and (d["pickup_parcels"] >= 0).all()
    assert d["delivery_parcels"].dtype == float and d["pickup_parcels"].dtype == float


def test_pickups_only_rural_and_higher_in_farm_counties(villages):
    d = settlement_demand(villages, year=2012)
    assert (d.loc[d["population_rural"] == 0, "pickup_parcels"] == 0).all()
    rural = d[d["population_rural"] > 0]
    share = rural["pickup_parcels"] / (rural["population_rural"] * 0.008 * year_factor(2012))
    farm = rural["county_code"].isin(FARM_COUNTIES)
    assert np.allclose(share[farm], 0.20) and np.allclose(share[~farm], 0.05)
    assert farm.any() and (~farm).any()


def test_demand_scales_linearly_with_year_factor(villages):
    a = settlement_demand(villages.head(50), year=2011)
    b = settlement_demand(villages.head(50), year=2014)
    ratio = b["delivery_parcels"] / a["delivery_parcels"]
    assert np.allclose(ratio, year_factor(2014) / year_factor(2011))


def test_population_and_urban_flag_fallback():
    df = pd.DataFrame({"population": [1000, 1000], "urban": [True, False], "county_code": ["330102", "331102"]})
    d = settlement_demand(df, year=2010)
    assert d["delivery_parcels"].tolist() == pytest.approx([25.0, 8.0])
    assert d["pickup_parcels"].tolist() == pytest.approx([0.0, 8.0 * 0.20])


def test_missing_columns_and_negative_population():
    with pytest.raises(InputError, match="population"):
        settlement_demand(pd.DataFrame({"x": [1]}), year=2015)
    with pytest.raises(InputError):
        settlement_demand(pd.DataFrame({"population_urban": [-1], "population_rural": [0]}), year=2015)
    with pytest.raises(InputError):
        year_factor("soon")
