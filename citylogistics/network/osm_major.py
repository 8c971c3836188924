"""OpenStreetMap major roads of Zhejiang: extract once, load, classify.

The province-wide real road network is OpenStreetMap's major roads
(expressways, national and provincial roads) as simplified by the PyPI package
``scgraph-data`` (module ``scgraph_data.world_highways``: a ``nodes`` list of
``[lat, lon]`` rounded to 0.001° and an undirected adjacency list ``graph``
with lengths in km). Nodes are the junctions of the major roads (few have
degree 2); an edge is a road stretch between two of them, stored as a
straight segment but with the road's own length (up to ~64 km between
junctions on mountain expressways; median length / straight distance 1.00,
99th percentile 1.15). There are no ferries and no road classes.

:func:`extract_zhejiang_major_roads` reads the package once, at build time,
and writes the part within Zhejiang's bounding box (plus
:data:`EXTRACT_MARGIN_DEG`) to two small gzip CSV files in
``citylogistics/data/osm/``; :func:`load_major_roads` reads only those files,
so ``scgraph-data`` (about 300 MB installed, the ``roads`` extra) is needed
for rebuilding the extract, never at run time.

Data © OpenStreetMap contributors, ODbL 1.0 (see :data:`OSM_ATTRIBUTION`);
anything built from it is a derived database under the same licence.

Speed rule
----------
The data has no road classes, so the class (and with it the speed of
:data:`citylogistics.network.graph.DEFAULT_SPEEDS_KMH`) is set from each edge's
geometry — its length ``L`` (road km between two junctions of the major-road
network) and its straightness ``s`` (great-circle distance between its ends
/ ``L``):

* ``bridge`` (60 km/h): the straight segment leaves the province land
  (buffered 300 m) without entering a neighbouring province, i.e. it crosses
  the sea, a bay or an estuary (the Hangzhou Bay, Jiashao and Zhoushan
  bridges). Assigned when a network is built (:mod:`citylogistics.network.osm_build`),
  since it needs the province polygon.
* ``expressway`` (90 km/h): ``L >= 10 km`` and ``s >= 0.9``. An access-controlled
  road meets the other major roads only at interchanges, typically 10–30 km
  apart, and runs straight; a national or provincial road is crossed by the
  other major roads every few kilometres in the settled plains and valleys.
  This gives about a quarter of the extract's length as expressway, close to
  Zhejiang's share (~5,000 km of expressways among the major roads).
* ``national`` (60 km/h): ``L >= 2 km`` and ``s >= 0.8``.
* ``provincial`` (50 km/h): everything else — short stretches between
  junctions in towns and cities, and winding mountain roads.

The rule is a proxy, not a survey: some long straight national roads run at
90 and some short expressway stretches between close interchanges at 50.
Inside cities junctions are dense whatever the class: on the Hangzhou-centre
OSM extract (``shared/data/osm/hangzhou_centre``, with real classes) the
urban motorways and trunk roads all come out ``provincial`` (50 km/h), which
is close to their congested speeds anyway. The rule is stated in
``networks/README.md`` and exposed as :class:`SpeedRule` so it can be
calibrated.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import json
import math
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import networkx as nx
import numpy as np

from citylogistics.errors import InputError
from citylogistics.geo import haversine_m

__all__ = [
    "OSM_ATTRIBUTION",
    "EXTRACT_MARGIN_DEG",
    "NODES_FILE",
    "EDGES_FILE",
    "SpeedRule",
    "extract_zhejiang_major_roads",
    "load_major_roads",
    "major_roads_files",
]

#: Attribution required by the ODbL for anything shown or built from the data.
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL"
#: Degrees added on every side of the province polygon's bounding box.
EXTRACT_MARGIN_DEG = 0.1
NODES_FILE = "zj_major_roads_nodes.csv.gz"
EDGES_FILE = "zj_major_roads_edges.csv.gz"
_PROVINCE_GEOJSON = Path(__file__).resolve().parents[1] / "data" / "zhejiang" / "zj_boundary_province.geojson"
_OSM_DIR = Path(__file__).resolve().parents[1] / "data" / "osm"
_HEADER = f"# OpenStreetMap major roads of Zhejiang via scgraph-data; {OSM_ATTRIBUTION}\n"


def major_roads_files(folder: str | os.PathLike | None = None) -> tuple[Path, Path]:
    """Paths of the packaged node and edge files (or those in ``folder``)."""
    d = _OSM_DIR if folder is None else Path(folder)
    return d / NODES_FILE, d / EDGES_FILE


# ---------------------------------------------------------------------------
# extraction (build time, needs scgraph-data)
# ---------------------------------------------------------------------------


def _scgraph_source() -> Path:
    """Path of ``scgraph_data/world_highways.py`` without importing it.

    Importing it would run ``from scgraph.core import GeoGraph``, which
    scgraph 3.x no longer has, and parse 36 MB of literals (~30 s, ~3 GB).
    """
    try:
        spec = importlib.util.find_spec("scgraph_data")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "the optional package scgraph-data is not installed; it is needed only to rebuild the "
            "major-road extract: pip install 'citylogistics[roads]' (or pip install scgraph-data)",
            source="scgraph-data",
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "world_highways.py"
    if not path.is_file():
        raise InputError(
            f"{path} is missing; reinstall scgraph-data (pip install --force-reinstall scgraph-data)",
            source="scgraph-data",
        )
    return path


def _read_world_highways(path: Path) -> tuple[np.ndarray, list[str]]:
    """``nodes`` as an (n, 2) array of [lat, lon] and the raw ``graph`` entries (one str per node)."""
    nodes_txt = graph_txt = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("nodes="):
                nodes_txt = line[len("nodes=") :]
            elif line.startswith("graph="):
                graph_txt = line[len("graph=") :]
    if nodes_txt is None or graph_txt is None:
        raise InputError(
            "no `graph=` / `nodes=` lists found; this scgraph-data version has another layout (tested with 2.0.0)",
            source=str(path),
        )
    nodes = np.asarray(json.loads(nodes_txt), dtype=float)
    body = graph_txt.strip()
    if not (body.startswith("[{") and body.endswith("}]")):
        raise InputError("`graph=` is not a list of dicts", source=str(path))
    entries = body[2:-2].split("}, {")
    if len(entries) != len(nodes):
        raise InputError(f"`graph` has {len(entries)} entries for {len(nodes)} nodes", source=str(path))
    return nodes, entries


_ENTRY = re.compile(r"(\d+):\s*([0-9.eE+-]+)")


def _gzip_csv(path: Path, header: list[str], rows) -> None:
    buf = io.StringIO()
    buf.write(_HEADER)
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    data = gzip.compress(buf.getvalue().encode("utf-8"), compresslevel=9, mtime=0)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def extract_zhejiang_major_roads(
    out_dir: str | os.PathLike | None = None, *, margin_deg: float = EXTRACT_MARGIN_DEG
) -> tuple[Path, Path]:
    """Write the Zhejiang part of scgraph-data's world highways (build time only).

    Keeps every edge with both ends in the bounding box of the province
    polygon widened by ``margin_deg`` on each side, and the nodes they use.
    Nodes are renumbered 0..n-1 in scgraph order; the files are
    byte-identical for the same input.

    Parameters
    ----------
    out_dir
        Folder for ``zj_major_roads_nodes.csv.gz`` (``id,lon,lat,scgraph_id``)
        and ``zj_major_roads_edges.csv.gz`` (``u,v,length_m``, ``u < v``,
        integer metres as in the source's km with three decimals). Default:
        the packaged ``citylogistics/data/osm/``.
    margin_deg
        Margin around the province's bounding box (degrees).

    Returns
    -------
    (Path, Path)
        The node and edge files.

    Raises
    ------
    InputError
        scgraph-data is not installed or has an unknown layout.
    """
    import shapely

    src = _scgraph_source()
    with open(_PROVINCE_GEOJSON, encoding="utf-8") as f:
        gj = json.load(f)
    geoms = [shapely.geometry.shape(feat["geometry"]) for feat in gj["features"]]
    x0, y0, x1, y1 = shapely.union_all(geoms).bounds
    x0, y0, x1, y1 = x0 - margin_deg, y0 - margin_deg, x1 + margin_deg, y1 + margin_deg
    nodes, entries = _read_world_highways(src)
    lat, lon = nodes[:, 0], nodes[:, 1]
    inside = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    keep = np.flatnonzero(inside)
    edges: list[tuple[int, int, int]] = []
    for u in keep:
        for v_txt, km_txt in _ENTRY.findall(entries[u]):
            v = int(v_txt)
            if v > u and inside[v]:
                edges.append((int(u), v, int(round(float(km_txt) * 1000.0))))
    used = sorted({u for u, _, _ in edges} | {v for _, v, _ in edges})
    new_id = {old: i for i, old in enumerate(used)}
    out = _OSM_DIR if out_dir is None else Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    nodes_path, edges_path = major_roads_files(out)
    _gzip_csv(
        nodes_path, ["id", "lon", "lat", "scgraph_id"], ((new_id[o], f"{lon[o]:.3f}", f"{lat[o]:.3f}", o) for o in used)
    )
    rows = sorted((new_id[u], new_id[v], max(int(m), 1)) for u, v, m in edges)
    _gzip_csv(edges_path, ["u", "v", "length_m"], rows)
    return nodes_path, edges_path


# ---------------------------------------------------------------------------
# loading (run time, packaged files only)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SpeedRule:
    """Road class of an OSM major-road edge from its length and straightness.

    See the module docstring. ``straightness`` = great-circle distance between
    the edge's ends / its road length.
    """

    expressway_min_m: float = 10_000.0
    expressway_min_straightness: float = 0.9
    national_min_m: float = 2000.0
    national_min_straightness: float = 0.8

    def classify(self, length_m: np.ndarray, straightness: np.ndarray) -> np.ndarray:
        """Array of road classes (``expressway`` / ``national`` / ``provincial``)."""
        length_m = np.asarray(length_m, dtype=float)
        s = np.asarray(straightness, dtype=float)
        out = np.full(len(length_m), "provincial", dtype=object)
        nat = (length_m >= self.national_min_m) & (s >= self.national_min_straightness)
        out[nat] = "national"
        exp = (length_m >= self.expressway_min_m) & (s >= self.expressway_min_straightness)
        out[exp] = "expressway"
        return out

    def to_dict(self) -> dict:
        return asdict(self)


def _read_gzip_csv(path: Path, columns: tuple[str, ...]):
    import pandas as pd

    if not path.is_file():
        raise InputError(
            "the packaged major-road extract is missing; reinstall citylogistics or rebuild it with "
            "citylogistics.network.osm_major.extract_zhejiang_major_roads() (needs the roads extra)",
            source=str(path),
        )
    try:
        df = pd.read_csv(
            path,
            comment="#",
            dtype={c: "int64" if c in ("id", "u", "v", "length_m", "scgraph_id") else "float64" for c in columns},
        )
    except Exception as exc:
        raise InputError(
            f"not a readable gzip CSV ({type(exc).__name__}: {exc}); rebuild the extract", source=str(path)
        ) from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"columns {missing} missing; rebuild the extract", source=str(path))
    return df


def load_major_roads(
    *, folder: str | os.PathLike | None = None, rule: SpeedRule | None = None, speeds_kmh=None
) -> nx.Graph:
    """The OSM major roads of Zhejiang (bounding box + 0.1°) as a road network.

    Reads only the packaged files (no scgraph-data needed).

    Parameters
    ----------
    folder
        Folder of the two files (default: the packaged ``data/osm``).
    rule
        Speed rule (default :class:`SpeedRule`).
    speeds_kmh
        Speed by road class (default
        :data:`citylogistics.network.graph.DEFAULT_SPEEDS_KMH`).

    Returns
    -------
    networkx.Graph
        Undirected, possibly disconnected (island road networks). Graph
        ``crs = "EPSG:4326"``, ``source = "osm"``, ``attribution``. Node ids
        ``"m<id>"`` with ``x``, ``y`` (WGS-84 lon/lat), ``kind = "junction"``,
        ``code`` (= the id), ``name``, ``city_code``, ``county_code`` (empty).
        Edges ``length_m`` (road length, m), ``travel_time_s``,
        ``road_class`` (by :class:`SpeedRule`) and ``source = "osm"``.
    """
    from citylogistics.network.graph import DEFAULT_SPEEDS_KMH

    rule = SpeedRule() if rule is None else rule
    speeds = dict(DEFAULT_SPEEDS_KMH if speeds_kmh is None else speeds_kmh)
    nodes_path, edges_path = major_roads_files(folder)
    nd = _read_gzip_csv(nodes_path, ("id", "lon", "lat"))
    ed = _read_gzip_csv(edges_path, ("u", "v", "length_m"))
    ids = nd["id"].to_numpy()
    if not np.array_equal(ids, np.arange(len(ids))):
        raise InputError("node ids are not 0..n-1 in order; rebuild the extract", source=str(nodes_path))
    lon, lat = nd["lon"].to_numpy(float), nd["lat"].to_numpy(float)
    u, v = ed["u"].to_numpy(), ed["v"].to_numpy()
    length = ed["length_m"].to_numpy(float)
    bad = (u < 0) | (v < 0) | (u >= len(ids)) | (v >= len(ids)) | (u == v) | ~(length > 0)
    if bad.any():
        k = int(np.argmax(bad))
        raise InputError(
            f"edge {u[k]}-{v[k]} is broken (unknown node or length {length[k]}); rebuild the extract",
            source=str(edges_path),
            where=f"row {k + 1}",
        )
    straight = haversine_m(lon[u], lat[u], lon[v], lat[v])
    # coordinates are rounded to 0.001°, so a short edge can look straighter than the road
    s = np.minimum(straight / length, 1.0)
    classes = rule.classify(length, s)
    G = nx.Graph()
    G.graph.update(
        {
            "crs": "EPSG:4326",
            "name": "zhejiang-osm-major-roads",
            "source": "osm",
            "attribution": OSM_ATTRIBUTION,
            "speed_rule": json.dumps(rule.to_dict(), sort_keys=True),
        }
    )
    for i in range(len(ids)):
        nid = f"m{i}"
        G.add_node(
            nid, x=float(lon[i]), y=float(lat[i]), kind="junction", code=nid, name="", city_code="", county_code=""
        )
    for a, b, L, c in zip(u.tolist(), v.tolist(), length.tolist(), classes.tolist()):
        G.add_edge(
            f"m{a}",
            f"m{b}",
            length_m=float(L),
            travel_time_s=round(L / (speeds[c] / 3.6), 1),
            road_class=c,
            source="osm",
        )
    return G


def _speed_summary(G: nx.Graph) -> dict:  # pragma: no cover - used by the README figures
    out: dict[str, float] = {}
    for _, _, d in G.edges(data=True):
        out[d["road_class"]] = out.get(d["road_class"], 0.0) + d["length_m"] / 1000.0
    return {k: round(v, 1) for k, v in sorted(out.items())}


if __name__ == "__main__":  # pragma: no cover
    import sys

    paths = extract_zhejiang_major_roads(sys.argv[1] if len(sys.argv) > 1 else None)
    for p in paths:
        print(p, p.stat().st_size)
    G = load_major_roads(folder=paths[0].parent)
    print(
        G.number_of_nodes(),
        "nodes",
        G.number_of_edges(),
        "edges",
        _speed_summary(G),
        "km by class",
        math.fsum(d["length_m"] for _, _, d in G.edges(data=True)) / 1000.0,
        "km",
    )
