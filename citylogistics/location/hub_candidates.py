"""Candidate land parcels for e-commerce logistics hubs (T0).

* :class:`HubCandidate` and the candidates CSV: :func:`read_candidates`
  (validated, with file, line and column in every error) and
  :func:`write_candidates`;
* :func:`propose_candidates`: candidates at junctions of a road network near
  given demand points, labelled ``generated``, with a land cost from a
  stated rule (:class:`LandCostRule`);
* :func:`candidates_for_city`: the same for one Zhejiang city, on the
  packaged OpenStreetMap major roads and the city's villages.

Capacity from area: when a candidate has no ``capacity_parcels_per_day`` it is
``area_m2 * throughput_parcels_per_m2_day``; the default
:data:`DEFAULT_THROUGHPUT_PARCELS_PER_M2_DAY` = 10 parcels per m² of site per
day is a planning assumption (a 50,000 m² sorting hub handling 500,000
parcels a day), not a measured figure: give capacities when they are known.
"""

from __future__ import annotations

import csv
import difflib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from citylogistics.errors import InputError

__all__ = [
    "HubCandidate",
    "LandCostRule",
    "read_candidates",
    "write_candidates",
    "propose_candidates",
    "candidates_for_city",
    "CANDIDATE_COLUMNS",
    "DEFAULT_THROUGHPUT_PARCELS_PER_M2_DAY",
    "MAJOR_ROAD_CLASSES",
]

#: Planning assumption for capacities derived from area (see module docs).
DEFAULT_THROUGHPUT_PARCELS_PER_M2_DAY = 10.0
#: Road classes that make up the "major" network for generated candidates.
MAJOR_ROAD_CLASSES = ("expressway", "national", "provincial")
#: Columns of a candidates file: required first, then optional ones.
CANDIDATE_COLUMNS = (
    "id",
    "lon",
    "lat",
    "area_m2",
    "land_cost_cny",
    "annual_cost_cny",
    "capacity_parcels_per_day",
    "existing",
    "generated",
    "name",
)
_REQUIRED = CANDIDATE_COLUMNS[:6]
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


# ---------------------------------------------------------------------------
# Candidates
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class HubCandidate:
    """A parcel of land where a T0 hub could run.

    Attributes
    ----------
    id
        Unique id.
    lon, lat
        WGS-84 degrees.
    area_m2
        Site area.
    land_cost_cny
        Paid once, in the opening year (not for ``existing`` hubs).
    capacity_parcels_per_day
        Daily throughput.
    annual_cost_cny
        Paid in every year the hub is open (existing hubs included).
    existing
        The hub already runs: open in every year, never closed.
    generated
        Proposed by :func:`propose_candidates` rather than given by a user.
    name
        Free label.
    """

    id: str
    lon: float
    lat: float
    area_m2: float
    land_cost_cny: float
    capacity_parcels_per_day: float
    annual_cost_cny: float
    existing: bool = False
    generated: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        src = f"HubCandidate {self.id!r}"
        if not isinstance(self.id, str) or not self.id.strip():
            raise InputError("id must be a non-empty string", source="HubCandidate", where="id")
        for name, lo, hi in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
            v = getattr(self, name)
            if not (isinstance(v, (int, float, np.number)) and math.isfinite(v) and lo <= v <= hi):
                raise InputError(f"must be a number in [{lo:g}, {hi:g}], got {v!r}", source=src, where=name)
        for name in ("area_m2", "capacity_parcels_per_day"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float, np.number)) and math.isfinite(v) and v > 0):
                raise InputError(f"must be a number > 0, got {v!r}", source=src, where=name)
        for name in ("land_cost_cny", "annual_cost_cny"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float, np.number)) and math.isfinite(v) and v >= 0):
                raise InputError(f"must be a number >= 0, got {v!r}", source=src, where=name)

    def to_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "lon": f"{self.lon:.6f}",
            "lat": f"{self.lat:.6f}",
            "area_m2": f"{self.area_m2:g}",
            "land_cost_cny": f"{self.land_cost_cny:.0f}",
            "annual_cost_cny": f"{self.annual_cost_cny:.0f}",
            "capacity_parcels_per_day": f"{self.capacity_parcels_per_day:g}",
            "existing": "true" if self.existing else "false",
            "generated": "true" if self.generated else "false",
            "name": self.name,
        }


