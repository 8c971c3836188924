"""Same-city orders: read an order list, build the routing problem, check a plan.

An **orders CSV** has one row per order (UTF-8, a BOM and CRLF line ends are
fine; the header names the columns, in any order):

============  ========  =====================================================
column        required  meaning
============  ========  =====================================================
``id``        yes       unique order id
``lon, lat``  yes       the order's point, WGS-84 degrees (``crs="gcj02"``:
                        GCJ-02 as read off Chinese web maps, converted with
                        :func:`citylogistics.geo.gcj02_to_wgs84`)
``demand``    no        parcels (default 1; 0 … 1,000,000)
``kind``      no        ``delivery`` (default: parcels leave the depot on the
                        vehicle) or ``pickup`` (collected and brought back)
``tw_start``  no        window start: ``HH:MM``, ``HH:MM:SS`` (hours 0–47:
                        ``24:00`` and later are the next day) or an ISO
                        datetime (``2022-06-07T13:00``); empty = open
``tw_end``    no        window end, same forms; empty = open
``service_s`` no        seconds spent at the order (default: the caller's
                        default service time; 0 … 7 days)
============  ========  =====================================================

A ``columns`` mapping reads a file from another system without editing it:
``{"id": "order_id", "lon": "lng"}`` takes the order id from the column
``order_id`` and the longitude from ``lng``.

**Times** are seconds from midnight of *the orders' day*: the earliest date
of any datetime in the file (clock times with no date count from that
midnight too; with no datetime at all the day is unnamed). A datetime on a
later date counts past 86,400 s. Service must *start* inside the window.

Every bad row raises :class:`~citylogistics.errors.InputError` naming the file,
the line (the header is line 1) and the field, e.g. ``orders.csv: line 7:
tw_end: the window ends (09:00) before it starts (10:00); swap or fix them``.

**Travel** (:class:`OrdersProblem`): with a road network each order snaps to
its nearest network node and a leg is *access + shortest path + access*
(access legs straight, from the point to its node); without one a leg is
the great-circle distance × ``circuity``. Each vehicle drives at its
``speed_kmh`` (an e-bike, a tricycle and a van in one fleet); on a network a
fleet without speeds uses the network's road speeds instead.

:func:`check_plan` re-derives every route's times, loads and distances from
the problem's matrices and the plan's stop order only, so a translation or
schedule bug in the engines cannot hide from it.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import functools
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from citylogistics.errors import InputError
from citylogistics.geo import gcj02_to_wgs84, haversine_m
from citylogistics.routing.problem import RoutingProblem, Stop, VehicleType

__all__ = [
    "ORDER_COLUMNS", "CRS_CHOICES", "Order", "OrderList", "Depot", "OrderVehicle", "OrdersProblem",
    "PlanCheck", "read_orders", "read_depots", "parse_depot", "parse_shift", "parse_clock", "format_clock",
    "check_plan",
]

#: Canonical column names of an orders CSV (keys of a column mapping).
ORDER_COLUMNS = ("id", "lon", "lat", "demand", "kind", "tw_start", "tw_end", "service_s")
DEPOT_COLUMNS = ("id", "lon", "lat")
CRS_CHOICES = ("wgs84", "gcj02")
KINDS = ("delivery", "pickup")

MAX_DEMAND = 1e6
MAX_SERVICE_S = 7 * 86400.0
#: Times further than this from the orders' day are refused (a wrong year, a typo).
MAX_TIME_S = 8 * 86400.0
_MAX_MSG = 300
_ECHO = 40
_CLOCK = re.compile(r"^(\d{1,2}):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?$")


# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------
def _echo(value: Any) -> str:
    """A value quoted for a message, cut with "…" when long."""
    text = " ".join(str(value).split())
    if len(text) > _ECHO:
        text = text[:_ECHO - 1] + "…"
    return f"'{text}'"


def _error(message: str, *, source: str | os.PathLike | None, where: str | None) -> InputError:
    if len(message) > _MAX_MSG:
        message = message[:_MAX_MSG - 1] + "…"
    return InputError(message, source=None if source is None else str(source), where=where)


# ---------------------------------------------------------------------------
# Times
# ---------------------------------------------------------------------------
def parse_clock(text: str) -> float:
    """``HH:MM`` or ``HH:MM:SS`` (hours 0–47) → seconds from midnight.

    Raises ``ValueError`` for anything else.
    """
    m = _CLOCK.match(text.strip())
    if not m:
        raise ValueError(text)
    h, mi, s = int(m.group(1)), int(m.group(2)), float(m.group(3) or 0.0)
    if h > 47:
        raise ValueError(text)
    return h * 3600.0 + mi * 60.0 + s


def format_clock(seconds: float | None) -> str:
    """Seconds from midnight → ``HH:MM:SS`` (hours past 23 for later days); ``""`` for None."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    total = int(round(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def parse_shift(text: str, *, source: str = "--shift", where: str | None = None) -> tuple[float, float]:
    """``"HH:MM-HH:MM"`` → (start_s, end_s); the end may be 24:00 or later (past midnight)."""
    parts = str(text).split("-")
    try:
        if len(parts) != 2:
            raise ValueError(text)
        start, end = parse_clock(parts[0]), parse_clock(parts[1])
    except ValueError:
        raise _error(f"{_echo(text)} is not a shift; write it as HH:MM-HH:MM, e.g. 08:00-18:00",
                     source=source, where=where) from None
    if end <= start:
        raise _error(f"the shift {_echo(text)} ends before it starts; write a later end (e.g. 26:00 for 02:00 "
                     "the next day)", source=source, where=where)
    return start, end


