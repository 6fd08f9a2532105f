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
REF2 = json.loads((HERE / "data" / "torch_schedules.json").read_text())
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
    if name == "multistep":
        return lr * p["gamma"] ** sum(m <= k for m in p["milestones"])
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
    ("multistep", {}), ("multistep", {"milestones": "7,8,300", "gamma": 0.3}),
    ("multistep", {"milestones": (5,), "gamma": 1.0}),
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
    losses = np.ones(4) if sched.needs_loss else None
    got = sched.lrs(3, BASE, losses=losses)
    if name == "warmup_cosine":
        np.testing.assert_allclose(got[0], BASE / 50)  # the warm-up starts at lr/W
    elif name == "one_cycle":  # torch's start: phase 1 ends at 0.3 * 3 - 1 < 0, so k = 0 is in phase 2
        np.testing.assert_allclose(got[0], BASE / 25e4 + (BASE - BASE / 25e4) * (1 + np.cos(np.pi * 0.1 / 2.1)) / 2)
    else:
        np.testing.assert_array_equal(got[0], BASE)
    assert sched.lrs(0, BASE, losses=losses).shape == (0, 2)
    assert sched.lrs(4, 0.5, losses=losses).shape == (4, 1)
    assert sched.title and sched.latex and sched.description


def test_documented_defaults():
    assert S.get("multistep").defaults() == {"milestones": (100, 200), "gamma": 0.1}
    assert S.get("one_cycle").defaults() == {
        "max_lr": 0.0, "total_steps": 0, "pct_start": 0.3, "anneal_strategy": "cos",
        "div_factor": 25.0, "final_div_factor": 1e4, "three_phase": False}
    assert S.get("plateau").defaults() == {
        "mode": "min", "factor": 0.1, "patience": 10, "threshold": 1e-4, "threshold_mode": "rel",
        "cooldown": 0, "min_lr": 0.0, "eps": 1e-8}
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
    assert set(REF["schedules"]) | set(REF2["schedules"]) == set(S.names()) - {"constant"}


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
    assert S.names() == ["constant", "step", "multistep", "exponential", "cosine", "inverse_time",
                         "warmup_cosine", "one_cycle", "plateau"]
    for s in S.REGISTRY.values():
        assert isinstance(s, S.Schedule)
        with pytest.raises(Exception):
            s.name = "x"  # frozen


# ----------------------------------------------------------------------------- MultiStepLR, OneCycleLR,
# ReduceLROnPlateau against torch (tests/make_torch_schedules.py)

CASES_TORCH2 = [(n, i) for n in REF2["schedules"] for i in range(len(REF2["schedules"][n]))]


@pytest.mark.parametrize("name,i", CASES_TORCH2)
def test_new_schedules_match_torch(name, i):
    run = REF2["schedules"][name][i]
    ref = np.array(run["lrs"])
    ours = S.get(name).lrs(REF2["steps"], REF2["base_lrs"], losses=run.get("losses"), **run["params"])
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=1e-14, atol=0, err_msg=f"{name} {run['params']}")
    assert len(np.unique(ref[:, 0])) >= 3, "a reference that never changes the rate tests nothing"


def test_plateau_reference_losses_are_noisy():
    for run in REF2["schedules"]["plateau"]:
        d = np.diff(run["losses"])
        assert (d > 0).sum() > 50 and (d < 0).sum() > 50


@pytest.mark.parametrize("backend", ["numpy", "compiled"])
@pytest.mark.parametrize("i", range(len(REF2["runs"])))
def test_engine_plateau_run_matches_torch(i, backend):
    """GD driven by ReduceLROnPlateau with the loss where each step starts, as torch's
    loop loss = f(θ); opt.step(); sched.step(loss)."""
    import engine
    import landscapes
    import optimizers

    import engine.compiled
    if backend == "compiled" and not engine.compiled.available():
        pytest.skip(engine.compiled.IMPORT_ERROR)
    run = REF2["runs"][i]
    gd = optimizers.get("gd")
    tr = engine.run(gd, landscapes.get(run["surface"]), run["start"], gd.validate(run["lr"]), run["steps"],
                    schedule=S.get("plateau"), schedule_params=run["params"], backend=backend)
    np.testing.assert_allclose(tr.lrs[:, 0], run["lrs"], rtol=1e-15, atol=0)
    np.testing.assert_allclose(tr.positions[:, 0], run["positions"], rtol=1e-12, atol=1e-14)
    assert len(set(run["lrs"])) >= 2