def _cell_number(text: str, *, src: str, where: str, positive: bool = False) -> float:
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"{text!r} is not a number", source=src, where=where) from None
    if not math.isfinite(v):
        raise InputError(f"{text!r} is not a finite number", source=src, where=where)
    if positive and v <= 0:
        raise InputError(f"{text} must be > 0", source=src, where=where)
    if v < 0:
        raise InputError(f"{text} must be >= 0; fix the sign", source=src, where=where)
    return v


def read_candidates(
    path: str | Path,
    *,
    throughput_parcels_per_m2_day: float = DEFAULT_THROUGHPUT_PARCELS_PER_M2_DAY,
) -> tuple[HubCandidate, ...]:
    """Read a candidates CSV.

    Columns (header row, any order): ``id, lon, lat, area_m2, land_cost_cny,
    annual_cost_cny`` (required), ``capacity_parcels_per_day`` (empty or
    absent: ``area_m2 * throughput_parcels_per_m2_day``), ``existing`` and
    ``generated`` (``true``/``false``/``1``/``0``/``yes``/``no``; default
    false), ``name``. Unknown columns are refused (with a "did you mean").

    Raises
    ------
    InputError
        Naming the file, line and column: missing file or column, unknown
        column, empty value, non-numeric or out-of-range value (lon/lat outside
        the globe, area or capacity <= 0, negative costs), a bad boolean, a
        duplicate id, or no rows at all.
    """
    path = Path(path)
    src = str(path)
    path = Path(path)
    src = str(path)
    if not (isinstance(throughput_parcels_per_m2_day, (int, float)) and throughput_parcels_per_m2_day > 0):
        raise InputError(
            f"must be > 0, got {throughput_parcels_per_m2_day!r}",
            source="read_candidates",
            where="throughput_parcels_per_m2_day",
        )
    reader, header, col = _open_candidates(path, src)
    out: list[HubCandidate] = []
    seen: dict[str, int] = {}
    for lineno, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputError(
                f"has {len(row)} fields but the header has {len(header)}", source=src, where=f"line {lineno}"
            )
        cell = {h: row[k].strip() for h, k in col.items()}
        out.append(
            _candidate_from_cells(
                cell, lineno, seen, src=src, throughput_parcels_per_m2_day=throughput_parcels_per_m2_day
            )
        )
    if not out:
        raise InputError("has a header but no candidate rows", source=src, where="line 2")
    return tuple(out)


def _open_candidates(path: Path, src: str):
    """The CSV reader past a checked header row: (reader, header, column index by name)."""
    if not path.is_file():
        raise InputError("file not found or not a file; check the path", source=src)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", source=src) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV", source=src) from None
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("is empty; give a header row and one row per candidate", source=src, where="line 1") from None
    header = [h.strip() for h in header]
    for k, h in enumerate(header):
        if h not in CANDIDATE_COLUMNS:
            hint = difflib.get_close_matches(h, CANDIDATE_COLUMNS, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else f"; columns are {', '.join(CANDIDATE_COLUMNS)}"
            raise InputError(f"unknown column {h!r}{extra}", source=src, where=f"line 1, column {k + 1}")
        if header.count(h) > 1:
            raise InputError(f"column {h!r} appears twice", source=src, where="line 1")
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; required: {', '.join(_REQUIRED)}", source=src, where="line 1"
        )
    return reader, header, {h: k for k, h in enumerate(header)}


