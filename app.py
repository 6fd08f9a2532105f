"""Loss-landscape visualizer: watch optimizers race over a surface.

    streamlit run app.py

This script only wires widgets to the pure modules: ``appstate`` (state and
share links), ``experiments`` (runs), ``figures`` (Plotly) and ``exports``
(files), through the shared caches in ``cached`` (the one other module that
imports Streamlit: a cache decorator in this script would re-hash its
function's source on every rerun).
"""
from __future__ import annotations

from dataclasses import replace


import numpy as np
import plotly.io as pio
import streamlit as st

import appstate
import config
import experiments
import exports
import figures
import landscapes
import lessons
import livechart
import optimizers
import presets
import results
import scrub
import theory
from appstate import AppState, HyperView, ViewOptions
from figures import hyper as hyper_figures
from figures import prepared, step_vectors
from config import OptimizerChoice, Racer, RunConfig, ScheduleChoice
from optimizers import schedules
from cached import (HEATMAP_SIZE, SWEEP_COUNT, compute, compute_basins, compute_heatmap, compute_sweeps,
                    coordinates_figure, lesson_verdicts, loss_figure, main_figure)

pio.json.config.default_engine = "auto"  # orjson when installed: 5 ms less per figure sent (7 -> 2 ms)

st.set_page_config(page_title="Loss landscapes: optimizers racing", page_icon="⛰️", layout="wide")

SS = st.session_state


# --- state <-> widgets --------------------------------------------------------

def load_into_widgets(state: AppState) -> None:
    """Write a whole state into the widgets' session-state keys."""
    run = state.run
    for k in [k for k in SS if isinstance(k, str) and k.split(".")[0] in
              ("sp", "opt", "lr", "hp", "sched", "schedp", "noise", "own_start", "sx", "sy", "batch",
               "droplast")]:
        del SS[k]
    SS["surface"] = run.surface
    for k, v in run.surface_params:
        SS[f"sp.{run.surface}.{k}"] = float(v)
    _load_formula(run)
    SS["steps"] = int(run.steps)
    x, y = run.start_point()
    SS["x"], SS["y"] = float(x), float(y)
    SS["seed"] = int(run.seed)
    SS["n_racers"] = len(run.racers)
    for i, r in enumerate(run.racers):
        _load_racer(i, r)
    SS["view"] = state.view.view
    SS["speed"] = state.view.speed
    SS["present"] = state.view.present
    SS["log_loss"] = state.view.log_loss
    h = state.hyper
    SS["tab"] = h.tab
    SS["hr"] = h.racer
    SS["lr_auto"] = h.lr_min is None
    if h.lr_min is not None:
        SS["lrmin"], SS["lrmax"] = float(h.lr_min), float(h.lr_max)
    SS["res"] = h.resolution
    SS["full_paths"] = state.view.full_paths
    SS["vectors"] = state.view.vectors
    SS["scrub"] = state.view.scrub


def _load_racer(i: int, r: Racer) -> None:
    SS[f"opt.{i}"] = r.choice.name
    for k, v in r.choice.hp:
        if k == "lr":
            SS[f"lr.{i}"] = float(v)
        else:
            SS[f"hp.{i}.{r.choice.name}.{k}"] = v if isinstance(v, bool) else float(v)
    SS[f"sched.{i}"] = r.schedule.name
    for k, v in r.schedule.params:
        kind = r.schedule.schedule.params[k].kind
        SS[f"schedp.{i}.{r.schedule.name}.{k}"] = (
            schedules.format_value(v) if kind == "int_list" else v if kind in ("choice", "bool") else float(v))
    SS[f"noise.{i}"] = float(r.noise)
    SS[f"own_start.{i}"] = r.start is not None
    if r.start is not None:
        SS[f"sx.{i}"], SS[f"sy.{i}"] = map(float, r.start)
    if r.batch_size is not None:  # else the batch-size control starts at N (full batch)
        SS[f"batch.{i}"] = int(r.batch_size)
    SS[f"droplast.{i}"] = bool(r.drop_last)


DOMAIN_KEYS = ("dom.x0", "dom.x1", "dom.y0", "dom.y1")


def _load_formula(run: RunConfig) -> None:
    """The formula field and its domain inputs. A copy outside the widgets'
    keys (Streamlit drops those while the field is hidden) keeps the last
    formula typed for going back to "Your own formula"."""
    from landscapes import formula

    if run.surface == config.FORMULA or "_formula_kept" not in SS:
        SS["_formula_kept"] = (run.formula or formula.DEFAULT_FORMULA,
                               tuple(float(v) for v in (run.domain or formula.DEFAULT_DOMAIN)))
    SS["formula"], dom = SS["_formula_kept"]
    for k, v in zip(DOMAIN_KEYS, dom):
        SS[k] = v


def _formula_now() -> tuple[str, tuple | None, str | None]:
    """(text, domain, error): the typed formula and domain, validated."""
    text, domain = SS.get("formula", ""), tuple(SS.get(k) for k in DOMAIN_KEYS)
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
            SS[f"lr.{i}"] = presets.suggested_lr_for(SS.get(f"opt.{i}", "gd"), s)
        SS["lesson_text"] = None


