"""Orders (issue 17): reading order lists, the routing problem they make, the
independent plan check, the outputs of ``citylogistics route`` and determinism.

Fixtures: tests/data/orders (synthetic); a real LaDe region read from
../shared/data/lade (research-use data, never copied here; missing data fails).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from citylogistics.cli import build_parser
from citylogistics.errors import InputError
from citylogistics.geo import haversine_m, wgs84_to_gcj02
from citylogistics.routing.orders import (Depot, OrdersProblem, OrderVehicle, check_plan, format_clock, parse_depot,
                                  parse_shift, read_depots, read_orders)
from citylogistics.scenario.orders_run import KPI_FIELDS, SCHEDULE_FIELDS, OrdersSection, route_orders

from conftest import ROOT, shared_path

DATA = ROOT / "tests" / "data" / "orders"
OSM = ROOT / "tests" / "data" / "osm" / "small.osm"
DEPOT = Depot("hub", 120.1050, 30.2500)


def _problem(orders, *, network=None, depots=(DEPOT,), vehicles=None, **kw) -> OrdersProblem:
    vehicles = vehicles or (OrderVehicle(name="e-bike", count=4, capacity_parcels=6, speed_kmh=15.0),)
    return OrdersProblem(orders, depots, vehicles, network=network, **kw)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
def test_clock_times_defaults_and_kinds():
    ol = read_orders(DATA / "basic.csv", default_service_s=45)
    o = ol.by_id()
    assert [x.id for x in ol] == ["A1", "A2", "A3", "A4", "A5", "A6"]
    assert ol.day is None
    assert (o["A1"].tw_start_s, o["A1"].tw_end_s, o["A1"].service_s) == (9 * 3600, 11 * 3600, 120)
    assert (o["A2"].kind, o["A2"].tw_end_s) == ("pickup", 12.5 * 3600)
    assert (o["A3"].demand_parcels, o["A3"].kind, o["A3"].tw_start_s, o["A3"].tw_end_s, o["A3"].service_s) == \
        (1.0, "delivery", None, None, 45)
    assert o["A4"].kind == "delivery" and o["A4"].service_s == 45
    assert o["A6"].tw_start_s is None and o["A6"].tw_end_s == 16 * 3600
    assert [x.line for x in ol] == [2, 3, 4, 5, 6, 7]


def test_iso_datetimes_across_midnight_count_from_the_earliest_day():
    ol = read_orders(DATA / "iso_midnight.csv")
    o = ol.by_id()
    assert ol.day.isoformat() == "2022-06-07"
    assert (o["N1"].tw_start_s, o["N1"].tw_end_s) == (22 * 3600, 86400 + 1800)
    assert (o["N2"].tw_start_s, o["N2"].tw_end_s) == (86400 + 3600, 86400 + 3 * 3600)
    assert (o["N3"].tw_start_s, o["N3"].tw_end_s) == (23 * 3600, 23 * 3600 + 59 * 60)  # clock times: that day
    assert format_clock(o["N1"].tw_end_s) == "24:30:00"


def test_column_mapping_reads_another_systems_file():
    ol = read_orders(DATA / "mapped.csv", columns={"id": "order_no", "lon": "lng", "demand": "parcels",
                                                   "tw_start": "start", "tw_end": "end"})
    assert [(x.id, x.lon, x.demand_parcels, x.tw_start_s) for x in ol] == [
        ("M1", 120.1010, 2.0, 9 * 3600), ("M2", 120.1080, 1.0, 10 * 3600)]
    with pytest.raises(InputError, match=r"mapped\.csv: header: has no column 'id'"):
        read_orders(DATA / "mapped.csv")
    with pytest.raises(InputError, match="columns: .*'lng'.*did you mean 'lon'"):
        read_orders(DATA / "mapped.csv", columns={"lng": "lng"})


def test_gcj02_points_are_converted_to_wgs84(tmp_path):
    wgs = read_orders(DATA / "basic.csv")
    path = tmp_path / "gcj.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "lon", "lat"])
        for o in wgs:
            w.writerow([o.id, *(f"{v:.9f}" for v in wgs84_to_gcj02(o.lon, o.lat))])
    gcj = read_orders(path, crs="gcj02")
    shift = haversine_m(*wgs84_to_gcj02(wgs.orders[0].lon, wgs.orders[0].lat), wgs.orders[0].lon, wgs.orders[0].lat)
    assert shift > 300  # the datum shift is real in Hangzhou…
    for a, b in zip(wgs, gcj):  # …and undone on reading
        assert haversine_m(a.lon, a.lat, b.lon, b.lat) < 0.01
    d = parse_depot("120.105,30.25", crs="gcj02")
    assert haversine_m(*wgs84_to_gcj02(d.lon, d.lat), 120.105, 30.25) < 0.01


def test_crlf_and_bom_files_read_like_plain_ones(tmp_path):
    text = (DATA / "basic.csv").read_text(encoding="utf-8")
    path = tmp_path / "windows.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert read_orders(path) == dataclasses.replace(read_orders(DATA / "basic.csv"), source=str(path))


BAD = {
    "missing_point.csv": ("line 3: lon", "point is missing"),
    "window_inverted.csv": ("line 3: tw_end", "ends (09:00:00) before it starts (11:00:00)"),
    "window_inverted_iso.csv": ("line 2: tw_end", "before it starts"),
    "time_unparsable.csv": ("line 2: tw_start", "is not a time"),
    "duplicate_id.csv": ("line 4: id", "repeats line 2"),
    "demand_nan.csv": ("line 3: demand", "not a finite number"),
    "demand_too_large.csv": ("line 2: demand", "out of range"),
    "service_too_long.csv": ("line 3: service_s", "out of range"),
    "lon_out_of_range.csv": ("line 2: lon", "out of range"),
    "kind_unknown.csv": ("line 2: kind", "delivery or pickup"),
    "column_missing.csv": ("header", "has no column 'lon'"),
    "id_missing.csv": ("line 2: id", "id is missing"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_rows_name_the_file_line_and_field(name):
    where, what = BAD[name]
    with pytest.raises(InputError) as exc:
        read_orders(DATA / "bad" / name)
    e = exc.value
    assert Path(e.source).name == name and e.where == where, e.one_line()
    assert what in e.message and len(e.message) <= 300 and "\n" not in e.one_line()


def test_bad_folder_is_covered():
    assert sorted(p.name for p in (DATA / "bad").glob("*.csv")) == sorted(BAD)


def test_long_values_are_cut_in_messages(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("id,lon,lat,tw_start\nX,120.1,30.2," + "x" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_orders(path)
    assert "…" in exc.value.message and len(exc.value.message) <= 300 and exc.value.where == "line 2: tw_start"


def test_shift_depots_and_depot_text():
    assert parse_shift("08:00-18:30") == (8 * 3600, 18.5 * 3600)
    assert parse_shift("20:00-26:00") == (20 * 3600, 26 * 3600)
    for bad in ("18:00-08:00", "8-18", "08:00"):
        with pytest.raises(InputError, match="--shift"):
            parse_shift(bad)
    with pytest.raises(InputError, match="not a point"):
        parse_depot("120.1;30.2")
    assert [d.id for d in read_depots(DATA / "depots.csv")] == ["west", "east"]


def test_order_far_outside_the_network_names_its_line(tmp_path):
    from citylogistics.network.osm_import import import_osm

    path = tmp_path / "far.csv"
    path.write_text("id,lon,lat\nok,120.101,30.251\nfar,120.30,30.40\n", encoding="utf-8")
    problem = _problem(read_orders(path), network=import_osm(OSM))
    with pytest.raises(InputError) as exc:
        problem.routing_problem
    assert exc.value.where == "line 3: lon/lat" and "outside the network" in exc.value.message


# ---------------------------------------------------------------------------
# Problem and plan invariants
# ---------------------------------------------------------------------------
def _assert_invariants(problem: OrdersProblem, plan) -> None:
    """Plan invariants, computed here from the orders and the matrix (not from the solver's numbers)."""
    check = plan.solver["check"]
    assert check["ok"], check["violations"]
    orders = problem.orders.by_id()
    served = [i for r in plan.routes for i in r.stop_ids]
    assert len(served) == len(set(served))  # once
    assert sorted(served + [u.id for u in plan.unassigned]) == sorted(orders)  # …or listed with a reason
    assert all(u.reason for u in plan.unassigned)
    rp = problem.routing_problem
    index = {n: i for i, n in enumerate(rp.node_ids)}
    vts = {vt.name: vt for vt in rp.vehicle_types}
    for r in plan.routes:
        vt = vts[r.vehicle_type]
        nodes = [index[r.depot]] + [problem.order_node[i] for i in r.stop_ids] + [index[r.depot]]
        assert r.distance_m == pytest.approx(sum(rp.distance_m[a, b] for a, b in zip(nodes, nodes[1:])), abs=0.01)
        t = r.steps[0].departure_s
        load = sum(orders[i].demand_parcels for i in r.stop_ids if orders[i].kind == "delivery")
        assert load <= vt.capacity
        for a, b, step in zip(nodes, nodes[1:], r.steps[1:]):
            t += rp.duration_s[a, b] * vt.speed_factor
            if step.type == "end":
                break
            o = orders[step.id]
            start = max(t, o.tw_start_s or 0.0)
            assert o.tw_end_s is None or start <= o.tw_end_s + 1e-6, (step.id, start, o.tw_end_s)
            assert (o.tw_start_s or 0.0) <= start
            load += o.demand_parcels if o.kind == "pickup" else -o.demand_parcels
            assert -1e-9 <= load <= vt.capacity
            t = start + o.service_s
        if vt.shift_end_s is not None:
            assert t <= vt.shift_end_s + 1e-6


def _lade_region_csv(tmp_path: Path, city: str = "jilin", region: str = "114") -> Path:
    """One LaDe region as an orders CSV (LaDe's column names; times as ISO datetimes of 2022)."""
    src = shared_path("data", "lade", f"lade_pickup_{city}.csv")
    out = tmp_path / f"lade_{city}_{region}.csv"
    with open(src, newline="", encoding="utf-8") as fh, open(out, "w", newline="", encoding="utf-8") as oh:
        w = csv.writer(oh)
        w.writerow(["order_id", "lng", "lat", "kind", "time_window_start", "time_window_end"])
        for row in csv.DictReader(fh):
            if row["region_id"] == region:
                iso = ["2022-" + row[k].replace(" ", "T") for k in ("time_window_start", "time_window_end")]
                w.writerow([row["order_id"], row["lng"], row["lat"], "pickup", *iso])
    return out


LADE_COLUMNS = {"id": "order_id", "lon": "lng", "tw_start": "time_window_start", "tw_end": "time_window_end"}


@pytest.fixture(scope="module")
def lade_run(tmp_path_factory):
    path = _lade_region_csv(tmp_path_factory.mktemp("lade"))
    orders = read_orders(path, columns=LADE_COLUMNS, default_service_s=120)
    lon = np.array([o.lon for o in orders])
    lat = np.array([o.lat for o in orders])
    k = int(np.argmin(haversine_m(lon, lat, lon.mean(), lat.mean())))
    problem = _problem(orders, depots=(Depot("station", float(lon[k]), float(lat[k])),),
                       vehicles=(OrderVehicle("e-bike", count=10, capacity_parcels=12, speed_kmh=15.0),))
    return path, problem, route_orders(problem, time_limit_s=0.5, seed=0)


def test_lade_region_plan_keeps_windows_capacity_and_matrix(lade_run):
    _, problem, plan = lade_run
    assert len(problem.orders) == 40 and problem.orders.day.isoformat() == "2022-06-07"
    _assert_invariants(problem, plan)
    assert plan.solver["check"]["served"] == 40 and not plan.unassigned
    assert max(s.load for r in plan.routes for s in r.steps) == 12  # capacity binds: pickups fill the bikes


def test_check_is_not_vacuous(lade_run):
    _, problem, plan = lade_run
    rp = problem.routing_problem
    r = max(plan.routes, key=lambda r: len(r.stop_ids))
    steps = list(r.steps)
    steps[1], steps[-2] = steps[-2], steps[1]  # first and last stop swapped, times left as they were
    broken = dataclasses.replace(plan, routes=(dataclasses.replace(r, steps=tuple(steps)),)
                                 + tuple(x for x in plan.routes if x is not r))
    assert not check_plan(rp, broken).ok
    late = dataclasses.replace(rp.stops[0], tw_end_s=0.0, tw_start_s=0.0)  # a window nobody can meet
    rp2 = dataclasses.replace(rp, stops=(late,) + rp.stops[1:])
    assert any("after its window ends" in v for v in check_plan(rp2, plan).violations)
    dropped = dataclasses.replace(plan, unassigned=plan.unassigned[:0], routes=plan.routes[1:])
    assert any("neither served nor unassigned" in v for v in check_plan(rp, dropped).violations)


def test_straight_line_travel_uses_circuity_and_each_vehicles_speed():
    ol = read_orders(DATA / "basic.csv")
    fleet = (OrderVehicle("van", count=1, capacity_parcels=20, speed_kmh=30.0),
             OrderVehicle("tricycle", count=1, capacity_parcels=20, speed_kmh=10.0))
    problem = _problem(ol, vehicles=fleet, circuity=1.4)
    rp = problem.routing_problem
    i, j = 0, problem.order_node["A5"]
    straight = haversine_m(DEPOT.lon, DEPOT.lat, 120.1100, 30.2455)
    assert rp.distance_m[i, j] == pytest.approx(1.4 * straight)
    by = {vt.name: vt for vt in rp.vehicle_types}
    assert rp.duration_s[i, j] * by["van"].speed_factor == pytest.approx(1.4 * straight / (30 / 3.6))
    assert rp.duration_s[i, j] * by["tricycle"].speed_factor == pytest.approx(1.4 * straight / (10 / 3.6))
    _assert_invariants(problem, route_orders(problem, time_limit_s=0.3))


def test_network_travel_follows_the_roads():
    from citylogistics.network.osm_import import import_osm

    G = import_osm(OSM)
    problem = _problem(read_orders(DATA / "basic.csv"), network=G, shift=parse_shift("07:00-20:00"))
    plan = route_orders(problem, time_limit_s=0.3)
    _assert_invariants(problem, plan)
    rp = problem.routing_problem
    straight = haversine_m(*problem.node_points[0], *problem.node_points[1])
    assert rp.distance_m[0, 1] >= straight - 1e-6  # roads are never shorter than the straight line
    paths = problem.road_paths(plan)
    assert paths and all(len(p) >= 3 for p in paths.values())  # point, road nodes…, point


def test_several_depots_solved_together_and_split():
    ol = read_orders(DATA / "basic.csv")
    problem = _problem(ol, depots=read_depots(DATA / "depots.csv"), shift=(7 * 3600.0, 20 * 3600.0))
    for split in ("never", "always"):
        plan = route_orders(problem, time_limit_s=0.3, split=split)
        assert plan.solver["check"]["ok"] and plan.solver["check"]["served"] == 6, split
        for r in plan.routes:
            assert r.vehicle_type.endswith("@" + r.depot)
    near = problem.nearest_depot()
    assert near["A1"] == 0 and near["A5"] == 1


def test_unservable_order_is_listed_with_a_reason(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("id,lon,lat,demand,tw_start,tw_end\nok,120.101,30.251,1,09:00,10:00\n"
                    "big,120.102,30.251,99,09:00,10:00\nearly,120.109,30.25,1,06:00,06:05\n", encoding="utf-8")
    problem = _problem(read_orders(path), shift=parse_shift("08:00-18:00"))
    plan = route_orders(problem, time_limit_s=0.3)
    assert {u.id: u.reason for u in plan.unassigned} == {"big": "capacity", "early": "time_window"}
    assert plan.solver["check"]["ok"] and plan.solver["check"]["on_time_share"] == pytest.approx(1 / 3)


# ---------------------------------------------------------------------------
# The command line handler and outputs
# ---------------------------------------------------------------------------
def _route(*argv: str) -> int:
    args = build_parser().parse_args(["route", *argv])
    return args.func(args)


def test_route_command_writes_the_outputs(lade_run, tmp_path):
    path, _, _ = lade_run
    out = tmp_path / "out"
    depot = "125.5,43.9"
    argv = (str(path), "--depot", depot, "--out", str(out), "--columns",
            "id=order_id,lon=lng,tw_start=time_window_start,tw_end=time_window_end", "--vehicles", "10",
            "--capacity", "12", "--speed-kmh", "15", "--service-s", "120", "--time-limit", "0.5", "--seed", "3")
    # the depot is computed from the region: the point of the order nearest to its centroid
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    lon = np.array([float(r["lng"]) for r in rows])
    lat = np.array([float(r["lat"]) for r in rows])
    k = int(np.argmin(haversine_m(lon, lat, lon.mean(), lat.mean())))
    argv = tuple(f"{lon[k]},{lat[k]}" if a == depot else a for a in argv)
    assert _route(*argv) == 0
    assert sorted(p.name for p in out.iterdir()) == ["kpis.csv", "manifest.json", "map.html", "plan.json",
                                                     "schedule.csv"]
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert doc["orders"]["day"] == "2022-06-07" and doc["summary"]["served"] == 40
    assert doc["summary"]["solver"]["check"]["ok"]
    step = doc["routes"][0]["steps"][1]
    assert {"arrival_s", "departure_s", "load", "distance_m"} <= set(step)
    with open(out / "schedule.csv", newline="", encoding="utf-8") as fh:
        sched = list(csv.DictReader(fh))
    assert tuple(sched[0]) == SCHEDULE_FIELDS
    visits = [r for r in sched if r["order_id"]]
    assert len(visits) == 40 and all(r["window"] and len(r["arrival"]) == 8 for r in visits)
    for r in visits:  # the sheet's service start lies inside the window it prints
        a, b = r["window"].split("-")
        assert a <= r["service_start"][:5] <= b
    with open(out / "kpis.csv", newline="", encoding="utf-8") as fh:
        (kpi,) = list(csv.DictReader(fh))
    assert tuple(kpi) == KPI_FIELDS and kpi["orders"] == "40" and float(kpi["on_time_share"]) == 1.0
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "L.polyline" in page and "https://cdn" not in page and "unpkg.com" not in page
    assert page.count("L.featureGroup") >= 2 + len(doc["routes"])  # orders, depots, one layer per vehicle
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "route" and manifest["settings"]["seed"] == 3
    assert len(manifest["inputs"]["orders"]["sha256"]) == 64
    # an earlier citylogistics output is replaced (recognised by its manifest), with the same bytes
    before = (out / "plan.json").read_bytes()
    assert _route(*argv) == 0
    assert (out / "plan.json").read_bytes() == before


def test_same_seed_gives_the_same_bytes(tmp_path):
    outs = []
    for k in range(2):
        out = tmp_path / f"o{k}"
        assert _route(str(DATA / "basic.csv"), "--depots", str(DATA / "depots.csv"), "--out", str(out),
                      "--network", str(OSM), "--speed-kmh", "12", "--shift", "07:00-20:00", "--time-limit", "0.3",
                      "--vehicles", "2", "--capacity", "6") == 0
        outs.append(out)
    for name in ("plan.json", "schedule.csv", "map.html", "kpis.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def test_names_are_escaped_on_the_map(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('id,lon,lat\n"<img src=x onerror=alert(1)>",120.101,30.251\nB,120.108,30.249\n',
                    encoding="utf-8")
    depots = tmp_path / "d.csv"
    depots.write_text('id,lon,lat\n"<b>hub</b>",120.105,30.25\n', encoding="utf-8")
    out = tmp_path / "out"
    assert _route(str(path), "--depots", str(depots), "--out", str(out), "--time-limit", "0.2") == 0
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page and "<b>hub</b>" not in page


def test_bad_input_writes_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"window_inverted\.csv: line 3: tw_end"):
        _route(str(DATA / "bad" / "window_inverted.csv"), "--depot", "120.1,30.25", "--out", str(out))
    with pytest.raises(SystemExit):  # --depot and --depots exclude each other (argparse: exit 2)
        _route(str(DATA / "basic.csv"), "--depot", "120.1,30.25", "--depots", str(DATA / "depots.csv"),
               "--out", str(out))
    assert not out.exists() and not list(tmp_path.glob(".out.*"))
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="not a citylogistics output"):
        _route(str(DATA / "basic.csv"), "--depot", "120.1,30.25", "--out", str(other))
    assert (other / "mine.txt").read_text(encoding="utf-8") == "keep me"


