"""Training a network for real: torch-identical losses, the racers, the budgets."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import optimizers
from landscapes import nn
from landscapes.data import Dataset
from training import Racer, TrainConfig, network, train, trainable, validate
from training.train import flat, initial_params, pairs

HERE = Path(__file__).resolve().parent
REF = json.loads((HERE / "data" / "torch_training.json").read_text())


@pytest.mark.parametrize("case", REF["cases"], ids=lambda c: f"{c['task']}-{c['optimizer']}-{c['schedule']}"
                         f"-b{c['batch_size']}")
def test_losses_match_torch(case):
    """The same network, data, initialization and batches as torch.optim: the
    full-batch loss at every step agrees to 1e-10 relative."""
    theta0 = np.concatenate([np.ravel(np.asarray(t, dtype=float)) for t in case["initial_parameters"]])
    data = Dataset(np.asarray(case["X"], dtype=float), np.asarray(case["y"], dtype=float), "classification")
    racer = Racer(case["optimizer"], case["lr"], case["hp"], case["schedule"], case["schedule_params"],
                  case["batch_size"], case["drop_last"])
    cfg = TrainConfig(case["task"], case["n"], case["noise"], tuple(case["hidden"]), case["steps"],
                      case["seed"], (racer,))
    batches = None if case["batches"] is None else [case["batches"]]
    run = train(cfg, theta0=theta0, data=data, batch_indices=batches)
    ours, theirs = run.losses[0], np.asarray(case["losses"])
    assert np.all(np.isfinite(ours))
    rel = np.abs(ours - theirs) / np.abs(theirs)
    assert rel.max() <= 1e-10, (rel.max(), int(rel.argmax()))
    assert theirs[-1] < 0.98 * theirs[0]   # a run that trains (two spirals start on a plateau), not a flat line


def test_reference_data_is_this_projects():
    """The stored inputs are what training makes from the seed: the data set,
    torch's default initialization drawn by this project, the batches."""
    for case in REF["cases"]:
        racer = Racer(case["optimizer"], case["lr"], case["hp"], case["schedule"], case["schedule_params"],
                      case["batch_size"], case["drop_last"])
        cfg = TrainConfig(case["task"], case["n"], case["noise"], tuple(case["hidden"]), case["steps"],
                          case["seed"], (racer,))
        theta0 = np.concatenate([np.ravel(t) for t in case["initial_parameters"]])
        np.testing.assert_array_equal(theta0, initial_params(cfg))
        run = train(cfg, record_batches=True)
        np.testing.assert_array_equal(run.data.X, np.asarray(case["X"]))
        if case["batches"] is not None:
            assert [list(b) for b in run.batches[0]] == case["batches"]
    covered = {c["optimizer"] for c in REF["cases"]}
    assert covered >= {"gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw",
                       "adamax", "nadam", "radam"}
    assert {c["task"] for c in REF["cases"]} == {"moons", "spirals"}
    assert {c["schedule"] for c in REF["cases"]} >= {"constant", "step", "cosine", "plateau"}
    assert (HERE / "data" / "torch_training.json").stat().st_size < 1_500_000


def test_network_matches_the_slice_network():
    """The default network is landscapes.nn's: same initialization, loss and gradient."""
    sizes = network.sizes_of((16, 16))
    theta = network.init_params(sizes, np.random.default_rng(5))
    np.testing.assert_array_equal(theta, nn.init_weights(np.random.default_rng(5)))
    d = nn.make_moons(64, 0.2, 1)
    loss, g = network.loss_and_grad(theta[None], d.X, d.y, sizes)
    assert loss[0] == pytest.approx(nn.network_loss(theta, d.X, d.y), rel=1e-14)
    np.testing.assert_allclose(g[0], nn.network_grad(theta, d.X, d.y), rtol=1e-12, atol=1e-15)


def test_gradient_by_central_differences():
    sizes = network.sizes_of((5, 3))
    rng = np.random.default_rng(0)
    theta = network.init_params(sizes, rng)
    X, y = rng.standard_normal((20, 2)), (rng.random(20) > 0.5).astype(float)
    _, g = network.loss_and_grad(theta[None], X, y, sizes)
    h = 1e-6
    for k in rng.choice(theta.size, 12, replace=False):
        e = np.zeros_like(theta)
        e[k] = h
        fd = (network.losses((theta + e)[None], X, y, sizes) - network.losses((theta - e)[None], X, y, sizes)) / (2 * h)
        assert g[0, k] == pytest.approx(fd[0], abs=1e-8)


def test_plane_loss_is_the_network_loss():
    sizes = network.sizes_of((16, 16))
    rng = np.random.default_rng(2)
    c = network.init_params(sizes, rng)
    d1, d2 = rng.standard_normal((2, c.size)) * 0.3
    d = nn.make_moons(50, 0.2, 0)
    ab = rng.uniform(-2, 2, (9, 2))
    direct = network.losses(c + ab[:, :1] * d1 + ab[:, 1:] * d2, d.X, d.y, sizes)
    np.testing.assert_allclose(network.plane_loss(c, d1, d2, ab, d.X, d.y, sizes), direct, rtol=1e-12)


