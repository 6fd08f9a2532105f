"""The sweep, heat-map and basin views and the theory panel in the real app (AppTest)."""
from __future__ import annotations


import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import messages
import theory
import landscapes
from tests.test_app import APP, TIMEOUT, all_numbers, decode
import livechart
from figures.prepared import trace_meta

RAVINE = {"surface": "ravine", "r1": "gd", "r1.lr": "0.1", "r2": "momentum", "r2.lr": "0.1", "steps": "150"}


def new_app(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def figs(at: AppTest) -> list[dict]:
    return livechart.figures_in(at.get("bidi_component"))


def healthy(at: AppTest) -> dict:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, [w.value for w in at.warning]
    fs = figs(at)
    assert len(fs) == 1
    nums = np.fromiter(all_numbers(fs[0]), dtype=float)
    assert np.all(np.isfinite(nums)), "no NaN or inf may reach a figure"
    return fs[0]


def qp(at: AppTest, key: str):
    v = at.query_params.get(key)
    return v[0] if isinstance(v, list) else v


def select(at: AppTest, chart: str, point: dict) -> AppTest:
    at.session_state[chart] = {"selection": {"points": [point], "point_indices": [0], "box": [], "lasso": []}}
    at.run()
    return at.run()


def curve_of(fig: dict, pred) -> int:
    return next(i for i, t in enumerate(fig["data"]) if pred(t))


def test_sweep_view_draws_every_racer_and_is_in_the_link():
    at = new_app({**RAVINE, "tab": "sweep"})
    fig = healthy(at)
    assert qp(at, "tab") == "sweep"
    per_racer = {0: 0, 1: 0}
    for t in fig["data"]:
        meta = trace_meta(t)
        if meta.get("kind") == "sweep" and t.get("yaxis") == "y":
            per_racer[meta["racer"]] += len(decode(t["x"]))
    assert per_racer == {0: 200, 1: 200}, "every rate of both sweeps, diverged ones on the ceiling"
    classes = {t["name"] for t in fig["data"] if t.get("fill") == "toself"}
    assert {"too small", "good", "diverging"} <= classes
    # the current rates and the stability bounds (gd: 2/λmax = 0.5) are drawn
    xs = sorted(round(s["x0"], 6) for s in fig["layout"]["shapes"])
    assert 0.1 in xs and 0.5 in xs
    assert at.dataframe[0].value.shape[0] == 2


def test_click_on_a_sweep_point_sets_that_racers_rate():
    at = new_app({**RAVINE, "tab": "sweep"})
    fig = figs(at)[0]
    c = curve_of(fig, lambda t: trace_meta(t) == {"racer": 1, "kind": "sweep"} and t.get("yaxis") == "y")
    x = float(decode(fig["data"][c]["x"])[40])
    select(at, "sweep_chart", {"x": x, "y": 1.0, "curve_number": c, "point_index": 40})
    assert not at.exception
    assert at.number_input(key="lr.1").value == pytest.approx(float(f"{x:.4g}"))
    assert at.number_input(key="lr.0").value == pytest.approx(0.1)
    assert qp(at, "r2.lr") == f"{float(f'{x:.4g}'):.12g}"


def test_a_sweep_click_keeps_the_range_the_plot_was_drawn_on():
    """The automatic range follows the racers' rates: after a click it is kept,
    typed, so the plot does not move under the cursor."""
    at = new_app({**RAVINE, "tab": "sweep"})
    fig = figs(at)[0]
    c = curve_of(fig, lambda t: trace_meta(t) == {"racer": 1, "kind": "sweep"} and t.get("yaxis") == "y")
    lrs = decode(fig["data"][c]["x"])
    before = fig["layout"]["xaxis"].get("range")
    select(at, "sweep_chart", {"x": float(lrs[-5]), "y": 1.0, "curve_number": c, "point_index": len(lrs) - 5})
    assert not at.exception
    after = figs(at)[0]
    assert at.session_state["lr_auto"] is False
    assert decode(after["data"][c]["x"])[0] == pytest.approx(lrs[0]) and \
        decode(after["data"][c]["x"])[-1] == pytest.approx(lrs[-1]), "the same learning rates"
    assert after["layout"]["xaxis"].get("range") == before


def test_heatmap_view_and_click_sets_lr_and_momentum():
    at = new_app({**RAVINE, "tab": "heatmap"})
    fig = healthy(at)
    heat = fig["data"][0]
    assert heat["type"] == "heatmap"
    z = decode(heat["z"])
    assert z.size >= 60 * 60
    assert fig["data"][1]["type"] == "heatmap"  # the diverged overlay
    assert decode(fig["data"][1]["z"]).sum() > 0, "some settings diverge on the ravine"
    star = next(t for t in fig["data"] if t.get("name") == "current setting")
    assert star["x"] == [pytest.approx(0.1)] and star["y"] == [0.0]  # gd = momentum 0
    grid = curve_of(fig, lambda t: trace_meta(t).get("kind") == "heatmap")
    select(at, "heat_chart", {"x": 0.3, "y": 0.5, "curve_number": grid, "point_index": 0})
    assert not at.exception
    # gd at momentum 0.5 becomes momentum: the map is momentum's
    assert at.selectbox(key="opt.0").value == "momentum"
    assert at.number_input(key="lr.0").value == pytest.approx(0.3)
    assert at.number_input(key="hp.0.momentum.momentum").value == pytest.approx(0.5)
    assert qp(at, "r1") == "momentum" and qp(at, "r1.momentum") == "0.5"


def test_heatmap_for_adam_uses_beta1_and_says_so_for_adagrad():
    at = new_app({"surface": "bowl", "r1": "adam", "r1.lr": "0.1", "r2": "adagrad", "steps": "50",
                  "tab": "heatmap"})
    fig = healthy(at)
    assert fig["layout"]["yaxis"]["title"]["text"] == "beta1"
    at.selectbox(key="hr").set_value(1).run()
    assert not livechart.figures_in(at.get("bidi_component")) and "neither momentum nor β₁" in at.info[0].value
    assert qp(at, "hr") == "2"


def test_basin_view_and_click_starts_the_race_there():
    at = new_app({"surface": "himmelblau", "r1": "gd", "r1.lr": "0.01", "steps": "200", "tab": "basins"})
    fig = healthy(at)
    z = decode(fig["data"][0]["z"])
    assert z.shape == (200, 200)
    assert set(np.unique(z)) == {2, 3, 4, 5}, "four basins, none diverged"
    assert len(decode(next(t for t in fig["data"] if t.get("name") == "minima")["x"])) == 4
    grid = curve_of(fig, lambda t: trace_meta(t).get("kind") == "basin")
    select(at, "basin_chart", {"x": 2.5, "y": -1.5, "curve_number": grid, "point_index": 0})
    assert not at.exception
    assert at.radio(key="tab").value == "race"
    assert at.number_input(key="x").value == pytest.approx(2.5)
    assert at.number_input(key="y").value == pytest.approx(-1.5)
    assert len(figs(at)) == 2 and qp(at, "tab") is None


def test_basin_resolution_in_the_link():
    at = new_app({"surface": "two_minima", "r1": "gd", "r1.lr": "0.05", "steps": "100", "tab": "basins",
                  "res": "100"})
    fig = healthy(at)
    assert decode(fig["data"][0]["z"]).shape == (100, 100)
    assert qp(at, "res") == "100"


def test_bad_hyper_link_parts_warn_and_fall_back():
    at = new_app({**RAVINE, "tab": "nope", "lrmin": "5", "lrmax": "1", "hr": "7"})
    assert not at.exception
    text = " ".join(messages.unescaped(w.value) for w in at.warning)   # as shown: Markdown escapes undone
    assert "unknown tab 'nope'" in text and "lr min < lr max" in text and "hr" in text
    assert at.radio(key="tab").value == "race"


def test_manual_lr_range_goes_into_the_link():
    at = new_app({**RAVINE, "tab": "sweep", "lrmin": "0.01", "lrmax": "1"})
    fig = healthy(at)
    lrs = np.concatenate([decode(t["x"]) for t in fig["data"]
                          if trace_meta(t).get("kind") == "sweep" and t.get("yaxis") == "y"])
    assert lrs.min() == pytest.approx(0.01) and lrs.max() == pytest.approx(1.0)
    assert qp(at, "lrmin") == "0.01" and qp(at, "lrmax") == "1"


def test_theory_panel_predicted_line_and_optimal_button():
    at = new_app(RAVINE)
    assert not at.exception
    th = theory.quadratic_theory(landscapes.get("ravine"))
    loss = figs(at)[1]
    lines = [t for t in loss["data"] if "theory ρ" in t.get("name", "")]
    assert len(lines) == 2
    text = " ".join(m.value for m in at.markdown)
    assert "κ = **20**" in text and f"{th.gd_best_lr:.4g}" in text
    at.selectbox(key="opt_racer").set_value(1).run()
    at.button(key="opt_mom").click().run()
    assert not at.exception
    assert at.selectbox(key="opt.1").value == "momentum"
    assert at.number_input(key="lr.1").value == pytest.approx(th.momentum_best_alpha)
    assert at.number_input(key="hp.1.momentum.momentum").value == pytest.approx(th.momentum_best_beta)
    rows = next(d.value for d in at.dataframe if "predicted rate" in d.value.columns)
    row = rows.iloc[1]
    assert row["predicted rate"] == pytest.approx(th.momentum_best_rate, rel=1e-6)
    assert row["measured rate"] == pytest.approx(th.momentum_best_rate, rel=0.03)
    at.button(key="opt_gd").click().run()
    assert at.selectbox(key="opt.1").value == "gd"
    assert at.number_input(key="lr.1").value == pytest.approx(th.gd_best_lr)
    for f in figs(at):
        assert np.all(np.isfinite(np.fromiter(all_numbers(f), dtype=float)))


@pytest.mark.parametrize("key, value", [("tab", "nope"), ("res", 333), ("hr", 99), ("hr", "x"),
                                        ("lrmin", -1.0), ("lrmax", float("nan")), ("lr_auto", "yes")])
def test_a_modified_client_cannot_break_the_hyper_controls(key, value):
    from ui.sanitize import sanitize_widget_state
    at = new_app({**RAVINE, "tab": "sweep"})
    state = {k: at.session_state[k] for k in ("surface", "steps", "n_racers", "seed", "x", "y", "view", "speed",
                                                "opt.0", "lr.0", "sched.0", "noise.0", "tab", "hr", "lr_auto")}
    assert sanitize_widget_state(dict(state)) == []
    state[key] = value
    messages = sanitize_widget_state(state)
    assert len(messages) == 1 and "held an invalid value" in messages[0]
    assert sanitize_widget_state(dict(state)) == []
