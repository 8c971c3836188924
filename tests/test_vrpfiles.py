"""Benchmark readers follow SOURCES.md conventions: known optimal solutions cost exactly the BKS."""

import csv
from pathlib import Path

import pytest

from citylogistics.errors import InputError
from citylogistics.bench.vrp_files import bench_vrp_rows
from citylogistics.routing.solver import RouteSpec, build_plan
from citylogistics.bench.vrp_files import read_cvrplib, read_instance, read_solomon

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
    """Reader conventions (truncated distances, fleet, windows): the published optimum is feasible at the BKS cost."""
    inst = read_solomon(BENCH / "solomon" / f"{name}.txt")
    prob = inst.problem
    assert len(prob.stops) == 100 and prob.vehicle_types[0].capacity in (200, 1000)
    pos = {s.id: k for k, s in enumerate(prob.stops)}
    specs = [RouteSpec(0, (tuple(pos[str(c)] for c in r),)) for r in _sol_routes(BENCH / "solomon" / f"{name}.sol")]
    plan = build_plan(prob, specs, [], solver={})
    assert plan.solver.feasible, plan.solver.violations
    assert inst.objective(plan) == pytest.approx(_bks()[name], abs=0.05)


@needs_bench
@pytest.mark.parametrize("name", ["X-n101-k25", "X-n120-k6"])
def test_cvrp_optimal_solution_costs_bks(name):
    """Reader conventions (nint distances, node numbering): the published optimum is feasible at the BKS cost."""
    inst = read_cvrplib(BENCH / "cvrp_x" / f"{name}.vrp")
    prob = inst.problem
    # .sol numbers customers 1..n; the file's node 1 is the depot, so customer c is node c + 1.
    pos = {s.id: k for k, s in enumerate(prob.stops)}
    specs = [RouteSpec(0, (tuple(pos[str(c + 1)] for c in r),)) for r in _sol_routes(BENCH / "cvrp_x" / f"{name}.sol")]
    plan = build_plan(prob, specs, [], solver={})
    assert plan.solver.feasible, plan.solver.violations
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


# --------------------------------------------------------------------------- hostile files (issue 14)

_HDR = "NAME : t\nTYPE : CVRP\nDIMENSION : {dim}\nEDGE_WEIGHT_TYPE : EUC_2D\nCAPACITY : {cap}\n"
_BODY = "NODE_COORD_SECTION\n1 0 0\n2 3 4\n3 0 1.6\nDEMAND_SECTION\n1 0\n2 2\n3 3\n"


@pytest.mark.parametrize("text, wants", [
    (_HDR.format(dim=5, cap=5) + _BODY + "DEPOT_SECTION\n1\n-1\nEOF\n", ["line 6: NODE_COORD_SECTION", "DIMENSION is 5"]),
    (_HDR.format(dim=3, cap=5) + _BODY + "DEPOT_SECTION\n0\n-1\n", ["line 15: DEPOT_SECTION", "depot 0"]),
    (_HDR.format(dim=3, cap=5) + _BODY, ["DEPOT_SECTION is missing"]),
    (_HDR.format(dim=3, cap=5) + _BODY + "DEPOT_SECTION\n1\n", ["not ended by -1"]),
    (_HDR.format(dim="1e9", cap=5) + _BODY, ["line 3: DIMENSION", "10000"]),
    (_HDR.format(dim=3, cap="-5") + _BODY, ["line 5: CAPACITY", "'-5'"]),
    (_HDR.format(dim=3, cap="inf") + _BODY, ["line 5: CAPACITY", "finite"]),
    (_HDR.format(dim=3, cap=5) + "NODE_COORD_SECTION\n1 0 0\n2 3 4\n2 0 1.6\n", ["line 9", "listed twice"]),
    (_HDR.format(dim=3, cap=5) + "NODE_COORD_SECTION\n1 0 0\n9 3 4\n", ["line 8: NODE_COORD_SECTION", "node 9"]),
    (_HDR.format(dim=3, cap=5) + "EDGE_WEIGHT_SECTION\n1 2 3\n", ["line 6", "unknown section"]),
    ("hello world\n", ["line 1", "KEY : value"]),
])
def test_cvrplib_hostile_files(tmp_path, text, wants):
    p = tmp_path / "h.vrp"
    p.write_text(text)
    with pytest.raises(InputError) as err:
        read_instance(p)
    msg = err.value.one_line()
    assert len(msg) <= 300, msg
    for want in wants:
        assert want in msg, (want, msg)


