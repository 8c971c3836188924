"""Folium map of a coverage plan: hubs and stations by tier and opening year,
villages by service state, and the final year's routes by leg.

Villages go into one GeoJSON layer (tens of thousands of markers would make
the page unusable); their properties are escaped before they enter the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .maps import new_map, route_colour, safe_text
from .report import route_points

LEG_STYLE = {"trunk": ("#d62728", 5), "shuttle": ("#ff7f0e", 3), "lastmile": ("#1f77b4", 2)}
TIER_COLOUR = {"T0": "black", "T1": "darkred", "T2": "cadetblue"}


def _popup(fields: Mapping[str, object]) -> str:
    return "<table>" + "".join(f"<tr><th style='text-align:left;padding-right:6px'>{safe_text(k)}</th>"
                               f"<td>{safe_text(v)}</td></tr>" for k, v in fields.items()) + "</table>"


def map_plan(regions, sites: pd.DataFrame, villages: pd.DataFrame, routes: Sequence[dict],
             coords: Mapping[str, tuple[float, float]], *, title: str, tiles: str = "OpenStreetMap",
             year: int, first_year: int, hubs: Sequence[str], m=None):
    """Add the plan's layers to ``m`` (a new map when omitted) and return it."""
    import folium

    from .regions import DATA_NOTICE

    if m is None:
        m = new_map(tiles=tiles, title=title, attribution=DATA_NOTICE)
    hub_layer = folium.FeatureGroup(name="T0 city hubs")
    for c in hubs:
        lon, lat = coords[f"T0-{c}"]
        name = regions.settlements.at[c, "name"]
        folium.Marker((lat, lon), icon=folium.Icon(color="black", icon="home"),
                      tooltip=folium.Tooltip(safe_text(f"{name} city hub")),
                      popup=folium.Popup(_popup({"tier": "T0 city hub", "name": name}), max_width=300)).add_to(hub_layer)
    hub_layer.add_to(m)
    for tier, label in (("T1", "T1 county hubs"), ("T2", "T2 town stations")):
        s = sites[(sites["tier"] == tier) & sites["open_year"].notna()]
        for oy in sorted(s["open_year"].unique()):
            when = "existing" if oy < first_year else f"opened {int(oy)}"
            layer = folium.FeatureGroup(name=f"{label} {when}")
            for _, row in s[s["open_year"] == oy].iterrows():
                folium.CircleMarker((row["lat"], row["lon"]), radius=7 if tier == "T1" else 5,
                                    color=TIER_COLOUR[tier], weight=2, fill=True, fill_opacity=0.9,
                                    tooltip=folium.Tooltip(safe_text(f"{row['name']} ({tier}, {int(oy)})")),
                                    popup=folium.Popup(_popup({"tier": tier, "name": row["name"],
                                                               "pinyin": row.get("pinyin", ""),
                                                               "code": row["code"], "open year": int(oy)}),
                                                       max_width=300)).add_to(layer)
            layer.add_to(m)
    feats = []
    for code, v in villages.iterrows():
        served = not v["reason"]
        props = {"name": safe_text(v["name"]), "code": safe_text(code),
                 "served_by": safe_text(v["served_by"] or "—"),
                 "access_min": "" if not np.isfinite(v["access_time_s"]) else round(float(v["access_time_s"]) / 60, 1),
                 "demand": round(float(v["demand_parcels"]), 1),
                 "state": "served" if served else safe_text(f"unserved: {v['reason']}"),
                 "colour": "#2ca02c" if served else "#000000"}
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "Point", "coordinates": [round(float(v["lon"]), 6), round(float(v["lat"]), 6)]}})
    folium.GeoJson(
        {"type": "FeatureCollection", "features": feats}, name=f"T3 villages ({year})",
        marker=folium.CircleMarker(radius=2, weight=0, fill=True, fill_opacity=0.8),
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": f["properties"]["colour"]},
        tooltip=folium.GeoJsonTooltip(fields=["name", "state", "served_by", "access_min", "demand"],
                                      aliases=["village", "state", "served by", "access (min)", "parcels/day"]),
    ).add_to(m)
    final = [r for r in routes if r["year"] == year]
    for leg in ("trunk", "shuttle", "lastmile"):
        colour, weight = LEG_STYLE[leg]
        layer = folium.FeatureGroup(name=f"{leg} routes {year}", show=leg != "lastmile" or len(final) < 3000)
        for i, r in enumerate(x for x in final if x["leg"] == leg):
            pts = route_points(r, coords)
            if len(pts) < 2:
                continue
            folium.PolyLine([(lat, lon) for lon, lat in pts], color=colour if leg != "lastmile" else route_colour(i),
                            weight=weight, opacity=0.8,
                            tooltip=folium.Tooltip(safe_text(
                                f"{leg} {r['depot']} vehicle {r['vehicle']}: {r['distance_m'] / 1000:.1f} km"))
                            ).add_to(layer)
        layer.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    lons = [c[0] for c in coords.values()]
    lats = [c[1] for c in coords.values()]
    if lons:
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    return m
