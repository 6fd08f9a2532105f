"""End-to-end tests in a real headless Chromium against the real Streamlit app.

A module-scoped fixture serves ``app.py`` with ``streamlit run`` on a free
port; every test opens its own page (its own Streamlit session) and saves
screenshots into ``test-artifacts/`` (git-ignored), in the light and in the
dark colour scheme:

* the page-level tests (chart shown, presentation mode) run twice, in a light
  and in a dark browser context (Playwright's ``color_scheme``), so dark is
  also checked from the very first load;
* the other tests (learning rate, click on the map, Play, downloads, tampered
  link) do not depend on the scheme: they run once in a light context and,
  once their state is reached, switch the same page to dark
  (``page.emulate_media``) for the dark screenshot. Running them twice would
  double the module's runtime (each page load renders the 3-D view in
  software: ~5 s on 2 cores).

Needs Debian's ``/usr/bin/chromium`` (never a browser downloaded by
``playwright install``) and the ``playwright`` pip package. Without them the
module is skipped, except in CI (``CI=true``), where that is a failure.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
IN_CI = os.environ.get("CI") == "true"


def _find_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM = _find_chromium()
UNAVAILABLE = None if CHROMIUM else \
    "Chromium not found (apt-get install chromium; never `playwright install`)"
try:
    from playwright.sync_api import Page, sync_playwright
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
except ImportError:  # pragma: no cover - depends on the machine
    UNAVAILABLE = UNAVAILABLE or "the playwright package is not installed (pip install playwright)"
if UNAVAILABLE and not IN_CI:
    print(f"\nskipping tests/test_browser.py: {UNAVAILABLE}", file=sys.stderr)
    pytest.skip(UNAVAILABLE, allow_module_level=True)


@pytest.fixture(scope="module", autouse=True)
def _browser_required():
    """In CI a missing browser fails every test here (not a collection error,
    which would stop the other test files too)."""
    if UNAVAILABLE:
        pytest.fail(f"browser tests cannot run in CI: {UNAVAILABLE}", pytrace=False)


LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}

# Generous timeouts (ms): the machine has 2 cores and other work runs beside us.
COLD = 90_000      # first page load (Streamlit imports the app, plotly.js is 4.7 MB)
LOAD = 60_000
RERUN = 30_000
EXPORT = 120_000   # kaleido (SVG/PNG) and the GIF render on the server

CHART = ".st-key-chart .js-plotly-plot"            # the racing figure (key="chart")
ANY_CHART = ".livechart.js-plotly-plot"             # any chart of the app (livechart)
EXCEPTION = '[data-testid="stException"]'
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

LINK = "?surface=bowl&r1=gd&r1.lr=0.1&steps=50&x=-1.5&y=1.5"
CLICK_GRID = 60    # figures.trajectories.CLICK_GRID: invisible click targets per axis

# Counts the app's finished script runs (running -> notRunning), from page start.
RUN_COUNTER = """
window.__stRuns = 0;
new MutationObserver(records => {
  for (const r of records) {
    if (r.oldValue === 'running' && r.target.getAttribute('data-test-script-state') === 'notRunning') {
      window.__stRuns += 1;
    }
  }
}).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                      attributeFilter: ['data-test-script-state']});
"""

# JavaScript helpers evaluated on the page: the racing figure's plot div.
# A trace's meta on the page: every chart sends it as a JSON string
# (figures.prepared.prepare_stable).
JS_META = "const M = t => typeof t.meta === 'string' ? JSON.parse(t.meta) : (t.meta || {});"

JS_TRACE = """([name, type]) => {
  const d = document.querySelector('%s');
  const t = d && d._fullData && d._fullData.find(t => t.name === name && t.type === type);
  return t ? {x: Array.from(t.x), y: Array.from(t.y)} : null;
}""" % CHART
# The moving markers: the 2-D trace named "now" (one for every optimizer) or,
# with one trace per optimizer, "now: gd", ...: the first one.
JS_MARKER = """() => {
  const d = document.querySelector('%s');
  const t = d && d._fullData && d._fullData.find(
      t => t.type === 'scatter' && (t.name === 'now' || String(t.name).startsWith('now:')));
  return t ? {name: t.name, x: Array.from(t.x), y: Array.from(t.y)} : null;
}""" % CHART


# --- fixtures ------------------------------------------------------------------

def _free_port() -> int:
    """A free port: BROWSER_TEST_PORTS (e.g. "8614-8619") when set, else any."""
    lo, _, hi = os.environ.get("BROWSER_TEST_PORTS", "").partition("-")
    candidates = range(int(lo), int(hi or lo) + 1) if lo else [0]
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in BROWSER_TEST_PORTS={os.environ['BROWSER_TEST_PORTS']}")


def _log_tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="module")
def server():
    """``streamlit run app.py`` on a free port; yields (base URL, log path)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log_path = ARTIFACTS / "streamlit-server.log"
    log = open(log_path, "w")
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false",
         # other people edit files in this tree while tests run: no reloads
         "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{_log_tail(log_path)}")
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                    healthy = r.status == 200 and r.read().strip() == b"ok"
                with urllib.request.urlopen(base + "/", timeout=5) as r:
                    if healthy and r.status == 200 and b'id="root"' in r.read():
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer on {base} within 60 s:\n{_log_tail(log_path)}")
            time.sleep(0.25)
        yield base, log_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def warm(server, contexts):
    """Load the app once (Streamlit's first run imports everything) so each
    test's own timings are not dominated by the cold start."""
    base, _ = server
    page = contexts("light").new_page()
    page.goto(base + "/" + LINK, timeout=COLD)
    wait_idle(page, timeout=COLD)  # the first script run ended (the chart needs not be drawn)
    page.close()
    return base


SCHEMES = ["light", "dark"]


@pytest.fixture
def scheme() -> str:
    """The context's colour scheme; tests parametrize it to run in both."""
    return "light"


@pytest.fixture(scope="module")
def contexts(browser):
    """One browser context per colour scheme, shared so that the HTTP cache
    (Streamlit's and plotly's JavaScript) is reused; each test gets its own page,
    which is its own Streamlit session."""
    made = {}

    def get(scheme: str):
        if scheme not in made:
            ctx = browser.new_context(viewport=VIEWPORT, color_scheme=scheme, accept_downloads=True)
            ctx.set_default_timeout(LOAD)
            ctx.add_init_script(RUN_COUNTER)
            made[scheme] = ctx
        return made[scheme]

    yield get
    for ctx in made.values():
        ctx.close()


