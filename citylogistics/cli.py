"""The ``citylogistics`` command line: a thin layer over the library.

Every user error becomes one line on stderr and exit code 2, never a
traceback; an interrupted run exits 130 and leaves its output folder as it was.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import signal
import sys
from collections.abc import Sequence

from citylogistics.config import number_arg
from citylogistics.errors import CityLogisticsError, InputError, clip


def _quiet(args) -> bool:
    return bool(getattr(args, "quiet", False)) or os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _run_steps(scenario, distributed: bool = False) -> int:
    """How many progress messages a run sends (one per stage; per city and year for plans; per city on Dask)."""
    if scenario.plan is None:
        return 5
    from citylogistics.scenario.run import scenario_cities

    _, cities = scenario_cities(scenario)
    return 3 + len(cities) if distributed else 2 + len(cities) * (2 + len(scenario.plan.years))


def _cmd_run(args) -> int:
    """Run a scenario; a progress bar on a terminal, plain stage lines in a log, nothing with --quiet/CI."""
    from citylogistics.fileio import check_output_dir
    from citylogistics.scenario.files import ReportSection, load_scenario
    from citylogistics.scenario.run import run_scenario

    scenario = load_scenario(args.scenario)
    if args.lang is not None:
        scenario = dataclasses.replace(scenario, report=ReportSection(language=args.lang))
    check_output_dir(args.out, overwrite=args.overwrite)
    if args.scheduler:
        from citylogistics.scenario.distributed import check_scheduler

        check_scheduler(args.scheduler)
    dask = {"workers": args.workers, "scheduler": args.scheduler}
    if scenario.orders is not None:  # an order list: routes, drivers' sheet, map, KPIs
        from citylogistics.scenario.orders_run import run_orders_scenario

        plan = run_orders_scenario(scenario, args.out, overwrite=args.overwrite)
        print(plan.summary())
        return 0
    if _quiet(args):
        result = run_scenario(scenario, args.out, overwrite=args.overwrite, **dask)
    elif not sys.stderr.isatty():  # a log file or pipe: one plain line per stage
        result = run_scenario(
            scenario,
            args.out,
            overwrite=args.overwrite,
            **dask,
            progress=lambda msg: print(f"… {msg}", file=sys.stderr, flush=True),
        )
    else:
        from tqdm import tqdm

        with tqdm(
            total=_run_steps(scenario, args.workers > 1 or bool(args.scheduler)),
            unit="step",
            file=sys.stderr,
            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}]",
        ) as bar:

            def say(msg: str) -> None:
                bar.set_description_str(msg[:60])
                bar.update(1)

            result = run_scenario(scenario, args.out, progress=say, overwrite=args.overwrite, **dask)
    print(result.summary())
    return 0


def _cmd_compare(args) -> int:
    from citylogistics.scenario.compare import compare_runs

    result = compare_runs(args.dir_a, args.dir_b, scopes=args.scopes)
    if args.format == "csv":
        result.deltas.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        import pandas as pd

        with pd.option_context("display.width", 200, "display.max_columns", 40):
            print(result.summary())
    return 0


def _cmd_sweep(args) -> int:
    from citylogistics.scenario.sweep import run_sweep

    result = run_sweep(
        args.sweep,
        args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not _quiet(args),
        overwrite=args.overwrite,
    )
    print(result.summary())
    if result.failed:
        print(
            f"citylogistics: {result.failed} sweep point(s) failed; see the error column of sweep.csv", file=sys.stderr
        )
        return 1
    return 0


def _cmd_regions(args) -> int:
    from citylogistics.regions import load_regions, regions_table, to_geojson

    regions = load_regions(seed=args.seed, overrides=args.overrides)
    df = regions_table(regions, city=args.city, level=args.level)
    if args.format == "csv":
        df.to_csv(sys.stdout, index=False, lineterminator="\n")
    elif args.format == "geojson":
        sys.stdout.write(to_geojson(df) + "\n")
    else:
        import pandas as pd

        with pd.option_context("display.max_rows", 60, "display.width", 160):
            print(df.to_string(index=False, max_rows=60))
        print(f"{len(df)} rows", file=sys.stderr)
    return 0


def _cmd_networks_build(args) -> int:
    from citylogistics.fileio import check_output_dir, check_output_file
    from citylogistics.network.generate import build_all
    from citylogistics.regions import CITY_CODES

    out = check_output_dir(args.out, overwrite=True)  # never the current folder, home or /
    for name in ("zhejiang", *(n.lower() for n in CITY_CODES.values())):
        check_output_file(out / f"{name}.graphml", overwrite=args.overwrite)
    paths = build_all(args.out, roads=args.roads, progress=not _quiet(args))
    for p in paths:
        print(p)
    return 0


def _print_rows(rows: list[dict], fields: Sequence[str]) -> None:
    w = csv.DictWriter(sys.stdout, fieldnames=list(fields), lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow(r)
        sys.stdout.flush()


def _check_files(paths: Sequence[str]) -> None:
    for p in paths:
        if not os.path.isfile(p):
            raise InputError("file not found or not a file; check the path", source=p)
        try:
            with open(p, "rb") as fh:
                fh.read().decode("utf-8")
        except OSError as exc:
            raise InputError(f"cannot read the file ({exc.strerror}); check its permissions", source=p) from None
        except UnicodeDecodeError as exc:
            raise InputError(
                f"is not a text file (byte {exc.start} is not UTF-8); give a plain-text benchmark instance file",
                source=p,
            ) from None


def _cmd_bench_vrp(args) -> int:
    from citylogistics.bench.vrp_files import bench_vrp_rows

    _check_files(args.files)
    rows = bench_vrp_rows(args.files, time_limit_s=args.time_limit, seed=args.seed, engine=args.engine)
    _print_rows(rows, ("instance", "objective", "routes", "seconds", "feasible"))
    return 0


def _cmd_bench_pmed(args) -> int:
    from citylogistics.bench.orlib import bench_pmed_rows

    _check_files(args.files)
    _print_rows(
        bench_pmed_rows(args.files, time_limit_s=args.time_limit),
        ("instance", "objective", "bound", "seconds", "status"),
    )
    return 0


def _cmd_bench_cap(args) -> int:
    from citylogistics.bench.orlib import bench_cap_rows

    _check_files(args.files)
    _print_rows(
        bench_cap_rows(args.files, capacity=args.capacity, time_limit_s=args.time_limit),
        ("instance", "objective", "bound", "seconds", "status"),
    )
    return 0


_time_limit = number_arg(0, 86_400, lo_open=True)
_seed = number_arg(0, 2**31 - 1, integer=True)
_workers = number_arg(1, 1024, integer=True)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, as for every user error
        self.exit(2, clip(f"{self.prog}: error: {message} (see --help)") + "\n")


def build_parser() -> argparse.ArgumentParser:
    from citylogistics import __version__

    p = _Parser(prog="citylogistics", description="Plan delivery networks for Zhejiang's cities, towns and villages.")
    p.add_argument("--version", action="version", version=f"citylogistics {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_run_commands(sub)
    _add_data_commands(sub)
    _add_bench_commands(sub)
    return p


def _add_run_commands(sub) -> None:
    """run, sweep, compare, route and hubs: the planner's everyday commands."""
    run = sub.add_parser("run", help="run a scenario file and write plan, map and KPIs")
    run.add_argument("scenario", help="scenario .toml file")
    run.add_argument("--out", required=True, help="output directory (written atomically)")
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="replace --out even if it holds files that are not a citylogistics output",
    )
    run.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="plan the cities of a plan run on a local Dask cluster of N processes (default 1: no Dask)",
    )
    run.add_argument(
        "--scheduler",
        default=None,
        help="address of a Dask scheduler (tcp://HOST:PORT) to plan the cities on; same outputs",
    )
    run.add_argument("--quiet", action="store_true", help="no progress messages (also when CI is set)")
    run.add_argument(
        "--lang",
        choices=("en", "zh"),
        default=None,
        help="language of the maps and report (default: the scenario's [report] language, else en)",
    )
    run.set_defaults(func=_cmd_run)

    sw = sub.add_parser(
        "sweep", help="run a grid of scenario variants in parallel; results table and cost-coverage frontier"
    )
    sw.add_argument("sweep", help="sweep .toml file")
    sw.add_argument("--out", required=True, help="output directory (finished points are reused on a rerun)")
    sw.add_argument("--workers", type=_workers, default=None, help="local worker processes, 1-1024 (default: CPUs)")
    sw.add_argument(
        "--scheduler", default=None, help="address of a Dask distributed scheduler (default: a local cluster)"
    )
    sw.add_argument(
        "--overwrite",
        action="store_true",
        help="replace --out even if it holds files that are not a citylogistics output",
    )
    sw.add_argument("--quiet", action="store_true", help="no progress bar (also when CI is set)")
    sw.set_defaults(func=_cmd_sweep)

    cmp_ = sub.add_parser("compare", help="KPI deltas by year and scope, sites added/removed, between two runs")
    cmp_.add_argument("dir_a")
    cmp_.add_argument("dir_b")
    cmp_.add_argument(
        "--scopes", choices=("top", "all"), default="top", help="province/city rows only, or every county too"
    )
    cmp_.add_argument("--format", choices=("table", "csv"), default="table")
    cmp_.set_defaults(func=_cmd_compare)

    from citylogistics.scenario.orders_run import add_route_parser

    add_route_parser(sub)
    from citylogistics.scenario.hubs_cli import add_hubs_parser

    add_hubs_parser(sub)


