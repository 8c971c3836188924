"""Import real roads: OpenStreetMap XML extracts and road-line files; snap settlements.

The result is a road network with the attributes of :mod:`citylogistics.network.graph`,
like the generated ones, so a scenario can use it instead:

* :func:`import_osm` reads an ``.osm`` XML extract (e.g. cut with osmium or
  exported from openstreetmap.org) with the standard library's streaming XML
  parser: no network access and no osmnx needed. Ways with a drivable
  ``highway`` tag and ``route=ferry`` ways are kept.
* :func:`import_road_lines` reads LineString layers (GeoPackage, GeoJSON,
  Shapefile, anything GDAL reads) with geopandas, reprojects to WGS-84.
* Both split ways into edges at vertices shared by two or more ways (the
  intersections) and at way ends; interior vertices only add to ``length_m``.
* :func:`snap_settlements` finds each settlement's nearest road node;
  :func:`attach_settlements` adds the settlements as nodes (id = code) joined to
  that road node by a short ``village`` connector, so the rest of the package
  can address villages and stations by code exactly as on a generated network.
* :func:`load_network` picks the reader from the file suffix.

Road classes from OSM ``highway``: motorway → expressway, trunk and primary →
national, secondary → provincial, tertiary → county, everything else drivable
→ village; ``bridge=yes`` ways → bridge; ``route=ferry`` → ferry (with
``NetworkParams.ferry_wait_s`` added). Speeds come from a numeric ``maxspeed``
(km/h, or mph) when present, else ``NetworkParams.speeds_kmh`` of the class.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path

import networkx as nx
import numpy as np

from citylogistics.errors import InputError
from citylogistics.geo import M_PER_DEG, geodesic_m
from citylogistics.network.graph import (
    LEVEL_KIND,
    ROAD_CLASSES,
    check_file_size,
    short_repr,
    validate_network,
    xml_error,
)
from citylogistics.network.hierarchy import NetworkParams
from citylogistics.network.snap import nearest_nodes

__all__ = [
    "OSM_HIGHWAY_CLASS",
    "import_osm",
    "import_road_lines",
    "load_network",
    "snap_settlements",
    "attach_settlements",
]

#: OSM ``highway`` value → road class. Values not listed are not drivable and
#: are skipped (footway, cycleway, path, steps, construction, ...).
OSM_HIGHWAY_CLASS = {
    "motorway": "expressway",
    "motorway_link": "expressway",
    "trunk": "national",
    "trunk_link": "national",
    "primary": "national",
    "primary_link": "national",
    "secondary": "provincial",
    "secondary_link": "provincial",
    "tertiary": "county",
    "tertiary_link": "county",
    "unclassified": "village",
    "residential": "village",
    "living_street": "village",
    "service": "village",
    "road": "village",
    "track": "village",
}

#: Largest OpenStreetMap XML file read (streamed, but every node's point is
#: kept): about a province's drivable extract.
MAX_OSM_BYTES = 2_000_000_000


def _osm_id(value) -> str:
    """An OSM id from the file as shown in a message (cut short if it is not a plain number)."""
    return short_repr(str(value))[1:-1]


def _speed_kmh(maxspeed, default: float) -> float:
    """Parse an OSM ``maxspeed`` (``"60"``, ``"60 km/h"``, ``"40 mph"``)."""
    if maxspeed is None:
        return default
    text = str(maxspeed).strip().lower()
    m = re.match(r"^(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?$", text)
    if not m:
        return default
    v = float(m.group(1)) * (1.609344 if m.group(2) == "mph" else 1.0)
    return v if v > 0 else default


class _Ways:
    """Polylines with attributes, assembled into a simplified graph."""

    def __init__(self) -> None:
        self.ways: list[tuple[list, np.ndarray, np.ndarray, dict]] = []  # keys, lon, lat, attrs

    def add(self, keys: list, lon: np.ndarray, lat: np.ndarray, attrs: dict) -> None:
        if len(keys) >= 2:
            self.ways.append((keys, lon, lat, attrs))

    def graph(
        self,
        *,
        name: str,
        source: str,
        params: NetworkParams,
        directed: bool,
        node_id,
        keep_largest: bool,
        src: str,
        simplify: bool = False,
        geometry: bool = False,
    ) -> nx.Graph:
        """The graph of the ways: split at vertices shared by two or more ways and at way ends.

        ``directed``: a DiGraph honouring each way's ``oneway`` (``None``/``"no"``
        both ways, ``"-1"`` against the drawing direction, else along it), and
        ``keep_largest`` keeps its largest *strongly* connected part. ``simplify``
        merges chains of degree-2 junctions (:func:`citylogistics.network.simplify.merge_chains`);
        ``geometry`` keeps each edge's polyline as a WKT ``geometry`` attribute.
        """
        from citylogistics.network.simplify import finish_edges, keep_largest_part, merge_chains

        if not self.ways:
            raise InputError(
                "no drivable roads found (no ways with a drivable highway tag or route=ferry, or no "
                "line features); check the extract covers the area",
                source=src,
            )
        G = nx.DiGraph() if directed else nx.Graph()
        G.graph.update({"crs": "EPSG:4326", "name": name, "source": source, "file": os.path.basename(src)})
        self._add_edges(G, params=params, directed=directed, node_id=node_id, geometry=geometry)
        G.remove_edges_from(list(nx.selfloop_edges(G)))
        if keep_largest:
            G.graph["dropped_nodes"] = keep_largest_part(G)
        if simplify:
            G.graph["merged_nodes"] = merge_chains(G)
        finish_edges(G, geometry=geometry)
        validate_network(G, source=src)
        return G

    def _add_edges(self, G: nx.Graph, *, params: NetworkParams, directed: bool, node_id, geometry: bool) -> None:
        uses: dict = {}
        for keys, *_ in self.ways:
            for k in keys:
                uses[k] = uses.get(k, 0) + 1
        for keys, lon, lat, attrs in self.ways:
            cut = [0] + [i for i in range(1, len(keys) - 1) if uses[keys[i]] > 1] + [len(keys) - 1]
            seg = geodesic_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
            cum = np.concatenate([[0.0], np.cumsum(seg)])
            for a, b in zip(cut[:-1], cut[1:]):
                ka, kb = keys[a], keys[b]
                if ka == kb:
                    continue  # a closed loop with no other junction
                length = max(float(cum[b] - cum[a]), 0.1)
                cls = attrs["road_class"]
                time = length / (attrs["speed_kmh"] / 3.6) + (params.ferry_wait_s if cls == "ferry" else 0.0)
                for k, x, y in ((ka, lon[a], lat[a]), (kb, lon[b], lat[b])):
                    nid = node_id(k)
                    if nid not in G:
                        G.add_node(
                            nid,
                            x=float(x),
                            y=float(y),
                            kind="junction",
                            code=nid,
                            name="",
                            city_code="",
                            county_code="",
                        )
                data = {
                    "length_m": round(length, 1),
                    "travel_time_s": round(max(time, 0.1), 1),
                    "road_class": cls,
                    "_len": length,
                    "_time": max(time, 0.1),
                }
                if attrs.get("name"):
                    data["name"] = attrs["name"]
                xy = np.column_stack([lon[a : b + 1], lat[a : b + 1]]) if geometry else None
                for u, v in _directions(ka, kb, attrs.get("oneway"), directed):
                    forward = (u, v) == (ka, kb)
                    u, v = node_id(u), node_id(v)
                    if G.has_edge(u, v) and G.edges[u, v]["travel_time_s"] <= data["travel_time_s"]:
                        continue
                    G.add_edge(u, v, **data)
                    if xy is not None:
                        G.edges[u, v]["_xy"] = xy if forward or not directed else xy[::-1]


def _directions(ka, kb, oneway, directed: bool) -> list[tuple]:
    """The (from, to) pairs of a way's segment: both ways, along (``oneway`` set) or against (``"-1"``)."""
    if not directed:
        return [(ka, kb)]
    if oneway in (None, "no"):
        return [(ka, kb), (kb, ka)]
    return [(kb, ka)] if oneway == "-1" else [(ka, kb)]


