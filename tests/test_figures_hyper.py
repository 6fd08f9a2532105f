"""figures/hyper.py: finite numbers only, click targets, what a click picks."""
from __future__ import annotations

import numpy as np
import pytest

from figures import hyper


def finite(fig) -> bool:
    for t in fig.data:
        for attr in ("x", "y", "z"):
            v = getattr(t, attr, None)
            if v is not None and np.asarray(v).dtype.kind == "f" and not np.all(np.isfinite(np.asarray(v, float))):
                return False
    return True


def line(i=0, diverged=True):
    lrs = np.geomspace(1e-3, 2, 30)
    fl = np.linspace(1, 1e-8, 30)
    conv = np.where(np.arange(30) > 10, 50, -1)
    if diverged:
        fl[25:] = np.nan
        conv[25:] = -1
    return hyper.SweepLine(f"{i + 1}. gd", i, lrs, fl, conv,
                           (("too small", 1e-3, 0.01), ("good", 0.01, 1.0), ("diverging", 1.0, 2.0)), 0.1, 1.0)


def test_sweep_figure_is_finite_and_marks_diverged_rates():
    fig = hyper.sweep_figure([line(0), line(1, diverged=False)], minimum=0.0)
    assert finite(fig)
    div = [t for t in fig.data if t.name == "1. gd: diverged"]
    assert len(div) == 1 and len(div[0].x) == 5
    assert sum(1 for t in fig.data if t.fill == "toself") == 6
    assert {s.x0 for s in fig.layout.shapes} == {0.1, 1.0}


def test_sweep_figure_without_a_minimum_uses_a_linear_axis():
    fig = hyper.sweep_figure([line()], minimum=None)
    assert fig.layout.yaxis.type == "linear" and finite(fig)


def test_heatmap_figure_diverged_overlay_and_click_grid():
    lrs, vals = np.geomspace(1e-3, 1, 70), np.linspace(0, 0.99, 70)
    fl = np.ones((70, 70))
    fl[:, 60:] = np.nan
    fig = hyper.heatmap_figure(lrs, vals, fl, np.full((70, 70), "max_steps"), axis="momentum",
                               optimizer="momentum", minimum=0.0, current=(0.1, 0.9))
    assert finite(fig)
    assert np.asarray(fig.data[1].z).sum() == 700
    grid = fig.data[2]
    assert grid.meta["target"] and len(grid.x) == 60 * 60  # thinned to at most 60 per axis
    assert grid.marker.opacity == 0


def test_basin_figure_codes():
    xs = ys = np.linspace(-1, 1, 5)
    basin = np.array([[-1, 0, 1, 1, 0]] * 5)
    blew = np.zeros((5, 5), bool)
    blew[0, 0] = True
    fig = hyper.basin_figure(xs, ys, basin, blew, [(0.0, 0.0), (1.0, 1.0)], (0.5, 0.5))
    z = np.asarray(fig.data[0].z)
    assert z[0, 0] == 0 and z[1, 0] == 1 and z[1, 1] == 2 and z[1, 2] == 3
    assert list(fig.data[0].colorbar.ticktext)[0] == "diverged/escaped: 1"


def test_predicted_rate_trace():
    tr = hyper.predicted_rate_trace(100, 4.0, 0.9, colour_="#000", label="x", floor=1e-12)
    y = np.asarray(tr["y"])
    assert y[0] == 4.0 and y[1] == pytest.approx(4.0 * 0.81)
    assert np.all(y >= 1e-12) and np.all(np.isfinite(y))
    short = hyper.predicted_rate_trace(1000, 4.0, 0.5, colour_="#000", label="x", floor=1e-12)
    assert len(short["y"]) < 30  # stops at the floor
    assert hyper.predicted_rate_trace(10, 0.0, 0.5, colour_="#000", label="x", floor=1e-12) is None
    assert hyper.predicted_rate_trace(10, 1.0, float("nan"), colour_="#000", label="x", floor=1e-12) is None


