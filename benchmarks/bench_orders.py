"""Orders benchmark (issue 17): every LaDe region of every city, and two generated scale runs.

LaDe (``../shared/data/lade``, research-use licence: read from there, never
copied into the repository) holds real pickup orders with customer time
windows. Each region is routed as one day's orders:

- orders: the region's rows, read through :func:`citylogistics.routing.orders.read_orders`
  with the column mapping ``id=order_id, lon=lng, tw_start=time_window_start,
  tw_end=time_window_end``; LaDe gives no year, so "MM-DD HH:MM:SS" becomes
  the ISO datetime "2022-MM-DDTHH:MM:SS" (only differences matter); every
  order is a pickup of 1 parcel with 120 s of service;
- depot: LaDe gives none; the rule is *the point of the order nearest to the
  mean longitude/latitude of the region's orders*;
- fleet: e-bikes at 15 km/h, 30 parcels, 20 per region (enough: the
  objective is total distance), no shift limit; travel: great-circle × 1.3
  (no road network of these cities is shipped);
- search: ``route_orders(time_limit_s=T)`` (deterministic work budget).

Columns: orders, vehicles used, km, on-time share (served inside the window
÷ orders, from the independent check), seconds, the couriers' on-time share
in the data (``pickup_time`` inside the window: a reference, not a target),
then PyVRP run *directly* on the same matrix with the same settings (same
integer units, iteration budget and seed; the ProblemData is built here, not
by citylogistics) and the gap of the product's distance to it (must be
≤ 0.5 %), and OR-Tools through the product (``engine="ortools"``).

Scale runs (flags, so the default run is short), generated as stated:

``--scale2000``
    2,000 orders in a disc of radius 10 km around (121.47, 31.23) (uniform
    in area), 70 % deliveries / 30 % pickups of 1–3 parcels, a 2-hour window
    starting on the hour between 08:00 and 17:00, 120 s service; one depot
    at the centre; 100 e-bikes (15 km/h, 40 parcels) on shift 07:00–21:00;
    60 s wall-clock search (``deterministic=False``). Must give a feasible plan.
``--scale10000``
    10,000 such orders in a disc of radius 25 km, ten depots at the k-means
    centres of the orders (seeded), 60 e-bikes per depot;
    ``route_orders(time_limit_s=120)`` (split by nearest depot); time and
    peak memory (max RSS of the process) recorded.

Run from the repository root::

    .venv/bin/python benchmarks/bench_orders.py [--time-limit 1] [--cities shanghai,...]
    .venv/bin/python benchmarks/bench_orders.py --no-lade --scale2000
    .venv/bin/python benchmarks/bench_orders.py --no-lade --scale10000
"""

from __future__ import annotations

import argparse
import csv
import math
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LADE = ROOT.parent / "shared" / "data" / "lade"
CITIES = ("shanghai", "chongqing", "jilin", "yantai")
YEAR = 2022
LADE_COLUMNS = {"id": "order_id", "lon": "lng", "lat": "lat", "tw_start": "time_window_start",
                "tw_end": "time_window_end"}
EBIKE_KMH = 15.0
EBIKE_CAPACITY = 30
EBIKES_PER_REGION = 20
SERVICE_S = 120.0
CIRCUITY = 1.3


def lade_iso(text: str) -> str:
    """LaDe's "MM-DD HH:MM:SS" as an ISO datetime of :data:`YEAR`."""
    md, hms = text.strip().split(" ")
    return f"{YEAR}-{md}T{hms}"


