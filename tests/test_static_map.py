"""map.png: a static matplotlib map that is not blank, has a legend and the
attribution, the same bytes every time, and a scale bar of a round length."""

from __future__ import annotations

import io

import numpy as np
import pytest


@pytest.fixture(scope="module")
def plan_and_counties():
    from test_maps import _plan, _plan_data

    data = _plan_data()
    return _plan(data), data[5]


def _pixels(png: bytes) -> np.ndarray:
    from matplotlib.image import imread

    return imread(io.BytesIO(png), format="png")


def test_png_not_blank_and_deterministic(plan_and_counties):
    from citylogistics.outputs.static_map import plan_png

    plan, counties = plan_and_counties
    png = plan_png(plan, county_polygons=counties)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    px = _pixels(png)
    assert px.shape[0] >= 1000 and px.shape[1] >= 1000
    assert float(px[..., :3].var()) > 0.005  # not one flat colour
    assert len(np.unique(px[..., :3].reshape(-1, 3), axis=0)) > 20
    assert plan_png(plan, county_polygons=counties) == png  # no timestamp or version in the bytes
    assert b"Software" not in png and b"matplotlib" not in png.lower()


def test_legend_scale_bar_and_attribution_drawn(plan_and_counties, monkeypatch):
    from matplotlib.figure import Figure

    from citylogistics.outputs import static_map

    plan, counties = plan_and_counties
    seen = {}
    real = Figure.savefig

    def spy(fig, *a, **k):
        ax = fig.axes[0]
        seen["legend"] = [t.get_text() for t in ax.get_legend().get_texts()]
        seen["texts"] = [t.get_text() for t in ax.texts] + [t.get_text() for t in fig.texts]
        return real(fig, *a, **k)

    monkeypatch.setattr(Figure, "savefig", spy)
    static_map.plan_png(plan, county_polygons=counties)
    assert {"T1 county hub", "T2 town station", "T0 city hub", "county boundaries"} <= set(seen["legend"])
    assert any(x.startswith("trunk") for x in seen["legend"]) and "generated point (hollow)" in seen["legend"]
    text = " ".join(seen["texts"])
    assert "GeoNames" in text and "OpenStreetMap" in text and "Vonng/adcode" in text
    assert any(t.endswith(" km") for t in seen["texts"])
    static_map.plan_png(plan, county_polygons=counties, language="zh")
    assert "T1 县级枢纽" in seen["legend"] and any(t.endswith(" 公里") for t in seen["texts"])


@pytest.mark.parametrize("span_km, bar_km", [(100.0, 20.0), (23.0, 2.0), (7.0, 1.0), (480.0, 50.0), (0.9, 0.1)])
def test_scale_bar_is_a_round_fifth(span_km, bar_km):
    from citylogistics.outputs.static_map import nice_scale_km

    got = nice_scale_km(span_km)
    assert got == pytest.approx(bar_km) and got <= span_km / 5 + 1e-12
