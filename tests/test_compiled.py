"""The compiled backend (engine.compiled) against the NumPy engine, its reference.

Every optimizer on every built-in analytic surface, with schedules, gradient noise,
stops, convergence, histories and the step inspector's record: the two backends
give the same numbers (bit for bit here; the bar is 1e-13 relative) and the same
statuses. Skipped, with the reason, only where numba is not installed.
"""
from __future__ import annotations

import json
import math
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

import engine
import landscapes
import optimizers
from engine import compiled
from optimizers import schedules as S

pytestmark = pytest.mark.skipif(not compiled.available(), reason=compiled.IMPORT_ERROR or "numba missing")

ANALYTIC = [n for n in landscapes.names() if n in compiled.SURFACES]
RTOL = 1e-13
REF = json.loads((Path(__file__).parent / "data" / "torch_reference.json").read_text())


@pytest.fixture(scope="module", autouse=True)
def kernels():
    compiled.warm_up()  # compiles (or loads from the disk cache) once for this module


@pytest.fixture(autouse=True)
def no_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def both(*args, **kw):
    return (engine.run(*args, backend="numpy", **kw), engine.run(*args, backend="compiled", **kw))


def assert_same(a: engine.Trajectory, b: engine.Trajectory, what=""):
    """Equal to 1e-13 relative wherever the reference is a number, NaN where it is NaN,
    and the same statuses, steps and reasons."""
    np.testing.assert_array_equal(a.status_code, b.status_code, err_msg=what)
    np.testing.assert_array_equal(a.converged_at, b.converged_at, err_msg=what)
    np.testing.assert_array_equal(a.stopped_at, b.stopped_at, err_msg=what)
    np.testing.assert_array_equal(a.steps, b.steps, err_msg=what)
    assert list(a.stop_reason) == list(b.stop_reason), what
    for name in ("positions", "losses", "grad_norms", "final_position", "final_loss", "lrs", "grads", "updates"):
        x, y = getattr(a, name), getattr(b, name)
        if x is None:
            assert y is None, (what, name)
            continue
        assert x.shape == y.shape, (what, name)
        np.testing.assert_allclose(y, x, rtol=RTOL, atol=0, equal_nan=True, err_msg=f"{what} {name}")
    assert set(a.states) == set(b.states), what
    for k in a.states:
        assert a.states[k].shape == b.states[k].shape, (what, k)
        np.testing.assert_allclose(b.states[k], a.states[k], rtol=RTOL, atol=0, equal_nan=True,
                                   err_msg=f"{what} state {k}")


def starts_over(surface, n, seed):
    """Start points over (and a little beyond) the surface's domain."""
    (x0, x1), (y0, y1) = surface.domain
    rng = np.random.default_rng(seed)
    return rng.uniform([x0 - 0.2 * (x1 - x0), y0], [x1, y1 + 0.2 * (y1 - y0)], size=(n, 2))


def mixed(opt, B, seed):
    """One value per trajectory for every numeric hyperparameter, within its range;
    flags from the seed."""
    rng = np.random.default_rng(seed)
    hp = {}
    for k, h in opt.hyperparameters.items():
        if k in compiled.NUMPY_ONLY_FLAGS:   # another reference's convention: NumPy only (tested below)
            continue
        if h.kind == "bool":
            hp[k] = bool(rng.integers(2))
            continue
        d = h.default
        if k in ("momentum", "beta1", "beta2", "alpha", "rho"):
            lo = 0.05 if opt.name == "nesterov" and k == "momentum" else 0.0
            v = rng.uniform(lo, min(0.995, h.high - 1e-3), B)
            v[0] = d  # the default too
        elif k == "dampening":
            v = np.zeros(B) if opt.name == "nesterov" else rng.uniform(0, 0.5, B)
        elif d == 0:
            v = np.where(rng.random(B) < 0.5, 0.0, rng.uniform(0.001, 0.2, B))
        else:
            v = d * rng.uniform(0.5, 2.0, B)
        hp[k] = v
    lr = opt.default_lr * 10.0 ** rng.uniform(-1, 1.3, B)
    return opt.validate(lr, **hp)