@pytest.fixture
def page(warm, contexts, scheme, request):
    """A fresh page (a new Streamlit session) in the given colour scheme."""
    pg = contexts(scheme).new_page()
    pg.page_errors = []  # uncaught JavaScript exceptions
    pg.on("pageerror", lambda exc: pg.page_errors.append(str(exc)))
    pg.base_url = warm
    pg.scheme = scheme
    pg.test_name = request.node.originalname
    failed_before = request.session.testsfailed
    yield pg
    if request.session.testsfailed > failed_before:  # this test failed: keep its last state
        try:
            shot(pg, "FAILED")
        except Exception:
            pass
    pg.close()


# --- helpers -------------------------------------------------------------------

def shot(page: Page, label: str) -> Path:
    path = ARTIFACTS / f"{page.test_name}-{label}-{page.scheme}.png"
    page.screenshot(path=str(path), animations="allow")
    return path


JS_DARK_FIGURE = """() => {
  const d = document.querySelector('%s');
  const c = d && d._fullLayout && String(d._fullLayout.paper_bgcolor);
  const m = c && (c.match(/^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i) || c.match(/(\\d+)\\D+(\\d+)\\D+(\\d+)/));
  if (!m) return null;
  const v = m.slice(1, 4).map(x => c.startsWith('#') ? parseInt(x, 16) : Number(x));
  return (0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]) / 255 < 0.5;
}""" % CHART


def figure_is_dark(page: Page) -> bool | None:
    """Whether the racing figure's paper is dark (None: not drawn yet)."""
    return page.evaluate(JS_DARK_FIGURE)


def switch_to_dark(page: Page) -> None:
    """Switch a light page to the dark scheme and wait for the figure to follow.
    The chart (livechart) lays the figure's dark look over its light one as soon
    as Streamlit's theme changes: no script run is needed."""
    assert page.scheme == "light"
    before = runs(page)
    page.emulate_media(color_scheme="dark")
    page.scheme = "dark"
    page.wait_for_function(JS_DARK_FIGURE, timeout=RERUN)
    assert runs(page) == before, "the figure followed the theme without a script run"
    page.wait_for_function(JS_PAGE_DARK, timeout=RERUN)


def shot_dark_too(page: Page, label: str) -> None:
    """The light screenshot, then the same state switched to dark."""
    shot(page, label)
    switch_to_dark(page)
    shot(page, label)


def open_app(page: Page, query: str = LINK) -> None:
    """Open the app and wait for the racing figure, its picture and an idle script."""
    page.goto(page.base_url + "/" + query, timeout=LOAD)
    page.wait_for_selector(CHART + " .main-svg", timeout=LOAD)
    page.wait_for_selector(CHART + " .layer-subplot .imagelayer image", state="attached", timeout=LOAD)
    wait_drawn(page)
    wait_idle(page)


def wait_drawn(page: Page) -> None:
    """Until the race chart shows both views: a new chart shows the map first and
    adds the 3-D scene right after (livechart)."""
    page.wait_for_function("(sel) => { const d = document.querySelector(sel);"
                           " return d && d.dataset.drawn === 'all'; }", arg=CHART, timeout=LOAD)


def wait_idle(page: Page, timeout: float = RERUN) -> None:
    page.wait_for_selector(IDLE, state="attached", timeout=timeout)


def runs(page: Page) -> int:
    return page.evaluate("() => window.__stRuns || 0")


def no_exception(page: Page) -> None:
    errors = page.locator(EXCEPTION)
    if errors.count():
        pytest.fail("the app shows an exception:\n" + "\n---\n".join(errors.all_inner_texts()))


def trace(page: Page, name: str, kind: str = "scatter") -> dict | None:
    return page.evaluate(JS_TRACE, [name, kind])


def marker(page: Page) -> dict | None:
    """The first moving marker of the 2-D view: {name, x, y}."""
    return page.evaluate(JS_MARKER)


def start_inputs(page: Page) -> tuple[str, str]:
    return (page.get_by_label("start x", exact=True).input_value(),
            page.get_by_label("start y", exact=True).input_value())


