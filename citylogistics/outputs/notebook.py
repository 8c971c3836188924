"""Jupyter display of plan objects: a compact table and the map.

Hooks: :class:`citylogistics.planner.coverage_plan.CoveragePlan` and
:class:`citylogistics.scenario.run.RunResult` call these from their
``_repr_html_``.
"""

from __future__ import annotations

from pathlib import Path

from citylogistics.outputs.maps import iframe_html, safe_text

#: Maps larger than this are linked instead of embedded in the notebook.
MAX_NOTEBOOK_MAP_BYTES = 5_000_000


def table_html(rows, *, table_id: str = "") -> str:
    """A two-column (name, value) HTML table; every text escaped."""
    body = "".join(
        f"<tr><th style='text-align:left'>{safe_text(k)}</th><td style='text-align:left'>{safe_text(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table id='{safe_text(table_id)}'>{body}</table>"


def coverage_plan_html(plan) -> str:
    """HTML for a :class:`~citylogistics.planner.coverage_plan.CoveragePlan`: its
    summary and its phases (``plan.map()`` shows the map)."""
    phases = [
        (
            str(p["year"]),
            (
                f"{len(p['sites_opened'])} sites opened, "
                f"{100 * p['population_covered_share']:.1f} % of population covered, "
                f"{p['routes']} routes/day"
            ),
        )
        for p in plan.phases()
    ]
    return (
        "<div class='cl-plan'>"
        + table_html(plan.summary_rows(), table_id="cl-plan-summary")
        + table_html(phases, table_id="cl-plan-phases")
        + "</div>"
    )


def run_result_html(result, *, map_height_px: int = 420) -> str:
    """HTML for a :class:`~citylogistics.scenario.run.RunResult`: its summary table and
    its ``map.html`` in a sandboxed iframe (linked when large or missing)."""
    rows = []
    for line in result.summary().splitlines():
        name, _, value = line.partition("  ")
        rows.append((name.strip(), value.strip()))
    parts = [table_html(rows, table_id="cl-run-summary")]
    map_path = Path(result.out_dir) / "map.html"
    if map_path.is_file() and map_path.stat().st_size <= MAX_NOTEBOOK_MAP_BYTES:
        parts.append(
            iframe_html(
                map_path.read_text(encoding="utf-8"),
                style=f"width:100%;height:{int(map_height_px)}px;border:1px solid #ccc",
            )
        )
    elif map_path.is_file():
        parts.append(f"<p>Map: <a href='{safe_text(map_path.as_uri())}'>{safe_text(map_path)}</a></p>")
    return "<div class='cl-run'>" + "".join(parts) + "</div>"
