"""Paths drawn along the roads: a path of graph nodes as the polyline its roads follow.

An edge with a WKT ``geometry`` (imported streets whose degree-2 chains were
merged, see :mod:`citylogistics.network.simplify`) is drawn along that
polyline; any other edge is the straight segment between its two nodes, which
for the OSM major roads is the source's own resolution (its edges are straight
segments between its nodes).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import networkx as nx
import numpy as np
import shapely


class RoadLines:
    """The road polylines of a graph's edges, looked up by (from node, to node).

    Parameters
    ----------
    G
        Road network (``x``/``y`` on nodes; optional WKT ``geometry`` on edges).
    """

    def __init__(self, G: nx.Graph) -> None:
        self._xy = {n: (float(d["x"]), float(d["y"])) for n, d in G.nodes(data=True)}
        self._lines: dict[tuple[Hashable, Hashable], np.ndarray] = {}
        for u, v, d in G.edges(data=True):
            wkt = d.get("geometry")
            if not wkt:
                continue
            xy = np.asarray(shapely.from_wkt(str(wkt)).coords, dtype=float)[:, :2]
            if len(xy) < 2:
                continue
            # Orient the polyline from u (a merged undirected chain may be stored either way).
            ux, uy = self._xy[u]
            if np.hypot(*(xy[0] - (ux, uy))) > np.hypot(*(xy[-1] - (ux, uy))):
                xy = xy[::-1]
            self._lines[(u, v)] = xy
            if not G.is_directed():
                self._lines.setdefault((v, u), xy[::-1])

    @property
    def has_geometry(self) -> bool:
        """Whether any edge carries its own polyline."""
        return bool(self._lines)

    def along(self, path: Sequence[Hashable]) -> list[tuple[float, float]]:
        """(lon, lat) points of ``path`` (node ids) along its roads, each point once."""
        if not path:
            return []
        out = [self._xy[path[0]]]
        for a, b in zip(path, path[1:]):
            xy = self._lines.get((a, b))
            if xy is None:
                out.append(self._xy[b])
                continue
            # The polyline's ends are the junctions; the nodes' own points stand for them.
            out.extend((float(x), float(y)) for x, y in xy[1:-1])
            out.append(self._xy[b])
        return out