@pytest.mark.parametrize("name", trainable())
def test_pairs_are_one_flat_run(name):
    """Every trainable rule, applied to a flat vector as coordinate pairs, does
    what it does to each pair alone: the pairs are one P-dimensional run."""
    rng = np.random.default_rng(1)
    opt = optimizers.get(name)
    v = rng.standard_normal(9)
    P = pairs(v)
    assert P.shape == (5, 2) and P[-1, 1] == 0.0 and np.array_equal(flat(P, 9)[0], v)
    tf = opt.factory()
    state = tf.init(P)
    alone = [tf.init(P[i:i + 1]) for i in range(len(P))]
    p_all, p_one = P.copy(), [P[i:i + 1].copy() for i in range(len(P))]
    for _ in range(4):
        G = np.sin(3 * (p_all if tf.lookahead is None else tf.lookahead(p_all, state))) + 0.1
        G[-1, 1] = 0.0   # the pad's gradient
        p_all, state = tf.update(G, state, p_all, 0.01)
        for i in range(len(P)):
            g = G[i:i + 1]
            p_one[i], alone[i] = tf.update(g, alone[i], p_one[i], 0.01)
    np.testing.assert_array_equal(p_all, np.concatenate(p_one))
    assert p_all[-1, 1] == 0.0   # the pad stays 0 (lion: sign(0) = 0)


def test_newton_is_refused_with_a_message():
    assert "newton" not in trainable()
    with pytest.raises(ValueError, match="Hessian"):
        validate(TrainConfig(racers=(Racer("newton", 1.0),)))


@pytest.mark.parametrize("change, message", [
    (dict(task="circles"), "unknown task"),
    (dict(n=5), "n \\(data points\\)"),
    (dict(n=2.5), "whole number"),
    (dict(steps=0), "steps"),
    (dict(steps=10**6), "steps"),
    (dict(hidden=(16, 16, 16, 16)), "hidden layers"),
    (dict(hidden=(100,)), "hidden width"),
    (dict(noise=True), "noise"),
    (dict(racers=()), "racers"),
    (dict(racers=(Racer("adam", -1.0),)), "learning rate"),
    (dict(racers=(Racer("adam", True),)), "learning rate"),
    (dict(racers=(Racer("adam", 0.1, {"beta1": 2.0}),)), "beta1"),
    (dict(racers=(Racer("adam", 0.1, {"nope": 2.0}),)), "no hyperparameter"),
    (dict(racers=(Racer("adam", 0.1, schedule="zigzag"),)), "schedule"),
    (dict(racers=(Racer("adam", 0.1, batch_size=0),)), "batch size"),
    (dict(racers=(Racer("adam", 0.1, batch_size=101),)), "batch size"),
    (dict(racers=(Racer("sgd9", 0.1),)), "unknown optimizer"),
    (dict(hidden=(64, 64, 64)), "parameters"),
    (dict(steps=2000, n=1024, hidden=(32, 32), racers=(Racer(),) * 6), "budget|recorded"),
])
def test_bad_configs_are_refused_by_name(change, message):
    base = dict(task="moons", n=100, noise=None, hidden=(16, 16), steps=100, seed=0, racers=(Racer(),))
    base.update(change)
    with pytest.raises(ValueError, match=message):
        validate(TrainConfig(**base))


def test_racers_share_the_start_and_differ_after():
    run = train(TrainConfig(steps=40, racers=(Racer("adam", 0.01), Racer("gd", 0.5, batch_size=16),
                                               Racer("gd", 0.5, batch_size=16))))
    assert np.all(run.thetas[:, 0] == run.theta0)
    assert np.all(run.losses[:, 0] == run.losses[0, 0])
    assert not np.allclose(run.thetas[1, -1], run.thetas[2, -1])   # racer r draws from seed + r
    again = train(run.config)
    np.testing.assert_array_equal(again.thetas, run.thetas)


def test_a_batch_of_every_sample_is_the_full_batch():
    full = train(TrainConfig(steps=20, racers=(Racer("adam", 0.01),)))
    batch = train(TrainConfig(steps=20, racers=(Racer("adam", 0.01, batch_size=100),)))
    np.testing.assert_array_equal(full.losses, batch.losses)


def test_divergence_stops_cleanly():
    run = train(TrainConfig(steps=60, racers=(Racer("gd", 1e5), Racer("adam", 0.01))))
    assert run.status[0] == "diverged" and run.stopped_at[0] > 0
    k = run.stopped_at[0]
    assert np.all(np.isnan(run.thetas[0, k:])) and np.all(np.isfinite(run.thetas[0, :k]))
    assert np.all(np.isfinite(run.losses[0, :k]))
    assert run.status[1] == "ran every step" and np.all(np.isfinite(run.losses[1]))
    assert run.last(0) == k - 1


def test_spirals_are_harder_than_moons():
    cfg = dict(steps=150, racers=(Racer("adam", 0.01),))
    moons = train(TrainConfig(task="moons", **cfg))
    spirals = train(TrainConfig(task="spirals", **cfg))
    assert spirals.losses[0, -1] > 5 * moons.losses[0, -1]