def _candidate_from_cells(
    cell: dict[str, str], lineno: int, seen: dict[str, int], *, src: str, throughput_parcels_per_m2_day: float
) -> HubCandidate:
    """One data row (cells by column name) as a candidate; ``seen`` maps ids to their line."""

    def where(c: str) -> str:
        return f"line {lineno}, column {c}"

    cid = cell["id"]
    if not cid:
        raise InputError("id is empty; give every candidate an id", source=src, where=where("id"))
    if cid in seen:
        raise InputError(
            f"id {cid!r} already used on line {seen[cid]}; ids must be unique", source=src, where=where("id")
        )
    seen[cid] = lineno
    vals = {}
    for c in ("lon", "lat", "area_m2", "land_cost_cny", "annual_cost_cny"):
        if cell[c] == "":
            raise InputError("is empty; give a number", source=src, where=where(c))
        vals[c] = (
            _cell_number(cell[c], src=src, where=where(c), positive=(c == "area_m2"))
            if c not in ("lon", "lat")
            else _coord(cell[c], c, src=src, where=where(c))
        )
    cap_text = cell.get("capacity_parcels_per_day", "")
    if cap_text:
        cap = _cell_number(cap_text, src=src, where=where("capacity_parcels_per_day"), positive=True)
    else:
        cap = vals["area_m2"] * float(throughput_parcels_per_m2_day)
    flags = {}
    for c in ("existing", "generated"):
        t = cell.get(c, "").lower()
        if t in _TRUE:
            flags[c] = True
        elif t in _FALSE:
            flags[c] = False
        else:
            raise InputError(f"{cell[c]!r} is not a boolean; use true or false", source=src, where=where(c))
    return HubCandidate(
        id=cid,
        lon=vals["lon"],
        lat=vals["lat"],
        area_m2=vals["area_m2"],
        land_cost_cny=vals["land_cost_cny"],
        capacity_parcels_per_day=cap,
        annual_cost_cny=vals["annual_cost_cny"],
        existing=flags["existing"],
        generated=flags["generated"],
        name=cell.get("name", ""),
    )


def _coord(text: str, name: str, *, src: str, where: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"{text!r} is not a number", source=src, where=where) from None
    lo, hi = (-180.0, 180.0) if name == "lon" else (-90.0, 90.0)
    if not (math.isfinite(v) and lo <= v <= hi):
        raise InputError(
            f"{text} is outside [{lo:g}, {hi:g}]; give WGS-84 degrees (lon first)", source=src, where=where
        )
    return v


def write_candidates(path: str | Path, candidates: Iterable[HubCandidate]) -> Path:
    """Write candidates as CSV (every column of :data:`CANDIDATE_COLUMNS`)."""
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(CANDIDATE_COLUMNS), lineterminator="\n")
        w.writeheader()
        for c in candidates:
            w.writerow(c.to_row())
    return path


# ---------------------------------------------------------------------------
# Generated candidates
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LandCostRule:
    """Land price falling with distance from the demand centre.

    ``price_per_m2(d) = edge + (centre - edge) * exp(-d / decay_m)`` where
    ``d`` is the distance (m) from the demand-weighted centroid of the demand
    points (or ``centre`` when given); a candidate's land cost is
    ``area_m2 * price_per_m2``. The defaults are planning placeholders, not
    market data: set them from local land-transfer prices.
    """

    centre_cny_per_m2: float = 3000.0
    edge_cny_per_m2: float = 600.0
    decay_m: float = 15_000.0
    centre: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if not (self.centre_cny_per_m2 >= 0 and self.edge_cny_per_m2 >= 0 and self.decay_m > 0):
            raise InputError("prices must be >= 0 and decay_m > 0", source="LandCostRule")

    def price_per_m2(self, distance_m: float) -> float:
        return self.edge_cny_per_m2 + (self.centre_cny_per_m2 - self.edge_cny_per_m2) * math.exp(
            -float(distance_m) / self.decay_m
        )