def test_plateau_per_trajectory_state_equals_single_runs():
    import engine
    import landscapes
    import optimizers

    gd = optimizers.get("gd")
    bowl = landscapes.get("bowl")
    starts = np.array([[-1.5, 1.5], [0.3, -0.2], [1.9, 1.0], [-0.5, -1.7]])
    lrs = np.array([1.2, 0.4, 1.1, 1.3])
    p = {"patience": 1, "factor": 0.5, "min_lr": np.array([0.0, 0.0, 0.3, 0.0])}
    batch = engine.run(gd, bowl, starts, gd.validate(lrs), 40, schedule=S.get("plateau"), schedule_params=p)
    for b in range(4):
        one = engine.run(gd, bowl, starts[b], gd.validate(float(lrs[b])), 40, schedule=S.get("plateau"),
                         schedule_params={**p, "min_lr": float(p["min_lr"][b])})
        np.testing.assert_array_equal(batch.lrs[:, b], one.lrs[:, 0])
        np.testing.assert_allclose(batch.positions[:, b], one.positions[:, 0], rtol=1e-15)
    assert len(np.unique(batch.lrs[-1])) > 1  # the trajectories' rates went their own ways


def test_live_torch_new_schedules():
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location("make_torch_schedules", HERE / "make_torch_schedules.py")
    mk = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mk)
    losses = mk.noisy_losses(11, 250)
    for name, params in [("multistep", {"milestones": [3, 40, 41, 200]}),
                         ("one_cycle", {"max_lr": 0.7, "total_steps": 260, "pct_start": 0.45}),
                         ("plateau", {"patience": 2, "factor": 0.4, "cooldown": 1})]:
        ref = np.array(mk.run_schedule(name, params, losses if name == "plateau" else None,
                                       base_lrs=[0.2, 0.01], steps=250))
        ours = S.get(name).lrs(250, [0.2, 0.01], losses=losses if name == "plateau" else None, **params)
        np.testing.assert_allclose(ours, ref, rtol=1e-14, atol=0, err_msg=name)


# ----------------------------------------------------------------------------- the stepper

@pytest.mark.parametrize("name,params", CASES + [("one_cycle", {}), ("one_cycle", {"three_phase": True})])
def test_stepper_in_small_chunks_equals_the_whole_table(name, params, monkeypatch):
    whole = S.get(name).lrs(700, BASE, **params)
    monkeypatch.setattr(S, "CHUNK_ELEMENTS", 7)  # 3 rows of 2 trajectories at a time
    st = S.get(name).stepper(700, BASE, **params)
    assert name == "constant" or st.chunk == 3
    np.testing.assert_array_equal(np.array([np.broadcast_to(st.lr(k), (2,)) for k in range(700)]), whole)


@pytest.mark.parametrize("chunk", [7, 1 << 18])
def test_multistep_is_torchs_python_power_exactly(chunk, monkeypatch):
    """gamma ** n is a Python float power (torch's closed form), the same bits whatever the
    chunk's shape: NumPy's vectorized power rounded 0.1 ** 2 differently (1 ulp) in a (1, 1) and
    a (3, 1) array on some machines, so the chunked stepper differed from the whole table."""
    monkeypatch.setattr(S, "CHUNK_ELEMENTS", chunk)
    milestones, gammas = (3, 5, 9, 12, 20), [0.1, 0.3, 0.1, 0.7]
    base = [0.1, 0.003, 1.0, 0.5]
    got = S.get("multistep").lrs(30, base, milestones=milestones, gamma=np.array(gammas))
    one = S.get("multistep").lrs(30, 0.1, milestones=milestones, gamma=0.1)[:, 0]
    for k in range(30):
        n = sum(m <= k for m in milestones)
        assert one[k] == 0.1 * 0.1 ** n
        assert got[k].tolist() == [lr * g ** n for lr, g in zip(base, gammas)]


def test_stepper_one_rate_is_a_float_and_never_a_table():
    st = S.get("constant").stepper(10_000, np.full(160_000, 0.01))
    assert st.width == 1 and isinstance(st.lr(0), float) and isinstance(st.lr(9_999), float)
    st = S.get("constant").stepper(10_000, np.linspace(0.1, 1, 160_000))
    assert st.lr(0) is st.lr(9_999) and st.lr(0).shape == (160_000,)  # one array, never a table
    st = S.get("cosine").stepper(10_000, np.full(1000, 0.1), T_max=np.full(1000, 300.0))
    assert st.width == 1 and isinstance(st.lr(5), float)
    st = S.get("cosine").stepper(10_000, np.linspace(0.1, 1, 1000))
    assert st.width == 1000 and st.lr(5).shape == (1000,)
    assert st.rows.nbytes <= S.CHUNK_ELEMENTS * 8  # a bounded chunk, not steps x trajectories


