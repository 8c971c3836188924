"""Settlements to road nodes: nearest nodes, settlement nodes, and the checks
that a network can serve a city's plan (bounds, snapping distance).
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np

from citylogistics.errors import InputError
from citylogistics.geo import haversine_m
from citylogistics.network.graph import plane_xy, short_repr

__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "PLAN_BOUNDS_MARGIN_DEG",
    "nearest_nodes",
    "settlement_nodes",
    "plan_bounds",
    "check_plan_network",
]

#: Default largest distance (m) from a settlement to its road node in a plan run.
DEFAULT_MAX_SNAP_M = 5000.0
#: Margin (degrees, about 20 km) around the province's bounding box within which
#: the nodes of a plan's network must lie (roads may cross the border).
PLAN_BOUNDS_MARGIN_DEG = 0.2


def plan_bounds() -> tuple[float, float, float, float]:
    """(lon_min, lat_min, lon_max, lat_max) within which a plan's network must lie:
    the province's bounding box widened by :data:`PLAN_BOUNDS_MARGIN_DEG`."""
    from citylogistics.points import _ZJ_BBOX

    m = PLAN_BOUNDS_MARGIN_DEG
    return (_ZJ_BBOX[0] - m, _ZJ_BBOX[1] - m, _ZJ_BBOX[2] + m, _ZJ_BBOX[3] + m)


def check_plan_network(
    G: nx.Graph, settlements, *, city_code: str, source: str, max_snap_m: float = DEFAULT_MAX_SNAP_M
) -> None:
    """Refuse, before any planning, a network that cannot serve a city's plan.

    Every node must lie in Zhejiang (:func:`plan_bounds`); at least one of
    the city's settlements, and the city hub itself, must lie within
    ``max_snap_m`` of a network node (of the node with its own code, for a
    settlement that is a node of ``G``).

    Parameters
    ----------
    settlements
        Frame indexed by code with ``lon``, ``lat``, ``city_code`` (the hub's
        code is ``city_code``).

    Raises
    ------
    InputError
        Naming ``source`` (the network file), the first node or settlement at
        fault and the fix.
    """
    lo_x, lo_y, hi_x, hi_y = plan_bounds()
    ids = list(G)
    xs = np.array([G.nodes[n]["x"] for n in ids], dtype=float)
    ys = np.array([G.nodes[n]["y"] for n in ids], dtype=float)
    out = ~((xs >= lo_x) & (xs <= hi_x) & (ys >= lo_y) & (ys <= hi_y))
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise InputError(
            f"{int(out.sum())} of {len(ids)} nodes lie outside Zhejiang, first at ({xs[i]:.4f}, "
            f"{ys[i]:.4f}); a plan's network must lie within lon {lo_x:g}-{hi_x:g}, lat "
            f"{lo_y:g}-{hi_y:g}: crop or re-export it",
            source=source,
            where=f"node {short_repr(ids[i])}",
        )
    city = settlements[(settlements.index == city_code) | (settlements["city_code"].astype(str) == city_code)]
    if city.empty:
        return
    # A settlement that is a node of G (same code) is served at that node, so its
    # distance is to that node's point; the others snap to the nearest node.
    _, dist = settlement_nodes(G, city, return_dist=True)
    own = np.array([c in G for c in city.index])
    if own.any():
        codes = city.index[own]
        dist[own] = haversine_m(
            city["lon"].to_numpy(float)[own],
            city["lat"].to_numpy(float)[own],
            np.array([G.nodes[c]["x"] for c in codes], dtype=float),
            np.array([G.nodes[c]["y"] for c in codes], dtype=float),
        )
    near = dist <= max_snap_m
    if not near.any():
        j = int(np.argmin(dist))
        raise InputError(
            f"no settlement of city {city_code} lies within max_snap_m = {max_snap_m:g} m of a network "
            f"node (nearest: {city.index[j]}, {dist[j] / 1000:.1f} km); give a network covering the city",
            source=source,
            where="network nodes",
        )
    if city_code in city.index:
        d_hub = float(dist[list(city.index).index(city_code)])
        if d_hub > max_snap_m:
            raise InputError(
                f"the city hub {city_code} is {d_hub / 1000:.1f} km from its road node, over max_snap_m = "
                f"{max_snap_m:g} m; give a network that reaches the hub (or fix its node's x/y)",
                source=source,
                where="network nodes",
            )


# ---------------------------------------------------------------------------
# spatial helpers
# ---------------------------------------------------------------------------


def settlement_nodes(G: nx.Graph, frame, *, return_dist: bool = False):
    """Graph node of each settlement (rows of ``frame``, indexed by code, with
    ``lon``/``lat``): the settlement itself when it is a node of ``G`` (the
    generated networks), else the nearest road node (imported networks).
    With ``return_dist``, also the snapping distance of each (0 for nodes), m."""
    nodes = [code if code in G else None for code in frame.index]
    dist = np.zeros(len(nodes))
    missing = [i for i, n in enumerate(nodes) if n is None]
    if missing:
        near, d = nearest_nodes(G, frame["lon"].to_numpy()[missing], frame["lat"].to_numpy()[missing], return_dist=True)
        for i, n, di in zip(missing, near, d):
            nodes[i] = n
            dist[i] = di
    return (nodes, dist) if return_dist else nodes


def nearest_nodes(G: nx.Graph, lon, lat, *, kinds: Sequence[str] | None = None, return_dist: bool = False):
    """Nearest graph node(s) to WGS-84 point(s).

    Parameters
    ----------
    G
        Road network with node ``x``, ``y``.
    lon, lat
        Scalars or equal-length arrays (degrees).
    kinds
        Only consider nodes of these kinds (e.g. ``("junction",)``).
    return_dist
        Also return the great-circle distance to the node (m).

    Returns
    -------
    node id, or numpy object array of node ids (and distances if asked).
    Ties are broken by node order in ``G``.
    """
    from scipy.spatial import cKDTree

    scalar = np.ndim(lon) == 0
    qx = np.atleast_1d(np.asarray(lon, dtype=float))
    qy = np.atleast_1d(np.asarray(lat, dtype=float))
    if qx.shape != qy.shape:
        raise InputError("lon and lat must have the same length", source="nearest_nodes")
    ids = [n for n, d in G.nodes(data=True) if kinds is None or d.get("kind") in kinds]
    if not ids:
        raise InputError(f"the network has no nodes of kinds {kinds}", source="nearest_nodes")
    nx_ = np.array([G.nodes[n]["x"] for n in ids], dtype=float)
    ny_ = np.array([G.nodes[n]["y"] for n in ids], dtype=float)
    lat0 = float(np.mean(ny_))
    tree = cKDTree(plane_xy(nx_, ny_, lat0))
    _, idx = tree.query(plane_xy(qx, qy, lat0), k=1)
    arr = np.empty(len(idx), dtype=object)
    arr[:] = [ids[i] for i in idx]
    if return_dist:
        dist = haversine_m(qx, qy, nx_[idx], ny_[idx])
        return (arr[0], float(dist[0])) if scalar else (arr, dist)
    return arr[0] if scalar else arr
