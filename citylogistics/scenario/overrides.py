"""Dotted-key overrides of a scenario table, checked exactly as a scenario file is.

:func:`apply_overrides` puts values in place in a copy of a scenario's raw TOML
table by dotted key (``"plan.coverage_limit_s"``; ``"vehicles.<name>.<field>"``
addresses a fleet entry by its vehicle name; :data:`STATIONS_KEY` is the sweep's
"number of stations" shorthand for ``plan.budget_cny``).
:func:`build_scenario` validates such a table as
:func:`~citylogistics.scenario.files.load_scenario` does. Every error is one
:class:`~citylogistics.errors.InputError` naming the file given as ``source``
and the key (``prefix``/``where``).

The sweep (:mod:`citylogistics.scenario.sweep`: grid and ``[set]`` keys) and
:func:`citylogistics.plan_scenario` (keyword overrides) use them.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citylogistics.config import build, did_you_mean
from citylogistics.errors import InputError, short

if TYPE_CHECKING:
    from citylogistics.scenario.files import Scenario

__all__ = ["STATIONS_KEY", "apply_overrides", "build_scenario"]

#: Special key: number of new town stations a year; sets ``plan.budget_cny`` (see :mod:`citylogistics.scenario.sweep`).
STATIONS_KEY = "stations"


def _vehicle_names(table: Mapping[str, Any]) -> list[str]:
    return [str(v.get("name")) for v in table.get("vehicles", []) if isinstance(v, Mapping)]


def _put(table: dict, key: str, value: Any, *, source: str, where: str) -> None:
    """Set dotted ``key`` of the raw scenario ``table`` (in place)."""
    parts = key.split(".")
    if any(not p for p in parts):
        raise InputError(
            f"{short(key)} is not a dotted scenario key like 'plan.budget_cny'", source=source, where=where
        )
    if parts[0] == "vehicles":
        names = _vehicle_names(table)
        if len(parts) != 3:
            raise InputError(
                "fleet keys are 'vehicles.<vehicle name>.<field>', e.g. 'vehicles.tricycle.count'",
                source=source,
                where=where,
            )
        if parts[1] not in names:
            raise InputError(
                f"no vehicle named {short(parts[1])} in the base scenario{did_you_mean(parts[1], names)}; "
                f"vehicles: {', '.join(names)}",
                source=source,
                where=where,
            )
        vehicles = [dict(v) for v in table["vehicles"]]
        for v in vehicles:
            if v.get("name") == parts[1]:
                v[parts[2]] = value
        table["vehicles"] = vehicles
        return
    node = table
    for p in parts[:-1]:
        child = node.get(p)
        if child is None:
            child = {}
        elif not isinstance(child, Mapping):
            raise InputError(f"{short(p)} is not a table in the scenario; check the key", source=source, where=where)
        node[p] = dict(child)
        node = node[p]
    node[parts[-1]] = value


def _expand_stations(params: Mapping[str, Any], table: dict, *, source: str, prefix: str) -> None:
    from citylogistics.scenario.files import SitesSection

    p = params[STATIONS_KEY]
    where = f'{prefix}."{STATIONS_KEY}"'
    if isinstance(p, bool) or not isinstance(p, int | float) or not math.isfinite(p) or p < 0 or p != int(p):
        raise InputError(f"stations must be a whole number >= 0, got {short(p)}", source=source, where=where)
    sites = table.get("sites", {}) or {}
    cost = float(sites.get("t2_open_cost_cny", SitesSection().t2_open_cost_cny))
    _put(table, "plan.budget_cny", [float(p) * cost], source=source, where=where)


def apply_overrides(table: Mapping[str, Any], params: Mapping[str, Any], *, source: str, prefix: str) -> dict:
    """A copy of the raw scenario ``table`` with each dotted key of ``params`` set to its value.

    ``table`` is left as it was. Errors name ``source`` and ``<prefix>."<key>"``
    (e.g. ``grid."plan.budget_cny"``); the values themselves are checked by
    :func:`build_scenario`.
    """
    out: dict = json.loads(json.dumps(table))  # a deep copy of plain TOML data
    for key, value in params.items():
        if key == STATIONS_KEY:
            continue
        _put(out, key, value, source=source, where=f'{prefix}."{key}"')
    if STATIONS_KEY in params:
        _expand_stations(params, out, source=source, prefix=prefix)
    return out


def build_scenario(table: Mapping[str, Any], *, base_path: Path, source: str, where: str) -> Scenario:
    """Validate a raw scenario table as :func:`load_scenario` does, errors attributed to ``where``.

    ``base_path`` is the scenario file the table came from (relative paths are
    resolved against it); every error is an :class:`InputError` with
    ``source`` and ``where``, the inner key leading its message.
    """
    from citylogistics.regions import resolve_city
    from citylogistics.scenario.files import Scenario
    from citylogistics.scenario.run import PROVINCE_CODES

    try:
        scenario = build(Scenario, table, source=source)
        scenario = dataclasses.replace(scenario, path=str(base_path))
        if not (scenario.plan is not None and scenario.city.strip().lower() in PROVINCE_CODES):
            resolve_city(scenario.city)
        for key, rel in (("network.file", scenario.network.file), ("regions.overrides", scenario.regions.overrides)):
            p = scenario.resolve(rel)
            if p is not None and not p.is_file():
                raise InputError(f"file {p} not found (paths are relative to the base scenario)", where=key)
    except InputError as exc:
        inner = f"{exc.where}: " if exc.where else ""
        raise InputError(f"{inner}{exc.message}", source=source, where=where) from None
    return scenario