def _add_data_commands(sub) -> None:
    """regions and networks: the data the plans stand on."""
    reg = sub.add_parser("regions", help="list cities, counties, towns or villages with points and population")
    reg.add_argument("--city", help="city name or adcode (default: the whole province)")
    reg.add_argument("--level", choices=("city", "county", "town", "village"), default=None)
    reg.add_argument("--format", choices=("table", "csv", "geojson"), default="table")
    reg.add_argument("--seed", type=_seed, default=0, help="seed of generated points (0 to 2^31-1)")
    reg.add_argument("--overrides", help="CSV code,lon,lat replacing points")
    reg.set_defaults(func=_cmd_regions)

    net = sub.add_parser("networks", help="road networks")
    net_sub = net.add_subparsers(dest="networks_command", required=True, parser_class=_Parser)
    nb = net_sub.add_parser("build", help="regenerate networks/*.graphml deterministically")
    nb.add_argument("--out", default="networks", help="output folder (default: networks)")
    nb.add_argument("--overwrite", action="store_true", help="replace existing <city>.graphml files in --out")
    nb.add_argument(
        "--roads",
        choices=("osm", "generated"),
        default="osm",
        help="osm: the OpenStreetMap major roads with access links (default); generated: straight links",
    )
    nb.add_argument("--quiet", action="store_true")
    nb.set_defaults(func=_cmd_networks_build)
    from citylogistics.network.osm_import import add_import_parser

    add_import_parser(net_sub)