@pytest.mark.parametrize("surface_name", ANALYTIC)
@pytest.mark.parametrize("opt_name", optimizers.names())
def test_every_optimizer_on_every_surface(opt_name, surface_name):
    """Mixed per-trajectory hyperparameters and rates from starts over the domain, some
    converging, some diverging or escaping; noise in a second run."""
    opt, surface = optimizers.get(opt_name), landscapes.get(surface_name)
    B = 12
    starts = starts_over(surface, B, hash((opt_name, surface_name)) % 1000)
    hp = mixed(opt, B, 7)
    a, b = both(opt, surface, starts, hp, 150)
    assert_same(a, b, f"{opt_name} on {surface_name}")
    a, b = both(opt, surface, starts, hp, 60, gradient=engine.GaussianNoise(0.5), seed=3, history=7)
    assert_same(a, b, f"{opt_name} on {surface_name} with noise")


def shared(opt, row, seed):
    """One setting for the whole batch: row ``row`` of ``mixed`` as scalars (flags too)."""
    hp = mixed(opt, 12, seed)
    one = {k: (float(v[row]) if np.ndim(v) else v) for k, v in hp.items()}
    return opt.validate(one.pop("lr"), **one)


@pytest.mark.parametrize("opt_name", optimizers.names())
def test_shared_settings_on_every_optimizer(opt_name):
    """One rate and one value per hyperparameter for the whole batch: the kernels take
    them as scalars (a loop of their own); the same numbers as NumPy, with and without
    noise, for several settings (defaults among them) on surfaces where runs converge,
    diverge and escape."""
    opt = optimizers.get(opt_name)
    for surface_name in ("rosenbrock", "saddle", "himmelblau", "ackley", "beale"):
        surface = landscapes.get(surface_name)
        starts = starts_over(surface, 12, 11)
        for row, seed in ((0, 7), (3, 8), (5, 9)):
            hp = shared(opt, row, seed)
            assert compiled._layout(opt_name, {k: v for k, v in hp.items() if k != "lr"}, 12)[1][6] == 1
            a, b = both(opt, surface, starts, hp, 120)
            assert_same(a, b, f"{opt_name} on {surface_name}, setting {row}")
            a, b = both(opt, surface, starts, hp, 50, gradient=engine.GaussianNoise(0.5), seed=4, history=9)
            assert_same(a, b, f"{opt_name} on {surface_name}, setting {row}, noise")
    assert compiled._layout(opt_name, {k: v for k, v in mixed(opt, 12, 7).items() if k != "lr"}, 12)[1][6] == 0 \
        or opt_name == "gd"  # gd's only row (weight decay) may come out equal


@pytest.mark.parametrize("tol", [1e-5, 1e-3, 0.3, 1.0, 7.0, 1e-160, 1e-170, 3e-300, 1e150, 1e200,
                                 *(10.0 ** np.random.default_rng(0).uniform(-12, 12, 40))])
def test_the_squared_tolerance_decides_as_the_norm_does(tol):
    """The kernels test ``s < squared_tolerance(tol)`` for ``sqrt(s) < tol``: the same
    answer for every double s, checked on the doubles next to the bound and spread wide."""
    bound = compiled.squared_tolerance(tol)
    near = [bound]
    for direction in (0.0, np.inf):
        s = bound
        for _ in range(6):
            s = np.nextafter(s, direction)
            near.append(s)
    for v in np.concatenate([near, [tol * tol], np.geomspace(1e-300, 1e300, 301), [0.0, np.inf, np.nan]]):
        assert (math.sqrt(v) < tol) == (v < bound), (tol, v, bound)


def test_the_squared_tolerance_at_the_edges():
    assert compiled.squared_tolerance(0.0) == 0.0 and compiled.squared_tolerance(-1.0) == 0.0
    assert compiled.squared_tolerance(np.inf) == np.inf and np.isnan(compiled.squared_tolerance(np.nan))
    assert compiled.squared_tolerance(1e-5) == 1e-10


def test_cached_on_disk_names_the_current_kernels(tmp_path, monkeypatch):
    """A load from the disk cache is told from a compilation by numba's index of the
    current source: named for ``advance``'s line and written after the source changed."""
    assert compiled.cached_on_disk()  # the module's fixture loaded or compiled the kernels here
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert not compiled.cached_on_disk()
    folder = tmp_path / "engine"
    folder.mkdir()
    name = compiled._index_name()
    (folder / name.replace("advance-", "advance-1")).write_bytes(b"")  # another version's index
    assert not compiled.cached_on_disk()
    index = folder / name
    index.write_bytes(b"")
    os.utime(index, (0, 0))  # older than the source
    assert not compiled.cached_on_disk()
    os.utime(index, None)
    assert compiled.cached_on_disk()


