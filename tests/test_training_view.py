"""The training view: the plane (PCA), the figures built from it, the CLI and the lessons."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cli
from training import Racer, TrainConfig, network, train
from training import view as view_mod
from training.lesson import TRAINING_LESSONS, check
from training.plane import interpolation, plane_of
from training.view import ALPHAS, LossDisplay, plane_grids, training_view

ROOT = Path(__file__).resolve().parents[1]
CFG = TrainConfig(steps=60, racers=(Racer("adam", 0.01), Racer("momentum", 0.05, {"momentum": 0.9})))


def _arr(v):
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).reshape(v.get("shape", -1))
    return np.asarray(v, dtype=float)


@pytest.fixture(scope="module")
def view():
    return training_view(CFG)


def test_single_racer_plane_is_li_et_al():
    """One racer: the plane through θₙ spanned by the top two principal
    directions of θᵢ − θₙ (centred, as sklearn's PCA), explained variance ratios."""
    run = train(TrainConfig(steps=80, racers=(Racer("adam", 0.01),)))
    plane = plane_of(run)
    M = run.thetas[0] - run.thetas[0, -1]
    Mc = M - M.mean(axis=0)
    _, s, vt = np.linalg.svd(Mc, full_matrices=False)
    assert abs(plane.d1 @ vt[0]) == pytest.approx(1.0, abs=1e-9)
    assert abs(plane.d2 @ vt[1]) == pytest.approx(1.0, abs=1e-9)
    ratio = s ** 2 / np.sum(s ** 2)
    assert plane.explained == pytest.approx((ratio[0], ratio[1]), rel=1e-9)
    np.testing.assert_array_equal(plane.centre, run.thetas[0, -1])
    assert np.allclose(plane.coords[0][-1], 0.0)
    np.testing.assert_allclose(plane.coords[0], np.stack([M @ plane.d1, M @ plane.d2], axis=-1))
    assert plane.d1 @ plane.d2 == pytest.approx(0.0, abs=1e-12)
    assert (run.theta0 - plane.centre) @ plane.d1 <= 0   # the start lies at negative PC1


def test_shared_plane_and_shares(view):
    run, plane = view.run, view.plane
    assert plane.reference == 0 and np.allclose(plane.coords[0][-1], 0)
    assert 0 < plane.explained[1] <= plane.explained[0] and sum(plane.explained) <= 1 + 1e-12
    for r in range(2):
        Q = run.thetas[r] - plane.centre
        Qc = Q - Q.mean(axis=0)
        ab = plane.coords[r] - plane.coords[r].mean(axis=0)
        assert plane.own_share[r] == pytest.approx(np.sum(ab ** 2) / np.sum(Qc ** 2), rel=1e-9)
        resid = Q[-1] - plane.coords[r][-1, 0] * plane.d1 - plane.coords[r][-1, 1] * plane.d2
        assert plane.end_distance[r] == pytest.approx(np.linalg.norm(resid), rel=1e-6, abs=1e-9)
    # the heights drawn are the loss on the plane at the projected points
    for r in range(2):
        c = plane.coords[r][::7]
        direct = network.losses(plane.centre + c[:, :1] * plane.d1 + c[:, 1:] * plane.d2,
                                run.data.X, run.data.y, run.sizes)
        np.testing.assert_allclose(plane.path_losses[r][::7], direct, rtol=1e-12)


def test_every_plotted_value_is_computed(view):
    """The 3-D mesh is log₁₀ of the loss at θ(a, b) (to 6 digits), the map's
    paths are the projected coordinates, each frame's markers are at the
    frame's step; axis titles carry the explained variance."""
    fig, run, plane = view.figure, view.run, view.plane
    surf = next(t for t in fig["data"] if t["type"] == "surface")
    xs, ys, z = _arr(surf["x"]), _arr(surf["y"]), _arr(surf["z"])
    grids = plane_grids(plane)
    rng = np.random.default_rng(0)
    for j, i in zip(rng.integers(0, len(ys), 8), rng.integers(0, len(xs), 8)):
        theta = plane.centre + xs[i] * plane.d1 + ys[j] * plane.d2
        loss = network.losses(theta[None], run.data.X, run.data.y, run.sizes)[0]
        want = min(max(np.log10(loss), grids.scale.lo), grids.scale.hi)   # log10 of the loss, in the colour range
        assert z[j, i] == pytest.approx(want, rel=1e-6, abs=1e-6)
    assert isinstance(grids.scale.display, LossDisplay) and grids.scale.display.label == "log₁₀ loss"
    e1, e2 = plane.explained
    assert [a["text"] for a in fig["layout"]["annotations"] if a.get("name") == "pc1"] == [f"PC1 ({100 * e1:.1f}%)"]
    assert fig["layout"]["yaxis"]["title"]["text"] == f"PC2 ({100 * e2:.1f}%)"
    # beside the map (which carries the shares) the 3-D titles are short; alone, they carry them
    assert [fig["layout"]["scene"][a]["title"]["text"] for a in ("xaxis", "yaxis")] == ["PC1", "PC2"]
    alone = view_mod.race_figure(run, plane, view="3d", raw=True)["layout"]["scene"]
    assert [alone[a]["title"]["text"] for a in ("xaxis", "yaxis")] == [f"PC1 ({100 * e1:.1f}%)",
                                                                       f"PC2 ({100 * e2:.1f}%)"]
    paths = [t for t in fig["data"] if (t.get("meta") or {}).get("role") == "path"]
    for t in paths:
        r = t["meta"]["racer"]
        np.testing.assert_allclose(_arr(t["x"]), plane.coords[r][:, 0], rtol=1e-6, atol=1e-6)
    markers = {i: t["meta"]["racer"] for i, t in enumerate(fig["data"])
               if (t.get("meta") or {}).get("role") == "marker" and t["type"] == "scatter"}
    for fr in fig["frames"]:
        if not fr["name"].isdigit():
            continue
        step = int(fr["name"])
        for i, d in zip(fr["traces"], fr["data"]):
            if i in markers:
                assert _arr(d["x"])[0] == pytest.approx(plane.coords[markers[i]][step, 0], rel=1e-6, abs=1e-6)
    json.dumps(view_mod.RaceFigure(fig["data"], fig["layout"], fig["frames"]).to_dict(), allow_nan=False,
               default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))


