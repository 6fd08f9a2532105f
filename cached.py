"""Streamlit's caches of the app's computations and figures, shared by every session.

They live here, not in ``app.py``: the script runs again on every rerun, and a
``st.cache_*`` decorator executed there re-reads and hashes its function's
source each time (about 5 ms a rerun for these nine). Here they are defined
once per process. Everything they call is pure (no Streamlit).
"""
from __future__ import annotations

import gc
import threading
from dataclasses import replace

import streamlit as st

import engine
import engine.compiled
import experiments
from figures import views
import figures
import lessons
import results
import config
import scrub
from config import RunConfig
from figures import prepared

# The compiled engine's kernels load (or compile) in a background thread when the
# server process first imports this module; runs use NumPy until they are ready.
engine.compiled.warm_up_in_background()

# --- Python's garbage collector in a server process ------------------------------------
# The cyclic collector walks every live list, dict and object of a generation. With the
# app's modules loaded a process holds ~420,000 of them (Streamlit, Plotly, pandas, numba):
# every full collection walked them all, ~150-180 ms with the GIL held (so every session of
# the process waited), ~8 ms per script run on average at the class pace. What is loaded at
# start-up stays: it is moved out of the collector's sight (``gc.freeze``) once now and once
# after the first page (``settle``), and young objects are collected every 20,000
# allocations instead of 700, so the few thousand a figure is built from are not promoted
# to older generations while it is being built. Measured (the class workload, one
# process): collector time per script run 7.6 -> 1.3 ms, the longest pause ~150 -> ~7 ms.
# Reference counting frees everything as before; only cycles wait for a collection.
GC_THRESHOLDS = (20_000, 20, 10)
_settled = threading.Event()


def _freeze() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def settle() -> None:
    """After a page is drawn, once per process (when the compiled kernels are loaded, or
    cannot be): what start-up left is frozen out of the collector's sight."""
    if _settled.is_set() or (engine.compiled.K is None and engine.compiled.available()):
        return
    _settled.set()
    _freeze()


_freeze()

# --- cached computation and figures (shared by every session; see README "Serving a large class")
# Each racer is cached alone, so changing one racer recomputes only that one; so is
# its part of the race figure; the figures are cached as finished, JSON-ready dicts
# (figures.prepared), so a rerun that changes nothing rebuilds and re-encodes nothing.
# Bounds, entries x the largest entry (measured by `python bench/bench_serve.py --sizes`;
# the largest run allowed is 6 racers x 10,000 steps): racer results 128 x 1.2 MB
# (0.06 MB at 500 steps) <= 154 MB; racer figure parts 128 x 0.46 MB <= 59 MB; main
# figures, kept as their JSON, 40 x 1.13 MB (0.89 MB for the default view) <= 45 MB; loss
# figures 40 x 1.03 MB <= 41 MB; and the finished traces figures.prepared keeps by content
# <= 48 MB. At most ~350 MB in all; about 110 MB with default-sized runs.
RACER_ENTRIES, FIGURE_ENTRIES, PART_ENTRIES = 128, 40, 128
KEY = {RunConfig: repr}  # a frozen dataclass of names and numbers: its repr is a cheap, exact key


@st.cache_data(max_entries=RACER_ENTRIES, show_spinner=False, hash_funcs=KEY)
def racer_result(key: RunConfig, seed: int, _run: RunConfig, _i: int) -> dict:
    """Racer ``_i`` of ``_run``, cached under what decides it alone: ``key`` (the
    run with only that racer, at its start, seed 0) and its noise seed."""
    return results.racer_result(_run, _i)


def compute(run: RunConfig) -> list[dict]:
    """``results.run_results(run)``, racer by racer through the cache."""
    starts = [run.racer_start(i) for i in range(len(run.racers))]
    labels = results.racer_labels(run.racers, starts)
    return [{**racer_result(replace(run, racers=(r,), start=starts[i], seed=0), run.seed + i, run, i),
             "label": labels[i]} for i, r in enumerate(run.racers)]


@st.cache_resource(max_entries=PART_ENTRIES, show_spinner=False,
                   hash_funcs={figures.SurfaceGrids: lambda g: g.digest, figures.PathView: lambda p: p.digest,
                               figures.RaceSetup: repr})
