"""The *Train a network* view in real Chromium: drawn, labelled, and Play moves
the paths and the data panel's decision boundaries together."""
from __future__ import annotations

import time

import pytest

from tests.test_browser import (COLD, JS_META, LOAD, UNAVAILABLE, browser, contexts, no_exception, page,  # noqa: F401
                                scheme, server, shot, wait_idle, warm)

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
