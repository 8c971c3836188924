"""Benchmark: village -> K nearest candidate stations over the whole province.

Side by side in one process, on the same graph (the 11 generated city networks
plus the backbone, composed: ~27k nodes):

* ``citylogistics.network.matrix.nearest_k`` (scipy.sparse.csgraph Dijkstra, run from
  the stations with a running top-K merge), vs
* networkx: one ``single_source_dijkstra_path_length`` per station, then the K
  smallest per village (the same algorithm in pure Python), and
* for K = 1 also ``networkx.multi_source_dijkstra_path_length`` (one search
  from all stations at once) vs ``nearest_k(k=1)``.

Values are compared (same K nearest travel times for every village). Peak
memory of the csgraph call is measured with tracemalloc (numpy buffers are
traced), process peak RSS with getrusage.

With ``--travel``: dense origin x destination matrices instead, on the imported
Hangzhou-centre streets (``networks/hangzhou_centre_streets.graphml``, directed,
one-way streets) and on a city network (``networks/<city>.graphml``):
``citylogistics.network.matrix.travel_matrix`` (graph -> CSR, then scipy's
Dijkstra) vs networkx's ``single_source_dijkstra_path_length`` from every origin,
both warm (one untimed call first) in the same process, best of ``--repeat``;
the values must be identical (target: travel_matrix at least 8x faster).

Usage (from the repo root)::

    .venv/bin/python benchmarks/bench_matrix.py                 # all stations
    .venv/bin/python benchmarks/bench_matrix.py --stations 200  # quicker baseline
    .venv/bin/python benchmarks/bench_matrix.py --travel        # travel_matrix vs networkx, ~1 min
"""

from __future__ import annotations

import argparse
import heapq
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import networkx as nx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FILES = ["hangzhou", "ningbo", "wenzhou", "jiaxing", "huzhou", "shaoxing", "jinhua", "quzhou", "zhoushan",
         "taizhou", "lishui", "zhejiang"]


def province_graph(folder: Path) -> nx.Graph:
    from citylogistics.network.generate import compose_networks
    from citylogistics.network.graph import load_graphml

    return compose_networks([load_graphml(folder / f"{f}.graphml") for f in FILES])


def nx_topk(G: nx.Graph, villages: list, stations: list, k: int, weight: str):
    """K nearest stations per village with one networkx Dijkstra per station."""
    return nx_topk_cutoff(G, villages, stations, k, weight, None)  # cutoff None: full searches


def nx_topk_bounded(G: nx.Graph, villages: list, stations: list, k: int, weight: str, limit: float):
    """The same two-phase scheme as nearest_k, in networkx: searches from the
    stations cut off at ``limit``, then full searches from villages with < k found."""
    ref = nx_topk_cutoff(G, villages, stations, k, weight, limit)
    short = [v for v in villages if len(ref[v]) < min(k, len(stations))]
    index = {s: j for j, s in enumerate(stations)}
    for v in short:
        dist = nx.single_source_dijkstra_path_length(G, v, weight=weight)
        ref[v] = sorted((d, index[s]) for s, d in dist.items() if s in index)[:k]
    return ref, len(short)


def nx_topk_cutoff(G, villages, stations, k, weight, limit):
    vset = set(villages)
    heaps: dict = {v: [] for v in villages}
    for j, s in enumerate(stations):
        for v, d in nx.single_source_dijkstra_path_length(G, s, cutoff=limit, weight=weight).items():
            if v in vset:
                h = heaps[v]
                item = (-d, -j)
                if len(h) < k:
                    heapq.heappush(h, item)
                elif item > h[0]:
                    heapq.heapreplace(h, item)
    return {v: sorted((-a, -b) for a, b in h) for v, h in heaps.items()}


def compare(S, ref: dict, villages: list) -> tuple[bool, float]:
    max_diff = 0.0
    same = True
    for i, v in enumerate(villages):
        got = S.values[S.indptr[i]:S.indptr[i + 1]]
        want = np.array([d for d, _ in ref[v]])
        if len(got) != len(want):
            return False, float("inf")
        if len(got):
            diff = float(np.max(np.abs(got - want)))
            max_diff = max(max_diff, diff)
            same &= bool(np.allclose(got, want, rtol=1e-12, atol=1e-6))
    return same, max_diff


