"""The four-tier coverage planner: city hub → county hubs → town stations →
village points, phased over years, with its KPIs.

Modules
    ``four_tier``      :func:`plan_city`: siting by year, assignment, trunk/shuttle/last-mile routing
    ``coverage_plan``  :class:`CoveragePlan`, the planner's result (the cities combined); its views
                       (``map()``, ``report()``, ``write()``) call :mod:`citylogistics.outputs` when used
    ``hubs_stage`` the [hubs] stage: T0 hubs chosen from candidate parcels before routing, trunk per hub, per-km check
    ``kpis``           the KPI table by year and scope (add a KPI here)

May import: ``errors``, ``geo``, ``regions``, ``demand``, ``config``, ``network``, ``routing``,
``location``. Nothing from ``outputs``, ``scenario`` or ``cli``.
"""

from __future__ import annotations

_EXPORTS = {
    "plan_city": "four_tier",
    "CityPlan": "four_tier",
    "CoveragePlan": "coverage_plan",
    "PlanInfo": "coverage_plan",
    "PlannerSettings": "four_tier",
    "compute_kpis": "kpis",
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