def _parse_time(text: str):
    """A clock time (float seconds) or a datetime; ``ValueError`` if neither."""
    t = text.strip()
    try:
        return parse_clock(t)
    except ValueError:
        pass
    if not re.match(r"^\d{4}-\d{2}-\d{2}", t):
        raise ValueError(text)
    return _dt.datetime.fromisoformat(t)


# ---------------------------------------------------------------------------
# Orders and depots
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Order:
    """One order: a point to visit once, in WGS-84.

    ``tw_start_s``/``tw_end_s`` are seconds from midnight of the orders' day
    (``None`` = open); ``line`` is the CSV line it came from (0 when built in code).
    """

    id: str
    lon: float
    lat: float
    demand_parcels: float = 1.0
    kind: str = "delivery"
    tw_start_s: float | None = None
    tw_end_s: float | None = None
    service_s: float = 0.0
    line: int = 0

    @property
    def window(self) -> str:
        """The window as ``HH:MM-HH:MM`` (``""`` when open at both ends)."""
        if self.tw_start_s is None and self.tw_end_s is None:
            return ""
        a = format_clock(self.tw_start_s)[:5] if self.tw_start_s is not None else ""
        b = format_clock(self.tw_end_s)[:5] if self.tw_end_s is not None else ""
        return f"{a}-{b}"


@dataclass(frozen=True)
class OrderList:
    """The orders of one file: ``day`` is the orders' day (None when no row gave a date)."""

    orders: tuple[Order, ...]
    source: str = "<orders>"
    day: _dt.date | None = None
    crs: str = "wgs84"

    def __len__(self) -> int:
        return len(self.orders)

    def __iter__(self):
        return iter(self.orders)

    def by_id(self) -> dict[str, Order]:
        return {o.id: o for o in self.orders}

    def subset(self, ids: Sequence[str]) -> "OrderList":
        keep = set(ids)
        return OrderList(tuple(o for o in self.orders if o.id in keep), source=self.source, day=self.day,
                         crs=self.crs)


@dataclass(frozen=True)
class Depot:
    """A depot (where vehicles start and end), WGS-84; ``line`` of its CSV row (0: given on the command line)."""

    id: str
    lon: float
    lat: float
    source: str = "--depot"
    line: int = 0


def _check_columns(columns: Mapping[str, str] | None, allowed: Sequence[str], *, source: str) -> dict[str, str]:
    out = {c: c for c in allowed}
    for key, value in (columns or {}).items():
        if key not in allowed:
            from citylogistics.config import did_you_mean

            raise _error(f"the column mapping names {_echo(key)}{did_you_mean(str(key), allowed)}; map only "
                         f"{', '.join(allowed)}", source=source, where="columns")
        if not isinstance(value, str) or not value.strip():
            raise _error(f"the column mapping for {key} must be a column name, got {_echo(value)}",
                         source=source, where=f"columns.{key}")
        out[key] = value.strip()
    return out


def _read_rows(path: str | os.PathLike, what: str):
    """(header, [(line, row)]) of a CSV; BOM, CRLF and blank lines are fine."""
    p = Path(path)
    if not p.is_file():
        raise _error(f"{what} file not found or not a file; check the path", source=p, where=None)
    try:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = None
            rows = []
            for row in reader:
                if not row or all(not c.strip() for c in row):
                    continue
                if header is None:
                    header = [c.strip() for c in row]
                    continue
                rows.append((reader.line_num, row))
    except UnicodeDecodeError as exc:
        raise _error(f"is not UTF-8 text (byte {exc.start}); save the {what} as UTF-8 CSV", source=p,
                     where=None) from None
    except csv.Error as exc:
        raise _error(f"is not a readable CSV ({exc}); save it as comma-separated values", source=p,
                     where=None) from None
    except OSError as exc:
        raise _error(f"cannot read the file ({exc.strerror}); check its permissions", source=p, where=None) from None
    if header is None:
        raise _error(f"is empty; give a header line and one row per {what[:-1] if what.endswith('s') else what}",
                     source=p, where=None)
    return header, rows


