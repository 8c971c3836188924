"""The map and the report in headless Chromium, offline: they load from file
with no JavaScript errors, show the expected layers, draw something (on
Leaflet's canvas renderer, so drawn features are counted through the map
object ``window.clMap``), and a hostile scenario title stays text; the
Chinese pages load the same way.

Under CI (the environment variable CI is "true", "1" or "yes") a missing
/usr/bin/chromium or Playwright FAILS the tests: .ci/run installs Debian's
chromium, so in CI they must run.  Elsewhere they skip with the reason.
Never downloads a browser.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TITLE = '<img src=x onerror="window.__x=1">'
DATA = Path(__file__).parent / "data" / "scenarios"

IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _missing(reason: str) -> None:
    """Fail under CI (the browser tests must run there), skip elsewhere."""
    if IN_CI:
        pytest.fail(f"{reason}; CI={os.environ.get('CI')!r}: the browser tests must run in CI", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module", autouse=True)
def _needs_chromium():
    if not CHROMIUM.exists():
        _missing(f"needs Debian's chromium at {CHROMIUM}")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from conftest import run_cli

    tmp = tmp_path_factory.mktemp("browser")
    text = (DATA / "zhoushan_small.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[0] = f"title = '{TITLE}'"
    assert text.splitlines()[0].startswith("title")
    scen = tmp / "s.toml"
    scen.write_text("\n".join(lines) + '\n[map]\ntiles = "none"\n', encoding="utf-8")
    out = tmp / "out"
    res = run_cli("run", str(scen), "--out", str(out))
    assert res.returncode == 0, res.stderr
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    try:
        from playwright import sync_api
    except ImportError:
        _missing("needs the playwright package (test extra)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        # A persistent context is the Playwright way to give chromium a new, empty --user-data-dir.
        ctx = p.chromium.launch_persistent_context(str(profile), executable_path=str(CHROMIUM), args=ARGS,
                                                   headless=True, viewport={"width": 1100, "height": 800})
        yield ctx
        ctx.close()


def _open(browser, path: Path):
    """Load ``path``; return (page, errors).  Failed resource loads (tiles,
    with no network) are not errors; page errors and other console errors are."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}")
            if m.type == "error" and "Failed to load resource" not in m.text else None)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(700)
    return page, errors, requests


DRAWN = "(() => { let n = 0; window.clMap.eachLayer(l => { if (l instanceof L.Path) n++; }); return n; })()"


def _png_pixels(png: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, bytes per pixel, raw unfiltered rows) of an 8-bit RGB/RGBA PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", data[:10])
            assert depth == 8 and colour in (2, 6)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += data
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp
    out = bytearray()
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        prev = line
    return width, height, bpp, bytes(out)


def _distinct_colours(png: bytes, step: int = 7) -> int:
    w, h, bpp, px = _png_pixels(png)
    seen = set()
    for i in range(0, w * h, step):
        seen.add(px[i * bpp:i * bpp + 3])
    return len(seen)


def test_map_loads_offline_with_layers(browser, run_dir):
    page, errors, requests = _open(browser, run_dir / "map.html")
    try:
        assert errors == []
        assert [u for u in requests if not u.startswith(("file:", "data:", "about:"))] == []  # nothing from a network
        assert page.evaluate("typeof window.__x") == "undefined"
        assert page.evaluate("typeof L") == "object" and page.evaluate("L.version") == "1.9.4"
        assert page.inner_text("#cl-title") == TITLE  # shown as text
        labels = page.evaluate(
            "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
            ".map(e => e.textContent.trim())")
        for name in ("T0 city hubs", "T1 county hubs existing", "T3 villages (2013)", "Service areas 2013",
                     "County coverage 2013", "trunk routes 2013", "shuttle routes 2011", "lastmile routes 2013"):
            assert name in labels, (name, labels)
        assert any(x.startswith("T2 town stations opened") for x in labels)
        # drawn features: villages, sites, routes, polygons (on one canvas)
        assert page.evaluate("document.querySelectorAll('.leaflet-overlay-pane canvas').length") == 1
        assert page.evaluate(DRAWN) > 400
        assert page.locator("#cl-legend").is_visible()
        attribution = page.inner_text(".leaflet-control-attribution")
        for source in ("GeoNames", "Vonng/adcode", "OpenStreetMap", "ODbL", "census"):
            assert source in attribution, source
        shot = page.screenshot()
        assert _distinct_colours(shot) > 20, "the map screenshot is blank"
        # switching a year's layer off removes its lines
        before = page.evaluate(DRAWN)
        page.evaluate("""Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))
            .find(e => e.textContent.trim() === 'lastmile routes 2013').querySelector('input').click()""")
        assert page.evaluate(DRAWN) < before
        # an earlier year is one click away
        page.evaluate("""Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))
            .find(e => e.textContent.trim() === 'lastmile routes 2011').querySelector('input').click()""")
        assert page.evaluate(DRAWN) > before - 1000 and page.evaluate(DRAWN) != before
    finally:
        page.close()


def test_report_loads_with_the_map_beside_it(browser, run_dir):
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "srcdoc" not in html and "src='map.html'" in html  # no second copy of the map
    assert len(html.encode("utf-8")) < 200_000
    page, errors, _ = _open(browser, run_dir / "report.html")
    try:
        assert errors == []
        assert page.evaluate("typeof window.__x") == "undefined"
        assert page.inner_text("#report-title") == TITLE
        assert page.evaluate("document.querySelectorAll('svg.chart').length") == 3
        assert page.evaluate("document.querySelectorAll('#kpi-years tr').length") == 1 + 3  # header + years
        frame = next(f for f in page.frames if f != page.main_frame)
        frame.wait_for_selector(".leaflet-control-layers", state="attached")
        assert frame.evaluate("typeof window.__x") == "undefined"
        assert frame.evaluate(DRAWN) > 400
        page.locator("#plan-map").scroll_into_view_if_needed()
        assert _distinct_colours(page.screenshot()) > 20
    finally:
        page.close()


def test_chinese_map_and_report_load(browser, tmp_path):
    import citylogistics

    plan = citylogistics.plan_scenario(DATA / "zhoushan_small.toml", map__tiles="none")
    plan.write(tmp_path / "out", language="zh")
    for name in ("map.html", "report.html"):
        page, errors, _ = _open(browser, tmp_path / "out" / name)
        try:
            assert errors == []
            if name == "map.html":
                labels = page.evaluate(
                    "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
                    ".map(e => e.textContent.trim())")
                assert "T0 市级枢纽" in labels and "末端路线 2013" in labels, labels
                assert "县域人口覆盖率" in page.inner_text("#cl-legend")
                assert page.evaluate(DRAWN) > 400
            else:
                assert page.inner_text("#sec-summary") == "概要"
        finally:
            page.close()
