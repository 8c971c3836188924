"""Facility location: the siting models and their searches.

Modules
    ``models``      the public door of the five siting models below (re-exports them)
    ``base``        the data, checks, constructors and plan building the five models share
    ``covering``    SetCovering, MaxCoverage
    ``median``      PMedian, PCenter
    ``capacitated`` CapacitatedFacilityLocation
    ``coverage``    the heuristic + LP-bound search behind the coverage models
    ``lagrangian``  the sparse p-median (Lagrangian + reduced MIP) at province scale
    ``phased``      the multi-year phased siting model of the four-tier planner
    ``hubs``        logistics hubs on scarce land: the multi-year capacitated siting model
    ``hub_candidates`` candidate land parcels for hubs (CSV, generated at major-road junctions)
    ``mip``         the one SCIP wrapper every MIP goes through
    ``plan``        :class:`LocationPlan`, the result

May import: ``errors``, ``geo``, ``regions``, ``demand``, ``config``, ``network``. Nothing from
``routing``, ``planner``, ``outputs``, ``scenario`` or ``cli``.
"""

from __future__ import annotations

from citylogistics.lazy import lazy_exports

_EXPORTS = {
    "SetCovering": "covering",
    "MaxCoverage": "covering",
    "PMedian": "median",
    "PCenter": "median",
    "CapacitatedFacilityLocation": "capacitated",
    "LocationPlan": "plan",
    "SparsePMedian": "lagrangian",
    "SparseCosts": "lagrangian",
}
__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
