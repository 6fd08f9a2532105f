"""Suggested learning rates per surface (the classroom lessons are in ``lessons``).

Pure functions of the registries; the app and the share links use them.
"""
from __future__ import annotations

import numpy as np

import landscapes
import optimizers

# Optimizers whose step is about lr * gradient: their learning rate must fit
# the curvature. The others take steps of roughly lr in each coordinate.
# gd at 1.6/λmax multiplies the steepest component by 1 − 1.6 = −0.6 a step: a visible zig-zag
# that still settles (not one step to the minimum as 1/λ on a bowl would be); heavy-ball momentum
# (μ = 0.9) at 0.2/λ moves ~2/λ a step once it has built up speed: its path differs from gd's.
CURVATURE_SCALED = {"gd": 1.6, "momentum": 0.2, "nesterov": 0.2, "nesterov_textbook": 0.2}
SPAN_SCALED = {"adam": 0.01, "adamw": 0.01, "nadam": 0.01, "radam": 0.02, "adamax": 0.01,
               "adagrad": 0.1, "rmsprop": 0.001, "lion": 0.004}
FIXED = {"adadelta": 1.0, "newton": 1.0}


def _curvature(s: landscapes.Surface) -> float:
    """Largest Hessian eigenvalue over the start point and the minima."""
    pts = [s.default_start] + [(m.x, m.y) for m in s.minima]
    with np.errstate(all="ignore"):  # a typed formula may be undefined at a point
        H = np.nan_to_num(s.hessian(np.array(pts, dtype=float)))
    eig = np.linalg.eigvalsh(H)
    return float(max(np.max(np.abs(eig)), 1e-6))


def suggested_lr(optimizer: str, surface: str, params: tuple = ()) -> float:
    """A learning rate that makes a first run on ``surface`` worth watching."""
    return suggested_lr_for(optimizer, landscapes.get(surface, **dict(params)))


def suggested_lr_for(optimizer: str, s: landscapes.Surface) -> float:
    """:func:`suggested_lr` for a surface object (a typed formula has no name
    and parameters to look it up by)."""
    if optimizer in CURVATURE_SCALED:
        lr = CURVATURE_SCALED[optimizer] / _curvature(s)
    elif optimizer in SPAN_SCALED:
        (x0, x1), (y0, y1) = s.domain
        lr = SPAN_SCALED[optimizer] * float(np.hypot(x1 - x0, y1 - y0))
        if optimizer == "radam":  # its first steps are plain momentum-SGD steps (ρ_t ≤ 5): cap by curvature
            lr = min(lr, 1.0 / _curvature(s))
    else:
        lr = FIXED.get(optimizer, optimizers.get(optimizer).default_lr)
    return float(f"{lr:.2g}")  # a number a person would type
