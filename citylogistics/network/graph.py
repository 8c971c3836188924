"""The road-network model: documented attributes, GraphML save/load, validation.

A road network is a plain :class:`networkx.Graph` (undirected) or
:class:`networkx.DiGraph` (imported streets with one-way roads) with
documented attributes, the way osmnx models streets:

* ``G.graph``: ``crs`` (always ``"EPSG:4326"``), ``name``, ``source``
  (``"generated"`` for networks built by :mod:`citylogistics.network.generate`,
  ``"osm"`` / ``"road-lines"`` for imported ones, see
  :mod:`citylogistics.network.osm_import`, ``"osm+generated"`` for those built
  on the OSM major roads, see :mod:`citylogistics.network.osm_build`).
* nodes: ``x``, ``y`` (WGS-84 lon/lat, degrees), ``kind`` (one of
  :data:`NODE_KINDS`), ``code`` (settlement code, or the node id for
  junctions), ``name``, ``city_code``, ``county_code``.
* edges: ``length_m`` (> 0), ``travel_time_s`` (> 0), ``road_class`` (one of
  :data:`ROAD_CLASSES`).

Node ids are settlement codes (str): the city hub is the city code (e.g.
``"330100"``, kind ``hub``), county seats the county adcode, towns the 9-digit
and villages the 12-digit NBS code; other nodes are junctions.

Snapping points to nodes and the checks of a plan's network are in
:mod:`citylogistics.network.snap`; land and sea tests in
:mod:`citylogistics.network.land`.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from types import MappingProxyType
from typing import Any

import networkx as nx
import numpy as np

from citylogistics.errors import InputError
from citylogistics.geo import local_xy_m

__all__ = [
    "ROAD_CLASSES",
    "NODE_KINDS",
    "WATER_CLASSES",
    "LEVEL_KIND",
    "DEFAULT_SPEEDS_KMH",
    "MAX_GRAPHML_BYTES",
    "save_graphml",
    "load_graphml",
    "validate_network",
    "short_repr",
    "check_file_size",
    "xml_error",
    "plane_xy",
]

ROAD_CLASSES = ("expressway", "national", "provincial", "county", "village", "bridge", "ferry")
NODE_KINDS = ("hub", "county", "town", "village", "junction")
WATER_CLASSES = ("bridge", "ferry")
#: Node kind of a settlement by its level.
LEVEL_KIND = MappingProxyType({"city": "hub", "county": "county", "town": "town", "village": "village"})

#: Free-flow speeds of a delivery vehicle by road class (km/h). Expressway: the
#: 100 km/h limit for trucks less slowdowns; national / provincial roads are
#: 60-80 km/h limited with towns on the way; county roads 40; village roads 25
#: (narrow, mixed traffic). Bridges are mostly expressway or first-class roads.
DEFAULT_SPEEDS_KMH = MappingProxyType(
    {
        "expressway": 90.0,
        "national": 60.0,
        "provincial": 50.0,
        "county": 40.0,
        "village": 25.0,
        "bridge": 60.0,
    }
)


def plane_xy(lon, lat, lat0: float | None = None) -> np.ndarray:
    """(n, 2) local plane metres of WGS-84 points (:func:`citylogistics.geo.local_xy_m`
    with origin ``(0, lat0)``, default the mean latitude), for nearest-neighbour searches."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lat0 is None:
        lat0 = float(np.mean(lat)) if len(lat) else 0.0
    x, y = local_xy_m(lon, lat, lon0=0.0, lat0=lat0)
    return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])


# ---------------------------------------------------------------------------
# GraphML I/O and validation
# ---------------------------------------------------------------------------

_FLOAT_NODE = ("x", "y")
_FLOAT_EDGE = ("length_m", "travel_time_s")


