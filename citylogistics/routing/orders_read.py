"""Reading order and depot lists: :func:`read_orders`, :func:`read_depots`,
:func:`parse_depot`, clock and shift parsing. The file format, the time rules
and the messages are described in :mod:`citylogistics.routing.orders`."""

from __future__ import annotations

import csv
import datetime as _dt
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citylogistics.config import CRS_CHOICES
from citylogistics.errors import InputError
from citylogistics.geo import gcj02_to_wgs84

__all__ = [
    "CRS_CHOICES",
    "DEPOT_COLUMNS",
    "KINDS",
    "ORDER_COLUMNS",
    "Depot",
    "Order",
    "OrderList",
    "format_clock",
    "parse_clock",
    "parse_depot",
    "parse_shift",
    "read_depots",
    "read_orders",
]

#: Canonical column names of an orders CSV (keys of a column mapping).
ORDER_COLUMNS = ("id", "lon", "lat", "demand", "kind", "tw_start", "tw_end", "service_s")
DEPOT_COLUMNS = ("id", "lon", "lat")
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
        text = text[: _ECHO - 1] + "…"
    return f"'{text}'"


def _error(message: str, *, source: str | os.PathLike | None, where: str | None) -> InputError:
    if len(message) > _MAX_MSG:
        message = message[: _MAX_MSG - 1] + "…"
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
        raise _error(
            f"{_echo(text)} is not a shift; write it as HH:MM-HH:MM, e.g. 08:00-18:00", source=source, where=where
        ) from None
    if end <= start:
        raise _error(
            f"the shift {_echo(text)} ends before it starts; write a later end (e.g. 26:00 for 02:00 the next day)",
            source=source,
            where=where,
        )
    return start, end


def _parse_time(text: str) -> float | _dt.datetime:
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

    def subset(self, ids: Sequence[str]) -> OrderList:
        keep = set(ids)
        return OrderList(tuple(o for o in self.orders if o.id in keep), source=self.source, day=self.day, crs=self.crs)


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

            raise _error(
                f"the column mapping names {_echo(key)}{did_you_mean(str(key), allowed)}; map only "
                f"{', '.join(allowed)}",
                source=source,
                where="columns",
            )
        if not isinstance(value, str) or not value.strip():
            raise _error(
                f"the column mapping for {key} must be a column name, got {_echo(value)}",
                source=source,
                where=f"columns.{key}",
            )
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
        raise _error(
            f"is not UTF-8 text (byte {exc.start}); save the {what} as UTF-8 CSV", source=p, where=None
        ) from None
    except csv.Error as exc:
        raise _error(
            f"is not a readable CSV ({exc}); save it as comma-separated values", source=p, where=None
        ) from None
    except OSError as exc:
        raise _error(f"cannot read the file ({exc.strerror}); check its permissions", source=p, where=None) from None
    if header is None:
        raise _error(
            f"is empty; give a header line and one row per {what[:-1] if what.endswith('s') else what}",
            source=p,
            where=None,
        )
    return header, rows


def _column_index(header: list[str], mapping: dict[str, str], required: Sequence[str], *, source: str):
    index: dict[str, int] = {}
    for key, name in mapping.items():
        if name in header:
            index[key] = header.index(name)
        elif key in required:
            hint = f" (mapped from {key})" if name != key else ""
            raise _error(
                f"has no column {_echo(name)}{hint}; columns are {', '.join(header)[:120]}; rename the "
                f'column or map it (e.g. columns {{"{key}": "..."}})',
                source=source,
                where="header",
            )
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
        raise _error(
            f"{_echo(text)} is out of range; give {what} between {lo:g} and {hi:g}", source=source, where=where
        )
    return x


def _point(row, index, *, source, line: int, crs: str) -> tuple[float, float]:
    lon_t, lat_t = _cell(row, index, "lon"), _cell(row, index, "lat")
    if not lon_t or not lat_t:
        missing = "lon" if not lon_t else "lat"
        raise _error(
            "the point is missing; give lon and lat in degrees", source=source, where=f"line {line}: {missing}"
        )
    lon = _number(lon_t, source=source, where=f"line {line}: lon", what="a longitude in degrees", lo=-180, hi=180)
    lat = _number(lat_t, source=source, where=f"line {line}: lat", what="a latitude in degrees", lo=-90, hi=90)
    if crs == "gcj02":
        lon, lat = gcj02_to_wgs84(lon, lat)
    return float(lon), float(lat)


def _check_crs(crs: str, source) -> None:
    if crs not in CRS_CHOICES:
        raise _error(f"unknown crs {_echo(crs)}; use wgs84 or gcj02", source=source, where="crs")


def read_orders(
    path: str | os.PathLike,
    *,
    columns: Mapping[str, str] | None = None,
    crs: str = "wgs84",
    default_service_s: float = 0.0,
) -> OrderList:
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
    seen: dict[str, int] = {}
    raw = [
        _order_row(row, index, line, seen, source=src, crs=crs, default_service_s=default_service_s)
        for line, row in rows
    ]
    if not raw:
        raise _error("has no orders; give one row per order under the header", source=src, where=None)
    day, tz = _orders_day(raw, src)
    midnight = None if day is None else _dt.datetime.combine(day, _dt.time(), tzinfo=tz)
    orders = [_order(r, day=day, tz=tz, midnight=midnight, source=src) for r in raw]
    return OrderList(tuple(orders), source=src, day=day, crs=crs)


