"""A broken scenario gives one line on stderr naming the problem, exit code 2,
no traceback, and the output folder is not created."""

from __future__ import annotations

from pathlib import Path

import pytest

GOOD = """
title = "t"
city = "Hangzhou"
[[vehicles]]
name = "truck"
count = 2
capacity_parcels = 100
"""

CASES = {
    "missing": (None, "not found"),
    "empty": ("", "empty"),
    "bad_toml": ("title = \"t\"\ncity = [\n", "not valid TOML"),
    "unknown_city": (GOOD.replace("Hangzhou", "Atlantis"), "city"),
    "negative_capacity": (GOOD.replace("capacity_parcels = 100", "capacity_parcels = -5"), "capacity_parcels"),
    "zero_count": (GOOD.replace("count = 2", "count = 0"), "count"),
    "unknown_key": (GOOD.replace("title = \"t\"", "title = \"t\"\nyaer = 2015"), "did you mean 'year'"),
    "wrong_type": (GOOD.replace("count = 2", "count = \"two\""), "expected an integer"),
    "no_vehicles": ("title = \"t\"\ncity = \"Hangzhou\"\n", "vehicles"),
    "bad_engine": (GOOD + "[routing]\nengine = \"gurobi\"\n", "routing.engine"),
    "network_missing": (GOOD + "[network]\nfile = \"nope.graphml\"\n", "network.file"),
    "binary": (b"\x00\x01\x02\xff\xfe", "UTF-8"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_scenario_is_one_line_exit_2(name, tmp_path: Path, cli):
    content, expected = CASES[name]
    scenario = tmp_path / f"{name}.toml"
    if isinstance(content, bytes):
        scenario.write_bytes(content)
    elif content is not None:
        scenario.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    res = cli("run", str(scenario), "--out", str(out))
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    assert expected in lines[0]
    assert str(scenario.name) in lines[0]
    assert not out.exists()
    assert res.stdout == ""


def test_output_path_that_is_a_file_is_refused(tmp_path: Path, cli, root: Path):
    target = tmp_path / "out"
    target.write_text("keep me")
    res = cli("run", str(root / "scenarios" / "hangzhou.toml"), "--out", str(target))
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1
    assert target.read_text() == "keep me"


def test_directory_given_as_scenario(tmp_path: Path, cli):
    res = cli("run", str(tmp_path), "--out", str(tmp_path / "out"))
    assert res.returncode == 2
    assert "directory" in res.stderr
    assert not (tmp_path / "out").exists()


def test_usage_error_exit_2(cli):
    res = cli("run")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
