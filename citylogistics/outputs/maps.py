"""Folium maps of plans, self-contained and safe to open offline.

Three rules hold for every map this module makes:

- **No CDN.** Folium's default page loads Leaflet, jQuery, Bootstrap and Font
  Awesome from CDNs, which are unreachable offline.  :func:`new_map` drops
  them and inlines Leaflet 1.9.4 (vendored in ``citylogistics/data/leaflet``,
  BSD-2), and the helpers here use only core Leaflet (``L.circleMarker``,
  ``L.polyline``, ``L.marker`` with ``L.divIcon``, ``L.geoJson``); popups and
  tooltips are bound with :func:`bind_info` instead of folium's jQuery popups.
- **Escaped text.** Every text that comes from data or a scenario (place names,
  titles, layer names) goes through :func:`safe_text` (HTML-escaped, then
  JSON-encoded into the script by Jinja's ``tojson``), so it can never become
  markup or script.
- **WGS-84 inside, display datum at the edge.** Data stays WGS-84.  With the
  ``"gaode"`` tiles (GCJ-02) every coordinate is shifted by
  :func:`citylogistics.geo.wgs84_to_gcj02` when it is drawn
  (:func:`to_display`), never before.

Folium is imported inside the functions, so importing citylogistics stays
light.  The rendered page is deterministic: folium's random element ids are
renumbered in order of appearance (:func:`render_map`).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import html
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np

# A qualitative palette with enough contrast on OpenStreetMap tiles.
ROUTE_COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#3182bd",
    "#e6550d",
    "#31a354",
    "#756bb1",
    "#636363",
)


@dataclasses.dataclass(frozen=True)
class TileProvider:
    """A background tile source: URL template, attribution and datum of its tiles."""

    name: str
    url: str | None
    attribution: str
    datum: str = "WGS-84"
    subdomains: str = "abc"
    max_zoom: int = 19


#: Background tile choices (the scenario's ``[map] tiles``), the source of truth.
TILE_PROVIDERS: Mapping[str, TileProvider] = {
    "OpenStreetMap": TileProvider(
        "OpenStreetMap",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    ),
    "none": TileProvider("none", None, ""),
    "gaode": TileProvider(
        "gaode",
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "Tiles &copy; AutoNavi (高德地图), GCJ-02; overlays shifted from WGS-84 for display",
        datum="GCJ-02",
        subdomains="1234",
        max_zoom=18,
    ),
}
TILES = tuple(TILE_PROVIDERS)

_DATUM_ATTR = "_citylogistics_datum"


def safe_text(value: Any) -> str:
    """Escape ``value`` for HTML and for a JavaScript template literal."""
    text = html.escape(str(value), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def route_colour(i: int) -> str:
    return ROUTE_COLOURS[i % len(ROUTE_COLOURS)]


@functools.cache
def leaflet_assets() -> tuple[str, str]:
    """(leaflet.js, leaflet.css) of the vendored Leaflet, images inlined as data URIs."""
    base = resources.files("citylogistics") / "data" / "leaflet"
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        png = (base / "images" / match.group(1)).read_bytes()
        return "url(data:image/png;base64," + base64.b64encode(png).decode("ascii") + ")"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)
    # A literal "</" inside an inline <script> would end it early.
    return js.replace("</", "<\\/"), css


@functools.lru_cache(maxsize=64)
def _macro_class(template: str):
    """One element class per template text: compiling a jinja template per map
    element took most of the time of writing a city's map."""
    from branca.element import MacroElement
    from jinja2 import Template

    class _Macro(MacroElement):
        _template = Template(template)

    return _Macro


def _macro(template: str):
    return _macro_class(template)()