def formula_controls() -> tuple[str, tuple | None, str | None]:
    """The formula's text field and domain inputs; returns _formula_now()."""
    from landscapes import formula

    if "formula" not in SS or any(k not in SS for k in DOMAIN_KEYS):
        _load_formula(RunConfig())  # back from another surface: the kept formula
    st.text_input("f(x, y) =", key="formula", on_change=on_formula, max_chars=formula.MAX_LENGTH,
                  help="A function of x and y: numbers, x, y, pi, e, + - * / ** and "
                  f"{', '.join(formula.FUNCTIONS)} (min and max of two arguments).")
    cols = st.columns(4)
    for col, key, label in zip(cols, DOMAIN_KEYS, ("x min", "x max", "y min", "y max")):
        col.number_input(label, key=key, format="%.4g", on_change=on_formula,
                         min_value=-formula.MAX_ABS_DOMAIN, max_value=formula.MAX_ABS_DOMAIN)
    text, domain, error = _formula_now()
    if error is None:
        SS["_formula_kept"] = (SS["formula"], domain)
    if error:
        st.error(error)
    return text, domain, error


def on_lesson(key: str | None = None) -> None:
    """Load a lesson (from the menu, the stage's previous/next, or "reset lesson")."""
    key = key if key is not None else SS.get("lesson")
    if key in lessons.LESSONS:
        view = ViewOptions(SS.get("view", "both"), SS.get("speed", "normal"), SS.get("present", False),
                           SS.get("log_loss", True), SS.get("full_paths", False), SS.get("vectors", False),
                           SS.get("scrub", 1))
        load_into_widgets(appstate.lesson_state(key, view))
        SS["lesson_text"] = key
        SS["lesson"] = key
        SS["tab"] = "race"


def _surface_params_now() -> tuple:
    name = SS["surface"]
    spec = landscapes.spec_of(name)
    raw = {k: SS.get(f"sp.{name}.{k}", p.default) for k, p in spec.params.items()}
    try:
        return tuple(sorted(landscapes.validate_params(name, raw).items()))
    except ValueError:
        return tuple(sorted(landscapes.validate_params(name, {}).items()))


def on_surface() -> None:
    """A new surface: its default start and a suggested learning rate per racer."""
    if SS.get("surface") not in landscapes.names():
        return  # a modified client: appstate.sanitize_widget_state() resets it with a message
    if SS["surface"] == config.FORMULA:
        _load_formula(RunConfig())  # the kept formula into the (recreated) field
        on_formula()
        return
    s = landscapes.get(SS["surface"])
    SS["x"], SS["y"] = map(float, s.default_start)
    sp = _surface_params_now()
    for i in range(int(SS.get("n_racers", 0)) if appstate.number_ok(SS.get("n_racers"), 1, config.MAX_RACERS) else 0):
        name = SS.get(f"opt.{i}", "gd")
        if name in optimizers.names():
            SS[f"lr.{i}"] = presets.suggested_lr(name, SS["surface"], sp)
        SS.pop(f"batch.{i}", None)  # a new data set: start at its full batch
    SS["lesson_text"] = None


def on_optimizer(i: int) -> None:
    if SS.get(f"opt.{i}") in optimizers.names() and SS.get("surface") in landscapes.names():
        SS[f"lr.{i}"] = presets.suggested_lr(SS[f"opt.{i}"], SS["surface"], _surface_params_now())


