"""Bad input never crashes: the catalogue in tests/data/invalid/ run through the CLI.

Every case of ``tests/data/invalid/cases.toml`` runs ``python -m citylogistics
ARGS`` in that folder and must give exit code 2, exactly one line on stderr
that contains each expected substring (the file, the field or row, the fix),
no traceback, nothing on stdout, and leave the output path as it was (absent,
an earlier run's files byte for byte, or a file).

The cases run as subprocesses, a few at a time, in one module-scoped fixture
(the 2-core CI would otherwise spend most of the time waiting on imports); each
case is still its own parametrised test.  Problems that are valid but cannot be
served (a shift too short for any stop, a zero budget) are not errors: they
exit 0 and report what was not served and why.  Fields that no command-line
input reaches (a stop's time window) are checked at the library level.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from citylogistics.errors import InputError

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE / "data" / "invalid"
CASE_FILES = sorted(CATALOGUE.glob("cases*.toml"))  # cases.toml, cases_parsers.toml, ...
CASES = [c for f in CASE_FILES for c in tomllib.loads(f.read_text(encoding="utf-8"))["case"]]
IDS = [c["id"] for c in CASES]

EARLIER_RUN = {"manifest.json": '{"tool": "citylogistics", "title": "earlier run"}\n',
               "plan.json": '{"summary": {"routes": 3}}\n', "kpis.csv": "scope,year\ncity,2015\n",
               "map.html": "<html>earlier</html>\n", "sub/villages.csv": "code\n330902001001\n"}


USER_FILES = {"notes.txt": "meeting at 9\n", "data/stations.csv": "id,lon,lat\ns1,121.1,30.0\n",
              "plan.json": "{}\n"}


def tree_digest(path: Path) -> dict[str, str]:
    """sha256 of every file under ``path`` (or of ``path`` itself), by relative name."""
    if path.is_file():
        return {".": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def _prepare(case: dict, base: Path) -> tuple[Path, list[str], dict | None]:
    work = base / case["id"]
    work.mkdir()
    out = work / "out"
    state = case["out"]
    if state == "existing":
        for name, text in EARLIER_RUN.items():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_text(text, encoding="utf-8")
    elif state == "unrelated":  # a user's own folder: no citylogistics manifest
        for name, text in USER_FILES.items():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_text(text, encoding="utf-8")
    elif state == "file":
        out.write_text("keep me\n", encoding="utf-8")
    before = tree_digest(out) if out.exists() else None
    args = [a.replace("{out}", str(out)).replace("{home}", str(Path.home())) for a in case["args"]]
    return work, args, before


def _run(args: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, CI="true", PYTHONHASHSEED="0")
    return subprocess.run([sys.executable, "-m", "citylogistics", *args], capture_output=True, text=True,
                          cwd=CATALOGUE, env=env, timeout=300)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    base = tmp_path_factory.mktemp("invalid")
    catalogue_before = tree_digest(CATALOGUE)
    prepared = {c["id"]: _prepare(c, base) for c in CASES}
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {cid: pool.submit(_run, args) for cid, (_, args, _) in prepared.items()}
        done = {cid: f.result() for cid, f in futures.items()}
    out = {cid: (prepared[cid][0], prepared[cid][2], done[cid]) for cid in prepared}
    return out, catalogue_before, tree_digest(CATALOGUE)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_bad_input_gives_one_line_and_exit_2(case, results):
    by_id, _, _ = results
    work, before, res = by_id[case["id"]]
    out = work / "out"
    assert "Traceback" not in res.stderr, res.stderr
    assert res.returncode == 2, (res.returncode, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    line = lines[0]
    assert len(line) <= 300, line
    assert "Error(" not in line and "Params" not in line, line  # no internal class names
    for want in case["expect"]:
        assert want.replace("{out}", str(out)) in line, (want, line)
    assert res.stdout == ""
    # nothing created or changed: the output path, and no staging folders beside it
    if before is None:
        assert not out.exists()
    else:
        assert tree_digest(out) == before
    leftovers = [p.name for p in work.iterdir() if p.name != "out"]
    assert leftovers == []


VALID = tomllib.loads((CATALOGUE / "valid.toml").read_text(encoding="utf-8"))["valid"]


@pytest.mark.parametrize("case", VALID, ids=[c["id"] for c in VALID])
def test_valid_variants_run(case, tmp_path: Path):
    """Positive cases of the catalogue (CRLF, a byte-order mark, a Chinese city name) run and write outputs."""
    out = tmp_path / "out"
    res = _run([a.replace("{out}", str(out)) for a in case["args"]])
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    for name in case["writes"]:
        assert (out / name).is_file(), name


def test_run_refuses_folder_of_unrelated_files_and_keeps_every_file(tmp_path: Path):
    """A valid scenario with --out naming a folder of a user's own files: refused, every file kept byte for byte."""
    out = tmp_path / "my documents"
    (out / "notes").mkdir(parents=True)
    (out / "notes" / "todo.txt").write_text("buy milk\n", encoding="utf-8")
    (out / "data.csv").write_bytes(b"a,b\r\n1,2\r\n")
    (out / "plan.json").write_text("{}\n", encoding="utf-8")  # looks like an output, but no manifest
    before = tree_digest(out)
    res = _run(["run", "scenario/good_route.toml", "--out", str(out)])
    assert res.returncode == 2, res.stderr
    assert "is not a citylogistics output" in res.stderr and "--overwrite" in res.stderr
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my documents"]  # no staging folder left