def new_map(
    *,
    tiles: str = "OpenStreetMap",
    title: str | None = None,
    attribution: str | None = None,
    prefer_canvas: bool = False,
):
    """An empty, self-contained folium map with an escaped title and data attribution.

    Parameters
    ----------
    tiles
        One of :data:`TILES`: ``"OpenStreetMap"``, ``"none"`` (no background,
        for offline use) or ``"gaode"`` (AutoNavi tiles in GCJ-02; overlays are
        shifted at display time).
    title
        Shown at the top of the map (escaped).
    attribution
        Data attribution shown at the bottom (escaped).
    prefer_canvas
        Draw vector layers on one canvas (Leaflet's canvas renderer) instead
        of one SVG element each: much faster with thousands of features.

    Returns
    -------
    folium.Map
    """
    import folium

    if tiles not in TILE_PROVIDERS:
        raise ValueError(f"tiles must be one of {TILES}, got {tiles!r}")
    provider = TILE_PROVIDERS[tiles]
    m = folium.Map(location=(29.2, 120.2), zoom_start=8, tiles=None, control_scale=True, prefer_canvas=prefer_canvas)
    # Instance attributes shadow folium's CDN lists: the page loads nothing from the network.
    m.default_js = []
    m.default_css = []
    setattr(m, _DATUM_ATTR, provider.datum)
    js, css = leaflet_assets()
    root: Any = m.get_root()  # a folium Figure (its stub says Element, which has no header/html)
    root.header.add_child(folium.Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    root.header.add_child(folium.Element(f"<script>{js}</script>"), name="leaflet_js_inline")
    root.header.add_child(
        folium.Element(
            "<style>.cl-box{background:rgba(255,255,255,.92);padding:4px 10px;border-radius:4px;"
            "box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px sans-serif}"
            ".cl-info th{text-align:left;padding-right:6px}.cl-legend i{display:inline-block;width:18px;"
            "height:10px;margin-right:6px;vertical-align:middle}"
            ".leaflet-control-attribution{max-width:65vw;font-size:10px}</style>"
        ),
        name="citylogistics_css",
    )
    # The map object as window.clMap, for tests and benchmarks that inspect the drawn layers.
    m.add_child(_macro("{% macro script(this, kwargs) %}window.clMap = {{ this._parent.get_name() }};{% endmacro %}"))
    if provider.url is not None:
        folium.TileLayer(
            provider.url,
            attr=provider.attribution,
            name=f"tiles: {provider.name}",
            subdomains=provider.subdomains,
            max_zoom=provider.max_zoom,
            control=False,
        ).add_to(m)
    if title:
        root.html.add_child(
            folium.Element(
                '<div id="cl-title" class="cl-box" style="position:fixed;top:8px;left:50px;z-index:900;'
                f'font-size:16px">{safe_text(title)}</div>'
            )
        )
    if attribution:
        # Leaflet's own attribution control (bottom right), next to the tiles' credit.
        el = _macro("""{% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text }});
        {% endmacro %}""")
        el.text = js_string(f'<span id="cl-attribution">{safe_text(attribution)}</span>')
        m.add_child(el)
    return m


def datum_of(m) -> str:
    """The datum coordinates are drawn in on ``m`` (``"WGS-84"`` or ``"GCJ-02"``)."""
    return getattr(m, _DATUM_ATTR, "WGS-84")


def to_display(m, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 (lon, lat) arrays in the datum ``m`` draws in (a copy; data is not touched)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if datum_of(m) == "GCJ-02":
        from citylogistics.geo import wgs84_to_gcj02

        lon, lat = wgs84_to_gcj02(lon, lat)
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return lon.copy(), lat.copy()


def latlon_path(m, points: Sequence[tuple[float, float]], *, digits: int = 6) -> list[list[float]]:
    """[(lon, lat), ...] in WGS-84 → [[lat, lon], ...] in the display datum, rounded, no repeats."""
    if len(points) == 0:
        return []
    arr = np.asarray(points, dtype=float).reshape(-1, 2)
    x, y = to_display(m, arr[:, 0], arr[:, 1])
    out: list[list[float]] = []
    for a, b in zip(np.round(y, digits).tolist(), np.round(x, digits).tolist()):
        if not out or out[-1] != [a, b]:
            out.append([a, b])
    return out


def js_string(value: Any) -> str:
    """``value`` as a JavaScript string literal that is safe inside an inline
    ``<script>`` (``<``, ``>``, ``&`` and line separators escaped); non-ASCII
    text stays readable."""
    text = json.dumps(str(value), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def info_html(fields: Mapping[str, Any]) -> str:
    """A small escaped key/value table for a popup."""
    rows = "".join(f"<tr><th>{safe_text(k)}</th><td>{safe_text(v)}</td></tr>" for k, v in fields.items())
    return f'<table class="cl-info">{rows}</table>'


def bind_info(
    layer, *, tooltip: str | None = None, popup: Mapping[str, Any] | None = None, max_width_px: int = 320
) -> None:
    """Bind an escaped tooltip (plain text) and popup (key/value table) to a folium layer.

    Uses Leaflet's ``bindTooltip``/``bindPopup`` with JSON-encoded strings, not
    folium's ``Popup`` (which needs jQuery).
    """
    parts = []
    if tooltip is not None:
        parts.append("{{ this._parent.get_name() }}.bindTooltip({{ this.tip }}, {sticky: true});")
    if popup is not None:
        parts.append("{{ this._parent.get_name() }}.bindPopup({{ this.pop }}, {maxWidth: {{ this.width|tojson }}});")
    if not parts:
        return
    el = _macro("{% macro script(this, kwargs) %}" + "\n".join(parts) + "{% endmacro %}")
    el.tip = js_string(safe_text(tooltip)) if tooltip is not None else None
    el.pop = js_string(info_html(popup)) if popup is not None else None
    el.width = int(max_width_px)
    layer.add_child(el)


def add_legend(m, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]], *, position: str = "bottomright") -> None:
    """A legend control: ``sections`` = [(heading, [(css swatch style, label), ...]), ...]; text escaped."""
    body = []
    for heading, entries in sections:
        body.append(f"<div style='font-weight:bold;margin-top:4px'>{safe_text(heading)}</div>")
        for style, label in entries:
            body.append(f'<div><i style="{safe_text(style)}"></i>{safe_text(label)}</div>')
    el = _macro("""{% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function() {
                var div = L.DomUtil.create('div', 'cl-box cl-legend');
                div.id = 'cl-legend';
                div.innerHTML = {{ this.body }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
    {% endmacro %}""")
    el.position = position
    el.body = js_string("".join(body))
    m.add_child(el)


def fit_to(m, lon, lat) -> None:
    """Fit the view to WGS-84 points (in the display datum).

    Also centres the map on them, and fits only once the map has a size: a map
    inside a hidden or not-yet-laid-out frame has none, and Leaflet's
    ``fitBounds`` would then compute an invalid (NaN) view.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return
    x, y = to_display(m, lon[ok], lat[ok])
    bounds = [[float(y.min()), float(x.min())], [float(y.max()), float(x.max())]]
    m.location = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    el = _macro("""{% macro script(this, kwargs) %}
        (function(map, bounds) {
            function fit() {
                var size = map.getSize();
                if (size.x > 0 && size.y > 0) {
                    map.fitBounds(bounds, {padding: [20, 20]});
                    return true;
                }
                return false;
            }
            if (!fit()) {
                map.once('resize', fit);
            }
        })({{ this._parent.get_name() }}, {{ this.bounds|tojson }});
    {% endmacro %}""")
    el.bounds = bounds
    m.add_child(el)


def depot_icon(colour: str = "black", size_px: int = 14):
    """A square ``L.divIcon`` marker (core Leaflet, no icon font)."""
    import folium

    half = size_px // 2
    return folium.DivIcon(
        html=f'<div style="width:{size_px}px;height:{size_px}px;background:{safe_text(colour)};'
        'border:2px solid white;box-shadow:0 0 3px #000"></div>',
        icon_size=(size_px, size_px),
        icon_anchor=(half, half),
        class_name="cl-depot",
    )


def map_routes(
    plan: Mapping[str, Any],
    points: Mapping[str, Mapping[str, Any]],
    *,
    paths: Mapping[tuple[str, str], Sequence[tuple[float, float]]] | None = None,
    m=None,
    tiles: str = "OpenStreetMap",
    title: str | None = None,
    attribution: str | None = None,
):
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
        One ``L.circleMarker`` per stop point, one ``L.polyline`` per route
        with at least two points, one ``L.marker`` per depot.
    """
    import folium

    if m is None:
        m = new_map(tiles=tiles, title=title, attribution=attribution)
    depots, stops = _stop_layers(m, plan, points)
    _route_lines(m, plan, points, paths or {}).add_to(m)
    stops.add_to(m)
    depots.add_to(m)
    add_legend(
        m,
        [
            ("routes", [(f"background:{route_colour(0)};height:4px", "one colour per vehicle")]),
            (
                "stops",
                [
                    ("background:#3388ff;border-radius:50%", "served"),
                    ("background:#fff;border:1px solid #000;border-radius:50%", "unassigned"),
                    ("background:#000", "depot"),
                ],
            ),
        ],
    )
    folium.LayerControl(collapsed=False).add_to(m)
    fit_to(m, [float(p["lon"]) for p in points.values()], [float(p["lat"]) for p in points.values()])
    return m


def _stop_layers(m, plan: Mapping[str, Any], points: Mapping[str, Mapping[str, Any]]):
    """(depot layer, stop layer): a marker per depot, a circle per stop (unassigned ones white, with the reason)."""
    import folium

    depots = folium.FeatureGroup(name="Depots", show=True)
    stops = folium.FeatureGroup(name="Stops", show=True)
    unassigned_ids = {u["id"]: u["reason"] for u in plan.get("unassigned", [])}
    served_by: dict[str, str] = {}
    for r in plan.get("routes", []):
        for s in r["steps"]:
            if s["type"] in ("delivery", "pickup"):
                served_by[s["id"]] = str(r["vehicle"])
    ids = list(points)
    dx, dy = to_display(m, [float(points[p]["lon"]) for p in ids], [float(points[p]["lat"]) for p in ids])
    for pid, x, y in zip(ids, dx.tolist(), dy.tolist()):
        p = points[pid]
        fields = {"name": p.get("name", pid), "id": pid}
        fields.update({k: v for k, v in p.items() if k not in ("lon", "lat", "name", "kind")})
        if p.get("kind") == "depot":
            mk = folium.Marker((y, x), icon=depot_icon())
            bind_info(mk, tooltip=str(p.get("name", pid)), popup=fields)
            mk.add_to(depots)
            continue
        if pid in unassigned_ids:
            fields["unassigned"] = unassigned_ids[pid]
            colour = "#000000"
        else:
            fields["served by"] = served_by.get(pid, "")
            colour = "#444444"
        cm = folium.CircleMarker(
            (y, x),
            radius=5,
            color=colour,
            weight=1,
            fill=True,
            fill_color="#ffffff" if pid in unassigned_ids else "#3388ff",
            fill_opacity=0.9,
        )
        bind_info(cm, tooltip=str(p.get("name", pid)), popup=fields)
        cm.add_to(stops)
    return depots, stops


def _route_lines(
    m,
    plan: Mapping[str, Any],
    points: Mapping[str, Mapping[str, Any]],
    paths: Mapping[tuple[str, str], Sequence[tuple[float, float]]],
):
    """One coloured line per route, along ``paths`` where a leg has one, else straight."""
    import folium

    layer = folium.FeatureGroup(name="Routes", show=True)
    for i, r in enumerate(plan.get("routes", [])):
        step_ids = [s["id"] for s in r["steps"]]
        coords: list[tuple[float, float]] = []
        for a, b in itertools.pairwise(step_ids):
            leg = paths.get((a, b))
            if leg is None:
                leg = [(points[a]["lon"], points[a]["lat"]), (points[b]["lon"], points[b]["lat"])]
            seg = [(float(x), float(y)) for x, y in leg]
            coords.extend(seg if not coords else seg[1:])
        line = latlon_path(m, coords)
        if len(line) < 2:
            continue
        label = (
            f"route {r['vehicle']}: {len(step_ids) - 2} stops, {r['distance_m'] / 1000:.1f} km, "
            f"load {r['steps'][0]['load']:g}/{r['capacity']:g}"
        )
        pl = folium.PolyLine(line, color=route_colour(i), weight=4, opacity=0.85)
        bind_info(
            pl,
            tooltip=label,
            popup={
                "vehicle": r["vehicle"],
                "depot": r["depot"],
                "distance km": round(r["distance_m"] / 1000, 1),
                "duration h": round(r["duration_s"] / 3600, 2),
                "stops": len(step_ids) - 2,
            },
        )
        pl.add_to(layer)
    return layer


_FOLIUM_ID = re.compile(r"\b([a-z][a-z0-9_]*?)_([0-9a-f]{32})(?![0-9a-zA-Z])")


def render_map(m) -> str:
    """The map's HTML page, with folium's random element ids renumbered in order
    of appearance so the same map always renders to the same bytes."""
    text = m.get_root().render()
    ids: dict[str, str] = {}

    def renumber(match: re.Match) -> str:
        new = ids.setdefault(match.group(2), f"{len(ids) + 1:032x}")
        return f"{match.group(1)}_{new}"

    return _FOLIUM_ID.sub(renumber, text)


def save_map(m, path) -> None:
    """Render ``m`` (deterministically) and write it atomically."""
    from citylogistics.fileio import atomic_write_text

    atomic_write_text(path, render_map(m))


def iframe_html(page: str, *, element_id: str = "", title: str = "map", style: str = "") -> str:
    """``page`` (a whole HTML document, e.g. a rendered map) embedded as a
    sandboxed ``<iframe srcdoc>``: its scripts run, but in an opaque origin.
    The one place the report and the notebook display embed a map."""
    import html

    attrs = "".join(
        f" {name}='{html.escape(value, quote=True)}'"
        for name, value in (("id", element_id), ("title", title), ("style", style))
        if value
    )
    return f"<iframe sandbox='allow-scripts'{attrs} srcdoc=\"{html.escape(page, quote=True)}\"></iframe>"
