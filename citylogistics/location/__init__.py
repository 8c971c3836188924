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


def __getattr__(name: str):  # lazy re-exports: importing the subpackage stays light (PEP 562)
    import importlib

    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
