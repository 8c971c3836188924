"""Location-routing (LRP): Prodhon's instances, a solver built from the
project's siting and routing machinery, and the rows of ``citylogistics bench lrp``.

The problem (Prins, Prodhon & Wolfler Calvo 2006)::

    min  sum_k O_k z_k  +  F * (routes)  +  sum_(i,j) on a route  c_ij
    s.t. every customer on exactly one route; a route starts and ends at one
         open depot (z_k = 1); load of a route <= Q; load of depot k <= W_k

``O_k`` opening cost, ``F`` fixed cost of a route (vehicle), ``Q`` vehicle
capacity, ``W_k`` depot capacity, ``c_ij`` the edge cost.

Rounding (``benchmarks/SOURCES.md`` of the shared set): the files say costs are
"multiplied by 100 and truncated", but the published solution of coord20-5-1
costs 54,793 only with ``c_ij = ceil(100 * euclid(i, j))`` (54,769 with floor).
The default is ``rounding="ceil"``; ``"floor"`` and ``"none"`` (100 * euclid,
unrounded) are available.

The solver (:func:`solve_lrp`):

1. **Candidate depot sets.** With at most ``max_enumerate`` depots, every set
   whose capacity covers the total demand; otherwise the set chosen by
   :class:`~citylogistics.location.models.CapacitatedFacilityLocation` (SCIP) on a
   radial cost estimate, with every set one add/drop/swap away from it.
2. **Screening.** Each set (cheapest valid lower bound first; a set whose
   bound ``opening + F * ceil(demand / Q)`` is above the best found is skipped)
   is routed with a small work budget by :func:`route_depot_set`.
3. **Finals.** The ``finalists`` best sets are routed again with a larger
   budget; the best solution found at any stage is returned.

:func:`route_depot_set` routes a fixed depot set with depot capacities
respected: a multi-depot VRP (:func:`citylogistics.routing.solver.solve`, PyVRP) that
lets the search choose each customer's depot; if a depot ends over its
capacity, a generalised-assignment MIP (SCIP via :mod:`citylogistics.location.mip`)
moves the customers whose move costs least (insertion into the depot's routes
minus removal saving) until every depot fits, then each depot is routed on
its own. The same function, given a larger budget, is the exhaustive
reference of ``benchmarks/bench_lrp.py`` (:func:`all_depot_sets`).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from citylogistics.errors import InputError, SolverError

__all__ = [
    "LRPInstance",
    "LRPSolution",
    "LRPRoute",
    "read_lrp",
    "read_lrp_solution",
    "evaluate",
    "check_solution",
    "route_depot_set",
    "solve_lrp",
    "all_depot_sets",
    "bench_lrp_rows",
    "cmd_bench_lrp",
    "ROUNDINGS",
    "BENCH_FIELDS",
]

ROUNDINGS = ("ceil", "floor", "none")
BENCH_FIELDS = ("instance", "objective", "depots_open", "routes", "seconds")


# ---------------------------------------------------------------------------
# Instance and reader
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class LRPInstance:
    """A Prodhon location-routing instance.

    Attributes
    ----------
    name
        File stem, e.g. ``"coord20-5-1"``.
    depot_xy, customer_xy
        ``m x 2`` and ``n x 2`` coordinates.
    vehicle_capacity
        ``Q``: load one route may carry.
    depot_capacity
        ``W_k`` per depot (length ``m``).
    demand
        Per customer (length ``n``).
    opening_cost
        ``O_k`` per depot (length ``m``).
    route_cost
        ``F``: fixed cost of each route.
    flag
        The file's last field (0: costs x100 "truncated", see module docs).
    source
        The file read.
    """

    name: str
    depot_xy: np.ndarray = field(repr=False)
    customer_xy: np.ndarray = field(repr=False)
    vehicle_capacity: float
    depot_capacity: np.ndarray = field(repr=False)
    demand: np.ndarray = field(repr=False)
    opening_cost: np.ndarray = field(repr=False)
    route_cost: float
    flag: int = 0
    source: str = ""

    @property
    def n_customers(self) -> int:
        return int(self.customer_xy.shape[0])

    @property
    def n_depots(self) -> int:
        return int(self.depot_xy.shape[0])

    def cost_matrix(self, rounding: str = "ceil") -> np.ndarray:
        """Edge costs over the nodes ``depots (0..m-1), customers (m..m+n-1)``."""
        if rounding not in ROUNDINGS:
            raise InputError(
                f"unknown rounding {rounding!r}; use one of {', '.join(ROUNDINGS)}",
                source="LRPInstance.cost_matrix",
                where="rounding",
            )
        xy = np.vstack([self.depot_xy, self.customer_xy])
        d = 100.0 * np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
        if rounding == "ceil":
            d = np.ceil(d - 1e-9)
        elif rounding == "floor":
            d = np.floor(d + 1e-9)
        np.fill_diagonal(d, 0.0)
        d.setflags(write=False)
        return d


def _tokens_with_lines(path: Path) -> list[tuple[str, int]]:
    if not path.is_file():
        raise InputError("file not found or not a file; check the path", source=str(path))
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror}); check its permissions", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"is not a text file (byte {exc.start} is not UTF-8); give a Prodhon .dat file", source=str(path)
        ) from None
    out: list[tuple[str, int]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        out.extend((tok, lineno) for tok in line.split())
    return out


class _Cursor:
    """Reads numbers in order and names the line and field of any problem."""

    def __init__(self, path: Path):
        self.path = path
        self.toks = _tokens_with_lines(path)
        self.pos = 0

    def _last_line(self) -> int:
        return self.toks[-1][1] if self.toks else 0

    @overload
    def number(
        self, field_name: str, *, integer: Literal[True], minimum: float | None = None, strict_min: bool = False
    ) -> int: ...

    @overload
    def number(
        self,
        field_name: str,
        *,
        integer: Literal[False] = False,
        minimum: float | None = None,
        strict_min: bool = False,
    ) -> float: ...

    def number(
        self, field_name: str, *, integer: bool = False, minimum: float | None = None, strict_min: bool = False
    ) -> float:
        """The next number; an ``int`` when ``integer``."""
        if self.pos >= len(self.toks):
            raise InputError(
                f"the file ends after line {self._last_line()}: it is truncated; take a complete copy of the instance",
                source=str(self.path),
                where=f"line {self._last_line() + 1}: {field_name}",
            )
        tok, line = self.toks[self.pos]
        self.pos += 1
        where = f"line {line}: {field_name}"
        try:
            value = float(tok)
        except ValueError:
            raise InputError(
                f"{tok!r} is not a number; give a {'whole number' if integer else 'number'}",
                source=str(self.path),
                where=where,
            ) from None
        if not math.isfinite(value):
            raise InputError(f"{tok!r} is not a finite number", source=str(self.path), where=where)
        if integer and value != int(value):
            raise InputError(f"{tok!r} must be a whole number", source=str(self.path), where=where)
        if minimum is not None and (value < minimum or (strict_min and value <= minimum)):
            rel = ">" if strict_min else ">="
            raise InputError(f"{tok} is out of range; it must be {rel} {minimum:g}", source=str(self.path), where=where)
        return int(value) if integer else value

    def where_last(self, field_name: str) -> str:
        return f"line {self.toks[self.pos - 1][1]}: {field_name}"


def read_lrp(path: str | Path) -> LRPInstance:
    """Read a Prodhon ``.dat`` file.

    Layout (one value or ``x y`` pair per line, blank lines ignored): number of
    customers ``n``; number of depots ``m``; ``m`` depot coordinates; ``n``
    customer coordinates; vehicle capacity; ``m`` depot capacities; ``n``
    demands; ``m`` opening costs; route cost; flag.

    Raises
    ------
    InputError
        Missing/unreadable file, truncated file, non-numeric or out-of-range
        value (counts below 1, negative costs or demands, a demand above the
        vehicle capacity, depots unable to hold the total demand, a flag other
        than 0/1) or trailing data, naming the line and field.
    """
    path = Path(path)
    cur = _Cursor(path)
    src = str(path)
    n = cur.number("number of customers", integer=True, minimum=1)
    m = cur.number("number of depots", integer=True, minimum=1)
    if n > 100_000 or m > 10_000:
        raise InputError(
            f"{n} customers / {m} depots is out of range for this reader (at most 100000 / 10000); "
            "check the first two lines",
            source=src,
            where="line 1-2: counts",
        )
    depot_xy = np.array([[cur.number(f"depot {k + 1} {c}") for c in ("x", "y")] for k in range(m)])
    customer_xy = np.array([[cur.number(f"customer {i + 1} {c}") for c in ("x", "y")] for i in range(n)])
    q = cur.number("vehicle capacity", minimum=0, strict_min=True)
    cap = np.array([cur.number(f"capacity of depot {k + 1}", minimum=0) for k in range(m)])
    demand = np.array([cur.number(f"demand of customer {i + 1}", minimum=0) for i in range(n)])
    for i in range(n):
        if demand[i] > q:
            raise InputError(
                f"demand {demand[i]:g} exceeds the vehicle capacity {q:g}: no route can carry it",
                source=src,
                where=f"demand of customer {i + 1}",
            )
    opening = np.array([cur.number(f"opening cost of depot {k + 1}", minimum=0) for k in range(m)])
    route_cost = cur.number("route (vehicle) cost", minimum=0)
    flag = cur.number("cost flag", integer=True, minimum=0)
    if flag not in (0, 1):
        raise InputError(f"{flag} is out of range; the flag is 0 or 1", source=src, where=cur.where_last("cost flag"))
    if cur.pos < len(cur.toks):
        tok, line = cur.toks[cur.pos]
        raise InputError(
            f"unexpected data {tok!r} after the cost flag; the counts on lines 1-2 may be wrong",
            source=src,
            where=f"line {line}: trailing data",
        )
    if cap.sum() < demand.sum():
        raise InputError(
            f"the depots hold {cap.sum():g} in all but the customers need {demand.sum():g}; no solution exists",
            source=src,
            where="depot capacities",
        )
    for a in (depot_xy, customer_xy, cap, demand, opening):
        a.setflags(write=False)
    return LRPInstance(
        name=path.stem,
        depot_xy=depot_xy,
        customer_xy=customer_xy,
        vehicle_capacity=q,
        depot_capacity=cap,
        demand=demand,
        opening_cost=opening,
        route_cost=route_cost,
        flag=int(flag),
        source=src,
    )


# ---------------------------------------------------------------------------
# Solution, evaluation and checks
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LRPRoute:
    """One route: its depot (0-based index) and customers (0-based) in order."""

    depot: int
    customers: tuple[int, ...]


@dataclass(frozen=True)
class LRPSolution:
    """A location-routing solution (depots and customers 0-based).

    Attributes
    ----------
    instance
        Instance name.
    open_depots
        Opened depots, sorted.
    routes
        The routes.
    objective
        ``opening_cost + route_fixed_cost + distance_cost``.
    rounding
        Edge-cost convention the objective uses.
    solver
        Facts about the solve: depot sets screened/finalised, seconds...
    """

    instance: str
    open_depots: tuple[int, ...]
    routes: tuple[LRPRoute, ...]
    objective: float
    opening_cost: float
    route_fixed_cost: float
    distance_cost: float
    rounding: str = "ceil"
    solver: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def summary(self) -> str:
        lines = [
            f"LRPSolution {self.instance}: objective {self.objective:,.0f} ({self.rounding} rounding)",
            f"  depots open : {', '.join(str(k + 1) for k in self.open_depots)} (1-based)",
            f"  routes      : {len(self.routes)}",
            f"  cost        : opening {self.opening_cost:,.0f} + routes {self.route_fixed_cost:,.0f} "
            f"+ distance {self.distance_cost:,.0f}",
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "objective": self.objective,
            "rounding": self.rounding,
            "open_depots": [k + 1 for k in self.open_depots],
            "routes": [{"depot": r.depot + 1, "customers": [i + 1 for i in r.customers]} for r in self.routes],
            "opening_cost": self.opening_cost,
            "route_fixed_cost": self.route_fixed_cost,
            "distance_cost": self.distance_cost,
            "solver": dict(self.solver),
            "indexing": "1-based depots and customers, as in the instance files",
        }


def _route_length(D: np.ndarray, m: int, depot: int, customers: Sequence[int]) -> float:
    nodes = [depot] + [m + i for i in customers] + [depot]
    return float(sum(D[a, b] for a, b in zip(nodes[:-1], nodes[1:])))


def evaluate(
    inst: LRPInstance,
    routes: Sequence[LRPRoute],
    *,
    rounding: str = "ceil",
    open_depots: Sequence[int] | None = None,
    solver: Mapping | None = None,
) -> LRPSolution:
    """Cost a set of routes: depots used (plus ``open_depots``) are opened."""
    D = inst.cost_matrix(rounding)
    routes = tuple(r for r in routes if r.customers)
    used = sorted({r.depot for r in routes} | set(open_depots or ()))
    opening = float(sum(inst.opening_cost[k] for k in used))
    fixed = float(inst.route_cost * len(routes))
    dist = float(sum(_route_length(D, inst.n_depots, r.depot, r.customers) for r in routes))
    return LRPSolution(
        inst.name, tuple(used), routes, opening + fixed + dist, opening, fixed, dist, rounding, dict(solver or {})
    )


def check_solution(inst: LRPInstance, sol: LRPSolution) -> list[str]:
    """Violations of the LRP constraints (empty when feasible)."""
    problems = []
    seen: dict[int, int] = {}
    load = np.zeros(inst.n_depots)
    for r, route in enumerate(sol.routes):
        if route.depot not in sol.open_depots:
            problems.append(f"route {r} starts at depot {route.depot + 1}, which is not open")
        q = float(sum(inst.demand[i] for i in route.customers))
        if q > inst.vehicle_capacity + 1e-9:
            problems.append(f"route {r} carries {q:g} > vehicle capacity {inst.vehicle_capacity:g}")
        load[route.depot] += q
        for i in route.customers:
            seen[i] = seen.get(i, 0) + 1
    for k in range(inst.n_depots):
        if load[k] > inst.depot_capacity[k] + 1e-9:
            problems.append(f"depot {k + 1} ships {load[k]:g} > capacity {inst.depot_capacity[k]:g}")
    for i in range(inst.n_customers):
        if seen.get(i, 0) != 1:
            problems.append(f"customer {i + 1} is served {seen.get(i, 0)} times")
    again = evaluate(inst, sol.routes, rounding=sol.rounding, open_depots=sol.open_depots)
    if abs(again.objective - sol.objective) > 1e-6 * max(1.0, abs(sol.objective)):
        problems.append(f"objective {sol.objective} differs from the recomputed {again.objective}")
    return problems


def read_lrp_solution(path: str | Path, inst: LRPInstance, *, rounding: str = "ceil") -> LRPSolution:
    """Read a solution file of the inria-UFF/location-routing release.

    Lines ``M Yd<k>_... 1.0`` open depot ``k``; ``V <k> 0 c1 c2 ... <n+1>`` is a
    route from depot ``k`` through customers ``c1, c2...`` (1-based; ``0`` and
    ``n+1`` mark the start and the end). Other lines are ignored.
    """
    path = Path(path)
    src = str(path)
    if not path.is_file():
        raise InputError("file not found or not a file; check the path", source=src)
    routes, opened = [], set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        where = f"line {lineno}"
        if parts[0] == "M" and len(parts) >= 2 and parts[1].startswith("Yd"):
            try:
                k = int(parts[1][2:].split("_")[0])
                on = float(parts[2]) > 0.5 if len(parts) > 2 else True
            except ValueError:
                raise InputError(f"cannot read the depot in {parts[1]!r}", source=src, where=where) from None
            if not 1 <= k <= inst.n_depots:
                raise InputError(f"depot {k} is out of range 1..{inst.n_depots}", source=src, where=where)
            if on:
                opened.add(k - 1)
        elif parts[0] == "V":
            try:
                nums = [int(x) for x in parts[1:]]
            except ValueError:
                raise InputError("a route line holds whole numbers only", source=src, where=where) from None
            if len(nums) < 3 or nums[1] != 0 or nums[-1] != inst.n_customers + 1:
                raise InputError(f"a route reads 'V depot 0 c1 ... {inst.n_customers + 1}'", source=src, where=where)
            k, cust = nums[0], nums[2:-1]
            if not 1 <= k <= inst.n_depots:
                raise InputError(f"depot {k} is out of range 1..{inst.n_depots}", source=src, where=where)
            bad = [c for c in cust if not 1 <= c <= inst.n_customers]
            if bad:
                raise InputError(f"customer {bad[0]} is out of range 1..{inst.n_customers}", source=src, where=where)
            routes.append(LRPRoute(k - 1, tuple(c - 1 for c in cust)))
    if not routes:
        raise InputError("no route lines ('V ...') found", source=src)
    return evaluate(inst, routes, rounding=rounding, open_depots=sorted(opened), solver={"source": src})


# ---------------------------------------------------------------------------
# Routing a fixed depot set
# ---------------------------------------------------------------------------
def _routing_problem(
    inst: LRPInstance,
    D: np.ndarray,
    depots: Sequence[int],
    customers: Sequence[int],
    *,
    fleet_by_capacity: bool = False,
):
    """A multi-depot VRP over ``depots`` and ``customers`` (0-based).

    Edge costs become the matrix in "metres" at 1 yuan per metre
    (``cost_per_km_cny = 1000``), the route cost the vehicles' fixed cost.
    With ``fleet_by_capacity`` depot ``k`` gets ``floor(W_k / Q)`` vehicles,
    so no depot can ship more than its capacity (stricter than needed when
    routes are not full); otherwise enough vehicles for all the demand.
    """
    from citylogistics.routing.problem import RoutingProblem, Stop, VehicleType

    m = inst.n_depots
    nodes = [k for k in depots] + [m + i for i in customers]
    ids = [f"D{k + 1}" for k in depots] + [f"C{i + 1}" for i in customers]
    sub = np.asarray(D)[np.ix_(nodes, nodes)]
    nd = len(depots)
    stops = [Stop(id=f"C{i + 1}", node=nd + j, delivery=float(inst.demand[i])) for j, i in enumerate(customers)]
    total = float(sum(inst.demand[i] for i in customers))
    count = max(1, min(len(customers), int(math.ceil(total / inst.vehicle_capacity)) + 3))
    vts = [
        VehicleType(
            name=f"veh_D{k + 1}",
            count=int(inst.depot_capacity[k] // inst.vehicle_capacity) if fleet_by_capacity else count,
            capacity=float(inst.vehicle_capacity),
            fixed_cost_cny=float(inst.route_cost),
            cost_per_km_cny=1000.0,
            depot=j,
        )
        for j, k in enumerate(depots)
    ]
    return RoutingProblem.from_matrices(ids, sub, sub, depots=range(nd), stops=stops, vehicle_types=vts)


def _solve_routes(
    inst: LRPInstance,
    D: np.ndarray,
    depots: Sequence[int],
    customers: Sequence[int],
    *,
    work_s: float,
    seed: int,
    fleet_by_capacity: bool = False,
) -> list[LRPRoute] | None:
    """Routes serving ``customers`` from ``depots``; ``None`` if some are left unserved."""
    from citylogistics.routing.solver import SolveParams, solve

    if not customers:
        return []
    problem = _routing_problem(inst, D, depots, customers, fleet_by_capacity=fleet_by_capacity)
    params = SolveParams(time_limit_s=max(2.0 * work_s, 1.0), work_limit_s=work_s, seed=seed, deterministic=True)
    plan = solve(problem, params)
    if plan.unassigned:
        return None
    routes = []
    for r in plan.routes:
        k = int(r.depot[1:]) - 1  # node ids are "D<k>" / "C<i>", 1-based
        cust = tuple(int(s[1:]) - 1 for s in r.stop_ids)
        if cust:
            routes.append(LRPRoute(k, cust))
    return routes


def _depot_loads(inst: LRPInstance, routes: Sequence[LRPRoute]) -> np.ndarray:
    load = np.zeros(inst.n_depots)
    for r in routes:
        load[r.depot] += sum(inst.demand[i] for i in r.customers)
    return load


def _move_costs(inst: LRPInstance, D: np.ndarray, depots: Sequence[int], routes: Sequence[LRPRoute]) -> dict:
    """Cost of serving each customer from each depot, relative to the routes:
    0 at its current depot; else the cheapest insertion into one of that
    depot's routes (or a new route) minus the saving of removing it from its own."""
    m = inst.n_depots
    where: dict[int, tuple[int, int]] = {}
    for r_idx, r in enumerate(routes):
        for pos, i in enumerate(r.customers):
            where[i] = (r_idx, pos)
    cost = {}
    for i, (r_idx, pos) in where.items():
        r = routes[r_idx]
        seq = [r.depot] + [m + c for c in r.customers] + [r.depot]
        a, b = seq[pos], seq[pos + 2]
        saving = D[a, m + i] + D[m + i, b] - D[a, b]
        if len(r.customers) == 1:
            saving += inst.route_cost
        for k in depots:
            if k == r.depot:
                cost[i, k] = 0.0
                continue
            best = inst.route_cost + D[k, m + i] + D[m + i, k]
            for other in routes:
                if other.depot != k:
                    continue
                s2 = [k] + [m + c for c in other.customers] + [k]
                for u, v in zip(s2[:-1], s2[1:]):
                    best = min(best, D[u, m + i] + D[m + i, v] - D[u, v])
            cost[i, k] = float(best - saving)
    return cost


