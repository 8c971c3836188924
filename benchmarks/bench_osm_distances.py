"""Distance agreement with the OSM major roads (issue 16, part 3).

The 101 backbone points (11 city hubs and 90 county seats): all-pairs
shortest-path distances (``length_m``) on

* the backbone built on the OSM major roads
  (:func:`citylogistics.network.osm_build.build_province_road_backbone`, in
  memory), and, for comparison, the shipped ``networks/zhejiang.graphml``
  (the baseline);
* the OSM major-road graph itself (:func:`citylogistics.network.osm_major.load_major_roads`),
  each point snapped to its nearest OSM node.

Pairs less than 20 km apart by road (on the OSM graph) and points more than
5 km from any major road are left out. Targets: median |ratio − 1| <= 5 %,
at least 90 % of pairs within 15 %.

Per city (city networks built in memory): the share of network length from
OSM, the share of the fastest paths (``travel_time_s``) from the city hub to
its towns that runs on OSM edges (target >= 60 %) — for all towns over the
whole path, and by the road rule (towns within 5 km of a major road, as in
the backbone check; generated ferries and bridges left out, since the source
has no ferries) — and the hub-to-county-seat
agreement on the city network (built and shipped).

Run: ``.venv/bin/python benchmarks/bench_osm_distances.py [--table] [--no-cities]``
(``--table`` prints every pair as CSV).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from citylogistics.network.graph import load_graphml  # noqa: E402
from citylogistics.network.osm_build import build_city_road_network, build_province_road_backbone  # noqa: E402
from citylogistics.network.osm_major import load_major_roads  # noqa: E402
from citylogistics.network.snap import nearest_nodes  # noqa: E402
from citylogistics.regions import CITY_CODES, load_regions  # noqa: E402

MIN_PAIR_M = 20_000.0
MAX_SNAP_M = 5_000.0


def backbone_points(regions):
    import pandas as pd

    pts = pd.concat([regions.of_level("city"), regions.of_level("county")])
    return pts[["code", "name", "level", "city_code", "lon", "lat"]].reset_index(drop=True)


def snap_reference(major, pts):
    """Nearest OSM node of each point and the snapping distance (m)."""
    nodes, dist = nearest_nodes(major, pts["lon"].to_numpy(), pts["lat"].to_numpy(), return_dist=True)
    return list(nodes), np.asarray(dist)


def pair_distances(G, sources, targets=None, *, weight="length_m") -> np.ndarray:
    """Matrix of shortest-path ``weight`` between node lists (inf if unreachable)."""
    targets = sources if targets is None else targets
    out = np.full((len(sources), len(targets)), np.inf)
    for i, s in enumerate(sources):
        if s is None or s not in G:
            continue
        d = nx.single_source_dijkstra_path_length(G, s, weight=weight)
        for j, t in enumerate(targets):
            if t in d:
                out[i, j] = d[t]
    return out


def agreement(ratios) -> dict:
    r = np.asarray([x for x in ratios if np.isfinite(x)])
    if len(r) == 0:
        return {"pairs": 0, "median_abs_dev": float("nan"), "within_15": float("nan"), "max_abs_dev": float("nan")}
    dev = np.abs(r - 1.0)
    return {"pairs": int(len(r)), "median_abs_dev": float(np.median(dev)), "within_15": float(np.mean(dev <= 0.15)),
            "max_abs_dev": float(dev.max())}


def backbone_table(pts, ref_nodes, snap, major, graphs: dict):
    """Rows (i, j, ref_m, {name: dist_m}) for the pairs that count."""
    ok = snap <= MAX_SNAP_M
    ref = pair_distances(major, ref_nodes)
    codes = pts["code"].tolist()
    dist = {name: pair_distances(G, [c if c in G else None for c in codes]) for name, G in graphs.items()}
    rows = []
    n = len(codes)
    for i in range(n):
        for j in range(i + 1, n):
            if not (ok[i] and ok[j]) or not np.isfinite(ref[i, j]) or ref[i, j] < MIN_PAIR_M:
                continue
            rows.append((i, j, ref[i, j], {k: float(v[i, j]) for k, v in dist.items()}))
    return rows


def is_sea_crossing(d) -> bool:
    """A generated ferry or bridge: the source has no ferries (nor bridges it lacks), so no OSM road can serve it."""
    return d.get("source") == "generated" and d.get("road_class") in ("ferry", "bridge")


def osm_share_of_fastest_paths(G, hub, towns, *, leave_out_sea: bool = False) -> float:
    """Share of the length of the fastest hub->town paths that runs on OSM edges.

    With ``leave_out_sea`` the generated sea crossings are left out of both
    sums (the share of the road part of the paths).
    """
    _, paths = nx.single_source_dijkstra(G, hub, weight="travel_time_s")
    tot = osm = 0.0
    for t in towns:
        p = paths.get(t)
        if not p:
            continue
        for a, b in zip(p, p[1:]):
            d = G.edges[a, b]
            if leave_out_sea and is_sea_crossing(d):
                continue
            tot += d["length_m"]
            if d.get("source") == "osm":
                osm += d["length_m"]
    return osm / tot if tot else float("nan")


def towns_near_major_roads(major, towns) -> list:
    """Codes of the towns within MAX_SNAP_M of a major-road node (the backbone check's island rule)."""
    _, dist = nearest_nodes(major, towns["lon"].to_numpy(), towns["lat"].to_numpy(), return_dist=True)
    return towns["code"][np.asarray(dist) <= MAX_SNAP_M].tolist()


def fmt(a: dict) -> str:
    return (f"pairs {a['pairs']:5d}  median |r-1| {100 * a['median_abs_dev']:6.1f} %  "
            f"within 15 % {100 * a['within_15']:5.1f} %  max |r-1| {100 * a['max_abs_dev']:6.1f} %")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", action="store_true", help="print every backbone pair as CSV")
    ap.add_argument("--no-cities", action="store_true", help="skip the per-city networks")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    regions = load_regions()
    major = load_major_roads()
    pts = backbone_points(regions)
    ref_nodes, snap = snap_reference(major, pts)
    built = build_province_road_backbone(major, regions.settlements)
    shipped = load_graphml(REPO / "networks" / "zhejiang.graphml")
    print(f"backbone points {len(pts)}; {int((snap > MAX_SNAP_M).sum())} more than {MAX_SNAP_M / 1000:g} km from "
          f"a major road: {', '.join(pts['code'][snap > MAX_SNAP_M])}")
    print(f"OSM major roads: {major.number_of_nodes()} nodes, {major.number_of_edges()} edges; built backbone: "
          f"{built.number_of_nodes()} nodes, {built.number_of_edges()} edges")
    rows = backbone_table(pts, ref_nodes, snap, major, {"built": built, "shipped": shipped})
    if args.table:
        print("code_a,code_b,name_a,name_b,osm_km,built_km,built_ratio,shipped_km,shipped_ratio")
        for i, j, ref, d in rows:
            print(f"{pts['code'][i]},{pts['code'][j]},{pts['name'][i]},{pts['name'][j]},{ref / 1000:.1f},"
                  f"{d['built'] / 1000:.1f},{d['built'] / ref:.3f},{d['shipped'] / 1000:.1f},{d['shipped'] / ref:.3f}")
    print("\nBackbone, all pairs >= 20 km apart by road:")
    for name in ("built", "shipped"):
        print(f"  {name:8s} {fmt(agreement([d[name] / ref for _, _, ref, d in rows]))}")
    worst = sorted(rows, key=lambda r: -abs(r[3]["built"] / r[2] - 1))[:5]
    print("  worst built pairs: " + "; ".join(
        f"{pts['name'][i]}-{pts['name'][j]} {d['built'] / 1000:.0f}/{ref / 1000:.0f} km" for i, j, ref, d in worst))

    if not args.no_cities:
        print("\nCities: OSM share of network length, of the fastest hub->town paths; hub->county-seat agreement")
        print("  (osm paths: all towns, all path length; road rule: towns within 5 km of a major road, "
              "generated sea crossings left out)")
        print(f"  {'city':10s} {'nodes':>6s} {'edges':>6s} {'osm len':>8s} {'osm paths':>9s} {'road rule':>16s}  "
              f"{'hub-seat built':>24s}  {'hub-seat shipped':>24s}")
        all_b, all_s = [], []
        shares, rule_shares = [], []
        for code, name in sorted(CITY_CODES.items()):
            G = build_city_road_network(major, regions.settlements, city_code=code)
            S = load_graphml(REPO / "networks" / f"{name.lower()}.graphml")
            tot = sum(d["length_m"] for _, _, d in G.edges(data=True))
            osm = sum(d["length_m"] for _, _, d in G.edges(data=True) if d["source"] == "osm")
            towns = regions.of_level("town", city=code)
            share = osm_share_of_fastest_paths(G, code, towns["code"].tolist())
            shares.append(share)
            near = towns_near_major_roads(major, towns)
            rule = osm_share_of_fastest_paths(G, code, near, leave_out_sea=True)
            rule_shares.append(rule)
            seats = regions.of_level("county", city=code)["code"].tolist()
            idx = {c: k for k, c in enumerate(pts["code"])}
            rb, rs = [], []
            for s in seats:
                i, j = idx[code], idx[s]
                if snap[i] > MAX_SNAP_M or snap[j] > MAX_SNAP_M:
                    continue
                ref = pair_distances(major, [ref_nodes[i]], [ref_nodes[j]])[0, 0]
                if not np.isfinite(ref) or ref < MIN_PAIR_M:
                    continue
                rb.append(pair_distances(G, [code], [s])[0, 0] / ref)
                rs.append(pair_distances(S, [code], [s])[0, 0] / ref)
            all_b += rb
            all_s += rs
            ab, as_ = agreement(rb), agreement(rs)
            print(f"  {name:10s} {G.number_of_nodes():6d} {G.number_of_edges():6d} {100 * osm / tot:7.1f}% "
                  f"{100 * share:8.1f}% {100 * rule:6.1f}% {len(near):3d}/{len(towns):3d}  {ab['pairs']:3d} pairs {100 * ab['median_abs_dev']:5.1f}% "
                  f"{100 * ab['within_15']:5.1f}%  {as_['pairs']:3d} pairs {100 * as_['median_abs_dev']:5.1f}% "
                  f"{100 * as_['within_15']:5.1f}%")
        print(f"  hub->seat, all cities: built {fmt(agreement(all_b))}")
        print(f"                         shipped {fmt(agreement(all_s))}")
        print(f"  OSM share of fastest hub->town paths: min {100 * min(shares):.1f} %, "
              f"median {100 * statistics.median(shares):.1f} %; road rule: min {100 * min(rule_shares):.1f} %, "
              f"median {100 * statistics.median(rule_shares):.1f} %")
    print(f"\n{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
