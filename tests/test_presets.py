"""Suggested learning rates: each surface's first run is worth watching."""
from __future__ import annotations

import numpy as np
import pytest

import experiments
import landscapes
import optimizers
import presets
from config import OptimizerChoice


def path(opt: str, surface: str, steps: int = 300) -> np.ndarray:
    s = landscapes.get(surface)
    lr = presets.suggested_lr(opt, surface)
    tr = experiments.run_choice(s, OptimizerChoice.build(opt, lr), s.default_start, steps)
    p = tr.positions[:, 0]
    return p[np.all(np.isfinite(p), axis=1)]


def test_values_are_what_the_rules_say():
    assert presets.suggested_lr("gd", "bowl") == 0.8            # 1.6 / curvature 2
    assert presets.suggested_lr("momentum", "bowl") == 0.1      # 0.2 / 2
    assert presets.suggested_lr("gd", "ravine") == 0.4          # 1.6 / 4 (curvature 2b = 4)
    assert presets.suggested_lr("adam", "bowl") == float(f"{0.01 * np.hypot(4, 4):.2g}")
    assert presets.suggested_lr("newton", "rosenbrock") == 1.0


@pytest.mark.parametrize("surface", landscapes.names())
@pytest.mark.parametrize("opt", optimizers.names())
def test_suggested_rates_do_not_diverge(surface, opt):
    s = landscapes.get(surface)
    lr = presets.suggested_lr(opt, surface)
    assert lr > 0 and float(f"{lr:.2g}") == lr, "a number a person would type"
    tr = experiments.run_choice(s, OptimizerChoice.build(opt, lr), s.default_start, 200)
    if opt != "newton":  # damped Newton's rule is the surface's own (documented in README)
        assert tr.status[0] != "diverged", f"{opt} on {surface} at lr={lr}"


def test_bowl_gd_does_not_arrive_in_one_step():
    p = path("gd", "bowl")
    assert not np.allclose(p[1], 0.0) and len(np.unique(np.round(p[:10], 12), axis=0)) == 10


def test_ravine_gd_zigzag_stays_visible():
    y = path("gd", "ravine")[:, 1]
    s = np.sign(y[y != 0])
    assert np.count_nonzero(s[1:] != s[:-1]) >= 10
    assert abs(y[5]) > 0.05, "the zig-zag is still wide enough to see after five steps"


def test_rosenbrock_racers_differ_and_move():
    gd, mom = path("gd", "rosenbrock", 500), path("momentum", "rosenbrock", 500)
    n = min(len(gd), len(mom))
    assert np.abs(gd[:n] - mom[:n]).max() > 0.1, "gd and momentum take visibly different paths"
    for p in (gd, mom, path("adam", "rosenbrock", 500)):
        assert np.linalg.norm(p[-1] - p[0]) > 0.5, "no motionless path"