def racer_part(grids: figures.SurfaceGrids, path: figures.PathView, setup: figures.RaceSetup):
    """One racer's traces and frames (``figures.racer_part``), cached by what they
    are drawn from: a figure redrawn because another racer changed reuses them."""
    return figures.racer_part(grids, path, setup)


@st.cache_resource(max_entries=FIGURE_ENTRIES, show_spinner=False, hash_funcs=KEY)
def main_figure(run: RunConfig, view: str, speed: str, present: bool, trails: bool = True,
                caption: str = "", vectors: bool = False, scrub_racer: int = -1) -> prepared.Prepared:
    """The race figure, for the chart component (``livechart``; see
    ``figures.prepared.prepare_stable``). ``caption``: which of a lesson's two races this is,
    added to every racer's label (``gd lr=0.5 at 45°``); ``vectors``: each step's vectors on
    the map; ``scrub_racer`` (0-based, -1 none): that racer's scrub sliders (``scrub.py``)."""
    race = lessons.captioned(compute(run), caption) if caption else compute(run)
    fams = scrub.families(run, scrub_racer) if scrub_racer >= 0 else []
    return prepared.prepare_stable(views.trajectory_figure_for(
        run, race, view=view, speed=speed, presentation=present, trails=trails, raw=True,
        part=racer_part, vectors=vectors, scrub=fams or None))


@st.cache_resource(max_entries=FIGURE_ENTRIES, show_spinner=False, hash_funcs=KEY)
def loss_figure(run: RunConfig, log: bool, present: bool, scrub_racer: int = -1) -> prepared.Prepared:
    return prepared.prepare_stable(views.loss_figure_with_theory(
        run, compute(run), log=log, presentation=present, raw=True,
        scrub=scrub_racer if scrub_racer >= 0 and scrub.available(run, scrub_racer) is None else None))


SWEEP_COUNT = 200       # learning rates per optimizer in a sweep
HEATMAP_SIZE = 60       # learning rates × momentum (or β₁) values in a heat map


# --- long computations stop when nobody waits for them ---------------------------------
# A sweep, heat map or basin map can take seconds to a minute. The core asks a plain
# ``should_stop`` before every step; here it says whether this page's script run was
# asked to stop (its tab closed: Streamlit requests a stop when the websocket goes) or
# to run again (a new value), so the thread is free within one step (~ms) of it.

