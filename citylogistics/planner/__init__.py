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

from citylogistics.lazy import lazy_exports

_EXPORTS = {
    "plan_city": "four_tier",
    "CityPlan": "four_tier",
    "CoveragePlan": "coverage_plan",
    "PlanInfo": "coverage_plan",
    "PlannerSettings": "four_tier",
    "compute_kpis": "kpis",
}
__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