def test_panel_draws_the_real_network_at_the_step(view):
    """The data panel's boundary at a frame's step is the network θ_step's
    p = ½ curve, not its shadow on the plane."""
    fig, run = view.figure, view.run
    models = {i: t["meta"]["racer"] for i, t in enumerate(fig["data"])
              if (t.get("meta") or {}).get("role") == "panel" and "racer" in (t.get("meta") or {})}
    checked = 0
    for fr in fig["frames"][::20]:
        if not fr["name"].isdigit():
            continue
        step = int(fr["name"])
        for i, d in zip(fr["traces"], fr["data"]):
            if i in models:
                pts = np.array([(x, y) for x, y in zip(d["x"], d["y"]) if x is not None])
                p = network.predict(run.thetas[models[i], step], pts, run.sizes)[0]
                logit = np.log(p) - np.log1p(-p)
                assert np.median(np.abs(logit)) < 0.3   # on the boundary (a 40 x 40 trace, rounded)
                checked += 1
    assert checked >= 4


def test_interpolation_and_loss_figures(view):
    run = view.run
    for r, t in enumerate(view.interpolation.data):
        y = np.asarray(t.y)
        k0, k1 = int(np.argmin(np.abs(ALPHAS))), int(np.argmin(np.abs(ALPHAS - 1)))
        assert y[k0] == pytest.approx(run.losses[r, 0], rel=1e-12)
        assert y[k1] == pytest.approx(run.losses[r, -1], rel=1e-12)
        np.testing.assert_allclose(y, interpolation(run, r, ALPHAS))
    lines = [t for t in view.loss.data if t.mode == "lines"]
    np.testing.assert_allclose(lines[0].y, run.losses[0])
    assert "training loss" in view.loss.layout.yaxis.title.text
    assert [row["racer"] for row in view.rows] == run.labels


def test_a_diverged_racer_is_drawn_to_its_last_point():
    v = training_view(TrainConfig(steps=30, racers=(Racer("adam", 0.01), Racer("gd", 1e5))))
    assert v.run.status[1] == "diverged"
    assert len(v.plane.coords[1]) == v.run.last(1) + 1
    assert any("diverged" in str(t.get("text", "")) for t in v.figure["data"])
    assert v.rows[1]["status"].startswith("diverged at step")


def test_new_learning_rate_retrains_only_that_racer(monkeypatch):
    calls = []
    real = view_mod.train_racer
    monkeypatch.setattr(view_mod, "train_racer", lambda cfg, i, **kw: calls.append(i) or real(cfg, i, **kw))
    cfg = TrainConfig(steps=25, seed=7, racers=(Racer("adam", 0.01), Racer("gd", 0.3)))
    view_mod.compute(cfg)
    calls.clear()
    view_mod.compute(TrainConfig(steps=25, seed=7, racers=(Racer("adam", 0.01), Racer("gd", 0.4))))
    assert calls == [1]


