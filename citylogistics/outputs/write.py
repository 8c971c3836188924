"""Write a coverage plan's files into a (staging) folder: plan.json, sites.csv,
villages.csv, kpis.csv, plan.gpkg, map.html and report.html."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd


def write_plan_outputs(stage: Path, *, scenario, regions, sites: pd.DataFrame, villages: pd.DataFrame,
                       routes: Sequence[dict], kpis: pd.DataFrame, coords: Mapping[str, tuple[float, float]],
                       doc: Mapping, years: Sequence[int], cities: Sequence[str], report: bool = True) -> None:
    """Write every output file of a plan run into ``stage``.

    ``routes`` carry ``leg``, ``year``, ``city`` and, in memory, ``geometry``
    (lon, lat along the road network); ``coords`` maps site ids (``T0-<city>``,
    ``T1-<code>``, ``T2-<code>``) and village codes to (lon, lat).  ``report``
    writes ``report.html`` (KPI tables, charts and the map embedded).
    """
    from citylogistics.outputs.maps import render_map
    from citylogistics.fileio import atomic_write_text
    from citylogistics.outputs.plan_map import map_plan
    from citylogistics.outputs.export import dump_plan_json, write_csvs, write_geopackage

    (stage / "plan.json").write_text(dump_plan_json(doc), encoding="utf-8")
    write_csvs(stage, sites, villages, kpis)
    counties = regions.county_polygons() if regions is not None else None
    write_geopackage(stage / "plan.gpkg", sites, villages, routes, coords, kpis=kpis, county_polygons=counties)
    m = map_plan(regions, sites, villages, routes, coords, title=scenario.title, tiles=scenario.map.tiles,
                 year=years[-1], first_year=years[0], hubs=cities, kpis=kpis, years=years, county_polygons=counties)
    map_html = render_map(m)
    atomic_write_text(stage / "map.html", map_html)
    if report:
        from citylogistics.outputs.report import plan_report_html

        atomic_write_text(stage / "report.html", plan_report_html(
            scenario_title=scenario.title, doc=doc, kpis=kpis, villages=villages, sites=sites, years=years,
            map_html=map_html, regions=regions))
