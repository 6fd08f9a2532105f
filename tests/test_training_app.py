"""The training view's own settings (task, network, steps, batch sizes) in the app, in
share links and in its downloads; the network lessons in the lesson menu."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import exports
import links
import livechart
from lessons import LESSONS, NETWORK_LESSONS
from state import DEFAULT, AppState, HyperView, TrainingOptions
from training import Racer, TrainConfig
from training import exports as texports
from training import view as view_mod

ROOT = Path(__file__).resolve().parents[1]


def _app(query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def _q(at, key):
    v = at.query_params.get(key)
    return v[0] if isinstance(v, list) else v


# --- the controls -------------------------------------------------------------------

def test_controls_set_the_task_the_network_the_steps_and_a_batch_size():
    at = _app({"tab": "training", "net.steps": "30", "r1": "adam", "r1.lr": "0.01", "r2": "gd", "r2.lr": "0.3"})
    assert not at.exception and not at.error
    at.selectbox(key="net_task").set_value("spirals").run()
    at.number_input(key="net_layers").set_value(1).run()
    at.number_input(key="net_width").set_value(8).run()
    at.number_input(key="net_steps").set_value(40).run()
    at.number_input(key="net_batch.1").set_value(16).run()
    assert not at.exception and not at.error
    want = TrainConfig("spirals", hidden=(8,), steps=40,
                       racers=(Racer("adam", 0.01), Racer("gd", 0.3, batch_size=16)))
    run, _ = view_mod.compute(want)
    df = at.dataframe[0].value
    assert list(df["racer"]) == ["adam lr=0.01", "gd lr=0.3 batch 16"]
    assert df["final loss"].tolist() == pytest.approx(run.losses[:, -1].tolist(), rel=1e-12)
    assert at.title[0].value == "Two spirals: a 2 → 8 → 2 tanh network"
    assert (_q(at, "net.task"), _q(at, "net.layers"), _q(at, "net.width"), _q(at, "net.steps"),
            _q(at, "net.batch")) == ("spirals", "1", "8", "40", "full,16")
    fig = livechart.figures_in(at.get("bidi_component"))[0]
    assert "Two spirals" in fig["layout"]["title"]["text"]


def test_a_network_over_the_budget_gets_a_message():
    at = _app({"tab": "training", "net.steps": "20", "net.width": "64", "net.layers": "3", "r1": "adam"})
    assert not at.exception
    assert any("parameters" in e.value and "at most 5000" in e.value for e in at.error)


def test_the_race_view_keeps_the_training_settings():
    """Streamlit drops a control's value while it is not drawn: the settings survive a visit to the race."""
    at = _app({"tab": "training", "net.steps": "25", "net.task": "spirals", "r1": "adam", "r1.lr": "0.01"})
    at.radio(key="tab").set_value("race").run()
    assert not at.exception and _q(at, "net.task") is None
    at.radio(key="tab").set_value("training").run()
    assert not at.exception and (_q(at, "net.task"), _q(at, "net.steps")) == ("spirals", "25")


@pytest.mark.parametrize("key, value, what", [
    ("net_task", "xor", "Task"), ("net_width", 10 ** 9, "Hidden width"), ("net_width", 2.5, "Hidden width"),
    ("net_layers", 0, "Hidden layers"), ("net_steps", float("nan"), "Training steps"),
    ("net_batch.1", 101, "training batch size 2"), ("net_batch.0", "all", "training batch size 1"),
])
def test_a_modified_client_value_is_reset_with_a_message(key, value, what):
    from ui.sanitize import sanitize_widget_state
    at = _app({"tab": "training", "net.steps": "20", "r1": "adam", "r2": "gd"})
    state = {k: at.session_state[k] for k in ("surface", "net_task", "net_width", "net_layers", "net_steps",
                                              "net_batch.0", "net_batch.1")}
    assert sanitize_widget_state(dict(state)) == [], "a healthy state is left alone"
    state[key] = value
    messages = sanitize_widget_state(state)
    assert len(messages) == 1 and f"the control {what} held an invalid value" in messages[0], messages
    assert sanitize_widget_state(dict(state)) == []
    if key == "net_width":   # the real app, end to end
        at.session_state[key] = value
        at.run()
        assert not at.exception and not at.error
        assert at.number_input(key="net_width").value == DEFAULT.training.width