def lade_region_csvs(city: str, folder: Path) -> list[tuple[str, Path, float]]:
    """Write one orders CSV per region of ``city`` into ``folder`` (LaDe column names kept,
    times as ISO datetimes, kind pickup). Returns (region, path, couriers' on-time share)."""
    import pandas as pd

    src = LADE / f"lade_pickup_{city}.csv"
    if not src.is_file():
        raise SystemExit(f"missing {src}: the shared LaDe data must sit at ../shared/data/lade")
    df = pd.read_csv(src, dtype=str)
    for col in ("time_window_start", "time_window_end", "pickup_time"):
        df[col] = df[col].map(lade_iso)
    df["kind"] = "pickup"
    df["demand"] = "1"
    a, b, p = (pd.to_datetime(df[c]) for c in ("time_window_start", "time_window_end", "pickup_time"))
    df["_courier_on_time"] = (p >= a) & (p <= b)
    out = []
    cols = ["order_id", "lng", "lat", "demand", "kind", "time_window_start", "time_window_end"]
    for region, g in sorted(df.groupby("region_id"), key=lambda kv: int(kv[0])):
        path = folder / f"{city}_{int(region):02d}.csv"
        g[cols].to_csv(path, index=False)
        out.append((str(region), path, float(g["_courier_on_time"].mean())))
    return out


def centroid_depot(orders):
    """The depot rule: the point of the order nearest to the orders' mean lon/lat."""
    from citylogistics.geo import haversine_m
    from citylogistics.routing.orders import Depot

    lon = np.array([o.lon for o in orders])
    lat = np.array([o.lat for o in orders])
    k = int(np.argmin(haversine_m(lon, lat, lon.mean(), lat.mean())))
    return Depot("depot", float(lon[k]), float(lat[k]))


def lade_problem(path: Path):
    from citylogistics.routing.orders import OrdersProblem, OrderVehicle, read_orders

    orders = read_orders(path, columns=LADE_COLUMNS, default_service_s=SERVICE_S)
    fleet = (OrderVehicle(name="e-bike", count=EBIKES_PER_REGION, capacity_parcels=EBIKE_CAPACITY,
                          speed_kmh=EBIKE_KMH),)
    return OrdersProblem(orders, (centroid_depot(orders),), fleet, circuity=CIRCUITY)


def pyvrp_direct(rp, *, iterations: int, seed: int, time_cap_s: float) -> tuple[float, int, bool]:
    """PyVRP on ``rp``'s matrices, built here (not through citylogistics): decimetres rounded,
    deciseconds rounded up (window ends down), loads in 1/1000 parcel, distance objective at 100 per
    decimetre (1 yuan/km in micro-yuan, the scale the product uses, so that both searches see the same numbers).
    Returns (distance m, clients served, feasible)."""
    from pyvrp import Client, Depot, Location, ProblemData, VehicleType
    from pyvrp import solve as pv_solve
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    (vt,) = rp.vehicle_types
    nodes = [rp.depots[0]] + [s.node for s in rp.stops]
    D = np.rint(rp.distance_m[np.ix_(nodes, nodes)] * 10).astype(np.int64)
    T = np.ceil(rp.duration_s[np.ix_(nodes, nodes)] * vt.speed_factor * 10 - 1e-6).astype(np.int64)
    np.fill_diagonal(D, 0)
    np.fill_diagonal(T, 0)
    clients = []
    for k, s in enumerate(rp.stops):
        kw = {"tw_late": int(math.floor(s.tw_end_s * 10 + 1e-6))} if s.tw_end_s is not None else {}
        clients.append(Client(location=k + 1, delivery=[round(s.delivery * 1000)], pickup=[round(s.pickup * 1000)],
                              service_duration=int(math.ceil(s.service_s * 10 - 1e-6)),
                              tw_early=int(math.ceil(s.tw_start_s * 10 - 1e-6)), **kw))
    data = ProblemData([Location(0, 0) for _ in nodes], clients, [Depot(location=0)],
                       [VehicleType(num_available=vt.count, capacity=[round(vt.capacity * 1000)], start_depot=0,
                                    end_depot=0, unit_distance_cost=100)], [D], [T])
    res = pv_solve(data, MultipleCriteria([MaxIterations(iterations), MaxRuntime(time_cap_s)]), seed=seed,
                   display=False)
    sol = res.best
    return sol.distance() / 10.0, sol.num_clients(), bool(sol.is_feasible())


