"""Benchmark readers follow SOURCES.md conventions: known optimal solutions cost exactly the BKS."""

import csv
from pathlib import Path

import pytest

from citylogistics.errors import InputError
from citylogistics.routing import RouteSpec, bench_vrp_rows, build_plan
from citylogistics.vrpfiles import read_cvrplib, read_instance, read_solomon

from conftest import SHARED

BENCH = SHARED / "benchmarks"  # ../shared relative to the repository root
needs_bench = pytest.mark.usefixtures("shared_benchmarks")  # required data: missing files fail, never skip


def _bks():
    with open(BENCH / "bks.csv") as fh:
        return {r["instance"]: float(r["objective_bks"]) for r in csv.DictReader(fh) if r["objective_bks"]}


def _sol_routes(path):
    return [[int(x) for x in line.split(":")[1].split()] for line in Path(path).read_text().splitlines()
            if line.startswith("Route")]


@needs_bench
@pytest.mark.parametrize("name", ["C101", "R101", "RC205"])
def test_solomon_optimal_solution_costs_bks(name):
    inst = read_solomon(BENCH / "solomon" / f"{name}.txt")
    prob = inst.problem
    assert len(prob.stops) == 100 and prob.vehicle_types[0].capacity in (200, 1000)
    pos = {s.id: k for k, s in enumerate(prob.stops)}
    specs = [RouteSpec(0, (tuple(pos[str(c)] for c in r),)) for r in _sol_routes(BENCH / "solomon" / f"{name}.sol")]
    plan = build_plan(prob, specs, [], solver={})
    assert plan.solver["feasible"], plan.solver["violations"]
    assert inst.objective(plan) == pytest.approx(_bks()[name], abs=0.05)


@needs_bench
@pytest.mark.parametrize("name", ["X-n101-k25", "X-n120-k6"])
def test_cvrp_optimal_solution_costs_bks(name):
    inst = read_cvrplib(BENCH / "cvrp_x" / f"{name}.vrp")
    prob = inst.problem
    # .sol numbers customers 1..n; the file's node 1 is the depot, so customer c is node c + 1.
    pos = {s.id: k for k, s in enumerate(prob.stops)}
    specs = [RouteSpec(0, (tuple(pos[str(c + 1)] for c in r),)) for r in _sol_routes(BENCH / "cvrp_x" / f"{name}.sol")]
    plan = build_plan(prob, specs, [], solver={})
    assert plan.solver["feasible"], plan.solver["violations"]
    assert inst.objective(plan) == _bks()[name]


@needs_bench
def test_distance_conventions():
    sol = read_instance(BENCH / "solomon" / "C101.txt").problem.distance_m
    assert all(abs(v * 10 - round(v * 10)) < 1e-9 for v in sol[0, :10])
    x = read_instance(BENCH / "cvrp_x" / "X-n101-k25.vrp").problem.distance_m
    assert (x == x.round()).all()


@needs_bench
def test_bench_rows_keys():
    rows = bench_vrp_rows([BENCH / "solomon" / "C101.txt"], time_limit_s=1, seed=0, engine="pyvrp")
    assert list(rows[0]) == ["instance", "objective", "routes", "seconds", "feasible"]
    assert rows[0]["instance"] == "C101" and rows[0]["feasible"] is True
    assert rows[0]["objective"] >= 827.3 - 1e-9


def test_bad_files(tmp_path):
    with pytest.raises(InputError, match="unknown benchmark file type"):
        read_instance(tmp_path / "a.csv")
    with pytest.raises(InputError, match="cannot read"):
        read_instance(tmp_path / "missing.txt")
    p = tmp_path / "bad.vrp"
    p.write_text("NAME : bad\nEDGE_WEIGHT_TYPE : GEO\nCAPACITY : 10\nNODE_COORD_SECTION\n1 0 0\nEOF\n")
    with pytest.raises(InputError, match="EDGE_WEIGHT_TYPE"):
        read_instance(p)
    p = tmp_path / "bad.txt"
    p.write_text("X\n\nVEHICLE\nNUMBER CAPACITY\n 2 10\n\nCUSTOMER\nCUST NO. ...\n 0 0 0 0 0 100\n")
    with pytest.raises(InputError, match="line 9"):
        read_instance(p)


def test_tiny_files_round_trip(tmp_path):
    p = tmp_path / "t.vrp"
    p.write_text("NAME : t\nTYPE : CVRP\nDIMENSION : 3\nEDGE_WEIGHT_TYPE : EUC_2D\nCAPACITY : 5\n"
                 "NODE_COORD_SECTION\n1 0 0\n2 3 4\n3 0 1.6\nDEMAND_SECTION\n1 0\n2 2\n3 3\n"
                 "DEPOT_SECTION\n1\n-1\nEOF\n")
    inst = read_instance(p)
    assert inst.name == "t" and [s.id for s in inst.problem.stops] == ["2", "3"]
    assert inst.problem.distance_m[0, 1] == 5 and inst.problem.distance_m[0, 2] == 2
