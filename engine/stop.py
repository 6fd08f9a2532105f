"""When a run stops: leaving a region, or a loss above a bound.

A stop rule is explicit data, built once per surface by ``for_surface`` from the
surface's published domain and its values on a fixed sample grid, so whether a
run "diverged" or "escaped" does not depend on how a figure is drawn (its
plotting grid's resolution or a view widened to show a start point).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ESCAPE_FACTOR = 10.0       # the escape region: 10 half-widths of the domain from its centre
LOSS_BOUND_FACTOR = 1e6    # the loss bound: 1e6 x (max |f| on the domain + 1)
SAMPLE_GRID = 48           # points per axis where max |f| is sampled (fixed: not a plotting grid)


@dataclass(frozen=True)
class StopRule:
    """Stop a run that leaves the box ``|x − cx| ≤ rx, |y − cy| ≤ ry`` or whose
    loss exceeds ``loss_bound`` (infinite values disable a test)."""

    centre: tuple[float, float] = (0.0, 0.0)
    half_widths: tuple[float, float] = (math.inf, math.inf)
    loss_bound: float = math.inf

    @classmethod
    def for_surface(cls, surface, escape_factor: float = ESCAPE_FACTOR,
                    loss_bound_factor: float = LOSS_BOUND_FACTOR) -> "StopRule":
        (x0, x1), (y0, y1) = surface.domain
        xs, ys = np.linspace(x0, x1, SAMPLE_GRID), np.linspace(y0, y1, SAMPLE_GRID)
        with np.errstate(all="ignore"):
            z = surface.f(np.stack(np.meshgrid(xs, ys), axis=-1))
        finite = np.abs(z[np.isfinite(z)])
        peak = float(finite.max()) if finite.size else 0.0
        return cls(((x0 + x1) / 2, (y0 + y1) / 2),
                   (escape_factor * (x1 - x0) / 2, escape_factor * (y1 - y0) / 2),
                   loss_bound_factor * (peak + 1.0))
