"""Sweep wall time with 1 and 2 Dask workers, side by side in one process.

Usage::

    python benchmarks/bench_sweep.py [SWEEP.toml] [--workers 1 2]

Default sweep: scenarios/sweep_zhoushan.toml (6 points).  Each run starts its
own LocalCluster into a fresh output folder (nothing reused), so the times
include cluster start-up and worker imports.  The table prints the points,
failures, wall seconds, the sum of per-point seconds, the speed-up against the
first row (the baseline, 1 worker), the knee of the frontier and whether the
results table equals the baseline's (ignoring the ``seconds`` column); when it
does not, the columns that differ are listed (routing that stops on its time
cap under CPU contention is the usual cause).  The machine has 2 cores shared
with other jobs: timings are noisy.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from citylogistics.scenario.sweep import run_sweep

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sweep", nargs="?", default=str(ROOT / "scenarios" / "sweep_zhoushan.toml"))
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    os.environ.setdefault("CI", "true")  # no progress bars in the table output
    rows = []
    base_table = None
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        for w in args.workers:
            t0 = time.perf_counter()
            res = run_sweep(args.sweep, Path(tmp) / f"w{w}", workers=w, progress=False)
            wall = time.perf_counter() - t0
            table = res.table.drop(columns=["seconds"])
            if base_table is None:
                base_table, same = table, "baseline"
            else:
                diff = [c for c in table.columns if not table[c].equals(base_table[c])]
                same = "yes" if not diff else "no: " + ", ".join(diff[:6])
            rows.append((w, len(res.table), res.failed, wall, float(res.table["seconds"].sum()),
                         res.frontier.knee_id or "-", same))
    base = rows[0][3]
    print(f"sweep: {args.sweep}   cpus: {os.cpu_count()}   load average: {os.getloadavg()[0]:.1f}")
    print(f"{'workers':>7} {'points':>6} {'failed':>6} {'wall_s':>8} {'sum_point_s':>11} {'speedup':>7}  "
          f"{'knee':<12} same table")
    for w, n, failed, wall, point_s, knee, same in rows:
        print(f"{w:>7} {n:>6} {failed:>6} {wall:>8.1f} {point_s:>11.1f} {base / wall:>7.2f}  {knee:<12} {same}")


if __name__ == "__main__":
    main()
