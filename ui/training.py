"""The training view: the same optimizers train a real network in all its weights
(``training/view.py``), drawn over the principal plane of their paths."""
from __future__ import annotations

import streamlit as st

import livechart
import training.cli as training_cli
import training.view as training_view
from state import AppState


def training_panel(state: AppState) -> None:
    """The trajectory plot, the 1-D interpolation, the loss curves, the table and the JSON download."""
    view = state.view
    try:
        tv = training_view.training_view(training_view.config_for_race(state.run), view=view.view,
                                         presentation=view.present, speed=view.speed)
    except ValueError as exc:
        st.error(str(exc))
        return
    st.caption(f"These optimizers train a {tv.run.theta0.size}-weight network on {tv.run.config.n} two-moons points "
               f"for {tv.run.config.steps} steps (the surface and start do not apply); {tv.axis_titles[0]}, "
               f"{tv.axis_titles[1]} of the paths' variance.")
    livechart.plotly_chart(tv.figure, key="training_chart")
    st.plotly_chart(tv.interpolation, width="stretch")
    st.plotly_chart(tv.loss, width="stretch")
    st.dataframe(tv.rows)
    st.download_button("Download the training run (JSON: data, θ₀, losses, plane)", training_cli.report_json(tv),
                       file_name="training-run.json", mime="application/json", on_click="ignore")
