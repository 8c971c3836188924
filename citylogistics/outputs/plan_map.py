"""Folium map of a coverage plan.

Layers (a planner switches tiers and years on and off in the layer control):

- ``T0 city hubs``; ``T1 county hubs existing`` / ``T1 county hubs opened <year>``;
  ``T2 town stations opened <year>`` — one layer per tier and phase;
- ``Service areas <final year>`` — per open station, a polygon around the
  villages assigned to it within the coverage limit (network travel times);
- ``County coverage <year>`` — a choropleth of each county's population
  coverage share, one layer per year (the final year shown);
- ``T3 villages (<final year>)`` — one GeoJSON layer coloured by the phase in
  which the village was covered, or by the reason it is unserved;
- ``<leg> routes <year>`` — routes drawn along the road network (the planner's
  ``geometry``), one colour per vehicle, trunk and shuttle for every year and
  last-mile for every year while there are at most ``max_lastmile_routes``
  last-mile routes in all, else for the final year only.

Size limits: villages are one GeoJSON layer (25,547 in the province); route
geometry is rounded to 1e-5 degrees (about 1 m) and simplified to about 20 m
when there are more than ``max_lastmile_routes`` routes; county polygons are
simplified to about 300 m.  Every text from data is escaped (see
:mod:`citylogistics.outputs.maps`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from citylogistics.outputs.geometry import route_points, service_areas
from citylogistics.outputs.maps import (
    add_legend,
    bind_info,
    depot_icon,
    fit_to,
    latlon_path,
    route_colour,
    safe_text,
    to_display,
)

LEG_STYLE = {"trunk": (5, None), "shuttle": (3, "8 4"), "lastmile": (2, None)}
TIER_COLOUR = {"T0": "#000000", "T1": "#8b0000", "T2": "#1b7a8c"}
PHASE_COLOURS = ("#1a9850", "#66bd63", "#a6d96a", "#2b83ba", "#abdda4", "#5e3c99", "#b2abd2", "#80cdc1")
REASON_COLOURS = {"budget": "#e66101", "too_far": "#b2182b", "unreachable": "#000000"}
OTHER_REASON_COLOUR = "#7b3294"
COVERAGE_BINS = (0.0, 0.5, 0.7, 0.85, 0.95, 1.0000001)
COVERAGE_COLOURS = ("#f7fcf5", "#c7e9c0", "#74c476", "#31a354", "#006d2c")

_BIND_FEATURE = """function(feature, layer) {
    var p = feature.properties;
    if (p.tip) { layer.bindTooltip(p.tip, {sticky: true}); }
    if (p.pop) { layer.bindPopup(p.pop, {maxWidth: 320}); }
}"""

# Village popups are built in the page from short (escaped) properties: one
# popup string per village would multiply the page size.
_BIND_VILLAGE = """function(feature, layer) {
    var p = feature.properties;
    layer.bindTooltip(p.n + ' — ' + p.st, {sticky: true});
    layer.on('click', function() {
        var rows = [['village', p.n], ['pinyin', p.py], ['code', p.code], ['parcels/day', p.d],
                    ['served by', p.s], ['access (min)', p.a], ['covered since', p.y], ['state', p.st]];
        var html = '<table class="cl-info">';
        for (var i = 0; i < rows.length; i++) {
            html += '<tr><th>' + rows[i][0] + '</th><td>' + rows[i][1] + '</td></tr>';
        }
        layer.bindPopup(html + '</table>', {maxWidth: 320}).openPopup();
    });
}"""


def phase_colour(year: int, years: Sequence[int]) -> str:
    """Colour of villages first covered in ``year`` (years before the horizon count as the first)."""
    idx = max(0, list(years).index(year)) if year in years else 0
    return PHASE_COLOURS[idx % len(PHASE_COLOURS)]


def reason_colour(reason: str) -> str:
    return REASON_COLOURS.get(reason, OTHER_REASON_COLOUR)


def coverage_colour(share: float) -> str:
    if not np.isfinite(share):
        return "#cccccc"
    k = int(np.searchsorted(COVERAGE_BINS, share, side="right")) - 1
    return COVERAGE_COLOURS[min(max(k, 0), len(COVERAGE_COLOURS) - 1)]


def _fmt(x, digits: int = 1) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return ""
    return f"{v:.{digits}f}" if np.isfinite(v) else ""


def _display_geom(m, geom):
    import shapely

    def shift(c):
        x, y = to_display(m, c[:, 0], c[:, 1])
        return np.column_stack([np.round(x, 5), np.round(y, 5)])

    return shapely.transform(geom, shift)


def _geojson_layer(m, features: list[dict], *, name: str, show: bool, style: dict | None = None,
                   on_each_feature: str = _BIND_FEATURE, marker=None):
    import folium

    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name=name, show=show, marker=marker,
        style_function=lambda f, base=dict(style or {}): {**base, **f["properties"].get("style", {})},
        on_each_feature=folium.JsCode(on_each_feature), zoom_on_click=False)
    layer.add_to(m)
    return layer


def map_plan(plan, *, m=None, county_polygons=None, max_lastmile_routes: int = 3000,
             with_service_areas: bool = True):
    """Add a coverage plan's layers to ``m`` (a new map when omitted) and return it.

    Parameters
    ----------
    plan
        A :class:`~citylogistics.planner.coverage_plan.CoveragePlan` (title,
        tiles, years and hubs come from ``plan.info``).
    m
        A folium map to add to; default a new one with the plan's title and tiles.
    county_polygons
        A GeoDataFrame of county polygons (index adcode, column ``name``) for
        the choropleth of the ``county:<code>`` KPI rows; default
        ``plan.county_polygons()``.
    max_lastmile_routes
        Above this many last-mile routes in all years, only the final year's
        are drawn and all route geometry is simplified.
    with_service_areas
        Draw the service-area polygons.

    Returns
    -------
    folium.Map
    """
    import folium

    if m is None:
        m = new_map_for_plan(title=plan.info.title, tiles=plan.info.tiles)
    years = sorted(set(plan.years) | {r["year"] for r in plan.routes})
    names = dict(zip(plan.sites["id"], plan.sites["name"]))
    names.update({f"T0-{c}": name for c, name, _x, _y in plan.info.hubs})
    top_layers = [_hub_layer(m, plan, names)] + _site_layers(m, plan)
    if len(plan.kpis):
        _county_layers(m, plan, years, county_polygons)
    if with_service_areas:
        _service_area_layer(m, plan, names)
    _village_layer(m, plan, names, years)
    _route_layers(m, plan, names, years, max_lastmile_routes=max_lastmile_routes)
    for layer in top_layers:  # sites above areas, villages and routes
        layer.add_to(m)
    _legend(m, plan, years)
    from citylogistics.outputs.hub_layers import add_hub_layers  # [hubs] plans: candidates, catchments

    add_hub_layers(m, plan)
    folium.LayerControl(collapsed=True).add_to(m)
    lons = np.concatenate([plan.villages["lon"].to_numpy(dtype=float), plan.sites["lon"].to_numpy(dtype=float)])
    lats = np.concatenate([plan.villages["lat"].to_numpy(dtype=float), plan.sites["lat"].to_numpy(dtype=float)])
    if not len(lons):
        coords = plan.coords
        lons = np.array([c[0] for c in coords.values()])
        lats = np.array([c[1] for c in coords.values()])
    fit_to(m, lons, lats)
    return m


def _hub_layer(m, plan, names: Mapping[str, str]):
    """T0 city hubs."""
    import folium

    from citylogistics.regions import CITY_CODES

    layer = folium.FeatureGroup(name="T0 city hubs")
    for c, _name, lon, lat in plan.info.hubs:
        x, y = to_display(m, [lon], [lat])
        mk = folium.Marker((float(y[0]), float(x[0])), icon=depot_icon(TIER_COLOUR["T0"], 16))
        bind_info(mk, tooltip=f"{names[f'T0-{c}']} city hub (T0)",
                  popup={"tier": "T0 city hub", "name": names[f"T0-{c}"], "pinyin": CITY_CODES.get(c, ""),
                         "code": c})
        mk.add_to(layer)
    return layer


def _served(villages: pd.DataFrame) -> pd.DataFrame:
    return villages[villages["served_by"].fillna("").astype(str) != ""]


def _site_layers(m, plan) -> list:
    """T1/T2 sites, one layer per tier and opening year."""
    import folium

    sites, year, first_year = plan.sites, plan.final_year, plan.years[0]
    per_site = _served(plan.villages).groupby("served_by").agg(
        n=("demand_parcels", "size"), demand=("demand_parcels", "sum"), acc=("access_time_s", "max"))
    layers = []
    for tier, label in (("T1", "T1 county hubs"), ("T2", "T2 town stations")):
        s = sites[(sites["tier"] == tier) & sites["open_year"].notna()]
        for oy in sorted(s["open_year"].unique()):
            when = "existing" if oy < first_year else f"opened {int(oy)}"
            layer = folium.FeatureGroup(name=f"{label} {when}")
            g = s[s["open_year"] == oy]
            x, y = to_display(m, g["lon"].to_numpy(), g["lat"].to_numpy())
            for (_, row), xi, yi in zip(g.iterrows(), x.tolist(), y.tolist()):
                st = per_site.loc[row["id"]] if row["id"] in per_site.index else None
                cm = folium.CircleMarker((yi, xi), radius=7 if tier == "T1" else 5, color="#ffffff", weight=1.5,
                                         fill=True, fill_color=TIER_COLOUR[tier], fill_opacity=0.95)
                bind_info(cm, tooltip=f"{row['name']} ({tier}, {when})",
                          popup={"tier": label[:-1], "name": row["name"], "pinyin": row.get("pinyin", ""),
                                 "code": row["code"], "opened": "existing" if oy < first_year else int(oy),
                                 f"villages served {year}": int(st["n"]) if st is not None else 0,
                                 "parcels/day served": _fmt(st["demand"]) if st is not None else "0",
                                 "longest access (min)": _fmt(st["acc"] / 60) if st is not None else ""})
                cm.add_to(layer)
            layers.append(layer)
    return layers


def _county_layers(m, plan, years: Sequence[int], county_polygons) -> None:
    """County population coverage, one choropleth layer per year (the final year shown)."""
    krows = plan.kpis[plan.kpis["scope"].astype(str).str.startswith("county:")]
    if not len(krows):
        return
    polys = county_polygons if county_polygons is not None else plan.county_polygons()
    codes = sorted({s.split(":", 1)[1] for s in krows["scope"]})
    polys = polys.loc[[c for c in codes if c in polys.index]]
    shapes = {c: _display_geom(m, g.simplify(0.003)).__geo_interface__ for c, g in polys.geometry.items()}
    for y_ in years:
        ky = krows[krows["year"] == y_].set_index("scope")
        feats = []
        for c in polys.index:
            if f"county:{c}" not in ky.index:
                continue
            r = ky.loc[f"county:{c}"]
            share = float(r["population_covered_share"])
            tip = safe_text(f"{polys.at[c, 'name']} {y_}: {100 * share:.1f} % of population covered, "
                            f"{int(r['villages_covered'])} of {int(r['villages'])} villages")
            feats.append({"type": "Feature", "properties": {"tip": tip, "style": {"fillColor": coverage_colour(share)}},
                          "geometry": shapes[c]})
        _geojson_layer(m, feats, name=f"County coverage {y_}", show=y_ == plan.final_year,
                       style={"color": "#555555", "weight": 1, "fillOpacity": 0.45})


def _service_area_layer(m, plan, names: Mapping[str, str]) -> None:
    """The final year's service area of each open station."""
    if not len(_served(plan.villages)):
        return
    feats = []
    for a in service_areas(plan.sites, plan.villages).itertuples(index=False):
        colour = TIER_COLOUR["T1"] if str(a.id).startswith("T1-") else TIER_COLOUR["T2"]
        tip = safe_text(f"service area of {names.get(a.id, a.id)}: {a.villages} villages, "
                        f"longest access {_fmt(a.max_access_s / 60)} min")
        feats.append({"type": "Feature", "properties": {"tip": tip, "style": {"color": colour, "fillColor": colour}},
                      "geometry": _display_geom(m, a.geometry).__geo_interface__})
    _geojson_layer(m, feats, name=f"Service areas {plan.final_year}", show=True,
                   style={"weight": 1, "opacity": 0.8, "fillOpacity": 0.12})


