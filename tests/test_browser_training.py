"""The *Train a network* view in real Chromium: drawn, labelled, and Play moves
the paths and the data panel's decision boundaries together."""
from __future__ import annotations

import time

import pytest

from tests.test_browser import (CHART, COLD, JS_META, LOAD, PROJECTOR, RUN_COUNTER, UNAVAILABLE, browser,  # noqa: F401
                                contexts, no_exception, page, query, scheme, server, shot, wait_idle, warm)

if UNAVAILABLE:  # tests/test_browser.py says why (and fails in CI)
    pytest.skip(UNAVAILABLE, allow_module_level=True)

TRAIN = ".st-key-training_chart .js-plotly-plot"
QUERY = "?tab=training&steps=120&r1=adam&r1.lr=0.01&r2=momentum&r2.lr=0.05"

JS_STATE = """(sel) => { const d = document.querySelector(sel); %s
  if (!d || !d._fullData) return null;
  const pick = role => d._fullData.filter(t => M(t).role === role && t.type === 'scatter')
                                  .map(t => ({racer: M(t).racer, x: Array.from(t.x || []), y: Array.from(t.y || [])}));
  return {markers: pick('marker'), panel: pick('panel').filter(t => t.racer !== undefined),
          notes: (d._fullLayout.annotations || []).map(a => a.text),
          ytitle: d._fullLayout.yaxis.title.text, image: !!d.querySelector('.imagelayer image')};
}""" % JS_META


def state(pg):
    return pg.evaluate(JS_STATE, TRAIN)


def press(pg, label):
    box = pg.locator(TRAIN).locator(".updatemenu-button", has_text=label).bounding_box()
    pg.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_training_view_draws_and_plays(page):  # noqa: F811 (the fixture of tests/test_browser.py)
    page.goto(page.base_url + "/" + QUERY, timeout=COLD)
    page.wait_for_selector(TRAIN + " .main-svg", timeout=2 * COLD)   # trains the network first
    page.wait_for_function("(sel) => { const d = document.querySelector(sel);"
                           " return d && d.dataset.drawn === 'all'; }", arg=TRAIN, timeout=LOAD)
    wait_idle(page, timeout=LOAD)
    no_exception(page)
    first = state(page)
    assert first["image"], "the contour picture is drawn"
    assert any(n.startswith("PC1 (") and n.endswith("%)") for n in first["notes"]), first["notes"]
    assert first["ytitle"].startswith("PC2 (")
    assert len(first["markers"]) == 2 and len(first["panel"]) == 2
    assert all(len(p["x"]) > 3 for p in first["panel"]), "each racer's boundary is drawn"
    shot(page, "training-last-step")

    press(page, "Play")
    seen = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < 2.5:
        page.wait_for_timeout(150)
        seen.append(state(page))
    press(page, "Pause")
    moved = {(tuple(s["markers"][0]["x"]), tuple(s["panel"][0]["x"][:4])) for s in seen}
    assert len({m for m, _ in moved}) >= 3, "Play did not move the markers"
    assert len({p for _, p in moved}) >= 3, "Play did not move the data panel's boundaries"
    page.wait_for_timeout(300)
    paused = state(page)
    page.wait_for_timeout(400)
    assert state(page)["markers"] == paused["markers"] and state(page)["panel"] == paused["panel"]
    assert [e for e in page.page_errors if e != "undefined"] == []
    shot(page, "training-paused")


SUMMARY = '[data-testid="stMainBlockContainer"] [data-testid="stExpander"] summary'


def _stage_shows(pg, title: str, chart: str) -> None:
    """The lesson ``title`` on the stage (its folded text's summary) and ``chart`` drawn anew."""
    pg.wait_for_function("([sel, t]) => { const s = document.querySelector(sel);"
                         " return s && s.innerText.includes(t); }", arg=[SUMMARY, title], timeout=4 * LOAD)
    pg.wait_for_function("(sel) => { const d = document.querySelector(sel); return d && d.dataset.drawn === 'all'; }",
                         arg=chart, timeout=4 * LOAD)
    wait_idle(pg, timeout=4 * LOAD)


def test_a_network_lesson_on_the_stage_and_the_presenters_keys(browser, warm):  # noqa: F811
    """A network lesson in presentation mode at 1280x720: its title and folded text on the
    stage, the training figure with Play on screen without scrolling; PageUp and PageDown
    go to the lessons before and after it and back, still presenting."""
    import lessons
    keys = list(lessons.LESSONS)
    i = keys.index("train_adam_momentum")
    ctx = browser.new_context(viewport=PROJECTOR, color_scheme="light")
    ctx.add_init_script(RUN_COUNTER)
    pg = ctx.new_page()
    pg.page_errors = []
    pg.on("pageerror", lambda exc: pg.page_errors.append(str(exc)))
    pg.base_url, pg.scheme, pg.test_name = warm, "light", "test_network_lesson_on_the_stage"
    try:
        pg.goto(warm + "/?lesson=train_adam_momentum&present=1", timeout=COLD)
        _stage_shows(pg, lessons.LESSONS[keys[i]].title, TRAIN)
        no_exception(pg)
        assert pg.evaluate("() => document.scrollingElement.scrollTop") == 0
        box = pg.locator(TRAIN).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= PROJECTOR["height"] + 1, box
        play = pg.locator(TRAIN).locator(".updatemenu-button", has_text="Play").bounding_box()
        assert play["y"] + play["height"] <= PROJECTOR["height"], "Play on screen"
        assert pg.locator("h1").first.inner_text() == "Two moons: a 2 → 16 → 16 → 2 tanh network"
        shot(pg, "1280x720")
        pg.locator("h1").first.click()   # the page has the focus, as after a click on the stage
        pg.keyboard.press("PageUp")
        _stage_shows(pg, lessons.LESSONS[keys[i - 1]].title, CHART)
        assert query(pg).get("lesson") == keys[i - 1] and query(pg).get("tab") is None
        pg.keyboard.press("PageDown")
        _stage_shows(pg, lessons.LESSONS[keys[i]].title, TRAIN)
        q = query(pg)
        assert (q.get("lesson"), q.get("tab"), q.get("present"), q.get("net.task")) == \
            ("train_adam_momentum", "training", "1", "moons")
        pg.keyboard.press("PageDown")
        _stage_shows(pg, lessons.LESSONS[keys[i + 1]].title, TRAIN)
        assert query(pg).get("net.task") == "spirals"
        no_exception(pg)
        assert [e for e in pg.page_errors if e != "undefined"] == []
    finally:
        ctx.close()
