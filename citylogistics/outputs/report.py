"""A self-contained HTML report of a coverage plan (``report.html``).

Sections: the scenario summary, the phases, KPI tables by year (the top
scope) and by scope (the final year: cities and counties), a section per city
in a province plan (with links between the sections and to each city's map),
charts (coverage and cost by year, cost against coverage), the map (an
``<iframe src="map.html">``, not a second copy of it) and the static
``map.png``, the unserved villages with their reasons, and the data sources.
Places are named ``杭州市 Hangzhou (330100)``; headings, KPI names and notes
come from :mod:`citylogistics.outputs.i18n` in the run's language.

The page comes from the Jinja2 template ``outputs/templates/report.html.j2``
with autoescape on, so every text from data or the scenario is escaped; this
module prepares the values.  The page loads nothing from the network: charts
are inline SVG (:mod:`citylogistics.outputs.charts`) and the map page beside
it is shown in a sandboxed iframe.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from citylogistics.outputs.charts import svg_chart
from citylogistics.outputs.i18n import STRINGS, place_label, reason_name, tr

if TYPE_CHECKING:
    from markupsafe import Markup

#: At most this many unserved villages are listed (all are in villages.csv).
MAX_UNSERVED_ROWS = 1000

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
     margin:0 auto;max-width:1180px;padding:16px 24px;color:#222}
h1{font-size:24px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f4f4f4}
td.t,th.t{text-align:left}.note{color:#666;font-size:12px}.charts{display:flex;flex-wrap:wrap;gap:16px}
.kv th{text-align:left}figure{margin:0}figcaption{font-size:12px;color:#555}
iframe{width:100%;height:640px;border:1px solid #ccc}.scroll{max-height:420px;overflow:auto}
"""

# (column, format) for the KPI tables; headings are i18n keys ``k.<column>``.
KPI_COLUMNS = (
    ("villages", "{:,.0f}"),
    ("villages_covered", "{:,.0f}"),
    ("villages_served", "{:,.0f}"),
    ("population_covered_share", "pct"),
    ("next_day_share", "pct"),
    ("t1_open", "{:,.0f}"),
    ("t2_open", "{:,.0f}"),
    ("sites_opened", "{:,.0f}"),
    ("cost_cny", "{:,.0f}"),
    ("cost_per_parcel_cny", "{:.3f}"),
    ("vehicle_km", "{:,.0f}"),
    ("co2_kg", "{:,.0f}"),
    ("access_mean_s", "min"),
    ("worst_tenth_access_s", "min"),
    ("gini_access_time", "{:.3f}"),
)


def _cell(value: Any, fmt: str) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return "–"
    if fmt == "pct":
        return f"{100 * v:.1f} %"
    if fmt == "min":
        return f"{v / 60:.1f}"
    return fmt.format(v)


def kpi_table_data(
    rows: pd.DataFrame,
    *,
    first: str,
    first_heading: str,
    labels: Mapping[str, str] | None = None,
    language: str = "en",
    anchors: Mapping[str, str] | None = None,
) -> dict:
    """A KPI table for the template: headings and (label, anchor, formatted cells) rows; first column ``first``."""
    cols = [c for c in KPI_COLUMNS if c[0] in rows.columns]
    body = [
        (
            (labels or {}).get(str(r[first]), str(r[first])),
            (anchors or {}).get(str(r[first]), ""),
            [_cell(r[c], f) for c, f in cols],
        )
        for _, r in rows.iterrows()
    ]
    return {"first_heading": first_heading, "headings": [tr(f"k.{c}", language) for c, _ in cols], "rows": body}


@functools.cache
def _environment():
    """The Jinja2 environment of the report templates (``outputs/templates``), autoescape on."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("citylogistics", "outputs/templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_template(name: str, **context: Any) -> str:
    """Render one of the package's templates (autoescaped)."""
    return _environment().get_template(name).render(**context)


def _scope_labels(plan, language: str) -> dict[str, str]:
    labels = {"province": tr("r.province", language), "city": tr("r.city", language)}
    for scope in plan.kpis["scope"].unique():
        kind, _, code = str(scope).partition(":")
        if kind == "city" and code:
            labels[scope] = place_label(code)
        elif kind == "county":
            labels[scope] = place_label(code, name_zh=plan.info.county_names.get(code, ""))
    return labels


def _phases(plan) -> list[dict]:
    names = dict(zip(plan.sites["id"], plan.sites["name"]))
    out = []
    for p in plan.phases():
        opened = p["sites_opened"]
        which = ", ".join(f"{names[s]} ({s})" if s in names else str(s) for s in opened[:40])
        out.append(
            {
                "year": p["year"],
                "opened": len(opened),
                "which": which + (" …" if len(opened) > 40 else ""),
                "covered": _cell(p["population_covered_share"], "pct"),
                "routes": p["routes"],
            }
        )
    return out


