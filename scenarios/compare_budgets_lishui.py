"""Compare three yearly opening budgets for Lishui's 2011-2015 rural extension.

Writes one comparison table (``comparison.csv``: coverage, cost and CO2 by
year for each budget) and one map (the middle budget's plan) into --out, and
keeps each run's full output in a sub-folder.

    python scenarios/compare_budgets_lishui.py --out out/lishui_budgets
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pandas as pd

from citylogistics.fileio import atomic_write_text
from citylogistics.scenario.run import run_scenario
from citylogistics.scenario.files import load_scenario

HERE = Path(__file__).resolve().parent
BUDGETS_CNY = (600_000, 1_500_000, 3_000_000)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--quick", action="store_true", help="two years and short solver limits (for tests)")
    args = ap.parse_args(argv)
    base = load_scenario(HERE / "lishui.toml")
    if args.quick:
        base = dataclasses.replace(base, plan=dataclasses.replace(
            base.plan, end_year=base.plan.start_year + 1, lastmile_time_limit_s=0.05, route_time_limit_s=0.3))
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for budget in BUDGETS_CNY:
        scenario = dataclasses.replace(base, title=f"Lishui, {budget / 1e6:g} M CNY a year",
                                       plan=dataclasses.replace(base.plan, budget_cny=(float(budget),)))
        result = run_scenario(scenario, args.out / f"budget_{budget}")
        kpis = pd.read_csv(args.out / f"budget_{budget}" / "kpis.csv")
        top = kpis[kpis["scope"] == "city"].copy()
        top.insert(0, "budget_cny_per_year", budget)
        rows.append(top[["budget_cny_per_year", "year", "population_covered_share", "villages_covered", "t2_open",
                         "cost_cny", "cost_per_parcel_cny", "co2_kg", "next_day_share"]])
        print(f"budget {budget:>9,} CNY/year: {100 * result.kpis['population_covered_share']:.1f} % covered "
              f"in {result.kpis['year']}, cost {result.kpis['cost_cny']:,.0f} CNY")
    table = pd.concat(rows, ignore_index=True)
    atomic_write_text(args.out / "comparison.csv", table.to_csv(index=False, lineterminator="\n"))
    middle = args.out / f"budget_{BUDGETS_CNY[1]}" / "map.html"
    atomic_write_text(args.out / "map.html", middle.read_text(encoding="utf-8"))
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
