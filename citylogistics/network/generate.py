"""The road networks of the cities and the province, on the road source of choice.

``roads="generated"``
    The hierarchical network of :mod:`citylogistics.network.hierarchy`:
    settlements joined by straight links on land, bridges and ferries (no real
    roads).
``roads="osm"``
    The OpenStreetMap major roads (:mod:`citylogistics.network.osm_major`,
    packaged) with access links from hubs, seats, towns and near villages, the
    generated village links, and generated fallback links where no road joins
    (:mod:`citylogistics.network.osm_build`).

:func:`build_all` writes the shipped ``networks/`` (``citylogistics networks
build``; default ``roads="osm"``). :func:`build_city_network` is the network a
scenario without ``[network]`` builds in memory; its default stays
``roads="generated"`` until the plans' baseline moves to the OSM roads. Both
results have the schema of :mod:`citylogistics.network.graph` and share node
ids (settlement codes, OSM junctions ``m<id>``), so :func:`compose_networks`
joins a backbone and city networks of the same kind.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import networkx as nx

from citylogistics.errors import InputError
from citylogistics.network.graph import save_graphml, validate_network
from citylogistics.network.hierarchy import NetworkParams, generated_city_network, generated_province_backbone

__all__ = [
    "ROADS",
    "NetworkParams",
    "build_city_network",
    "build_province_backbone",
    "build_all",
    "compose_networks",
]

#: Road sources of :func:`build_city_network`, :func:`build_province_backbone` and :func:`build_all`.
ROADS = ("osm", "generated")


def _check_roads(roads: str, source: str) -> None:
    if roads not in ROADS:
        raise InputError(
            f"roads is {roads!r}; use 'osm' (OpenStreetMap major roads) or 'generated' (straight "
            "links between settlements)",
            source=source,
            where="roads",
        )


@lru_cache(maxsize=1)
def _major_roads() -> nx.Graph:
    """The packaged OSM major roads, read once per process (frozen: builds only read it)."""
    from citylogistics.network.osm_major import load_major_roads

    return nx.freeze(load_major_roads())


def _osm_params(params: NetworkParams | None, osm_params):
    from citylogistics.network.osm_build import OsmBuildParams

    if osm_params is None:
        return OsmBuildParams() if params is None else OsmBuildParams(network=params)
    return osm_params if params is None else dataclasses.replace(osm_params, network=params)


def build_city_network(
    settlements,
    *,
    city_code: str,
    land=None,
    params: NetworkParams | None = None,
    levels: Sequence[str] = ("city", "county", "town", "village"),
    roads: str = "generated",
    osm_params=None,
) -> nx.Graph:
    """The road network of one city.

    Parameters
    ----------
    settlements
        Settlements frame (``Regions.settlements``): columns code, level,
        parent_code, city_code, county_code, lon, lat (WGS-84), name.
    city_code
        Six-digit city code, e.g. ``"330100"``.
    land
        Land (shapely Polygon/MultiPolygon, e.g. ``Regions.province_polygon()``).
        ``None``: generated, no sea test (all settlements on one land); osm,
        the province polygon of ``settlements``.
    params
        Speeds, detour factors, ferries (default :class:`NetworkParams`).
    levels
        Settlement levels to include.
    roads
        ``"generated"`` (default, for now) or ``"osm"``; see the module docstring.
    osm_params
        :class:`citylogistics.network.osm_build.OsmBuildParams` for ``roads="osm"``
        (access-link limits, clip buffer); ``params``, when given, replaces its
        ``network``.

    Returns
    -------
    networkx.Graph
        Connected; ``G.graph["source"]`` is ``"generated"`` or ``"osm+generated"``
        (then every edge has ``source`` ``"osm"`` or ``"generated"``).
    """
    _check_roads(roads, "build_city_network")
    if roads == "generated":
        return generated_city_network(settlements, city_code=city_code, land=land, params=params, levels=levels)
    from citylogistics.network.osm_build import build_city_road_network

    return build_city_road_network(
        _major_roads(),
        settlements,
        city_code=str(city_code),
        land=land,
        params=_osm_params(params, osm_params),
        levels=levels,
    )


def build_province_backbone(
    settlements, *, land=None, params: NetworkParams | None = None, roads: str = "generated", osm_params=None
) -> nx.Graph:
    """The province backbone: city hubs and county seats, on the road source of choice.

    ``roads="generated"``: expressways between hubs and their seats, national
    roads between neighbouring seats, bridges and ferries (see
    :func:`citylogistics.network.hierarchy.generated_province_backbone`).
    ``roads="osm"``: every major road of the province, each hub and seat
    joined by an access link, islands without a road bridge keeping the
    generated ferries. Node ids are shared with the city networks of the same
    ``roads``, so :func:`compose_networks` of the backbone and city graphs is
    connected.
    """
    _check_roads(roads, "build_province_backbone")
    if roads == "generated":
        return generated_province_backbone(settlements, land=land, params=params)
    from citylogistics.network.osm_build import build_province_road_backbone

    return build_province_road_backbone(_major_roads(), settlements, land=land, params=_osm_params(params, osm_params))


def compose_networks(graphs: Iterable[nx.Graph], *, name: str = "zhejiang") -> nx.Graph:
    """Union of networks that share node ids (backbone + city graphs).

    Raises
    ------
    InputError
        If the union is not connected.
    """
    graphs = list(graphs)
    if not graphs:
        raise InputError("no graphs to compose", source="compose_networks")
    G = nx.compose_all(graphs)
    G.graph = dict(graphs[0].graph)
    G.graph["name"] = name
    validate_network(G, source=f"compose_networks({name})")
    return G


def build_all(
    out_dir: str | os.PathLike = "networks",
    *,
    regions=None,
    params: NetworkParams | None = None,
    roads: str = "osm",
    osm_params=None,
    progress: bool = True,
) -> list[Path]:
    """Build and save the 11 city networks and the province backbone.

    Writes ``<city pinyin>.graphml`` for each city and ``zhejiang.graphml``;
    the output is byte-identical for the same regions, params and ``roads``.

    Parameters
    ----------
    out_dir
        Folder to write to (created if needed).
    regions
        A ``Regions`` object (default ``citylogistics.regions.load_regions()``).
    params
        Network parameters.
    roads
        ``"osm"`` (default: the OSM major roads, see
        :mod:`citylogistics.network.osm_build`) or ``"generated"`` (the
        straight-link networks of :mod:`citylogistics.network.hierarchy`).
    osm_params
        :class:`citylogistics.network.osm_build.OsmBuildParams` for ``roads="osm"``.
    progress
        Show a progress bar on stderr.

    Returns
    -------
    list of Path
        Files written, cities in code order then the backbone.
    """
    from citylogistics import regions as regions_mod

    _check_roads(roads, "build_all")
    if regions is None:
        regions = regions_mod.load_regions()
    settlements = regions.settlements
    land = regions.province_polygon()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cities = sorted(regions_mod.CITY_CODES.items())
    jobs = [(code, f"{name.lower()}.graphml") for code, name in cities] + [(None, "zhejiang.graphml")]
    it = jobs
    if progress:
        from tqdm import tqdm

        it = tqdm(jobs, desc="networks", unit="graph")
    paths = []
    for code, fname in it:
        if code is None:
            G = build_province_backbone(settlements, land=land, params=params, roads=roads, osm_params=osm_params)
        else:
            G = build_city_network(
                settlements, city_code=code, land=land, params=params, roads=roads, osm_params=osm_params
            )
            G.graph["name"] = regions_mod.CITY_CODES[code]
        path = out / fname
        save_graphml(G, path)
        paths.append(path)
    return paths