def test_the_cases_cover_every_outcome():
    """The registry sweep above is not all one status: runs converge, diverge, escape and
    run out of steps."""
    seen = set()
    for name in ("gd", "adam", "newton", "momentum"):
        opt = optimizers.get(name)
        for s in ("bowl", "saddle", "rosenbrock", "himmelblau"):
            surface = landscapes.get(s)
            tr = engine.run(opt, surface, starts_over(surface, 12, 1), mixed(opt, 12, 7), 150,
                            backend="compiled")
            seen |= set(tr.status)
    assert seen == {"converged", "diverged", "escaped", "max_steps"}


@pytest.mark.parametrize("opt_name", optimizers.names())
def test_record_state_for_the_step_inspector(opt_name):
    opt = optimizers.get(opt_name)
    surface = landscapes.get("rosenbrock")
    starts = np.array([[-1.2, 1.0], [0.5, -0.5], [2.5, 2.0]])
    hp = opt.validate(opt.default_lr * np.array([1.0, 3.0, 300.0]))  # the last one diverges for most
    a, b = both(opt, surface, starts, hp, 40, record_state=True)
    assert a.grads is not None and set(a.states) == set(opt.state_names)
    assert_same(a, b, opt_name)


@pytest.mark.parametrize("name,params", [
    ("step", {"step_size": 7, "gamma": 0.5}), ("multistep", {"milestones": "5,20", "gamma": 0.3}),
    ("exponential", {"gamma": 0.97}), ("cosine", {"T_max": 30, "eta_min": 1e-4}),
    ("inverse_time", {"decay": 0.1}), ("warmup_cosine", {"warmup": 5, "T_max": 40}),
    ("one_cycle", {"max_lr": 0.003, "three_phase": True}),
    ("plateau", {"patience": 2, "factor": 0.5, "cooldown": 1}),
])
@pytest.mark.parametrize("opt_name", ["gd", "nesterov_textbook", "adam", "rmsprop", "nadam"])
def test_every_schedule(opt_name, name, params):
    """Shared and per-trajectory rates, a per-trajectory schedule parameter, noise."""
    opt, surface = optimizers.get(opt_name), landscapes.get("rosenbrock")
    starts = starts_over(surface, 6, 2)
    sched = S.get(name)
    for lr in (opt.default_lr, opt.default_lr * np.array([0.5, 1, 2, 4, 8, 30])):
        a, b = both(opt, surface, starts, opt.validate(lr), 80, schedule=sched, schedule_params=params,
                    gradient=engine.GaussianNoise(0.2), seed=5)
        assert_same(a, b, f"{opt_name} {name} lr={lr}")
    if name == "step":
        p = {"step_size": np.array([3, 5, 7, 9, 11, 13]), "gamma": 0.5}
        a, b = both(opt, surface, starts, opt.validate(opt.default_lr), 50, schedule=sched, schedule_params=p)
        assert_same(a, b, f"{opt_name} per-trajectory step_size")


@pytest.mark.parametrize("name", list(REF["optimizers"]))
def test_torch_reference_on_both_backends(name):
    """The torch.optim reference trajectories (every setting of every optimizer with a torch
    equivalent, in one batch) through the compiled backend, as test_engine does for NumPy."""
    opt = optimizers.get(name)
    starts = np.array(REF["starts"], dtype=float)
    for run in REF["optimizers"][name]:
        tr = engine.run(opt, landscapes.get("rosenbrock"), starts, opt.validate(run["lr"], **run["hp"]),
                        REF["steps"], stop=engine.StopRule(), backend="compiled")
        np.testing.assert_allclose(tr.positions.transpose(1, 0, 2), np.array(run["trajectories"]),
                                   rtol=1e-12, atol=1e-14, err_msg=f"{name} {run['hp']}")