def import_osm(
    path: str | os.PathLike,
    *,
    params: NetworkParams | None = None,
    directed: bool = False,
    keep_largest: bool = True,
    highway_classes: Mapping[str, str] | None = None,
    simplify: bool = False,
    geometry: bool = False,
) -> nx.Graph:
    """Read an OpenStreetMap XML extract into a road network.

    Parameters
    ----------
    path
        ``.osm`` (XML) file.
    params
        Speeds by class and ferry parameters (default :class:`NetworkParams`).
    directed
        Return a DiGraph honouring ``oneway`` (``yes``/``true``/``1``/``-1``,
        and motorways); default an undirected Graph (oneway ignored).
    keep_largest
        Keep only the largest connected part, strongly connected if
        ``directed`` (count dropped in ``G.graph["dropped_nodes"]``); otherwise
        a disconnected extract raises.
    highway_classes
        Override of :data:`OSM_HIGHWAY_CLASS`.
    simplify
        Merge chains of degree-2 junctions into one edge (count in
        ``G.graph["merged_nodes"]``), see :func:`citylogistics.network.simplify.merge_chains`.
    geometry
        Keep each edge's road polyline as a WKT ``geometry`` attribute.

    Returns
    -------
    networkx.Graph
        Node ids ``"osm<id>"`` (kind ``junction``), ``G.graph["source"] == "osm"``.

    Raises
    ------
    InputError
        Missing or malformed file, a way referring to a node not in the file,
        no drivable roads.
    """
    params = NetworkParams() if params is None else params
    classes = dict(OSM_HIGHWAY_CLASS if highway_classes is None else highway_classes)
    bad = {v for v in classes.values() if v not in ROAD_CLASSES}
    if bad:
        raise InputError(
            f"highway_classes maps to unknown road classes {sorted(bad)}; use {ROAD_CLASSES}",
            source="import_osm",
            where="highway_classes",
        )
    path = Path(path)
    src = str(path)
    if not path.is_file():
        raise InputError("file not found; give the path of an OpenStreetMap .osm XML extract", source=src)
    check_file_size(path, MAX_OSM_BYTES, what="OpenStreetMap extracts")
    coords, raw_ways = _parse_osm_xml(path, src)
    ways = _osm_ways(raw_ways, coords, classes=classes, params=params, src=src)
    return ways.graph(
        name=path.stem,
        source="osm",
        params=params,
        directed=directed,
        node_id=lambda k: f"osm{k}",
        keep_largest=keep_largest,
        src=src,
        simplify=simplify,
        geometry=geometry,
    )


