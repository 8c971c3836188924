"""The reports of a sweep (``report.md`` and ``report.html``): the cost–coverage
frontier chart (:func:`citylogistics.outputs.charts.frontier_chart`), the
frontier table with its knee, and every point.

Takes the sweep's result and plan (:class:`citylogistics.scenario.sweep.SweepResult`,
:class:`~citylogistics.scenario.sweep.SweepPlan`) by their attributes: this
layer does not import the scenario layer.  The HTML page is the autoescaped
template ``templates/sweep_report.html.j2``.
"""

from __future__ import annotations

import math
from typing import Any

from citylogistics.outputs.report import render_template


def _md_table(df) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines)


def _cell(v: Any) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:.6g}"
    return str(v).replace("|", "\\|")


def sweep_report_md(result, plan, front) -> str:
    """report.md: the frontier (chart, table, knee), every point and the failed ones."""
    t = result.table
    fr = result.frontier
    lines = [
        f"# {plan.title}",
        "",
        f"Sweep file: `{plan.path}`  ",
        f"Base scenario: `{plan.base_path}` (sha256 {plan.base_sha256[:12]})  ",
        f"Points: {len(t)} ({len(t) - result.failed} ok, {result.failed} failed)",
        "",
        "## Cost–coverage frontier",
        "",
        (
            f"Minimise `{fr.cost_key}`, maximise `{fr.coverage_key}` (final year, top scope). "
            "The knee is the frontier point farthest above the line between its two ends "
            "(both axes scaled to 0–1)."
        ),
        "",
        "![frontier](frontier.svg)",
        "",
    ]
    if len(front):
        lines += [_md_table(front), ""]
    lines.append(
        f"Knee: **{fr.knee_id}**" if fr.knee_id else "Knee: none (fewer than three frontier points, or all on a line)"
    )
    lines += ["", "## All points", ""]
    cols = (
        ["point_id", *plan.keys, "status"]
        + [c for c in (fr.cost_key, fr.coverage_key) if c in t.columns]
        + ["on_frontier", "knee", "seconds"]
    )
    lines += [_md_table(t[cols]), ""]
    bad = t[t["status"] != "ok"]
    if len(bad):
        lines += ["## Failed points", ""] + [f"- `{r.point_id}`: {r.error}" for r in bad.itertuples()] + [""]
    return "\n".join(lines)


def sweep_report_html(result, plan, front, svg: str) -> str:
    """report.html from the ``sweep_report.html.j2`` template (autoescaped)."""
    from markupsafe import Markup

    t = result.table
    fr = result.frontier
    cols = (
        ["point_id", *plan.keys, "status", "error"]
        + [c for c in (fr.cost_key, fr.coverage_key) if c in t.columns]
        + ["on_frontier", "knee", "seconds"]
    )
    return render_template(
        "sweep_report.html.j2",
        title=plan.title,
        base_path=plan.base_path,
        points=len(t),
        failed=result.failed,
        chart=Markup(svg),
        knee=fr.knee_id,
        frontier_table=Markup(front.to_html(index=False, escape=True)),
        points_table=Markup(t[cols].to_html(index=False, escape=True, na_rep="")),
    )
