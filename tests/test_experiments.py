"""Sweeps, heat maps and basin maps: each cell is the single run it stands for."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import experiments
import landscapes
import optimizers
from config import OptimizerChoice, Racer, RunConfig, ScheduleChoice

SURFACES = ["bowl", "ravine", "rosenbrock", "himmelblau", "saddle", "two_minima"]
SCHEDULES = [("constant", ()), ("step", (("step_size", 3), ("gamma", 0.5))),
             ("cosine", (("T_max", 7),)), ("warmup_cosine", ()),
             ("plateau", (("patience", 1), ("factor", 0.5)))]  # a schedule that reads each run's loss


def single(surface, name, start, steps, schedule, hp):
    choice = OptimizerChoice.build(name, **hp)
    tr = experiments.run_choice(surface, choice, start, steps, schedule=schedule, history="final")
    return tr


def assert_same_cell(tr, status, final_loss, converged_at):
    assert str(tr.status[0]) == str(status)
    assert int(tr.converged_at[0]) == int(converged_at)
    if status in ("diverged", "escaped"):
        assert np.isnan(final_loss)
    else:
        np.testing.assert_allclose(final_loss, tr.final_loss[0], rtol=1e-12, atol=1e-300)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(surface=st.sampled_from(SURFACES), name=st.sampled_from(optimizers.names()),
       lo=st.floats(-4, 0), span=st.floats(0.5, 3), count=st.integers(2, 6),
       steps=st.integers(1, 25), sched=st.sampled_from(SCHEDULES), data=st.data())
def test_sweep_cells_equal_single_runs(surface, name, lo, span, count, steps, sched, data):
    s = landscapes.get(surface)
    opt = optimizers.get(name)
    # a non-default numeric hyperparameter, to show it is honoured
    hp = {}
    numeric = [k for k, h in opt.hyperparameters.items() if h.kind == "float" and k not in
               ("dampening", "weight_decay", "eps", "momentum_decay", "initial_accumulator_value", "lr_decay")]
    if numeric:
        k = data.draw(st.sampled_from(numeric))
        hp[k] = data.draw(st.sampled_from([0.3, 0.5, 0.8]))
    choice = OptimizerChoice.build(name, **hp)
    schedule = ScheduleChoice.build(sched[0], **dict(sched[1]))
    sw = experiments.sweep(s, choice, s.default_start, 10 ** lo, 10 ** (lo + span), count, steps,
                           schedule=schedule)
    i = data.draw(st.integers(0, count - 1))
    tr = single(s, name, s.default_start, steps, schedule, {**hp, "lr": float(sw.lrs[i])})
    assert_same_cell(tr, sw.status[i], sw.final_loss[i], sw.converged_at[i])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(surface=st.sampled_from(SURFACES), name=st.sampled_from(sorted(experiments.heatmap_optimizers())),
       lo=st.floats(-4, -1), span=st.floats(0.5, 3), n=st.integers(2, 5), m=st.integers(2, 5),
       steps=st.integers(1, 25), sched=st.sampled_from(SCHEDULES), data=st.data())
def test_heatmap_cells_equal_single_runs(surface, name, lo, span, n, m, steps, sched, data):
    s = landscapes.get(surface)
    choice = OptimizerChoice.build(name)
    schedule = ScheduleChoice.build(sched[0], **dict(sched[1]))
    hm = experiments.heatmap(s, choice, s.default_start, 10 ** lo, 10 ** (lo + span), n, steps,
                             n_values=m, schedule=schedule)
    assert hm.final_loss.shape == (m, n)
    i, j = data.draw(st.integers(0, m - 1)), data.draw(st.integers(0, n - 1))
    tr = single(s, hm.optimizer, s.default_start, steps, schedule,
                {"lr": float(hm.lrs[j]), hm.axis: float(hm.values[i])})
    assert_same_cell(tr, hm.status[i, j], hm.final_loss[i, j], hm.converged_at[i, j])


def test_heatmap_axes():
    assert experiments.heatmap_axis("gd")[:2] == ("momentum", "momentum")
    assert experiments.heatmap_axis("nesterov")[2] > 0  # torch: nesterov needs momentum > 0
    assert experiments.heatmap_axis("adam")[1] == "beta1"
    assert experiments.heatmap_axis("adagrad") is None
    s = landscapes.get("bowl")
    with pytest.raises(ValueError, match="no momentum or beta1"):
        experiments.heatmap(s, OptimizerChoice.build("adagrad"), (1, 1), 0.01, 1, 3, 5)
    # gd's map: momentum 0 row is plain gradient descent, weight decay kept
    hm = experiments.heatmap(s, OptimizerChoice.build("gd", weight_decay=0.5), (1.0, 1.0), 0.01, 0.3, 4, 20,
                             n_values=3)
    assert hm.values[0] == 0.0
    gd = single(s, "gd", (1.0, 1.0), 20, ScheduleChoice(), {"lr": float(hm.lrs[2]), "weight_decay": 0.5})
    assert_same_cell(gd, hm.status[0, 2], hm.final_loss[0, 2], hm.converged_at[0, 2])


def test_sweep_classes_on_the_bowl():
    """Bowl, curvature 2: gd converges for 0 < lr < 1 (given enough steps), diverges above."""
    s = landscapes.get("bowl")
    sw = experiments.sweep(s, OptimizerChoice.build("gd"), (-1.5, 1.5), 1e-4, 3, 200, 200)
    ranges = sw.ranges()
    assert [r[0] for r in ranges] == ["too small", "good", "diverging"]
    good = ranges[1]
    assert good[2] == pytest.approx(1.0, rel=0.06)
    assert ranges[0][1] == pytest.approx(1e-4) and ranges[-1][2] == pytest.approx(3)
    for (_, _, hi), (_, lo, _) in itertools.pairwise(ranges):
        assert hi == lo


def test_classify_too_large_and_escaped():
    lrs = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    st_ = np.array(["max_steps", "converged", "converged", "max_steps", "diverged", "escaped"])
    assert list(experiments.classify(lrs, st_)) == ["too small", "good", "good", "too large",
                                                   "diverging", "escaped"]


def test_classify_splits_a_gap_in_the_good_range_at_its_geometric_middle():
    """Rates between two converged ones that ran every step without converging: those in the
    lower half (log scale) are "too small", those in the upper half "too large"."""
    lrs = np.geomspace(1e-3, 1.0, 8)  # the geometric middle, 10^-1.5, lies between lrs[3] and lrs[4]
    st_ = np.array(["converged"] + ["max_steps"] * 6 + ["converged"])
    assert list(experiments.classify(lrs, st_)) == ["good"] + ["too small"] * 3 + ["too large"] * 3 + ["good"]
    st_ = np.array(["max_steps", "converged", "max_steps", "max_steps", "max_steps", "max_steps", "converged",
                    "diverged"])  # the gap lrs[2..5]; its middle, 10^-1.5 again, between lrs[3] and lrs[4]
    assert list(experiments.classify(lrs, st_)) == ["too small", "good", "too small", "too small", "too large",
                                                    "too large", "good", "diverging"]


def test_class_ranges_meet_halfway_between_neighbouring_rates():
    """A range ends at the geometric mean of its last rate and the next range's first."""
    lrs = np.array([1.0, 4.0, 16.0, 64.0, 256.0])
    classes = np.array(["too small", "good", "good", "good", "diverging"], dtype=object)
    assert experiments.class_ranges(lrs, classes) == [("too small", 1.0, 2.0), ("good", 2.0, 128.0),
                                                      ("diverging", 128.0, 256.0)]


