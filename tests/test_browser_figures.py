"""Issue 20 in a real browser: the charts get the stage, nothing from the
future during Play or on the slider, end labels inside the figure and apart.

Same rules as tests/test_browser.py (Debian's Chromium; skipped without it,
except in CI; its own server on a port from BROWSER_TEST_PORTS)."""
from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_browser import CHROMIUM, IDLE, JS_META, LAUNCH_ARGS, UNAVAILABLE, _free_port

if UNAVAILABLE:  # tests/test_browser.py says why (and fails in CI)
    pytest.skip(UNAVAILABLE, allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHART = ".st-key-chart .js-plotly-plot"
SIZES = {"projector": {"width": 1280, "height": 720}, "wide": {"width": 1600, "height": 1000}}


@pytest.fixture(scope="module")
def base():
    port = _free_port()
    log = open(ROOT / "test-artifacts-figures-server.log", "w")
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
        (ROOT / "test-artifacts-figures-server.log").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()


def open_page(browser, base, query: str, size: str = "projector", scheme: str = "light"):
    ctx = browser.new_context(viewport=SIZES[size], color_scheme=scheme)
    ctx.set_default_timeout(180_000)   # a loaded 2-core machine: a cold page can take over 90 s
    page = ctx.new_page()
    page.goto(base + "/" + query)
    page.wait_for_selector(CHART + '[data-drawn="all"]', state="attached")
    page.wait_for_selector(IDLE, state="attached")
    page.wait_for_timeout(800)
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"figures-{name}.png"))


JS_AREAS = """() => {
  const d = document.querySelector('%s'), L = d._fullLayout, r = d.getBoundingClientRect();
  const s = L.scene.domain;
  return {map: [L.xaxis._length, L.yaxis._length, r.top + L.yaxis._offset + L.yaxis._length],
          scene: [(s.x[1] - s.x[0]) * L._size.w, (s.y[1] - s.y[0]) * L._size.h]};
}""" % CHART


@pytest.mark.parametrize("query", ["?present=1", "?surface=ravine&present=1"])
def test_the_charts_get_the_stage_on_a_projector(browser, base, query):
    """1280x720, presentation mode: the map's plot area is at least 420 px
    tall, the 3-D scene at least as large, and the map, Play and the slider
    are on the screen without scrolling: with no lesson, and on a 2:1 surface
    (its y axis stretched, and said so). Every lesson: test_browser_lessons."""
    page = open_page(browser, base, query)
    try:
        shot(page, "stage-" + query.strip("?").replace("&", "-").replace("=", "_"))
        a = page.evaluate(JS_AREAS)
        assert a["map"][1] >= 420, a
        assert a["scene"][0] * a["scene"][1] >= a["map"][0] * a["map"][1], a
        assert a["map"][2] <= 720, f"the map's bottom is below the screen: {a}"
        for what in ("Play", "Pause"):
            box = page.locator(CHART + " .updatemenu-button", has_text=what).bounding_box()
            assert box and box["y"] + box["height"] <= 720, (what, box)
        rail = page.locator(CHART + " .slider-rail-rect").first.bounding_box()
        assert rail and rail["y"] + rail["height"] <= 720, rail
        assert page.evaluate("() => document.scrollingElement.scrollTop") == 0
    finally:
        page.context.close()


def test_both_views_and_play_above_the_fold_on_the_default_link(browser, base):
    page = open_page(browser, base, "", size="wide")
    try:
        shot(page, "default-1600x1000")
        for sel, what in ((CHART + " .nsewdrag", "the map"), (CHART + " .gl-container", "the 3-D view"),
                          (CHART + " .slider-rail-rect", "the slider")):
            box = page.locator(sel).first.bounding_box()
            assert box and box["y"] + box["height"] <= 1000, (what, box)
        box = page.locator(CHART + " .updatemenu-button", has_text="Play").bounding_box()
        assert box and box["y"] + box["height"] <= 1000, box
    finally:
        page.context.close()


# the end marks' state as the page shows it: [role, racer, number of points]
JS_ENDS = """() => {
  const d = document.querySelector('%s');
  %s
  return d._fullData.filter(t => ['end', 'end3d'].includes(M(t).role))
                    .map(t => [M(t).role, M(t).racer, M(t).step, (t.x || []).length]);
}""" % (CHART, JS_META)