def save_graphml(G: nx.Graph, path: str | os.PathLike) -> Path:
    """Write ``G`` as GraphML atomically (temp file in the same folder + ``os.replace``).

    Node/edge attributes that are ``None`` are written as empty strings.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    H = G.copy()
    for _, d in H.nodes(data=True):
        for k, v in list(d.items()):
            if v is None:
                d[k] = ""
    for _, _, d in H.edges(data=True):
        for k, v in list(d.items()):
            if v is None:
                d[k] = ""
    for k in ("node_default", "edge_default"):  # GraphML reader/writer bookkeeping, not data
        H.graph.pop(k, None)
    for k, v in list(H.graph.items()):
        if v is None or isinstance(v, (dict, list, tuple)):
            H.graph[k] = "" if v is None else json.dumps(v, sort_keys=True, ensure_ascii=False)
    from citylogistics.fileio import atomic_write

    return atomic_write(path, lambda tmp: nx.write_graphml_xml(H, tmp, encoding="utf-8", prettyprint=True))


#: Largest GraphML file read (networkx parses it whole in memory); the shipped
#: province network is about 20 MB.
MAX_GRAPHML_BYTES = 500_000_000


def short_repr(value: Any, limit: int = 40) -> str:
    """``repr`` of a value from a user's file, cut to ``limit`` characters (with "…")."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[:limit] + "\u2026"
    return repr(text) if isinstance(value, str) or len(text) > limit else text


