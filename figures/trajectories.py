"""Animated contour and 3-D views of trajectories, and the loss-per-step plot.

Figures are built from arrays (no Streamlit here): ``SurfaceGrids`` holds what
is drawn of the surface, ``PathView`` what is drawn of a racer.

The race figure is assembled from one ``RacerPart`` per racer (its paths, marks,
trail chunks, markers and its data in every frame, built from that racer alone), so
a redraw after one racer changed can reuse the others' parts (the app caches them).

The race: each racer's full path is drawn once, faint; during Play a solid
trail grows behind its marker. The trail is split into a few chunk traces per
racer and every frame carries only the chunk that grows (its points since the
chunk began) and the markers; earlier chunks come from the frame's
``baseframe`` chain, so a slider jump still shows the whole trail so far while
the payload grows with steps x chunk length, not steps squared. With
``trails=False`` the full paths are solid and frames move only the markers.
The figure opens on the last frame, so a still picture shows the whole race.

Frames touch only 2-D traces, except every ``REDRAW_EVERY``-th frame of Play,
which redraws the page so the 3-D markers catch up (a 3-D redraw is what
costs: ~150 ms here); a slider move and the end of Play always redraw, so the
two views agree whenever the animation rests.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go

from .raster import LEVELS
from .scale import CLICK_GRID, GRID, IMAGE, Display, SurfaceGrids, SurfaceScale
from .style import MARK, OUTLINE, SPEEDS, colour, dash, figure_height, font_size, line_width, \
    marker_size, tick_size

__all__ = ["CLICK_GRID", "GRID", "IMAGE", "Display", "SurfaceGrids", "SurfaceScale", "PathView",
           "frame_steps", "thin", "trajectory_figure", "loss_figure"]

MAX_FRAMES = 200
PATH_POINTS = 3000        # most points of a drawn 2-D path
PATH_POINTS_3D = 1500     # most points of a drawn 3-D path
PATH_POINTS_3D_ALL = 3000  # ... and of all racers' together
TRAIL_POINTS = 1200       # longer runs: most points of all racers' growing trails together
TRAIL_EXACT = 600         # runs this short keep every point in their trail
TRAIL_POINTS_3D = 150     # the same for the 3-D trails (few: the scene redraws them all)
TRAIL_EXACT_3D = 100
CHUNK_FRAMES = 34         # frames per trail chunk: few chunk traces (each frame redraws them all)
REDRAW_EVERY = 6          # during Play the 3-D markers move on every 6th frame
LIFT_3D = 0.02            # 3-D minima float this share of the z range above the surface
FAINT = 0.45              # opacity of the full paths under the trails
FAINT_WIDTH = 0.35        # their width, a share of the trail's: a thin solid line ahead of a wide
                          # dashed or dotted trail, so the trail's pattern never blends into it
SCENE_FLOOR = 0.15        # both views: Play and the slider sit under the 3-D view
_BIG = 1e30               # coordinates are clipped to this before float32


@dataclass(frozen=True)
class PathView:
    """One racer's trajectory ready to draw: only its finite points."""

    label: str
    colour: str
    xy: np.ndarray        # (n, 2)
    loss: np.ndarray      # (n,)
    status: str = ""
    index: int = 0        # the racer's position in the race (0-based)
    stopped_at: int = -1  # the step a diverged or escaped run stopped at

    @classmethod
    def from_trajectory(cls, label: str, index: int, positions: np.ndarray, losses: np.ndarray,
                        status: str = "", stopped_at: int = -1) -> "PathView":
        ok = np.all(np.isfinite(positions), axis=-1) & np.isfinite(losses)
        n = int(np.argmin(ok)) if not ok.all() else len(ok)
        return cls(label, colour(index), positions[:n].copy(), losses[:n].copy(), status, index,
                   int(stopped_at))

    @property
    def ended(self) -> bool:
        """Diverged or escaped: its last point gets a ✕ with its step."""
        return self.status in ("diverged", "escaped") and len(self.xy) > 0

    @property
    def end_step(self) -> int:
        """The step the run stopped at: its ✕ appears from this step on (the
        last finite point is the step before a run that left the map)."""
        return self.stopped_at if self.stopped_at >= 0 else len(self.xy) - 1

    @property
    def end_text(self) -> str:
        """The status label beside the ✕ mark (the mark is a marker symbol: a
        ✕ character has no glyph in WebGL text)."""
        return f"{self.status} at step {self.end_step}"

    def point(self, step: int) -> int:
        """Index of the point shown at ``step`` (a stopped run rests at its last point)."""
        return min(int(step), len(self.xy) - 1)

    @property
    def digest(self) -> str:
        """A fingerprint of everything drawn of this racer."""
        h = hashlib.md5(usedforsecurity=False)
        h.update(np.ascontiguousarray(self.xy, dtype=float).tobytes())
        h.update(np.ascontiguousarray(self.loss, dtype=float).tobytes())
        h.update(repr((self.label, self.colour, self.status, self.index, self.stopped_at)).encode())
        return h.hexdigest()


