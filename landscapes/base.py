"""The shape every loss surface shares.

A surface is a plain record of NumPy functions plus the facts a figure and a
test need about it. One shape rule holds for every function: points are arrays
of shape ``(..., 2)`` (last axis is ``x, y``); ``f`` returns ``(...)``, ``grad``
returns ``(..., 2)`` and ``hessian`` returns ``(..., 2, 2)``. The same call
therefore evaluates a ``(H, W, 2)`` plotting grid and a ``(B, 2)`` batch of
trajectories.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, NamedTuple

import numpy as np

Array = np.ndarray


class StationaryPoint(NamedTuple):
    """A stationary point with its value; ``kind`` is "global", "local" or "saddle".
    ``found`` is True when the point was found numerically rather than published."""

    x: float
    y: float
    value: float
    kind: str = "global"
    found: bool = False


@dataclass(frozen=True)
class Param:
    """An adjustable surface parameter: default and inclusive bounds;
    ``integer`` parameters (a data set's size, a seed) take whole numbers only."""

    default: float
    low: float
    high: float
    doc: str = ""
    integer: bool = False


@dataclass(frozen=True, eq=False)
class Surface:
    """A 2-D loss surface with analytic derivatives.

    ``minima`` lists every known minimum, global ones first; ``saddles`` the
    known saddle points. ``log_levels`` says whether the surface is coloured by
    log₁₀(f − f*) (its values span decades). ``params`` holds the parameter values the
    surface was built with. ``formula`` is the typed text of a formula
    surface (empty otherwise); ``undefined`` says why a run stopped where f is
    not a finite number (empty for surfaces defined everywhere).
    """

    name: str
    title: str
    latex: str
    f: Callable[[Array], Array]
    grad: Callable[[Array], Array]
    hessian: Callable[[Array], Array]
    domain: tuple[tuple[float, float], tuple[float, float]]
    minima: tuple[StationaryPoint, ...]
    default_start: tuple[float, float]
    lesson: str
    log_levels: bool = False
    saddles: tuple[StationaryPoint, ...] = ()
    params: Mapping[str, float] = field(default_factory=dict)
    note: str = ""
    formula: str = ""
    undefined: str = ""
    step_cost: float = 0.0   # a typed formula's measured cost of one step (config.step_cost); 0: by name
    axes: tuple[str, str] = ("x", "y")   # the two coordinates' names (a data surface's are its weights)

    @property
    def global_minimum(self) -> float | None:
        """The lowest known value, or None for an unbounded surface."""
        values = [m.value for m in self.minima if m.kind == "global"]
        return min(values) if values else None

    def grid(self, resolution: int = 120) -> tuple[Array, Array, Array]:
        """``xs (W,)``, ``ys (H,)`` and ``z (H, W)`` over the plotting domain."""
        (x0, x1), (y0, y1) = self.domain
        xs = np.linspace(x0, x1, resolution)
        ys = np.linspace(y0, y1, resolution)
        pts = np.stack(np.meshgrid(xs, ys), axis=-1)
        with np.errstate(all="ignore"):
            z = self.f(pts)
        return xs, ys, z

    def nearest_minimum(self, points: Array) -> tuple[Array, Array]:
        """Index of and distance to the nearest known minimum for ``(..., 2)``
        points; index -1 and distance inf where the surface has none."""
        points = np.asarray(points, dtype=float)
        if not self.minima:
            shape = points.shape[:-1]
            return np.full(shape, -1), np.full(shape, np.inf)
        mins = np.array([[m.x, m.y] for m in self.minima])
        d = np.linalg.norm(points[..., None, :] - mins, axis=-1)
        idx = np.argmin(np.where(np.isfinite(d), d, np.inf), axis=-1)
        dist = np.take_along_axis(d, idx[..., None], axis=-1)[..., 0]
        return idx, dist


def split(p: Array) -> tuple[Array, Array]:
    """``x, y`` views of a ``(..., 2)`` array."""
    p = np.asarray(p, dtype=float)
    return p[..., 0], p[..., 1]


def stack(gx: Array, gy: Array) -> Array:
    """Stack two same-shape (or broadcastable) components into ``(..., 2)``."""
    gx = np.asarray(gx)
    gy = np.asarray(gy)
    shape = gx.shape if gx.shape == gy.shape else np.broadcast_shapes(gx.shape, gy.shape)
    out = np.empty(shape + (2,), dtype=np.result_type(gx, gy, float))
    out[..., 0] = gx
    out[..., 1] = gy
    return out


def hess(hxx: Array, hxy: Array, hyy: Array) -> Array:
    """Build a symmetric ``(..., 2, 2)`` Hessian from its three entries."""
    hxx, hxy, hyy = np.broadcast_arrays(hxx, hxy, hyy)
    row0 = np.stack([hxx, hxy], axis=-1)
    row1 = np.stack([hxy, hyy], axis=-1)
    return np.stack([row0, row1], axis=-2)


PI = math.pi
