"""Time the coverage-extension planner: one city, and the province on 1 and 2 Dask workers side by side.

For each run it prints the wall time, the time of each stage (from the run's
manifest) and headline KPIs. For the province it runs the plan in one process
(``--workers 1``) and on a 2-worker LocalCluster in the same script, checks that
the four plan files are byte-identical, prints the ratio of wall times, a
per-stage breakdown of CPU seconds (the per-city planning that runs on the
workers, and the serial stages around it), and projects the wall time on 8 and
32 workers from that breakdown (Amdahl, with the largest city as a floor: one
city is one task).

    python benchmarks/bench_planner.py                      # Lishui, then the province on 1 and 2 workers
    python benchmarks/bench_planner.py --only lishui        # one city only
    python benchmarks/bench_planner.py --only zhejiang --workers 1,2
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
FILES = ("plan.json", "villages.csv", "kpis.csv", "sites.csv")
#: stages of a plan run's manifest that run once, outside the per-city tasks
SERIAL = ("regions", "kpis", "outputs")


def _run(name: str, workers: int, tmp: Path) -> tuple[float, dict, object, Path]:
    from citylogistics.scenario.files import load_scenario
    from citylogistics.scenario.run import run_scenario

    out = tmp / f"{name}-{workers}"
    t0 = time.perf_counter()
    result = run_scenario(load_scenario(SCENARIOS[name]), out, workers=workers)
    wall = time.perf_counter() - t0
    return wall, json.loads((out / "manifest.json").read_text())["timings_s"], result, out


def _city_seconds(t: dict) -> dict[str, float]:
    """Seconds of each city's task: its network plus the planner's total for it (the manifest's
    ``network_<adcode>`` and ``total_<adcode>``; the planner's sub-stages are inside its total)."""
    out: dict[str, float] = {}
    for key, v in t.items():
        stage, _, code = key.rpartition("_")
        if code.isdigit() and len(code) == 6 and stage in ("network", "total"):
            out[code] = out.get(code, 0.0) + v
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=sorted(SCENARIOS), action="append")
    ap.add_argument("--workers", default="1,2", help="worker counts for the province (default 1,2)")
    ap.add_argument("--keep", type=Path, default=None, help="keep the run folders here (default: a temporary folder)")
    args = ap.parse_args(argv)
    os.environ.setdefault("CI", "true")
    names = args.only or list(SCENARIOS)
    counts = [int(x) for x in args.workers.split(",")]
    print("| scenario | workers | villages | wall s | target s | regions s | network s | siting s | assign+route s | "
          "kpis s | outputs s | coverage | CNY/parcel | routes (final year) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = args.keep or Path(tmpdir)
        runs: dict[tuple[str, int], tuple] = {}
        for name in names:
            for w in (counts if name == "zhejiang" else [1]):
                wall, t, result, out = _run(name, w, tmp)
                runs[(name, w)] = (wall, t, out)

                def stage(prefix: str, t=t) -> float:
                    return sum(v for k, v in t.items() if k == prefix or k.startswith(prefix + "_"))

                k = result.kpis
                print(f"| {name} | {w} | {k['villages']:,} | {wall:.1f} | {TARGET_S[name]:.0f} | {t.get('regions', 0):.1f} | "
                      f"{stage('network'):.1f} | {stage('siting'):.1f} | {stage('assign_route'):.1f} | "
                      f"{t.get('kpis', 0):.1f} | {t.get('outputs', 0):.1f} | {100 * k['population_covered_share']:.1f} % | "
                      f"{k['cost_per_parcel_cny']:.3f} | {result.plan['summary']['routes']} |", flush=True)
        if "zhejiang" in names and len(counts) > 1:
            (w1, t1, o1), (w2, _t2, o2) = runs[("zhejiang", counts[0])], runs[("zhejiang", counts[1])]
            same = all((o1 / f).read_bytes() == (o2 / f).read_bytes() for f in FILES)
            cities = _city_seconds(t1)
            parallel = sum(cities.values())
            serial = sum(t1.get(s, 0.0) for s in SERIAL)
            largest = max(cities.values()) if cities else 0.0
            print()
            print(f"province: {counts[1]} workers take {w2 / w1:.2f} of the {counts[0]}-worker wall time "
                  f"({w1:.1f} s -> {w2:.1f} s); outputs identical: {same}")
            print("| stage | CPU s (1-worker run) | runs on |")
            print("|---|---:|---|")
            for s_ in SERIAL:
                print(f"| {s_} | {t1.get(s_, 0.0):.1f} | the client, once |")
            for code, v in sorted(cities.items(), key=lambda kv: -kv[1]):
                print(f"| city {code} (network, siting, assignment and routing) | {v:.1f} | one worker |")
            other = max(0.0, w1 - parallel - serial)
            print(f"| other (imports, cluster start, scattering the regions) | {other:.1f} | the client |")
            print()
            print(f"serial part: {serial + other:.1f} s of {w1:.1f} s ({100 * (serial + other) / w1:.0f} %); "
                  f"largest single city task {largest:.1f} s")
            for n in (8, 32):
                proj = serial + other + max(parallel / n, largest)
                print(f"projected wall time on {n} workers: {proj:.1f} s "
                      f"(serial {serial + other:.1f} + max(per-city {parallel:.1f} / {n}, largest city {largest:.1f}))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