def frame_steps(n_steps: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """At most ``max_frames`` step indices from 0 to ``n_steps``, evenly spread."""
    count = min(n_steps + 1, max_frames)
    return np.unique(np.round(np.linspace(0, n_steps, count)).astype(int))


def thin(n: int, cap: int) -> np.ndarray:
    """Indices of at most about ``cap`` of ``n`` points: all of them when they
    fit, else evenly spaced *pairs* of neighbours (so a zig-zag that flips
    every step still shows its swing) and the last point."""
    if n <= cap:
        return np.arange(n)
    stride = int(np.ceil(2 * n / cap))
    first = np.arange(0, n, stride)
    return np.unique(np.concatenate([first, np.minimum(first + 1, n - 1), [n - 1]]))


def _f32(a) -> np.ndarray:
    """Finite float32 (huge values clipped; never Infinity or NaN in a figure)."""
    a = np.nan_to_num(np.asarray(a, dtype=float), nan=0.0, posinf=_BIG, neginf=-_BIG)
    return np.clip(a, -_BIG, _BIG).astype(np.float32)


def _with_gaps(z: np.ndarray):
    """float32 values, or (where a typed formula is undefined) nested lists
    with None there: a gap in the surface, and no NaN in the figure."""
    z = np.asarray(z, dtype=float)
    if np.all(np.isfinite(z)):
        return _f32(z)
    return [[float(np.float32(v)) if np.isfinite(v) else None for v in row] for row in z]


def _short(v) -> float:
    return float(f"{float(_f32(v)):.7g}")


def _shorts(a) -> list[float]:
    """``_short`` of every value of ``a``, in one float32 conversion."""
    return [float(f"{v:.7g}") for v in _f32(a).tolist()]


def _inside(xy: np.ndarray, domain) -> np.ndarray:
    (x0, x1), (y0, y1) = domain
    return np.stack([np.clip(xy[..., 0], x0, x1), np.clip(xy[..., 1], y0, y1)], axis=-1)


# --- what stays still: the map and the 3-D scene -------------------------------

def _click_targets(grids: SurfaceGrids) -> dict:
    gx, gy, gz = grids.click
    defined = np.isfinite(gz)   # no start targets where a typed formula is undefined
    gx, gy, gz = gx[defined], gy[defined], gz[defined]
    # mode "none": Plotly hovers and clicks the nearest point all the same, and draws none of
    # them (3,600 invisible markers were 3,600 SVG elements to paint and layerize in every
    # frame that changes the map: a scrub move, a Play frame)
    return dict(type="scatter", x=_f32(gx), y=_f32(gy), mode="none", showlegend=False,
                customdata=_f32(gz), name="click to start here", meta=dict(role="click"),
                hovertemplate=(f"(%{{x:.2f}}, %{{y:.2f}})<br>{grids.scale.display.label} = "
                               "%{customdata:.4g}<br>click to start here<extra></extra>"))


def _map_path(p: PathView, n: int, presentation: bool, trails: bool) -> dict:
    """The whole path: faint under a growing trail, or solid. Every drawn point
    is clickable and carries its step in ``customdata``."""
    keep = thin(len(p.xy), PATH_POINTS)
    return dict(type="scatter", x=_f32(p.xy[keep, 0]), y=_f32(p.xy[keep, 1]), mode="lines+markers",
                line=dict(color=p.colour, width=(FAINT_WIDTH if trails else 1.0) * line_width(p.index, n, presentation),
                          dash="solid" if trails else dash(p.index)),
                marker=dict(size=3, color=p.colour), opacity=FAINT if trails else 1.0,
                name=p.label, legendgroup=p.label, showlegend=not trails,
                customdata=keep.astype(np.uint16 if len(p.xy) < 65536 else np.int32),
                meta=dict(role="path", racer=p.index),
                hovertemplate=f"{p.label}<br>step %{{customdata}}<br>(%{{x:.4f}}, %{{y:.4f}})<extra></extra>")


def _points(grids: SurfaceGrids, starts, presentation: bool) -> list[dict]:
    """Start points, global and local minima (different symbols) and saddle points."""
    s = grids.surface
    big = 16 if presentation else 12
    out = [dict(type="scatter", x=[float(p[0]) for p in starts], y=[float(p[1]) for p in starts],
                mode="markers", name="start",
                marker=dict(symbol="circle", size=big, color=MARK, line=dict(color=OUTLINE, width=2)),
                hovertemplate="start (%{x:.3f}, %{y:.3f})<extra></extra>")]
    for kind, symbol, name in (("global", "star", "global minimum"), ("local", "diamond", "local minimum")):
        ms = [m for m in s.minima if m.kind == kind]
        if ms:
            out.append(dict(type="scatter", x=[m.x for m in ms], y=[m.y for m in ms], mode="markers",
                            name=name + ("s" if len(ms) > 1 else ""),
                            marker=dict(symbol=symbol, size=big + 4 if kind == "global" else big,
                                        color=MARK, line=dict(color=OUTLINE, width=1)),
                            text=[f"{name}{' (found numerically)' if getattr(m, 'found', False) else ''} "
                                  f"f={m.value:.6g}" for m in ms],
                            hovertemplate="%{text}<br>(%{x:.4f}, %{y:.4f})<extra></extra>"))
    if s.saddles:
        out.append(dict(type="scatter", x=[m.x for m in s.saddles], y=[m.y for m in s.saddles],
                        mode="markers", name="saddle point",
                        marker=dict(symbol="x", size=big, color=MARK, line=dict(color=OUTLINE, width=1)),
                        hovertemplate="saddle point (%{x:.3f}, %{y:.3f})<extra></extra>"))
    return out


# A map wider than this (x range over y range) is drawn square, its y axis
# stretched: kept 1:1, a 2:1 surface (the ravine) got a plot area half as tall
# as a square one on a 1280x720 projector. The y axis's title says so.
STRETCH_ABOVE = 1.1


def map_stretch(domain) -> float:
    """How much longer a y unit is drawn than an x unit on the map: 1, or the
    domain's width over its height for a map wider than ``STRETCH_ABOVE``."""
    (x0, x1), (y0, y1) = domain
    ratio = (x1 - x0) / (y1 - y0)
    return float(ratio) if ratio > STRETCH_ABOVE else 1.0


def y_title(domain, name: str = "y") -> str:
    """The map's y-axis title, naming a stretch (``map_stretch``)."""
    s = map_stretch(domain)
    return name if s == 1.0 else f"{name} (stretched ×{s:.3g})"


def _toward_middle(x: float, y: float, domain) -> str:
    """A text position that runs from (x, y) towards the map's middle."""
    (x0, x1), (y0, y1) = domain
    return ("bottom" if y > (y0 + y1) / 2 else "top") + (" right" if x < (x0 + x1) / 2 else " left")


def _fmt(v: float) -> str:
    return f"{v:.3g}".replace("-", "−")


def _end_marks(paths: list[PathView], domain, presentation: bool) -> list[dict]:
    """The end of every diverged or escaped run: a ✕ at its last point and,
    beside it, its status ("diverged at step 15") running towards the map's
    middle. A last point off the map is drawn as an arrow on the map's edge
    pointing to it, labelled with the point. One trace per run, two points:
    the mark, and the label's anchor (moved by ``_separate_labels`` where two
    labels would overlap; its marker is invisible)."""
    out = []
    size = 18 if presentation else 14
    (x0, x1), (y0, y1) = domain
    for p in (p for p in paths if p.ended):
        rx, ry = (float(v) for v in p.xy[-1])
        x, y = (float(v) for v in _inside(p.xy[-1], domain))
        text, marker = p.end_text, dict(symbol="x", size=size, color=p.colour, line=dict(color=OUTLINE, width=1))
        if (x, y) != (rx, ry):   # off the map: an arrow on its edge, pointing at the point
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            sy = map_stretch(domain)   # the angle on screen
            marker.update(symbol="arrow", angle=float(np.degrees(np.arctan2(rx - cx, (ry - cy) * sy))))
            text += f"<br>→ ({_fmt(rx)}, {_fmt(ry)})"
        pos = _toward_middle(x, y, domain)
        out.append(dict(type="scatter", x=[x, x], y=[y, y], mode="markers+text",
                        marker=dict(marker, size=[size, size], opacity=[1, 0]),
                        text=["", text], textposition=pos, cliponaxis=False,
                        textfont=dict(color=p.colour, size=tick_size(presentation), shadow="auto"),
                        name=p.end_text, legendgroup=p.label, showlegend=False,
                        meta=dict(role="end", racer=p.index, step=p.end_step), hoverinfo="skip"))
    return out


# the map's plot area in pixels, about (height; width follows the domain's
# aspect): label overlap is judged at this size
MAP_PX = {False: 380, True: 420}


def _separate_labels(ends: list[dict], domain, presentation: bool, key: str = "y") -> None:
    """Moves end labels that would print over one another (about one text
    line apart at the map's size, and overlapping across) a line further
    towards the map's middle, in place."""
    (x0, x1), (y0, y1) = domain
    ts = tick_size(presentation)
    sy = map_stretch(domain)   # pixels per x unit; a y unit is sy of them
    px = MAP_PX[presentation] / max((y1 - y0) * sy, (x1 - x0) / 2)
    line = 1.4 * ts / (px * sy)
    placed: list[tuple[float, float, float, float]] = []   # label boxes: bottom, top, left, right
    for t in ends:
        x, y = t["x"][1], t["y"][1]
        lines = t["text"][1].count("<br>") + 1
        width = 0.55 * ts * max(len(s) for s in t["text"][1].split("<br>")) / px + 14 / px
        # the side with room for the text (else the roomier one)
        right = x1 - x >= width or (x - x0 < width and x1 - x > x - x0)
        down = t["textposition"].startswith("bottom")
        lo, hi = (x, x + width) if right else (x - width, x)
        for _ in range(12):
            b, top = (y - line * lines, y) if down else (y, y + line * lines)
            if not any(pb < top and b < pt and pl < hi and lo < pr for pb, pt, pl, pr in placed):
                break
            y += -line if down else line
        t["y"] = [t["y"][0], y]
        t["textposition"] = ("bottom" if down else "top") + (" right" if right else " left")
        placed.append((b, top, lo, hi))


def _starts(start, paths: list[PathView]) -> list[tuple[float, float]]:
    """The race's start and any racer's own."""
    starts = [tuple(map(float, start))]
    for p in paths:
        if len(p.xy) and not any(np.allclose(p.xy[0], q) for q in starts):
            starts.append((float(p.xy[0, 0]), float(p.xy[0, 1])))
    return starts


def _in_box(p: PathView, domain) -> int:
    """How many of the path's points come before it first leaves the plotted
    box (3-D scenes do not clip, and gaps would need NaN)."""
    (x0, x1), (y0, y1) = domain
    xy = p.xy
    inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
    return len(inside) if inside.all() else int(np.argmin(inside))


def _scene_path(p: PathView, grids: SurfaceGrids, n: int, presentation: bool, legend: bool,
                trails: bool = False) -> dict:
    """The path up to where it first leaves the plotted box, lifted a little
    above the opaque surface: faint under a growing 3-D trail, or solid."""
    xy = p.xy
    keep = thin(_in_box(p, grids.domain), min(PATH_POINTS_3D, PATH_POINTS_3D_ALL // max(n, 1)))
    z = grids.height_above(xy[keep], p.loss[keep])
    return dict(type="scatter3d", x=_f32(xy[keep, 0]), y=_f32(xy[keep, 1]), z=_f32(z), mode="lines",
                line=dict(color=p.colour, width=2 * line_width(p.index, n, presentation) + 2),
                opacity=FAINT if trails else 1.0,
                name=p.label, legendgroup=p.label, showlegend=legend and not trails, scene="scene",
                meta=dict(role="path3d", racer=p.index),
                hovertemplate=f"{p.label}<br>(%{{x:.3f}}, %{{y:.3f}})<extra></extra>")


def _surface_trace(grids: SurfaceGrids) -> dict:
    """The opaque 3-D surface (a translucent one tints the paths)."""
    scale = grids.scale
    ax, ay = grids.surface.axes
    return dict(type="surface", x=_f32(grids.xs), y=_f32(grids.ys), z=_with_gaps(grids.z),
                colorscale="Viridis", cmin=scale.lo, cmax=scale.hi, showscale=False, opacity=1.0,
                name="surface", scene="scene",
                hovertemplate=f"{ax}=%{{x:.3f}}<br>{ay}=%{{y:.3f}}<br>{scale.display.label}=%{{z:.4g}}<extra></extra>",
                contours=dict(z=dict(show=True, usecolormap=True, project=dict(z=False), width=1)))


def _scene_minima(grids: SurfaceGrids) -> list[dict]:
    scale, s = grids.scale, grids.surface
    lift = LIFT_3D * (scale.hi - scale.lo)
    out = []
    for kind, symbol in (("global", "diamond"), ("local", "square-open")):
        ms = [m for m in s.minima if m.kind == kind]
        if ms:
            out.append(dict(type="scatter3d", x=[m.x for m in ms], y=[m.y for m in ms],
                            z=[float(scale.clip(m.value)) + lift for m in ms], mode="markers",
                            marker=dict(symbol=symbol, size=6, color=MARK, line=dict(color=OUTLINE, width=1)),
                            name=f"{kind} minimum", showlegend=False, scene="scene", hoverinfo="skip"))
    return out


def _scene_ends(paths: list[PathView], grids: SurfaceGrids, presentation: bool) -> list[dict]:
    """The 3-D end marks: a ✕ drawn as two strokes (WebGL text has no ✕
    glyph, and scatter3d's 'x' marker symbol is an emoji glyph, missing too)
    and the status (``_separate_scene_labels`` moves labels apart)."""
    out = []
    (x0, x1), (y0, y1) = grids.domain
    for p in (p for p in paths if p.ended):
        x, y = _inside(p.xy[-1], grids.domain)
        z = float(grids.height_above([[x, y]], p.loss[-1:])[0])
        # a ✕ of two strokes, then a pole up to the box's top, where the label
        # is never hidden behind the surface
        d = 0.035 * max(x1 - x0, y1 - y0)
        xs = np.clip([x - d, x + d, x, x - d, x + d, x, x], x0, x1)
        ys = np.clip([y - d, y + d, y, y + d, y - d, y, y], y0, y1)
        top = max(float(grids.scale.top), z)
        out.append(dict(type="scatter3d", x=[float(v) for v in xs], y=[float(v) for v in ys],
                        z=[z] * 6 + [top], mode="lines+text", line=dict(color=p.colour, width=6),
                        text=[""] * 6 + [p.end_text],
                        textposition=_NEAR_3D[0],
                        textfont=dict(color=p.colour, size=tick_size(presentation)),
                        name=p.end_text, showlegend=False, scene="scene", hoverinfo="skip",
                        meta=dict(role="end3d", racer=p.index, step=p.end_step)))
    return out


_NEAR_3D = ("top center", "bottom center", "middle right", "middle left")


def _separate_scene_labels(ends: list[dict], domain) -> None:
    """3-D labels of marks close together (within a fifth of the domain) go
    above, below and beside each other, in place."""
    (x0, x1), (y0, y1) = domain
    seen: list[tuple[float, float]] = []
    for t in ends:
        x, y = t["x"][-1], t["y"][-1]
        near = sum(abs(x - a) < 0.2 * (x1 - x0) and abs(y - b) < 0.2 * (y1 - y0) for a, b in seen)
        seen.append((x, y))
        t["textposition"] = _NEAR_3D[near % 4]


# --- what moves: markers and growing trails ------------------------------------

@dataclass(frozen=True)
class RaceSetup:
    """What every racer's part of the race shares: the animation's frame steps,
    the number of racers (widths, sizes and trail budgets depend on it) and
    what is drawn."""

    steps: tuple[int, ...]
    n: int
    show2d: bool
    show3d: bool
    trails: bool
    presentation: bool
    animated: bool = True

    @property
    def n_chunks(self) -> int:
        return max(1, -(-(len(self.steps) - 1) // CHUNK_FRAMES)) if self.trail_views else 0

    @property
    def trail_views(self) -> list[bool]:
        """The views with growing trails: False for the map, True for the 3-D scene."""
        if not self.trails:
            return []
        return ([False] if self.show2d else []) + ([True] if self.show3d else [])

    def chunk_of(self, f: int) -> int:
        return max(0, (f - 1) // CHUNK_FRAMES)

    @property
    def views(self) -> list[bool]:
        """False for the 2-D markers, True for the 3-D ones, in that order."""
        if not self.animated:
            return []
        return ([False] if self.show2d else []) + ([True] if self.show3d else [])


@dataclass(frozen=True)
class RacerPart:
    """Everything one racer adds to the race figure: its still traces (in the
    order ``trajectory_figure`` places them), its moving traces, and per frame
    the data of its moving traces that the frame sends. Built from one racer
    alone, so a figure whose other racers are unchanged reuses their parts."""

    map_path: list[dict]          # the 2-D path (none without the 2-D view)
    map_end: list[dict]           # its ✕ mark
    scene_path: list[dict]        # the lifted 3-D path
    scene_end: list[dict]
    trails: list[dict]            # trail chunk traces, as at the last frame
    markers: list[dict]           # one marker trace per view, as at the last frame
    frame_trails: list[list[dict]]    # frame f: data of the chunks it sends
    frame_markers: list[list[dict]]   # frame f: marker data per view


class _Trail:
    """A racer's growing trail, split in chunks of ``CHUNK_FRAMES`` frames: on
    the map, or (``grids``) in the 3-D scene, lifted like its path there and
    ending where the path first leaves the box."""

    def __init__(self, p: PathView, setup: RaceSetup, grids: SurfaceGrids | None = None):
        n = len(p.xy)
        self.p, self.setup = p, setup
        xy = _f32(p.xy)
        self.x, self.y = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
        self.z = None
        self.end = n - 1
        if grids is None:
            self.keep = thin(n, n if n <= TRAIL_EXACT else TRAIL_POINTS // max(setup.n, 1))
        else:
            m = _in_box(p, grids.domain)
            self.end = m - 1
            self.keep = thin(m, m if m <= TRAIL_EXACT_3D else TRAIL_POINTS_3D // max(setup.n, 1))
            self.z = np.zeros(n, dtype=np.float32)
            if m:
                self.z[:m] = _f32(grids.height_above(p.xy[:m], p.loss[:m]))
        self.every = len(self.keep) == n   # every point kept: a chunk is a slice

    def _data(self, idx) -> dict:
        out = dict(x=_b64(self.x[idx]), y=_b64(self.y[idx]))
        if self.z is not None:
            out["z"] = _b64(self.z[idx])
        return out

    def empty(self) -> dict:
        return dict(x=[], y=[]) if self.z is None else dict(x=[], y=[], z=[])

    def chunk(self, j: int, f: int) -> dict:
        """Chunk ``j`` as it stands at frame ``f``: the path from the chunk's
        first frame to frame ``f`` (empty before it begins)."""
        steps, begin = self.setup.steps, j * CHUNK_FRAMES
        if (j > 0 and f <= begin) or self.end < 0:
            return self.empty()
        upto = min(f, (j + 1) * CHUNK_FRAMES, len(steps) - 1)
        lo, hi = self.p.point(steps[begin]), self.p.point(steps[upto])
        hi = min(hi, self.end)
        if lo > hi:
            return self.empty()
        if self.every:
            return self._data(slice(lo, hi + 1))
        keep = self.keep
        inner = keep[keep.searchsorted(lo, "right"):keep.searchsorted(hi, "left")]
        idx = np.concatenate([[lo], inner, [hi]]) if hi > lo else np.array([lo])
        return self._data(idx)


def _b64(a: np.ndarray) -> dict:
    """Finite float32 values as a typed array in plotly.js's own base64 form
    (frames are handed over as they are, see ``RaceFigure``)."""
    return {"dtype": "f4", "bdata": base64.b64encode(a.tobytes()).decode("ascii")}


def _marker_table(p: PathView, setup: RaceSetup, grids: SurfaceGrids, three_d: bool) -> list[dict]:
    """The racer's marker at every frame (7 significant digits: float32's),
    computed in one vectorized call."""
    if len(p.xy) == 0:
        return [dict(x=[], y=[], **({"z": []} if three_d else {})) for _ in setup.steps]
    idx = np.minimum(np.asarray(setup.steps), len(p.xy) - 1)
    x, y = _shorts(p.xy[idx, 0]), _shorts(p.xy[idx, 1])
    if not three_d:
        return [dict(x=[a], y=[b]) for a, b in zip(x, y)]
    z = _shorts(grids.height_above(p.xy[idx], p.loss[idx], 0.04))
    return [dict(x=[a], y=[b], z=[c]) for a, b, c in zip(x, y, z)]


def racer_part(grids: SurfaceGrids, p: PathView, setup: RaceSetup) -> RacerPart:
    """Racer ``p``'s traces and frame data (see ``RacerPart``)."""
    n, present, last = setup.n, setup.presentation, len(setup.steps) - 1
    map_path = [_map_path(p, n, present, setup.trails)] if setup.show2d else []
    map_end = _end_marks([p], grids.domain, present) if setup.show2d else []
    for t in map_path + map_end:
        t.update(xaxis="x", yaxis="y")
    scene_path = [_scene_path(p, grids, n, present, not setup.show2d, setup.trails)] if setup.show3d else []
    scene_end = _scene_ends([p], grids, present) if setup.show3d else []
    K = setup.n_chunks
    kinds = [_Trail(p, setup, grids if three_d else None) for three_d in setup.trail_views]
    trails = []
    for trail in kinds:
        for j in range(K):
            t = dict(type="scatter3d" if trail.z is not None else "scatter",
                     **trail.chunk(j, min((j + 1) * CHUNK_FRAMES, last)))
            if trail.z is None:   # the legend shows the solid trail's look (the full path is faint)
                t.update(mode="lines", name=p.label if j == 0 else f"trail: {p.label}",
                         legendgroup=p.label, showlegend=j == 0,
                         line=dict(color=p.colour, width=line_width(p.index, n, present), dash=dash(p.index)),
                         hoverinfo="skip", meta=dict(role="trail", racer=p.index), xaxis="x", yaxis="y")
            else:
                t.update(mode="lines", name=p.label if j == 0 else f"trail: {p.label}",
                         legendgroup=p.label, showlegend=j == 0 and not setup.show2d,
                         line=dict(color=p.colour, width=2 * line_width(p.index, n, present) + 2),
                         hoverinfo="skip", meta=dict(role="trail3d", racer=p.index), scene="scene")
            trails.append(t)
    tables = [_marker_table(p, setup, grids, v) for v in setup.views]
    markers = []
    for three_d, table in zip(setup.views, tables):
        size = marker_size(p.index, n, present)
        t = dict(type="scatter3d" if three_d else "scatter", **table[last])
        t.update(mode="markers", name=f"now: {p.label}", legendgroup=p.label, showlegend=False,
                 marker=dict(size=size * 0.6 if three_d else size, color=p.colour,
                             line=dict(color="white", width=2)),
                 meta=dict(role="marker", racer=p.index),
                 hovertemplate=f"{p.label} now<br>(%{{x:.4f}}, %{{y:.4f}})<extra></extra>")
        t.update(scene="scene") if three_d else t.update(xaxis="x", yaxis="y")
        markers.append(t)
    frame_trails = [[trail.chunk(c, f) for trail in kinds
                     for c in (range(K) if f == 0 else [setup.chunk_of(f)] if K else [])]
                    for f in range(len(setup.steps))]
    frame_markers = [[table[f] for table in tables] for f in range(len(setup.steps))]
    return RacerPart(map_path, map_end, scene_path, scene_end, trails, markers, frame_trails, frame_markers)


def _end_at(t: dict, shown: bool) -> dict:
    """An end mark's data in a frame: as drawn once its step is reached, empty before."""
    keys = ("x", "y", "z", "text") if "z" in t else ("x", "y", "text")
    return {k: t[k] for k in keys} if shown else {k: [] for k in keys}


def race_frames(parts: list[RacerPart], setup: RaceSetup, first: int, ends: list[dict] = ()) -> list[dict]:
    """One frame per step in ``setup.steps``, then ``REDRAW_EVERY`` hold frames
    repeating the last one (so Play always ends on a 3-D redraw). The moving
    traces start at index ``first``: every racer's trail chunks, then the
    markers, view by view, then the end marks (``ends``), each empty in every
    frame before its step (its ``meta["step"]``): nothing from the future."""
    K, R, V = setup.n_chunks, len(parts), len(setup.views)
    T = len(setup.trail_views)   # each racer's chunks: view by view
    marker_ids = list(range(first + R * K * T, first + R * K * T + R * V))
    end_ids = list(range(first + R * K * T + R * V, first + R * K * T + R * V + len(ends)))
    frames = []
    for f, s in enumerate(setup.steps):
        chunks = range(K) if f == 0 else [setup.chunk_of(f)] if K else []
        ids = [first + (r * T + v) * K + c for r in range(R) for v in range(T) for c in chunks]
        ids += marker_ids + end_ids
        data = [d for part in parts for d in part.frame_trails[f]]
        data += [part.frame_markers[f][v] for v in range(V) for part in parts]
        data += [_end_at(t, int(s) >= t["meta"]["step"]) for t in ends]
        frame = dict(name=str(int(s)), traces=ids, data=data)
        if f > 0 and K:
            frame["baseframe"] = str(int(setup.steps[setup.chunk_of(f) * CHUNK_FRAMES]))
        frames.append(frame)
    last = frames[-1]["name"]
    frames += [dict(name=f"{last} hold {h}", baseframe=last, traces=[], data=[])
               for h in range(REDRAW_EVERY if setup.show3d else 0)]
    return frames


class RaceFigure(go.Figure):
    """A ``go.Figure`` whose frames are kept as the plain dicts they were
    built as. Plotly would turn ~200 frames x a dozen traces into validated
    objects (~2.5 s for the largest race, and again in ``to_dict``); these
    dicts are built here from finite float32 arrays and need none of that.
    ``to_dict`` (what Streamlit, ``to_json`` and ``to_html`` use) returns them."""

    def __init__(self, data: list[dict], layout: dict, frames: list[dict]):
        super().__init__(dict(data=data, layout=layout))
        self._race_frames = frames

    def to_dict(self) -> dict:
        out = super().to_dict()
        if self._race_frames:
            out["frames"] = self._race_frames
        return out

    @property
    def race_frames(self) -> list[dict]:
        return self._race_frames

    @property
    def frames(self) -> tuple:
        """Read-only views of the frames (``.name``, ``.data``, ``.traces``, ``.baseframe``)."""
        return tuple(SimpleNamespace(name=f["name"], data=f.get("data", []), traces=f.get("traces", []),
                                     baseframe=f.get("baseframe")) for f in self._race_frames)


# --- layout and controls -------------------------------------------------------

def animation_controls(frames: list[dict], n_steps: int, speed: str, show3d: bool,
                       presentation: bool, beside: float | None = None) -> dict:
    """Play/Pause and the step slider. Play redraws (moving the 3-D markers)
    on every ``REDRAW_EVERY``-th frame only; the slider always redraws.
    ``beside``: where the 3-D view starts across the figure, to put the
    controls under it (both views: see ``SCENE_FLOOR``)."""
    duration = int(SPEEDS.get(speed, SPEEDS["normal"]) * 1000)
    fs = font_size(presentation)
    plan = [dict(duration=duration, redraw=show3d and (u + 1) % REDRAW_EVERY == 0) for u in range(len(frames))]
    play = dict(label="▶ Play", method="animate",
                args=[None, dict(frame=plan, fromcurrent=True, transition=dict(duration=0), mode="immediate")])
    pause = dict(label="❚❚ Pause", method="animate",
                 args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate",
                                    transition=dict(duration=0))])
    named = [fr["name"] for fr in frames if "hold" not in fr["name"]]
    pad = 34 if presentation else 30
    slider = dict(
        active=len(named) - 1, x=0.2, len=0.8, y=0, yanchor="top", pad=dict(t=pad),
        currentvalue=dict(prefix="step ", font=dict(size=fs, color="#888888"), xanchor="right"),
        # up to 200 tick labels would be an unreadable band: the current value says it
        font=dict(color="rgba(0,0,0,0)"), ticklen=0, minorticklen=0,
        steps=[dict(label=name, method="animate",
                    args=[[name], dict(mode="immediate", frame=dict(duration=0, redraw=show3d),
                                       transition=dict(duration=0))]) for name in named],
    )
    menu = dict(type="buttons", direction="left", x=0, y=0, xanchor="left", yanchor="top",
                pad=dict(t=pad, r=10), showactive=False, font=dict(size=fs), buttons=[play, pause])
    if beside is not None:   # under the 3-D view, inside the figure: the map gets the height
        menu.update(x=beside, yanchor="bottom", pad=dict(t=0, r=10, b=0))
        slider.update(x=beside + 0.16, len=1 - beside - 0.16, yanchor="bottom", pad=dict(t=0, b=0))
    return dict(updatemenus=[menu], sliders=[slider])


def figure_layout(grids: SurfaceGrids, show2d: bool, show3d: bool, *, presentation=False,
                  title: str | None = None, image: bool = True) -> dict:
    """Axes, the 3-D scene, the legend and (``image``) the contour picture."""
    fs, ts = font_size(presentation), tick_size(presentation)
    (x0, x1), (y0, y1) = grids.domain
    ax, ay = grids.surface.axes
    scale = grids.scale
    layout: dict = dict(
        height=figure_height(presentation), font=dict(size=fs),
        margin=dict(l=60, r=20, t=60 if title else (24 if presentation else 30),
                    b=20 if show3d or presentation else 40),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, font=dict(size=ts)),
        hovermode="closest", uirevision=grids.surface.name,
    )
    if title:  # above the legend, which sits just over the plot
        layout["title"] = dict(text=title, x=0.01, y=0.98, yref="container", yanchor="top")
        layout["margin"]["t"] = 110 if presentation else 90
    split = 0.5 if (show2d and show3d) else 1.0
    if show2d:
        if image:
            layout["images"] = [dict(source=grids.image, xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0,
                                     sizey=y1 - y0, sizing="stretch", layer="below", opacity=1.0)]
        axis = dict(showgrid=False, zeroline=False, tickfont=dict(size=ts), nticks=6 if presentation else 9)
        standoff = dict(standoff=2) if presentation else {}
        layout["xaxis"] = dict(range=[x0, x1], domain=[0, split - (0.03 if show3d else 0)],
                               title=dict(text=ax, font=dict(size=fs), **standoff), constrain="domain", **axis)
        layout["yaxis"] = dict(range=[y0, y1], title=dict(text=y_title(grids.domain, ay), font=dict(size=fs),
                                                          **standoff),
                               scaleanchor="x", scaleratio=map_stretch(grids.domain), constrain="domain", **axis)
    if show3d:
        tick3 = dict(tickfont=dict(size=ts), nticks=4 if presentation else 5)
        title3 = dict(size=ts)
        floor = SCENE_FLOOR if (show2d and image) else 0   # image: animated
        layout["scene"] = dict(
            domain=dict(x=[split if show2d else 0, 1], y=[floor, 1]),
            xaxis=dict(range=[x0, x1], title=dict(text=ax, font=title3), **tick3),
            yaxis=dict(range=[y0, y1], title=dict(text=ay, font=title3), **tick3),
            zaxis=dict(range=[scale.lo, scale.top], title=dict(text=scale.display.label, font=title3),
                       tickvals=z_ticks(scale.lo, scale.top), tickfont=tick3["tickfont"]),
            aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.7),
            camera=dict(eye=dict(x=-1.0, y=-1.36, z=1.8)),   # from above: walls hide less of a path
        )
    return layout


def z_ticks(lo: float, top: float) -> list[float]:
    """The 3-D z axis's ticks. Seen from above (the camera), the axis is short on
    screen: more than two labels overlap, and one at its foot overlaps the x and
    y labels in the corner. So: multiples of the largest round step (1, 2 or 5
    times a power of ten, not above the range) that has a multiple in the upper
    two thirds of the axis; at most the top two of them."""
    span = top - lo
    if not (np.isfinite(span) and span > 0):
        return [float(top)] if np.isfinite(top) else []
    power = 10.0 ** np.floor(np.log10(span))
    for step in (m * p for p in (power, power / 10, power / 100) for m in (5, 2, 1)):
        if step <= span:
            ticks = [_short(v) for v in np.arange(np.ceil((lo + span / 3) / step), np.floor(top / step) + 1) * step]
            if ticks:
                return ticks[-2:]
    return [_short(top)]   # not reached: a step of at most a third of the range has a multiple there


def contour_trace(grids: SurfaceGrids) -> dict:
    """The map as a filled Plotly contour with the picture's levels and colours
    (vector in an SVG); only for stills: it vanishes when an animation starts."""
    scale = grids.scale
    return dict(type="contour", x=_f32(grids.xs), y=_f32(grids.ys), z=_with_gaps(grids.z), colorscale="Viridis",
                zmin=scale.lo, zmax=scale.hi, showscale=False, hoverinfo="skip", name="surface",
                contours=dict(start=scale.lo, end=scale.hi, size=(scale.hi - scale.lo) / LEVELS,
                              coloring="fill"),
                line=dict(width=0.5, color="rgba(0,0,0,0.35)"), xaxis="x", yaxis="y")


def _keep_selection_look(data: list[dict]) -> None:
    """A click selects a point; plotly would then dim everything else until
    the figure changes. Keep every 2-D trace as drawn (click targets invisible)."""
    for t in data:
        if t["type"] == "scatter":
            o = 0 if t.get("name") == "click to start here" else 1
            t["selected"] = dict(marker=dict(opacity=o))
            t["unselected"] = dict(marker=dict(opacity=o))


def trajectory_figure(
    grids: SurfaceGrids,
    paths: list[PathView],
    start: tuple[float, float],
    n_steps: int,
    *,
    view: str = "both",
    presentation: bool = False,
    speed: str = "normal",
    click_grid: bool = True,
    max_frames: int = MAX_FRAMES,
    title: str | None = None,
    trails: bool = True,
    animated: bool = True,
    raw: bool = False,
    part=None,
    panel=None,
    overlays=(),
) -> go.Figure | dict:
    """The contour map and/or the 3-D surface with every path, animated.

    ``view`` is "2d", "3d" or "both" (side by side, one animation drives both).
    ``animated=False`` gives a still of the last frame (no frames, no controls).
    ``raw=True`` returns the plain figure dict, unvalidated (``figures.prepared``
    serves it); the tests build the ``go.Figure``. ``part`` builds one racer's
    ``RacerPart`` (default ``racer_part``); the app passes a cached one, so a
    rerun that changes one racer rebuilds only that racer's part. ``panel``
    (a ``figures.data_panel.DataPanel``) adds a data surface's data panel at
    the right, moved by the same frames. ``overlays`` attach more moving traces the
    same way (``figures.step_vectors.StepVectors``: each step's vectors on the map).
    """
    part = part or racer_part
    show2d, show3d = view in ("2d", "both"), view in ("3d", "both")
    setup = RaceSetup(tuple(int(s) for s in frame_steps(n_steps, max_frames)), len(paths), show2d, show3d,
                      trails and animated, presentation, animated)
    parts = [part(grids, p, setup) for p in paths]
    # parts may be shared (cached): their traces are copied before anything is added to them
    data: list[dict] = []
    if show2d:
        click = [_click_targets(grids)] if click_grid else []
        points = _points(grids, _starts(start, paths), presentation)
        for t in click + points:
            t.update(xaxis="x", yaxis="y")
        data += click + [dict(t) for q in parts for t in q.map_path] + points
    if show3d:
        data += [_surface_trace(grids)] + [dict(t) for q in parts for t in q.scene_path] + _scene_minima(grids)
    # the end marks: still traces in a still, moving ones (shown from their step on) when animated
    ends = [dict(t) for q in parts for t in q.map_end]
    _separate_labels(ends, grids.domain, presentation)
    ends3d = [dict(t) for q in parts for t in q.scene_end]
    _separate_scene_labels(ends3d, grids.domain)
    if not animated:
        data += ends + ends3d
    if show2d and not animated:  # a still: a vector contour (it vanishes only when animated)
        data.insert(0, contour_trace(grids))
    layout = figure_layout(grids, show2d, show3d, presentation=presentation, title=title, image=animated)
    frames: list[dict] = []
    if animated:
        first = len(data)
        data += [dict(t) for q in parts for t in q.trails]
        data += [dict(q.markers[v]) for v in range(len(setup.views)) for q in parts]
        data += ends + ends3d
        frames = race_frames(parts, setup, first, ends + ends3d)
        beside = layout["scene"]["domain"]["x"][0] if show2d and show3d else None
        layout.update(animation_controls(frames, n_steps, speed, show3d, presentation, beside))
    _keep_selection_look(data)
    for overlay in overlays:
        overlay.attach(data, layout, frames, paths, frame_steps(n_steps, max_frames) if animated else [n_steps],
                       presentation=presentation, animated=animated)
    if panel is not None:
        panel.attach(data, layout, frames, paths, frame_steps(n_steps, max_frames) if animated else [n_steps],
                     presentation=presentation, animated=animated)
    if raw:
        return dict(data=data, layout=layout, frames=frames)
    return RaceFigure(data, layout, frames)


# --- loss per step ---------------------------------------------------------------

def _loss_values(p: PathView, shift: float | None, log: bool, floor: float) -> np.ndarray:
    y = p.loss - shift if shift is not None else p.loss.astype(float)
    return np.maximum(y, floor) if log else y   # a log axis cannot show 0: floor at round-off


def loss_floor(paths: list[PathView], minimum: float | None) -> float:
    """Where a log axis draws a gap f − f* it cannot show. With f* = 0 the gap
    is f itself, exact down to the smallest double: only an exact 0 needs the
    floor, which sits below every positive gap (and at most 1e-16 of the
    largest loss). With f* ≠ 0 a gap below 1e-16·|f*| is the subtraction's
    round-off: those points are drawn at that floor. Either way every other
    point is drawn at its computed value, and a floored point says so."""
    finite = [p.loss[np.isfinite(p.loss)] for p in paths]
    calm = [v for p, v in zip(paths, finite) if not p.ended] or finite   # a blow-up sets no floor
    scale = max([float(np.max(np.abs(v))) for v in calm if len(v)] + [1.0])
    if minimum:
        return 1e-16 * abs(minimum)
    gaps = [v - (minimum or 0.0) for v in finite]
    positive = [float(np.min(g[g > 0])) for g in gaps if np.any(g > 0)]
    return min([1e-16 * scale] + positive)


def _loss_range(curves: list[tuple[PathView, np.ndarray]], log: bool) -> list[float] | None:
    """A y-range that fits every run that did not blow up, and each blown-up
    run's start: a diverging run must not squash the others into a line."""
    keep = [y if not p.ended else y[:1] for p, y in curves if len(y)]
    if not keep:
        return None
    v = np.concatenate(keep)
    v = v[np.isfinite(v)]
    if log:
        v = np.log10(v[v > 0]) if np.any(v > 0) else np.zeros(1)
        lo, hi = float(v.min()), float(v.max())
        pad = max(0.1 * (hi - lo), 0.3)
        return [lo - pad, hi + pad]
    lo, hi = float(v.min()), float(v.max())
    pad = max(0.05 * (hi - lo), 1e-9 * max(abs(lo), abs(hi), 1.0))
    return [lo - pad, hi + pad]


def loss_figure(paths: list[PathView], *, log: bool = True, presentation: bool = False,
                minimum: float | None = None, raw: bool = False) -> go.Figure | dict:
    """Loss against step for every racer. On a log axis the curve shows
    ``f - f*`` when the surface's minimum value is known (so it can reach 0).
    Values stay float64 (a loss of 1e48 overflows float32), diverged runs end
    in a ✕, and a run with nothing finite to plot says so. ``raw=True`` returns
    the plain figure dict, unvalidated (as ``trajectory_figure``'s: the app serves
    it through ``figures.prepared``; building and copying a ``go.Figure`` cost
    about a third of a new learning rate's figure work)."""
    fs, ts = font_size(presentation), tick_size(presentation)
    if minimum is None:  # unbounded below (the saddle): a log axis would hide the lesson
        log = False
    shift = minimum if log else None
    floor = loss_floor(paths, shift) if log else 0.0
    curves = [(p, _loss_values(p, shift, log, floor)) for p in paths]
    yrange = _loss_range(curves, log)
    data, notes = [], []
    for p, y in curves:
        if not len(y):
            notes.append(f"{p.label}: no finite loss to plot")
            continue
        trace = dict(type="scatter", x=np.arange(len(y), dtype=np.int32), y=y.astype(np.float64),
                     mode="lines", name=p.label, meta=dict(role="loss", racer=p.index),
                     line=dict(color=p.colour, width=line_width(p.index, len(paths), presentation),
                               dash=dash(p.index)),
                     hovertemplate=f"{p.label}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>")
        if log:
            trace["meta"]["floor"] = floor
            low = y <= floor
            if low.any():   # a log axis cannot show 0: say what the floor stands for
                trace["text"] = np.where(p.loss - shift <= 0, "= 0 or below (drawn at the floor)",
                                         np.where(low, f"≤ {floor:.3g} (drawn at the floor)", "")).tolist()
                trace["hovertemplate"] = f"{p.label}<br>step %{{x}}<br>%{{y:.4g}} %{{text}}<extra></extra>"
        data.append(trace)
        if p.ended:
            # the mark on the chart's edge when its loss lies beyond the range (a run that blew
            # up, or escaped downhill); the label runs towards the middle: never cut at an edge
            lo, hi = yrange if yrange else (y[-1], y[-1])
            at = float(np.clip(np.log10(y[-1]) if log else y[-1], lo, hi)) if np.isfinite(y[-1]) else hi
            steps = max(max(len(q.loss) for q in paths) - 1, 1)
            data.append(dict(type="scatter", x=[len(y) - 1], y=[10 ** at if log else at],
                             mode="markers+text", marker=dict(symbol="x", size=14, color=p.colour),
                             text=[p.end_text], cliponaxis=False,
                             textposition=("bottom " if at > (lo + hi) / 2 else "top ")
                             + ("right" if len(y) - 1 < steps / 2 else "left"),
                             textfont=dict(color=p.colour, size=ts), showlegend=False, hoverinfo="skip",
                             meta=dict(role="end", racer=p.index, step=p.end_step)))
    ytitle = ("f − f*" if shift is not None else "f") + (" (log scale)" if log else "")
    yaxis = dict(title=dict(text=ytitle), type="log" if log else "linear", exponentformat="power",
                 tickfont=dict(size=ts))
    if yrange:
        yaxis["range"] = yrange
    layout = dict(
        height=300 if presentation else 300, font=dict(size=fs),
        margin=dict(l=60, r=20, t=30, b=40),
        xaxis=dict(title=dict(text="step"), tickfont=dict(size=ts)), yaxis=yaxis,
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, font=dict(size=ts)),
        hovermode="x unified",
    )
    if notes:
        layout["annotations"] = [dict(text=t, xref="paper", yref="paper", x=0.5, y=0.5 - 0.1 * i, showarrow=False,
                                      font=dict(size=fs)) for i, t in enumerate(notes)]
    return dict(data=data, layout=layout) if raw else go.Figure(dict(data=data, layout=layout))
