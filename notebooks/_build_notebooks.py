"""Write the notebooks of this folder, without outputs.

The notebooks are generated from this file so they stay stripped and
reviewable: edit the cells here, run ``python notebooks/_build_notebooks.py``
and commit the .ipynb files with it.  ``tests/test_notebooks.py`` checks the
outputs are empty and executes every notebook.
"""
from pathlib import Path

import nbformat
from nbformat.v4 import new_notebook, new_markdown_cell, new_code_cell

ROOT_CELL = '''from pathlib import Path

# Run from the repository root or from notebooks/: find the shipped networks either way.
ROOT = Path.cwd() if (Path.cwd() / "networks").is_dir() else Path.cwd().parent
assert (ROOT / "networks").is_dir(), "run this notebook from the citylogistics repository"'''

def nb(cells):
    n = new_notebook()
    n.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    n.metadata["language_info"] = {"name": "python"}
    n.cells = [new_markdown_cell(c[1]) if c[0] == "md" else new_code_cell(c[1]) for c in cells]
    for i, cell in enumerate(n.cells):
        cell.id = f"cell-{i:02d}"  # stable ids: regenerating gives the same files
    return n

nb1 = nb([
("md", """# Depot siting exploration: stations, coverage limit and budget

Pick a city, then vary **the number of town stations** (*p*), **the coverage limit**
(a village is covered when an open station is within this travel time on the road
network) and **the opening budget**, and watch the coverage table and the map change.

The model is the maximal covering location model (`citylogistics.location.models.MaxCoverage`):
villages are the demand (weighted by population), towns are the candidate station sites,
travel times come from the shipped road network `networks/<city>.graphml` (generated,
see `networks/README.md`). Village points are generated inside their county (labelled
`generated` in `point_source`). Runs in a few seconds on Zhoushan."""),
("code", ROOT_CELL),
("md", "## Parameters: change these and run all cells"),
("code", '''CITY = "Zhoushan"                  # any of the eleven cities; small ones run fastest
STATIONS = (2, 4, 6, 8)             # number of town stations to open (p)
LIMITS_S = (900, 1800, 2700)        # coverage limits: 15, 30, 45 minutes
BUDGETS_CNY = (600_000, 1_200_000, 2_400_000)  # opening budgets
STATION_OPEN_COST_CNY = 300_000     # one-off cost of a town station (scenario default sites.t2_open_cost_cny)
MAP_STATIONS, MAP_LIMIT_S = 4, 1800 # the configuration drawn on the map
TIME_LIMIT_S = 10                   # per siting solve (they take well under a second here)'''),
("code", '''import numpy as np
import pandas as pd

from citylogistics.location import MaxCoverage
from citylogistics.network import load_graphml
from citylogistics.regions import CITY_CODES, load_regions, resolve_city

city = resolve_city(CITY)
regions = load_regions(seed=0)
G = load_graphml(ROOT / "networks" / f"{CITY_CODES[city].lower()}.graphml")
# Build the travel-time matrix once (villages x towns); every variant below reuses it.
base = MaxCoverage.from_regions(regions, G, city=city, limit=float(max(LIMITS_S)), p=1)
print(base)
settlements = regions.settlements'''),
("md", "## Coverage by number of stations and coverage limit"),
("code", '''def solve(*, limit_s, p=None, budget_cny=None):
    options = dict(limit=float(limit_s), p=p)
    if budget_cny is not None:
        options.update(budget_cny=float(budget_cny),
                       fixed_cost_cny=np.full(len(base.site_ids), float(STATION_OPEN_COST_CNY)))
    model = MaxCoverage.from_cost_matrix(base.demand_ids, base.site_ids, base.cost, weights=base.weights, **options)
    return model.solve(time_limit_s=TIME_LIMIT_S, seed=0)

rows = []
for p in STATIONS:
    for limit in LIMITS_S:
        plan = solve(limit_s=limit, p=p)
        rows.append({"stations": p, "limit_min": limit / 60, "population_covered_share": plan.coverage_share,
                     "villages_covered": plan.covered_points, "status": plan.status})
by_p = pd.DataFrame(rows)
by_p.pivot(index="stations", columns="limit_min", values="population_covered_share").style.format("{:.1%}")'''),
("code", '''# Invariant worth seeing: more stations or a longer limit never lowers the optimal coverage.
table = by_p.pivot(index="stations", columns="limit_min", values="population_covered_share")
assert (table.diff(axis=0).fillna(0) >= -1e-9).all().all() and (table.diff(axis=1).fillna(0) >= -1e-9).all().all()
by_p'''),
("md", """## Coverage by opening budget

With a budget instead of *p*, every station costs `STATION_OPEN_COST_CNY`; the model opens
what the budget affords (here uniform costs, so budget / cost stations)."""),
("code", '''rows = []
for budget in BUDGETS_CNY:
    for limit in LIMITS_S:
        plan = solve(limit_s=limit, budget_cny=budget)
        rows.append({"budget_cny": budget, "limit_min": limit / 60, "stations_open": plan.n_open,
                     "population_covered_share": plan.coverage_share})
by_budget = pd.DataFrame(rows)
by_budget.pivot(index="budget_cny", columns="limit_min", values="population_covered_share").style.format("{:.1%}")'''),
("md", "## The map of one configuration\n\nGreen villages are covered, red ones are not; stars are open stations."),
("code", '''import folium

plan = solve(limit_s=MAP_LIMIT_S, p=MAP_STATIONS)
print(plan)
villages = settlements.loc[list(base.demand_ids)]
sites = settlements.loc[list(plan.open_sites)]
m = folium.Map(location=[villages["lat"].mean(), villages["lon"].mean()], zoom_start=9, tiles="OpenStreetMap")
for code, row in villages.iterrows():
    covered = plan.assignment.get(code) is not None
    folium.CircleMarker([row["lat"], row["lon"]], radius=3, weight=0, fill=True, fill_opacity=0.8,
                        color="#2ca02c" if covered else "#d62728",
                        tooltip=f"{row['name']} ({row['point_source']}): {'covered' if covered else 'not covered'}").add_to(m)
for code, row in sites.iterrows():
    folium.Marker([row["lat"], row["lon"]], tooltip=f"station {row['name']} {code}",
                  icon=folium.Icon(color="blue", icon="star")).add_to(m)
m.fit_bounds([[villages["lat"].min(), villages["lon"].min()], [villages["lat"].max(), villages["lon"].max()]])
m'''),
("md", "## Coverage by county for that configuration"),
("code", '''counties = regions.of_level("county", city=city)["name"]
v = villages.assign(covered=[plan.assignment.get(c) is not None for c in villages.index])
by_county = v.groupby("county_code").apply(
    lambda g: pd.Series({"villages": len(g), "covered": int(g["covered"].sum()),
                         "population_covered_share": g.loc[g["covered"], "population"].sum() / g["population"].sum()}),
    include_groups=False)
by_county.insert(0, "county", counties.reindex(by_county.index).values)
by_county'''),
("md", """Next: the phased planner (`citylogistics run scenarios/<city>.toml`) opens stations year
by year under a budget and routes the three legs; `notebooks/02_rollout_2011_2015.ipynb`
walks through it, and `citylogistics sweep scenarios/sweep_lishui.toml` maps the cost–coverage
trade-off over a grid."""),
])

