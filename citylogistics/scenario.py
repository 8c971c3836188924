"""Scenario files: read, validate and run them.

A scenario is a TOML file.  Every table maps onto a frozen dataclass of
:mod:`citylogistics.config`, so unknown keys, wrong types and out-of-range
values are rejected with one line naming the file and the key before any work
is done.  Paths inside a scenario are relative to the scenario file.

Running a scenario writes its outputs into a temporary folder beside the
output directory and renames it into place at the end, so an interrupted or
failed run leaves the output directory exactly as it was.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import platform
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import __version__
from .config import build, spec
from .errors import InputError


@dataclasses.dataclass(frozen=True)
class NetworkSection:
    file: str | None = spec(None, doc="GraphML road network (relative to the scenario); default: the generated network of the city")


@dataclasses.dataclass(frozen=True)
class RegionsSection:
    overrides: str | None = spec(None, doc="CSV code,lon,lat replacing settlement points (relative to the scenario)")
    point_sources: tuple[str, ...] = spec(("seat", "surveyed", "generated", "user"),
                                          choices=("seat", "surveyed", "generated", "user"),
                                          doc="keep only stops whose point has one of these sources")


@dataclasses.dataclass(frozen=True)
class DemandSection:
    urban_parcels_per_capita_day: float | None = spec(None, min=0, doc="override the default urban rate")
    rural_parcels_per_capita_day: float | None = spec(None, min=0, doc="override the default rural rate")
    growth_factor_2010_2015: float | None = spec(None, gt=0, doc="online retail growth 2010 -> 2015 (plan: 5)")
    pickup_share_rural: float | None = spec(None, min=0, max=1, doc="farm-produce pickups as a share of rural demand")
    pickup_share_farm_counties: float | None = spec(None, min=0, max=1, doc="pickup share in Quzhou and Lishui counties")


@dataclasses.dataclass(frozen=True)
class RoutingSection:
    stops: str = spec("town", choices=("county", "town", "village"), doc="the settlements routed to from the hub")
    pickups: bool = spec(True, doc="collect farm-produce pickups on the same routes")
    time_limit_s: float = spec(20.0, gt=0, max=3600, doc="solver time limit")
    engine: str = spec("auto", choices=("auto", "ortools", "pyvrp"), doc="routing engine")
    deterministic: bool = spec(True, doc="same input and seed give the same plan")
    split_loads: bool = spec(True, doc="split a stop whose demand exceeds the largest vehicle into several loads")
    service_s: float = spec(600.0, min=0, doc="time spent at each stop")


@dataclasses.dataclass(frozen=True)
class VehicleSection:
    name: str = spec(doc="vehicle type name")
    count: int = spec(min=1, doc="number of vehicles of this type")
    capacity_parcels: float = spec(gt=0, doc="parcels carried at once")
    fixed_cost_cny: float = spec(0.0, min=0, doc="cost per vehicle used per day")
    cost_per_km_cny: float = spec(0.0, min=0, doc="operating cost per km")
    max_duration_s: float | None = spec(None, gt=0, doc="shift length")
    max_distance_m: float | None = spec(None, gt=0, doc="range limit (electric vehicles)")
    co2_kg_per_km: float = spec(0.0, min=0, doc="emission factor")
    speed_factor: float = spec(1.0, gt=0, doc="travel time multiplier against the network's car times")


@dataclasses.dataclass(frozen=True)
class MapSection:
    tiles: str = spec("OpenStreetMap", choices=("OpenStreetMap", "none"), doc="background tiles ('none' for offline use)")


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A validated scenario.  Build it with :func:`load_scenario`."""

    title: str = spec(doc="shown on maps and reports")
    city: str = spec(doc="city name, Chinese name or adcode, e.g. 'Hangzhou' or '330100'")
    year: int = spec(2015, min=2000, max=2100, doc="planning year for demand")
    seed: int = spec(0, min=0, doc="seed for generated points and the solver")
    network: NetworkSection = spec(NetworkSection())
    regions: RegionsSection = spec(RegionsSection())
    demand: DemandSection = spec(DemandSection())
    routing: RoutingSection = spec(RoutingSection())
    vehicles: tuple[VehicleSection, ...] = spec(doc="the fleet: one [[vehicles]] table per type")
    map: MapSection = spec(MapSection())
    path: str = dataclasses.field(default="<scenario>", compare=False)

    def __post_init__(self):
        if not self.vehicles:
            raise InputError("the fleet is empty; add at least one [[vehicles]] table", where="vehicles")
        names = [v.name for v in self.vehicles]
        if len(set(names)) != len(names):
            raise InputError("vehicle names must be unique", where="vehicles.name")

    def resolve(self, relative: str | None) -> Path | None:
        """A path from the scenario, made absolute against the scenario's folder."""
        if relative is None:
            return None
        p = Path(relative)
        return p if p.is_absolute() else (Path(self.path).parent / p)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise InputError("file not found; check the path", source=str(path))
    if path.is_dir():
        raise InputError("is a directory; give a scenario .toml file", source=str(path))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror}); check its permissions", source=str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text; save the scenario as UTF-8 TOML", source=str(path)) from None
    if not text.strip():
        raise InputError("is empty; a scenario needs at least title, city and [[vehicles]]", source=str(path))
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"is not valid TOML ({exc}); fix the syntax", source=str(path)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise :class:`InputError` on any problem."""
    path = Path(path)
    data = _read_toml(path)
    scenario = build(Scenario, data, source=str(path))
    scenario = dataclasses.replace(scenario, path=str(path))
    from .regions import resolve_city

    try:
        resolve_city(scenario.city)
    except InputError as exc:
        raise InputError(exc.message, source=str(path), where="city") from None
    for key, rel in (("network.file", scenario.network.file), ("regions.overrides", scenario.regions.overrides)):
        p = scenario.resolve(rel)
        if p is not None and not p.is_file():
            raise InputError(f"file {p} not found; fix the path (it is relative to the scenario file)",
                             source=str(path), where=key)
    return scenario


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "citylogistics": __version__}
    for pkg in ("ortools", "pyvrp", "networkx", "numpy", "scipy", "folium"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def manifest(scenario: Scenario, timings: Mapping[str, float],
             extra_inputs: Mapping[str, Path | None] | None = None) -> dict:
    inputs = {"scenario": {"path": str(scenario.path), "sha256": file_sha256(scenario.path)}}
    for key, p in (extra_inputs or {}).items():
        if p is not None:
            inputs[key] = {"path": str(p), "sha256": file_sha256(p)}
    return {"title": scenario.title, "seed": scenario.seed, "inputs": inputs, "versions": versions(),
            "timings_s": {k: round(v, 3) for k, v in timings.items()},
            "created_unix": int(time.time())}


def dump_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
