"""A self-contained HTML report of a coverage plan (``report.html``).

Sections: the scenario summary, the phases, KPI tables by year (the top
scope) and by scope (the final year: cities and counties), charts (coverage
and cost by year, cost against coverage), the map embedded, and the unserved
villages with their reasons.

The page loads nothing from the network: charts are inline SVG written here,
the map is embedded as an ``<iframe srcdoc>`` (sandboxed: scripts run, but in
an opaque origin) of the self-contained map page.  Every text from data or
the scenario is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from citylogistics.outputs.maps import safe_text

#: Maps larger than this are linked (``map.html``) rather than embedded.
MAX_EMBEDDED_MAP_BYTES = 40_000_000
#: At most this many unserved villages are listed (all are in villages.csv).
MAX_UNSERVED_ROWS = 1000

SERIES_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")

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


def _e(value: Any) -> str:
    return safe_text(value)


def _cell(value: Any, fmt: str) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return _e(value)
    if not math.isfinite(v):
        return "–"
    if fmt == "pct":
        return f"{100 * v:.1f} %"
    if fmt == "min":
        return f"{v / 60:.1f}"
    return fmt.format(v)


def kpi_html_table(rows: pd.DataFrame, *, first: str, first_heading: str, labels: Mapping[str, str] | None = None) -> str:
    """An HTML table of KPI rows (escaped), first column ``first``."""
    cols = [c for c in KPI_COLUMNS if c[0] in rows.columns]
    head = f"<tr><th class='t'>{_e(first_heading)}</th>" + "".join(f"<th>{_e(h)}</th>" for _, h, _ in cols) + "</tr>"
    body = []
    for _, r in rows.iterrows():
        key = r[first]
        label = (labels or {}).get(str(key), str(key))
        body.append(f"<tr><td class='t'>{_e(label)}</td>" + "".join(f"<td>{_cell(r[c], f)}</td>" for c, _, f in cols)
                    + "</tr>")
    return f"<table class='kpi'>{head}{''.join(body)}</table>"


# --------------------------------------------------------------------------- inline SVG charts

def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw), default=raw)
    start = math.floor(lo / step) * step
    return [start + i * step for i in range(int(math.ceil((hi - start) / step)) + 1)]


def _num(v: float) -> str:
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.3g}G"
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e3:
        return f"{v / 1e3:.3g}k"
    return f"{v:.3g}"


def svg_chart(x: Sequence[float], series: Mapping[str, Sequence[float]], *, title: str, x_label: str, y_label: str,
              kind: str = "line", width: int = 540, height: int = 300, y_min: float | None = None,
              y_max: float | None = None, point_labels: Sequence[str] | None = None, chart_id: str = "") -> str:
    """A small inline SVG chart: ``kind`` ``"line"`` (lines with markers),
    ``"bar"`` (grouped bars) or ``"scatter"`` (points joined in order).
    All text is escaped."""
    ml, mr, mt, mb = 64, 16, 30, 44
    pw, ph = width - ml - mr, height - mt - mb
    xs = [float(v) for v in x]
    ys_all = [float(v) for s in series.values() for v in s if v is not None and math.isfinite(float(v))]
    lo = min(ys_all + [0.0]) if y_min is None else y_min
    hi = max(ys_all + [lo + 1e-9]) if y_max is None else y_max
    yt = _ticks(lo, hi)
    lo, hi = min(lo, yt[0]), max(hi, yt[-1])
    if kind == "bar":
        slots = len(xs)

        def px(i):
            return ml + (i + 0.5) * pw / max(slots, 1)
    else:
        xlo, xhi = (min(xs), max(xs)) if xs else (0.0, 1.0)
        if xhi == xlo:
            xlo, xhi = xlo - 1, xhi + 1
        pad = (xhi - xlo) * 0.05
        xlo, xhi = xlo - pad, xhi + pad

        def px(v):
            return ml + (float(v) - xlo) / (xhi - xlo) * pw

    def py(v):
        return mt + ph - (float(v) - lo) / (hi - lo) * ph if hi > lo else mt + ph / 2

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{_e(chart_id)}" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}">',
           f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">{_e(title)}</text>',
           f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>']
    for t in yt:
        out.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#eee"/>'
                   f'<text x="{ml - 4}" y="{py(t) + 4:.1f}" text-anchor="end" font-size="11">{_e(_num(t))}</text>')
    if kind == "bar":
        for i, v in enumerate(xs):
            out.append(f'<text x="{px(i):.1f}" y="{mt + ph + 16}" text-anchor="middle" font-size="11">'
                       f'{_e(int(v) if float(v).is_integer() else v)}</text>')
    else:
        integral = bool(xs) and all(float(v).is_integer() for v in xs) and len(xs) <= 12
        for t in (sorted(set(xs)) if integral else _ticks(min(xs), max(xs)) if xs else []):
            if xlo <= t <= xhi:
                out.append(f'<text x="{px(t):.1f}" y="{mt + ph + 16}" text-anchor="middle" font-size="11">'
                           f'{_e(str(int(t)) if integral else _num(t))}</text>')
    out.append(f'<text x="{ml + pw / 2}" y="{height - 6}" text-anchor="middle" font-size="12">{_e(x_label)}</text>')
    out.append(f'<text transform="translate(14,{mt + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">'
               f'{_e(y_label)}</text>')
    n_series = max(len(series), 1)
    for k, (name, values) in enumerate(series.items()):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        vals = [float(v) if v is not None else float("nan") for v in values]
        if kind == "bar":
            bw = pw / max(len(xs), 1) * 0.8 / n_series
            for i, v in enumerate(vals):
                if not math.isfinite(v):
                    continue
                x0 = px(i) - bw * n_series / 2 + k * bw
                y0 = py(max(v, lo))
                out.append(f'<rect class="bar" x="{x0:.1f}" y="{min(y0, py(lo)):.1f}" width="{bw:.1f}" '
                           f'height="{abs(py(lo) - y0):.1f}" fill="{colour}"><title>{_e(name)}: {_e(_num(v))}'
                           '</title></rect>')
        else:
            pts = [(px(xv), py(v)) for xv, v in zip(xs, vals) if math.isfinite(v)]
            if len(pts) > 1:
                out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                           f'points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in pts)}"/>')
            for i, (a, b) in enumerate(pts):
                label = point_labels[i] if point_labels and i < len(point_labels) else ""
                out.append(f'<circle class="point" cx="{a:.1f}" cy="{b:.1f}" r="4" fill="{colour}">'
                           f'<title>{_e(name)} {_e(label)}</title></circle>')
                if label:
                    out.append(f'<text x="{a + 6:.1f}" y="{b - 6:.1f}" font-size="11">{_e(label)}</text>')
        ly = mt + ph - 12 - 16 * (n_series - 1 - k)
        out.append(f'<rect x="{ml + pw - 150}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{ml + pw - 136}" y="{ly}" font-size="11">{_e(name)}</text>')
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- the report

def _top_scope(kpis: pd.DataFrame) -> str:
    for s in ("province", "city"):
        if (kpis["scope"] == s).any():
            return s
    return str(kpis["scope"].iloc[0])


def _scope_labels(kpis: pd.DataFrame, villages: pd.DataFrame, regions=None) -> dict[str, str]:
    from citylogistics.regions import CITY_CODES, CITY_NAMES_ZH

    labels = {}
    county_names: dict[str, str] = {}
    if regions is not None:
        s = regions.settlements
        county_names = s.loc[s["level"] == "county", "name"].to_dict() if "level" in s else {}
    for scope in kpis["scope"].unique():
        kind, _, code = str(scope).partition(":")
        if kind == "city":
            labels[scope] = f"{CITY_NAMES_ZH.get(code, code)} {CITY_CODES.get(code, '')} ({code})" if code else "city"
        elif kind == "county":
            labels[scope] = f"{county_names.get(code, '')} ({code})".strip()
    return labels


def plan_report_html(*, scenario_title: str, doc: Mapping, kpis: pd.DataFrame, villages: pd.DataFrame,
                     sites: pd.DataFrame, years: Sequence[int], map_html: str | None = None,
                     map_href: str = "map.html", regions=None) -> str:
    """The report page (a string).

    Parameters
    ----------
    scenario_title
        Shown as the page title (escaped).
    doc
        plan.json's document (``scenario``, ``summary``, ``phases``, ``siting``).
    kpis
        The KPI table (one row per year and scope).
    villages, sites
        The planner's final-year villages and the sites.
    years
        The horizon.
    map_html
        The map page to embed; above :data:`MAX_EMBEDDED_MAP_BYTES` (or when
        omitted) the report links ``map_href`` instead.
    regions
        Optional; county names in the by-scope table.

    Returns
    -------
    str
    """
    top = _top_scope(kpis)
    final = years[-1]
    info = doc.get("scenario", {})
    summ = doc.get("summary", {})
    topk = kpis[kpis["scope"] == top].sort_values("year")
    fin = topk[topk["year"] == final].iloc[0] if (topk["year"] == final).any() else topk.iloc[-1]
    parts = [f"<!DOCTYPE html><html lang='zh-Hans'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>{_e(scenario_title)} — coverage plan report</title><style>{_CSS}</style></head><body>",
             f"<h1 id='report-title'>{_e(scenario_title)}</h1>",
             "<p class='note'>Coverage-extension plan (city hub T0 → county hubs T1 → town stations T2 → "
             "village service points T3) produced by citylogistics.</p>"]

    # Summary
    kv = [("scope", info.get("city", top)), ("years", f"{years[0]}–{final}"), ("seed", info.get("seed", "")),
          ("coverage limit", f"{float(info.get('coverage_limit_s', float('nan'))) / 60:.0f} min"
           if info.get("coverage_limit_s") is not None else ""),
          ("villages covered", f"{int(fin['villages_covered']):,} of {int(fin['villages']):,}"),
          ("population covered", _cell(fin["population_covered_share"], "pct")),
          ("next-day share", _cell(fin.get("next_day_share", float("nan")), "pct")),
          ("hubs / stations open", f"{int(fin.get('t1_open', 0))} / {int(fin.get('t2_open', 0))}"),
          ("cost (CNY/year)", _cell(fin["cost_cny"], "{:,.0f}")),
          ("cost per parcel (CNY)", _cell(fin.get("cost_per_parcel_cny", float("nan")), "{:.3f}")),
          ("vehicle-km per year", _cell(fin["vehicle_km"], "{:,.0f}")), ("CO2 kg per year", _cell(fin["co2_kg"], "{:,.0f}")),
          (f"routes {final} (per day)", summ.get("routes", "")),
          ("villages unserved", summ.get("unassigned", ""))]
    parts.append("<h2>Summary</h2><table class='kv' id='summary'>"
                  + "".join(f"<tr><th>{_e(k)}</th><td class='t'>{_e(v)}</td></tr>" for k, v in kv) + "</table>")

    # Phases
    phases = doc.get("phases", [])
    if phases:
        rows = "".join(
            f"<tr><td>{_e(p['year'])}</td><td>{len(p.get('sites_opened', []))}</td>"
            f"<td class='t'>{_e(', '.join(_site_label(sites, s) for s in p.get('sites_opened', [])[:40]))}"
            f"{' …' if len(p.get('sites_opened', [])) > 40 else ''}</td>"
            f"<td>{_cell(p.get('population_covered_share'), 'pct')}</td><td>{_e(p.get('routes', ''))}</td></tr>"
            for p in phases)
        parts.append("<h2>Phases</h2><table id='phases'><tr><th>year</th><th>sites opened</th>"
                     "<th class='t'>which</th><th>population covered</th><th>routes/day</th></tr>" + rows + "</table>")

    # KPI tables
    parts.append(f"<h2>KPIs by year ({_e(top)})</h2>")
    parts.append(kpi_html_table(topk, first="year", first_heading="year").replace("<table class='kpi'>",
                                                                                  "<table class='kpi' id='kpi-years'>"))
    labels = _scope_labels(kpis, villages, regions)
    scoped = kpis[(kpis["year"] == final) & (kpis["scope"] != top)]
    if len(scoped):
        parts.append(f"<h2>KPIs by scope ({_e(final)})</h2><div class='scroll'>")
        parts.append(kpi_html_table(scoped, first="scope", first_heading="scope", labels=labels).replace(
            "<table class='kpi'>", "<table class='kpi' id='kpi-scopes'>"))
        parts.append("</div>")

    # Charts
    yrs = [int(v) for v in topk["year"]]
    cov = [100 * float(v) for v in topk["population_covered_share"]]
    vcov = [100 * float(v) for v in topk.get("village_covered_share", pd.Series([np.nan] * len(topk)))]
    cost_m = [float(v) / 1e6 for v in topk["cost_cny"]]
    charts = [
        svg_chart(yrs, {"population covered": cov, "villages covered": vcov}, title="Coverage by year",
                  x_label="year", y_label="%", kind="line", y_min=0, y_max=100, chart_id="chart-coverage"),
        svg_chart(yrs, {"cost": cost_m}, title="Cost by year", x_label="year", y_label="million CNY per year",
                  kind="bar", chart_id="chart-cost"),
        svg_chart(cost_m, {"plan": cov}, title="Cost against coverage", x_label="million CNY per year",
                  y_label="population covered (%)", kind="scatter", point_labels=[str(y) for y in yrs],
                  chart_id="chart-cost-coverage"),
    ]
    parts.append("<h2>Charts</h2><div class='charts'>" + "".join(f"<figure>{c}</figure>" for c in charts) + "</div>")

    # Map
    parts.append("<h2>Map</h2>")
    if map_html is not None and len(map_html.encode("utf-8")) <= MAX_EMBEDDED_MAP_BYTES:
        parts.append(f"<iframe id='plan-map' title='plan map' sandbox='allow-scripts' "
                     f"srcdoc=\"{html.escape(map_html, quote=True)}\"></iframe>")
        parts.append(f"<p class='note'>Also saved on its own: <a href='{_e(map_href)}'>{_e(map_href)}</a>.</p>")
    else:
        parts.append(f"<p id='plan-map-link'>The map is too large to embed; open "
                     f"<a href='{_e(map_href)}'>{_e(map_href)}</a>.</p>")

    # Unserved villages
    un = villages[villages["reason"].fillna("") != ""]
    parts.append(f"<h2>Unserved villages ({len(un):,})</h2>")
    if len(un):
        counts = un["reason"].value_counts().sort_index()
        parts.append("<table id='unserved-reasons'><tr><th class='t'>reason</th><th>villages</th><th>population</th></tr>"
                     + "".join(f"<tr><td class='t'>{_e(r)}</td><td>{int(n):,}</td>"
                               f"<td>{int(un.loc[un['reason'] == r, 'population'].sum()):,}</td></tr>"
                               for r, n in counts.items()) + "</table>")
        parts.append("<p class='note'>Reasons: <b>too_far</b> no candidate site within the coverage limit; "
                     "<b>budget</b> a candidate within the limit was not opened; <b>unreachable</b> no road path; "
                     "<b>capacity</b>, <b>shift_length</b>, <b>time_window</b>, <b>no_vehicle</b>, <b>penalty</b>: "
                     "covered, but the last-mile routing could not serve it; <b>shuttle_leg</b>, <b>trunk_leg</b>: "
                     "covered, but the shuttle or trunk route that supplies its station could not carry the load.</p>")
        shown = un.sort_values(["reason", "population"], ascending=[True, False]).head(MAX_UNSERVED_ROWS)
        rows = "".join(
            f"<tr><td class='t'>{_e(code)}</td><td class='t'>{_e(v['name'])}</td><td class='t'>{_e(v.get('county_code', ''))}</td>"
            f"<td>{int(v['population']):,}</td><td>{_cell(v['demand_parcels'], '{:.1f}')}</td>"
            f"<td>{_cell(v['access_time_s'], 'min')}</td><td class='t'>{_e(v['reason'])}</td></tr>"
            for code, v in shown.iterrows())
        parts.append("<div class='scroll'><table id='unserved'><tr><th class='t'>code</th><th class='t'>village</th>"
                     "<th class='t'>county</th><th>population</th><th>parcels/day</th><th>access (min)</th>"
                     "<th class='t'>reason</th></tr>" + rows + "</table></div>")
        if len(un) > len(shown):
            parts.append(f"<p class='note'>First {len(shown):,} of {len(un):,} listed; all are in villages.csv.</p>")

    from citylogistics.regions import DATA_NOTICE

    parts.append(f"<h2>Data</h2><p class='note' id='attribution'>{_e(DATA_NOTICE)}. Map tiles: see the map's "
                 "attribution. Villages and towns without a surveyed point have generated (synthetic) "
                 "coordinates.</p></body></html>")
    return "\n".join(parts)


def _site_label(sites: pd.DataFrame, sid: str) -> str:
    row = sites.loc[sites["id"] == sid]
    return f"{row['name'].iat[0]} ({sid})" if len(row) else str(sid)
