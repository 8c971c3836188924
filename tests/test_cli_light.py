"""The command line starts light: building the parser (``--help``, a refused option) imports no numerical,
geometry, solver or mapping library; each sub-command's handler is imported only when it runs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT, run_cli

from citylogistics import cli

HEAVY = ("numpy", "pandas", "networkx", "scipy", "shapely", "ortools", "pyvrp", "folium", "geopandas", "pyproj",
         "pyogrio", "dask", "matplotlib", "pyscipopt")

#: after building the parser, after ``--help`` and after a refused option (exit 2): heavy modules loaded
PROBE = f"""
import json, sys
from citylogistics.cli import build_parser, main
heavy = {HEAVY!r}
def loaded():
    return sorted({{m.split('.')[0] for m in sys.modules}} & set(heavy))
found = {{}}
build_parser()
found["build_parser"] = loaded()
for argv in (["--help"], ["bench", "lrp", "a.dat", "--time-limit", "0"], ["route", "o.csv", "--out", "x"]):
    try:
        main(argv)
    except SystemExit as exc:
        found[" ".join(argv)] = [exc.code, loaded()]
print(json.dumps(found))
"""


def test_building_the_parser_imports_no_heavy_library():
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found == {
        "build_parser": [],
        "--help": [0, []],
        "bench lrp a.dat --time-limit 0": [2, []],
        "route o.csv --out x": [2, []],  # --depot/--depots missing
    }


@pytest.mark.parametrize(
    ("argv", "options"),
    [
        (("route",), ("--depot", "--depots", "--out", "--network", "--vehicles", "--capacity", "--speed-kmh",
                      "--shift", "--service-s", "--time-limit", "--seed", "--crs", "--columns", "--circuity",
                      "--overwrite", "ORDERS.csv")),
        (("hubs", "candidates"), ("--city", "--out", "--overwrite", "--max-dist-m", "--n-max")),
        (("hubs",), ("candidates",)),
        (("bench", "lrp"), ("--time-limit", "--seed", "files", "ceil(100 * euclidean)")),
        (("networks", "import"), ("FILE", "--out", "GRAPH.graphml", "--overwrite")),
    ],
)
def test_moved_sub_commands_still_print_their_options(argv, options):
    proc = run_cli(*argv, "--help", timeout=120)
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())  # help lines wrap
    missing = [o for o in options if o not in text]
    assert missing == [], f"{' '.join(argv)} --help lacks {missing}:\n{proc.stdout}"


def test_route_bounds_agree_with_the_scenario_files():
    """route's option bounds are the scenario files' (one definition in citylogistics.config)."""
    from citylogistics.routing.orders import CRS_CHOICES
    from citylogistics.scenario import files

    crs = next(a for a in cli.build_parser()._subparsers._group_actions[0].choices["route"]._actions
               if a.dest == "crs")
    assert tuple(crs.choices) == CRS_CHOICES
    p = cli.build_parser()
    base = ["route", "o.csv", "--depot", "120,30", "--out", "x"]
    args = p.parse_args([*base, "--seed", str(files.MAX_SEED), "--vehicles", str(files.MAX_COUNT)])
    assert (args.seed, args.vehicles) == (files.MAX_SEED, files.MAX_COUNT)
    for bad in (["--seed", str(files.MAX_SEED + 1)], ["--vehicles", str(files.MAX_COUNT + 1)],
                ["--service-s", str(7 * files.DAY_S + 1)], ["--capacity", str(files.MAX_CAPACITY * 2)]):
        with pytest.raises(SystemExit):
            p.parse_args([*base, *bad])


@pytest.mark.parametrize(
    ("argv", "module", "handler"),
    [
        (["route", "o.csv", "--depot", "120,30", "--out", "x"], "citylogistics.scenario.orders_run", "cmd_route"),
        (["hubs", "candidates", "--city", "Lishui", "--out", "x.csv"], "citylogistics.scenario.hubs_cli",
         "cmd_hubs_candidates"),
        (["bench", "lrp", "a.dat"], "citylogistics.bench.lrp", "cmd_bench_lrp"),
        (["networks", "import", "a.osm", "--out", "g.graphml"], "citylogistics.network.osm_import",
         "cmd_networks_import"),
    ],
)
def test_each_moved_sub_command_runs_its_handler(monkeypatch, argv, module, handler):
    import importlib

    monkeypatch.setattr(importlib.import_module(module), handler, lambda args: ("ran", handler, args))
    args = cli.build_parser().parse_args(argv)
    assert args.func(args) == ("ran", handler, args)


def test_plan_scenario_refuses_a_bad_stations_override_naming_it(root):
    """The sweep's "stations" shorthand given to plan_scenario: a bad value is an InputError, not a crash."""
    import citylogistics
    from citylogistics.errors import InputError

    for bad in ("x", -1, 2.5, True):
        with pytest.raises(InputError) as err:
            citylogistics.plan_scenario(root / "scenarios" / "zhoushan.toml", {"stations": bad})
        assert 'overrides."stations"' in str(err.value) and "whole number" in str(err.value)
