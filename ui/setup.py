"""Before the widgets are drawn: a state loaded into them (a link, a lesson) and the
clicks of the last run applied."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

import config
import landscapes
import lessons
import links
from cached import sent_widget_values
from config import Racer, RunConfig
from state import AppState, HyperView, TrainingOptions, ViewOptions
from ui import keys
from ui.sanitize import widget_value
from ui.sanitize import sanitize_widget_state

SS = st.session_state
FIRST_LESSON = "first"   # what a visit without a link opens


def lesson_state(key: str, view: ViewOptions | None = None) -> AppState:
    """The state of lesson ``key`` (with the page's view options, the lesson's views): its
    run, and the view it opens with that view's settings (a network lesson opens *Train a
    network*)."""
    lesson = lessons.LESSONS[key]
    tab, training = links.lesson_view(lesson)
    return AppState(lesson.run_config(), replace(view or ViewOptions(), view=lesson.view), key, HyperView(tab=tab),
                    training)


def start_page() -> None:
    """The first run of a session reads the link (or, without one, opens the first
    lesson); every run resets what a client broke and applies the last run's clicks
    (set before the widgets they change exist)."""
    if "_init" not in SS:
        query = st.query_params.to_dict()
        state, warnings = links.from_query(query, lessons.LESSONS) if query else (lesson_state(FIRST_LESSON), [])
        load_into_widgets(state)
        SS["link_warnings"] = [f"Share link: {w}" for w in warnings]
        SS["lesson_text"] = SS["lesson"] = state.lesson
        SS["_init"] = True
    for w in sanitize_widget_state(SS, sent_widget_values()):
        SS.setdefault("link_warnings", []).append(f"Controls: {w}")
    if "_pending_start" in SS:  # a map click from the last run
        SS["x"], SS["y"] = SS.pop("_pending_start")
    if "_pending_tab" in SS:  # a basin-map click returns to the race
        SS["tab"] = SS.pop("_pending_tab")
    if "_pending_hp" in SS:  # a click on a sweep or heat map, or an "optimal settings" button
        for k, v in SS.pop("_pending_hp").items():
            SS[k] = v
    if "_pending_step" in SS:  # a click on a path point: show that step in the inspector
        SS["inspect_racer"], SS["inspect_step"] = SS.pop("_pending_step")
        SS["inspect_open"] = True


def load_into_widgets(state: AppState) -> None:
    """Write a whole state into the widgets' session-state keys."""
    run = state.run
    for k in [k for k in SS if keys.is_racer_or_surface_key(k)]:
        del SS[k]
    SS["surface"] = run.surface
    for k, v in run.surface_params:
        SS[keys.surface_param(run.surface, k)] = float(v)
    load_formula(run)
    SS["steps"] = int(run.steps)
    x, y = run.start_point()
    SS["x"], SS["y"] = float(x), float(y)
    SS["seed"] = int(run.seed)
    SS["n_racers"] = len(run.racers)
    for i, r in enumerate(run.racers):
        _load_racer(i, r)
    view, h = state.view, state.hyper
    SS["view"], SS["speed"], SS["present"] = view.view, view.speed, view.present
    SS["log_loss"] = view.log_loss
    SS["tab"], SS["hr"] = h.tab, h.racer
    SS["lr_auto"] = h.auto_range
    if not h.auto_range:
        SS["lrmin"], SS["lrmax"] = float(h.lr_min), float(h.lr_max)
    SS["res"] = h.resolution
    SS["full_paths"] = view.full_paths
    SS["vectors"] = view.vectors
    SS["scrub"] = view.scrub
    load_training(state.training, len(run.racers))


def load_training(t: TrainingOptions, n_racers: int) -> None:
    """The training view's settings into its controls, and a copy outside the widgets' keys
    (Streamlit drops a control's key while it is not drawn: the race view does not draw them)."""
    from links import TRAINING_N

    SS["_training"] = t
    for field, key in keys.NET.items():
        SS[key] = getattr(t, field)
    for i in range(n_racers):
        SS[keys.net_batch(i)] = TRAINING_N if t.batch(i) is None else int(t.batch(i))


