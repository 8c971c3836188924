"""Location-routing (issue 19 part 5): Prodhon reader, solution evaluation, and the
solver's answer on coord20-5-1 checked independently from the coordinates."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path

from citylogistics.errors import InputError
from citylogistics.bench.lrp import (BENCH_FIELDS, bench_lrp_rows, read_lrp, read_lrp_solution,
                               route_depot_set, solve_lrp)

PUBLISHED_20_5_1 = 54793  # ceil(100 * euclid) convention, ../shared/benchmarks/SOURCES.md

SHAPES = {  # n customers, m depots, total demand, total depot capacity
    "coord20-5-1": (20, 5, 315, 700),
    "coord20-5-2": (20, 5, 310, 560),
    "coord50-5-1": (50, 5, 756, 1890),
    "coord50-5-2": (50, 5, 775, 1750),
    "coord100-5-1": (100, 5, 1583, 3780),
}


@pytest.fixture(scope="module")
def inst20():
    return read_lrp(shared_path("benchmarks", "lrp", "coord20-5-1.dat"))


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_reader_on_shared_instances(name):
    inst = read_lrp(shared_path("benchmarks", "lrp", f"{name}.dat"))
    n, m, demand, cap = SHAPES[name]
    assert (inst.name, inst.n_customers, inst.n_depots) == (name, n, m)
    assert inst.demand.sum() == demand and inst.depot_capacity.sum() == cap
    assert inst.vehicle_capacity == 70 and inst.route_cost == 1000 and inst.flag == 0
    assert inst.customer_xy.shape == (n, 2) and inst.opening_cost.shape == (m,)
    D = inst.cost_matrix("ceil")
    assert D.shape == (n + m, n + m) and (D == D.T).all() and (np.diag(D) == 0).all()


def test_published_solution_costs_54793_with_ceil(inst20):
    path = shared_path("benchmarks", "lrp", "coord20-5-1.sol")
    sol = read_lrp_solution(path, inst20)
    assert sol.objective == PUBLISHED_20_5_1
    assert sol.open_depots == (1, 2, 4) and len(sol.routes) == 5
    assert read_lrp_solution(path, inst20, rounding="floor").objective == 54769


def _lines(inst_path: Path) -> list[str]:
    return inst_path.read_text().splitlines()


def _broken(tmp_path: Path, lines: list[str]) -> Path:
    p = tmp_path / "broken.dat"
    p.write_text("\n".join(lines) + "\n")
    return p


def _edit(lines, lineno, text):
    out = list(lines)
    out[lineno - 1] = text
    return out


# coord20-5-1: line 1 n, 2 m, 4-8 depots, 10-29 customers, 31 Q, 33-37 capacities,
# 39-58 demands, 60-64 opening costs, 66 route cost, 68 flag
BROKEN = {
    "truncated": (lambda L: L[:45], "line 46: demand of customer 8", "truncated"),
    "non_numeric": (lambda L: _edit(L, 12, "29 4x3"), "line 12: customer 3 y", "not a number"),
    "zero_customers": (lambda L: _edit(L, 1, "0"), "line 1: number of customers", "out of range"),
    "fractional_count": (lambda L: _edit(L, 2, "5.5"), "line 2: number of depots", "whole number"),
    "negative_demand": (lambda L: _edit(L, 40, "-3"), "line 40: demand of customer 2", "out of range"),
    "demand_above_vehicle": (lambda L: _edit(L, 39, "71"), "demand of customer 1", "exceeds the vehicle"),
    "zero_vehicle_capacity": (lambda L: _edit(L, 31, "0"), "line 31: vehicle capacity", "out of range"),
    "bad_flag": (lambda L: _edit(L, 68, "2"), "line 68: cost flag", "0 or 1"),
    "trailing_data": (lambda L: L + ["7"], "line 70: trailing data", "unexpected data"),
    "too_little_capacity": (lambda L: L[:32] + ["10"] * 5 + L[37:], "depot capacities", "no solution"),
    "empty": (lambda L: [], "line 1: number of customers", "truncated"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_malformed_files_refused(case, tmp_path):
    make, where, text = BROKEN[case]
    path = _broken(tmp_path, make(_lines(shared_path("benchmarks", "lrp", "coord20-5-1.dat"))))
    with pytest.raises(InputError) as exc:
        read_lrp(path)
    assert exc.value.where == where
    assert text in exc.value.message
    assert exc.value.source == str(path)


def test_missing_file_refused(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_lrp(tmp_path / "coord-none.dat")


def _independent_cost(inst, routes) -> int:
    """Opening + route costs + sum of ceil(100 * euclid), straight from the coordinates."""
    def pt(kind, i):
        return tuple(inst.depot_xy[i]) if kind == "d" else tuple(inst.customer_xy[i])
    total = sum(inst.opening_cost[k] for k in {r.depot for r in routes}) + inst.route_cost * len(routes)
    for r in routes:
        stops = [("d", r.depot)] + [("c", i) for i in r.customers] + [("d", r.depot)]
        for a, b in zip(stops[:-1], stops[1:]):
            (x1, y1), (x2, y2) = pt(*a), pt(*b)
            total += math.ceil(round(100 * math.sqrt((x1 - x2) ** 2 + (y1 - y2) ** 2), 9))
    return int(total)


def _check_feasible(inst, sol):
    served = sorted(i for r in sol.routes for i in r.customers)
    assert served == list(range(inst.n_customers))  # every customer exactly once
    depot_load = np.zeros(inst.n_depots)
    for r in sol.routes:
        load = sum(inst.demand[i] for i in r.customers)
        assert load <= inst.vehicle_capacity
        depot_load[r.depot] += load
        assert r.depot in sol.open_depots
    assert (depot_load <= inst.depot_capacity).all()


@pytest.fixture(scope="module")
def solved20(inst20):
    return solve_lrp(inst20, time_limit_s=5, seed=0)


def test_coord20_5_1_within_2_percent_and_feasible(inst20, solved20):
    _check_feasible(inst20, solved20)
    cost = _independent_cost(inst20, solved20.routes)
    assert cost == solved20.objective
    assert cost <= 1.02 * PUBLISHED_20_5_1, cost
    assert "coord20-5-1" in str(solved20)


def test_depot_capacity_respected_when_free_routing_overloads(tmp_path):
    """A cheap central depot with room for half the demand: the free multi-depot
    routes would send everything there; the depot set's routing must not."""
    lines = ["6", "2", "", "10 10", "40 40", ""] + [f"{10 + dx} {10 + dy}" for dx, dy in
                                                      ((1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, -1))]
    lines += ["", "30", "", "30", "100", ""] + ["10"] * 6 + ["", "100", "100", "", "50", "", "0"]
    inst = read_lrp(_broken(tmp_path, lines))
    sol = route_depot_set(inst, (0, 1), work_s=0.2)
    _check_feasible(inst, sol)
    assert sol.solver["method"] != "mdvrp"  # the free routes overloaded depot 1 and were repaired
    assert _independent_cost(inst, sol.routes) == sol.objective
    assert route_depot_set(inst, (0,), work_s=0.2) is None  # 30 < 60: cannot hold the demand
    rows = bench_lrp_rows([tmp_path / "broken.dat"], time_limit_s=1, seed=0)
    assert list(rows[0]) == list(BENCH_FIELDS)
    assert rows[0]["instance"] == "broken" and rows[0]["routes"] >= 1 and rows[0]["depots_open"] in ("1+2", "2")


def test_cli_parser_hook(monkeypatch):
    import citylogistics.bench.lrp as lrp
    from citylogistics.cli import build_parser

    p = build_parser()
    args = p.parse_args(["bench", "lrp", "a.dat", "b.dat", "--time-limit", "7", "--seed", "3"])
    assert args.files == ["a.dat", "b.dat"] and args.time_limit == 7.0 and args.seed == 3
    monkeypatch.setattr(lrp, "cmd_bench_lrp", lambda a: ("called", a.files))  # the CLI runs cmd_bench_lrp
    assert args.func(args) == ("called", ["a.dat", "b.dat"])
    with pytest.raises(SystemExit):
        p.parse_args(["bench", "lrp", "a.dat", "--time-limit", "0"])