def _charts(topk: pd.DataFrame, language: str) -> list[Markup]:
    from markupsafe import Markup

    L = language
    yrs = [int(v) for v in topk["year"]]
    cov = [100 * float(v) for v in topk["population_covered_share"]]
    vcov = [100 * float(v) for v in topk.get("village_covered_share", pd.Series([np.nan] * len(topk)))]
    cost_m = [float(v) / 1e6 for v in topk["cost_cny"]]
    charts = [  # svg_chart escapes every text itself
        svg_chart(
            yrs,
            {tr("c.population", L): cov, tr("c.villages", L): vcov},
            title=tr("c.coverage", L),
            x_label=tr("c.year", L),
            y_label="%",
            kind="line",
            y_min=0,
            y_max=100,
            chart_id="chart-coverage",
        ),
        svg_chart(
            yrs,
            {tr("c.cost_series", L): cost_m},
            title=tr("c.cost", L),
            x_label=tr("c.year", L),
            y_label=tr("c.million_cny", L),
            kind="bar",
            chart_id="chart-cost",
        ),
        svg_chart(
            cost_m,
            {tr("c.plan", L): cov},
            title=tr("c.cost_coverage", L),
            x_label=tr("c.million_cny", L),
            y_label=tr("c.population_pct", L),
            kind="scatter",
            point_labels=[str(y) for y in yrs],
            chart_id="chart-cost-coverage",
        ),
    ]
    return [Markup(c) for c in charts]


def _unserved(villages: pd.DataFrame, plan, language: str) -> dict:
    un = villages[villages["reason"].fillna("") != ""]
    counts = un["reason"].value_counts().sort_index()
    reasons = [
        (reason_name(r, language), f"{int(n):,}", f"{int(un.loc[un['reason'] == r, 'population'].sum()):,}")
        for r, n in counts.items()
    ]
    shown = un.sort_values(["reason", "population"], ascending=[True, False]).head(MAX_UNSERVED_ROWS)
    county = plan.info.county_names
    rows = [
        (
            code,
            v["name"],
            f"{county.get(str(v.get('county_code', '')), '')} ({v.get('county_code', '')})",
            f"{int(v['population']):,}",
            _cell(v["demand_parcels"], "{:.1f}"),
            _cell(v["access_time_s"], "min"),
            reason_name(v["reason"], language),
        )
        for code, v in shown.iterrows()
    ]
    return {"count": len(un), "reasons": reasons, "rows": rows}


def _summary(plan, language: str) -> list[tuple[str, str]]:
    """The summary rows with translated labels (the values' numbers and names stay)."""
    out = []
    for k, v in plan.summary_rows():
        if k == "title":
            continue
        if k.startswith("routes "):
            label = tr("s.routes", language, year=plan.final_year)
        else:
            label = tr(f"s.{k}", language) if f"s.{k}" in STRINGS else k
        if language != "en":
            v = v.replace(" of ", f" {tr('s.of', language)} ").replace(" min", f" {tr('s.min', language)}")
        out.append((label, v))
    out.insert(2, (tr("r.seed", language), str(plan.info.seed)))
    return out


def _city_sections(plan, language: str, city_pages: Mapping[str, str]) -> list[dict]:
    """A section per city of a province plan: its KPIs by year, links to its map and PNG."""
    from citylogistics.regions import CITY_CODES

    kpis = plan.kpis
    out = []
    for code in plan.info.cities:
        rows = kpis[kpis["scope"] == f"city:{code}"].sort_values("year")
        href = city_pages.get(code, "")
        out.append(
            {
                "id": f"city-{CITY_CODES.get(code, code).lower()}",
                "label": place_label(code),
                "href": href,
                "png": href[:-5] + ".png" if href.endswith(".html") else "",
                "table": kpi_table_data(rows, first="year", first_heading=tr("f.year", language), language=language),
            }
        )
    return out


def plan_report_html(
    plan,
    *,
    language: str = "en",
    map_href: str = "map.html",
    png_href: str | None = "map.png",
    city_pages: Mapping[str, str] | None = None,
    map_html: str | None = None,
) -> str:
    """The report page of a :class:`~citylogistics.planner.coverage_plan.CoveragePlan` (a string),
    rendered from ``outputs/templates/report.html.j2`` in ``language`` (``"en"``/``"zh"``).

    The map is not copied into the page: it is shown from ``map_href`` (the
    ``map.html`` beside the report) in an iframe and linked, with the static
    ``png_href``.  ``city_pages`` (city code -> link) gives a province plan's
    city sections their map links.  ``map_html`` is accepted for compatibility
    and not used.
    """
    from markupsafe import Markup

    from citylogistics.outputs.i18n import attribution

    del map_html  # the page beside the report is shown instead of a copy
    L = language
    top, final = plan.info.top_scope, plan.final_year
    topk = plan.top_kpis()
    kpis = plan.kpis
    labels = _scope_labels(plan, L)
    cities = _city_sections(plan, L, city_pages or {}) if len(plan.info.cities) > 1 else []
    anchors = {f"city:{c}": s["id"] for c, s in zip(plan.info.cities, cities)}
    return render_template(
        "report.html.j2",
        t=functools.partial(tr, language=L),
        lang="zh-Hans" if L == "zh" else "en",
        title=plan.info.title,
        scope=plan.scope_label(),
        css=Markup(_CSS),
        summary=_summary(plan, L),
        phases=_phases(plan),
        top_scope=labels.get(top, top),
        final_year=final,
        kpi_years=kpi_table_data(topk, first="year", first_heading=tr("f.year", L), language=L),
        kpi_scopes=kpi_table_data(
            kpis[(kpis["year"] == final) & (kpis["scope"] != top)],
            first="scope",
            first_heading=tr("r.scope", L),
            labels=labels,
            language=L,
            anchors=anchors,
        ),
        cities=cities,
        charts=_charts(topk, L),
        map_href=map_href,
        png_href=png_href,
        unserved=_unserved(plan.villages, plan, L),
        notice=attribution(L),
    )