def _points(demand_points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """lon, lat, weight arrays from ``(lon, lat[, weight])`` rows or mappings."""
    lon, lat, w = [], [], []
    for k, p in enumerate(demand_points):
        if isinstance(p, Mapping):
            a, b, c = p.get("lon"), p.get("lat"), p.get("weight", p.get("demand_parcels", 1.0))
        else:
            p = tuple(p)
            a, b, c = (p + (1.0,))[:3] if len(p) in (2, 3) else (None, None, None)
        try:
            a, b, c = float(a), float(b), float(c)  # type: ignore[arg-type]  # None is caught below
        except (TypeError, ValueError):
            raise InputError(
                "each demand point is (lon, lat[, weight]) or a mapping with lon, lat",
                source="propose_candidates",
                where=f"demand_points[{k}]",
            ) from None
        if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c) and c >= 0):
            raise InputError(
                "lon, lat and weight must be finite and weight >= 0",
                source="propose_candidates",
                where=f"demand_points[{k}]",
            )
        lon.append(a)
        lat.append(b)
        w.append(c)
    if not lon:
        raise InputError("no demand points given", source="propose_candidates", where="demand_points")
    return np.array(lon), np.array(lat), np.array(w)


def propose_candidates(
    G,
    demand_points,
    *,
    max_dist_m: float,
    land_cost_rule: LandCostRule | Callable[[float, float, float, float], float],
    road_classes: Sequence[str] | None = MAJOR_ROAD_CLASSES,
    max_candidates: int = 30,
    min_spacing_m: float = 3000.0,
    area_m2: float = 50_000.0,
    throughput_parcels_per_m2_day: float = DEFAULT_THROUGHPUT_PARCELS_PER_M2_DAY,
    annual_cost_cny_per_m2: float = 150.0,
    id_prefix: str = "G",
) -> tuple[HubCandidate, ...]:
    """Candidate hubs at road junctions near demand, labelled ``generated``.

    A node of ``G`` qualifies when it meets at least three distinct
    neighbours over edges whose ``road_class`` is in ``road_classes`` (all
    edges when ``None``; edges without a class count) and lies within
    ``max_dist_m`` (great-circle) of some demand point. Qualifying junctions
    are ranked by the demand weight within ``max_dist_m`` (ties: node id) and
    taken greedily, skipping any closer than ``min_spacing_m`` to one already
    taken, up to ``max_candidates``.

    Every candidate gets ``area_m2``, a capacity of ``area_m2 *
    throughput_parcels_per_m2_day``, an annual cost of ``area_m2 *
    annual_cost_cny_per_m2`` (placeholder: operations and upkeep) and a land
    cost from ``land_cost_rule``: a :class:`LandCostRule`, or a callable
    ``(lon, lat, distance_to_nearest_demand_m, area_m2) -> CNY``.

    Parameters
    ----------
    G
        Road network (networkx), nodes with ``x``/``y`` (lon/lat).
    demand_points
        ``(lon, lat)`` or ``(lon, lat, weight)`` rows, or mappings with
        ``lon``, ``lat`` and optionally ``weight``.

    Returns
    -------
    tuple of HubCandidate
        Ids ``G001``, ``G002``… in ranking order (empty if no junction qualifies).
    """
    from citylogistics.geo import haversine_m

    _check_proposal(
        max_dist_m=max_dist_m,
        area_m2=area_m2,
        min_spacing_m=min_spacing_m,
        max_candidates=max_candidates,
        land_cost_rule=land_cost_rule,
        throughput_parcels_per_m2_day=throughput_parcels_per_m2_day,
    )
    dlon, dlat, dw = _points(demand_points)
    junctions, jlon, jlat = _junctions(G, road_classes)
    if not junctions:
        return ()
    order, near_m = _rank_junctions(jlon, jlat, dlon, dlat, dw, max_dist_m=max_dist_m, names=junctions)
    if not order:
        return ()
    land_cost = _land_cost_fn(land_cost_rule, dlon, dlat, dw)
    taken: list[int] = []
    out: list[HubCandidate] = []
    for j in order:
        if len(out) >= max_candidates:
            break
        if taken and np.min(np.atleast_1d(haversine_m(jlon[j], jlat[j], jlon[taken], jlat[taken]))) < min_spacing_m:
            continue
        land, rule = land_cost(float(jlon[j]), float(jlat[j]), float(near_m[j]), float(area_m2))
        taken.append(j)
        out.append(
            _junction_candidate(
                f"{id_prefix}{len(out) + 1:03d}",
                jlon[j],
                jlat[j],
                area_m2=area_m2,
                land_cny=land,
                throughput_parcels_per_m2_day=throughput_parcels_per_m2_day,
                annual_cost_cny_per_m2=annual_cost_cny_per_m2,
                existing=False,
                name=f"generated at junction {junctions[j]} (land cost: {rule})",
            )
        )
    return tuple(out)


