"""Maps: rendered HTML checked for layers, colours, counts, escaping, the
display datum and self-containment (no CDN), on tiny hand-made plans."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

HOSTILE = '<img src=x onerror="window.__x=1">`${alert(1)}`\\'


def _plan_data():
    import geopandas as gpd
    from shapely.geometry import box

    sites = pd.DataFrame({
        "id": ["T1-330902", "T2-330902001", "T2-330902002"], "tier": ["T1", "T2", "T2"],
        "code": ["330902", "330902001", "330902002"], "name": ["定海区", "城东街道", HOSTILE],
        "lon": [122.10, 122.12, 122.06], "lat": [30.02, 30.03, 30.06], "open_year": [2010.0, 2011.0, 2012.0],
        "county_code": ["330902"] * 3, "city_code": ["330900"] * 3, "pinyin": ["Dinghai", "Chengdong", "X"]})
    rng = np.random.default_rng(0)
    n = 12
    villages = pd.DataFrame({
        "name": [f"村{i}" for i in range(n - 1)] + [HOSTILE], "pinyin": [""] * n,
        "county_code": ["330902"] * n, "city_code": ["330900"] * n,
        "lon": 122.05 + rng.random(n) * 0.1, "lat": 30.0 + rng.random(n) * 0.08,
        "population": [1000] * n, "demand_parcels": [20.0] * n, "pickup_parcels": [1.0] * n,
        "served_by": ["T2-330902001"] * 5 + ["T2-330902002"] * 4 + ["T1-330902"] + ["", ""],
        "access_time_s": [300.0] * 10 + [2500.0, np.inf], "access_km": [3.0] * 10 + [np.inf, np.inf],
        "covered_year": [2011.0] * 5 + [2012.0] * 4 + [2011.0, np.nan, np.nan],
        "reason": [""] * 10 + ["budget", "unreachable"], "point_source": ["generated"] * n,
    }, index=pd.Index([f"33090200{i:04d}" for i in range(n)], name="code"))
    coords = {"T0-330900": (122.2, 30.0)}
    coords.update({sid: (x, y) for sid, x, y in zip(sites["id"], sites["lon"], sites["lat"])})
    coords.update({c: (x, y) for c, x, y in zip(villages.index, villages["lon"], villages["lat"])})

    def route(year, leg, depot, stops, vehicle=0, geometry=True):
        ids = [depot] + stops + [depot]
        steps = [{"type": "start" if i == 0 else "end" if i == len(ids) - 1 else "delivery", "id": s,
                  "load": 1.0, "arrival_s": 0.0, "distance_m": 0.0} for i, s in enumerate(ids)]
        r = {"vehicle": vehicle, "depot": depot, "capacity": 100, "distance_m": 5000.0, "duration_s": 900.0,
             "steps": steps, "vehicle_type": "van", "co2_kg": 1.0, "leg": leg, "year": year, "city": "330900"}
        if geometry:  # a bent path, as along a road network
            pts = [coords[s] for s in ids]
            r["geometry"] = [p for a, b in zip(pts, pts[1:]) for p in (a, ((a[0] + b[0]) / 2, a[1]))] + [pts[-1]]
        return r

    routes = [route(2011, "trunk", "T0-330900", ["T1-330902"]),
              route(2012, "trunk", "T0-330900", ["T1-330902"]),
              route(2012, "shuttle", "T1-330902", ["T2-330902001", "T2-330902002"]),
              route(2012, "lastmile", "T2-330902001", list(villages.index[:3])),
              route(2012, "lastmile", "T2-330902001", list(villages.index[3:5]), vehicle=1),
              route(2012, "lastmile", "T2-330902002", list(villages.index[5:9]), geometry=False)]
    kpis = pd.DataFrame([
        {"year": y, "scope": s, "villages": 12, "villages_covered": c, "villages_served": c,
         "population_covered_share": c / 12, "cost_cny": 1e6 * (y - 2010), "vehicle_km": 100.0, "co2_kg": 10.0}
        for y, c in ((2011, 6), (2012, 10)) for s in ("city", "county:330902")])
    counties = gpd.GeoDataFrame({"name": ["定海区"]}, geometry=[box(122.0, 29.95, 122.25, 30.1)],
                                index=pd.Index(["330902"], name="adcode"), crs="EPSG:4326")
    return sites, villages, routes, coords, kpis, counties


@pytest.fixture(scope="module")
def data():
    return _plan_data()


def _plan(data, tiles="none"):
    from citylogistics.planner.coverage_plan import CoveragePlan, PlanInfo

    sites, villages, routes, coords, kpis, counties = data
    info = PlanInfo(title=HOSTILE, city="330900", cities=("330900",), years=(2011, 2012), seed=0,
                    coverage_limit_s=1800.0, tiles=tiles, hubs=(("330900", "舟山市", *coords["T0-330900"]),))
    return CoveragePlan(info=info, sites=sites, villages=villages, routes=tuple(routes), kpis=kpis, siting={},
                        unassigned=())


def _map(data, tiles="none", **kw):
    from citylogistics.outputs.plan_map import map_plan

    return map_plan(_plan(data, tiles), county_polygons=data[5], **kw)


@pytest.fixture(scope="module")
def html(data):
    from citylogistics.outputs.maps import render_map

    return render_map(_map(data))


def _body(html: str) -> str:
    """The page without the inlined Leaflet library."""
    from citylogistics.outputs.maps import leaflet_assets

    return html.replace(leaflet_assets()[0], "")


def _layers(html: str) -> dict[str, dict]:
    """Each compact layer of the page by its layer-control name: its features and options."""
    body = _body(html)
    names = dict((v, k) for k, v in re.findall(r'"([^"]+)" : (geo_json_\w+|feature_group_\w+)', body))
    out = {}
    for var, data, opts in re.findall(r"var (geo_json_\w+) = \(function.*?\}\)\((\{\"type\":\"FeatureCollection\".*?\}), "
                                      r"(\{\"style\".*?\})\);\n", body, flags=re.S):
        out[names[var]] = {"features": json.loads(data)["features"], "opts": json.loads(opts),
                           "shown": f"{var}.addTo(" in body}
    return out


def test_layers_per_tier_phase_and_year(html):
    names = re.findall(r'"([^"]+)" : (?:geo_json|feature_group)_', html)
    assert names == ["County coverage 2011", "County coverage 2012", "Service areas 2012", "T3 villages (2012)",
                     "trunk routes 2011", "trunk routes 2012", "shuttle routes 2012", "lastmile routes 2012",
                     "T0 city hubs", "T1 county hubs existing", "T2 town stations opened 2011",
                     "T2 town stations opened 2012"]
    assert "L.control.layers(" in html
    layers = _layers(html)
    # the final year is drawn when the page opens; earlier years are one click away
    assert layers["trunk routes 2012"]["shown"] and not layers["trunk routes 2011"]["shown"]
    assert layers["County coverage 2012"]["shown"] and not layers["County coverage 2011"]["shown"]


def test_features_counted_and_canvas(html, data):
    sites, villages, routes, *_ = data
    layers = _layers(html)
    body = _body(html)
    assert "preferCanvas\": true" in body.replace(" ", " ") or '"preferCanvas": true' in body
    opened = sites[sites["tier"].isin(["T1", "T2"])]
    assert sum(len(v["features"]) for k, v in layers.items() if k.startswith(("T1", "T2"))) == len(opened)
    assert body.count("L.marker(") == 1  # the T0 hub, as a divIcon
    assert sum(len(v["features"]) for k, v in layers.items() if " routes " in k) == len(routes)
    assert len(layers["T3 villages (2012)"]["features"]) == len(villages)
    assert "L.polyline(" not in body and body.count("bindPopup(\"") == 1  # no per-feature script but the hub


def _points(geometry: dict) -> list:
    """Every (lon, lat) of a GeoJSON geometry (a route line's encoded string decoded)."""
    from citylogistics.outputs.plan_map import decode_line

    c = geometry["coordinates"]
    if isinstance(c, str):
        return decode_line(c)
    depth = {"Point": 0, "LineString": 1, "Polygon": 2, "MultiPolygon": 3}[geometry["type"]]
    pts = [c]
    for _ in range(depth):
        pts = [p for part in pts for p in part]
    return pts


def test_coordinates_rounded_to_about_a_metre(html):
    n = 0
    for layer in _layers(html).values():
        for f in layer["features"]:
            for x, y in _points(f["geometry"]):
                assert round(x, 5) == pytest.approx(x, abs=1e-12) and round(y, 5) == pytest.approx(y, abs=1e-12)
                n += 1
    assert n > 50


def test_encoded_lines_round_trip():
    from citylogistics.outputs.plan_map import decode_line, encode_line

    line = [[120.12345, 30.5], [120.12346, 30.49999], [119.0, 31.00001], [122.54321, 27.1]]
    got = decode_line(encode_line(line))
    assert len(got) == len(line)
    assert all(p == pytest.approx(q, abs=1e-9) for p, q in zip(got, line))


def test_route_lines_follow_geometry_and_colours(html, data):
    from citylogistics.outputs.maps import route_colour

    routes = data[2]
    layers = _layers(html)
    lines = [f for k, v in layers.items() if " routes " in k for f in v["features"]]
    by_len = sorted(len(_points(f["geometry"])) for f in lines)
    # routes with a road geometry keep its bends (more points than stops); the one without goes through its stops
    expected = sorted(len({tuple(p) for p in r["geometry"]}) if "geometry" in r else len(r["steps"]) - 1
                      for r in routes)
    assert all(a >= b - 1 for a, b in zip(by_len, expected)) and max(by_len) > max(len(r["steps"]) for r in routes)
    colours = {f["properties"]["c"] for f in layers["lastmile routes 2012"]["features"]}
    assert {route_colour(0), route_colour(1)} <= colours  # two vehicles of one depot get two colours
    assert layers["shuttle routes 2012"]["opts"]["style"]["dashArray"] == "8 4"


def test_villages_coloured_by_phase_reason_and_point_source(html, data):
    from citylogistics.outputs.plan_map import PHASE_COLOURS, REASON_COLOURS

    body = _body(html)
    for colour in (PHASE_COLOURS[0], PHASE_COLOURS[1], REASON_COLOURS["budget"], REASON_COLOURS["unreachable"]):
        assert colour in body
    assert "unserved: budget" in body and "unserved: unreachable" in body
    feats = _layers(html)["T3 villages (2012)"]["features"]
    opts = _layers(html)["T3 villages (2012)"]["opts"]
    assert opts["fields"][-1] == "point"
    assert all(f["properties"]["v"][-1].startswith("generated") for f in feats)
    assert all(f["properties"].get("h") == 1 for f in feats)  # generated points are hollow
    assert "generated point (hollow)" in body and "surveyed point (filled)" in body


def test_surveyed_points_are_filled(data):
    from citylogistics.outputs.maps import render_map

    sites, villages, *rest = data
    v = villages.copy()
    v["point_source"] = ["surveyed"] * 6 + ["generated"] * (len(v) - 6)
    feats = _layers(render_map(_map((sites, v, *rest))))["T3 villages (2012)"]["features"]
    assert [f["properties"].get("h") for f in feats] == [None] * 6 + [1] * (len(v) - 6)
    assert [f["properties"]["v"][-1].split(" ")[0] for f in feats][:6] == ["surveyed"] * 6


def test_chinese_map_has_chinese_layers_and_legend(data):
    from citylogistics.outputs.maps import render_map
    from citylogistics.outputs.plan_map import map_plan

    html = render_map(map_plan(_plan(data), county_polygons=data[5], language="zh"))
    names = [json.loads(f'"{n}"') for n in re.findall(r'"([^"]+)" : (?:geo_json|feature_group)_', html)]
    assert "T0 市级枢纽" in names and "末端路线 2012" in names and "县域覆盖率 2012" in names
    assert "县域人口覆盖率" in html and "实测坐标（实心）" in html and "数据来源" in html
    assert "county population coverage" not in html and "lastmile routes" not in html


def test_province_overview_links_city_pages(data):
    from citylogistics.outputs.maps import render_map
    from citylogistics.outputs.plan_map import map_plan

    html = render_map(map_plan(_plan(data), county_polygons=data[5], detail=False,
                               city_pages={"330900": "cities/zhoushan.html"}))
    names = re.findall(r'"([^"]+)" : (?:geo_json|feature_group)_', html)
    assert not any(n.startswith(("T3 villages", "lastmile", "Service areas")) for n in names)
    assert "trunk routes 2012" in names and "shuttle routes 2012" in names
    assert "cities/zhoushan.html" in html and "舟山市 Zhoushan (330900)" in html


def test_choropleth_legend_attribution(html):
    from citylogistics.outputs.plan_map import coverage_colour

    assert coverage_colour(10 / 12) in html and coverage_colour(6 / 12) in html
    assert "cl-legend" in html and "county population coverage" in html
    for source in ("GeoNames", "CC BY 4.0", "Vonng/adcode", "OpenStreetMap", "ODbL", "NBS", "census"):
        assert source in html, source
    assert "fitBounds" in html


def test_service_areas_contain_their_villages(data):
    from shapely.geometry import Point

    from citylogistics.outputs.geometry import service_areas

    sites, villages = data[0], data[1]
    areas = service_areas(sites, villages).set_index("id")
    for code, v in villages.iterrows():
        if v["served_by"]:
            assert areas.at[v["served_by"], "geometry"].contains(Point(v["lon"], v["lat"])), code
    assert areas.at["T2-330902001", "villages"] == 5


def test_every_data_text_is_escaped(html):
    assert HOSTILE not in html
    assert "<img src=x" not in html
    assert "${alert" not in html
    assert "&lt;img src=x onerror=&quot;window.__x=1&quot;&gt;" in html


def test_self_contained_no_cdn(html):
    assert "<script src=" not in html.replace(" ", "").replace("<scriptsrc", "<script src")
    assert not re.search(r"<link[^>]+stylesheet", html)
    assert "cdn.jsdelivr" not in html and "code.jquery.com" not in html
    assert "Leaflet 1.9.4" in html
    assert "$(`" not in html  # no jQuery popups


def test_deterministic_render(data, html):
    from citylogistics.outputs.maps import render_map

    assert render_map(_map(data)) == html


def test_gcj02_display_only(data):
    from citylogistics.geo import wgs84_to_gcj02
    from citylogistics.outputs.maps import TILE_PROVIDERS, TILES, render_map

    assert "gaode" in TILES and TILE_PROVIDERS["gaode"].datum == "GCJ-02"
    sites = data[0].copy()
    before = sites.copy()
    html = render_map(_map(data, tiles="gaode"))
    assert "autonavi.com" in html
    x, y = wgs84_to_gcj02(122.2, 30.0)
    hub = json.loads(re.search(r"L\.marker\(\s*(\[.*?\])", _body(html), flags=re.S).group(1))
    assert hub == pytest.approx([float(y), float(x)], abs=1e-9)
    assert abs(hub[1] - 122.2) > 0.003  # about 500 m east in Zhejiang
    line = _points(_layers(html)["trunk routes 2012"]["features"][0]["geometry"])
    assert [122.2, 30.0] not in line and len(line) >= 2
    pd.testing.assert_frame_equal(data[0], before)  # data stays WGS-84


def test_unknown_tiles_rejected():
    from citylogistics.outputs.maps import new_map

    with pytest.raises(ValueError, match="gaode"):
        new_map(tiles="google")


def test_map_routes_counts_and_escaping():
    from citylogistics.outputs.maps import map_routes, render_map

    plan = {"routes": [{"vehicle": 0, "depot": "H", "capacity": 10, "distance_m": 1000, "duration_s": 100,
                        "steps": [{"type": "start", "id": "H", "load": 2}, {"type": "delivery", "id": "a", "load": 1},
                                  {"type": "delivery", "id": "b", "load": 0}, {"type": "end", "id": "H", "load": 0}]}],
            "unassigned": [{"id": "c", "reason": "capacity"}]}
    pts = {"H": {"lon": 120.1, "lat": 30.2, "name": "hub", "kind": "depot"},
           "a": {"lon": 120.2, "lat": 30.3, "name": HOSTILE}, "b": {"lon": 120.3, "lat": 30.3, "name": "b"},
           "c": {"lon": 120.25, "lat": 30.25, "name": "c"}}
    paths = {("H", "a"): [(120.1, 30.2), (120.15, 30.2), (120.2, 30.3)]}
    html = _body(render_map(map_routes(plan, pts, paths=paths, tiles="none", title=HOSTILE)))
    assert html.count("L.circleMarker(") == 3 and html.count("L.polyline(") == 1 and html.count("L.marker(") == 1
    line = json.loads(re.search(r"L\.polyline\(\s*(\[\[.*?\]\])", html, flags=re.S).group(1))
    assert [30.2, 120.15] in line and len(line) == 5  # along the path where one exists
    assert HOSTILE not in html


def test_many_last_mile_routes_keep_only_the_final_year_and_say_so(data):
    """Above max_lastmile_routes (all years), the page carries only the final year's last-mile routes and its
    legend says where the others are; below it, every year's are layers."""
    from citylogistics.outputs.maps import render_map
    from citylogistics.outputs.plan_map import map_plan

    sites, villages, routes, coords, kpis, counties = data
    early = dict(routes[3], year=2011)
    plan = _plan((sites, villages, (*routes, early), coords, kpis, counties))
    few = render_map(map_plan(plan, county_polygons=counties))
    many = render_map(map_plan(plan, county_polygons=counties, max_lastmile_routes=2))
    assert {"lastmile routes 2011", "lastmile routes 2012"} <= set(_layers(few))
    assert "lastmile routes 2012" in _layers(many) and "lastmile routes 2011" not in _layers(many)
    assert "2012 only; every year in plan.gpkg" in many and "every year in plan.gpkg" not in few
    assert "trunk routes 2011" in _layers(many)  # only the last mile is thinned
