"""The real Streamlit app through AppTest: every control, bad links, no NaN."""
from __future__ import annotations

import base64
import dataclasses
import json
import os
import re

import numpy as np
import plotly.io
import pytest
from streamlit.testing.v1 import AppTest

import experiments
from figures import views
import landscapes
import optimizers
import results
from lessons import LESSONS
from state import AppState
from figures.prepared import prepare_stable, trace_meta
from optimizers import schedules
import livechart

APP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app.py")
TIMEOUT = 60


def new_app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def decode(value):
    """plotly >= 6 sends NumPy arrays as {"dtype", "bdata", "shape"}; the race figure
    sends them as JSON numbers (figures.prepared.prepare_stable)."""
    if isinstance(value, list):
        return np.asarray(value)
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return arr.reshape([int(s) for s in str(value.get("shape", len(arr))).split(",")]) \
            if "shape" in value else arr
    return value


def all_numbers(obj):
    """Every number anywhere in a figure spec (typed arrays decoded)."""
    if isinstance(obj, dict):
        if "bdata" in obj:
            yield from np.asarray(decode(obj), dtype=float).ravel()
            return
        for v in obj.values():
            yield from all_numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from all_numbers(v)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield float(obj)


def charts(at: AppTest) -> list[dict]:
    return livechart.figures_in(at.get("bidi_component"))


def main_chart(at: AppTest) -> dict:
    return charts(at)[0]


def assert_healthy(at: AppTest, min_paths: int = 1) -> dict:
    assert not at.exception, [e.value for e in at.exception]
    figs = charts(at)
    assert len(figs) >= 2, "main figure and loss figure (and a lesson's own)"
    fig = figs[0]
    steps = [fr for fr in fig["frames"] if "hold" not in fr["name"]]
    assert 1 <= len(steps) <= 200
    assert len(paths(fig)) >= min_paths
    for f in figs:
        nums = np.fromiter(all_numbers(f), dtype=float)
        assert np.all(np.isfinite(nums)), "no NaN or inf may reach a figure"
    return fig


def paths(fig: dict) -> list[dict]:
    """The 2-D path traces, in racer order (each carries its racer index in ``meta``)."""
    found = [t for t in fig["data"] if "racer" in trace_meta(t)
             and trace_meta(t).get("role") == "path" and t.get("type", "scatter") == "scatter"]
    return sorted(found, key=lambda t: trace_meta(t)["racer"])


def trace(fig: dict, name: str, kind: str = "scatter") -> dict:
    return next(t for t in fig["data"] if t.get("name") == name and t.get("type", "scatter") == kind)


def test_first_screen_shows_three_optimizers_racing():
    at = new_app()
    fig = assert_healthy(at, min_paths=3)
    assert "Rosenbrock" in at.title[0].value
    assert len(json.dumps(fig)) < 1_000_000, "default view under 1 MB of figure JSON"
    assert fig["layout"]["images"], "the contour picture is the 2-D background"
    assert "scene" in fig["layout"], "3-D view next to the contour"
    assert any("Three optimizers" in i.value for i in at.info)
    # frames carry only what moves: one marker point per optimizer and view, and
    # (after the first frame) one growing trail chunk per optimizer and view, never whole paths
    traces = fig["data"]
    for fr in fig["frames"][1:]:
        kinds = [trace_meta(traces[i])["role"] for i in fr["traces"]]
        assert kinds.count("marker") in (0, 6) and kinds.count("trail") in (0, 3), kinds
        assert kinds.count("trail3d") == kinds.count("trail"), kinds
        assert set(kinds) <= {"marker", "trail", "trail3d"}
        assert all(len(t["x"]) == 1 for i, t in zip(fr["traces"], fr["data"])
                   if trace_meta(traces[i])["role"] == "marker")
    trail_points = sum(len(decode(t["x"])) for fr in fig["frames"] for t in fr["data"] if isinstance(t["x"], dict))
    naive = 3 * sum(int(fr["name"]) + 1 for fr in fig["frames"] if "hold" not in fr["name"])
    assert trail_points < naive / 5, f"{trail_points} trail points in the frames (whole growing paths: {naive})"
    assert not at.warning


