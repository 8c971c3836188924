"""Compare three yearly opening budgets for Lishui's 2011-2015 rural extension.

Writes one comparison table (``comparison.csv``: coverage, cost and CO2 by
year for each budget) and one map (the middle budget's plan) into --out, and
keeps each run's full output in a sub-folder.

    python scenarios/compare_budgets_lishui.py --out out/lishui_budgets
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import citylogistics
from citylogistics.fileio import atomic_write_text
from citylogistics.scenario.files import load_scenario

HERE = Path(__file__).resolve().parent
BUDGETS_CNY = (600_000, 1_500_000, 3_000_000)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--quick", action="store_true", help="two years and short solver limits (for tests)")
    args = ap.parse_args(argv)
    quick = {}
    if args.quick:
        start = load_scenario(HERE / "lishui.toml").plan.start_year
        quick = {"plan.end_year": start + 1, "plan.lastmile_time_limit_s": 0.05, "plan.route_time_limit_s": 0.3}
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for budget in BUDGETS_CNY:
        plan = citylogistics.plan_scenario(HERE / "lishui.toml", {
            **quick, "title": f"Lishui, {budget / 1e6:g} M CNY a year", "plan.budget_cny": [float(budget)]})
        plan.write(args.out / f"budget_{budget}")
        top = plan.top_kpis().copy()
        top.insert(0, "budget_cny_per_year", budget)
        rows.append(top[["budget_cny_per_year", "year", "population_covered_share", "villages_covered", "t2_open",
                         "cost_cny", "cost_per_parcel_cny", "co2_kg", "next_day_share"]])
        final = plan.final_kpis()
        print(f"budget {budget:>9,} CNY/year: {100 * final['population_covered_share']:.1f} % covered "
              f"in {final['year']}, cost {final['cost_cny']:,.0f} CNY")
    table = pd.concat(rows, ignore_index=True)
    atomic_write_text(args.out / "comparison.csv", table.to_csv(index=False, lineterminator="\n"))
    middle = args.out / f"budget_{BUDGETS_CNY[1]}" / "map.html"
    atomic_write_text(args.out / "map.html", middle.read_text(encoding="utf-8"))
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
