"""Lesson content and formula messages in real Chromium (issue 20): what only a browser shows.

* the article lesson's printout: all 20 lines inside a 1280x720 presentation-mode screen, none
  cut at the right;
* formula messages render the typed text as typed (no Markdown italics, bold or emoji), and a
  5,000-character paste reaches the app and gets a message.

Uses tests/test_browser.py's server, browser and page fixtures (its own server for this module).
"""
from __future__ import annotations

import pytest

from tests.test_browser import (  # noqa: F401  (fixtures)
    ANY_CHART, LOAD, UNAVAILABLE, _browser_required, browser, contexts, no_exception, open_app, page, scheme, server,
    shot, wait_idle, warm,
)

if UNAVAILABLE:  # tests/test_browser.py says why (and fails in CI)
    pytest.skip(UNAVAILABLE, allow_module_level=True)

JS_PRINTOUT = """() => {
  const pre = document.querySelector('.st-key-printout [role=tabpanel]:not([hidden]) pre');
  if (!pre) return null;
  const r = pre.getBoundingClientRect(), code = pre.querySelector('code') || pre;
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, text: pre.innerText,
          scrollW: pre.scrollWidth, clientW: pre.clientWidth, codeW: code.scrollWidth,
          vw: window.innerWidth, vh: window.innerHeight};
}"""


def test_article_printout_fits_the_projector(page):  # noqa: F811  (the fixture)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(page.base_url + "/?lesson=article&present=1", timeout=60_000)
    page.wait_for_selector(".st-key-printout pre", timeout=60_000)
    wait_idle(page)
    no_exception(page)
    box = page.evaluate(JS_PRINTOUT)
    shot(page, "article-1280x720")
    lines = box["text"].strip().splitlines()
    assert len(lines) == 20 and lines[0] == "Step 0: Weight = 4.0"
    assert lines[11] == "Step 11: Weight = 0.3435973836800001"
    assert 0 <= box["top"] and box["bottom"] <= box["vh"], box   # all 20 lines on the screen
    assert box["right"] <= box["vw"] and box["scrollW"] <= box["clientW"], box   # none cut at the right


# Every chart with a map on the stage: its plot area, 3-D scene, Play/Pause and slider, and
# its text labels (end marks' statuses), in page pixels.
JS_STAGE = """(sel) => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  return [...document.querySelectorAll(sel)].filter(d => d._fullLayout && (d._fullLayout.images || []).length
      && d.querySelector('.nsewdrag[data-subplot="xy"]')).map(d => {   // a map: the contour picture
    const L = d._fullLayout, r = d.getBoundingClientRect(), s = L.scene && L.scene.domain;
    return {
      chart: box(d),
      map: [L.xaxis._length, L.yaxis._length, r.top + L.yaxis._offset + L.yaxis._length],
      scene: s ? [(s.x[1] - s.x[0]) * L._size.w, (s.y[1] - s.y[0]) * L._size.h] : null,
      buttons: [...d.querySelectorAll('.updatemenu-button')].map(box),
      rail: [...d.querySelectorAll('.slider-rail-rect')].map(box),
      labels: [...d.querySelectorAll('.scatterlayer .textpoint text')].filter(t => t.textContent.trim())
               .map(t => ({text: t.textContent, box: box(t)})),
    };
  });
}"""


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1


# Lessons with a panel beside the map (the data's fitted lines, the article's printout) whose
# map is shorter than 420 px on a projector: the tallest it gets today (issue 20 stays open
# for them; the README says so). A lesson racing two maps side by side gets half the width each.
SHORTER_MAP = {"batch": 365, "article": 330}