def test_plateau_rate_is_a_float_while_all_agree():
    st = S.get("plateau").stepper(100, np.full(3, 0.5), patience=0)
    assert st.lr(0) == 0.5
    st.observe(np.array([1.0, 1.0, 1.0]))
    st.observe(np.array([2.0, 0.5, 2.0]))  # two got worse: their rate is cut
    np.testing.assert_array_equal(st.lr(2), [0.05, 0.5, 0.05])


def test_engine_constant_rate_memory_is_bounded():
    """No (steps x B) array for a constant rate: the former table check alone made a
    2,000 x 10,000 boolean array (20 MB; the whole run now peaks at about 2 MB)."""
    import tracemalloc

    import engine
    import landscapes
    import optimizers

    gd = optimizers.get("gd")
    starts = np.random.default_rng(0).uniform(-2, 2, (10_000, 2))
    tracemalloc.start()
    engine.run(gd, landscapes.get("bowl"), starts, gd.validate(0.01), 2_000, history="final")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10e6, peak


# ----------------------------------------------------------------------------- new validation

@pytest.mark.parametrize("text,want", [
    ("10,30", (10, 30)), (" 10 , 30 ", (10, 30)), ("[5,6]", (5, 6)), ("7", (7,)), (7, (7,)), (7.0, (7,)),
    ((10, 30), (10, 30)), ([1, 2, 3], (1, 2, 3)), (np.array([4, 9]), (4, 9)), ("1e3", (1000,)),
])
def test_milestones_accept_text_and_tuples(text, want):
    assert S.get("multistep").validate(milestones=text)["milestones"] == want


@pytest.mark.parametrize("text,word", [
    ("", "at least one"), ("10,,30", "whole numbers"), ("30,10", "strictly increasing"),
    ("10,10", "strictly increasing"), ("0,5", "between 1"), ("-3", "between 1"), ("2.5", "between 1"),
    ("nan", "between 1"), ("inf", "between 1"), ("10;30", "whole numbers"), (True, "whole numbers"),
    ("x" * 5000, "whole numbers"), (",".join(map(str, range(1, 200))), "at most"), ({"a": 1}, "whole numbers"),
    (None, "whole numbers"),
])
def test_bad_milestones(text, word):
    with pytest.raises(ValueError, match=word) as e:
        S.get("multistep").validate(milestones=text)
    assert "multistep.milestones" in str(e.value) and len(str(e.value)) < 200


@pytest.mark.parametrize("name,params,word", [
    ("plateau", {"mode": "minimum"}, "'min', 'max'"), ("plateau", {"mode": 1}, "mode"),
    ("plateau", {"threshold_mode": "relative"}, "'rel', 'abs'"),
    ("one_cycle", {"anneal_strategy": "cosine"}, "'cos', 'linear'"),
    ("plateau", {"factor": 1.0}, "factor"), ("plateau", {"factor": -0.1}, "factor"),
    ("plateau", {"patience": -1}, "patience"), ("plateau", {"patience": 1.5}, "whole number"),
    ("plateau", {"cooldown": math.inf}, "cooldown"), ("plateau", {"min_lr": -1}, "min_lr"),
    ("plateau", {"eps": math.nan}, "eps"), ("plateau", {"threshold": "lots"}, "threshold"),
    ("one_cycle", {"pct_start": 1.5}, "pct_start"), ("one_cycle", {"div_factor": 0}, "div_factor"),
    ("one_cycle", {"final_div_factor": -1}, "final_div_factor"), ("one_cycle", {"total_steps": 2.5}, "total_steps"),
    ("one_cycle", {"three_phase": "maybe"}, "true or false"), ("one_cycle", {"max_lr": -0.1}, "max_lr"),
    ("multistep", {"gamma": 0.0}, "gamma"), ("multistep", {"gamma": 2.0}, "gamma"),
])
def test_invalid_new_parameters(name, params, word):
    with pytest.raises(ValueError, match=word):
        S.get(name).validate(**params)