@pytest.mark.parametrize("name", landscapes.names())
def test_every_surface(name):
    at = new_app()
    at.selectbox(key="surface").set_value(name).run()
    fig = assert_healthy(at, min_paths=3)
    s = landscapes.get(name)
    (x0, x1), (y0, y1) = s.domain
    assert fig["layout"]["xaxis"]["range"] == [x0, x1]
    # the start moved to the surface's default
    assert at.number_input(key="x").value == pytest.approx(s.default_start[0])
    start = trace(fig, "start")
    assert start["x"] == [pytest.approx(s.default_start[0])]


@pytest.mark.parametrize("name", optimizers.names())
def test_every_optimizer(name):
    at = new_app({"surface": "bowl", "steps": "80", "r1": "gd", "r1.lr": "0.1"})
    at.selectbox(key="opt.0").set_value(name).run()
    fig = assert_healthy(at)
    assert at.number_input(key="lr.0").value > 0
    assert len(decode(paths(fig)[0]["x"])) >= 2
    assert paths(fig)[0]["name"].startswith(name)
    assert any(optimizers.get(name).title in md.value for md in at.markdown)


@pytest.mark.parametrize("name", schedules.names())
def test_every_schedule(name):
    at = new_app({"surface": "bowl", "steps": "50", "r1": "gd", "r1.lr": "0.1"})
    at.selectbox(key="sched.0").set_value(name).run()
    assert_healthy(at)
    assert at.query_params.get("r1.sched", ["constant"]) in (["constant"], [name], name)


@pytest.mark.parametrize("lr", [1e6, 1e3, 1e-12, 0.0])
def test_extreme_learning_rates(lr):
    at = new_app({"surface": "bowl", "steps": "100", "r1": "gd", "r1.lr": "0.1"})
    at.number_input(key="lr.0").set_value(lr).run()
    fig = assert_healthy(at)
    table = at.dataframe[0].value
    if lr >= 1e3:
        assert "diverged at step" in table["status"][0]
        assert any("diverged at step" in w.value for w in at.warning)
        path = decode(paths(fig)[0]["x"])
        assert np.all(np.isfinite(path))
    else:
        assert "diverged" not in table["status"][0]


def test_divergence_on_every_surface_keeps_nan_out():
    for name in ("rosenbrock", "goldstein_price", "ackley", "saddle", "beale"):
        at = new_app({"surface": name, "steps": "200", "r1": "gd", "r1.lr": "5", "r2": "adam",
                      "r2.lr": "100", "r3": "newton"})
        assert_healthy(at)


BAD_LINKS = [
    {"surface": "nope"},
    {"steps": "abc"},
    {"steps": "-4"},
    {"steps": "99999999"},
    {"x": "nan", "y": "1"},
    {"x": "1e309", "y": "0"},
    {"r1": "sgd_typo", "r1.lr": "0.1"},
    {"r1": "adam", "r1.lr": "-5"},
    {"r1": "adam", "r1.beta1": "1.5", "r1.eps": "0"},
    {"r1": "adam", "r1.amsgrad": "maybe"},
    {"r1": "nesterov", "r1.dampening": "0.5"},
    {"r1": "gd", "r1.sched": "nope"},
    {"r1": "gd", "r1.sched": "step", "r1.sched.step_size": "0"},
    {"r1": "gd", "r1.noise": "-1"},
    {"r9.lr": "0.1"},
    {"view": "4d", "speed": "warp", "present": "maybe"},
    {"s.b": "-100", "surface": "rosenbrock"},
    {"seed": "-1"},
    {"<script>": "alert(1)"},
]


@pytest.mark.parametrize("query", BAD_LINKS, ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()))
def test_tampered_links_open_with_defaults_and_a_warning(query):
    at = new_app(query)
    assert_healthy(at)
    assert at.warning, "a visible warning names the bad part"
    assert all(w.value.startswith("Share link:") for w in at.warning)


def test_share_link_round_trip_reopens_the_same_view():
    q = {"surface": "himmelblau", "steps": "120", "x": "0.5", "y": "-1", "seed": "3",
         "r1": "adam", "r1.lr": "0.05", "r1.amsgrad": "true", "r1.noise": "0.5",
         "r2": "momentum", "r2.lr": "0.002", "r2.sched": "cosine", "r2.sched.T_max": "100",
         "view": "2d", "speed": "fast"}
    a = new_app(q)
    assert_healthy(a, min_paths=2)
    assert not a.warning
    written = {k: v[0] if isinstance(v, list) else v for k, v in a.query_params.items()}
    b = new_app(written)
    assert main_chart(a) == main_chart(b)
    assert "scene" not in main_chart(a)["layout"], "view=2d has no 3-D scene"
    plan = main_chart(a)["layout"]["updatemenus"][0]["buttons"][0]["args"][1]["frame"]  # one entry per frame
    assert {f["duration"] for f in plan} == {20}