def _column_index(header: list[str], mapping: dict[str, str], required: Sequence[str], *, source: str):
    index: dict[str, int] = {}
    for key, name in mapping.items():
        if name in header:
            index[key] = header.index(name)
        elif key in required:
            hint = f" (mapped from {key})" if name != key else ""
            raise _error(f"has no column {_echo(name)}{hint}; columns are {', '.join(header)[:120]}; rename the "
                         f"column or map it (e.g. columns {{\"{key}\": \"...\"}})", source=source, where="header")
    return index


def _cell(row: list[str], index: dict[str, int], key: str) -> str:
    i = index.get(key)
    if i is None or i >= len(row):
        return ""
    return row[i].strip()


def _number(text: str, *, source, where: str, what: str, lo: float, hi: float) -> float:
    try:
        x = float(text)
    except ValueError:
        raise _error(f"{_echo(text)} is not a number; give {what}", source=source, where=where) from None
    if not math.isfinite(x):
        raise _error(f"{_echo(text)} is not a finite number; give {what}", source=source, where=where)
    if not lo <= x <= hi:
        raise _error(f"{_echo(text)} is out of range; give {what} between {lo:g} and {hi:g}", source=source,
                     where=where)
    return x


def _point(row, index, *, source, line: int, crs: str) -> tuple[float, float]:
    lon_t, lat_t = _cell(row, index, "lon"), _cell(row, index, "lat")
    if not lon_t or not lat_t:
        missing = "lon" if not lon_t else "lat"
        raise _error("the point is missing; give lon and lat in degrees", source=source,
                     where=f"line {line}: {missing}")
    lon = _number(lon_t, source=source, where=f"line {line}: lon", what="a longitude in degrees", lo=-180, hi=180)
    lat = _number(lat_t, source=source, where=f"line {line}: lat", what="a latitude in degrees", lo=-90, hi=90)
    if crs == "gcj02":
        lon, lat = gcj02_to_wgs84(lon, lat)
    return float(lon), float(lat)


def _check_crs(crs: str, source) -> None:
    if crs not in CRS_CHOICES:
        raise _error(f"unknown crs {_echo(crs)}; use wgs84 or gcj02", source=source, where="crs")


def read_orders(path: str | os.PathLike, *, columns: Mapping[str, str] | None = None, crs: str = "wgs84",
                default_service_s: float = 0.0) -> OrderList:
    """Read an orders CSV (format in the module docs).

    Parameters
    ----------
    path
        The CSV file.
    columns
        Canonical name → the file's column name, for the columns named differently.
    crs
        ``"wgs84"`` or ``"gcj02"`` (converted to WGS-84).
    default_service_s
        Service time of rows without a ``service_s`` value.

    Returns
    -------
    OrderList
        In file order; times in seconds from midnight of ``day``.

    Raises
    ------
    InputError
        Naming the file, ``line N: field`` and the fix, for the first bad row.
    """
    src = str(path)
    _check_crs(crs, src)
    mapping = _check_columns(columns, ORDER_COLUMNS, source=src)
    header, rows = _read_rows(path, "orders")
    index = _column_index(header, mapping, ("id", "lon", "lat"), source=src)
    raw = []
    seen: dict[str, int] = {}
    for line, row in rows:
        oid = _cell(row, index, "id")
        if not oid:
            raise _error("the order id is missing; give every row an id", source=src, where=f"line {line}: id")
        if len(oid) > 200:
            raise _error(f"the order id {_echo(oid)} is longer than 200 characters", source=src,
                         where=f"line {line}: id")
        if oid in seen:
            raise _error(f"order id {_echo(oid)} repeats line {seen[oid]}; give each order its own id",
                         source=src, where=f"line {line}: id")
        seen[oid] = line
        lon, lat = _point(row, index, source=src, line=line, crs=crs)
        d_t = _cell(row, index, "demand")
        demand = 1.0 if not d_t else _number(d_t, source=src, where=f"line {line}: demand",
                                             what="a number of parcels", lo=0, hi=MAX_DEMAND)
        kind = _cell(row, index, "kind").lower() or "delivery"
        if kind not in KINDS:
            raise _error(f"{_echo(kind)} is not an order kind; write delivery or pickup", source=src,
                         where=f"line {line}: kind")
        s_t = _cell(row, index, "service_s")
        service = default_service_s if not s_t else _number(
            s_t, source=src, where=f"line {line}: service_s", what="seconds of service", lo=0, hi=MAX_SERVICE_S)
        times = []
        for key in ("tw_start", "tw_end"):
            t = _cell(row, index, key)
            if not t:
                times.append(None)
                continue
            try:
                times.append(_parse_time(t))
            except ValueError:
                raise _error(f"{_echo(t)} is not a time; write HH:MM, HH:MM:SS or an ISO datetime such as "
                             "2022-06-07T13:00", source=src, where=f"line {line}: {key}") from None
        raw.append((line, oid, lon, lat, demand, kind, service, times))
    if not raw:
        raise _error("has no orders; give one row per order under the header", source=src, where=None)
    # The orders' day: the earliest date of any datetime. Offsets must not be mixed with naive times.
    stamps = [(line, k, t) for line, *_, times in raw for k, t in zip(("tw_start", "tw_end"), times)
              if isinstance(t, _dt.datetime)]
    day = None
    tz = None
    if stamps:
        aware = [s for s in stamps if s[2].tzinfo is not None]
        if aware and len(aware) != len(stamps):
            line, key, _ = next(s for s in stamps if s[2].tzinfo is None)
            raise _error("this datetime has no UTC offset but others in the file do; give every datetime an "
                         "offset or none", source=src, where=f"line {line}: {key}")
        tz = aware[0][2].tzinfo if aware else None
        day = min((t.astimezone(tz) if tz else t).date() for _, _, t in stamps)
    midnight = None if day is None else _dt.datetime.combine(day, _dt.time(), tzinfo=tz)
    orders = []
    for line, oid, lon, lat, demand, kind, service, times in raw:
        secs = []
        for key, t in zip(("tw_start", "tw_end"), times):
            if isinstance(t, _dt.datetime):
                t = ((t.astimezone(tz) if tz else t) - midnight).total_seconds()
                if t > MAX_TIME_S:
                    raise _error(f"is {t / 86400:.0f} days after the orders' day {day}; give times within a week",
                                 source=src, where=f"line {line}: {key}")
            secs.append(t)
        a, b = secs
        if a is not None and b is not None and b < a:
            raise _error(f"the window ends ({format_clock(b)}) before it starts ({format_clock(a)}); swap or fix "
                         "them", source=src, where=f"line {line}: tw_end")
        orders.append(Order(oid, lon, lat, demand, kind, a, b, float(service), line))
    return OrderList(tuple(orders), source=src, day=day, crs=crs)


