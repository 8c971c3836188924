"""Depot and station siting models solved with OR-Tools (pywraplp + SCIP).

Five models share one data layout: ``n`` demand points (villages, towns) with
weights ``w_i`` (parcels/day or population), ``m`` candidate sites, and a cost
matrix ``c`` of shape ``n × m`` (travel time in s or distance in m; ``inf``
means the pair is not allowed). All take ``required_sites`` (forced open),
``forbidden_sites`` (never opened), an optional ``budget_cny`` on the sum of
site fixed costs ``fixed_cost_cny`` and, where meaningful, site capacities.

* :class:`SetCovering` — fewest sites so every point is within a limit.
* :class:`MaxCoverage` — at most ``p`` sites, most demand within a limit.
* :class:`PMedian` — ``p`` sites, least demand-weighted travel.
* :class:`PCenter` — ``p`` sites, least worst travel.
* :class:`CapacitatedFacilityLocation` — fixed opening costs + assignment
  costs, capacities, single or split sourcing.

Each model has ``from_cost_matrix`` (tests, benchmarks) and ``from_regions``
(builds the travel matrix from regions + a road network and delegates), and
``solve(*, time_limit_s, seed) -> LocationPlan``. Bad input raises
:class:`~citylogistics.errors.InputError` when the model is built.

Large p-median instances (the whole province) are solved by
:mod:`citylogistics.location.lagrangian` (Lagrangian relaxation with a valid bound).

The models live in :mod:`~citylogistics.location.base` (shared data, checks
and plan building), :mod:`~citylogistics.location.covering` (set covering,
maximal coverage), :mod:`~citylogistics.location.median` (p-median,
p-center) and :mod:`~citylogistics.location.capacitated`; this module is
their one public door.
"""

from __future__ import annotations

from citylogistics.location.base import _SitingModel
from citylogistics.location.capacitated import CapacitatedFacilityLocation
from citylogistics.location.covering import MaxCoverage, SetCovering, _dominated_sites
from citylogistics.location.median import PCenter, PMedian

__all__ = [
    "SetCovering",
    "MaxCoverage",
    "PMedian",
    "PCenter",
    "CapacitatedFacilityLocation",
]

_PRIVATE = (_SitingModel, _dominated_sites)  # used by benchmarks/bench_province_coverage.py and subclasses
