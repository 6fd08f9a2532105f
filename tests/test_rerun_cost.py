"""What makes a class-pace rerun cheaper (issue 21) changes nothing the page shows:
the loss chart built as a plain dict is the ``go.Figure`` one; a stable figure kept as
its JSON is its spec, and the chart's message splices it byte for byte; a trace kept
by content comes back as it was made, a changed trace never comes back from the kept
ones; and through the app, a changed control changes the charts while another session
on the same link keeps its own."""
from __future__ import annotations

import dataclasses
import gc
import os
import pickle

import numpy as np
import orjson
import pytest
from streamlit.testing.v1 import AppTest

import cached
import figures
import lessons
import livechart
import results
from figures import prepared, views

APP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app.py")
CLASS_LINK = {"surface": "himmelblau", "steps": "500", "x": "-0.5", "y": "0.5", "r1": "gd", "r1.lr": "0.01",
              "r2": "momentum", "r2.lr": "0.005", "r3": "adam", "r3.lr": "0.1"}


def content(message: bytes) -> bytes:
    """A message's JSON with its objects' keys sorted: what it says, whatever the key order."""
    return orjson.dumps(orjson.loads(message), option=orjson.OPT_SORT_KEYS)


def lesson_runs():
    for key, lesson in lessons.LESSONS.items():
        yield key, lesson.run_config()
        if lesson.companion:
            yield key + " (second race)", lesson.companion_config()


@pytest.mark.parametrize("key,run", list(lesson_runs()), ids=[k for k, _ in lesson_runs()])
def test_the_loss_chart_as_a_plain_dict_says_what_the_go_figure_says(key, run):
    """``raw=True`` skips plotly's validation and copy; what reaches the browser is the
    same: every trace and layout entry, the uids and the data revision. (Only the
    order of keys inside an object differs: plotly orders them its own way.)"""
    res = results.run_results(run)
    for log in (True, False):
        for present in (False, True):
            for scrub in (None, 0):
                kw = dict(log=log, presentation=present, scrub=scrub)
                fig = prepared.prepare_stable(views.loss_figure_with_theory(run, res, **kw))
                raw = views.loss_figure_with_theory(run, res, raw=True, **kw)
                assert isinstance(raw, dict)
                plain = prepared.prepare_stable(raw)
                assert content(livechart.payload(plain)) == content(livechart.payload(fig)), (key, kw)
                assert [t["uid"] for t in plain.spec["data"]] == [t["uid"] for t in fig.spec["data"]]


def race_dict(lr: float = 0.01) -> tuple[dict, object]:
    """The class link's race figure as a plain dict (racer 1 at ``lr``), and its run."""
    run = lessons.LESSONS["first"].run_config()
    run = dataclasses.replace(run, racers=(dataclasses.replace(
        run.racers[0], choice=dataclasses.replace(run.racers[0].choice, lr=lr)),) + run.racers[1:])
    return views.trajectory_figure_for(run, results.run_results(run), raw=True), run


def test_a_stable_figure_is_kept_as_its_json_and_the_message_carries_it_byte_for_byte():
    raw, _ = race_dict()
    fig = prepared.prepare_stable(raw)
    spec = fig.spec
    assert isinstance(fig.encoded, bytes) and orjson.loads(fig.encoded) == spec
    assert fig.to_dict() == spec and fig.to_dict() is not fig.to_dict()   # decoded anew: nobody changes it
    # the message as it was built from the dict, encoded whole
    config = {"scrollZoom": False}
    whole = prepared.encode({"figure": spec, "dark": fig.dark, "config": {"displaylogo": False, **config},
                             "plotly": livechart._url(), "keys": True})
    assert livechart.payload(fig, config, keys=True) == whole
    assert livechart.figure_of(livechart.payload(fig)) == spec
    # a figure kept as a dict (``prepare``) still answers with its dict
    kept = prepared.prepare(raw)
    assert kept.to_dict() is kept.spec and orjson.loads(kept.encoded) == orjson.loads(prepared.encode(kept.spec))
    with pytest.raises(ValueError):
        prepared.Prepared(None)


def test_kept_traces_come_back_as_they_were_made(monkeypatch):
    """The same figure prepared with nothing kept, with everything kept (second time)
    and with the keeping switched off gives the same bytes."""
    raw, _ = race_dict()
    monkeypatch.setattr(prepared, "_TRACES", type(prepared._TRACES)())
    first = prepared.prepare_stable(raw).encoded
    distinct = {pickle.dumps((True, t)) for t in raw["data"]}   # equal traces share one entry
    assert len(prepared._TRACES) == len(distinct) > 20          # every trace kept ...
    again = prepared.prepare_stable(raw).encoded               # ... and served from there
    monkeypatch.setattr(prepared, "TRACE_ENTRIES", 0)
    monkeypatch.setattr(prepared, "_TRACES", type(prepared._TRACES)())
    off = prepared.prepare_stable(raw).encoded
    assert len(prepared._TRACES) == 0
    assert first == again == off


