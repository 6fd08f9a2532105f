"""Messages quote what was typed literally (Markdown escaped); the stage title says what is wrong."""
from __future__ import annotations

import re

import pytest

import messages

TYPED = ["__import__('os').system('id')", "x.__class__", "9**9**9", "a_b*c", ":smile: :red[x]", "$x$",
         "[link](http://e.com) <b>bold</b> &amp; ~~s~~ `c` \\ back", "# heading", "12. item", "- item", "> quote",
         "Share link: formula at column 1"]


@pytest.mark.parametrize("text", TYPED)
def test_literal_escapes_every_markup_character_and_undoes_exactly(text):
    md = messages.literal(text)
    assert messages.unescaped(md) == text
    # no markup character is left bare: each is preceded by a backslash (an escaped backslash counts)
    bare = re.sub(r"\\.", "", md)
    assert not re.search(r"[`*_~\[\]<>&$]", bare), md
    assert not re.search(r":\w", md.replace("\\:\u2060", "")), md


def test_formula_messages_keep_the_typed_text():
    import config
    for text, quoted in [("x.__class__", "'_'"), ("9**9**9", "'9**9**9'")]:
        with pytest.raises(ValueError) as exc:
            config.parse_formula(text)
        md = messages.literal(str(exc.value))
        assert quoted in messages.unescaped(md) and quoted not in md   # escaped on the way to Markdown
        assert "''" not in md.replace("\\", "")


def test_stage_title_says_what_is_wrong():
    assert messages.stage_title("Bowl", ["gd", "adam"]) == "Bowl: gd, adam"
    assert messages.stage_title("Bowl", []) == "Bowl: no optimizer"
    assert messages.stage_title("Your own formula", [], "formula: too long") == "Your own formula: cannot be drawn"


def test_stage_title_on_a_projector_names_the_surface_when_the_racers_do_not_fit():
    long = ["gd", "gd + plateau factor=0.5 patience=1", "gd + step", "gd + plateau factor=0.1 patience=10"]
    assert messages.stage_title("Ravine", long) == "Ravine: " + ", ".join(long)
    assert messages.stage_title("Ravine", long, room=messages.STAGE_TITLE_ROOM) == "Ravine"
    assert messages.stage_title("Bowl", ["gd", "adam"], room=messages.STAGE_TITLE_ROOM) == "Bowl: gd, adam"
    assert messages.stage_title("Bowl", [], room=10) == "Bowl: no optimizer"
