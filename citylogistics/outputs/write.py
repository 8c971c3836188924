"""Write a coverage plan's files: plan.json, sites.csv, villages.csv,
kpis.csv, plan.gpkg, map.html, report.html and manifest.json."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

#: What :func:`write_plan` accepts as ``manifest``: the document, or a function
#: of the output-writing timings that returns it.
ManifestArg = Mapping[str, Any] | Callable[[dict[str, float]], Mapping[str, Any]] | None


def write_plan_outputs(stage: Path, plan, *, report: bool = True) -> None:
    """Write every output file of ``plan`` (a
    :class:`~citylogistics.planner.coverage_plan.CoveragePlan`) into the folder
    ``stage``, except the manifest.  ``report`` writes ``report.html`` (KPI
    tables, charts and the map embedded)."""
    from citylogistics.fileio import atomic_write_text
    from citylogistics.outputs.export import (
        dump_plan_json,
        write_csvs,
        write_geopackage,
    )
    from citylogistics.outputs.maps import render_map

    (stage / "plan.json").write_text(dump_plan_json(plan.plan_document()), encoding="utf-8")
    write_csvs(stage, plan)
    counties = plan.county_polygons()
    write_geopackage(stage / "plan.gpkg", plan, county_polygons=counties)
    map_html = render_map(plan.map(county_polygons=counties))
    atomic_write_text(stage / "map.html", map_html)
    if report:
        atomic_write_text(stage / "report.html", plan.report(map_html=map_html))


def write_plan(plan, out_dir: str | Path, *, overwrite: bool = False, report: bool = True,
               manifest: ManifestArg = None) -> Path:
    """Write ``plan``'s files into ``out_dir`` atomically: they are written into
    a staging folder renamed into place at the end, so a failure leaves
    ``out_dir`` as it was (:func:`citylogistics.fileio.staged_output_dir`).

    ``out_dir`` is replaced only when it is missing, empty or an earlier
    citylogistics output, or with ``overwrite``
    (:func:`citylogistics.fileio.check_output_dir`).  ``manifest`` is the
    ``manifest.json`` document or a function of ``{"outputs": seconds}``
    returning it; default: the tool, title, seed and plan schema.
    """
    from citylogistics.fileio import MANIFEST_TOOL, check_output_dir, staged_output_dir

    check_output_dir(out_dir, overwrite=overwrite)
    with staged_output_dir(out_dir) as stage:
        t = time.perf_counter()
        write_plan_outputs(stage, plan, report=report)
        timings = {"outputs": time.perf_counter() - t}
        if manifest is None:
            doc: Mapping[str, Any] = {"tool": MANIFEST_TOOL, "kind": "coverage_plan", "title": plan.info.title,
                                      "seed": plan.info.seed}
        else:
            doc = manifest(timings) if callable(manifest) else manifest
        (stage / "manifest.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return Path(out_dir)