def test_orders_section_from_a_scenario_table():
    from citylogistics.config import build

    sec = build(OrdersSection, {"file": "o.csv", "depot": [120.1, 30.25], "columns": {"lon": "lng"},
                                "shift": "08:00-18:00"}, source="s.toml", prefix="orders")
    assert sec.columns == {"lon": "lng"} and sec.depot == (120.1, 30.25) and sec.speed_kmh == 15.0
    for table, match in (({"file": "o.csv"}, "exactly one of depot"),
                         ({"file": "o.csv", "depot": [1, 2], "columns": {"lng": "x"}}, "did you mean 'lon'"),
                         ({"file": "o.csv", "depot": [1, 2], "crs": "bd09"}, "not one of"),
                         ({"file": "o.csv", "depot": [1, 2], "shift": "9-5"}, "HH:MM-HH:MM"),
                         ({"file": "o.csv", "depots": "d.csv", "time_limit_s": 0}, "greater than 0")):
        with pytest.raises(InputError, match=match):
            build(OrdersSection, table, source="s.toml", prefix="orders")


def test_problem_from_section_reads_files_relative_to_the_scenario():
    from citylogistics.scenario.orders_run import problem_from_section

    sec = OrdersSection(file="mapped.csv", depots="depots.csv", columns={
        "id": "order_no", "lon": "lng", "demand": "parcels", "tw_start": "start", "tw_end": "end"}, service_s=30)

    @dataclasses.dataclass
    class Veh:  # the fields of a scenario's [[vehicles]] entry that matter here
        name: str = "tricycle"
        count: int = 2
        capacity_parcels: float = 10
        fixed_cost_cny: float = 5.0
        cost_per_km_cny: float = 0.0
        max_duration_s: float | None = None
        max_distance_m: float | None = None
        co2_kg_per_km: float = 0.0
        speed_factor: float = 1.5

    problem = problem_from_section(sec, [Veh()], base_dir=DATA)
    assert len(problem.depots) == 2 and problem.vehicles[0].speed_kmh == pytest.approx(10.0)
    assert [vt.name for vt in problem.routing_problem.vehicle_types] == ["tricycle@west", "tricycle@east"]
    assert all(o.service_s == 30 for o in problem.orders)
    assert not math.isnan(route_orders(problem, time_limit_s=0.2).cost)