def _check_proposal(
    *, max_dist_m, area_m2, min_spacing_m, max_candidates, land_cost_rule, throughput_parcels_per_m2_day
) -> None:
    src = "propose_candidates"
    for name, v in (
        ("max_dist_m", max_dist_m),
        ("area_m2", area_m2),
        ("throughput_parcels_per_m2_day", throughput_parcels_per_m2_day),
    ):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise InputError(f"must be a number > 0, got {v!r}", source=src, where=name)
    if not (isinstance(min_spacing_m, (int, float)) and min_spacing_m >= 0):
        raise InputError(f"must be >= 0, got {min_spacing_m!r}", source=src, where="min_spacing_m")
    if not (isinstance(max_candidates, int) and max_candidates >= 1):
        raise InputError(f"must be an integer >= 1, got {max_candidates!r}", source=src, where="max_candidates")
    if not (isinstance(land_cost_rule, LandCostRule) or callable(land_cost_rule)):
        raise InputError(
            "give a LandCostRule or a callable (lon, lat, distance_m, area_m2) -> CNY",
            source=src,
            where="land_cost_rule",
        )


def _junctions(G, road_classes: Sequence[str] | None) -> tuple[list, np.ndarray, np.ndarray]:
    """Nodes meeting >= 3 distinct neighbours over edges of the given classes,
    sorted by id, with their lon and lat."""
    allowed = None if road_classes is None else set(road_classes)
    neighbours: dict[Any, set] = {}
    for u, v, d in G.edges(data=True):
        if u == v:
            continue
        rc = d.get("road_class")
        if allowed is not None and rc is not None and rc not in allowed:
            continue
        neighbours.setdefault(u, set()).add(v)
        neighbours.setdefault(v, set()).add(u)
    junctions = sorted((n for n, nb in neighbours.items() if len(nb) >= 3), key=str)
    try:
        jlon = np.array([float(G.nodes[n]["x"]) for n in junctions])
        jlat = np.array([float(G.nodes[n]["y"]) for n in junctions])
    except (KeyError, TypeError, ValueError):
        raise InputError(
            "every node needs numeric x (lon) and y (lat)", source="propose_candidates", where="G"
        ) from None
    return junctions, jlon, jlat


def _rank_junctions(
    jlon: np.ndarray,
    jlat: np.ndarray,
    dlon: np.ndarray,
    dlat: np.ndarray,
    dw: np.ndarray,
    *,
    max_dist_m: float,
    names: list,
) -> tuple[list[int], np.ndarray]:
    """Junctions within ``max_dist_m`` of a demand point, by demand weight within
    that distance (ties: node id); also each junction's distance to its nearest demand point."""
    from scipy.spatial import cKDTree

    from citylogistics.geo import haversine_m, local_xy_m

    lon0, lat0 = float(np.mean(dlon)), float(np.mean(dlat))
    dx, dy = local_xy_m(dlon, dlat, lon0=lon0, lat0=lat0)
    jx, jy = local_xy_m(jlon, jlat, lon0=lon0, lat0=lat0)
    tree = cKDTree(np.column_stack([np.atleast_1d(dx), np.atleast_1d(dy)]))
    jxy = np.column_stack([np.atleast_1d(jx), np.atleast_1d(jy)])
    _, nearest = tree.query(jxy, k=1)
    near_m = np.atleast_1d(haversine_m(jlon, jlat, dlon[nearest], dlat[nearest]))
    ok = near_m <= max_dist_m
    if not ok.any():
        return [], near_m
    within = tree.query_ball_point(jxy, r=max_dist_m * 1.01)  # planar radius; refined below
    score = np.zeros(len(jlon))
    for j in np.flatnonzero(ok):
        idx = np.asarray(within[j], dtype=int)
        if idx.size:
            d = np.atleast_1d(haversine_m(jlon[j], jlat[j], dlon[idx], dlat[idx]))
            score[j] = float(dw[idx][d <= max_dist_m].sum())
    return sorted(np.flatnonzero(ok), key=lambda j: (-score[j], str(names[j]))), near_m


