"""Folium map of a coverage plan.

Layers (a planner switches tiers and years on and off in the layer control):

- ``T0 city hubs``; ``T1 county hubs existing`` / ``T1 county hubs opened <year>``;
  ``T2 town stations opened <year>`` — one layer per tier and phase;
- ``Service areas <final year>`` — per open station, a polygon around the
  villages assigned to it within the coverage limit (network travel times);
- ``County coverage <year>`` — a choropleth of each county's population
  coverage share, one layer per year (the final year shown);
- ``T3 villages (<final year>)`` — one layer coloured by the phase in which
  the village was covered, or by the reason it is unserved; a surveyed point
  is a filled circle, a generated one a hollow ring (``point_source``);
- ``<leg> routes <year>`` — routes drawn along the road network (the
  planner's ``geometry``), one colour per vehicle.  Only the final year's
  layers are drawn when the page opens; every other year is one click away
  in the layer control.

Layer and legend texts come from :mod:`citylogistics.outputs.i18n` in the
run's language (``"en"`` or ``"zh"``).

A province plan's map (``detail=False``) shows the county coverage, the sites
and the trunk and shuttle routes, with links to one page per city
(``cities/<pinyin>.html``, written by :mod:`citylogistics.outputs.write`)
holding that city's villages, service areas and last-mile routes.

Size and speed: every layer is one compact GeoJSON object drawn by a small
script (no per-feature script or popup string: popups are built from short
properties on click), on Leaflet's canvas renderer (``prefer_canvas``).
Coordinates are rounded to 1e-5 degrees (about 1 m); route lines are
simplified with a tolerance of :data:`ROUTE_TOLERANCE_DEG` (about 5 m, below
a pixel up to zoom 14) on city maps and :data:`OVERVIEW_TOLERANCE_DEG` (about
50 m, a pixel at zoom 11) on the province overview; county polygons with
:data:`COUNTY_TOLERANCE_DEG` (about 300 m).  Every text from data is escaped
(see :mod:`citylogistics.outputs.maps`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from citylogistics.outputs.geometry import route_points, service_areas
from citylogistics.outputs.i18n import leg_name, place_label, point_source_name, reason_name, tr
from citylogistics.outputs.maps import (
    add_legend,
    bind_info,
    depot_icon,
    fit_to,
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
#: Route simplification on city maps (degrees; ~5 m) and on the province overview (~50 m).
ROUTE_TOLERANCE_DEG = 0.00005
OVERVIEW_TOLERANCE_DEG = 0.0005
#: County polygon simplification (degrees; ~300 m).
COUNTY_TOLERANCE_DEG = 0.003
#: Coordinates on the page: 5 decimals (~1 m).
DIGITS = 5
#: Point sources drawn as hollow rings (not surveyed).
HOLLOW_SOURCES = ("generated",)

# One script binds every compact layer: a tooltip ('t', or the layer's 'tip' template with
# {i} replaced by value i) and a popup table built on click from the layer's field labels
# and the feature's values 'v'; a value with an entry in the layer's dicts[i] shows that text
# (names of sites, states, point sources are stored once per layer).
_LAYER = r"""{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function(data, o) {
    data.features.forEach(function(f) {
        var g = f.geometry;
        if (g && g.type === 'LineString' && typeof g.coordinates === 'string') { g.coordinates = clDecode(g.coordinates); }
    });
    return L.geoJson(data, {
        style: function(f) {
            var p = f.properties, s = Object.assign({}, o.style);
            if (p.c) { s.color = p.c; s.fillColor = p.c; }
            if (p.f) { s.fillColor = p.f; }
            return s;
        },
        pointToLayer: function(f, ll) {
            var p = f.properties, s = Object.assign({}, o.point);
            if (p.c) { s.color = p.c; s.fillColor = p.c; }
            if (p.h) { s.fillOpacity = 0; s.weight = 1.5; }
            return L.circleMarker(ll, s);
        },
        onEachFeature: function(f, layer) {
            var p = f.properties, tip = p.t;
            function val(i) {
                var x = p.v[i], d = o.dicts && o.dicts[i];
                return (x === null || x === undefined) ? '' : (d && d[x] !== undefined ? d[x] : x);
            }
            if (tip === undefined && o.tip) {
                tip = o.tip.replace(/\{(\d+)\}/g, function(_, i) { return val(+i); });
            }
            if (tip) { layer.bindTooltip(tip, {sticky: true}); }
            if (p.v && o.fields) {
                layer.on('click', function() {
                    var html = '<table class="cl-info">';
                    for (var i = 0; i < o.fields.length; i++) {
                        html += '<tr><th>' + o.fields[i] + '</th><td>' + val(i) + '</td></tr>';
                    }
                    layer.bindPopup(html + '</table>', {maxWidth: 340}).openPopup();
                });
            }
        }
    });
})({{ this.data }}, {{ this.opts }});
{% endmacro %}"""


# Decoder of encode_line (the polyline algorithm of Google's Maps API, precision 1e-5, lon first).
_DECODE = """<script>
function clDecode(s) {
    var out = [], i = 0, x = 0, y = 0;
    while (i < s.length) {
        var v = [0, 0];
        for (var k = 0; k < 2; k++) {
            var b, shift = 0, r = 0;
            do { b = s.charCodeAt(i++) - 63; r |= (b & 31) << shift; shift += 5; } while (b >= 32);
            v[k] = (r & 1) ? ~(r >> 1) : (r >> 1);
        }
        x += v[0]; y += v[1];
        out.push([x / 1e5, y / 1e5]);
    }
    return out;
}
</script>"""


def encode_line(coords: Sequence[Sequence[float]]) -> str:
    """[[lon, lat], ...] as a polyline-encoded string (Google's algorithm, 1e-5 degrees,
    lon before lat): about 5 characters a point instead of 20."""
    out = []
    px = py = 0
    for lon, lat in coords:
        x, y = int(round(lon * 1e5)), int(round(lat * 1e5))
        for d in (x - px, y - py):
            v = ~(d << 1) if d < 0 else d << 1
            while v >= 0x20:
                out.append(chr((0x20 | (v & 0x1F)) + 63))
                v >>= 5
            out.append(chr(v + 63))
        px, py = x, y
    return "".join(out)


def decode_line(text: str) -> list[list[float]]:
    """Inverse of :func:`encode_line` (what the page's ``clDecode`` does)."""
    out, i, x, y = [], 0, 0, 0
    while i < len(text):
        v = [0, 0]
        for k in range(2):
            shift = r = 0
            while True:
                b = ord(text[i]) - 63
                i += 1
                r |= (b & 31) << shift
                shift += 5
                if b < 32:
                    break
            v[k] = ~(r >> 1) if r & 1 else r >> 1
        x += v[0]
        y += v[1]
        out.append([x / 1e5, y / 1e5])
    return out


def _json_script(value) -> str:
    """Compact JSON safe inside an inline ``<script>`` and in folium's second Jinja pass over the
    script (``{{``, ``{%`` and ``{#`` occur only inside strings, where ``\\u007b`` is the same text)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = re.sub(r"\{(?=[{%#])", r"\\u007b", text)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _compact_layer(
    m,
    features: list[dict],
    *,
    name: str,
    show: bool,
    style: dict | None = None,
    point: dict | None = None,
    fields: Sequence[str] | None = None,
    tip: str | None = None,
    dicts: Mapping[int, Mapping[str, str]] | None = None,
):
    """A GeoJSON layer drawn by one script (:data:`_LAYER`).

    Texts in ``features`` are escaped by the caller; ``fields``, ``tip`` (a
    template with ``{i}`` for value ``i``) and ``dicts`` (value index -> {value:
    text shown}) are escaped here."""
    root = m.get_root()
    if "cl_decode" not in root.header._children:
        import folium

        root.header.add_child(folium.Element(_DECODE), name="cl_decode")
    layer = _compact_class()(name=name, overlay=True, control=True, show=show)
    layer._name = "GeoJson"  # element ids geo_json_<n>
    layer.data = _json_script({"type": "FeatureCollection", "features": features})
    layer.opts = _json_script(
        {
            "style": style or {},
            "point": point or {"radius": 4},
            "fields": [safe_text(f) for f in fields] if fields else None,
            "tip": safe_text(tip) if tip else None,
            "dicts": {str(i): {str(k): safe_text(v) for k, v in d.items()} for i, d in (dicts or {}).items()} or None,
        }
    )
    layer.add_to(m)
    return layer


@functools.cache
def _compact_class():
    """The folium layer class of :func:`_compact_layer` (its template compiled once)."""
    from folium.map import Layer
    from jinja2 import Template

    class CompactGeoJson(Layer):
        _template = Template(_LAYER)

    return CompactGeoJson


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


def _display_geom(m, geom, digits: int = DIGITS):
    import shapely

    def shift(c):
        x, y = to_display(m, c[:, 0], c[:, 1])
        return np.column_stack([np.round(x, digits), np.round(y, digits)])

    return shapely.transform(geom, shift)


def _line_coords(m, pts: Sequence[tuple[float, float]], tolerance_deg: float) -> list[list[float]]:
    """[[lon, lat], ...] in the display datum, simplified, rounded to :data:`DIGITS`, no repeats."""
    if len(pts) > 2 and tolerance_deg > 0:
        pts = _simplify(pts, tolerance_deg)
    arr = np.asarray(pts, dtype=float).reshape(-1, 2)
    x, y = to_display(m, arr[:, 0], arr[:, 1])
    out: list[list[float]] = []
    for a, b in zip(np.round(x, DIGITS).tolist(), np.round(y, DIGITS).tolist()):
        if not out or out[-1] != [a, b]:
            out.append([a, b])
    return out


def map_plan(
    plan,
    *,
    m=None,
    county_polygons=None,
    max_lastmile_routes: int = 3000,
    with_service_areas: bool = True,
    language: str = "en",
    detail: bool = True,
    city_pages: Mapping[str, str] | None = None,
):
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
        are on the page (the legend says so; every year's are in ``plan.gpkg``).
        At 3,000 a city page stays near 3 MB (Hangzhou: 3,869 routes).
    with_service_areas
        Draw the service-area polygons.
    language
        ``"en"`` or ``"zh"``: layer names, legend, tooltips and popups.
    detail
        Villages, service areas and last-mile routes (city maps); without it
        (the province overview) the map shows county coverage, sites, trunk
        and shuttle routes, with ``city_pages`` linked.
    city_pages
        City code -> relative link of its own page (province overview).

    Returns
    -------
    folium.Map
    """
    import folium

    if m is None:
        m = new_map_for_plan(title=plan.info.title, tiles=plan.info.tiles, language=language)
    years = sorted(set(plan.years) | {r["year"] for r in plan.routes})
    names = dict(zip(plan.sites["id"], plan.sites["name"]))
    names.update({f"T0-{c}": name for c, name, _x, _y in plan.info.hubs})
    top_layers = [_hub_layer(m, plan, names, language, city_pages or {})]
    if len(plan.kpis):
        _county_layers(m, plan, years, county_polygons, language)
    if with_service_areas and detail:
        _service_area_layer(m, plan, names, language)
    if detail:
        _village_layer(m, plan, names, years, language)
    legs = ("trunk", "shuttle", "lastmile") if detail else ("trunk", "shuttle")
    final_only = sum(1 for r in plan.routes if r["leg"] == "lastmile") > max_lastmile_routes
    _route_layers(
        m,
        plan,
        names,
        years,
        legs=legs,
        lastmile_final_only=final_only,
        tolerance_deg=ROUTE_TOLERANCE_DEG if detail else OVERVIEW_TOLERANCE_DEG,
        language=language,
    )
    for layer in top_layers:  # sites above areas, villages and routes
        layer.add_to(m)
    _site_layers(m, plan, language)
    _legend(m, plan, years, language, detail=detail, lastmile_final_only=final_only)
    if city_pages:
        _city_links(m, plan, city_pages, language)
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


def _hub_layer(m, plan, names: Mapping[str, str], language: str, city_pages: Mapping[str, str]):
    """T0 city hubs: each city's seat, except in cities whose hubs were chosen from
    candidate parcels (``[hubs]``; those are drawn by :mod:`citylogistics.outputs.hub_layers`)."""
    import folium

    from citylogistics.regions import CITY_CODES

    sites = plan.sites
    chosen = set(sites.loc[sites["tier"] == "T0", "city_code"].astype(str)) if "tier" in sites else set()
    layer = folium.FeatureGroup(name=tr("layer.t0", language))
    for c, _name, lon, lat in plan.info.hubs:
        if str(c) in chosen:
            continue
        x, y = to_display(m, [lon], [lat])
        mk = folium.Marker((float(y[0]), float(x[0])), icon=depot_icon(TIER_COLOUR["T0"], 16))
        popup = {
            tr("f.tier", language): tr("tier.T0", language),
            tr("f.name", language): names[f"T0-{c}"],
            tr("f.pinyin", language): CITY_CODES.get(c, ""),
            tr("f.code", language): c,
        }
        if c in city_pages:
            popup[tr("r.city_map", language)] = city_pages[c]
        bind_info(mk, tooltip=tr("tip.hub", language, name=names[f"T0-{c}"]), popup=popup)
        mk.add_to(layer)
    return layer


def _served(villages: pd.DataFrame) -> pd.DataFrame:
    return villages[villages["served_by"].fillna("").astype(str) != ""]


def _site_layers(m, plan, language: str) -> None:
    """T1/T2 sites, one layer per tier and opening year."""
    sites, year, first_year = plan.sites, plan.final_year, plan.years[0]
    per_site = (
        _served(plan.villages)
        .groupby("served_by")
        .agg(n=("demand_parcels", "size"), demand=("demand_parcels", "sum"), acc=("access_time_s", "max"))
    )
    fields = [
        tr(k, language, year=year)
        for k in (
            "f.tier",
            "f.name",
            "f.pinyin",
            "f.code",
            "f.opened",
            "f.villages_served",
            "f.parcels_served",
            "f.longest_access",
        )
    ]
    for tier, key in (("T1", "layer.t1"), ("T2", "layer.t2")):
        s = sites[(sites["tier"] == tier) & sites["open_year"].notna()]
        for oy in sorted(s["open_year"].unique()):
            when = tr("when.existing", language) if oy < first_year else tr("when.opened", language, year=int(oy))
            g = s[s["open_year"] == oy]
            x, y = to_display(m, g["lon"].to_numpy(dtype=float), g["lat"].to_numpy(dtype=float))
            pinyin = g["pinyin"] if "pinyin" in g else pd.Series("", index=g.index)
            feats = []
            for sid, name, py, code, xi, yi in zip(
                g["id"], g["name"], pinyin.fillna(""), g["code"], x.tolist(), y.tolist()
            ):
                st = per_site.loc[sid] if sid in per_site.index else None
                v = [
                    tr(f"tier.{tier}", language),
                    safe_text(name),
                    safe_text(py),
                    safe_text(code),
                    when,
                    int(st["n"]) if st is not None else 0,
                    _fmt(st["demand"]) if st is not None else "0",
                    _fmt(st["acc"] / 60) if st is not None else "",
                ]
                feats.append(
                    {
                        "type": "Feature",
                        "properties": {"v": v},
                        "geometry": {"type": "Point", "coordinates": [round(xi, DIGITS), round(yi, DIGITS)]},
                    }
                )
            _compact_layer(
                m,
                feats,
                name=tr(key, language, when=when),
                show=True,
                fields=fields,
                tip=tr("tip.site", language, name="{1}", tier=tier, when=when),
                point={
                    "radius": 7 if tier == "T1" else 5,
                    "color": "#ffffff",
                    "weight": 1.5,
                    "fill": True,
                    "fillColor": TIER_COLOUR[tier],
                    "fillOpacity": 0.95,
                },
            )


def _county_layers(m, plan, years: Sequence[int], county_polygons, language: str) -> None:
    """County population coverage, one choropleth layer per year (the final year shown)."""
    krows = plan.kpis[plan.kpis["scope"].astype(str).str.startswith("county:")]
    if not len(krows):
        return
    polys = county_polygons if county_polygons is not None else plan.county_polygons()
    codes = sorted({s.split(":", 1)[1] for s in krows["scope"]})
    polys = polys.loc[[c for c in codes if c in polys.index]]
    shapes = {
        c: _display_geom(m, g.simplify(COUNTY_TOLERANCE_DEG), digits=4).__geo_interface__
        for c, g in polys.geometry.items()
    }
    for y_ in years:
        ky = krows[krows["year"] == y_].set_index("scope")
        feats = []
        for c in polys.index:
            if f"county:{c}" not in ky.index:
                continue
            r = ky.loc[f"county:{c}"]
            share = float(r["population_covered_share"])
            tip = safe_text(
                tr(
                    "tip.county",
                    language,
                    name=polys.at[c, "name"],
                    year=y_,
                    pct=f"{100 * share:.1f}",
                    a=int(r["villages_covered"]),
                    b=int(r["villages"]),
                )
            )
            feats.append(
                {"type": "Feature", "properties": {"t": tip, "f": coverage_colour(share)}, "geometry": shapes[c]}
            )
        _compact_layer(
            m,
            feats,
            name=tr("layer.county_coverage", language, year=y_),
            show=y_ == plan.final_year,
            style={"color": "#555555", "weight": 1, "fillOpacity": 0.45},
        )


def _service_area_layer(m, plan, names: Mapping[str, str], language: str) -> None:
    """The final year's service area of each open station."""
    if not len(_served(plan.villages)):
        return
    feats = []
    for a in service_areas(plan.sites, plan.villages).itertuples(index=False):
        colour = TIER_COLOUR["T1"] if str(a.id).startswith("T1-") else TIER_COLOUR["T2"]
        tip = safe_text(
            tr("tip.service_area", language, name=names.get(a.id, a.id), n=a.villages, m=_fmt(a.max_access_s / 60))
        )
        feats.append(
            {
                "type": "Feature",
                "properties": {"t": tip, "c": colour},
                "geometry": _display_geom(m, a.geometry).__geo_interface__,
            }
        )
    _compact_layer(
        m,
        feats,
        name=tr("layer.service_areas", language, year=plan.final_year),
        show=True,
        style={"weight": 1, "opacity": 0.8, "fillOpacity": 0.12},
    )


def _village_layer(m, plan, names: Mapping[str, str], years: Sequence[int], language: str) -> None:
    """Every village in one layer, coloured by phase or reason; generated points hollow."""
    villages = plan.villages
    vx, vy = to_display(m, villages["lon"].to_numpy(dtype=float), villages["lat"].to_numpy(dtype=float))
    feats = []
    n = len(villages)
    cov_year = villages["covered_year"] if "covered_year" in villages else pd.Series(np.nan, index=villages.index)
    pinyin = villages["pinyin"] if "pinyin" in villages else pd.Series("", index=villages.index)
    source = villages["point_source"] if "point_source" in villages else pd.Series([""] * n, index=villages.index)
    origin = villages["point_origin"] if "point_origin" in villages else pd.Series([""] * n, index=villages.index)
    states = {"": tr("state.served", language)}
    points: dict[str, str] = {}
    stations: dict[str, str] = {"": "—"}
    for code, name, py, sb, acc, reason, dem, cy, src, org, xi, yi in zip(
        villages.index,
        villages["name"],
        pinyin.fillna(""),
        villages["served_by"].fillna(""),
        villages["access_time_s"],
        villages["reason"].fillna(""),
        villages["demand_parcels"],
        cov_year,
        source.fillna(""),
        origin.fillna(""),
        vx.tolist(),
        vy.tolist(),
    ):
        if not reason:
            colour = phase_colour(int(cy) if pd.notna(cy) else years[0], years)
        else:
            colour = reason_colour(reason)
            states.setdefault(reason, tr("state.unserved", language, reason=reason_name(reason, language)))
        point = f"{src}/{org}" if org and org != src else str(src)
        points.setdefault(point, point_source_name(src, language) + (f" ({org})" if org and org != src else ""))
        stations.setdefault(str(sb), f"{names.get(sb, sb)} ({sb})")
        v = [
            safe_text(name),
            safe_text(py),
            safe_text(code),
            _fmt(dem),
            str(sb),
            _fmt(acc / 60 if np.isfinite(acc) else np.nan),
            "" if pd.isna(cy) else str(int(cy)),
            str(reason),
            point,
        ]
        props: dict[str, Any] = {"v": v, "c": colour}
        if src in HOLLOW_SOURCES:
            props["h"] = 1
        feats.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Point", "coordinates": [round(xi, DIGITS), round(yi, DIGITS)]},
            }
        )
    fields = [
        tr(k, language)
        for k in (
            "f.village",
            "f.pinyin",
            "f.code",
            "f.parcels",
            "f.served_by",
            "f.access",
            "f.covered_since",
            "f.state",
            "f.point",
        )
    ]
    _compact_layer(
        m,
        feats,
        name=tr("layer.villages", language, year=plan.final_year),
        show=True,
        fields=fields,
        tip="{0} — {7}",
        dicts={4: stations, 7: states, 8: points},
        point={"radius": 3, "weight": 0, "fill": True, "fillOpacity": 0.85},
    )


