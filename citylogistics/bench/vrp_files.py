"""Readers for benchmark instances: Solomon / Gehring-Homberger and CVRPLIB.

Conventions follow ``benchmarks/SOURCES.md`` exactly:

Solomon (``.txt``)
    ``d_ij`` = Euclidean distance truncated to one decimal; travel time =
    distance; service time added at departure; waiting allowed; fleet = the
    file's NUMBER with its CAPACITY; the depot's due date ends the shift;
    objective = total distance.
CVRPLIB (``.vrp``, EUC_2D)
    ``d_ij`` = nint(Euclidean) (TSPLIB); fleet unlimited (one vehicle per
    customer is available); objective = total distance.

Coordinates are abstract units used as metres and seconds in the problem.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np

from citylogistics.errors import InputError
from citylogistics.routing.problem import RoutingProblem, Stop, VehicleType

__all__ = ["BenchmarkInstance", "read_solomon", "read_cvrplib", "read_instance", "bench_vrp_rows"]


@dataclass(frozen=True)
class BenchmarkInstance:
    """A parsed benchmark file: its name, family, the routing problem and the coordinates."""

    name: str
    family: str  # "solomon" or "cvrp"
    problem: RoutingProblem
    coords: np.ndarray

    def objective(self, plan) -> float:
        """Benchmark objective of a plan: total distance (1 decimal for Solomon, integer for X)."""
        d = plan.distance_m
        return float(round(d, 1)) if self.family == "solomon" else float(round(d))


#: Largest instance read (nodes, depot included): the distance and time
#: matrices are dense n x n (10,000 nodes: 800 MB each); the largest published
#: Solomon / Gehring-Homberger / X instances have 1,001.
MAX_NODES = 10_000
#: Largest file read (bytes); the largest shared instance is under 1 MB.
MAX_FILE_BYTES = 100_000_000
#: Largest coordinate, demand, capacity or time accepted (abstract units).
MAX_VALUE = 1e7
_HINT_SOLOMON = "give a Solomon .txt file (VEHICLE and CUSTOMER sections, see benchmarks/SOURCES.md)"
_HINT_CVRPLIB = "give a CVRPLIB .vrp file (see benchmarks/SOURCES.md)"


def clip(value: object, limit: int = 40) -> str:
    """``repr`` of ``value`` cut to ``limit`` characters (with "…"), for echoing user input in a message."""
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + "\u2026"
    return repr(text)


def read_text_lines(path: str | os.PathLike, *, what: str = "benchmark instance") -> list[str]:
    """Lines of a plain-text input file, refusing before parsing anything a
    text reader would choke on: a missing file or folder, a file over
    :data:`MAX_FILE_BYTES`, bytes that are not UTF-8, or NUL / control bytes
    (a binary file), each with the line where the first bad byte is."""
    path = Path(path)
    src = str(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError(f"is not a file; give the path of a {what} file", source=src)
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"file is {size / 1e6:.0f} MB, over the {MAX_FILE_BYTES / 1e6:.0f} MB limit; give a {what} file",
                source=src,
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror}); check the path", source=src) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"is not a text file (byte {exc.start} is not UTF-8); give a plain-text {what} file",
            source=src,
            where=f"line {line}",
        ) from None
    bad = re.search(r"[\x00-\x08\x0e-\x1f\x7f]", text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise InputError(
            f"is not a text file (control byte {ord(bad.group()):#04x}); give a plain-text {what} file",
            source=src,
            where=f"line {line}",
        )
    return text.splitlines()


def _euclid(coords: np.ndarray) -> np.ndarray:
    x, y = coords[:, 0], coords[:, 1]
    return np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])


def _number(
    tok: str,
    *,
    src: str,
    where: str,
    field: str,
    hint: str,
    integer: bool = False,
    lo: float = 0.0,
    hi: float = MAX_VALUE,
    lo_open: bool = False,
) -> float:
    """``tok`` as a finite number in [lo, hi] (``(lo, hi]`` with ``lo_open``), else an InputError."""
    try:
        v = float(tok)
    except ValueError:
        raise InputError(f"{field} is {clip(tok)}, not a number; {hint}", source=src, where=where) from None
    if not math.isfinite(v):
        raise InputError(f"{field} is {clip(tok)}; give a finite number", source=src, where=where)
    if integer and v != int(v):
        raise InputError(f"{field} is {clip(tok)}; give a whole number", source=src, where=where)
    if v < lo or (lo_open and v == lo) or v > hi:
        rng = f"{'(' if lo_open else '['}{lo:g}, {hi:g}]"
        raise InputError(f"{field} is {clip(tok)}, outside {rng}; fix the value", source=src, where=where)
    return v


def _vrplib_parse(lines: Sequence[str], *, src: str, instance_format: str, hint: str) -> dict:
    """The file's data as parsed by ``vrplib`` (from the text already read and
    checked; no edge weights: the conventions of this module apply)."""
    import vrplib.parse

    parse = vrplib.parse.parse_solomon if instance_format == "solomon" else vrplib.parse.parse_vrplib
    try:
        return parse("\n".join(lines), compute_edge_weights=False)
    except (ValueError, RuntimeError, IndexError, TypeError) as exc:
        raise InputError(f"vrplib cannot read it ({clip(exc, 80)}); {hint}", source=src) from None


def _disagree(src: str, where: str, what: str, hint: str) -> InputError:
    return InputError(f"vrplib reads {what} differently from this line; {hint}", source=src, where=where)


# ---------------------------------------------------------------------------
# Solomon
# ---------------------------------------------------------------------------
_SOLOMON_FIELDS = ("customer number", "XCOORD", "YCOORD", "DEMAND", "READY TIME", "DUE DATE", "SERVICE TIME")


@dataclass
class _SolomonChecked:
    """What the line-by-line check of a Solomon file found."""

    count: int | None = None
    capacity: float | None = None
    rows: list[list[float]] = field(default_factory=list)
    row_line: list[int] = field(default_factory=list)
    vehicle_line: int | None = None
    customer_line: int | None = None


def _solomon_vehicle(parts: list[str], found: _SolomonChecked, *, src: str, where: str, line: str) -> None:
    if found.count is not None:
        raise InputError(
            f"a second vehicle line {clip(line)}; the VEHICLE section has one 'NUMBER CAPACITY' line",
            source=src,
            where=where,
        )
    if len(parts) != 2:
        raise InputError(f"expected 'NUMBER CAPACITY' (2 numbers), got {len(parts)} fields", source=src, where=where)
    found.count = int(
        _number(
            parts[0], src=src, where=where, field="vehicle NUMBER", hint=_HINT_SOLOMON, integer=True, lo=1, hi=MAX_NODES
        )
    )
    found.capacity = _number(parts[1], src=src, where=where, field="vehicle CAPACITY", hint=_HINT_SOLOMON, lo_open=True)


def _solomon_row(
    parts: list[str], found: _SolomonChecked, seen: dict[int, int], *, src: str, where: str, k: int
) -> None:
    if len(parts) != 7:
        raise InputError(
            f"expected 7 columns (no, x, y, demand, ready, due, service), got {len(parts)}", source=src, where=where
        )
    if len(found.rows) >= MAX_NODES:
        raise InputError(
            f"more than {MAX_NODES} customer rows (depot included); instances are limited to {MAX_NODES} nodes",
            source=src,
            where=where,
        )
    vals = [
        _number(
            t,
            src=src,
            where=where,
            field=f,
            hint=_HINT_SOLOMON,
            integer=(i == 0),
            lo=-MAX_VALUE if i in (1, 2) else 0.0,
        )
        for i, (t, f) in enumerate(zip(parts, _SOLOMON_FIELDS))
    ]
    if vals[5] < vals[4]:
        raise InputError(
            f"DUE DATE {vals[5]:g} is before READY TIME {vals[4]:g}; swap or fix them", source=src, where=where
        )
    no = int(vals[0])
    if no in seen:
        raise InputError(
            f"customer number {no} repeats line {seen[no]}; number every row once", source=src, where=where
        )
    seen[no] = k + 1
    found.rows.append(vals)
    found.row_line.append(k + 1)


def _check_solomon(lines: Sequence[str], src: str) -> _SolomonChecked:
    """Check a Solomon file line by line, so that every error names its line and field."""
    found = _SolomonChecked()
    seen: dict[int, int] = {}
    section = None
    for k, raw in enumerate(lines):
        if k == 0:
            continue
        line = raw.strip()
        up = line.upper()
        where = f"line {k + 1}"
        if up.startswith("VEHICLE"):
            section, found.vehicle_line = "vehicle", k + 1
            continue
        if up.startswith("CUSTOMER"):
            section, found.customer_line = "customer", k + 1
            continue
        if not line or up.startswith("NUMBER") or up.startswith("CUST"):
            continue
        parts = line.split()
        if section is None:
            raise InputError(f"data {clip(line)} before the VEHICLE section; {_HINT_SOLOMON}", source=src, where=where)
        if section == "vehicle":
            _solomon_vehicle(parts, found, src=src, where=where, line=line)
        else:
            _solomon_row(parts, found, seen, src=src, where=where, k=k)
    if found.vehicle_line is None or found.count is None:
        raise InputError(
            f"no VEHICLE section with a 'NUMBER CAPACITY' line (the file may be truncated); {_HINT_SOLOMON}",
            source=src,
            where=f"line {found.vehicle_line}: VEHICLE" if found.vehicle_line else "VEHICLE section",
        )
    if found.customer_line is None or len(found.rows) < 2:
        raise InputError(
            f"CUSTOMER section {'missing' if found.customer_line is None else 'has no customers'} "
            f"(the file may be truncated); give the depot row and at least one customer row",
            source=src,
            where=f"line {found.customer_line}: CUSTOMER" if found.customer_line else "CUSTOMER section",
        )
    return found


def read_solomon(path: str | os.PathLike) -> BenchmarkInstance:
    """Read a Solomon / Gehring-Homberger VRPTW ``.txt`` file.

    The file is checked line by line first (every error names its line and
    field), then parsed with ``vrplib``; the two must agree.

    Raises
    ------
    InputError
        Naming the file, the line and the field: not a text file, a missing
        VEHICLE or CUSTOMER section, a row without the 7 numeric columns
        (``no x y demand ready due service``), a non-finite, negative or huge
        value, a due date before the ready time, a repeated customer number,
        more than :data:`MAX_NODES` rows; a layout or a value ``vrplib`` reads
        differently (its Solomon reader takes the standard layout and whole
        numbers).
    """
    path = Path(path)
    src = str(path)
    lines = read_text_lines(path)
    found = _check_solomon(lines, src)
    data = _vrplib_parse(lines, src=src, instance_format="solomon", hint=_HINT_SOLOMON)
    if (int(data["vehicles"]), float(data["capacity"])) != (found.count, found.capacity):
        raise _disagree(src, f"line {found.vehicle_line}: VEHICLE", "NUMBER CAPACITY", _HINT_SOLOMON)
    table = np.column_stack([data["node_coord"], data["demand"], data["time_window"], data["service_time"]])
    checked = np.array(found.rows)[:, 1:]
    if table.shape != checked.shape or not np.array_equal(table, checked):
        bad = next(
            (i for i in range(min(len(table), len(checked))) if not np.array_equal(table[i], checked[i])),
            min(len(table), len(checked)) - 1,
        )
        raise _disagree(src, f"line {found.row_line[bad]}", "the customer rows (whole numbers only)", _HINT_SOLOMON)
    coords = np.asarray(data["node_coord"], dtype=float)
    demand = np.asarray(data["demand"], dtype=float)
    tw = np.asarray(data["time_window"], dtype=float)
    service = np.asarray(data["service_time"], dtype=float)
    d = np.floor(_euclid(coords) * 10 + 1e-9) / 10  # truncated to one decimal
    ids = [str(int(r[0])) for r in found.rows]  # vrplib drops the customer numbers
    stops = tuple(
        Stop(
            id=ids[i],
            node=i,
            delivery=float(demand[i]),
            service_s=float(service[i]),
            tw_start_s=float(tw[i, 0]),
            tw_end_s=float(tw[i, 1]),
        )
        for i in range(1, len(ids))
    )
    vt = VehicleType(
        name="vehicle",
        count=int(data["vehicles"]),
        capacity=float(data["capacity"]),
        shift_start_s=float(tw[0, 0]),
        shift_end_s=float(tw[0, 1]),
    )
    prob = RoutingProblem.from_matrices(ids, d, d, depots=[0], stops=stops, vehicle_types=[vt])
    name = str(data.get("name", "")).strip()
    return BenchmarkInstance(name=name or path.stem, family="solomon", problem=prob, coords=coords)


# ---------------------------------------------------------------------------
# CVRPLIB
# ---------------------------------------------------------------------------
_SECTIONS = ("NODE_COORD_SECTION", "DEMAND_SECTION", "DEPOT_SECTION")
_IGNORED_SECTIONS = ("DISPLAY_DATA_SECTION",)


@dataclass
class _CvrpChecked:
    """What the line-by-line check of a CVRPLIB file found."""

    spec: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (value, line)
    n: int | None = None
    capacity: float | None = None
    coords: dict[int, tuple[float, float]] = field(default_factory=dict)  # in file order
    demand: dict[int, float] = field(default_factory=dict)  # in file order
    depots: list[int] = field(default_factory=list)
    section_line: dict[str, int] = field(default_factory=dict)
    depot_closed: bool = False

    @property
    def dimension(self) -> int:
        """``n``, never None once the header is checked (before any section line)."""
        return cast(int, self.n)


def _cvrplib_header(found: _CvrpChecked, src: str) -> None:
    spec = found.spec
    ewt, ln = spec.get("EDGE_WEIGHT_TYPE", ("", 0))
    if ewt.upper() != "EUC_2D":
        raise InputError(
            f"EDGE_WEIGHT_TYPE {clip(ewt) if ewt else 'missing'} is not supported; only EUC_2D",
            source=src,
            where=f"line {ln}: EDGE_WEIGHT_TYPE" if ln else "EDGE_WEIGHT_TYPE",
        )
    typ, ln = spec.get("TYPE", ("CVRP", 0))
    if typ.upper() != "CVRP":
        raise InputError(f"TYPE {clip(typ)} is not supported; only CVRP", source=src, where=f"line {ln}: TYPE")
    for key, hint in (("DIMENSION", "give the node count, depot included"), ("CAPACITY", "give the vehicle capacity")):
        if key not in spec:
            raise InputError(f"{key} is missing from the header; {hint}", source=src, where=key)
    val, ln = spec["DIMENSION"]
    found.n = int(
        _number(
            val,
            src=src,
            where=f"line {ln}: DIMENSION",
            field="DIMENSION",
            hint=_HINT_CVRPLIB,
            integer=True,
            lo=2,
            hi=MAX_NODES,
        )
    )
    val, ln = spec["CAPACITY"]
    found.capacity = _number(
        val, src=src, where=f"line {ln}: CAPACITY", field="CAPACITY", hint=_HINT_CVRPLIB, lo_open=True
    )


def _cvrplib_depot(parts: list[str], found: _CvrpChecked, *, src: str, where: str, line: str) -> bool:
    """One DEPOT_SECTION line; True when it ends the section (``-1``)."""
    n = found.dimension
    if len(parts) != 1:
        raise InputError(
            f"expected one node number per line in DEPOT_SECTION, got {clip(line)}", source=src, where=where
        )
    if parts[0] == "-1":
        found.depot_closed = True
        return True
    v = int(
        _number(
            parts[0],
            src=src,
            where=where,
            field="depot",
            hint="give a node number or -1",
            integer=True,
            lo=-MAX_NODES,
            hi=MAX_NODES,
        )
    )
    if not 1 <= v <= n:
        raise InputError(
            f"depot {v} is not a node (1..{n}, DIMENSION); fix DEPOT_SECTION",
            source=src,
            where=f"{where}: DEPOT_SECTION",
        )
    found.depots.append(v)
    return False


def _cvrplib_node(parts: list[str], found: _CvrpChecked, section: str, *, src: str, where: str) -> None:
    """One NODE_COORD_SECTION or DEMAND_SECTION line."""
    n = found.dimension
    want = 3 if section == "NODE_COORD_SECTION" else 2
    if len(parts) != want:
        fmt = "'node x y'" if want == 3 else "'node demand'"
        raise InputError(
            f"expected {fmt} in {section}, got {len(parts)} fields (the file may be cut short)", source=src, where=where
        )
    node = int(
        _number(
            parts[0],
            src=src,
            where=f"{where}: {section}",
            field="node number",
            hint=_HINT_CVRPLIB,
            integer=True,
            lo=-MAX_VALUE,
        )
    )
    if not 1 <= node <= n:
        raise InputError(
            f"node {node} is outside 1..{n} (DIMENSION); fix the node number or DIMENSION",
            source=src,
            where=f"{where}: {section}",
        )
    table: Mapping[int, object] = found.coords if section == "NODE_COORD_SECTION" else found.demand
    if node in table:
        raise InputError(f"node {node} is listed twice in {section}; list each node once", source=src, where=where)
    if section == "NODE_COORD_SECTION":
        found.coords[node] = cast(
            tuple[float, float],
            tuple(  # two fields: checked above
                _number(t, src=src, where=f"{where}: {section}", field=f, hint=_HINT_CVRPLIB, lo=-MAX_VALUE)
                for t, f in zip(parts[1:], ("x", "y"))
            ),
        )
    else:
        found.demand[node] = _number(parts[1], src=src, where=f"{where}: {section}", field="demand", hint=_HINT_CVRPLIB)


def _cvrplib_complete(found: _CvrpChecked, src: str, n_lines: int) -> None:
    """Every section present and complete."""
    n = found.dimension
    last = f"line {n_lines}"
    for name, table in (("NODE_COORD_SECTION", found.coords), ("DEMAND_SECTION", found.demand)):
        if name not in found.section_line:
            raise InputError(
                f"{name} is missing (the file may be truncated); list the {n} nodes of DIMENSION",
                source=src,
                where=last,
            )
        if len(table) != n:
            miss = min(set(range(1, n + 1)) - set(table))
            raise InputError(
                f"DIMENSION is {n} but {name} lists {len(table)} nodes (first missing: {miss}); "
                "the file is truncated or DIMENSION is wrong",
                source=src,
                where=f"line {found.section_line[name]}: {name}",
            )
    if "DEPOT_SECTION" not in found.section_line:
        raise InputError(
            "DEPOT_SECTION is missing (the file may be truncated); add 'DEPOT_SECTION', the depot node and -1",
            source=src,
            where=last,
        )
    if not found.depots or not found.depot_closed:
        raise InputError(
            f"DEPOT_SECTION {'names no depot' if not found.depots else 'is not ended by -1'} (the "
            "file may be truncated); give the depot node then -1",
            source=src,
            where=f"line {found.section_line['DEPOT_SECTION']}: DEPOT_SECTION",
        )


def _check_cvrplib(lines: Sequence[str], src: str) -> _CvrpChecked:
    """Check a CVRPLIB file line by line, so that every error names its line and field."""
    found = _CvrpChecked()
    section = None
    for k, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        where = f"line {k + 1}"
        up = line.upper()
        if up == "EOF":
            break
        if up.endswith("_SECTION") or up.split()[0].endswith("_SECTION"):
            name = up.split()[0]
            if name not in _SECTIONS + _IGNORED_SECTIONS:
                raise InputError(
                    f"unknown section {clip(name)}; this reader knows {', '.join(_SECTIONS)}", source=src, where=where
                )
            if name in found.section_line:
                raise InputError(
                    f"{name} appears twice (first on line {found.section_line[name]})", source=src, where=where
                )
            if found.n is None:
                _cvrplib_header(found, src)
            section = name
            found.section_line[name] = k + 1
            continue
        if section is None:
            if ":" not in line:
                raise InputError(
                    f"expected 'KEY : value' or a *_SECTION line, got {clip(line)}; {_HINT_CVRPLIB}",
                    source=src,
                    where=where,
                )
            key, _, val = line.partition(":")
            found.spec[key.strip().upper()] = (val.strip(), k + 1)
        elif section == "DEPOT_SECTION":
            if _cvrplib_depot(line.split(), found, src=src, where=where, line=line):
                section = None
        elif section not in _IGNORED_SECTIONS:
            _cvrplib_node(line.split(), found, section, src=src, where=where)
    if found.n is None:
        _cvrplib_header(found, src)
    _cvrplib_complete(found, src, len(lines))
    return found


def _cvrplib_table(data: dict, key: str, checked: np.ndarray, *, src: str, where: str) -> np.ndarray:
    """vrplib's ``key`` section (rows in file order) as floats, checked against the line-by-line values."""
    try:
        values = np.asarray(data.get(key, ()), dtype=float)
    except (TypeError, ValueError):  # a ragged or non-numeric section
        values = np.empty(0)
    if values.shape != checked.shape or not np.array_equal(values, checked):
        raise _disagree(src, where, key.upper() + "_SECTION", _HINT_CVRPLIB)
    return values