def _land_cost_fn(land_cost_rule, dlon: np.ndarray, dlat: np.ndarray, dw: np.ndarray):
    """``(lon, lat, distance_to_nearest_demand_m, area_m2) -> (CNY, rule name)``; a
    :class:`LandCostRule` measures from its centre or the demand-weighted centroid."""
    from citylogistics.geo import haversine_m

    if not isinstance(land_cost_rule, LandCostRule):
        name = getattr(land_cost_rule, "__name__", "callable")
        return lambda lon, lat, near_m, area: (float(land_cost_rule(lon, lat, near_m, area)), name)
    if land_cost_rule.centre is not None:
        c_lon, c_lat = land_cost_rule.centre
    else:
        lon0, lat0 = float(np.mean(dlon)), float(np.mean(dlat))
        tot = float(dw.sum())
        c_lon = float((dlon * dw).sum() / tot) if tot > 0 else lon0
        c_lat = float((dlat * dw).sum() / tot) if tot > 0 else lat0

    def cost(lon, lat, near_m, area):
        return area * land_cost_rule.price_per_m2(float(haversine_m(lon, lat, c_lon, c_lat))), "LandCostRule"

    return cost


def candidates_for_city(
    city: str,
    *,
    max_dist_m: float = 2000.0,
    n_max: int = 12,
    min_spacing_m: float = 5000.0,
    area_m2: float = 50_000.0,
    city_hub_area_m2: float = 60_000.0,
    land_cost_rule: LandCostRule | None = None,
    include_city_hub: bool = True,
    throughput_parcels_per_m2_day: float = DEFAULT_THROUGHPUT_PARCELS_PER_M2_DAY,
    annual_cost_cny_per_m2: float = 150.0,
    regions=None,
    G=None,
) -> tuple[HubCandidate, ...]:
    """Candidate hubs for one Zhejiang city, ready for :func:`write_candidates`.

    Points are junctions (three or more distinct neighbours) of the packaged
    OpenStreetMap major-road graph
    (:func:`citylogistics.network.osm_major.load_major_roads`, every road
    class) within ``max_dist_m`` (great-circle) of one of the city's villages
    (:func:`citylogistics.regions.load_regions`), ranked by the population
    living within ``max_dist_m`` and at least ``min_spacing_m`` apart (see
    :func:`propose_candidates`). All are labelled ``generated``.

    With ``include_city_hub`` the first row is the city's current hub (id
    ``T0-<adcode>``, as the planner names it, ``existing = true``) at the
    junction nearest the city seat, with ``city_hub_area_m2``; generated
    junctions closer than ``min_spacing_m`` to it are skipped. ``n_max``
    counts every row.

    Land cost (stated rule): ``area_m2 * price_per_m2(d)`` of
    ``land_cost_rule``, by default ``LandCostRule(centre=<city seat>)``:
    3,000 CNY/m² at the seat falling to 600 CNY/m² with a 15 km decay
    (planning placeholders, not market data). Annual cost ``area_m2 *
    annual_cost_cny_per_m2``; capacity ``area_m2 *
    throughput_parcels_per_m2_day``.

    Parameters
    ----------
    city
        Name, Chinese name or adcode (an unknown city is an :class:`InputError`).
    regions, G
        Already-loaded regions and major-road graph (loaded when ``None``).

    Returns
    -------
    tuple of HubCandidate
        At most ``n_max`` rows: the city hub (if asked) then ``G001``, ``G002``…
        in ranking order.
    """
    from dataclasses import replace

    from citylogistics.geo import haversine_m
    from citylogistics.regions import load_regions, resolve_city

    if not (isinstance(n_max, int) and not isinstance(n_max, bool) and n_max >= 1):
        raise InputError(f"must be an integer >= 1, got {n_max!r}", source="candidates_for_city", where="n_max")
    if regions is None:
        regions = load_regions()
    code = resolve_city(city)
    if G is None:
        from citylogistics.network.osm_major import load_major_roads

        G = load_major_roads()
    villages = regions.of_level("village", city=code)
    seat = regions.settlements.loc[code]
    seat_lon, seat_lat = float(seat["lon"]), float(seat["lat"])
    rule = LandCostRule(centre=(seat_lon, seat_lat)) if land_cost_rule is None else land_cost_rule
    points = list(
        zip(villages["lon"].astype(float), villages["lat"].astype(float), villages["population"].astype(float))
    )
    common: dict[str, Any] = dict(
        max_dist_m=max_dist_m,
        land_cost_rule=rule,
        road_classes=None,
        min_spacing_m=min_spacing_m,
        throughput_parcels_per_m2_day=throughput_parcels_per_m2_day,
        annual_cost_cny_per_m2=annual_cost_cny_per_m2,
    )
    generated = propose_candidates(G, points, max_candidates=n_max + 5, area_m2=area_m2, **common)
    out: list[HubCandidate] = []
    if include_city_hub:
        hub = _city_hub(G, seat_lon, seat_lat, code, area_m2=city_hub_area_m2, **common)
        out.append(hub)
        generated = tuple(c for c in generated if float(haversine_m(c.lon, c.lat, hub.lon, hub.lat)) >= min_spacing_m)
    for c in generated[: n_max - len(out)]:
        out.append(replace(c, id=f"G{len(out) + 1 - int(include_city_hub):03d}"))
    return tuple(out)


