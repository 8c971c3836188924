"""Location-routing benchmark (issue 19 part 5): Prodhon's instances.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_lrp.py [--time-limit 60] [--seed 0]
        [--exhaustive-work 3] [--no-exhaustive] [FILES...]

Without files it runs ``../shared/benchmarks/lrp/*.dat``. Costs follow
``../shared/benchmarks/SOURCES.md``: opening costs + 1000 per route + the sum
of ``ceil(100 * euclidean)`` edge costs (the convention under which the
published coord20-5-1 solution costs 54,793; 54,769 with floor).

For each instance it prints the solver's row (``citylogistics bench lrp``:
:func:`citylogistics.bench.lrp.bench_lrp_rows`), then

* the gap to the best-known value from the literature (table ``BKS`` below,
  with its source) and, for coord20-5-1, to the published solution file,
  which is costed here from its routes;
* on the 20- and 50-customer instances, the gap to the best over ALL depot
  sets, each set routed with the depots' capacities respected
  (:func:`citylogistics.bench.lrp.all_depot_sets`, ``--exhaustive-work`` seconds of
  routing work per solve).

One solve at a time; the figures depend on the machine's load.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from citylogistics.bench.lrp import all_depot_sets, bench_lrp_rows, read_lrp, read_lrp_solution

ROOT = Path(__file__).resolve().parents[1]
LRP_DIR = ROOT.parent / "shared" / "benchmarks" / "lrp"

#: Best-known values (ceil(100 * d) convention) as listed in
#: Subramanyam-Lab/NEO-LRP, flpvrp/main.py (``bks_dict``), which collects the
#: values published for the Prodhon set (coord20-5-1 = 54,793 agrees with the
#: optimal solution file of inria-UFF/location-routing, Liguori et al.).
BKS = {"coord20-5-1": 54793, "coord20-5-2": 48908, "coord50-5-1": 90111, "coord50-5-2": 88293,
       "coord100-5-1": 274814}
BKS_SOURCE = "Subramanyam-Lab/NEO-LRP flpvrp/main.py bks_dict (Prodhon set best-known values)"


def gap(value: float, ref: float | None) -> str:
    return "" if not ref else f"{100.0 * (value - ref) / ref:+.2f} %"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--time-limit", type=float, default=60.0, help="solver seconds per instance")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--exhaustive-work", type=float, default=3.0,
                    help="routing work (s) per solve of the all-depot-sets reference")
    ap.add_argument("--no-exhaustive", action="store_true")
    args = ap.parse_args(argv)
    files = [Path(f) for f in args.files] or sorted(LRP_DIR.glob("*.dat"),
                                                    key=lambda p: (len(p.stem), p.stem))
    if not files:
        print(f"no instances found in {LRP_DIR}", file=sys.stderr)
        return 2
    print("# objective = opening + 1000 * routes + sum ceil(100 * euclid); "
          f"time limit {args.time_limit:g} s, seed {args.seed}")
    print(f"# BKS source: {BKS_SOURCE}")
    head = ("instance", "objective", "depots_open", "routes", "seconds", "bks", "gap_bks", "published_sol",
            "gap_published", "best_all_sets", "best_set", "gap_all_sets", "sets_routed", "exhaustive_s")
    print(",".join(head), flush=True)
    for path in files:
        row = bench_lrp_rows([path], time_limit_s=args.time_limit, seed=args.seed)[0]
        inst = read_lrp(path)
        obj = row["objective"]
        out = dict(row, bks=BKS.get(inst.name, ""), gap_bks=gap(obj, BKS.get(inst.name)))
        sol_path = path.with_suffix(".sol")
        if sol_path.is_file():
            pub = read_lrp_solution(sol_path, inst).objective
            out.update(published_sol=int(pub), gap_published=gap(obj, pub))
        if not args.no_exhaustive and inst.n_customers <= 50:
            t0 = time.perf_counter()
            every = all_depot_sets(inst, work_s=args.exhaustive_work, seed=args.seed)
            best_set, best = min(every.items(), key=lambda kv: (kv[1].objective, kv[0]))
            out.update(best_all_sets=int(best.objective), best_set="+".join(str(k + 1) for k in best_set),
                       gap_all_sets=gap(obj, best.objective), sets_routed=len(every),
                       exhaustive_s=round(time.perf_counter() - t0, 1))
        print(",".join(str(out.get(k, "")) for k in head), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
