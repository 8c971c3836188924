"""Folium maps of plans.

Every text that comes from data or a scenario (place names, titles, layer
names) goes through :func:`safe_text` before it reaches the HTML: folium puts
tooltip text inside a JavaScript template literal and popup HTML inside the
page, so an unescaped name could become markup or script.

Folium is imported inside the functions, so importing citylogistics stays
light.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

# A qualitative palette with enough contrast on OpenStreetMap tiles.
ROUTE_COLOURS = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
    "#e377c2", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39",
    "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363",
)

TILES = ("OpenStreetMap", "none")


def safe_text(value: Any) -> str:
    """Escape ``value`` for HTML and for a JavaScript template literal."""
    text = html.escape(str(value), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def route_colour(i: int) -> str:
    return ROUTE_COLOURS[i % len(ROUTE_COLOURS)]


def new_map(*, tiles: str = "OpenStreetMap", title: str | None = None, attribution: str | None = None):
    """An empty folium map with an escaped title and data attribution."""
    import folium

    if tiles not in TILES:
        raise ValueError(f"tiles must be one of {TILES}, got {tiles!r}")
    m = folium.Map(location=(29.2, 120.2), zoom_start=8,
                   tiles=None if tiles == "none" else tiles, control_scale=True)
    if title:
        m.get_root().html.add_child(folium.Element(
            '<div id="cl-title" style="position:fixed;top:8px;left:50px;z-index:900;'
            'background:white;padding:4px 10px;border-radius:4px;font:16px sans-serif;'
            f'box-shadow:0 1px 4px rgba(0,0,0,.3)">{safe_text(title)}</div>'))
    if attribution:
        m.get_root().html.add_child(folium.Element(
            '<div id="cl-attribution" style="position:fixed;bottom:18px;left:8px;z-index:900;'
            'background:rgba(255,255,255,.85);padding:2px 6px;font:11px sans-serif;max-width:60%">'
            f'{safe_text(attribution)}</div>'))
    return m


def _popup_html(fields: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:6px'>{safe_text(k)}</th><td>{safe_text(v)}</td></tr>"
        for k, v in fields.items())
    return f"<table>{rows}</table>"


def map_routes(plan: Mapping[str, Any], points: Mapping[str, Mapping[str, Any]], *,
               paths: Mapping[tuple[str, str], Sequence[tuple[float, float]]] | None = None,
               m=None, tiles: str = "OpenStreetMap", title: str | None = None,
               attribution: str | None = None):
    """Add depots, stops and one coloured line per route of ``plan`` to a map.

    Parameters
    ----------
    plan
        A plan dictionary in the ``plan.json`` schema (``RoutePlan.to_dict()``).
    points
        Per stop/depot id: ``lon``, ``lat``, ``name`` and optional extra popup
        fields (``kind`` of ``"depot"`` draws a depot marker).
    paths
        Optional (from_id, to_id) -> [(lon, lat), ...] along the road network;
        straight lines are drawn where a leg has no path.
    m
        A map to add to; a new one is made when omitted.

    Returns
    -------
    folium.Map
    """
    import folium

    if m is None:
        m = new_map(tiles=tiles, title=title, attribution=attribution)
    depots = folium.FeatureGroup(name="Depots", show=True)
    stops = folium.FeatureGroup(name="Stops", show=True)
    unassigned_ids = {u["id"]: u["reason"] for u in plan.get("unassigned", [])}
    served_by: dict[str, str] = {}
    for r in plan.get("routes", []):
        for s in r["steps"]:
            if s["type"] in ("delivery", "pickup"):
                served_by[s["id"]] = str(r["vehicle"])
    lats, lons = [], []
    for pid, p in points.items():
        lon, lat = float(p["lon"]), float(p["lat"])
        lons.append(lon)
        lats.append(lat)
        fields = {"name": p.get("name", pid), "id": pid}
        fields.update({k: v for k, v in p.items() if k not in ("lon", "lat", "name", "kind")})
        if p.get("kind") == "depot":
            folium.Marker((lat, lon), icon=folium.Icon(color="black", icon="home"),
                          tooltip=folium.Tooltip(safe_text(p.get("name", pid))),
                          popup=folium.Popup(_popup_html(fields), max_width=320)).add_to(depots)
            continue
        if pid in unassigned_ids:
            fields["unassigned"] = unassigned_ids[pid]
            colour = "#000000"
        else:
            fields["served by"] = served_by.get(pid, "")
            colour = "#444444"
        folium.CircleMarker((lat, lon), radius=5, color=colour, weight=1, fill=True,
                            fill_color="#ffffff" if pid in unassigned_ids else "#3388ff", fill_opacity=0.9,
                            tooltip=folium.Tooltip(safe_text(p.get("name", pid))),
                            popup=folium.Popup(_popup_html(fields), max_width=320)).add_to(stops)
    route_layer = folium.FeatureGroup(name="Routes", show=True)
    for i, r in enumerate(plan.get("routes", [])):
        ids = [s["id"] for s in r["steps"]]
        coords: list[tuple[float, float]] = []
        for a, b in zip(ids, ids[1:]):
            leg = (paths or {}).get((a, b))
            if leg is None:
                leg = [(points[a]["lon"], points[a]["lat"]), (points[b]["lon"], points[b]["lat"])]
            seg = [(float(y), float(x)) for x, y in leg]
            coords.extend(seg if not coords else seg[1:])
        if len(coords) < 2:
            continue
        label = (f"route {r['vehicle']}: {len(ids) - 2} stops, {r['distance_m'] / 1000:.1f} km, "
                 f"load {r['steps'][0]['load']:g}/{r['capacity']:g}")
        folium.PolyLine(coords, color=route_colour(i), weight=4, opacity=0.85,
                        tooltip=folium.Tooltip(safe_text(label)),
                        popup=folium.Popup(_popup_html({"vehicle": r["vehicle"], "depot": r["depot"],
                                                        "distance km": round(r["distance_m"] / 1000, 1),
                                                        "duration h": round(r["duration_s"] / 3600, 2),
                                                        "stops": len(ids) - 2}), max_width=320),
                        ).add_to(route_layer)
    route_layer.add_to(m)
    stops.add_to(m)
    depots.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    if lats:
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    return m


def save_map(m, path) -> None:
    """Render ``m`` and write it atomically."""
    from .fileio import atomic_write_text

    atomic_write_text(path, m.get_root().render())
