"""The training view: the same optimizers train a real network in all its weights
(``training/view.py``), drawn over the principal plane of their paths; its own settings
(task, network, steps, batch sizes), its lesson's claims and its downloads."""
from __future__ import annotations

import streamlit as st

import exports
import livechart
import training.cli as training_cli
import training.exports as training_exports
import training.view as training_view
from config import RunConfig
from links import TRAINING_N
from state import TRAINING_TASKS, AppState, TrainingOptions
from training import network, tasks
from training.train import MAX_LAYERS, MAX_STEPS, MAX_WIDTH
from ui import keys
from ui.lesson_panel import lesson_claims

SS = st.session_state


def training_title(run: RunConfig, options: TrainingOptions) -> str:
    """The stage's title on the training view: the task and the network (``Two moons: a
    2 → 16 → 16 → 2 tanh network``; the racers are named by the legend: with them the
    title took three lines at 1600 px and pushed Play below the fold)."""
    sizes = network.sizes_of(options.hidden)
    return f"{tasks.get(options.task).title}: a {' → '.join(map(str, sizes))} tanh network"


def training_controls(n_racers: int, place, options: TrainingOptions, present: bool = False) -> None:
    """The task, the network's hidden layers and width, the training steps and each racer's
    batch size (their values are read by ``ui.setup.training_options``), in a popover
    beside the view switch (on the stage: in the header), labelled with the settings: a
    row of its own pushed Play below the fold at 1600x1000."""
    if present:
        box = place.popover("", icon=":material/tune:", help="Task, network, steps and batch sizes")
    else:
        batches = sum(options.batch(i) is not None for i in range(n_racers))
        box = place.popover(f"{tasks.get(options.task).title} · {options.layers} × {options.width} · "
                            f"{options.steps} steps" + (f" · {batches} on mini-batches" if batches else ""),
                            icon=":material/tune:", width="stretch",
                            help="The training view's own settings: task, network, steps and batch sizes")
    with box:
        st.selectbox("Task", TRAINING_TASKS, key=keys.NET["task"], format_func=lambda t: tasks.get(t).title,
                     help="The data set the network learns to classify: " + "; ".join(
                         f"{tasks.get(t).title}: {tasks.get(t).lesson}" for t in TRAINING_TASKS) + ".")
        c1, c2 = st.columns(2)
        c1.number_input("Hidden layers", min_value=1, max_value=MAX_LAYERS, key=keys.NET["layers"],
                        help=f"1 to {MAX_LAYERS} hidden tanh layers.")
        c2.number_input("Width", min_value=1, max_value=MAX_WIDTH, key=keys.NET["width"],
                        help=f"Units per hidden layer, 1 to {MAX_WIDTH} (at most 5,000 weights in all).")
        st.number_input("Training steps", min_value=1, max_value=MAX_STEPS, key=keys.NET["steps"], step=50,
                        help=f"1 to {MAX_STEPS:,} (the sidebar's steps are the 2-D race's).")
        st.caption(f"Batch size per racer: 1 … N = {TRAINING_N} (N: the full batch), drawn as "
                   "DataLoader(shuffle=True) draws them.")
        for i in range(n_racers):
            st.number_input(f"Racer {i + 1}: batch size", min_value=1, max_value=TRAINING_N, key=keys.net_batch(i))


def training_panel(state: AppState, lesson=None, place=None) -> None:
    """The settings, the trajectory plot, the lesson's checked claims, the 1-D interpolation,
    the loss curves, the table and the downloads."""
    view = state.view
    training_controls(len(state.run.racers), place if place is not None else st.container(), state.training,
                      view.present)
    try:
        tv = training_view.training_view(training_view.config_for_state(state.run, state.training),
                                         view=view.view, presentation=view.present, speed=view.speed)
    except ValueError as exc:
        st.error(str(exc))
        return
    cfg = tv.run.config
    config = {"scrollZoom": False, "toImageButtonOptions": {"format": "png", "scale": 3,
                                                            "filename": f"training-{cfg.task}"}}
    livechart.plotly_chart(tv.figure, key="training_chart", config=config, keys=view.present)
    st.caption(f"The sidebar's optimizers train all {tv.run.theta0.size} weights of the network on {cfg.n} "
               f"{tasks.get(cfg.task).title.lower()} points for {cfg.steps} steps from one θ₀ (the surface, "
               f"start and gradient noise do not apply); the map is the loss on the plane of their paths: "
               f"{tv.axis_titles[0]}, {tv.axis_titles[1]} of the paths' variance. Right: each racer's decision "
               f"boundary at the animated step.")
    if lesson is not None and getattr(lesson, "tab", "race") == "training":
        lesson_claims(lesson)
    left, right = st.columns(2)
    with left:
        livechart.plotly_chart(tv.loss, key="training_loss")
    with right:
        st.plotly_chart(tv.interpolation, width="stretch")
    st.dataframe(tv.rows)
    training_downloads(tv)


def training_downloads(tv) -> None:
    """The run as JSON and CSV, the figure as HTML, SVG and PNG (as the race offers them)."""
    run, plane = tv.run, tv.plane
    name = f"training-{run.config.task}"
    with st.expander("Download and share", expanded=False):
        st.caption("The page's address is a share link: it reopens exactly this view.")
        d1, d2, d3 = st.columns(3)
        d1.download_button("Losses and paths (CSV)", lambda: training_exports.paths_csv(run, plane),
                           file_name=f"{name}-paths.csv", mime="text/csv", key="dl_train_csv", on_click="ignore")
        d2.download_button("Training run (JSON: data, θ₀, losses, plane)", lambda: training_cli.report_json(tv),
                           file_name="training-run.json", mime="application/json", key="dl_train_json",
                           on_click="ignore")
        d3.download_button("Interactive figure (HTML)", lambda: training_exports.figure_html(run, plane),
                           file_name=f"{name}.html", mime="text/html", key="dl_train_html", on_click="ignore")
        e1, e2, _ = st.columns(3)
        if exports.static_export_available():
            e1.download_button("Figure (SVG)", lambda: training_exports.figure_image(run, plane, "svg"),
                               file_name=f"{name}.svg", mime="image/svg+xml", key="dl_train_svg", on_click="ignore")
            e2.download_button("Figure (PNG, 3×)", lambda: training_exports.figure_image(run, plane, "png"),
                               file_name=f"{name}.png", mime="image/png", key="dl_train_png", on_click="ignore")
        else:
            e1.info(exports.NO_BROWSER_MESSAGE)
