"""Data losses, real mini-batch gradients and the neural-network slice.

The generic surface checks (shape rule, derivatives against differences, listed
minima, grid) run on these surfaces through tests/test_landscapes.py; here are
the checks that only a data loss has.
"""
from __future__ import annotations

import numpy as np
import pytest

import engine
import experiments
import landscapes
import optimizers
from config import OptimizerChoice
from landscapes import nn
import livechart

DATA = list(landscapes.DATA_SURFACES)


def surf(name, **kw):
    return landscapes.get(name, **kw)


def run(s, opt="gd", lr=None, steps=50, B=3, gradient=None, seed=0, **hp):
    o = optimizers.get(opt)
    hpv = o.validate(lr, **hp)
    starts = np.tile(np.asarray(s.default_start, dtype=float), (B, 1))
    return engine.run(o, s, starts, hpv, steps, gradient=gradient, seed=seed)


# --------------------------------------------------------------------------
# The data sets and their surfaces
# --------------------------------------------------------------------------

def test_all_three_registered_as_data_surfaces():
    assert DATA == ["linear_regression", "logistic_regression", "nn_slice"]
    for name in DATA:
        s = surf(name)
        assert isinstance(s, landscapes.DataSurface)
        assert s.n_samples == landscapes.spec_of(name).params["n"].default
        assert s.data.X.shape == (s.n_samples, 1 if name == "linear_regression" else 2)


@pytest.mark.parametrize("name", DATA)
def test_data_set_is_seeded_and_sized(name):
    a, b = surf(name, seed=3, n=40), surf(name, seed=3, n=40)
    c = surf(name, seed=4, n=40)
    assert len(a.data) == 40
    np.testing.assert_array_equal(a.data.X, b.data.X)
    assert not np.array_equal(a.data.X, c.data.X)


@pytest.mark.parametrize("name", DATA)
@pytest.mark.parametrize("bad,words", [(100.5, "whole number"), (1e9, "must be in"),
                                       (0, "must be in"), ("many", "must be a number")])
def test_bad_data_set_size_is_a_clear_error(name, bad, words):
    with pytest.raises(ValueError) as exc:
        landscapes.get(name, n=bad)
    assert words in str(exc.value) and f"{name}.n" in str(exc.value)


def test_linear_regression_minimum_is_the_least_squares_fit():
    s = surf("linear_regression")
    x, y = s.data.X[:, 0], s.data.y
    w, b = np.polyfit(x, y, 1)
    m = s.minima[0]
    assert (m.x, m.y) == pytest.approx((w, b), rel=1e-12, abs=1e-12)
    g = s.grad(np.array([m.x, m.y]))
    assert np.linalg.norm(g) < 1e-14
    assert m.value == pytest.approx(np.mean((w * x + b - y) ** 2), rel=1e-12)


def test_linear_regression_by_hand():
    s = surf("linear_regression", n=3)
    x, y = s.data.X[:, 0], s.data.y
    p = np.array([0.7, -0.2])
    r = 0.7 * x - 0.2 - y
    assert float(s.f(p)) == pytest.approx(np.mean(r ** 2), rel=1e-14)
    np.testing.assert_allclose(s.grad(p), [np.mean(2 * r * x), np.mean(2 * r)], rtol=1e-14)
    np.testing.assert_allclose(s.hessian(p), 2 * np.array([[np.mean(x * x), np.mean(x)],
                                                           [np.mean(x), 1.0]]), rtol=1e-14)


def test_logistic_minimum_by_newton_and_the_l2_term():
    s = surf("logistic_regression")
    m = s.minima[0]
    assert np.linalg.norm(s.grad(np.array([m.x, m.y]))) < 1e-15
    X, y = s.data.X, s.data.y
    w = np.array([m.x, m.y])
    z = X @ w
    ce = np.mean(np.log1p(np.exp(z)) - y * z)
    assert m.value == pytest.approx(ce + 0.5 * landscapes.data.L2 * w @ w, rel=1e-12)
    assert "L2" in s.note and "minimum exists" in s.note


def test_separable_blobs_still_have_a_minimum():
    """Tight blobs are linearly separable: without the L2 term the loss would keep
    falling as |w| grows; with it Newton finds a finite minimum."""
    s = surf("logistic_regression", noise=0.05)
    m = s.minima[0]
    assert np.all(np.isfinite([m.x, m.y]))
    assert np.linalg.norm(s.grad(np.array([m.x, m.y]))) < 1e-13


