"""Write a coverage plan's files: plan.json, sites.csv, villages.csv,
kpis.csv, plan.gpkg, map.html, map.png, report.html and manifest.json.

A province plan also gets one page per city: ``cities/<pinyin>.html`` (the
city's villages, service areas and routes of every leg) and
``cities/<pinyin>.png``; its ``map.html`` is the overview (county coverage,
sites, trunk and shuttle routes) linking to them.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

#: What :func:`write_plan` accepts as ``manifest``: the document, or a function
#: of the output-writing timings that returns it.
ManifestArg = Mapping[str, Any] | Callable[[dict[str, float]], Mapping[str, Any]] | None


def city_page_name(code: str) -> str:
    """``hangzhou`` for 330100: the file stem of a city's page in a province run."""
    from citylogistics.regions import CITY_CODES

    return CITY_CODES.get(code, code).lower()


def city_view(plan, code: str):
    """The part of a province plan that belongs to city ``code``, as a city plan
    (its ``city:<code>`` KPI rows become the top scope ``city``)."""
    from citylogistics.planner.coverage_plan import CoveragePlan

    sites = plan.sites[plan.sites["city_code"].astype(str) == code]
    villages = plan.villages[plan.villages["city_code"].astype(str) == code]
    counties = set(villages["county_code"].astype(str)) | set(sites["county_code"].astype(str))
    k = plan.kpis
    scope = k["scope"].astype(str)
    keep = (scope == f"city:{code}") | scope.isin([f"county:{c}" for c in counties])
    kpis = k[keep].copy()
    kpis.loc[kpis["scope"] == f"city:{code}", "scope"] = "city"
    info = dataclasses.replace(
        plan.info,
        city=code,
        cities=(code,),
        hubs=tuple(h for h in plan.info.hubs if h[0] == code),
        county_names={c: n for c, n in plan.info.county_names.items() if c in counties},
    )
    return CoveragePlan(
        info=info,
        sites=sites,
        villages=villages,
        routes=tuple(r for r in plan.routes if str(r.get("city")) == code),
        kpis=kpis.reset_index(drop=True),
        siting={c: s for c, s in plan.siting.items() if c == code},
        unassigned=tuple(u for u in plan.unassigned if str(u.get("city")) == code),
        regions=plan.regions,
    )


def write_plan_outputs(stage: Path, plan, *, report: bool = True, language: str = "en") -> None:
    """Write every output file of ``plan`` (a
    :class:`~citylogistics.planner.coverage_plan.CoveragePlan`) into the folder
    ``stage``, except the manifest.  ``report`` writes ``report.html`` (KPI
    tables, charts, a link to the map); ``language`` (``"en"``/``"zh"``) is the
    language of the maps and the report."""
    from citylogistics.fileio import atomic_write_text
    from citylogistics.outputs.export import (
        dump_plan_json,
        write_csvs,
        write_geopackage,
    )
    from citylogistics.outputs.maps import render_map
    from citylogistics.outputs.static_map import plan_png

    (stage / "plan.json").write_text(dump_plan_json(plan.plan_document()), encoding="utf-8")
    write_csvs(stage, plan)
    counties = plan.county_polygons()
    write_geopackage(stage / "plan.gpkg", plan, county_polygons=counties)
    pages: dict[str, str] = {}
    if len(plan.info.cities) > 1:
        (stage / "cities").mkdir(exist_ok=True)
        for code in plan.info.cities:
            sub = city_view(plan, code)
            stem = city_page_name(code)
            atomic_write_text(
                stage / "cities" / f"{stem}.html", render_map(sub.map(county_polygons=counties, language=language))
            )
            (stage / "cities" / f"{stem}.png").write_bytes(plan_png(sub, county_polygons=counties, language=language))
            pages[code] = f"cities/{stem}.html"
    m = plan.map(county_polygons=counties, language=language, detail=not pages, city_pages=pages or None)
    atomic_write_text(stage / "map.html", render_map(m))
    (stage / "map.png").write_bytes(plan_png(plan, county_polygons=counties, language=language))
    if report:
        atomic_write_text(stage / "report.html", plan.report(language=language, city_pages=pages or None))


def write_plan(
    plan,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    report: bool = True,
    manifest: ManifestArg = None,
    language: str = "en",
) -> Path:
    """Write ``plan``'s files into ``out_dir`` atomically: they are written into
    a staging folder renamed into place at the end, so a failure leaves
    ``out_dir`` as it was (:func:`citylogistics.fileio.staged_output_dir`).

    ``out_dir`` is replaced only when it is missing, empty or an earlier
    citylogistics output, or with ``overwrite``
    (:func:`citylogistics.fileio.check_output_dir`).  ``manifest`` is the
    ``manifest.json`` document or a function of ``{"outputs": seconds}``
    returning it; default: the tool, title, seed, plan schema and data sources.
    ``language``: ``"en"`` or ``"zh"`` for the maps and the report.
    """
    from citylogistics.fileio import MANIFEST_TOOL, check_output_dir, staged_output_dir
    from citylogistics.outputs.i18n import sources_manifest

    check_output_dir(out_dir, overwrite=overwrite)
    with staged_output_dir(out_dir) as stage:
        t = time.perf_counter()
        write_plan_outputs(stage, plan, report=report, language=language)
        timings = {"outputs": time.perf_counter() - t}
        if manifest is None:
            doc: Mapping[str, Any] = {
                "tool": MANIFEST_TOOL,
                "kind": "coverage_plan",
                "title": plan.info.title,
                "seed": plan.info.seed,
                "sources": sources_manifest(),
            }
        else:
            doc = manifest(timings) if callable(manifest) else manifest
        (stage / "manifest.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return Path(out_dir)
