"""Compare two plan output folders: KPI deltas by year and scope, sites added
and removed, and, for plans with city hubs chosen from candidates (``[hubs]``:
``T0`` rows in ``sites.csv``), the hub changes: hubs opened in one run only,
hubs opened in another year, and the change of each hub's final-year load
(``load_parcels_per_day``, when both runs' ``sites.csv`` have it)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from citylogistics.errors import InputError, clip

KEY_COLUMNS = (
    "population_covered_share",
    "villages_covered",
    "cost_cny",
    "cost_per_parcel_cny",
    "vehicle_km",
    "co2_kg",
    "next_day_share",
    "t1_open",
    "t2_open",
    "hubs_open",
    "land_used_m2",
    "hub_utilisation_max",
)


#: columns compare needs in each run's files
REQUIRED = {"kpis.csv": ("year", "scope"), "sites.csv": ("id", "open_year")}


def _check_run(folder: Path) -> None:
    """``folder`` is an output folder of a plan run: a citylogistics manifest, kpis.csv and sites.csv."""
    from citylogistics.fileio import is_citylogistics_output

    if not folder.is_dir():
        raise InputError(
            "is not a folder; give two output folders of 'citylogistics run' with a [plan]", source=str(folder)
        )
    if not is_citylogistics_output(folder):
        raise InputError(
            "is not a citylogistics output (no manifest.json); give the --out folder of 'citylogistics run'",
            source=str(folder),
        )
    for name in REQUIRED:
        if not (folder / name).is_file():
            raise InputError(
                f"has no {name}; give an output folder of 'citylogistics run' for a plan scenario", source=str(folder)
            )


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = Path(folder) / name
    try:
        df = pd.read_csv(path, dtype={"scope": str, "id": str, "code": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(
            f"cannot be read as CSV ({clip(str(exc), 80)}); rerun the scenario", source=str(path)
        ) from None
    missing = [c for c in REQUIRED[name] if c not in df.columns]
    if missing:
        raise InputError(
            f"has no column {', '.join(missing)}; give the output of a plan run (rerun the scenario)",
            source=str(path),
            where="line 1",
        )
    for col in ("year", "open_year"):
        if col in df.columns and not pd.api.types.is_numeric_dtype(df[col]):
            raise InputError(f"column {col} holds non-numbers; rerun the scenario", source=str(path), where=col)
    return df


@dataclasses.dataclass(frozen=True)
class Comparison:
    """KPI deltas (B − A) by year and scope and the site differences."""

    deltas: pd.DataFrame
    sites_added: tuple[str, ...]
    sites_removed: tuple[str, ...]
    sites_moved: tuple[tuple[str, int, int], ...]
    #: city hubs (T0) opened in B only / in A only, opened in another year (id, year A, year B)
    hubs_opened: tuple[str, ...] = ()
    hubs_closed: tuple[str, ...] = ()
    hubs_moved: tuple[tuple[str, int, int], ...] = ()
    #: (hub id, final-year load A, load B) in parcels/day for hubs open in either run whose load changed
    hub_loads: tuple[tuple[str, float, float], ...] = ()

    def summary(self) -> str:
        lines = ["KPI deltas (B - A):", self.deltas.to_string(index=False)]
        lines.append(f"sites added in B ({len(self.sites_added)}): {', '.join(self.sites_added) or '-'}")
        lines.append(f"sites removed in B ({len(self.sites_removed)}): {', '.join(self.sites_removed) or '-'}")
        if self.sites_moved:
            lines.append("sites opened in another year: " + ", ".join(f"{s} {a}->{b}" for s, a, b in self.sites_moved))
        if self.hubs_opened or self.hubs_closed or self.hubs_moved or self.hub_loads:
            lines.append(
                f"city hubs opened in B only: {', '.join(self.hubs_opened) or '-'}; "
                f"in A only: {', '.join(self.hubs_closed) or '-'}"
            )
            if self.hubs_moved:
                lines.append(
                    "city hubs opened in another year: " + ", ".join(f"{s} {a}->{b}" for s, a, b in self.hubs_moved)
                )
            for h, a, b in self.hub_loads:
                lines.append(f"city hub {h} final-year load (parcels/day): {a:,.0f} -> {b:,.0f} ({b - a:+,.0f})")
        return "\n".join(lines)


def compare_runs(dir_a: str | Path, dir_b: str | Path, *, scopes: str = "top") -> Comparison:
    """Compare two run folders.  ``scopes``: ``"top"`` (province/city rows) or ``"all"``."""
    _check_run(Path(dir_a))
    _check_run(Path(dir_b))
    ka, kb = _read(Path(dir_a), "kpis.csv"), _read(Path(dir_b), "kpis.csv")
    sa, sb = _read(Path(dir_a), "sites.csv"), _read(Path(dir_b), "sites.csv")
    cols = [c for c in KEY_COLUMNS if c in ka.columns and c in kb.columns]
    m = ka[["year", "scope", *cols]].merge(
        kb[["year", "scope", *cols]], on=["year", "scope"], how="outer", suffixes=("_a", "_b")
    )
    if scopes == "top":
        m = m[~m["scope"].str.contains(":", na=False)]
    out = m[["year", "scope"]].copy()
    for c in cols:
        out[f"{c}_a"] = m[f"{c}_a"]
        out[f"{c}_b"] = m[f"{c}_b"]
        out[f"d_{c}"] = m[f"{c}_b"] - m[f"{c}_a"]
    out = out.sort_values(["scope", "year"], kind="stable").reset_index(drop=True)
    oa = dict(zip(sa["id"], sa["open_year"]))
    ob = dict(zip(sb["id"], sb["open_year"]))
    open_a = {s for s, y in oa.items() if pd.notna(y)}
    open_b = {s for s, y in ob.items() if pd.notna(y)}
    moved = tuple(sorted((s, int(oa[s]), int(ob[s])) for s in open_a & open_b if int(oa[s]) != int(ob[s])))
    hubs = _hub_changes(sa, sb)
    return Comparison(
        deltas=out,
        sites_added=tuple(sorted(open_b - open_a)),
        sites_removed=tuple(sorted(open_a - open_b)),
        sites_moved=moved,
        **hubs,
    )


def _hub_changes(sa: pd.DataFrame, sb: pd.DataFrame) -> dict:
    """The city hub (T0) fields of :class:`Comparison` from two sites tables."""

    def hubs(s: pd.DataFrame) -> pd.DataFrame:
        if "tier" not in s.columns:
            return s.iloc[0:0]
        return s[(s["tier"] == "T0") & s["open_year"].notna()].set_index("id")

    ha, hb = hubs(sa), hubs(sb)
    if ha.empty and hb.empty:
        return {}
    a, b = set(ha.index), set(hb.index)
    moved = tuple(
        sorted(
            (h, int(ha.at[h, "open_year"]), int(hb.at[h, "open_year"]))
            for h in a & b
            if int(ha.at[h, "open_year"]) != int(hb.at[h, "open_year"])
        )
    )
    loads: tuple = ()
    if "load_parcels_per_day" in ha.columns and "load_parcels_per_day" in hb.columns:
        la = pd.to_numeric(ha["load_parcels_per_day"], errors="coerce")
        lb = pd.to_numeric(hb["load_parcels_per_day"], errors="coerce")
        both = sorted(a | b)
        loads = tuple(
            (h, float(la.get(h, 0.0)), float(lb.get(h, 0.0)))
            for h in both
            if abs(float(la.get(h, 0.0)) - float(lb.get(h, 0.0))) > 0.5
        )
    return {
        "hubs_opened": tuple(sorted(b - a)),
        "hubs_closed": tuple(sorted(a - b)),
        "hubs_moved": moved,
        "hub_loads": loads,
    }