def training_options(n_racers: int) -> TrainingOptions:
    """The training view's settings from its controls (the kept copy where they were not
    drawn in the last run); a batch size of N is the full batch."""
    from links import TRAINING_N

    kept = SS.get("_training", TrainingOptions())
    for field, key in keys.NET.items():
        if key not in SS:
            SS[key] = getattr(kept, field)
    batches = []
    for i in range(n_racers):
        if keys.net_batch(i) not in SS:
            SS[keys.net_batch(i)] = TRAINING_N if kept.batch(i) is None else int(kept.batch(i))
        b = int(SS[keys.net_batch(i)])
        batches.append(None if b >= TRAINING_N else b)
    t = TrainingOptions(SS[keys.NET["task"]], int(SS[keys.NET["width"]]), int(SS[keys.NET["layers"]]),
                        int(SS[keys.NET["steps"]]), tuple(batches))
    SS["_training"] = t
    return t


def _load_racer(i: int, r: Racer) -> None:
    opt = r.choice.optimizer
    SS[keys.opt(i)] = r.choice.name
    SS[keys.lr(i)] = float(r.choice.lr)
    for k, v in r.choice.hp:
        SS[keys.hp(i, r.choice.name, k)] = widget_value(opt.hyperparameters[k], v)
    SS[keys.sched(i)] = r.schedule.name
    for k, v in r.schedule.params:
        SS[keys.schedp(i, r.schedule.name, k)] = widget_value(r.schedule.schedule.params[k], v)
    SS[keys.noise(i)] = float(r.noise)
    SS[keys.own_start(i)] = r.start is not None
    if r.start is not None:
        SS[keys.start(i, "x")], SS[keys.start(i, "y")] = map(float, r.start)
    if r.batch_size is not None:  # else the batch-size control starts at N (full batch)
        SS[keys.batch(i)] = int(r.batch_size)
    SS[keys.droplast(i)] = bool(r.drop_last)


def load_formula(run: RunConfig) -> None:
    """The formula field and its domain inputs. A copy outside the widgets'
    keys (Streamlit drops those while the field is hidden) keeps the last
    formula typed for going back to "Your own formula"."""
    from landscapes import formula

    if run.surface == config.FORMULA or "_formula_kept" not in SS:
        SS["_formula_kept"] = (run.formula or formula.DEFAULT_FORMULA,
                               tuple(float(v) for v in (run.domain or formula.DEFAULT_DOMAIN)))
    SS["formula"], dom = SS["_formula_kept"]
    for k, v in zip(keys.DOMAIN, dom):
        SS[k] = v


def on_lesson(key: str | None = None) -> None:
    """Load a lesson (from the menu, the stage's previous/next, or "reset lesson")."""
    key = key if key is not None else SS.get("lesson")
    if key in lessons.LESSONS:
        d = ViewOptions()
        view = ViewOptions(SS.get("view", d.view), SS.get("speed", d.speed), SS.get("present", d.present),
                           SS.get("log_loss", d.log_loss), SS.get("full_paths", d.full_paths),
                           SS.get("vectors", d.vectors), SS.get("scrub", d.scrub))
        state = lesson_state(key, view)
        load_into_widgets(state)
        SS["lesson_text"] = key
        SS["lesson"] = key
        SS["tab"] = state.hyper.tab


def surface_params_now() -> tuple:
    """The sidebar's surface parameters, validated (its defaults while they are invalid)."""
    name = SS["surface"]
    spec = landscapes.spec_of(name)
    raw = {k: SS.get(keys.surface_param(name, k), p.default) for k, p in spec.params.items()}
    try:
        return tuple(sorted(landscapes.validate_params(name, raw).items()))
    except ValueError:
        return tuple(sorted(landscapes.validate_params(name, {}).items()))
