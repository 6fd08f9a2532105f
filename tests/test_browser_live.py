"""Issue 23 in real Chromium: the presenter's clicker and keyboard on the stage.

Uses test_browser.py's server, browser and page fixtures (same rules: Debian's Chromium,
skipped without it except in CI; BROWSER_TEST_PORTS keeps the server to a port range).
"""
from __future__ import annotations

import pytest

from tests.test_browser import UNAVAILABLE

if UNAVAILABLE:  # tests/test_browser.py says why (and fails in CI)
    pytest.skip(UNAVAILABLE, allow_module_level=True)

from tests import test_browser as tb  # noqa: E402
from tests.test_browser import (  # noqa: E402
    CHART, LOAD, PROJECTOR, RERUN, RUN_COUNTER, no_exception, open_app, query, shot, wait_idle)

# test_browser's fixtures, used here by name
_browser_required, server, browser, warm, contexts, scheme, page = (
    tb._browser_required, tb.server, tb.browser, tb.warm, tb.contexts, tb.scheme, tb.page)

JS_FRAME = "(sel) => { const d = document.querySelector(sel); return d._fullLayout._currentFrame; }"
# the lesson's title on the stage: its folded text's summary (presentation mode), else its text
ALERT = ('[data-testid="stMainBlockContainer"] [data-testid="stExpander"] summary, '
         '[data-testid="stMainBlockContainer"] [data-testid="stAlert"]')


def _projector_page(browser, base: str, query: str):
    ctx = browser.new_context(viewport=PROJECTOR, color_scheme="light")
    ctx.set_default_timeout(LOAD)
    ctx.add_init_script(RUN_COUNTER)
    pg = ctx.new_page()
    pg.page_errors = []
    pg.on("pageerror", lambda exc: pg.page_errors.append(str(exc)))
    pg.base_url, pg.scheme, pg.test_name = base, "light", "projector"
    open_app(pg, query)
    return pg


def _frame(page) -> str | None:
    return page.evaluate(JS_FRAME, CHART)


def _draws(page) -> int:
    return int(page.evaluate("(sel) => document.querySelector(sel).dataset.draws || 0", CHART))


def _title_shown(page, title: str, draws: int) -> None:
    """The lesson ``title`` is shown and its figure drawn (the chart's draw count passed ``draws``)."""
    page.wait_for_function("([sel, t]) => document.querySelector(sel).innerText.includes(t)",
                           arg=[ALERT, title], timeout=RERUN)
    wait_idle(page)
    page.wait_for_function("([sel, n]) => Number(document.querySelector(sel).dataset.draws) > n",
                           arg=[CHART, draws], timeout=RERUN)


def test_clicker_and_keyboard_drive_the_stage(browser, warm):
    import lessons
    keys = list(lessons.LESSONS)
    page = _projector_page(browser, warm, f"?lesson={keys[0]}&present=1")
    try:
        page.test_name = "test_clicker_and_keyboard"
        alert = page.locator(ALERT).first
        assert lessons.LESSONS[keys[0]].title in alert.inner_text()
        page.mouse.click(640, 700)     # the page has the focus, as after a click on the stage
        # a clicker's PageDown and the arrow keys change lesson, in presentation mode
        n = _draws(page)
        page.keyboard.press("PageDown")
        _title_shown(page, lessons.LESSONS[keys[1]].title, n)
        assert query(page).get("lesson") == keys[1] and query(page).get("present") == "1"
        n = _draws(page)
        page.keyboard.press("ArrowRight")
        _title_shown(page, lessons.LESSONS[keys[2]].title, n)
        n = _draws(page)
        page.keyboard.press("PageUp")
        _title_shown(page, lessons.LESSONS[keys[1]].title, n)
        n = _draws(page)
        page.keyboard.press("ArrowLeft")
        _title_shown(page, lessons.LESSONS[keys[0]].title, n)

        # space plays: the animation starts over from step 0 and moves on
        last = _frame(page)
        assert last is None   # a new figure rests on its last step
        page.keyboard.press(" ")
        page.wait_for_function("([sel, f]) => { const d = document.querySelector(sel);"
                               " return d._fullLayout._currentFrame !== f; }", arg=[CHART, last], timeout=RERUN)
        seen = set()
        for _ in range(6):
            seen.add(_frame(page))
            page.wait_for_timeout(150)
        assert len(seen) >= 3, f"Play did not move on: {seen}"
        shot(page, "playing")
        # space again pauses: the frame stays
        page.keyboard.press(" ")
        page.wait_for_timeout(400)
        paused = _frame(page)
        page.wait_for_timeout(600)
        assert _frame(page) == paused, "space did not pause"
        assert page.evaluate("() => document.scrollingElement.scrollTop") == 0, "space scrolled the page"
        # space resumes from there; Home goes back to step 0 (and stops)
        page.keyboard.press(" ")
        page.wait_for_function("([sel, f]) => document.querySelector(sel)._fullLayout._currentFrame !== f",
                               arg=[CHART, paused], timeout=RERUN)
        page.keyboard.press("Home")
        page.wait_for_timeout(500)
        assert _frame(page) == "0"
        page.wait_for_timeout(500)
        assert _frame(page) == "0", "Home stops at step 0"
        active = page.evaluate("(sel) => document.querySelector(sel)._fullLayout.sliders[0].active", CHART)
        assert active == 0, "the step slider shows step 0"
        assert page.locator(CHART + " .slider-group > .slider-label").first.text_content().strip() == "step 0"

        # never while typing: keys in the lesson menu's field go to the field, not the stage
        runs_before = page.evaluate("() => window.__stRuns || 0")
        box = page.get_by_role("combobox").first
        box.focus()
        for key in ("ArrowRight", "PageDown", "ArrowLeft"):
            page.keyboard.press(key)
        page.keyboard.press("Escape")
        page.wait_for_timeout(800)
        assert lessons.LESSONS[keys[0]].title in alert.inner_text()
        assert page.evaluate("() => window.__stRuns || 0") == runs_before
        assert page.evaluate("(sel) => document.querySelector(sel).dataset.key", CHART) == "home"
        no_exception(page)
        assert page.page_errors == []
    finally:
        page.context.close()