def check_file_size(path: Path, limit: int, *, what: str) -> None:
    """Refuse a file larger than ``limit`` bytes before reading it."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror}); check the path", source=str(path)) from None
    if size > limit:
        raise InputError(
            f"file is {size / 1e6:.0f} MB, over the {limit / 1e6:.0f} MB limit for {what}; give a smaller extract",
            source=str(path),
        )


def xml_error(exc: BaseException) -> tuple[str, str | None]:
    """(short description, ``"line N"`` or None) of an XML parser error."""
    pos = getattr(exc, "position", None) or (getattr(exc, "lineno", None), None)
    text = " ".join(str(exc).split())
    text = text.split(": line ")[0] if pos[0] is not None else text
    if len(text) > 80:
        text = text[:80] + "\u2026"
    return text, (f"line {pos[0]}" if pos[0] is not None else None)


def load_graphml(path: str | os.PathLike) -> nx.Graph:
    """Read and validate a road network saved as GraphML.

    Node ids become str; ``x``, ``y``, ``length_m``, ``travel_time_s`` become
    float; ``code`` and ``kind`` str. A multigraph is reduced to a simple graph
    keeping the fastest edge between two nodes.

    Raises
    ------
    InputError
        Missing/unreadable file, a file over :data:`MAX_GRAPHML_BYTES`, XML
        that does not parse (with the line the parser reports), or any failure
        of :func:`validate_network` (the message names the file, the node or
        edge and the fix).
    """
    import xml.etree.ElementTree as ET

    path = Path(path)
    src = str(path)
    if not path.is_file():
        raise InputError(
            "file not found; run `citylogistics networks build` or give the path of a .graphml file", source=src
        )
    check_file_size(path, MAX_GRAPHML_BYTES, what="GraphML networks")
    try:
        R = nx.read_graphml(path, node_type=str)
    except ET.ParseError as exc:
        text, line = xml_error(exc)
        raise InputError(
            f"not a readable GraphML file (XML error: {text}); re-export it or rebuild with "
            "`citylogistics networks build`",
            source=src,
            where=line,
        ) from None
    except Exception as exc:
        text, _ = xml_error(exc)
        raise InputError(
            f"not a readable GraphML file ({type(exc).__name__}: {text}); re-export it or rebuild "
            "with `citylogistics networks build`",
            source=src,
        ) from None
    G = nx.DiGraph() if R.is_directed() else nx.Graph()
    G.graph.update(R.graph)
    for n, d in R.nodes(data=True):
        d = dict(d)
        for k in _FLOAT_NODE:
            if k in d:
                d[k] = _to_float(d[k], src, f"node {short_repr(n)} attribute {k!r}")
        for k in ("code", "kind", "name", "city_code", "county_code"):
            if k in d and d[k] is not None:
                d[k] = str(d[k])
        G.add_node(str(n), **d)
    for u, v, d in R.edges(data=True):
        d = dict(d)
        d.pop("id", None)
        d.pop("key", None)
        for k in _FLOAT_EDGE:
            if k in d:
                d[k] = _to_float(d[k], src, f"edge ({short_repr(u)}, {short_repr(v)}) attribute {k!r}")
        if "road_class" in d:
            d["road_class"] = str(d["road_class"])
        if G.has_edge(u, v):
            old = G.edges[u, v].get("travel_time_s", math.inf)
            if not (d.get("travel_time_s", math.inf) < old):
                continue
        G.add_edge(str(u), str(v), **d)
    G.graph.setdefault("crs", "EPSG:4326")
    if str(G.graph["crs"]).upper() not in ("EPSG:4326", "WGS84", "WGS 84"):
        raise InputError(
            f"graph crs is {short_repr(G.graph['crs'])}; networks must be in WGS-84 lon/lat (EPSG:4326)",
            source=src,
            where="graph attribute crs",
        )
    G.graph["crs"] = "EPSG:4326"
    validate_network(G, source=src)
    return G


def _to_float(v: Any, src: str, where: str) -> float:
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):
        raise InputError(
            f"value {short_repr(v)} is not a number; write a decimal number", source=src, where=where
        ) from None


def validate_network(G: nx.Graph, *, source: str = "<graph>") -> None:
    """Check a road network's attributes and connectivity.

    Every node needs numeric finite ``x`` in [-180, 180], ``y`` in [-90, 90]
    and a ``kind`` in :data:`NODE_KINDS`; every edge a finite positive
    ``length_m`` and ``travel_time_s`` and a ``road_class`` in
    :data:`ROAD_CLASSES`; the graph must be non-empty and connected (weakly,
    if directed).

    Raises
    ------
    InputError
        Naming ``source``, the first bad node or edge, and the fix (values and
        ids from the file are echoed cut short).
    """
    if G.number_of_nodes() == 0:
        raise InputError("the network has no nodes; build or import a network with at least one road", source=source)
    for n, d in G.nodes(data=True):
        for k, lo, hi in (("x", -180.0, 180.0), ("y", -90.0, 90.0)):
            v = d.get(k)
            if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, bool) or not (lo <= v <= hi):
                x = d.get("x")
                swapped = k == "y" and isinstance(x, float) and -90 <= x <= 90 and -180 <= v <= 180
                raise InputError(
                    f"node attribute {k!r} is {short_repr(v)}; give WGS-84 "
                    f"{'longitude' if k == 'x' else 'latitude'} in degrees within [{lo:g}, {hi:g}]"
                    f"{' (x and y swapped?)' if swapped else ''}",
                    source=source,
                    where=f"node {short_repr(n)}",
                )
        kind = d.get("kind")
        if kind not in NODE_KINDS:
            raise InputError(
                f"node kind is {short_repr(kind)}; set attribute 'kind' to one of {'|'.join(NODE_KINDS)}",
                source=source,
                where=f"node {short_repr(n)}",
            )
    for u, v, d in G.edges(data=True):
        for k in ("length_m", "travel_time_s"):
            val = d.get(k)
            ok = (
                isinstance(val, (int, float, np.integer, np.floating))
                and not isinstance(val, bool)
                and math.isfinite(val)
                and val > 0
            )
            if not ok:
                raise InputError(
                    f"edge attribute {k!r} is {short_repr(val)}; every edge needs a positive finite {k}",
                    source=source,
                    where=f"edge ({short_repr(u)}, {short_repr(v)})",
                )
        rc = d.get("road_class")
        if rc not in ROAD_CLASSES:
            raise InputError(
                f"road_class is {short_repr(rc)}; use one of {'|'.join(ROAD_CLASSES)}",
                source=source,
                where=f"edge ({short_repr(u)}, {short_repr(v)})",
            )
    connected = nx.is_weakly_connected(G) if G.is_directed() else nx.is_connected(G)
    if not connected:
        parts = nx.weakly_connected_components(G) if G.is_directed() else nx.connected_components(G)
        parts = sorted(parts, key=len, reverse=True)
        example = sorted(parts[1])[0]
        raise InputError(
            f"the network is not connected ({len(parts)} parts; node {short_repr(example)} is not joined to "
            f"the largest part of {len(parts[0])} nodes); add the missing roads or keep the largest part",
            source=source,
            where=f"node {short_repr(example)}",
        )