def test_no_end_mark_before_its_step_on_the_slider_or_during_play(browser, base):
    """learning_rate: gd lr=0.55 diverges at step 15. At every slider step
    its ✕ (map and 3-D) is there exactly from step 15 on; during Play, no
    frame shows it before step 15. (Play's frames are read when the next one
    starts: the page then shows the previous frame fully applied. An earlier
    version read them in a requestAnimationFrame after the frame's start, which
    on a busy machine could already see the next frame.)"""
    page = open_page(browser, base, "?lesson=learning_rate&present=1")
    try:
        ends = page.evaluate(JS_ENDS)
        assert {e[0] for e in ends} == {"end", "end3d"} and all(e[3] > 0 for e in ends), \
            f"the figure opens on the last step with its marks: {ends}"
        stop = ends[0][2]
        names = page.evaluate("() => document.querySelector('%s')._transitionData._frames"
                              ".map(f => f.name).filter(n => !n.includes('hold'))" % CHART)
        for name in names[:: max(1, len(names) // 25)] + [str(stop - 1), str(stop)]:
            if name not in names:
                continue
            page.evaluate("(n) => Plotly.animate(document.querySelector('%s'), [n], "
                          "{mode: 'immediate', frame: {duration: 0, redraw: true}, transition: {duration: 0}})"
                          % CHART, name)
            page.wait_for_timeout(150)
            shown = [e[3] > 0 for e in page.evaluate(JS_ENDS)]
            assert all(shown) == (int(name) >= stop) and len(set(shown)) == 1, (name, shown)
            if name == str(stop - 1):
                shot(page, "learning_rate-before-the-end")
        # Play from the start: record each frame as it is shown
        page.evaluate("""(n) => { const d = document.querySelector('%s'); %s
            window.__seen = [];
            let shown = null;   // the frame on the page until the next one starts
            const ends = () => d._fullData.filter(t => M(t).role === 'end').map(t => (t.x || []).length);
            d.on('plotly_animatingframe', e => {
                if (shown !== null) window.__seen.push([shown, ends()]);
                shown = e.name; });
            d.on('plotly_animated', () => { if (shown !== null) window.__seen.push([shown, ends()]); shown = null; });
            return Plotly.animate(d, [n], {mode: 'immediate', frame: {duration: 0, redraw: false}}); }"""
                      % (CHART, JS_META), names[0])
        page.wait_for_timeout(300)
        page.locator(CHART + " .updatemenu-button", has_text="Play").click()
        page.wait_for_timeout(3000)
        seen = page.evaluate("() => window.__seen")
        early = [s for s in seen if "hold" not in s[0] and int(s[0]) < stop]
        assert early, f"Play showed no frame before step {stop}: {seen[:5]}"
        assert all(n == 0 for _, counts in early for n in counts), [s for s in early if any(s[1])]
    finally:
        page.context.close()


# every text of the race figure's 2-D end marks and of the loss chart's, on the page
JS_LABELS = """(sel) => Array.from(document.querySelectorAll(sel + ' .scatterlayer .textpoint text'))
  .filter(t => t.textContent.includes(' at step ') || t.textContent.startsWith('→'))
  .map(t => { const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom]; })"""


@pytest.mark.parametrize("size", ["projector", "wide"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("lesson", ["saddle", "learning_rate", "plateau_rescue", "article"])
def test_end_labels_are_whole_and_apart(browser, base, lesson, size, scheme):
    """Every end label of the map and the loss chart lies inside its chart,
    and no two of the map's labels overlap."""
    present = "&present=1" if size == "projector" else ""
    page = open_page(browser, base, f"?lesson={lesson}{present}", size=size, scheme=scheme)
    try:
        shot(page, f"labels-{lesson}-{size}-{scheme}")
        for key in ("chart", "loss"):
            sel = f".st-key-{key} .js-plotly-plot"
            page.locator(sel).scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            box = page.locator(sel).bounding_box()
            labels = page.evaluate(JS_LABELS, sel)
            if key == "chart":
                assert labels, "the run's end labels are drawn"
            for text, left, top, right, bottom in labels:
                assert left >= box["x"] - 1 and right <= box["x"] + box["width"] + 1, (key, text, box)
                assert top >= box["y"] - 1 and bottom <= box["y"] + box["height"] + 1, (key, text, box)
            if key == "chart":
                for i, a in enumerate(labels):
                    for b in labels[i + 1:]:
                        apart = a[3] <= b[1] + 1 or b[3] <= a[1] + 1 or a[4] <= b[2] + 1 or b[4] <= a[2] + 1
                        assert apart, f"{a[0]!r} overlaps {b[0]!r}"
    finally:
        page.context.close()
