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
    """The stage's title on the training view: the task, the network and its racers
    (``Two moons, a 2 → 16 → 16 → 2 tanh network: adam lr=0.01, momentum lr=0.05``)."""
    cfg = training_view.config_for_state(run, options)
    sizes = network.sizes_of(cfg.hidden)
    labels = ", ".join(r.label() for r in cfg.racers) or "no optimizer"
    return f"{tasks.get(cfg.task).title}, a {' → '.join(map(str, sizes))} tanh network: {labels}"


def training_controls(n_racers: int, slot=None) -> None:
    """The task, the network's hidden layers and width, the training steps and each racer's
    batch size (their values are read by ``ui.setup.training_options``). Outside
    presentation mode a row above the figure; on the stage in a popover in the header."""
    box = st.container() if slot is None else slot.popover("", icon=":material/tune:", help="Training settings")
    with box:
        c = st.columns([2, 1, 1, 1, 2], vertical_alignment="bottom") if slot is None else [st] * 5
        c[0].selectbox("Task", TRAINING_TASKS, key=keys.NET["task"], format_func=lambda t: tasks.get(t).title,
                       help="The data set the network learns to classify: " + "; ".join(
                           f"{tasks.get(t).title}: {tasks.get(t).lesson}" for t in TRAINING_TASKS) + ".")
        c[1].number_input("Hidden layers", min_value=1, max_value=MAX_LAYERS, key=keys.NET["layers"],
                          help=f"1 to {MAX_LAYERS} hidden tanh layers.")
        c[2].number_input("Width", min_value=1, max_value=MAX_WIDTH, key=keys.NET["width"],
                          help=f"Units per hidden layer, 1 to {MAX_WIDTH} (at most 5,000 weights in all).")
        c[3].number_input("Steps", min_value=1, max_value=MAX_STEPS, key=keys.NET["steps"], step=50,
                          help=f"Training steps, 1 to {MAX_STEPS:,} (the sidebar's steps are the 2-D race's).")
        with c[4].popover("Batch sizes", help=f"Each racer's mini-batch: 1 … N = {TRAINING_N} "
                          "(N: the full batch), drawn as DataLoader(shuffle=True) draws them."):
            for i in range(n_racers):
                st.number_input(f"Racer {i + 1}: batch size (N = {TRAINING_N}: full batch)", min_value=1,
                                max_value=TRAINING_N, key=keys.net_batch(i))


def training_panel(state: AppState, lesson=None, slot=None) -> None:
    """The settings, the trajectory plot, the lesson's checked claims, the 1-D interpolation,
    the loss curves, the table and the downloads."""
    view = state.view
    training_controls(len(state.run.racers), slot)
    try:
        tv = training_view.training_view(training_view.config_for_state(state.run, state.training),
                                         view=view.view, presentation=view.present, speed=view.speed)
    except ValueError as exc:
        st.error(str(exc))
        return
    cfg = tv.run.config
    if not view.present:
        st.caption(f"These optimizers train a {tv.run.theta0.size}-weight network on {cfg.n} "
                   f"{tasks.get(cfg.task).title.lower()} points for {cfg.steps} steps (the surface and start do "
                   f"not apply); {tv.axis_titles[0]}, {tv.axis_titles[1]} of the paths' variance.")
    config = {"scrollZoom": False, "toImageButtonOptions": {"format": "png", "scale": 3,
                                                            "filename": f"training-{cfg.task}"}}
    livechart.plotly_chart(tv.figure, key="training_chart", config=config, keys=view.present)
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
