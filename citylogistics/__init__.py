"""citylogistics: plan urban and rural delivery networks for Zhejiang's cities,
counties, towns and villages.

The entry point is :func:`plan_scenario`: it plans a coverage-extension
scenario file and returns a :class:`CoveragePlan` (summary, tables, map,
report, ``write(dir)``)::

    import citylogistics

    plan = citylogistics.plan_scenario("scenarios/zhoushan.toml", plan__coverage_limit_s=1200)
    print(plan.summary())
    plan.write("out/zhoushan_20min")

The package import is light: optimisation, mapping and geometry libraries are
imported only by the modules that need them (``plan_scenario`` imports the
planner when called; ``CoveragePlan`` is loaded on first use).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citylogistics.errors import (
    CityLogisticsError,
    InfeasibleError,
    InputError,
    SolverError,
)

if TYPE_CHECKING:
    from citylogistics.planner.coverage_plan import CoveragePlan

__version__ = "0.1.0"

_LAZY = {
    "CoveragePlan": "citylogistics.planner.coverage_plan",
}

__all__ = [
    "CityLogisticsError",
    "CoveragePlan",
    "InfeasibleError",
    "InputError",
    "SolverError",
    "__version__",
    "plan_scenario",
]


def plan_scenario(
    path: str | os.PathLike,
    overrides: Mapping[str, Any] | None = None,
    /,
    *,
    progress: Callable[[str], Any] | None = None,
    **more: Any,
) -> CoveragePlan:
    """Plan a coverage-extension scenario file and return its
    :class:`~citylogistics.planner.coverage_plan.CoveragePlan` (nothing is written).

    Parameters
    ----------
    path
        A scenario TOML file with a ``[plan]`` table.
    overrides
        Dotted scenario keys and their values, e.g. ``{"plan.coverage_limit_s": 1200}``
        or ``{"vehicles.van.count": 4}`` (fleet by vehicle name).
    progress
        Called with one line per stage.
    **more
        The same as keywords, ``__`` standing for the dot: ``plan__coverage_limit_s=1200``.

    Every override is checked exactly as a key of the file is (the sweep's
    code: :func:`citylogistics.scenario.overrides.build_scenario`), so a
    misspelt key, a wrong type or an out-of-range value raises
    :class:`~citylogistics.errors.InputError` naming the file and key before
    any work.

    Examples
    --------
    >>> import citylogistics
    >>> plan = citylogistics.plan_scenario("scenarios/zhoushan.toml", plan__coverage_limit_s=1200)  # doctest: +SKIP
    >>> print(plan.summary())  # doctest: +SKIP
    """
    # scenario.overrides applies and checks dotted keys (for the sweep too); it is used here, not in
    # scenario.run, as it imports scenario.run itself (importing it there would make a cycle).
    from citylogistics.scenario.files import load_scenario, read_toml
    from citylogistics.scenario.overrides import apply_overrides, build_scenario
    from citylogistics.scenario.run import plan_coverage

    path = Path(path)
    scenario = load_scenario(path)
    changes = dict(overrides or {})
    changes.update({k.replace("__", "."): v for k, v in more.items()})
    if changes:
        table = apply_overrides(read_toml(path), changes, source=str(path), prefix="overrides")
        scenario = build_scenario(table, base_path=path, source=str(path), where="overrides")
    return plan_coverage(scenario, progress=progress)


def __getattr__(name: str):  # lazy public API (PEP 562): `import citylogistics` stays light
    import importlib

    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