def _city_hub(
    G,
    lon: float,
    lat: float,
    code: str,
    *,
    area_m2: float,
    land_cost_rule,
    throughput_parcels_per_m2_day: float,
    annual_cost_cny_per_m2: float,
    **_,
) -> HubCandidate:
    """The existing city hub at the major-road junction nearest the city seat."""
    from citylogistics.geo import haversine_m

    junctions, jlon, jlat = _junctions(G, None)
    if not junctions:
        raise InputError("the road network has no junctions", source="candidates_for_city", where="G")
    d = np.atleast_1d(haversine_m(jlon, jlat, lon, lat))
    j = int(np.argmin(d))
    cost = _land_cost_fn(land_cost_rule, np.array([lon]), np.array([lat]), np.ones(1))
    land, rule = cost(float(jlon[j]), float(jlat[j]), float(d[j]), float(area_m2))
    return _junction_candidate(
        f"T0-{code}",
        jlon[j],
        jlat[j],
        area_m2=area_m2,
        land_cny=land,
        throughput_parcels_per_m2_day=throughput_parcels_per_m2_day,
        annual_cost_cny_per_m2=annual_cost_cny_per_m2,
        existing=True,
        name=f"current city hub at junction {junctions[j]}, {d[j]:.0f} m from "
        f"the city seat (area and capacity assumed; land cost: {rule})",
    )


def _junction_candidate(
    cid: str,
    lon: float,
    lat: float,
    *,
    area_m2: float,
    land_cny: float,
    throughput_parcels_per_m2_day: float,
    annual_cost_cny_per_m2: float,
    existing: bool,
    name: str,
) -> HubCandidate:
    """A generated candidate parcel at a road junction: capacity and annual cost by area."""
    return HubCandidate(
        id=cid,
        lon=round(float(lon), 6),
        lat=round(float(lat), 6),
        area_m2=float(area_m2),
        land_cost_cny=round(land_cny, 0),
        capacity_parcels_per_day=float(area_m2 * throughput_parcels_per_m2_day),
        annual_cost_cny=round(float(area_m2 * annual_cost_cny_per_m2), 0),
        existing=existing,
        generated=True,
        name=name,
    )
