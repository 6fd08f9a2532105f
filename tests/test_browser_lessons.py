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
    UNAVAILABLE, _browser_required, browser, contexts, no_exception, page, scheme, server, shot, wait_idle, warm,
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