def test_cli_train_json():
    import io
    from contextlib import redirect_stdout
    buf = io.StringIO()
    with redirect_stdout(buf):
        code = cli.main(["train", "--task", "spirals", "--optimizer", "adam", "momentum", "--lr", "0.01", "0.05",
                         "--set", "2.momentum=0.8", "--batch-size", "full", "16", "--schedule", "constant",
                         "cosine", "--schedule-set", "2.T_max=40", "--steps", "40", "--seed", "3", "--json"])
    assert code == 0
    d = json.loads(buf.getvalue())
    cfg = TrainConfig("spirals", 100, None, (16, 16), 40, 3,
                      (Racer("adam", 0.01), Racer("momentum", 0.05, {"momentum": 0.8}, "cosine", {"T_max": 40},
                                                  batch_size=16)))
    run = train(cfg)
    assert d["racers"][1]["losses"] == run.losses[1].tolist()
    assert d["racers"][1]["hyperparameters"]["momentum"] == 0.8 and d["racers"][1]["batch_size"] == 16
    theta0 = np.concatenate([np.ravel(t) for t in d["initial_parameters"]])
    np.testing.assert_array_equal(theta0, run.theta0)
    assert [np.shape(t) for t in d["initial_parameters"]] == [(16, 2), (16,), (16, 16), (16,), (2, 16), (2,)]
    assert np.array_equal(d["data"]["X"], run.data.X)
    assert len(d["racers"][0]["plane_path"]) == 41 and len(d["interpolation_alphas"]) == len(ALPHAS)
    assert 0 < d["plane"]["explained_variance"][0] <= 1


@pytest.mark.parametrize("argv, message", [
    (["--optimizer", "newton"], "Hessian"),
    (["--optimizer", "adam", "--lr", "1", "2"], "one per racer"),
    (["--steps", "5000"], "steps"),
    (["--n", "abc"], "--n must be a number"),
    (["--batch-size", "0"], "batch size"),
    (["--hidden", "64", "64", "64"], "parameters"),
    (["--set", "nope=1"], "no racer has"),
    (["--schedule", "zigzag"], "unknown schedule"),
    (["--task", "xor"], "unknown task"),
    (["--optimizer"] + ["adam"] * 7, "at most 6"),
    (["--lr", "0"], "no racer moved"),
])
def test_cli_train_bad_input_exits_2(argv, message):
    out = subprocess.run([sys.executable, "cli.py", "train", *argv], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1


@pytest.mark.parametrize("key", list(TRAINING_LESSONS))
def test_training_lesson_claims_hold(key):
    lesson = TRAINING_LESSONS[key]
    run, plane, verdicts = check(lesson)
    assert verdicts and all(v.holds for v in verdicts), [(v.text, v.measured) for v in verdicts if not v.holds]
    text = lesson.render(run, plane)
    assert "{" not in text and run.labels[0] in text


def test_an_unchanged_race_is_not_recomputed():
    cfg = TrainConfig(steps=20, seed=11, racers=(Racer("adam", 0.01),))
    run, plane = view_mod.compute(cfg)
    again = view_mod.compute(TrainConfig(steps=20, seed=11, racers=(Racer("adam", 0.01),)))
    assert again[0] is run and again[1] is plane
    assert plane_grids(plane) is plane_grids(plane)


def _app(query: dict):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def test_app_training_tab_draws_the_view():
    """The page's optimizers train the network: the race figure and the loss chart
    (livechart), the interpolation chart and the table, from a link."""
    at = _app({"tab": "training", "net.steps": "80", "r1": "adam", "r1.lr": "0.01", "r2": "momentum",
               "r2.lr": "0.05"})
    assert not at.exception and not at.error
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    assert json.loads(charts[0].proto.spec)["layout"]["title"]["text"].startswith("Loss on the straight line")
    import livechart
    figs = livechart.figures_in(at.get("bidi_component"))
    assert len(figs) == 2 and "training loss" in figs[1]["layout"]["yaxis"]["title"]["text"]
    df = at.dataframe[0].value
    assert list(df["racer"]) == ["adam lr=0.01", "momentum lr=0.05"]
    run, _ = view_mod.compute(TrainConfig(steps=80, racers=(Racer("adam", 0.01), Racer("momentum", 0.05))))
    assert df["final loss"].tolist() == pytest.approx(run.losses[:, -1].tolist(), rel=1e-12)
    assert at.query_params["tab"] in (["training"], "training")
    assert at.query_params["net.steps"] in (["80"], "80")


def test_app_training_tab_refuses_newton_with_a_message():
    at = _app({"tab": "training", "net.steps": "20", "r1": "newton", "r1.lr": "1"})
    assert not at.exception
    assert any("Hessian" in e.value for e in at.error)


def test_app_offers_the_training_run_as_json():
    at = _app({"tab": "training", "net.steps": "30", "r1": "adam", "r1.lr": "0.01"})
    assert not at.exception and not at.error
    from training.cli import report_json
    v = training_view(TrainConfig(steps=30, racers=(Racer("adam", 0.01),)))
    d = json.loads(report_json(v))
    assert d["racers"][0]["losses"] == v.run.losses[0].tolist()
    assert d["steps"] == 30 and len(d["initial_parameters"]) == 6
    assert any("training run" in b.label.lower() for b in at.get("download_button"))
