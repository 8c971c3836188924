"""OR-Library readers and bench rows."""

from __future__ import annotations

import numpy as np
import pytest

from citylogistics.errors import InputError
from citylogistics.bench.orlib import bench_cap_rows, bench_pmed_rows, read_cap, read_pmed

from conftest import SHARED

BENCH = SHARED / "benchmarks"  # ../shared relative to the repository root

KEYS = ["instance", "objective", "bound", "seconds", "status"]


def test_pmed_last_duplicate_edge_wins(tmp_path):
    f = tmp_path / "tiny.txt"
    f.write_text(" 3 3 1\n 1 2 5\n 2 3 1\n 1 2 9\n")
    inst = read_pmed(f)
    assert inst.p == 1 and inst.n == 3
    assert inst.distance[0, 1] == 9  # last occurrence, not the minimum
    assert inst.distance[0, 2] == 10
    assert inst.distance[2, 0] == 10
    assert np.all(np.diag(inst.distance) == 0)


def test_pmed_truncated_file(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_text(" 3 5 1\n 1 2 5\n")
    with pytest.raises(InputError, match="truncated"):
        read_pmed(f)


def test_cap_reader_tiny(tmp_path):
    f = tmp_path / "cap.txt"
    f.write_text(" 2 2\n 10 5.\n 10 7.\n 4\n 8. 12.\n 6\n 18. 6.\n")
    inst = read_cap(f)
    assert inst.capacity.tolist() == [10, 10]
    assert inst.fixed_cost.tolist() == [5, 7]
    assert inst.demand.tolist() == [4, 6]
    assert inst.cost.tolist() == [[8, 12], [18, 6]]
    rows = bench_cap_rows([f], time_limit_s=2)
    assert list(rows[0]) == KEYS
    # open both: 5+7+8+6 = 26 ; open only one: capacity 10 >= 10: w1 -> 5+8+18 = 31, w2 -> 7+12+6 = 25
    assert rows[0]["objective"] == pytest.approx(25)
    assert rows[0]["status"] == "optimal"


@pytest.mark.usefixtures("shared_benchmarks")  # required data: missing files fail, never skip
def test_pmed1_and_cap41_optimal():
    """pmed1 and cap41 of the shared OR-Library files solve to their published optima."""
    rows = bench_pmed_rows([BENCH / "pmed" / "pmed1.txt"], time_limit_s=20)
    assert list(rows[0]) == KEYS
    assert rows[0]["objective"] == pytest.approx(5819)
    assert rows[0]["status"] == "optimal"
    rows = bench_cap_rows([BENCH / "cap" / "cap41.txt"], time_limit_s=20)
    assert rows[0]["objective"] == pytest.approx(1040444.375, rel=1e-7)
    assert rows[0]["status"] == "optimal"


# --------------------------------------------------------------------------- hostile files (issue 14)

@pytest.mark.parametrize("text, wants", [
    (" 3 3 1\n 1 2 5\n 2 4 1\n 1 2 9\n", ["line 3: edge 2 vertex j", "[1, 3]"]),
    (" 3 3 1\n 1 2 5\n 0 3 1\n 1 2 9\n", ["line 3: edge 2 vertex i"]),
    (" 3 3 1\n 1 2 5\n 2 3 nan\n 1 2 9\n", ["line 3: edge 2 cost", "'nan'"]),
    (" 3 3 0\n 1 2 5\n", ["line 1: p"]),
    (" 3 -3 1\n", ["line 1: n_edges"]),
    (" 99999999 3 1\n", ["line 1: n_vertices"]),
    (" 3 1 1\n 1 2 5\n 2 3 1\n", ["line 3: extra data"]),
    (" 3 x 1\n", ["line 1: n_edges", "not a number"]),
    ("", ["n_vertices", "first line"]),
])
def test_pmed_hostile_files(tmp_path, text, wants):
    f = tmp_path / "bad.txt"
    f.write_text(text)
    with pytest.raises(InputError) as err:
        read_pmed(f)
    msg = err.value.one_line()
    assert len(msg) <= 300
    for want in wants:
        assert want in msg, (want, msg)


@pytest.mark.parametrize("text, wants", [
    (" 2 2\n 10 5.\n 10 7.\n 4\n 8. 12.\n 6\n", ["line 6", "truncated"]),
    (" 2 2\n 10 5.\n 10 -7.\n 4\n 8. 12.\n 6\n 18. 6.\n", ["line 3: warehouse 2 fixed cost"]),
    (" 2 2\n 10 5.\n 10 7.\n inf\n 8. 12.\n 6\n 18. 6.\n", ["line 4: customer 1 demand"]),
    (" 2 2\n 10 5.\n 10 7.\n 4\n 8. 12.\n 6\n 18. 6.\n 1\n", ["line 8: extra data"]),
    (" 20000 2\n", ["line 1: m (warehouses)"]),
    (" 1000 100000\n", ["line 1: n (customers)"]),
])
def test_cap_hostile_files(tmp_path, text, wants):
    f = tmp_path / "bad.txt"
    f.write_text(text)
    with pytest.raises(InputError) as err:
        read_cap(f)
    for want in wants:
        assert want in err.value.one_line(), (want, err.value.one_line())


def test_cap_capacity_word_still_reads(tmp_path):
    f = tmp_path / "capa.txt"
    f.write_text(" 2 1\n capacity 5.\n capacity 7.\n 4\n 8. 12.\n")
    assert np.isnan(read_cap(f).capacity).all()
