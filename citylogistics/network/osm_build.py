"""City networks and the province backbone on the OSM major roads.

:func:`build_city_road_network` and :func:`build_province_road_backbone` put
the settlements of :mod:`citylogistics.regions` on the real major roads of
:func:`citylogistics.network.osm_major.load_major_roads`; the result has the node and
edge schema of :mod:`citylogistics.network.graph` (``load_graphml`` /
``validate_network`` accept it, settlements are nodes whose id is their code)
plus an edge attribute ``source`` (``"osm"`` or ``"generated"``).

Method
------
1. **Roads.** The major-road edges with both ends inside the area (the city
   polygon, or the province, buffered by ``buffer_m``) and inside Zhejiang:
   an edge is kept when its straight segment lies on the province land
   (buffered by ``NetworkParams.coast_tolerance_m``, the boundaries being
   simplified) or crosses only the sea (then it is a real bridge: class
   ``bridge``); stretches in the neighbouring provinces are left out, so no
   land edge leaves the province polygon. ``source = "osm"``.
2. **Access links.** The city hub, county seats and towns each join the road
   nearest to them — the nearest junction, or the nearest point of a
   junction-to-junction stretch when that is closer (the stretch is split
   there at a node ``"a<code>"``, lengths in proportion) — by one access link
   whose straight segment stays on land, up to ``access_max_m``. Villages do
   the same when a major road is within ``village_access_max_m``. Length =
   straight length × the terrain detour factor of the settlement's county
   (``NetworkParams.detour``: plain 1.25, hills 1.4, mountain 1.6), at least
   ``NetworkParams.min_edge_m``; speed of class ``county`` (40 km/h) for hubs,
   seats and towns, ``village`` (25 km/h) for villages, times
   ``mountain_speed_factor`` (0.8) in the mountain zone. ``source = "generated"``.
3. **Village links** of the generated network (:func:`citylogistics.network.hierarchy.generated_city_network`:
   village–town, village–village and village–seat, and any ferry to a village)
   stay, ``source = "generated"``: the major roads do not reach villages.
4. **Fallback.** The generated links between hubs, seats and towns (and their
   bridges and ferries) are dropped where the roads do the job; where a part
   of the network is still apart (an island without a road bridge, a town with
   no land access to a major road, a road piece cut off by the clip), the
   fastest of those links that joins two parts are put back, Kruskal-fashion,
   until the network is connected (islands keep their ferries and bridges).
   Road pieces that carry no settlement are then dropped.

Node ids: settlements by code (``kind`` hub|county|town|village), road
junctions ``"m<id>"`` (ids of the packaged extract, the same in every city
network and the backbone, so :func:`citylogistics.network.generate.compose_networks`
joins them), split points ``"a<code>"`` and generated junctions
``"j<city code>-<n>"`` (kind ``junction``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields

import networkx as nx
import numpy as np

from citylogistics.errors import InputError
from citylogistics.geo import M_PER_DEG, haversine_m
from citylogistics.network.graph import plane_xy, validate_network
from citylogistics.network.hierarchy import NetworkParams, generated_city_network, generated_province_backbone
from citylogistics.network.osm_major import OSM_ATTRIBUTION

__all__ = ["OsmBuildParams", "build_city_road_network", "build_province_road_backbone", "SEA_BOXES"]

#: Outside the province polygon, these boxes are sea (lon0, lat0, lon1, lat1);
#: anything else outside is a neighbouring province (Shanghai, Jiangsu,
#: Anhui, Jiangxi, Fujian). The coast from the Hangzhou Bay mouth to the
#: Fujian border lies east of 120.6°E between 27.2°N and 30.75°N.
SEA_BOXES = ((120.6, 27.2, 124.0, 30.75), (121.0, 26.0, 124.0, 27.2))
_SETTLEMENT_KINDS = ("hub", "county", "town", "village")


@dataclass(frozen=True)
class OsmBuildParams:
    """Parameters of a network built on the OSM major roads.

    Parameters
    ----------
    network
        Parameters of the generated layer (village links, fallback links,
        detour factors, speeds, ferries).
    buffer_m
        The road area is the city (or province) polygon buffered by about
        this much (degrees of latitude; a little less east-west).
    access_max_m
        Longest straight access link of a hub, seat or town.
    village_access_max_m
        A village joins a major road directly only within this distance.
    access_class, village_access_class
        Road classes (hence speeds) of the access links.
    split_min_straightness
        A road stretch is split at the point nearest a settlement only if its
        ends are at least this straight (great-circle / road length); else the
        settlement joins a junction.
    split_end_m
        A split point closer than this to a junction snaps to the junction.
    """

    network: NetworkParams = field(default_factory=NetworkParams)
    buffer_m: float = 10_000.0
    access_max_m: float = 30_000.0
    village_access_max_m: float = 2_000.0
    access_class: str = "county"
    village_access_class: str = "village"
    split_min_straightness: float = 0.85
    split_end_m: float = 200.0

    def __post_init__(self):
        for name in ("buffer_m", "access_max_m", "village_access_max_m", "split_end_m"):
            v = getattr(self, name)
            if not (v >= 0 and math.isfinite(v)):
                raise InputError(f"{name} is {v!r}; give a number of metres >= 0", source="OsmBuildParams", where=name)
        for name in ("access_class", "village_access_class"):
            if getattr(self, name) not in self.network.speeds_kmh:
                raise InputError(
                    f"{name} is {getattr(self, name)!r}; use one of {tuple(self.network.speeds_kmh)}",
                    source="OsmBuildParams",
                    where=name,
                )
        if not (0.0 <= self.split_min_straightness <= 1.0):
            raise InputError(
                "split_min_straightness must be within [0, 1]", source="OsmBuildParams", where="split_min_straightness"
            )

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["network"] = self.network.to_dict()
        return d


# ---------------------------------------------------------------------------
# roads
# ---------------------------------------------------------------------------


def _sea_mask(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    m = np.zeros(len(x), dtype=bool)
    for x0, y0, x1, y1 in SEA_BOXES:
        m |= (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    return m


def _clip_roads(major: nx.Graph, area, land_buffered, speeds: NetworkParams) -> nx.Graph:
    """Major-road edges inside ``area`` and Zhejiang (land, or sea crossings as bridges)."""
    import shapely

    ids = list(major.nodes)
    x = np.array([major.nodes[n]["x"] for n in ids], dtype=float)
    y = np.array([major.nodes[n]["y"] for n in ids], dtype=float)
    pts = shapely.points(x, y)
    in_area = shapely.covers(area, pts)
    on_land = shapely.covers(land_buffered, pts)
    ok_node = in_area & (on_land | _sea_mask(x, y))
    pos = {n: i for i, n in enumerate(ids)}
    edges = [(u, v, d) for u, v, d in major.edges(data=True) if ok_node[pos[u]] and ok_node[pos[v]]]
    R = nx.Graph()
    if not edges:
        return R
    iu = np.array([pos[u] for u, _, _ in edges])
    iv = np.array([pos[v] for _, v, _ in edges])
    lines = shapely.linestrings(np.stack([np.column_stack([x[iu], y[iu]]), np.column_stack([x[iv], y[iv]])], axis=1))
    covered = shapely.covers(land_buffered, lines)
    both_land = on_land[iu] & on_land[iv]
    for k, (u, v, d) in enumerate(edges):
        d = dict(d)
        if not covered[k]:
            if both_land[k] or _sea_mask(x[[iu[k], iv[k]]], y[[iu[k], iv[k]]]).any():
                d["road_class"] = "bridge"
                d["travel_time_s"] = round(d["length_m"] / (speeds.speed_kmh("bridge") / 3.6), 1)
            else:  # pragma: no cover - both ends checked above
                continue
        for n in (u, v):
            if n not in R:
                R.add_node(n, **major.nodes[n])
        R.add_edge(u, v, **d)
    return R


# ---------------------------------------------------------------------------
# access links
# ---------------------------------------------------------------------------


def _access_targets(R: nx.Graph, sx, sy, limits, land_buffered, p: OsmBuildParams):
    """For each settlement: ``None`` or ``(kind, target, t, lon, lat, straight_m)``.

    ``kind`` is ``"node"`` (target = node id) or ``"split"`` (target = edge
    ``(u, v)`` and ``t`` the fraction from ``u``).
    """
    import shapely
    from scipy.spatial import cKDTree

    n = len(sx)
    out: list = [None] * n
    if R.number_of_nodes() == 0 or n == 0:
        return out
    ids = list(R.nodes)
    x = np.array([R.nodes[k]["x"] for k in ids])
    y = np.array([R.nodes[k]["y"] for k in ids])
    lat0 = float(np.mean(y))
    XY = plane_xy(x, y, lat0)
    S = plane_xy(sx, sy, lat0)
    pos = {k: i for i, k in enumerate(ids)}
    elist = [(u, v, d) for u, v, d in R.edges(data=True) if d["road_class"] != "bridge"]
    ea = np.array([pos[u] for u, _, _ in elist], dtype=int)
    eb = np.array([pos[v] for _, v, _ in elist], dtype=int)
    elen = np.array([d["length_m"] for _, _, d in elist], dtype=float)
    chord = np.hypot(*(XY[eb] - XY[ea]).T)
    splittable = (chord / np.maximum(elen, 1.0) >= p.split_min_straightness) & (chord > 2 * p.split_end_m)
    etree = shapely.STRtree(shapely.linestrings(np.stack([XY[ea], XY[eb]], axis=1)))
    ntree = cKDTree(XY)
    k_nodes = min(6, len(ids))
    dn, nn = ntree.query(S, k=k_nodes)
    dn = np.asarray(dn).reshape(n, -1)
    nn = np.asarray(nn).reshape(n, -1)
    cand: list[list[tuple]] = []
    seg_a, seg_b, owner = [], [], []
    for i in range(n):
        if dn[i, 0] > limits[i]:
            cand.append([])
            continue
        c = [
            (float(dn[i, j]), j, "node", ids[int(nn[i, j])], 0.0, x[nn[i, j]], y[nn[i, j]])
            for j in range(nn.shape[1])
            if dn[i, j] <= limits[i]
        ]
        hits = etree.query(shapely.points(S[i]), predicate="dwithin", distance=float(dn[i, 0]))
        for e in hits:
            if not splittable[e]:
                continue
            A, B = XY[ea[e]], XY[eb[e]]
            AB = B - A
            t = float(np.dot(S[i] - A, AB) / np.dot(AB, AB))
            if t * chord[e] < p.split_end_m or (1 - t) * chord[e] < p.split_end_m:
                continue
            P = A + t * AB
            d = float(np.hypot(*(S[i] - P)))
            u, v = elist[e][0], elist[e][1]
            c.append(
                (d, -1, "split", (u, v), t, x[ea[e]] + t * (x[eb[e]] - x[ea[e]]), y[ea[e]] + t * (y[eb[e]] - y[ea[e]]))
            )
        c.sort(key=lambda r: (r[0], r[2], str(r[3])))
        cand.append(c)
        for r in c:
            seg_a.append((sx[i], sy[i]))
            seg_b.append((r[5], r[6]))
            owner.append(i)
    if not owner:
        return out
    lines = shapely.linestrings(np.stack([np.array(seg_a), np.array(seg_b)], axis=1))
    ok = shapely.covers(land_buffered, lines)
    k = 0
    for i in range(n):
        for r in cand[i]:
            if out[i] is None and ok[k]:
                straight = float(haversine_m(sx[i], sy[i], r[5], r[6]))
                out[i] = (r[2], r[3], r[4], float(r[5]), float(r[6]), straight)
            k += 1
    return out


# ---------------------------------------------------------------------------
# assembly
# ---------------------------------------------------------------------------


def _assemble(
    major: nx.Graph, gen: nx.Graph, *, area, land, p: OsmBuildParams, name: str, tag: str, extra: dict
) -> nx.Graph:
    np_ = p.network
    land_buffered = land.buffer(np_.coast_tolerance_m / M_PER_DEG)
    import shapely

    shapely.prepare(land_buffered)
    R = _clip_roads(major, area, land_buffered, np_)
    G, settle, held = _layers(R, gen, p=p, name=name, tag=tag, extra=extra)
    _add_access_links(G, R, gen, settle, land_buffered, p)
    _put_back_fallback(G, held)
    _drop_unused(G, gen)
    validate_network(G, source=name)
    missing = [n for n in settle if n not in G]
    if missing:  # pragma: no cover - the generated layer is connected
        raise InputError(f"settlement {missing[0]} lost while building", source=name)
    return _ordered(G)


def _layers(R: nx.Graph, gen: nx.Graph, *, p: OsmBuildParams, name: str, tag: str, extra: dict):
    """The roads plus the generated layer: settlements, junctions (renamed per
    network), village edges; the other generated edges are held back.

    Returns ``(G, settlement ids, held-back edges as (time, u, v, attrs))``.
    """
    rename = {n: (f"j{tag}-{n[1:]}" if d.get("kind") == "junction" else n) for n, d in gen.nodes(data=True)}
    G = nx.Graph()
    G.graph.update(
        {
            "crs": "EPSG:4326",
            "name": name,
            "source": "osm+generated",
            "generator": "citylogistics.network.osm_build",
            "attribution": OSM_ATTRIBUTION,
            "params": json.dumps(p.to_dict(), sort_keys=True, ensure_ascii=False),
        }
    )
    G.graph.update(extra)
    settle = [n for n, d in gen.nodes(data=True) if d.get("kind") in _SETTLEMENT_KINDS]
    for n, d in gen.nodes(data=True):
        dd = dict(d)
        if dd.get("kind") == "junction":
            dd["code"] = rename[n]
        G.add_node(rename[n], **dd)
    for n, d in R.nodes(data=True):
        G.add_node(n, **d)
    for u, v, d in R.edges(data=True):
        G.add_edge(u, v, **d)
    held: list[tuple] = []
    for u, v, d in gen.edges(data=True):
        d = dict(d, source="generated")
        ku, kv = gen.nodes[u]["kind"], gen.nodes[v]["kind"]
        if "village" in (ku, kv):
            G.add_edge(rename[u], rename[v], **d)
        else:
            held.append((d["travel_time_s"], rename[u], rename[v], d))
    return G, settle, held


def _add_access_links(G: nx.Graph, R: nx.Graph, gen: nx.Graph, settle: list, land_buffered, p: OsmBuildParams) -> None:
    """Join each settlement to its nearest road (node or split point), in place."""
    np_ = p.network
    sx = np.array([gen.nodes[n]["x"] for n in settle])
    sy = np.array([gen.nodes[n]["y"] for n in settle])
    kinds = [gen.nodes[n]["kind"] for n in settle]
    limits = np.array([p.village_access_max_m if k == "village" else p.access_max_m for k in kinds])
    targets = _access_targets(R, sx, sy, limits, land_buffered, p)
    splits: dict[tuple, list] = {}
    links = []
    for code, kind, tgt in zip(settle, kinds, targets):
        if tgt is None:
            continue
        how, target, t, lon, lat, straight = tgt
        if how == "split":
            node = f"a{code}"
            splits.setdefault(target, []).append((t, node, lon, lat))
        else:
            node = target
        links.append((code, kind, node, straight))
    _split_edges(G, splits)
    for code, kind, node, straight in links:
        cls = p.village_access_class if kind == "village" else p.access_class
        zkey = code if kind == "hub" else gen.nodes[code].get("county_code", "")
        zone = np_.zone(zkey)
        length = max(straight * np_.detour(zone), np_.min_edge_m)
        speed = np_.speed_kmh(cls) / 3.6 * (np_.mountain_speed_factor if zone == "mountain" else 1.0)
        G.add_edge(
            code,
            node,
            length_m=round(length, 1),
            travel_time_s=round(length / speed, 1),
            road_class=cls,
            source="generated",
        )


def _split_edges(G: nx.Graph, splits: dict) -> None:
    """Split road edges ``(u, v)`` at the points ``[(t, node, lon, lat)]``, lengths in proportion."""
    for (u, v), pts in sorted(splits.items()):
        d = G.edges[u, v]
        G.remove_edge(u, v)
        L, T = d["length_m"], d["travel_time_s"]
        chain = [(0.0, u)] + [(t, nd) for t, nd, _, _ in sorted(pts)] + [(1.0, v)]
        for _t, nd, lon, lat in pts:
            G.add_node(nd, x=float(lon), y=float(lat), kind="junction", code=nd, name="", city_code="", county_code="")
        for (t0, a), (t1, b) in zip(chain, chain[1:]):
            frac = max(t1 - t0, 1e-6)
            G.add_edge(
                a, b, **dict(d, length_m=round(max(L * frac, 1.0), 1), travel_time_s=round(max(T * frac, 0.1), 1))
            )


def _put_back_fallback(G: nx.Graph, held: list) -> None:
    """Put back the fastest held-back generated links that join parts (Kruskal), in place."""
    comp = {}
    for k, cc in enumerate(nx.connected_components(G)):
        for n in cc:
            comp[n] = k
    parent = list(range(max(comp.values()) + 1))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for _t, u, v, d in sorted(held, key=lambda r: (r[0], r[1], r[2])):
        a, b = find(comp[u]), find(comp[v])
        if a != b:
            parent[max(a, b)] = min(a, b)
            G.add_edge(u, v, **d)


def _drop_unused(G: nx.Graph, gen: nx.Graph) -> None:
    """Drop parts without settlements, then dangling generated junctions, in place."""
    keep = set()
    for cc in nx.connected_components(G):
        if any(n in gen and G.nodes[n]["kind"] in _SETTLEMENT_KINDS for n in cc):
            keep |= cc
    G.remove_nodes_from([n for n in list(G.nodes) if n not in keep])
    while True:
        dangling = [n for n in G.nodes if n.startswith("j") and G.nodes[n]["kind"] == "junction" and G.degree(n) <= 1]
        if not dangling:
            break
        G.remove_nodes_from(dangling)


def _ordered(G: nx.Graph) -> nx.Graph:
    """The same graph with nodes and edges in a canonical order (byte-stable GraphML)."""
    H = nx.Graph()
    H.graph.update(G.graph)
    for n in sorted(G.nodes):
        H.add_node(n, **G.nodes[n])
    for u, v in sorted((min(a, b), max(a, b)) for a, b in G.edges):
        H.add_edge(u, v, **G.edges[u, v])
    return H


def _geoms(settlements):
    from citylogistics.regions import Regions

    return Regions(settlements=settlements)


def build_city_road_network(
    major: nx.Graph,
    settlements,
    *,
    city_code: str,
    polygon=None,
    land=None,
    params: OsmBuildParams | None = None,
    levels=("city", "county", "town", "village"),
) -> nx.Graph:
    """The road network of one city on the OSM major roads.

    Parameters
    ----------
    major
        :func:`citylogistics.network.osm_major.load_major_roads`.
    settlements
        Settlements frame (``Regions.settlements`` or rows of
        ``Regions.of_level``): code, level, parent_code, city_code,
        county_code, lon, lat, name.
    city_code
        Six-digit city code, e.g. ``"330100"``.
    polygon
        The city's boundary (default: ``Regions.city_polygons()``).
    land
        The province land (default: ``Regions.province_polygon()``).
    params
        :class:`OsmBuildParams`.
    levels
        Settlement levels to include.

    Returns
    -------
    networkx.Graph
        Connected; ``G.graph["source"] == "osm+generated"``; every edge has
        ``source`` ``"osm"`` or ``"generated"``. See the module docstring.
    """
    p = OsmBuildParams() if params is None else params
    city_code = str(city_code)
    from citylogistics.regions import CITY_CODES

    if polygon is None:
        polys = _geoms(settlements).city_polygons()
        if city_code not in polys.index:
            raise InputError(
                f"no boundary for city {city_code}; use a six-digit Zhejiang city code such as 330100",
                source="build_city_road_network",
                where="city_code",
            )
        polygon = polys.loc[city_code].geometry
    if land is None:
        land = _geoms(settlements).province_polygon()
    gen = generated_city_network(settlements, city_code=city_code, land=land, params=p.network, levels=levels)
    area = polygon.buffer(p.buffer_m / M_PER_DEG)
    return _assemble(
        major,
        gen,
        area=area,
        land=land,
        p=p,
        name=CITY_CODES.get(city_code, city_code),
        tag=city_code,
        extra={"city_code": city_code},
    )


def build_province_road_backbone(
    major: nx.Graph, settlements, *, land=None, params: OsmBuildParams | None = None
) -> nx.Graph:
    """The province backbone on the OSM major roads: city hubs and county seats.

    All major roads of the province (with its bridges), each hub and seat
    joined by an access link; islands without a road bridge keep the
    generated backbone's ferries. Node ids are shared with the city networks.
    """
    p = OsmBuildParams() if params is None else params
    if land is None:
        land = _geoms(settlements).province_polygon()
    gen = generated_province_backbone(settlements, land=land, params=p.network)
    area = land.buffer(p.buffer_m / M_PER_DEG)
    return _assemble(
        major, gen, area=area, land=land, p=p, name="zhejiang", tag="330000", extra={"city_code": "330000"}
    )