def test_keys_do_nothing_outside_presentation_mode(page):
    from tests.test_browser import LINK
    open_app(page, LINK)
    before = _frame(page)
    page.mouse.click(5, 400)
    page.keyboard.press(" ")
    page.keyboard.press("Home")
    page.wait_for_timeout(600)
    assert _frame(page) == before
    assert page.evaluate("(sel) => document.querySelector(sel).dataset.key", CHART) is None


# --- each step's vectors ---------------------------------------------------------------

JS_ARROWS = """(sel) => {
  const d = document.querySelector(sel);
  const M = t => typeof t.meta === 'string' ? JSON.parse(t.meta) : (t.meta || {});
  const out = {};
  d._fullData.forEach(t => { const m = M(t); if (m.role === 'vector')
      out[m.racer + ':' + m.kind] = [Array.from(t.x || []), Array.from(t.y || [])]; });
  return {arrows: out, frame: d._fullLayout._currentFrame || null};
}"""
VECTORS_LINK = "?surface=bowl&r1=gd&r1.lr=0.05&r2=adam&r2.lr=0.1&r2.x=1.5&r2.y=1.5&steps=40&x=-1.5&y=1.5&vectors=1"


def _arrows(page):
    return page.evaluate(JS_ARROWS, CHART)


def _run(link):
    import links
    from results import run_results
    state, _ = links.from_query(dict(p.split("=") for p in link[1:].split("&")))
    return run_results(state.run)


def test_step_vectors_follow_the_slider_play_and_a_click(page):
    import numpy as np
    from figures import step_vectors
    res = _run(VECTORS_LINK)
    open_app(page, VECTORS_LINK)
    got = _arrows(page)
    assert set(got["arrows"]) == {"0:gradient", "0:update", "1:gradient", "1:update", "1:velocity"}

    def check(step):
        a = _arrows(page)["arrows"]
        for key, (x, y) in a.items():
            racer, kind = key.split(":")
            want = step_vectors.vectors(res[int(racer)], [step])
            tail, vec = want["tail"][0], want[kind][0]
            assert len(x) == 5, (step, key)
            np.testing.assert_allclose([x[0], y[0]], tail, rtol=1e-6, atol=1e-6)
            np.testing.assert_allclose([x[1], y[1]], tail + vec, rtol=1e-6, atol=1e-6)

    check(40)   # the figure opens on the last step
    # the slider: step 3
    page.evaluate("(sel) => { const d = document.querySelector(sel); const s = d.layout.sliders[0].steps"
                  ".find(s => s.label === '3'); return Plotly.animate(d, ...s.args); }", CHART)
    page.wait_for_function("(sel) => document.querySelector(sel)._fullLayout._currentFrame === '3'", arg=CHART)
    check(3)
    shot(page, "step-3")
    # Play moves them with the markers
    page.locator(CHART + " .updatemenu-button", has_text="Play").click()
    page.wait_for_timeout(600)
    page.locator(CHART + " .updatemenu-button", has_text="Pause").click()
    page.wait_for_timeout(400)
    frame = _arrows(page)["frame"]
    assert frame not in (None, "3")
    check(int(frame))
    # a click on a point of a path shows its step (the last frame at or before it)
    import tests.test_browser as tb
    x, y = res[0]["positions"][6]
    px, py = page.evaluate(tb.JS_PIXEL, [float(x), float(y)])
    for _ in range(3):   # a click within ~200 ms of a rerun can come back empty
        wait_idle(page)
        page.mouse.move(px, py)
        page.wait_for_timeout(200)
        page.mouse.click(px, py)
        try:
            page.wait_for_function("(sel) => document.querySelector(sel)._fullLayout._currentFrame === '6'",
                                   arg=CHART, timeout=5_000)
            break
        except Exception:
            pass
    check(6)
    wait_idle(page)
    no_exception(page)


