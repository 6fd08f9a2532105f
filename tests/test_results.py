"""The results model and its tables: the numbers the app's tables and inspector show."""
from __future__ import annotations

import numpy as np
import pytest

import engine
import experiments
import landscapes
import results
from config import OptimizerChoice, Racer, RunConfig, ScheduleChoice

BOWL = landscapes.get("bowl")


def race(*racers, surface="bowl", steps=60, start=(1.0, 1.0), seed=0):
    run = RunConfig(surface, (), tuple(racers), steps, start, seed)
    return run, results.run_results(run)


def gd(lr, **kw):
    return Racer(OptimizerChoice.build("gd", lr), **kw)


def test_steps_to_converge_is_the_convergence_step():
    run, res = race(gd(0.1), steps=200)
    tr = experiments.run_choice(BOWL, OptimizerChoice.build("gd", 0.1), (1.0, 1.0), 200)
    k = int(tr.converged_at[0])
    assert k > 0 and tr.stopped_at[0] == -1
    row = results.results_table(run, res)[0]
    assert row["steps to converge"] == str(k) and row["status"] == f"converged at step {k}"


def test_a_run_converged_at_step_0_says_0():
    """Started at the minimum, the gradient is 0 before any step: the run converged at step 0,
    and the table says 0 (not "not reached")."""
    run, res = race(gd(0.1), steps=10, start=(0.0, 0.0))
    assert res[0]["converged_at"] == 0
    row = results.results_table(run, res)[0]
    assert row["steps to converge"] == "0" and row["status"] == "converged at step 0"


def test_minimum_reached_within_1_percent_of_the_diagonal_not_within_0_01():
    """The bowl's domain is 4 x 4 (diagonal 5.66): a run ending 0.03 from the minimum reached it
    (0.03 < 0.0566, though more than 0.01); one ending 0.06 away did not. gd with lr 0.01 from
    (1, 0) multiplies x by 0.98 each step, without converging."""
    assert experiments.basin_radius(BOWL) == pytest.approx(0.01 * 32 ** 0.5)
    near = 0.98 ** 174
    run, res = race(gd(0.01), steps=174, start=(1.0, 0.0))
    assert res[0]["distance"] == pytest.approx(near) and 0.01 < near < 0.0566
    assert res[0]["status"] == "max_steps"
    assert results.results_table(run, res)[0]["minimum reached"] == "global minimum"
    run, res = race(gd(0.01), steps=139, start=(1.0, 0.0))
    assert 0.0566 < res[0]["distance"] < 0.061
    assert results.results_table(run, res)[0]["minimum reached"] == "no minimum"


def test_a_run_that_never_converges_says_so_without_none():
    run, res = race(gd(1e-4), steps=10)
    row = results.results_table(run, res)[0]
    assert row["steps to converge"] == "not reached"
    assert None not in row.values() and "None" not in " ".join(map(str, row.values()))


def test_inspector_shows_the_rate_of_that_step():
    """Exponential decay: step k (1-based) uses lr·γ^(k−1)."""
    run, res = race(gd(0.1, schedule=ScheduleChoice.build("exponential", gamma=0.5)), steps=6)
    for k in range(1, 7):
        rows = {r["quantity"]: r for r in results.step_table(res[0], k)}
        assert float(rows["learning rate of this step"]["x"]) == pytest.approx(0.1 * 0.5 ** (k - 1))
        assert rows["loss f(θ)"]["y"] == "–"


def test_a_stopped_run_has_one_rate_per_step_taken():
    run, res = race(gd(1.5), steps=50)  # x ← −2x: leaves 10 half-widths (20) at step 5
    r = res[0]
    assert r["status"] == "diverged" and r["stopped_at"] == 5
    assert len(r["positions"]) == 5 and len(r["lrs"]) == 4  # steps 1..4 were taken and kept
    assert len(r["grads"]) == len(r["lrs"])


