"""What a run hands to people: files, maps, reports.

Modules
    ``geometry``   route lines and station service areas (shared by maps and the GeoPackage)
    ``hub_layers``  map layers of city hub candidates and their catchments ([hubs] plans)
    ``maps``       the map toolkit (Leaflet inlined, tiles, legends, iframe embedding) and the route-run map
    ``plan_map``   the coverage plan map (add a map layer here)
    ``export``     the plan.json writer, CSV tables and GeoPackage layers of a plan
    ``static_map`` ``map.png``: the static matplotlib map for documents
    ``i18n``       the interface texts in English and Chinese (one table) and the data sources
    ``charts``     inline SVG charts (the report's and the sweep's frontier)
    ``report``     the HTML report, rendered from ``templates/report.html.j2`` (Jinja2, autoescaped)
    ``sweep_report``  a sweep's report.md and report.html (``templates/sweep_report.html.j2``)
    ``write``      writes every output file of a coverage plan, atomically
    ``notebook``   display in Jupyter

May import everything below it: ``errors``, ``geo``, ``regions``, ``demand``, ``config``,
``fileio``, ``network``, ``routing``, ``location``, ``planner``. Nothing from ``scenario`` or ``cli``.
"""

from __future__ import annotations
