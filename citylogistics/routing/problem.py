"""Routing problem data: stops, vehicle types and travel matrices.

A :class:`RoutingProblem` is frozen and validated when it is built; solvers in
:mod:`citylogistics.routing.solver` read it and return a
:class:`citylogistics.routing.plan.RoutePlan`. Nothing here imports a solver.

Units: distances in metres (``_m``), times in seconds (``_s``) counted from
the start of the planning day, loads in parcels, money in yuan (``_cny``).
Unreachable pairs are ``numpy.inf`` in both matrices.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from citylogistics.errors import InputError

__all__ = ["VehicleType", "Stop", "RoutingProblem"]

_SRC = "RoutingProblem"


def _finite_nonneg(value: float | None, *, source: str, where: str, allow_none: bool = False) -> None:
    if value is None:
        if allow_none:
            return
        raise InputError("is missing; give a number", source=source, where=where)
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"must be a number, got {value!r}", source=source, where=where) from None
    if math.isnan(x) or math.isinf(x):
        raise InputError(f"must be a finite number, got {value!r}", source=source, where=where)
    if x < 0:
        raise InputError(f"must be >= 0, got {value!r}; fix the sign", source=source, where=where)


@dataclass(frozen=True)
class VehicleType:
    """A group of identical vehicles based at one depot.

    Parameters
    ----------
    name
        Label, e.g. ``"van"`` or ``"e-tricycle"``; unique within a problem.
    count
        Number of vehicles of this type available (0 allowed: type unused).
    capacity
        Parcels a vehicle can hold at any moment (> 0).
    fixed_cost_cny
        Cost of using one vehicle for the day.
    cost_per_km_cny, cost_per_hour_cny
        Variable costs per km driven and per hour of route duration. When a
        type has neither, it is routed on distance as if it cost 1 yuan/km (so
        plain benchmark instances minimise distance).
    max_duration_s, max_distance_m
        Limits on one vehicle's route (all trips together); ``None`` = none.
    shift_start_s, shift_end_s
        The vehicle may leave the depot at ``shift_start_s`` at the earliest
        and must be back (or, for open routes, finish) by ``shift_end_s``.
    depot
        Index into :attr:`RoutingProblem.depots`.
    open_end
        The route ends at its last stop (no return leg is driven or costed).
    co2_kg_per_km
        Emission factor used for reporting.
    speed_factor
        Multiplier on the duration matrix (2.0 = twice as slow).
    max_trips
        Trips per vehicle; above 1 the vehicle may return to its depot to
        reload (unload pickups, load deliveries) within its shift.
    """

    name: str
    count: int
    capacity: float
    fixed_cost_cny: float = 0.0
    cost_per_km_cny: float = 0.0
    cost_per_hour_cny: float = 0.0
    max_duration_s: float | None = None
    max_distance_m: float | None = None
    shift_start_s: float = 0.0
    shift_end_s: float | None = None
    depot: int = 0
    open_end: bool = False
    co2_kg_per_km: float = 0.0
    speed_factor: float = 1.0
    max_trips: int = 1

    def __post_init__(self) -> None:
        src = f"VehicleType {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise InputError("name must be a non-empty string", source="VehicleType", where="name")
        if not isinstance(self.count, (int, np.integer)) or isinstance(self.count, bool) or self.count < 0:
            raise InputError(f"must be an integer >= 0, got {self.count!r}", source=src, where="count")
        _finite_nonneg(self.capacity, source=src, where="capacity")
        if self.capacity <= 0:
            raise InputError(
                f"must be > 0, got {self.capacity!r}; give the vehicle's parcel capacity", source=src, where="capacity"
            )
        for name in ("fixed_cost_cny", "cost_per_km_cny", "cost_per_hour_cny", "shift_start_s", "co2_kg_per_km"):
            _finite_nonneg(getattr(self, name), source=src, where=name)
        for name in ("max_duration_s", "max_distance_m", "shift_end_s"):
            _finite_nonneg(getattr(self, name), source=src, where=name, allow_none=True)
        _finite_nonneg(self.speed_factor, source=src, where="speed_factor")
        if self.speed_factor <= 0:
            raise InputError(f"must be > 0, got {self.speed_factor!r}", source=src, where="speed_factor")
        if self.shift_end_s is not None and self.shift_end_s < self.shift_start_s:
            raise InputError(
                f"shift_end_s={self.shift_end_s} is before shift_start_s={self.shift_start_s}; swap or fix them",
                source=src,
                where="shift_end_s",
            )
        if not isinstance(self.depot, (int, np.integer)) or self.depot < 0:
            raise InputError(
                f"must be an index >= 0 into problem.depots, got {self.depot!r}", source=src, where="depot"
            )
        if not isinstance(self.max_trips, (int, np.integer)) or self.max_trips < 1:
            raise InputError(f"must be an integer >= 1, got {self.max_trips!r}", source=src, where="max_trips")

    @property
    def priced(self) -> bool:
        """True when the type has a distance or time rate (else routed on distance)."""
        return self.cost_per_km_cny > 0 or self.cost_per_hour_cny > 0


@dataclass(frozen=True)
class Stop:
    """A place to visit once: a village service point, a station, a shop.

    Parameters
    ----------
    id
        Unique identifier (used in plans and error messages).
    node
        Index into :attr:`RoutingProblem.node_ids` (the matrices' order).
    delivery, pickup
        Parcels dropped at / collected from the stop (both may be > 0:
        simultaneous delivery and pickup, e.g. farm produce).
    service_s
        Time spent at the stop.
    tw_start_s, tw_end_s
        Service must start within this window (``None`` end = open);
        arriving early means waiting.
    required
        Required stops are served whenever it is feasible at all.
    penalty_cny
        For optional stops: the cost of not serving it (the solver drops the
        stop when serving costs more). Ignored for required stops.
    """

    id: str
    node: int
    delivery: float = 0.0
    pickup: float = 0.0
    service_s: float = 0.0
    tw_start_s: float = 0.0
    tw_end_s: float | None = None
    required: bool = True
    penalty_cny: float | None = None

    def __post_init__(self) -> None:
        src = f"Stop {self.id!r}"
        if not isinstance(self.id, str) or not self.id:
            raise InputError("id must be a non-empty string", source="Stop", where="id")
        if not isinstance(self.node, (int, np.integer)) or isinstance(self.node, bool) or self.node < 0:
            raise InputError(f"must be an index >= 0 into node_ids, got {self.node!r}", source=src, where="node")
        for name in ("delivery", "pickup", "service_s", "tw_start_s"):
            _finite_nonneg(getattr(self, name), source=src, where=name)
        _finite_nonneg(self.tw_end_s, source=src, where="tw_end_s", allow_none=True)
        _finite_nonneg(self.penalty_cny, source=src, where="penalty_cny", allow_none=True)
        if self.tw_end_s is not None and self.tw_end_s < self.tw_start_s:
            raise InputError(
                f"time window is inverted (tw_start_s={self.tw_start_s} > tw_end_s={self.tw_end_s}); "
                "swap the two values",
                source=src,
                where="tw_end_s",
            )
        if not self.required and self.penalty_cny is None:
            raise InputError(
                "optional stop needs penalty_cny (the cost of leaving it unserved)", source=src, where="penalty_cny"
            )


@dataclass(frozen=True)
class RoutingProblem:
    """A vehicle routing problem over an explicit node order.

    Formulation (what the solvers minimise)::

        min  sum_v used_v * F_t(v)
           + sum_v sum_(i,j) in route v  c_t(v) * d_ij / 1000
           + sum_v h_t(v) * duration_v / 3600
           + sum_{optional s unserved} penalty_s

    subject to: every required stop served once (or reported unassigned with a
    reason), load on board <= capacity after every step (deliveries loaded at
    the depot, pickups added on the way), service starts inside each stop's
    window, each route inside its vehicle's shift and within its duration and
    distance limits, at most ``count`` vehicles and ``max_trips`` trips per
    vehicle of each type. ``F`` fixed cost, ``c`` cost per km (1 if the type has
    no rate at all), ``h`` cost per hour.

    Parameters
    ----------
    node_ids
        Identifier of every matrix row/column.
    distance_m, duration_s
        ``n x n`` travel distance and time (``inf`` = unreachable).
    depots
        Indices into ``node_ids`` of the depots.
    stops
        The stops to serve.
    vehicle_types
        The fleet.
    """

    node_ids: tuple[str, ...]
    distance_m: np.ndarray = field(repr=False)
    duration_s: np.ndarray = field(repr=False)
    depots: tuple[int, ...]
    stops: tuple[Stop, ...]
    vehicle_types: tuple[VehicleType, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "node_ids", tuple(str(x) for x in self.node_ids))
        object.__setattr__(self, "depots", tuple(int(d) for d in self.depots))
        object.__setattr__(self, "stops", tuple(self.stops))
        object.__setattr__(self, "vehicle_types", tuple(self.vehicle_types))
        n = len(self.node_ids)
        if n == 0:
            raise InputError("node_ids is empty; give at least the depot", source=_SRC, where="node_ids")
        if len(set(self.node_ids)) != n:
            dup = sorted({x for x in self.node_ids if self.node_ids.count(x) > 1})[0]
            raise InputError(f"node id {dup!r} appears twice; node ids must be unique", source=_SRC, where="node_ids")
        for name in ("distance_m", "duration_s"):
            try:
                arr = np.array(getattr(self, name), dtype=float)
            except (TypeError, ValueError):
                raise InputError("must be a numeric n x n matrix", source=_SRC, where=name) from None
            if arr.shape != (n, n):
                raise InputError(
                    f"has shape {arr.shape} but node_ids has {n} entries; give an {n} x {n} matrix",
                    source=_SRC,
                    where=name,
                )
            if np.isnan(arr).any():
                i, j = map(int, np.argwhere(np.isnan(arr))[0])
                raise InputError(
                    f"is NaN at [{i}, {j}] ({self.node_ids[i]} -> {self.node_ids[j]}); use inf for unreachable pairs",
                    source=_SRC,
                    where=name,
                )
            if (arr < 0).any():
                i, j = map(int, np.argwhere(arr < 0)[0])
                raise InputError(
                    f"is negative at [{i}, {j}] ({self.node_ids[i]} -> {self.node_ids[j]})", source=_SRC, where=name
                )
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if not self.depots:
            raise InputError("no depot given; give at least one index into node_ids", source=_SRC, where="depots")
        for k, d in enumerate(self.depots):
            if not 0 <= d < n:
                raise InputError(f"depots[{k}]={d} is outside node_ids (0..{n - 1})", source=_SRC, where="depots")
        if not self.vehicle_types:
            raise InputError("no vehicle type given; give at least one VehicleType", source=_SRC, where="vehicle_types")
        names = [vt.name for vt in self.vehicle_types]
        for k, vt in enumerate(self.vehicle_types):
            if not isinstance(vt, VehicleType):
                raise InputError(f"vehicle_types[{k}] is not a VehicleType", source=_SRC, where="vehicle_types")
            if names.count(vt.name) > 1:
                raise InputError(
                    f"vehicle type name {vt.name!r} is used twice; names must be unique",
                    source=_SRC,
                    where="vehicle_types",
                )
            if vt.depot >= len(self.depots):
                raise InputError(
                    f"vehicle type {vt.name!r} has depot={vt.depot} but only {len(self.depots)} depots exist",
                    source=_SRC,
                    where="vehicle_types.depot",
                )
        seen: set[str] = set()
        depot_set = set(self.depots)
        for k, s in enumerate(self.stops):
            if not isinstance(s, Stop):
                raise InputError(f"stops[{k}] is not a Stop", source=_SRC, where="stops")
            if s.id in seen:
                raise InputError(
                    f"stop id {s.id!r} appears twice; stop ids must be unique", source=_SRC, where=f"stops[{k}].id"
                )
            seen.add(s.id)
            if s.node >= n:
                raise InputError(
                    f"stop {s.id!r} has node={s.node} outside node_ids (0..{n - 1})",
                    source=_SRC,
                    where=f"stops[{k}].node",
                )
            if s.node in depot_set:
                raise InputError(
                    f"stop {s.id!r} is at depot node {s.node}; stops must be other nodes",
                    source=_SRC,
                    where=f"stops[{k}].node",
                )

    @classmethod
    def from_matrices(
        cls,
        node_ids: Sequence[str],
        distance_m: np.ndarray,
        duration_s: np.ndarray,
        *,
        depots: Sequence[int],
        stops: Sequence[Stop],
        vehicle_types: Sequence[VehicleType],
    ) -> RoutingProblem:
        """Build a problem from matrices over ``node_ids`` (see class docs)."""
        return cls(
            tuple(node_ids),
            np.asarray(distance_m, dtype=float),
            np.asarray(duration_s, dtype=float),
            tuple(depots),
            tuple(stops),
            tuple(vehicle_types),
        )

    @property
    def num_vehicles(self) -> int:
        """Total vehicles over all types."""
        return sum(vt.count for vt in self.vehicle_types)

    def solver_nodes(self, keep: Sequence[int]):
        """The node layout both engines use for the stops ``keep``: depots, one
        open-route sink per depot that needs one (node ``-1``), then the stops.

        Returns (stops, nodes, sink_of, first_stop, real, is_sink): ``nodes`` are
        matrix indices (``-1`` for a sink), ``sink_of`` maps a depot position to
        its sink's position, ``real`` is ``nodes`` with sinks on node 0.
        """
        stops = [self.stops[i] for i in keep]
        sink_of: dict[int, int] = {}
        nodes = list(self.depots)
        for vt in self.vehicle_types:
            if vt.open_end and vt.count > 0 and vt.depot not in sink_of:
                sink_of[vt.depot] = len(nodes)
                nodes.append(-1)
        first_stop = len(nodes)
        nodes.extend(s.node for s in stops)
        real = np.array([max(x, 0) for x in nodes])
        is_sink = np.array([x < 0 for x in nodes])
        return stops, nodes, sink_of, first_stop, real, is_sink

    def depot_node(self, vehicle_type: VehicleType) -> int:
        """Matrix index of a vehicle type's depot."""
        return self.depots[vehicle_type.depot]

    def summary(self) -> str:
        """A short text description."""
        lines = [
            f"RoutingProblem: {len(self.node_ids)} nodes, {len(self.depots)} depot(s), "
            f"{len(self.stops)} stops, {self.num_vehicles} vehicles"
        ]
        for vt in self.vehicle_types:
            lines.append(f"  {vt.name}: {vt.count} x cap {vt.capacity:g} at depot {self.node_ids[self.depot_node(vt)]}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
