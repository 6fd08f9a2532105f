"""The share-link codec (links.py) on its own: bounds and words pinned exactly,
so an off-by-one or a forgotten key is a failing test, not a silent change."""
from __future__ import annotations

import subprocess
import sys

import pytest

import config
import links
from lessons import LESSONS
from state import DEFAULT_RUN, AppState, ViewOptions

SEVEN = {f"r{i}": name for i, name in enumerate(["gd", "momentum", "adam", "rmsprop", "nadam", "lion", "adagrad"],
                                                 start=1)}


def test_a_seven_racer_link_warns_and_keeps_the_first_six():
    """``from_query`` never raises: one optimizer over the cap is dropped with a warning
    (a cap off by one handed RunConfig seven racers, and RunConfig raises)."""
    assert config.MAX_RACERS == 6
    state, warnings = links.from_query(SEVEN)
    assert [r.name for r in state.run.racers] == ["gd", "momentum", "adam", "rmsprop", "nadam", "lion"]
    assert warnings == ["at most 6 optimizers race at once; ignored the rest of the link's"]


def test_six_racers_take_no_warning_and_the_cap_counts_racers_that_race():
    six = {k: v for k, v in SEVEN.items() if k != "r7"}
    state, warnings = links.from_query(six)
    assert len(state.run.racers) == 6 and warnings == []
    bad_second = {**SEVEN, "r2": "no_such_optimizer"}   # r2 is dropped, so r7 still races
    state, warnings = links.from_query(bad_second)
    assert [r.name for r in state.run.racers] == ["gd", "adam", "rmsprop", "nadam", "lion", "adagrad"]
    assert len(warnings) == 1 and "unknown optimizer 'no_such_optimizer'" in warnings[0]


@pytest.mark.parametrize("value, full", [("1", True), ("0", False)])
def test_the_fullpaths_key_sets_whole_paths_and_is_written_back(value, full):
    state, warnings = links.from_query({"fullpaths": value})
    assert warnings == [] and state.view.full_paths is full
    assert state.view == ViewOptions(full_paths=full)
    assert links.to_query(state).get("fullpaths") == ("1" if full else None), "written only when not the default"


@pytest.mark.parametrize("hr, racer", [("1", 0), ("2", 1), ("3", 2), ("3.0", 2)])
def test_hr_takes_every_racer_of_the_link_numbered_from_one(hr, racer):
    q = {"r1": "gd", "r2": "momentum", "r3": "adam", "tab": "heatmap", "hr": hr}
    state, warnings = links.from_query(q)
    assert warnings == [] and state.hyper.racer == racer
    assert links.to_query(state).get("hr") == (None if racer == 0 else str(racer + 1))


@pytest.mark.parametrize("hr", ["0", "4", "-1", "1.5", "x"])
def test_hr_outside_1_to_the_number_of_racers_warns_and_uses_the_first(hr):
    q = {"r1": "gd", "r2": "momentum", "r3": "adam", "tab": "heatmap", "hr": hr}
    state, warnings = links.from_query(q)
    assert state.hyper.racer == 0
    assert len(warnings) == 1 and "hr (optimizer of the heat map/basins)" in warnings[0]
    assert warnings[0].endswith("(from the link); using optimizer 1")


ACCEPTED = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False,
            "off": False, "TRUE": True, " On ": True, "No": False, "\tOFF\n": False}
REFUSED = ["2", "-1", "1.0", "01", "y", "n", "t", "f", "enable", "disable", "tru", "oui", "", "none", "null",
           "nan", "true!", "o n"]


def test_the_flag_words_are_exactly_these():
    assert links.FLAG_WORDS == {"1": True, "true": True, "yes": True, "on": True,
                                "0": False, "false": False, "no": False, "off": False}
    for word, value in ACCEPTED.items():
        assert links.flag(word) is value, word
    for word in REFUSED:
        assert links.flag(word) is None, word


@pytest.mark.parametrize("key, field, default", [("present", "present", False), ("logloss", "log_loss", True),
                                                 ("fullpaths", "full_paths", False)])
def test_each_view_flag_takes_the_words_and_refuses_the_rest_with_a_warning(key, field, default):
    for word, value in ACCEPTED.items():
        state, warnings = links.from_query({key: word})
        assert warnings == [] and getattr(state.view, field) is value, (key, word)
    for word in REFUSED:
        state, warnings = links.from_query({key: word})
        assert getattr(state.view, field) is default, (key, word)
        assert warnings == [f"{key} must be 0 or 1 in the link, got {config.quote(word)}"], (key, word)


def test_droplast_takes_the_same_words():
    base = {"surface": "linear_regression", "r1": "gd", "r1.batch": "16"}
    for word, value in ACCEPTED.items():
        state, warnings = links.from_query({**base, "r1.droplast": word})
        assert warnings == [] and state.run.racers[0].drop_last is value, word
    for word in REFUSED:
        state, warnings = links.from_query({**base, "r1.droplast": word})
        assert state.run.racers[0].drop_last is False and len(warnings) == 1
        assert warnings[0].startswith("r1.droplast must be 0 or 1 in the link"), word


def test_the_codec_imports_no_lesson_content():
    code = "import sys, links; print('lessons' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_lesson_link_needs_the_lessons_it_may_name():
    state, warnings = links.from_query({"lesson": "ravine"}, LESSONS)
    assert warnings == [] and state.lesson == "ravine" and state.run == LESSONS["ravine"].run_config()
    state, warnings = links.from_query({"lesson": "ravine"})   # no lessons given: an unknown key
    assert state == AppState() and len(warnings) == 1 and "unknown lesson 'ravine'" in warnings[0]


def test_the_default_state_is_the_first_lessons_race():
    """A link without ``lesson=`` starts from the same race the first screen shows
    (the lesson "first"), so a link written from the first screen reopens it."""
    assert DEFAULT_RUN == LESSONS["first"].run_config()
    assert links.from_query({}) == (AppState(), [])
    q = links.to_query(AppState(LESSONS["first"].run_config(), lesson="first"))
    assert links.from_query(q, LESSONS) == (AppState(DEFAULT_RUN, lesson="first"), [])


def test_a_lesson_opens_with_its_own_views_and_a_link_keeps_the_views_chosen():
    """batch and article open on the map alone (their panel leaves no room for a 3-D view
    as large as the map on a projector); a link names the views whenever it names a lesson,
    so "both" chosen on such a lesson is not read back as the lesson's "2d"."""
    import lessons
    from dataclasses import replace
    state, warnings = links.from_query({"lesson": "batch"}, lessons.LESSONS)
    assert not warnings and state.view.view == "2d" and state.lesson == "batch"
    assert links.from_query({"lesson": "first"}, lessons.LESSONS)[0].view.view == "both"
    both = replace(state, view=replace(state.view, view="both"))
    q = links.to_query(both)
    assert q["view"] == "both"
    assert links.from_query(q, lessons.LESSONS)[0].view.view == "both"
    assert links.from_query(links.to_query(state), lessons.LESSONS)[0] == state