def _parse_osm_xml(path: Path, src: str) -> tuple[dict, list]:
    """Node points ``{id: (lon, lat)}`` and ways ``[(id, refs, tags, line)]`` of an OSM XML file."""
    import xml.parsers.expat as expat

    coords: dict[str | None, tuple[float, float]] = {}
    raw_ways: list[tuple[str, list[str], dict, int]] = []
    way: list | None = None  # [id, refs, tags, line] of the way being read
    parser = expat.ParserCreate()

    def start(name: str, attrs: dict) -> None:
        nonlocal way
        if name == "node":
            nid = attrs.get("id")
            where = f"line {parser.CurrentLineNumber}: node {_osm_id(nid)}"
            try:
                lon, lat = float(str(attrs.get("lon"))), float(str(attrs.get("lat")))
            except (TypeError, ValueError):
                raise InputError(
                    "node without numeric lon/lat; fix or re-export the extract", source=src, where=where
                ) from None
            if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
                raise InputError(
                    f"node at lon {short_repr(attrs.get('lon'))}, lat {short_repr(attrs.get('lat'))}; "
                    "give WGS-84 degrees (lon in [-180, 180], lat in [-90, 90])",
                    source=src,
                    where=where,
                )
            coords[nid] = (lon, lat)
        elif name == "way":
            way = [attrs.get("id"), [], {}, parser.CurrentLineNumber]
        elif way is not None and name == "nd":
            way[1].append(attrs.get("ref"))
        elif way is not None and name == "tag":
            way[2][attrs.get("k")] = attrs.get("v")

    def end(name: str) -> None:
        nonlocal way
        if name == "way" and way is not None:
            raw_ways.append(tuple(way))
            way = None

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        with open(path, "rb") as fh:
            parser.ParseFile(fh)
    except expat.ExpatError as exc:
        raise InputError(
            f"not well-formed OSM XML ({expat.ErrorString(exc.code)}); re-export the extract (a "
            "truncated or binary file ends like this)",
            source=src,
            where=f"line {exc.lineno}",
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror}); check the path", source=src) from None
    return coords, raw_ways


