"""``map.png``: a static map of a coverage plan for documents and slides (matplotlib, Agg).

Drawn: county boundaries, village coverage in the final year (served /
unserved; a surveyed point filled, a generated one hollow), trunk and shuttle
routes of the final year, the open sites by tier, a legend, a scale bar
(computed from the latitude, no extra dependency), the title and the
attribution of every data source.  Coordinates are WGS-84 drawn in an
equirectangular frame with the aspect of the map's mean latitude.

The bytes are deterministic: no timestamp or software version in the PNG
metadata, a fixed size and DPI, and everything drawn in a fixed order.
"""

from __future__ import annotations

import io
import math
import textwrap
import warnings

import numpy as np

from citylogistics.outputs.geometry import route_points
from citylogistics.outputs.i18n import attribution, leg_name, place_label, tr

#: Figure size (inches) and resolution: 1,500 × 1,500 pixels.
SIZE_IN = 10.0
DPI = 150
SERVED_COLOUR = "#1a9850"
UNSERVED_COLOUR = "#d73027"
TIER_STYLE = {"T1": ("#8b0000", 60), "T2": ("#1b7a8c", 22)}
LEG_STYLE = {"trunk": ("#333333", 2.0, "-"), "shuttle": ("#7b3294", 1.0, "--")}
#: Font families in fallback order (matplotlib takes each glyph from the first that has it):
#: the CJK ones draw Chinese names and the zh interface; missing ones are skipped.
FONTS = ["DejaVu Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "Microsoft YaHei"]


def _fonts() -> list[str]:
    """The families of :data:`FONTS` installed here (asking for a missing one logs a warning per text)."""
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in FONTS if f in have] or ["DejaVu Sans"]


def nice_scale_km(span_km: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k km) near a fifth of ``span_km``."""
    target = max(span_km / 5.0, 1e-3)
    base = 10 ** math.floor(math.log10(target))
    for f in (5, 2, 1):
        if f * base <= target:
            return f * base
    return base


def plan_png(plan, *, county_polygons=None, language: str = "en") -> bytes:
    """The PNG bytes of ``plan``'s static map (see the module docstring)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    L = language
    final = plan.final_year
    villages = plan.villages
    sites = plan.sites
    counties = county_polygons if county_polygons is not None else plan.county_polygons()
    codes = sorted(set(villages["county_code"].astype(str)) | set(sites["county_code"].astype(str)))
    polys = counties.loc[[c for c in codes if c in counties.index]]
    with (
        matplotlib.rc_context({"font.family": _fonts(), "svg.hashsalt": "cl", "axes.unicode_minus": False}),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")  # a missing CJK font only degrades glyphs
        fig = Figure(figsize=(SIZE_IN, SIZE_IN), dpi=DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.03, 0.1, 0.94, 0.84))
        handles = []
        for geom in polys.geometry:
            for part in getattr(geom, "geoms", [geom]):
                x, y = part.exterior.xy
                ax.plot(x, y, color="#888888", lw=0.6, zorder=1)
        if len(polys):
            handles.append(Line2D([], [], color="#888888", lw=0.8, label=tr("lg.boundaries", L)))
        _draw_routes(ax, plan, handles, L)
        _draw_villages(ax, villages, handles, L)
        open_ = sites[sites["open_year"].notna() & (sites["open_year"] <= final)]
        for tier in ("T2", "T1"):
            colour, size = TIER_STYLE[tier]
            g = open_[open_["tier"] == tier]
            if len(g):
                ax.scatter(g["lon"], g["lat"], s=size, c=colour, edgecolors="white", linewidths=0.6, zorder=5)
                handles.append(
                    Line2D(
                        [],
                        [],
                        ls="",
                        marker="o",
                        color=colour,
                        mec="white",
                        ms=math.sqrt(size),
                        label=tr(f"tier.{tier}", L),
                    )
                )
        if plan.info.hubs:
            hx = [h[2] for h in plan.info.hubs]
            hy = [h[3] for h in plan.info.hubs]
            ax.scatter(hx, hy, s=90, marker="s", c="black", edgecolors="white", linewidths=1, zorder=6)
            handles.append(Line2D([], [], ls="", marker="s", color="black", ms=8, label=tr("tier.T0", L)))
        _frame(ax, plan, polys)
        _scale_bar(ax, L)
        ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.9)
        title = plan.info.title
        if plan.info.city != "province":
            title = f"{title} — {place_label(plan.info.city)}"
        fig.text(0.5, 0.965, f"{title} ({final})", ha="center", va="center", fontsize=13)
        fig.text(
            0.03,
            0.085,
            "\n".join(textwrap.wrap(attribution(L), 150 if L == "en" else 75)),
            ha="left",
            va="top",
            fontsize=6.5,
            color="#444444",
        )
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _draw_routes(ax, plan, handles: list, L: str) -> None:
    """Trunk and shuttle routes of the final year."""
    from matplotlib.lines import Line2D

    final = plan.final_year
    coords = plan.coords
    from matplotlib.collections import LineCollection

    for leg in ("shuttle", "trunk"):
        colour, lw, ls = LEG_STYLE[leg]
        lines = [
            np.asarray(route_points(r, coords), dtype=float).reshape(-1, 2)
            for r in plan.routes
            if r["year"] == final and r["leg"] == leg
        ]
        lines = [x for x in lines if len(x) >= 2]
        if lines:
            ax.add_collection(
                LineCollection(lines, colors=colour, linewidths=lw, linestyles=ls, zorder=3 if leg == "trunk" else 2)
            )
            handles.append(Line2D([], [], color=colour, lw=lw, ls=ls, label=f"{leg_name(leg, L)} {final}"))


