"""Suggested learning rates per surface (the classroom lessons are in ``lessons``).

Pure functions of the registries; the app and the share links use them.
"""
from __future__ import annotations

import numpy as np

import landscapes
import optimizers

# How each optimizer's first rate is picked is a fact on its registry entry
# (``Optimizer.suggest``): gd at 1.6/λmax multiplies the steepest component by
# 1 − 1.6 = −0.6 a step, a visible zig-zag that still settles (not one step to the
# minimum as 1/λ on a bowl would be); heavy-ball momentum (μ = 0.9) at 0.2/λ moves
# ~2/λ a step once it has built up speed, so its path differs from gd's.


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
    opt = optimizers.get(optimizer)
    kind, c = opt.suggest or ("fixed", opt.default_lr)
    if kind == "curvature":
        lr = c / _curvature(s)
    elif kind == "span":
        (x0, x1), (y0, y1) = s.domain
        lr = c * float(np.hypot(x1 - x0, y1 - y0))
        if opt.suggest_curvature_cap:
            lr = min(lr, 1.0 / _curvature(s))
    else:
        lr = c
    return float(f"{lr:.2g}")  # a number a person would type
