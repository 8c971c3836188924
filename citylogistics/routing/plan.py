"""The result of a routing solve: :class:`RoutePlan`.

A plan serialises like VROOM's output: a ``units`` block, a ``summary``,
``routes[].steps[]`` (load on board *after* the step, cumulative distance) and
an ``unassigned`` list where every unserved stop carries a reason code. Plans
never import solvers.

Rounding (so the same input and seed give byte-identical JSON): metres and
seconds to 1 decimal, loads to 3 decimals, money to 2, CO2 to 3. The wall-clock
solve time lives in :attr:`RoutePlan.solve_time_s` and enters
:meth:`RoutePlan.to_dict` only with ``include_timing=True``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from citylogistics.errors import InputError

__all__ = ["REASONS", "STEP_TYPES", "Route", "RoutePlan", "SolverStats", "Step", "Unassigned"]

#: Reason codes for unserved stops, see :mod:`citylogistics.routing.solver`.
REASONS = ("capacity", "time_window", "shift_length", "unreachable", "no_vehicle", "penalty")
#: Step types; "reload" marks a return to the depot between trips.
STEP_TYPES = ("start", "delivery", "pickup", "reload", "end")

UNITS = {"distance": "m", "time": "s", "load": "parcels"}


def _r1(x: float) -> float:
    return round(float(x), 1) + 0.0


def _r2(x: float) -> float:
    return round(float(x), 2) + 0.0


def _r3(x: float) -> float:
    return round(float(x), 3) + 0.0


@dataclass(frozen=True)
class Step:
    """One event on a route.

    ``load`` is the load on board after the step; ``distance_m`` is cumulative
    from the route start; ``arrival_s`` is when the vehicle arrives (service
    starts at ``max(arrival_s, window start)``, it leaves at ``departure_s``).
    A stop with a delivery (with or without a pickup) is type ``"delivery"``;
    a pickup-only stop is ``"pickup"``. ``trip`` counts reload trips from 0.
    For an open route the ``"end"`` step is at the last stop (its id).
    """

    type: str
    id: str
    load: float
    arrival_s: float
    distance_m: float
    delivery: float = 0.0
    pickup: float = 0.0
    departure_s: float = 0.0
    trip: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "load": _r3(self.load),
            "arrival_s": _r1(self.arrival_s),
            "distance_m": _r1(self.distance_m),
            "delivery": _r3(self.delivery),
            "pickup": _r3(self.pickup),
            "departure_s": _r1(self.departure_s),
            "trip": int(self.trip),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Step:
        return cls(
            type=d["type"],
            id=d["id"],
            load=d["load"],
            arrival_s=d["arrival_s"],
            distance_m=d["distance_m"],
            delivery=d.get("delivery", 0.0),
            pickup=d.get("pickup", 0.0),
            departure_s=d.get("departure_s", d["arrival_s"]),
            trip=d.get("trip", 0),
        )


@dataclass(frozen=True)
class Route:
    """One vehicle's day: its steps and totals."""

    vehicle: str
    depot: str
    capacity: float
    distance_m: float
    duration_s: float
    steps: tuple[Step, ...]
    vehicle_type: str = ""
    fixed_cost_cny: float = 0.0
    distance_cost_cny: float = 0.0
    time_cost_cny: float = 0.0
    co2_kg: float = 0.0

    @property
    def cost_cny(self) -> float:
        return self.fixed_cost_cny + self.distance_cost_cny + self.time_cost_cny

    @property
    def stop_ids(self) -> tuple[str, ...]:
        """Ids of the stops served, in visiting order."""
        return tuple(s.id for s in self.steps if s.type in ("delivery", "pickup"))

    @property
    def trips(self) -> int:
        return 1 + sum(1 for s in self.steps if s.type == "reload")

    def to_dict(self) -> dict[str, Any]:
        return {
            "vehicle": self.vehicle,
            "depot": self.depot,
            "capacity": _r3(self.capacity),
            "distance_m": _r1(self.distance_m),
            "duration_s": _r1(self.duration_s),
            "steps": [s.to_dict() for s in self.steps],
            "vehicle_type": self.vehicle_type,
            "fixed_cost_cny": _r2(self.fixed_cost_cny),
            "distance_cost_cny": _r2(self.distance_cost_cny),
            "time_cost_cny": _r2(self.time_cost_cny),
            "co2_kg": _r3(self.co2_kg),
            "trips": self.trips,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Route:
        return cls(
            vehicle=d["vehicle"],
            depot=d["depot"],
            capacity=d["capacity"],
            distance_m=d["distance_m"],
            duration_s=d["duration_s"],
            steps=tuple(Step.from_dict(s) for s in d["steps"]),
            vehicle_type=d.get("vehicle_type", ""),
            fixed_cost_cny=d.get("fixed_cost_cny", 0.0),
            distance_cost_cny=d.get("distance_cost_cny", 0.0),
            time_cost_cny=d.get("time_cost_cny", 0.0),
            co2_kg=d.get("co2_kg", 0.0),
        )


@dataclass(frozen=True)
class Unassigned:
    """A stop that is not served and why (one of :data:`REASONS`)."""

    id: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "reason": self.reason}


