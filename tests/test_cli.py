"""The command line: outputs and every error path (exit 2, one line, no traceback)."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import cli
import landscapes
import optimizers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args):
    """In-process: (exit code, stdout, stderr)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def run_json(*args):
    code, out, err = run_cli(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_subprocess_run_and_error_are_real():
    ok = subprocess.run([sys.executable, "cli.py", "run", "--surface", "bowl", "--optimizer", "gd",
                         "--lr", "0.1", "--steps", "5", "--start", "1", "1", "--json"],
                        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert len(json.loads(ok.stdout)["points"]) == 6
    bad = subprocess.run([sys.executable, "cli.py", "run", "--surface", "nope", "--optimizer", "gd"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert "unknown surface 'nope'" in bad.stderr and "rosenbrock" in bad.stderr


def test_list_json_has_everything():
    data = run_json("list")
    names = {s["name"] for s in data["surfaces"]}
    assert names == set(landscapes.names()) and len(names) >= 14
    rosen = next(s for s in data["surfaces"] if s["name"] == "rosenbrock")
    assert rosen["domain"] == [[-2.0, 2.0], [-1.0, 3.0]]
    assert rosen["minima"] == [[1.0, 1.0]] and rosen["default_start"] == [-1.2, 1.0]
    assert "formula" in rosen and rosen["formula"]
    opts = {o["name"]: o for o in data["optimizers"]}
    assert set(opts) == set(optimizers.names())
    assert opts["adam"]["hyperparameters"]["lr"] == 1e-3
    assert opts["adam"]["hyperparameters"]["beta2"] == 0.999
    assert opts["momentum"]["hyperparameters"]["momentum"] == 0.9
    assert {s["name"] for s in data["schedules"]} >= {"constant", "step", "exponential", "cosine",
                                                      "inverse_time", "warmup_cosine"}


def test_list_text():
    code, out, _ = run_cli("list")
    assert code == 0 and "rosenbrock" in out and "adam" in out


def test_run_json_fields_and_values():
    d = run_json("run", "--surface", "rosenbrock", "--optimizer", "adam", "--lr", "0.05",
                 "--steps", "200", "--start", "-1.2", "1", "--set", "amsgrad=true")
    for key in ("surface", "optimizer", "lr", "hyperparameters", "points", "losses", "status",
                "converged_at", "diverged_at"):
        assert key in d
    assert d["hyperparameters"]["amsgrad"] is True
    assert d["hyperparameters"]["beta1"] == 0.9 and d["hyperparameters"]["eps"] == 1e-8
    assert d["lr"] == 0.05 and len(d["points"]) == 201 and len(d["losses"]) == 201
    assert d["points"][0] == [-1.2, 1.0]
    s = landscapes.get("rosenbrock")
    np.testing.assert_allclose(d["losses"], s.f(np.array(d["points"])))
    assert d["status"] in ("max_steps", "converged")


def test_run_steps_zero_evaluates_start():
    d = run_json("run", "--surface", "bowl", "--optimizer", "gd", "--steps", "0", "--start", "1", "2")
    assert d["points"] == [[1.0, 2.0]] and d["losses"] == [5.0] and d["lrs"] == []


def test_run_divergence_is_reported_without_numbers_after_it():
    d = run_json("run", "--surface", "bowl", "--optimizer", "gd", "--lr", "1.5", "--steps", "100",
                 "--start", "-1.5", "1.5")
    assert d["status"] == "diverged" and isinstance(d["diverged_at"], int)
    assert len(d["points"]) == d["diverged_at"]
    assert all(math.isfinite(v) for p in d["points"] for v in p)
    assert d["message"].startswith("diverged at step")


def test_run_escape_on_saddle():
    d = run_json("run", "--surface", "saddle", "--optimizer", "gd", "--lr", "0.01", "--steps", "1000",
                 "--start", "-1.5", "0.01")
    assert d["status"] == "escaped" and d["escaped_at"] is not None and d["diverged_at"] is None


def test_run_schedule_noise_seed():
    args = ("run", "--surface", "rosenbrock", "--optimizer", "momentum", "--lr", "0.001", "--steps", "50",
            "--schedule", "step", "--schedule-set", "step_size=10", "--schedule-set", "gamma=0.5",
            "--noise", "1.0", "--seed", "3")
    a, b = run_json(*args), run_json(*args)
    assert a["points"] == b["points"]
    assert a["lrs"][:10] == [0.001] * 10 and a["lrs"][10] == 0.0005
    c = run_json(*args[:-1], "4")
    assert c["points"] != a["points"]


def test_sweep_json():
    d = run_json("sweep", "--surface", "bowl", "--optimizer", "gd", "--lr-min", "1e-3", "--lr-max", "2",
                 "--count", "50", "--steps", "100", "--start", "-1.5", "1.5")
    assert len(d["lrs"]) == len(d["final_loss"]) == len(d["status"]) == 50
    np.testing.assert_allclose(d["lrs"], np.geomspace(1e-3, 2, 50))
    assert "diverged" in d["status"]  # lr > 1 diverges on the bowl
    assert 0.2 < d["best_lr"] < 1.0
    for lr, st, fl in zip(d["lrs"], d["status"], d["final_loss"]):
        assert (fl is None) == (st in ("diverged", "escaped"))


def test_basins_json_himmelblau():
    d = run_json("basins", "--surface", "himmelblau", "--optimizer", "gd", "--lr", "0.01", "--steps",
                 "500", "--resolution", "20")
    basin = np.array(d["basin"])
    assert basin.shape == (20, 20) and len(d["minima"]) == 4
    assert set(np.unique(basin)) <= {-1, 0, 1, 2, 3}
    assert all(int(d["counts"][str(i)]) > 0 for i in range(4))  # every minimum has a basin


ERRORS = [
    (["run", "--surface", "nope", "--optimizer", "gd"], "unknown surface"),
    (["run", "--surface", "bowl", "--optimizer", "nope"], "unknown optimizer"),
    (["run", "--surface", "bowl", "--optimizer", "gd", "--lr", "abc"], "must be a number"),
    (["run", "--surface", "bowl", "--optimizer", "gd", "--lr", "nan"], "finite"),
    (["run", "--surface", "bowl", "--optimizer", "gd", "--lr", "inf"], "finite"),
    (["run", "--surface", "bowl", "--optimizer", "gd", "--lr", "-1"], "lr"),
    (["run", "--surface", "bowl", "--optimizer", "gd", "--steps", "100000000"], "steps"),
    (["run", "--surface", "bowl", "--optimizer", "gd", "--steps", "-3"], "steps"),
    (["run", "--surface", "bowl", "--optimizer", "gd", "--steps", "2.5"], "whole number"),
    (["run", "--surface", "bowl", "--optimizer", "gd", "--start", "x", "1"], "start x"),
    (["run", "--surface", "bowl", "--optimizer", "gd", "--start", "1", "nan"], "start y"),
    (["run", "--surface", "bowl", "--optimizer", "gd", "--start", "1e300", "1"], "start point"),
    (["run", "--surface", "bowl", "--optimizer", "adam", "--set", "beta1=1.5"], "beta1"),
    (["run", "--surface", "bowl", "--optimizer", "adam", "--set", "eps=0"], "eps"),
    (["run", "--surface", "bowl", "--optimizer", "adam", "--set", "amsgrad=maybe"], "amsgrad"),
    (["run", "--surface", "bowl", "--optimizer", "adam", "--set", "nope=1"], "no hyperparameter"),
    (["run", "--surface", "bowl", "--optimizer", "adam", "--set", "beta1"], "NAME=VALUE"),
    (["run", "--surface", "bowl", "--optimizer", "gd", "--schedule", "nope"], "schedule"),
    (["run", "--surface", "bowl", "--optimizer", "gd", "--schedule", "step", "--schedule-set",
      "step_size=0"], "step_size"),
    (["run", "--surface", "bowl", "--optimizer", "gd", "--noise", "-1"], "noise"),
    (["run", "--surface", "bowl", "--optimizer", "gd", "--seed", "-1"], "seed"),
    (["run", "--surface", "rosenbrock", "--surface-set", "b=-5", "--optimizer", "gd"], "rosenbrock.b"),
    (["run", "--surface", "bowl"], "optimizer"),
    (["sweep", "--surface", "bowl", "--optimizer", "gd", "--lr-min", "1", "--lr-max", "0.1"], "lr-min"),
    (["sweep", "--surface", "bowl", "--optimizer", "gd", "--lr-min", "0", "--lr-max", "1"], "lr-min"),
    (["sweep", "--surface", "bowl", "--optimizer", "gd", "--lr-min", "0.1", "--lr-max", "1",
      "--count", "10000000"], "count"),
    (["basins", "--surface", "bowl", "--optimizer", "gd", "--resolution", "100000"], "resolution"),
    (["basins", "--surface", "bowl", "--optimizer", "gd", "--resolution", "1"], "resolution"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
]


@pytest.mark.parametrize("args,needle", ERRORS)
def test_error_paths_exit_2_with_one_clear_line(args, needle):
    code, out, err = run_cli(*args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("cli.py: error: ")
    assert needle in err
    assert "Traceback" not in err


def test_unknown_names_list_the_valid_choices():
    _, _, err = run_cli("run", "--surface", "bowl", "--optimizer", "nope")
    assert all(n in err for n in optimizers.names())
    _, _, err = run_cli("run", "--surface", "bowl", "--optimizer", "gd", "--schedule", "nope")
    assert "cosine" in err and "warmup_cosine" in err
