"""One parameter input, drawn from the parameter's descriptor.

An optimizer's hyperparameter (``optimizers.base.Hyper``: kind "float", "int" or
"bool") and a schedule's parameter (``Hyper``, ``schedules.Choice``: "choice",
``schedules.Milestones``: "int_list") describe themselves: default, range, choices,
doc. ``param_input`` draws the widget that kind needs, holding the value as
``ui.sanitize.widget_value`` writes it and ``ui.sanitize.holds`` accepts it.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from ui.sanitize import MAX_LIST_CHARS, holds, widget_value

SS = st.session_state


def param_input(label: str, key: str, h):
    """The input of one parameter (its state under ``key``, its default until set);
    returns its value as typed (numbers, words, flags, a list's text)."""
    if key not in SS or not holds(h, SS[key]):
        SS[key] = widget_value(h, h.default)
    if h.kind == "bool":
        return st.checkbox(label, key=key, help=h.doc)
    if h.kind == "choice":
        return st.selectbox(label, h.choices, key=key, help=h.doc)
    if h.kind == "int_list":
        return st.text_input(label, key=key, max_chars=MAX_LIST_CHARS, help=f"{h.doc} ({h.describe_range()})")
    return st.number_input(label, key=key, format="%.6g", help=f"{h.doc} Valid range {h.describe_range()}.",
                           min_value=float(h.low) if np.isfinite(h.low) else None,
                           max_value=float(h.high) if np.isfinite(h.high) else None)