def run_lade(time_limit_s: float, seed: int, cities) -> list[dict]:
    from citylogistics.scenario.orders_run import route_orders

    rows = []
    hdr = (f"{'city':<10}{'region':>7}{'orders':>7}{'veh':>5}{'km':>9}{'on-time':>9}{'s':>7}{'courier':>9}"
           f"{'pyvrp km':>10}{'gap %':>8}{'ortools km':>11}{'ort veh':>8}")
    print(hdr, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for city in cities:
            for region, path, courier in lade_region_csvs(city, Path(tmp)):
                problem = lade_problem(path)
                t0 = time.perf_counter()
                plan = route_orders(problem, time_limit_s=time_limit_s, seed=seed)
                sec = time.perf_counter() - t0
                check = plan.solver["check"]
                rp = problem.routing_problem
                iters = plan.solver.get("iteration_limit")
                direct_m, direct_served, direct_ok = pyvrp_direct(
                    rp, iterations=iters or 1000, seed=seed, time_cap_s=max(10 * time_limit_s, 5.0))
                ort = route_orders(problem, time_limit_s=time_limit_s, seed=seed, engine="ortools")
                gap = 100.0 * (plan.distance_m - direct_m) / direct_m if direct_m > 0 else 0.0
                row = {"city": city, "region": region, "orders": len(problem.orders), "vehicles": len(plan.routes),
                       "km": plan.distance_m / 1000, "on_time_share": check["on_time_share"], "seconds": sec,
                       "courier_on_time_share": courier, "pyvrp_direct_km": direct_m / 1000, "gap_pct": gap,
                       "pyvrp_direct_served": direct_served, "pyvrp_direct_feasible": direct_ok,
                       "ortools_km": ort.distance_m / 1000, "ortools_vehicles": len(ort.routes),
                       "ortools_served": ort.solver["check"]["served"], "served": check["served"],
                       "check_ok": check["ok"] and ort.solver["check"]["ok"], "engine": plan.solver.get("engine")}
                rows.append(row)
                flag = "" if row["check_ok"] and gap <= 0.5 and direct_served <= check["served"] else "  <-- CHECK"
                print(f"{city:<10}{region:>7}{row['orders']:>7}{row['vehicles']:>5}{row['km']:>9.2f}"
                      f"{row['on_time_share']:>9.3f}{sec:>7.1f}{courier:>9.3f}{row['pyvrp_direct_km']:>10.2f}"
                      f"{gap:>8.3f}{row['ortools_km']:>11.2f}{row['ortools_vehicles']:>8}{flag}", flush=True)
    n = sum(r["orders"] for r in rows)
    print(f"\n{len(rows)} regions, {n} orders; served {sum(r['served'] for r in rows)}; on-time share "
          f"{sum(r['on_time_share'] * r['orders'] for r in rows) / n:.4f} (couriers in the data: "
          f"{sum(r['courier_on_time_share'] * r['orders'] for r in rows) / n:.4f}); km {sum(r['km'] for r in rows):.1f} "
          f"(PyVRP direct {sum(r['pyvrp_direct_km'] for r in rows):.1f}, OR-Tools {sum(r['ortools_km'] for r in rows):.1f});"
          f" max gap {max(r['gap_pct'] for r in rows):.3f} %; every check ok: {all(r['check_ok'] for r in rows)}; "
          f"seconds {sum(r['seconds'] for r in rows):.1f}")
    return rows


# ---------------------------------------------------------------------------
# Generated scale instances
# ---------------------------------------------------------------------------
CENTRE = (121.47, 31.23)


def generated_orders(n: int, radius_m: float, seed: int, folder: Path) -> Path:
    """Write ``n`` generated orders (module docs) to a CSV and return its path."""
    rng = np.random.default_rng(seed)
    r = radius_m * np.sqrt(rng.random(n))
    a = 2 * np.pi * rng.random(n)
    lat0 = math.radians(CENTRE[1])
    lon = CENTRE[0] + (r * np.cos(a)) / (111_320.0 * math.cos(lat0))
    lat = CENTRE[1] + (r * np.sin(a)) / 110_574.0
    kind = np.where(rng.random(n) < 0.7, "delivery", "pickup")
    demand = rng.integers(1, 4, n)
    start = rng.integers(8, 18, n)
    path = folder / f"generated_{n}.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "lon", "lat", "demand", "kind", "tw_start", "tw_end", "service_s"])
        for i in range(n):
            w.writerow([f"g{i:05d}", f"{lon[i]:.6f}", f"{lat[i]:.6f}", int(demand[i]), kind[i], f"{start[i]:02d}:00",
                        f"{start[i] + 2:02d}:00", 120])
    return path


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_scale2000(seed: int) -> None:
    from citylogistics.routing.orders import Depot, OrdersProblem, OrderVehicle, check_plan, read_orders
    from citylogistics.routing.solver import SolveParams, solve

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        orders = read_orders(generated_orders(2000, 10_000.0, seed, Path(tmp)))
        problem = OrdersProblem(orders, (Depot("centre", *CENTRE),),
                                (OrderVehicle("e-bike", count=100, capacity_parcels=40, speed_kmh=EBIKE_KMH),),
                                circuity=CIRCUITY, shift=(7 * 3600.0, 21 * 3600.0))
        rp = problem.routing_problem
        t1 = time.perf_counter()
        plan = solve(rp, SolveParams(time_limit_s=60.0, seed=seed, deterministic=False))
        t2 = time.perf_counter()
        check = check_plan(rp, plan)
    print(f"scale2000: 2000 orders, 1 depot: {len(plan.routes)} vehicles, {plan.distance_m / 1000:.1f} km, "
          f"served {check.served}, unassigned {len(plan.unassigned)}, on-time share {check.on_time_share:.4f}, "
          f"feasible {plan.solver.get('feasible')} check ok {check.ok}; engine {plan.solver.get('engine')} "
          f"status {plan.solver.get('status')}; setup {t1 - t0:.1f} s, solve {t2 - t1:.1f} s, "
          f"peak RSS {_rss_mb():.0f} MB", flush=True)


def run_scale10000(seed: int, time_limit_s: float = 120.0) -> None:
    from scipy.cluster.vq import kmeans2

    from citylogistics.routing.orders import Depot, OrdersProblem, OrderVehicle, read_orders
    from citylogistics.scenario.orders_run import route_orders

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        orders = read_orders(generated_orders(10_000, 25_000.0, seed, Path(tmp)))
        pts = np.array([(o.lon, o.lat) for o in orders])
        centres, _ = kmeans2(pts, 10, seed=seed, minit="++")
        depots = tuple(Depot(f"D{k}", float(x), float(y)) for k, (x, y) in enumerate(centres))
        problem = OrdersProblem(orders, depots,
                                (OrderVehicle("e-bike", count=60, capacity_parcels=40, speed_kmh=EBIKE_KMH),),
                                circuity=CIRCUITY, shift=(7 * 3600.0, 21 * 3600.0))
        plan = route_orders(problem, time_limit_s=time_limit_s, seed=seed)
        t1 = time.perf_counter()
    c = plan.solver["check"]
    parts = plan.solver.get("parts", [])
    print(f"scale10000: 10000 orders, 10 depots (split into {len(parts)} parts): {len(plan.routes)} vehicles, "
          f"{plan.distance_m / 1000:.1f} km, served {c['served']}, unassigned {len(plan.unassigned)}, on-time share "
          f"{c['on_time_share']:.4f}, check ok {c['ok']}, every part feasible {plan.solver.get('feasible')}; "
          f"stopped by {sorted({p['stopped_by'] for p in parts})}; total {t1 - t0:.1f} s, peak RSS {_rss_mb():.0f} MB",
          flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--time-limit", type=float, default=1.0, help="search work per LaDe region (s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cities", default=",".join(CITIES))
    ap.add_argument("--no-lade", action="store_true", help="skip the LaDe regions")
    ap.add_argument("--scale2000", action="store_true", help="2,000 generated orders, 1 depot, 60 s")
    ap.add_argument("--scale10000", action="store_true", help="10,000 generated orders, 10 depots")
    args = ap.parse_args(argv)
    if not args.no_lade:
        run_lade(args.time_limit, args.seed, [c.strip().lower() for c in args.cities.split(",") if c.strip()])
    if args.scale2000:
        run_scale2000(args.seed)
    if args.scale10000:
        run_scale10000(args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
