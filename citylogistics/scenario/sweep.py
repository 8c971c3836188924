"""Scenario sweeps: a grid over scenario parameters, run in parallel on Dask,
with one results table and the cost–coverage Pareto frontier.

A sweep file is TOML::

    title = "Lishui: budget x coverage limit"
    base = "lishui.toml"                 # a scenario file, relative to the sweep file

    [grid]                               # dotted scenario keys -> list of values
    "plan.budget_cny" = [[600000], [1500000]]
    "plan.coverage_limit_s" = [1200, 1800]
    "vehicles.tricycle.count" = [10, 20] # fleet by vehicle name
    # "stations" = [2, 5, 10]            # shorthand: plan.budget_cny = [stations * sites.t2_open_cost_cny]

    [set]                                # optional: the same override for every point
    "plan.route_time_limit_s" = 0.5

    [frontier]                           # optional
    cost = "cost_cny"                    # minimised
    coverage = "population_covered_share"  # maximised

Every point of the grid (the Cartesian product of the lists) is the base
scenario with the point's values put in place, validated exactly as a
scenario file is (:func:`citylogistics.config.build` on the same table), so a
misspelt key, a wrong type or an out-of-range value is one
:class:`~citylogistics.errors.InputError` naming the sweep file and the grid
key before any work starts.

``stations`` is the "number of stations" lever: the phased planner has no
*p*; it opens the stations a yearly budget affords, so ``stations = p`` means a
yearly opening budget of ``p × sites.t2_open_cost_cny`` (p new town stations
per year at most, fewer if county hubs are also candidates).

Points run as Dask tasks: on a :class:`dask.distributed.LocalCluster` of
``workers`` processes by default, or on the cluster whose scheduler address is
given (workers then need the package installed and the scenario's input files
at the same paths; every point's outputs are written by the worker under
``DIR/points/<point-id>/run``).  A point that fails is a row with
``status = "error"`` and its error message; the others complete.  Each
finished point leaves ``DIR/points/<point-id>/result.json``; a rerun with the
same DIR skips points whose result is there, ``ok`` and made from the same
scenario table (base file contents, ``[set]`` and the point's values) and the
same input files (``network.file``, ``network.dir`` graphs and
``regions.overrides``, hashed by content).

The point id is the first 12 hex digits of the SHA-256 of the point's
parameters as canonical JSON, so it is stable across runs and machines.  The
table is sorted by point id; apart from ``seconds`` (wall time of the point)
it is the same whatever the number of workers.

Outputs in DIR: ``sweep.csv`` and ``sweep.parquet`` (the table),
``frontier.csv``, ``frontier.svg`` (the chart, knee marked), ``report.md`` and
``report.html``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from citylogistics.config import build, did_you_mean, spec
from citylogistics.errors import InputError, short
from citylogistics.scenario.distributed import check_scheduler, check_workers
from citylogistics.scenario.distributed import client as dask_client
from citylogistics.scenario.overrides import STATIONS_KEY, apply_overrides, build_scenario

#: Columns of the table that come before the KPI columns.
LEAD_COLUMNS = ("point_id", "status", "error", "seconds")
#: Most grid points a sweep may have.
MAX_POINTS = 10_000


# ---------------------------------------------------------------------------
# The sweep file
# ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class FrontierSection:
    cost: str = spec("cost_cny", doc="KPI column minimised on the frontier (final year, top scope)")
    coverage: str = spec("population_covered_share", doc="KPI column maximised on the frontier")


@dataclasses.dataclass(frozen=True, kw_only=True)
class SweepFile:
    """The tables of a sweep file (``grid`` and ``set`` are checked against the scenario)."""

    title: str = spec("sweep", doc="shown in the report")
    base: str = spec(doc="base scenario file, relative to the sweep file")
    grid: Any = spec(doc="dotted scenario key -> list of values")
    set: Any = spec(None, doc="dotted scenario key -> one value, applied to every point")
    frontier: FrontierSection = spec(FrontierSection())


@dataclasses.dataclass(frozen=True)
class SweepPoint:
    """One grid point: its id, its parameters and the scenario table it runs."""

    point_id: str
    params: tuple[tuple[str, Any], ...]
    table: Mapping[str, Any] = dataclasses.field(repr=False, compare=False)
    inputs_sha256: str = ""  # files the point's scenario reads (network, overrides)

    @property
    def params_dict(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def scenario_sha256(self) -> str:
        """SHA-256 of the point's whole scenario table (base, ``[set]`` and grid values)."""
        text = json.dumps(self.table, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: the base scenario and the points to run."""

    path: str
    title: str
    base_path: str
    base_sha256: str
    keys: tuple[str, ...]
    points: tuple[SweepPoint, ...]
    frontier_cost: str
    frontier_coverage: str

    def summary(self) -> str:
        return f"{self.title}: {len(self.points)} points over {', '.join(self.keys)} (base {self.base_path})"


def point_id(params: Mapping[str, Any]) -> str:
    """Stable id of a parameter assignment: 12 hex digits of SHA-256 of canonical JSON."""
    text = json.dumps(dict(sorted(params.items())), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def load_sweep(path: str | Path) -> SweepPlan:
    """Read and validate a sweep file; raise :class:`InputError` on any problem.

    Parameters
    ----------
    path
        The sweep TOML file.

    Returns
    -------
    SweepPlan
        The base scenario's identity and every grid point, each validated.
    """
    from citylogistics.scenario.files import file_sha256, inputs_sha256, load_scenario, read_toml

    path = Path(path)
    source = str(path)
    data = read_toml(path)
    sf = build(SweepFile, data, source=source)
    base_path = Path(sf.base) if Path(sf.base).is_absolute() else path.parent / sf.base
    if not base_path.is_file():
        raise InputError(
            f"base scenario {base_path} not found; fix the path (it is relative to the sweep file)",
            source=source,
            where="base",
        )
    load_scenario(base_path)  # the base on its own must be valid (its errors name its own file)
    base_table = read_toml(base_path)
    fixed = sf.set or {}
    if not isinstance(fixed, Mapping):
        raise InputError("expected a table of dotted scenario keys -> value", source=source, where="set")
    if not isinstance(sf.grid, Mapping) or not sf.grid:
        raise InputError(
            'expected a table of dotted scenario keys -> list of values, e.g. "plan.coverage_limit_s" = [1200, 1800]',
            source=source,
            where="grid",
        )
    if STATIONS_KEY in sf.grid and "plan.budget_cny" in sf.grid:
        raise InputError(
            f"give either '{STATIONS_KEY}' or 'plan.budget_cny', not both (stations sets the budget)",
            source=source,
            where="grid",
        )
    base_table = apply_overrides(base_table, dict(fixed), source=source, prefix="set")
    if fixed:  # keys in [set] may depend on each other (end_year and budget_cny): check them together
        build_scenario(base_table, base_path=base_path, source=source, where="set")
    keys = tuple(sf.grid)
    for key in keys:
        values = sf.grid[key]
        where = f'grid."{key}"'
        if not isinstance(values, list) or not values:
            raise InputError("expected a non-empty list of values (one per grid level)", source=source, where=where)
        if key == STATIONS_KEY:
            for v in values:
                if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                    raise InputError(f"stations must be whole numbers >= 0, got {short(v)}", source=source, where=where)
        seen = set()
        for v in values:
            canon = json.dumps(v, sort_keys=True)
            if canon in seen:
                raise InputError(f"value {short(v)} is listed twice; drop the duplicate", source=source, where=where)
            seen.add(canon)
            t = apply_overrides(base_table, {key: v}, source=source, prefix="grid")
            build_scenario(t, base_path=base_path, source=source, where=f"{where} = {json.dumps(v)}")
    n_points = math.prod(len(sf.grid[k]) for k in keys)
    if n_points > MAX_POINTS:
        raise InputError(
            f"the grid has {n_points} points (at most {MAX_POINTS}); use fewer values per key",
            source=source,
            where="grid",
        )
    base_scenario = build_scenario(base_table, base_path=base_path, source=source, where="base")
    numeric = kpi_columns(base_scenario)
    for key, col in (("frontier.cost", sf.frontier.cost), ("frontier.coverage", sf.frontier.coverage)):
        if col not in numeric:
            raise InputError(
                f"{short(col)} is not a KPI column{did_you_mean(col, numeric)}; choose one of "
                f"{', '.join(c for c in numeric if 'cost' in c or 'share' in c)}",
                source=source,
                where=key,
            )
    points = []
    digests: dict = {}  # input file -> digest, hashed once for all points
    for combo in itertools.product(*(sf.grid[k] for k in keys)):
        params = dict(zip(keys, combo))
        table = apply_overrides(base_table, params, source=source, prefix="grid")
        label = ", ".join(f"{k} = {json.dumps(v)}" for k, v in params.items())
        scenario = build_scenario(table, base_path=base_path, source=source, where=f"grid point ({label})")
        points.append(
            SweepPoint(
                point_id=point_id(params),
                params=tuple(params.items()),
                table=table,
                inputs_sha256=inputs_sha256(scenario, digests),
            )
        )
    points.sort(key=lambda p: p.point_id)
    return SweepPlan(
        path=source,
        title=sf.title,
        base_path=str(base_path),
        base_sha256=file_sha256(base_path),
        keys=keys,
        points=tuple(points),
        frontier_cost=sf.frontier.cost,
        frontier_coverage=sf.frontier.coverage,
    )


def kpi_columns(scenario) -> tuple[str, ...]:
    """The numeric KPI columns a point of this scenario reports (frontier keys must be one of them)."""
    if scenario.plan is None:
        from citylogistics.scenario.run import KPI_FIELDS

        return tuple(c for c in KPI_FIELDS if c not in ("scenario", "city"))
    from citylogistics.planner.kpis import kpi_columns as plan_columns

    cols = plan_columns([v.name for v in scenario.vehicles])
    return (*(c for c in cols if c not in ("year", "scope")), "opening_cost_total_cny")


# ---------------------------------------------------------------------------
# Running one point (inside a Dask worker)
# ---------------------------------------------------------------------------
def run_point(table: Mapping[str, Any], base_path: str, point_dir: str) -> dict:
    """Run one point's scenario into ``point_dir/run``; never raises.

    Returns
    -------
    dict
        ``status`` (``"ok"`` or ``"error"``), ``error`` (``""`` or
        ``"ErrorType: message"``), ``seconds`` and ``kpis`` (the final-year
        top-scope KPI row, plus ``opening_cost_total_cny`` over all years for
        plan scenarios).
    """
    from citylogistics.scenario.files import Scenario
    from citylogistics.scenario.run import run_scenario

    t0 = time.perf_counter()
    try:
        scenario = dataclasses.replace(build(Scenario, table, source=base_path), path=base_path)
        Path(point_dir).mkdir(parents=True, exist_ok=True)
        result = run_scenario(scenario, Path(point_dir) / "run")
        kpis = {k: _plain(v) for k, v in result.kpis.items()}
        if "opening_cost_cny" in kpis:
            kpis["opening_cost_total_cny"] = _opening_total(Path(point_dir) / "run" / "kpis.csv", kpis)
        return {"status": "ok", "error": "", "seconds": round(time.perf_counter() - t0, 3), "kpis": kpis}
    except Exception as exc:  # a failing point is a row of the table, not the end of the sweep
        msg = " ".join(str(exc).split()) or repr(exc)
        return {
            "status": "error",
            "error": f"{type(exc).__name__}: {msg}",
            "seconds": round(time.perf_counter() - t0, 3),
            "kpis": {},
        }


def _opening_total(kpis_csv: Path, final: Mapping[str, Any]) -> float:
    import pandas as pd

    df = pd.read_csv(kpis_csv, dtype={"scope": str})
    rows = df[df["scope"] == str(final.get("scope"))]
    return round(float(rows["opening_cost_cny"].sum()), 2)


def _plain(v: Any) -> Any:
    """numpy scalars → Python scalars (JSON-able, equal across processes)."""
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


# ---------------------------------------------------------------------------
# Frontier
# ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Frontier:
    """The cost–coverage Pareto frontier of the successful points.

    A point is on the frontier when no other point has cost ≤ and coverage ≥
    with one of them strict.  ``points`` is sorted by cost (then point id).
    The knee is the frontier point farthest above the straight line between
    the cheapest and the best-covering frontier points, both axes scaled to
    [0, 1] (the "Kneedle" rule); ``None`` when fewer than three points or all
    on that line.
    """

    cost_key: str
    coverage_key: str
    points: tuple[tuple[str, float, float], ...]  # (point_id, cost, coverage)
    knee_id: str | None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p[0] for p in self.points)

    def summary(self) -> str:
        if not self.points:
            return f"frontier ({self.cost_key} vs {self.coverage_key}): no successful points"
        lines = [f"frontier: minimise {self.cost_key}, maximise {self.coverage_key} ({len(self.points)} points)"]
        for pid, c, v in self.points:
            mark = "  <- knee" if pid == self.knee_id else ""
            lines.append(f"  {pid}  {self.cost_key} {c:,.2f}  {self.coverage_key} {v:.4f}{mark}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "cost_key": self.cost_key,
            "coverage_key": self.coverage_key,
            "knee": self.knee_id,
            "points": [{"point_id": p, self.cost_key: c, self.coverage_key: v} for p, c, v in self.points],
        }

    def __str__(self) -> str:
        return self.summary()


def pareto_frontier(table, *, cost: str = "cost_cny", coverage: str = "population_covered_share") -> Frontier:
    """The cost–coverage frontier of a sweep table (rows with ``status == "ok"``).

    Parameters
    ----------
    table
        A DataFrame with ``point_id``, ``status`` and the two columns.
    cost, coverage
        Column minimised and column maximised.
    """
    if cost not in table.columns or coverage not in table.columns:
        return Frontier(cost, coverage, (), None)
    ok = table[(table["status"] == "ok")][["point_id", cost, coverage]].dropna()
    pts = sorted((str(p), float(c), float(v)) for p, c, v in ok.itertuples(index=False, name=None))
    pts.sort(key=lambda t: (t[1], -t[2], t[0]))
    front: list[tuple[str, float, float]] = []
    best = -math.inf
    for pid, c, v in pts:
        # Sorted by cost, then coverage descending: a point is dominated iff a
        # cheaper-or-equal point seen before has coverage >= (strictly better on one).
        if v > best:
            front.append((pid, c, v))
            best = v
        elif v == best and front and front[-1][1] == c and front[-1][2] == v:
            front.append((pid, c, v))  # an exact tie with a frontier point is not dominated
    return Frontier(cost, coverage, tuple(front), _knee(front))


def _knee(front: Sequence[tuple[str, float, float]]) -> str | None:
    if len(front) < 3:
        return None
    cs = [p[1] for p in front]
    vs = [p[2] for p in front]
    c0, c1, v0, v1 = min(cs), max(cs), min(vs), max(vs)
    if c1 <= c0 or v1 <= v0:
        return None
    best, best_d = None, 1e-9
    for pid, c, v in front:
        x, y = (c - c0) / (c1 - c0), (v - v0) / (v1 - v0)
        d = y - x  # distance above the chord from (0, 0) to (1, 1), up to a factor √2
        if d > best_d:
            best, best_d = pid, d
    return best


# ---------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class SweepResult:
    """What a sweep produced.

    Attributes
    ----------
    table
        One row per point, sorted by ``point_id``: the grid parameters, status,
        error, seconds, the KPI columns, ``on_frontier`` and ``knee``.
    frontier
        The cost–coverage frontier.
    out_dir
        The output folder.
    ran, skipped
        Points run now and points reused from an earlier run of the same DIR.
    """

    title: str
    table: Any
    frontier: Frontier
    out_dir: Path
    keys: tuple[str, ...]
    ran: int
    skipped: int
    seconds: float

    @property
    def failed(self) -> int:
        return int((self.table["status"] != "ok").sum())

    def summary(self) -> str:
        n = len(self.table)
        lines = [
            f"{self.title}: {n} points ({n - self.failed} ok, {self.failed} failed; "
            f"{self.ran} run, {self.skipped} reused) in {self.seconds:.1f} s",
            self.frontier.summary(),
        ]
        if self.frontier.knee_id:
            row = self.table[self.table["point_id"] == self.frontier.knee_id].iloc[0]
            lines.append("knee: " + ", ".join(f"{k} = {_fmt(row[k])}" for k in self.keys))
        for _, row in self.table[self.table["status"] != "ok"].iterrows():
            lines.append(f"failed {row['point_id']}: {row['error']}")
        lines.append(f"output: {self.out_dir}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "out_dir": str(self.out_dir),
            "keys": list(self.keys),
            "ran": self.ran,
            "skipped": self.skipped,
            "failed": self.failed,
            "frontier": self.frontier.to_dict(),
            "rows": json.loads(self.table.to_json(orient="records")),
        }

    def __str__(self) -> str:
        return self.summary()


def _fmt(v: Any) -> str:
    v = _plain(v)
    return v if isinstance(v, str) else json.dumps(v)


def _column_value(v: Any) -> Any:
    """A grid value as a table cell: scalars as is, one-element lists unwrapped, else JSON text."""
    if isinstance(v, list) and len(v) == 1 and not isinstance(v[0], (list, dict)):
        return v[0]
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return v


def _quiet() -> bool:
    return bool(os.environ.get("CI"))


def _is_sweep_output(folder: Path) -> bool:
    """A folder an earlier sweep wrote (before sweeps wrote a manifest): points/ and sweep files only."""
    names = {p.name for p in folder.iterdir()}
    sweep_names = {
        "points",
        "sweep.csv",
        "sweep.parquet",
        "frontier.csv",
        "frontier.svg",
        "report.md",
        "report.html",
        "manifest.json",
    }
    return "points" in names and names <= sweep_names


def _result_path(out_dir: Path, pid: str) -> Path:
    return out_dir / "points" / pid / "result.json"


def _finished(out_dir: Path, plan: SweepPlan, point: SweepPoint) -> dict | None:
    p = _result_path(out_dir, point.point_id)
    try:
        rec = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        rec.get("status") == "ok"
        and rec.get("scenario_sha256") == point.scenario_sha256
        and rec.get("inputs_sha256") == point.inputs_sha256
        and rec.get("params") == json.loads(json.dumps(point.params_dict))
    ):
        return rec
    return None


def run_sweep(
    sweep_path: str | Path,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    overwrite: bool = False,
) -> SweepResult:
    """Run every point of a sweep file in parallel and write the table, frontier and report.

    Parameters
    ----------
    sweep_path
        The sweep TOML file (see the module docstring).
    out_dir
        Output folder; created if missing.  Points finished by an earlier run
        into the same folder are reused.
    workers
        Worker processes of the local cluster (default: the number of CPUs).
        Ignored with ``scheduler``.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); default: a
        :class:`~dask.distributed.LocalCluster` started and closed here.
    progress
        Show a tqdm progress bar (never when the ``CI`` environment variable is set).
    overwrite
        Replace ``out_dir`` even when it holds files that are not a citylogistics output.

    Returns
    -------
    SweepResult
    """
    from citylogistics.fileio import atomic_write_text, check_output_dir

    check_workers(workers)
    t0 = time.perf_counter()
    plan = load_sweep(sweep_path)
    out = check_output_dir(out_dir, overwrite=overwrite, reuse=_is_sweep_output)
    if scheduler:
        check_scheduler(scheduler)
    out.mkdir(parents=True, exist_ok=True)
    if not (out / "manifest.json").exists():
        from citylogistics.fileio import MANIFEST_TOOL

        atomic_write_text(
            out / "manifest.json",
            json.dumps({"tool": MANIFEST_TOOL, "kind": "sweep", "sweep": str(plan.path)}, indent=1) + "\n",
        )
    records: dict[str, dict] = {}
    todo = []
    for point in plan.points:
        rec = _finished(out, plan, point)
        if rec is not None:
            records[point.point_id] = rec
        else:
            todo.append(point)
    skipped = len(records)
    if todo:
        _run_points(
            plan,
            todo,
            out,
            records,
            workers=workers,
            scheduler=scheduler,
            show=progress and not _quiet(),
            total=len(plan.points),
            done=skipped,
        )
    table = _table(plan, records)
    frontier = pareto_frontier(table, cost=plan.frontier_cost, coverage=plan.frontier_coverage)
    table["on_frontier"] = table["point_id"].isin(frontier.ids)
    table["knee"] = table["point_id"] == (frontier.knee_id or "")
    result = SweepResult(
        title=plan.title,
        table=table,
        frontier=frontier,
        out_dir=out,
        keys=plan.keys,
        ran=len(todo),
        skipped=skipped,
        seconds=time.perf_counter() - t0,
    )
    _write_outputs(result, plan, atomic_write_text)
    return result


def _run_points(
    plan: SweepPlan,
    todo: Sequence[SweepPoint],
    out: Path,
    records: dict,
    *,
    workers,
    scheduler,
    show: bool,
    total: int,
    done: int,
) -> None:
    from dask.distributed import as_completed
    from tqdm import tqdm

    from citylogistics.fileio import atomic_write_text

    client, cluster = dask_client(workers, scheduler)
    bar = tqdm(total=total, initial=done, desc="sweep", unit="point", disable=not show)
    try:
        futures = {}
        for point in todo:
            fut = client.submit(
                run_point,
                dict(point.table),
                plan.base_path,
                str((out / "points" / point.point_id).absolute()),
                key=f"sweep-point-{point.point_id}-{point.scenario_sha256[:12]}",
                pure=False,
            )
            futures[fut] = point
        for fut in as_completed(list(futures)):
            point = futures[fut]
            try:
                rec = fut.result()
            except Exception as exc:  # the worker died (out of memory, crash): report, go on
                rec = {
                    "status": "error",
                    "error": f"{type(exc).__name__}: {' '.join(str(exc).split())}",
                    "seconds": None,
                    "kpis": {},
                }
            rec = {
                "point_id": point.point_id,
                "params": point.params_dict,
                "scenario_sha256": point.scenario_sha256,
                "inputs_sha256": point.inputs_sha256,
                "base_sha256": plan.base_sha256,
                **rec,
            }
            atomic_write_text(_result_path(out, point.point_id), json.dumps(rec, indent=1) + "\n")
            records[point.point_id] = rec
            bar.update(1)
            if rec["status"] != "ok":
                bar.write(f"point {point.point_id} failed: {rec['error']}")
    finally:
        bar.close()
        client.close()
        if cluster is not None:
            cluster.close()


def _table(plan: SweepPlan, records: Mapping[str, dict]):
    import pandas as pd

    kpi_cols: list[str] = []
    for point in plan.points:
        for k in records[point.point_id].get("kpis", {}):
            if k not in kpi_cols:
                kpi_cols.append(k)
    rows = []
    for point in plan.points:
        rec = records[point.point_id]
        row: dict[str, Any] = {"point_id": point.point_id}
        row.update({k: _column_value(v) for k, v in point.params})
        row.update({"status": rec["status"], "error": rec.get("error", ""), "seconds": rec.get("seconds")})
        kp = rec.get("kpis", {})
        row.update({k: kp.get(k) for k in kpi_cols})
        rows.append(row)
    df = pd.DataFrame(rows, columns=["point_id", *plan.keys, "status", "error", "seconds", *kpi_cols])
    for k in plan.keys:  # a column mixing scalars and JSON lists is all text, so Parquet can store it
        if df[k].map(type).nunique() > 1:
            df[k] = df[k].map(lambda v: v if isinstance(v, str) else json.dumps(v))
    return df.sort_values("point_id", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------
def _write_outputs(result: SweepResult, plan: SweepPlan, atomic_write_text) -> None:
    import pandas as pd

    out = result.out_dir
    table = result.table
    atomic_write_text(out / "sweep.csv", table.to_csv(index=False, lineterminator="\n", float_format="%.10g"))
    tmp = out / ".sweep.parquet.tmp"
    table.to_parquet(tmp, index=False)
    os.replace(tmp, out / "sweep.parquet")
    fr = result.frontier
    front = pd.DataFrame(list(fr.points), columns=["point_id", fr.cost_key, fr.coverage_key])
    front = front.merge(table[["point_id", *plan.keys]], on="point_id", how="left")
    front["knee"] = front["point_id"] == (fr.knee_id or "")
    atomic_write_text(out / "frontier.csv", front.to_csv(index=False, lineterminator="\n", float_format="%.10g"))
    svg = frontier_svg(table, fr, title=plan.title)
    atomic_write_text(out / "frontier.svg", svg)
    from citylogistics.outputs.sweep_report import sweep_report_html, sweep_report_md

    atomic_write_text(out / "report.md", sweep_report_md(result, plan, front))
    atomic_write_text(out / "report.html", sweep_report_html(result, plan, front, svg))


def frontier_svg(table, frontier: Frontier, *, title: str = "", width: int = 640, height: int = 420) -> str:
    """An SVG scatter of cost against coverage: every ok point, the frontier as a
    line and the knee circled (drawn by :func:`citylogistics.outputs.charts.frontier_chart`)."""
    from citylogistics.outputs.charts import frontier_chart

    ck, vk = frontier.cost_key, frontier.coverage_key
    ok = table[table["status"] == "ok"] if ck in table.columns and vk in table.columns else table.iloc[0:0]
    pts = (
        [(str(p), float(c), float(v)) for p, c, v in ok[["point_id", ck, vk]].dropna().itertuples(index=False)]
        if len(ok)
        else []
    )
    return frontier_chart(
        pts,
        frontier.points,
        knee_id=frontier.knee_id,
        x_label=f"{ck} (minimise)",
        y_label=f"{vk} (maximise)",
        title=title,
        width=width,
        height=height,
    )
