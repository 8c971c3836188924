"""Travel distance / time matrices over a road network, with an explicit node order.

All shortest paths are computed with :func:`scipy.sparse.csgraph.dijkstra` on a
CSR matrix built once per call from the graph (no per-pair networkx calls).
Parallel edges keep the smallest weight.

Unreachable policy
------------------
A pair with no path has value ``numpy.inf`` in a :class:`TravelMatrix`; a
:class:`SparseTravelMatrix` simply omits unreachable (and out-of-radius)
destinations, so a row may hold fewer than ``k`` entries. Consumers treat
``inf`` as unreachable (the routing engine reports such stops as
``unreachable``); nothing here replaces ``inf`` by a big number.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from citylogistics.errors import InputError

__all__ = [
    "CsrNetwork",
    "TravelMatrix",
    "SparseTravelMatrix",
    "travel_matrix",
    "od_matrices",
    "nearest_k",
    "graph_to_csr",
    "edge_table",
    "tree_sums",
]

#: Rows of shortest-path output computed at once (bounds memory at
#: ``_CHUNK_CELLS`` float64 cells, ~64 MB).
_CHUNK_CELLS = 8_000_000


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class TravelMatrix:
    """A dense origin × destination matrix of shortest-path costs.

    Parameters
    ----------
    values
        ``len(origins)`` × ``len(destinations)`` float array (read-only);
        ``inf`` where the destination cannot be reached.
    origins, destinations
        Node ids in row / column order.
    weight
        Edge attribute summed along paths (``"travel_time_s"``, ``"length_m"``).
    """

    values: np.ndarray
    origins: tuple
    destinations: tuple
    weight: str = "travel_time_s"
    _row: dict = field(init=False, repr=False, compare=False)
    _col: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        values = _readonly(self.values)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "origins", tuple(self.origins))
        object.__setattr__(self, "destinations", tuple(self.destinations))
        if values.ndim != 2 or values.shape != (len(self.origins), len(self.destinations)):
            raise InputError(
                f"values have shape {values.shape}, expected ({len(self.origins)}, "
                f"{len(self.destinations)}) = (origins, destinations)",
                source="TravelMatrix",
            )
        if np.isnan(values).any():
            raise InputError("values contain NaN; use inf for unreachable pairs", source="TravelMatrix")
        object.__setattr__(self, "_row", {o: i for i, o in enumerate(self.origins)})
        object.__setattr__(self, "_col", {d: j for j, d in enumerate(self.destinations)})

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    @property
    def n_unreachable(self) -> int:
        """Number of pairs with no path (``inf``)."""
        return int(np.isinf(self.values).sum())

    def loc(self, origin: Hashable, destination: Hashable) -> float:
        """Value for one (origin, destination) pair, by node id."""
        try:
            return float(self.values[self._row[origin], self._col[destination]])
        except KeyError as exc:
            raise InputError(
                f"node {exc.args[0]!r} is not in this matrix's origins/destinations", source="TravelMatrix.loc"
            ) from None

    def to_dataframe(self):
        """The matrix as a pandas DataFrame (index origins, columns destinations)."""
        import pandas as pd

        return pd.DataFrame(self.values, index=list(self.origins), columns=list(self.destinations))

    def to_dict(self) -> dict:
        """JSON-friendly dict (``null`` for unreachable)."""
        vals = [[None if not np.isfinite(v) else round(float(v), 3) for v in row] for row in self.values]
        return {
            "weight": self.weight,
            "origins": list(self.origins),
            "destinations": list(self.destinations),
            "values": vals,
        }

    def summary(self) -> str:
        finite = self.values[np.isfinite(self.values)]
        rng = f"{finite.min():.1f} .. {finite.max():.1f}" if finite.size else "-"
        return (
            f"TravelMatrix {self.shape[0]} x {self.shape[1]} of {self.weight}: "
            f"finite range {rng}, unreachable pairs {self.n_unreachable}"
        )

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True, eq=False)
class SparseTravelMatrix:
    """For each origin, its nearest destinations (CSR layout).

    Row ``i`` (origin ``origins[i]``) holds destination column indices
    ``indices[indptr[i]:indptr[i+1]]`` with costs ``values[...]``, sorted by
    cost then by destination index. Unreachable destinations and those beyond
    ``radius`` are omitted, so a row may be shorter than ``k`` or empty.
    """

    origins: tuple
    destinations: tuple
    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray
    weight: str = "travel_time_s"
    k: int | None = None
    radius: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "origins", tuple(self.origins))
        object.__setattr__(self, "destinations", tuple(self.destinations))
        indptr = np.array(self.indptr, dtype=np.int64)
        indices = np.array(self.indices, dtype=np.int64)
        values = np.array(self.values, dtype=float)
        for a in (indptr, indices, values):
            a.setflags(write=False)
        if (
            len(indptr) != len(self.origins) + 1
            or indptr[0] != 0
            or indptr[-1] != len(indices)
            or len(indices) != len(values)
            or np.any(np.diff(indptr) < 0)
        ):
            raise InputError(
                "inconsistent CSR arrays (indptr must have len(origins)+1 non-decreasing entries "
                "ending at len(indices) == len(values))",
                source="SparseTravelMatrix",
            )
        object.__setattr__(self, "indptr", indptr)
        object.__setattr__(self, "indices", indices)
        object.__setattr__(self, "values", values)

    @property
    def nnz(self) -> int:
        return int(len(self.indices))

    def row(self, origin: Hashable) -> list[tuple[Hashable, float]]:
        """``[(destination id, value), ...]`` of one origin, nearest first."""
        try:
            i = self.origins.index(origin)
        except ValueError:
            raise InputError(
                f"node {origin!r} is not an origin of this matrix", source="SparseTravelMatrix.row"
            ) from None
        s, e = self.indptr[i], self.indptr[i + 1]
        return [(self.destinations[j], float(v)) for j, v in zip(self.indices[s:e], self.values[s:e])]

    def to_scipy(self):
        """``scipy.sparse.csr_array`` (origins × destinations); absent = no entry."""
        from scipy.sparse import csr_array

        return csr_array((self.values, self.indices, self.indptr), shape=(len(self.origins), len(self.destinations)))

    def to_dataframe(self):
        """Long table: origin, destination, rank (0 = nearest), value."""
        import pandas as pd

        counts = np.diff(self.indptr)
        rows = np.repeat(np.arange(len(self.origins)), counts)
        rank = np.arange(len(self.indices)) - np.repeat(self.indptr[:-1], counts)
        o = np.array(self.origins, dtype=object)
        d = np.array(self.destinations, dtype=object)
        return pd.DataFrame(
            {
                "origin": o[rows] if len(rows) else [],
                "destination": d[self.indices] if len(rows) else [],
                "rank": rank,
                self.weight: self.values,
            }
        )

    def to_dict(self) -> dict:
        return {
            "weight": self.weight,
            "k": self.k,
            "radius": self.radius,
            "origins": list(self.origins),
            "destinations": list(self.destinations),
            "indptr": self.indptr.tolist(),
            "indices": self.indices.tolist(),
            "values": [round(float(v), 3) for v in self.values],
        }

    def summary(self) -> str:
        counts = np.diff(self.indptr)
        empty = int((counts == 0).sum())
        return (
            f"SparseTravelMatrix {len(self.origins)} origins x {len(self.destinations)} destinations of "
            f"{self.weight} (k={self.k}, radius={self.radius}): {self.nnz} entries, {empty} origins with none"
        )

    def __str__(self) -> str:
        return self.summary()


# ---------------------------------------------------------------------------
# graph -> CSR
# ---------------------------------------------------------------------------


def graph_to_csr(
    G: nx.Graph, weight: str = "travel_time_s", *, nodelist: Sequence | None = None, also: str | None = None
):
    """CSR adjacency of ``G`` weighted by an edge attribute.

    Parameters
    ----------
    G
        Graph or DiGraph (multigraphs allowed: the smallest weight is kept).
    weight
        Edge attribute; every edge must have a finite value > 0.
    nodelist
        Node order (default ``list(G)``).
    also
        A second attribute taken from the same (minimum-``weight``) edge,
        returned as a CSR with the same structure.

    Returns
    -------
    (csr, nodes, index) or (csr, csr_also, nodes, index)
    """
    from scipy.sparse import csr_array

    nodes = list(G) if nodelist is None else list(nodelist)
    index = {n: i for i, n in enumerate(nodes)}
    edges = list(G.edges())
    try:
        uv = np.array([(index[a], index[b]) for a, b in edges], dtype=np.int64).reshape(-1, 2)
    except KeyError as exc:
        raise InputError(f"node {exc.args[0]!r} is not in nodelist", source="graph_to_csr") from None
    u, v = uv[:, 0], uv[:, 1]
    w = _edge_values(G, weight, positive=True, edges=edges)
    w2 = _edge_values(G, also, positive=False, edges=edges) if also else np.zeros(len(edges))
    if not G.is_directed():
        u, v = np.concatenate([u, v]), np.concatenate([v, u])
        w = np.concatenate([w, w])
        w2 = np.concatenate([w2, w2])
    # keep the minimum weight per (u, v); ties by the second attribute
    keys = u * len(nodes) + v
    order = np.lexsort((w2, w, keys)) if also else np.lexsort((w, keys))
    keys, u, v, w, w2 = keys[order], u[order], v[order], w[order], w2[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    u, v, w = u[first], v[first], w[first]
    shape = (len(nodes), len(nodes))
    csr = csr_array((w, (u, v)), shape=shape)
    csr.sort_indices()
    if also:
        csr2 = csr_array((w2[first], (u, v)), shape=shape)
        csr2.sort_indices()
        return csr, csr2, nodes, index
    return csr, nodes, index


def _edge_values(G: nx.Graph, attr: str, *, positive: bool, edges: list) -> np.ndarray:
    raw = [d for _, _, d in G.edges(data=attr)]
    try:
        vals = np.array(raw, dtype=float)
    except (TypeError, ValueError):
        vals = np.array([_as_float(x) for x in raw], dtype=float)
    bad = ~np.isfinite(vals) | ((vals <= 0) if positive else (vals < 0))
    if bad.any():
        k = int(np.argmax(bad))
        a, b = edges[k]
        need = "positive finite" if positive else "finite non-negative"
        raise InputError(
            f"edge attribute {attr!r} is {raw[k]!r}; every edge needs a {need} {attr}",
            source=G.graph.get("name", "<graph>"),
            where=f"edge ({a!r}, {b!r})",
        )
    return vals


def _as_float(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


@dataclass(frozen=True, eq=False)
class CsrNetwork:
    """A road network converted once to CSR for repeated matrix queries.

    :func:`travel_matrix` and :func:`nearest_k` accept it in place of the
    graph (the conversion costs ~0.2 s on the 27k-node province network).
    The weight is fixed at construction.
    """

    csr: object
    nodes: tuple
    weight: str
    directed: bool
    name: str = "<graph>"
    index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "index", {n: i for i, n in enumerate(self.nodes)})

    @classmethod
    def from_graph(cls, G: nx.Graph, *, weight: str = "travel_time_s") -> CsrNetwork:
        csr, nodes, _index = graph_to_csr(G, weight)
        return cls(
            csr=csr,
            nodes=tuple(nodes),
            weight=weight,
            directed=G.is_directed(),
            name=str(G.graph.get("name", "<graph>")),
        )

    @property
    def graph(self) -> dict:  # so error messages can name it like a networkx graph
        return {"name": self.name}


def _prepare(G, weight: str):
    if isinstance(G, CsrNetwork):
        if weight != G.weight:
            raise InputError(
                f"this CsrNetwork was built for weight {G.weight!r}, not {weight!r}; build another "
                "with CsrNetwork.from_graph(G, weight=...)",
                source=G.name,
            )
        return G.csr, G.index, G.directed, weight
    csr, _nodes, index = graph_to_csr(G, weight)
    return csr, index, G.is_directed(), weight


def _indices(index: dict, ids: Sequence, what: str, G: nx.Graph) -> np.ndarray:
    out = np.empty(len(ids), dtype=np.int64)
    for k, n in enumerate(ids):
        i = index.get(n)
        if i is None:
            raise InputError(
                f"{what} node {n!r} is not in the network; snap points to it first with "
                "citylogistics.network.snap.nearest_nodes",
                source=G.graph.get("name", "<graph>"),
                where=f"{what}[{k}]",
            )
        out[k] = i
    return out


def _dijkstra_rows(
    csr, sources: np.ndarray, *, directed: bool = True, limit: float = np.inf, cols: np.ndarray | None = None
):
    """Yield (row slice, block of distances) in chunks bounded in memory.

    The CSR from :func:`graph_to_csr` already holds both directions of an
    undirected edge, so the search always runs as directed (faster in scipy).
    """
    from scipy.sparse.csgraph import dijkstra

    n = csr.shape[0]
    step = max(1, _CHUNK_CELLS // max(n, 1))
    for s in range(0, len(sources), step):
        block = dijkstra(csr, directed=True, indices=sources[s : s + step], limit=limit)
        block = np.atleast_2d(block)
        yield slice(s, s + len(block)), (block if cols is None else block[:, cols])


def travel_matrix(
    G: nx.Graph, origins: Sequence, destinations: Sequence | None = None, *, weight: str = "travel_time_s"
) -> TravelMatrix:
    """Shortest-path costs between origin and destination nodes.

    Runs one Dijkstra per origin or per destination (whichever list is
    shorter; from destinations on the reversed graph), in memory-bounded
    chunks.

    Parameters
    ----------
    G
        Road network (Graph or DiGraph) whose edges carry ``weight``.
    origins
        Node ids (rows).
    destinations
        Node ids (columns); default: the origins (square matrix).
    weight
        Edge attribute to sum.

    Returns
    -------
    TravelMatrix
        ``inf`` for unreachable pairs.
    """
    origins = list(origins)
    destinations = origins if destinations is None else list(destinations)
    csr, index, directed, weight = _prepare(G, weight)
    oi = _indices(index, origins, "origin", G)
    di = _indices(index, destinations, "destination", G)
    out = np.empty((len(oi), len(di)), dtype=float)
    if len(oi) and len(di):
        if len(oi) <= len(di):
            for sl, block in _dijkstra_rows(csr, oi, directed=directed, cols=di):
                out[sl] = block
        else:
            rev = csr.T.tocsr() if directed else csr
            for sl, block in _dijkstra_rows(rev, di, directed=directed, cols=oi):
                out[:, sl] = block.T
    return TravelMatrix(values=out, origins=tuple(origins), destinations=tuple(destinations), weight=weight)


def od_matrices(G: nx.Graph, nodes: Sequence, *, weight: str = "travel_time_s") -> tuple[TravelMatrix, TravelMatrix]:
    """Time and length matrices measured along the same paths.

    The paths are the shortest paths by ``weight`` (default travel time);
    ``length_m`` (or ``travel_time_s`` when ``weight="length_m"``) is then
    summed along exactly those paths, so a route's time and distance describe
    the same roads. Where several paths tie on ``weight``, the one scipy's
    Dijkstra returns is used.

    Returns
    -------
    (time_s, length_m)
        Two :class:`TravelMatrix` over ``nodes`` × ``nodes``; ``inf`` where
        unreachable.
    """
    from scipy.sparse.csgraph import dijkstra

    nodes = list(nodes)
    other = "length_m" if weight == "travel_time_s" else "travel_time_s"
    csr, csr2, _all, index = graph_to_csr(G, weight, also=other)
    idx = _indices(index, nodes, "node", G)
    n_all = csr.shape[0]
    table = edge_table(csr2)
    prim = np.empty((len(idx), len(idx)))
    sec = np.empty((len(idx), len(idx)))
    step = max(1, _CHUNK_CELLS // (4 * max(n_all, 1)))
    for s in range(0, len(idx), step):
        src = idx[s : s + step]
        dist, pred = dijkstra(csr, directed=True, indices=src, return_predecessors=True)
        dist = np.atleast_2d(dist)
        prim[s : s + len(src)] = dist[:, idx]
        sec[s : s + len(src)] = tree_sums(np.atleast_2d(pred), dist, table)[:, idx]
    a = TravelMatrix(values=prim, origins=tuple(nodes), destinations=tuple(nodes), weight=weight)
    b = TravelMatrix(values=sec, origins=tuple(nodes), destinations=tuple(nodes), weight=other)
    return (a, b) if weight == "travel_time_s" else (b, a)


def edge_table(csr) -> tuple[np.ndarray, np.ndarray, int]:
    """An edge attribute as a sorted lookup table: (keys ``u * n + v``, values, n)."""
    n_all = csr.shape[0]
    rows = np.repeat(np.arange(n_all, dtype=np.int64), np.diff(csr.indptr))
    keys = rows * n_all + csr.indices.astype(np.int64)
    order = np.argsort(keys, kind="stable")
    return keys[order], np.asarray(csr.data, dtype=float)[order], n_all


def tree_sums(pred: np.ndarray, dist: np.ndarray, table: tuple[np.ndarray, np.ndarray, int]) -> np.ndarray:
    """Sum of an edge attribute along shortest-path trees.

    ``pred`` and ``dist`` are scipy Dijkstra's predecessor and distance rows
    (one per source, over all graph nodes), ``table`` an :func:`edge_table`
    of the attribute to sum (for example ``length_m`` along fastest paths).
    Returns an array like ``dist``: 0 at each source, ``inf`` where
    unreachable. Vectorised by pointer doubling, so a tree of depth ``d``
    costs ``log2(d)`` passes over the rows.
    """
    keys, vals, n_all = table
    pred = np.asarray(pred).astype(np.int64)
    dist = np.asarray(dist)
    # Work only on the nodes some row reaches (a search cut by ``limit`` reaches few):
    # a reached node's predecessor is reached too, so the trees stay inside these columns.
    cols = np.flatnonzero(np.isfinite(dist).any(axis=0))
    local = np.full(n_all, -1, dtype=np.int64)
    local[cols] = np.arange(len(cols))
    sub = pred[:, cols]
    has = sub >= 0
    acc = np.zeros(sub.shape)
    tgt = np.broadcast_to(cols, sub.shape)
    acc[has] = vals[np.searchsorted(keys, sub[has] * n_all + tgt[has])]
    # pointer doubling: acc[v] += acc[p[v]], p[v] = p[p[v]]
    p = np.where(has, local[np.where(has, sub, 0)], -1)
    r = np.arange(sub.shape[0])[:, None]
    while (p >= 0).any():
        live = p >= 0
        pp = np.where(live, p, 0)
        acc = acc + np.where(live, acc[r, pp], 0.0)
        p = np.where(live, p[r, pp], -1)
    out = np.full(dist.shape, np.inf)
    out[:, cols] = acc
    out[~np.isfinite(dist)] = np.inf
    return out


def nearest_k(
    G: nx.Graph,
    origins: Sequence,
    destinations: Sequence,
    *,
    k: int = 10,
    weight: str = "travel_time_s",
    radius: float | None = None,
) -> SparseTravelMatrix:
    """Each origin's ``k`` nearest destinations (optionally within ``radius``).

    Dijkstra runs from whichever side is smaller: from the destinations over
    the reversed graph (typical: many villages, fewer candidate stations) with
    a running top-``k`` merge per block, or from the origins. Searches stop at
    ``radius`` when given (``scipy`` ``limit``). Ties are broken by destination
    order, so the result is deterministic (for ``k=1`` a single multi-source
    search is used and an exact tie may pick either destination).

    Parameters
    ----------
    G
        Road network.
    origins, destinations
        Node ids.
    k
        Destinations kept per origin (``None``: all within ``radius``).
    weight
        Edge attribute to sum.
    radius
        Keep only destinations with cost ``<= radius`` (same unit as weight).

    Returns
    -------
    SparseTravelMatrix
        Unreachable and out-of-radius destinations are omitted.
    """
    if k is None and radius is None:
        raise InputError(
            "give k, radius or both (k=None and radius=None would be a dense matrix; use travel_matrix)",
            source="nearest_k",
        )
    if k is not None and (int(k) != k or k < 1):
        raise InputError(f"k is {k!r}; give an integer >= 1", source="nearest_k", where="k")
    if radius is not None and not (radius >= 0):
        raise InputError(f"radius is {radius!r}; give a number >= 0", source="nearest_k", where="radius")
    origins, destinations = list(origins), list(destinations)
    csr, index, directed, weight = _prepare(G, weight)
    oi = _indices(index, origins, "origin", G)
    di = _indices(index, destinations, "destination", G)
    no, nd = len(oi), len(di)
    kk = nd if k is None else min(int(k), nd)
    radius_limit = np.inf if radius is None else float(radius)
    o_idx = np.zeros(0, dtype=np.int64)
    d_idx = np.zeros(0, dtype=np.int64)
    vals = np.zeros(0)
    if no and nd and kk == 1:
        o_idx, d_idx, vals = _nearest_one(csr, directed, oi, di, radius_limit)
    elif no and nd and kk:
        if nd <= no:
            o_idx, d_idx, vals = _reverse_topk(csr, directed, oi, di, kk, radius)
        else:
            o_idx, d_idx, vals = _forward_topk(csr, oi, di, kk, radius_limit)
        order = np.lexsort((d_idx, vals, o_idx))
        o_idx, d_idx, vals = o_idx[order], d_idx[order], vals[order]
    counts = np.bincount(o_idx, minlength=no)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    return SparseTravelMatrix(
        origins=tuple(origins),
        destinations=tuple(destinations),
        indptr=indptr,
        indices=d_idx,
        values=vals,
        weight=weight,
        k=None if k is None else int(k),
        radius=radius,
    )


def _nearest_one(csr, directed: bool, oi: np.ndarray, di: np.ndarray, radius_limit: float):
    """Each origin's nearest destination by one multi-source search (scipy ``min_only``), as triplets."""
    from scipy.sparse.csgraph import dijkstra

    nd = len(di)
    rev = csr.T.tocsr() if directed else csr
    dist, _pred, src = dijkstra(
        rev, directed=True, indices=di, min_only=True, return_predecessors=True, limit=radius_limit
    )
    dpos = np.full(csr.shape[0], -1, dtype=np.int64)
    dpos[di[::-1]] = np.arange(nd)[::-1]  # duplicate destinations: the first one
    v1, s1 = dist[oi], src[oi]
    ok = np.isfinite(v1) & (s1 >= 0)
    return np.flatnonzero(ok), dpos[s1[ok]], v1[ok]