nb2 = nb([
("md", """# The 2011–2015 coverage rollout for Lishui

The province's plan asks to extend delivery "step by step to county-level cities, towns and
rural areas". This notebook runs the phased coverage-extension planner on Lishui (丽水), a
mountainous rural city named in the plan for farm-produce e-commerce: each year from 2011 to
2015 it opens the town stations a yearly budget affords, maximising the population within the
coverage limit of an open station. It then compares two budgets.

To keep the notebook under a minute, routing is switched off here (`route_legs = []`:
coverage and site costs only); `citylogistics run scenarios/lishui.toml --out out/lishui` runs
the full plan with trunk, shuttle and last-mile routes (about 30 s)."""),
("code", ROOT_CELL),
("code", '''import pandas as pd

import citylogistics

SCENARIO = ROOT / "scenarios" / "lishui.toml"   # or quzhou.toml
BUDGETS_CNY = (3_000_000, 6_000_000)            # opening budget per year, two variants
ROUTE_LEGS = []                                 # ["trunk", "shuttle", "lastmile"] for the full plan (slower)'''),
("code", '''# One plan per budget; the overrides are dotted scenario keys, checked like the file's own keys.
runs = {}
for budget in BUDGETS_CNY:
    runs[budget] = citylogistics.plan_scenario(SCENARIO, {"plan.budget_cny": [float(budget)],
                                                          "plan.route_legs": ROUTE_LEGS})
    print(f"budget {budget:,} CNY/year")
    print(runs[budget].summary(), end="\\n\\n")
low = runs[BUDGETS_CNY[0]]
years = list(low.years)
low  # a CoveragePlan shows its summary and phases in the notebook'''),
("md", "## Year by year\n\nCoverage grows as stations open; the budget caps how fast."),
("code", '''def yearly(plan):
    return plan.top_kpis().set_index("year")

cols = ["villages_covered", "population_covered_share", "t2_open", "sites_opened", "opening_cost_cny", "cost_cny"]
rollout = pd.concat({f"{b / 1e6:g} M/yr": yearly(r)[cols] for b, r in runs.items()}, axis=1)
rollout'''),
("code", '''# Coverage never falls from one year to the next (stations, once open, stay open).
for b, r in runs.items():
    share = yearly(r)["population_covered_share"]
    assert share.is_monotonic_increasing, b
pd.concat({f"{b / 1e6:g} M/yr": yearly(r)["population_covered_share"] for b, r in runs.items()}, axis=1).style.format("{:.1%}")'''),
("md", "## Coverage by county in 2015\n\nMountain counties lag: their villages are far from any town on winding roads."),
("code", '''names = low.info.county_names
frames = {}
for b, r in runs.items():
    k = r.kpis
    k = k[(k["year"] == r.final_year) & k["scope"].str.startswith("county:")]
    frames[f"{b / 1e6:g} M/yr"] = k.set_index(k["scope"].str.slice(7))["population_covered_share"]
by_county = pd.concat(frames, axis=1)
by_county.index = [f"{names.get(c, c)} {c}" for c in by_county.index]
by_county.style.format("{:.1%}")'''),
("md", "## Villages still not covered in 2015, and why\n\n`budget`: a station within the limit exists but was not opened; `too_far`: no candidate site within the limit."),
("code", '''villages, sites = low.villages, low.sites
print(villages["reason"].replace("", "covered").value_counts().to_string())
sites.groupby(["tier", "open_year"]).size().rename("sites").to_frame()'''),
("md", "## Map: stations by opening year, villages by the year they were first covered"),
("code", '''# The plan's own map (low.map()) has every layer; this one shows only the rollout.
import folium

palette = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]
colour = {y: palette[i % len(palette)] for i, y in enumerate(years)}
m = folium.Map(location=[villages["lat"].mean(), villages["lon"].mean()], zoom_start=8, tiles="OpenStreetMap")
for row in villages.itertuples():
    year = None if pd.isna(row.covered_year) else int(row.covered_year)
    folium.CircleMarker([row.lat, row.lon], radius=2, weight=0, fill=True, fill_opacity=0.8,
                        color=colour.get(year, "#bbbbbb"),
                        tooltip=f"{row.name}: {year or 'not covered (' + (row.reason or '-') + ')'}").add_to(m)
for row in sites[(sites["tier"] == "T2") & sites["open_year"].notna()].itertuples():
    folium.CircleMarker([row.lat, row.lon], radius=7, color="black", weight=2, fill=True, fill_opacity=1,
                        fill_color=colour.get(int(row.open_year), "#000000"),
                        tooltip=f"station {row.name}, opened {int(row.open_year)}").add_to(m)
m.fit_bounds([[villages["lat"].min(), villages["lon"].min()], [villages["lat"].max(), villages["lon"].max()]])
m'''),
])