# --- scrub a hyperparameter in the browser ------------------------------------------------

SCRUB_LINK = "?surface=bowl&r1=gd&r1.lr=0.1&r2=adam&r2.lr=0.05&steps=60&x=-1.5&y=1.5&scrub=1"
# What the scrub preview draws (livechart/scrub.js): on the map and the loss chart its own SVG
# path (the values it was drawn from on the element, and the largest distance in pixels between
# the path's points and those values projected by the chart's axes); in 3-D the scrub trace's
# WebGL object's data (what the scene renders) beside the trace in gd.data (what a redraw draws).
JS_PREVIEW = """(sel) => {
  const d = document.querySelector(sel);
  const M = t => typeof t.meta === 'string' ? JSON.parse(t.meta) : (t.meta || {});
  const out = {};
  if (!d) return out;
  (d.data || []).forEach((t, i) => {
    const m = M(t);
    if (m.role !== 'scrub') return;
    if (m.view === '3d') {
      const scene = d._fullLayout.scene._scene, obj = scene.traces[t.uid];
      out['3d'] = obj ? [Array.from(obj.data.x), Array.from(obj.data.y), Array.from(obj.data.z)] : [[], [], []];
      out['3d data'] = [Array.from(t.x || []), Array.from(t.y || []), Array.from(t.z || [])];
      return;
    }
    const el = (d.__scrubLines || {})[i];
    if (!el || !el.isConnected) { out[m.view] = [[], []]; return; }
    const v = el.__values, pl = d._fullLayout._plots[(t.xaxis || 'x') + (t.yaxis || 'y')];
    const pts = (el.getAttribute('d').match(/-?[0-9.]+(e[-+]?[0-9]+)?/g) || []).map(Number);
    let err = 0, shown = 0;   // each value inside the plot area: the nearest vertex of the path
    for (let k = 0; k < v.x.length; k++) {
      const px = pl.xaxis.c2p(v.x[k]), py = pl.yaxis.c2p(v.y[k]);
      if (!(px >= 0 && px <= pl.xaxis._length && py >= 0 && py <= pl.yaxis._length)) continue;
      let best = Infinity;
      for (let j = 0; j < pts.length; j += 2) best = Math.min(best, Math.hypot(pts[j] - px, pts[j + 1] - py));
      err = Math.max(err, best); shown += 1;
    }
    out[m.view] = [Array.from(v.x), Array.from(v.y)];
    out[m.view + ' pixels'] = [pts.length / 2, shown, err];
  });
  return out;
}"""


def _drag_scrub(page, root: str, slider: int, share: float, hold: bool = False):
    """Drag scrub slider ``slider`` (0: the first scrub slider) by ``share`` of its rail."""
    group = page.locator(root + " .slider-group").nth(1 + slider)
    grip, rail = group.locator(".slider-grip-rect").bounding_box(), group.locator(".slider-rail-rect").bounding_box()
    x, y = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x + share * rail["width"] * k / 10, y)
        page.wait_for_timeout(60)
    if not hold:
        page.mouse.up()


def _family_member(link: str, racer: int, value_text: str):
    import numpy as np
    import links
    import scrub
    state, _ = links.from_query(dict(p.split("=") for p in link[1:].split("&")))
    fam = scrub.family(state.run, racer, "lr")
    m = [scrub_value_text(v) for v in fam.values].index(value_text)
    return fam, m, np.asarray(fam.xy[m])


