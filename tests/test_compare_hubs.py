"""`compare` shows city hub (T0) changes between two plan runs with [hubs] (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path

from citylogistics.scenario.compare import compare_runs

KPIS = "year,scope,cost_cny,hubs_open,land_used_m2,hub_utilisation_max\n{rows}"
SITES_HEAD = "id,tier,code,name,lon,lat,open_year,county_code,city_code,pinyin,load_parcels_per_day\n"


def _run(folder: Path, hubs: dict[str, tuple[str, float]], *, t1_year: str = "2011") -> Path:
    """A minimal plan output folder: manifest, kpis.csv and sites.csv with one T1 and the given T0 rows."""
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"tool": "citylogistics"}), encoding="utf-8")
    n = sum(1 for y, _ in hubs.values() if y)
    (folder / "kpis.csv").write_text(KPIS.format(rows=f"2013,city,1000,{n},{n * 5000},0.9\n"), encoding="utf-8")
    rows = [f"T1-330902,T1,330902,Dinghai,122.1,30.0,{t1_year},330902,330900,,\n"]
    rows += [f"{h},T0,{h},{h},122.2,30.0,{y},,330900,,{load}\n" for h, (y, load) in hubs.items()]
    (folder / "sites.csv").write_text(SITES_HEAD + "".join(rows), encoding="utf-8")
    return folder


def test_compare_lists_hubs_opened_closed_moved_and_load_changes(tmp_path):
    """Hubs opened only in B, only in A, in another year, and final-year load changes are reported."""
    a = _run(tmp_path / "a", {"T0-330900": ("2010", 30000.0), "G001": ("2012", 20000.0), "G002": ("", 0.0),
                              "G003": ("2013", 5000.0)})
    b = _run(tmp_path / "b", {"T0-330900": ("2010", 35000.0), "G001": ("2013", 20000.0), "G002": ("2012", 5000.0),
                              "G003": ("", 0.0)})
    c = compare_runs(a, b)
    assert c.hubs_opened == ("G002",)
    assert c.hubs_closed == ("G003",)
    assert c.hubs_moved == (("G001", 2012, 2013),)
    assert dict((h, (la, lb)) for h, la, lb in c.hub_loads) == {
        "T0-330900": (30000.0, 35000.0), "G002": (0.0, 5000.0), "G003": (5000.0, 0.0)}
    text = c.summary()
    assert "city hubs opened in B only: G002" in text and "G001 2012->2013" in text
    assert "d_hubs_open" in c.deltas.columns and "d_land_used_m2" in c.deltas.columns


def test_compare_without_hubs_reports_no_hub_lines(tmp_path):
    """Two runs without T0 rows: no hub changes and no hub lines in the summary."""
    a = _run(tmp_path / "a", {})
    b = _run(tmp_path / "b", {}, t1_year="2012")
    c = compare_runs(a, b)
    assert (c.hubs_opened, c.hubs_closed, c.hubs_moved, c.hub_loads) == ((), (), (), ())
    assert "city hub" not in c.summary()
    assert c.sites_moved == (("T1-330902", 2011, 2012),)
