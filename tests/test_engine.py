"""The trajectory engine: shapes, statuses, batching, determinism, memory."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import engine
import engine.compiled
import landscapes
import optimizers
from engine.core import CONVERGED, DIVERGED, ESCAPED

ROSEN = landscapes.get("rosenbrock")
BOWL = landscapes.get("bowl")


def hp(name, lr=None, **kw):
    return optimizers.get(name).validate(lr, **kw)


@pytest.fixture(autouse=True)
def no_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_shapes_full_history():
    starts = np.array([[-1.2, 1.0], [0.5, 0.5], [1.5, 2.0]])
    tr = engine.run(optimizers.get("adam"), ROSEN, starts, hp("adam", 0.01), 40)
    assert tr.positions.shape == (41, 3, 2)
    assert tr.losses.shape == (41, 3) and tr.grad_norms.shape == (41, 3)
    assert tr.lrs.shape == (40, 3)
    np.testing.assert_array_equal(tr.positions[0], starts)
    np.testing.assert_allclose(tr.losses, ROSEN.f(tr.positions))
    g = ROSEN.grad(tr.positions)
    np.testing.assert_allclose(tr.grad_norms, np.hypot(g[..., 0], g[..., 1]))
    np.testing.assert_array_equal(tr.steps, np.arange(41))


@pytest.mark.parametrize("name", optimizers.names())
def test_batch_equals_single_runs_every_optimizer(name):
    opt = optimizers.get(name)
    rng = np.random.default_rng(1)
    starts = rng.uniform([-1.5, -0.5], [1.5, 2.0], size=(5, 2))
    lrs = opt.default_lr * np.array([0.5, 1.0, 2.0, 0.25, 1.5])
    batch = engine.run(opt, ROSEN, starts, opt.validate(lrs), 30)
    for b in range(5):
        single = engine.run(opt, ROSEN, starts[b], opt.validate(float(lrs[b])), 30)
        np.testing.assert_allclose(batch.positions[:, b], single.positions[:, 0], rtol=1e-13, atol=1e-13)
        assert batch.status[b] == single.status[0]


@settings(max_examples=25, deadline=None)
@given(
    starts=st.lists(st.tuples(st.floats(-2, 2), st.floats(-1, 3)), min_size=1, max_size=6),
    lr_exp=st.lists(st.floats(-4, -1), min_size=6, max_size=6),
    beta1=st.lists(st.floats(0.0, 0.95), min_size=6, max_size=6),
    name=st.sampled_from(["gd", "momentum", "adam", "rmsprop", "nadam"]),
)
def test_batch_of_mixed_hyperparameters_equals_single_runs(starts, lr_exp, beta1, name):
    opt = optimizers.get(name)
    B = len(starts)
    lrs = 10.0 ** np.array(lr_exp[:B])
    extra = {}
    if "beta1" in opt.hyperparameters:
        extra["beta1"] = np.array(beta1[:B])
    elif "momentum" in opt.hyperparameters and name == "momentum":
        extra["momentum"] = np.array(beta1[:B])
    batch = engine.run(opt, ROSEN, np.array(starts), opt.validate(lrs, **extra), 25)
    for b in range(B):
        one = {k: float(v[b]) for k, v in extra.items()}
        single = engine.run(opt, ROSEN, starts[b], opt.validate(float(lrs[b]), **one), 25)
        np.testing.assert_allclose(batch.positions[:, b], single.positions[:, 0], rtol=1e-12, atol=1e-12,
                                   equal_nan=True)
        assert batch.status_code[b] == single.status_code[0]


def test_diverging_run_stops_cleanly_and_reports_where():
    tr = engine.run(optimizers.get("gd"), BOWL, [-1.5, 1.5], hp("gd", 1.5), 200)
    assert tr.status[0] == "diverged"
    k = int(tr.stopped_at[0])
    assert 1 <= k < 200
    assert np.all(np.isfinite(tr.positions[:k])) and np.all(np.isnan(tr.positions[k:]))
    assert np.all(np.isnan(tr.losses[k:])) and np.all(np.isfinite(tr.losses[:k]))
    np.testing.assert_array_equal(tr.final_position[0], tr.positions[k - 1, 0])
    msg = tr.describe(0)
    assert msg.startswith(f"diverged at step {k}") and "last finite point" in msg


def test_overflow_to_infinity_is_diverged_not_a_warning():
    # a huge learning rate overflows to inf in one step; no RuntimeWarning may escape
    tr = engine.run(optimizers.get("gd"), ROSEN, [-1.2, 1.0], hp("gd", 1e300), 10)
    assert tr.status[0] == "diverged" and tr.stopped_at[0] == 1
    assert np.all(np.isfinite(tr.final_position))


def test_saddle_escapes_downhill():
    tr = engine.run(optimizers.get("gd"), landscapes.get("saddle"), [-1.5, 0.01], hp("gd", 0.01), 1000)
    assert tr.status[0] == "escaped"
    assert "escaped at step" in tr.describe(0)
    assert tr.final_loss[0] < -3.0


def test_converged_reports_first_step_below_tolerance():
    tr = engine.run(optimizers.get("gd"), BOWL, [-1.5, 1.5], hp("gd", 0.1), 200)
    assert tr.status[0] == "converged"
    k = int(tr.converged_at[0])
    assert tr.grad_norms[k, 0] < engine.DEFAULT_TOL <= tr.grad_norms[k - 1, 0]
    assert tr.status_code[0] == CONVERGED


def test_max_steps_when_nothing_happens():
    tr = engine.run(optimizers.get("gd"), ROSEN, [-1.2, 1.0], hp("gd", 1e-4), 50)
    assert tr.status[0] == "max_steps" and tr.converged_at[0] == -1 and tr.stopped_at[0] == -1
    assert "ran all 50 steps" in tr.describe(0)


def test_mixed_batch_statuses():
    lrs = np.array([0.1, 1.5, 1e-4])
    tr = engine.run(optimizers.get("gd"), BOWL, [-1.5, 1.5], hp("gd", lrs), 100)
    assert list(tr.status) == ["converged", "diverged", "max_steps"]
    assert tr.status_code[1] == DIVERGED and tr.status_code[0] != ESCAPED


def test_same_seed_same_result_and_noise_matters():
    kw = dict(gradient=engine.GaussianNoise(0.5), seed=7)
    a = engine.run(optimizers.get("momentum"), ROSEN, [-1.2, 1.0], hp("momentum", 1e-3), 100, **kw)
    b = engine.run(optimizers.get("momentum"), ROSEN, [-1.2, 1.0], hp("momentum", 1e-3), 100, **kw)
    c = engine.run(optimizers.get("momentum"), ROSEN, [-1.2, 1.0], hp("momentum", 1e-3), 100,
                   gradient=engine.GaussianNoise(0.5), seed=8)
    exact = engine.run(optimizers.get("momentum"), ROSEN, [-1.2, 1.0], hp("momentum", 1e-3), 100)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert not np.allclose(a.positions, c.positions)
    assert not np.allclose(a.positions, exact.positions)
    zero = engine.run(optimizers.get("momentum"), ROSEN, [-1.2, 1.0], hp("momentum", 1e-3), 100,
                      gradient=engine.GaussianNoise(0.0), seed=3)
    np.testing.assert_array_equal(zero.positions, exact.positions)


def test_noise_sigma_is_validated():
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="sigma"):
            engine.GaussianNoise(bad)


def test_custom_gradient_source_sees_step_and_rng():
    seen = []

    def source(params, exact, step, rng):
        seen.append(step)
        return exact * 0.5

    half = engine.run(optimizers.get("gd"), BOWL, [1.0, 1.0], hp("gd", 0.1), 5, gradient=source)
    ref = engine.run(optimizers.get("gd"), BOWL, [1.0, 1.0], hp("gd", 0.05), 5)
    assert seen == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(half.positions, ref.positions)


def test_history_stride_and_final_agree_with_full():
    starts = np.array([[-1.2, 1.0], [0.0, 2.0]])
    full = engine.run(optimizers.get("adam"), ROSEN, starts, hp("adam", 0.02), 103)
    thin = engine.run(optimizers.get("adam"), ROSEN, starts, hp("adam", 0.02), 103, history=10)
    final = engine.run(optimizers.get("adam"), ROSEN, starts, hp("adam", 0.02), 103, history="final")
    np.testing.assert_array_equal(thin.steps, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 103])
    np.testing.assert_array_equal(thin.positions, full.positions[thin.steps])
    assert final.positions.shape == (1, 2, 2) and final.lrs is None
    np.testing.assert_array_equal(final.final_position, full.final_position)
    np.testing.assert_array_equal(final.positions[0], full.positions[-1])


def test_record_state_keeps_gradients_updates_and_state():
    tr = engine.run(optimizers.get("adam"), ROSEN, [-1.2, 1.0], hp("adam", 0.01), 20, record_state=True)
    assert tr.grads.shape == (20, 1, 2) and tr.updates.shape == (20, 1, 2)
    np.testing.assert_allclose(tr.updates, np.diff(tr.positions, axis=0))
    np.testing.assert_allclose(tr.grads, ROSEN.grad(tr.positions[:-1]))
    assert set(tr.states) >= {"exp_avg", "exp_avg_sq"}
    assert tr.states["exp_avg"].shape == (20, 1, 2)
    np.testing.assert_allclose(tr.states["exp_avg"][0], 0.1 * tr.grads[0])


def test_zero_steps_evaluates_the_start():
    tr = engine.run(optimizers.get("adam"), ROSEN, [-1.2, 1.0], hp("adam"), 0)
    assert tr.positions.shape == (1, 1, 2) and tr.lrs.shape == (0, 1)
    assert tr.final_loss[0] == pytest.approx(ROSEN.f(np.array([-1.2, 1.0])))


def test_schedule_sets_the_learning_rate_of_every_step():
    sched = optimizers.schedules.get("step")
    params = sched.validate(step_size=10, gamma=0.5)
    tr = engine.run(optimizers.get("gd"), BOWL, [1.0, 1.0], hp("gd", 0.1), 30,
                    schedule=sched, schedule_params=params)
    np.testing.assert_allclose(tr.lrs[:, 0], 0.1 * 0.5 ** (np.arange(30) // 10))
    # the second step moves by lr_1 * grad
    x1 = tr.positions[1, 0, 0]
    np.testing.assert_allclose(tr.positions[2, 0, 0], x1 - 0.1 * 2 * x1)


def test_newton_gets_the_hessian():
    tr = engine.run(optimizers.get("newton"), landscapes.get("quadratic"), [-2.5, 1.5], hp("newton"), 3)
    np.testing.assert_allclose(tr.positions[1, 0], [0.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("bad", [-1, 10**9, 2.5, "10"])
def test_bad_steps_raise(bad):
    with pytest.raises(ValueError, match="steps"):
        engine.run(optimizers.get("gd"), BOWL, [0.0, 1.0], hp("gd"), bad)


@pytest.mark.parametrize("bad", [[np.nan, 0.0], [0.0], [[1.0, 2.0, 3.0]], [np.inf, 1.0]])
def test_bad_starts_raise(bad):
    with pytest.raises(ValueError, match="start"):
        engine.run(optimizers.get("gd"), BOWL, bad, hp("gd"), 5)


def test_mismatched_batch_lengths_raise():
    with pytest.raises(ValueError, match="mismatched"):
        engine.run(optimizers.get("gd"), BOWL, np.zeros((3, 2)), hp("gd", np.array([0.1, 0.2])), 5)


def test_final_history_keeps_memory_bounded():
    starts = np.random.default_rng(0).uniform(-2, 2, size=(20_000, 2))
    tr = engine.run(optimizers.get("adam"), BOWL, starts, hp("adam", 0.01), 50, history="final")
    assert tr.positions.nbytes == 20_000 * 2 * 8
    assert tr.grads is None and not tr.states


# ----------------------------------------------------------------------------- what users see
# Each test below pins a number the app shows; a change to the engine's bookkeeping fails one.

REF = __import__("json").loads((__import__("pathlib").Path(__file__).parent / "data" /
                                "torch_reference.json").read_text())


BACKENDS = ["numpy", pytest.param("compiled", marks=pytest.mark.skipif(
    not engine.compiled.available(), reason=engine.compiled.IMPORT_ERROR or "numba missing"))]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(REF["optimizers"]))
def test_engine_run_reproduces_torch_with_mixed_settings_in_one_batch(name, backend):
    """``engine.run`` itself (the path the app and the CLI use), one batch holding every
    reference setting of an optimizer with its own learning rate and hyperparameters,
    reproduces the trajectories recorded from torch.optim (step counts, bias corrections
    and per-trajectory values included)."""
    opt = optimizers.get(name)
    runs = REF["optimizers"][name]
    starts = np.array(REF["starts"], dtype=float)
    groups: dict = {}
    for run in runs:  # flags are per batch, numbers per trajectory
        full = opt.validate(run["lr"], **run["hp"])
        flags = tuple(sorted((k, v) for k, v in full.items() if isinstance(v, bool)))
        groups.setdefault(flags, []).append(run)
    for flags, group in groups.items():
        filled = [opt.validate(run["lr"], **run["hp"]) for run in group]
        per_traj = {k: np.repeat([f[k] for f in filled], len(starts))
                    for k in filled[0] if not isinstance(filled[0][k], bool)}
        values = {**dict(flags), **per_traj}
        tr = engine.run(opt, ROSEN, np.tile(starts, (len(group), 1)), values, REF["steps"],
                        stop=engine.StopRule(), backend=backend)
        ours = tr.positions.transpose(1, 0, 2)  # (B, T+1, 2)
        ref = np.concatenate([np.array(run["trajectories"]) for run in group])
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14, err_msg=f"{name} {flags}")


def test_the_step_count_starts_at_one():
    """Adam's first step is lr·sign(g) (bias corrections with t = 1); with t + 1 it is not."""
    g = ROSEN.grad(np.array([[-1.2, 1.0]]))[0]
    tr = engine.run(optimizers.get("adam"), ROSEN, [-1.2, 1.0], hp("adam", 0.1), 1)
    step = tr.positions[1, 0] - tr.positions[0, 0]
    np.testing.assert_allclose(step, -0.1 * np.sign(g), rtol=1e-6)