def _village_layer(m, plan, names: Mapping[str, str], years: Sequence[int]) -> None:
    """Every village in one GeoJSON layer, coloured by phase or reason."""
    import folium

    villages = plan.villages
    vx, vy = to_display(m, villages["lon"].to_numpy(dtype=float), villages["lat"].to_numpy(dtype=float))
    feats = []
    cov_year = villages["covered_year"] if "covered_year" in villages else pd.Series(np.nan, index=villages.index)
    pinyin = villages["pinyin"] if "pinyin" in villages else pd.Series("", index=villages.index)
    for code, name, py, sb, acc, reason, dem, cy, xi, yi in zip(
            villages.index, villages["name"], pinyin.fillna(""), villages["served_by"].fillna(""),
            villages["access_time_s"], villages["reason"].fillna(""), villages["demand_parcels"], cov_year,
            vx.tolist(), vy.tolist()):
        if not reason:
            colour = phase_colour(int(cy) if pd.notna(cy) else years[0], years)
            state = "served"
        else:
            colour = reason_colour(reason)
            state = f"unserved: {reason}"
        props = {"n": safe_text(name), "py": safe_text(py), "code": safe_text(code),
                 "s": safe_text(f"{names.get(sb, sb)} ({sb})" if sb else "—"),
                 "a": _fmt(acc / 60 if np.isfinite(acc) else np.nan), "d": _fmt(dem),
                 "y": "" if pd.isna(cy) else str(int(cy)), "st": safe_text(state),
                 "style": {"fillColor": colour, "color": colour}}
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "Point", "coordinates": [round(xi, 6), round(yi, 6)]}})
    _geojson_layer(m, feats, name=f"T3 villages ({plan.final_year})", show=True, on_each_feature=_BIND_VILLAGE,
                   style={"weight": 0, "fillOpacity": 0.85},
                   marker=folium.CircleMarker(radius=3, weight=0, fill=True, fill_opacity=0.85))