def _osm_ways(raw_ways: list, coords: dict, *, classes: dict, params: NetworkParams, src: str) -> _Ways:
    """The drivable ways (and ferries) with their class, speed and one-way direction."""
    ways = _Ways()
    for wid, refs, tags, line in raw_ways:
        hw = tags.get("highway")
        if tags.get("route") == "ferry":
            cls = "ferry"
            speed = params.ferry_speed_kmh
        elif hw in classes:
            cls = classes[hw]
            speed = _speed_kmh(tags.get("maxspeed"), params.speed_kmh(cls))
            if tags.get("bridge") not in (None, "no"):
                cls = "bridge"
        else:
            continue
        if tags.get("access") in ("no", "private") or tags.get("motor_vehicle") == "no":
            continue
        missing = [r for r in refs if r not in coords]
        if missing:
            raise InputError(
                f"way refers to node {_osm_id(missing[0])} that is not in the file; export the extract "
                "with complete ways (osmium extract --strategy complete_ways)",
                source=src,
                where=f"line {line}: way {_osm_id(wid)}",
            )
        oneway = tags.get("oneway")
        if oneway in ("yes", "true", "1"):
            oneway = "yes"
        elif oneway != "-1":
            oneway = "yes" if hw in ("motorway", "motorway_link") and oneway is None else None
        lon = np.array([coords[r][0] for r in refs])
        lat = np.array([coords[r][1] for r in refs])
        ways.add(
            refs, lon, lat, {"road_class": cls, "speed_kmh": speed, "oneway": oneway, "name": tags.get("name", "")}
        )
    return ways


def _check_line_options(*, default_class: str, drivable_only: bool, class_column: str | None) -> None:
    """Refuse options of :func:`import_road_lines` that cannot work together, before reading the file."""
    if default_class not in ROAD_CLASSES:
        raise InputError(
            f"default_class {default_class!r} is not a road class; use one of {ROAD_CLASSES}",
            source="import_road_lines",
            where="default_class",
        )
    if drivable_only and class_column is None:
        raise InputError(
            "drivable_only needs class_column (the column holding the road type)",
            source="import_road_lines",
            where="class_column",
        )


