"""Tidy an imported road graph: keep its largest part, merge chains of degree-2
nodes keeping their geometry, and write the edges' final attributes.

While a graph is being imported (:mod:`citylogistics.network.osm_import`) each
edge carries, besides ``length_m`` / ``travel_time_s`` (rounded to 0.1), its
unrounded ``_len`` (m) and ``_time`` (s) and, when geometry is kept, ``_xy``:
the road polyline from ``u`` to ``v`` as an (n, 2) lon/lat array. Merging sums
the unrounded values and joins the polylines; :func:`finish_edges` then drops
the working attributes and writes ``geometry`` as WKT
(``LINESTRING (lon lat, …)``, 7 decimals, about 1 cm), which GraphML stores as
a string and ``shapely.from_wkt`` reads back.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

__all__ = ["keep_largest_part", "merge_chains", "finish_edges"]


def keep_largest_part(G: nx.Graph) -> int:
    """Keep the largest strongly connected part of a DiGraph (connected part of a
    Graph), in place; ties go to the part with the smallest node id. Returns the
    number of nodes dropped.

    Strong connectivity is what routing needs on one-way streets: every kept
    node can reach, and be reached from, every other.
    """
    if G.number_of_nodes() == 0:
        return 0
    parts = nx.strongly_connected_components(G) if G.is_directed() else nx.connected_components(G)
    parts = sorted(parts, key=lambda c: (-len(c), min(c)))
    dropped = [n for c in parts[1:] for n in c]
    G.remove_nodes_from(dropped)
    return len(dropped)


def _oriented(G: nx.Graph, u, v) -> np.ndarray | None:
    """Polyline of edge (u, v) running from u to v (undirected edges may be stored either way)."""
    xy = G.edges[u, v].get("_xy")
    if xy is None or G.is_directed():
        return xy
    x, y = G.nodes[u]["x"], G.nodes[u]["y"]
    if np.hypot(xy[0, 0] - x, xy[0, 1] - y) > np.hypot(xy[-1, 0] - x, xy[-1, 1] - y):
        return xy[::-1]
    return xy


def _chains_through(G: nx.Graph, n) -> list[tuple] | None:
    """The (a, n, b) pairs of edges to merge at node ``n``, or None if ``n`` must stay."""
    if G.nodes[n].get("kind") != "junction":
        return None

    def cls(u, v):
        return G.edges[u, v]["road_class"]

    if not G.is_directed():
        nb = list(G.neighbors(n))
        if len(nb) != 2 or nb[0] == nb[1] or n in nb or G.has_edge(nb[0], nb[1]):
            return None
        a, b = sorted(nb)
        return [(a, n, b)] if cls(a, n) == cls(n, b) else None
    preds, succs = set(G.predecessors(n)), set(G.successors(n))
    if n in preds or n in succs:
        return None
    if len(preds) == 1 and len(succs) == 1 and preds != succs:  # one-way street
        (a,), (b,) = preds, succs
        ok = cls(a, n) == cls(n, b) and not G.has_edge(a, b)
        return [(a, n, b)] if ok else None
    if len(preds) == 2 and preds == succs:  # two-way street: both directions merge together
        a, b = sorted(preds)
        ok = cls(a, n) == cls(n, b) and cls(b, n) == cls(n, a) and not G.has_edge(a, b) and not G.has_edge(b, a)
        return [(a, n, b), (b, n, a)] if ok else None
    return None


def _joined_name(x: str, y: str) -> str:
    parts = [p for p in dict.fromkeys([*x.split("; "), *y.split("; ")]) if p]
    return "; ".join(parts)


def _merged(G: nx.Graph, a, n, b) -> dict:
    e1, e2 = G.edges[a, n], G.edges[n, b]
    length = e1["_len"] + e2["_len"]
    time = e1["_time"] + e2["_time"]
    d = {
        "length_m": round(length, 1),
        "travel_time_s": round(max(time, 0.1), 1),
        "road_class": e1["road_class"],
        "_len": length,
        "_time": time,
    }
    name = _joined_name(str(e1.get("name", "")), str(e2.get("name", "")))
    if name:
        d["name"] = name
    x1, x2 = _oriented(G, a, n), _oriented(G, n, b)
    if x1 is not None and x2 is not None:
        d["_xy"] = np.vstack([x1, x2[1:]])
    return d


def merge_chains(G: nx.Graph) -> int:
    """Merge chains of degree-2 junctions, in place; returns the number of nodes removed.

    A junction is merged away when it only continues one road: in a DiGraph,
    one edge in and one out (a one-way street) or the same two neighbours in
    and out (a two-way street), in an undirected graph two neighbours; the two
    edges have the same ``road_class`` and no edge joins the neighbours
    already (a simple graph keeps one edge per direction). The new edge's
    length and time are the sums, its polyline the two joined, its name the
    two names (``"; "``-joined when they differ). Settlement nodes
    (``kind`` other than ``junction``) always stay.
    """
    removed = 0
    changed = True
    while changed:
        changed = False
        for n in sorted(G.nodes, key=str):
            if n not in G:
                continue
            chains = _chains_through(G, n)
            if not chains:
                continue
            new = [(a, b, _merged(G, a, n, b)) for a, n_, b in chains]
            G.remove_node(n)
            for a, b, d in new:
                G.add_edge(a, b, **d)
            removed += 1
            changed = True
    return removed


def _wkt(xy: np.ndarray) -> str:
    return "LINESTRING (" + ", ".join(f"{x:.7f} {y:.7f}" for x, y in xy) + ")"


def finish_edges(G: nx.Graph, *, geometry: bool) -> None:
    """Drop the working attributes; with ``geometry``, write each edge's polyline as WKT."""
    for u, v, d in G.edges(data=True):
        xy = _oriented(G, u, v) if geometry else None
        for k in ("_len", "_time", "_xy"):
            d.pop(k, None)
        if xy is not None:
            d["geometry"] = _wkt(xy)
