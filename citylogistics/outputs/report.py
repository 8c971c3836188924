"""A self-contained HTML report of a coverage plan (``report.html``).

Sections: the scenario summary, the phases, KPI tables by year (the top
scope) and by scope (the final year: cities and counties), charts (coverage
and cost by year, cost against coverage), the map embedded, and the unserved
villages with their reasons.

The page comes from the Jinja2 template ``outputs/templates/report.html.j2``
with autoescape on, so every text from data or the scenario is escaped; this
module prepares the values.  The page loads nothing from the network: charts
are inline SVG (:mod:`citylogistics.outputs.charts`), the map is embedded as
a sandboxed ``<iframe srcdoc>`` (:func:`citylogistics.outputs.maps.iframe_html`)
of the self-contained map page.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from citylogistics.outputs.charts import svg_chart

if TYPE_CHECKING:
    from markupsafe import Markup

#: Maps larger than this are linked (``map.html``) rather than embedded.
MAX_EMBEDDED_MAP_BYTES = 40_000_000
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

# (column, heading, format) for the KPI tables.
KPI_COLUMNS = (
    ("villages", "villages", "{:,.0f}"), ("villages_covered", "covered", "{:,.0f}"),
    ("villages_served", "served", "{:,.0f}"), ("population_covered_share", "population covered", "pct"),
    ("next_day_share", "next-day", "pct"), ("t1_open", "T1 open", "{:,.0f}"), ("t2_open", "T2 open", "{:,.0f}"),
    ("sites_opened", "opened", "{:,.0f}"), ("cost_cny", "cost (CNY/yr)", "{:,.0f}"),
    ("cost_per_parcel_cny", "CNY/parcel", "{:.3f}"), ("vehicle_km", "vehicle-km/yr", "{:,.0f}"),
    ("co2_kg", "CO2 kg/yr", "{:,.0f}"), ("access_mean_s", "mean access (min)", "min"),
    ("worst_tenth_access_s", "worst tenth (min)", "min"), ("gini_access_time", "Gini access", "{:.3f}"),
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


def kpi_table_data(rows: pd.DataFrame, *, first: str, first_heading: str,
                   labels: Mapping[str, str] | None = None) -> dict:
    """A KPI table for the template: headings and (label, formatted cells) rows; first column ``first``."""
    cols = [c for c in KPI_COLUMNS if c[0] in rows.columns]
    body = [((labels or {}).get(str(r[first]), str(r[first])), [_cell(r[c], f) for c, _, f in cols])
            for _, r in rows.iterrows()]
    return {"first_heading": first_heading, "headings": [h for _, h, _ in cols], "rows": body}


@functools.cache
def _environment():
    """The Jinja2 environment of the report templates (``outputs/templates``), autoescape on."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("citylogistics", "outputs/templates"), autoescape=True,
                       undefined=StrictUndefined, keep_trailing_newline=True)


def render_template(name: str, **context: Any) -> str:
    """Render one of the package's templates (autoescaped)."""
    return _environment().get_template(name).render(**context)


def _scope_labels(plan) -> dict[str, str]:
    from citylogistics.regions import CITY_CODES, CITY_NAMES_ZH

    labels = {}
    for scope in plan.kpis["scope"].unique():
        kind, _, code = str(scope).partition(":")
        if kind == "city":
            labels[scope] = f"{CITY_NAMES_ZH.get(code, code)} {CITY_CODES.get(code, '')} ({code})" if code else "city"
        elif kind == "county":
            labels[scope] = f"{plan.info.county_names.get(code, '')} ({code})".strip()
    return labels


def _phases(plan) -> list[dict]:
    names = dict(zip(plan.sites["id"], plan.sites["name"]))
    out = []
    for p in plan.phases():
        opened = p["sites_opened"]
        which = ", ".join(f"{names[s]} ({s})" if s in names else str(s) for s in opened[:40])
        out.append({"year": p["year"], "opened": len(opened), "which": which + (" …" if len(opened) > 40 else ""),
                    "covered": _cell(p["population_covered_share"], "pct"), "routes": p["routes"]})
    return out


def _charts(topk: pd.DataFrame) -> list[Markup]:
    from markupsafe import Markup

    yrs = [int(v) for v in topk["year"]]
    cov = [100 * float(v) for v in topk["population_covered_share"]]
    vcov = [100 * float(v) for v in topk.get("village_covered_share", pd.Series([np.nan] * len(topk)))]
    cost_m = [float(v) / 1e6 for v in topk["cost_cny"]]
    charts = [  # svg_chart escapes every text itself
        svg_chart(yrs, {"population covered": cov, "villages covered": vcov}, title="Coverage by year",
                  x_label="year", y_label="%", kind="line", y_min=0, y_max=100, chart_id="chart-coverage"),
        svg_chart(yrs, {"cost": cost_m}, title="Cost by year", x_label="year", y_label="million CNY per year",
                  kind="bar", chart_id="chart-cost"),
        svg_chart(cost_m, {"plan": cov}, title="Cost against coverage", x_label="million CNY per year",
                  y_label="population covered (%)", kind="scatter", point_labels=[str(y) for y in yrs],
                  chart_id="chart-cost-coverage"),
    ]
    return [Markup(c) for c in charts]


def _unserved(villages: pd.DataFrame) -> dict:
    un = villages[villages["reason"].fillna("") != ""]
    counts = un["reason"].value_counts().sort_index()
    reasons = [(r, f"{int(n):,}", f"{int(un.loc[un['reason'] == r, 'population'].sum()):,}")
               for r, n in counts.items()]
    shown = un.sort_values(["reason", "population"], ascending=[True, False]).head(MAX_UNSERVED_ROWS)
    rows = [(code, v["name"], v.get("county_code", ""), f"{int(v['population']):,}",
             _cell(v["demand_parcels"], "{:.1f}"), _cell(v["access_time_s"], "min"), v["reason"])
            for code, v in shown.iterrows()]
    return {"count": len(un), "reasons": reasons, "rows": rows}


def plan_report_html(plan, *, map_html: str | None = None, map_href: str = "map.html") -> str:
    """The report page of a :class:`~citylogistics.planner.coverage_plan.CoveragePlan` (a string),
    rendered from ``outputs/templates/report.html.j2``.

    ``map_html`` is the map page to embed; above :data:`MAX_EMBEDDED_MAP_BYTES`
    (or when omitted) the report links ``map_href`` instead.
    """
    from markupsafe import Markup

    from citylogistics.outputs.maps import iframe_html
    from citylogistics.regions import DATA_NOTICE

    top, final = plan.info.top_scope, plan.final_year
    topk = plan.top_kpis()
    kpis = plan.kpis
    embed = map_html is not None and len(map_html.encode("utf-8")) <= MAX_EMBEDDED_MAP_BYTES
    summary = [(k, v) for k, v in plan.summary_rows() if k != "title"]
    summary.insert(2, ("seed", str(plan.info.seed)))
    return render_template(
        "report.html.j2", title=plan.info.title, css=Markup(_CSS), summary=summary, phases=_phases(plan),
        top_scope=top, final_year=final,
        kpi_years=kpi_table_data(topk, first="year", first_heading="year"),
        kpi_scopes=kpi_table_data(kpis[(kpis["year"] == final) & (kpis["scope"] != top)], first="scope",
                                  first_heading="scope", labels=_scope_labels(plan)),
        charts=_charts(topk), map_href=map_href,
        map_iframe=Markup(iframe_html(map_html, element_id="plan-map", title="plan map")) if embed else None,
        unserved=_unserved(plan.villages), notice=DATA_NOTICE)