# --- share links ---------------------------------------------------------------------

@pytest.mark.parametrize("options", [TrainingOptions(), TrainingOptions("spirals", 8, 1, 1200, (None, 16)),
                                     TrainingOptions("moons", 64, 1, 1, (1, 100, None))])
def test_training_settings_round_trip_through_a_link(options):
    state = AppState(DEFAULT.run, hyper=HyperView(tab="training"), training=options)
    q = links.to_query(state, LESSONS)
    assert links.from_query(q, LESSONS) == (state, [])


def test_a_race_link_carries_no_training_settings():
    q = links.to_query(AppState(training=TrainingOptions("spirals")), LESSONS)
    assert not any(k.startswith("net.") for k in q) and "tab" not in q


@pytest.mark.parametrize("key, value, message, field, sane", [
    ("net.task", "xor", "unknown training task 'xor'", "task", "moons"),
    ("net.width", "65", "net.width (hidden width) must be between 1 and 64", "width", 16),
    ("net.width", "1e400", "net.width", "width", 16),
    ("net.layers", "0", "net.layers (hidden layers) must be between 1 and 3", "layers", 2),
    ("net.steps", "2001", "net.steps (training steps) must be between 1 and 2000", "steps", 300),
    ("net.steps", "nan", "net.steps", "steps", 300),
    ("net.batch", "full,0", "net.batch (racer 2) must be a whole number from 1 to N = 100", "batches", ()),
    ("net.batch", "16,x", "net.batch (racer 2)", "batches", (16,)),
    ("net.batch", ",".join(["16"] * 7), "at most 6 racers", "batches", (16,) * 6),
])
def test_a_tampered_training_value_warns_and_keeps_a_sane_one(key, value, message, field, sane):
    state, warnings = links.from_query({"tab": "training", key: value}, LESSONS)
    assert len(warnings) == 1 and message in warnings[0], warnings
    assert getattr(state.training, field) == sane


def test_a_network_lesson_link_opens_the_training_view_with_its_settings():
    lesson = LESSONS["train_spirals_batch"]
    state, warnings = links.from_query({"lesson": "train_spirals_batch"}, LESSONS)
    assert warnings == [] and state.hyper.tab == "training" and state.training == lesson.training
    assert state.training == TrainingOptions("spirals", 16, 2, 400, (None, 16))
    # the race view under a network lesson says so in its link (the lesson alone opens training)
    q = links.to_query(AppState(state.run, lesson="train_spirals_batch"), LESSONS)
    assert q["tab"] == "race" and links.from_query(q, LESSONS)[0].hyper.tab == "race"


# --- the network lessons in the app -----------------------------------------------------

def test_a_network_lesson_opens_the_training_view_with_its_checked_claims():
    key = "train_adam_momentum"
    lesson = LESSONS[key]
    at = _app({"lesson": key})
    assert not at.exception and not at.error
    assert at.radio(key="tab").value == "training"
    info = " ".join(i.value for i in at.info)
    assert lesson.title in info and "✗" not in info
    assert info.count("✓") == len(lesson.claims)
    assert at.title[0].value == "Two moons: a 2 → 16 → 16 → 2 tanh network"
    at.number_input(key="net_steps").set_value(120).run()
    assert any("You changed the lesson's settings" in w.value for w in at.warning)
    at.button(key="lesson_reset").click().run()
    assert not at.exception and at.number_input(key="net_steps").value == 300
    assert not any("You changed the lesson's settings" in w.value for w in at.warning)


def test_network_lessons_follow_the_others_in_the_menu_and_in_the_cli():
    keys = list(LESSONS)
    assert keys[-len(NETWORK_LESSONS):] == list(NETWORK_LESSONS)
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "cli.py", "lesson", "train_adam_momentum", "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    run, _ = view_mod.compute(LESSONS["train_adam_momentum"].config)
    assert d["view"] == "training" and d["configuration"]["task"] == "moons"
    assert [r["final_loss"] for r in d["racers"]] == run.losses[:, -1].tolist()
    assert d["claims"] and all(c["verdict"] is True for c in d["claims"])