def read_cvrplib(path: str | os.PathLike) -> BenchmarkInstance:
    """Read a CVRPLIB / TSPLIB ``.vrp`` file with EUC_2D distances.

    The header (``KEY : value``) must give ``EDGE_WEIGHT_TYPE : EUC_2D``,
    ``DIMENSION`` (1..:data:`MAX_NODES`) and a positive ``CAPACITY``; then
    NODE_COORD_SECTION and DEMAND_SECTION list every node 1..DIMENSION once and
    DEPOT_SECTION names the depot(s), ended by ``-1``. The file is checked line
    by line first (every error names its line and field), then parsed with
    ``vrplib``; the two must agree.

    Raises
    ------
    InputError
        Naming the file, the line and the field of the first problem.
    """
    path = Path(path)
    src = str(path)
    lines = read_text_lines(path)
    found = _check_cvrplib(lines, src)
    data = _vrplib_parse(lines, src=src, instance_format="vrplib", hint=_HINT_CVRPLIB)
    sec = found.section_line
    xy_file = _cvrplib_table(
        data,
        "node_coord",
        np.array(list(found.coords.values())),
        src=src,
        where=f"line {sec['NODE_COORD_SECTION']}: NODE_COORD_SECTION",
    )
    dem_file = _cvrplib_table(
        data,
        "demand",
        np.array(list(found.demand.values())),
        src=src,
        where=f"line {sec['DEMAND_SECTION']}: DEMAND_SECTION",
    )
    depots = [int(v) + 1 for v in np.atleast_1d(data.get("depot", ()))]  # vrplib counts nodes from 0
    if depots != found.depots or float(data.get("capacity", math.nan)) != found.capacity:
        raise _disagree(src, f"line {sec['DEPOT_SECTION']}: DEPOT_SECTION", "DEPOT_SECTION or CAPACITY", _HINT_CVRPLIB)
    # Nodes may be listed in any order; the problem has them by node number.
    coords = dict(zip(found.coords, map(tuple, xy_file)))
    demand = dict(zip(found.demand, dem_file))
    order = sorted(coords)
    pos = {node: i for i, node in enumerate(order)}
    xy = np.array([coords[v] for v in order])
    d = np.floor(_euclid(xy) + 0.5)  # nint, TSPLIB EUC_2D
    ids = [str(v) for v in order]
    dep_idx = list(dict.fromkeys(pos[v] for v in depots))
    dset = set(dep_idx)
    stops = tuple(
        Stop(id=ids[i], node=i, delivery=float(demand.get(order[i], 0.0))) for i in range(len(order)) if i not in dset
    )
    vt = VehicleType(name="vehicle", count=max(1, len(stops)), capacity=float(data["capacity"]))
    prob = RoutingProblem.from_matrices(ids, d, d, depots=dep_idx, stops=stops, vehicle_types=[vt])
    name = found.spec.get("NAME", (path.stem, 0))[0].strip() or path.stem
    return BenchmarkInstance(name=name, family="cvrp", problem=prob, coords=xy)


