"""Each step's vectors on the race map (figures.step_vectors, issue 23): exact values from
the engine's recorded state, drawn where they belong in every frame, and in the inspector."""
from __future__ import annotations

import json

import numpy as np
import pytest

import links
from figures import views
import livechart
from config import OptimizerChoice, Racer, RunConfig
from figures import prepared, step_vectors
from figures.trajectories import frame_steps
from results import run_results
from tests.test_figures import arr, compute_frame


def _race(specs, surface="rosenbrock", steps=120, start=(-1.2, 1.0)):
    run = RunConfig(surface, (), tuple(Racer(OptimizerChoice.build(n, lr, **hp)) for n, lr, hp in specs),
                    steps, start, 0)
    return run, run_results(run)


def _vector_traces(spec):
    out = {}
    for i, t in enumerate(spec["data"]):
        m = t.get("meta") or {}
        m = json.loads(m) if isinstance(m, str) else m
        if m.get("role") == "vector":
            out[(m["racer"], m["kind"])] = i
    return out


def test_vectors_are_the_recorded_steps():
    run, res = _race([("gd", 1e-3, {}), ("momentum", 1e-3, {"momentum": 0.9}), ("adam", 0.05, {})])
    ks = np.arange(1, 121)
    for r in res:
        v = step_vectors.vectors(r, ks)
        np.testing.assert_array_equal(v["tail"], r["positions"][:-1])
        np.testing.assert_array_equal(v["update"], r["positions"][1:] - r["positions"][:-1])
        np.testing.assert_array_equal(v["gradient"], -r["lrs"][:, None] * r["grads"])
    gd, mom, adam = (step_vectors.vectors(r, ks) for r in res)
    np.testing.assert_allclose(gd["gradient"], gd["update"], rtol=1e-12, atol=1e-15)   # plain GD: one arrow
    assert "velocity" not in gd   # no buffer
    # heavy ball (torch): θ ← θ − lr·b, so the buffer as a step is the update
    np.testing.assert_allclose(mom["velocity"], mom["update"], rtol=1e-12, atol=1e-15)
    # Adam: the first step moves lr in each coordinate whatever the gradient (rescaling), unlike −lr·g
    np.testing.assert_allclose(np.abs(adam["update"][0]), [0.05, 0.05], rtol=1e-6)
    assert np.abs(adam["gradient"][0]).max() > 100 * 0.05
    np.testing.assert_allclose(adam["velocity"], -0.05 * res[2]["states"]["exp_avg"], rtol=1e-15)
    # step 0 and steps past the end have no vectors
    none = step_vectors.vectors(res[0], [0, 121, 500])
    assert np.isnan(none["update"]).all() and np.isnan(none["gradient"]).all()


def test_textbook_nesterov_velocity_is_the_velocity_itself():
    _, (r,) = _race([("nesterov_textbook", 1e-3, {"momentum": 0.9})], steps=30)
    v = step_vectors.vectors(r, np.arange(1, 31))
    np.testing.assert_array_equal(v["velocity"], r["states"]["velocity"])
    np.testing.assert_allclose(v["velocity"], v["update"], rtol=1e-12, atol=1e-15)   # θ ← θ + v


def test_rmsprop_without_momentum_has_no_velocity_arrow():
    _, (a, b) = _race([("rmsprop", 1e-2, {}), ("rmsprop", 1e-2, {"momentum": 0.5})], steps=20)
    assert step_vectors.velocity_name(a) is None and step_vectors.velocity_name(b) == "momentum_buffer"


def test_arrow_geometry():
    tail = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    vec = np.array([[1.0, 0.0], [0.0, 0.0], [np.nan, 1.0]])
    a = step_vectors.arrows(tail, vec, head_max=0.1)
    np.testing.assert_allclose(a[0, :2], [[0, 0], [1, 0]])
    np.testing.assert_allclose(a[0, 3], [1, 0])
    for barb in (a[0, 2], a[0, 4]):   # 0.1 long (the cap), 25° off the shaft, behind the tip
        assert np.hypot(*(barb - [1, 0])) == pytest.approx(0.1)
        assert abs(np.degrees(np.arctan2(barb[1], 1 - barb[0]))) == pytest.approx(25)
    assert np.isnan(a[1]).all() and np.isnan(a[2]).all()   # a zero or undefined vector: nothing


