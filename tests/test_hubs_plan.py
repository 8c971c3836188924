"""City hubs (T0) chosen from candidate land parcels in a coverage plan (issue 19).

One CLI run of ``tests/data/scenarios/zhoushan_hubs.toml`` (Zhoushan 2011-2013,
six candidates whose test capacities make a second hub necessary) is shared;
every check recomputes what it needs from the output files and the input
candidates, not from the hub model's own figures.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from citylogistics.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "tests" / "data" / "scenarios" / "zhoushan_hubs.toml"
CANDIDATES = ROOT / "tests" / "data" / "hubs" / "zhoushan_candidates.csv"
#: trunk step loads are rounded to 1e-3 parcel by the router: a hub's recomputed load may exceed its
#: planned load by that rounding
ROUNDING = 0.05


@pytest.fixture(scope="module")
def hubs_run(tmp_path_factory):
    from conftest import run_cli

    out = tmp_path_factory.mktemp("zhoushan_hubs") / "out"
    res = run_cli("run", str(SCENARIO), "--out", str(out))
    assert res.returncode == 0, res.stderr
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    sites = pd.read_csv(out / "sites.csv", dtype={"id": str, "code": str})
    kpis = pd.read_csv(out / "kpis.csv", dtype={"scope": str})
    return out, plan, sites, kpis


def _candidates() -> dict[str, dict]:
    with CANDIDATES.open(encoding="utf-8") as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


def _routed_loads(plan: dict) -> dict[int, dict[str, float]]:
    """Year -> hub -> parcels delivered plus picked up on its trunk routes."""
    out: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in plan["routes"]:
        if r["leg"] == "trunk":
            for s in r["steps"]:
                if s["type"] in ("delivery", "pickup"):
                    out[r["year"]][r["depot"]] += s["delivery"] + s["pickup"]
    return out


def _open_years(sites: pd.DataFrame) -> dict[str, float]:
    t0 = sites[sites["tier"] == "T0"]
    return dict(zip(t0["id"], t0["open_year"]))


def test_every_candidate_is_a_T0_row(hubs_run):
    """sites.csv has one T0 row per candidate and nothing else in tier T0."""
    _, _, sites, _ = hubs_run
    assert sorted(sites.loc[sites["tier"] == "T0", "id"]) == sorted(_candidates())


def test_hub_loads_within_capacity_every_year(hubs_run):
    """Each hub's trunk load (recomputed from the routes) fits the candidate file's capacity every year,
    and only hubs open that year (per sites.csv) run trunk routes."""
    _, plan, sites, _ = hubs_run
    cap = {h: float(r["capacity_parcels_per_day"]) for h, r in _candidates().items()}
    opened = _open_years(sites)
    years = plan["scenario"]["years"]
    loads = _routed_loads(plan)
    assert set(loads) == set(years)
    for year in years:
        for hub, load in loads[year].items():
            assert opened[hub] <= year, (year, hub)
            assert load <= cap[hub] + ROUNDING, (year, hub, load, cap[hub])
    # capacity binds: one hub could not carry the final year
    assert sum(loads[years[-1]].values()) > max(cap.values())
    assert len(loads[years[-1]]) >= 2


def test_single_assignment_every_year(hubs_run):
    """Every county hub is supplied from exactly one T0 hub in a year, on the routes and in the hub plan."""
    _, plan, _, _ = hubs_run
    depots: dict[tuple[int, str], set[str]] = defaultdict(set)
    for r in plan["routes"]:
        if r["leg"] == "trunk":
            for s in r["steps"]:
                if s["type"] in ("delivery", "pickup"):
                    depots[(r["year"], s["id"].split("~")[0])].add(r["depot"])
    assert depots and all(len(d) == 1 for d in depots.values()), depots
    (block,) = [b["hubs"] for b in plan["siting"].values()]
    for (year, county), (hub,) in depots.items():
        assert block["assignment"][str(year)][county] == hub


def test_hubs_never_close_and_existing_kept(hubs_run):
    """Existing candidates open before the horizon; the set of open hubs only grows year by year."""
    _, plan, sites, _ = hubs_run
    years = plan["scenario"]["years"]
    opened = _open_years(sites)
    for h, row in _candidates().items():
        if row["existing"] == "true":
            assert opened[h] == years[0] - 1
    (block,) = [b["hubs"] for b in plan["siting"].values()]
    open_sets = [set(block["load"][str(y)]) for y in years]
    for a, b in zip(open_sets, open_sets[1:]):
        assert a <= b
    for y, s in zip(years, open_sets):
        assert s == {h for h, oy in opened.items() if oy == oy and oy <= y}


def test_hub_kpis_match_routes_and_candidates(hubs_run):
    """land_used_m2 is the open hubs' area; hub_utilisation_max is the largest routed load / capacity, <= 1."""
    _, plan, sites, kpis = hubs_run
    cands = _candidates()
    opened = _open_years(sites)
    loads = _routed_loads(plan)
    top = kpis[kpis["scope"] == "city"].set_index("year")
    for year in plan["scenario"]["years"]:
        open_now = [h for h, oy in opened.items() if oy == oy and oy <= year]
        assert top.at[year, "hubs_open"] == len(open_now)
        assert top.at[year, "land_used_m2"] == pytest.approx(sum(float(cands[h]["area_m2"]) for h in open_now))
        util = [loads[year].get(h, 0.0) / float(cands[h]["capacity_parcels_per_day"]) for h in open_now]
        assert top.at[year, "hub_utilisation_max"] == pytest.approx(max(util), abs=1e-5)
        assert top.at[year, "hub_utilisation_max"] <= 1 + 1e-6
        assert top.at[year, "trunk_cost_per_parcel_km_cny"] > 0
    assert kpis.loc[kpis["scope"] != "city", "land_used_m2"].isna().all()