def _add_bench_commands(sub) -> None:
    """bench vrp/pmed/cap/lrp: published instances, CSV on stdout."""
    bench = sub.add_parser("bench", help="run benchmark instance files and print CSV")
    bsub = bench.add_subparsers(dest="bench_command", required=True, parser_class=_Parser)
    bv = bsub.add_parser("vrp", help="Solomon .txt / CVRPLIB .vrp files")
    bv.add_argument("files", nargs="+")
    bv.add_argument("--time-limit", type=_time_limit, default=30.0, help="seconds per instance (up to 86400)")
    bv.add_argument("--seed", type=_seed, default=0, help="solver seed (0 to 2^31-1)")
    bv.add_argument("--engine", choices=("auto", "ortools", "pyvrp"), default="auto")
    bv.set_defaults(func=_cmd_bench_vrp)
    bp = bsub.add_parser("pmed", help="OR-Library p-median files")
    bp.add_argument("files", nargs="+")
    bp.add_argument("--time-limit", type=_time_limit, default=60.0, help="seconds per instance (up to 86400)")
    bp.set_defaults(func=_cmd_bench_pmed)
    bc = bsub.add_parser("cap", help="OR-Library capacitated facility location files")
    bc.add_argument("files", nargs="+")
    bc.add_argument(
        "--capacity",
        type=number_arg(0, 1e9, lo_open=True),
        default=None,
        help="capacity of every site (for files whose capacity is 'capacity')",
    )
    bc.add_argument("--time-limit", type=_time_limit, default=60.0, help="seconds per instance (up to 86400)")
    bc.set_defaults(func=_cmd_bench_cap)
    from citylogistics.bench.lrp import add_lrp_parser

    add_lrp_parser(bsub)


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(clip(f"citylogistics: error: {exc.one_line()}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("citylogistics: interrupted; the output folder was left as it was", file=sys.stderr)
        return 130
    except CityLogisticsError as exc:
        print(clip(f"citylogistics: error: {exc}"), file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except RecursionError:
        print("citylogistics: error: an input nests too deeply to read; check the files given", file=sys.stderr)
        return 2
    except MemoryError:
        print("citylogistics: error: out of memory; the input is too large for this machine", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug, not the user's input: one line, the details on request
        if os.environ.get("CITYLOGISTICS_DEBUG"):
            raise
        print(
            clip(
                f"citylogistics: internal error ({type(exc).__name__}: {exc}); please report it with the "
                "command and inputs (set CITYLOGISTICS_DEBUG=1 for the traceback)"
            ),
            file=sys.stderr,
        )
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