def read_instance(path: str | os.PathLike) -> BenchmarkInstance:
    """Read a benchmark file, choosing the reader by extension (``.txt`` Solomon, ``.vrp`` CVRPLIB)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".txt":
        return read_solomon(path)
    if suffix == ".vrp":
        return read_cvrplib(path)
    raise InputError(
        f"unknown benchmark file type {suffix!r}; give a Solomon .txt or CVRPLIB .vrp file", source=str(path)
    )


def bench_vrp_rows(
    paths: Sequence[str],
    *,
    time_limit_s: float = 30.0,
    seed: int = 0,
    engine: str = "auto",
    deterministic: bool = False,
) -> list[dict]:
    """Solve benchmark files and return rows for ``citylogistics bench vrp``.

    Parameters
    ----------
    paths
        Solomon / Gehring-Homberger ``.txt`` or CVRPLIB ``.vrp`` files.
    time_limit_s, seed, engine
        As in :class:`SolveParams`.
    deterministic
        Benchmarks use the full time budget by default.

    Returns
    -------
    list of dict
        Keys exactly ``instance, objective, routes, seconds, feasible``.
        Objective follows ``benchmarks/SOURCES.md``: total distance (Solomon
        distances truncated to one decimal, X distances rounded).
    """
    rows = []
    from citylogistics.routing.solver import SolveParams, solve

    params = SolveParams(time_limit_s=time_limit_s, seed=seed, engine=engine, deterministic=deterministic)
    for path in paths:
        inst = read_instance(path)
        t0 = time.perf_counter()
        plan = solve(inst.problem, params)
        sec = time.perf_counter() - t0
        feasible = bool(plan.solver.feasible) and not plan.unassigned
        rows.append(
            {
                "instance": inst.name,
                "objective": inst.objective(plan),
                "routes": len(plan.routes),
                "seconds": round(sec, 2),
                "feasible": feasible,
            }
        )
    return rows
