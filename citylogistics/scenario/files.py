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
from typing import Any, overload

from citylogistics import __version__
from citylogistics.config import DAY_S, MAX_CAPACITY, MAX_COUNT, MAX_SEED, WEEK_S, build, spec
from citylogistics.errors import InputError, clip
from citylogistics.routing.orders import CRS_CHOICES, ORDER_COLUMNS, parse_shift

#: Physical ranges of the scenario's numbers (the README's key table states them); the
#: day, count, capacity and seed bounds come from :mod:`citylogistics.config`.
MAX_COST_CNY = 1e10
MAX_BUDGET_CNY = 1e12
#: Largest scenario or sweep file read (bytes) and deepest table nesting accepted.
MAX_FILE_BYTES = 10_000_000
MAX_DEPTH = 8


@dataclasses.dataclass(frozen=True, kw_only=True)
class NetworkSection:
    file: str | None = spec(
        None, doc="GraphML road network (relative to the scenario); default: the generated network of the city"
    )
    dir: str | None = spec(
        None, doc="folder with one <city>.graphml per city (province scenarios); default: built in memory"
    )
    roads: str = spec(
        "osm",
        choices=("osm", "generated"),
        doc="without file/dir, the network built in memory: osm = OpenStreetMap major roads with access "
        "links (networks/README.md); generated = straight links between settlements",
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegionsSection:
    overrides: str | None = spec(None, doc="CSV code,lon,lat replacing settlement points (relative to the scenario)")
    point_sources: tuple[str, ...] = spec(
        ("seat", "surveyed", "generated", "user"),
        choices=("seat", "surveyed", "generated", "user"),
        doc="keep only stops whose point has one of these sources",
    )
    counties: tuple[str, ...] = spec(
        (), doc="route runs: keep only stops in these county adcodes (empty: the whole city)"
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class DemandSection:
    urban_parcels_per_capita_day: float | None = spec(None, min=0, max=100, doc="override the default urban rate")
    rural_parcels_per_capita_day: float | None = spec(None, min=0, max=100, doc="override the default rural rate")
    growth_factor_2010_2015: float | None = spec(
        None, gt=0, max=1000, doc="online retail growth 2010 -> 2015 (plan: 5)"
    )
    pickup_share_rural: float | None = spec(None, min=0, max=1, doc="farm-produce pickups as a share of rural demand")
    pickup_share_farm_counties: float | None = spec(
        None, min=0, max=1, doc="pickup share in Quzhou and Lishui counties"
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class RoutingSection:
    stops: str = spec("town", choices=("county", "town", "village"), doc="the settlements routed to from the hub")
    pickups: bool = spec(True, doc="collect farm-produce pickups on the same routes")
    time_limit_s: float = spec(20.0, gt=0, max=3600, doc="solver time limit")
    engine: str = spec("auto", choices=("auto", "ortools", "pyvrp"), doc="routing engine")
    deterministic: bool = spec(True, doc="same input and seed give the same plan")
    split_loads: bool = spec(True, doc="split a stop whose demand exceeds the largest vehicle into several loads")
    service_s: float = spec(600.0, min=0, max=DAY_S, doc="time spent at each stop")


@dataclasses.dataclass(frozen=True, kw_only=True)
class VehicleSection:
    name: str = spec(doc="vehicle type name")
    count: int = spec(min=1, max=MAX_COUNT, doc="number of vehicles of this type")
    capacity_parcels: float = spec(gt=0, max=MAX_CAPACITY, doc="parcels carried at once")
    leg: str = spec(
        "trunk", choices=("trunk", "shuttle", "lastmile"), doc="the leg this vehicle type runs (plan scenarios)"
    )
    fixed_cost_cny: float = spec(0.0, min=0, max=MAX_COST_CNY, doc="cost per vehicle used per day")
    cost_per_km_cny: float = spec(0.0, min=0, max=1e6, doc="operating cost per km")
    max_duration_s: float | None = spec(None, gt=0, max=WEEK_S, doc="shift length")
    max_distance_m: float | None = spec(None, gt=0, max=1e7, doc="range limit (electric vehicles)")
    co2_kg_per_km: float = spec(0.0, min=0, max=100, doc="emission factor")
    speed_factor: float = spec(1.0, min=0.01, max=100, doc="travel time multiplier against the network's car times")
    max_trips: int = spec(
        1, min=1, max=20, doc="trips per shift with reloading at the depot (needs engine 'auto' or 'pyvrp')"
    )

    def vehicle_type(self):
        """This fleet entry as a routing :class:`citylogistics.routing.problem.VehicleType`."""
        from citylogistics.routing.problem import VehicleType

        return VehicleType(
            name=self.name,
            count=self.count,
            capacity=self.capacity_parcels,
            fixed_cost_cny=self.fixed_cost_cny,
            cost_per_km_cny=self.cost_per_km_cny,
            max_duration_s=self.max_duration_s,
            max_distance_m=self.max_distance_m,
            co2_kg_per_km=self.co2_kg_per_km,
            speed_factor=self.speed_factor,
            max_trips=self.max_trips,
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlanSection:
    """The coverage-extension plan: horizon, budget, targets, coverage limit."""

    start_year: int = spec(2011, min=2000, max=2100, doc="first phase")
    end_year: int = spec(2015, min=2000, max=2100, doc="last phase")
    budget_cny: tuple[float, ...] = spec(
        (),
        min=0,
        max=MAX_BUDGET_CNY,
        doc="opening budget per year (one value per year, or one value for every year); empty: no budget limit",
    )
    coverage_target: tuple[float, ...] = spec(
        (),
        min=0,
        max=1,
        doc="share of villages' population to cover by each year (one per year or one for all); empty: maximise coverage within the budget",
    )
    coverage_limit_s: float = spec(
        1800.0, gt=0, max=WEEK_S, doc="a village is covered when an open station is within this travel time"
    )
    weight: str = spec("population", choices=("population", "villages"), doc="what coverage counts")
    county_hubs_exist: bool = spec(
        True, doc="county hubs (T1) at every county seat exist from the start (else they are candidates)"
    )
    route_legs: tuple[str, ...] = spec(
        ("trunk", "shuttle", "lastmile"), choices=("trunk", "shuttle", "lastmile"), doc="legs to route each year"
    )
    fleet_sizing: str = spec(
        "auto",
        choices=("auto", "fixed"),
        doc="auto: each depot gets at least enough vehicles of every type for its whole load "
        "(the vehicles' count is the minimum); fixed: exactly count per depot",
    )
    day_start_s: float = spec(14400.0, min=0, max=86400, doc="trunk departure from the city hub (04:00)")
    handling_s: float = spec(
        1800.0, min=0, max=DAY_S, doc="sorting time at each hub or station before the next leg leaves"
    )
    next_day_cutoff_s: float = spec(
        64800.0, gt=0, max=WEEK_S, doc="a village is next-day feasible if its parcel arrives by this time (18:00)"
    )
    siting_time_limit_s: float = spec(60.0, gt=0, max=3600, doc="time limit of each siting model")
    route_time_limit_s: float = spec(
        2.0,
        gt=0,
        max=600,
        doc="search work of each trunk and shuttle routing solve, in seconds on the dev machine (deterministic; the wall-clock cap is 10x, at least 5 s)",
    )
    lastmile_time_limit_s: float = spec(
        0.1,
        gt=0,
        max=600,
        doc="search work of each station's last-mile routing solve (small problems, many of them); same rule",
    )

    def __post_init__(self):
        if self.end_year < self.start_year:
            raise InputError(
                f"end_year {self.end_year} is before start_year {self.start_year}; swap them", where="plan.end_year"
            )
        n = self.end_year - self.start_year + 1
        for key in ("budget_cny", "coverage_target"):
            values = getattr(self, key)
            if len(values) not in (0, 1, n):
                raise InputError(
                    f"give one value, or one per year ({n} for {self.start_year}-{self.end_year}), not {len(values)}",
                    where=f"plan.{key}",
                )
        t = self.coverage_target
        if len(t) > 1 and any(b < a for a, b in zip(t, t[1:])):
            raise InputError("coverage targets must not decrease from year to year", where="plan.coverage_target")

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.start_year, self.end_year + 1))

    def per_year(self, key: str) -> tuple[float | None, ...]:
        values = getattr(self, key)
        n = len(self.years)
        if not values:
            return (None,) * n
        return tuple(values) * n if len(values) == 1 else tuple(values)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SitesSection:
    """Costs and capacities of candidate sites by tier."""

    t1_open_cost_cny: float = spec(2_000_000.0, min=0, max=MAX_COST_CNY, doc="one-off cost of opening a county hub")
    t1_fixed_cost_cny_per_year: float = spec(
        600_000.0, min=0, max=MAX_COST_CNY, doc="yearly cost of running a county hub"
    )
    t2_open_cost_cny: float = spec(300_000.0, min=0, max=MAX_COST_CNY, doc="one-off cost of opening a town station")
    t2_fixed_cost_cny_per_year: float = spec(
        80_000.0, min=0, max=MAX_COST_CNY, doc="yearly cost of running a town station"
    )
    t3_fixed_cost_cny_per_year: float = spec(
        3_000.0, min=0, max=MAX_COST_CNY, doc="yearly cost of a village service point (paid where served)"
    )
    t2_candidates: str = spec("towns", choices=("towns", "surveyed_towns"), doc="which towns may host a station")


@dataclasses.dataclass(frozen=True, kw_only=True)
class MapSection:
    tiles: str = spec(
        "OpenStreetMap",
        choices=("OpenStreetMap", "none", "gaode"),
        doc="background tiles: 'none' for offline use, 'gaode' for GCJ-02 Chinese tiles (converted at display)",
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReportSection:
    language: str = spec(
        "en",
        choices=("en", "zh"),
        doc="language of the maps, legends, popups and report: 'en' English, 'zh' Simplified Chinese",
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class OrdersSection:
    """The ``[orders]`` table of a scenario: route an order list instead of settlements.

    The fleet is the scenario's ``[[vehicles]]`` (``count`` per depot; each
    drives at ``speed_kmh / speed_factor``), the network its ``[network]
    file`` (none: straight lines × ``circuity``).
    """

    file: str = spec(
        doc="orders CSV (relative to the scenario): id, lon, lat [, demand, kind, tw_start, tw_end, service_s]"
    )
    columns: dict = dataclasses.field(
        default_factory=dict,
        hash=False,
        metadata={  # spec() + left out of the hash
            "min": None,
            "max": None,
            "gt": None,
            "choices": None,
            "doc": 'column mapping for a CSV from another system, e.g. [orders.columns] lon = "lng"',
        },
    )
    crs: str = spec("wgs84", choices=CRS_CHOICES, doc="datum of the points in the orders and depots files")
    depot: tuple[float, ...] | None = spec(None, doc="one depot [lon, lat]; or give depots")
    depots: str | None = spec(None, doc="depots CSV id, lon, lat (relative to the scenario); or give depot")
    shift: str | None = spec(None, doc="vehicles' shift HH:MM-HH:MM (end may be past 24:00); default: none")
    service_s: float = spec(0.0, min=0, max=WEEK_S, doc="service time of orders without a service_s value")
    speed_kmh: float | None = spec(
        15.0,
        gt=0,
        max=200,
        doc="vehicle speed (each [[vehicles]] speed_factor divides it); none with a network: the road speeds",
    )
    circuity: float = spec(1.3, min=1, max=5, doc="road distance / straight distance without a network")
    max_snap_m: float = spec(1000.0, gt=0, max=100_000, doc="an order farther than this from the network is refused")
    time_limit_s: float = spec(
        10.0, gt=0, max=3600, doc="search work in seconds on the dev machine (wall-clock cap 10x, at least 5 s)"
    )
    split: str = spec(
        "auto", choices=("auto", "always", "never"), doc="solve several depots one at a time (auto: above 1,500 orders)"
    )
    vehicles: int = spec(10, min=1, max=MAX_COUNT, doc="vehicles per depot when the scenario has no [[vehicles]]")
    capacity_parcels: float = spec(50.0, gt=0, max=MAX_CAPACITY, doc="their capacity")

    def __post_init__(self):
        if not isinstance(self.columns, Mapping):
            raise InputError(f"expected a table of column names, got {self.columns!r}", where="orders.columns")
        for key, value in self.columns.items():
            if key not in ORDER_COLUMNS:
                from citylogistics.config import did_you_mean

                raise InputError(
                    f"unknown column {key!r}{did_you_mean(str(key), ORDER_COLUMNS)}; map only "
                    f"{', '.join(ORDER_COLUMNS)}",
                    where=f"orders.columns.{key}",
                )
            if not isinstance(value, str) or not value:
                raise InputError(f"expected a column name, got {value!r}", where=f"orders.columns.{key}")
        if (self.depot is None) == (self.depots is None):
            raise InputError('give exactly one of depot = [lon, lat] and depots = "FILE.csv"', where="orders.depot")
        if self.depot is not None and len(self.depot) != 2:
            raise InputError(f"expected [lon, lat], got {list(self.depot)}", where="orders.depot")
        if self.shift is not None:
            parse_shift(self.shift, source="scenario", where="orders.shift")


@dataclasses.dataclass(frozen=True, kw_only=True)
class HubsSection:
    """City hubs (T0) chosen from candidate land parcels instead of fixed at the city seat."""

    candidates: str = spec(
        doc="CSV of candidate parcels (relative to the scenario): id, lon, lat, area_m2, land_cost_cny, "
        "capacity_parcels_per_day (or derived from area), annual_cost_cny, existing"
    )
    min_open: int = spec(1, min=1, max=MAX_COUNT, doc="at least this many hubs open in every year")
    max_open: int | None = spec(
        None, min=1, max=MAX_COUNT, doc="at most this many hubs open in any year (default: no limit)"
    )
    opening_years: tuple[int, ...] = spec(
        (), min=2000, max=2100, doc="years in which a new hub may open (default: every year of the plan)"
    )
    cost_per_parcel_km_cny: float = spec(
        0.007,
        min=0,
        max=100,
        doc="trunk transport cost per parcel-km used to choose hubs (routed Hangzhou trunk legs, with the truck's fixed cost and empty return: 0.0067-0.0079); plan.json checks it against the routed legs",
    )
    throughput_parcels_per_m2_day: float = spec(
        10.0, gt=0, max=1000, doc="daily capacity per m² of a parcel without capacity_parcels_per_day"
    )
    allow_reassignment: bool = spec(True, doc="a county hub may change its city hub when a new one opens")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Scenario:
    """A validated scenario.  Build it with :func:`load_scenario`."""

    title: str = spec(doc="shown on maps and reports")
    city: str = spec(doc="city name, Chinese name or adcode, e.g. 'Hangzhou' or '330100'")
    year: int = spec(2015, min=2000, max=2100, doc="planning year for demand")
    seed: int = spec(0, min=0, max=MAX_SEED, doc="seed for generated points and the solver")
    network: NetworkSection = spec(NetworkSection())
    regions: RegionsSection = spec(RegionsSection())
    demand: DemandSection = spec(DemandSection())
    routing: RoutingSection = spec(RoutingSection())
    vehicles: tuple[VehicleSection, ...] = spec(doc="the fleet: one [[vehicles]] table per type")
    plan: PlanSection | None = spec(None, doc="present: run the four-tier coverage-extension planner")
    sites: SitesSection = spec(SitesSection())
    map: MapSection = spec(MapSection())
    report: ReportSection = spec(ReportSection())
    hubs: HubsSection | None = spec(
        None, doc="present: choose the city hubs (T0) from candidate land parcels (plan scenarios)"
    )
    orders: OrdersSection | None = spec(
        None, doc="present: route this order list (same-city delivery and pickup) instead of settlements"
    )
    path: str = dataclasses.field(default="<scenario>", compare=False, metadata={"internal": True})

    def __post_init__(self):
        if not self.vehicles:
            raise InputError("the fleet is empty; add at least one [[vehicles]] table", where="vehicles")
        names = [v.name for v in self.vehicles]
        if len(set(names)) != len(names):
            raise InputError("vehicle names must be unique", where="vehicles.name")
        if self.orders is not None and self.plan is not None:
            raise InputError(
                "a scenario routes either an order list ([orders]) or a coverage plan ([plan]), not "
                "both; drop one of the two tables",
                where="orders",
            )
        if self.hubs is not None and self.plan is None:
            raise InputError(
                "[hubs] chooses the city hubs of a coverage plan; add a [plan] table or drop [hubs]", where="hubs"
            )
        if self.plan is not None and self.regions.counties:
            raise InputError(
                "only a route run picks its stops by county; a [plan] plans whole cities (villages a "
                "partial network does not reach are listed as unreachable): drop regions.counties",
                where="regions.counties",
            )
        if self.plan is not None:
            for leg in self.plan.route_legs:
                if not any(v.leg == leg for v in self.vehicles):
                    raise InputError(
                        f"no vehicle type runs the {leg!r} leg; add a [[vehicles]] table with leg = {leg!r} "
                        "or drop the leg from plan.route_legs",
                        where="vehicles",
                    )

    @overload
    def resolve(self, relative: str) -> Path: ...

    @overload
    def resolve(self, relative: None) -> None: ...

    @overload
    def resolve(self, relative: str | None) -> Path | None: ...

    def resolve(self, relative: str | None) -> Path | None:
        """A path from the scenario, made absolute against the scenario's folder."""
        if relative is None:
            return None
        p = Path(relative)
        return p if p.is_absolute() else (Path(self.path).parent / p)


def read_toml(path: Path) -> dict[str, Any]:
    """The raw table of a TOML file, refused (:class:`InputError`) when missing, a folder,
    too large, not UTF-8 or not valid TOML; the values are checked by :func:`load_scenario`."""
    if not path.exists():
        raise InputError("file not found; check the path", source=str(path))
    if path.is_dir():
        raise InputError("is a directory; give a scenario .toml file", source=str(path))
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"is {size / 1e6:.0f} MB; a scenario is a small text file (at most "
                f"{MAX_FILE_BYTES // 1_000_000} MB): check that this is the right file",
                source=str(path),
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror}); check its permissions", source=str(path)) from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark (Windows editors) is fine
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text; save the scenario as UTF-8 TOML", source=str(path)) from None
    if not text.strip():
        raise InputError("is empty; a scenario needs at least title, city and [[vehicles]]", source=str(path))
    if "\0" in text:
        raise InputError("is not a text file (it holds NUL bytes); save the scenario as UTF-8 TOML", source=str(path))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"is not valid TOML ({clip(str(exc), 120)}); fix the syntax", source=str(path)) from None
    except RecursionError:
        raise InputError(
            f"nests tables or lists too deeply (at most {MAX_DEPTH} levels); flatten it", source=str(path)
        ) from None
    where = _too_deep(data, MAX_DEPTH)
    if where is not None:
        raise InputError(
            f"nests tables or lists too deeply at {clip(where, 60)} (at most {MAX_DEPTH} levels); flatten it",
            source=str(path),
        )
    return data


def _too_deep(value: Any, depth: int, where: str = "") -> str | None:
    """The key path where ``value`` nests deeper than ``depth`` levels, or None."""
    if isinstance(value, (dict, list)):
        if depth == 0:
            return where or "the top"
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for k, v in items:
            found = _too_deep(
                v,
                depth - 1,
                f"{where}.{k}" if isinstance(k, str) and where else (k if isinstance(k, str) else f"{where}[{k}]"),
            )
            if found is not None:
                return found
    return None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise :class:`InputError` on any problem."""
    path = Path(path)
    data = read_toml(path)
    scenario = build(Scenario, data, source=str(path))
    scenario = dataclasses.replace(scenario, path=str(path))
    from citylogistics.regions import resolve_city

    try:
        province = scenario.plan is not None and scenario.city.strip().lower() in (
            "330000",
            "zhejiang",
            "浙江",
            "浙江省",
            "province",
        )
        if not province and scenario.orders is None:  # order lists may come from any city
            resolve_city(scenario.city)
    except InputError as exc:
        raise InputError(exc.message, source=str(path), where="city") from None
    d = scenario.resolve(scenario.network.dir)
    if d is not None and not d.is_dir():
        raise InputError(
            f"folder {d} not found; fix the path (it is relative to the scenario file)",
            source=str(path),
            where="network.dir",
        )
    checked = [("network.file", scenario.network.file), ("regions.overrides", scenario.regions.overrides)]
    if scenario.orders is not None:
        checked += [("orders.file", scenario.orders.file), ("orders.depots", scenario.orders.depots)]
    if scenario.hubs is not None:
        checked += [("hubs.candidates", scenario.hubs.candidates)]
    for key, rel in checked:
        p = scenario.resolve(rel)
        if p is not None and p.is_dir():
            raise InputError(
                f"{p} is a directory; give a file path (relative to the scenario file)", source=str(path), where=key
            )
        if p is not None and not p.is_file():
            raise InputError(
                f"file {p} not found; fix the path (it is relative to the scenario file)", source=str(path), where=key
            )
    return scenario


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_files(scenario: Scenario) -> dict[str, Path]:
    """Files the scenario reads besides itself: ``network.file``,
    ``regions.overrides`` and every ``*.graphml`` in ``network.dir``
    (the default networks are generated from the packaged data, not read)."""
    out: dict[str, Path] = {}
    files = [("network.file", scenario.network.file), ("regions.overrides", scenario.regions.overrides)]
    if scenario.orders is not None:
        files += [("orders.file", scenario.orders.file), ("orders.depots", scenario.orders.depots)]
    if scenario.hubs is not None:
        files += [("hubs.candidates", scenario.hubs.candidates)]
    for key, rel in files:
        p = scenario.resolve(rel)
        if p is not None:
            out[key] = p
    d = scenario.resolve(scenario.network.dir)
    if d is not None and d.is_dir():
        for p in sorted(d.glob("*.graphml")):
            out[f"network.dir/{p.name}"] = p
    return out


def inputs_sha256(scenario: Scenario, cache: dict[Path, str] | None = None) -> str:
    """SHA-256 over the names and contents of :func:`input_files` (a missing
    file hashes as missing, so creating it changes the digest). ``cache`` maps
    paths to file digests already computed (a sweep's points share their files)."""
    cache = {} if cache is None else cache
    h = hashlib.sha256()
    for key, p in sorted(input_files(scenario).items()):
        if p not in cache:
            cache[p] = file_sha256(p) if p.is_file() else "missing"
        h.update(key.encode("utf-8") + b"\0")
        h.update(cache[p].encode("ascii") + b"\n")
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


def manifest(
    scenario: Scenario, timings: Mapping[str, float], extra_inputs: Mapping[str, Path | None] | None = None
) -> dict:
    inputs = {"scenario": {"path": str(scenario.path), "sha256": file_sha256(scenario.path)}}
    for key, p in (extra_inputs or {}).items():
        if p is not None:
            inputs[key] = {"path": str(p), "sha256": file_sha256(p)}
    from citylogistics.fileio import MANIFEST_TOOL
    from citylogistics.outputs.i18n import sources_manifest

    return {
        "tool": MANIFEST_TOOL,
        "title": scenario.title,
        "seed": scenario.seed,
        "inputs": inputs,
        "sources": sources_manifest(),
        "versions": versions(),
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "created_unix": int(time.time()),
    }


def dump_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


if __name__ == "__main__":  # print the README's table of scenario keys: python -m citylogistics.scenario.files
    from citylogistics.config import key_table

    print("| key | type | range | default |\n|---|---|---|---|")
    print("\n".join(key_table(Scenario)))