def _best(fn, repeat: int) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls after one untimed warm-up call, and the last result."""
    out = fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _nx_matrix(G: nx.Graph, origins: list, destinations: list, weight: str) -> np.ndarray:
    out = np.full((len(origins), len(destinations)), np.inf)
    for i, o in enumerate(origins):
        dist = nx.single_source_dijkstra_path_length(G, o, weight=weight)
        out[i] = [dist.get(d, np.inf) for d in destinations]
    return out


def travel_rows(name: str, G: nx.Graph, origins: list, destinations: list, weight: str, repeat: int) -> list:
    """travel_matrix vs networkx on one graph: table rows and whether the values are identical."""
    from citylogistics.network.matrix import CsrNetwork, travel_matrix

    t_nx, ref = _best(lambda: _nx_matrix(G, origins, destinations, weight), repeat)
    t_tm, M = _best(lambda: travel_matrix(G, origins, destinations, weight=weight), repeat)
    net = CsrNetwork.from_graph(G, weight=weight)
    t_csr, M2 = _best(lambda: travel_matrix(net, origins, destinations, weight=weight), repeat)
    exact = bool(np.array_equal(M.values, ref)) and bool(np.array_equal(M2.values, ref))
    finite = np.isfinite(ref)
    diff = float(np.max(np.abs(M.values[finite] - ref[finite]))) if finite.any() else 0.0
    kind = "directed" if G.is_directed() else "undirected"
    size = f"{name} ({G.number_of_nodes()} nodes, {G.number_of_edges()} edges, {kind}), {len(origins)} x {len(destinations)}"
    ident = f"{exact} (max |diff| {diff:.1e}, {int((~finite).sum())} unreachable)"
    return [(size, "networkx single_source_dijkstra_path_length per origin", t_nx, 1.0, "-"),
            (size, "citylogistics travel_matrix (incl. graph -> CSR)", t_tm, t_nx / t_tm, ident),
            (size, "citylogistics travel_matrix on a prebuilt CsrNetwork", t_csr, t_nx / t_csr, ident)], exact


def main_travel(args) -> int:
    from citylogistics.network.graph import load_graphml

    rng = np.random.default_rng(0)
    folder = Path(args.networks)
    streets = load_graphml(folder / "hangzhou_centre_streets.graphml")
    nodes = sorted(streets.nodes)
    pick = sorted(rng.choice(len(nodes), size=min(args.points, len(nodes)), replace=False).tolist())
    pts = [nodes[i] for i in pick]
    city = load_graphml(folder / f"{args.city}.graphml")
    sources = sorted(n for n, k in city.nodes(data="kind") if k in ("hub", "county", "town"))
    villages = sorted(n for n, k in city.nodes(data="kind") if k == "village")
    rows, ok = [], True
    for name, G, o, d in (("Hangzhou-centre streets", streets, pts, pts),
                          (f"{args.city}.graphml, hub/seats/towns x villages", city, sources, villages)):
        r, same = travel_rows(name, G, o, d, args.weight, args.repeat)
        rows += r
        ok &= same
    print(f"weight {args.weight}; best of {args.repeat} warm runs in one process\n")
    print("| graph, origins x destinations | method | seconds | speed-up vs networkx | identical values |")
    print("|---|---|---:|---:|---|")
    for size, method, sec, ratio, ident in rows:
        print(f"| {size} | {method} | {sec:.3f} | {ratio:.1f}x | {ident} |")
    return 0 if ok else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--networks", default=str(ROOT / "networks"))
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--stations", type=int, default=0, help="use only the first N stations (0 = all)")
    ap.add_argument("--weight", default="travel_time_s")
    ap.add_argument("--travel", action="store_true", help="dense travel_matrix vs networkx instead (see above)")
    ap.add_argument("--points", type=int, default=500, help="--travel: street nodes drawn (origins = destinations)")
    ap.add_argument("--city", default="hangzhou", help="--travel: the city network networks/<city>.graphml")
    ap.add_argument("--repeat", type=int, default=3, help="--travel: timed runs after the warm-up (best kept)")
    args = ap.parse_args(argv)
    if args.travel:
        return main_travel(args)

    from citylogistics.network.matrix import nearest_k

    t = time.perf_counter()
    G = province_graph(Path(args.networks))
    t_load = time.perf_counter() - t
    villages = sorted(n for n, k in G.nodes(data="kind") if k == "village")
    stations = sorted(n for n, k in G.nodes(data="kind") if k in ("town", "county"))
    if args.stations:
        stations = stations[:args.stations]
    print(f"graph: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges (loaded in {t_load:.1f} s); "
          f"{len(villages)} villages x {len(stations)} candidate stations, K={args.k}, weight={args.weight}")

    rows = []
    # --- K nearest: csgraph vs networkx per-station Dijkstra -------------------
    tracemalloc.start()
    t = time.perf_counter()
    S = nearest_k(G, villages, stations, k=args.k, weight=args.weight)
    t_cs = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t = time.perf_counter()
    ref = nx_topk(G, villages, stations, args.k, args.weight)
    t_nx = time.perf_counter() - t
    same, diff = compare(S, ref, villages)
    checksum = float(S.values.sum())
    # the same bounded two-phase scheme in networkx (bound as nearest_k computes it)
    from citylogistics.network.matrix import _estimate_limit, graph_to_csr

    csr, _n, index = graph_to_csr(G, args.weight)
    limit = _estimate_limit(csr, np.array([index[v] for v in villages]), np.array([index[s] for s in stations]),
                            min(args.k, len(stations)))
    t = time.perf_counter()
    ref2, n_short = nx_topk_bounded(G, villages, stations, args.k, args.weight, limit)
    t_nx2 = time.perf_counter() - t
    same2, diff2 = compare(S, ref2, villages)
    ref_sum = sum(d for v in villages for d, _ in ref[v])
    rows.append((f"K={args.k} nearest", "networkx per-station Dijkstra (full)", t_nx, None, ref_sum, 1.0, "-"))
    rows.append((f"K={args.k} nearest", f"networkx same 2-phase bound ({limit:.0f} s, {n_short} villages "
                 "in phase 2)", t_nx2, None, sum(d for v in villages for d, _ in ref2[v]), t_nx / t_nx2,
                 f"{same2} (max |diff| {diff2:.2e})"))
    rows.append((f"K={args.k} nearest", "citylogistics nearest_k (csgraph)", t_cs, peak / 2**20, checksum,
                 t_nx / t_cs, f"{same} (max |diff| {diff:.2e}); {t_nx2 / t_cs:.1f}x vs same-scheme networkx"))

    # --- K = 1: networkx multi-source Dijkstra ---------------------------------
    t = time.perf_counter()
    d1 = nx.multi_source_dijkstra_path_length(G, set(stations), weight=args.weight)
    t_nx1 = time.perf_counter() - t
    t = time.perf_counter()
    S1 = nearest_k(G, villages, stations, k=1, weight=args.weight)
    t_cs1 = time.perf_counter() - t
    from citylogistics.network.matrix import CsrNetwork

    t = time.perf_counter()
    net = CsrNetwork.from_graph(G, weight=args.weight)
    t_conv = time.perf_counter() - t
    t = time.perf_counter()
    S1b = nearest_k(net, villages, stations, k=1, weight=args.weight)
    t_cs1b = time.perf_counter() - t
    want1 = np.array([d1[v] for v in villages])
    same1 = bool(np.allclose(S1.values, want1, rtol=1e-12, atol=1e-6)) and len(S1.values) == len(villages)
    same1 &= bool(np.array_equal(S1.values, S1b.values))
    rows.append(("K=1 nearest", "networkx multi_source_dijkstra", t_nx1, None, float(want1.sum()), 1.0, "-"))
    rows.append(("K=1 nearest", "citylogistics nearest_k (csgraph, incl. graph->CSR)", t_cs1, None,
                 float(S1.values.sum()), t_nx1 / t_cs1, str(same1)))
    rows.append(("K=1 nearest", f"citylogistics nearest_k on a prebuilt CsrNetwork (conversion {t_conv:.2f} s "
                 "once)", t_cs1b, None, float(S1b.values.sum()), t_nx1 / t_cs1b, str(same1)))

    print()
    print("| task | method | seconds | peak MB (tracemalloc) | sum of values | speed-up vs networkx | identical |")
    print("|---|---|---:|---:|---:|---:|---|")
    for task, method, sec, mb, chk, ratio, ident in rows:
        mbs = "-" if mb is None else f"{mb:.0f}"
        print(f"| {task} | {method} | {sec:.2f} | {mbs} | {chk:.1f} | {ratio:.1f}x | {ident} |")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak RSS {rss_mb:.0f} MB; whole-province csgraph K={args.k}: {t_cs:.2f} s "
          f"(target <= 60 s, <= 4 GB); speed-up {t_nx / t_cs:.1f}x (target >= 20x)")
    return 0 if same and same1 and same2 else 1


if __name__ == "__main__":
    sys.exit(main())