def test_pick():
    fig = hyper.sweep_figure([line(0), line(1)], minimum=0.0)
    c = next(i for i, t in enumerate(fig.data) if (t.meta or {}).get("racer") == 1)
    ev = {"selection": {"points": [{"x": 0.123456, "y": 1.0, "curve_number": c}]}}
    assert hyper.pick(ev, fig) == ("sweep", (1, 0.1235))
    strip = next(i for i, t in enumerate(fig.data) if t.fill == "toself")
    assert hyper.pick({"selection": {"points": [{"x": 0.1, "y": 0, "curve_number": strip}]}}, fig) is None
    assert hyper.pick({"selection": {"points": []}}, fig) is None
    assert hyper.pick(None, fig) is None


def test_heatmap_cells_sit_at_their_own_lr_and_momentum_on_a_non_square_grid():
    """5 learning rates x 3 momenta, from experiments.heatmap: the map's x are the rates and its y
    the momenta, and the cell at (lr i, momentum j) holds log10 of that single run's final loss
    (a square grid could not tell x from y, nor z from its transpose)."""
    import experiments
    import landscapes
    from config import OptimizerChoice

    bowl = landscapes.get("bowl")
    choice = OptimizerChoice.build("momentum", 0.1)
    hm = experiments.heatmap(bowl, choice, (1.0, 0.5), 0.05, 1.6, 5, 30, n_values=3, value_range=(0.0, 0.6))
    assert hm.final_loss.shape == (3, 5)
    blew = np.isnan(hm.final_loss)
    assert blew.any() and not blew.all() and not np.array_equal(blew, blew[::-1, ::-1])
    fig = hyper.heatmap_figure(hm.lrs, hm.values, hm.final_loss, hm.status, axis="momentum",
                               optimizer="momentum", minimum=0.0)
    colour, overlay, grid = fig.data[0], fig.data[1], fig.data[2]
    for t in (colour, overlay):
        assert not t.transpose  # z's rows are the momenta
        np.testing.assert_array_equal(t.x, hm.lrs)
        np.testing.assert_array_equal(t.y, hm.values)
    assert np.asarray(colour.z).shape == (3, 5) and np.asarray(overlay.z).shape == (3, 5)
    np.testing.assert_array_equal(np.asarray(overlay.z), blew.astype(np.int8))
    for j, i in [(0, 0), (2, 1), (1, 0), (2, 3)]:  # losses well above the floor (1e-16 x the largest)
        tr = experiments.run_choice(bowl, OptimizerChoice.build("momentum", float(hm.lrs[i]),
                                                                momentum=float(hm.values[j])),
                                    (1.0, 0.5), 30, history="final")
        assert not blew[j, i]
        assert np.asarray(colour.z)[j, i] == pytest.approx(np.log10(tr.final_loss[0]), rel=1e-12)
    assert set(np.round(grid.x, 12)) == set(np.round(hm.lrs, 12))
    assert set(np.round(grid.y, 12)) == set(np.round(hm.values, 12))


def test_sweep_points_sit_at_their_own_rates_whatever_end_the_gaps_are_at():
    """Runs that blew up at the low end and in the middle of the sweep (not only at the high
    end): every drawn point pairs a rate with that rate's own final loss and step, and the
    diverged markers sit exactly at the rates that blew up."""
    lrs = np.geomspace(1e-3, 2, 12)
    fl = np.linspace(1.0, 1e-6, 12)
    conv = np.where(np.arange(12) > 4, 10 + np.arange(12), -1)
    blew = np.zeros(12, bool)
    blew[[0, 1, 6]] = True
    fl[blew] = np.nan
    conv[blew] = -1
    ln = hyper.SweepLine("1. gd", 0, lrs, fl, conv, (), 0.1)
    fig = hyper.sweep_figure([ln], minimum=0.0)
    loss, div, steps = (next(t for t in fig.data if t.name == n) for n in ("1. gd", "1. gd: diverged", "1. gd: steps"))
    np.testing.assert_array_equal(loss.x, lrs[~blew])
    np.testing.assert_array_equal(loss.y, fl[~blew])
    np.testing.assert_array_equal(div.x, lrs[blew])
    np.testing.assert_array_equal(steps.x, lrs[conv >= 0])
    np.testing.assert_array_equal(steps.y, conv[conv >= 0])
