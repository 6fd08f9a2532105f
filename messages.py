"""Messages that quote what a user typed, made safe for Streamlit's Markdown.

Streamlit renders the text of ``st.error``/``st.warning`` as Markdown, so a
formula's ``__class__`` came back in italics ("names with '' are not allowed")
and ``9**9**9`` in bold ('999'). ``literal`` escapes every character Markdown
(or Streamlit's extensions: math, emoji shortcodes, coloured text) could read
as markup, so the text appears exactly as typed. Pure: no Streamlit.
"""
from __future__ import annotations

import re

# What Markdown, GitHub-flavoured Markdown or Streamlit's extensions read as markup inside a line:
# emphasis and strikethrough, code, links and images, HTML and autolinks, entities, math; a colon
# that could open an emoji shortcode (:smile:) or coloured text (:red[...]) - not one before a space.
_MARKUP = re.compile(r"[\\`*_~\[\]<>&$]|:(?=\S)")
_BLOCK = re.compile(r"^(\s*)(?:([#+=-])|(\d+)([.)]))")   # a heading, list or rule at the line's start
_ESCAPED = re.compile(r"\\([\\`*_~\[\]<>&$:#+=\-.)])")


_JOINER = "\u2060"


def _block(m: re.Match) -> str:
    return m.group(1) + (f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\{m.group(4)}")


def literal(text) -> str:
    """``text`` as Markdown that renders exactly as ``text``: every markup character
    backslash-escaped (``__import__`` → ``\\_\\_import\\_\\_``), line breaks kept as spaces. Only a
    colon before a space is left alone ("Share link: …")."""
    one_line = " ".join(str(text).splitlines())
    return _BLOCK.sub(_block, _MARKUP.sub(_escape, one_line))


def _escape(m: re.Match) -> str:
    # Streamlit turns :smile: into an emoji even with its colon escaped; an invisible word
    # joiner after the colon keeps the text as typed on screen.
    return "\\:" + _JOINER if m.group(0) == ":" else "\\" + m.group(0)


def unescaped(markdown: str) -> str:
    """What ``literal`` escaped, back as typed (for tests: ``unescaped(literal(t)) == t``
    for any one-line ``t``)."""
    return _ESCAPED.sub(r"\1", markdown.replace("\\:" + _JOINER, "\\:"))


# A title longer than this wraps to a third line (at 1280x720 in presentation mode it
# pushes the map's axis off the screen); the legend right under it names the racers.
STAGE_TITLE_ROOM = 60


def stage_title(surface_title: str, labels: list[str], formula_error: str | None = None,
                room: int | None = None) -> str:
    """The stage's title: the surface and its racers (``Bowl: gd lr=0.1, adam lr=0.05``), or
    what is wrong: a formula that cannot be drawn says so, not "no optimizer". With
    ``room`` (characters), a title that does not fit names the surface alone."""
    if formula_error:
        return f"{surface_title}: cannot be drawn"
    title = f"{surface_title}: " + (", ".join(labels) or "no optimizer")
    return surface_title if room is not None and labels and len(title) > room else title