def _reverse_topk(csr, directed: bool, oi: np.ndarray, di: np.ndarray, kk: int, radius: float | None):
    """k nearest destinations of each origin, searching from the destinations (triplets, unsorted).

    Phase 1: searches from the destinations over the reversed graph, bounded by
    ``radius`` or by :func:`_estimate_limit`; phase 2: exact full searches for
    the origins with fewer than ``kk`` found inside an estimated bound.
    """
    no = len(oi)
    radius_limit = np.inf if radius is None else float(radius)
    rev = csr.T.tocsr() if directed else csr
    limit = radius_limit if radius is not None else _estimate_limit(csr, oi, di, kk)
    acc = _TopK(no, kk)
    unique_origins = len(np.unique(oi)) == no
    pos = np.full(csr.shape[0], -1, dtype=np.int64)
    pos[oi] = np.arange(no)
    for sl, block in _dijkstra_rows(rev, di, limit=limit, cols=None if unique_origins else oi):
        jj, nn = np.nonzero(np.isfinite(block))
        if unique_origins:
            # work on the full rows (no column copy): keep the origin nodes
            ii = pos[nn]
            ok = ii >= 0
            jj, nn, ii = jj[ok], nn[ok], ii[ok]
        else:
            ii = nn
        acc.add(ii, jj + sl.start, block[jj, nn])
    o_idx, d_idx, vals = acc.result()
    if radius is None and np.isfinite(limit):
        found = np.bincount(o_idx, minlength=no)
        short = np.flatnonzero(found < kk)
        if len(short):
            o2, d2, v2 = _forward_topk(csr, oi[short], di, kk, np.inf)
            keep = ~np.isin(o_idx, short)
            o_idx = np.concatenate([o_idx[keep], short[o2]])
            d_idx = np.concatenate([d_idx[keep], d2])
            vals = np.concatenate([vals[keep], v2])
    return o_idx, d_idx, vals


