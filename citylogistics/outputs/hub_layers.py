"""Map layers of the city hubs chosen from candidate land parcels (``[hubs]`` plans).

- ``T0 hub candidates``: every candidate; an opened hub is a black square
  (its tooltip gives the opening year, capacity and final-year load), a
  candidate never opened a hollow grey circle;
- ``T0 hub catchments <final year>``: a line from each open hub to each
  county hub (T1) assigned to it in the final year, one colour per hub.

Plans without hub candidates (no ``T0`` rows in ``plan.sites``) get no layer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from citylogistics.outputs.maps import bind_info, depot_icon, latlon_path, route_colour

#: Marker of a candidate that was never opened.
CANDIDATE_STYLE: dict[str, Any] = {
    "radius": 6,
    "color": "#555555",
    "weight": 2,
    "fill": True,
    "fill_color": "#ffffff",
    "fill_opacity": 0.6,
}


def _fmt(x, digits: int = 0) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return ""
    return f"{v:,.{digits}f}" if math.isfinite(v) else ""


def hub_assignments(plan) -> dict[str, str]:
    """County hub site id -> T0 hub id in the final year, over every city with hubs."""
    out: dict[str, str] = {}
    for block in plan.siting.values():
        hubs = block.get("hubs") if isinstance(block, Mapping) else None
        if hubs:
            out.update(hubs.get("assignment", {}).get(str(plan.final_year), {}))
    return out


def add_hub_layers(m, plan) -> None:
    """Add the candidates and catchment layers of ``plan`` (a
    :class:`~citylogistics.planner.coverage_plan.CoveragePlan`) to the folium map ``m``."""
    import folium

    sites = plan.sites
    if "tier" not in sites or not (sites["tier"] == "T0").any():
        return
    hubs = sites[sites["tier"] == "T0"].sort_values("id", kind="stable")
    colour = {h: route_colour(i) for i, h in enumerate(hubs["id"])}
    coords = plan.coords
    lines = folium.FeatureGroup(name=f"T0 hub catchments {plan.final_year}")
    for county, hub in sorted(hub_assignments(plan).items()):
        if county in coords and hub in coords:
            path = latlon_path(m, [coords[hub], coords[county]])
            if len(path) >= 2:
                line = folium.PolyLine(path, color=colour.get(hub, "#000000"), weight=3, opacity=0.8, dash_array="6 4")
                bind_info(line, tooltip=f"{county} ← {hub}")
                line.add_to(lines)
    markers = folium.FeatureGroup(name="T0 hub candidates")
    for row in hubs.itertuples(index=False):
        ((lat, lon),) = latlon_path(m, [(float(row.lon), float(row.lat))])
        opened = not (isinstance(row.open_year, float) and math.isnan(row.open_year))
        info = {
            "candidate": row.id,
            "name": row.name,
            "opened": ("existing" if bool(getattr(row, "existing", False)) else str(int(row.open_year)))
            if opened
            else "never",
            "area (m²)": _fmt(getattr(row, "area_m2", "")),
            "capacity (parcels/day)": _fmt(getattr(row, "capacity_parcels_per_day", "")),
            f"load {plan.final_year} (parcels/day)": _fmt(getattr(row, "load_parcels_per_day", "")),
            "land cost (CNY)": _fmt(getattr(row, "land_cost_cny", "")),
        }
        if opened:
            mk = folium.Marker((lat, lon), icon=depot_icon(colour[row.id], 16))
            tip = f"T0 hub {row.id} (open from {info['opened']})"
        else:
            mk = folium.CircleMarker((lat, lon), **CANDIDATE_STYLE)
            tip = f"T0 hub candidate {row.id} (not opened)"
        bind_info(mk, tooltip=tip, popup=info)
        mk.add_to(markers)
    lines.add_to(m)
    markers.add_to(m)