def import_road_lines(
    path: str | os.PathLike,
    *,
    layer: str | None = None,
    class_column: str | None = None,
    speed_column: str | None = None,
    oneway_column: str | None = None,
    name_column: str | None = None,
    default_class: str = "county",
    params: NetworkParams | None = None,
    directed: bool = False,
    keep_largest: bool = True,
    drivable_only: bool = False,
    simplify: bool = False,
    geometry: bool = False,
    vertex_tolerance_m: float = 1.0,
) -> nx.Graph:
    """Read a road-line file (GeoPackage, GeoJSON, Shapefile, ...) into a network.

    Parameters
    ----------
    path
        Any vector file geopandas can read, with LineString/MultiLineString
        features and a CRS.
    layer
        Layer name (GeoPackage with several layers).
    class_column
        Column holding a road class (one of :data:`ROAD_CLASSES`) or an OSM
        ``highway`` value; missing or unknown values get ``default_class``.
    speed_column
        Column with speeds in km/h, e.g. OSM ``maxspeed`` (a missing, zero or
        unreadable value: the class speed).
    oneway_column
        Column saying which way a line may be driven: ``F``, ``1``, ``yes``,
        ``true`` along the drawing direction; ``T``, ``-1`` against it;
        ``B``, ``0``, ``no`` or empty both ways (Geofabrik's ``F``/``T``/``B``
        and 0/1 layouts). Used when ``directed``.
    name_column
        Column with street names (kept as the edge attribute ``name``).
    default_class
        Road class of lines without a usable class.
    params
        Speeds by class (default :class:`NetworkParams`).
    directed
        Return a DiGraph honouring ``oneway_column``.
    keep_largest
        Keep only the largest connected part (strongly connected if ``directed``).
    drivable_only
        Skip lines whose ``class_column`` value is neither a road class nor a
        drivable OSM ``highway`` value (footway, path, steps, cycleway, …)
        instead of giving them ``default_class``.
    simplify
        Merge chains of degree-2 junctions (see :func:`import_osm`).
    geometry
        Keep each edge's polyline as a WKT ``geometry`` attribute.
    vertex_tolerance_m
        Vertices closer than about this are the same node (lines are split at
        vertices shared by two or more lines).

    Returns
    -------
    networkx.Graph
        Undirected (a DiGraph if ``directed``); node ids ``"r<n>"``;
        ``G.graph["source"] == "road-lines"``.
    """
    params = NetworkParams() if params is None else params
    _check_line_options(default_class=default_class, drivable_only=drivable_only, class_column=class_column)
    path = Path(path)
    src = str(path)
    gdf = _read_lines_frame(path, layer=layer, columns=(class_column, speed_column, oneway_column, name_column))
    columns = {
        "class_column": class_column,
        "speed_column": speed_column,
        "oneway_column": oneway_column,
        "name_column": name_column,
    }
    ways = _line_ways(
        gdf,
        src=src,
        grid_deg=vertex_tolerance_m / M_PER_DEG,
        columns=columns,
        default_class=default_class,
        params=params,
        drivable_only=drivable_only,
    )
    return ways.graph(
        name=path.stem,
        source="road-lines",
        params=params,
        directed=directed,
        node_id=lambda k: k,
        keep_largest=keep_largest,
        src=src,
        simplify=simplify,
        geometry=geometry,
    )


def _line_ways(
    gdf, *, src: str, grid_deg: float, columns: dict, default_class: str, params: NetworkParams, drivable_only: bool
) -> _Ways:
    """The features as ways: vertices within ``grid_deg`` are one node (key ``r<n>``)."""
    keys_seen: dict[tuple[int, int], str] = {}

    def key_of(x: float, y: float) -> str:
        k = (int(round(x / grid_deg)), int(round(y / grid_deg)))
        if k not in keys_seen:
            keys_seen[k] = f"r{len(keys_seen)}"
        return keys_seen[k]

    name_column = columns["name_column"]
    ways = _Ways()
    for row_no, (geom, row) in enumerate(zip(gdf.geometry, gdf.itertuples(index=False))):
        if geom is None or geom.is_empty:
            continue
        if geom.geom_type not in ("LineString", "MultiLineString"):
            raise InputError(
                f"geometry is {geom.geom_type}; road lines must be LineString or MultiLineString",
                source=src,
                where=f"feature {row_no}",
            )
        cls, speed = _line_class_speed(
            row,
            class_column=columns["class_column"],
            speed_column=columns["speed_column"],
            default_class=default_class,
            params=params,
            drivable_only=drivable_only,
        )
        if cls is None:
            continue
        attrs = {
            "road_class": cls,
            "speed_kmh": speed,
            "oneway": _line_oneway(row, columns["oneway_column"]),
            "name": _text(getattr(row, name_column)) if name_column else "",
        }
        parts = geom.geoms if geom.geom_type == "MultiLineString" else [geom]
        for part in parts:
            xy = _line_vertices(part, src=src, where=f"feature {row_no}")
            if xy is None:
                continue
            keys = [key_of(x, y) for x, y in xy]
            # drop consecutive duplicates (vertices merged by the tolerance)
            keep = [0] + [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]]
            ways.add([keys[i] for i in keep], xy[keep, 0], xy[keep, 1], attrs)
    return ways