nb3 = nb([
("md", """# Routing one county's villages with pickups: who is left unserved, and why

Yunhe county (云和县, Lishui) has 87 villages. Each village service point receives parcels and,
because Lishui sells farm produce online, also sends pickups back on the same route. We route
them from the county seat with a deliberately tight fleet, then read the `unassigned` list:
every unserved stop carries a reason computed from the data (`citylogistics.routing.check`):

- `capacity`: the stop's load exceeds every vehicle (and loads are not split);
- `shift_length`: even a direct round trip does not fit the shift or range;
- `unreachable`, `time_window`, `no_vehicle`: see the module docs;
- `penalty`: feasible alone, but the fleet ran out (or serving it cost more than dropping it).

Then we fix the fleet and route again."""),
("code", ROOT_CELL),
("code", '''import math

import pandas as pd

from citylogistics.demand import DemandParams, settlement_demand
from citylogistics.network import load_graphml, od_matrices
from citylogistics.regions import load_regions
from citylogistics.routing import RoutingProblem, SolveParams, Stop, VehicleType, solve

COUNTY = "331125"      # Yunhe; any Lishui county code works with the Lishui network
YEAR = 2015
TIME_LIMIT_S = 3

regions = load_regions(seed=0)
G = load_graphml(ROOT / "networks" / "lishui.graphml")
villages = regions.of_level("village", county=COUNTY)
stops = settlement_demand(villages, year=YEAR, params=DemandParams()).sort_index()
print(f"{len(stops)} villages, {stops['delivery_parcels'].sum():,.0f} parcels/day out, "
      f"{stops['pickup_parcels'].sum():,.0f} pickups/day back")
stops[["name", "pinyin", "point_source", "delivery_parcels", "pickup_parcels"]].sort_values("delivery_parcels").tail()'''),
("md", "## A tight fleet: four vans, 400 parcels each, a 90-minute shift, loads not split"),
("code", '''# Settlement codes are road-network nodes: the hub (county seat) first, then the villages.
nodes = [COUNTY] + list(stops.index)
time_m, dist_m = od_matrices(G, nodes, weight="travel_time_s")
SERVICE_S = 300

def settlement_of(stop_id):
    return stop_id.split("~", 1)[0]          # split loads are "<code>~2", "<code>~3", ...

def route(vehicles, *, split_loads):
    largest = max(v.capacity for v in vehicles)
    route_stops = []
    for node, (code, row) in enumerate(stops.iterrows(), start=1):
        out, back = float(row["delivery_parcels"]), float(row["pickup_parcels"])
        n = max(1, math.ceil(max(out, back) / largest - 1e-9)) if split_loads else 1
        route_stops += [Stop(id=code if k == 0 else f"{code}~{k + 1}", node=node, delivery=out / n, pickup=back / n,
                             service_s=SERVICE_S) for k in range(n)]
    problem = RoutingProblem.from_matrices(tuple(nodes), dist_m.values, time_m.values, depots=(0,),
                                           stops=tuple(route_stops), vehicle_types=tuple(vehicles))
    return problem, solve(problem, SolveParams(time_limit_s=TIME_LIMIT_S, seed=0))

tight = [VehicleType(name="van", count=4, capacity=400, fixed_cost_cny=220, cost_per_km_cny=1.6,
                     max_duration_s=1.5 * 3600, co2_kg_per_km=0.24)]
problem, plan = route(tight, split_loads=False)
print(plan)'''),
("md", "## The unserved stops and why"),
("code", '''from citylogistics.geo import haversine_m

hub = regions.settlements.loc[COUNTY]

def unserved_table(plan):
    rows = []
    for u in plan.unassigned:
        code = settlement_of(u.id)
        v = stops.loc[code]
        rows.append({"stop": u.id, "village": v["name"], "reason": u.reason,
                     "delivery_parcels": round(v["delivery_parcels"], 1), "pickup_parcels": round(v["pickup_parcels"], 1),
                     "straight_km_from_hub": round(float(haversine_m(hub["lon"], hub["lat"], v["lon"], v["lat"])) / 1000, 1)})
    return pd.DataFrame(rows)

unserved = unserved_table(plan)
print(unserved["reason"].value_counts().to_string())
unserved.groupby("reason")[["delivery_parcels", "straight_km_from_hub"]].agg(["count", "mean", "max"])'''),
("code", '''# Every stop is either on exactly one route or listed as unassigned, never both.
served = [s["id"] for r in plan.to_dict()["routes"] for s in r["steps"] if s["type"] in ("delivery", "pickup")]
assert len(served) == len(set(served))
assert set(served).isdisjoint(u.id for u in plan.unassigned)
assert len(set(served)) + len(plan.unassigned) == len(problem.stops)
unserved.sort_values(["reason", "straight_km_from_hub"], ascending=[True, False]).head(15)'''),
("md", """## Fixing it

`capacity` goes away when a big village's load can be split over several vehicles
(`split_loads`), `shift_length` when the shift is long enough for the far villages, and
`penalty` when there are enough vehicles. Electric tricycles with reloading (`max_trips`) are
cheap for the many small villages."""),
("code", '''fixed = [
    VehicleType(name="van", count=12, capacity=800, fixed_cost_cny=220, cost_per_km_cny=1.6,
                max_duration_s=10 * 3600, co2_kg_per_km=0.24),
    VehicleType(name="tricycle", count=16, capacity=150, fixed_cost_cny=60, cost_per_km_cny=0.3,
                max_duration_s=8 * 3600, max_trips=3, speed_factor=1.6),
]
problem2, plan2 = route(fixed, split_loads=True)
print(plan2)
after = unserved_table(plan2)
pd.DataFrame({"tight fleet": unserved["reason"].value_counts(),
              "fixed fleet": after["reason"].value_counts() if len(after) else pd.Series(dtype=int)}
             ).fillna(0).astype(int)'''),
("md", "## Map of the fixed plan\n\nRoutes as straight segments between stops; red dots are still unserved."),
("code", '''from citylogistics.outputs.maps import map_routes, new_map

d = plan2.to_dict()
points = {problem2.node_ids[0]: {"lon": hub["lon"], "lat": hub["lat"], "name": f"{hub['name']} hub", "kind": "depot"}}
for s in problem2.stops:
    v = stops.loc[settlement_of(s.id)]
    points[s.id] = {"lon": v["lon"], "lat": v["lat"], "name": v["name"],
                    "demand (parcels/day)": round(s.delivery, 1), "pickup (parcels/day)": round(s.pickup, 1)}
m = map_routes(d, points, m=new_map(tiles="OpenStreetMap", title="Yunhe village routes"))
m'''),
])

NOTEBOOKS = {"01_depot_siting.ipynb": nb1, "02_rollout_2011_2015.ipynb": nb2, "03_county_routing_pickups.ipynb": nb3}


def build(folder: Path = Path(__file__).resolve().parent) -> list[Path]:
    """Write the notebooks (no outputs) into ``folder``."""
    paths = []
    for name, n in NOTEBOOKS.items():
        nbformat.validate(n)
        nbformat.write(n, Path(folder) / name)
        paths.append(Path(folder) / name)
    return paths


if __name__ == "__main__":
    for p in build():
        print(p)