_SOL = "C1\n\nVEHICLE\nNUMBER CAPACITY\n{veh}\n\nCUSTOMER\nCUST NO.\n 0 0 0 0 0 100 0\n{rows}\n"


@pytest.mark.parametrize("veh, rows, wants", [
    ("2 10", " 1 1 1 1 0 50", ["line 10", "7 columns"]),
    ("2 10", " 1 1 1 1 60 50 0", ["line 10", "DUE DATE"]),
    ("2 10", " 1 1 1 -1 0 50 0", ["line 10", "DEMAND"]),
    ("2 10", " 1 1 inf 1 0 50 0", ["line 10", "YCOORD", "finite"]),
    ("2 10", " 0 1 1 1 0 50 0", ["line 10", "repeats line 9"]),
    ("2.5 10", " 1 1 1 1 0 50 0", ["line 5", "vehicle NUMBER", "whole number"]),
    ("2 10 3", " 1 1 1 1 0 50 0", ["line 5", "NUMBER CAPACITY"]),
])
def test_solomon_hostile_files(tmp_path, veh, rows, wants):
    p = tmp_path / "h.txt"
    p.write_text(_SOL.format(veh=veh, rows=rows))
    with pytest.raises(InputError) as err:
        read_instance(p)
    msg = err.value.one_line()
    for want in wants:
        assert want in msg, (want, msg)


def test_binary_and_long_values_are_refused_short(tmp_path):
    p = tmp_path / "b.vrp"
    p.write_bytes(b"NAME : x\n\x00\x01\x02")
    with pytest.raises(InputError, match="line 2: is not a text file"):
        read_instance(p)
    p = tmp_path / "l.vrp"
    p.write_text(_HDR.format(dim=3, cap="x" * 1_000_000) + _BODY)
    with pytest.raises(InputError) as err:
        read_instance(p)
    assert len(err.value.one_line()) <= 300 and "\u2026" in err.value.one_line()


# --------------------------------------------------------------------------- vrplib parses, the checks name lines

def test_cvrplib_nodes_in_any_order_read_as_in_order(tmp_path):
    """vrplib drops node numbers; the reader maps its rows back by the numbers the line check read."""
    body = "NODE_COORD_SECTION\n3 0 1.6\n1 0 0\n2 3 4\nDEMAND_SECTION\n2 2\n3 3\n1 0\nDEPOT_SECTION\n1\n-1\nEOF\n"
    shuffled, ordered = tmp_path / "s.vrp", tmp_path / "o.vrp"
    shuffled.write_text(_HDR.format(dim=3, cap=5) + body)
    ordered.write_text(_HDR.format(dim=3, cap=5) + _BODY + "DEPOT_SECTION\n1\n-1\nEOF\n")
    a, b = read_instance(shuffled).problem, read_instance(ordered).problem
    assert a.stops == b.stops and a.node_ids == b.node_ids and (a.distance_m == b.distance_m).all()


def test_vrplib_reading_differently_from_the_line_check_is_refused_with_the_line(tmp_path, monkeypatch):
    """The product builds problems from vrplib's parse; if it disagrees with the checked lines the file is
    refused naming the section's line, never read half-right."""
    import vrplib.parse

    real = vrplib.parse.parse_vrplib

    def shifted(text, compute_edge_weights=True):
        data = real(text, compute_edge_weights=compute_edge_weights)
        data["node_coord"] = data["node_coord"] + 1
        return data

    p = tmp_path / "t.vrp"
    p.write_text(_HDR.format(dim=3, cap=5) + _BODY + "DEPOT_SECTION\n1\n-1\nEOF\n")
    monkeypatch.setattr(vrplib.parse, "parse_vrplib", shifted)
    with pytest.raises(InputError, match="line 6: NODE_COORD_SECTION: vrplib reads NODE_COORD_SECTION"):
        read_instance(p)


def test_solomon_decimal_values_are_refused_with_their_line(tmp_path):
    """vrplib's Solomon reader takes whole numbers; a decimal value is refused on its line, not truncated."""
    head = "C1\nVEHICLE\nNUMBER     CAPACITY\n  2         10\nCUSTOMER\n" \
           "CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME\n"
    p = tmp_path / "d.txt"
    p.write_text(head + " 0 0 0 0 0 100 0\n 1 1 1 1 0 50 0\n")
    assert [s.id for s in read_instance(p).problem.stops] == ["1"]
    p.write_text(head + " 0 0 0 0 0 100 0\n 1 1.5 1 1 0 50 0\n")
    with pytest.raises(InputError, match="line 8"):
        read_instance(p)