def test_query_params_follow_the_controls():
    at = new_app()
    at.selectbox(key="surface").set_value("booth").run()
    at.number_input(key="steps").set_value(77).run()
    qp = at.query_params
    assert qp["surface"] in (["booth"], "booth")
    assert qp["steps"] in (["77"], "77")


def test_click_on_the_map_sets_the_start_point():
    at = new_app({"surface": "bowl", "r1": "gd", "r1.lr": "0.1", "steps": "30"})
    at.session_state["chart"] = {"selection": {"points": [{"x": 0.75, "y": -1.25, "curve_number": 0}],
                                               "point_indices": [0], "box": [], "lasso": []}}
    at.run()
    at.run()  # the callback stores the point; the next run draws from there
    assert at.number_input(key="x").value == pytest.approx(0.75)
    assert at.number_input(key="y").value == pytest.approx(-1.25)
    start = trace(main_chart(at), "start")
    assert start["x"] == [pytest.approx(0.75)] and start["y"] == [pytest.approx(-1.25)]


def test_a_click_takes_once_and_the_same_spot_takes_again_later():
    """The chart (livechart) keeps its last click as its state, with the time of
    the click: the app acts on a click in the first run after it, not again on
    later runs, and a second click on the same spot (a new time) takes again."""
    at = new_app({"surface": "bowl", "r1": "gd", "r1.lr": "0.1", "steps": "30"})

    def click(at_ms: int) -> None:
        at.session_state["chart"] = {"selection": {"points": [{"x": 0.75, "y": -1.25, "curve_number": 0,
                                                               "point_index": 0}], "at": at_ms}}
        at.run()
        at.run()

    click(1)
    assert (at.number_input(key="x").value, at.number_input(key="y").value) == (0.75, -1.25)
    at.number_input(key="x").set_value(0.5).run()
    at.run()
    assert at.number_input(key="x").value == 0.5, "the old click is not applied again"
    click(2)
    assert (at.number_input(key="x").value, at.number_input(key="y").value) == (0.75, -1.25)
    assert not at.exception


def test_click_on_a_path_point_opens_that_step_in_the_inspector():
    at = new_app({"surface": "bowl", "r1": "gd", "r1.lr": "0.1", "r2": "momentum", "r2.lr": "0.1",
                  "steps": "30", "x": "1", "y": "1"})
    fig = main_chart(at)
    path = paths(fig)[1]
    assert path["name"].startswith("momentum")
    curve = fig["data"].index(path)
    x, y = decode(path["x"])[3], decode(path["y"])[3]
    at.session_state["chart"] = {"selection": {"points": [{"x": float(x), "y": float(y), "curve_number": curve,
                                                           "point_index": 3, "point_number": 3}],
                                               "point_indices": [3], "box": [], "lasso": []}}
    at.run()
    assert not at.exception and not at.warning
    assert at.selectbox(key="inspect_racer").value == 1
    assert at.slider(key="inspect_step").value == 3
    assert at.number_input(key="x").value == pytest.approx(1.0), "a path click does not move the start"
    table = at.dataframe[1].value
    pos = table[table["quantity"] == "position θ"]
    assert float(pos["x"].iloc[0]) == pytest.approx(float(x), rel=1e-6)


def test_empty_selection_keeps_the_start():
    at = new_app({"surface": "bowl", "r1": "gd", "r1.lr": "0.1", "steps": "30", "x": "1", "y": "1"})
    at.session_state["chart"] = {"selection": {"points": [], "point_indices": [], "box": [], "lasso": []}}
    at.run()
    assert at.number_input(key="x").value == pytest.approx(1.0)
    assert not at.exception


def test_lessons_load_in_one_click():
    from lessons import LESSONS
    at = new_app()
    for key, lesson in LESSONS.items():
        at.selectbox(key="lesson").set_value(key).run()
        assert_healthy(at, min_paths=len(lesson.racers))
        assert at.selectbox(key="surface").value == lesson.surface
        assert any(lesson.title in i.value for i in at.info), f"{key}: the lesson's text, unchanged"
        assert at.query_params["lesson"] in ([key], key)


