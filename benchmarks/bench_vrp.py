"""Side-by-side VRP benchmark: plain OR-Tools, citylogistics, PyVRP.

Usage::

    /work/venv/bin/python benchmarks/bench_vrp.py [--time-limit 30] [--seed 0]
        [--engines ortools-plain,citylogistics,pyvrp] [FILES...]

Without files it runs the dev set (``/work/shared/benchmarks/solomon/*.txt``
and ``cvrp_x/*.vrp``). Conventions follow ``benchmarks/SOURCES.md``
(Solomon: distance only, distances truncated to 1 decimal; X: rounded
Euclidean, unlimited fleet). One solve at a time.

Engines:
  ortools-plain   OR-Tools PATH_CHEAPEST_ARC + guided local search (wall clock)
  citylogistics   citylogistics.routing.solver.solve(engine="auto", deterministic=False)
  citylogistics-det  the library default: deterministic work limit (time limit = safety cap)
  pyvrp           PyVRP 0.14 default parameters on the same integer data, MaxRuntime
"""

from __future__ import annotations

import argparse
import csv
import glob
import sys
import time
from pathlib import Path

from citylogistics.routing.solver import SolveParams, _solve_ortools, build_plan, solve
from citylogistics.bench.vrp_files import read_instance

BENCH = Path("/work/shared/benchmarks")


def load_bks() -> dict[str, float]:
    with open(BENCH / "bks.csv") as fh:
        return {r["instance"]: float(r["objective_bks"]) for r in csv.DictReader(fh) if r["objective_bks"]}


def run_engine(engine: str, inst, time_limit_s: float, seed: int):
    prob = inst.problem
    keep = list(range(len(prob.stops)))
    params = SolveParams(time_limit_s=time_limit_s, seed=seed, deterministic=False, engine="ortools",
                         first_solution="PATH_CHEAPEST_ARC")
    t0 = time.perf_counter()
    if engine == "ortools-plain":
        specs, dropped, info = _solve_ortools(prob, keep, params)
        plan = build_plan(prob, specs, [(i, "penalty") for i in dropped], solver=info)
    elif engine == "citylogistics":
        plan = solve(prob, SolveParams(time_limit_s=time_limit_s, seed=seed, deterministic=False, engine="auto"))
    elif engine == "citylogistics-det":
        plan = solve(prob, SolveParams(time_limit_s=time_limit_s, seed=seed, deterministic=True, engine="auto"))
    elif engine == "pyvrp":
        from pyvrp import solve as pv_solve
        from pyvrp.stop import MaxRuntime

        from citylogistics.routing.pyvrp_engine import _extract, build_data

        data, type_of = build_data(prob, keep)
        res = pv_solve(data, MaxRuntime(time_limit_s), seed=seed, collect_stats=False, display=False)
        specs, dropped = _extract(res, keep, type_of)
        plan = build_plan(prob, specs, [(i, "penalty") for i in dropped],
                          solver={"engine": "pyvrp-direct", "status": "feasible" if res.best.is_feasible() else "infeasible"})
    else:
        raise SystemExit(f"unknown engine {engine}")
    sec = time.perf_counter() - t0
    feasible = bool(plan.solver.get("feasible")) and not plan.unassigned
    return inst.objective(plan), len(plan.routes), sec, feasible


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*")
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engines", default="ortools-plain,citylogistics,pyvrp")
    ap.add_argument("--csv", help="also write per-run rows to this CSV file")
    args = ap.parse_args(argv)
    files = args.files or sorted(glob.glob(str(BENCH / "solomon/*.txt"))) + sorted(glob.glob(str(BENCH / "cvrp_x/*.vrp")))
    engines = args.engines.split(",")
    bks = load_bks()
    rows = []
    print(f"# time limit {args.time_limit} s per instance and engine, seed {args.seed}; 2 shared cores (noisy)")
    print("instance,engine,objective,bks,gap_pct,routes,seconds,feasible,ratio_vs_pyvrp", flush=True)
    for f in files:
        inst = read_instance(f)
        res = {}
        for eng in engines:
            obj, nroutes, sec, feas = run_engine(eng, inst, args.time_limit, args.seed)
            res[eng] = obj
            b = bks.get(inst.name)
            gap = 100.0 * (obj - b) / b if b else float("nan")
            rows.append(dict(instance=inst.name, family=inst.family, engine=eng, objective=obj, bks=b, gap_pct=gap,
                             routes=nroutes, seconds=sec, feasible=feas))
        for r in rows[-len(engines):]:
            ref = res.get("pyvrp")
            ratio = r["objective"] / ref if ref else float("nan")
            r["ratio_vs_pyvrp"] = ratio
            print(f"{r['instance']},{r['engine']},{r['objective']:.1f},{r['bks']},{r['gap_pct']:.2f},{r['routes']},"
                  f"{r['seconds']:.1f},{r['feasible']},{ratio:.4f}", flush=True)
    print("\n# summary: mean gap % (all solved?) per family and engine")
    print("family,engine,mean_gap_pct,max_gap_pct,all_feasible,mean_seconds")
    for fam in sorted({r["family"] for r in rows}):
        for eng in engines:
            rs = [r for r in rows if r["family"] == fam and r["engine"] == eng]
            gaps = [r["gap_pct"] for r in rs]
            print(f"{fam},{eng},{sum(gaps) / len(gaps):.2f},{max(gaps):.2f},{all(r['feasible'] for r in rs)},"
                  f"{sum(r['seconds'] for r in rs) / len(rs):.1f}")
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