def read_depots(path: str | os.PathLike, *, columns: Mapping[str, str] | None = None,
                crs: str = "wgs84") -> tuple[Depot, ...]:
    """Read a depots CSV (``id, lon, lat``; same rules as :func:`read_orders`)."""
    src = str(path)
    _check_crs(crs, src)
    mapping = _check_columns(columns, DEPOT_COLUMNS, source=src)
    header, rows = _read_rows(path, "depots")
    index = _column_index(header, mapping, DEPOT_COLUMNS, source=src)
    out: list[Depot] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        did = _cell(row, index, "id")
        if not did:
            raise _error("the depot id is missing; give every row an id", source=src, where=f"line {line}: id")
        if did in seen:
            raise _error(f"depot id {_echo(did)} repeats line {seen[did]}; give each depot its own id",
                         source=src, where=f"line {line}: id")
        seen[did] = line
        lon, lat = _point(row, index, source=src, line=line, crs=crs)
        out.append(Depot(did, lon, lat, source=src, line=line))
    if not out:
        raise _error("has no depots; give one row per depot under the header", source=src, where=None)
    return tuple(out)


def parse_depot(text: str, *, crs: str = "wgs84", id: str = "depot", source: str = "--depot") -> Depot:
    """``"LON,LAT"`` → a :class:`Depot`."""
    _check_crs(crs, source)
    parts = str(text).split(",")
    try:
        if len(parts) != 2:
            raise ValueError(text)
        lon, lat = float(parts[0]), float(parts[1])
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(text)
    except ValueError:
        raise _error(f"{_echo(text)} is not a point; write LON,LAT in degrees, e.g. 120.16,30.27",
                     source=source, where=None) from None
    if crs == "gcj02":
        lon, lat = gcj02_to_wgs84(lon, lat)
    return Depot(id, float(lon), float(lat), source=source)


# ---------------------------------------------------------------------------
# The problem
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderVehicle:
    """A vehicle type of an orders fleet; ``count`` vehicles at *each* depot.

    ``speed_kmh`` is its travel speed (``None``: the road network's speeds,
    only with a network). Without cost rates the plan minimises distance.
    """

    name: str = "vehicle"
    count: int = 10
    capacity_parcels: float = 50.0
    speed_kmh: float | None = 15.0
    fixed_cost_cny: float = 0.0
    cost_per_km_cny: float = 0.0
    cost_per_hour_cny: float = 0.0
    max_duration_s: float | None = None
    max_distance_m: float | None = None
    co2_kg_per_km: float = 0.0

    def __post_init__(self):
        if self.speed_kmh is not None and not (isinstance(self.speed_kmh, (int, float))
                                               and math.isfinite(self.speed_kmh) and 0 < self.speed_kmh <= 200):
            raise _error(f"must be a speed in km/h between 0 and 200, got {_echo(self.speed_kmh)}",
                         source=f"vehicle {self.name!r}", where="speed_kmh")