def test_choices_and_flags_from_text():
    p = S.get("one_cycle").validate(anneal_strategy="linear", three_phase="true", total_steps="40")
    assert p["anneal_strategy"] == "linear" and p["three_phase"] is True and p["total_steps"] == 40.0
    assert S.get("plateau").validate(mode=" max ", threshold_mode="abs")["mode"] == "max"


def test_one_cycle_rules_that_need_the_run():
    oc = S.get("one_cycle")
    with pytest.raises(ValueError, match="total_steps"):
        oc.stepper(100, [0.1], total_steps=50)
    oc.stepper(100, [0.1], total_steps=100)  # torch steps up to total_steps
    with pytest.raises(ValueError, match="zero length"):
        oc.stepper(10, [0.1], pct_start=0.1)  # 0.1 * 10 - 1 = 0: torch divides by zero
    # max_lr 0 is the optimizer's rate; a set max_lr ignores it (as torch does)
    np.testing.assert_array_equal(oc.lrs(50, [0.1, 0.2])[:, 1], 2 * oc.lrs(50, [0.1, 0.2])[:, 0])
    np.testing.assert_array_equal(oc.lrs(50, [0.1, 0.2], max_lr=1.0)[:, 0], oc.lrs(50, [0.1, 0.2], max_lr=1.0)[:, 1])
    assert oc.lrs(50, [0.1], max_lr=1.0)[0, 0] == pytest.approx(1.0 / 25, rel=1e-2)
    assert "NOT cycled" in oc.description


def test_plateau_needs_losses():
    with pytest.raises(ValueError, match="loss"):
        S.get("plateau").lrs(5, [0.1])
    with pytest.raises(ValueError, match="row"):
        S.get("plateau").lrs(5, [0.1], losses=[1.0, 2.0])


# ----------------------------------------------------------------------------- CLI and link carry the text

def test_cli_and_link_carry_lists_and_words():
    import contextlib
    import io
    import json as _json

    import links
    import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["run", "--surface", "bowl", "--optimizer", "gd", "--lr", "0.1", "--steps", "40",
                         "--schedule", "multistep", "--schedule-set", "milestones=10,30",
                         "--schedule-set", "gamma=0.5", "--json"])
    assert code == 0
    lrs = np.array(_json.loads(out.getvalue())["lrs"])
    np.testing.assert_allclose(lrs, 0.1 * 0.5 ** ((np.arange(40) >= 10).astype(int) + (np.arange(40) >= 30)))

    q = {"surface": "bowl", "steps": "60", "r1": "gd", "r1.lr": "1.2", "r1.sched": "plateau",
         "r1.sched.mode": "max", "r1.sched.threshold_mode": "abs", "r1.sched.patience": "3",
         "r2": "gd", "r2.sched": "multistep", "r2.sched.milestones": "10,30",
         "r3": "gd", "r3.sched": "one_cycle", "r3.sched.three_phase": "true", "r3.sched.anneal_strategy": "linear"}
    state, warnings_ = links.from_query(q)
    assert not warnings_
    r1, r2, r3 = state.run.racers
    assert dict(r1.schedule.params)["mode"] == "max" and dict(r1.schedule.params)["patience"] == 3
    assert dict(r2.schedule.params)["milestones"] == (10, 30)
    assert dict(r3.schedule.params)["three_phase"] is True
    back = links.to_query(state)
    assert back["r2.sched.milestones"] == "10,30" and back["r1.sched.mode"] == "max"
    assert back["r3.sched.three_phase"] == "true" and back["r3.sched.anneal_strategy"] == "linear"
    assert links.from_query(back)[0].run.racers == state.run.racers

    bad = dict(q, **{"r2.sched.milestones": "30,10", "r1.sched.mode": "sideways"})
    state, warnings_ = links.from_query(bad)
    assert any("milestones" in w for w in warnings_) and any("mode" in w for w in warnings_)
    assert dict(state.run.racers[1].schedule.params)["milestones"] == (100, 200)


# ----------------------------------------------------------------------------- the engine's stepper

@pytest.mark.parametrize("name,params",
                         CASES + [("one_cycle", {}), ("one_cycle", {"max_lr": 0.3, "three_phase": True})])