def test_every_lesson_fits_the_projector_in_presentation_mode(page):  # noqa: F811  (the fixture)
    """Issue 20, every lesson (not a sample) at 1280x720 in presentation mode: nothing
    scrolls; each map's plot area is at least 420 px tall (but ``SHORTER_MAP``; two maps
    side by side: both wholly on the screen), any 3-D scene at least as large as its map;
    Play, Pause and the step slider on the screen; every status label inside its chart
    and clear of the others."""
    import lessons
    page.set_viewport_size({"width": 1280, "height": 720})
    problems = []
    for key, lesson in lessons.LESSONS.items():
        if getattr(lesson, "tab", "race") == "race":
            open_app(page, f"?lesson={key}&present=1")
        else:   # a network lesson opens *Train a network*: its own chart
            page.goto(page.base_url + f"/?lesson={key}&present=1", timeout=LOAD)
            page.wait_for_selector('.st-key-training_chart .js-plotly-plot[data-drawn="all"]', state="attached",
                                   timeout=LOAD)
            wait_idle(page, LOAD)
        page.wait_for_timeout(500)
        shot(page, f"stage-{key}")
        no_exception(page)
        stage = page.evaluate(JS_STAGE, ANY_CHART)
        if page.evaluate("() => document.scrollingElement.scrollTop") != 0:
            problems.append(f"{key}: the page scrolled")
        if not stage:
            problems.append(f"{key}: no map drawn")
        for c in stage:
            if not lesson.companion and c["map"][1] < SHORTER_MAP.get(key, 420):
                problems.append(f"{key}: the map's plot area is {c['map'][1]:.0f} px tall")
            if c["map"][2] > 720:
                problems.append(f"{key}: the map's bottom at {c['map'][2]:.0f} px is below the screen")
            if c["scene"] and c["scene"][0] * c["scene"][1] < c["map"][0] * c["map"][1]:
                problems.append(f"{key}: the 3-D scene {c['scene']} is smaller than the map {c['map'][:2]}")
            for b in c["buttons"] + c["rail"]:
                if not (0 <= b[1] and b[3] <= 720 and 0 <= b[0] and b[2] <= 1280):
                    problems.append(f"{key}: Play/Pause or the slider is off the screen: {b}")
            for i, a in enumerate(c["labels"]):
                x0, y0, x1, y1 = c["chart"]
                if not (a["box"][0] >= x0 - 1 and a["box"][2] <= x1 + 1 and a["box"][1] >= y0 - 1
                        and a["box"][3] <= min(y1, 720) + 1):
                    problems.append(f"{key}: the label {a['text']!r} is cut at the chart's edge")
                for b in c["labels"][i + 1:]:
                    if _overlap(a["box"], b["box"]):
                        problems.append(f"{key}: the labels {a['text']!r} and {b['text']!r} overlap")
    assert not problems, "\n".join(problems)


def _formula(pg, text: str, needle: str) -> list[str]:
    """Type a formula; the alerts once the app has answered with "cannot be drawn" and the problem."""
    field = pg.locator('input[aria-label="f(x, y) ="]')
    field.fill(text)
    field.press("Enter")
    pg.wait_for_function("(t) => Array.from(document.querySelectorAll('[data-testid=stAlert]'))"
                         ".some(a => a.innerText.includes('cannot be drawn') && a.innerText.includes(t))",
                         arg=needle, timeout=30_000, polling=250)
    pg.wait_for_timeout(500)
    return [a.inner_text() for a in pg.query_selector_all('[data-testid="stAlert"]')]


def test_formula_messages_render_as_typed(page):  # noqa: F811  (the fixture)
    page.goto(page.base_url + "/?surface=formula", timeout=60_000)
    page.wait_for_selector('input[aria-label="f(x, y) ="]', timeout=60_000)
    wait_idle(page)
    alerts = _formula(page, "x.__class__", "names with")
    assert any("names with '_' are not allowed" in a for a in alerts), alerts
    assert not page.query_selector('[data-testid="stAlert"] em'), "no italics from the underscores"
    alerts = _formula(page, "9**9**9", "exponent")
    assert any("('9**9**9')" in a for a in alerts), alerts
    assert not page.query_selector('[data-testid="stAlert"] strong')
    assert page.locator("h1").first.inner_text() == "Your own formula: cannot be drawn"
    alerts = _formula(page, "x" * 5000, "too long")
    assert any("too long (5,000 characters; at most 500)" in a for a in alerts), alerts
    assert len(page.locator('input[aria-label="f(x, y) ="]').input_value()) == 5000
    shot(page, "formula-too-long")
    no_exception(page)