@dataclass(frozen=True, eq=False)
class OrdersProblem:
    """Orders, depots and a fleet, and the travel model; :attr:`routing_problem` is the
    :class:`~citylogistics.routing.problem.RoutingProblem` the engines solve.

    Formulation: that of :class:`RoutingProblem` (default objective: total
    distance, plus fixed and per-km/per-hour vehicle costs when given), with

    - nodes: each depot, then each distinct order point (orders at the same
      point share a node);
    - ``d_ij`` (m): network: ``a_i + L(n_i, n_j) + a_j`` (``a`` the straight
      access distance to the snapped node ``n``, ``L`` the shortest road
      path); no network: great-circle × ``circuity``; ``d_ii = 0``;
    - ``t_ij`` (s): ``d_ij / v_max`` with ``speed_factor = v_max / v_k`` per
      vehicle type ``k`` (so each vehicle drives at its speed), or the
      network's travel times (plus access at ``access_speed_kmh``) for a
      fleet without speeds;
    - one vehicle type per (vehicle, depot), named ``name@depot`` when there
      are several depots; shift ``shift`` for all;
    - per order: delivery or pickup of ``demand_parcels``, its service time
      and window (open ends stay open).

    Parameters
    ----------
    orders, depots, vehicles
        What to route and with what.
    network
        A road network (``networkx`` graph with node ``x``/``y`` and edge
        ``length_m``/``travel_time_s``) or ``None`` for straight lines.
    circuity
        Road distance ÷ straight distance without a network (≥ 1).
    shift
        (start_s, end_s) of every vehicle, from midnight of the orders' day.
    max_snap_m
        With a network: an order or depot farther than this from every
        network node is refused (the network does not cover it).
    access_speed_kmh
        Speed on access legs when the fleet uses the network's speeds.
    """

    orders: OrderList
    depots: tuple[Depot, ...]
    vehicles: tuple[OrderVehicle, ...] = (OrderVehicle(),)
    network: Any = field(default=None, repr=False)
    circuity: float = 1.3
    shift: tuple[float, float] | None = None
    max_snap_m: float = 1000.0
    access_speed_kmh: float = 15.0

    def __post_init__(self):
        src = "OrdersProblem"
        object.__setattr__(self, "depots", tuple(self.depots))
        object.__setattr__(self, "vehicles", tuple(self.vehicles))
        if not self.depots:
            raise _error("no depot given; give --depot LON,LAT or a depots file", source=src, where="depots")
        if not self.vehicles:
            raise _error("no vehicle given", source=src, where="vehicles")
        if not self.orders.orders:
            raise _error("no orders", source=self.orders.source, where=None)
        names = [v.name for v in self.vehicles]
        if len(set(names)) != len(names):
            raise _error("vehicle names repeat; give each vehicle type its own name", source=src, where="vehicles")
        ids = [d.id for d in self.depots]
        if len(set(ids)) != len(ids):
            raise _error("depot ids repeat", source=src, where="depots")
        order_ids = {o.id for o in self.orders}
        for d in self.depots:
            if d.id in order_ids:
                raise _error(f"depot id {_echo(d.id)} is also an order id; rename the depot", source=d.source,
                             where=f"line {d.line}: id" if d.line else None)
        if not (math.isfinite(self.circuity) and 1.0 <= self.circuity <= 5.0):
            raise _error(f"circuity must be between 1 and 5, got {self.circuity!r}", source=src, where="circuity")
        speeds = [v.speed_kmh for v in self.vehicles]
        if self.network is None and any(s is None for s in speeds):
            raise _error("without a road network every vehicle needs a speed_kmh", source=src, where="vehicles")
        if self.network is not None and len({s is None for s in speeds}) > 1:
            raise _error("give every vehicle a speed_kmh, or none (then the network's road speeds are used)",
                         source=src, where="vehicles")

    # ---- locations ----------------------------------------------------
    @functools.cached_property
    def _layout(self):
        """Node ids, (lon, lat) per node, the node of each order."""
        points: list[tuple[float, float]] = [(d.lon, d.lat) for d in self.depots]
        node_ids = [d.id for d in self.depots]
        at: dict[tuple[float, float], int] = {}
        node_of: dict[str, int] = {}
        taken = set(node_ids)
        for o in self.orders:
            key = (o.lon, o.lat)
            if key not in at:
                at[key] = len(points)
                points.append(key)
                name = f"@{len(at)}"
                while name in taken:
                    name = "@" + name
                taken.add(name)
                node_ids.append(name)
            node_of[o.id] = at[key]
        return tuple(node_ids), np.array(points, dtype=float).reshape(-1, 2), node_of

    @property
    def node_ids(self) -> tuple[str, ...]:
        return self._layout[0]

    @property
    def node_points(self) -> np.ndarray:
        """``(n, 2)`` lon, lat of every matrix node (depots first)."""
        return self._layout[1]

    @property
    def order_node(self) -> dict[str, int]:
        return self._layout[2]

    @property
    def uses_network_speeds(self) -> bool:
        return self.network is not None and self.vehicles[0].speed_kmh is None

    @functools.cached_property
    def snapped(self) -> tuple[np.ndarray, np.ndarray] | None:
        """With a network: (graph node, access distance m) of every matrix node; refuses far points."""
        if self.network is None:
            return None
        from citylogistics.network.graph import nearest_nodes

        pts = self.node_points
        nodes, dist = nearest_nodes(self.network, pts[:, 0], pts[:, 1], return_dist=True)
        far = np.flatnonzero(dist > self.max_snap_m)
        if len(far):
            k = int(far[0])
            nd = len(self.depots)
            gname = str(self.network.graph.get("name", "the network"))
            if k < nd:
                d = self.depots[k]
                raise _error(f"depot {_echo(d.id)} is {dist[k]:.0f} m from the nearest node of {gname} (limit "
                             f"{self.max_snap_m:g} m); use a network covering it or move the depot",
                             source=d.source, where=f"line {d.line}: lon/lat" if d.line else None)
            o = next(o for o in self.orders if self.order_node[o.id] == k)
            raise _error(f"order {_echo(o.id)} is {dist[k]:.0f} m from the nearest node of {gname} (limit "
                         f"{self.max_snap_m:g} m): outside the network; fix the point or use a network covering it",
                         source=self.orders.source, where=f"line {o.line}: lon/lat")
        return nodes, np.asarray(dist, dtype=float)

    @functools.cached_property
    def matrices(self) -> tuple[np.ndarray, np.ndarray]:
        """(distance_m, duration_s) over :attr:`node_ids` (see the class formulation)."""
        pts = self.node_points
        if self.network is None:
            lon, lat = pts[:, 0], pts[:, 1]
            dist = haversine_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :]) * self.circuity
            np.fill_diagonal(dist, 0.0)
            return dist, dist / self._v_ref
        from citylogistics.network.matrix import od_matrices

        nodes, access = self.snapped
        uniq = list(dict.fromkeys(nodes.tolist()))
        pos = {n: i for i, n in enumerate(uniq)}
        idx = np.array([pos[n] for n in nodes.tolist()], dtype=np.int64)
        weight = "travel_time_s" if self.uses_network_speeds else "length_m"
        time_m, len_m = od_matrices(self.network, uniq, weight=weight)
        road_d = len_m.values[np.ix_(idx, idx)]
        dist = access[:, None] + road_d + access[None, :]
        np.fill_diagonal(dist, 0.0)
        if self.uses_network_speeds:
            v_acc = self.access_speed_kmh / 3.6
            dur = access[:, None] / v_acc + time_m.values[np.ix_(idx, idx)] + access[None, :] / v_acc
            np.fill_diagonal(dur, 0.0)
        else:
            dur = dist / self._v_ref
        return dist, dur

    @property
    def _v_ref(self) -> float:
        """The fastest vehicle's speed (m/s): the duration matrix is at this speed."""
        return max(v.speed_kmh for v in self.vehicles) / 3.6

    def speed_factor(self, vehicle: OrderVehicle) -> float:
        if self.uses_network_speeds:
            return 1.0
        return self._v_ref * 3.6 / vehicle.speed_kmh

    def type_name(self, vehicle: OrderVehicle, depot: Depot) -> str:
        return vehicle.name if len(self.depots) == 1 else f"{vehicle.name}@{depot.id}"

    @functools.cached_property
    def routing_problem(self) -> RoutingProblem:
        """The :class:`RoutingProblem` (built once)."""
        dist, dur = self.matrices
        stops = []
        for o in self.orders:
            dl = o.demand_parcels if o.kind == "delivery" else 0.0
            pk = o.demand_parcels if o.kind == "pickup" else 0.0
            stops.append(Stop(id=o.id, node=self.order_node[o.id], delivery=dl, pickup=pk, service_s=o.service_s,
                              tw_start_s=o.tw_start_s or 0.0, tw_end_s=o.tw_end_s))
        start, end = self.shift if self.shift is not None else (0.0, None)
        types = []
        for d_idx, d in enumerate(self.depots):
            for v in self.vehicles:
                types.append(VehicleType(
                    name=self.type_name(v, d), count=int(v.count), capacity=float(v.capacity_parcels),
                    fixed_cost_cny=v.fixed_cost_cny, cost_per_km_cny=v.cost_per_km_cny,
                    cost_per_hour_cny=v.cost_per_hour_cny, max_duration_s=v.max_duration_s,
                    max_distance_m=v.max_distance_m, shift_start_s=start, shift_end_s=end, depot=d_idx,
                    co2_kg_per_km=v.co2_kg_per_km, speed_factor=self.speed_factor(v)))
        return RoutingProblem.from_matrices(self.node_ids, dist, dur, depots=tuple(range(len(self.depots))),
                                            stops=stops, vehicle_types=types)

    # ---- decomposition ------------------------------------------------
    def nearest_depot(self) -> dict[str, int]:
        """Each order's nearest depot (index) by travel time from the depot, ties to the first depot.

        Computed without the full matrix (depots × points only).
        """
        pts = self.node_points
        nd = len(self.depots)
        if self.network is None:
            t = haversine_m(pts[:nd, 0][:, None], pts[:nd, 1][:, None], pts[None, nd:, 0], pts[None, nd:, 1])
        else:
            from citylogistics.network.matrix import travel_matrix

            nodes, access = self.snapped
            uniq = list(dict.fromkeys(nodes.tolist()))
            pos = {n: i for i, n in enumerate(uniq)}
            idx = np.array([pos[n] for n in nodes.tolist()], dtype=np.int64)
            weight = "travel_time_s" if self.uses_network_speeds else "length_m"
            tm = travel_matrix(self.network, [uniq[i] for i in idx[:nd]], uniq, weight=weight).values
            t = tm[:, idx[nd:]] + access[None, nd:]
        best = np.argmin(t, axis=0)
        return {o.id: int(best[self.order_node[o.id] - nd]) for o in self.orders}

    def split_by_depot(self) -> list["OrdersProblem"]:
        """One single-depot problem per depot with the orders nearest to it (empty depots left out)."""
        near = self.nearest_depot()
        out = []
        for k, d in enumerate(self.depots):
            ids = [o.id for o in self.orders if near[o.id] == k]
            if not ids:
                continue
            vehicles = tuple(dataclasses.replace(v, name=self.type_name(v, d)) for v in self.vehicles)
            out.append(OrdersProblem(self.orders.subset(ids), (d,), vehicles, network=self.network,
                                     circuity=self.circuity, shift=self.shift, max_snap_m=self.max_snap_m,
                                     access_speed_kmh=self.access_speed_kmh))
        return out

    # ---- geometry for maps ----------------------------------------------
    def road_paths(self, plan) -> dict[tuple[str, str], list[tuple[float, float]]]:
        """With a network: (from id, to id) → [(lon, lat), ...] along the roads for every leg of ``plan``."""
        if self.network is None:
            return {}
        from scipy.sparse.csgraph import dijkstra

        from citylogistics.network.matrix import graph_to_csr

        G = self.network
        nodes, _ = self.snapped
        weight = "travel_time_s" if self.uses_network_speeds else "length_m"
        csr, order, index = graph_to_csr(G, weight)
        pts = self.node_points
        node_of = {d.id: k for k, d in enumerate(self.depots)}
        node_of.update(self.order_node)
        legs = []
        for r in plan.routes:
            ids = [s.id for s in r.steps]
            legs.extend((a, b) for a, b in zip(ids, ids[1:]) if a != b)
        sources = sorted({index[nodes[node_of[a]]] for a, _ in legs})
        if not sources:
            return {}
        _, pred = dijkstra(csr, directed=True, indices=sources, return_predecessors=True)
        row = {s: i for i, s in enumerate(sources)}
        out = {}
        for a, b in legs:
            ka, kb = node_of[a], node_of[b]
            s, t = index[nodes[ka]], index[nodes[kb]]
            path = [t]
            p = pred[row[s]]
            while path[-1] != s and p[path[-1]] >= 0:
                path.append(int(p[path[-1]]))
            if path[-1] != s:
                continue
            coords = [(float(pts[ka, 0]), float(pts[ka, 1]))]
            coords += [(float(G.nodes[order[i]]["x"]), float(G.nodes[order[i]]["y"])) for i in reversed(path)]
            coords.append((float(pts[kb, 0]), float(pts[kb, 1])))
            out[(a, b)] = coords
        return out


