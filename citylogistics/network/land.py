"""Land and sea: which land part (mainland, island) a point is on, whether a
straight segment stays on land, and which edges cross the sea.

The province boundary shipped with the package is simplified, so land is
buffered by a tolerance (metres) before segments are tested.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from citylogistics.geo import M_PER_DEG
from citylogistics.network.graph import WATER_CLASSES

__all__ = ["Land", "land_parts", "sea_crossing_edges"]


def land_parts(land):
    """Polygon parts of the land geometry, largest first (deterministic)."""
    if land is None:
        return []
    geoms = list(getattr(land, "geoms", [land]))
    geoms = [g for g in geoms if not g.is_empty and g.geom_type in ("Polygon", "MultiPolygon")]
    return sorted(geoms, key=lambda g: (-g.area, g.representative_point().x, g.representative_point().y))


class Land:
    """Land polygon parts with a buffered, prepared union for coverage tests."""

    def __init__(self, land, tolerance_m: float):
        import shapely

        self.parts = land_parts(land)
        self.tol_deg = tolerance_m / M_PER_DEG
        if self.parts:
            self.buffered_parts = [p.buffer(self.tol_deg) for p in self.parts]
            self.union = shapely.union_all(self.buffered_parts)
            shapely.prepare(self.union)
            self.tree = shapely.STRtree(self.buffered_parts)
        else:
            self.union = None

    def component_of(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Index of the (buffered) part containing each point; -1 if none."""
        import shapely

        comp = np.full(len(lon), -1, dtype=np.int64)
        if not self.parts:
            comp[:] = 0
            return comp
        pts = shapely.points(lon, lat)
        idx_pt, idx_part = self.tree.query(pts, predicate="intersects")
        # smallest part index (largest area) wins where buffers overlap
        order = np.lexsort((idx_part, idx_pt))
        idx_pt, idx_part = idx_pt[order], idx_part[order]
        first = np.ones(len(idx_pt), dtype=bool)
        first[1:] = idx_pt[1:] != idx_pt[:-1]
        comp[idx_pt[first]] = idx_part[first]
        return comp

    def covers(self, x1, y1, x2, y2) -> np.ndarray:
        """Whether each straight segment lies on (buffered) land."""
        import shapely

        n = len(x1)
        if self.union is None or n == 0:
            return np.ones(n, dtype=bool)
        coords = np.stack([np.column_stack([x1, y1]), np.column_stack([x2, y2])], axis=1)
        lines = shapely.linestrings(coords)
        return shapely.covers(self.union, lines)


def sea_crossing_edges(G: nx.Graph, land, *, tolerance_m: float = 300.0) -> list[tuple[str, str]]:
    """Edges other than ``bridge``/``ferry`` whose straight segment is not on land.

    Land is buffered by ``tolerance_m`` (the boundaries are simplified).
    """
    landx = Land(land, tolerance_m)
    edges = [(u, v) for u, v, c in G.edges(data="road_class") if c not in WATER_CLASSES]
    if not edges:
        return []
    x1 = np.array([G.nodes[u]["x"] for u, _ in edges])
    y1 = np.array([G.nodes[u]["y"] for u, _ in edges])
    x2 = np.array([G.nodes[v]["x"] for _, v in edges])
    y2 = np.array([G.nodes[v]["y"] for _, v in edges])
    ok = landx.covers(x1, y1, x2, y2)
    return [e for e, good in zip(edges, ok) if not good]