@pytest.mark.parametrize("view", ["both", "2d"])
def test_every_frame_shows_its_steps_vectors(view):
    run, res = _race([("gd", 1e-3, {}), ("adam", 0.05, {})], steps=300)
    fig = views.trajectory_figure_for(run, res, view=view, raw=True, vectors=True)
    ids = _vector_traces(fig)
    assert set(ids) == {(0, "gradient"), (0, "update"), (1, "gradient"), (1, "update"), (1, "velocity")}
    frames = {f["name"]: f for f in fig["frames"]}
    for s in frame_steps(300):
        data = compute_frame(frames, str(s))
        for (racer, kind), i in ids.items():
            x, y = arr(data[i]["x"]), arr(data[i]["y"])
            if s == 0:
                assert len(x) == 0, "no step has been taken at step 0"
                continue
            want = step_vectors.vectors(res[racer], [s])
            tail, tip = want["tail"][0], want["tail"][0] + want[kind][0]
            np.testing.assert_allclose([x[0], y[0]], tail, rtol=1e-6, atol=1e-6)
            np.testing.assert_allclose([x[1], y[1]], tip, rtol=1e-6, atol=1e-6)
            if kind == "update":   # the update ends on the racer's marker at this step
                np.testing.assert_allclose([x[1], y[1]], res[racer]["positions"][s], rtol=1e-6, atol=1e-6)
    # the figure opens on the last step with its vectors; legend entries, one per kind
    last = {k: arr(fig["data"][i]["x"]) for k, i in ids.items()}
    assert all(len(v) == 5 for v in last.values())
    legend = [t["name"] for t in fig["data"] if (t.get("meta") or {}).get("role") == "vector-legend"]
    assert legend == [step_vectors.TITLES[k] for k in step_vectors.KINDS]
    assert all(np.isfinite(arr(d["x"])).all() for f in fig["frames"] for d in f["data"] if "x" in d)


def test_a_diverged_run_has_no_vectors_after_its_stop():
    run, (r,) = _race([("gd", 1.2, {})], surface="bowl", steps=60, start=(1.5, 1.0))
    assert r["status"] == "diverged"
    stop = r["stopped_at"]
    fig = views.trajectory_figure_for(run, [r], view="2d", raw=True, vectors=True)
    frames = {f["name"]: f for f in fig["frames"]}
    ids = _vector_traces(fig)
    for s in frame_steps(60):
        data = compute_frame(frames, str(s))
        for i in ids.values():
            assert (len(arr(data[i]["x"])) == 5) == (1 <= s < stop), s


def test_off_by_default_and_on_in_the_link():
    run, res = _race([("gd", 1e-3, {})], steps=50)
    assert not _vector_traces(views.trajectory_figure_for(run, res, raw=True))
    state, warnings = links.from_query({"vectors": "1"})
    assert warnings == [] and state.view.vectors
    assert links.to_query(state)["vectors"] == "1"
    assert "vectors" not in links.to_query(links.from_query({})[0])


def test_inspector_rows_give_the_same_numbers():
    _, (r,) = _race([("adam", 0.05, {})], steps=10)
    rows = {row["quantity"]: row for row in step_vectors.inspector_rows(r, 3)}
    g = -0.05 * r["grads"][2]
    m = -0.05 * r["states"]["exp_avg"][2]
    assert rows["plain gradient step −lr·g"]["x"] == f"{g[0]:.6g}"
    assert rows["momentum buffer as a step −lr·m"]["y"] == f"{m[1]:.6g}"
    assert step_vectors.inspector_rows(r, 0) == []


def test_default_view_message_grows_little():
    state, _ = links.from_query({})
    res = run_results(state.run)
    off = len(livechart.payload(prepared.prepare_stable(views.trajectory_figure_for(state.run, res, raw=True))))
    on = len(livechart.payload(prepared.prepare_stable(
        views.trajectory_figure_for(state.run, res, raw=True, vectors=True))))
    assert 0 < on - off < 300_000, (off, on)