# ---------------------------------------------------------------------------
# The independent check
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanCheck:
    """What :func:`check_plan` found: ``violations`` (empty when the plan is sound),
    ``on_time`` (orders served inside their window), ``orders``, and ``served``."""

    violations: tuple[str, ...]
    orders: int
    served: int
    on_time: int

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def on_time_share(self) -> float:
        return self.on_time / self.orders if self.orders else 0.0

    def to_dict(self) -> dict:
        return {"ok": self.ok, "orders": self.orders, "served": self.served, "on_time": self.on_time,
                "on_time_share": round(self.on_time_share, 6), "violations": list(self.violations[:20])}


def check_plan(problem: RoutingProblem, plan, *, tol_s: float = 0.5, tol_m: float = 0.5) -> PlanCheck:
    """Check ``plan`` against ``problem`` from the stop order alone.

    For every route the arrival times are recomputed from the problem's
    duration matrix (× the vehicle type's speed factor), service times and
    window starts, from the route's departure; loads from the stops'
    deliveries and pickups; distances from the distance matrix. Checked:
    service starts inside each window, load within ``[0, capacity]``, the
    route inside its shift and duration limit, the plan's reported arrivals,
    departures and distances agree with the recomputation, the route's depot
    is its vehicle type's, and every stop is served exactly once or listed
    unassigned with a reason (never both).
    """
    from citylogistics.routing.plan import REASONS

    v: list[str] = []
    types = {vt.name: vt for vt in problem.vehicle_types}
    stops = {s.id: s for s in problem.stops}
    node_index = {n: i for i, n in enumerate(problem.node_ids)}
    dist, dur = problem.distance_m, problem.duration_s
    seen: dict[str, str] = {}
    on_time = 0
    used: dict[str, int] = {}
    for r in plan.routes:
        vt = types.get(r.vehicle_type)
        if vt is None:
            v.append(f"{r.vehicle}: unknown vehicle type {r.vehicle_type!r}")
            continue
        used[vt.name] = used.get(vt.name, 0) + 1
        depot = problem.depot_node(vt)
        if node_index.get(r.depot) != depot:
            v.append(f"{r.vehicle}: depot {r.depot} is not its type's depot")
        steps = list(r.steps)
        if not steps or steps[0].type != "start" or steps[-1].type != "end":
            v.append(f"{r.vehicle}: does not start and end at the depot")
            continue
        t = steps[0].departure_s
        if t < vt.shift_start_s - tol_s:
            v.append(f"{r.vehicle}: leaves at {t:.0f} s before the shift start {vt.shift_start_s:.0f} s")
        visits = [s for s in steps[1:-1] if s.type in ("delivery", "pickup")]
        load = sum(stops[s.id].delivery for s in visits if s.id in stops)
        if load > vt.capacity + 1e-6:
            v.append(f"{r.vehicle}: leaves with {load:g} parcels > capacity {vt.capacity:g}")
        prev = depot
        d = 0.0
        for s in steps[1:]:
            if s.type in ("delivery", "pickup"):
                stop = stops.get(s.id)
                if stop is None:
                    v.append(f"{r.vehicle}: visits unknown stop {s.id!r}")
                    continue
                if s.id in seen:
                    v.append(f"{s.id}: served twice ({seen[s.id]} and {r.vehicle})")
                seen[s.id] = r.vehicle
                node = stop.node
            elif s.type == "end":
                node = depot
            else:
                v.append(f"{r.vehicle}: unexpected step {s.type}")
                continue
            arrival = t + dur[prev, node] * vt.speed_factor
            d += dist[prev, node]
            if abs(arrival - s.arrival_s) > tol_s:
                v.append(f"{r.vehicle}: arrival at {s.id} is {s.arrival_s:.1f} s in the plan, {arrival:.1f} s "
                         "from the matrix")
            if abs(d - s.distance_m) > tol_m:
                v.append(f"{r.vehicle}: distance at {s.id} is {s.distance_m:.1f} m in the plan, {d:.1f} m from "
                         "the matrix")
            if s.type == "end":
                t = arrival
                break
            start = max(arrival, stop.tw_start_s)
            inside = stop.tw_end_s is None or start <= stop.tw_end_s + 1e-6
            if inside:
                on_time += 1
            else:
                v.append(f"{s.id}: service starts at {format_clock(start)} after its window ends "
                         f"{format_clock(stop.tw_end_s)}")
            t = start + stop.service_s
            if abs(t - s.departure_s) > tol_s:
                v.append(f"{r.vehicle}: departure from {s.id} is {s.departure_s:.1f} s in the plan, {t:.1f} s "
                         "recomputed")
            load += stop.pickup - stop.delivery
            if load > vt.capacity + 1e-6 or load < -1e-6:
                v.append(f"{r.vehicle}: load {load:g} outside [0, {vt.capacity:g}] after {s.id}")
            if abs(load - s.load) > 1e-3:
                v.append(f"{r.vehicle}: load after {s.id} is {s.load:g} in the plan, {load:g} recomputed")
            prev = node
        if vt.shift_end_s is not None and t > vt.shift_end_s + tol_s:
            v.append(f"{r.vehicle}: back at {format_clock(t)} after the shift end {format_clock(vt.shift_end_s)}")
        if vt.max_duration_s is not None and t - steps[0].departure_s > vt.max_duration_s + tol_s:
            v.append(f"{r.vehicle}: route lasts {t - steps[0].departure_s:.0f} s > {vt.max_duration_s:.0f} s")
        if abs(d - r.distance_m) > tol_m:
            v.append(f"{r.vehicle}: distance {r.distance_m:.1f} m in the plan, {d:.1f} m from the matrix")
    for name, n in used.items():
        if n > types[name].count:
            v.append(f"type {name}: {n} routes > {types[name].count} vehicles")
    for u in plan.unassigned:
        if u.id not in stops:
            v.append(f"unassigned {u.id!r} is not a stop")
        elif u.id in seen:
            v.append(f"{u.id}: both served and unassigned")
        if u.reason not in REASONS:
            v.append(f"{u.id}: unknown reason {u.reason!r}")
    listed = set(seen) | {u.id for u in plan.unassigned}
    missing = [s.id for s in problem.stops if s.id not in listed]
    if missing:
        v.append(f"{len(missing)} stops neither served nor unassigned (first: {missing[0]})")
    return PlanCheck(tuple(v), len(problem.stops), len(seen), on_time)