def _draw_villages(ax, villages, handles: list, L: str) -> None:
    """Villages served / unserved; generated points hollow."""
    from matplotlib.lines import Line2D

    if len(villages):
        served = villages["reason"].fillna("").astype(str) == ""
        gen = (villages["point_source"].astype(str) == "generated") if "point_source" in villages else served & False
        for ok, colour, label in (
            (True, SERVED_COLOUR, tr("lg.served", L)),
            (False, UNSERVED_COLOUR, tr("lg.unserved", L)),
        ):
            for hollow in (False, True):
                sel = (served == ok) & (gen == hollow)
                if not sel.any():
                    continue
                ax.scatter(
                    villages.loc[sel, "lon"],
                    villages.loc[sel, "lat"],
                    s=4 if not hollow else 5,
                    marker="o",
                    facecolors="none" if hollow else colour,
                    edgecolors=colour,
                    linewidths=0.5 if hollow else 0,
                    zorder=4,
                )
            handles.append(
                Line2D([], [], ls="", marker="o", color=colour, ms=5, label=f"{tr('lg.villages', L)}: {label}")
            )
        if gen.any():
            handles.append(
                Line2D([], [], ls="", marker="o", mfc="none", mec="#555555", ms=5, label=tr("lg.point_generated", L))
            )


def _frame(ax, plan, polys) -> None:
    """Limits around the data with a margin, the aspect of the mean latitude, no ticks."""
    xs = [
        plan.villages["lon"].to_numpy(dtype=float),
        plan.sites["lon"].to_numpy(dtype=float),
        np.array([h[2] for h in plan.info.hubs], dtype=float),
    ]
    ys = [
        plan.villages["lat"].to_numpy(dtype=float),
        plan.sites["lat"].to_numpy(dtype=float),
        np.array([h[3] for h in plan.info.hubs], dtype=float),
    ]
    if len(polys):
        b = polys.total_bounds
        xs.append(np.array([b[0], b[2]]))
        ys.append(np.array([b[1], b[3]]))
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    ok = np.isfinite(x) & np.isfinite(y)
    x0, x1 = (float(x[ok].min()), float(x[ok].max())) if ok.any() else (120.0, 121.0)
    y0, y1 = (float(y[ok].min()), float(y[ok].max())) if ok.any() else (29.0, 30.0)
    mx, my = max((x1 - x0) * 0.04, 0.01), max((y1 - y0) * 0.04, 0.01)
    ax.set_xlim(x0 - mx, x1 + mx)
    ax.set_ylim(y0 - my, y1 + my)
    ax.set_aspect(1.0 / math.cos(math.radians((y0 + y1) / 2)), adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#bbbbbb")


def _scale_bar(ax, language: str) -> None:
    """A bar of a round length in the lower right, from metres per degree at the map's latitude."""
    from citylogistics.geo import M_PER_DEG

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km_per_deg = M_PER_DEG / 1000.0 * math.cos(math.radians((y0 + y1) / 2))
    length_km = nice_scale_km((x1 - x0) * km_per_deg)
    deg = length_km / km_per_deg
    xe = x1 - (x1 - x0) * 0.04
    xs = xe - deg
    yb = y0 + (y1 - y0) * 0.04
    ax.plot([xs, xe], [yb, yb], color="black", lw=3, solid_capstyle="butt", zorder=7)
    for xt in (xs, xe):
        ax.plot([xt, xt], [yb - (y1 - y0) * 0.006, yb + (y1 - y0) * 0.006], color="black", lw=1, zorder=7)
    label = f"{length_km:g}"
    ax.text(
        (xs + xe) / 2,
        yb + (y1 - y0) * 0.012,
        tr("lg.scale", language, km=label),
        ha="center",
        va="bottom",
        fontsize=9,
        zorder=7,
    )
