"""The step inspector: position, loss, gradient, update and optimizer state of one step."""
from __future__ import annotations

import streamlit as st

import results
from figures import step_vectors
from config import RunConfig

SS = st.session_state


def step_inspector(run: RunConfig, race: list[dict]) -> None:
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