@pytest.mark.parametrize("name", DATA)
def test_sample_loss_and_grad_match_central_differences(name):
    s = surf(name)
    rng = np.random.default_rng(0)
    (x0, x1), (y0, y1) = s.domain
    P = np.column_stack([rng.uniform(x0, x1, 20), rng.uniform(y0, y1, 20)])
    idx = np.sort(rng.permuted(np.tile(np.arange(s.n_samples), (20, 1)), axis=1)[:, :7], axis=1)
    g = s.sample_grad(P, idx)
    h = 1e-6
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        fd = (s.sample_loss(P + e, idx) - s.sample_loss(P - e, idx)) / (2 * h)
        np.testing.assert_allclose(g[:, j], fd, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", DATA)
def test_sample_loss_over_all_samples_is_the_full_loss(name):
    s = surf(name)
    P = np.array([s.default_start, [0.1, -0.2]])
    idx = np.tile(np.arange(s.n_samples), (2, 1))
    np.testing.assert_array_equal(s.sample_loss(P, idx), s.f(P))
    np.testing.assert_array_equal(s.sample_grad(P, idx), s.grad(P))


@pytest.mark.parametrize("name", DATA)
def test_grid_is_cached_and_bounded(name):
    s = surf(name)
    xs, ys, z = s.grid(120)
    assert len(xs) == min(120, s.max_grid_resolution())
    xs2, _, z2 = s.grid(120)
    np.testing.assert_array_equal(z, z2)
    z2[0, 0] = -1.0  # a caller's change does not reach the cache
    assert s.grid(120)[2][0, 0] == z[0, 0]
    assert s.max_grid_resolution() ** 2 * s.n_samples * s.cost <= 1.01 * landscapes.data.GRID_BUDGET


# --------------------------------------------------------------------------
# Mini-batches
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", DATA)
@pytest.mark.parametrize("opt,lr,hp", [("gd", None, {}), ("momentum", 0.01, {}), ("adam", 0.05, {})])
def test_batch_of_all_samples_is_full_batch_bit_for_bit(name, opt, lr, hp):
    s = surf(name)
    full = run(s, opt, lr, steps=100)
    mb = run(s, opt, lr, steps=100, gradient=engine.MiniBatch(s, s.n_samples), seed=5)
    np.testing.assert_array_equal(mb.positions, full.positions)
    np.testing.assert_array_equal(mb.losses, full.losses)


@pytest.mark.parametrize("n,b,drop_last", [(256, 16, False), (100, 16, False), (100, 16, True),
                                           (7, 1, False), (10, 3, True), (10, 10, False)])
def test_each_epoch_uses_every_sample_once(n, b, drop_last):
    s = surf("linear_regression", n=n)
    src = engine.MiniBatch(s, b, drop_last, record=True)
    B = 5
    per_epoch = n // b if drop_last else -(-n // b)
    assert src.per_epoch == per_epoch
    rng = np.random.default_rng(1)
    P = np.zeros((B, 2))
    for t in range(1, 3 * per_epoch + 1):
        src(P, None, t, rng)
    sizes = [idx.shape[1] for idx in src.batches[:per_epoch]]
    expected = [b] * (n // b) + ([] if drop_last or n % b == 0 else [n % b])
    assert sizes == expected
    for e in range(3):
        epoch = np.concatenate(src.batches[e * per_epoch:(e + 1) * per_epoch], axis=1)
        for row in epoch:
            assert len(set(row.tolist())) == len(row)   # without replacement
            if not drop_last:
                np.testing.assert_array_equal(np.sort(row), np.arange(n))
            else:
                assert len(row) == (n // b) * b
    if b < n:  # reshuffled each epoch and different for each trajectory
        first = np.concatenate(src.batches[:per_epoch], axis=1)
        second = np.concatenate(src.batches[per_epoch:2 * per_epoch], axis=1)
        assert not np.array_equal(first, second)
        assert not np.array_equal(first[0], first[1])


def test_seeds_repeat_and_differ():
    s = surf("linear_regression")
    a = run(s, steps=40, gradient=engine.MiniBatch(s, 16), seed=0)
    b = run(s, steps=40, gradient=engine.MiniBatch(s, 16), seed=0)
    c = run(s, steps=40, gradient=engine.MiniBatch(s, 16), seed=1)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert not np.allclose(a.positions[-1], c.positions[-1])
    # racers of one configuration use seed + i: different orders
    from config import Racer, RunConfig
    choice = OptimizerChoice.build("gd", 0.05)
    r = Racer(choice, batch_size=16)
    cfg = RunConfig("linear_regression", (), (r, r), 40, None, 7)
    t0, t1 = experiments.run_config(cfg, record_batches=True)
    assert not np.array_equal(t0.batches[0], t1.batches[0])
    again = experiments.run_config(cfg, record_batches=True)
    np.testing.assert_array_equal(again[1].positions, t1.positions)


@pytest.mark.parametrize("b", [1, 16, 64])
def test_mean_minibatch_gradient_over_an_epoch_is_the_full_gradient(b):
    s = surf("linear_regression")
    rng = np.random.default_rng(2)
    P = np.array([[-1.0, 2.0], [0.3, 0.1], [3.0, -2.0]])
    src = engine.MiniBatch(s, b)
    grads = [src(P, None, t, rng) for t in range(1, s.n_samples // b + 1)]
    np.testing.assert_allclose(np.mean(grads, axis=0), s.grad(P), rtol=1e-12, atol=1e-13)


def test_mean_first_sgd_step_matches_full_batch_within_standard_error():
    s = surf("linear_regression")
    lr = 0.1
    full = run(s, "gd", lr, steps=1, B=1).positions[1, 0]
    firsts = np.array([run(s, "gd", lr, steps=1, B=1, gradient=engine.MiniBatch(s, 16), seed=k)
                       .positions[1, 0] for k in range(300)])
    mean = firsts.mean(axis=0)
    se = firsts.std(axis=0, ddof=1) / np.sqrt(len(firsts))
    assert np.all(se > 0)
    assert np.all(np.abs(mean - full) <= 4 * se), (mean, full, se)
    # the same holds for 2,000 trajectories in one run (each its own shuffle)
    many = run(s, "gd", lr, steps=1, B=2000, gradient=engine.MiniBatch(s, 1), seed=9).positions[1]
    se = many.std(axis=0, ddof=1) / np.sqrt(len(many))
    assert np.all(np.abs(many.mean(axis=0) - full) <= 4 * se)


@pytest.mark.parametrize("bad", [0, -1, 257, 2.5, True])
def test_minibatch_rejects_bad_sizes(bad):
    s = surf("linear_regression")
    with pytest.raises(ValueError, match="batch size must be a whole number from 1 to N = 256"):
        engine.MiniBatch(s, bad)


def test_batch_size_needs_a_data_surface_and_excludes_noise():
    choice = OptimizerChoice.build("gd", 0.01)
    with pytest.raises(ValueError, match="needs a data surface"):
        experiments.run_choice(landscapes.get("bowl"), choice, (1.0, 1.0), 5, batch_size=4)
    with pytest.raises(ValueError, match="not both"):
        experiments.run_choice(surf("linear_regression"), choice, (1.0, 1.0), 5, batch_size=4, noise=1.0)


def test_recorded_batches_in_the_summary():
    s = surf("linear_regression", n=20)
    choice = OptimizerChoice.build("gd", 0.05)
    tr = experiments.run_choice(s, choice, s.default_start, 12, batch_size=8, record_batches=True, seed=3)
    r = experiments.summary(tr, s)
    assert len(r["batches"]) == 12
    assert [len(b) for b in r["batches"][:3]] == [8, 8, 4]
    assert sorted(sum(r["batches"][:3], [])) == list(range(20))


# --------------------------------------------------------------------------
# The neural-network slice
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def net():
    return surf("nn_slice")


def test_slice_origin_is_the_trained_network(net):
    theta = net.info["theta"]
    assert theta.shape == (nn.N_PARAMS,) == (354,)
    trained = nn.network_loss(theta, net.data.X, net.data.y)
    assert trained == net.info["trained_loss"]
    assert float(net.f(np.zeros(2))) == pytest.approx(trained, rel=1e-12)
    # training worked: far better than chance (log 2)
    assert trained < 0.05


def test_slice_gradient_is_the_network_gradient_projected(net):
    g = nn.network_grad(net.info["theta"], net.data.X, net.data.y)
    expected = [g @ net.info["d1"], g @ net.info["d2"]]
    np.testing.assert_allclose(net.grad(np.zeros(2)), expected, rtol=1e-9, atol=1e-15)


def test_network_gradient_by_differences(net):
    theta, X, y = net.info["theta"], net.data.X, net.data.y
    g = nn.network_grad(theta, X, y)
    rng = np.random.default_rng(0)
    for k in rng.choice(len(theta), 12, replace=False):
        e = np.zeros_like(theta)
        e[k] = 1e-6
        fd = (nn.network_loss(theta + e, X, y) - nn.network_loss(theta - e, X, y)) / 2e-6
        assert fd == pytest.approx(g[k], rel=1e-5, abs=1e-9)


def test_slice_matches_the_network_at_other_points(net):
    theta, d1, d2 = net.info["theta"], net.info["d1"], net.info["d2"]
    for a, b in [(0.3, -0.5), (-0.9, 0.8)]:
        direct = nn.network_loss(theta + a * d1 + b * d2, net.data.X, net.data.y)
        assert float(net.f(np.array([a, b]))) == pytest.approx(direct, rel=1e-12)


def test_slice_derivatives_by_central_differences(net):
    rng = np.random.default_rng(4)
    P = rng.uniform(-1, 1, (25, 2))
    g, H = net.grad(P), net.hessian(P)
    h = 1e-5
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        fd = (net.f(P + e) - net.f(P - e)) / (2 * h)
        np.testing.assert_allclose(g[:, j], fd, rtol=1e-6, atol=1e-8)
        fdg = (net.grad(P + e) - net.grad(P - e)) / (2 * h)
        np.testing.assert_allclose(H[:, :, j], fdg, rtol=1e-5, atol=1e-6)


def test_directions_are_filter_normalized(net):
    theta, d1, d2 = net.info["theta"], net.info["d1"], net.info["d2"]
    assert not np.allclose(d1, d2)
    for (W, c), (D, dc) in zip(nn.unflatten(theta), nn.unflatten(d1)):
        np.testing.assert_allclose(np.linalg.norm(D, axis=1), np.linalg.norm(W, axis=1), rtol=1e-12)
        assert np.all(dc == 0)


def test_slice_is_seeded_and_its_minimum_listed(net):
    again = landscapes.registry.REGISTRY["nn_slice"].build()  # bypass the cache: rebuilt
    np.testing.assert_array_equal(again.info["theta"], net.info["theta"])
    np.testing.assert_array_equal(again.info["d1"], net.info["d1"])
    m = net.minima[0]
    assert abs(m.x) < 0.1 and abs(m.y) < 0.1  # near the trained weights
    assert m.value <= net.info["trained_loss"]


def test_slice_predict_is_the_network(net):
    pts = np.array([[0.0, 0.5], [1.0, -0.3], [2.0, 0.2]])
    p = net.predict(np.zeros((1, 2)), pts)[0]
    _, logits = nn._forward(net.info["theta"], pts)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(p, e[:, 1] / e.sum(axis=1), rtol=1e-12)


@pytest.mark.parametrize("name", DATA)
def test_predict_shapes(name):
    s = surf(name)
    pts = np.zeros((7, s.data.X.shape[1]))
    assert s.predict(np.zeros((3, 2)), pts).shape == (3, 7)


# --------------------------------------------------------------------------
# Bad input and the batch size in the CLI, the share link and the app
# --------------------------------------------------------------------------

def run_cli(*args):
    import contextlib
    import io

    import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


RUN = ("run", "--surface", "linear_regression", "--optimizer", "gd", "--lr", "0.1", "--steps", "30")


def test_cli_batch_run_records_its_batches():
    import json

    code, out, err = run_cli(*RUN, "--surface-set", "n=40", "--batch-size", "16", "--record-batches",
                             "--seed", "3", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["batch_size"] == 16 and d["n_samples"] == 40 and d["drop_last"] is False
    assert len(d["batches"]) == 30 == len(d["points"]) - 1
    assert [len(b) for b in d["batches"][:3]] == [16, 16, 8]
    assert sorted(sum(d["batches"][:3], [])) == list(range(40))
    code, out2, _ = run_cli(*RUN, "--surface-set", "n=40", "--batch-size", "16", "--record-batches",
                            "--seed", "3", "--json")
    assert json.loads(out2)["points"] == d["points"]  # a seed repeats
    code, out3, _ = run_cli(*RUN, "--surface-set", "n=40", "--batch-size", "16", "--drop-last",
                            "--record-batches", "--json")
    assert [len(b) for b in json.loads(out3)["batches"][:3]] == [16, 16, 16]


def test_cli_full_batch_equals_no_batch():
    import json

    _, a, _ = run_cli(*RUN, "--json")
    _, b, _ = run_cli(*RUN, "--batch-size", "256", "--json")
    assert json.loads(a)["points"] == json.loads(b)["points"]


@pytest.mark.parametrize("args,words", [
    (("--batch-size", "0"), "--batch-size must be a whole number from 1 to N = 256"),
    (("--batch-size", "257"), "--batch-size must be a whole number from 1 to N = 256"),
    (("--batch-size", "2.5"), "--batch-size must be a whole number from 1 to N = 256"),
    (("--batch-size", "many"), "--batch-size must be a whole number from 1 to N = 256"),
    (("--surface-set", "n=5000"), "linear_regression.n must be in [2, 2048]"),
    (("--surface-set", "n=20.5"), "linear_regression.n must be a whole number"),
    (("--record-batches",), "--record-batches needs --batch-size"),
    (("--drop-last",), "--drop-last needs --batch-size"),
    (("--batch-size", "4", "--noise", "1"), "not both"),
])
def test_cli_bad_batch_input(args, words):
    code, out, err = run_cli(*RUN, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert words in err


def test_cli_batch_size_on_an_analytic_surface():
    code, _, err = run_cli("run", "--surface", "bowl", "--optimizer", "gd", "--batch-size", "4")
    assert code == 2 and "needs a data surface" in err and "linear_regression" in err


def test_cli_sweep_with_minibatches():
    import json

    code, out, err = run_cli("sweep", "--surface", "linear_regression", "--optimizer", "gd",
                             "--lr-min", "0.01", "--lr-max", "1", "--count", "30", "--steps", "200",
                             "--batch-size", "16", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["best_lr"] is not None and d["best_final_loss"] < 0.3


LINK = {"surface": "linear_regression", "r1": "gd", "r1.lr": "0.1", "r2": "gd", "r2.lr": "0.1",
        "r2.batch": "16", "r2.droplast": "1", "r3": "gd", "r3.lr": "0.1", "r3.batch": "1"}


def test_link_round_trip_keeps_batch_sizes():
    import links

    state, warnings = links.from_query(LINK)
    assert not warnings
    assert [r.batch_size for r in state.run.racers] == [None, 16, 1]
    assert [r.drop_last for r in state.run.racers] == [False, True, False]
    q = links.to_query(state)
    assert q["r2.batch"] == "16" and q["r2.droplast"] == "1" and "r1.batch" not in q
    again = links.from_query(q)[0]
    assert again.run.racers == state.run.racers and again.run.surface_params == state.run.surface_params


@pytest.mark.parametrize("extra,words", [
    ({"r1.batch": "0"}, "r1.batch must be a whole number from 1 to N = 256"),
    ({"r1.batch": "300"}, "r1.batch must be a whole number from 1 to N = 256"),
    ({"r1.batch": "2.5"}, "r1.batch must be a whole number from 1 to N = 256"),
    ({"s.n": "99999"}, "linear_regression.n must be in [2, 2048]"),
    ({"r1.noise": "1"}, "noise ignored"),
    ({"r1.droplast": "1"}, "needs r1.batch"),
])
def test_link_bad_batch_input_warns(extra, words):
    import links

    state, warnings = links.from_query({"surface": "linear_regression", "r1": "gd", **extra})
    assert any(words in w for w in warnings), warnings
    assert state.run.racers[0].batch_size is None and state.run.racers[0].noise == 0


def test_link_batch_on_an_analytic_surface_warns():
    import links

    state, warnings = links.from_query({"surface": "bowl", "r1": "gd", "r1.batch": "4"})
    assert any("needs a data surface" in w for w in warnings)
    assert state.run.racers[0].batch_size is None


def _app(query):
    import os

    from streamlit.testing.v1 import AppTest

    app = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app.py")
    at = AppTest.from_file(app, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def _panel(fig: dict) -> tuple[list[dict], dict[int, int]]:
    """The race figure's data panel: its still traces, and each racer's model trace's index."""
    from figures.prepared import trace_meta

    still = [t for t in fig["data"] if trace_meta(t).get("role") == "panel" and "racer" not in trace_meta(t)]
    models = {trace_meta(t)["racer"]: i for i, t in enumerate(fig["data"])
              if trace_meta(t).get("role") == "panel" and "racer" in trace_meta(t)}
    return still, models


def test_app_data_surface_shows_batch_control_and_data_panel():

    at = _app(LINK)
    assert not at.exception and not at.error and not at.warning
    labels = [n.label for n in at.number_input]
    assert labels.count("batch size (1 … N = 256)") == 3
    assert "gradient noise σ" not in labels
    assert [at.number_input(key=f"batch.{i}").value for i in range(3)] == [256, 16, 1]
    charts = livechart.figures_in(at.get("bidi_component"))
    assert len(charts) == 2, "one race figure (the panel is part of it) and the loss plot"
    fig = charts[0]
    still, models = _panel(fig)
    assert [t["name"] for t in still] == ["data", "least squares"]
    assert len(still[0]["x"]) > 0 and any("N = 256" in c.value for c in at.caption)
    assert [fig["data"][models[i]]["name"] for i in range(3)] == [
        "gd full batch: model", "gd batch=16 drop last: model", "gd batch=1: model"]
    assert "Fitted lines y = w x + b<br>at the animated step" == fig["layout"]["legend2"]["title"]["text"]
    # the figure opens on step 500; its first frame draws every racer's line at the start (w, b) = (-1.5, 2)
    assert fig["layout"]["sliders"][0]["steps"][fig["layout"]["sliders"][0]["active"]]["label"] == "500"
    x0, x1 = fig["layout"]["xaxis3"]["range"]
    first = next(f for f in fig["frames"] if f["name"] == "0")
    for i in models.values():
        y = first["data"][first["traces"].index(i)]["y"]
        assert y == pytest.approx([-1.5 * x0 + 2, -1.5 * x1 + 2], rel=1e-6)
    assert not any(s.label.startswith("data panel") for s in at.slider), "no second step slider"
    # back on an analytic surface: the noise control returns, no panel
    at.selectbox(key="surface").set_value("bowl").run()
    labels = [n.label for n in at.number_input]
    assert "gradient noise σ" in labels and not any(lb.startswith("batch size") for lb in labels)
    assert len(livechart.figures_in(at.get("bidi_component"))) == 2  # the map and the loss plot
    assert _panel(livechart.figures_in(at.get("bidi_component"))[0]) == ([], {})


@pytest.mark.parametrize("value", [0, 300])
def test_app_bad_batch_size_is_a_clear_error(value):
    at = _app(LINK)
    at.number_input(key="batch.1").set_value(value).run()
    assert not at.exception
    assert any("optimizer 2: batch size must be a whole number from 1 to N = 256" in e.value
               for e in at.error)


def test_app_bad_data_set_size_is_a_clear_error():
    at = _app(LINK)
    at.number_input(key="sp.linear_regression.n").set_value(100.5).run()
    assert not at.exception
    assert any("linear_regression.n must be a whole number" in e.value for e in at.error)
    at.number_input(key="sp.linear_regression.n").set_value(100).run()
    assert not at.error
    # a full batch stays full; a mini-batch stays
    assert at.number_input(key="batch.0").value == 100 and at.number_input(key="batch.1").value == 16


def test_app_bad_batch_link_warns():
    at = _app({**LINK, "r2.batch": "0"})
    assert not at.exception
    assert any(w.value.startswith("Share link:") and "r2.batch" in w.value for w in at.warning)
    assert at.number_input(key="batch.1").value == 256


@pytest.mark.parametrize("name", ["logistic_regression", "nn_slice"])
def test_app_classification_panel_draws_boundaries(name):

    at = _app({"surface": name, "r1": "adam", "r1.lr": "0.05", "r2": "adam", "r2.lr": "0.05",
               "r2.batch": "16", "steps": "100"})
    assert not at.exception and not at.error
    fig = livechart.figures_in(at.get("bidi_component"))[0]
    still, models = _panel(fig)
    assert [t["name"] for t in still] == ["class 0", "class 1"]
    assert sorted(models) == [0, 1]
    assert all(len(fig["data"][i]["x"]) >= 2 for i in models.values()), "each racer's boundary is drawn"
    assert "(p = ½)<br>at the animated step" in fig["layout"]["legend2"]["title"]["text"]


def test_batch_lesson_claims():
    """The batch lesson's text: the full batch reaches the least-squares fit; a
    mini-batch of 16 jitters around it; single examples jitter most."""
    import lessons

    run_ = lessons.LESSONS["batch"].run_config()
    assert run_.surface == "linear_regression"
    assert [r.batch_size for r in run_.racers] == [None, 16, 1]
    assert len({r.choice.lr for r in run_.racers}) == 1
    s = run_.get_surface()
    m = s.minima[0]
    full, mini, single = experiments.run_config(run_)
    spread = []
    for tr in (full, mini, single):
        p = tr.positions[-100:, 0]
        spread.append(float(np.mean(np.hypot(p[:, 0] - m.x, p[:, 1] - m.y))))
    assert full.final_loss[0] - m.value < 1e-4          # reaches the fit
    assert spread[0] < spread[1] < spread[2]            # jitter grows as the batch shrinks
    assert spread[1] < 0.1 and spread[2] > 2 * spread[1]
    assert mini.final_loss[0] - m.value < 0.01 < single.final_loss[0] - m.value


def test_app_click_on_a_path_point_opens_the_inspector_and_a_click_on_the_panel_is_ignored():

    at = _app({**LINK, "steps": "40"})
    fig = livechart.figures_in(at.get("bidi_component"))[0]
    start = (at.session_state["x"], at.session_state["y"])

    def click(curve: int, index: int, x: float, y: float) -> None:
        at.session_state["chart"] = {"selection": {"points": [{"x": x, "y": y, "curve_number": curve,
                                                               "point_index": index, "point_number": index}],
                                                   "point_indices": [index], "box": [], "lasso": []}}
        at.run()
        assert not at.exception

    # a click on the data panel (a data point, a racer's line) is neither a start nor a step
    still, models = _panel(fig)
    data = next(i for i, t in enumerate(fig["data"]) if t.get("name") == "data")
    xs, ys = np.asarray(fig["data"][data]["x"]), np.asarray(fig["data"][data]["y"])   # JSON numbers (prepare_stable)
    click(data, 3, float(xs[3]), float(ys[3]))
    line = fig["data"][models[1]]
    click(models[1], 1, line["x"][1], line["y"][1])
    assert (at.session_state["x"], at.session_state["y"]) == start
    assert "inspect_open" not in at.session_state or not at.session_state["inspect_open"]
    # a click on a path point opens the step inspector at that step
    curve = next(i for i, t in enumerate(fig["data"]) if t.get("name") == "gd batch=16 drop last"
                 and t.get("type", "scatter") == "scatter")
    path = fig["data"][curve]
    xs, ys = np.asarray(path["x"]), np.asarray(path["y"])
    click(curve, 7, float(xs[7]), float(ys[7]))
    assert at.session_state["inspect_racer"] == 1 and at.session_state["inspect_step"] == 7
    assert at.session_state["inspect_open"]
    assert (at.session_state["x"], at.session_state["y"]) == start


def test_cli_list_marks_data_surfaces():
    import json

    code, out, _ = run_cli("list", "--json")
    assert code == 0
    surfaces = {s["name"]: s for s in json.loads(out)["surfaces"]}
    assert surfaces["linear_regression"]["data_set_size"] == 256
    assert surfaces["nn_slice"]["data_set_size"] == 100
    assert surfaces["bowl"]["data_set_size"] is None
    assert surfaces["linear_regression"]["parameters"]["n"]["integer"] is True
    assert surfaces["linear_regression"]["parameters"]["noise"]["integer"] is False


@pytest.mark.parametrize("key,value", [("batch.1", "sixteen"), ("batch.1", float("nan")), ("droplast.1", "yes")])
def test_app_modified_client_batch_widgets_are_reset(key, value):
    from ui.sanitize import sanitize_widget_state

    at = _app(LINK)
    state = {k: at.session_state[k] for k in ("surface", "batch.0", "batch.1", "droplast.1")}
    assert sanitize_widget_state(dict(state)) == []
    state[key] = value
    messages = sanitize_widget_state(state)
    assert len(messages) == 1 and "held an invalid value" in messages[0]
    assert sanitize_widget_state(dict(state)) == []