def picked(event, fig) -> tuple[str, tuple] | None:
    """What a click on the map picked: ``("step", (racer, step))`` for a point
    of a drawn path (the trace's ``meta`` names the racer, its ``customdata``
    the step of each drawn point), ``("start", (x, y))`` for anything else on
    the map (the invisible grid of click targets); None for no click, an empty
    selection and a point of the data panel (its own axes: not a place on the map)."""
    try:
        p = event["selection"]["points"][0]
        x, y = float(p["x"]), float(p["y"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if not (np.isfinite(x) and np.isfinite(y)):
        return None
    try:
        trace = fig.to_dict()["data"][int(p["curve_number"])]
        index = int(p.get("point_index", p.get("point_number")))
    except (KeyError, IndexError, TypeError, ValueError):
        trace, index = {}, None
    meta = prepared.trace_meta(trace)
    if meta.get("role") == "panel":
        return None
    if meta.get("role", "path") == "path" and "racer" in meta and index is not None:
        steps = trace.get("customdata")   # the step of each drawn point (paths may be thinned)
        if prepared.array_of(steps) is not None:
            steps = prepared.array_of(steps)
        step = int(steps[index]) if steps is not None and 0 <= index < len(steps) else index
        return "step", (int(meta["racer"]), step)
    return "start", (round(x, 4), round(y, 4))


if "_init" not in SS:
    state0, link_warnings = appstate.from_query(st.query_params.to_dict())
    load_into_widgets(state0)
    SS["link_warnings"] = [f"Share link: {w}" for w in link_warnings]
    SS["lesson_text"] = state0.lesson or ("first" if not st.query_params else None)
    SS["lesson"] = SS["lesson_text"]
    SS["_init"] = True
for w in appstate.sanitize_widget_state(SS):
    SS.setdefault("link_warnings", []).append(f"Controls: {w}")
if "_pending_start" in SS:  # a map click from the last run: set before the widgets exist
    SS["x"], SS["y"] = SS.pop("_pending_start")
if "_pending_tab" in SS:  # a basin-map click returns to the race
    SS["tab"] = SS.pop("_pending_tab")
if "_pending_hp" in SS:  # a click on a sweep or heat map, or an "optimal settings" button
    for k, v in SS.pop("_pending_hp").items():
        SS[k] = v
if "_pending_step" in SS:  # a click on a path point: show that step in the inspector
    SS["inspect_racer"], SS["inspect_step"] = SS.pop("_pending_step")
    SS["inspect_open"] = True


# --- controls -----------------------------------------------------------------

def racer_controls(i: int, surface: str, sp: tuple, errors: list[str]) -> Racer | None:
    """One optimizer's widgets; returns its validated Racer or None (error shown)."""
    names = optimizers.names()
    colour = figures.colour(i)
    st.markdown(f"<span style='color:{colour};font-size:1.3em'>●</span> **Optimizer {i + 1}**",
                unsafe_allow_html=True)
    name = st.selectbox("optimizer", names, key=f"opt.{i}", on_change=on_optimizer, args=(i,),
                        format_func=lambda n: f"{n}: {optimizers.get(n).title}",
                        label_visibility="collapsed")
    opt = optimizers.get(name)
    if f"lr.{i}" not in SS:
        SS[f"lr.{i}"] = presets.suggested_lr(name, surface, sp)
    lr = st.number_input("learning rate (lr)", min_value=0.0, max_value=config.MAX_LR, key=f"lr.{i}",
                         format="%.6g", step=None, help="Typed exactly; the suggested value "
                         "for this surface is set when you change surface or optimizer.")
    surf = landscapes.get(surface, **dict(sp))
    data_surface = isinstance(surf, landscapes.DataSurface)
    batch = batch_control(i, surf) if data_surface else None
    if data_surface:
        SS["_data_n"] = surf.n_samples
    hp: dict = {}
    sname = SS.get(f"sched.{i}", "constant")
    with st.expander("hyperparameters, schedule" + (", last batch" if data_surface else ", noise")):
        for k, h in opt.hyperparameters.items():
            key = f"hp.{i}.{name}.{k}"
            if h.kind == "bool":
                hp[k] = st.checkbox(k, value=bool(SS.get(key, h.default)), key=key, help=h.doc)
            else:
                if key not in SS:
                    SS[key] = float(h.default)
                hp[k] = st.number_input(
                    k, key=key, format="%.6g", help=f"{h.doc} Valid range {h.describe_range()}.",
                    min_value=float(h.low) if np.isfinite(h.low) else None,
                    max_value=float(h.high) if np.isfinite(h.high) else None)
        sname = st.selectbox("learning-rate schedule", schedules.names(), key=f"sched.{i}",
                             format_func=lambda n: schedules.get(n).title)
        sched = schedules.get(sname)
        sparams = {}
        for k, h in sched.params.items():
            key = f"schedp.{i}.{sname}.{k}"
            if h.kind == "choice":
                if SS.get(key) not in h.choices:
                    SS[key] = h.default
                sparams[k] = st.selectbox(k, h.choices, key=key, help=h.doc)
            elif h.kind == "bool":
                if not isinstance(SS.get(key), bool):
                    SS[key] = bool(h.default)
                sparams[k] = st.checkbox(k, key=key, help=h.doc)
            elif h.kind == "int_list":
                if not isinstance(SS.get(key), str):
                    SS[key] = schedules.format_value(h.default)
                sparams[k] = st.text_input(k, key=key, max_chars=400,
                                           help=f"{h.doc} ({h.describe_range()})")
            else:
                if key not in SS:
                    SS[key] = float(h.default)
                sparams[k] = st.number_input(k, key=key, format="%.6g", help=h.doc,
                                             min_value=float(h.low) if np.isfinite(h.low) else None,
                                             max_value=float(h.high) if np.isfinite(h.high) else None)
        if data_surface:  # real mini-batches replace the noise model
            noise = 0.0
            drop_last = st.checkbox("drop the last, smaller batch of each epoch", key=f"droplast.{i}",
                                    help="As torch's DataLoader(drop_last=True): when the batch size "
                                    "does not divide N, the remainder of each shuffle is skipped.")
        else:
            drop_last = False
            if f"noise.{i}" not in SS:
                SS[f"noise.{i}"] = 0.0
            noise = st.number_input("gradient noise σ", min_value=0.0, max_value=config.MAX_NOISE,
                                    key=f"noise.{i}", format="%.4g",
                                    help="Standard deviation of Gaussian noise added to each gradient "
                                    "coordinate: a model of stochastic (mini-batch) gradients.")
        own = st.checkbox("its own start point", key=f"own_start.{i}",
                          help="Start this optimizer somewhere else than the others.")
        start = None
        if own:
            c1, c2 = st.columns(2)
            for key, col, axis in ((f"sx.{i}", c1, "x"), (f"sy.{i}", c2, "y")):
                if key not in SS:
                    SS[key] = float(SS.get(axis, 0.0))
                col.number_input(f"start {axis}", key=key, format="%.4g", min_value=-config.MAX_ABS_COORD,
                                 max_value=config.MAX_ABS_COORD)
            start = (float(SS[f"sx.{i}"]), float(SS[f"sy.{i}"]))
    try:
        choice = OptimizerChoice.build(name, lr, **hp)
        schedule = ScheduleChoice.build(sname, **sparams)
        batch_size = None
        if data_surface:
            batch_size = config.parse_batch_size(batch, surf.n_samples, f"optimizer {i + 1}: batch size")
            batch_size = None if batch_size == surf.n_samples else batch_size
        return Racer(choice, schedule, config.parse_noise(noise), start, batch_size=batch_size,
                     drop_last=bool(drop_last) and batch_size is not None)
    except ValueError as exc:
        st.error(str(exc))
        errors.append(f"optimizer {i + 1}: {exc}")
        return None


def batch_control(i: int, surf) -> float:
    """The batch-size input of racer ``i`` on a data surface (starts at N: full batch)."""
    n = surf.n_samples
    key = f"batch.{i}"
    if key not in SS:
        SS[key] = n
    return st.number_input(
        f"batch size (1 … N = {n})", key=key, step=1,
        help=f"Samples per gradient: 1 = stochastic (single examples), N = {n} = full batch, "
        "in between = mini-batch. Drawn without replacement, reshuffled every epoch, "
        "seeded per optimizer.")


def on_data_size() -> None:
    """A new data-set size N: a full batch stays full, a batch above N becomes N."""
    old = SS.get("_data_n")
    try:
        new = int(SS[f"sp.{SS['surface']}.n"])
    except (KeyError, TypeError, ValueError):
        return
    for i in range(SS.get("n_racers", 0)):
        b = SS.get(f"batch.{i}")
        if b is not None and (b == old or b > new):
            SS[f"batch.{i}"] = new


def surface_param_error(name: str) -> str | None:
    """The message for surface parameters the sidebar holds that are invalid."""
    spec = landscapes.spec_of(name)
    raw = {k: SS.get(f"sp.{name}.{k}", p.default) for k, p in spec.params.items()}
    try:
        landscapes.validate_params(name, raw)
    except ValueError as exc:
        return f"{exc}; showing the defaults"
    return None


def controls() -> tuple[AppState, list[str]]:
    errors: list[str] = []
    sb = st.sidebar
    with sb:
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
        spec = landscapes.spec_of(surface)
        if spec.params:
            cols = st.columns(len(spec.params))
            for col, (k, p) in zip(cols, spec.params.items()):
                key = f"sp.{surface}.{k}"
                if key not in SS:
                    SS[key] = float(p.default)
                col.number_input(k, min_value=float(p.low), max_value=float(p.high), key=key,
                                 format="%.4g", step=1.0 if p.integer else None,
                                 help=f"{p.doc}: {'a whole number ' if p.integer else ''}"
                                 f"from {p.low:g} to {p.high:g}",
                                 on_change=on_data_size if k == "n" else None)
        sp_error = surface_param_error(surface)
        if sp_error:
            st.error(sp_error)
            errors.append(sp_error)
        sp = _surface_params_now()
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
        st.radio("View", config.VIEWS, key="view", horizontal=True,
                 format_func={"both": "2-D + 3-D", "2d": "2-D", "3d": "3-D"}.get)
        st.select_slider("Animation speed", config.SPEED_NAMES, key="speed")
        st.toggle("Loss on a log axis", key="log_loss")
        st.toggle("Whole paths at once", key="full_paths", help="Off: during Play a solid trail grows "
                  "behind each racer over its faint full path. On: whole paths from the start.")
    run = RunConfig(surface, sp, tuple(racers), int(SS["steps"]),
                    (float(SS["x"]), float(SS["y"])), int(SS["seed"]),
                    *((formula_text, domain) if surface == config.FORMULA and not formula_error else ()))
    if formula_error:  # nothing to draw: the error under the field says what to fix
        run = replace(run, racers=())
    view = ViewOptions(SS["view"], SS["speed"], bool(SS.get("present", False)), bool(SS["log_loss"]),
                       bool(SS.get("full_paths", False)), bool(SS.get("vectors", False)),
                       int(SS.get("scrub", 1)))
    return AppState(run, view), errors


# --- hyperparameter views and theory ------------------------------------------------

def _racer_hp_keys(i: int, name: str, values: dict) -> dict:
    """Session-state keys that set racer i to optimizer ``name`` with ``values``."""
    out = {f"opt.{i}": name}
    for k, v in values.items():
        out[f"lr.{i}" if k == "lr" else f"hp.{i}.{name}.{k}"] = float(v)
    return out


def _hyper_downloads(name: str, fig, csv_text) -> None:
    d1, d2, d3 = st.columns(3)
    d1.download_button("Grid (CSV)", csv_text, file_name=f"{name}.csv", mime="text/csv",
                       key=f"dl_{name}_csv", on_click="ignore")
    if exports.static_export_available():
        d2.download_button("Figure (SVG)", lambda: exports.hyper_image(fig, "svg"), file_name=f"{name}.svg",
                           mime="image/svg+xml", key=f"dl_{name}_svg", on_click="ignore")
        d3.download_button("Figure (PNG, 3×)", lambda: exports.hyper_image(fig, "png"),
                           file_name=f"{name}.png", mime="image/png", key=f"dl_{name}_png", on_click="ignore")
    else:
        d2.info(exports.NO_BROWSER_MESSAGE)


def _lr_range(run: RunConfig, hv: HyperView) -> tuple[float, float]:
    auto = experiments.default_lr_range(run)
    c1, c2, c3 = st.columns([1, 1, 1])
    if "lr_auto" not in SS:
        SS["lr_auto"] = True
    if c1.toggle("automatic lr range", key="lr_auto",
                 help="A thousandth of the smallest racer's rate to thirty times the largest."):
        c2.caption(f"lr from {auto[0]:.3g}")
        c3.caption(f"to {auto[1]:.3g}")
        return auto
    if "lrmin" not in SS or "lrmax" not in SS:
        SS["lrmin"], SS["lrmax"] = auto
    lo = c2.number_input("lr from", min_value=1e-12, max_value=config.MAX_LR, key="lrmin", format="%.4g")
    hi = c3.number_input("to", min_value=1e-12, max_value=config.MAX_LR, key="lrmax", format="%.4g")
    try:
        return config.check_lr_range(lo, hi)
    except ValueError as exc:
        st.warning(f"{exc}; using the automatic range")
        return auto


def _handle_pick(event, fig, run: RunConfig, hm=None, racer: int = 0) -> None:
    pick = hyper_figures.pick(event, fig)
    if pick is None:
        return
    kind, value = pick
    if kind == "sweep":
        i, lr = value
        if 0 <= i < len(run.racers):
            SS["_pending_hp"] = {f"lr.{i}": lr}
            st.rerun()
    elif kind == "heatmap" and hm is not None:
        lr, v = value
        name = run.racers[racer].choice.name
        if name == "gd" and v == 0:
            SS["_pending_hp"] = {f"lr.{racer}": lr}
        else:
            SS["_pending_hp"] = _racer_hp_keys(racer, hm.optimizer, {"lr": lr, hm.axis: v})
        st.rerun()
    elif kind == "basin":
        SS["_pending_start"] = value
        SS["_pending_tab"] = "race"
        st.rerun()


def hyper_view(state: AppState) -> None:
    """The sweep, heat-map or basin view of the same surface, start and optimizers."""
    run, hv, present = state.run, state.hyper, state.view.present
    surface = run.get_surface()
    names = exports.racer_names(run)
    if hv.tab == "sweep":
        lo, hi = _lr_range(run, hv)
        with st.spinner(f"running {SWEEP_COUNT} learning rates × {len(run.racers)} optimizers…", show_time=True):
            sweeps = compute_sweeps(run, lo, hi)
        fig = exports.sweep_figure_for(run, sweeps, presentation=present)
        st.caption(f"{SWEEP_COUNT} log-spaced learning rates per optimizer, {run.steps} steps each, from "
                   f"({run.start_point()[0]:g}, {run.start_point()[1]:g}), with each racer's other settings. "
                   "Dashed: each racer's current rate; dotted red: the stability bound where theory gives one. "
                   "Ranges: *good* converged (gradient norm below 1e-5); *too small* / *too large* ran every "
                   "step without converging, below / above the converging rates (with none converging: "
                   "below the first that blew up); *diverging*; *escaped* (downhill off the map). "
                   "Click a point to give that racer its rate.")
        event = livechart.plotly_chart(fig, key="sweep_chart")
        rows = []
        for n, sw in zip(names, sweeps):
            rows.append({"optimizer": n, **{cls: ", ".join(f"{a:.3g}–{b:.3g}" for c, a, b in sw.ranges() if c == cls)
                                            for cls in experiments.SWEEP_CLASSES},
                         "best lr": float(sw.lrs[sw.best_index]) if sw.best_index is not None else None})
        st.dataframe(rows, hide_index=True, width="stretch")
        _hyper_downloads(f"{surface.name}-sweep", fig, lambda: exports.sweep_csv(run, sweeps))
        _handle_pick(event, fig, run)
        return
    racer = st.selectbox("optimizer", range(len(names)), format_func=names.__getitem__, key="hr")
    r = run.racers[racer]
    if hv.tab == "heatmap":
        if experiments.heatmap_axis(r.choice.name) is None:
            st.info(f"{r.choice.name} has neither momentum nor β₁: a heat map needs one of "
                    f"{', '.join(sorted(experiments.HEATMAP_AXES))}. Pick another optimizer.")
            return
        lo, hi = _lr_range(run, hv)
        with st.spinner(f"running {HEATMAP_SIZE} × {HEATMAP_SIZE} settings…", show_time=True):
            hm = compute_heatmap(run, racer, lo, hi)
        fig = exports.heatmap_figure_for(run, racer, hm, presentation=present)
        gd_note = "; gradient descent is momentum 0 (bottom row)" if r.choice.name == "gd" else ""
        st.caption(f"Final loss after {run.steps} steps over learning rate × {hm.axis} "
                   f"({HEATMAP_SIZE} × {HEATMAP_SIZE} runs at once){gd_note}. "
                   "The star is the current setting; click a cell to use it.")
        event = livechart.plotly_chart(fig, key="heat_chart")
        _hyper_downloads(f"{surface.name}-heatmap", fig, lambda: exports.heatmap_csv(hm))
        _handle_pick(event, fig, run, hm, racer)
        return
    if SS.get("res") not in appstate.BASIN_RESOLUTIONS:
        SS["res"] = 200
    res = st.select_slider("start points per axis", appstate.BASIN_RESOLUTIONS, key="res")
    if not surface.minima:
        st.info(f"{surface.title} has no minimum: every start point diverges or escapes.")
    with st.spinner(f"running {res} × {res} start points…", show_time=True):
        b = compute_basins(run, racer, res)
    fig = exports.basin_figure_for(run, b, presentation=present)
    st.caption(f"Where each of {res * res:,} start points ends after {run.steps} steps of {names[racer]} "
               f"(reaching a minimum = ending within {experiments.BASIN_RADIUS:.0%} of the domain's diagonal "
               "of it). Click the map to start the race there.")
    event = livechart.plotly_chart(fig, key="basin_chart")
    _hyper_downloads(f"{surface.name}-basins", fig, lambda: exports.basins_csv(run, b))
    _handle_pick(event, fig, run)


def _set_optimal(i: int, name: str, values: dict) -> None:
    """Button callback: racer i at the theory's best constant settings."""
    keys = _racer_hp_keys(i, name, values)
    keys.update({f"sched.{i}": "constant", f"noise.{i}": 0.0,
                 f"hp.{i}.{name}.weight_decay": 0.0})
    for k, v in keys.items():
        SS[k] = v


def theory_panel(run: RunConfig, results: list[dict]) -> None:
    th = theory.quadratic_theory(run.get_surface())
    if th is None:
        return
    with st.expander("Theory beside measurement (this surface is quadratic)", expanded=False):
        st.markdown(
            f"Hessian eigenvalues λmin = **{th.lam_min:.4g}**, λmax = **{th.lam_max:.4g}**, "
            f"condition number κ = **{th.kappa:.4g}**.\n\n"
            f"* Gradient descent is stable for lr < 2/λmax = **{th.gd_lr_bound:.4g}**; its best rate "
            f"lr = 2/(λmin+λmax) = **{th.gd_best_lr:.4g}** shrinks the distance to the minimum by "
            f"(κ−1)/(κ+1) = **{th.gd_best_rate:.4f}** per step.\n"
            f"* Heavy-ball momentum (Goh 2017): α* = (2/(√λmin+√λmax))² = **{th.momentum_best_alpha:.4g}**, "
            f"β* = ((√κ−1)/(√κ+1))² = **{th.momentum_best_beta:.4g}**, rate (√κ−1)/(√κ+1) = "
            f"**{th.momentum_best_rate:.4f}** per step. In torch's convention (lr multiplies the "
            "whole buffer) that is lr = α*, momentum = β*, dampening 0.\n\n"
            "Rates are per step of the distance; f − f* shrinks by their square. The dashed lines on "
            "the loss plot are (f₀ − f*)·ρ²ᵏ for each racer the linear theory covers (gd, momentum, "
            "Nesterov at a constant rate, no noise, no weight decay).")
        rows = exports.racer_theory(run, results)
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch",
                         column_config={"predicted rate": st.column_config.NumberColumn(format="%.4f"),
                                        "measured rate": st.column_config.NumberColumn(format="%.4f"),
                                        "lr": st.column_config.NumberColumn(format="%.4g")})
        c1, c2, c3 = st.columns([1, 2, 2])
        names = exports.racer_names(run)
        if SS.get("opt_racer") not in range(len(names)):
            SS["opt_racer"] = 0
        i = c1.selectbox("racer", range(len(names)), format_func=names.__getitem__, key="opt_racer")
        c2.button("Optimal gradient descent", key="opt_gd", on_click=_set_optimal,
                  args=(i, "gd", th.optimal_settings("gd")), help="gd at lr = 2/(λmin+λmax)")
        c3.button("Optimal momentum (α*, β*)", key="opt_mom", on_click=_set_optimal,
                  args=(i, "momentum", th.optimal_settings("momentum")),
                  help="momentum at lr = α*, momentum = β*, dampening 0")


def _claims_text(lesson: lessons.Lesson) -> str:
    return "".join(f"\n- {'✓' if holds else '✗'} {text} (measured: {measured})"
                   for text, measured, holds in lesson_verdicts(lesson.key))


def lesson_panel(lesson: lessons.Lesson, run: RunConfig, compact: bool = False) -> bool:
    """The lesson's text, its checked claims, and whether the view still is the lesson's.
    ``compact`` (presentation mode): the claims go below the figure (``lesson_claims``),
    so the text, both views and Play fit on a 1280x720 projector."""
    changed = run != lesson.run_config()
    box = st.warning if changed else st.info
    claims = "" if compact else ("\n\n**What the run shows**, checked against the computed run:"
                                 + _claims_text(lesson))
    box(f"**{lesson.title}.** {lesson.render()}{claims}" + (
        "\n\n*You changed the lesson's settings: this text describes the lesson's "
        "own run, not the view below.*" if changed else ""))
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
    """The checked claims on their own (presentation mode, below the figure)."""
    with st.expander("What the run shows, checked against the computed run", expanded=True):
        st.markdown(_claims_text(lesson))


# --- page -----------------------------------------------------------------------

state, errors = controls()
run, view = state.run, state.view
surface = run.get_surface()

# --- the stage: title, presentation mode and its lesson navigation ---------------

PRESENTATION_CSS = """<style>
[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], [data-testid='stHeader'] {display: none}
[data-testid='stMainBlockContainer'] {padding-top: 0.6rem; padding-bottom: 0.5rem}
[data-testid='stMainBlockContainer'] h1 {font-size: 1.45rem; padding: 0.1rem 0}
[data-testid='stAlert'] p {font-size: 1.15rem; line-height: 1.3}
[data-testid='stAlert'] > div {padding: 0.6rem 1rem}
</style>"""


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


def scrub_racer(run: RunConfig, view: ViewOptions) -> int:
    """The racer (0-based) whose scrub sliders the race figure carries, or -1."""
    i = view.scrub - 1
    return i if 0 <= i < len(run.racers) and scrub.available(run, i) is None else -1


def scrub_help() -> str:
    return ("Sliders in the figure (top right) over this racer's learning rate (÷10 … ×10) and its "
            "momentum or β₁: moving one redraws its path on the map, in 3-D and on the loss plot at once, "
            "from runs computed together; releasing it makes the value the racer's setting. "
            "Not for racers with gradient noise or mini-batches. Also in the link as scrub=N (0: none).")


def surface_formula(latex: str) -> None:
    """The surface's formula across the whole page width (long ones, such as
    Goldstein-Price, do not fit beside the loss plot). Display math cannot wrap,
    so its size follows the page width: 0.4 em per LaTeX character (Goldstein-Price,
    the longest, measures 0.36) must fit the main column (page minus sidebar)."""
    ems = max(40.0, 0.4 * len(latex))
    st.markdown(f"<style>.st-key-surface_formula .katex {{font-size: min(1.21em, calc((100vw - 470px) / {ems:.0f}))}}"
                "</style>", unsafe_allow_html=True)
    with st.container(key="surface_formula"):
        st.latex(latex)


def stage_header(title: str, present: bool) -> None:
    """The title, in presentation mode the lesson navigation, and the toggle."""
    if present:
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
        head, nav, toggle_col = st.columns([5, 4, 2], vertical_alignment="center")
        with nav:
            lesson_nav()
    else:
        head, toggle_col = st.columns([5, 2], vertical_alignment="center")
    with head:
        st.title(title)
    with toggle_col:
        st.toggle("Presentation mode", key="present", help="Hide the controls and enlarge everything "
                  "for a projector. Also in the link as present=1.")


names = results.racer_labels(run.racers, [r.start for r in run.racers])
stage_header(f"{surface.title}: " + (", ".join(names) or "no optimizer"), view.present)

for w in SS.pop("link_warnings", []):  # shown once: the next change of a control clears them
    st.warning(w)
lesson = lessons.LESSONS.get(SS.get("lesson_text"))
companion = None
if lesson is not None:
    if not lesson_panel(lesson, run, compact=view.present) and lesson.companion:
        companion = lesson.companion_config()
    state = AppState(run, view, lesson.key)

TAB_TITLES = {"race": "Race", "sweep": "Learning-rate sweep", "heatmap": "Heat map", "basins": "Basins of attraction"}
if SS.get("tab") not in appstate.TABS:
    SS["tab"] = "race"
tab_col, vec_col, scrub_col = st.columns([6, 2, 3], vertical_alignment="center")
tab = tab_col.radio("View", appstate.TABS, key="tab", horizontal=True, format_func=TAB_TITLES.get,
                    label_visibility="collapsed",
                    help="Same surface, start and optimizers: the race, or every learning rate at once, "
                    "or learning rate × momentum/β₁, or where every start point ends up.")
if tab == "race":
    vec_col.toggle("Step vectors", key="vectors", help=step_vectors.HELP)
    if SS.get("scrub") not in range(len(run.racers) + 1):
        SS["scrub"] = min(1, len(run.racers))
    scrub_col.selectbox("Scrub", range(len(run.racers) + 1), key="scrub", label_visibility="collapsed",
                        format_func=lambda i, labels=tuple(names): f"scrub: {labels[i - 1]}" if i
                        else "no scrub sliders",
                        help=scrub_help())
    view = replace(view, scrub=int(SS["scrub"]))
if SS.get("hr") not in range(len(run.racers)):
    SS["hr"] = 0
state = AppState(run, view, state.lesson, HyperView(
    tab, int(SS["hr"]),
    None if SS.get("lr_auto", True) else float(SS.get("lrmin", 0)),
    None if SS.get("lr_auto", True) else float(SS.get("lrmax", 0)),
    int(SS.get("res", 200))))
if state.hyper.lr_min is not None:
    try:
        config.check_lr_range(state.hyper.lr_min, state.hyper.lr_max)
    except ValueError as exc:
        st.warning(f"{exc}; using the automatic range")
        state = AppState(run, view, state.lesson, HyperView(tab, state.hyper.racer, None, None,
                                                            state.hyper.resolution))

try:
    st.query_params.from_dict(appstate.to_query(state))
except ValueError:
    pass

if SS.get("formula_error") and run.surface == config.FORMULA:
    st.error(f"Your formula cannot be drawn: {SS['formula_error']}")
    st.stop()
if not run.racers:
    st.error("No optimizer to run: fix the highlighted settings in the sidebar.")
    st.stop()

if tab != "race":
    try:
        hyper_view(state)
    except ValueError as exc:  # a rule that needs the whole run, or a budget
        st.error(str(exc))
    st.stop()

try:
    race = compute(run)
except ValueError as exc:  # a rule that needs the whole run, e.g. one_cycle's total_steps >= steps
    st.error(str(exc))
    st.stop()
CHART_CONFIG = {"scrollZoom": False,   # livechart adds displaylogo: False
                "toImageButtonOptions": {"format": "png", "scale": 3, "filename": f"{surface.name}-race"}}
if companion is None:
    fig = main_figure(run, view.view, view.speed, view.present, not view.full_paths, view.vectors,
                      scrub_racer(run, view))
    side = lesson is not None and lesson.table
    map_col, side_col = st.columns([2, 1]) if side else (st.container(), None)
    with map_col:
        event = livechart.plotly_chart(fig, key="chart", config=CHART_CONFIG, keys=view.present)
    if side:
        with side_col:
            lesson_table(run, race)
    if isinstance(surface, landscapes.DataSurface):   # the data panel is the figure's right part
        batches = ", ".join(f"{i + 1}: {'full' if r.batch_size is None else r.batch_size}"
                            for i, r in enumerate(run.racers))
        st.caption(f"Data panel (right): the N = {surface.n_samples} samples and each optimizer's model at "
                   f"the animated step; Play and the step slider move it with the map. "
                   f"Batch size per optimizer: {batches}.")
else:  # a lesson that compares two races: both maps side by side
    left_map, right_map = st.columns(2)
    with left_map:
        st.markdown(f"**{surface.title} at {lesson.captions[0]}**")
        fig = main_figure(run, "2d", view.speed, view.present, not view.full_paths, view.vectors,
                          scrub_racer(run, view))
        event = livechart.plotly_chart(fig, key="chart", config=CHART_CONFIG, keys=view.present)
    with right_map:
        st.markdown(f"**{surface.title} at {lesson.captions[1]}**")
        livechart.plotly_chart(main_figure(companion, "2d", view.speed, view.present, not view.full_paths),
                               key="chart2", config=CHART_CONFIG)
released = scrub.released(run, event["scrub"]) if event and "scrub" in event else None
if released is not None:   # a released scrub slider: the value becomes the racer's setting
    i, param, value = released
    SS["_pending_hp"] = _racer_hp_keys(i, run.racers[i].choice.name, {param: value})
    st.rerun()
pick = picked(event, fig)
if pick is not None:   # a click arrives once (livechart)
    kind, value = pick
    if kind == "step" and 0 <= value[0] < len(race):
        SS["_pending_step"] = value
        st.rerun()
    elif kind == "start" and value != run.start:
        SS["_pending_start"] = value
        st.rerun()

if lesson is not None and view.present:
    lesson_claims(lesson)
if lesson is not None and lesson.coordinates:
    livechart.plotly_chart(coordinates_figure(run, view.present), key="coords")

st.dataframe(results.results_table(run, race), hide_index=True, width="stretch",
             column_config={"lr": st.column_config.NumberColumn(format="%.4g"),
                            "noise σ": st.column_config.NumberColumn(format="%.4g")})
for r in race:
    if r["status"] in ("diverged", "escaped"):
        (st.warning if r["status"] == "diverged" else st.info)(f"**{r['label']}** {r['message']}.")

left, right = st.columns([3, 2])
with left:
    livechart.plotly_chart(loss_figure(run, view.log_loss, view.present, scrub_racer(run, view)), key="loss",
                           config={"toImageButtonOptions": {"format": "png", "scale": 3,
                                                            "filename": f"{surface.name}-loss"}})
with right:
    st.markdown(f"**{surface.title}**: {surface.lesson}")
    if surface.note:
        st.caption(surface.note)
surface_formula(surface.latex)

with st.expander("Update rules of the racing optimizers", expanded=not view.present):
    for name in dict.fromkeys(r.choice.name for r in run.racers):  # each rule once
        opt = optimizers.get(name)
        dots = "".join(f"<span style='color:{figures.colour(i)}'>●</span>"
                       for i, r in enumerate(run.racers) if r.choice.name == name)
        st.markdown(f"{dots} **{opt.title}** ({opt.name})", unsafe_allow_html=True)
        st.latex(opt.latex)
        st.caption(f"{opt.description} Convention: {opt.convention}")

with st.expander("Step inspector: the numbers behind every step (or click a point of a path)",
                 expanded=SS.get("inspect_open", False)):
    names = [f"{i + 1}. {r.name}" for i, r in enumerate(run.racers)]
    c1, c2 = st.columns([1, 3])
    if SS.get("inspect_racer") not in range(len(names)):
        SS["inspect_racer"] = 0
    which = c1.selectbox("optimizer", range(len(names)), format_func=names.__getitem__, key="inspect_racer")
    res = race[which]
    last = max(len(res["losses"]) - 1, 0)
    SS["inspect_step"] = min(int(SS.get("inspect_step", 1)), max(last, 1))
    k = c2.slider("step", 0, max(last, 1), key="inspect_step", disabled=last == 0)
    st.dataframe(results.step_table(res, min(k, last)) + step_vectors.inspector_rows(res, min(k, last)),
                 hide_index=True, width="stretch")

theory_panel(run, race)

with st.expander("Download and share", expanded=False):
    st.caption("The page's address is a share link: it reopens exactly this view. "
               "The camera icon on a figure saves a PNG at 3× resolution.")
    d1, d2, d3 = st.columns(3)
    d1.download_button("Trajectories (CSV)", lambda: exports.trajectories_csv(run, race),
                       file_name=f"{surface.name}-trajectories.csv", mime="text/csv", key="dl_csv",
                       on_click="ignore")
    d2.download_button("Trajectories (JSON)", lambda: exports.trajectories_json(run, race),
                       file_name=f"{surface.name}-trajectories.json", mime="application/json",
                       key="dl_json", on_click="ignore")
    d3.download_button("Interactive figure (HTML)", lambda: exports.figure_html(fig),
                       file_name=f"{surface.name}-race.html", mime="text/html", key="dl_html",
                       on_click="ignore")
    e1, e2, e3 = st.columns(3)
    if exports.static_export_available():
        e1.download_button("Figure (SVG)", lambda: exports.figure_image(run, race, "svg"),
                           file_name=f"{surface.name}-race.svg", mime="image/svg+xml",
                           key="dl_svg", on_click="ignore")
        e2.download_button("Figure (PNG, 3×)", lambda: exports.figure_image(run, race, "png"),
                           file_name=f"{surface.name}-race.png", mime="image/png", key="dl_png",
                           on_click="ignore")
    else:
        e1.info(exports.NO_BROWSER_MESSAGE)
    with e3:
        if st.button("Render animated GIF", key="gif_go"):
            bar = st.progress(0.0, text="rendering GIF…")
            SS["gif"] = exports.animation_gif(
                run, race, progress=lambda f: bar.progress(f, text=f"rendering GIF… {f:.0%}"))
            SS["gif_for"] = run
            bar.empty()
        if SS.get("gif") is not None and SS.get("gif_for") == run:
            st.download_button("Animated GIF", SS["gif"], file_name=f"{surface.name}-race.gif",
                               mime="image/gif", key="dl_gif", on_click="ignore")

if errors:
    st.sidebar.error("Some settings are invalid; those optimizers are not shown.")