def _route_layers(
    m,
    plan,
    names: Mapping[str, str],
    years: Sequence[int],
    *,
    legs: Sequence[str],
    lastmile_final_only: bool,
    tolerance_deg: float,
    language: str,
) -> None:
    """One layer per year and leg, the final year's shown; earlier last-mile years left out with ``lastmile_final_only``."""
    coords = plan.coords
    by_key: dict[tuple[int, str], list[dict]] = {}
    for r in plan.routes:
        by_key.setdefault((r["year"], r["leg"]), []).append(r)
    for y_ in years:
        for leg in legs:
            rs = by_key.get((y_, leg), [])
            if not rs or (leg == "lastmile" and lastmile_final_only and y_ != plan.final_year):
                continue
            _route_layer(
                m,
                rs,
                names,
                coords,
                name=tr("layer.routes", language, leg=leg_name(leg, language), year=y_),
                show=y_ == plan.final_year,
                tolerance_deg=tolerance_deg,
                language=language,
            )


def _route_layer(
    m,
    routes: Sequence[dict],
    names: Mapping[str, str],
    coords,
    *,
    name: str,
    show: bool,
    tolerance_deg: float,
    language: str,
) -> None:
    per_depot: dict[str, int] = {}
    depots: dict[str, str] = {}
    feats = []
    leg = routes[0]["leg"]
    for r in routes:
        k = per_depot.get(r["depot"], 0)
        per_depot[r["depot"]] = k + 1
        line = _line_coords(m, route_points(r, coords), tolerance_deg)
        if len(line) < 2:
            continue
        stops = sum(1 for s in r["steps"] if s["type"] in ("delivery", "pickup"))
        depots.setdefault(str(r["depot"]), f"{names.get(r['depot'], r['depot'])} ({r['depot']})")
        v = [
            str(r["depot"]),
            safe_text(r["vehicle"]),
            safe_text(r.get("vehicle_type", "")),
            stops,
            _fmt(r["steps"][0].get("load", 0)),
            _fmt(r["distance_m"] / 1000),
            _fmt(r["duration_s"] / 3600, 2),
            _fmt(r.get("co2_kg", 0.0)),
        ]
        feats.append(
            {
                "type": "Feature",
                "properties": {"v": v, "c": route_colour(k)},
                "geometry": {"type": "LineString", "coordinates": encode_line(line)},
            }
        )
    weight, dash = LEG_STYLE[leg]
    fields = [
        tr(k, language)
        for k in ("f.depot", "f.vehicle", "f.vehicle_type", "f.stops", "f.load", "f.distance", "f.duration", "f.co2")
    ]
    style: dict[str, Any] = {"weight": weight, "opacity": 0.85, "fill": False}
    if dash:
        style["dashArray"] = dash
    tip = tr(
        "tip.route",
        language,
        leg=leg_name(leg, language),
        year=routes[0]["year"],
        depot="{0}",
        vehicle="{1}",
        vtype="{2}",
        stops="{3}",
        km="{5}",
    )
    _compact_layer(m, feats, name=name, show=show, style=style, fields=fields, tip=tip, dicts={0: depots})


