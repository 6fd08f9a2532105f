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


def lesson_panel(lesson: lessons.Lesson, run: RunConfig, compact: bool = False, fold: bool = False) -> bool:
    """The lesson's text, its checked claims, and whether the view still is the lesson's.
    ``compact``: the claims go below the figure (``lesson_claims``), so both views and
    Play are above the fold at 1600x1000; ``fold`` (presentation mode): the text folds
    too, so the picture fills a 1280x720 projector."""
    changed = run != lesson.run_config()
    box = st.warning if changed else st.info
    claims = "" if compact else ("\n\n**What the run shows**, checked against the computed run:"
                                 + _claims_text(lesson))
    text = f"**{lesson.title}.** {lesson.render()}{claims}" + (
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
    """The x of every racer after each step, as the article prints w."""
    rows = [{"step": k, **{r["label"]: (f"{r['positions'][k, 0]:.10g}" if k < len(r["positions"])
                                         else "stopped") for r in race}} for k in range(1, run.steps + 1)]
    st.caption("x after each step (the article prints w): compare line by line")
    st.dataframe(rows, hide_index=True, width="stretch", height=min(36 * (len(rows) + 1), 560))


def lesson_claims(lesson: lessons.Lesson) -> None:
    """The checked claims on their own, below the figure."""
    with st.expander("What the run shows, checked against the computed run", expanded=True):
        st.info(_claims_text(lesson))