def test_a_changed_trace_never_comes_back_from_the_kept_ones(monkeypatch):
    """The key is the trace as given, types included: whatever was kept before, each
    variant below comes out exactly as it does with nothing kept, though some differ
    only in a type (a float32 array, a tuple of arrays, which is sent unrounded, not a
    list of them) or in the 13th digit."""
    x = np.array([0.1, 0.2, 1 / 3])
    base = dict(type="scatter", x=x, y=[1.0, 2.0, 3.0], meta=dict(role="path", racer=0))
    variants = [base, dict(base, x=x.astype(np.float32)), dict(base, x=x * (1 + 1e-12)),
                dict(base, y=[1.0, 2.0, 3.5]), dict(base, meta=dict(role="path", racer=1)),
                dict(base, customdata=[x, x]), dict(base, customdata=(x, x))]

    def made():
        return [prepared.prepare_stable({"data": [t], "layout": {}}).encoded for t in variants]
    kept = made() + made()   # the second round from the kept ones
    monkeypatch.setattr(prepared, "TRACE_ENTRIES", 0)
    monkeypatch.setattr(prepared, "_TRACES", type(prepared._TRACES)())
    fresh = made()
    assert kept == fresh + fresh
    assert len({fresh[0], fresh[3], fresh[4], fresh[5], fresh[6]}) == 5   # what differs, differs


def test_a_new_learning_rate_changes_its_racer_and_nothing_else():
    old, new = (prepared.prepare_stable(race_dict(lr)[0]).spec for lr in (0.01, 0.0123))
    changed = [i for i, (a, b) in enumerate(zip(old["data"], new["data"])) if a["uid"] != b["uid"]]
    racers = {prepared.trace_meta(new["data"][i]).get("racer") for i in changed}
    assert changed and racers == {0}
    assert old["layout"]["datarevision"] != new["layout"]["datarevision"]


def test_the_kept_traces_are_bounded(monkeypatch):
    monkeypatch.setattr(prepared, "_TRACES", type(prepared._TRACES)())
    monkeypatch.setattr(prepared, "_trace_bytes", 0)
    monkeypatch.setattr(prepared, "TRACE_ENTRIES", 5)
    for i in range(12):
        prepared.prepare_stable({"data": [dict(type="scatter", x=[float(i)], y=[0.0])], "layout": {}})
    assert len(prepared._TRACES) == 5
    monkeypatch.setattr(prepared, "TRACE_BYTES", 300)
    big = dict(type="scatter", x=np.linspace(0, 1, 40), y=np.linspace(1, 2, 40))
    prepared.prepare_stable({"data": [big], "layout": {}})
    assert prepared._trace_bytes <= 300 and len(prepared._TRACES) <= 1
    assert prepared._trace_bytes == sum(len(v[0]) for v in prepared._TRACES.values())


def test_start_up_objects_are_out_of_the_collectors_sight():
    """``cached`` freezes what start-up loaded and collects young objects less often."""
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == cached.GC_THRESHOLDS
    cached.settle()
    cached.settle()   # once per process; a second call does nothing
    assert gc.get_threshold() == cached.GC_THRESHOLDS


def open_app(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def charts(at: AppTest) -> list[bytes]:
    return [el.proto.bytes for el in at.get("bidi_component") if el.proto.component_name == "livechart"]


def test_a_changed_control_changes_the_charts_and_another_session_keeps_its_own():
    """Two students on the class link: one changes a learning rate. Her race and loss
    charts change, and the loss chart plots the new run's losses; the other's stay as
    they were, and a third student opening her new link gets her charts exactly."""
    a, b = open_app(CLASS_LINK), open_app(CLASS_LINK)
    assert not a.exception and not b.exception
    before = charts(a)
    assert charts(b) == before and len(before) == 2
    a.number_input(key="lr.0").set_value(0.0123).run()
    assert not a.exception
    after = charts(a)
    assert after[0] != before[0] and after[1] != before[1]
    b.run()
    assert charts(b) == before, "the other session's charts changed"
    run = dataclasses.replace(cached_run(a))
    assert run.racers[0].choice.lr == 0.0123
    res = results.run_results(run)
    loss = livechart.figure_of(after[1])
    curve = next(t for t in loss["data"] if prepared.trace_meta(t) == {**prepared.trace_meta(t), "role": "loss",
                                                                         "racer": 0})
    fmin = run.get_surface().global_minimum
    want = np.maximum(res[0]["losses"] - fmin, prepared.trace_meta(curve)["floor"])
    np.testing.assert_allclose(np.asarray(curve["y"], dtype=float), want, rtol=1e-6)
    c = open_app(dict(a.query_params))
    assert charts(c) == after


def cached_run(at: AppTest):
    """The run a session's page shows, read back from the link it wrote."""
    import links
    state = links.from_query({k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()},
                             lessons.LESSONS)
    return (state[0] if isinstance(state, tuple) else state).run


def test_figure_parts_are_shared_only_by_equal_content():
    """A racer's figure part is cached by what it is drawn from: a changed path is a new part."""
    raw_a, run = race_dict(0.01)
    setup = figures.RaceSetup((0, 10, 20), 3, True, True, True, False)
    grids = figures.SurfaceGrids.of(run.get_surface(), click=figures.CLICK_GRID, view=run.get_surface().domain)
    paths = views.paths_for(results.run_results(run))
    assert cached.racer_part(grids, paths[0], setup) is cached.racer_part(grids, paths[0], setup)
    assert cached.racer_part(grids, paths[1], setup) is not cached.racer_part(grids, paths[0], setup)