def _route_layers(m, plan, names: Mapping[str, str], years: Sequence[int], *, max_lastmile_routes: int) -> None:
    """One layer per year and leg; last-mile routes of earlier years left out when there are many."""
    big = sum(1 for r in plan.routes if r["leg"] == "lastmile") > max_lastmile_routes
    coords = plan.coords
    for y_ in years:
        for leg in ("trunk", "shuttle", "lastmile"):
            rs = [r for r in plan.routes if r["year"] == y_ and r["leg"] == leg]
            if not rs or (leg == "lastmile" and big and y_ != plan.final_year):
                continue
            _route_layer(m, rs, names, coords, name=f"{leg} routes {y_}", show=y_ == plan.final_year,
                         simplify=big).add_to(m)


def _route_layer(m, routes: Sequence[dict], names: Mapping[str, str], coords, *, name: str, show: bool,
                 simplify: bool):
    import folium

    layer = folium.FeatureGroup(name=name, show=show)
    per_depot: dict[str, int] = {}
    for r in routes:
        k = per_depot.get(r["depot"], 0)
        per_depot[r["depot"]] = k + 1
        pts = route_points(r, coords)
        if simplify and len(pts) > 2:
            pts = _simplify(pts, 0.0002)
        line = latlon_path(m, pts, digits=5)
        if len(line) < 2:
            continue
        leg, year = r["leg"], r["year"]
        weight, dash = LEG_STYLE[leg]
        stops = sum(1 for s in r["steps"] if s["type"] in ("delivery", "pickup"))
        depot = names.get(r["depot"], r["depot"])
        pl = folium.PolyLine(line, color=route_colour(k), weight=weight, opacity=0.85, dash_array=dash)
        bind_info(pl, tooltip=f"{leg} {year}: {depot} vehicle {r['vehicle']} ({r.get('vehicle_type', '')}), "
                              f"{stops} stops, {r['distance_m'] / 1000:.1f} km",
                  popup={"leg": leg, "year": year, "depot": f"{depot} ({r['depot']})", "vehicle": r["vehicle"],
                         "vehicle type": r.get("vehicle_type", ""), "stops": stops,
                         "load (parcels)": _fmt(r["steps"][0].get("load", 0)),
                         "distance (km)": _fmt(r["distance_m"] / 1000),
                         "duration (h)": _fmt(r["duration_s"] / 3600, 2),
                         "CO2 (kg/day)": _fmt(r.get("co2_kg", 0.0))})
        pl.add_to(layer)
    return layer


