"""How a surface is shown: its display transform, its colour range decided
once, and the grids a figure draws (no Streamlit, no Plotly here).

The interactive figure, the static export and the GIF all colour a surface
through one ``SurfaceScale``, so the same value has the same colour in each.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from landscapes import Surface

from .raster import compact, contour_image

GRID = 120          # surface grid resolution per axis (3-D mesh, colour range)
IMAGE = 360         # pixels per axis of the contour picture
CLICK_GRID = 60     # invisible click targets per axis (about 8 px apart or more)
GRIDS_KEPT = 16     # surfaces' grids kept (about 0.4 MB each)


@dataclass(frozen=True)
class Display:
    """How surface values are shown: raw, or log10 above the minimum."""

    log: bool
    base: float
    offset: float

    @classmethod
    def for_surface(cls, surface: Surface, z: np.ndarray) -> "Display":
        if not surface.log_levels:
            return cls(False, 0.0, 0.0)
        zmin = float(np.nanmin(z))
        base = min(zmin, surface.global_minimum if surface.global_minimum is not None else zmin)
        span = float(np.nanmax(z)) - base
        return cls(True, base, max(span * 1e-5, 1e-12))

    def __call__(self, values):
        values = np.asarray(values, dtype=float)
        if not self.log:
            return values
        with np.errstate(all="ignore"):
            return np.log10(np.maximum(values - self.base, 0.0) + self.offset)

    @property
    def label(self) -> str:
        return "log₁₀(f − f*)" if self.log else "f"


@dataclass(frozen=True)
class SurfaceScale:
    """The display transform and the colour range ``[lo, hi]`` of a surface:
    from its lowest value on the plotting grid to the 99.5th percentile (a few
    huge corner values would otherwise wash every colour out)."""

    display: Display
    lo: float
    hi: float

    @classmethod
    def for_surface(cls, surface: Surface, resolution: int = GRID) -> "SurfaceScale":
        _, _, z = surface.grid(resolution)
        return cls.from_values(surface, z)

    @classmethod
    def from_values(cls, surface: Surface, z: np.ndarray) -> "SurfaceScale":
        disp = Display.for_surface(surface, z)
        zd = disp(z)
        finite = zd[np.isfinite(zd)]
        if finite.size == 0:
            return cls(disp, 0.0, 1.0)
        lo, hi = float(finite.min()), float(np.quantile(finite, 0.995))
        return cls(disp, lo, hi if hi > lo else lo + 1.0)

    @property
    def top(self) -> float:
        """Upper end of a 3-D z axis: a little headroom above the colour range."""
        return self.hi + 0.05 * (self.hi - self.lo)

    def clip(self, values) -> np.ndarray:
        """Display values clipped into the 3-D box (non-finite -> the top)."""
        zd = np.nan_to_num(self.display(values), nan=self.top, posinf=self.top, neginf=self.lo)
        return np.clip(zd, self.lo, self.top)

    def picture(self, values):
        """The filled-contour picture (PIL image) of raw surface values on a grid
        with rows = y ascending."""
        return contour_image(self.display(values), self.lo, self.hi)


@dataclass(frozen=True)
class SurfaceGrids:
    """Everything a figure draws of the surface, computed once from it."""

    surface: Surface
    scale: SurfaceScale
    xs: np.ndarray          # (GRID,) 3-D mesh
    ys: np.ndarray
    z: np.ndarray           # (GRID, GRID) display values, clipped to the scale
    image: object           # PIL image of the contour map, IMAGE px per axis
    click: tuple[np.ndarray, np.ndarray, np.ndarray]   # x, y, display value of click targets
    view: tuple | None = None   # the drawn region when it is wider than the surface's domain

    @classmethod
    def of(cls, surface: Surface, *, resolution: int = GRID, image_px: int = IMAGE,
           click: int = CLICK_GRID, view=None) -> "SurfaceGrids":
        """The grids over the surface's domain, or over ``view`` (a wider region that
        holds a start point outside the domain: see ``view_domain``). The same
        arguments give the same grids, kept for the last ``GRIDS_KEPT`` (their
        arrays are read-only): a figure redrawn because a racer changed does
        not recompute them."""
        if view is not None:
            view = tuple(tuple(float(v) for v in pair) for pair in view)
            if view == tuple(tuple(float(v) for v in pair) for pair in surface.domain):
                view = None
        return _grids_of(surface, int(resolution), int(image_px), int(click), view)

    @property
    def domain(self):
        return self.view or self.surface.domain

    @cached_property
    def digest(self) -> str:
        """A fingerprint of what a racer's part of a figure reads from the grids
        (the mesh, its colour scale and the drawn region): equal digests draw
        the same paths."""
        h = hashlib.md5(usedforsecurity=False)
        for a in (self.xs, self.ys, self.z):
            h.update(np.ascontiguousarray(a).tobytes())
        h.update(repr((self.scale, self.domain)).encode())
        return h.hexdigest()

    def height_above(self, xy, values, share: float = 0.02) -> np.ndarray:
        """z for points drawn over the opaque 3-D mesh: the display value, but
        never below the highest corner of the mesh cell under the point (the
        mesh is flat between grid points and would bury a path lying in a
        narrow valley), plus ``share`` of the z range; capped at the top."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        i = np.clip(np.searchsorted(self.xs, xy[:, 0]) - 1, 0, len(self.xs) - 2)
        j = np.clip(np.searchsorted(self.ys, xy[:, 1]) - 1, 0, len(self.ys) - 2)
        z = self.z
        corners = np.fmax.reduce([z[j, i], z[j, i + 1], z[j + 1, i], z[j + 1, i + 1]])   # NaN: a gap
        lift = share * (self.scale.hi - self.scale.lo)
        return np.minimum(np.fmax(self.scale.clip(values), corners) + lift, self.scale.top)


