"""Loss-landscape visualizer: watch optimizers race over a surface.

    streamlit run app.py

The page from top to bottom: set-up (a link or a lesson loaded into the widgets),
the sidebar's controls, the stage (title, presentation mode, lesson, view tabs),
then the race or a hyperparameter view, the panels below it and the downloads.
The parts are drawn by the ``ui`` package; they call the pure modules (``state``
and ``links``, ``experiments``, ``figures``, ``exports``) through the shared
caches in ``cached`` (a cache decorator in this script would re-hash its
function's source on every rerun).
"""
from __future__ import annotations

import plotly.io as pio
import streamlit as st

import config
import lessons
import links
import messages
import results
from cached import compute, settle
from state import AppState
from ui.downloads import downloads
from ui.hyper_views import hyper_view, theory_panel
from ui.inspector import step_inspector
from ui.lesson_panel import lesson_panel
from ui.race_view import follow_click, lesson_extras, loss_panel, race_charts, results_panel, update_rules
from ui.setup import start_page, training_options
from ui.sidebar import sidebar
from ui.stage import link_warnings, stage_header, view_tabs
from ui.training import training_panel, training_title

pio.json.config.default_engine = "auto"  # orjson when installed: 5 ms less per figure sent (7 -> 2 ms)

st.set_page_config(page_title="Loss landscapes: optimizers racing", page_icon="⛰️", layout="wide")
SS = st.session_state

# --- set-up and the sidebar ------------------------------------------------------
start_page()
run, view, errors = sidebar()
surface = run.get_surface()
training = training_options(len(run.racers))   # the training view's own settings (task, network, steps)

# --- the stage: title, lesson, the choice of view; the link follows the page ------
labels = results.racer_labels(run.racers, [r.start for r in run.racers])
slot = stage_header(training_title(run, training) if SS.get("tab") == "training" else messages.stage_title(
    surface.title, labels, run.surface == config.FORMULA and SS.get("formula_error"), room=messages.STAGE_TITLE_ROOM),
    view.present)
link_warnings()
lesson = lessons.LESSONS.get(SS.get("lesson_text"))
companion = None
if lesson is not None and not lesson_panel(lesson, run, compact=True, fold=view.present, training=training) \
        and lesson.companion:
    companion = lesson.companion_config()
hyper, view, side = view_tabs(run, view, labels, slot)
state = AppState(run, view, lesson.key if lesson is not None else None, hyper, training)
try:
    st.query_params.from_dict(links.to_query(state, lessons.LESSONS))
except ValueError:
    pass

if SS.get("formula_error") and run.surface == config.FORMULA:
    st.error(f"Your formula cannot be drawn: {messages.literal(SS['formula_error'])}")
    st.stop()
if not run.racers:
    st.error("No optimizer to run: fix the highlighted settings in the sidebar.")
    st.stop()

# --- a network trained by the same optimizers, or a hyperparameter view, instead of the race
if state.hyper.tab == "training":
    training_panel(state, lesson, side)
    st.stop()
if state.hyper.tab != "race":
    try:
        hyper_view(state)
    except ValueError as exc:  # a rule that needs the whole run, or a budget
        st.error(str(exc))
    st.stop()

# --- the race and the panels below it ------------------------------------------------
try:
    race = compute(run)
except ValueError as exc:  # a rule that needs the whole run, e.g. one_cycle's total_steps >= steps
    st.error(str(exc))
    st.stop()
fig, event = race_charts(run, view, lesson, companion, race)
follow_click(event, fig, run, race)
lesson_extras(run, view, lesson)
results_panel(run, race, lesson, companion)
loss_panel(run, view)
update_rules(run, view.present)
step_inspector(run, race)
theory_panel(run, race)
downloads(run, race, fig)
settle()   # once per process: start-up's objects out of the garbage collector's sight

if errors:
    st.sidebar.error("Some settings are invalid; those optimizers are not shown.")
