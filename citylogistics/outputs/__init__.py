"""What a run hands to people: files, maps, reports.

Modules
    ``maps``       the map toolkit (Leaflet inlined, tiles, legends) and the route-run map
    ``plan_map``   the plan map and its service areas (add a map layer here)
    ``export``     plan.json, CSV and GeoPackage exports of a plan
    ``report``     the HTML report
    ``write``      writes every output of a plan run
    ``notebook``   display in Jupyter

May import everything below it: ``errors``, ``geo``, ``regions``, ``demand``, ``config``,
``fileio``, ``network``, ``routing``, ``location``, ``planner``. Nothing from ``scenario`` or ``cli``.
"""

from __future__ import annotations
