"""Lessons and formula messages in the real app through AppTest (issue 20)."""
from __future__ import annotations

import messages
from lessons import LESSONS
from tests.test_app import assert_healthy, new_app


def _formula_app(text: str):
    at = new_app({"surface": "formula"})
    at.text_input(key="formula").set_value(text).run()
    assert not at.exception
    return at


def test_formula_errors_show_the_typed_text_literally():
    """Underscores and stars reach the screen as typed (escaped Markdown), not as italics/bold."""
    for text, quoted in [("__import__('os').system('id')", "'_'"), ("x.__class__", "'_'"),
                         ("9**9**9", "'9**9**9'")]:
        at = _formula_app(text)
        errors = [e.value for e in at.error]
        assert len(errors) == 2, errors  # under the field and on the stage
        for e in errors:
            assert quoted in messages.unescaped(e), e
            assert messages.literal(messages.unescaped(e)) == e, "the whole message is escaped"
        assert at.title[0].value == "Your own formula: cannot be drawn"


def test_a_too_long_formula_gets_a_message():
    """A 5,000-character paste is not dropped by the field: it reaches the app and gets a message."""
    at = new_app({"surface": "formula"})
    field = at.text_input(key="formula")
    assert not field.max_chars, "no limit in the field: the browser would silently drop a longer paste"
    field.set_value("x" * 5000).run()
    assert not at.exception
    assert any("too long (5,000 characters; at most 500)" in messages.unescaped(e.value) for e in at.error)
    assert at.title[0].value == "Your own formula: cannot be drawn"
    at.text_input(key="formula").set_value("x**2 + y**2").run()
    assert_healthy(at)
    assert not at.error and at.title[0].value.startswith("Your own formula: ")
    assert "cannot be drawn" not in at.title[0].value


def test_a_link_warning_quotes_the_link_literally():
    at = new_app({"lesson": "__init__**x**"})
    warnings_ = [w.value for w in at.warning]
    assert any("'__init__**x**'" in messages.unescaped(w) for w in warnings_), warnings_
    assert not any("__init__" in w for w in warnings_), "escaped"


def test_the_article_lesson_shows_the_articles_printout():
    at = new_app({"lesson": "article"})
    assert_healthy(at, min_paths=4)
    blocks = [c.value for c in at.code]
    assert len(blocks) >= 4
    first = blocks[0].splitlines()
    assert first[0] == "Step 0: Weight = 4.0" and first[11] == "Step 11: Weight = 0.3435973836800001"
    assert len(first) == 20
    assert any(b.splitlines()[-1].startswith("(then the run stopped: diverged") for b in blocks)


def test_a_two_race_lesson_names_each_race_in_its_table_and_legends():
    at = new_app({"lesson": "rotation"})
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["racer"]) == ["gd lr=0.5 at 0°", "adam lr=0.1 at 0°", "gd lr=0.5 at 45°",
                                    "adam lr=0.1 at 45°"]


def test_a_title_ending_in_a_question_mark_gets_no_full_stop():
    at = new_app({"lesson": "saddle_oscillation"})
    info = " ".join(i.value for i in at.info)
    assert LESSONS["saddle_oscillation"].title + "**" in info and "?." not in info