def test_histories_and_a_tight_stop_rule():
    opt = optimizers.get("momentum")
    surface = landscapes.get("himmelblau")
    starts = starts_over(surface, 40, 9)
    rule = engine.StopRule(centre=(0.0, 0.0), half_widths=(4.0, 6.0), loss_bound=300.0)
    hp = opt.validate(np.geomspace(1e-3, 0.05, 40))
    for history in ("full", "final", 1, 3, 1000):
        a, b = both(opt, surface, starts, hp, 301, history=history, stop=rule, tol=1e-3)
        assert_same(a, b, f"history {history}")
    assert {"diverged", "escaped", "converged"} <= set(a.status)


def test_blocks_and_chunks_do_not_change_the_numbers(monkeypatch):
    """More trajectories than a block, more steps than a chunk of the noise table."""
    opt, surface = optimizers.get("adam"), landscapes.get("rastrigin")
    starts = starts_over(surface, 300, 4)
    hp = opt.validate(np.geomspace(1e-3, 1.0, 300))
    kw = dict(gradient=engine.GaussianNoise(1.0), seed=[1, 2], history=25)
    ref = engine.run(opt, surface, starts, hp, 200, backend="numpy", **kw)
    monkeypatch.setattr(compiled, "BLOCK", 64)
    monkeypatch.setattr(compiled, "CHUNK_ELEMENTS", 5000)
    assert_same(ref, engine.run(opt, surface, starts, hp, 200, backend="compiled", **kw))


def test_the_same_errors_as_numpy():
    opt, surface = optimizers.get("adam"), landscapes.get("bowl")
    for bad in ([np.nan, 0.0], [[1.0, 2.0, 3.0]]):
        with pytest.raises(ValueError, match="start"):
            engine.run(opt, surface, bad, opt.validate(), 5, backend="compiled")
    with pytest.raises(ValueError, match="mismatched"):
        engine.run(opt, surface, np.zeros((3, 2)), opt.validate(np.array([0.1, 0.2])), 5, backend="compiled")
    with pytest.raises(ValueError, match="steps"):
        engine.run(opt, surface, [0.0, 1.0], opt.validate(), -1, backend="compiled")
    with pytest.raises(ValueError, match="backend"):
        engine.run(opt, surface, [0.0, 1.0], opt.validate(), 5, backend="fortran")


def test_what_stays_on_numpy_says_why():
    opt = optimizers.get("gd")
    data = landscapes.get("linear_regression")
    formula = landscapes.get("formula")
    assert "data surface" in compiled.unsupported(opt, data)
    assert "no compiled kernel" in compiled.unsupported(opt, formula)
    batches = engine.MiniBatch(data, 8)
    assert "gradient source" in compiled.unsupported(opt, landscapes.get("bowl"), batches)
    with pytest.raises(ValueError, match="data surface"):
        engine.run(opt, data, [0.0, 0.0], opt.validate(0.1), 5, backend="compiled")
    # auto runs them on NumPy, with the NumPy engine's numbers
    for surface in (data, formula):
        a = engine.run(opt, surface, [0.5, 0.5], opt.validate(0.05), 20, backend="auto")
        b = engine.run(opt, surface, [0.5, 0.5], opt.validate(0.05), 20, backend="numpy")
        np.testing.assert_array_equal(a.positions, b.positions)


def test_auto_uses_the_kernels_once_loaded():
    """With the kernels loaded (this module's fixture), auto is the compiled run."""
    assert compiled._ready.is_set()
    opt, surface = optimizers.get("adam"), landscapes.get("rosenbrock")
    calls = []
    real = compiled._load().advance

    def spy(*args):
        calls.append(1)
        return real(*args)

    compiled.K.advance = spy
    try:
        engine.run(opt, surface, [-1.2, 1.0], opt.validate(0.01), 10)
    finally:
        compiled.K.advance = real
    assert calls


def test_zero_steps_and_one_trajectory():
    opt, surface = optimizers.get("adam"), landscapes.get("rosenbrock")
    a, b = both(opt, surface, [-1.2, 1.0], opt.validate(), 0)
    assert_same(a, b)
    a, b = both(opt, surface, [-1.2, 1.0], opt.validate(0.01), 1000, history="final")
    assert_same(a, b)


