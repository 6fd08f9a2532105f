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
