"""The top of the page: the title, presentation mode and its lesson navigation, the
link's warnings, and the choice of view (race, sweep, heat map, basins)."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

import messages

import config
import lessons
from config import RunConfig
from figures import step_vectors
from state import DEFAULT, TABS, HyperView, ViewOptions
from ui.setup import on_lesson

SS = st.session_state

PRESENTATION_CSS = """<style>
[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], [data-testid='stHeader'] {display: none}
[data-testid='stMainBlockContainer'] {padding-top: 0.6rem; padding-bottom: 0.5rem}
[data-testid='stMainBlockContainer'] h1 {font-size: 1.45rem; padding: 0.1rem 0}
[data-testid='stAlert'] p {font-size: 1.15rem; line-height: 1.3}
[data-testid='stAlert'] > div {padding: 0.6rem 1rem}
.st-key-tab {display: none}
</style>"""
TAB_TITLES = {"race": "Race", "sweep": "Learning-rate sweep", "heatmap": "Heat map", "basins": "Basins of attraction",
              "training": "Train a network"}


def stage_header(title: str, present: bool):
    """The title, in presentation mode the lesson navigation, and the toggle. Returns, in
    presentation mode, the header's slot for the race's switches (``view_tabs``: a row of
    its own would push the figure below a 1280x720 projector's edge), else None."""
    slot = None
    if present:
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
        head, nav, toggle_col, slot = st.columns([5, 4, 2, 0.6], vertical_alignment="center")
        with nav:
            lesson_nav()
    else:
        head, toggle_col = st.columns([5, 2], vertical_alignment="center")
    with head:
        st.title(title)
    with toggle_col:
        st.toggle("Presentation mode", key="present", help="Hide the controls and enlarge everything "
                  "for a projector. Also in the link as present=1.")
    return slot


def step_lesson(delta: int) -> None:
    """Previous / next lesson in ``lessons.LESSONS`` order (wrapping)."""
    keys = list(lessons.LESSONS)
    now = SS.get("lesson_text") or SS.get("lesson")
    i = keys.index(now) if now in keys else -1 if delta > 0 else 0
    on_lesson(keys[(i + delta) % len(keys)])


def on_stage_lesson() -> None:
    on_lesson(SS.get("stage_lesson"))


def lesson_nav() -> None:
    """Previous, a lesson menu and next, on the stage (presentation mode)."""
    keys = list(lessons.LESSONS)
    now = SS.get("lesson_text")
    SS["stage_lesson"] = now if now in keys else None
    c1, c2, c3 = st.columns([1, 5, 1], vertical_alignment="center")
    c1.button("◀", key="lesson_prev", on_click=step_lesson, args=(-1,), help="previous lesson",
              width="stretch")
    c2.selectbox("Lesson", keys, key="stage_lesson", on_change=on_stage_lesson, label_visibility="collapsed",
                 placeholder="choose a lesson…", format_func=lambda k: lessons.LESSONS[k].title)
    c3.button("▶", key="lesson_next", on_click=step_lesson, args=(1,), help="next lesson", width="stretch")


def link_warnings() -> None:
    """The link's (and the sanitizer's) warnings, shown once: the next change of a control clears them."""
    for w in SS.pop("link_warnings", []):
        st.warning(messages.literal(w))


SCRUB_HELP = ("Sliders in the figure (top right) over this racer's learning rate (÷10 … ×10) and its "
              "momentum or β₁: moving one redraws its path on the map, in 3-D and on the loss plot at once, "
              "from runs computed together; releasing it makes the value the racer's setting. "
              "Not for racers with gradient noise or mini-batches. Also in the link as scrub=N (0: none).")


def view_tabs(run: RunConfig, view: ViewOptions, labels: list[str], slot=None):
    """The race or one of the hyperparameter views, with their settings kept in the page;
    beside the race, the step-vector switch and the racer whose scrub sliders the figure
    carries (in presentation mode in a popover in the header's ``slot``, where they take no
    row of the stage). Returns the hyperparameter view, the view with those two set, and
    the place beside the view switch for the training view's settings (the header's slot
    on the stage)."""
    if SS.get("tab") not in TABS:
        SS["tab"] = DEFAULT.hyper.tab
    side = slot   # where the training view puts its settings
    if slot is None and SS["tab"] == "training":   # beside the switch: the training view's settings
        tab_col, side = st.columns([6, 5], vertical_alignment="center")
        vec_col = scrub_col = None
    elif slot is None:
        tab_col, vec_col, scrub_col = st.columns([6, 2, 3], vertical_alignment="center")
    else:   # the view switch is hidden on the stage (PRESENTATION_CSS); the race's switches in the header
        tab_col = st.container()   # (the training view puts its own settings in the slot)
        vec_col = scrub_col = (slot.popover("", icon=":material/tune:", help="Step vectors and scrub sliders")
                               if SS.get("tab") != "training" else None)
    tab = tab_col.radio("View", TABS, key="tab", horizontal=True, format_func=TAB_TITLES.get,
                        label_visibility="collapsed",
                        help="Same surface, start and optimizers: the race, or every learning rate at once, "
                        "or learning rate × momentum/β₁, or where every start point ends up.")
    if tab == "race":
        vec_col.toggle("Step vectors", key="vectors", help=step_vectors.HELP)
        if SS.get("scrub") not in range(len(run.racers) + 1):
            SS["scrub"] = min(DEFAULT.view.scrub, len(run.racers))
        scrub_col.selectbox("Scrub", range(len(run.racers) + 1), key="scrub", label_visibility="collapsed",
                            format_func=lambda i, names=tuple(labels): f"scrub: {names[i - 1]}" if i
                            else "no scrub sliders", help=SCRUB_HELP)
        view = replace(view, vectors=bool(SS.get("vectors", False)), scrub=int(SS["scrub"]))
    if SS.get("hr") not in range(len(run.racers)):
        SS["hr"] = DEFAULT.hyper.racer
    auto = SS.get("lr_auto", DEFAULT.hyper.auto_range)
    hyper = HyperView(tab, int(SS["hr"]), None if auto else float(SS.get("lrmin", 0)),
                      None if auto else float(SS.get("lrmax", 0)), int(SS.get("res", DEFAULT.hyper.resolution)))
    if not hyper.auto_range:
        try:
            config.check_lr_range(hyper.lr_min, hyper.lr_max)
        except ValueError as exc:
            st.warning(f"{exc}; using the automatic range")
            hyper = HyperView(tab, hyper.racer, None, None, hyper.resolution)
    return hyper, view, side