def _read_lines_frame(path: Path, *, layer: str | None, columns: tuple):
    """The layer as a GeoDataFrame in WGS-84, with the named columns present."""
    import geopandas as gpd

    src = str(path)
    if not path.exists():
        raise InputError("file not found; give a GeoPackage, GeoJSON or Shapefile of road lines", source=src)
    try:
        gdf = gpd.read_file(path, layer=layer) if layer is not None else gpd.read_file(path)
    except Exception as exc:
        text, line = xml_error(exc)
        raise InputError(
            f"cannot read road lines ({type(exc).__name__}: {text}); give a valid vector file", source=src, where=line
        ) from None
    if gdf.crs is None:
        raise InputError("the layer has no CRS; set it (e.g. EPSG:4326 for lon/lat) and save again", source=src)
    try:
        gdf = gdf.to_crs("EPSG:4326")
    except Exception as exc:
        text, _ = xml_error(exc)
        raise InputError(
            f"cannot reproject to WGS-84 ({type(exc).__name__}: {text}); set a valid CRS", source=src, where="crs"
        ) from None
    for col in columns:
        if col is not None and col not in gdf.columns:
            raise InputError(f"column {col!r} not found; columns are {list(gdf.columns)}", source=src, where=col)
    return gdf


def _text(v) -> str:
    """A cell as text ('' for missing)."""
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()


#: Values of a road-line ``oneway`` column: along the line, against it; anything else is both ways.
_ONEWAY_ALONG = ("f", "1", "yes", "true")
_ONEWAY_AGAINST = ("t", "-1")


def _line_oneway(row, oneway_column: str | None):
    """The way's ``oneway`` in :class:`_Ways` terms: None (both ways), ``"yes"`` or ``"-1"``."""
    if oneway_column is None:
        return None
    v = _text(getattr(row, oneway_column)).lower()
    if v.endswith(".0"):  # 1.0 / -1.0 from a float column
        v = v[:-2]
    return "yes" if v in _ONEWAY_ALONG else "-1" if v in _ONEWAY_AGAINST else None


def _line_class_speed(
    row, *, class_column, speed_column, default_class: str, params: NetworkParams, drivable_only: bool = False
):
    """Road class and speed (km/h) of one feature from its class and speed columns;
    ``(None, None)`` for a line that is not drivable when ``drivable_only``."""
    cls = default_class
    if class_column is not None:
        v = _text(getattr(row, class_column)) or None
        if v in ROAD_CLASSES:
            cls = v
        elif v in OSM_HIGHWAY_CLASS:
            cls = OSM_HIGHWAY_CLASS[v]
        elif drivable_only:
            return None, None
    speed = params.speed_kmh(cls)
    if speed_column is not None:
        sv = getattr(row, speed_column)
        try:
            sv = float(sv)
            if sv > 0 and math.isfinite(sv):
                speed = sv
        except (TypeError, ValueError):
            pass
    return cls, speed


def _line_vertices(part, *, src: str, where: str):
    """(n, 2) lon/lat vertices of a LineString (None if it has fewer than 2); refuses invalid ones."""
    xy = np.asarray(part.coords, dtype=float)
    if xy.ndim != 2 or len(xy) < 2:
        return None
    xy = xy[:, :2]
    ok = np.isfinite(xy).all(axis=1) & (np.abs(xy[:, 0]) <= 180) & (np.abs(xy[:, 1]) <= 90)
    if not ok.all():
        x, y = xy[int(np.argmin(ok))]
        raise InputError(
            f"vertex at ({x:g}, {y:g}) after reprojection to WGS-84 is not a valid lon/lat; "
            "fix the geometry or the layer's CRS",
            source=src,
            where=where,
        )
    return xy


