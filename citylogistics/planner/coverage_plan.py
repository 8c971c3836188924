"""The result of the coverage planner: :class:`CoveragePlan`.

A frozen object holding what a coverage-extension run decided: the sites and
when they open, every village's station and reason if unserved (final
year), the routes of every year and leg, the KPI table, the siting status per
city, the unassigned list and the settings the outputs need (title, years,
cities, top scope, map tiles...).  The CLI, the scenario scripts, the sweep
and the notebooks all go through it::

    import citylogistics

    plan = citylogistics.plan_scenario("scenarios/zhoushan.toml", plan__coverage_limit_s=1200)
    print(plan.summary())
    plan.write("out/zhoushan")        # plan.json, CSVs, plan.gpkg, map.html, report.html, manifest.json

It follows the conventions of :class:`citylogistics.routing.plan.RoutePlan` and
:class:`citylogistics.location.plan.LocationPlan`: ``summary()``, ``__str__``,
``to_dict()``/``from_dict()``, ``to_json(path)``/``from_json(path)`` (a
lossless round trip of everything the output files hold) and ``_repr_html_``.

The views of a plan (``map()``, ``report()``, ``write()``,
``to_geodataframes()``, ``_repr_html_``) are drawn by
:mod:`citylogistics.outputs`; this module names those functions by module
path and imports them when called, so the planner layer never loads folium,
geopandas or jinja2 and the import graph stays one way.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citylogistics.errors import InputError

_SCHEMA = "citylogistics.CoveragePlan/1"


def _outputs(module: str):
    """A module of the outputs layer, imported when a view of the plan is asked for."""
    return importlib.import_module(f"citylogistics.outputs.{module}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlanInfo:
    """The settings a coverage plan's outputs need besides its tables.

    ``city`` is ``"province"`` or the city adcode; ``hubs`` holds
    (city code, name, lon, lat) of each city hub (T0); ``county_names`` maps
    county adcodes to names (report labels).
    """

    title: str
    city: str
    cities: tuple[str, ...]
    years: tuple[int, ...]
    seed: int
    coverage_limit_s: float
    tiles: str = "OpenStreetMap"
    hubs: tuple[tuple[str, str, float, float], ...] = ()
    county_names: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def top_scope(self) -> str:
        """The KPI scope of the whole plan: ``"province"`` or ``"city"``."""
        return "province" if self.city == "province" else "city"

    def scenario_block(self) -> dict:
        """plan.json's ``scenario`` entry."""
        return {
            "title": self.title,
            "city": self.city,
            "years": list(self.years),
            "seed": self.seed,
            "coverage_limit_s": self.coverage_limit_s,
        }

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d.update(
            cities=list(self.cities),
            years=list(self.years),
            hubs=[list(h) for h in self.hubs],
            county_names=dict(self.county_names),
        )
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> PlanInfo:
        return cls(
            title=str(d["title"]),
            city=str(d["city"]),
            cities=tuple(d["cities"]),
            years=tuple(d["years"]),
            seed=int(d["seed"]),
            coverage_limit_s=d["coverage_limit_s"],
            tiles=str(d.get("tiles", "none")),
            hubs=tuple((str(c), str(n), float(x), float(y)) for c, n, x, y in d.get("hubs", ())),
            county_names=dict(d.get("county_names", {})),
        )


# --------------------------------------------------------------------------- DataFrames as JSON


def _enc(value: Any) -> Any:
    """A cell as JSON: NaN and infinities as strings (JSON has none), numpy scalars as Python ones."""
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def _dec_float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _column_to_json(s: pd.Series) -> dict:
    values = [_enc(v) for v in s.tolist()]
    if s.dtype == object:  # text columns: a float cell (NaN) is marked so it is not read back as text
        values = [{"float": v} if isinstance(x, float) else v for x, v in zip(s.tolist(), values)]
    return {"dtype": str(s.dtype), "values": values}


def _column_from_json(col: Mapping) -> Any:
    dtype, values = col["dtype"], col["values"]
    if dtype == "object":
        return np.array([_dec_float(v["float"]) if isinstance(v, dict) else v for v in values], dtype=object)
    if dtype.startswith("float"):
        return np.array([_dec_float(v) for v in values], dtype=dtype)
    if dtype in ("bool",) or dtype.startswith(("int", "uint")):
        return np.array(values, dtype=dtype)
    return pd.array(values, dtype=dtype)


