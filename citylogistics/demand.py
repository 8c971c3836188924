"""Parcels per day for every settlement and year.

Model
-----
For a settlement with urban population ``P_u`` and rural population ``P_r``
(persons, from :mod:`citylogistics.regions`) in year ``y``::

    f(y)             = g ** ((y - base_year) / 5)            # year factor
    delivery_parcels = (P_u * r_u + P_r * r_r) * f(y)         # inbound, per day
    pickup_parcels   = P_r * r_r * f(y) * s(county)           # outbound farm produce, per day

where ``g`` is ``growth_factor_2010_2015`` (the plan's ×5 online-retail target
for 2010→2015, i.e. a compound annual rate ``g**(1/5) - 1`` ≈ 38 %), ``r_u`` and
``r_r`` the urban/rural parcels per person per day in ``base_year``, and ``s``
the pickup share: ``pickup_share_farm_counties`` in the named farm-produce
counties (all of Quzhou 3308xx and Lishui 3311xx by default, as the plan names
them), ``pickup_share_rural`` elsewhere. Pickups exist only for rural
population (service points collect farm produce from villages). The same
compound rate is applied before 2010 and after 2015; it is a scenario
assumption, not a forecast — pass another ``growth_factor_2010_2015`` (or
``DemandParams(growth_factor_2010_2015=1.0)`` for flat demand) to change it.

Default base-year rates (assumptions, stated so they can be replaced):
the plan gives Zhejiang's 2010 online retail as about 50 billion CNY. At an
assumed 130 CNY per parcel that is ~385 million parcels a year, ~1.05 million
a day for 54.4 million people (2010 census). Splitting it with urban residents
ordering about three times as much per head as rural residents (33.6 M urban,
20.9 M rural in 2010) gives ``r_u = 0.025`` and ``r_r = 0.008`` parcels per
person per day (0.025·33.6 M + 0.008·20.9 M ≈ 1.01 M/day).

Sum demand over one level only (e.g. ``regions.of_level("village")``): every
level carries its own population, so summing across levels counts people
several times.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from citylogistics.errors import InputError

__all__ = ["DemandParams", "FARM_COUNTIES", "settlement_demand", "year_factor"]

#: County adcodes of Quzhou (3308xx) and Lishui (3311xx), the cities the plan
#: names for selling farm produce online.
FARM_COUNTIES: tuple[str, ...] = (
    "330802",
    "330803",
    "330822",
    "330824",
    "330825",
    "330881",
    "331102",
    "331121",
    "331122",
    "331123",
    "331124",
    "331125",
    "331126",
    "331127",
    "331181",
)


@dataclass(frozen=True)
class DemandParams:
    """Demand rates; every field is an assumption with a stated default.

    Attributes
    ----------
    base_year
        Year the per-capita rates refer to (2010: the plan's baseline).
    urban_parcels_per_capita_day
        Inbound parcels per urban resident per day in ``base_year``; 0.025
        (≈ 9 a year), derived in the module docstring from 50 bn CNY online
        retail at 130 CNY per parcel, urban:rural = 3:1 per head.
    rural_parcels_per_capita_day
        Same for rural residents; 0.008 (≈ 3 a year).
    growth_factor_2010_2015
        Demand multiplier over five years; 5.0 follows the plan's online
        retail target (50 → 250 bn CNY, 2010 → 2015). Annual rate
        ``growth_factor_2010_2015 ** (1/5) - 1``.
    pickup_share_rural
        Outbound (farm produce) parcels as a share of rural inbound parcels,
        outside the farm counties; 0.05 (assumption: little online selling).
    pickup_share_farm_counties
        Same share in ``farm_counties``; 0.20 (assumption: the plan's push for
        online farm-produce sales in Quzhou and Lishui, four times the rest).
    farm_counties
        County adcodes with the higher pickup share; default
        :data:`FARM_COUNTIES` (every county of Quzhou and Lishui).
    """

    base_year: int = 2010
    urban_parcels_per_capita_day: float = 0.025
    rural_parcels_per_capita_day: float = 0.008
    growth_factor_2010_2015: float = 5.0
    pickup_share_rural: float = 0.05
    pickup_share_farm_counties: float = 0.20
    farm_counties: tuple[str, ...] = field(default=FARM_COUNTIES)

    def __post_init__(self):
        for name in ("urban_parcels_per_capita_day", "rural_parcels_per_capita_day"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise InputError(f"must be a finite number >= 0, got {v!r}", source="DemandParams", where=name)
        g = self.growth_factor_2010_2015
        if not (isinstance(g, (int, float)) and math.isfinite(g) and g > 0):
            raise InputError(
                f"must be a finite number > 0, got {g!r}", source="DemandParams", where="growth_factor_2010_2015"
            )
        for name in ("pickup_share_rural", "pickup_share_farm_counties"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0 <= v <= 1):
                raise InputError(f"must be a share in [0, 1], got {v!r}", source="DemandParams", where=name)
        if isinstance(self.farm_counties, str):
            raise InputError(
                "give a tuple of county adcodes, not one string", source="DemandParams", where="farm_counties"
            )
        object.__setattr__(self, "farm_counties", tuple(str(c) for c in self.farm_counties))

    @property
    def annual_growth_rate(self) -> float:
        """Compound annual growth rate implied by ``growth_factor_2010_2015``."""
        return self.growth_factor_2010_2015 ** (1 / 5) - 1

    def to_dict(self) -> dict:
        """Plain dict of the parameters (tuples as lists)."""
        d = asdict(self)
        d["farm_counties"] = list(self.farm_counties)
        return d


def year_factor(year: int, params: DemandParams | None = None) -> float:
    """Demand multiplier for ``year`` relative to ``params.base_year``.

    Parameters
    ----------
    year
        Any calendar year (before the base year gives a factor below 1).
    params
        Defaults to ``DemandParams()``.

    Returns
    -------
    float
        ``growth_factor_2010_2015 ** ((year - base_year) / 5)``; 5.0 for 2015
        with the defaults.
    """
    p = DemandParams() if params is None else params
    try:
        y = float(year)
    except (TypeError, ValueError):
        raise InputError(f"year must be a number, got {year!r}", where="year") from None
    if not math.isfinite(y):
        raise InputError(f"year must be finite, got {year!r}", where="year")
    return float(p.growth_factor_2010_2015 ** ((y - p.base_year) / 5.0))


def settlement_demand(settlements: pd.DataFrame, *, year: int, params: DemandParams | None = None) -> pd.DataFrame:
    """Add daily ``delivery_parcels`` and ``pickup_parcels`` to settlements.

    Parameters
    ----------
    settlements
        Rows from :class:`citylogistics.regions.Regions` (any level). Needs
        ``population_urban`` and ``population_rural``, or ``population`` and
        ``urban`` (bool); ``county_code`` for the farm-county pickup share.
    year
        Demand year.
    params
        Rates; defaults to ``DemandParams()``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``settlements`` with float columns ``delivery_parcels`` and
        ``pickup_parcels`` (parcels per day; pickups only from rural population).

    Raises
    ------
    InputError
        If the population columns are missing or negative.
    """
    p = DemandParams() if params is None else params
    cols = set(settlements.columns)
    if {"population_urban", "population_rural"} <= cols:
        pu = settlements["population_urban"].to_numpy(dtype=float)
        pr = settlements["population_rural"].to_numpy(dtype=float)
    elif {"population", "urban"} <= cols:
        pop = settlements["population"].to_numpy(dtype=float)
        is_u = settlements["urban"].to_numpy(dtype=bool)
        pu, pr = np.where(is_u, pop, 0.0), np.where(is_u, 0.0, pop)
    else:
        raise InputError(
            "settlements need population_urban and population_rural (or population and urban) columns; "
            "use rows from citylogistics.regions.load_regions()",
            source="settlements",
            where="columns",
        )
    if np.any(~np.isfinite(pu)) or np.any(~np.isfinite(pr)) or (pu < 0).any() or (pr < 0).any():
        raise InputError("population must be finite and >= 0", source="settlements", where="population columns")
    f = year_factor(year, p)
    rural_parcels = pr * p.rural_parcels_per_capita_day * f
    out = settlements.copy()
    out["delivery_parcels"] = pu * p.urban_parcels_per_capita_day * f + rural_parcels
    if "county_code" in cols:
        farm = settlements["county_code"].astype(str).isin(set(p.farm_counties)).to_numpy()
    else:
        farm = np.zeros(len(settlements), dtype=bool)
    share = np.where(farm, p.pickup_share_farm_counties, p.pickup_share_rural)
    out["pickup_parcels"] = rural_parcels * share
    return out
