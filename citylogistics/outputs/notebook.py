"""Jupyter display of plan objects: a compact table and the map.

Hook for :class:`citylogistics.scenario.run.RunResult` (one line in the class)::

    def _repr_html_(self) -> str:
        from citylogistics.outputs.notebook import run_result_html
        return run_result_html(self)
"""

from __future__ import annotations

import html
from pathlib import Path

from citylogistics.outputs.maps import safe_text

#: Maps larger than this are linked instead of embedded in the notebook.
MAX_NOTEBOOK_MAP_BYTES = 5_000_000


def table_html(rows, *, table_id: str = "") -> str:
    """A two-column (name, value) HTML table; every text escaped."""
    body = "".join(f"<tr><th style='text-align:left'>{safe_text(k)}</th><td style='text-align:left'>"
                   f"{safe_text(v)}</td></tr>" for k, v in rows)
    return f"<table id='{safe_text(table_id)}'>{body}</table>"


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
        page = map_path.read_text(encoding="utf-8")
        parts.append(f"<iframe sandbox='allow-scripts' style='width:100%;height:{int(map_height_px)}px;"
                     f"border:1px solid #ccc' srcdoc=\"{html.escape(page, quote=True)}\"></iframe>")
    elif map_path.is_file():
        parts.append(f"<p>Map: <a href='{safe_text(map_path.as_uri())}'>{safe_text(map_path)}</a></p>")
    return "<div class='cl-run'>" + "".join(parts) + "</div>"
