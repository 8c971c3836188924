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

from citylogistics.outputs.maps import (add_legend, bind_info, depot_icon, fit_to, latlon_path, route_colour, safe_text, to_display)
from citylogistics.outputs.export import route_points

LEG_STYLE = {"trunk": (5, None), "shuttle": (3, "8 4"), "lastmile": (2, None)}
TIER_COLOUR = {"T0": "#000000", "T1": "#8b0000", "T2": "#1b7a8c"}
PHASE_COLOURS = ("#1a9850", "#66bd63", "#a6d96a", "#2b83ba", "#abdda4", "#5e3c99", "#b2abd2", "#80cdc1")
REASON_COLOURS = {"budget": "#e66101", "too_far": "#b2182b", "unreachable": "#000000"}
OTHER_REASON_COLOUR = "#7b3294"
COVERAGE_BINS = (0.0, 0.5, 0.7, 0.85, 0.95, 1.0000001)
COVERAGE_COLOURS = ("#f7fcf5", "#c7e9c0", "#74c476", "#31a354", "#006d2c")
SERVICE_AREA_BUFFER_M = 800.0

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


def service_areas(sites: pd.DataFrame, villages: pd.DataFrame, *, buffer_m: float = SERVICE_AREA_BUFFER_M,
                  simplify_m: float = 50.0) -> pd.DataFrame:
    """A polygon per station around the villages assigned to it (final year).

    The polygon is the concave hull of the station and its villages (each of
    them reached within the coverage limit along the road network), buffered by
    ``buffer_m``; computed in a local metric frame per station, so the cost is
    linear in the number of villages.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``villages``, ``max_access_s``, ``demand_parcels`` and
        ``geometry`` (shapely Polygon/MultiPolygon, WGS-84).
    """
    import shapely
    from shapely.geometry import MultiPoint

    from citylogistics.geo import EARTH_RADIUS_M, local_xy_m

    served = villages[villages["served_by"].fillna("").astype(str) != ""]
    rows = []
    by_id = sites.set_index("id")
    for sid, g in served.groupby("served_by", sort=True):
        if sid not in by_id.index:
            continue
        lon0, lat0 = float(by_id.at[sid, "lon"]), float(by_id.at[sid, "lat"])
        lons = np.append(g["lon"].to_numpy(dtype=float), lon0)
        lats = np.append(g["lat"].to_numpy(dtype=float), lat0)
        x, y = local_xy_m(lons, lats, lon0=lon0, lat0=lat0)
        pts = MultiPoint(np.column_stack([x, y]))
        hull = shapely.concave_hull(pts, ratio=0.4) if len(g) >= 3 else pts
        poly = hull.buffer(buffer_m, quad_segs=4).simplify(simplify_m)
        # Back to degrees: the inverse of geo.local_xy_m's equirectangular plane.
        ky = np.pi / 180.0 * EARTH_RADIUS_M
        kx = ky * np.cos(np.radians(lat0))
        poly = shapely.transform(poly, lambda c, kx=kx, ky=ky, lon0=lon0, lat0=lat0:
                                 np.column_stack([c[:, 0] / kx + lon0, c[:, 1] / ky + lat0]))
        acc = g["access_time_s"].to_numpy(dtype=float)
        rows.append({"id": sid, "villages": len(g),
                     "max_access_s": float(np.nanmax(acc)) if np.isfinite(acc).any() else float("nan"),
                     "demand_parcels": float(g["demand_parcels"].sum()), "geometry": poly})
    return pd.DataFrame(rows, columns=["id", "villages", "max_access_s", "demand_parcels", "geometry"])


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