def test_per_km_check_reported(hubs_run):
    """plan.json's trunk check divides the routed trunk cost by the parcel-km carried, per year."""
    _, plan, _, _ = hubs_run
    (block,) = [b["hubs"] for b in plan["siting"].values()]
    for year in plan["scenario"]["years"]:
        rs = [r for r in plan["routes"] if r["leg"] == "trunk" and r["year"] == year]
        cost = sum(r["fixed_cost_cny"] + r["distance_cost_cny"] + r["time_cost_cny"] for r in rs)
        pkm = sum(r["parcel_km"] for r in rs)
        check = block["trunk_check"][str(year)]
        assert check["routed_cny_per_parcel_km"] == pytest.approx(cost / pkm, rel=1e-3)
        from citylogistics.scenario.files import HubsSection

        assert check["model_cny_per_parcel_km"] == pytest.approx(HubsSection(candidates="x").cost_per_parcel_km_cny)


def test_sites_csv_hub_columns(hubs_run):
    """sites.csv's T0 rows carry area, capacity, final-year load (= routed), land cost and existing."""
    _, plan, sites, _ = hubs_run
    t0 = sites[sites["tier"] == "T0"].set_index("id")
    cands = _candidates()
    final = _routed_loads(plan)[plan["scenario"]["years"][-1]]
    for h, row in cands.items():
        assert t0.at[h, "capacity_parcels_per_day"] == pytest.approx(float(row["capacity_parcels_per_day"]))
        assert t0.at[h, "area_m2"] == pytest.approx(float(row["area_m2"]))
        assert t0.at[h, "load_parcels_per_day"] == pytest.approx(final.get(h, 0.0), abs=ROUNDING)
        assert t0.at[h, "load_parcels_per_day"] <= t0.at[h, "capacity_parcels_per_day"] + ROUNDING


def _variant(tmp_path: Path, hubs_lines: str, candidates: Path = CANDIDATES) -> Path:
    text = SCENARIO.read_text(encoding="utf-8").split("[hubs]")[0]
    path = tmp_path / "scenario.toml"
    path.write_text(text + f"[hubs]\ncandidates = {json.dumps(str(candidates))}\n{hubs_lines}", encoding="utf-8")
    return path