# --- downloads ----------------------------------------------------------------------

CFG = TrainConfig(steps=40, racers=(Racer("adam", 0.01), Racer("gd", 0.5, batch_size=20)))


@pytest.fixture(scope="module")
def race():
    return view_mod.compute(CFG)


def test_csv_carries_every_loss_and_projected_point(race):
    run, plane = race
    rows = list(csv.DictReader(io.StringIO(texports.paths_csv(run, plane))))
    assert list(rows[0]) == texports.CSV_COLUMNS
    for r in range(2):
        mine = [row for row in rows if row["racer"] == str(r + 1)]
        assert len(mine) == CFG.steps + 1 and all(row["label"] == run.labels[r] for row in mine)
        np.testing.assert_allclose([float(row["loss"]) for row in mine], run.losses[r], rtol=1e-6)
        np.testing.assert_allclose([[float(row["pc1"]), float(row["pc2"])] for row in mine], plane.coords[r],
                                   rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose([float(row["loss_on_plane"]) for row in mine], plane.path_losses[r], rtol=1e-6)
        assert mine[0]["lr"] == "" and [float(row["lr"]) for row in mine[1:]] == run.lrs[r].tolist()


def test_csv_stops_at_a_diverged_racers_last_point():
    run, plane = view_mod.compute(TrainConfig(steps=30, racers=(Racer("adam", 0.01), Racer("gd", 1e5))))
    rows = [row for row in csv.DictReader(io.StringIO(texports.paths_csv(run, plane))) if row["racer"] == "2"]
    assert len(rows) == run.last(1) + 1 and all(np.isfinite(float(row["loss"])) for row in rows)


def _arr(v) -> np.ndarray:
    """A figure's array: plotly >= 6 writes NumPy arrays as base64 typed arrays."""
    import base64
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).astype(float)
    return np.asarray([np.nan if x is None else x for x in v], dtype=float)


def _paths(fig: dict) -> dict:
    from figures.prepared import trace_meta
    return {trace_meta(t)["racer"]: t for t in fig["data"] if trace_meta(t).get("role") == "path"
            and t.get("type", "scatter") == "scatter"}


def test_the_static_and_html_figures_draw_the_runs_paths(race):
    run, plane = race
    still = texports.static_figure(run, plane).to_dict()
    assert not still.get("frames") and not still["layout"].get("updatemenus")
    for r, t in _paths(still).items():
        xy = np.column_stack([_arr(t["x"]), _arr(t["y"])])
        np.testing.assert_allclose(xy, plane.coords[r], rtol=1e-6, atol=1e-9)
    html = texports.figure_html(run, plane)
    assert "<html>" in html and "Plotly.addFrames" in html and run.labels[1] in html, "offline and animated"


@pytest.mark.skipif(not exports.static_export_available(), reason="kaleido needs Chromium")
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_the_figure_as_an_image(race, fmt):
    run, plane = race
    data = texports.figure_image(run, plane, fmt, scale=1)
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        from PIL import Image
        assert Image.open(io.BytesIO(data)).size == (1100, 600)
    else:
        text = data.decode()
        assert text.lstrip().startswith("<svg") and "PC2 (" in text and run.labels[0] in text


def test_on_the_stage_the_settings_are_in_the_header_and_the_chart_answers_the_keys():
    """Presentation mode: the training view's settings in the header's popover, and the
    training chart takes the presenter's keys (PageDown/PageUp, space, Home)."""
    import orjson
    at = _app({"lesson": "train_adam_momentum", "present": "1"})
    assert not at.exception and not at.error
    assert at.toggle(key="present").value is True
    assert at.number_input(key="net_steps").value == 300
    messages = [orjson.loads(el.proto.bytes) for el in at.get("bidi_component")
                if el.proto.component_name == "livechart"]
    assert messages[0].get("keys") is True, "the training chart drives the stage"
    assert not any(m.get("keys") for m in messages[1:]), "one chart of the page answers the keys"
