"""The ``citylogistics`` command line: a thin layer over the library.

Every user error becomes one line on stderr and exit code 2, never a
traceback; an interrupted run exits 130 and leaves its output folder as it was.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import math
import os
import signal
import sys
from collections.abc import Sequence

from citylogistics.config import CRS_CHOICES, DAY_S, MAX_CAPACITY, MAX_COUNT, MAX_SEED, number_arg
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


def _cmd_route(args) -> int:
    from citylogistics.scenario.orders_run import cmd_route

    return cmd_route(args)


def _cmd_hubs_candidates(args) -> int:
    from citylogistics.scenario.hubs_cli import cmd_hubs_candidates

    return cmd_hubs_candidates(args)


def _cmd_bench_lrp(args) -> int:
    from citylogistics.bench.lrp import cmd_bench_lrp

    return cmd_bench_lrp(args)


def _cmd_networks_import(args) -> int:
    from citylogistics.network.osm_import import cmd_networks_import

    return cmd_networks_import(args)


_time_limit = number_arg(0, 86_400, lo_open=True)
_seed = number_arg(0, MAX_SEED, integer=True)
_workers = number_arg(1, 1024, integer=True)


def _column_pairs(text: str) -> dict[str, str]:
    """``--columns`` of ``route``: ``NAME=COLUMN,...`` pairs."""
    out = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise argparse.ArgumentTypeError(
                f"write NAME=COLUMN pairs separated by commas, e.g. lon=lng,id=order_id; got {text!r}"
            )
        out[key.strip()] = value.strip()
    return out


def _in_range(kind, lo: float, hi: float):
    """A number of type ``kind`` (int or float) from ``lo`` to ``hi`` (options of ``hubs candidates``)."""

    def parse(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a{'n integer' if kind is int else ' number'}") from None
        if not (lo <= v <= hi):
            raise argparse.ArgumentTypeError(f"{text} is outside {lo:g} … {hi:g}")
        return v

    return parse


def _lrp_seconds(text: str) -> float:
    """``--time-limit`` of ``bench lrp``: a positive, finite number."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return v


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

    _add_route_command(sub)
    _add_hubs_command(sub)


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
    _add_import_command(net_sub)


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
    _add_lrp_command(bsub)


def _add_route_command(sub) -> None:
    """``route``: an orders CSV routed from one or more depots (handler: :func:`~citylogistics.scenario.orders_run.cmd_route`)."""
    p = sub.add_parser(
        "route",
        help="route an orders CSV (time windows, pickups, several depots): plan, drivers' sheet, map, KPIs",
        description="Route today's orders: ORDERS.csv has id, lon, lat and optional demand, kind (delivery|pickup), "
        "tw_start, tw_end (HH:MM, HH:MM:SS or ISO datetime), service_s.",
    )
    p.add_argument("orders", metavar="ORDERS.csv", help="orders CSV")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--depot", metavar="LON,LAT", help="one depot")
    where.add_argument("--depots", metavar="DEPOTS.csv", help="depots CSV id,lon,lat")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (written atomically)")
    p.add_argument(
        "--network",
        metavar="GRAPH",
        help="road network (.graphml, .osm, .gpkg/.geojson/.shp); default: straight lines x --circuity",
    )
    p.add_argument(
        "--vehicles",
        type=number_arg(1, MAX_COUNT, integer=True),
        default=10,
        metavar="N",
        help="vehicles per depot (default 10)",
    )
    p.add_argument(
        "--capacity",
        type=number_arg(0, MAX_CAPACITY, lo_open=True),
        default=50.0,
        metavar="Q",
        help="parcels per vehicle (default 50)",
    )
    p.add_argument(
        "--speed-kmh",
        type=number_arg(0, 200, lo_open=True),
        default=None,
        metavar="V",
        help="vehicle speed (default 15 km/h; with --network: the road speeds)",
    )
    p.add_argument("--shift", metavar="HH:MM-HH:MM", help="vehicles' shift (default: none)")
    p.add_argument(
        "--service-s",
        type=number_arg(0, 7 * DAY_S),
        default=0.0,
        metavar="S",
        help="service time of orders without a service_s value (default 0)",
    )
    p.add_argument(
        "--time-limit",
        type=number_arg(0, 3600, lo_open=True),
        default=10.0,
        metavar="S",
        help="search work in seconds (deterministic; wall-clock cap 10x, at least 5 s; default 10)",
    )
    p.add_argument("--seed", type=_seed, default=0, metavar="N")
    p.add_argument("--crs", choices=CRS_CHOICES, default="wgs84", help="datum of the input points (default wgs84)")
    p.add_argument(
        "--columns",
        type=_column_pairs,
        default=None,
        metavar="NAME=COLUMN,...",
        help="column mapping, e.g. id=order_id,lon=lng",
    )
    p.add_argument(
        "--circuity", type=number_arg(1, 5), default=1.3, help="road / straight distance without a network (1.3)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing citylogistics output folder")
    p.set_defaults(func=_cmd_route)