def _legend(
    m, plan, years: Sequence[int], language: str, *, detail: bool = True, lastmile_final_only: bool = False
) -> None:
    L = language
    sections = [
        (
            tr("lg.sites", L),
            [
                (f"background:{TIER_COLOUR['T0']}", tr("tier.T0", L)),
                (f"background:{TIER_COLOUR['T1']};border-radius:50%", tr("tier.T1", L)),
                (f"background:{TIER_COLOUR['T2']};border-radius:50%", tr("tier.T2", L)),
            ],
        )
    ]
    if detail:
        phase_entries = [
            (
                f"background:{phase_colour(y_, years)};border-radius:50%",
                tr("lg.covered_by" if i == 0 else "lg.covered_in", L, year=y_),
            )
            for i, y_ in enumerate(years)
        ]
        reasons = sorted(set(plan.villages["reason"].fillna("")) - {""})
        reason_entries = [
            (f"background:{reason_colour(r)};border-radius:50%", tr("state.unserved", L, reason=reason_name(r, L)))
            for r in reasons
        ]
        sections.append((tr("lg.villages", L), phase_entries + reason_entries))
        sections.append(
            (
                tr("lg.points", L),
                [
                    ("background:#555;border-radius:50%;width:10px;height:10px", tr("lg.point_surveyed", L)),
                    ("border:1.5px solid #555;border-radius:50%;width:8px;height:8px", tr("lg.point_generated", L)),
                ],
            )
        )
    route_entries = [
        ("border-top:5px solid #555;height:0", leg_name("trunk", L)),
        ("border-top:3px dashed #555;height:0", leg_name("shuttle", L)),
    ]
    if detail:
        text = (
            tr("leg.lastmile_final_only", L, year=plan.final_year)
            if lastmile_final_only
            else tr("leg.lastmile_legend", L)
        )
        route_entries.append(("border-top:2px solid #555;height:0", text))
    sections.append((tr("lg.routes", L), route_entries))
    sections.append(
        (
            tr("lg.coverage", L),
            [
                (f"background:{c}", f"{100 * lo:.0f}–{min(100 * hi, 100):.0f} %")
                for c, lo, hi in zip(COVERAGE_COLOURS, COVERAGE_BINS, COVERAGE_BINS[1:])
            ],
        )
    )
    add_legend(m, sections)


