"""report.html and plan.gpkg of a plan run: sections, KPI tables and charts
agree with kpis.csv and villages.csv; the GeoPackage keeps every field and CRS
through a geopandas/pyogrio round trip; text is escaped."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parent / "data" / "scenarios"


@pytest.fixture(scope="module")
def run_dir(small_plan_run):
    return small_plan_run[0]


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_report_sections_and_escaping(run_dir):
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    for anchor in ("id='summary'", "id='phases'", "id='kpi-years'", "id='kpi-scopes'", 'id="chart-coverage"',
                   'id="chart-cost"', 'id="chart-cost-coverage"', "id='plan-map'", "id='unserved'"):
        assert anchor in html, anchor
    assert "<script>window.__x=1</script>" not in html
    assert "Zhoushan &lt;script&gt;window.__x=1&lt;/script&gt; test" in html
    assert "GeoNames" in html and "CC BY 4.0" in html
    assert not re.search(r"<script[^>]+src=", html)


def test_report_tables_agree_with_csv(run_dir):
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    kpis = pd.read_csv(run_dir / "kpis.csv", dtype={"scope": str})
    top = kpis[kpis["scope"] == "city"]
    years_table = html.split("id='kpi-years'>")[1].split("</table>")[0]
    assert years_table.count("<tr>") == 1 + len(top)
    for _, r in top.iterrows():
        assert f"<td class='t'>{r['year']}</td>" in years_table
        assert f"{100 * r['population_covered_share']:.1f} %" in years_table
        assert f"{r['cost_cny']:,.0f}" in years_table
    scopes_table = html.split("id='kpi-scopes'>")[1].split("</table>")[0]
    assert scopes_table.count("<tr>") == 1 + (kpis["scope"].str.startswith("county:") & (kpis["year"] == kpis["year"].max())).sum()
    villages = _rows(run_dir / "villages.csv")
    unserved = [v for v in villages if v["reason"]]
    assert f"Unserved villages ({len(unserved):,})" in html
    reasons = html.split("id='unserved-reasons'>")[1].split("</table>")[0]
    for reason in {v["reason"] for v in unserved}:
        n = sum(1 for v in unserved if v["reason"] == reason)
        assert f"<td class='t'>{reason}</td><td>{n:,}</td>" in reasons
    listed = html.split("id='unserved'>")[1].split("</table>")[0]
    assert listed.count("<tr>") == 1 + min(len(unserved), 1000)


def test_chart_points_match_kpis(run_dir):
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    kpis = pd.read_csv(run_dir / "kpis.csv", dtype={"scope": str})
    n_years = (kpis["scope"] == "city").sum()
    cov = html.split('id="chart-coverage"')[1].split("</svg>")[0]
    assert cov.count("<circle class=\"point\"") == 2 * n_years  # population and village coverage
    cost = html.split('id="chart-cost"')[1].split("</svg>")[0]
    assert cost.count("<rect class=\"bar\"") == n_years


def test_geopackage_round_trip(run_dir):
    import geopandas as gpd
    import pyogrio

    path = run_dir / "plan.gpkg"
    layers = dict(pyogrio.list_layers(path))
    assert layers == {"sites": "Point", "villages": "Point", "routes": "LineString",
                      "service_areas": "MultiPolygon", "county_coverage": "MultiPolygon"}
    for name in layers:
        gdf = gpd.read_file(path, layer=name)
        assert gdf.crs.to_epsg() == 4326, name
        assert len(gdf) > 0, name
    for name, csv_name in (("sites", "sites.csv"), ("villages", "villages.csv")):
        gdf = gpd.read_file(path, layer=name)
        table = pd.read_csv(run_dir / csv_name, dtype=str, keep_default_na=False)
        assert list(gdf.columns[:-1]) == list(table.columns), name  # every field, same order
        key = table.columns[0]
        g = gdf.set_index(key).sort_index()
        t = table.set_index(key).sort_index()
        for col in t.columns:
            a = pd.to_numeric(t[col], errors="coerce")
            if a.notna().any() and col not in ("name", "pinyin", "code", "county_code", "city_code", "served_by"):
                b = pd.to_numeric(g[col], errors="coerce")
                pd.testing.assert_series_equal(a.rename(None), b.rename(None), check_dtype=False, rtol=1e-9,
                                               check_index=False)
            else:
                assert (t[col].fillna("") == g[col].fillna("").astype(str)).all(), (name, col)
    routes = gpd.read_file(path, layer="routes")
    plan_routes = __import__("json").loads((run_dir / "plan.json").read_text())["routes"]
    assert len(routes) == len(plan_routes)
    assert routes["distance_m"].sum() == pytest.approx(sum(r["distance_m"] for r in plan_routes))
    cov = gpd.read_file(path, layer="county_coverage")
    kpis = pd.read_csv(run_dir / "kpis.csv", dtype={"scope": str})
    assert len(cov) == kpis["scope"].str.startswith("county:").sum()


def test_svg_chart_escapes_labels():
    from citylogistics.outputs.charts import svg_chart

    svg = svg_chart([2011, 2012], {"<b>x</b>": [1, 2]}, title="<script>alert(1)</script>", x_label="year",
                    y_label="&", kind="line")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;x&lt;/b&gt;" in svg
    assert svg.count("<circle") == 2 and ">2011<" in svg and ">2012<" in svg


def test_notebook_repr_html(run_dir):
    from citylogistics.outputs.notebook import run_result_html
    from citylogistics.scenario.run import RunResult

    kpis = pd.read_csv(run_dir / "kpis.csv", dtype={"scope": str})
    final = kpis[kpis["scope"] == "city"].iloc[-1].to_dict()
    html = run_result_html(RunResult(out_dir=run_dir, plan={}, kpis=final, timings_s={}))
    assert "id='cl-run-summary'" in html and "population covered" in html
    assert "<iframe sandbox='allow-scripts'" in html and "<script>window.__x" not in html


def test_sources_listed_in_manifest_and_report(run_dir):
    import json

    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    text = " ".join(s["source"] for s in manifest["sources"])
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    for source in ("NBS", "census", "GeoNames", "CC BY 4.0", "Vonng/adcode", "OpenStreetMap", "ODbL"):
        assert source in text and source in html, source
    assert (run_dir / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "srcdoc" not in html and "src='map.html'" in html and "href='map.png'" in html