def map_plan(regions, sites: pd.DataFrame, villages: pd.DataFrame, routes: Sequence[dict],
             coords: Mapping[str, tuple[float, float]], *, title: str, tiles: str = "OpenStreetMap",
             year: int, first_year: int, hubs: Sequence[str], m=None, kpis: pd.DataFrame | None = None,
             years: Sequence[int] | None = None, county_polygons=None, max_lastmile_routes: int = 3000,
             with_service_areas: bool = True):
    """Add the plan's layers to ``m`` (a new map when omitted) and return it.

    Parameters
    ----------
    regions
        :class:`citylogistics.regions.Regions` (hub names; county polygons when
        ``county_polygons`` is not given).
    sites, villages, routes, coords
        The planner's outputs (see :func:`citylogistics.outputs.write.write_plan_outputs`).
    title, tiles
        Map title (escaped) and background (:data:`citylogistics.outputs.maps.TILES`).
    year, first_year
        The final year (villages, service areas, shown layers) and the first
        year of the horizon (sites opened before it are "existing").
    hubs
        City codes of the T0 hubs.
    kpis
        The KPI table; its ``county:<code>`` rows colour the county choropleth
        (no choropleth when omitted).
    years
        The horizon (default: the years of ``routes`` and ``year``).
    county_polygons
        A GeoDataFrame of county polygons (index adcode, column ``name``);
        default ``regions.county_polygons()``.
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

    from citylogistics.regions import CITY_CODES

    if m is None:
        m = new_map_for_plan(title=title, tiles=tiles)
    years = sorted(set(years or []) | {r["year"] for r in routes} | {year})
    names = dict(zip(sites["id"], sites["name"]))
    for c in hubs:
        names[f"T0-{c}"] = regions.settlements.at[c, "name"] if regions is not None else c

    # --- T0 hubs
    hub_layer = folium.FeatureGroup(name="T0 city hubs")
    for c in hubs:
        lon, lat = coords[f"T0-{c}"]
        x, y = to_display(m, [lon], [lat])
        mk = folium.Marker((float(y[0]), float(x[0])), icon=depot_icon(TIER_COLOUR["T0"], 16))
        bind_info(mk, tooltip=f"{names[f'T0-{c}']} city hub (T0)",
                  popup={"tier": "T0 city hub", "name": names[f"T0-{c}"], "pinyin": CITY_CODES.get(c, ""),
                         "code": c})
        mk.add_to(hub_layer)
    top_layers = [hub_layer]

    # --- T1/T2 sites by phase
    served = villages[villages["served_by"].fillna("").astype(str) != ""]
    per_site = served.groupby("served_by").agg(n=("demand_parcels", "size"), demand=("demand_parcels", "sum"),
                                               acc=("access_time_s", "max"))
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
            top_layers.append(layer)

    # --- county choropleth by year
    if kpis is not None and len(kpis):
        krows = kpis[kpis["scope"].astype(str).str.startswith("county:")]
        if len(krows):
            polys = county_polygons if county_polygons is not None else regions.county_polygons()
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
                    feats.append({"type": "Feature",
                                  "properties": {"tip": tip, "style": {"fillColor": coverage_colour(share)}},
                                  "geometry": shapes[c]})
                _geojson_layer(m, feats, name=f"County coverage {y_}", show=y_ == year,
                               style={"color": "#555555", "weight": 1, "fillOpacity": 0.45})

    # --- service areas (final year)
    if with_service_areas and len(served):
        areas = service_areas(sites, villages)
        feats = []
        for i, a in enumerate(areas.itertuples(index=False)):
            colour = TIER_COLOUR["T1"] if str(a.id).startswith("T1-") else TIER_COLOUR["T2"]
            tip = safe_text(f"service area of {names.get(a.id, a.id)}: {a.villages} villages, "
                            f"longest access {_fmt(a.max_access_s / 60)} min")
            feats.append({"type": "Feature", "properties": {"tip": tip, "style": {"color": colour, "fillColor": colour}},
                          "geometry": _display_geom(m, a.geometry).__geo_interface__})
        _geojson_layer(m, feats, name=f"Service areas {year}", show=True,
                       style={"weight": 1, "opacity": 0.8, "fillOpacity": 0.12})

    # --- villages (one GeoJSON layer)
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
    _geojson_layer(m, feats, name=f"T3 villages ({year})", show=True, on_each_feature=_BIND_VILLAGE,
                   style={"weight": 0, "fillOpacity": 0.85},
                   marker=folium.CircleMarker(radius=3, weight=0, fill=True, fill_opacity=0.85))

    # --- routes by year and leg
    n_lastmile = sum(1 for r in routes if r["leg"] == "lastmile")
    big = n_lastmile > max_lastmile_routes
    for y_ in years:
        for leg in ("trunk", "shuttle", "lastmile"):
            rs = [r for r in routes if r["year"] == y_ and r["leg"] == leg]
            if not rs or (leg == "lastmile" and big and y_ != year):
                continue
            weight, dash = LEG_STYLE[leg]
            layer = folium.FeatureGroup(name=f"{leg} routes {y_}", show=y_ == year)
            per_depot: dict[str, int] = {}
            for r in rs:
                k = per_depot.get(r["depot"], 0)
                per_depot[r["depot"]] = k + 1
                pts = route_points(r, coords)
                if big and len(pts) > 2:
                    pts = _simplify(pts, 0.0002)
                line = latlon_path(m, pts, digits=5)
                if len(line) < 2:
                    continue
                stops = sum(1 for s in r["steps"] if s["type"] in ("delivery", "pickup"))
                depot = names.get(r["depot"], r["depot"])
                pl = folium.PolyLine(line, color=route_colour(k), weight=weight, opacity=0.85, dash_array=dash)
                bind_info(pl, tooltip=f"{leg} {y_}: {depot} vehicle {r['vehicle']} ({r.get('vehicle_type', '')}), "
                                      f"{stops} stops, {r['distance_m'] / 1000:.1f} km",
                          popup={"leg": leg, "year": y_, "depot": f"{depot} ({r['depot']})", "vehicle": r["vehicle"],
                                 "vehicle type": r.get("vehicle_type", ""), "stops": stops,
                                 "load (parcels)": _fmt(r["steps"][0].get("load", 0)),
                                 "distance (km)": _fmt(r["distance_m"] / 1000),
                                 "duration (h)": _fmt(r["duration_s"] / 3600, 2),
                                 "CO2 (kg/day)": _fmt(r.get("co2_kg", 0.0))})
                pl.add_to(layer)
            layer.add_to(m)

    for layer in top_layers:  # sites above areas, villages and routes
        layer.add_to(m)

    # --- legend, layer control, view
    phase_entries = [(f"background:{phase_colour(y_, years)};border-radius:50%",
                      f"covered {'by ' if i == 0 else 'in '}{y_}") for i, y_ in enumerate(years)]
    reasons = sorted(set(villages["reason"].fillna("")) - {""})
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
    folium.LayerControl(collapsed=True).add_to(m)
    lons = np.concatenate([villages["lon"].to_numpy(dtype=float), sites["lon"].to_numpy(dtype=float)])
    lats = np.concatenate([villages["lat"].to_numpy(dtype=float), sites["lat"].to_numpy(dtype=float)])
    if not len(lons):
        lons = np.array([c[0] for c in coords.values()])
        lats = np.array([c[1] for c in coords.values()])
    fit_to(m, lons, lats)
    return m


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
