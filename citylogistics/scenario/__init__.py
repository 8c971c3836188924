"""Scenario files and runs: read and validate TOML, run a scenario, sweeps and comparisons.

Modules
    ``files``       scenario sections and :func:`load_scenario`, manifests
    ``run``         :func:`run_scenario`: route runs and plan runs end to end
    ``orders_run``  routing an order list (``citylogistics route``) and its outputs
    ``hubs_cli``    ``citylogistics hubs candidates``
    ``overrides``   dotted-key overrides of a scenario table, checked as a scenario file (sweeps, ``plan_scenario``)
    ``sweep``       grids of scenario variants on Dask
    ``compare``     KPI deltas between two runs
    ``distributed`` independent tasks (cities, sweep points) on Dask, results in input order

May import every other subpackage. Only ``cli`` and :func:`citylogistics.plan_scenario` import it.
"""

from __future__ import annotations

from citylogistics.lazy import lazy_exports

_EXPORTS = {
    "Scenario": "files",
    "load_scenario": "files",
    "run_scenario": "run",
    "run_sweep": "sweep",
    "load_sweep": "sweep",
    "compare_runs": "compare",
}
__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