def frame_to_json(df: pd.DataFrame) -> dict:
    """A DataFrame as JSON-ready data keeping every dtype, the index and column order."""
    return {
        "index": {"name": df.index.name, **_column_to_json(df.index.to_series())} if df.index.name else None,
        "columns": {str(c): _column_to_json(df[c]) for c in df.columns},
    }


def frame_from_json(d: Mapping) -> pd.DataFrame:
    """Inverse of :func:`frame_to_json`."""
    cols = {name: _column_from_json(col) for name, col in d["columns"].items()}
    index = None
    if d.get("index"):
        index = pd.Index(_column_from_json(d["index"]), name=d["index"]["name"])
    n = len(next(iter(d["columns"].values()))["values"]) if d["columns"] else 0
    return pd.DataFrame(cols, index=index if index is not None else pd.RangeIndex(n), columns=list(cols))


# --------------------------------------------------------------------------- the plan


@dataclasses.dataclass(frozen=True, eq=False)
class CoveragePlan:
    """A coverage-extension plan: sites, villages, routes by year and leg, KPIs.

    Attributes
    ----------
    info
        Title, scope, cities, years, seed, coverage limit, tiles, hubs (:class:`PlanInfo`).
    sites
        One row per candidate site: ``id, tier, code, name, lon, lat,
        county_code, city_code, pinyin, open_year`` (NaN: never opened; the year
        before the horizon: existing), ``node``.
    villages
        Indexed by village code: the final year's ``served_by``,
        ``access_time_s``, ``access_km``, ``covered_year``, ``reason`` (``""``:
        served), ``demand_parcels``, ``pickup_parcels`` and the settlement columns.
    routes
        plan.json routes, each with ``leg``, ``year``, ``city``, ``depot`` and,
        in memory and in :meth:`to_json`, its road ``geometry`` (lon, lat).
    kpis
        One row per year and scope (:func:`citylogistics.planner.kpis.compute_kpis`).
    siting
        Per city code: the phased siting model's status, objective, bound, gap.
    unassigned
        Unserved villages of the final year and route pieces left by a leg,
        each with ``id``, ``reason``, ``leg``, ``year``, ``city``.
    regions
        The :class:`citylogistics.regions.Regions` it was planned on (county
        polygons for the map); not serialised, loaded again when needed.
    """

    info: PlanInfo
    sites: pd.DataFrame
    villages: pd.DataFrame
    routes: tuple[dict, ...]
    kpis: pd.DataFrame
    siting: Mapping[str, Mapping[str, Any]]
    unassigned: tuple[dict, ...]
    regions: Any = dataclasses.field(default=None, repr=False)

    # ------------------------------------------------------------ building
    @classmethod
    def from_city_plans(cls, city_plans: Sequence, *, info: PlanInfo, settings, regions=None) -> CoveragePlan:
        """Combine the :class:`~citylogistics.planner.four_tier.CityPlan` of each city
        (one for a city scenario, eleven for the province) and compute the KPIs."""
        from citylogistics.planner.kpis import compute_kpis

        sites = pd.concat([p.sites for p in city_plans], ignore_index=True)
        villages = pd.concat([p.villages for p in city_plans])
        yearly = pd.concat([p.yearly for p in city_plans], ignore_index=True)
        routes = tuple(r for p in city_plans for r in p.routes)
        unassigned = tuple(u for p in city_plans for u in p.unassigned)
        kpis = compute_kpis(
            villages, yearly, sites, routes, years=settings.years, top_scope=info.top_scope, settings=settings
        )
        return cls(
            info=info,
            sites=sites,
            villages=villages,
            routes=routes,
            kpis=kpis,
            siting={p.city_code: p.siting for p in city_plans},
            unassigned=unassigned,
            regions=regions,
        )

    # ------------------------------------------------------------ reading
    @property
    def years(self) -> tuple[int, ...]:
        return self.info.years

    @property
    def final_year(self) -> int:
        return self.info.years[-1]

    @property
    def coords(self) -> dict[str, tuple[float, float]]:
        """(lon, lat) of every hub (``T0-<city>``), site id and village code."""
        out = {f"T0-{c}": (float(x), float(y)) for c, _name, x, y in self.info.hubs}
        out.update(
            {sid: (float(x), float(y)) for sid, x, y in zip(self.sites["id"], self.sites["lon"], self.sites["lat"])}
        )
        out.update(
            {
                c: (float(x), float(y))
                for c, x, y in zip(self.villages.index, self.villages["lon"], self.villages["lat"])
            }
        )
        return out

    def top_kpis(self) -> pd.DataFrame:
        """The KPI rows of the top scope, by year."""
        return self.kpis[self.kpis["scope"] == self.info.top_scope].sort_values("year")

    def final_kpis(self) -> dict:
        """The top scope's KPI row of the final year."""
        top = self.top_kpis()
        return top[top["year"] == self.final_year].iloc[0].to_dict()

    def phases(self) -> list[dict]:
        """Per year: sites opened, villages covered, population share, cost and routes."""
        out = []
        top = self.top_kpis().set_index("year")
        for year in self.years:
            row = top.loc[year]
            out.append(
                {
                    "year": year,
                    "sites_opened": sorted(self.sites.loc[self.sites["open_year"] == year, "id"]),
                    "villages_covered": int(row["villages_covered"]),
                    "population_covered_share": float(row["population_covered_share"]),
                    "cost_cny": float(row["cost_cny"]),
                    "routes": sum(1 for r in self.routes if r["year"] == year),
                }
            )
        return out

    def plan_document(self) -> dict:
        """plan.json: the routing schema (summary of the final year) plus phases, legs and siting."""
        final = [r for r in self.routes if r["year"] == self.final_year]
        cost = sum(
            r.get("fixed_cost_cny", 0) + r.get("distance_cost_cny", 0) + r.get("time_cost_cny", 0) for r in final
        )
        served = int((self.villages["reason"] == "").sum())
        return {
            "scenario": self.info.scenario_block(),
            "units": {"distance": "m", "time": "s", "load": "parcels", "cost": "CNY"},
            "summary": {
                "year": self.final_year,
                "cost": round(cost, 2),
                "distance_m": round(sum(r["distance_m"] for r in final), 1),
                "duration_s": round(sum(r["duration_s"] for r in final), 1),
                "routes": len(final),
                "served": served,
                "unassigned": len(self.villages) - served,
            },
            "phases": self.phases(),
            "siting": dict(self.siting),
            "routes": [{k: v for k, v in r.items() if k != "geometry"} for r in self.routes],
            "unassigned": list(self.unassigned),
        }

    def summary_rows(self) -> list[tuple[str, str]]:
        """(label, text) of the headline figures: scope, years, then the final year's KPIs."""
        from citylogistics.planner.kpis import summary_rows

        k = self.final_kpis()
        return [
            ("title", self.info.title),
            ("scope", self.scope_label()),
            ("years", f"{self.years[0]}–{self.final_year}"),
            ("coverage limit", f"{self.info.coverage_limit_s / 60:.0f} min"),
            *summary_rows(k),
            (f"routes {self.final_year} (per day)", str(sum(1 for r in self.routes if r["year"] == self.final_year))),
            ("villages unserved", f"{int((self.villages['reason'] != '').sum()):,}"),
        ]

    def scope_label(self) -> str:
        """The plan's scope by name: ``"杭州市 Hangzhou (330100)"``, or ``"浙江省 Zhejiang (330000)"``."""
        from citylogistics.regions import CITY_CODES, CITY_NAMES_ZH

        if self.info.city == "province":
            return "浙江省 Zhejiang (330000)"
        code = self.info.city
        return f"{CITY_NAMES_ZH[code]}市 {CITY_CODES[code]} ({code})" if code in CITY_NAMES_ZH else code

    def summary(self) -> str:
        """A few lines a planner reads first."""
        rows = self.summary_rows()
        width = max(len(name) for name, _ in rows)
        return "CoveragePlan\n" + "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (
            f"CoveragePlan(title={self.info.title!r}, city={self.info.city!r}, years={self.years}, "
            f"sites={len(self.sites)}, villages={len(self.villages)}, routes={len(self.routes)})"
        )

    # ------------------------------------------------------------ round trip
    def to_dict(self) -> dict:
        """JSON-ready data: everything the output files hold, route geometry included."""
        return {
            "schema": _SCHEMA,
            "info": self.info.to_dict(),
            "sites": frame_to_json(self.sites),
            "villages": frame_to_json(self.villages),
            "routes": list(self.routes),
            "kpis": frame_to_json(self.kpis),
            "siting": dict(self.siting),
            "unassigned": list(self.unassigned),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> CoveragePlan:
        """Inverse of :meth:`to_dict`."""
        if d.get("schema") != _SCHEMA:
            raise InputError(
                f"schema {str(d.get('schema'))[:40]!r} is not {_SCHEMA!r}; "
                "read a file written by CoveragePlan.to_json()",
                source="CoveragePlan.from_dict",
            )
        try:
            return cls(
                info=PlanInfo.from_dict(d["info"]),
                sites=frame_from_json(d["sites"]),
                villages=frame_from_json(d["villages"]),
                routes=tuple(d["routes"]),
                kpis=frame_from_json(d["kpis"]),
                siting=dict(d["siting"]),
                unassigned=tuple(d["unassigned"]),
            )
        except (KeyError, TypeError) as exc:
            raise InputError(
                f"missing or malformed entry {str(exc)[:60]}; expected data written by CoveragePlan.to_dict()",
                source="CoveragePlan.from_dict",
            ) from None

    def to_json(self, path: str | os.PathLike) -> Path:
        """Write the plan as JSON atomically (temp file + rename)."""
        from citylogistics.fileio import atomic_write_text

        return atomic_write_text(
            Path(path), json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"
        )

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> CoveragePlan:
        """Read a plan written by :meth:`to_json`."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"cannot read it ({exc.strerror}); check the path", source=str(path)) from None
        except json.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON ({exc.msg} at line {exc.lineno}); write it with CoveragePlan.to_json()",
                source=str(path),
            ) from None
        return cls.from_dict(data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CoveragePlan):
            return NotImplemented
        return json.dumps(self.to_dict()) == json.dumps(other.to_dict())

    __hash__ = None  # type: ignore[assignment]  # holds DataFrames

    # ------------------------------------------------------------ views (citylogistics.outputs)
    def county_polygons(self):
        """County boundaries (GeoDataFrame, index adcode) for the choropleth."""
        regions = self.regions
        if regions is None:
            from citylogistics.regions import load_regions

            regions = load_regions(seed=self.info.seed)
        return regions.county_polygons()

    def to_geodataframes(self) -> dict:
        """GeoDataFrames (EPSG:4326) ``sites``, ``villages``, ``routes`` and ``service_areas``."""
        return _outputs("export").plan_geodataframes(self)

    def map(self, *, m=None, **options):
        """The plan's folium map (see :func:`citylogistics.outputs.plan_map.map_plan`; ``language="zh"``
        for Chinese)."""
        return _outputs("plan_map").map_plan(self, m=m, **options)

    def report(self, *, language: str = "en", **options) -> str:
        """The HTML report page in ``language`` (``"en"``/``"zh"``; see
        :func:`citylogistics.outputs.report.plan_report_html`)."""
        return _outputs("report").plan_report_html(self, language=language, **options)

    def png(self, *, language: str = "en", **options) -> bytes:
        """The static map (PNG bytes; see :func:`citylogistics.outputs.static_map.plan_png`)."""
        return _outputs("static_map").plan_png(self, language=language, **options)

    def write(
        self,
        out_dir: str | os.PathLike,
        *,
        overwrite: bool = False,
        report: bool = True,
        manifest=None,
        language: str = "en",
    ) -> Path:
        """Write every output file into ``out_dir`` atomically, maps and report in
        ``language`` (see :func:`citylogistics.outputs.write.write_plan`)."""
        return _outputs("write").write_plan(
            self, out_dir, overwrite=overwrite, report=report, manifest=manifest, language=language
        )

    def _repr_html_(self) -> str:
        return _outputs("notebook").coverage_plan_html(self)
