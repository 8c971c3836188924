"""The generated hierarchical road networks: city networks and the province
backbone built from settlement points alone (no real roads), and their
parameters :class:`NetworkParams` (speeds, detour factors, ferries, bridges),
which the OSM builds and imports share.

The result has the schema of :mod:`citylogistics.network.graph`. Choose
between these and the networks on the OSM major roads with
:func:`citylogistics.network.generate.build_city_network` (``roads=``);
:func:`citylogistics.network.osm_build` uses these for its village links and
fallback links.

Method
------
1. Every settlement is put on the *land component* (a polygon part of the
   province land, e.g. the mainland or one island) that contains it; a point
   outside all land (a tiny islet lost by the boundary simplification) is a
   component on its own.
2. Inside a component: an edge to the administrative parent (village→town,
   town→county seat, county seat→city hub) plus links to the
   ``NetworkParams.extra_links`` nearest settlements of the same or a higher
   tier. A candidate edge is kept only if its straight segment lies on land
   (province land buffered by ``coast_tolerance_m``, because the shipped
   boundaries are simplified). Pieces of one component left apart (a bay in
   between) are joined by the shortest land-covered link, else through a
   junction node inside the land.
3. Components are joined by a minimum spanning tree (on travel time) of their
   shortest links. Such a link is a ``bridge`` when both sides are known
   bridged land (the mainland and the islands listed in
   ``NetworkParams.bridged_islands``) or the gap is at most
   ``bridge_max_gap_m``; otherwise it is a ``ferry`` (slow, plus
   ``ferry_wait_s``). No other edge crosses the sea.
4. ``length_m`` = great-circle length × detour factor (road km per straight km)
   of the terrain zone of its end points; ``travel_time_s`` =
   ``length_m`` / speed of the road class (reduced on mountain roads).

Road classes by the tiers joined: hub–county ``expressway``, county–county
``national``, hub/county–town ``provincial``, town–town ``county``, anything
with a village ``village``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType

import networkx as nx
import numpy as np

from citylogistics.errors import InputError
from citylogistics.geo import haversine_m
from citylogistics.network.graph import DEFAULT_SPEEDS_KMH, LEVEL_KIND, ROAD_CLASSES, WATER_CLASSES, plane_xy
from citylogistics.network.land import Land

__all__ = [
    "NetworkParams",
    "DEFAULT_MOUNTAIN",
    "DEFAULT_HILLS",
    "DEFAULT_BRIDGED_ISLANDS",
    "DEFAULT_FIXED_BRIDGES",
    "generated_city_network",
    "generated_province_backbone",
]

_KIND_RANK = {"hub": 0, "county": 1, "town": 2, "village": 3, "junction": 3}


#: County code prefixes of the mountainous zone: all of Lishui (3311) and
#: Quzhou (3308), western Hangzhou (Chun'an 330127, Jiande 330182, Tonglu
#: 330122, Lin'an 330112), Wenzhou's Wencheng 330328 and Taishun 330329,
#: Jinhua's Pan'an 330727.
DEFAULT_MOUNTAIN = ("3311", "3308", "330127", "330182", "330122", "330112", "330328", "330329", "330727")
#: Hilly zone: the rest of Jinhua (3307), southern Shaoxing (Zhuji 330681,
#: Shengzhou 330683, Xinchang 330624), Anji 330523, Fuyang 330111, Ninghai
#: 330226, Yongjia 330324, Cangnan 330327, Tiantai 331023, Xianju 331024,
#: Linhai 331082. Everything else (Jiaxing, Huzhou plain, the coastal plains and
#: city districts) is plain.
DEFAULT_HILLS = (
    "3307",
    "330681",
    "330683",
    "330624",
    "330523",
    "330111",
    "330226",
    "330324",
    "330327",
    "331023",
    "331024",
    "331082",
)
#: Islands joined to the mainland (or to each other) by bridges or causeways;
#: a land component containing one of these points is "bridged". Points are
#: the representative points of the polygon parts in the shipped boundaries.
DEFAULT_BRIDGED_ISLANDS = (
    ("Zhoushan island (Zhoushan Trans-Oceanic Bridges)", 122.134, 30.062),
    ("Jintang (Jintang Bridge)", 121.881, 30.027),
    ("Cezi / Fuchi / Lidiao chain", 121.933, 30.091),
    ("Daishan (Zhoushan-Daishan Bridge, 2021)", 122.157, 30.297),
    ("Zhujiajian (Putuo)", 122.394, 29.89),
    ("Meishan (Beilun)", 121.959, 29.925),
    ("Gaotang (Xiangshan)", 121.93, 29.119),
    ("Nantian (Xiangshan)", 121.816, 29.071),
    ("Dongtou (Wenzhou Peninsula Project)", 121.142, 27.844),
    ("Dongtou Damen island", 121.088, 27.965),
)
#: Bridges between county seats, added before islands are joined (so the
#: backbone crosses where the real bridges are): Hangzhou Bay Bridge
#: (Cixi-Haiyan, 2008), Jiashao Bridge (Shangyu-Haining, 2013), Zhoushan
#: Trans-Oceanic Bridges (Beilun-Dinghai, 2009), Zhoushan-Daishan Bridge
#: (2021), Wenzhou Peninsula Project / Lingkun bridges (Longwan-Dongtou, 2006).
#: Seats stand for the bridge ends (approximate).
DEFAULT_FIXED_BRIDGES = (
    ("330282", "330424", "Hangzhou Bay Bridge"),
    ("330604", "330481", "Jiashao Bridge"),
    ("330206", "330902", "Zhoushan Trans-Oceanic Bridges"),
    ("330902", "330921", "Zhoushan-Daishan Bridge"),
    ("330303", "330305", "Wenzhou Peninsula Project"),
)


@dataclass(frozen=True)
class NetworkParams:
    """Parameters of the generated road network.

    Parameters
    ----------
    speeds_kmh
        Speed by land road class and ``bridge`` (km/h); see
        :data:`DEFAULT_SPEEDS_KMH`. Ferries use ``ferry_speed_kmh``.
    detour_plain, detour_hills, detour_mountain
        Road km per straight-line km by terrain zone. National road networks
        show circuity factors of about 1.2-1.4 (Ballou, Rahardja & Sakai 2002,
        *Transp. Res. A* 36: 843-848, "selected country circuity factors";
        Giacomin & Levinson 2015 for metro areas ~1.2-1.3). The northern plain's
        dense grid is at the low end (1.25); hills 1.4; mountain roads follow
        valleys and switchbacks, so 1.6 is assumed for the south-west (an
        assumption, exposed so it can be calibrated against real routes).
    mountain_counties, hills_counties
        County-code prefixes of the mountain / hill zones (a node is in the
        first zone whose prefix matches its county code, else plain).
    mountain_speed_factor
        Multiplier on speeds of non-expressway roads between two mountain nodes
        (winding roads are slower as well as longer).
    ferry_speed_kmh, ferry_wait_s, ferry_detour
        Ferry speed, mean wait for a departure added to each ferry edge, and
        sailing distance per straight distance.
    bridge_detour
        Length per straight length of a bridge edge (approach roads).
    bridge_max_gap_m
        Any water gap up to this length is taken as bridged or causewayed.
    bridged_islands
        ``(name, lon, lat)`` points; the land component holding one is joined by
        bridges. See :data:`DEFAULT_BRIDGED_ISLANDS`.
    fixed_bridges
        ``(code_a, code_b, name)``: bridge edges added when both nodes are in the
        graph (bay bridges between county seats).
    coast_tolerance_m
        The land polygon is buffered by this much before testing whether an edge
        stays on land (the boundaries are simplified).
    extra_links
        Links from each settlement to its nearest settlements of the same or a
        higher tier, on top of the administrative tree (gives alternative
        routes; 0 gives a tree).
    min_edge_m
        Floor on ``length_m`` (coincident settlement points).
    """

    speeds_kmh: Mapping[str, float] = field(default_factory=lambda: DEFAULT_SPEEDS_KMH)
    detour_plain: float = 1.25
    detour_hills: float = 1.4
    detour_mountain: float = 1.6
    mountain_counties: tuple[str, ...] = DEFAULT_MOUNTAIN
    hills_counties: tuple[str, ...] = DEFAULT_HILLS
    mountain_speed_factor: float = 0.8
    ferry_speed_kmh: float = 25.0
    ferry_wait_s: float = 1800.0
    ferry_detour: float = 1.15
    bridge_detour: float = 1.1
    bridge_max_gap_m: float = 1500.0
    bridged_islands: tuple[tuple[str, float, float], ...] = DEFAULT_BRIDGED_ISLANDS
    fixed_bridges: tuple[tuple[str, str, str], ...] = DEFAULT_FIXED_BRIDGES
    coast_tolerance_m: float = 300.0
    extra_links: int = 2
    min_edge_m: float = 50.0

    def __post_init__(self):
        speeds = dict(self.speeds_kmh)
        missing = [c for c in ROAD_CLASSES if c != "ferry" and c not in speeds]
        if missing:
            raise InputError(
                f"speeds_kmh lacks road classes {missing}; give a speed (km/h) for each of "
                f"{[c for c in ROAD_CLASSES if c != 'ferry']}",
                source="NetworkParams",
                where="speeds_kmh",
            )
        for cls, v in speeds.items():
            if cls not in ROAD_CLASSES:
                raise InputError(
                    f"unknown road class {cls!r}; use one of {ROAD_CLASSES}", source="NetworkParams", where="speeds_kmh"
                )
            if not (float(v) > 0 and math.isfinite(float(v))):
                raise InputError(
                    f"speed for {cls!r} is {v!r}; give a positive number of km/h",
                    source="NetworkParams",
                    where="speeds_kmh",
                )
        object.__setattr__(self, "speeds_kmh", MappingProxyType({k: float(v) for k, v in speeds.items()}))
        for name in ("detour_plain", "detour_hills", "detour_mountain", "ferry_detour", "bridge_detour"):
            v = getattr(self, name)
            if not (v >= 1.0 and math.isfinite(v)):
                raise InputError(
                    f"{name} is {v!r}; a detour factor is road km per straight km, give a number >= 1",
                    source="NetworkParams",
                    where=name,
                )
        for name in ("ferry_speed_kmh", "mountain_speed_factor", "min_edge_m"):
            v = getattr(self, name)
            if not (v > 0 and math.isfinite(v)):
                raise InputError(f"{name} is {v!r}; give a positive number", source="NetworkParams", where=name)
        for name in ("ferry_wait_s", "bridge_max_gap_m", "coast_tolerance_m"):
            v = getattr(self, name)
            if not (v >= 0 and math.isfinite(v)):
                raise InputError(f"{name} is {v!r}; give a number >= 0", source="NetworkParams", where=name)
        if int(self.extra_links) != self.extra_links or self.extra_links < 0:
            raise InputError(
                f"extra_links is {self.extra_links!r}; give an integer >= 0",
                source="NetworkParams",
                where="extra_links",
            )
        object.__setattr__(self, "mountain_counties", tuple(str(c) for c in self.mountain_counties))
        object.__setattr__(self, "hills_counties", tuple(str(c) for c in self.hills_counties))
        object.__setattr__(
            self, "bridged_islands", tuple((str(n), float(x), float(y)) for n, x, y in self.bridged_islands)
        )
        object.__setattr__(self, "fixed_bridges", tuple((str(a), str(b), str(n)) for a, b, n in self.fixed_bridges))

    def speed_kmh(self, road_class: str) -> float:
        """Speed of a road class (km/h); ferries use ``ferry_speed_kmh``."""
        return self.ferry_speed_kmh if road_class == "ferry" else self.speeds_kmh[road_class]

    def zone(self, county_code: str) -> str:
        """Terrain zone (``"mountain"``, ``"hills"`` or ``"plain"``) of a county code."""
        code = str(county_code or "")
        if code and any(code.startswith(p) for p in self.mountain_counties):
            return "mountain"
        if code and any(code.startswith(p) for p in self.hills_counties):
            return "hills"
        return "plain"

    def detour(self, zone: str) -> float:
        """Detour factor of a terrain zone."""
        return {"mountain": self.detour_mountain, "hills": self.detour_hills, "plain": self.detour_plain}[zone]

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["speeds_kmh"] = dict(self.speeds_kmh)
        d["bridged_islands"] = [list(t) for t in self.bridged_islands]
        d["fixed_bridges"] = [list(t) for t in self.fixed_bridges]
        d["mountain_counties"] = list(self.mountain_counties)
        d["hills_counties"] = list(self.hills_counties)
        return d


# ---------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------

_REQUIRED_COLUMNS = ("level", "lon", "lat")


def _node_table(settlements, levels: Sequence[str], *, source: str):
    """Normalise a settlements frame to the rows/columns the builder needs."""
    import pandas as pd

    if not isinstance(settlements, pd.DataFrame):
        raise InputError("settlements must be a pandas DataFrame (Regions.settlements)", source=source)
    missing = [c for c in _REQUIRED_COLUMNS if c not in settlements.columns]
    if missing:
        raise InputError(
            f"settlements lack columns {missing}; give code, level, parent_code, city_code, county_code, lon, lat",
            source=source,
        )
    bad_levels = [lv for lv in levels if lv not in LEVEL_KIND]
    if bad_levels:
        raise InputError(f"unknown levels {bad_levels}; use some of {tuple(LEVEL_KIND)}", source=source, where="levels")
    df = settlements[settlements["level"].isin(list(levels))]
    codes = df["code"] if "code" in df.columns else pd.Series(df.index, index=df.index)
    df = df.reset_index(drop=True).copy()
    df["code"] = codes.astype(str).to_numpy()
    for col in ("parent_code", "city_code", "county_code", "name"):
        if col not in df.columns:
            df[col] = ""
        df[col] = df[col].where(df[col].notna(), "").astype(str)
    # a county seat's own code is its county code; a hub has no county
    is_county = df["level"] == "county"
    df.loc[is_county, "county_code"] = df.loc[is_county, "code"]
    lon = pd.to_numeric(df["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(df["lat"], errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        code = df["code"].iloc[int(np.argmax(bad))]
        raise InputError(
            f"{int(bad.sum())} settlements without valid lon/lat (first: {code}); give WGS-84 "
            "coordinates (an overrides CSV of code, lon, lat)",
            source=source,
            where=f"row {code}",
        )
    df["lon"] = lon
    df["lat"] = lat
    dup = df["code"].duplicated()
    if dup.any():
        raise InputError(
            f"duplicate settlement code {df['code'][dup].iloc[0]}; codes must be unique", source=source, where="code"
        )
    df["kind"] = df["level"].map(LEVEL_KIND)
    df["rank"] = df["kind"].map(_KIND_RANK)
    df = df.sort_values(["rank", "code"], kind="mergesort").reset_index(drop=True)
    return df


class _Builder:
    """Accumulates nodes and edges of one generated network."""

    def __init__(self, nodes, params: NetworkParams, land: Land):
        self.nodes = nodes
        self.params = params
        self.land = land
        self.lon = nodes["lon"].to_numpy(float)
        self.lat = nodes["lat"].to_numpy(float)
        self.rank = nodes["rank"].to_numpy(int)
        self.codes = nodes["code"].tolist()
        self.index = {c: i for i, c in enumerate(self.codes)}
        zones = [params.zone(c if k != "hub" else c) for c, k in zip(nodes["county_code"], nodes["kind"])]
        # a hub has no county code: use its own city code as the zone key
        zones = [params.zone(code) if k == "hub" else z for z, code, k in zip(zones, self.codes, nodes["kind"])]
        self.zone = zones
        self.edges: dict[tuple[int, int], str] = {}
        self.junctions: list[tuple[float, float, int, str]] = []  # lon, lat, rank, zone

    # -- geometry helpers ---------------------------------------------------
    def xy(self, i: int) -> tuple[float, float]:
        if i < len(self.codes):
            return self.lon[i], self.lat[i]
        j = self.junctions[i - len(self.codes)]
        return j[0], j[1]

    def rank_of(self, i: int) -> int:
        return self.rank[i] if i < len(self.codes) else self.junctions[i - len(self.codes)][2]

    def zone_of(self, i: int) -> str:
        return self.zone[i] if i < len(self.codes) else self.junctions[i - len(self.codes)][3]

    def land_class(self, a: int, b: int) -> str:
        ra, rb = sorted((self.rank_of(a), self.rank_of(b)))
        if rb >= 3:
            return "village"
        if rb == 2:
            return "county" if ra == 2 else "provincial"
        if ra == 0:
            return "expressway"
        return "national"

    def add(self, a: int, b: int, cls: str | None = None) -> None:
        if a == b:
            return
        key = (a, b) if a < b else (b, a)
        if key in self.edges:
            # water classes win over land classes; otherwise keep the first
            if cls in WATER_CLASSES and self.edges[key] not in WATER_CLASSES:
                self.edges[key] = cls
            return
        self.edges[key] = cls or self.land_class(a, b)

    def add_junction(self, lon: float, lat: float, rank: int, zone: str) -> int:
        self.junctions.append((float(lon), float(lat), int(rank), zone))
        return len(self.codes) + len(self.junctions) - 1

    # -- edge attributes ----------------------------------------------------
    def edge_attrs(self, a: int, b: int, cls: str) -> dict:
        p = self.params
        (xa, ya), (xb, yb) = self.xy(a), self.xy(b)
        straight = float(haversine_m(xa, ya, xb, yb))
        if cls == "ferry":
            length = straight * p.ferry_detour
        elif cls == "bridge":
            length = straight * p.bridge_detour
        else:
            length = straight * 0.5 * (p.detour(self.zone_of(a)) + p.detour(self.zone_of(b)))
        length = max(length, p.min_edge_m)
        speed_ms = p.speed_kmh(cls) / 3.6
        if cls not in ("expressway", "bridge", "ferry") and self.zone_of(a) == "mountain" == self.zone_of(b):
            speed_ms *= p.mountain_speed_factor
        time = length / speed_ms + (p.ferry_wait_s if cls == "ferry" else 0.0)
        return {"length_m": round(length, 1), "travel_time_s": round(time, 1), "road_class": cls}


def _components(labels: np.ndarray) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}
    for lab in np.unique(labels):
        out[int(lab)] = np.flatnonzero(labels == lab)
    return out


class _UnionFind:
    def __init__(self, n: int):
        self.p = list(range(n))

    def find(self, a: int) -> int:
        while self.p[a] != a:
            self.p[a] = self.p[self.p[a]]
            a = self.p[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.p[max(ra, rb)] = min(ra, rb)


def _build_graph(nodes, *, name: str, land, params: NetworkParams, extra: dict) -> nx.Graph:
    from scipy.spatial import cKDTree

    landx = Land(land, params.coast_tolerance_m)
    b = _Builder(nodes, params, landx)
    n = len(nodes)
    if n == 0:
        raise InputError("no settlements to build a network from; check the city code and levels", source=name)
    comp = landx.component_of(b.lon, b.lat)
    # a point off all land is its own component (negative labels, unique)
    off = np.flatnonzero(comp < 0)
    comp[off] = -1 - np.arange(len(off))
    xy = plane_xy(b.lon, b.lat)

    # 1) candidate land edges: administrative parent + nearest same-or-higher tier
    cand: list[tuple[int, int]] = []
    parent = nodes["parent_code"].tolist()
    kinds = nodes["kind"].tolist()
    for i in range(n):
        pc = parent[i]
        j = b.index.get(pc)
        if j is None and kinds[i] == "village":
            j = b.index.get(nodes["county_code"].iat[i])
        if j is not None and comp[i] == comp[j]:
            cand.append((i, j))
    k_extra = int(params.extra_links)
    for r in (1, 2, 3):
        members = np.flatnonzero(b.rank <= r)
        src = np.flatnonzero(b.rank == r)
        if len(members) < 2 or len(src) == 0:
            continue
        tree = cKDTree(xy[members])
        # at least one link to a higher tier so every tier hangs off the one above
        kq = min(len(members), k_extra + 6)
        _, nb = tree.query(xy[src], k=kq)
        nb = np.asarray(nb).reshape(len(src), -1)
        for row, i in enumerate(src.tolist()):
            taken = 0
            for m in nb[row]:
                j = int(members[m])
                if j == i or comp[i] != comp[j]:
                    continue
                cand.append((int(i), j))
                taken += 1
                if taken >= k_extra:
                    break
        if r >= 1:
            # nearest node of a strictly higher tier in the same component
            higher = np.flatnonzero(b.rank < r)
            if len(higher):
                ht = cKDTree(xy[higher])
                _, nb2 = ht.query(xy[src], k=min(len(higher), 4))
                nb2 = np.asarray(nb2).reshape(len(src), -1)
                for row, i in enumerate(src.tolist()):
                    for m in nb2[row]:
                        j = int(higher[m])
                        if comp[i] == comp[j]:
                            cand.append((int(i), j))
                            break
    if cand:
        ca = np.array(sorted({(min(a, c), max(a, c)) for a, c in cand if a != c}), dtype=np.int64).reshape(-1, 2)
        ok = landx.covers(b.lon[ca[:, 0]], b.lat[ca[:, 0]], b.lon[ca[:, 1]], b.lat[ca[:, 1]])
        for a, c in ca[ok]:
            b.add(int(a), int(c))

    # 2) join pieces inside each land component
    uf = _UnionFind(n)
    for a, c in b.edges:
        uf.union(a, c)
    for lab, members in sorted(_components(comp).items()):
        _join_pieces(b, uf, members, xy, landx, lab)

    # 3) fixed bridges, then join the remaining land components (islands)
    for ca_, cb_, _bname in params.fixed_bridges:
        if ca_ in b.index and cb_ in b.index:
            b.add(b.index[ca_], b.index[cb_], "bridge")
    _join_components(b, comp, xy, landx)

    return _to_graph(b, name=name, params=params, extra=extra)


def _join_pieces(b: _Builder, uf: _UnionFind, members: np.ndarray, xy: np.ndarray, landx: Land, lab: int):
    """Connect the pieces of one land component by land links (or via junctions)."""
    from scipy.spatial import cKDTree

    while True:
        roots = np.array([uf.find(int(i)) for i in members])
        uniq = np.unique(roots)
        if len(uniq) <= 1:
            return
        main_root = roots[0]  # the piece holding the highest-tier node (nodes sorted by rank)
        in_main = roots == main_root
        main_nodes, other_nodes = members[in_main], members[~in_main]
        tree = cKDTree(xy[main_nodes])
        k = min(len(main_nodes), 8)
        dist, nb = tree.query(xy[other_nodes], k=k)
        dist = np.asarray(dist).reshape(len(other_nodes), -1)
        nb = np.asarray(nb).reshape(len(other_nodes), -1)
        order = np.lexsort((np.repeat(other_nodes, k), dist.ravel()))
        pairs_i = np.repeat(other_nodes, k)[order]
        pairs_j = main_nodes[nb.ravel()[order]]
        # test the 200 shortest candidate links at once
        top = slice(0, min(200, len(pairs_i)))
        pi, pj = pairs_i[top], pairs_j[top]
        ok = landx.covers(b.lon[pi], b.lat[pi], b.lon[pj], b.lat[pj])
        if ok.any():
            t = int(np.argmax(ok))
            b.add(int(pi[t]), int(pj[t]))
            uf.union(int(pi[t]), int(pj[t]))
            continue
        # no straight land link: go round through a junction inside the land
        i, j = int(pairs_i[0]), int(pairs_j[0])
        if not _junction_link(b, i, j, landx, lab):
            # last resort (should not happen on real boundaries): a ferry across the bay
            b.add(i, j, "ferry")
        uf.union(i, j)


def _junction_link(b: _Builder, i: int, j: int, landx: Land, lab: int) -> bool:
    """Link i and j through one or two junction points inside land part ``lab``."""
    import shapely
    from shapely.ops import nearest_points

    if lab < 0 or not landx.parts:
        return False
    part = landx.parts[lab]
    inner = part.buffer(-landx.tol_deg)
    if inner.is_empty:
        inner = part
    (xi, yi), (xj, yj) = b.xy(i), b.xy(j)
    for t in (0.5, 0.33, 0.67, 0.25, 0.75):
        mid = shapely.Point(xi + t * (xj - xi), yi + t * (yj - yi))
        jp = mid if inner.contains(mid) else nearest_points(inner, mid)[0]
        ok = landx.covers(np.array([xi, jp.x]), np.array([yi, jp.y]), np.array([jp.x, xj]), np.array([jp.y, yj]))
        if ok.all():
            _add_path(b, i, j, [(jp.x, jp.y)])
            return True
    # visibility graph over the coastline vertices near the pair
    coords = []
    for poly in getattr(inner, "geoms", [inner]):
        coords.extend(poly.exterior.coords[:-1])
        for ring in poly.interiors:
            coords.extend(ring.coords[:-1])
    if not coords:
        return False
    V = np.asarray(coords, dtype=float)
    direct = math.hypot(xj - xi, yj - yi)
    detour = np.hypot(V[:, 0] - xi, V[:, 1] - yi) + np.hypot(V[:, 0] - xj, V[:, 1] - yj)
    near = np.argsort(detour, kind="stable")[:300]
    near = near[detour[near] <= 3.0 * direct]
    P = np.vstack([[xi, yi], [xj, yj], V[near]])
    a, c = np.triu_indices(len(P), k=1)
    ok = landx.covers(P[a, 0], P[a, 1], P[c, 0], P[c, 1])
    H = nx.Graph()
    H.add_weighted_edges_from((int(u), int(v), float(math.hypot(*(P[u] - P[v])))) for u, v in zip(a[ok], c[ok]))
    if 0 not in H or 1 not in H or not nx.has_path(H, 0, 1):
        return False
    path = nx.dijkstra_path(H, 0, 1)
    _add_path(b, i, j, [tuple(P[k]) for k in path[1:-1]])
    return True


def _add_path(b: _Builder, i: int, j: int, points: list[tuple[float, float]]) -> None:
    """Edges i -> junctions at ``points`` -> j, all of the class of the i-j link."""
    r = max(b.rank_of(i), b.rank_of(j))
    z = b.zone_of(i)
    cls = b.land_class(i, j)
    prev = i
    for x, y in points:
        k = b.add_junction(x, y, r, z)
        b.add(prev, k, cls)
        prev = k
    b.add(prev, j, cls)


def _join_components(b: _Builder, comp: np.ndarray, xy: np.ndarray, landx: Land) -> None:
    """Minimum spanning tree over land components with bridge/ferry links."""
    import shapely
    from scipy.spatial import cKDTree

    comps = _components(comp)
    labels = sorted(comps)
    if len(labels) <= 1:
        return
    p = b.params
    bridged = {0}  # the largest land part: the mainland
    if landx.parts:
        for _nm, x, y in p.bridged_islands:
            pt = shapely.Point(x, y)
            for li, part in enumerate(landx.parts):
                if part.contains(pt):
                    bridged.add(li)
                    break
    trees = {lab: cKDTree(xy[comps[lab]]) for lab in labels}
    H = nx.Graph()
    for ai, la in enumerate(labels):
        for lb in labels[ai + 1 :]:
            ma, mb = comps[la], comps[lb]
            small, big, ls, lbig = (ma, mb, la, lb) if len(ma) <= len(mb) else (mb, ma, lb, la)
            d, nb = trees[lbig].query(xy[small], k=1)
            t = int(np.argmin(d))
            i, j = int(small[t]), int(big[nb[t]])
            gap = float(haversine_m(b.lon[i], b.lat[i], b.lon[j], b.lat[j]))
            is_bridge = (la in bridged and lb in bridged) or gap <= p.bridge_max_gap_m
            cls = "bridge" if is_bridge else "ferry"
            w = b.edge_attrs(i, j, cls)["travel_time_s"]
            H.add_edge(la, lb, weight=(w, min(i, j), max(i, j)), i=i, j=j, cls=cls)
    # Kruskal with a total order on weights (deterministic), starting from the
    # components already joined by water edges (fixed bridges)
    uf = _UnionFind(len(labels))
    pos = {lab: k for k, lab in enumerate(labels)}
    n_settle = len(b.codes)
    for (i, j), cls in b.edges.items():
        if cls in WATER_CLASSES and i < n_settle and j < n_settle and comp[i] != comp[j]:
            uf.union(pos[int(comp[i])], pos[int(comp[j])])
    for la, lb, d in sorted(H.edges(data=True), key=lambda e: e[2]["weight"]):
        if uf.find(pos[la]) != uf.find(pos[lb]):
            uf.union(pos[la], pos[lb])
            b.add(d["i"], d["j"], d["cls"])


def _to_graph(b: _Builder, *, name: str, params: NetworkParams, extra: dict) -> nx.Graph:
    G = nx.Graph()
    G.graph.update(
        {
            "crs": "EPSG:4326",
            "name": name,
            "source": "generated",
            "generator": "citylogistics.network.hierarchy",
            "params": json.dumps(params.to_dict(), sort_keys=True, ensure_ascii=False),
        }
    )
    G.graph.update(extra)
    nodes = b.nodes
    for i, row in enumerate(nodes.itertuples(index=False)):
        G.add_node(
            b.codes[i],
            x=float(row.lon),
            y=float(row.lat),
            kind=row.kind,
            code=b.codes[i],
            name=str(row.name),
            city_code=str(row.city_code),
            county_code=str(row.county_code),
        )
    ids = list(b.codes)
    for k, (x, y, _r, _z) in enumerate(b.junctions):
        jid = f"j{k}"
        ids.append(jid)
        G.add_node(jid, x=float(x), y=float(y), kind="junction", code=jid, name="", city_code="", county_code="")
    for a, c in sorted(b.edges):
        G.add_edge(ids[a], ids[c], **b.edge_attrs(a, c, b.edges[(a, c)]))
    return G


def generated_city_network(
    settlements,
    *,
    city_code: str,
    land=None,
    params: NetworkParams | None = None,
    levels: Sequence[str] = ("city", "county", "town", "village"),
) -> nx.Graph:
    """Generate the hierarchical road network of one city.

    Parameters
    ----------
    settlements
        Settlements frame (``Regions.settlements``): columns code, level,
        parent_code, city_code, county_code, lon, lat (WGS-84), name.
    city_code
        Six-digit city code, e.g. ``"330100"``.
    land
        Land (shapely Polygon/MultiPolygon, e.g. ``Regions.province_polygon()``).
        ``None`` builds without any sea test (all settlements on one land).
    params
        Network parameters (default :class:`NetworkParams`).
    levels
        Settlement levels to include.

    Returns
    -------
    networkx.Graph
        Connected graph, ``G.graph["source"] == "generated"``.
    """
    params = NetworkParams() if params is None else params
    city_code = str(city_code)
    if "city_code" not in settlements.columns:
        raise InputError("settlements lack the city_code column", source="settlements")
    sub = settlements[settlements["city_code"].astype(str) == city_code]
    if sub.empty:
        raise InputError(
            f"no settlements with city_code {city_code}; use a six-digit Zhejiang city code such as 330100",
            source="settlements",
            where="city_code",
        )
    nodes = _node_table(sub, levels, source="settlements")
    return _build_graph(nodes, name=city_code, land=land, params=params, extra={"city_code": city_code})


def generated_province_backbone(settlements, *, land=None, params: NetworkParams | None = None) -> nx.Graph:
    """Generate the province backbone: city hubs and county seats.

    Expressways join each hub to its county seats and hubs to neighbouring
    hubs; national roads join neighbouring county seats; islands are reached
    by bridge or ferry, and ``params.fixed_bridges`` (Hangzhou Bay, Jiashao)
    are added. Node ids are shared with the city networks, so
    :func:`citylogistics.network.generate.compose_networks` of the backbone
    and city graphs is connected.
    """
    params = NetworkParams() if params is None else params
    nodes = _node_table(settlements, ("city", "county"), source="settlements")
    return _build_graph(nodes, name="zhejiang", land=land, params=params, extra={"city_code": "330000"})
