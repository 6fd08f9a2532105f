"""The race: the map and 3-D view (or a lesson's two maps), what a click on them picks,
the results table, the loss plot, the surface's formula and the update rules."""
from __future__ import annotations

import numpy as np
import streamlit as st

import engine
import figures
import landscapes
import lessons
import livechart
import optimizers
import scrub
from cached import compute, coordinates_figure, loss_figure, main_figure
from config import RunConfig
from figures import prepared
from state import ViewOptions
from ui import keys
from ui.lesson_panel import lesson_claims, lesson_table

SS = st.session_state


def race_charts(run: RunConfig, view: ViewOptions, lesson: lessons.Lesson | None, companion: RunConfig | None,
                race: list[dict]):
    """The race figure (beside it a lesson's table, or a lesson's second race); returns the
    figure and the click it reported."""
    surface = run.get_surface()
    config = {"scrollZoom": False,   # livechart adds displaylogo: False
              "toImageButtonOptions": {"format": "png", "scale": 3, "filename": f"{surface.name}-race"}}
    trails = not view.full_paths
    scrubbed = scrub_racer(run, view)
    if companion is None:
        fig = main_figure(run, view.view, view.speed, view.present, trails, "", view.vectors, scrubbed)
        side = lesson is not None and lesson.table
        map_col, side_col = st.columns([2, 1]) if side else (st.container(), None)
        with map_col:
            event = livechart.plotly_chart(fig, key="chart", config=config, keys=view.present)
        if side:
            with side_col:
                lesson_table(run, race)
        if isinstance(surface, landscapes.DataSurface):   # the data panel is the figure's right part
            batches = ", ".join(f"{i + 1}: {'full' if r.batch_size is None else r.batch_size}"
                                for i, r in enumerate(run.racers))
            st.caption(f"Data panel (right): the N = {surface.n_samples} samples and each optimizer's model at "
                       f"the animated step; Play and the step slider move it with the map. "
                       f"Batch size per optimizer: {batches}.")
        return fig, event
    left_map, right_map = st.columns(2)   # a lesson that compares two races: both maps side by side
    with left_map:
        st.markdown(f"**{surface.title} at {lesson.captions[0]}**")
        fig = main_figure(run, "2d", view.speed, view.present, trails, lesson.captions[0], view.vectors, scrubbed)
        event = livechart.plotly_chart(fig, key="chart", config=config, keys=view.present)
    with right_map:
        st.markdown(f"**{surface.title} at {lesson.captions[1]}**")
        livechart.plotly_chart(main_figure(companion, "2d", view.speed, view.present, trails, lesson.captions[1]),
                               key="chart2", config=config)
    return fig, event


def scrub_racer(run: RunConfig, view: ViewOptions) -> int:
    """The racer (0-based) whose scrub sliders the race figure carries, or -1."""
    i = view.scrub - 1
    return i if 0 <= i < len(run.racers) and scrub.available(run, i) is None else -1


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


def follow_click(event, fig, run: RunConfig, race: list[dict]) -> None:
    """A click on a path opens its step in the inspector; elsewhere on the map it moves the
    start (both set before the widgets exist: a rerun). A click arrives once (livechart).
    A released scrub slider makes its value the racer's setting."""
    released = scrub.released(run, event["scrub"]) if event and "scrub" in event else None
    if released is not None:
        i, param, value = released
        SS["_pending_hp"] = keys.racer_values(i, run.racers[i].choice.name, {param: value})
        st.rerun()
    pick = picked(event, fig)
    if pick is None:
        return
    kind, value = pick
    if kind == "step" and 0 <= value[0] < len(race):
        SS["_pending_step"] = value
        st.rerun()
    elif kind == "start" and value != run.start:
        SS["_pending_start"] = value
        st.rerun()


def lesson_extras(run: RunConfig, view: ViewOptions, lesson: lessons.Lesson | None) -> None:
    """A lesson's claims below the figure and its x, y against the step."""
    if lesson is not None:
        lesson_claims(lesson)
    if lesson is not None and lesson.coordinates:
        livechart.plotly_chart(coordinates_figure(run, view.present), key="coords")


def results_panel(run: RunConfig, race: list[dict], lesson: lessons.Lesson | None = None,
                  companion: RunConfig | None = None) -> None:
    """The results table (of both races, for a lesson that draws two), and where and why a run stopped."""
    table = lessons.race_table(lesson, run, race, companion, companion and compute(companion))
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"lr": st.column_config.NumberColumn(format="%.4g"),
                                "noise σ": st.column_config.NumberColumn(format="%.4g")})
    for r in race:
        if engine.stopped(r["status"]):
            (st.warning if r["status"] == "diverged" else st.info)(f"**{r['label']}** {r['message']}.")


def loss_panel(run: RunConfig, view: ViewOptions) -> None:
    """Loss against step beside what the surface teaches; its formula below."""
    surface = run.get_surface()
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


def update_rules(run: RunConfig, present: bool) -> None:
    """Each racing optimizer's update rule (once), in LaTeX, with its colour dots."""
    with st.expander("Update rules of the racing optimizers", expanded=not present):
        for name in dict.fromkeys(r.choice.name for r in run.racers):  # each rule once
            opt = optimizers.get(name)
            dots = "".join(f"<span style='color:{figures.colour(i)}'>●</span>"
                           for i, r in enumerate(run.racers) if r.choice.name == name)
            st.markdown(f"{dots} **{opt.title}** ({opt.name})", unsafe_allow_html=True)
            st.latex(opt.latex)
            st.caption(f"{opt.description} Convention: {opt.convention}")