class _TopK:
    """Accumulates (origin, destination, value) triplets, compacting to the k
    best per origin (ties: lower destination index) when the buffer grows."""

    def __init__(self, n_origins: int, k: int, max_buffer: int = 8_000_000):
        self.k, self.max_buffer = k, max_buffer
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.size = 0

    def add(self, o: np.ndarray, d: np.ndarray, v: np.ndarray) -> None:
        self.parts.append((o.astype(np.int64), d.astype(np.int64), v.astype(float)))
        self.size += len(o)
        if self.size > self.max_buffer:
            self.parts = [self.result()]
            self.size = len(self.parts[0][0])

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        o = np.concatenate([p[0] for p in self.parts])
        d = np.concatenate([p[1] for p in self.parts])
        v = np.concatenate([p[2] for p in self.parts])
        order = np.lexsort((d, v, o))
        o, d, v = o[order], d[order], v[order]
        starts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
        rank = np.arange(len(o)) - np.repeat(starts, np.diff(np.r_[starts, len(o)]))
        keep = rank < self.k
        return o[keep], d[keep], v[keep]


def _forward_topk(csr, sources: np.ndarray, di: np.ndarray, k: int, limit: float):
    """k nearest destinations of each source by full searches (triplets)."""
    acc = _TopK(len(sources), k)
    for sl, block in _dijkstra_rows(csr, sources, limit=limit, cols=di):
        if k < block.shape[1]:
            part = np.argpartition(block, k - 1, axis=1)[:, :k]
            # include every column tied with the k-th value so ties resolve by destination index
            kth = np.take_along_axis(block, part, axis=1).max(axis=1, keepdims=True)
            ii, jj = np.nonzero((block <= kth) & np.isfinite(block))
        else:
            ii, jj = np.nonzero(np.isfinite(block))
        acc.add(ii + sl.start, jj, block[ii, jj])
    return acc.result()


def _estimate_limit(csr, oi: np.ndarray, di: np.ndarray, k: int, n_sample: int = 64) -> float:
    """A search bound covering the k-th nearest destination of most origins.

    Full searches from up to ``n_sample`` evenly spaced origins give their k-th
    nearest cost; the bound is 1.25 × the 95th percentile. Origins whose k
    nearest lie beyond it are completed exactly in phase 2, so the bound only
    affects speed, never the result.
    """
    if len(oi) <= n_sample:
        return np.inf
    pick = oi[np.linspace(0, len(oi) - 1, n_sample).astype(np.int64)]
    rows = []
    for _sl, block in _dijkstra_rows(csr, pick, cols=di):
        rows.append(np.sort(block, axis=1)[:, k - 1])
    kth = np.concatenate(rows)
    kth = kth[np.isfinite(kth)]
    if not len(kth):
        return np.inf
    return float(np.quantile(kth, 0.95) * 1.25)
