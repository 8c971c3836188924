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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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


#: Largest p-median instance read (vertices): the distance matrix is dense
#: n x n (10,000: 800 MB); OR-Library's largest, pmed40, has 900.
MAX_VERTICES = 10_000
#: Largest capacitated instance read: warehouses, customers, and cost entries
#: (customers x warehouses); OR-Library's largest (capa/b/c) is 100 x 1,000.
MAX_WAREHOUSES = 10_000
MAX_CUSTOMERS = 100_000
MAX_COST_ENTRIES = 10_000_000
#: Largest cost, capacity or demand accepted.
MAX_VALUE = 1e12


class _Tokens:
    """Whitespace-separated tokens of a text file, each with its line number."""

    def __init__(self, path: Path):
        from citylogistics.bench.vrp_files import read_text_lines

        self.src = str(path)
        self.tok: list[str] = []
        self.line: list[int] = []
        for k, text in enumerate(read_text_lines(path, what="OR-Library instance")):
            parts = text.split()
            self.tok.extend(parts)
            self.line.extend([k + 1] * len(parts))
        self.pos = 0
        self.last_line = self.line[-1] if self.line else 1

    def where(self, field: str) -> str:
        ln = self.line[self.pos] if self.pos < len(self.line) else self.last_line
        return f"line {ln}: {field}"

    def next(
        self,
        field: str,
        *,
        integer: bool = False,
        lo: float = 0.0,
        hi: float = MAX_VALUE,
        words: tuple[str, ...] = (),
        truncated: str = "",
    ) -> float:
        """The next token as a finite number in [lo, hi] (a token in ``words`` gives nan)."""
        from citylogistics.bench.vrp_files import clip

        if self.pos >= len(self.tok):
            raise InputError(
                f"file ends before {field}; {truncated or 'the file is truncated'}",
                source=self.src,
                where=self.where(field),
            )
        t = self.tok[self.pos]
        where = self.where(field)
        self.pos += 1
        if t.lower() in words:
            return float("nan")
        try:
            v = float(t)
        except ValueError:
            raise InputError(f"is {clip(t)}, not a number; fix the value", source=self.src, where=where) from None
        if not np.isfinite(v) or (integer and v != int(v)) or not lo <= v <= hi:
            kind = "a whole number" if integer else "a number"
            raise InputError(f"is {clip(t)}; give {kind} in [{lo:g}, {hi:g}]", source=self.src, where=where)
        return v


