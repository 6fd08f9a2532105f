"""A lesson on the page: its text, its claims checked against the computed run, and
(for some lessons) the per-step table beside the map."""
from __future__ import annotations

import streamlit as st

import lessons
from cached import lesson_verdicts
from config import RunConfig
from ui.setup import on_lesson


def _claims_text(lesson: lessons.Lesson) -> str:
    return "".join(f"\n- {'✓' if holds else '✗'} {text} (measured: {measured})"
                   for text, measured, holds in lesson_verdicts(lesson.key))


def lesson_panel(lesson: lessons.Lesson, run: RunConfig, compact: bool = False, fold: bool = False,
                 training=None) -> bool:
    """The lesson's text, its checked claims, and whether the view still is the lesson's.
    ``compact``: the claims go below the figure (``lesson_claims``), so both views and
    Play are above the fold at 1600x1000; ``fold`` (presentation mode): the text folds
    too, so the picture fills a 1280x720 projector. A network lesson compares the race it
    trains (the racers and ``training``, the training view's settings)."""
    changed = (lesson.changed_by(run, training) if hasattr(lesson, "changed_by") and training is not None
               else run != lesson.run_config())
    box = st.warning if changed else st.info
    claims = "" if compact else ("\n\n**What the run shows**, checked against the computed run:"
                                 + _claims_text(lesson))
    text = f"**{lessons.heading(lesson.title)}** {lesson.render()}{claims}" + (
        "\n\n*You changed the lesson's settings: this text describes the lesson's "
        "own run, not the view below.*" if changed else "")
    if fold:   # the picture gets the stage; the text folds (figures.style.figure_height)
        with st.expander(f"The lesson: {lesson.title}" + (" (changed)" if changed else ""), expanded=False):
            box(text)
    else:
        box(text)
    if changed:
        st.button("Reset lesson", key="lesson_reset", on_click=on_lesson, args=(lesson.key,))
    return changed


def lesson_table(run: RunConfig, race: list[dict]) -> None:
    """Each racer's run as the article's loop prints it, line for line (a tab per racer)."""
    with st.container(key="printout"):
        st.caption("x after each step, as the article prints w: compare line by line" + PRINTOUT_CSS,
                   unsafe_allow_html=True)
        printout = lessons.article_printout(run, race)
        for tab, lines in zip(st.tabs(list(printout)), printout.values()):
            tab.code("\n".join(lines), language=None)


PRINTOUT_CSS = """<style>.st-key-printout pre, .st-key-printout code {font-size: 0.78rem; line-height: 1.25}
.st-key-printout pre {padding: 0.3rem 0.6rem} .st-key-printout {gap: 0.3rem}</style>"""


def lesson_claims(lesson: lessons.Lesson) -> None:
    """The checked claims on their own, below the figure."""
    with st.expander("What the run shows, checked against the computed run", expanded=True):
        st.info(_claims_text(lesson))
