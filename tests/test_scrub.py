"""Scrub a hyperparameter in the browser (scrub.py, figures/scrub.py, issue 23): the families
the sliders draw from, what the figure carries, and what a release may set."""
from __future__ import annotations

import base64

import numpy as np
import pytest

import links
import engine
import exports
from figures import views
import livechart
import scrub
from config import OptimizerChoice, Racer, RunConfig
from figures import prepared
from figures import scrub as scrub_fig
from figures.trajectories import SCENE_FLOOR
from results import run_results


def _f32(s: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype=np.float32)


@pytest.fixture(scope="module")
def default():
    state, _ = links.from_query({})
    return state.run, run_results(state.run)


@pytest.mark.parametrize("i", [0, 1, 2])
def test_the_member_at_the_current_value_is_the_racer(default, i):
    run, res = default
    for fam in scrub.families(run, i):
        assert len(fam.values) == scrub.COUNT
        now = run.racers[i].choice.engine_hp()[fam.param]
        assert fam.values[fam.current] == now
        np.testing.assert_array_equal(fam.xy[fam.current], res[i]["positions"][fam.idx[fam.current]])
        np.testing.assert_array_equal(fam.loss[fam.current], res[i]["losses"][fam.idx[fam.current]])


def test_every_member_is_its_own_run(default):
    """Each member equals a separate run at its value (the family is one vectorized call)."""
    run, _ = default
    fam = scrub.family(run, 2, "beta1")
    for m in (0, 7, 20):
        hp = dict(run.racers[2].choice.hp)
        hp["beta1"] = float(fam.values[m])
        choice = OptimizerChoice.build("adam", run.racers[2].choice.lr, **hp)
        alone = RunConfig(run.surface, (), (Racer(choice),), run.steps, run.start, 0)
        pos = run_results(alone)[0]["positions"]
        np.testing.assert_allclose(fam.xy[m], pos[fam.idx[m]], rtol=1e-12, atol=1e-14)


def test_one_engine_call_per_family(default, monkeypatch):
    run, _ = default
    calls = []
    real = engine.run
    monkeypatch.setattr(engine, "run", lambda *a, **k: calls.append(1) or real(*a, **k))
    fams = scrub.families(run, 1)
    assert [f.param for f in fams] == ["lr", "momentum"] and len(calls) == 2


def test_learning_rates_span_a_hundredfold_around_the_current_one(default):
    run, _ = default
    v, k = scrub.values_for(run, 0, "lr")
    assert k == scrub.COUNT // 2 and v[k] == run.racers[0].choice.lr
    np.testing.assert_allclose([v[0], v[-1]], [run.racers[0].choice.lr / 10, run.racers[0].choice.lr * 10])
    assert np.all(np.diff(v) > 0)


def test_noisy_racers_are_not_scrubbed():
    state, _ = links.from_query({"r1": "gd", "r1.lr": "0.01", "r1.noise": "0.5"})
    assert "noise" in scrub.available(state.run, 0) and scrub.families(state.run, 0) == []


def test_the_figure_carries_the_family_and_grows_by_under_a_megabyte(default):
    run, res = default
    off = len(livechart.payload(prepared.prepare_stable(views.trajectory_figure_for(run, res, raw=True))))
    for i in range(3):
        fams = scrub.families(run, i)
        fig = views.trajectory_figure_for(run, res, raw=True, scrub=fams)
        on = len(livechart.payload(prepared.prepare_stable(fig)))
        assert on - off < 1_000_000, (i, on - off)
        meta = fig["layout"]["meta"]["scrub"]
        assert meta["racer"] == i and [p["name"] for p in meta["params"]] == [f.param for f in fams]
        for p, fam in zip(meta["params"], fams):
            m = 4
            a, b = p["offsets"][m], p["offsets"][m + 1]
            np.testing.assert_allclose(_f32(p["x"])[a:b], fam.xy[m][:, 0].astype(np.float32))
            np.testing.assert_array_equal(_f32(p["step"])[a:b], fam.idx[m])
        sliders = [s for s in fig["layout"]["sliders"] if s.get("name", "").startswith("scrub")]
        assert [s["active"] for s in sliders] == [f.current for f in fams]
        roles = [t.get("meta", {}).get("role") for t in fig["data"]]
        assert roles.count("scrub") == 2   # the map and the 3-D view


def test_a_release_sets_only_an_offered_value(default):
    run, _ = default
    v, _ = scrub.values_for(run, 1, "momentum")
    assert scrub.released(run, {"racer": 1, "param": "momentum", "value": float(v[3])}) == (1, "momentum", v[3])
    assert scrub.released(run, {"racer": 1, "param": "momentum", "value": 0.123456}) is None
    assert scrub.released(run, {"racer": 0, "param": "momentum", "value": float(v[3])}) is None   # gd has none
    assert scrub.released(run, {"racer": 9, "param": "lr", "value": 1.0}) is None
    assert scrub.released(run, {"racer": "x"}) is None
    lr, _ = scrub.values_for(run, 2, "lr")
    assert scrub.released(run, {"racer": 2, "param": "lr", "value": float(lr[0])}) == (2, "lr", lr[0])


def test_link():
    state, w = links.from_query({"scrub": "3"})
    assert w == [] and state.view.scrub == 3 and links.to_query(state)["scrub"] == "3"
    assert "scrub" not in links.to_query(links.from_query({})[0])
    _, w = links.from_query({"scrub": "9"})
    assert any("scrub" in x for x in w)


def test_exported_html_carries_the_scrub_code(default):
    run, res = default
    fig = prepared.prepare_stable(views.trajectory_figure_for(run, res, raw=True, scrub=scrub.families(run, 0)))
    html = exports.figure_html(fig)
    assert "function scrubSetup" in html and "scrubSetup(document.getElementById(" in html
    plain = exports.figure_html(prepared.prepare_stable(views.trajectory_figure_for(run, res, raw=True)))
    assert "scrubSetup" not in plain


def test_the_loss_preview_is_the_computed_gap_float64():
    """The loss chart's preview carries f − f* as computed (float64): a gradient-descent run on
    the bowl whose loss falls to ~1e-80 is drawn there, not at a floor (float32 stops at 1e-45)."""
    state, _ = links.from_query({"surface": "bowl", "r1": "gd", "r1.lr": "0.1", "steps": "60",
                                 "x": "-1.5", "y": "1.5", "scrub": "1"})
    run = state.run
    res = run_results(run)
    fam = scrub.family(run, 0, "lr")
    fig = views.trajectory_figure_for(run, res, raw=True, scrub=[fam])
    p = fig["layout"]["meta"]["scrub"]["params"][0]
    loss = np.frombuffer(base64.b64decode(p["loss"]), "<f8")
    m = int(np.argmin(np.abs(fam.values - 0.4)))   # (1 - 2 lr)^2 = 0.04 per step
    a, b = p["offsets"][m], p["offsets"][m + 1]
    assert fam.loss[m].min() < 1e-60
    np.testing.assert_array_equal(loss[a:b], fam.loss[m])   # f* = 0: the loss itself, bit for bit
    # the 3-D view keeps its floor (Play and the step slider sit under it) below the slider
    assert fig["layout"]["scene"]["domain"]["y"] == [SCENE_FLOOR, 1 - scrub_fig.ROOM]