def read_pmed(path: str | Path) -> PMedInstance:
    """Read an OR-Library ``pmedN.txt`` file and compute shortest paths.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    PMedInstance

    Raises
    ------
    InputError
        Naming the file, the line and the field: not a text file, a header
        that is not ``n edges p`` with 1 <= p <= n <= :data:`MAX_VERTICES`, an
        edge to a vertex outside 1..n, a negative or non-finite cost, fewer
        edges than the header says (truncated).
    """
    path = Path(path)
    tk = _Tokens(path)
    head = "the first line must be 'n_vertices n_edges p'"
    n = int(tk.next("n_vertices", integer=True, lo=1, hi=MAX_VERTICES, truncated=head))
    n_edges = int(tk.next("n_edges", integer=True, lo=0, hi=MAX_COST_ENTRIES, truncated=head))
    p = int(tk.next("p", integer=True, lo=1, hi=n, truncated=head))
    body = len(tk.tok) - tk.pos
    if body < 3 * n_edges:
        raise InputError(
            f"header says {n_edges} edges but only {body // 3} 'i j cost' triples follow; the file is truncated",
            source=tk.src,
            where=f"line {tk.last_line}",
        )
    w = np.full((n, n), np.inf)
    for e in range(n_edges):
        i = int(tk.next(f"edge {e + 1} vertex i", integer=True, lo=1, hi=n)) - 1
        j = int(tk.next(f"edge {e + 1} vertex j", integer=True, lo=1, hi=n)) - 1
        c = tk.next(f"edge {e + 1} cost")
        # last occurrence wins (OR-Library convention), undirected
        w[i, j] = c
        w[j, i] = c
    if tk.pos < len(tk.tok):
        raise InputError(
            f"{len(tk.tok) - tk.pos} values follow the {n_edges} edges of the header; fix n_edges "
            "(line 1) or remove the extra lines",
            source=tk.src,
            where=tk.where("extra data"),
        )
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

    Raises
    ------
    InputError
        Naming the file, the line and the field: not a text file, a header
        ``m n`` out of range (:data:`MAX_WAREHOUSES`, :data:`MAX_CUSTOMERS`,
        :data:`MAX_COST_ENTRIES`), a negative, non-finite or non-numeric value,
        a file that ends early.
    """
    path = Path(path)
    tk = _Tokens(path)
    head = "the first line must be 'm n' (warehouses, customers)"
    m = int(tk.next("m (warehouses)", integer=True, lo=1, hi=MAX_WAREHOUSES, truncated=head))
    n = int(tk.next("n (customers)", integer=True, lo=1, hi=min(MAX_CUSTOMERS, MAX_COST_ENTRIES // m), truncated=head))
    need = 2 * m + n * (m + 1)
    if len(tk.tok) - tk.pos < need:
        raise InputError(
            f"header says {m} warehouses and {n} customers ({need} numbers) but only "
            f"{len(tk.tok) - tk.pos} follow; the file is truncated",
            source=tk.src,
            where=f"line {tk.last_line}",
        )
    cap = np.empty(m)
    fixed = np.empty(m)
    for j in range(m):
        cap[j] = tk.next(f"warehouse {j + 1} capacity", words=("capacity",))
        fixed[j] = tk.next(f"warehouse {j + 1} fixed cost")
    demand = np.empty(n)
    cost = np.empty((n, m))
    for i in range(n):
        demand[i] = tk.next(f"customer {i + 1} demand")
        for j in range(m):
            cost[i, j] = tk.next(f"customer {i + 1} cost {j + 1}")
    if tk.pos < len(tk.tok):
        raise InputError(
            f"{len(tk.tok) - tk.pos} values follow the {m} warehouses and {n} customers of the header; "
            "fix line 1 or remove the extra lines",
            source=tk.src,
            where=tk.where("extra data"),
        )
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
    from citylogistics.location.models import PMedian

    rows = []
    for path in paths:
        t0 = time.perf_counter()
        inst = read_pmed(path)
        model = PMedian.from_cost_matrix(inst.ids, inst.ids, inst.distance, p=inst.p)
        plan = model.solve(time_limit_s=time_limit_s)
        rows.append(_row(inst.name, plan, time.perf_counter() - t0))
    return rows


def bench_cap_rows(
    paths: Sequence[str | Path], *, capacity: float | None = None, time_limit_s: float = 60.0
) -> list[dict]:
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
            raise InputError("warehouse capacity is not a number in this file; pass --capacity Q", source=str(path))
        model = cap_model(inst, capacity=cap)
        plan = model.solve(time_limit_s=time_limit_s)
        rows.append(_row(inst.name, plan, time.perf_counter() - t0))
    return rows


def cap_model(inst: CapInstance, *, capacity: np.ndarray | None = None, sourcing: str = "split"):
    """Build a :class:`~citylogistics.location.models.CapacitatedFacilityLocation`
    from a :class:`CapInstance` (costs are whole-demand costs)."""
    from citylogistics.location.models import CapacitatedFacilityLocation

    cust = tuple(f"c{i + 1}" for i in range(inst.n_customers))
    wh = tuple(f"w{j + 1}" for j in range(inst.n_warehouses))
    return CapacitatedFacilityLocation.from_cost_matrix(
        cust,
        wh,
        inst.cost,
        weights=inst.demand,
        capacities=inst.capacity if capacity is None else capacity,
        fixed_cost_cny=inst.fixed_cost,
        sourcing=sourcing,
        cost_is_total=True,
    )
