"""One parameter input, drawn from the parameter's descriptor.

An optimizer's hyperparameter (``optimizers.base.Hyper``: kind "float", "int" or
"bool") and a schedule's parameter (``Hyper``, ``schedules.Choice``: "choice",
``schedules.Milestones``: "int_list") describe themselves: default, range, choices,
doc. ``param_input`` draws the widget that kind needs; ``widget_value`` and
``holds`` are the value as the widget keeps it and the check of one (used when a
state is loaded into the widgets and by ``ui.sanitize``).
"""
from __future__ import annotations

import math

import numpy as np
import streamlit as st

from optimizers import schedules

SS = st.session_state
MAX_LIST_CHARS = 400   # a milestone list's text field


def number_ok(value, low: float, high: float, whole: bool = False) -> bool:
    """A widget's number: a finite int or float (not a bool) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return bool(math.isfinite(value) and low <= value <= high and (not whole or float(value).is_integer()))


def widget_value(h, value):
    """``value`` as the widget of descriptor ``h`` holds it: a list as its text, a word or
    flag as it is, a number as a float."""
    if h.kind == "int_list":
        return schedules.format_value(value)
    return value if h.kind in ("choice", "bool") else float(value)


def holds(h, value) -> bool:
    """Whether ``value`` can be the state of the widget of descriptor ``h`` (a list's
    text is checked by its schedule, with a message, not here)."""
    if h.kind == "choice":
        return isinstance(value, str) and value in h.choices
    if h.kind == "bool":
        return isinstance(value, bool)
    if h.kind == "int_list":
        return isinstance(value, str) and len(value) <= MAX_LIST_CHARS
    return number_ok(value, -math.inf, math.inf)


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