def _order_row(
    row: list[str],
    index: dict[str, int],
    line: int,
    seen: dict[str, int],
    *,
    source: str,
    crs: str,
    default_service_s: float,
) -> tuple:
    """One row checked: (line, id, lon, lat, demand, kind, service, [tw_start, tw_end]) with the
    times as read (seconds, a datetime or ``None``); ``seen`` records the ids read."""
    src = source
    oid = _cell(row, index, "id")
    if not oid:
        raise _error("the order id is missing; give every row an id", source=src, where=f"line {line}: id")
    if len(oid) > 200:
        raise _error(f"the order id {_echo(oid)} is longer than 200 characters", source=src, where=f"line {line}: id")
    if oid in seen:
        raise _error(
            f"order id {_echo(oid)} repeats line {seen[oid]}; give each order its own id",
            source=src,
            where=f"line {line}: id",
        )
    seen[oid] = line
    lon, lat = _point(row, index, source=src, line=line, crs=crs)
    d_t = _cell(row, index, "demand")
    demand = (
        1.0
        if not d_t
        else _number(d_t, source=src, where=f"line {line}: demand", what="a number of parcels", lo=0, hi=MAX_DEMAND)
    )
    kind = _cell(row, index, "kind").lower() or "delivery"
    if kind not in KINDS:
        raise _error(
            f"{_echo(kind)} is not an order kind; write delivery or pickup", source=src, where=f"line {line}: kind"
        )
    s_t = _cell(row, index, "service_s")
    service = (
        default_service_s
        if not s_t
        else _number(
            s_t, source=src, where=f"line {line}: service_s", what="seconds of service", lo=0, hi=MAX_SERVICE_S
        )
    )
    times: list[float | _dt.datetime | None] = []
    for key in ("tw_start", "tw_end"):
        t = _cell(row, index, key)
        if not t:
            times.append(None)
            continue
        try:
            times.append(_parse_time(t))
        except ValueError:
            raise _error(
                f"{_echo(t)} is not a time; write HH:MM, HH:MM:SS or an ISO datetime such as 2022-06-07T13:00",
                source=src,
                where=f"line {line}: {key}",
            ) from None
    return (line, oid, lon, lat, demand, kind, service, times)


def _orders_day(raw: Sequence[tuple], src: str):
    """The orders' day (the earliest date of any datetime, or ``None``) and the
    time zone of the datetimes; offsets must not be mixed with naive times."""
    stamps = [
        (line, k, t)
        for line, *_, times in raw
        for k, t in zip(("tw_start", "tw_end"), times)
        if isinstance(t, _dt.datetime)
    ]
    day = None
    tz = None
    if stamps:
        aware = [s for s in stamps if s[2].tzinfo is not None]
        if aware and len(aware) != len(stamps):
            line, key, _ = next(s for s in stamps if s[2].tzinfo is None)
            raise _error(
                "this datetime has no UTC offset but others in the file do; give every datetime an offset or none",
                source=src,
                where=f"line {line}: {key}",
            )
        tz = aware[0][2].tzinfo if aware else None
        day = min((t.astimezone(tz) if tz else t).date() for _, _, t in stamps)
    return day, tz


def _order(raw_row: tuple, *, day, tz, midnight, source: str) -> Order:
    """An :class:`Order` with its window in seconds from midnight of ``day``."""
    line, oid, lon, lat, demand, kind, service, times = raw_row
    secs = []
    for key, t in zip(("tw_start", "tw_end"), times):
        if isinstance(t, _dt.datetime):
            t = ((t.astimezone(tz) if tz else t) - midnight).total_seconds()
            if t > MAX_TIME_S:
                raise _error(
                    f"is {t / 86400:.0f} days after the orders' day {day}; give times within a week",
                    source=source,
                    where=f"line {line}: {key}",
                )
        secs.append(t)
    a, b = secs
    if a is not None and b is not None and b < a:
        raise _error(
            f"the window ends ({format_clock(b)}) before it starts ({format_clock(a)}); swap or fix them",
            source=source,
            where=f"line {line}: tw_end",
        )
    return Order(oid, lon, lat, demand, kind, a, b, float(service), line)


def read_depots(
    path: str | os.PathLike, *, columns: Mapping[str, str] | None = None, crs: str = "wgs84"
) -> tuple[Depot, ...]:
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
            raise _error(
                f"depot id {_echo(did)} repeats line {seen[did]}; give each depot its own id",
                source=src,
                where=f"line {line}: id",
            )
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
        raise _error(
            f"{_echo(text)} is not a point; write LON,LAT in degrees, e.g. 120.16,30.27", source=source, where=None
        ) from None
    if crs == "gcj02":
        lon, lat = gcj02_to_wgs84(lon, lat)
    return Depot(id, float(lon), float(lat), source=source)
