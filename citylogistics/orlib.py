"""Readers for OR-Library location benchmarks (p-median ``pmed`` and
capacitated warehouse location ``cap``) and the rows the ``bench`` command prints.

Conventions (see ``benchmarks/SOURCES.md`` of the shared benchmark set):

* pmed: first line ``n_vertices n_edges p``, then ``i j cost`` lines, 1-based,
  undirected. When an edge appears twice the **last** occurrence wins (pmed1's
  optimum 5819 needs this). Distances are all-pairs shortest paths; every
  vertex is both a client and a candidate median.
* cap: first line ``m n`` (warehouses, customers); ``m`` lines ``capacity
  fixed_cost``; then per customer its demand followed by ``m`` costs, each the
  cost of serving the customer's **whole** demand from that warehouse. Demand
  may be split (continuous assignment) in the published optima.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from citylogistics.errors import InputError


@dataclass(frozen=True, eq=False)
class PMedInstance:
    """An OR-Library p-median instance with its shortest-path distance matrix.

    Attributes
    ----------
    name
        File stem, e.g. ``"pmed1"``.
    p
        Number of medians to open.
    distance
        ``n × n`` all-pairs shortest-path distances (float, ``inf`` if a
        vertex is unreachable).
    n_edges
        Edge count stated in the header.
    """

    name: str
    p: int
    distance: np.ndarray
    n_edges: int

    @property
    def n(self) -> int:
        return self.distance.shape[0]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(str(i + 1) for i in range(self.n))


@dataclass(frozen=True, eq=False)
class CapInstance:
    """An OR-Library capacitated warehouse location instance.

    Attributes
    ----------
    name
        File stem, e.g. ``"cap41"``.
    capacity
        Capacity of each warehouse (length ``m``).
    fixed_cost
        Opening cost of each warehouse (length ``m``).
    demand
        Demand of each customer (length ``n``).
    cost
        ``n × m`` cost of serving a customer's whole demand from a warehouse.
    """

    name: str
    capacity: np.ndarray
    fixed_cost: np.ndarray
    demand: np.ndarray
    cost: np.ndarray

    @property
    def n_customers(self) -> int:
        return self.cost.shape[0]

    @property
    def n_warehouses(self) -> int:
        return self.cost.shape[1]


def _tokens(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="ascii", errors="replace").split()
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror}); check the path", source=str(path)) from None


def read_pmed(path: str | Path) -> PMedInstance:
    """Read an OR-Library ``pmedN.txt`` file and compute shortest paths.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    PMedInstance
    """
    path = Path(path)
    tok = _tokens(path)
    try:
        n, n_edges, p = (int(t) for t in tok[:3])
    except (ValueError, IndexError):
        raise InputError("first line must be 'n_vertices n_edges p' (three integers)",
                         source=str(path), where="line 1") from None
    body = tok[3:]
    if len(body) < 3 * n_edges:
        raise InputError(f"header says {n_edges} edges but only {len(body) // 3} 'i j cost' "
                         "triples follow; the file is truncated", source=str(path))
    w = np.full((n, n), np.inf)
    for e in range(n_edges):
        try:
            i, j = int(body[3 * e]) - 1, int(body[3 * e + 1]) - 1
            c = float(body[3 * e + 2])
        except ValueError:
            raise InputError("edge line must be 'i j cost' numbers", source=str(path),
                             where=f"edge {e + 1}") from None
        if not (0 <= i < n and 0 <= j < n):
            raise InputError(f"vertex out of range 1..{n}", source=str(path), where=f"edge {e + 1}")
        # last occurrence wins (OR-Library convention), undirected
        w[i, j] = c
        w[j, i] = c
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path

    np.fill_diagonal(w, np.inf)
    finite = np.isfinite(w)
    rows, cols = np.nonzero(finite)
    # zero-cost edges must survive the sparse conversion: store them as a tiny epsilon
    vals = np.where(w[rows, cols] == 0, 1e-300, w[rows, cols])
    g = csr_matrix((vals, (rows, cols)), shape=(n, n))
    dist = shortest_path(g, method="D", directed=False)
    dist[dist < 1e-200] = 0.0
    return PMedInstance(name=path.stem, p=p, distance=dist, n_edges=n_edges)


def read_cap(path: str | Path) -> CapInstance:
    """Read an OR-Library ``capNN.txt`` file.

    A capacity written as a word (``capacity`` in capa/capb/capc) is read as
    ``nan``; pass a capacity to :func:`bench_cap_rows` for those files.
    """
    path = Path(path)
    tok = _tokens(path)
    try:
        m, n = int(tok[0]), int(tok[1])
    except (ValueError, IndexError):
        raise InputError("first line must be 'm n' (warehouses, customers)",
                         source=str(path), where="line 1") from None
    pos = 2

    def num(where: str) -> float:
        nonlocal pos
        if pos >= len(tok):
            raise InputError("file ends early; expected more numbers", source=str(path), where=where)
        t = tok[pos]
        pos += 1
        try:
            return float(t)
        except ValueError:
            return float("nan")

    cap = np.empty(m)
    fixed = np.empty(m)
    for j in range(m):
        cap[j] = num(f"warehouse {j + 1} capacity")
        fixed[j] = num(f"warehouse {j + 1} fixed cost")
    demand = np.empty(n)
    cost = np.empty((n, m))
    for i in range(n):
        demand[i] = num(f"customer {i + 1} demand")
        for j in range(m):
            cost[i, j] = num(f"customer {i + 1} cost {j + 1}")
    if np.isnan(fixed).any() or np.isnan(demand).any() or np.isnan(cost).any():
        raise InputError("non-numeric fixed cost, demand or cost found", source=str(path))
    return CapInstance(name=path.stem, capacity=cap, fixed_cost=fixed, demand=demand, cost=cost)


# ---------------------------------------------------------------- bench rows
def _row(name: str, plan, seconds: float) -> dict:
    return {
        "instance": name,
        "objective": plan.objective if plan.status in ("optimal", "feasible") else float("nan"),
        "bound": plan.bound,
        "seconds": round(seconds, 3),
        "status": plan.status,
    }


def bench_pmed_rows(paths: Sequence[str | Path], *, time_limit_s: float = 60.0) -> list[dict]:
    """Solve OR-Library p-median files; one row per file.

    Returns
    -------
    list of dict
        Keys exactly ``instance, objective, bound, seconds, status`` (status in
        optimal|feasible|infeasible|timeout). ``seconds`` includes reading and
        the shortest-path computation.
    """
    from citylogistics.location import PMedian

    rows = []
    for path in paths:
        t0 = time.perf_counter()
        inst = read_pmed(path)
        model = PMedian.from_cost_matrix(inst.ids, inst.ids, inst.distance, p=inst.p)
        plan = model.solve(time_limit_s=time_limit_s)
        rows.append(_row(inst.name, plan, time.perf_counter() - t0))
    return rows


def bench_cap_rows(paths: Sequence[str | Path], *, capacity: float | None = None,
                   time_limit_s: float = 60.0) -> list[dict]:
    """Solve OR-Library capacitated warehouse files (split sourcing, as the
    published optima); one row per file.

    Parameters
    ----------
    capacity
        Overrides every warehouse capacity (needed for capa/capb/capc whose
        files say ``capacity``).
    """
    rows = []
    for path in paths:
        t0 = time.perf_counter()
        inst = read_cap(path)
        cap = inst.capacity if capacity is None else np.full(inst.n_warehouses, float(capacity))
        if np.isnan(cap).any():
            raise InputError("warehouse capacity is not a number in this file; "
                             "pass --capacity Q", source=str(path))
        model = cap_model(inst, capacity=cap)
        plan = model.solve(time_limit_s=time_limit_s)
        rows.append(_row(inst.name, plan, time.perf_counter() - t0))
    return rows


def cap_model(inst: CapInstance, *, capacity: np.ndarray | None = None, sourcing: str = "split"):
    """Build a :class:`~citylogistics.location.CapacitatedFacilityLocation`
    from a :class:`CapInstance` (costs are whole-demand costs)."""
    from citylogistics.location import CapacitatedFacilityLocation

    cust = tuple(f"c{i + 1}" for i in range(inst.n_customers))
    wh = tuple(f"w{j + 1}" for j in range(inst.n_warehouses))
    return CapacitatedFacilityLocation.from_cost_matrix(
        cust, wh, inst.cost, weights=inst.demand,
        capacities=inst.capacity if capacity is None else capacity,
        fixed_cost_cny=inst.fixed_cost, sourcing=sourcing, cost_is_total=True,
    )