def test_sweep_racers_one_sweep_each_with_its_settings():
    run = RunConfig("ravine", (("a", 0.1), ("b", 2.0)),
                    (Racer(OptimizerChoice.build("gd", 0.1)),
                     Racer(OptimizerChoice.build("momentum", 0.1, momentum=0.5),
                           ScheduleChoice.build("exponential", gamma=0.99))),
                    100, (-5.0, -2.0))
    sws = experiments.sweep_racers(run, 1e-3, 1.0, 200)
    assert [sw.optimizer for sw in sws] == ["gd", "momentum"] and all(len(sw.lrs) == 200 for sw in sws)
    tr = single(run.get_surface(), "momentum", (-5.0, -2.0), 100, run.racers[1].schedule,
                {"lr": float(sws[1].lrs[77]), "momentum": 0.5})
    assert_same_cell(tr, sws[1].status[77], sws[1].final_loss[77], sws[1].converged_at[77])


def test_sweep_racers_draw_seed_plus_racer_number():
    """Two identical noisy racers: racer i's sweep is the sweep drawn from seed ``run.seed + i``,
    so the two differ (one seed for all would make them equal)."""
    racer = Racer(OptimizerChoice.build("gd", 0.1), noise=1.0)
    run = RunConfig("bowl", (), (racer, racer), 20, (1.0, 1.0), seed=5)
    sws = experiments.sweep_racers(run, 0.01, 0.3, 4)
    for i, sw in enumerate(sws):
        own = experiments.sweep(run.get_surface(), racer.choice, (1.0, 1.0), 0.01, 0.3, 4, 20,
                                schedule=racer.schedule, noise=1.0, seed=5 + i)
        np.testing.assert_array_equal(sw.final_loss, own.final_loss)
    assert not np.array_equal(sws[0].final_loss, sws[1].final_loss)


@pytest.mark.parametrize("name,n_minima", [("himmelblau", 4), ("two_minima", 2)])
def test_basins_count_and_own_start(name, n_minima):
    s = landscapes.get(name)
    assert len(s.minima) == n_minima
    choice = OptimizerChoice.build("gd", 0.01 if name == "himmelblau" else 0.05)
    b = experiments.basins(s, choice, 500, 101)
    found = set(np.unique(b.basin)) - {-1}
    assert found == set(range(n_minima))
    for i, m in enumerate(s.minima):
        # the grid point nearest the minimum starts (almost) at it and stays
        r, c = int(np.argmin(np.abs(b.ys - m.y))), int(np.argmin(np.abs(b.xs - m.x)))
        assert b.basin[r, c] == i, (m, b.basin[r, c])
        # and the exact minimum as a start lands in its own basin too
        tr = experiments.run_choice(s, choice, (m.x, m.y), 500, history="final")
        idx, _ = s.nearest_minimum(tr.final_position)
        assert int(idx[0]) == i


def test_himmelblau_basins_are_symmetric_enough():
    """Each of Himmelblau's four minima owns a sizeable share of [-5, 5]²."""
    s = landscapes.get("himmelblau")
    b = experiments.basins(s, OptimizerChoice.build("gd", 0.01), 500, 80)
    counts = np.bincount(b.basin[b.basin >= 0].ravel(), minlength=4)
    assert np.all(counts > 0.1 * b.basin.size)



def test_basins_in_chunks_equal_one_run(monkeypatch):
    s = landscapes.get("two_minima")
    choice = OptimizerChoice.build("momentum", 0.02)
    whole = experiments.basins(s, choice, 60, 23)
    monkeypatch.setattr(experiments, "CHUNK", 50)  # 529 starts in 11 chunks
    parts = experiments.basins(s, choice, 60, 23)
    np.testing.assert_array_equal(whole.basin, parts.basin)
    np.testing.assert_array_equal(whole.status, parts.status)
    np.testing.assert_array_equal(whole.final_position, parts.final_position)