#: The facts every solve records, typed fields of :class:`SolverStats`.
STATS_FIELDS = (
    "engine",
    "seed",
    "deterministic",
    "time_limit_s",
    "status",
    "objective",
    "stopped_by",
    "violations",
    "feasible",
)


@dataclass(frozen=True, eq=False)
class SolverStats(Mapping[str, Any]):
    """Facts about a solve (no wall-clock values).

    Parameters
    ----------
    engine
        ``"ortools"`` or ``"pyvrp"`` (the engine whose routes the plan holds).
    seed, deterministic, time_limit_s
        The solve parameters.
    status
        The engine's status (OR-Tools' routing status name; PyVRP
        ``"feasible"``/``"infeasible"``; ``"empty"`` with nothing to route).
    objective
        The engine's integer objective (see
        :class:`~citylogistics.routing.params.IntPolicy`), ``None`` without a
        feasible solution.
    stopped_by
        ``"solution_limit"``, ``"iteration_limit"``, ``"time_limit"``,
        ``"search_end"`` or ``"nothing_to_do"``.
    violations
        Constraints the float evaluation of the routes found broken.
    feasible
        ``not violations``.
    extra
        Engine-specific facts (``first_solution``, ``iterations``,
        ``fallback_from``, an orders check, ...).
    keys
        The keys in the order the solve recorded them, so :meth:`to_dict` (and
        ``plan.json``) keeps that order; by default the fields set, then ``extra``.

    It also reads like the mapping it replaces (``stats["status"]``,
    ``stats.get("feasible")``, ``dict(stats)``), for code written against it.
    """

    engine: str | None = None
    seed: int | None = None
    deterministic: bool | None = None
    time_limit_s: float | None = None
    status: str | None = None
    objective: int | None = None
    stopped_by: str | None = None
    violations: tuple[str, ...] = ()
    feasible: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    keys_order: tuple[str, ...] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "violations", tuple(self.violations))
        if self.keys_order is None:
            core = [
                k
                for k in STATS_FIELDS
                if getattr(self, k) is not None and (k != "violations" or self.feasible is not None or self.violations)
            ]
            object.__setattr__(self, "keys_order", tuple(core) + tuple(k for k in self.extra if k not in core))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SolverStats:
        """Stats from a mapping (``to_dict()`` output, or an engine's facts):
        the keys of :data:`STATS_FIELDS` become fields, the others ``extra``."""
        if isinstance(d, SolverStats):
            return d
        core = {k: d[k] for k in STATS_FIELDS if k in d}
        if "violations" in core:
            core["violations"] = tuple(core["violations"] or ())
        return cls(**core, extra={k: v for k, v in d.items() if k not in STATS_FIELDS}, keys_order=tuple(d))

    @property
    def _keys(self) -> tuple[str, ...]:
        # never None once __post_init__ has run
        return cast(tuple[str, ...], self.keys_order)

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        if key == "violations":
            return list(self.violations)
        return getattr(self, key) if key in STATS_FIELDS else self.extra[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data, keys in recorded order (the ``summary.solver`` block of a plan)."""
        return {k: self[k] for k in self._keys}


@dataclass(frozen=True)
class RoutePlan:
    """Routes for a fleet, with every unserved stop listed with a reason.

    Parameters
    ----------
    routes
        Used vehicles only, in a deterministic order.
    unassigned
        Unserved stops with reason codes (:data:`REASONS`).
    penalty_cny
        Sum of the penalties of unserved optional stops.
    solver
        Facts about the solve (:class:`SolverStats`; a mapping given here is
        converted).
    solve_time_s
        Wall-clock seconds of the solve (not part of ``to_dict`` by default).
    """

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...] = ()
    penalty_cny: float = 0.0
    solver: SolverStats = field(default_factory=SolverStats)
    solve_time_s: float = field(default=0.0, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.solver, SolverStats):
            object.__setattr__(self, "solver", SolverStats.from_dict(self.solver))

    # ---- totals -------------------------------------------------------
    @property
    def distance_m(self) -> float:
        return sum(r.distance_m for r in self.routes)

    @property
    def duration_s(self) -> float:
        return sum(r.duration_s for r in self.routes)

    @property
    def cost(self) -> float:
        """Total cost in yuan: vehicles, distance, time, and penalties of dropped optional stops."""
        return sum(r.cost_cny for r in self.routes) + self.penalty_cny

    @property
    def co2_kg(self) -> float:
        return sum(r.co2_kg for r in self.routes)

    def served_ids(self) -> tuple[str, ...]:
        """Ids of all served stops, route by route in visiting order."""
        return tuple(i for r in self.routes for i in r.stop_ids)

    def unassigned_ids(self) -> tuple[str, ...]:
        return tuple(u.id for u in self.unassigned)

    # ---- serialisation ------------------------------------------------
    def to_dict(self, *, include_timing: bool = False) -> dict[str, Any]:
        """The plan as plain JSON-able data (schema in the module docs)."""
        summary = {
            "cost": _r2(self.cost),
            "distance_m": _r1(self.distance_m),
            "duration_s": _r1(self.duration_s),
            "routes": len(self.routes),
            "served": len(self.served_ids()),
            "unassigned": len(self.unassigned),
            "vehicle_km": _r3(self.distance_m / 1000.0),
            "co2_kg": _r3(self.co2_kg),
            "fixed_cost_cny": _r2(sum(r.fixed_cost_cny for r in self.routes)),
            "distance_cost_cny": _r2(sum(r.distance_cost_cny for r in self.routes)),
            "time_cost_cny": _r2(sum(r.time_cost_cny for r in self.routes)),
            "penalty_cny": _r2(self.penalty_cny),
            "solver": self.solver.to_dict(),
        }
        if include_timing:
            summary["solve_time_s"] = round(float(self.solve_time_s), 3)
        return {
            "units": dict(UNITS),
            "summary": summary,
            "routes": [r.to_dict() for r in self.routes],
            "unassigned": [u.to_dict() for u in self.unassigned],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RoutePlan:
        """Rebuild a plan from :meth:`to_dict` output."""
        try:
            summary = d.get("summary", {})
            return cls(
                routes=tuple(Route.from_dict(r) for r in d["routes"]),
                unassigned=tuple(Unassigned(u["id"], u["reason"]) for u in d.get("unassigned", [])),
                penalty_cny=summary.get("penalty_cny", 0.0),
                solver=SolverStats.from_dict(summary.get("solver", {})),
                solve_time_s=summary.get("solve_time_s", 0.0),
            )
        except (KeyError, TypeError) as exc:
            raise InputError(
                f"is not a RoutePlan dict (missing {exc}); pass RoutePlan.to_dict() output",
                source="RoutePlan.from_dict",
            ) from None

    def to_json(self, path: str | os.PathLike, *, include_timing: bool = False) -> Path:
        """Write the plan as JSON atomically (temporary file, then ``os.replace``)."""
        path = Path(path)
        text = json.dumps(self.to_dict(include_timing=include_timing), ensure_ascii=False, indent=1, sort_keys=False)
        from citylogistics.fileio import atomic_write_text

        return atomic_write_text(path, text + "\n")

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> RoutePlan:
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))

    # ---- text ---------------------------------------------------------
    def summary(self) -> str:
        """A plain-text table of routes and totals."""
        eng = self.solver.get("engine", "?")  # a plan read from a file may have none
        lines = [
            f"RoutePlan ({eng}): {len(self.routes)} routes, {len(self.served_ids())} served, "
            f"{len(self.unassigned)} unassigned, cost {self.cost:.2f} CNY, "
            f"{self.distance_m / 1000:.1f} km, {self.duration_s / 3600:.2f} h, CO2 {self.co2_kg:.1f} kg",
            f"{'vehicle':<16}{'type':<12}{'stops':>6}{'trips':>6}{'km':>10}{'h':>8}{'max load':>10}{'cost CNY':>11}",
        ]
        for r in self.routes:
            max_load = max((s.load for s in r.steps), default=0.0)
            lines.append(
                f"{r.vehicle:<16}{r.vehicle_type:<12}{len(r.stop_ids):>6}{r.trips:>6}"
                f"{r.distance_m / 1000:>10.2f}{r.duration_s / 3600:>8.2f}"
                f"{max_load:>6.0f}/{r.capacity:<3.0f}{r.cost_cny:>11.2f}"
            )
        if self.unassigned:
            counts: dict[str, int] = {}
            for u in self.unassigned:
                counts[u.reason] = counts.get(u.reason, 0) + 1
            lines.append("unassigned: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