def _legend(m, plan, years: Sequence[int]) -> None:
    phase_entries = [(f"background:{phase_colour(y_, years)};border-radius:50%",
                      f"covered {'by ' if i == 0 else 'in '}{y_}") for i, y_ in enumerate(years)]
    reasons = sorted(set(plan.villages["reason"].fillna("")) - {""})
    reason_entries = [(f"background:{reason_colour(r)};border-radius:50%", f"unserved: {r}") for r in reasons]
    cov_entries = [(f"background:{c}", f"{100 * lo:.0f}–{min(100 * hi, 100):.0f} %")
                   for c, lo, hi in zip(COVERAGE_COLOURS, COVERAGE_BINS, COVERAGE_BINS[1:])]
    add_legend(m, [
        ("sites", [(f"background:{TIER_COLOUR['T0']}", "T0 city hub"),
                   (f"background:{TIER_COLOUR['T1']};border-radius:50%", "T1 county hub"),
                   (f"background:{TIER_COLOUR['T2']};border-radius:50%", "T2 town station")]),
        ("villages (T3)", phase_entries + reason_entries),
        ("routes (one colour per vehicle)", [("border-top:5px solid #555;height:0", "trunk"),
                                             ("border-top:3px dashed #555;height:0", "shuttle"),
                                             ("border-top:2px solid #555;height:0", "last mile")]),
        ("county population coverage", cov_entries),
    ])


def new_map_for_plan(*, title: str, tiles: str = "OpenStreetMap"):
    """A new map with the plan's title and the data attribution (the package's
    data notice, which credits GeoNames under CC BY 4.0)."""
    from citylogistics.outputs.maps import new_map
    from citylogistics.regions import DATA_NOTICE

    return new_map(tiles=tiles, title=title, attribution=DATA_NOTICE)


def _simplify(pts: Sequence[tuple[float, float]], tolerance_deg: float) -> list[tuple[float, float]]:
    from shapely import LineString

    line = LineString(pts).simplify(tolerance_deg, preserve_topology=False)
    return list(line.coords)
