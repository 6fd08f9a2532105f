"""Learning-rate schedules: closed forms, torch parity, validation."""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

from optimizers import schedules as S

HERE = Path(__file__).resolve().parent
REF = json.loads((HERE / "data" / "torch_reference.json").read_text())
BASE = np.array([0.1, 0.003])


# ----------------------------------------------------------------------------- closed forms
# Scalar formulas, one step at a time, as documented.

def expected(name, k, lr, **p):
    if name == "constant":
        return lr
    if name == "step":
        return lr * p["gamma"] ** (k // p["step_size"])
    if name == "exponential":
        return lr * p["gamma"] ** k
    if name == "cosine":
        return p["eta_min"] + (lr - p["eta_min"]) * (1 + math.cos(math.pi * k / p["T_max"])) / 2
    if name == "inverse_time":
        return lr / (1 + p["decay"] * k)
    if name == "warmup_cosine":
        W, T, lo = p["warmup"], p["T_max"], p["eta_min"]
        if k < W:
            return lr * (k + 1) / W
        j = min(k - (W - 1), T)
        return lo + (lr - lo) * (1 + math.cos(math.pi * j / T)) / 2
    raise KeyError(name)


CASES = [
    ("constant", {}),
    ("step", {}), ("step", {"step_size": 7, "gamma": 0.3}),
    ("exponential", {}), ("exponential", {"gamma": 0.9}),
    ("cosine", {}), ("cosine", {"T_max": 40, "eta_min": 0.01}),
    ("inverse_time", {}), ("inverse_time", {"decay": 0.3}),
    ("warmup_cosine", {}), ("warmup_cosine", {"warmup": 5, "T_max": 30, "eta_min": 1e-3}),
    ("warmup_cosine", {"warmup": 1, "T_max": 1}),
]


@pytest.mark.parametrize("name,params", CASES)
def test_closed_form(name, params):
    sched = S.get(name)
    p = sched.validate(**params)
    steps = 700
    got = sched.lrs(steps, BASE, **params)
    assert got.shape == (steps, 2) and got.dtype == np.float64
    want = np.array([[expected(name, k, lr, **p) for lr in BASE] for k in range(steps)])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-17)


@pytest.mark.parametrize("name", S.names())
def test_first_step_uses_base_lr_and_defaults(name):
    sched = S.get(name)
    got = sched.lrs(3, BASE)
    if name == "warmup_cosine":
        np.testing.assert_allclose(got[0], BASE / 50)  # the warm-up starts at lr/W
    else:
        np.testing.assert_array_equal(got[0], BASE)
    assert sched.lrs(0, BASE).shape == (0, 2)
    assert sched.lrs(4, 0.5).shape == (4, 1)
    assert sched.title and sched.latex and sched.description


def test_documented_defaults():
    assert S.get("step").defaults() == {"step_size": 100, "gamma": 0.5}
    assert S.get("exponential").defaults() == {"gamma": 0.99}
    assert S.get("cosine").defaults() == {"T_max": 500, "eta_min": 0.0}
    assert S.get("inverse_time").defaults() == {"decay": 0.01}
    assert S.get("warmup_cosine").defaults() == {"warmup": 50, "T_max": 500, "eta_min": 0.0}
    assert S.get("constant").defaults() == {}


def test_warmup_cosine_shape():
    lr = S.get("warmup_cosine").lrs(400, [1.0], warmup=10, T_max=100, eta_min=0.1)[:, 0]
    np.testing.assert_allclose(lr[:10], np.arange(1, 11) / 10)  # linear, peak at step W
    assert lr[9] == 1.0 and np.all(np.diff(lr[:10]) > 0)
    assert np.all(np.diff(lr[9:110]) < 0)  # cosine down over the next T_max steps
    np.testing.assert_allclose(lr[109:], 0.1)  # then stays at eta_min
    np.testing.assert_allclose(lr[59], 0.1 + 0.9 * 0.5)  # half-way down


def test_cosine_is_periodic_like_torch():
    lr = S.get("cosine").lrs(25, [1.0], T_max=10)[:, 0]
    assert lr[10] == 0.0
    np.testing.assert_allclose(lr[20], 1.0)
    np.testing.assert_allclose(lr[10:21], lr[10::-1][:11])


def test_per_trajectory_parameters():
    got = S.get("step").lrs(50, [1.0, 1.0, 2.0], step_size=np.array([10, 20, 10]), gamma=np.array([0.5, 0.5, 0.1]))
    for j, (lr, s, g) in enumerate([(1.0, 10, 0.5), (1.0, 20, 0.5), (2.0, 10, 0.1)]):
        np.testing.assert_allclose(got[:, j], S.get("step").lrs(50, [lr], step_size=s, gamma=g)[:, 0])
    # a per-trajectory parameter with a single base lr broadcasts
    assert S.get("exponential").lrs(5, 1.0, gamma=np.array([0.9, 0.8])).shape == (5, 2)