def query(page: Page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


# Waits on what a test waits for, never a fixed sleep.

# The page in the dark scheme: Streamlit's background, every chart's paper, and no CSS
# transition of the theme change still running (a screenshot would catch it half-way).
JS_PAGE_DARK = """() => {
  const dark = c => { const m = String(c).match(/^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i)
                                || String(c).match(/(\\d+)\\D+(\\d+)\\D+(\\d+)/);
                      if (!m) return false;
                      const v = m.slice(1, 4).map(x => String(c).startsWith('#') ? parseInt(x, 16) : Number(x));
                      return (0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]) / 255 < 0.5; };
  const app = document.querySelector('[data-testid="stApp"]');
  return Boolean(app && dark(getComputedStyle(app).backgroundColor)
    && Array.from(document.querySelectorAll('.livechart.js-plotly-plot'))
            .every(d => d._fullLayout && dark(d._fullLayout.paper_bgcolor))
    && document.getAnimations().every(a => !(a instanceof CSSTransition)));
}"""

# Plotly's hover has picked a point within ``r`` px of the mouse at (px, py): a click there now
# selects that point (plotly's click reads the hover's points).
JS_HOVERED = """([sel, px, py, r]) => {
  const d = document.querySelector(sel);
  if (!d || !d._hoverdata || !d._hoverdata.length) return false;
  const b = d.getBoundingClientRect();
  return d._hoverdata.some(p => p.xaxis && p.yaxis && p.xaxis.d2p && Math.hypot(
      b.left + p.xaxis._offset + p.xaxis.d2p(p.x) - px, b.top + p.yaxis._offset + p.yaxis.d2p(p.y) - py) <= r);
}"""

# The figure's animation loop has stopped (plotly.js clears _animationRaf when it stops).
JS_STOPPED = """(sel) => { const d = document.querySelector(sel);
                           return Boolean(d && d._fullLayout && !(d._transitionData || {})._animationRaf); }"""

# The longest frame duration of the figure's Play button (ms).
JS_FRAME_MS = """(sel) => {
  const d = document.querySelector(sel);
  const b = d._fullLayout.updatemenus.flatMap(m => m.buttons).find(b => String(b.label).includes('Play'));
  const f = b.args[1].frame;
  return Math.max(...(Array.isArray(f) ? f : [f]).map(x => x.duration || 0));
}"""


def hover(page: Page, selector: str, px: float, py: float, radius: float = 12, timeout: float = 5_000) -> bool:
    """Move the mouse to (px, py) and wait until plotly's hover has picked a point under it
    (False if it did not within ``timeout`` ms: the caller's click then tries anyway)."""
    page.mouse.move(px, py)
    try:
        page.wait_for_function(JS_HOVERED, arg=[selector, px, py, radius], timeout=timeout)
        return True
    except PlaywrightTimeoutError:
        return False


def changes(page: Page, js: str, count: int, arg=None, timeout: float = RERUN) -> list:
    """The next ``count`` values of the page function ``js(arg)``, each read when it changes (a
    wait on the next change, not a sampling sleep); fewer if it stops changing for ``timeout`` ms.
    Counting changes, not seconds, holds on a loaded machine, where a frame can take a second."""
    last = page.evaluate("(arg) => JSON.stringify((%s)(arg))" % js, arg)
    seen = []
    end = time.monotonic() + timeout / 1000
    while len(seen) < count and (left := end - time.monotonic()) > 0:
        try:
            handle = page.wait_for_function(
                "([arg, last]) => { const v = JSON.stringify((%s)(arg)); return v !== last && v; }" % js,
                arg=[arg, last], timeout=left * 1000)
        except PlaywrightTimeoutError:
            break
        last = handle.json_value()
        seen.append(json.loads(last))
    return seen


def wait_stopped(page: Page, selector: str = CHART) -> None:
    """Until the figure's animation loop has stopped, then two of its frame durations more (in
    which a playing figure would have moved twice)."""
    page.wait_for_function(JS_STOPPED, arg=selector, timeout=RERUN)
    ms = 2 * page.evaluate(JS_FRAME_MS, selector)
    page.evaluate("(ms) => new Promise(done => { const t0 = performance.now();"
                  " const tick = () => performance.now() - t0 >= ms ? done() : requestAnimationFrame(tick);"
                  " requestAnimationFrame(tick); })", ms)


# --- tests ---------------------------------------------------------------------

@pytest.mark.parametrize("scheme", SCHEMES)
def test_page_shows_chart(page):
    open_app(page)
    chart = page.locator(CHART)
    assert chart.locator(".main-svg").count() >= 1
    # the 2-D background (a layout image, not a contour trace) is drawn
    image = chart.locator(".layer-subplot .imagelayer image")
    assert image.count() == 1
    href = image.get_attribute("href") or image.get_attribute("xlink:href") or ""
    assert href.startswith("data:image/png"), href[:40]
    box = image.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, box
    # the path, the click targets and the moving marker; the loss chart below
    assert trace(page, "gd") is not None
    assert trace(page, "click to start here") is not None
    assert marker(page) is not None, "no moving marker trace ('now') in the 2-D view"
    assert page.locator(ANY_CHART).count() >= 2
    # the figure follows the colour scheme from the first load
    assert figure_is_dark(page) == (page.scheme == "dark")
    no_exception(page)
    assert page.page_errors == []
    shot(page, "page")


def test_changing_learning_rate_updates_chart(page):
    open_app(page)
    before = trace(page, "gd")
    assert before is not None, "no 2-D trace named 'gd'"
    # gradient descent on the bowl f = x² + y²: x₁ = x₀ (1 − 2 lr)
    assert before["x"][1] == pytest.approx(-1.5 * (1 - 2 * 0.1), abs=1e-5)

    lr = page.get_by_role("spinbutton", name="learning rate (lr)")
    lr.fill("0.3")
    lr.press("Enter")
    page.wait_for_function(
        """(old) => { const d = document.querySelector('%s');
                      const t = d && d._fullData && d._fullData.find(t => t.name === 'gd' && t.type === 'scatter');
                      return t && t.x.length > 1 && Math.abs(t.x[1] - old) > 1e-6; }""" % CHART,
        arg=before["x"][1], timeout=RERUN)
    after = trace(page, "gd")
    assert after["x"] != before["x"] or after["y"] != before["y"]
    assert after["x"][0] == pytest.approx(-1.5) and after["y"][0] == pytest.approx(1.5)
    assert after["x"][1] == pytest.approx(-1.5 * (1 - 2 * 0.3), abs=1e-5)
    assert after["y"][1] == pytest.approx(1.5 * (1 - 2 * 0.3), abs=1e-5)
    page.wait_for_function("() => location.search.includes('r1.lr=0.3')", timeout=RERUN)
    wait_idle(page)
    no_exception(page)
    shot_dark_too(page, "lr")


def test_click_on_map_moves_start(page):
    open_app(page)
    assert start_inputs(page) == ("-1.5", "1.5")
    chart = page.locator(CHART)
    (x0, x1), (y0, y1) = page.evaluate(
        "() => { const L = document.querySelector('%s')._fullLayout; return [L.xaxis.range, L.yaxis.range]; }"
        % CHART)
    box = chart.locator('.nsewdrag[data-subplot="xy"]').bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, box
    # The click targets: a CLICK_GRID x CLICK_GRID grid over the surface's
    # domain (= the axis ranges). Aim at the one nearest (0.8, -1.0), far from
    # the path, which runs from (-1.5, 1.5) straight to the minimum at 0.
    dx, dy = (x1 - x0) / (CLICK_GRID - 1), (y1 - y0) / (CLICK_GRID - 1)
    target = (x0 + round((0.8 - x0) / dx) * dx, y0 + round((-1.0 - y0) / dy) * dy)
    px = box["x"] + (target[0] - x0) / (x1 - x0) * box["width"]
    py = box["y"] + (y1 - target[1]) / (y1 - y0) * box["height"]

    moved = """() => { const v = ['start x', 'start y'].map(
                         l => document.querySelector(`input[aria-label="${l}"]`)?.value);
                       return v[0] !== undefined && (v[0] !== '-1.5' || v[1] !== '1.5'); }"""
    for attempt in range(2):  # a click within ~200 ms of a rerun can come back empty
        wait_idle(page)
        hover(page, CHART, px, py)  # plotly's hover picks the nearest click target
        n = runs(page)
        page.mouse.click(px, py)
        # the start point moves, or the click's rerun ends without moving it
        # (an empty selection), or no rerun comes at all (the click was lost)
        try:
            page.wait_for_function(
                "(n) => (%s)() || ((window.__stRuns || 0) > n && document.querySelector('%s'))" % (moved, IDLE),
                arg=n, timeout=15_000 if attempt == 0 else RERUN)
        except PlaywrightTimeoutError:
            pass
        if page.evaluate(moved):
            break
        print(f"\nclick {attempt + 1} on the map came back empty" + ("" if attempt else ": clicking again"))
    assert page.evaluate(moved), "two clicks on the map did not move the start point"
    sx, sy = (float(v) for v in start_inputs(page))
    assert abs(sx - target[0]) <= dx and abs(sy - target[1]) <= dy, (sx, sy, target)
    # the share link follows
    page.wait_for_function("() => !location.search.includes('x=-1.5')", timeout=RERUN)
    q = query(page)
    assert float(q["x"]) == pytest.approx(sx, abs=1e-3) and float(q["y"]) == pytest.approx(sy, abs=1e-3)
    # and so do the figure's start marker and the path
    page.wait_for_function(
        """(x) => { const d = document.querySelector('%s');
                    const t = d && d._fullData && d._fullData.find(t => t.name === 'start');
                    return t && Math.abs(t.x[0] - x) < 1e-3; }""" % CHART, arg=sx, timeout=RERUN)
    path = trace(page, "gd")
    assert path["x"][0] == pytest.approx(sx, abs=1e-3) and path["y"][0] == pytest.approx(sy, abs=1e-3)
    wait_idle(page)
    no_exception(page)
    shot_dark_too(page, "click")


def test_a_click_on_the_map_still_moves_the_start_after_a_new_surface(page):
    """A new surface changes the chart's config (the PNG button's file name): plotly.js's
    react then starts the chart afresh, and its purge drops event listeners. A click
    on the new map still moves the start point (a helper suspected it would not)."""
    open_app(page, "?surface=saddle&r1=gd&r1.lr=0.1&steps=50&x=-1.5&y=1.5")
    draws = int(page.evaluate("(s) => document.querySelector(s).dataset.draws", CHART))
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Surface")
    box.locator("input").click()
    page.keyboard.type("Bowl")
    page.keyboard.press("Enter")
    page.wait_for_function("([s, n]) => Number(document.querySelector(s).dataset.draws) > n", arg=[CHART, draws],
                           timeout=RERUN)
    wait_idle(page)
    assert page.evaluate("(s) => document.querySelector(s)._fullLayout.images.length", CHART)
    before = start_inputs(page)
    area = page.locator(CHART).locator('.nsewdrag[data-subplot="xy"]').bounding_box()
    px, py = area["x"] + 0.8 * area["width"], area["y"] + 0.8 * area["height"]   # far from the path
    for attempt in range(2):   # a click within ~200 ms of a rerun can come back empty
        hover(page, CHART, px, py)
        page.mouse.click(px, py)
        try:
            page.wait_for_function("(b) => ['start x', 'start y'].map(l => document.querySelector("
                                   "`input[aria-label=\"${l}\"]`)?.value).join() !== b.join()", arg=list(before),
                                   timeout=15_000)
            break
        except PlaywrightTimeoutError:
            wait_idle(page)
    assert start_inputs(page) != before, "a click on the new surface's map did not move the start point"
    no_exception(page)


def test_click_on_a_path_point_opens_the_step_inspector(page):
    # a slow run, so the path's points lie far apart: step 6 is easy to hit
    open_app(page, "?surface=bowl&r1=gd&r1.lr=0.05&steps=20&x=-1.5&y=1.5")
    path = trace(page, "gd")
    step = 6
    (x0, x1), (y0, y1) = page.evaluate(
        "() => { const L = document.querySelector('%s')._fullLayout; return [L.xaxis.range, L.yaxis.range]; }"
        % CHART)
    box = page.locator(CHART).locator('.nsewdrag[data-subplot="xy"]').bounding_box()
    px = box["x"] + (path["x"][step] - x0) / (x1 - x0) * box["width"]
    py = box["y"] + (y1 - path["y"][step]) / (y1 - y0) * box["height"]
    slider = page.locator('input[type=range][aria-label="step"]')  # the inspector's step slider
    for attempt in range(2):  # a click within ~200 ms of a rerun can come back empty
        wait_idle(page)
        hover(page, CHART, px, py)
        page.mouse.click(px, py)
        try:
            slider.wait_for(state="visible", timeout=15_000)
            page.wait_for_function(
                """() => document.querySelector('input[type=range][aria-label="step"]')?.value === '%d'"""
                % step, timeout=15_000)
            break
        except PlaywrightTimeoutError:
            print(f"\nclick {attempt + 1} on the path did not open step {step}")
    assert slider.input_value() == str(step)
    assert start_inputs(page) == ("-1.5", "1.5"), "a click on a path must not move the start"
    wait_idle(page)
    # the inspector is open and shows its table (a canvas grid: its cells are not DOM text)
    inspector = page.locator('[data-testid="stExpander"]', has_text="Step inspector")
    assert inspector.locator('[data-testid="stDataFrame"]').count() == 1
    assert inspector.locator("details[open]").count() == 1 or \
        inspector.locator("details").get_attribute("open") is not None
    no_exception(page)
    shot_dark_too(page, "inspector")


def _button(page: Page, label: str) -> tuple[float, float]:
    """Centre of one of the figure's animation buttons (measured while idle:
    while the animation runs, Playwright's actionability checks wait for
    animation frames that the software-rendered 3-D redraws starve)."""
    box = page.locator(CHART).locator(".updatemenu-button", has_text=label).bounding_box()
    assert box, f"no {label!r} button in the figure"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _play_and_sample(page: Page, play: tuple[float, float], count: int) -> list[float]:
    """Click Play; the x of the first moving 2-D marker, then its next ``count`` positions."""
    page.mouse.click(*play)
    seen = [marker(page)["x"][0]]
    return seen + [m["x"][0] for m in changes(page, JS_MARKER, count)]


def test_play_animates_and_keeps_background(page):
    open_app(page, "?surface=bowl&r1=gd&r1.lr=0.03&steps=100&x=-1.5&y=1.5")
    chart = page.locator(CHART)
    image = chart.locator(".layer-subplot .imagelayer image")
    first = marker(page)
    assert first is not None, "no moving marker trace ('now') in the 2-D view"
    assert abs(first["x"][0]) < 0.5, "the figure opens on the last frame: the whole race is visible"

    play, pause = _button(page, "Play"), _button(page, "Pause")
    seen = _play_and_sample(page, play, 4)
    assert len(set(seen)) >= 3, f"the marker did not move: {seen}"
    assert min(seen) < -1.0, f"Play starts the race over from step 0: {seen}"
    assert seen[-1] > min(seen)  # downhill, towards the minimum at 0
    shot(page, "playing")
    # mid-animation the background picture is still there (plotly.py #2151)
    assert image.count() == 1

    page.mouse.click(*pause)
    page.wait_for_function(JS_STOPPED, arg=CHART, timeout=RERUN)
    paused = marker(page)["x"][0]
    wait_stopped(page)
    assert marker(page)["x"][0] == paused, "Pause did not stop the marker"
    box = image.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, box

    # the same in the dark scheme: Play resumes from where it paused
    switch_to_dark(page)
    seen = _play_and_sample(page, play, 2)
    assert len(set(seen)) >= 2, f"the marker did not move after the switch to dark: {seen}"
    shot(page, "playing")
    assert image.count() == 1
    # Pause interrupting Play makes plotly.js reject the Play promise with
    # `undefined`, which nobody catches (plotly.js executeAPICommand): harmless.
    assert [e for e in page.page_errors if e != "undefined"] == []
    no_exception(page)


def _download(page: Page, name: str, out_dir: Path) -> tuple[str, bytes]:
    """Click a download button and return (suggested file name, content).

    The buttons use on_click="ignore": a click does not rerun the script, so
    the next button can be clicked at once (with a rerun per click, a quick
    second click asked for a revoked file id and nothing downloaded)."""
    button = page.get_by_role("button", name=name, exact=True)
    button.wait_for(state="visible")
    with page.expect_download(timeout=EXPORT) as info:
        button.click()
    dl = info.value
    assert dl.failure() is None, f"{name}: {dl.failure()}"
    target = out_dir / dl.suggested_filename
    dl.save_as(target)
    return dl.suggested_filename, target.read_bytes()


def _no_nan(text):
    raise ValueError(f"JSON contains {text}")


def test_downloads(page, server):
    from PIL import Image

    _, log_path = server
    out_dir = ARTIFACTS / "downloads"
    out_dir.mkdir(parents=True, exist_ok=True)
    log_start = log_path.stat().st_size
    open_app(page)
    page.get_by_text("Download and share", exact=True).click()
    page.get_by_role("button", name="Trajectories (CSV)", exact=True).wait_for(state="visible")

    name, data = _download(page, "Trajectories (CSV)", out_dir)
    assert name.endswith(".csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == ["optimizer", "label", "step", "x", "y", "loss", "grad_norm", "lr"]
    assert len(rows) == 1 + 51, len(rows)  # gd on the bowl runs every one of the 50 steps
    assert rows[1][:5] == ["gd", "gd", "0", "-1.5", "1.5"]
    assert all(len(r) == 8 for r in rows)

    name, data = _download(page, "Trajectories (JSON)", out_dir)
    assert name.endswith(".json")
    doc = json.loads(data.decode("utf-8"), parse_constant=_no_nan)
    assert doc["surface"] == "bowl" and doc["steps"] == 50
    assert doc["optimizers"][0]["optimizer"] == "gd"
    assert doc["runs"][0]["label"] == "gd" and len(doc["runs"][0]["points"]) == 51

    name, data = _download(page, "Interactive figure (HTML)", out_dir)
    assert name.endswith(".html")
    html = data.decode("utf-8")
    assert "plotly" in html.lower()
    for trace_name in ("gd", "start", "global minimum", "now"):  # "now": the moving marker(s)
        assert re.search(r'"name":\s*"%s' % re.escape(trace_name), html), trace_name
    assert re.search(r"Plotly\.addFrames\(\s*['\"]", html), "no animation frames in the HTML"

    svg_button = page.get_by_role("button", name="Figure (SVG)", exact=True)
    png_button = page.get_by_role("button", name="Figure (PNG, 3×)", exact=True)
    if svg_button.count():
        name, data = _download(page, "Figure (SVG)", out_dir)
        root = ET.fromstring(data)
        assert root.tag.endswith("svg"), root.tag
    if png_button.count():
        name, data = _download(page, "Figure (PNG, 3×)", out_dir)
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            assert img.format == "PNG"
            assert img.size == (900 * 3, 700 * 3), img.size  # exports.figure_image at scale 3
    if not (svg_button.count() and png_button.count()):
        print("\nno SVG/PNG download buttons: the app found no browser for kaleido")

    wait_idle(page)
    page.get_by_role("button", name="Render animated GIF", exact=True).click()
    try:
        page.get_by_role("button", name="Animated GIF", exact=True).wait_for(state="visible", timeout=EXPORT)
    except Exception:
        no_exception(page)  # fails with the app's error text if rendering raised
        raise
    name, data = _download(page, "Animated GIF", out_dir)
    assert name.endswith(".gif")
    with Image.open(io.BytesIO(data)) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames > 10, gif.n_frames
        gif.seek(gif.n_frames - 1)
        gif.load()

    no_exception(page)
    log_new = log_path.read_text(errors="replace")[log_start:]
    assert "Traceback" not in log_new, "the server logged an error:\n" + log_new[-3000:]
    shot_dark_too(page, "downloads")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_presentation_mode(page):
    open_app(page, LINK + "&present=1")
    assert page.get_by_role("switch", name="Presentation mode").is_checked()
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert not page.get_by_role("spinbutton", name="learning rate (lr)").is_visible()
    size = page.evaluate("() => document.querySelector('%s')._fullLayout.font.size" % CHART)
    assert figure_is_dark(page) == (page.scheme == "dark")
    no_exception(page)
    shot(page, "present")

    # turning it off brings the controls back and the normal font size
    page.get_by_text("Presentation mode", exact=True).click()
    # the chart is mounted anew where the page's layout changes: wait for it
    page.wait_for_function("(big) => { const d = document.querySelector('%s');"
                           " return d && d._fullLayout && d._fullLayout.font.size < big; }" % CHART,
                           arg=size, timeout=RERUN)
    normal = page.evaluate("() => document.querySelector('%s')._fullLayout.font.size" % CHART)
    assert size >= 18 and size > normal, (size, normal)
    page.locator('[data-testid="stSidebar"]').wait_for(state="visible", timeout=RERUN)
    page.wait_for_function("() => !location.search.includes('present=1')", timeout=RERUN)
    wait_idle(page)
    no_exception(page)


def test_tampered_link_warns_and_still_draws(page):
    open_app(page, "?surface=nope&steps=abc&r1=gd&r1.lr=-5")
    alerts = page.locator('[data-testid="stAlert"]').filter(has_text="Share link")
    alerts.first.wait_for(state="visible")
    texts = alerts.all_inner_texts()
    assert len(texts) >= 3, texts
    joined = "\n".join(texts)
    assert "nope" in joined and "abc" in joined and "lr" in joined, joined
    assert page.locator(CHART + " .main-svg").count() >= 1
    assert trace(page, "gd") is not None
    no_exception(page)
    shot_dark_too(page, "tampered")


# --- the stage (issue 7) -------------------------------------------------------------

PROJECTOR = {"width": 1280, "height": 720}


def _projector_page(browser, base: str, query: str) -> Page:
    ctx = browser.new_context(viewport=PROJECTOR, color_scheme="light")
    ctx.set_default_timeout(LOAD)
    pg = ctx.new_page()
    pg.base_url, pg.scheme, pg.test_name = base, "light", "projector"
    open_app(pg, query)
    return pg


def _on_screen(page: Page, locator, what: str) -> None:
    box = locator.bounding_box()
    assert box is not None, f"{what} is not drawn"
    assert box["y"] >= 0 and box["y"] + box["height"] <= PROJECTOR["height"] + 1, f"{what} is off screen: {box}"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PROJECTOR["width"] + 1, f"{what} is off screen: {box}"


def test_lesson_link_fits_a_projector_in_presentation_mode(browser, warm):
    page = _projector_page(browser, warm, "?lesson=ravine&present=1")
    try:
        page.test_name = "test_lesson_link_fits_a_projector"
        shot(page, "1280x720")
        assert page.evaluate("() => document.scrollingElement.scrollTop") == 0
        _on_screen(page, page.locator("h1").first, "the title")
        # the lesson's text folds above the figure (issue 20: the picture gets the stage)
        fold = page.locator('[data-testid="stExpander"] summary', has_text="The lesson:").first
        _on_screen(page, fold, "the lesson text's fold")
        assert "Momentum in a ravine" in fold.inner_text()
        assert "Momentum in a ravine" in page.locator('[data-testid="stAlert"]').first.text_content()
        _on_screen(page, page.locator(CHART + " .nsewdrag").first, "the 2-D view")
        _on_screen(page, page.locator(CHART + " .gl-container").first, "the 3-D view")
        _on_screen(page, page.locator(CHART + " .updatemenu-button", has_text="Play"), "Play")
        _on_screen(page, page.locator(CHART + " .updatemenu-button", has_text="Pause"), "Pause")
        _on_screen(page, page.locator(CHART + " .slider-rail-rect").first, "the step slider")
        _on_screen(page, page.locator(CHART + " .slider-grip-rect").first, "the step slider's handle")
        # the toggle's label is not cut off; Streamlit's Deploy button is hidden
        label = page.get_by_text("Presentation mode", exact=True)
        assert label.evaluate("e => e.scrollWidth <= e.clientWidth + 1 && e.getBoundingClientRect().right <= 1280")
        assert page.get_by_role("button", name="Deploy").count() == 0
        # no "None" anywhere on the page (the table is a canvas: checked in test_results)
        assert not re.search(r"\bNone\b", page.locator("body").inner_text())
        sizes = page.evaluate("""() => { const l = document.querySelector('%s')._fullLayout;
            return [l.legend.font.size, l.xaxis.tickfont.size, l.yaxis.tickfont.size,
                    l.scene.xaxis.tickfont.size, l.scene.zaxis.tickfont.size]; }""" % CHART)
        assert min(sizes) >= 18, sizes
        no_exception(page)
    finally:
        page.context.close()


def test_lesson_navigation_in_presentation_mode(browser, warm):
    import lessons
    keys = list(lessons.LESSONS)
    page = _projector_page(browser, warm, f"?lesson={keys[0]}&present=1")
    try:
        page.test_name = "test_lesson_navigation"
        alert = page.locator('[data-testid="stAlert"]').first   # folded on the stage: its text content
        assert lessons.LESSONS[keys[0]].title in alert.text_content()
        page.get_by_role("button", name="▶").click()
        page.wait_for_function("(t) => document.body.innerText.includes(t)", arg=lessons.LESSONS[keys[1]].title,
                               timeout=RERUN)
        wait_idle(page)
        assert lessons.LESSONS[keys[1]].title in alert.text_content()
        assert page.get_by_role("switch", name="Presentation mode").is_checked(), "still presenting"
        page.get_by_role("button", name="◀").click()
        page.wait_for_function("(t) => document.querySelector('[data-testid=stAlert]').textContent.includes(t)",
                               arg=lessons.LESSONS[keys[0]].title, timeout=RERUN)
        wait_idle(page)
        # the stage's lesson menu
        last = lessons.LESSONS[keys[-1]]
        page.get_by_role("combobox").first.click()
        page.get_by_role("option", name=last.title).click()
        page.wait_for_function("(t) => document.querySelector('[data-testid=stAlert]').textContent.includes(t)",
                               arg=last.title, timeout=RERUN)
        wait_idle(page)
        assert query(page).get("present") == "1"
        shot(page, "last-lesson")
        no_exception(page)
    finally:
        page.context.close()


JS_PIXEL = """([x, y]) => {
  const l = document.querySelector('%s')._fullLayout;
  const box = document.querySelector('%s').getBoundingClientRect();
  return [box.left + l.xaxis._offset + l.xaxis.l2p(x), box.top + l.yaxis._offset + l.yaxis.l2p(y)];
}""" % (CHART, CHART)


def _colour_pixels(png: bytes, rgb: tuple[int, int, int], tol: int = 40) -> int:
    from PIL import Image
    import numpy as np
    a = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int((np.abs(a - np.array(rgb)).max(axis=-1) <= tol).sum())


def test_two_racers_on_the_same_route_both_stay_visible(page):
    import figures
    # two identical runs: the same optimizer, rate and start
    open_app(page, "?surface=bowl&r1=gd&r1.lr=0.05&r2=gd&r2.lr=0.05&steps=40&x=-1.5&y=1.2&view=2d")
    page.mouse.move(5, 5)
    first, second = (tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in figures.PALETTE[:2])
    path = page.evaluate(
        "() => { %s const t = document.querySelector('%s')._fullData.find(t => M(t).role === 'path');"
        " return {x: Array.from(t.x), y: Array.from(t.y)}; }" % (JS_META, CHART))
    # a stretch in the middle of the route, away from the start and the markers
    for k in (3, 5, 8):
        px, py = page.evaluate(JS_PIXEL, [path["x"][k], path["y"][k]])
        png = page.screenshot(clip={"x": px - 9, "y": py - 9, "width": 18, "height": 18})
        assert _colour_pixels(png, first) >= 6, f"racer 1 hidden at step {k}"
        assert _colour_pixels(png, second) >= 6, f"racer 2 hidden at step {k}"
    shot(page, "same-route")


JS_TRAILS = """() => {
  const d = document.querySelector('%s');
  %s
  const n = role => d._fullData.filter(t => M(t).role === role)
                     .reduce((s, t) => s + (t.x ? t.x.length : 0), 0);
  return {trail: n('trail'), path: n('path')};
}""" % (CHART, JS_META)


def test_paths_grow_behind_the_racers_during_play(page):
    open_app(page, "?surface=bowl&r1=gd&r1.lr=0.03&r2=momentum&r2.lr=0.03&steps=150&x=-1.5&y=1.5&view=2d")
    full = page.evaluate(JS_TRAILS)
    assert full["trail"] >= full["path"] > 100, full    # opens on the last frame: whole trails
    page.mouse.click(*_button(page, "Play"))
    seen = changes(page, JS_TRAILS, 6)
    page.mouse.click(*_button(page, "Pause"))
    trails = [s["trail"] for s in seen]
    assert min(trails) < full["trail"] / 2, f"no short trail early in the race: {trails}"
    grew = [b for a, b in zip(trails, trails[1:]) if b > a]
    assert len(grew) >= 3, f"the trails did not grow while playing: {trails}"
    assert all(s["path"] == full["path"] for s in seen), "the faint full paths stay whole"
    shot(page, "growing")
    no_exception(page)


@pytest.mark.parametrize("surfaces", [("beale", "ackley", "goldstein_price", "six_hump_camel", "mccormick")])
def test_surface_formulas_are_never_clipped(browser, warm, surfaces):
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="light")
    ctx.set_default_timeout(LOAD)
    page = ctx.new_page()
    try:
        for name in surfaces:
            page.goto(f"{warm}/?surface={name}&view=2d&steps=20", timeout=LOAD)
            page.wait_for_selector(".st-key-surface_formula .katex", timeout=LOAD)
            wait_idle(page)
            inner, outer = page.evaluate("""() => [document.querySelector('.st-key-surface_formula .katex-html'),
                document.querySelector('.st-key-surface_formula')].map(e => { const r = e.getBoundingClientRect();
                return [r.left, r.right]; })""")
            assert outer[0] - 1 <= inner[0] and inner[1] <= outer[1] + 1, f"{name}: formula {inner} in {outer}"
            page.locator(".st-key-surface_formula").screenshot(path=str(ARTIFACTS / f"formula-{name}.png"))
        # a link without a lesson: the sidebar's lesson menu says what it offers, not
        # Streamlit's generic "Choose an option"
        shown = page.locator(".st-key-lesson input").first.evaluate("i => i.value || i.placeholder")
        assert shown == "choose a classic demonstration…", shown
    finally:
        ctx.close()


# --- the data panel (issue 8): the data and each racer's model, moved by the map's frames ---

# Each racer's model line in the data panel, the 2-D marker it belongs to, and
# the SVG path plotly drew for each line (selector: the figure's plot div).
JS_PANEL = """(sel) => {
  const d = document.querySelector(sel);
  if (!d || !d._fullData) return null;
  %s
  const of = role => d._fullData.filter(t => t.type === 'scatter' && M(t).role === role
                                            && M(t).racer !== undefined);
  return {lines: of('panel').map(t => ({racer: M(t).racer, x: Array.from(t.x), y: Array.from(t.y)})),
          markers: of('marker').map(t => ({racer: M(t).racer, x: t.x[0], y: t.y[0]})),
          d: Array.from(d.querySelectorAll('.subplot.x3y3 .scatterlayer .trace .js-line'))
                .map(p => p.getAttribute('d')).join(' | ')};
}""" % JS_META


def panel_state(page: Page, selector: str = CHART) -> dict:
    return page.evaluate(JS_PANEL, selector)


def lines_follow_markers(state: dict) -> None:
    """Each racer's fitted line is y = w x + b with (w, b) its marker's position on the map."""
    markers = {m["racer"]: m for m in state["markers"]}
    assert len(state["lines"]) == len(markers) >= 1, state
    for line in state["lines"]:
        w, b = markers[line["racer"]]["x"], markers[line["racer"]]["y"]
        assert line["y"] == pytest.approx([w * x + b for x in line["x"]], rel=1e-4, abs=1e-4), (line, w, b)


def _play_panel(page: Page, selector: str, count: int) -> list[dict]:
    """Press Play; the panel's next ``count`` states while it plays (each read at one instant)."""
    play = page.locator(selector).locator(".updatemenu-button", has_text="Play")
    play.scroll_into_view_if_needed()   # below a lesson's text: the mouse clicks what is on screen
    box = play.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    seen = changes(page, JS_PANEL, count, selector)
    box = page.locator(selector).locator(".updatemenu-button", has_text="Pause").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    return seen


@pytest.mark.parametrize("views", ["", "&view=both"])
def test_data_panel_moves_with_play_and_the_slider(page, views):
    open_app(page, "?lesson=batch" + views)
    chart = page.locator(CHART)
    assert chart.locator(".subplot.x3y3").count() == 1, "the data panel is part of the race figure"
    assert page.locator(ANY_CHART).count() == 2, "the race figure and the loss plot: no separate panel chart"
    title = chart.locator(".legend2").text_content()   # the panel's own legend, its title on two lines
    assert "Fitted lines y = w x + b" in title and "at the animated step" in title, title
    first = panel_state(page)
    lines_follow_markers(first)   # opens on the last step: each line at its racer's last position
    shot(page, "panel-last-step")

    seen = _play_panel(page, CHART, 6)
    for state in seen:
        lines_follow_markers(state)   # lock-step: the panel and the map show one step
    drawn = {s["d"] for s in seen}
    assert len(drawn) >= 3 and first["d"] not in drawn, "Play did not move the panel's lines"
    page.wait_for_function(JS_STOPPED, arg=CHART, timeout=RERUN)
    paused = panel_state(page)
    wait_stopped(page)
    assert panel_state(page)["d"] == paused["d"], "Pause did not stop the panel"
    lines_follow_markers(paused)
    shot(page, "panel-paused")

    # the animation slider's left end: step 0, every racer's line at the start (w, b) = (-1.5, 2)
    # (the grip dragged past the rail's left end: the step slider sits under the 3-D view, where a
    # click a few pixels into its short rail can land several frames in)
    # (scrolled onto the screen first: a mouse outside the viewport drags nothing; with both
    # views the slider sits under the 3-D view, below a 1000 px screen's edge)
    chart.locator(".slider-grip-rect").first.scroll_into_view_if_needed()
    rail = chart.locator(".slider-rail-rect").first.bounding_box()
    grip = chart.locator(".slider-grip-rect").first.bounding_box()
    page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
    page.mouse.down()
    page.mouse.move(rail["x"] - 40, rail["y"] + rail["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function(
        """(sel) => { const d = document.querySelector(sel); %s
                      const t = d._fullData.find(t => M(t).role === 'panel' && M(t).racer === 2);
                      return t && Math.abs(t.y[0] - (-1.5 * t.x[0] + 2)) < 1e-4; }""" % JS_META,
        arg=CHART, timeout=RERUN)
    start = panel_state(page)
    lines_follow_markers(start)
    for line in start["lines"]:
        assert line["y"] == pytest.approx([-1.5 * x + 2 for x in line["x"]], rel=1e-5)
    assert start["d"] != paused["d"]
    assert start_inputs(page) == ("-1.5", "2"), "moving the slider over the panel moves no start point"
    no_exception(page)
    assert [e for e in page.page_errors if e != "undefined"] == []
    shot_dark_too(page, "panel-step-0")


def test_exported_html_plays_the_data_panel(browser, tmp_path):
    """The standalone HTML export (plotly.js inlined) plays: the panel's lines
    move with the markers, offline, without the app."""
    import lessons
    import exports
    from figures import views
    import results
    from dataclasses import replace

    run = replace(lessons.LESSONS["batch"].run_config(), steps=80)
    html = exports.figure_html(views.trajectory_figure_for(run, results.run_results(run)))
    path = tmp_path / "race.html"
    path.write_text(html, encoding="utf-8")
    ctx = browser.new_context(viewport=VIEWPORT, color_scheme="light")
    ctx.set_default_timeout(LOAD)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(path.as_uri(), timeout=LOAD)
        selector = ".js-plotly-plot"
        page.wait_for_selector(selector + " .subplot.x3y3", timeout=LOAD)
        first = panel_state(page, selector)
        lines_follow_markers(first)
        seen = _play_panel(page, selector, 4)
        for state in seen:
            lines_follow_markers(state)
        assert len({s["d"] for s in seen} - {first["d"]}) >= 2, "the exported figure's panel did not play"
        page.screenshot(path=str(ARTIFACTS / "test_exported_html_plays_the_data_panel-light.png"))
        assert [e for e in errors if e != "undefined"] == []
    finally:
        ctx.close()


JS_DRAWS = """
window.__draws = [];
window.__steps = [];
new MutationObserver(records => {
  for (const r of records) if (r.attributeName === 'data-drawn') window.__steps.push(r.target.dataset.drawn);
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-drawn']});
new MutationObserver(() => {
  const d = document.querySelector('%s');
  if (d && d.on && !d.__drawsHooked) {
    d.__drawsHooked = true;
    d.on('plotly_afterplot', () => window.__draws.push(
        {rev: d._fullLayout.datarevision, visible: getComputedStyle(d).visibility === 'visible'}));
  }
}).observe(document, {childList: true, subtree: true});
""" % CHART

JS_KEEP = """(sel) => {
  const d = document.querySelector(sel);
  window.__kept = {div: d, canvas: d.querySelector('canvas'),
                   surface: d.data.find(t => t.type === 'surface'), path: d.data.find(t => t.name === 'gd')};
  return d._fullLayout.datarevision;
}"""
JS_KEPT = """(sel) => {
  const d = document.querySelector(sel), k = window.__kept;
  return {div: d === k.div, canvas: d.querySelector('canvas') === k.canvas,
          surface: d.data.find(t => t.type === 'surface') === k.surface,
          path: d.data.find(t => t.name === 'gd') === k.path};
}"""


def test_a_new_learning_rate_redraws_only_what_changed(page):
    """The chart stays mounted (livechart): a page load draws the race figure
    shown, the map first and then the 3-D scene; a new learning rate updates
    that same chart in one step, with its 3-D
    scene's canvas, and hands the unchanged surface back to Plotly as the same
    object, while the changed racer's path is new. ``st.plotly_chart`` mounted a
    new chart for every changed figure, drawn hidden first."""
    page.add_init_script(JS_DRAWS)
    open_app(page, "?surface=bowl&r1=gd&r1.lr=0.1&steps=50&x=-1.5&y=1.5&view=both")
    page.wait_for_function(  # both charts drawn whole (the loss plot may follow the race chart)
        """(sel) => { const c = Array.from(document.querySelectorAll(sel));
                      return c.length >= 2 && c.every(d => d.dataset.drawn === 'all')
                             && window.__draws.length > 0; }""",
        arg=ANY_CHART, timeout=LOAD)
    draws = page.evaluate("() => window.__draws")
    assert len({d["rev"] for d in draws}) == 1 and all(d["visible"] for d in draws), draws
    # the map first, then both views (two charts: the race and the loss plot, which has no scene)
    assert page.evaluate("() => window.__steps.filter(s => s === 'map').length") == 1
    assert page.evaluate("() => window.__steps[window.__steps.length - 1]") == "all"
    revision = page.evaluate(JS_KEEP, CHART)
    assert page.evaluate(JS_KEPT, CHART) == {"div": True, "canvas": True, "surface": True, "path": True}
    box = page.get_by_role("spinbutton", name="learning rate (lr)").first
    box.fill("0.05")
    box.press("Enter")
    page.wait_for_function("([sel, rev]) => document.querySelector(sel)._fullLayout.datarevision !== rev",
                           arg=[CHART, revision], timeout=RERUN)
    wait_idle(page)
    assert page.evaluate(JS_KEPT, CHART) == {"div": True, "canvas": True, "surface": True, "path": False}
    assert page.evaluate("() => window.__steps.filter(s => s === 'map').length") == 1, "one step on a change"
    assert trace(page, "gd") is not None
    no_exception(page)
    assert page.page_errors == []