@pytest.mark.parametrize("schedule, params, lrs", [
    ("step", {"step_size": 3, "gamma": 0.5}, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]),
    ("warmup_cosine", {"warmup": 3, "T_max": 4, "eta_min": 0.0},
     [0.1 / 3, 0.2 / 3, 0.1, 0.1 * (1 + np.cos(np.pi / 4)) / 2, 0.05]),
])
def test_each_step_uses_its_own_scheduled_rate(schedule, params, lrs):
    """At a StepLR / warm-up boundary the rate changes: step k (1-based) uses lrs[k-1]
    (torch: opt.step() then sched.step()), on x² + y² where x ← x(1 − 2·lr)."""
    from optimizers import schedules
    n = len(lrs)
    tr = engine.run(optimizers.get("gd"), BOWL, [1.0, 0.0], hp("gd", 0.1), n,
                    schedule=schedules.get(schedule), schedule_params=params)
    np.testing.assert_allclose(tr.lrs[:, 0], lrs, rtol=1e-12)
    x, expected = 1.0, [1.0]
    for lr in lrs:
        x = x * (1 - 2 * lr)
        expected.append(x)
    np.testing.assert_allclose(tr.positions[:, 0, 0], expected, rtol=1e-12)


def test_escape_region_is_ten_half_widths():
    """On the saddle from (0, 0.01) gd multiplies y by 1 + 2·lr: it escapes at the first
    step where |y| leaves 10 half-widths (10 × 2 = 20) of the domain's centre."""
    saddle = landscapes.get("saddle")
    lr = 0.1
    y, k = 0.01, 0
    while abs(y) <= 20.0:
        y *= 1 + 2 * lr
        k += 1
    rule = engine.StopRule.for_surface(saddle)
    assert rule.half_widths == (20.0, 20.0) and rule.centre == (0.0, 0.0)
    tr = engine.run(optimizers.get("gd"), saddle, [0.0, 0.01], hp("gd", lr), 200, stop=rule)
    assert tr.status[0] == "escaped" and tr.stopped_at[0] == k