@pytest.mark.parametrize("backend", ["numpy", "compiled"])
def test_engine_runs_every_schedule_as_its_table(name, params, backend):
    """The engine's per-step rates are the schedule's table, and GD with them is the
    plain update x ← x − lr_k ∇f(x) (per trajectory and shared rates alike)."""
    import engine
    import landscapes
    import optimizers

    import engine.compiled
    if backend == "compiled" and not engine.compiled.available():
        pytest.skip(engine.compiled.IMPORT_ERROR)
    gd = optimizers.get("gd")
    ros = landscapes.get("rosenbrock")
    starts = np.array([[-1.2, 1.0], [0.5, -0.5], [1.3, 1.9]])
    for lrs in (1e-3, np.array([1e-3, 5e-4, 2e-4])):
        tr = engine.run(gd, ros, starts, gd.validate(lrs), 150, schedule=S.get(name), schedule_params=params,
                        backend=backend)
        table = S.get(name).lrs(150, np.broadcast_to(lrs, (3,)), **params)
        np.testing.assert_array_equal(tr.lrs, table)
        x = starts.copy()
        for k in range(150):
            with np.errstate(all="ignore"):
                x = x - table[k][:, None] * ros.grad(x)
            running = (tr.stopped_at < 0) | (k + 1 < tr.stopped_at)  # a stopped run's rows are NaN
            np.testing.assert_allclose(tr.positions[k + 1][running], x[running], rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- the app's widgets

def _app(query):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(HERE.parent / "app.py"), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def test_app_widgets_for_lists_words_and_flags():
    at = _app({"surface": "bowl", "steps": "60", "r1": "gd", "r1.lr": "0.1", "r1.sched": "multistep",
               "r1.sched.milestones": "10,30", "r2": "gd", "r2.lr": "1.2", "r2.sched": "plateau",
               "r2.sched.mode": "min", "r2.sched.patience": "1", "r2.sched.factor": "0.5",
               "r2.sched.threshold_mode": "abs"})
    assert not at.exception and not at.error
    assert at.text_input(key="schedp.0.multistep.milestones").value == "10,30"
    assert at.selectbox(key="schedp.1.plateau.threshold_mode").value == "abs"
    at.text_input(key="schedp.0.multistep.milestones").set_value("5,20,40").run()
    assert not at.exception and at.query_params["r1.sched.milestones"] in (["5,20,40"], "5,20,40")
    at.selectbox(key="schedp.1.plateau.mode").set_value("max").run()
    assert not at.exception and at.query_params["r2.sched.mode"] in (["max"], "max")
    at.text_input(key="schedp.0.multistep.milestones").set_value("30,10").run()
    assert not at.exception and any("strictly increasing" in e.value for e in at.error)


def test_app_one_cycle_shorter_than_the_run_is_a_message():
    at = _app({"surface": "bowl", "steps": "60", "r1": "gd", "r1.lr": "0.1", "r1.sched": "one_cycle",
               "r1.sched.three_phase": "true"})
    assert not at.exception and not at.error
    assert at.checkbox(key="schedp.0.one_cycle.three_phase").value is True
    at.number_input(key="schedp.0.one_cycle.total_steps").set_value(30.0).run()
    assert not at.exception and any("total_steps" in e.value for e in at.error)


@pytest.mark.parametrize("key, value", [
    ("schedp.0.plateau.mode", "sideways"), ("schedp.0.plateau.mode", 3), ("schedp.0.plateau.factor", "x"),
    ("schedp.0.one_cycle.three_phase", "yes"), ("schedp.0.one_cycle.anneal_strategy", None),
    ("schedp.0.multistep.milestones", 10), ("schedp.0.multistep.milestones", "1," * 300),
    ("schedp.0.plateau.patience", float("nan")),
])
def test_a_modified_client_cannot_break_a_schedule_widget(key, value):
    from ui.sanitize import sanitize_widget_state

    state = {"surface": "bowl", "schedp.0.plateau.mode": "min", "schedp.0.plateau.factor": 0.1,
             "schedp.0.plateau.patience": 10.0, "schedp.0.one_cycle.three_phase": False,
             "schedp.0.one_cycle.anneal_strategy": "cos", "schedp.0.multistep.milestones": "100,200",
             "schedp.0.nosuch.x": "left alone"}
    assert sanitize_widget_state(dict(state)) == []
    state[key] = value
    messages = sanitize_widget_state(state)
    assert len(messages) == 1 and "held an invalid value" in messages[0] and len(messages[0]) < 300
    assert sanitize_widget_state(dict(state)) == []
    _, _, sname, pname = key.split(".")
    want = S.get(sname).params[pname].default
    assert state[key] == (S.format_value(want) if pname == "milestones" else want)