def test_surface_parameters_reach_the_kernels():
    opt = optimizers.get("newton")
    for name, params in [("rosenbrock", {"a": 2.0, "b": 30.0}), ("ravine", {"a": 0.5, "b": 7.0}),
                         ("quadratic", {"condition": 50.0, "angle": -35.0}), ("rastrigin", {"A": 3.0}),
                         ("ackley", {"a": 10.0, "b": 0.5, "c": 3.0})]:
        surface = landscapes.get(name, **params)
        a, b = both(opt, surface, starts_over(surface, 10, 3), opt.validate(0.5), 30)
        assert_same(a, b, name)


def test_cli_backend_flag(capsys):
    """--backend numpy and --backend compiled print the same JSON (run, sweep, heat map, basins);
    a case the kernels cannot run is a clear error."""
    import cli

    cases = [
        ["run", "--surface", "rosenbrock", "--optimizer", "adam", "--lr", "0.02", "--steps", "300",
         "--noise", "0.3", "--schedule", "cosine", "--json"],
        ["sweep", "--surface", "ravine", "--optimizer", "momentum", "nadam", "--lr-min", "1e-4", "--lr-max", "3",
         "--count", "30", "--steps", "200", "--json"],
        ["heatmap", "--surface", "beale", "--optimizer", "adam", "--lr-min", "1e-4", "--lr-max", "1",
         "--count", "12", "--steps", "150", "--json"],
        ["basins", "--surface", "six_hump_camel", "--optimizer", "newton", "--steps", "50", "--resolution", "20",
         "--json"],
    ]
    for argv in cases:
        out = []
        for backend in ("numpy", "compiled"):
            assert cli.main(argv + ["--backend", backend]) == 0
            out.append(json.loads(capsys.readouterr().out))
        assert out[0] == out[1], argv[0]
    assert cli.main(["run", "--surface", "linear_regression", "--optimizer", "gd", "--backend", "compiled"]) == 2
    assert "data surface" in capsys.readouterr().err


@pytest.mark.parametrize("name, flag", [("rmsprop", "eps_inside"), ("adagrad", "eps_inside"), ("newton", "signed")])
def test_other_conventions_run_on_numpy(name, flag):
    """The kernels follow torch's conventions only: a run with another reference's flag
    is refused by the compiled backend with the reason, and "auto" runs it on NumPy."""
    opt, surface = optimizers.get(name), landscapes.get("rosenbrock")
    hp = opt.validate(0.01, **{flag: True})
    with pytest.raises(ValueError, match=flag):
        engine.run(opt, surface, [-1.2, 1.0], hp, 20, backend="compiled")
    compiled.warm_up()
    auto = engine.run(opt, surface, [-1.2, 1.0], hp, 20, backend="auto")
    ref = engine.run(opt, surface, [-1.2, 1.0], hp, 20, backend="numpy")
    np.testing.assert_array_equal(auto.positions, ref.positions)


def test_a_compiled_run_asks_should_stop_between_bounded_kernel_calls(monkeypatch):
    """The compiled backend asks ``should_stop`` before each kernel call, and a call
    covers at most ``CANCEL_WORK`` trajectory-steps: a long run stops within ~0.1 s."""
    compiled.warm_up()
    opt, surface = optimizers.get("adam"), landscapes.get("rosenbrock")
    B = 1_000
    starts = starts_over(surface, B, 5)
    asked = []

    def stop():
        asked.append(1)
        return len(asked) > 3

    with pytest.raises(engine.Cancelled, match="nobody waits"):
        engine.run(opt, surface, starts, opt.validate(0.01), 100_000, history="final", backend="compiled",
                   should_stop=stop)
    assert len(asked) == 4
    per_call = compiled.CANCEL_WORK // B
    with pytest.raises(engine.Cancelled, match=f"before step {3 * per_call + 1} of 100000"):
        asked.clear()
        engine.run(opt, surface, starts, opt.validate(0.01), 100_000, history="final", backend="compiled",
                   should_stop=stop)
    monkeypatch.setattr(compiled, "CANCEL_WORK", 20 * 7)   # kernel calls of 7 steps: the same numbers
    same = engine.run(opt, surface, starts[:20], opt.validate(0.01), 300, backend="compiled",
                      should_stop=lambda: False)
    ref = engine.run(opt, surface, starts[:20], opt.validate(0.01), 300, backend="numpy")
    assert_same(ref, same, "chunked for cancellation")