@pytest.mark.parametrize("half_widths", [(1.0, 100.0), (100.0, 1.0)])
def test_escape_box_keeps_x_and_y_apart(half_widths):
    """A box wider than tall (and taller than wide): on the saddle from (0, 0.01) gd multiplies y
    by 1.2 each step, so the run leaves at the first step where |y| exceeds the box's y half-width,
    not its x half-width. The ravine's domain is 12 x 6: its box is 60 by 30 half-widths."""
    saddle = landscapes.get("saddle")
    y, k = 0.01, 0
    while abs(y) <= half_widths[1]:
        y *= 1.2
        k += 1
    rule = engine.StopRule((0.0, 0.0), half_widths)
    tr = engine.run(optimizers.get("gd"), saddle, [0.0, 0.01], hp("gd", 0.1), 200, stop=rule)
    assert tr.status[0] == "escaped" and tr.stopped_at[0] == k
    ravine = landscapes.get("ravine")
    assert ravine.domain == ((-6.0, 6.0), (-3.0, 3.0))
    assert engine.StopRule.for_surface(ravine).half_widths == (60.0, 30.0)


def test_default_tolerance_is_the_documented_1e_5():
    """gd on the bowl from (1, 0) with lr 0.1: x ← 0.8 x and the gradient norm is 2|x|; the run
    converges at the first step where 2 · 0.8^k < 1e-5 (README: `tol` = 1e-5), not at the earlier
    step where it falls below 1e-4."""
    x, k = 1.0, 0
    while 2 * abs(x) >= 1e-5:
        x *= 1 - 2 * 0.1
        k += 1
    tr = engine.run(optimizers.get("gd"), BOWL, [1.0, 0.0], hp("gd", 0.1), 200)
    assert tr.status[0] == "converged" and tr.converged_at[0] == k == 55  # (1e-4: step 45)
    assert tr.grad_norms[k - 1, 0] >= 1e-5 > tr.grad_norms[k, 0]


