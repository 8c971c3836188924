"""Solve parameters and what both routing engines share.

:class:`SolveParams` (how to solve), :class:`IntPolicy` (the one float ->
integer policy of every engine: distances in decimetres rounded to nearest,
times in deciseconds rounded up, loads in 1/1000 parcel with capacities
rounded down, money in micro-yuan), :class:`RouteSpec` (an engine's answer
for one vehicle) and :func:`work_seconds` (the deterministic work budget).
Engines (:mod:`~citylogistics.routing.ortools_engine`,
:mod:`~citylogistics.routing.pyvrp_engine`) import from here, never from
:mod:`~citylogistics.routing.solver`, which chooses between them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from citylogistics.errors import InputError
from citylogistics.routing.problem import RoutingProblem, VehicleType

__all__ = ["ENGINES", "FIRST_SOLUTIONS", "IntPolicy", "RouteSpec", "SolveParams", "work_seconds"]

ENGINES = ("auto", "ortools", "pyvrp")
FIRST_SOLUTIONS = (
    "PATH_CHEAPEST_ARC",
    "PARALLEL_CHEAPEST_INSERTION",
    "SAVINGS",
    "CHRISTOFIDES",
    "LOCAL_CHEAPEST_INSERTION",
    "SWEEP",
    "AUTOMATIC",
    "BEST_INSERTION",
    "GLOBAL_CHEAPEST_ARC",
    "LOCAL_CHEAPEST_ARC",
    "FIRST_UNBOUND_MIN_VALUE",
    "PATH_MOST_CONSTRAINED_ARC",
    "LOCAL_CHEAPEST_COST_INSERTION",
    "SEQUENTIAL_CHEAPEST_INSERTION",
)


@dataclass(frozen=True)
class SolveParams:
    """How to solve.

    Parameters
    ----------
    time_limit_s
        Wall-clock budget (a safety cap in deterministic mode).
    seed
        Random seed (PyVRP; OR-Tools search is seedless but deterministic).
    deterministic
        Stop on a work limit instead of the clock, so the same input and seed
        give the same plan (see module docs).
    work_limit_s
        Deterministic mode only: the amount of search work, expressed as the
        seconds it takes on the dev machine (default: half of ``time_limit_s``,
        as calibrated). Give a ``time_limit_s`` well above it (a safety cap)
        when many small solves must stay deterministic on a loaded machine.
    engine
        ``"auto"``, ``"ortools"`` or ``"pyvrp"``.
    first_solution
        OR-Tools first-solution strategy name (e.g. ``"PATH_CHEAPEST_ARC"``);
        ``None`` picks one by variant.
    log
        Print solver progress.
    """

    time_limit_s: float = 10.0
    seed: int = 0
    deterministic: bool = True
    engine: str = "auto"
    first_solution: str | None = None
    log: bool = False
    work_limit_s: float | None = None

    def __post_init__(self) -> None:
        if self.work_limit_s is not None and not (
            isinstance(self.work_limit_s, (int, float)) and 0 < self.work_limit_s <= self.time_limit_s
        ):
            raise InputError(
                f"must be a positive number of seconds no larger than time_limit_s, got {self.work_limit_s!r}",
                source="SolveParams",
                where="work_limit_s",
            )
        if (
            not isinstance(self.time_limit_s, (int, float))
            or not self.time_limit_s > 0
            or not math.isfinite(self.time_limit_s)
        ):
            raise InputError(
                f"must be a positive number of seconds, got {self.time_limit_s!r}",
                source="SolveParams",
                where="time_limit_s",
            )
        if self.engine not in ENGINES:
            raise InputError(
                f"unknown engine {self.engine!r}; use one of {', '.join(ENGINES)}", source="SolveParams", where="engine"
            )
        if self.first_solution is not None and self.first_solution not in FIRST_SOLUTIONS:
            raise InputError(
                f"unknown first solution strategy {self.first_solution!r}; use one of {', '.join(FIRST_SOLUTIONS)}",
                source="SolveParams",
                where="first_solution",
            )
        if not isinstance(self.seed, (int, np.integer)) or isinstance(self.seed, bool) or self.seed < 0:
            raise InputError(f"must be an integer >= 0, got {self.seed!r}", source="SolveParams", where="seed")


# ---------------------------------------------------------------------------
# The one integer policy
# ---------------------------------------------------------------------------
class IntPolicy:
    """Float -> integer conversion used by every engine (see module docs)."""

    DIST_PER_M = 10  # decimetres
    TIME_PER_S = 10  # deciseconds
    LOAD_PER_PARCEL = 1000
    COST_PER_CNY = 1_000_000  # micro-yuan
    BIG = 1 << 40  # stands for inf in matrices
    REQUIRED_PENALTY = 10**13  # dropping a required stop (only if the fleet is exhausted)

    @classmethod
    def dist(cls, x_m: np.ndarray | float) -> np.ndarray:
        a = np.asarray(x_m, dtype=float) * cls.DIST_PER_M
        return np.where(np.isfinite(a), np.rint(np.minimum(a, cls.BIG)), cls.BIG).astype(np.int64)

    @classmethod
    def time(cls, x_s: np.ndarray | float) -> np.ndarray:
        a = np.asarray(x_s, dtype=float) * cls.TIME_PER_S
        return np.where(np.isfinite(a), np.ceil(np.minimum(a, cls.BIG) - 1e-6), cls.BIG).astype(np.int64)

    @classmethod
    def time_floor(cls, x_s: float) -> int:
        """For upper bounds (window ends, shift ends, limits): round down, never relaxing a limit."""
        return int(math.floor(x_s * cls.TIME_PER_S + 1e-6))

    @classmethod
    def dist_floor(cls, x_m: float) -> int:
        return int(math.floor(x_m * cls.DIST_PER_M + 1e-6))

    @classmethod
    def load(cls, parcels: float) -> int:
        return int(math.ceil(parcels * cls.LOAD_PER_PARCEL - 1e-6))

    @classmethod
    def capacity(cls, parcels: float) -> int:
        return int(math.floor(parcels * cls.LOAD_PER_PARCEL + 1e-6))

    @classmethod
    def money(cls, cny: float) -> int:
        return int(round(cny * cls.COST_PER_CNY))

    @classmethod
    def cost_per_dist_unit(cls, vt: VehicleType) -> int:
        """Cost of one decimetre in micro-yuan (1 yuan/km for unpriced types)."""
        per_km = vt.cost_per_km_cny if vt.priced else 1.0
        return int(round(per_km * cls.COST_PER_CNY / (1000 * cls.DIST_PER_M)))

    @classmethod
    def cost_per_time_unit(cls, vt: VehicleType) -> int:
        """Cost of one decisecond of route duration in micro-yuan."""
        return int(round(vt.cost_per_hour_cny * cls.COST_PER_CNY / (3600 * cls.TIME_PER_S)))

    @classmethod
    def horizon(cls, problem: RoutingProblem, stop_idx: Sequence[int]) -> int:
        """An upper bound on any useful time value (deciseconds)."""
        ends = [vt.shift_end_s for vt in problem.vehicle_types if vt.shift_end_s is not None]
        if len(ends) == len(problem.vehicle_types):
            return cls.time_floor(max(ends))
        dur = problem.duration_s
        fin = np.where(np.isfinite(dur), dur, 0.0)
        sf = max(vt.speed_factor for vt in problem.vehicle_types)
        total = max(vt.shift_start_s for vt in problem.vehicle_types)
        total += sum(problem.stops[i].service_s for i in stop_idx)
        total += 2 * sf * float(fin.max(axis=1).sum()) + 1.0
        total = max(total, max((s.tw_end_s or 0.0) for s in problem.stops) if problem.stops else 0.0)
        return min(int(cls.time(total)), cls.BIG // 4)


# ---------------------------------------------------------------------------
# Engine answers
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RouteSpec:
    """An engine's answer for one vehicle: its type and its trips (stop indices)."""

    vehicle_type: int
    trips: tuple[tuple[int, ...], ...]


def work_seconds(params: SolveParams) -> float:
    """The wall-clock seconds the deterministic work budget is calibrated to."""
    return params.work_limit_s if params.work_limit_s is not None else params.time_limit_s
