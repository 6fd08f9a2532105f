"""The sidebar: lesson menu, surface (or a typed formula) and its parameters, steps, start,
the racing optimizers, seed and view options. ``sidebar()`` returns what they say."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

import messages

import config
import landscapes
import lessons
import optimizers
import presets
from config import RunConfig
from state import ViewOptions
from ui import keys
from ui.sanitize import number_ok
from ui.racer import on_data_size, racer_controls
from ui.setup import load_formula, on_lesson, surface_params_now

SS = st.session_state
VIEW_TITLES = {"both": "2-D + 3-D", "2d": "2-D", "3d": "3-D"}


def sidebar() -> tuple[RunConfig, ViewOptions, list[str]]:
    """Draw the controls; returns the run they set, the view options and the errors shown."""
    errors: list[str] = []
    with st.sidebar:
        if SS.get("lesson") not in (None, *lessons.LESSONS):
            SS["lesson"] = None
        st.selectbox("Lesson (one click)", [None, *lessons.LESSONS], key="lesson", on_change=on_lesson,
                     placeholder="choose a classic demonstration…",   # shown while none is chosen
                     format_func=lambda k: "choose a classic demonstration…" if k is None
                     else lessons.LESSONS[k].title)
        st.selectbox("Surface", landscapes.names(), key="surface", on_change=on_surface,
                     format_func=lambda n: landscapes.get(n).title)
        surface = SS["surface"]
        formula_text, domain, formula_error = (formula_controls() if surface == config.FORMULA
                                               else ("", None, None))
        SS["formula_error"] = formula_error
        sp = surface_params(surface, errors)
        st.number_input("Steps", min_value=config.MIN_RACE_STEPS, max_value=config.MAX_STEPS, key="steps",
                        step=10, help=f"Typed exactly: {config.MIN_RACE_STEPS} to {config.MAX_STEPS:,} steps.")
        c1, c2 = st.columns(2)
        c1.number_input("start x", key="x", format="%.4g", min_value=-config.MAX_ABS_COORD,
                        max_value=config.MAX_ABS_COORD)
        c2.number_input("start y", key="y", format="%.4g", min_value=-config.MAX_ABS_COORD,
                        max_value=config.MAX_ABS_COORD)
        st.caption("…or click the map to start there.")
        st.number_input("Optimizers racing", min_value=1, max_value=config.MAX_RACERS, key="n_racers")
        racers = []
        for i in range(int(SS["n_racers"])):
            st.divider()
            r = racer_controls(i, surface, sp, errors)
            if r is not None:
                racers.append(r)
        st.divider()
        st.number_input("Seed (gradient noise, mini-batch order)", min_value=0, max_value=config.MAX_SEED,
                        key="seed", step=1)
        view = view_options()
    run = RunConfig(surface, sp, tuple(racers), int(SS["steps"]),
                    (float(SS["x"]), float(SS["y"])), int(SS["seed"]),
                    *((formula_text, domain) if surface == config.FORMULA and not formula_error else ()))
    if formula_error:  # nothing to draw: the error under the field says what to fix
        run = replace(run, racers=())
    return run, view, errors


def view_options() -> ViewOptions:
    st.radio("View", config.VIEWS, key="view", horizontal=True, format_func=VIEW_TITLES.get)
    st.select_slider("Animation speed", config.SPEED_NAMES, key="speed")
    st.toggle("Loss on a log axis", key="log_loss")
    st.toggle("Whole paths at once", key="full_paths", help="Off: during Play a solid trail grows "
              "behind each racer over its faint full path. On: whole paths from the start.")
    return ViewOptions(SS["view"], SS["speed"], bool(SS.get("present", False)), bool(SS["log_loss"]),
                       bool(SS.get("full_paths", False)), bool(SS.get("vectors", False)), int(SS.get("scrub", 1)))


def surface_params(surface: str, errors: list[str]) -> tuple:
    """The surface's parameter inputs; returns the valid parameters (the defaults, with an
    error shown, while they are not)."""
    spec = landscapes.spec_of(surface)
    if spec.params:
        cols = st.columns(len(spec.params))
        for col, (k, p) in zip(cols, spec.params.items()):
            key = keys.surface_param(surface, k)
            if key not in SS:
                SS[key] = float(p.default)
            col.number_input(k, min_value=float(p.low), max_value=float(p.high), key=key,
                             format="%.4g", step=1.0 if p.integer else None,
                             help=f"{p.doc}: {'a whole number ' if p.integer else ''}"
                             f"from {p.low:g} to {p.high:g}",
                             on_change=on_data_size if k == "n" else None)
    raw = {k: SS.get(keys.surface_param(surface, k), p.default) for k, p in spec.params.items()}
    try:
        landscapes.validate_params(surface, raw)
    except ValueError as exc:
        st.error(f"{exc}; showing the defaults")
        errors.append(f"{exc}; showing the defaults")
    return surface_params_now()


def on_surface() -> None:
    """A new surface: its default start and a suggested learning rate per racer."""
    if SS.get("surface") not in landscapes.names():
        return  # a modified client: ui.sanitize resets it with a message
    if SS["surface"] == config.FORMULA:
        load_formula(RunConfig())  # the kept formula into the (recreated) field
        on_formula()
        return
    s = landscapes.get(SS["surface"])
    SS["x"], SS["y"] = map(float, s.default_start)
    sp = surface_params_now()
    for i in range(int(SS.get("n_racers", 0)) if number_ok(SS.get("n_racers"), 1, config.MAX_RACERS) else 0):
        name = SS.get(keys.opt(i), "gd")
        if name in optimizers.names():
            SS[keys.lr(i)] = presets.suggested_lr(name, SS["surface"], sp)
        SS.pop(keys.batch(i), None)  # a new data set: start at its full batch
    SS["lesson_text"] = None


# --- your own formula ------------------------------------------------------------

def _formula_now() -> tuple[str, tuple | None, str | None]:
    """(text, domain, error): the typed formula and domain, validated."""
    text, domain = SS.get("formula", ""), tuple(SS.get(k) for k in keys.DOMAIN)
    try:
        text, domain = config.parse_formula(text, domain)
        return text, domain, None
    except ValueError as exc:
        return text, domain, str(exc)


def on_formula() -> None:
    """A new formula or domain that works: its default start and suggested learning rates."""
    text, domain, error = _formula_now()
    if error is None:
        s = config.formula_surface(text, domain)
        SS["x"], SS["y"] = map(float, s.default_start)
        for i in range(SS.get("n_racers", 0)):
            SS[keys.lr(i)] = presets.suggested_lr_for(SS.get(keys.opt(i), "gd"), s)
        SS["lesson_text"] = None


def formula_controls() -> tuple[str, tuple | None, str | None]:
    """The formula's text field and domain inputs; returns (text, domain, error)."""
    from landscapes import formula

    if "formula" not in SS or any(k not in SS for k in keys.DOMAIN):
        load_formula(RunConfig())  # back from another surface: the kept formula
    st.text_input("f(x, y) =", key="formula", on_change=on_formula,  # no max_chars: a long paste gets a message
                  help="A function of x and y: numbers, x, y, pi, e, + - * / ** and "
                  f"{', '.join(formula.FUNCTIONS)} (min and max of two arguments); "
                  f"at most {formula.MAX_LENGTH} characters.")
    cols = st.columns(4)
    for col, key, label in zip(cols, keys.DOMAIN, keys.DOMAIN_LABELS):
        col.number_input(label, key=key, format="%.4g", on_change=on_formula,
                         min_value=-formula.MAX_ABS_DOMAIN, max_value=formula.MAX_ABS_DOMAIN)
    text, domain, error = _formula_now()
    if error is None:
        SS["_formula_kept"] = (SS["formula"], domain)
    if error:
        st.error(messages.literal(error))
    return text, domain, error
