"""Map pages in headless Chromium: file sizes and time to first complete render.

For each plan output folder given (``citylogistics run scenarios/<x>.toml --out DIR``),
opens ``map.html``, ``report.html`` and every ``cities/*.html`` from file in
Debian's /usr/bin/chromium (driven by Playwright, as tests/test_browser.py does;
no browser is downloaded) and prints one CSV row per page::

    page,bytes,features,render_s,errors

``render_s`` is the time from navigation start until the page's map has drawn
every layer shown at opening: the ``load`` event plus two animation frames
after it (Leaflet draws the canvas on the next frame), measured in the page
with ``performance.now()``; the best of ``--repeat`` fresh loads.  ``features``
is the number of vector features on the map (``window.clMap``); ``errors`` the
JavaScript errors seen (must be 0).  Target (issue 18): city ``map.html`` ≤ 3 MB,
province ``map.html`` ≤ 10 MB, each page ≤ 3 s.

Usage::

    CI=true .venv/bin/python -m citylogistics run scenarios/hangzhou.toml --out /tmp/h18/hangzhou
    .venv/bin/python benchmarks/bench_maps.py /tmp/h18/hangzhou /tmp/h18/lishui /tmp/h18/zhejiang
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RENDERED = """() => new Promise(resolve => {
    const done = () => requestAnimationFrame(() => requestAnimationFrame(() => {
        let n = 0;
        if (window.clMap) { window.clMap.eachLayer(l => { if (l instanceof L.Path) n++; }); }
        resolve({t: performance.now() / 1000, n: n});
    }));
    if (document.readyState === 'complete') { done(); } else { window.addEventListener('load', done); }
})"""


def pages(out: Path) -> list[Path]:
    found = [out / "map.html", out / "report.html"]
    found += sorted((out / "cities").glob("*.html")) if (out / "cities").is_dir() else []
    return [p for p in found if p.is_file()]


def measure(ctx, path: Path, repeat: int) -> tuple[int, float, int]:
    """(features, best render seconds, errors) of ``path``."""
    best, feats, errors = float("inf"), 0, 0
    for _ in range(repeat):
        page = ctx.new_page()
        errs: list[str] = []
        page.on("pageerror", lambda e, errs=errs: errs.append(str(e)))
        page.on("console", lambda m, errs=errs: errs.append(m.text)
                if m.type == "error" and "Failed to load resource" not in m.text else None)
        page.goto(path.resolve().as_uri(), wait_until="commit", timeout=120_000)
        res = page.evaluate(RENDERED)
        best = min(best, float(res["t"]))
        feats = int(res["n"])
        errors = max(errors, len(errs))
        page.close()
    return feats, best, errors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="+", type=Path, help="plan output folders")
    ap.add_argument("--repeat", type=int, default=3, help="fresh loads per page; the best is reported")
    args = ap.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"needs Debian's chromium at {CHROMIUM}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    print("page,bytes,features,render_s,errors")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        for out in args.out:
            for path in pages(out):
                feats, secs, errs = measure(ctx, path, args.repeat)
                print(f"{out.name}/{path.relative_to(out)},{path.stat().st_size},{feats},{secs:.2f},{errs}", flush=True)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