def _city_links(m, plan, city_pages: Mapping[str, str], language: str) -> None:
    """A box with a link to each city's own page (province overview)."""
    from citylogistics.outputs.maps import _macro, js_string

    links = "".join(
        f"<div><a href='{safe_text(href)}' target='_top'>{safe_text(place_label(code))}</a></div>"
        for code, href in city_pages.items()
    )
    el = _macro("""{% macro script(this, kwargs) %}
        (function() {
            var box = L.control({position: 'topright'});
            box.onAdd = function() {
                var div = L.DomUtil.create('div', 'cl-box');
                div.id = 'cl-city-pages';
                div.innerHTML = {{ this.body }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            box.addTo({{ this._parent.get_name() }});
        })();
    {% endmacro %}""")
    el.body = js_string(f"<b>{safe_text(tr('layer.cities', language))}</b>" + links)
    m.add_child(el)


def new_map_for_plan(*, title: str, tiles: str = "OpenStreetMap", language: str = "en"):
    """A new map (canvas renderer) with the plan's title and the attribution of every data source
    (:func:`citylogistics.outputs.i18n.attribution`)."""
    from citylogistics.outputs.i18n import attribution
    from citylogistics.outputs.maps import new_map

    return new_map(tiles=tiles, title=title, attribution=attribution(language), prefer_canvas=True)


def _simplify(pts: Sequence[tuple[float, float]], tolerance_deg: float) -> list[tuple[float, float]]:
    from shapely import LineString

    line = LineString(pts).simplify(tolerance_deg, preserve_topology=False)
    return list(line.coords)