def test_loss_bound_stops_a_run_that_exceeds_it():
    """A run whose loss passes the bound (inside the region) stops there with that reason."""
    rule = engine.StopRule(loss_bound=100.0)
    lr, x, k = 1.5, 1.0, 0
    while x * x <= 100.0:  # bowl from (1, 0): x ← x(1 − 2·lr) = −2x
        x *= 1 - 2 * lr
        k += 1
    tr = engine.run(optimizers.get("gd"), BOWL, [1.0, 0.0], hp("gd", lr), 50, stop=rule)
    assert tr.status[0] == "diverged" and tr.stopped_at[0] == k
    assert "exceeded the bound" in tr.stop_reason[0]


def test_default_loss_bound_is_documented_formula():
    """10⁶ × (max |f| on the domain + 1), sampled on a fixed grid (not the plot's)."""
    rule = engine.StopRule.for_surface(BOWL)
    assert rule.loss_bound == pytest.approx(1e6 * (8.0 + 1.0))


def test_lookahead_textbook_nesterov_is_torch_nesterov_seen_elsewhere():
    """engine.run with the look-ahead hook: the textbook form's θ_t + μ v_t is torch-Nesterov's
    path, in one batch with mixed learning rates and momenta (each constant in time)."""
    starts = np.array([[-1.2, 1.0], [0.5, -0.5], [1.3, 1.9], [-0.5, 2.0]])
    lrs = np.array([1e-4, 5e-4, 1e-3, 2e-4])
    mus = np.array([0.9, 0.5, 0.8, 0.95])
    tb = engine.run(optimizers.get("nesterov_textbook"), ROSEN, starts,
                    hp("nesterov_textbook", lrs, momentum=mus), 200, record_state=True)
    torch_form = engine.run(optimizers.get("nesterov"), ROSEN, starts, hp("nesterov", lrs, momentum=mus), 200)
    assert not np.any(tb.status_code == DIVERGED)
    ahead = tb.positions[1:] + mus[None, :, None] * tb.states["velocity"]
    np.testing.assert_allclose(ahead, torch_form.positions[1:], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(tb.positions[0], torch_form.positions[0])
    # the drawn points are the iterates θ, a different sequence, and the loss is taken there
    assert np.abs(tb.positions[1:] - torch_form.positions[1:]).max() > 1e-3
    np.testing.assert_allclose(tb.losses, ROSEN.f(tb.positions), rtol=1e-14)
    # while the gradient the optimizer saw was taken at the look-ahead point θ + μv
    prev_v = np.concatenate([np.zeros((1, 4, 2)), tb.states["velocity"][:-1]])
    np.testing.assert_allclose(tb.grads, ROSEN.grad(tb.positions[:-1] + mus[None, :, None] * prev_v),
                               rtol=1e-14)


def test_engine_passes_per_trajectory_hyperparameters_to_the_factory():
    # newton's damping per trajectory (one value each) with one learning rate
    quad = landscapes.get("quadratic")
    damping = np.array([0.0, 1.0, 10.0])
    batch = engine.run(optimizers.get("newton"), quad, [-2.5, 1.5], hp("newton", 0.5, damping=damping), 4)
    for b in range(3):
        single = engine.run(optimizers.get("newton"), quad, [-2.5, 1.5],
                            hp("newton", 0.5, damping=float(damping[b])), 4)
        np.testing.assert_allclose(batch.positions[:, b], single.positions[:, 0], rtol=1e-13)
    with pytest.raises(ValueError, match="mismatched"):
        engine.run(optimizers.get("adam"), ROSEN, np.zeros((3, 2)),
                   hp("adam", 0.01, beta1=np.array([0.9, 0.8])), 5)


def test_everything_runs_without_numba():
    """Where numba is not installed: the NumPy engine runs, "auto" is NumPy, "compiled" says why."""
    import subprocess
    import sys
    code = """
import sys
sys.modules["numba"] = None  # import numba now raises ImportError
import numpy as np, engine, landscapes, optimizers
from engine import compiled
assert not compiled.available() and "numba" in compiled.IMPORT_ERROR
opt, ros = optimizers.get("adam"), landscapes.get("rosenbrock")
a = engine.run(opt, ros, [-1.2, 1.0], opt.validate(0.01), 50)
b = engine.run(opt, ros, [-1.2, 1.0], opt.validate(0.01), 50, backend="numpy")
assert np.array_equal(a.positions, b.positions)
try:
    engine.run(opt, ros, [-1.2, 1.0], opt.validate(0.01), 50, backend="compiled")
except ValueError as e:
    assert "numba" in str(e)
else:
    raise AssertionError("no error")
compiled.main()
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    assert out.returncode == 0, out.stderr
    assert "runs use NumPy" in out.stdout and out.stdout.strip().endswith("ok")