def scrub_value_text(v: float) -> str:
    from figures.scrub import value_text
    return value_text("lr", v)


def test_scrub_redraws_the_path_and_release_sets_the_rate(page):
    import numpy as np
    open_app(page, SCRUB_LINK)
    first = _preview(page, CHART)
    assert first["2d"] == [[], []] and first["3d"] == [[], [], []]
    before = runs(page)
    _drag_scrub(page, CHART, 0, 0.3, hold=True)
    page.wait_for_function("(sel) => Number(document.querySelector(sel).dataset.scrubDrawn || 0) > 0",
                           arg=CHART, timeout=RERUN)
    label = page.evaluate("(sel) => document.querySelector(sel).dataset.scrub", CHART)
    assert label.startswith("lr=")
    value = float(label[3:])
    fam, m, xy = _family_member(SCRUB_LINK, 0, scrub_value_text(value))
    assert m > fam.current, "dragged right: a larger rate"
    got = _preview(page, CHART)["2d"]
    np.testing.assert_allclose(np.array(got).T, xy, rtol=1e-6, atol=1e-6)
    # the 3-D path and the loss chart follow once the slider rests
    page.wait_for_function("(sel) => Number(document.querySelector(sel).dataset.scrubFollowed || 0) > 0",
                           arg=CHART, timeout=RERUN)
    three = _preview(page, CHART)["3d"]
    assert len(three[0]) > 0
    loss = _preview(page, ".st-key-loss .js-plotly-plot")["loss"]
    np.testing.assert_allclose(loss[0], fam.idx[m])
    shot(page, "scrubbing")
    assert runs(page) == before, "scrubbing runs nothing on the server"
    page.mouse.up()
    # release: one server run makes it the racer's rate, and the link says so
    page.wait_for_function("(v) => new URLSearchParams(location.search).get('r1.lr') === v",
                           arg=repr(float(fam.values[m])), timeout=RERUN)
    wait_idle(page)
    no_exception(page)


def _preview(page, root):
    return page.evaluate(JS_PREVIEW, root)


def runs(page) -> int:
    return page.evaluate("() => window.__stRuns || 0")


def _frames(page, n: int = 3) -> None:
    """Until ``n`` animation frames have passed (a scrub draw is at most one frame late)."""
    page.evaluate("(n) => new Promise(done => { const tick = () => --n <= 0 ? done() : "
                  "requestAnimationFrame(tick); requestAnimationFrame(tick); })", n)


