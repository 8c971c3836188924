"""Why a stop cannot be served: checks computed from the data, not guesses.

A stop is *feasible alone* when at least one vehicle type (with ``count > 0``)
can drive depot -> stop -> depot (or depot -> stop for open routes) within its
capacity, the stop's time window, the vehicle's duration and distance limits
and its shift. Stops that are not feasible alone are excluded before solving
and reported with the first reason below that holds for *every* vehicle type:

``unreachable``
    the stop cannot be reached from, or return to, any vehicle's depot (inf).
``capacity``
    its delivery or pickup exceeds every vehicle's capacity.
``time_window``
    even leaving at shift start and driving directly, every vehicle arrives
    after the window closes.
``shift_length``
    the direct round trip exceeds every vehicle's ``max_duration_s`` or
    ``max_distance_m``.
``no_vehicle``
    no single vehicle type passes all checks together (e.g. the type big
    enough is not available at that time, returns after its shift end, or
    no vehicle exists).

A stop that is feasible alone but left unserved by the solver gets
``penalty``: serving it cost more than its penalty, or the fleet was used up.
"""

from __future__ import annotations

import math

from citylogistics.routing.problem import RoutingProblem, Stop, VehicleType

__all__ = ["vehicle_check", "stop_reason", "CHECK_ORDER"]

CHECK_ORDER = ("unreachable", "capacity", "time_window", "shift_length", "no_vehicle")
_EPS = 1e-6


def vehicle_check(problem: RoutingProblem, vehicle_type: VehicleType, stop: Stop) -> str | None:
    """The first check (in :data:`CHECK_ORDER`) a vehicle type fails for a stop alone, or ``None``."""
    vt = vehicle_type
    depot = problem.depot_node(vt)
    d_out = problem.distance_m[depot, stop.node]
    d_back = 0.0 if vt.open_end else problem.distance_m[stop.node, depot]
    t_out = problem.duration_s[depot, stop.node] * vt.speed_factor
    t_back = 0.0 if vt.open_end else problem.duration_s[stop.node, depot] * vt.speed_factor
    if not all(math.isfinite(x) for x in (d_out, d_back, t_out, t_back)):
        return "unreachable"
    if max(stop.delivery, stop.pickup) > vt.capacity + _EPS:
        return "capacity"
    arrival = vt.shift_start_s + t_out
    start = max(arrival, stop.tw_start_s)
    if stop.tw_end_s is not None and arrival > stop.tw_end_s + _EPS:
        return "time_window"
    if vt.max_duration_s is not None and t_out + stop.service_s + t_back > vt.max_duration_s + _EPS:
        return "shift_length"
    if vt.max_distance_m is not None and d_out + d_back > vt.max_distance_m + _EPS:
        return "shift_length"
    if vt.count <= 0:
        return "no_vehicle"
    end = start + stop.service_s + t_back
    if vt.shift_end_s is not None and end > vt.shift_end_s + _EPS:
        return "no_vehicle"
    if vt.max_duration_s is not None:
        # Leaving as late as possible removes waiting; the shift start may forbid that.
        latest_leave = (stop.tw_end_s if stop.tw_end_s is not None else math.inf) - t_out
        leave = max(vt.shift_start_s, min(start - t_out, latest_leave))
        if end - leave > vt.max_duration_s + _EPS:
            return "no_vehicle"
    return None


def stop_reason(problem: RoutingProblem, stop: Stop) -> str | None:
    """Reason code why no vehicle can serve ``stop`` even alone, or ``None`` if one can."""
    fails = [vehicle_check(problem, vt, stop) for vt in problem.vehicle_types]
    if any(f is None for f in fails):
        return None
    for reason in CHECK_ORDER[:-1]:
        if all(f == reason for f in fails):
            return reason
    return "no_vehicle"
