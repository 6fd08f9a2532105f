"""The sweep, heat-map and basin views in real Chromium: a click on each sets what it says.

Streamlit forwards only scatter *selections* (not heatmap clicks), so each view
carries clickable scatter points; these tests click them where plotly draws
them (pixel positions from the plot's own axes) and read the share link.
The server runs on ``BROWSER_TEST_PORT`` if set, else on a free port.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from tests.test_browser import CHROMIUM, IDLE, JS_META, LAUNCH_ARGS, UNAVAILABLE, VIEWPORT, hover

if UNAVAILABLE:  # tests/test_browser.py says why (and fails in CI)
    pytest.skip(UNAVAILABLE, allow_module_level=True)

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUERY = "?surface=ravine&r1=gd&r1.lr=0.1&r2=momentum&r2.lr=0.1&steps=150&x=-5&y=-2"

# Pixel position of data point (x, y) on the chart with Streamlit key ``key``.
JS_PIXEL = """([key, x, y, yaxis]) => {
  const d = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const L = d._fullLayout, r = d.getBoundingClientRect(), ya = L[yaxis];
  return [r.left + L.xaxis._offset + L.xaxis.d2p(x), r.top + ya._offset + ya.d2p(y)];
}"""
JS_POINTS = """([key, kind, racer, yaxis]) => {
  const d = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  %s
  const t = d._fullData.find(t => M(t).kind === kind && (racer < 0 || M(t).racer === racer)
                                  && (!yaxis || t.yaxis === yaxis));
  return {x: Array.from(t.x), y: Array.from(t.y)};
}""" % JS_META
# The chart is drawn whole (livechart sets data-drawn) and has not moved since the last frame
# (scrolled into place, laid out): pixel positions read now are where a click lands.
JS_SETTLED = """(key) => {
  const d = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  if (!d || d.dataset.drawn !== 'all' || !d._fullLayout) return false;
  const r = d.getBoundingClientRect(), now = [r.left, r.top, r.width, r.height].join();
  const same = d.__settledAt === now;
  d.__settledAt = now;
  return same;
}"""


def _port() -> int:
    if os.environ.get("BROWSER_TEST_PORT"):
        return int(os.environ["BROWSER_TEST_PORT"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base():
    port = _port()
    log = open(ROOT / "test-artifacts-hyper-server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("streamlit did not start")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        os.remove(ROOT / "test-artifacts-hyper-server.log")


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, base):
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.set_default_timeout(90_000)
    pg = ctx.new_page()
    pg.base = base
    yield pg
    ctx.close()


def open_view(page, tab: str, key: str):
    page.goto(page.base + "/" + QUERY + f"&tab={tab}")
    page.wait_for_selector(f".st-key-{key} .js-plotly-plot .nsewdrag", state="attached")
    page.wait_for_selector(IDLE, state="attached")
    page.locator(f".st-key-{key}").scroll_into_view_if_needed()
    page.wait_for_function(JS_SETTLED, arg=key, polling="raf")


def query(page) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


def click_until(page, key: str, x: float, y: float, yaxis: str, done) -> None:
    """Click the data point (x, y); a click within ~200 ms of a rerun can come back empty: twice more."""
    for _ in range(3):
        page.wait_for_selector(IDLE, state="attached")  # no rerun in flight
        page.wait_for_function(JS_SETTLED, arg=key, polling="raf")
        px, py = page.evaluate(JS_PIXEL, [key, x, y, yaxis])
        hover(page, f".st-key-{key} .js-plotly-plot", px, py)  # plotly's hover picks the nearest point
        page.mouse.click(px, py)
        try:  # the share link (history.replaceState: a navigation within the page) says it took
            page.wait_for_url(lambda url: done({k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}),
                              timeout=45_000)
            return
        except PlaywrightTimeoutError:
            pass
    page.screenshot(path="/tmp/hyper_fail.png")
    pytest.fail(f"three clicks on {key} at ({x:.4g}, {y:.4g}) did not take: {page.url}")


JS_CLICKED = """() => {
  const d = document.querySelector('.st-key-heat_chart .js-plotly-plot');
  window.__clicked = [];
  d.on('plotly_click', ev => { window.__clicked.push([ev.points[0].x, ev.points[0].y]); });
}"""


def test_click_on_the_heat_map_sets_lr_and_momentum(page):
    """A click sets the cell plotly.js picked (the one its hover label shows).
    The cells are about 6 px tall and plotly.js picks the cell under the cursor
    about 2 px off its drawn centre (plotly.js 3.8 and 4.1 alike), so the cell
    aimed at is checked to within one row, the setting to the clicked cell exactly."""
    open_view(page, "heatmap", "heat_chart")
    pts = page.evaluate(JS_POINTS, ["heat_chart", "heatmap", -1, ""])
    lrs, vals = np.unique(pts["x"]), np.unique(pts["y"])
    page.evaluate(JS_CLICKED)
    click_until(page, "heat_chart", float(lrs[40]), float(vals[30]), "yaxis", lambda q: q.get("r1") == "momentum")
    lr, mu = page.evaluate("() => window.__clicked[window.__clicked.length - 1]")
    assert lr == pytest.approx(lrs[40]) and abs(int(np.searchsorted(vals, mu - 1e-9)) - 30) <= 1, (lr, mu)
    q = query(page)
    assert float(q["r1.lr"]) == pytest.approx(lr, rel=1e-3)
    assert float(q["r1.momentum"]) == pytest.approx(mu, abs=1e-4)
    assert q["tab"] == "heatmap"


def test_click_on_a_sweep_point_sets_that_racers_rate(page):
    open_view(page, "sweep", "sweep_chart")
    pts = page.evaluate(JS_POINTS, ["sweep_chart", "sweep", 1, "y"])
    lr, loss = float(pts["x"][60]), float(pts["y"][60])
    click_until(page, "sweep_chart", lr, loss, "yaxis", lambda q: q.get("r2.lr") != "0.1")
    q = query(page)
    assert float(q["r2.lr"]) == pytest.approx(lr, rel=2e-3)
    assert q["r1.lr"] == "0.1"


def test_click_on_the_basin_map_starts_the_race_there(page):
    open_view(page, "basins", "basin_chart")
    pts = page.evaluate(JS_POINTS, ["basin_chart", "basin", -1, ""])
    x, y = float(np.unique(pts["x"])[45]), float(np.unique(pts["y"])[20])
    click_until(page, "basin_chart", x, y, "yaxis", lambda q: "tab" not in q)
    q = query(page)
    assert float(q["x"]) == pytest.approx(x, abs=1e-3) and float(q["y"]) == pytest.approx(y, abs=1e-3)
    page.wait_for_selector(".st-key-chart .js-plotly-plot", state="attached")  # back in the race
