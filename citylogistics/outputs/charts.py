"""Small inline SVG charts, written without a plotting library: the plan
report's line, bar and scatter charts and the sweep's cost–coverage frontier.

One set of primitives (frame, axes, ticks, series, legend) serves both; every
text is escaped, and the output is well-formed XML (it parses with
:mod:`xml.etree.ElementTree`), so a chart can be inlined in HTML or saved as
an ``.svg`` file.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from html import escape

SERIES_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
FRONTIER_COLOUR = "#d62728"
OTHER_COLOUR = "#7f7f7f"


def _e(value) -> str:
    return escape(str(value), quote=True)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi] (steps of 1, 2, 2.5 or 5 × 10^k)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw), default=raw)
    start = math.floor(lo / step) * step
    return [start + i * step for i in range(math.ceil((hi - start) / step) + 1)]


def short_number(v: float) -> str:
    """1234567 → ``1.23M``: three significant digits with a k/M/G suffix."""
    a = abs(v)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:.3g}"


@dataclasses.dataclass(frozen=True)
class _Frame:
    """The plot area of a chart and its data → pixel mapping."""

    width: int
    height: int
    ml: int
    mr: int
    mt: int
    mb: int
    xlo: float
    xhi: float
    ylo: float
    yhi: float

    @property
    def pw(self) -> float:
        return self.width - self.ml - self.mr

    @property
    def ph(self) -> float:
        return self.height - self.mt - self.mb

    def px(self, v: float) -> float:
        return self.ml + (float(v) - self.xlo) / (self.xhi - self.xlo) * self.pw

    def py(self, v: float) -> float:
        if self.yhi <= self.ylo:
            return self.mt + self.ph / 2
        return self.mt + self.ph - (float(v) - self.ylo) / (self.yhi - self.ylo) * self.ph


def _padded(lo: float, hi: float, *, pad: float = 0.05) -> tuple[float, float]:
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    p = (hi - lo) * pad
    return lo - p, hi + p


def _open(f: _Frame, title: str, chart_id: str) -> list[str]:
    ident = f' id="{_e(chart_id)}"' if chart_id else ""
    return [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart"{ident} width="{f.width}" height="{f.height}" '
            f'viewBox="0 0 {f.width} {f.height}" role="img" aria-label="{_e(title)}" font-family="sans-serif">'
        ),
        f'<rect width="{f.width}" height="{f.height}" fill="white"/>',
        f'<text x="{f.width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">{_e(title)}</text>',
        f'<rect x="{f.ml}" y="{f.mt}" width="{f.pw}" height="{f.ph}" fill="none" stroke="#999"/>',
    ]


def _y_axis(f: _Frame, ticks: Sequence[float], label: str, fmt=short_number) -> list[str]:
    out = []
    for t in ticks:
        y = f.py(t)
        out.append(
            f'<line x1="{f.ml}" x2="{f.ml + f.pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{f.ml - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{_e(fmt(t))}</text>'
        )
    out.append(
        f'<text transform="translate(14,{f.mt + f.ph / 2}) rotate(-90)" text-anchor="middle" '
        f'font-size="12">{_e(label)}</text>'
    )
    return out


def _x_labels(f: _Frame, labels: Sequence[tuple[float, str]], title: str) -> list[str]:
    out = [
        f'<text x="{x:.1f}" y="{f.mt + f.ph + 16}" text-anchor="middle" font-size="11">{_e(text)}</text>'
        for x, text in labels
    ]
    out.append(f'<text x="{f.ml + f.pw / 2}" y="{f.height - 6}" text-anchor="middle" font-size="12">{_e(title)}</text>')
    return out


def _polyline(points: Sequence[tuple[float, float]], colour: str) -> str:
    return (
        f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
        f'points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in points)}"/>'
    )


def _point(x: float, y: float, colour: str, tip: str, *, r: float = 4) -> str:
    return f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}"><title>{_e(tip)}</title></circle>'


def _legend(f: _Frame, entries: Sequence[tuple[str, str]]) -> list[str]:
    out = []
    for k, (name, colour) in enumerate(entries):
        ly = f.mt + f.ph - 12 - 16 * (len(entries) - 1 - k)
        out.append(
            f'<rect x="{f.ml + f.pw - 150}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{f.ml + f.pw - 136}" y="{ly}" font-size="11">{_e(name)}</text>'
        )
    return out


def _finite(values) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def _bars(f: _Frame, k: int, n_series: int, name: str, values: Sequence[float], colour: str) -> list[str]:
    out = []
    bw = f.pw / max(round(f.xhi - f.xlo), 1) * 0.8 / n_series
    for i, v in enumerate(values):
        if not math.isfinite(v):
            continue
        x0 = f.px(i + 0.5) - bw * n_series / 2 + k * bw
        y0, base = f.py(max(v, f.ylo)), f.py(f.ylo)
        out.append(
            f'<rect class="bar" x="{x0:.1f}" y="{min(y0, base):.1f}" width="{bw:.1f}" '
            f'height="{abs(base - y0):.1f}" fill="{colour}"><title>{_e(name)}: {_e(short_number(v))}'
            "</title></rect>"
        )
    return out


def svg_chart(
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    kind: str = "line",
    width: int = 540,
    height: int = 300,
    y_min: float | None = None,
    y_max: float | None = None,
    point_labels: Sequence[str] | None = None,
    chart_id: str = "",
) -> str:
    """A small chart: ``kind`` ``"line"`` (lines with markers), ``"bar"``
    (grouped bars, one slot per ``x``) or ``"scatter"`` (points joined in order)."""
    xs = [float(v) for v in x]
    ys = _finite(v for s in series.values() for v in s)
    lo = min(ys + [0.0]) if y_min is None else y_min
    hi = max(ys + [lo + 1e-9]) if y_max is None else y_max
    yt = nice_ticks(lo, hi)
    xlo, xhi = (0.0, float(max(len(xs), 1))) if kind == "bar" else _padded(*((min(xs), max(xs)) if xs else (0.0, 1.0)))
    f = _Frame(width, height, 64, 16, 30, 44, xlo, xhi, min(lo, yt[0]), max(hi, yt[-1]))
    out = _open(f, title, chart_id) + _y_axis(f, yt, y_label)
    if kind == "bar":
        labels = [(f.px(i + 0.5), str(int(v)) if v.is_integer() else str(v)) for i, v in enumerate(xs)]
    else:
        integral = bool(xs) and all(v.is_integer() for v in xs) and len(xs) <= 12
        ticks = sorted(set(xs)) if integral else nice_ticks(min(xs), max(xs)) if xs else []
        labels = [(f.px(t), str(int(t)) if integral else short_number(t)) for t in ticks if xlo <= t <= xhi]
    out += _x_labels(f, labels, x_label)
    entries = []
    for k, (name, values) in enumerate(series.items()):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        entries.append((name, colour))
        vals = [float(v) if v is not None else math.nan for v in values]
        if kind == "bar":
            out += _bars(f, k, max(len(series), 1), name, vals, colour)
            continue
        pts = [(f.px(xv), f.py(v)) for xv, v in zip(xs, vals) if math.isfinite(v)]
        if len(pts) > 1:
            out.append(_polyline(pts, colour))
        for i, (a, b) in enumerate(pts):
            label = point_labels[i] if point_labels and i < len(point_labels) else ""
            out.append(_point(a, b, colour, f"{name} {label}"))
            if label:
                out.append(f'<text x="{a + 6:.1f}" y="{b - 6:.1f}" font-size="11">{_e(label)}</text>')
    out += _legend(f, entries)
    out.append("</svg>")
    return "".join(out)


def frontier_chart(
    points: Sequence[tuple[str, float, float]],
    frontier: Sequence[tuple[str, float, float]],
    *,
    knee_id: str | None,
    x_label: str,
    y_label: str,
    title: str = "",
    width: int = 640,
    height: int = 420,
) -> str:
    """Cost against coverage: every ``(id, cost, coverage)`` point (frontier
    points in red), the ``frontier`` as a line and the knee circled."""
    f0 = _Frame(width, height, 80, 20, 40, 50, 0.0, 1.0, 0.0, 1.0)
    if not points:
        return (
            "\n".join(
                _open(f0, title, "")
                + [f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">no successful points</text>', "</svg>"]
            )
            + "\n"
        )
    cs, vs = [p[1] for p in points], [p[2] for p in points]
    xlo, xhi = _padded(min(cs), max(cs))
    ylo, yhi = _padded(min(vs), max(vs) if max(vs) > min(vs) else min(vs) + 0.02)
    f = dataclasses.replace(f0, xlo=xlo, xhi=xhi, ylo=ylo, yhi=yhi)
    out = _open(f, title, "") + _y_axis(
        f, [t for t in nice_ticks(ylo, yhi) if ylo <= t <= yhi], y_label, fmt=lambda t: f"{t:.4g}"
    )
    out += _x_labels(f, [(f.px(t), short_number(t)) for t in nice_ticks(xlo, xhi) if xlo <= t <= xhi], x_label)
    if frontier:
        out.append(_polyline([(f.px(c), f.py(v)) for _, c, v in frontier], FRONTIER_COLOUR))
    on = {p[0] for p in frontier}
    for pid, c, v in points:
        out.append(
            _point(f.px(c), f.py(v), FRONTIER_COLOUR if pid in on else OTHER_COLOUR, f"{pid}: {c:,.2f}, {v:.4f}")
        )
    if knee_id:
        _, c, v = next(p for p in frontier if p[0] == knee_id)
        x, y = f.px(c), f.py(v)
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="10" fill="none" stroke="black" stroke-width="2"/>')
        out.append(f'<text x="{x + 12:.1f}" y="{y - 8:.1f}" font-size="12">knee {_e(knee_id)}</text>')
    out += _legend(f, [("frontier", FRONTIER_COLOUR), ("other points", OTHER_COLOUR)])
    out.append("</svg>")
    return "\n".join(out) + "\n"