def test_run_replaces_its_own_earlier_output(tmp_path: Path):
    """An earlier citylogistics output (recognised by its manifest) is replaced without --overwrite."""
    out = tmp_path / "out"
    first = _run(["run", "scenario/good_route.toml", "--out", str(out)])
    assert first.returncode == 0, first.stderr
    (out / "stale.txt").write_text("from the earlier run\n", encoding="utf-8")
    again = _run(["run", "scenario/good_route.toml", "--out", str(out)])
    assert again.returncode == 0, again.stderr
    assert (out / "manifest.json").is_file() and not (out / "stale.txt").exists()


def test_catalogue_files_are_left_alone(results):
    _, before, after = results
    assert before == after


def test_catalogue_is_documented_and_large_enough():
    readme = (CATALOGUE / "README.md").read_text(encoding="utf-8")
    assert len(CASES) >= 30
    assert len(set(IDS)) == len(IDS)
    missing = [cid for cid in IDS if f"`{cid}`" not in readme]
    assert missing == [], f"cases not listed in tests/data/invalid/README.md: {missing}"
    for c in CASES:
        assert c["out"] in ("absent", "existing", "unrelated", "file", "none"), c["id"]
        assert c["expect"], c["id"]


def test_usage_error_is_one_line_exit_2(cli):
    res = cli("run")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_byte_order_mark_is_accepted(tmp_path: Path):
    from citylogistics.scenario.files import load_scenario

    text = (CATALOGUE / "scenario" / "good_route.toml").read_text(encoding="utf-8")
    p = tmp_path / "bom.toml"
    p.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_scenario(p).city == "Zhoushan"


def test_internal_path_field_is_not_a_key(tmp_path: Path):
    from citylogistics.scenario.files import load_scenario

    text = (CATALOGUE / "scenario" / "good_route.toml").read_text(encoding="utf-8")
    p = tmp_path / "path_key.toml"
    p.write_text('path = "elsewhere.toml"\n' + text, encoding="utf-8")
    with pytest.raises(InputError, match="path: unknown key"):
        load_scenario(p)


# --------------------------------------------------------------------------- library-level fields


def test_inverted_time_window_names_the_field():
    """Time windows exist only in the routing library (no scenario or CSV field reaches them)."""
    from citylogistics.routing.problem import Stop

    with pytest.raises(InputError) as err:
        Stop(id="shop-7", node=1, delivery=3, tw_start_s=36000, tw_end_s=32400)
    msg = err.value.one_line()
    assert "shop-7" in msg and "tw_end_s" in msg and "swap" in msg


@pytest.mark.parametrize("field, value", [("delivery", -1.0), ("pickup", float("nan")), ("delivery", "lots"),
                                          ("service_s", float("inf"))])
def test_bad_stop_quantity_names_the_field(field, value):
    from citylogistics.routing.problem import Stop

    with pytest.raises(InputError) as err:
        Stop(id="v1", node=1, **{field: value})
    assert field in err.value.one_line()


# --------------------------------------------------------------------------- infeasible is not an error


def test_unservable_route_run_writes_plan_with_reasons(tmp_path: Path, cli):
    text = (CATALOGUE / "scenario" / "good_route.toml").read_text(encoding="utf-8")
    text = text.replace("capacity_parcels = 800", "capacity_parcels = 800\nmax_duration_s = 600")
    scen = tmp_path / "short_shift.toml"
    scen.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    res = cli("run", str(scen), "--out", str(out))
    assert res.returncode == 0, res.stderr
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["routes"] == []
    assert plan["unassigned"], "every stop must be reported unserved"
    assert all(u.get("reason") for u in plan["unassigned"])
    from citylogistics.routing.plan import REASONS

    assert {u["reason"] for u in plan["unassigned"]} <= set(REASONS)


ZERO_BUDGET_PLAN_REASONS = {"budget", "too_far", "unreachable", "penalty", "capacity", "time_window", "shift_length",
                            "no_vehicle"}


@pytest.fixture(scope="module")
def zero_budget_run(tmp_path_factory):
    """The small Zhoushan plan with no budget and no county hubs: nothing can open."""
    base = tmp_path_factory.mktemp("zero_budget")
    text = (HERE / "data" / "scenarios" / "zhoushan_small.toml").read_text(encoding="utf-8")
    text = text.replace("budget_cny = [900000, 600000, 600000]", "budget_cny = [0]\ncounty_hubs_exist = false")
    assert "county_hubs_exist = false" in text
    scen = base / "zero_budget.toml"
    scen.write_text(text, encoding="utf-8")
    out = base / "out"
    res = _run(["run", str(scen), "--out", str(out)])
    return res, out


def test_unservable_plan_is_written_with_reasons(zero_budget_run):
    import csv

    res, out = zero_budget_run
    assert res.returncode == 0, res.stderr
    with open(out / "villages.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, "villages.csv lists every village"
    assert all(r["served_by"] == "" for r in rows)
    assert all(r["reason"] in ZERO_BUDGET_PLAN_REASONS for r in rows), {r["reason"] for r in rows}
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["routes"] == []
    assert {u["id"] for u in plan["unassigned"]} == {r["code"] for r in rows}
    assert all(u["reason"] for u in plan["unassigned"])


def test_zero_budget_reason_is_budget_not_unreachable(zero_budget_run):
    import csv

    res, out = zero_budget_run
    assert res.returncode == 0, res.stderr
    with open(out / "villages.csv", encoding="utf-8", newline="") as fh:
        reasons = {r["reason"] for r in csv.DictReader(fh)}
    # with the budgeted scenario no Zhoushan village is unreachable, so none may be here
    assert reasons <= {"budget", "too_far"}, reasons