def _reassign(inst: LRPInstance, depots: Sequence[int], cost: Mapping, *, seed: int) -> dict[int, int] | None:
    """Generalised assignment (SCIP): each customer to one depot of ``depots``
    within the depot capacities, least total move cost."""
    from citylogistics.location.mip import Scip

    scip = Scip(time_limit_s=10.0, seed=seed, name=f"lrp reassignment {inst.name}")
    s = scip.solver
    x = {}
    for i in range(inst.n_customers):
        for k in depots:
            x[i, k] = s.BoolVar(f"x_{i}_{k}")
        s.Add(sum(x[i, k] for k in depots) == 1)
    for k in depots:
        s.Add(sum(float(inst.demand[i]) * x[i, k] for i in range(inst.n_customers)) <= float(inst.depot_capacity[k]))
    s.Minimize(sum(cost[i, k] * v for (i, k), v in x.items()))
    status, *_ = scip.solve()
    if status not in ("optimal", "feasible"):
        return None
    return {i: next(k for k in depots if x[i, k].solution_value() > 0.5) for i in range(inst.n_customers)}


def route_depot_set(
    inst: LRPInstance,
    depots: Sequence[int],
    *,
    work_s: float = 1.0,
    seed: int = 0,
    rounding: str = "ceil",
    D: np.ndarray | None = None,
) -> LRPSolution | None:
    """Route every customer from the depot set ``depots`` (0-based) with the
    vehicle and depot capacities respected (see module docs); ``None`` when the
    set cannot hold the demand.

    Parameters
    ----------
    work_s
        Deterministic routing work per solve, in seconds of the dev machine.
    """
    depots = tuple(sorted(int(k) for k in depots))
    if not depots or float(sum(inst.depot_capacity[k] for k in depots)) < float(inst.demand.sum()) - 1e-9:
        return None
    if D is None:
        D = inst.cost_matrix(rounding)
    customers = list(range(inst.n_customers))
    routes = _solve_routes(inst, D, depots, customers, work_s=work_s, seed=seed)
    if routes is None:  # pragma: no cover - the fleet is sized for all the demand
        return None
    load = _depot_loads(inst, routes)
    if all(load[k] <= inst.depot_capacity[k] + 1e-9 for k in depots):
        return evaluate(
            inst, routes, rounding=rounding, solver={"depot_set": [k + 1 for k in depots], "method": "mdvrp"}
        )
    found: list[LRPSolution] = []
    # (1) the MDVRP's routes repaired: least-cost moves out of the overloaded depots
    assign = _reassign(inst, depots, _move_costs(inst, D, depots, routes), seed=seed)
    if assign is not None:
        rep: list[LRPRoute] = []
        complete = True
        for k in depots:
            mine = [i for i in customers if assign[i] == k]
            got = _solve_routes(inst, D, (k,), mine, work_s=max(work_s * len(mine) / len(customers), 0.1), seed=seed)
            if got is None:
                complete = False
                break
            rep += got
        if complete:
            found.append(
                evaluate(
                    inst,
                    rep,
                    rounding=rounding,
                    solver={"depot_set": [k + 1 for k in depots], "method": "mdvrp+reassignment"},
                )
            )
    # (2) a fleet of floor(W_k / Q) vehicles per depot, which cannot overload it
    if (
        sum(inst.depot_capacity[k] // inst.vehicle_capacity for k in depots) * inst.vehicle_capacity
        >= float(inst.demand.sum()) - 1e-9
    ):
        fl = _solve_routes(inst, D, depots, customers, work_s=work_s, seed=seed, fleet_by_capacity=True)
        if fl is not None:
            found.append(
                evaluate(
                    inst,
                    fl,
                    rounding=rounding,
                    solver={"depot_set": [k + 1 for k in depots], "method": "mdvrp_fleet_by_capacity"},
                )
            )
    found = [
        f for f in found if all(v <= inst.depot_capacity[k] + 1e-9 for k, v in enumerate(_depot_loads(inst, f.routes)))
    ]
    if not found:
        return None
    return min(found, key=lambda f: (f.objective, f.solver["method"]))


# ---------------------------------------------------------------------------
# The LRP solver
# ---------------------------------------------------------------------------
def _feasible(inst: LRPInstance, s: Sequence[int]) -> bool:
    return float(sum(inst.depot_capacity[k] for k in s)) >= float(inst.demand.sum()) - 1e-9


def _lower_bound(inst: LRPInstance, s: Sequence[int]) -> float:
    routes = math.ceil(float(inst.demand.sum()) / inst.vehicle_capacity - 1e-9)
    return float(sum(inst.opening_cost[k] for k in s)) + inst.route_cost * routes


def _cfl_depot_set(inst: LRPInstance, D: np.ndarray, *, seed: int, time_limit_s: float) -> tuple[int, ...]:
    """Depots chosen by the capacitated facility-location model on a radial
    estimate: serving customer ``i`` from ``k`` costs ``D[k, i]`` (half an
    out-and-back trip, as neighbours share the trip) plus its share
    ``F * d_i / Q`` of a route's fixed cost."""
    from citylogistics.location.models import CapacitatedFacilityLocation

    m = inst.n_depots
    cost = np.asarray(D)[m:, :m] + inst.route_cost * inst.demand[:, None] / inst.vehicle_capacity
    model = CapacitatedFacilityLocation.from_cost_matrix(
        [f"C{i + 1}" for i in range(inst.n_customers)],
        [f"D{k + 1}" for k in range(m)],
        cost,
        weights=inst.demand,
        capacities=inst.depot_capacity,
        fixed_cost_cny=inst.opening_cost,
        sourcing="single",
        cost_is_total=True,
        source=f"{inst.name} (LRP depot estimate)",
    )
    plan = model.solve(time_limit_s=time_limit_s, seed=seed)
    return tuple(sorted(int(s[1:]) - 1 for s in plan.open_sites))


def _candidate_sets(
    inst: LRPInstance, D: np.ndarray, *, max_enumerate: int, seed: int, time_limit_s: float
) -> tuple[list[tuple[int, ...]], tuple[int, ...] | None]:
    m = inst.n_depots
    try:
        start = _cfl_depot_set(inst, D, seed=seed, time_limit_s=time_limit_s)
    except InputError:
        start = None
    if m <= max_enumerate:
        sets = [s for r in range(1, m + 1) for s in itertools.combinations(range(m), r) if _feasible(inst, s)]
    else:
        base = set(start or range(m))
        near = {tuple(sorted(base))}
        for k in range(m):
            near.add(tuple(sorted(base ^ {k})))
            if k in base:
                for j in range(m):
                    if j not in base:
                        near.add(tuple(sorted((base - {k}) | {j})))
        sets = [s for s in near if s and _feasible(inst, s)]
    # the CFL set first (a strong incumbent prunes more), then by lower bound
    sets.sort(key=lambda s: (s != start, _lower_bound(inst, s), s))
    return sets, start


def solve_lrp(
    inst: LRPInstance,
    *,
    time_limit_s: float = 60.0,
    seed: int = 0,
    rounding: str = "ceil",
    max_enumerate: int = 6,
    finalists: int = 3,
) -> LRPSolution:
    """Solve an LRP instance (see module docs for the method).

    Parameters
    ----------
    time_limit_s
        Budget of the whole solve: about 40 % screening, 60 % finals (each
        depot set gets a work budget for two routing solves; a third, the
        repair, is needed when the free multi-depot routes overload a depot).
        Routing runs on a deterministic work budget, so the same input and
        seed give the same answer on a machine as fast as the dev machine.
    max_enumerate
        Enumerate every depot set up to this many depots.
    finalists
        Depot sets routed again with the larger budget.
    """
    if not (isinstance(time_limit_s, (int, float)) and math.isfinite(time_limit_s) and time_limit_s > 0):
        raise InputError(
            f"must be a positive number of seconds, got {time_limit_s!r}", source="solve_lrp", where="time_limit_s"
        )
    t0 = time.perf_counter()
    D = inst.cost_matrix(rounding)
    sets, start = _candidate_sets(
        inst, D, max_enumerate=max_enumerate, seed=seed, time_limit_s=max(1.0, 0.05 * time_limit_s)
    )
    if not sets:
        raise InputError(
            "no depot set can hold the total demand", source=inst.source or inst.name, where="depot capacities"
        )
    screen_s = max(0.05, 0.4 * time_limit_s / (2 * len(sets)))  # up to 2 solves a set
    screened: list[tuple[float, tuple[int, ...], LRPSolution]] = []
    best: LRPSolution | None = None
    pruned = 0
    for s in sets:
        if best is not None and _lower_bound(inst, s) >= best.objective:
            pruned += 1
            continue
        sol = route_depot_set(inst, s, work_s=screen_s, seed=seed, rounding=rounding, D=D)
        if sol is None:
            continue
        screened.append((sol.objective, s, sol))
        if best is None or sol.objective < best.objective:
            best = sol
    # the first set is never pruned and route_depot_set routes any set (the fleet is sized for the demand)
    if best is None:
        raise SolverError(f"{inst.name}: no depot set could be routed within the time limit; raise --time-limit")
    screened.sort(key=lambda t: (t[0], t[1]))
    top = screened[: max(1, finalists)]
    final_s = max(screen_s, 0.6 * time_limit_s / (2 * len(top)))
    for _, s, _ in top:
        if time.perf_counter() - t0 > 1.5 * time_limit_s:
            break
        sol = route_depot_set(inst, s, work_s=final_s, seed=seed, rounding=rounding, D=D)
        if sol is not None and sol.objective < best.objective:
            best = sol
    info = {
        "method": "depot sets screened by routing, best routed again",
        "rounding": rounding,
        "cfl_depot_set": None if start is None else [k + 1 for k in start],
        "depot_sets": len(sets),
        "screened": len(screened),
        "pruned_by_bound": pruned,
        "finalists": [[k + 1 for k in s] for _, s, _ in top],
        "screen_work_s": round(screen_s, 3),
        "final_work_s": round(final_s, 3),
        "seed": int(seed),
        "method_of_best": best.solver.get("method"),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    return evaluate(inst, best.routes, rounding=rounding, open_depots=best.open_depots, solver=info)


def all_depot_sets(
    inst: LRPInstance, *, work_s: float = 2.0, seed: int = 0, rounding: str = "ceil"
) -> dict[tuple[int, ...], LRPSolution]:
    """Every depot set that can hold the demand, each routed with
    :func:`route_depot_set` (the exhaustive reference of the benchmark)."""
    D = inst.cost_matrix(rounding)
    out = {}
    for r in range(1, inst.n_depots + 1):
        for s in itertools.combinations(range(inst.n_depots), r):
            sol = route_depot_set(inst, s, work_s=work_s, seed=seed, rounding=rounding, D=D)
            if sol is not None:
                out[s] = sol
    return out


# ---------------------------------------------------------------------------
# Benchmark rows and command line
# ---------------------------------------------------------------------------
def bench_lrp_rows(
    paths: Sequence[str | Path], *, time_limit_s: float = 60.0, seed: int = 0, rounding: str = "ceil"
) -> list[dict]:
    """Solve Prodhon files; rows ``instance, objective, depots_open, routes, seconds``.

    The objective is opening costs + route costs + edge costs ``ceil(100 *
    euclid)`` (``rounding``; see module docs). ``depots_open`` lists 1-based
    depot numbers joined by ``+``. Every file is read (and checked) before any
    is solved.
    """
    insts = [read_lrp(p) for p in paths]
    rows = []
    for inst in insts:
        t0 = time.perf_counter()
        sol = solve_lrp(inst, time_limit_s=time_limit_s, seed=seed, rounding=rounding)
        problems = check_solution(inst, sol)
        if problems:  # pragma: no cover - the solver's own invariant
            raise RuntimeError(f"{inst.name}: infeasible LRP solution: {problems[0]}")
        obj = sol.objective
        rows.append(
            {
                "instance": inst.name,
                "objective": int(round(obj)) if rounding != "none" else round(obj, 2),
                "depots_open": "+".join(str(k + 1) for k in sol.open_depots),
                "routes": len(sol.routes),
                "seconds": round(time.perf_counter() - t0, 2),
            }
        )
    return rows


def cmd_bench_lrp(args) -> int:
    """``citylogistics bench lrp``: CSV rows on stdout, the rounding stated on stderr."""
    import csv
    import sys

    rows = bench_lrp_rows(args.files, time_limit_s=args.time_limit, seed=args.seed)
    print(
        "# LRP objective = opening + route fixed costs + sum of ceil(100 * euclidean) edge costs "
        "(rounding of ../shared/benchmarks/SOURCES.md)",
        file=sys.stderr,
    )
    w = csv.DictWriter(sys.stdout, fieldnames=list(BENCH_FIELDS), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    sys.stdout.flush()
    return 0