# ----------------------------------------------------------------------------- torch

CASES_TORCH = [(n, i) for n in REF["schedules"] for i in range(len(REF["schedules"][n]))]


@pytest.mark.parametrize("name,i", CASES_TORCH)
def test_matches_torch_reference(name, i):
    run = REF["schedules"][name][i]
    n = run["compare_steps"]
    ref = np.array(run["lrs"])[:n]
    ours = S.get(name).lrs(REF["schedule_steps"], REF["base_lrs"], **run["params"])[:n]
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15, err_msg=f"{name} {run['params']}")


def test_reference_covers_the_torch_schedules():
    assert set(REF["schedules"]) == set(S.names()) - {"constant"}


def test_live_torch():
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("make_torch_reference", HERE / "make_torch_reference.py")
    mk = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mk)
    import warnings
    for name, params in [("step", {"step_size": 13, "gamma": 0.7}), ("exponential", {"gamma": 0.97}),
                         ("cosine", {"T_max": 37, "eta_min": 0.002}), ("inverse_time", {"decay": 0.07}),
                         ("warmup_cosine", {"warmup": 20, "T_max": 300, "eta_min": 0.0})]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = np.array(mk.run_schedule(name, params, base_lrs=[0.2, 0.01], steps=300))
        ours = S.get(name).lrs(300, [0.2, 0.01], **params)
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15, err_msg=name)


# ----------------------------------------------------------------------------- validation

@pytest.mark.parametrize("name,params,word", [
    ("step", {"step_size": 0}, "step_size"), ("step", {"step_size": 2.5}, "step_size"),
    ("step", {"step_size": -3}, "step_size"), ("step", {"step_size": math.nan}, "step_size"),
    ("step", {"step_size": math.inf}, "step_size"), ("step", {"step_size": np.array([10, 0])}, "step_size"),
    ("step", {"gamma": 0.0}, "gamma"), ("step", {"gamma": 1.5}, "gamma"), ("step", {"gamma": "half"}, "gamma"),
    ("exponential", {"gamma": -0.1}, "gamma"), ("exponential", {"gamma": True}, "gamma"),
    ("cosine", {"T_max": 0}, "T_max"), ("cosine", {"T_max": 10.5}, "T_max"),
    ("cosine", {"eta_min": -1e-3}, "eta_min"),
    ("inverse_time", {"decay": -0.01}, "decay"),
    ("warmup_cosine", {"warmup": 0}, "warmup"), ("warmup_cosine", {"warmup": 1.5}, "warmup"),
    ("warmup_cosine", {"T_max": -1}, "T_max"), ("warmup_cosine", {"eta_min": math.nan}, "eta_min"),
])
def test_invalid_parameters(name, params, word):
    with pytest.raises(ValueError, match=word):
        S.get(name).validate(**params)
    with pytest.raises(ValueError, match=word):
        S.get(name).lrs(10, [0.1], **params)


def test_integer_messages_say_whole_number():
    with pytest.raises(ValueError, match="whole number"):
        S.get("step").validate(step_size=2.5)
    assert S.get("step").validate(step_size=3.0)["step_size"] == 3.0


def test_unknown_names():
    with pytest.raises(ValueError, match="T_max") as e:
        S.get("cosine").validate(tmax=3)
    assert "tmax" in str(e.value) and "eta_min" in str(e.value)
    with pytest.raises(ValueError, match="none"):
        S.get("constant").validate(gamma=0.5)
    with pytest.raises(ValueError) as e:
        S.get("linear")
    for n in S.names():
        assert n in str(e.value)


def test_bad_steps_and_lrs():
    sched = S.get("cosine")
    for steps in (-1, 2.5, True):
        with pytest.raises(ValueError, match="steps"):
            sched.lrs(steps, [0.1])
    for lr in ([-0.1], [math.nan], []):
        with pytest.raises(ValueError, match="base_lr"):
            sched.lrs(5, lr)
    with pytest.raises(ValueError, match="length"):
        S.get("step").lrs(5, [0.1, 0.2], gamma=np.array([0.5, 0.5, 0.5]))


def test_registry_and_shape():
    assert S.names() == ["constant", "step", "exponential", "cosine", "inverse_time", "warmup_cosine"]
    for s in S.REGISTRY.values():
        assert isinstance(s, S.Schedule)
        with pytest.raises(Exception):
            s.name = "x"  # frozen
