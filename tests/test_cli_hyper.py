"""cli.py sweep (several optimizers, status ranges), heatmap and theory."""
from __future__ import annotations

import numpy as np
import pytest

import landscapes
import theory
from tests.test_cli import run_cli, run_json


def test_sweep_several_optimizers_with_ranges():
    d = run_json("sweep", "--surface", "ravine", "--optimizer", "gd", "momentum", "adam", "--set",
                 "momentum=0.5", "--lr-min", "1e-4", "--lr-max", "10", "--count", "200", "--steps", "300")
    assert [s["optimizer"] for s in d["sweeps"]] == ["gd", "momentum", "adam"]
    assert d["lrs"] == d["sweeps"][0]["lrs"] and len(d["lrs"]) == 200
    assert d["sweeps"][1]["hyperparameters"]["momentum"] == 0.5
    gd = d["sweeps"][0]
    assert [r["range"] for r in gd["ranges"]][0] == "too small" and gd["ranges"][-1]["range"] == "diverging"
    # the diverging range starts at the stability bound 2/λmax = 0.5 (within one grid step)
    start = next(r["lr_min"] for r in gd["ranges"] if r["range"] == "diverging")
    assert start == pytest.approx(0.5, rel=0.05)
    for sw in d["sweeps"]:
        for st, rg, c in zip(sw["status"], sw["range"], sw["converged_at"]):
            assert (rg == "good") == (st == "converged") == (c is not None)


def test_sweep_set_for_one_optimizer_and_errors():
    d = run_json("sweep", "--surface", "bowl", "--optimizer", "momentum", "nesterov", "--set",
                 "nesterov.momentum=0.3", "--lr-min", "0.01", "--lr-max", "1", "--count", "5", "--steps", "10")
    assert d["sweeps"][0]["hyperparameters"]["momentum"] == 0.9
    assert d["sweeps"][1]["hyperparameters"]["momentum"] == 0.3
    for args, needle in [
        (["--optimizer", "gd", "--set", "momentum=0.5"], "none of gd"),
        (["--optimizer", "gd", "--set", "adam.beta1=0.5"], "not one of the --optimizer"),
        (["--optimizer", "gd", "nope"], "unknown optimizer"),
    ]:
        code, out, err = run_cli("sweep", "--surface", "bowl", "--lr-min", "0.1", "--lr-max", "1", *args)
        assert code == 2 and out == "" and err.count("\n") == 1 and needle in err, err


def test_heatmap_json_best_is_near_the_theory():
    d = run_json("heatmap", "--surface", "ravine", "--optimizer", "momentum", "--lr-min", "1e-2",
                 "--lr-max", "2", "--count", "60", "--steps", "300")
    assert d["axis"] == "momentum" and d["run_as"] == "momentum"
    fl = np.array([[np.nan if v is None else v for v in row] for row in d["final_loss"]])
    assert fl.shape == (60, 60)
    assert d["diverged"] == int(np.isnan(fl).sum()) > 0
    th = theory.quadratic_theory(landscapes.get("ravine"))
    assert d["best"]["lr"] == pytest.approx(th.momentum_best_alpha, rel=0.1)
    assert d["best"]["momentum"] == pytest.approx(th.momentum_best_beta, abs=0.05)


def test_heatmap_beta1_and_errors():
    d = run_json("heatmap", "--surface", "bowl", "--optimizer", "adam", "--lr-min", "1e-3", "--lr-max", "1",
                 "--count", "4", "--steps", "20")
    assert d["axis"] == "beta1" and len(d["values"]) == 4
    for args, needle in [
        (["--optimizer", "adagrad"], "no momentum or beta1"),
        (["--optimizer", "gd", "--count", "1"], "--count"),
        (["--optimizer", "gd", "--count", "100000"], "--count"),
    ]:
        code, out, err = run_cli("heatmap", "--surface", "bowl", "--lr-min", "0.1", "--lr-max", "1", *args)
        assert code == 2 and out == "" and err.count("\n") == 1 and needle in err, err


def test_theory_json_and_text():
    d = run_json("theory", "--surface", "ravine", "--surface-set", "a=0.05")
    assert d["lambda_min"] == pytest.approx(0.1) and d["kappa"] == pytest.approx(40)
    assert d["gd"]["best_lr"] == pytest.approx(2 / 4.1)
    assert d["momentum"]["lr"] == d["momentum"]["alpha"]
    code, out, _ = run_cli("theory", "--surface", "bowl")
    assert code == 0 and "kappa 1" in out
    for args, needle in [(["--surface", "rosenbrock"], "not a positive-definite quadratic"),
                         (["--surface", "saddle"], "not a positive-definite quadratic"),
                         (["--surface", "ravine", "--surface-set", "a=-1"], "ravine.a")]:
        code, out, err = run_cli("theory", *args)
        assert code == 2 and out == "" and err.count("\n") == 1 and needle in err, err
