"""Hostile and broken input: links, widget states, command-line flags.

Never an exception, never a traceback, never a silent change without a warning,
never more than a few seconds.
"""
from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import links
from lessons import LESSONS
from ui.sanitize import sanitize_widget_state
import cli
from test_app import APP, assert_healthy, new_app

KEYS = ["surface", "s.a", "s.b", "steps", "seed", "x", "y", "r1", "r1.lr", "r1.momentum", "r1.noise",
        "r1.sched", "r1.sched.gamma", "r1.x", "r2", "r2.lr", "r2.amsgrad", "view", "speed", "present",
        "logloss", "lesson", "zzz", "r7", "r0", "r1.nope"]
NASTY = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["nan", "inf", "-inf", "1e308", "-1", "1e7", "0", "true", "false", "gd", "adam",
                     "bowl", "rosenbrock", "2d", "fast", "1", "article", "  3 ", "1e-320", "9" * 5000]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
)


def test_link_learning_rate_above_the_bound_warns():
    for value in ("1e7", "1e308"):
        state, warnings = links.from_query({"r1": "gd", "r1.lr": value})
        assert state.run.racers[0].choice.lr > 0
        assert any("r1.lr must be between 0 and 1e+06" in w for w in warnings), warnings


def test_racer_key_with_thousands_of_digits():
    state, warnings = links.from_query({"r" + "1" * 5000: "gd", "r1": "adam"})
    assert [r.choice.name for r in state.run.racers] == ["adam"]
    assert any("ignored unknown link parameter" in w for w in warnings)
    assert all(len(w) < 500 for w in warnings)


def test_long_values_are_quoted_short():
    state, warnings = links.from_query({"surface": "x" * 200_000, "r1": "y" * 100_000,
                                           "r2": "gd", "r2.lr": "z" * 300_000})
    assert len(warnings) >= 3 and all(len(w) < 500 for w in warnings)
    assert any("200,000 characters" in w for w in warnings)


def _same(a: str, b: str) -> bool:
    """The same value as a link writes it: a number, a flag (1/true/on…) or a word."""
    try:
        return float(a) == float(b)
    except ValueError:
        pass
    flag_a, flag_b = links.flag(a), links.flag(b)
    if flag_a is not None and flag_a == flag_b:
        return True
    return a.strip().lower() == b.strip().lower()


@settings(max_examples=150, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), NASTY, max_size=8))
def test_any_link_opens_and_nothing_changes_silently(q):
    state, warnings = links.from_query(q, LESSONS)
    out = links.to_query(state)
    again, w2 = links.from_query(out, LESSONS)
    assert again == state and w2 == [], "what the page writes back is a clean link of the same view"
    if warnings:
        return
    for k, v in q.items():  # no warning: every value is what the page shows, or a no-op default
        if k in out and _same(out[k], v):
            continue
        if k[:1] == "r" and k[1:2].isdigit():  # racers are renumbered 1, 2, … in the page's link
            suffix = k.split(".", 1)[1] if "." in k else ""
            if any(_same(ov, v) for ok, ov in out.items() if ok[:1] == "r" and ok[1:2].isdigit()
                   and (ok.split(".", 1)[1] if "." in ok else "") == suffix):
                continue
        without = {kk: vv for kk, vv in q.items() if kk != k}
        assert links.from_query(without, LESSONS)[0] == state, f"{k}={v!r} changed the view silently"


@settings(max_examples=60, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["--surface", "--optimizer", "--lr", "--steps", "--start",
                                           "--set", "--surface-set", "--schedule", "--schedule-set",
                                           "--noise", "--seed", "--count", "--resolution", "--lr-min",
                                           "--lr-max"]), NASTY), max_size=5),
       st.sampled_from(["run", "sweep", "basins", "lesson", "lessons"]))
def test_any_cli_flags_exit_0_or_2_with_one_line(flags, command):
    argv = [command]
    for flag, value in flags:
        argv += [flag, value] + ([value] if flag == "--start" else [])
    if command in ("run", "sweep", "basins"):
        argv += ["--surface", "bowl", "--optimizer", "gd", "--steps", "20"]
        if command == "sweep":
            argv += ["--lr-min", "0.01", "--lr-max", "0.1", "--count", "5"]
        if command == "basins":
            argv += ["--resolution", "5"]
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = cli.main(argv)
    assert code in (0, 2)
    if code == 2:
        assert err.getvalue().count("\n") == 1 and "Traceback" not in err.getvalue()


@pytest.mark.parametrize("key, value", [
    ("surface", "no_such_surface"), ("opt.0", "no_such_optimizer"), ("steps", "many"), ("steps", 0),
    ("lr.0", "fast"), ("lr.0", float("nan")), ("lr.0", 1e300), ("n_racers", 99), ("view", "4d"),
    ("sched.0", "zig"), ("x", float("inf")), ("noise.0", -1.0), ("seed", True),
    ("hp.0.gd.weight_decay", "heavy"), ("hp.0.gd.weight_decay", float("nan")), ("hp.0.adam.amsgrad", "yes"),
    ("schedp.0.step.gamma", [0.5]), ("schedp.0.plateau.mode", "sideways"),
])
def test_a_modified_client_cannot_break_a_widget(key, value):
    """What a modified client could put in a widget's state is reset, with a message."""
    at = new_app({"surface": "bowl", "r1": "gd", "r1.lr": "0.1", "steps": "30"})
    state = {k: at.session_state[k] for k in ("surface", "steps", "n_racers", "seed", "x", "y", "view",
                                                "speed", "opt.0", "lr.0", "sched.0", "noise.0")}
    assert sanitize_widget_state(dict(state)) == [], "a healthy state is left alone"
    state[key] = value
    messages = sanitize_widget_state(state)
    assert len(messages) == 1 and "held an invalid value" in messages[0] and len(messages[0]) < 300
    assert sanitize_widget_state(dict(state)) == []
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # the real app, end to end
        at.session_state[key] = value  # (Streamlit clamps numbers before the script sees them)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert_healthy(at)


def test_link_that_opens_a_lesson_for_a_class_is_cached_once(monkeypatch):
    """Two sessions opening the same link: the second reads the first one's results."""
    import experiments
    calls = []
    real = experiments.run_config
    monkeypatch.setattr(experiments, "run_config", lambda cfg, record_state=False: calls.append(cfg) or
                        real(cfg, record_state))
    q = {"lesson": "lr_ridge", "seed": "11"}
    first = AppTest.from_file(APP, default_timeout=60)
    for k, v in q.items():
        first.query_params[k] = v
    first.run()
    n = len(calls)
    second = AppTest.from_file(APP, default_timeout=60)
    for k, v in q.items():
        second.query_params[k] = v
    second.run()
    assert not second.exception and len(calls) == n