def _add_hubs_command(sub) -> None:
    """``hubs candidates`` (handler: :func:`~citylogistics.scenario.hubs_cli.cmd_hubs_candidates`)."""
    hubs = sub.add_parser("hubs", help="city hubs (T0) on scarce land: candidate parcels")
    hsub = hubs.add_subparsers(dest="hubs_command", required=True, parser_class=_Parser)
    hc = hsub.add_parser("candidates", help="propose candidate hub parcels for a city (CSV for [hubs] candidates)")
    hc.add_argument("--city", required=True, help="city name, Chinese name or adcode")
    hc.add_argument("--out", required=True, help="candidates CSV to write")
    hc.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    hc.add_argument(
        "--max-dist-m",
        type=_in_range(float, 1.0, 100_000.0),
        default=2000.0,
        help="a junction within this distance of a village (m, default 2000)",
    )
    hc.add_argument(
        "--n-max",
        type=_in_range(int, 1, 1000),
        default=12,
        help="at most this many candidates, the current hub included (default 12)",
    )
    hc.set_defaults(func=_cmd_hubs_candidates)


def _add_import_command(net_sub) -> None:
    """``networks import`` (handler: :func:`~citylogistics.network.osm_import.cmd_networks_import`)."""
    p = net_sub.add_parser(
        "import",
        help="turn OSM streets (.osm, or .shp/.gpkg/.geojson road lines) into a drivable GraphML network",
        description="Import an OpenStreetMap extract (.osm XML) or road lines in the Geofabrik layout (fclass or "
        "type, oneway, maxspeed) as a directed road network: drivable classes only, one-way streets "
        "honoured, maxspeed where given and class speeds elsewhere, the largest strongly connected "
        "part kept, chains of degree-2 nodes merged keeping their geometry.",
    )
    p.add_argument("file", metavar="FILE", help=".osm extract or road-line file")
    p.add_argument("--out", required=True, metavar="GRAPH.graphml", help="GraphML file to write")
    p.add_argument("--overwrite", action="store_true", help="replace GRAPH.graphml if it exists")
    p.set_defaults(func=_cmd_networks_import)


def _add_lrp_command(bsub) -> None:
    """``bench lrp FILE... [--time-limit S] [--seed N]`` (handler: :func:`~citylogistics.bench.lrp.cmd_bench_lrp`)."""
    p = bsub.add_parser(
        "lrp",
        help="Prodhon location-routing .dat files (costs: ceil(100 * euclidean))",
        description="Solve Prodhon LRP instances (choose depots, assign, route) and print CSV "
        "instance,objective,depots_open,routes,seconds. Edge costs are ceil(100 * euclidean), "
        "the convention under which the published coord20-5-1 solution costs 54,793.",
    )
    p.add_argument("files", nargs="+", help="Prodhon .dat files")
    p.add_argument("--time-limit", type=_lrp_seconds, default=60.0, help="seconds per instance (default 60)")
    p.add_argument("--seed", type=_seed, default=0, help="solver seed (0 to 2^31-1)")
    p.set_defaults(func=_cmd_bench_lrp)


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