@lru_cache(maxsize=GRIDS_KEPT)   # keyed by the surface object: its registry keeps one per name and parameters
def _grids_of(surface: Surface, resolution: int, image_px: int, click: int, view) -> SurfaceGrids:
    xs, ys, z = surface.grid(resolution) if view is None else _grid(surface, view, resolution)
    scale = SurfaceScale.from_values(surface, z)
    _, _, zi = surface.grid(image_px) if view is None else _grid(surface, view, image_px)
    (x0, x1), (y0, y1) = view or surface.domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, click), np.linspace(y0, y1, click))
    with np.errstate(all="ignore"):
        gz = scale.display(surface.f(np.stack([gx, gy], axis=-1)))
    gz = np.where(np.isnan(gz), np.nan, np.nan_to_num(gz, posinf=scale.top, neginf=scale.lo))
    # coloured like the map; NaN where a typed formula is undefined (a gap)
    surface_z = np.where(np.isfinite(z), np.minimum(scale.clip(z), scale.hi), np.nan)
    arrays = [np.array(a, dtype=float) for a in (xs, ys, surface_z, gx.ravel(), gy.ravel(), gz.ravel())]
    for a in arrays:
        a.flags.writeable = False
    xs, ys, surface_z, cx, cy, cz = arrays
    return SurfaceGrids(surface, scale, xs, ys, surface_z, compact(scale.picture(zi)), (cx, cy, cz), view)


def _grid(surface: Surface, domain, resolution: int):
    """``xs``, ``ys`` and ``z`` over ``domain`` (as ``Surface.grid`` does over its own)."""
    (x0, x1), (y0, y1) = domain
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    with np.errstate(all="ignore"):
        z = surface.f(np.stack(np.meshgrid(xs, ys), axis=-1))
    return xs, ys, z


def view_domain(domain, points, margin: float = 0.08):
    """The surface's domain, widened (by ``margin`` of the new span beyond the
    farthest) to hold every finite point of ``points``: a start outside the domain
    stays on the map, which is redrawn over the wider region, never letterboxed."""
    (x0, x1), (y0, y1) = domain
    pts = np.asarray([p for p in points if p is not None and np.all(np.isfinite(p))], dtype=float).reshape(-1, 2)
    if not len(pts):
        return domain
    lo = np.minimum([x0, y0], pts.min(axis=0))
    hi = np.maximum([x1, y1], pts.max(axis=0))
    if np.all(lo == [x0, y0]) and np.all(hi == [x1, y1]):
        return domain
    pad = margin * (hi - lo)
    lo = np.where(lo < [x0, y0], lo - pad, lo)
    hi = np.where(hi > [x1, y1], hi + pad, hi)
    return ((float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])))
