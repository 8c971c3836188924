"""CoveragePlan and citylogistics.plan_scenario: the public API gives the same
files as the CLI, round-trips through JSON, checks overrides like scenario
keys, and renders its report from the autoescaped templates."""

from __future__ import annotations

import dataclasses
import filecmp
from pathlib import Path

import pytest

import citylogistics
from citylogistics.errors import InputError

SMALL = Path(__file__).parent / "data" / "scenarios" / "zhoushan_small.toml"
FILES = ("plan.json", "villages.csv", "kpis.csv", "sites.csv")


@pytest.fixture(scope="module")
def plan():
    return citylogistics.plan_scenario(SMALL)


def test_write_matches_the_cli(plan, small_plan_run, tmp_path):
    """plan_scenario(...).write() gives the CLI's files, byte for byte."""
    out = plan.write(tmp_path / "api")
    cli_out = small_plan_run[0]
    for name in FILES:
        assert filecmp.cmp(out / name, cli_out / name, shallow=False), name
    for name in ("plan.gpkg", "map.html", "report.html", "manifest.json"):
        assert (out / name).is_file(), name


def test_json_round_trip_is_lossless(plan, tmp_path):
    """from_json(to_json(plan)) equals the plan, keeps dtypes, and writes the same files."""
    back = citylogistics.CoveragePlan.from_json(plan.to_json(tmp_path / "plan.coverage.json"))
    assert back == plan
    for name in ("sites", "villages", "kpis"):
        a, b = getattr(plan, name), getattr(back, name)
        assert list(a.columns) == list(b.columns) and (a.dtypes == b.dtypes).all(), name
        assert a.index.equals(b.index), name
    assert [r.get("geometry") for r in back.routes] == [list(map(list, r["geometry"])) if r.get("geometry") else
                                                        r.get("geometry") for r in plan.routes]
    plan.write(tmp_path / "a")
    back.write(tmp_path / "b")
    for name in FILES:
        assert filecmp.cmp(tmp_path / "a" / name, tmp_path / "b" / name, shallow=False), name


def test_a_changed_plan_is_not_equal(plan):
    villages = plan.villages.copy()
    villages.iloc[0, villages.columns.get_loc("reason")] = "budget"
    assert dataclasses.replace(plan, villages=villages) != plan


def test_from_json_refuses_other_files(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"schema": "something else"}', encoding="utf-8")
    with pytest.raises(InputError, match="CoveragePlan.to_json"):
        citylogistics.CoveragePlan.from_json(bad)


def test_summary_and_repr_html(plan):
    """The summary gives the final year's figures; the notebook display escapes the title."""
    final = plan.final_kpis()
    text = plan.summary()
    assert f"{int(final['villages_covered']):,} of {int(final['villages']):,}" in text
    assert f"{100 * final['population_covered_share']:.1f} %" in text and plan.info.title in text
    html = plan._repr_html_()
    assert "id='cl-plan-summary'" in html and "population covered" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<tr>") == len(plan.summary_rows()) + len(plan.years)


def test_plan_scenario_override_is_applied(plan):
    """A tighter coverage limit (a dotted key as keyword) is what the plan uses: no served village beyond it."""
    tight = citylogistics.plan_scenario(SMALL, plan__coverage_limit_s=600.0)
    assert tight.info.coverage_limit_s == 600.0 and tight.plan_document()["scenario"]["coverage_limit_s"] == 600.0
    served = tight.villages[tight.villages["reason"] == ""]
    assert (served["access_time_s"] <= 600.0).all()
    assert len(served) <= len(plan.villages[plan.villages["reason"] == ""])


@pytest.mark.parametrize("overrides, words", [
    ({"plan.coverage_limit_s": -5}, ("coverage_limit_s", "zhoushan_small.toml")),
    ({"plan.coverage_limt_s": 900}, ("coverage_limt_s", "did you mean")),
    ({"vehicles.bike.count": 3}, ("no vehicle named", "truck")),
])
def test_plan_scenario_checks_overrides_like_scenario_keys(overrides, words):
    with pytest.raises(InputError) as err:
        citylogistics.plan_scenario(SMALL, overrides)
    msg = str(err.value)
    assert len(msg) <= 300
    for w in words:
        assert w in msg, msg


def test_report_is_rendered_from_the_template_with_names_escaped(plan, monkeypatch):
    from jinja2 import DictLoader, Environment

    import citylogistics.outputs.report as report

    hostile = dataclasses.replace(plan, info=dataclasses.replace(plan.info, title="<script>alert(1)</script>"))
    page = hostile.report()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert report._environment().autoescape is True
    env = Environment(loader=DictLoader({"report.html.j2": "T={{ title }}|{{ summary[0][1] }}"}), autoescape=True)
    monkeypatch.setattr(report, "_environment", lambda: env)
    assert hostile.report() == f"T=&lt;script&gt;alert(1)&lt;/script&gt;|{plan.scope_label()}"
    assert plan.info.city in plan.scope_label()  # the name with its code


def test_geodataframes_are_wgs84_and_complete(plan):
    layers = plan.to_geodataframes()
    assert set(layers) == {"sites", "villages", "routes", "service_areas"}
    assert all(str(g.crs) == "EPSG:4326" for g in layers.values())
    assert len(layers["villages"]) == len(plan.villages) and len(layers["sites"]) == len(plan.sites)
    assert len(layers["routes"]) == len(plan.routes)
    served_stations = set(plan.villages.loc[plan.villages["reason"] == "", "served_by"])
    assert set(layers["service_areas"]["id"]) == served_stations


def test_import_is_light():
    """`import citylogistics` loads no optimisation, map or data library."""
    import subprocess
    import sys

    code = ("import sys, citylogistics; heavy = [m for m in ('pandas', 'numpy', 'folium', 'jinja2', 'ortools', "
            "'geopandas', 'scipy') if m in sys.modules]; print(heavy)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.stdout.strip() == "[]", res.stdout + res.stderr
