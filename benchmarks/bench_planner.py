"""Time the coverage-extension planner: one city and the whole province.

Prints one row per scenario with wall time, the time of each stage (from the
run's manifest) and headline KPIs, then the targets (one city <= 60 s; the
province, 25,547 villages x 5 phases, <= 600 s on a 2-core machine).

    python benchmarks/bench_planner.py                    # Lishui and the province
    python benchmarks/bench_planner.py --only lishui      # one city only
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {"lishui": ROOT / "scenarios" / "lishui.toml", "zhejiang": ROOT / "scenarios" / "zhejiang.toml"}
TARGET_S = {"lishui": 60.0, "zhejiang": 600.0}


def main(argv=None) -> int:
    from citylogistics.scenario.run import run_scenario
    from citylogistics.scenario.files import load_scenario

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=sorted(SCENARIOS), action="append")
    args = ap.parse_args(argv)
    os.environ.setdefault("CI", "true")
    names = args.only or list(SCENARIOS)
    print("| scenario | villages | wall s | target s | regions s | network s | siting s | assign+route s | kpis s | outputs s | "
          "coverage | villages served | next-day | CNY/parcel | routes (final year) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        scenario = load_scenario(SCENARIOS[name])
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            result = run_scenario(scenario, Path(tmp) / "out")
            wall = time.perf_counter() - t0
            man = json.loads((Path(tmp) / "out" / "manifest.json").read_text())
        t = man["timings_s"]

        def stage(prefix: str) -> float:
            return sum(v for k, v in t.items() if k == prefix or k.startswith(prefix + "_"))

        k = result.kpis
        print(f"| {name} | {k['villages']:,} | {wall:.1f} | {TARGET_S[name]:.0f} | {t.get('regions', 0):.1f} | "
              f"{stage('network'):.1f} | {stage('siting'):.1f} | {stage('assign_route'):.1f} | {t.get('kpis', 0):.1f} | "
              f"{t.get('outputs', 0):.1f} | {100 * k['population_covered_share']:.1f} % | "
              f"{k['villages_served']:,} of {k['villages']:,} | {100 * k['next_day_share']:.1f} % | "
              f"{k['cost_per_parcel_cny']:.3f} | {result.plan['summary']['routes']} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
