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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError
from .problem import RoutingProblem, Stop, VehicleType

__all__ = ["BenchmarkInstance", "read_solomon", "read_cvrplib", "read_instance"]


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


def _euclid(coords: np.ndarray) -> np.ndarray:
    diff = coords[:, None, :] - coords[None, :, :]
    return np.sqrt((diff ** 2).sum(axis=2))


def read_solomon(path: str | os.PathLike) -> BenchmarkInstance:
    """Read a Solomon / Gehring-Homberger VRPTW ``.txt`` file."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror}); check the path", source=str(path)) from None
    name = lines[0].strip() if lines else path.stem
    count = capacity = None
    rows: list[list[float]] = []
    section = None
    for k, raw in enumerate(lines):
        if k == 0:
            continue
        line = raw.strip()
        up = line.upper()
        if up.startswith("VEHICLE"):
            section = "vehicle"
            continue
        if up.startswith("CUSTOMER"):
            section = "customer"
            continue
        if not line or up.startswith("NUMBER") or up.startswith("CUST"):
            continue
        parts = line.split()
        try:
            vals = [float(x) for x in parts]
        except ValueError:
            raise InputError(f"expected numbers, got {line!r}; is this a Solomon file?", source=str(path),
                             where=f"line {k + 1}") from None
        if section == "vehicle" and count is None:
            if len(vals) != 2:
                raise InputError("expected 'NUMBER CAPACITY'", source=str(path), where=f"line {k + 1}")
            count, capacity = int(vals[0]), vals[1]
        elif section == "customer":
            if len(vals) != 7:
                raise InputError(f"expected 7 columns (no, x, y, demand, ready, due, service), got {len(vals)}",
                                 source=str(path), where=f"line {k + 1}")
            rows.append(vals)
    if count is None or not rows:
        raise InputError("no VEHICLE or CUSTOMER section found; is this a Solomon file?", source=str(path))
    arr = np.array(rows)
    coords = arr[:, 1:3]
    d = np.floor(_euclid(coords) * 10 + 1e-9) / 10  # truncated to one decimal
    ids = [str(int(x)) for x in arr[:, 0]]
    stops = tuple(Stop(id=ids[i], node=i, delivery=float(arr[i, 3]), service_s=float(arr[i, 6]),
                       tw_start_s=float(arr[i, 4]), tw_end_s=float(arr[i, 5])) for i in range(1, len(arr)))
    vt = VehicleType(name="vehicle", count=count, capacity=capacity, shift_start_s=float(arr[0, 4]),
                     shift_end_s=float(arr[0, 5]))
    prob = RoutingProblem.from_matrices(ids, d, d, depots=[0], stops=stops, vehicle_types=[vt])
    return BenchmarkInstance(name=name or path.stem, family="solomon", problem=prob, coords=coords)


def read_cvrplib(path: str | os.PathLike) -> BenchmarkInstance:
    """Read a CVRPLIB / TSPLIB ``.vrp`` file with EUC_2D distances."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror}); check the path", source=str(path)) from None
    spec: dict[str, str] = {}
    coords: dict[int, tuple[float, float]] = {}
    demand: dict[int, float] = {}
    depots: list[int] = []
    section = None
    for k, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        up = line.upper()
        if up.endswith("_SECTION"):
            section = up
            continue
        if up == "EOF":
            break
        if ":" in line and section is None:
            key, _, val = line.partition(":")
            spec[key.strip().upper()] = val.strip()
            continue
        parts = line.split()
        try:
            if section == "NODE_COORD_SECTION":
                coords[int(parts[0])] = (float(parts[1]), float(parts[2]))
            elif section == "DEMAND_SECTION":
                demand[int(parts[0])] = float(parts[1])
            elif section == "DEPOT_SECTION":
                v = int(parts[0])
                if v == -1:
                    section = None
                else:
                    depots.append(v)
        except (ValueError, IndexError):
            raise InputError(f"cannot parse {line!r} in {section}", source=str(path), where=f"line {k + 1}") from None
    ewt = spec.get("EDGE_WEIGHT_TYPE", "").upper()
    if ewt != "EUC_2D":
        raise InputError(f"EDGE_WEIGHT_TYPE {ewt or 'missing'} is not supported; only EUC_2D", source=str(path),
                         where="EDGE_WEIGHT_TYPE")
    if "CAPACITY" not in spec:
        raise InputError("CAPACITY is missing", source=str(path), where="CAPACITY")
    if not coords:
        raise InputError("NODE_COORD_SECTION is missing or empty", source=str(path), where="NODE_COORD_SECTION")
    order = sorted(coords)
    if not depots:
        depots = [order[0]]
    pos = {node: i for i, node in enumerate(order)}
    xy = np.array([coords[n] for n in order])
    e = _euclid(xy)
    d = np.floor(e + 0.5)  # nint, TSPLIB EUC_2D
    ids = [str(n) for n in order]
    dep_idx = [pos[v] for v in depots]
    dset = set(dep_idx)
    stops = tuple(Stop(id=ids[i], node=i, delivery=demand.get(order[i], 0.0)) for i in range(len(order))
                  if i not in dset)
    vt = VehicleType(name="vehicle", count=max(1, len(stops)), capacity=float(spec["CAPACITY"]))
    prob = RoutingProblem.from_matrices(ids, d, d, depots=dep_idx, stops=stops, vehicle_types=[vt])
    return BenchmarkInstance(name=spec.get("NAME", path.stem).strip() or path.stem, family="cvrp", problem=prob,
                             coords=xy)


def read_instance(path: str | os.PathLike) -> BenchmarkInstance:
    """Read a benchmark file, choosing the reader by extension (``.txt`` Solomon, ``.vrp`` CVRPLIB)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".txt":
        return read_solomon(path)
    if suffix == ".vrp":
        return read_cvrplib(path)
    raise InputError(f"unknown benchmark file type {suffix!r}; give a Solomon .txt or CVRPLIB .vrp file",
                     source=str(path))


del math