def test_min_open_above_candidates_refused_before_any_work(tmp_path, cli):
    """min_open above the number of candidates: exit 2 naming hubs.min_open, no output written."""
    path = _variant(tmp_path, "min_open = 7\n")
    res = cli("run", str(path), "--out", str(tmp_path / "out"))
    assert res.returncode == 2
    assert "hubs.min_open" in res.stderr and str(path.name) in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and len(res.stderr) <= 300
    assert not (tmp_path / "out").exists()


def test_not_enough_capacity_refused_before_routing(tmp_path, monkeypatch):
    """Candidates that cannot carry the county hubs' loads: an InputError naming the scenario and
    hubs.candidates, raised before any route is solved."""
    from citylogistics.planner import four_tier
    from citylogistics.scenario.files import load_scenario
    from citylogistics.scenario.run import plan_coverage

    small = tmp_path / "small.csv"
    rows = list(csv.DictReader(CANDIDATES.open(encoding="utf-8")))
    for r in rows:
        r["capacity_parcels_per_day"] = "1000"
    with small.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    path = _variant(tmp_path, "", candidates=small)

    def no_routing(*_a, **_k):
        raise AssertionError("routing started before the hub plan was checked")

    monkeypatch.setattr(four_tier, "_route", no_routing)
    with pytest.raises(InputError) as err:
        plan_coverage(load_scenario(path))
    assert err.value.where == "hubs.candidates" and "scenario.toml" in str(err.value)
    assert "capacity" in err.value.message


def test_hubs_candidates_command_writes_readable_file(tmp_path):
    """`hubs candidates` writes a candidates file read_candidates accepts, with the current hub existing,
    and refuses to replace it without --overwrite."""
    from citylogistics.location.hubs import read_candidates
    from citylogistics.scenario.hubs_cli import cmd_hubs_candidates

    out = tmp_path / "zs.csv"
    args = argparse.Namespace(city="Zhoushan", out=str(out), overwrite=False, max_dist_m=2000.0, n_max=4)
    assert cmd_hubs_candidates(args) == 0
    cands = read_candidates(out)
    assert 1 <= len(cands) <= 4
    assert [c.id for c in cands if c.existing] == ["T0-330900"]
    assert all(c.generated for c in cands if not c.existing)
    with pytest.raises(InputError, match="overwrite"):
        cmd_hubs_candidates(args)


def test_hubs_parser_registers_candidates_command(monkeypatch):
    """The CLI has `hubs candidates` with its options; running it calls hubs_cli.cmd_hubs_candidates."""
    import citylogistics.scenario.hubs_cli as hubs_cli
    from citylogistics.cli import build_parser

    p = build_parser()
    args = p.parse_args(["hubs", "candidates", "--city", "Lishui", "--out", "x.csv", "--n-max", "5"])
    assert args.n_max == 5 and args.max_dist_m == 2000.0
    monkeypatch.setattr(hubs_cli, "cmd_hubs_candidates", lambda a: ("called", a.city))
    assert args.func(args) == ("called", "Lishui")
    with pytest.raises(SystemExit):
        p.parse_args(["hubs", "candidates", "--city", "Lishui", "--out", "x.csv", "--n-max", "0"])


def test_map_draws_the_chosen_hubs_not_the_city_seat(hubs_run):
    """With [hubs], the map's T0 markers are the candidate parcels; the city seat is not drawn as a hub."""
    out, _plan, sites, _kpis = hubs_run
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "T0 hub candidates" in html
    seat = "舟山市"
    assert f"{seat} city hub (T0)" not in html
    for hub in sites.loc[sites["tier"] == "T0", "id"]:
        assert f"T0 hub {hub} (open from" in html or f"T0 hub candidate {hub} (not opened)" in html