def test_each_racer_draws_noise_from_seed_plus_its_index():
    noisy = gd(0.05, noise=1.0)
    run, res = race(noisy, noisy, noisy, seed=7)
    assert not np.allclose(res[0]["positions"], res[1]["positions"])
    for i in range(3):
        tr = experiments.run_choice(BOWL, noisy.choice, (1.0, 1.0), 60, noise=1.0, seed=7 + i)
        np.testing.assert_array_equal(res[i]["positions"], tr.positions[:, 0])
    assert [r["label"] for r in res] == ["gd σ=1 #1", "gd σ=1 #2", "gd σ=1 #3"] or \
        len({r["label"] for r in res}) == 3


def test_basin_radius_is_one_percent_of_the_diagonal():
    """With 0 steps every start ends where it began: it 'reaches' a minimum exactly when
    it lies within 1% of the domain's diagonal of it."""
    s = landscapes.get("himmelblau")
    b = experiments.basins(s, OptimizerChoice.build("gd", 0.01), 0, 81)
    starts = np.stack(np.meshgrid(b.xs, b.ys), axis=-1)
    idx, dist = s.nearest_minimum(starts)
    (x0, x1), (y0, y1) = s.domain
    expected = np.where(dist <= 0.01 * np.hypot(x1 - x0, y1 - y0), idx, -1)
    np.testing.assert_array_equal(b.basin, expected)
    assert (expected >= 0).sum() > 0 and (expected < 0).sum() > 0


def test_labels_name_what_differs():
    sched = ScheduleChoice.build("cosine", T_max=100)
    cases = [
        ([gd(0.02), gd(0.4)], ["gd lr=0.02", "gd lr=0.4"]),
        ([gd(0.1), gd(0.1, schedule=sched)], ["gd", "gd + cosine"]),
        ([gd(0.1), gd(0.1, noise=2.0)], ["gd", "gd σ=2"]),
        ([gd(0.1), Racer(OptimizerChoice.build("adam", 0.1))], ["gd", "adam"]),
        ([Racer(OptimizerChoice.build("momentum", 0.1, momentum=0.5)),
          Racer(OptimizerChoice.build("momentum", 0.1, momentum=0.9))],
         ["momentum momentum=0.5", "momentum momentum=0.9"]),
        ([gd(0.1), gd(0.1)], ["gd #1", "gd #2"]),
    ]
    for racers, want in cases:
        assert results.racer_labels(racers) == want
    assert results.racer_labels([gd(0.1), gd(0.1)], [(0.0, 1.0), (0.0, 0.0)]) == \
        ["gd from (0, 1)", "gd from (0, 0)"]
    assert results.racer_labels([gd(0.1), gd(0.1)], [None, (0.0, 0.0)]) == ["gd", "gd from (0, 0)"]


def test_results_table_columns_and_minimum_reached():
    run, res = race(gd(0.05), Racer(OptimizerChoice.build("momentum", 0.02, momentum=0.95)),
                    surface="two_minima", steps=300, start=None)
    rows = results.results_table(run, res)
    assert [r["minimum reached"] for r in rows] == ["local minimum (f = 0.2941)", "global minimum"]
    assert {"final x", "final y", "noise σ", "status"} <= set(rows[0])
    assert float(rows[1]["final x"]) == pytest.approx(res[1]["final_position"][0], rel=1e-5)
    sched_run, sched_res = race(gd(0.1), gd(0.1, schedule=ScheduleChoice.build("step", step_size=10)),
                                steps=30)
    rows = results.results_table(sched_run, sched_res)
    assert rows[1]["schedule"] == "step"
    assert float(rows[1]["lr at last step"]) == pytest.approx(0.1 * 0.5 ** 2)  # step 30 uses k = 29


def test_stop_rule_is_independent_of_the_plotting_grid():
    a = experiments.stop_rule(BOWL)
    BOWL.grid(7), BOWL.grid(300)
    assert experiments.stop_rule(BOWL) == a == engine.StopRule.for_surface(BOWL)