def nobody_waits():
    """``should_stop`` for the core: True once the current script run has a
    pending stop or rerun, or its session is gone (None outside a script run)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType

    ctx = get_script_run_ctx(suppress_warning=True)
    requests = getattr(ctx, "script_requests", None)
    if ctx is None or requests is None:
        return None
    session_id = ctx.session_id
    runtime = Runtime.instance() if Runtime.exists() else None

    def should_stop() -> bool:
        if getattr(requests, "_state", ScriptRequestType.CONTINUE) != ScriptRequestType.CONTINUE:
            return True
        return runtime is not None and not runtime.is_active_session(session_id)

    return should_stop


def _stoppable(cached_fn, *args):
    """``cached_fn(*args)``; when it stopped because nobody waits, let Streamlit act
    on the pending stop or rerun now (an element enqueued: the runner raises there)."""
    try:
        return cached_fn(*args)
    except engine.Cancelled:
        st.empty()  # Streamlit raises its StopException / RerunException here
        raise


@st.cache_data(max_entries=16, show_spinner=False)
def _sweeps(run: RunConfig, lo: float, hi: float) -> list:
    return experiments.sweep_racers(run, lo, hi, SWEEP_COUNT, should_stop=nobody_waits())


@st.cache_data(max_entries=16, show_spinner=False)
def _heatmap(run: RunConfig, i: int, lo: float, hi: float):
    return experiments.heatmap(run.get_surface(), run.racers[i].choice, run.racer_start(i), lo, hi, HEATMAP_SIZE,
                               run.steps, **experiments.racer_args(run, i), should_stop=nobody_waits())


@st.cache_data(max_entries=8, show_spinner=False)
def _basins(run: RunConfig, i: int, resolution: int):
    return experiments.basins(run.get_surface(), run.racers[i].choice, run.steps, resolution,
                              **experiments.racer_args(run, i), should_stop=nobody_waits())


def compute_sweeps(run: RunConfig, lo: float, hi: float) -> list:
    return _stoppable(_sweeps, run, lo, hi)


def compute_heatmap(run: RunConfig, i: int, lo: float, hi: float):
    return _stoppable(_heatmap, run, i, lo, hi)


def compute_basins(run: RunConfig, i: int, resolution: int):
    return _stoppable(_basins, run, i, resolution)


@st.cache_data(max_entries=64, show_spinner=False)
def lesson_verdicts(key: str) -> list[tuple[str, str, bool]]:
    _, _, verdicts = lessons.check(lessons.LESSONS[key])
    return [(v.text, v.measured, v.holds) for v in verdicts]


@st.cache_resource(max_entries=16, show_spinner=False)
def coordinates_figure(run: RunConfig, present: bool):
    return prepared.prepare_stable(figures.coordinates_figure(views.paths_for(compute(run)),
                                                              presentation=present))


# --- number controls' values as the client sent them ----------------------------------
# Streamlit converts a number control's value before the script runs: int(NaN), a text
# or a list raise on the page; an out-of-range value silently becomes the control's
# default (steps 10001 -> 1, lr 1e308 -> 0). A modified client can send any of these.
# So the incoming widget states are screened first (a wrapper of Streamlit's
# SessionState.on_script_will_rerun): an invalid number is taken out (the control keeps
# its value) and kept as sent, for ui.sanitize.sanitize_widget_state to name in a message
# and reset. If Streamlit's internals differ, nothing is wrapped (the converted values
# are still checked).

def _number_serde(meta):
    serde = getattr(meta.deserializer, "__self__", None)
    return serde if type(serde).__name__ == "NumberInputSerde" else None


def _screen(state, widget_states) -> dict:
    """Take invalid number-control values out of ``widget_states``; return them by key."""
    from streamlit.proto.NumberInput_pb2 import NumberInput

    bad = {}
    metadata = state._new_widget_state.widget_metadata
    keys = state._key_id_mapper.id_key_mapping
    keep = []
    for w in widget_states.widgets:
        meta = metadata.get(w.id)
        serde = _number_serde(meta) if meta is not None else None
        if serde is None:
            keep.append(w)
            continue
        field = w.WhichOneof("value")
        value = getattr(w, field) if field else None
        if hasattr(value, "data"):
            value = list(value.data)
        whole = serde.data_type == NumberInput.INT
        ok = field in ("double_value", "int_value") and config.number_ok(
            value, serde.min_value, serde.max_value, whole)
        if ok or (value is None and serde.value is None):
            keep.append(w)
        else:
            bad[keys.get(w.id, w.id)] = value
    if bad:
        del widget_states.widgets[:]
        widget_states.widgets.extend(keep)
    return bad


_SENT = threading.local()


def _install_number_screen() -> None:
    try:
        from streamlit.runtime.state.session_state import SessionState
    except ImportError:  # pragma: no cover
        return
    original = SessionState.on_script_will_rerun
    if getattr(original, "_lls_screen", False):
        return

    def on_script_will_rerun(self, fresh_widget_states, *args, **kwargs):
        sent = {}
        if fresh_widget_states is not None:
            try:
                sent = _screen(self, fresh_widget_states)
            except Exception:  # noqa: BLE001 - a guard; never the cause of a failed rerun
                sent = {}
        _SENT.values = sent  # read by this script thread's run (it runs right after this)
        return original(self, fresh_widget_states, *args, **kwargs)

    on_script_will_rerun._lls_screen = True
    SessionState.on_script_will_rerun = on_script_will_rerun


_install_number_screen()


def sent_widget_values() -> dict:
    """The invalid values a client sent for number controls in this rerun, by key, as
    sent (taken out before Streamlit converted them): for
    ``ui.sanitize.sanitize_widget_state`` to name and reset."""
    sent = getattr(_SENT, "values", None) or {}
    _SENT.values = {}
    return dict(sent)
