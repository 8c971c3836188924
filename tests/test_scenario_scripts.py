"""The Python scenario scripts in scenarios/ run on the public API and write what they promise."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(script: str, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scenarios" / script), "--out", str(out), "--quick", *extra],
                          capture_output=True, text=True, timeout=600, env={"CI": "true", "PATH": "/usr/bin:/bin"})


def test_compare_budgets_lishui(tmp_path):
    res = _run("compare_budgets_lishui.py", tmp_path)
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader((tmp_path / "comparison.csv").open(encoding="utf-8")))
    budgets = sorted({int(r["budget_cny_per_year"]) for r in rows})
    assert len(budgets) == 3
    last = {int(r["budget_cny_per_year"]): float(r["population_covered_share"]) for r in rows
            if r["year"] == max(x["year"] for x in rows)}
    # More money never covers less.
    assert last[budgets[0]] <= last[budgets[1]] + 1e-9 <= last[budgets[2]] + 2e-9
    assert "L.map(" in (tmp_path / "map.html").read_text(encoding="utf-8")


def test_quzhou_until_target(tmp_path):
    res = _run("quzhou_until_95.py", tmp_path, "--target", "0.8")
    assert res.returncode == 0, res.stderr
    rows = [r for r in csv.DictReader((tmp_path / "kpis.csv").open(encoding="utf-8")) if r["scope"] == "city"]
    assert float(rows[-1]["village_covered_share"]) >= 0.8 - 1e-9
    assert "opening cost" in res.stdout