@pytest.mark.parametrize("key", ["ravine", "saddle_oscillation", "article", "plateau_rescue"])
def test_a_lesson_link_opens_with_its_text_and_marks_changes(key):
    from lessons import LESSONS
    lesson = LESSONS[key]
    at = new_app({"lesson": key})
    assert_healthy(at, min_paths=len(lesson.racers))
    info = " ".join(i.value for i in at.info)
    assert lesson.title in info and "✓" in info and "✗" not in info
    at.number_input(key="lr.0").set_value(0.0123).run()
    assert not at.exception
    assert any("You changed the lesson's settings" in w.value for w in at.warning)
    at.button(key="lesson_reset").click().run()
    assert any(lesson.title in i.value for i in at.info)
    assert at.number_input(key="lr.0").value == lesson.run_config().racers[0].choice.lr


def test_more_racers_and_noise():
    at = new_app()
    at.number_input(key="n_racers").set_value(6).run()
    fig = assert_healthy(at, min_paths=6)
    drawn = paths(fig)
    colours = [t["line"]["color"] for t in drawn]
    assert len(set(colours)) == 6, "one colour per optimizer"
    assert len({t["name"] for t in drawn}) == 6, "labels name what differs: no two alike"
    for t in drawn:  # the same colour in every view
        same = [u for u in fig["data"] if u.get("name") == t["name"]]
        assert all((u.get("line", {}).get("color") or u["marker"]["color"]) == t["line"]["color"] for u in same)
    at.number_input(key="noise.0").set_value(3.0).run()
    assert_healthy(at, min_paths=6)


def test_presentation_mode_enlarges_and_hides_controls():
    normal = main_chart(new_app())
    at = new_app({"present": "1"})
    fig = assert_healthy(at)
    assert fig["layout"]["font"]["size"] > normal["layout"]["font"]["size"]
    # readable from the back of a room: ticks and legends of every plot at 18 px or more,
    # and a figure short enough for a 1280x720 projector below the title row and the
    # lesson's folded text (issue 20: the picture gets the stage; the browser tests in
    # test_browser_figures.py measure the map, Play and the slider on that screen)
    lay = fig["layout"]
    assert lay["height"] <= 570
    for size in (lay["legend"]["font"]["size"], lay["xaxis"]["tickfont"]["size"],
                 lay["yaxis"]["tickfont"]["size"], lay["scene"]["xaxis"]["tickfont"]["size"],
                 lay["scene"]["zaxis"]["tickfont"]["size"]):
        assert size >= 18
    loss = charts(at)[1]["layout"]
    assert min(loss["legend"]["font"]["size"], loss["xaxis"]["tickfont"]["size"],
               loss["yaxis"]["tickfont"]["size"]) >= 18
    assert any("stSidebar" in md.value for md in at.markdown), "CSS hides the sidebar"
    at.toggle(key="present").set_value(False).run()
    assert not any("stSidebar" in md.value for md in at.markdown)


def test_invalid_hyperparameter_shows_a_clear_error_and_keeps_the_rest():
    at = new_app({"surface": "bowl", "r1": "adam", "r1.lr": "0.1", "r2": "gd", "r2.lr": "0.1"})
    at.number_input(key="hp.0.adam.beta1").set_value(1.0).run()
    assert not at.exception
    assert any("beta1" in e.value for e in at.error)
    fig = main_chart(at)
    assert [t["name"] for t in paths(fig)] == ["gd"], "the valid racer still races"


def test_a_view_option_change_recomputes_nothing_and_a_racer_change_only_that_racer(monkeypatch):
    calls = []
    real = experiments.run_racer

    def counting(cfg, i, record_state=False):
        calls.append(cfg.racers[i])
        return real(cfg, i, record_state)

    monkeypatch.setattr(experiments, "run_racer", counting)
    at = new_app({"surface": "booth", "steps": "123", "r1": "gd", "r1.lr": "0.05", "r2": "adam", "r2.lr": "0.3"})
    n = len(calls)
    at.radio(key="view").set_value("2d").run()
    at.toggle(key="log_loss").set_value(False).run()
    at.select_slider(key="speed").set_value("slow").run()
    assert len(calls) == n, "view options reuse the cached trajectories"
    at.number_input(key="lr.0").set_value(0.06).run()
    assert len(calls) == n + 1, "changing one racer recomputes that racer only"
    assert calls[-1].choice.name == "gd" and calls[-1].choice.lr == 0.06
    assert not at.exception