def _check_member_drawn(page, link: str, three_d: bool) -> None:
    """The preview the page draws is the family member at the value its slider shows, to 6
    digits: the map's path (and its pixels are those values projected by the map's axes), the
    loss chart's curve (f − f* on the bowl: the loss as computed, float64) and, with
    ``three_d``, the 3-D path the scene renders and the trace a Plotly redraw would draw."""
    import numpy as np
    import links
    import scrub
    from figures import views
    from results import run_results
    label = page.evaluate("(sel) => document.querySelector(sel).dataset.scrub", CHART)
    fam, m, xy = _family_member(link, 0, scrub_value_text(float(label[3:])))
    got = _preview(page, CHART)
    np.testing.assert_allclose(np.array(got["2d"]).T, xy, rtol=1e-6, atol=1e-6)
    n, shown, err = got["2d pixels"]   # every point on the map: one vertex each, at Plotly's 1/100 px
    assert n == shown == len(xy) and err <= 0.008, (n, shown, len(xy), err)
    loss = _preview(page, ".st-key-loss .js-plotly-plot")
    np.testing.assert_array_equal(loss["loss"][0], fam.idx[m])
    np.testing.assert_allclose(loss["loss"][1], fam.loss[m], rtol=1e-6, atol=0)
    n, shown, err = loss["loss pixels"]   # a loss under the chart's range runs off its bottom
    assert shown > 5 and err <= 0.008, (n, shown, err)
    if three_d:
        state, _ = links.from_query(dict(p.split("=") for p in link[1:].split("&")))
        fig = views.trajectory_figure_for(state.run, run_results(state.run), raw=True,
                                          scrub=scrub.families(state.run, 0))
        p = fig["layout"]["meta"]["scrub"]["params"][0]
        inside = p["inside"][m]
        z = np.frombuffer(__import__("base64").b64decode(p["z"]), "<f4")[p["offsets"][m]:][:inside]
        np.testing.assert_allclose(np.array(got["3d"][:2]).T, xy[:inside], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(got["3d"][2], z, rtol=1e-6, atol=1e-6)
        assert got["3d data"] == got["3d"]


def test_scrub_draws_the_family_member_in_every_view(page):
    """Not a timing test: after an input, after a burst of inputs (drawn at most once a frame),
    after the release and after the race's own step slider redraws the figure, the preview is
    the family member at the slider's value; the step slider shows the step it was moved to."""
    open_app(page, SCRUB_LINK)
    before = runs(page)
    # the release is tested above; here it must not replace the figure: the page keeps its own
    page.evaluate("(sel) => { document.querySelector(sel).__scrubRelease = null; }", CHART)
    _drag_scrub(page, CHART, 0, 0.3, hold=True)
    page.wait_for_function("(sel) => Number(document.querySelector(sel).dataset.scrubFollowed || 0) > 0",
                           arg=CHART, timeout=RERUN)
    _frames(page)
    _check_member_drawn(page, SCRUB_LINK, three_d=True)
    # a burst of moves without a pause: the latest value is drawn
    group = page.locator(CHART + " .slider-group").nth(1)
    grip = group.locator(".slider-grip-rect").bounding_box()
    rail = group.locator(".slider-rail-rect").bounding_box()
    x, y = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
    for k in range(1, 9):
        page.mouse.move(x - rail["width"] * 0.6 * k / 8, y)
    _frames(page)
    _check_member_drawn(page, SCRUB_LINK, three_d=False)
    followed = int(page.evaluate("(sel) => document.querySelector(sel).dataset.scrubFollowed", CHART))
    page.mouse.up()   # the 3-D path follows at once
    page.wait_for_function("([sel, n]) => Number(document.querySelector(sel).dataset.scrubFollowed) > n",
                           arg=[CHART, followed], timeout=RERUN)
    _frames(page)
    _check_member_drawn(page, SCRUB_LINK, three_d=True)
    # the race's step slider dragged past its left end: step 0 (a frame with a 3-D redraw)
    step = page.locator(CHART + " .slider-group").nth(0)
    grip, rail = step.locator(".slider-grip-rect").bounding_box(), step.locator(".slider-rail-rect").bounding_box()
    page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
    page.mouse.down()
    page.mouse.move(rail["x"] - 40, rail["y"] + rail["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function("(sel) => document.querySelector(sel)._fullLayout._currentFrame === '0'",
                           arg=CHART, timeout=RERUN)
    page.wait_for_function("(sel) => !document.querySelector(sel)._transitioning", arg=CHART, timeout=RERUN)
    _frames(page)
    assert _frame(page) == "0"
    now = tb.marker(page)
    assert (now["x"][0], now["y"][0]) == pytest.approx((-1.5, 1.5)), now   # every racer at its start
    _check_member_drawn(page, SCRUB_LINK, three_d=True)
    assert runs(page) == before, "scrubbing runs nothing on the server"
    shot(page, "scrub-member")
    no_exception(page)


def test_exported_html_scrubs_offline(browser, tmp_path):
    import numpy as np
    import links
    import exports
    from figures import views
    import scrub
    from figures import prepared
    from results import run_results
    state, _ = links.from_query(dict(p.split("=") for p in SCRUB_LINK[1:].split("&")))
    res = run_results(state.run)
    fig = prepared.prepare_stable(views.trajectory_figure_for(state.run, res, raw=True,
                                                                scrub=scrub.families(state.run, 0)))
    path = tmp_path / "race.html"
    path.write_text(exports.figure_html(fig), encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    ctx.set_offline(True)
    try:
        pg = ctx.new_page()
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(path.as_uri())
        root = ".js-plotly-plot"
        pg.wait_for_selector(root + " .slider-group", state="attached", timeout=LOAD)
        _drag_scrub(pg, root, 0, -0.3)
        pg.wait_for_function("(sel) => Number(document.querySelector(sel).dataset.scrubDrawn || 0) > 0",
                             arg=root, timeout=RERUN)
        value = float(pg.evaluate("(sel) => document.querySelector(sel).dataset.scrub", root)[3:])
        fam, m, xy = _family_member(SCRUB_LINK, 0, scrub_value_text(value))
        assert m < fam.current
        np.testing.assert_allclose(np.array(_preview(pg, root)["2d"]).T, xy, rtol=1e-6, atol=1e-6)
        assert errors == []
    finally:
        ctx.close()