def load_network(path: str | os.PathLike, **kwargs) -> nx.Graph:
    """Read a network from ``.graphml``, ``.osm``/``.xml``, or a road-line file.

    Keyword arguments go to the reader (:func:`citylogistics.network.graph.load_graphml`,
    :func:`import_osm` or :func:`import_road_lines`).
    """
    from citylogistics.network.graph import load_graphml

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".graphml":
        return load_graphml(p, **kwargs)
    if suffix in (".osm", ".xml"):
        return import_osm(p, **kwargs)
    if suffix in (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml", ".zip"):
        return import_road_lines(p, **kwargs)
    raise InputError(
        f"unknown network file type {short_repr(suffix)}; use .graphml, .osm, .gpkg, .geojson or .shp", source=str(p)
    )


def snap_settlements(G: nx.Graph, settlements, *, max_dist_m: float | None = None):
    """Nearest road node of each settlement.

    Parameters
    ----------
    G
        Road network.
    settlements
        DataFrame with ``lon``, ``lat`` and ``code`` (column or index).
    max_dist_m
        If given, ``within`` is False for settlements farther than this.

    Returns
    -------
    pandas.DataFrame
        Index code; columns ``node``, ``dist_m`` (great-circle), ``within``.
    """
    import pandas as pd

    codes = (settlements["code"] if "code" in settlements.columns else pd.Series(settlements.index)).astype(str)
    lon = pd.to_numeric(settlements["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(settlements["lat"], errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        raise InputError(
            f"settlement {codes.iloc[int(np.argmax(bad))]} has no lon/lat; give coordinates",
            source="settlements",
            where="lon/lat",
        )
    road = [n for n, k in G.nodes(data="kind") if k == "junction"] or list(G)
    H = G.subgraph(road)
    ids, dist = nearest_nodes(H, lon, lat, return_dist=True)
    within = np.ones(len(ids), dtype=bool) if max_dist_m is None else dist <= max_dist_m
    return pd.DataFrame({"node": ids, "dist_m": dist, "within": within}, index=pd.Index(codes.to_numpy(), name="code"))


def attach_settlements(
    G: nx.Graph,
    settlements,
    *,
    max_dist_m: float = 5000.0,
    on_far: str = "raise",
    params: NetworkParams | None = None,
) -> nx.Graph:
    """A copy of ``G`` with settlements as nodes joined to their nearest road node.

    Each settlement becomes a node (id = its code, ``kind`` from its level,
    ``x``/``y`` its point) with one ``village``-class connector edge to the
    nearest road node; the connector's length is the straight distance × the
    plain detour factor (at least ``params.min_edge_m``). Settlements sharing a
    code with an existing node are skipped.

    Parameters
    ----------
    max_dist_m
        Settlements farther than this from any road are "far".
    on_far
        ``"raise"`` (InputError naming the first far settlement) or ``"drop"``
        (left out; listed in ``G.graph["unsnapped"]``).
    """
    params = NetworkParams() if params is None else params
    if on_far not in ("raise", "drop"):
        raise InputError(f"on_far is {on_far!r}; use 'raise' or 'drop'", source="attach_settlements")
    snap = snap_settlements(G, settlements, max_dist_m=max_dist_m)
    far = snap.index[~snap["within"].to_numpy()]
    if len(far) and on_far == "raise":
        c = far[0]
        raise InputError(
            f"{len(far)} settlements are more than {max_dist_m:g} m from any road (first: {c}, "
            f"{snap.loc[c, 'dist_m']:.0f} m); use an extract covering them, raise max_dist_m, or "
            "on_far='drop'",
            source=str(G.graph.get("file", G.graph.get("name", "<graph>"))),
            where=f"settlement {c}",
        )
    H = G.copy()
    rows = settlements.copy()
    if "code" not in rows.columns:
        rows["code"] = rows.index
    rows = rows.assign(code=rows["code"].astype(str)).set_index("code", drop=False)
    speed = params.speed_kmh("village") / 3.6
    for code, r in rows.iterrows():
        if code in H or not snap.loc[code, "within"]:
            continue
        level = str(r.get("level", "village"))
        H.add_node(
            code,
            x=float(r["lon"]),
            y=float(r["lat"]),
            kind=LEVEL_KIND.get(level, "village"),
            code=code,
            name=str(r.get("name", "")),
            city_code=str(r.get("city_code", "") or ""),
            county_code=str(r.get("county_code", "") or ""),
        )
        length = max(float(snap.loc[code, "dist_m"]) * params.detour_plain, params.min_edge_m)
        edge = {"length_m": round(length, 1), "travel_time_s": round(length / speed, 1), "road_class": "village"}
        H.add_edge(code, snap.loc[code, "node"], **edge)
        if H.is_directed():
            H.add_edge(snap.loc[code, "node"], code, **edge)
    H.graph["unsnapped"] = ",".join(map(str, far))
    return H


# ---------------------------------------------------------------------------
# city streets: `citylogistics networks import`
# ---------------------------------------------------------------------------

#: Road-line columns :func:`import_streets` looks for, first found wins (Geofabrik's
#: ``fclass`` layout, ``highway`` as in OSM, ``type`` as in older Geofabrik/Mapzen exports).
STREET_COLUMNS = {
    "class_column": ("fclass", "highway", "type"),
    "oneway_column": ("oneway",),
    "speed_column": ("maxspeed",),
    "name_column": ("name",),
}
_LINE_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml", ".zip")


def _line_columns(path: Path) -> dict:
    """The :data:`STREET_COLUMNS` present in a road-line file ({} if it cannot be read: the reader says why)."""
    import geopandas as gpd

    try:
        names = set(gpd.read_file(path, rows=1).columns)
    except Exception:
        return {}
    return {k: next((c for c in cands if c in names), None) for k, cands in STREET_COLUMNS.items()}


def import_streets(path: str | os.PathLike, *, params: NetworkParams | None = None) -> nx.DiGraph:
    """A drivable, directed street network from OSM data (what ``networks import`` writes).

    Reads an ``.osm`` XML extract (:func:`import_osm`) or road lines in the
    Geofabrik layout (:func:`import_road_lines`; columns of
    :data:`STREET_COLUMNS`: the road type is required, ``oneway``, ``maxspeed``
    and ``name`` are used when present) and

    * keeps drivable classes only (:data:`OSM_HIGHWAY_CLASS`; footways, paths,
      steps, cycleways, construction… are dropped);
    * honours ``oneway`` (a DiGraph: a two-way street is two edges);
    * takes ``maxspeed`` where given, else the speed of the road class
      (``NetworkParams.speeds_kmh``: expressway 90, national 60, provincial 50,
      county 40, village 25 km/h);
    * keeps the largest strongly connected part (every node reaches every
      other; ``G.graph["dropped_nodes"]``);
    * merges chains of degree-2 junctions, keeping each edge's polyline as a
      WKT ``geometry`` and its length as the sum along it
      (``G.graph["merged_nodes"]``).

    Lengths are measured on the WGS-84 ellipsoid (:func:`citylogistics.geo.geodesic_m`).

    Raises
    ------
    InputError
        Unknown file type, a road-line file without a road-type column, and
        everything the readers refuse.
    """
    from citylogistics.network.osm_major import OSM_ATTRIBUTION

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".osm", ".xml"):
        G = import_osm(p, params=params, directed=True, keep_largest=True, simplify=True, geometry=True)
    elif suffix in _LINE_SUFFIXES:
        cols = _line_columns(p)
        if cols and cols["class_column"] is None:
            raise InputError(
                f"no road-type column ({', '.join(STREET_COLUMNS['class_column'])}); give OSM road "
                "lines in the Geofabrik layout (fclass, oneway, maxspeed)",
                source=str(p),
            )
        G = import_road_lines(
            p,
            **{k: v for k, v in cols.items() if v is not None},
            params=params,
            directed=True,
            drivable_only=True,
            simplify=True,
            geometry=True,
        )
    else:
        raise InputError(
            f"unknown street file type {short_repr(suffix)}; use an OpenStreetMap .osm extract or "
            "road lines (.shp, .gpkg, .geojson)",
            source=str(p),
        )
    G.graph["attribution"] = OSM_ATTRIBUTION
    return G


def cmd_networks_import(args) -> int:
    """``citylogistics networks import FILE --out GRAPH.graphml [--overwrite]``."""
    from citylogistics.fileio import check_output_file
    from citylogistics.network.graph import save_graphml

    out = check_output_file(args.out, overwrite=args.overwrite)
    if out.suffix.lower() != ".graphml":
        raise InputError(f"ends in {short_repr(out.suffix)}; give a .graphml file name", source="--out")
    G = import_streets(args.file)
    G.graph["name"] = out.stem
    save_graphml(G, out)
    km = sum(d["length_m"] for _, _, d in G.edges(data=True)) / 1000.0
    print(
        f"{out}: {G.number_of_nodes()} nodes, {G.number_of_edges()} directed edges, {km:.1f} km of lanes; "
        f"{G.graph.get('dropped_nodes', 0)} nodes outside the largest strongly connected part dropped, "
        f"{G.graph.get('merged_nodes', 0)} degree-2 nodes merged"
    )
    return 0
