"""The result of a siting model: :class:`LocationPlan`.

A plan is plain data. It never imports the solvers that build it, so it can be
loaded from JSON in a report or a map without OR-Tools.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

STATUSES = ("optimal", "feasible", "infeasible", "timeout")

_SCHEMA = "citylogistics.LocationPlan/1"


def _freeze(value: Mapping | None) -> Mapping:
    return MappingProxyType(dict(value or {}))


def _num(x: float) -> float | str | None:
    """JSON-safe float: infinities and NaN become strings (JSON has none)."""
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _unnum(x: Any) -> float:
    if isinstance(x, str):
        return float(x)
    return float("nan") if x is None else float(x)


def _plain(value: Any) -> Any:
    """Turn nested mappings/tuples/numpy scalars into JSON-serialisable data."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return _num(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return _plain(value.item())
    return value


@dataclass(frozen=True)
class LocationPlan:
    """Sites to open and the site serving each demand point.

    Attributes
    ----------
    model
        Model name: ``"set_covering"``, ``"max_coverage"``, ``"p_median"``,
        ``"p_center"`` or ``"cfl_single"`` / ``"cfl_split"``.
    open_sites
        Ids of the open sites, in the model's site order.
    assignment
        Demand id -> id of the serving site, or ``None`` when the point is
        unassigned (uncovered). With split sourcing this is the site taking the
        largest share; the shares are in ``extra["split"]``.
    objective
        Objective value of the plan (the model's own units; see its docstring).
    bound
        A proven bound on the optimum (lower for minimisation, upper for
        maximisation). ``nan`` if none is known.
    gap
        Relative gap ``|objective - bound| / max(|objective|, 1e-9)``; 0 when
        proven optimal, ``inf`` when unknown.
    status
        ``"optimal"``, ``"feasible"`` (a plan, optimality not proven),
        ``"infeasible"`` or ``"timeout"`` (no plan found in time).
    covered_demand, total_demand
        Demand weight assigned (within the limit for coverage models) and total.
    covered_points, n_points
        The same in number of points.
    solve_time_s
        Wall time of the solve.
    extra
        Model-specific figures (limits, p, fixed cost, unassigned reasons, …).
    """

    model: str
    open_sites: tuple[str, ...]
    assignment: Mapping[str, str | None]
    objective: float
    bound: float
    gap: float
    status: str
    covered_demand: float
    total_demand: float
    covered_points: int
    n_points: int
    solve_time_s: float
    extra: Mapping = field(default_factory=dict)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"LocationPlan.status must be one of {STATUSES}, got {self.status!r}")
        object.__setattr__(self, "open_sites", tuple(str(s) for s in self.open_sites))
        object.__setattr__(self, "assignment", _freeze(self.assignment))
        object.__setattr__(self, "extra", _freeze(self.extra))

    # ------------------------------------------------------------------ views
    @property
    def n_open(self) -> int:
        """Number of open sites."""
        return len(self.open_sites)

    @property
    def coverage_share(self) -> float:
        """Covered demand / total demand (1.0 when there is no demand)."""
        return self.covered_demand / self.total_demand if self.total_demand > 0 else 1.0

    @property
    def unassigned(self) -> tuple[str, ...]:
        """Demand ids with no serving site."""
        return tuple(d for d, s in self.assignment.items() if s is None)

    def served_by(self, site: str) -> tuple[str, ...]:
        """Demand ids assigned to ``site``."""
        return tuple(d for d, s in self.assignment.items() if s == site)

    def summary(self) -> str:
        """A few lines a planner reads first."""
        gap = "n/a" if math.isinf(self.gap) or math.isnan(self.gap) else f"{100 * self.gap:.3f} %"
        lines = [
            f"LocationPlan[{self.model}] status={self.status}",
            f"  open sites     : {self.n_open}",
            f"  objective      : {self.objective:,.4f}",
            f"  bound          : {self.bound:,.4f} (gap {gap})",
            f"  covered demand : {self.covered_demand:,.2f} of {self.total_demand:,.2f}"
            f" ({100 * self.coverage_share:.2f} %)",
            f"  covered points : {self.covered_points} of {self.n_points}",
            f"  solve time     : {self.solve_time_s:.2f} s",
        ]
        if self.unassigned:
            lines.append(f"  unassigned     : {len(self.unassigned)} points")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    # ------------------------------------------------------------ round trip
    def to_dict(self) -> dict:
        """JSON-ready dictionary (infinities as strings ``"inf"``)."""
        return {
            "schema": _SCHEMA,
            "model": self.model,
            "status": self.status,
            "summary": {
                "objective": _num(self.objective),
                "bound": _num(self.bound),
                "gap": _num(self.gap),
                "n_open": self.n_open,
                "covered_demand": _num(self.covered_demand),
                "total_demand": _num(self.total_demand),
                "covered_points": int(self.covered_points),
                "n_points": int(self.n_points),
                "solve_time_s": _num(self.solve_time_s),
            },
            "open_sites": list(self.open_sites),
            "assignment": {str(k): v for k, v in self.assignment.items()},
            "unassigned": list(self.unassigned),
            "extra": _plain(self.extra),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> LocationPlan:
        """Inverse of :meth:`to_dict`."""
        try:
            s = d["summary"]
            return cls(
                model=str(d["model"]),
                open_sites=tuple(d["open_sites"]),
                assignment=dict(d["assignment"]),
                objective=_unnum(s["objective"]),
                bound=_unnum(s["bound"]),
                gap=_unnum(s["gap"]),
                status=str(d["status"]),
                covered_demand=_unnum(s["covered_demand"]),
                total_demand=_unnum(s["total_demand"]),
                covered_points=int(s["covered_points"]),
                n_points=int(s["n_points"]),
                solve_time_s=_unnum(s["solve_time_s"]),
                extra=dict(d.get("extra", {})),
            )
        except KeyError as exc:
            from citylogistics.errors import InputError

            raise InputError(
                f"missing key {exc.args[0]!r}; expected a dict written by LocationPlan.to_dict()",
                source="LocationPlan.from_dict",
            ) from None

    def to_json(self, path: str | os.PathLike) -> Path:
        """Write the plan as JSON atomically (temp file + rename)."""
        from citylogistics.fileio import atomic_write_text

        return atomic_write_text(Path(path), json.dumps(self.to_dict(), ensure_ascii=False, indent=1))

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> LocationPlan:
        """Read a plan written by :meth:`to_json`."""
        path = Path(path)
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except json.JSONDecodeError as exc:
            from citylogistics.errors import InputError

            raise InputError(
                f"not valid JSON ({exc.msg} at line {exc.lineno}); write it with LocationPlan.to_json()",
                source=str(path),
            ) from None
        return cls.from_dict(data)
