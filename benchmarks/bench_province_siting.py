"""Province station siting: p town stations for all 25,547 villages of Zhejiang.

Run (from the repo root)::

    /work/venv/bin/python benchmarks/bench_province_siting.py [--p 400] [--k 12]
        [--time-limit 120] [--baseline-time-limit 120] [--no-baseline] [--year 2015]

Data: ``citylogistics.regions.load_regions(seed=0)`` (villages; candidates =
towns + county seats) and the generated road networks ``networks/<city>.graphml``
(travel_time_s). A village is served by a station of its own city (the city
networks are separate graphs). Weights: ``delivery_parcels`` of
``citylogistics.demand.settlement_demand`` for ``--year`` (population if that
fails). Objective: sum over villages of parcels/day × travel time (s) to the
nearest open station.

Method (:class:`citylogistics.location.lagrangian.SparsePMedian`): each village
lists its K nearest candidates; unlisted candidates cost at least the
(K+1)-th nearest time (the fallback), so the Lagrangian and reduced-MIP bounds
are valid for the FULL problem (all within-city pairs); every open set is
evaluated exactly on all within-city pairs. Baseline in the same process: the
plain radius MIP on the same K-nearest lists handed to SCIP as one model.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def build(*, k: int, year: int):
    """Return (village ids, site ids, SparseCosts, weights, exact_cost, info)."""
    from scipy.sparse.csgraph import dijkstra

    from citylogistics.location.lagrangian import SparseCosts
    from citylogistics.network.matrix import graph_to_csr
    from citylogistics.network.graph import load_graphml
    from citylogistics.regions import load_regions

    t0 = time.perf_counter()
    regions = load_regions(seed=0)
    df = regions.settlements
    villages = df[df.level == "village"]
    try:
        from citylogistics.demand import settlement_demand

        weights_all = settlement_demand(villages, year=year)["delivery_parcels"].astype(float)
        weight_name = f"delivery_parcels ({year})"
    except Exception as exc:  # noqa: BLE001 - benchmark falls back and says so
        weights_all = villages["population"].astype(float)
        weight_name = f"population (demand failed: {exc})"
    cities = df[df.level == "city"]
    v_ids, s_ids, w_list = [], [], []
    rows, cols, vals, fallback = [], [], [], []
    blocks = []  # (village index range, site index range, dense city matrix)
    for city_code, city in cities.iterrows():
        G = load_graphml(ROOT / "networks" / f"{str(city['pinyin']).lower()}.graphml")
        vil = villages[villages.city_code == city_code]
        cand = df[(df.city_code == city_code) & (df.level.isin(["town", "county"]))]
        vil_codes = [c for c in vil.index if c in G]
        cand_codes = [c for c in cand.index if c in G]
        csr, nodes, index = graph_to_csr(G, "travel_time_s")
        src = np.array([index[c] for c in cand_codes])
        dist = dijkstra(csr, directed=False, indices=src)  # cands × nodes
        vi = np.array([index[c] for c in vil_codes])
        D = dist[:, vi].T  # villages × cands
        v0, s0 = len(v_ids), len(s_ids)
        v_ids += [str(c) for c in vil_codes]
        s_ids += [str(c) for c in cand_codes]
        w_list.append(weights_all.loc[vil_codes].to_numpy())
        order = np.argsort(D, axis=1, kind="stable")
        kk = min(k, D.shape[1])
        sel = order[:, :kk]
        r = np.repeat(np.arange(len(vil_codes)), kk) + v0
        rows.append(r)
        cols.append(sel.ravel() + s0)
        vals.append(np.take_along_axis(D, sel, axis=1).ravel())
        fb = (np.take_along_axis(D, order[:, kk:kk + 1], axis=1)[:, 0] if kk < D.shape[1]
              else np.full(len(vil_codes), np.inf))
        fallback.append(fb)
        blocks.append((v0, len(v_ids), s0, len(s_ids), D))
    n, m = len(v_ids), len(s_ids)
    sc = SparseCosts.from_pairs(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                                n_rows=n, n_sites=m, fallback=np.concatenate(fallback))
    w = np.concatenate(w_list)

    def exact_cost(open_mask):
        cost = np.full(n, np.inf)
        site = np.full(n, -1)
        for v0, v1, s0, s1, D in blocks:
            om = open_mask[s0:s1]
            if not om.any():
                continue
            Dm = np.where(om[None, :], D, np.inf)
            j = Dm.argmin(axis=1)
            c = Dm[np.arange(v1 - v0), j]
            ok = np.isfinite(c)
            cost[v0:v1] = c
            site[v0:v1] = np.where(ok, j + s0, -1)
        return cost, site

    info = {"build_s": time.perf_counter() - t0, "weight": weight_name, "n": n, "m": m,
            "nnz": len(sc.site), "dense_pairs": int(sum((b[1] - b[0]) * (b[3] - b[2]) for b in blocks))}
    return tuple(v_ids), tuple(s_ids), sc, w, exact_cost, info


def baseline(sc, w, p, *, time_limit_s, exact_cost):
    """Plain radius MIP on the K-nearest lists, one SCIP model (the 'big model')."""
    from citylogistics.location.lagrangian import reduced_mip

    t0 = time.perf_counter()
    allowed = np.ones(sc.n_sites, dtype=bool)
    required = np.zeros(sc.n_sites, dtype=bool)
    status, mask, obj, bound = reduced_mip(sc, w, p, required=required, allowed=allowed, hint=None,
                                           time_limit_s=time_limit_s, seed=0)
    ub = float((w * exact_cost(mask)[0]).sum()) if mask is not None else math.nan
    return {"status": status, "objective": ub, "bound": bound, "seconds": time.perf_counter() - t0}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--p", type=int, default=400)
    ap.add_argument("--k", type=int, default=12)
    ap.add_argument("--year", type=int, default=2015)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--baseline-time-limit", type=float, default=120.0)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--out", default="", help="write the plan as JSON here")
    args = ap.parse_args(argv)

    from citylogistics.location.lagrangian import SparsePMedian

    v_ids, s_ids, sc, w, exact_cost, info = build(k=args.k, year=args.year)
    print(f"villages {info['n']}, candidates {info['m']}, K = {args.k}, listed pairs {info['nnz']}, "
          f"within-city pairs {info['dense_pairs']}, weights = {info['weight']}, "
          f"data build {info['build_s']:.1f} s")
    model = SparsePMedian(v_ids, s_ids, sc, w, args.p, exact_cost=exact_cost, source="province")
    t0 = time.perf_counter()
    plan = model.solve(time_limit_s=args.time_limit)
    ours_s = time.perf_counter() - t0
    print()
    print(plan.summary())
    print("  details        :", {k: v for k, v in plan.extra.items()})
    rows = [["ours: Lagrangian + interchange + fixing + reduced SCIP", plan.status,
             f"{plan.objective:,.0f}", f"{plan.bound:,.0f}", f"{100 * plan.gap:.3f} %", f"{ours_s:.1f}"]]
    if not args.no_baseline:
        b = baseline(sc, w, args.p, time_limit_s=args.baseline_time_limit, exact_cost=exact_cost)
        bgap = ((b["objective"] - b["bound"]) / b["objective"]
                if math.isfinite(b["objective"]) and math.isfinite(b["bound"]) else math.inf)
        rows.append(["baseline: one SCIP radius MIP on the same K lists", b["status"],
                     f"{b['objective']:,.0f}" if math.isfinite(b["objective"]) else "-",
                     f"{b['bound']:,.0f}" if math.isfinite(b["bound"]) else "-",
                     f"{100 * bgap:.3f} %" if math.isfinite(bgap) else "-", f"{b['seconds']:.1f}"])
    print(f"\n## Province p-median, p = {args.p} (objective: parcels/day × s)\n")
    print("| method | status | objective | bound | gap | seconds |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print("\nTimings are wall-clock on a shared 2-core machine (noisy).")
    if args.out:
        plan.to_json(args.out)


if __name__ == "__main__":
    main()
