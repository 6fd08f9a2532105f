"""Streamlit's caches of the app's computations and figures, shared by every session.

They live here, not in ``app.py``: the script runs again on every rerun, and a
``st.cache_*`` decorator executed there re-reads and hashes its function's
source each time (about 5 ms a rerun for these nine). Here they are defined
once per process. Everything they call is pure (no Streamlit).
"""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

import experiments
import exports
import figures
import lessons
import results
import scrub
from config import RunConfig
from figures import prepared

# --- cached computation and figures (shared by every session; see README "Serving a large class")
# Each racer is cached alone, so changing one racer recomputes only that one; so is
# its part of the race figure; the figures are cached as finished, JSON-ready dicts
# (figures.prepared), so a rerun that changes nothing rebuilds and re-encodes nothing.
# Bounds, entries x the largest entry (measured by `python bench/bench_serve.py --sizes`;
# the largest run allowed is 6 racers x 10,000 steps): racer results 128 x 1.2 MB
# (0.06 MB at 500 steps) <= 154 MB; racer figure parts 128 x 0.45 MB <= 58 MB; main
# figures 40 x 3.1 MB held (2.8 MB for the default view) <= 124 MB; loss figures
# 40 x 1.8 MB <= 72 MB. At most ~410 MB in all; about 100 MB with default-sized runs.
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
                vectors: bool = False, scrub_racer: int = -1) -> prepared.Prepared:
    """The race figure, for the chart component (``livechart``; see
    ``figures.prepared.prepare_stable``); ``vectors``: each step's vectors on the map;
    ``scrub_racer`` (0-based, -1 none): that racer's scrub sliders (``scrub.py``)."""
    fams = scrub.families(run, scrub_racer) if scrub_racer >= 0 else []
    return prepared.prepare_stable(exports.trajectory_figure_for(
        run, compute(run), view=view, speed=speed, presentation=present, trails=trails, raw=True,
        part=racer_part, vectors=vectors, scrub=fams or None))


@st.cache_resource(max_entries=FIGURE_ENTRIES, show_spinner=False, hash_funcs=KEY)
def loss_figure(run: RunConfig, log: bool, present: bool, scrub_racer: int = -1) -> prepared.Prepared:
    return prepared.prepare_stable(exports.loss_figure_with_theory(
        run, compute(run), log=log, presentation=present,
        scrub=scrub_racer if scrub_racer >= 0 and scrub.available(run, scrub_racer) is None else None))


SWEEP_COUNT = 200       # learning rates per optimizer in a sweep
HEATMAP_SIZE = 60       # learning rates × momentum (or β₁) values in a heat map


@st.cache_data(max_entries=16, show_spinner=False)
def compute_sweeps(run: RunConfig, lo: float, hi: float) -> list:
    return experiments.sweep_racers(run, lo, hi, SWEEP_COUNT)


@st.cache_data(max_entries=16, show_spinner=False)
def compute_heatmap(run: RunConfig, i: int, lo: float, hi: float):
    r = run.racers[i]
    return experiments.heatmap(run.get_surface(), r.choice, run.racer_start(i), lo, hi, HEATMAP_SIZE, run.steps,
                               schedule=r.schedule, noise=r.noise, seed=run.seed + i,
                               batch_size=r.batch_size, drop_last=r.drop_last)


@st.cache_data(max_entries=8, show_spinner=False)
def compute_basins(run: RunConfig, i: int, resolution: int):
    r = run.racers[i]
    return experiments.basins(run.get_surface(), r.choice, run.steps, resolution, schedule=r.schedule,
                              noise=r.noise, seed=run.seed + i, batch_size=r.batch_size, drop_last=r.drop_last)


@st.cache_data(max_entries=64, show_spinner=False)
def lesson_verdicts(key: str) -> list[tuple[str, str, bool]]:
    _, _, verdicts = lessons.check(lessons.LESSONS[key])
    return [(v.text, v.measured, v.holds) for v in verdicts]


@st.cache_resource(max_entries=16, show_spinner=False)
def coordinates_figure(run: RunConfig, present: bool):
    return prepared.prepare_stable(figures.coordinates_figure(exports.paths_for(compute(run)),
                                                              presentation=present))
