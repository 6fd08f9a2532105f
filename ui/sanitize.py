"""What a widget may hold, and what a modified client put in one (no Streamlit here).

A browser can send any value for any widget; Streamlit checks few of them. Before
the widgets are drawn, ``sanitize_widget_state`` resets each invalid one to a valid
value and says so (never an exception from a widget or a callback). ``widget_value``
and ``holds`` are a parameter's value as its widget keeps it and the check of one,
from the parameter's descriptor (``ui.params`` draws the widget).
"""
from __future__ import annotations

import math

import config
import landscapes
import optimizers
from optimizers import schedules
from optimizers.base import LR
from state import BASIN_RESOLUTIONS, DEFAULT, TABS, TRAINING_TASKS
from ui import keys

MAX_LIST_CHARS = 400   # a milestone list's text field


number_ok = config.number_ok   # a widget's number: a finite int or float (not a bool) in [low, high]


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



def _descriptor(part: str, owner: str, k: str):
    """The descriptor of a hyperparameter or schedule parameter key's parameter, or None."""
    registry = optimizers.REGISTRY if part == "hp" else schedules.REGISTRY
    item = registry.get(owner)
    if item is None:
        return None
    return (item.hyperparameters if part == "hp" else item.params).get(k)


def sanitize_widget_state(SS, sent=None) -> list[str]:
    """Reset each invalid value in the widget state ``SS`` (a mutable mapping:
    Streamlit's session state) to a valid one; returns one message per reset (never an
    exception from a widget or a callback). ``sent``: the values of number controls as
    the client sent them (before Streamlit converts or clamps them: NaN, text, a list)."""
    fixed: list[str] = []
    SS = config.SentValues(SS, sent)

    def reset(key: str, value, what: str) -> None:
        fixed.append(f"the control {what} held an invalid value {config.quote(SS.get(key))}; "
                     f"reset to {value!r}")
        SS[key] = value

    run, view, hyper = DEFAULT.run, DEFAULT.view, DEFAULT.hyper
    if SS.get("surface") not in landscapes.names():
        reset("surface", run.surface, "Surface")
    for key, low, high, whole, default in (
            ("steps", config.MIN_RACE_STEPS, config.MAX_STEPS, True, config.DEFAULT_STEPS),
            ("n_racers", 1, config.MAX_RACERS, True, 1), ("seed", 0, config.MAX_SEED, True, run.seed),
            ("x", -config.MAX_ABS_COORD, config.MAX_ABS_COORD, False, 0.0),
            ("y", -config.MAX_ABS_COORD, config.MAX_ABS_COORD, False, 0.0)):
        if key in SS and not number_ok(SS[key], low, high, whole):
            reset(key, default, key)
    from landscapes import formula  # the typed formula's text is checked by its parser; its domain here

    if "formula" in SS and not isinstance(SS["formula"], str):
        reset("formula", formula.DEFAULT_FORMULA, "f(x, y)")
    for key, default in zip(keys.DOMAIN, formula.DEFAULT_DOMAIN):
        if key in SS and not number_ok(SS[key], -formula.MAX_ABS_DOMAIN, formula.MAX_ABS_DOMAIN):
            reset(key, default, "domain " + key[4:])
    for key, valid, default in (("view", config.VIEWS, view.view), ("speed", config.SPEED_NAMES, view.speed)):
        if key in SS and SS[key] not in valid:
            reset(key, default, key)
    for i in range(config.MAX_RACERS):
        if keys.opt(i) in SS and SS[keys.opt(i)] not in optimizers.names():
            reset(keys.opt(i), "gd", f"optimizer {i + 1}")
        if keys.sched(i) in SS and SS[keys.sched(i)] not in schedules.names():
            reset(keys.sched(i), "constant", f"schedule {i + 1}")
        if keys.lr(i) in SS and not number_ok(SS[keys.lr(i)], 0.0, config.MAX_LR):
            reset(keys.lr(i), LR.default, f"learning rate {i + 1}")
        if keys.noise(i) in SS and not number_ok(SS[keys.noise(i)], 0.0, config.MAX_NOISE):
            reset(keys.noise(i), 0.0, f"noise {i + 1}")
        # a batch size outside 1..N is the batch control's own error message; a non-number is reset
        if keys.batch(i) in SS and not number_ok(SS[keys.batch(i)], -math.inf, math.inf):
            fixed.append(f"the control batch size {i + 1} held an invalid value "
                         f"{config.quote(SS.get(keys.batch(i)))}; reset to the full batch")
            del SS[keys.batch(i)]
        if keys.droplast(i) in SS and not isinstance(SS[keys.droplast(i)], bool):
            reset(keys.droplast(i), False, f"drop last {i + 1}")
    for key in list(SS.keys()):  # hyperparameters and schedule parameters, by their descriptors
        parsed = keys.parse_param(key)
        h = _descriptor(parsed[0], parsed[2], parsed[3]) if parsed else None
        if h is not None and not holds(h, SS[key]):
            reset(key, widget_value(h, h.default), f"{parsed[2]}.{parsed[3]}")
    # the hyperparameter views
    if "tab" in SS and SS["tab"] not in TABS:
        reset("tab", hyper.tab, "View")
    if "res" in SS and SS["res"] not in BASIN_RESOLUTIONS:
        reset("res", hyper.resolution, "start points per axis")
    if "hr" in SS and not number_ok(SS["hr"], 0, config.MAX_RACERS - 1, True):
        reset("hr", hyper.racer, "optimizer of the heat map/basins")
    for key in ("lrmin", "lrmax"):
        if key in SS and not number_ok(SS[key], 1e-12, config.MAX_LR):
            reset(key, 1e-3 if key == "lrmin" else 1.0, key)
    if "vectors" in SS and not isinstance(SS["vectors"], bool):
        reset("vectors", view.vectors, "Step vectors")
    if "scrub" in SS and not number_ok(SS["scrub"], 0, config.MAX_RACERS, True):
        reset("scrub", view.scrub, "Scrub")
    if "lr_auto" in SS and not isinstance(SS["lr_auto"], bool):
        reset("lr_auto", hyper.auto_range, "automatic lr range")
    _sanitize_training(SS, reset)
    return fixed


def _sanitize_training(SS, reset) -> None:
    """The training view's controls (``keys.NET``, ``keys.net_batch``), to their bounds."""
    from links import TRAINING_N
    from training.train import MAX_LAYERS, MAX_STEPS, MAX_WIDTH

    t = DEFAULT.training
    if keys.NET["task"] in SS and SS[keys.NET["task"]] not in TRAINING_TASKS:
        reset(keys.NET["task"], t.task, "Task")
    for field, high, what in (("width", MAX_WIDTH, "Hidden width"), ("layers", MAX_LAYERS, "Hidden layers"),
                              ("steps", MAX_STEPS, "Training steps")):
        key = keys.NET[field]
        if key in SS and not number_ok(SS[key], 1, high, True):
            reset(key, getattr(t, field), what)
    for i in range(config.MAX_RACERS):
        key = keys.net_batch(i)
        if key in SS and not number_ok(SS[key], 1, TRAINING_N, True):
            reset(key, TRAINING_N, f"training batch size {i + 1}")