def test_a_class_opening_one_link_computes_it_once(monkeypatch):
    """The caches are shared by every session: the second, third... student to
    open the teacher's link runs no optimizer and builds no figure."""
    runs, builds = [], []
    real_run, real_fig = experiments.run_racer, views.trajectory_figure_for
    monkeypatch.setattr(experiments, "run_racer",
                        lambda cfg, i, record_state=False: runs.append(i) or real_run(cfg, i, record_state))
    monkeypatch.setattr(views, "trajectory_figure_for",
                        lambda *a, **k: builds.append(1) or real_fig(*a, **k))
    link = {"surface": "himmelblau", "steps": "137", "x": "0.5", "y": "-1.5",
            "r1": "gd", "r1.lr": "0.01", "r2": "adam", "r2.lr": "0.2", "r3": "rmsprop", "r3.lr": "0.03"}
    first = new_app(link)
    assert not first.exception
    assert len(runs) == 3 and len(builds) == 1
    others = [new_app(link) for _ in range(3)]
    assert len(runs) == 3 and len(builds) == 1, "later sessions reuse the first one's work"
    for at in others:
        assert not at.exception
        assert main_chart(at) == main_chart(first)
        assert at.dataframe[0].value.equals(first.dataframe[0].value)


def test_racers_computed_alone_equal_the_whole_race():
    """The app caches racers one by one: each must be the race's own result."""
    race = LESSONS["first"].run_config()
    run = dataclasses.replace(race, seed=3, racers=tuple(
        dataclasses.replace(r, noise=0.5) for r in race.racers))
    whole = results.run_results(run)
    for i, full in enumerate(whole):
        alone = results.racer_result(run, i)
        assert set(alone) == set(full) - {"label"}
        for k, v in alone.items():
            if isinstance(v, np.ndarray):
                np.testing.assert_array_equal(v, full[k])
            elif k == "states":
                assert set(v) == set(full[k])
                for name in v:
                    np.testing.assert_array_equal(v[name], full[k][name])
            else:
                assert v == full[k], k


def test_the_served_figure_is_plotlys_own_json():
    """figures.prepared skips plotly's validation and deep copy; what it sends
    must be exactly what go.Figure(...).to_dict() would have sent, carried
    through ``prepare_stable`` (the look in the layout, arrays as numbers)."""
    at = new_app()
    run = AppState().run
    expected = json.loads(plotly.io.to_json(prepare_stable(json.loads(plotly.io.to_json(
        views.trajectory_figure_for(run, results.run_results(run)),
        validate=False))), validate=False))   # the default view has no scrub sliders
    got = main_chart(at)
    for i, (t_got, t_exp) in enumerate(zip(got["data"], expected["data"])):
        if t_got.get("type") == "surface":  # a named colorscale, which go.Figure spells out
            assert t_got["colorscale"] == "Viridis"
            t_got["colorscale"] = t_exp["colorscale"]
        # a digest of each trace as each path built it (ints or floats alike);
        # plotly.io.to_json leaves uids out of the expected figure
        assert re.fullmatch(rf"{i}-[0-9a-f]{{16}}", t_got.pop("uid")) and "uid" not in t_exp
    # a digest of the traces; the traces themselves must be equal
    assert len(got["layout"].pop("datarevision")) == len(expected["layout"].pop("datarevision")) == 32
    assert got == expected


def test_step_inspector_shows_gradient_update_and_state():
    at = new_app({"surface": "bowl", "r1": "momentum", "r1.lr": "0.1", "steps": "20", "x": "1", "y": "1"})
    at.slider(key="inspect_step").set_value(2).run()
    table = at.dataframe[1].value
    q = list(table["quantity"])
    assert "gradient seen g" in q and "state: momentum_buffer" in q
    g = table[table["quantity"] == "gradient seen g"]
    # step 2 sees the gradient at step 1's point: (1 - 0.1*2) * 2 = 1.6
    assert float(g["x"].iloc[0]) == pytest.approx(1.6)


def test_default_state_helpers_agree_with_the_app():
    st = AppState()
    assert len(st.run.racers) == 3 and st.run.surface == "rosenbrock"
