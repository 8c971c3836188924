"""Road networks: the graph model and its GraphML I/O, the generated networks,
the import of real roads (OpenStreetMap XML, road lines, the packaged OSM major
roads) and travel matrices on the graphs.

Modules
    ``graph``       the graph model (documented node/edge attributes, road classes, speeds),
                    GraphML save/load, validation
    ``hierarchy``   the generated networks (settlement points joined by straight links on land,
                    bridges and ferries) and NetworkParams
    ``generate``    the city networks and the backbone on the road source of choice
                    (roads="osm"|"generated"): build_city_network, build_all, compose_networks
    ``land``        land parts and sea tests used by the generator (segment on land, sea crossings)
    ``snap``        nearest road nodes, settlement nodes, checks of a plan's network
    ``osm_import``  OSM XML and road-line files → a drivable graph; snapping and attaching settlements;
                    city streets (import_streets, ``citylogistics networks import``)
    ``simplify``    an imported graph tidied: largest strongly connected part, degree-2 chains merged
                    keeping their geometry
    ``osm_major``   the packaged OSM major roads of Zhejiang (extracted once from scgraph-data)
    ``osm_build``   city and province networks built on the OSM major roads
    ``matrix``      travel-time and distance matrices (scipy Dijkstra on a CSR graph)
    ``lines``       paths drawn along the roads (edges' WKT polylines, else straight segments)

May import: ``errors``, ``geo``, ``regions``, ``demand``, ``config``, ``fileio``. Nothing from
``routing``, ``location``, ``planner``, ``outputs``, ``scenario`` or ``cli``.
"""

from __future__ import annotations

from citylogistics.lazy import lazy_exports

_EXPORTS = {
    "NetworkParams": "hierarchy",
    "build_city_network": "generate",
    "build_province_backbone": "generate",
    "build_all": "generate",
    "compose_networks": "generate",
    "save_graphml": "graph",
    "load_graphml": "graph",
    "validate_network": "graph",
    "nearest_nodes": "snap",
    "settlement_nodes": "snap",
    "check_plan_network": "snap",
    "import_osm": "osm_import",
    "import_road_lines": "osm_import",
    "load_network": "osm_import",
    "import_streets": "osm_import",
    "TravelMatrix": "matrix",
    "travel_matrix": "matrix",
    "od_matrices": "matrix",
}
__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
