"""The routing problem of an order list (:class:`OrdersProblem`, its fleet
:class:`OrderVehicle`) and the independent check of a plan (:func:`check_plan`);
described in :mod:`citylogistics.routing.orders`."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from citylogistics.geo import haversine_m
from citylogistics.routing.orders_read import (
    Depot,
    OrderList,
    _echo,
    _error,
    format_clock,
)
from citylogistics.routing.problem import RoutingProblem, Stop, VehicleType

__all__ = ["OrderVehicle", "OrdersProblem", "PlanCheck", "check_plan"]


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
        if self.speed_kmh is not None and not (
            isinstance(self.speed_kmh, (int, float)) and math.isfinite(self.speed_kmh) and 0 < self.speed_kmh <= 200
        ):
            raise _error(
                f"must be a speed in km/h between 0 and 200, got {_echo(self.speed_kmh)}",
                source=f"vehicle {self.name!r}",
                where="speed_kmh",
            )


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
                raise _error(
                    f"depot id {_echo(d.id)} is also an order id; rename the depot",
                    source=d.source,
                    where=f"line {d.line}: id" if d.line else None,
                )
        if not (math.isfinite(self.circuity) and 1.0 <= self.circuity <= 5.0):
            raise _error(f"circuity must be between 1 and 5, got {self.circuity!r}", source=src, where="circuity")
        speeds = [v.speed_kmh for v in self.vehicles]
        if self.network is None and any(s is None for s in speeds):
            raise _error("without a road network every vehicle needs a speed_kmh", source=src, where="vehicles")
        if self.network is not None and len({s is None for s in speeds}) > 1:
            raise _error(
                "give every vehicle a speed_kmh, or none (then the network's road speeds are used)",
                source=src,
                where="vehicles",
            )

    # ---- locations ----------------------------------------------------
    @functools.cached_property
    def _layout(self) -> tuple[tuple[str, ...], np.ndarray, dict[str, int]]:
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
        from citylogistics.network.snap import nearest_nodes

        pts = self.node_points
        nodes, dist = nearest_nodes(self.network, pts[:, 0], pts[:, 1], return_dist=True)
        far = np.flatnonzero(dist > self.max_snap_m)
        if len(far):
            k = int(far[0])
            nd = len(self.depots)
            gname = str(self.network.graph.get("name", "the network"))
            if k < nd:
                d = self.depots[k]
                raise _error(
                    f"depot {_echo(d.id)} is {dist[k]:.0f} m from the nearest node of {gname} (limit "
                    f"{self.max_snap_m:g} m); use a network covering it or move the depot",
                    source=d.source,
                    where=f"line {d.line}: lon/lat" if d.line else None,
                )
            o = next(o for o in self.orders if self.order_node[o.id] == k)
            raise _error(
                f"order {_echo(o.id)} is {dist[k]:.0f} m from the nearest node of {gname} (limit "
                f"{self.max_snap_m:g} m): outside the network; fix the point or use a network covering it",
                source=self.orders.source,
                where=f"line {o.line}: lon/lat",
            )
        return nodes, np.asarray(dist, dtype=float)

    @property
    def _network_snap(self) -> tuple[np.ndarray, np.ndarray]:
        """:attr:`snapped` for callers that have checked there is a network."""
        snapped = self.snapped
        if snapped is None:  # pragma: no cover - callers check self.network first
            raise RuntimeError("no road network to snap to")
        return snapped

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

        nodes, access = self._network_snap
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
        # every vehicle has a speed when this is used (no network, or speeds given: checked on construction)
        return max(cast(float, v.speed_kmh) for v in self.vehicles) / 3.6

    def speed_factor(self, vehicle: OrderVehicle) -> float:
        if self.uses_network_speeds:
            return 1.0
        return self._v_ref * 3.6 / cast(float, vehicle.speed_kmh)  # set: speeds are all given or all None

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
            stops.append(
                Stop(
                    id=o.id,
                    node=self.order_node[o.id],
                    delivery=dl,
                    pickup=pk,
                    service_s=o.service_s,
                    tw_start_s=o.tw_start_s or 0.0,
                    tw_end_s=o.tw_end_s,
                )
            )
        start, end = self.shift if self.shift is not None else (0.0, None)
        types = []
        for d_idx, d in enumerate(self.depots):
            for v in self.vehicles:
                types.append(
                    VehicleType(
                        name=self.type_name(v, d),
                        count=int(v.count),
                        capacity=float(v.capacity_parcels),
                        fixed_cost_cny=v.fixed_cost_cny,
                        cost_per_km_cny=v.cost_per_km_cny,
                        cost_per_hour_cny=v.cost_per_hour_cny,
                        max_duration_s=v.max_duration_s,
                        max_distance_m=v.max_distance_m,
                        shift_start_s=start,
                        shift_end_s=end,
                        depot=d_idx,
                        co2_kg_per_km=v.co2_kg_per_km,
                        speed_factor=self.speed_factor(v),
                    )
                )
        return RoutingProblem.from_matrices(
            self.node_ids, dist, dur, depots=tuple(range(len(self.depots))), stops=stops, vehicle_types=types
        )

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

            nodes, access = self._network_snap
            uniq = list(dict.fromkeys(nodes.tolist()))
            pos = {n: i for i, n in enumerate(uniq)}
            idx = np.array([pos[n] for n in nodes.tolist()], dtype=np.int64)
            weight = "travel_time_s" if self.uses_network_speeds else "length_m"
            tm = travel_matrix(self.network, [uniq[i] for i in idx[:nd]], uniq, weight=weight).values
            t = tm[:, idx[nd:]] + access[None, nd:]
        best = np.argmin(t, axis=0)
        return {o.id: int(best[self.order_node[o.id] - nd]) for o in self.orders}

    def split_by_depot(self) -> list[OrdersProblem]:
        """One single-depot problem per depot with the orders nearest to it (empty depots left out)."""
        near = self.nearest_depot()
        out = []
        for k, d in enumerate(self.depots):
            ids = [o.id for o in self.orders if near[o.id] == k]
            if not ids:
                continue
            vehicles = tuple(dataclasses.replace(v, name=self.type_name(v, d)) for v in self.vehicles)
            out.append(
                OrdersProblem(
                    self.orders.subset(ids),
                    (d,),
                    vehicles,
                    network=self.network,
                    circuity=self.circuity,
                    shift=self.shift,
                    max_snap_m=self.max_snap_m,
                    access_speed_kmh=self.access_speed_kmh,
                )
            )
        return out

    # ---- geometry for maps ----------------------------------------------
    def road_paths(self, plan) -> dict[tuple[str, str], list[tuple[float, float]]]:
        """With a network: (from id, to id) → [(lon, lat), ...] along the roads for every leg of ``plan``."""
        if self.network is None:
            return {}
        from scipy.sparse.csgraph import dijkstra

        from citylogistics.network.lines import RoadLines
        from citylogistics.network.matrix import graph_to_csr

        G = self.network
        lines = RoadLines(G)
        nodes, _ = self._network_snap
        weight = "travel_time_s" if self.uses_network_speeds else "length_m"
        csr, order, index = graph_to_csr(G, weight)
        pts = self.node_points
        node_of = {d.id: k for k, d in enumerate(self.depots)}
        node_of.update(self.order_node)
        legs: list[tuple[str, str]] = []
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
            coords += lines.along([order[i] for i in reversed(path)])
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
        return {
            "ok": self.ok,
            "orders": self.orders,
            "served": self.served,
            "on_time": self.on_time,
            "on_time_share": round(self.on_time_share, 6),
            "violations": list(self.violations[:20]),
        }


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
        on_time += _check_route(problem, r, vt, stops, seen, v, tol_s=tol_s, tol_m=tol_m)
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


def _check_route(
    problem: RoutingProblem,
    r,
    vt: VehicleType,
    stops: Mapping[str, Stop],
    seen: dict[str, str],
    v: list[str],
    *,
    tol_s: float,
    tol_m: float,
) -> int:
    """Check one route from its stop order (see :func:`check_plan`); violations are
    appended to ``v``, stops served to ``seen``. Returns the stops served on time."""
    dist, dur = problem.distance_m, problem.duration_s
    depot = problem.depot_node(vt)
    on_time = 0
    steps = list(r.steps)
    if not steps or steps[0].type != "start" or steps[-1].type != "end":
        v.append(f"{r.vehicle}: does not start and end at the depot")
        return 0
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
            v.append(
                f"{r.vehicle}: arrival at {s.id} is {s.arrival_s:.1f} s in the plan, {arrival:.1f} s from the matrix"
            )
        if abs(d - s.distance_m) > tol_m:
            v.append(f"{r.vehicle}: distance at {s.id} is {s.distance_m:.1f} m in the plan, {d:.1f} m from the matrix")
        if s.type == "end":
            t = arrival
            break
        assert stop is not None  # a delivery or pickup step: looked up above
        start = max(arrival, stop.tw_start_s)
        inside = stop.tw_end_s is None or start <= stop.tw_end_s + 1e-6
        if inside:
            on_time += 1
        else:
            v.append(
                f"{s.id}: service starts at {format_clock(start)} after its window ends {format_clock(stop.tw_end_s)}"
            )
        t = start + stop.service_s
        if abs(t - s.departure_s) > tol_s:
            v.append(f"{r.vehicle}: departure from {s.id} is {s.departure_s:.1f} s in the plan, {t:.1f} s recomputed")
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
    return on_time
