"""Animated contour and 3-D views of trajectories, and the loss-per-step plot.

Figures are built from arrays (no Streamlit here). Animation frames carry only
what moves: one marker trace per view holding every optimizer's current point.
Full paths are drawn once. Arrays go in as float32 NumPy arrays, which plotly
serializes as compact base64 typed arrays.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from landscapes import Surface

from .raster import contour_image
from .style import SPEEDS, colour, figure_height, font_size

MAX_FRAMES = 200
GRID = 120          # surface grid resolution per axis
IMAGE = 360        # pixels per axis of the contour picture
CLICK_GRID = 60     # invisible click targets per axis (about 8 px apart or more)


@dataclass(frozen=True)
class PathView:
    """One optimizer's trajectory ready to draw: only its finite points."""

    label: str
    colour: str
    xy: np.ndarray        # (n, 2)
    loss: np.ndarray      # (n,)
    status: str = ""

    @classmethod
    def from_trajectory(cls, label: str, index: int, positions: np.ndarray, losses: np.ndarray,
                        status: str = "") -> "PathView":
        ok = np.all(np.isfinite(positions), axis=-1) & np.isfinite(losses)
        n = int(np.argmin(ok)) if not ok.all() else len(ok)
        return cls(label, colour(index), positions[:n].copy(), losses[:n].copy(), status)


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


def frame_steps(n_steps: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """At most ``max_frames`` step indices from 0 to ``n_steps``, evenly spread."""
    count = min(n_steps + 1, max_frames)
    return np.unique(np.round(np.linspace(0, n_steps, count)).astype(int))


def _f32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def _with_gaps(z: np.ndarray):
    """float32 values, or (where a typed formula is undefined) nested lists
    with None there: a gap in the 3-D surface, and no NaN in the figure."""
    if np.all(np.isfinite(z)):
        return _f32(z)
    return [[float(v) if np.isfinite(v) else None for v in row] for row in _f32(z)]


def _at_step(path: PathView, step: int) -> tuple[float, float, float]:
    i = min(step, len(path.xy) - 1)
    return path.xy[i, 0], path.xy[i, 1], path.loss[i]


def trajectory_figure(
    surface: Surface,
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
    image_px: int = IMAGE,
    raw: bool = False,
) -> go.Figure | dict:
    """The contour map and/or the 3-D surface with every path, animated.

    ``view`` is "2d", "3d" or "both" (side by side, one animation drives both).
    ``raw=True`` returns the same figure as a plain dict, unvalidated (validating
    200 frames is ~90% of the build time; the app serves the dict).
    """
    show2d, show3d = view in ("2d", "both"), view in ("3d", "both")
    xs, ys, z = surface.grid(GRID)
    disp = Display.for_surface(surface, z)
    zd = disp(z)
    zlo, zhi = float(np.nanmin(zd)), float(np.nanquantile(zd, 0.995))
    (x0, x1), (y0, y1) = surface.domain
    fs = font_size(presentation)
    data: list[dict] = []
    moving: list[int] = []

    if show2d:
        if click_grid:
            gx, gy = np.meshgrid(np.linspace(x0, x1, CLICK_GRID), np.linspace(y0, y1, CLICK_GRID))
            with np.errstate(all="ignore"):
                gz = disp(surface.f(np.stack([gx, gy], axis=-1)))
            defined = np.isfinite(gz).ravel()  # no start targets where a formula is undefined
            data.append(dict(
                type="scatter", x=_f32(gx.ravel()[defined]), y=_f32(gy.ravel()[defined]), mode="markers",
                marker=dict(size=10, opacity=0, color="white"), showlegend=False,
                customdata=_f32(gz.ravel()[defined]), name="click to start here",
                hovertemplate=(f"(%{{x:.2f}}, %{{y:.2f}})<br>{disp.label} = %{{customdata:.4g}}"
                               "<br>click to start here<extra></extra>"),
                xaxis="x", yaxis="y",
            ))
        for i, p in enumerate(paths):
            data.append(dict(
                type="scatter", x=_f32(p.xy[:, 0]), y=_f32(p.xy[:, 1]), mode="lines+markers",
                meta=dict(racer=i),
                line=dict(color=p.colour, width=3 if presentation else 2),
                marker=dict(size=3, color=p.colour), name=p.label, legendgroup=p.label,
                hovertemplate=f"{p.label}<br>step %{{pointNumber}}<br>(%{{x:.4f}}, %{{y:.4f}})<extra></extra>",
                xaxis="x", yaxis="y",
            ))
        data.append(dict(
            type="scatter", x=[start[0]], y=[start[1]], mode="markers", name="start",
            marker=dict(symbol="circle", size=16 if presentation else 12, color="white",
                        line=dict(color="black", width=2)),
            hovertemplate="start (%{x:.3f}, %{y:.3f})<extra></extra>", xaxis="x", yaxis="y",
        ))
        if surface.minima:
            data.append(dict(
                type="scatter", x=[m.x for m in surface.minima], y=[m.y for m in surface.minima],
                mode="markers", name="minima",
                marker=dict(symbol="star", size=18 if presentation else 14, color="white",
                            line=dict(color="black", width=1)),
                text=[f"{m.kind} minimum{' (found numerically)' if m.found else ''} f={m.value:.6g}"
                      for m in surface.minima],
                hovertemplate="%{text}<br>(%{x:.4f}, %{y:.4f})<extra></extra>", xaxis="x", yaxis="y",
            ))
        if surface.saddles:
            data.append(dict(
                type="scatter", x=[m.x for m in surface.saddles], y=[m.y for m in surface.saddles],
                mode="markers", name="saddle point",
                marker=dict(symbol="x", size=14, color="white", line=dict(color="black", width=1)),
                hovertemplate="saddle point (%{x:.3f}, %{y:.3f})<extra></extra>", xaxis="x", yaxis="y",
            ))

    if show3d:
        data.append(dict(
            type="surface", x=_f32(xs), y=_f32(ys), z=_with_gaps(np.clip(zd, zlo, zhi)),
            colorscale="Viridis", showscale=False, opacity=0.85, name="surface", scene="scene",
            hovertemplate=f"x=%{{x:.3f}}<br>y=%{{y:.3f}}<br>{disp.label}=%{{z:.4g}}<extra></extra>",
            contours=dict(z=dict(show=True, usecolormap=True, project=dict(z=False), width=1)),
        ))
        lift = 0.015 * (zhi - zlo)
        for p in paths:
            px, py, pz = _scene_points(p.xy, disp(p.loss) + lift, surface.domain, zlo, zhi)
            data.append(dict(
                type="scatter3d", x=px, y=py, z=pz, mode="lines",
                line=dict(color=p.colour, width=9 if presentation else 7), name=p.label,
                legendgroup=p.label, showlegend=not show2d, scene="scene",
                hovertemplate=f"{p.label}<br>(%{{x:.3f}}, %{{y:.3f}})<extra></extra>",
            ))
        if surface.minima:
            data.append(dict(
                type="scatter3d", x=[m.x for m in surface.minima], y=[m.y for m in surface.minima],
                z=[float(disp(m.value)) + lift for m in surface.minima], mode="markers",
                marker=dict(symbol="diamond", size=5, color="white", line=dict(color="black", width=1)),
                name="minima", showlegend=False, scene="scene", hoverinfo="skip",
            ))

    # The moving markers: one single-point trace per optimizer and view, last in
    # the list, updated by the frames. (One trace holding every optimizer's point
    # with a colour array loses its colours while plotly.js animates.)
    steps = frame_steps(n_steps, max_frames)
    size = 16 if presentation else 12
    lift3 = 0.02 * (zhi - zlo)

    def point(p: PathView, step: int, three_d: bool) -> dict:
        x, y, loss = _at_step(p, step)
        d = dict(x=[float(x)], y=[float(y)])
        if three_d:
            d["z"] = [float(np.clip(disp(loss) + lift3, zlo, zhi + 0.05 * (zhi - zlo)))]
        return d

    views = ([False] if show2d else []) + ([True] if show3d else [])
    first = []
    for three_d in views:
        for p in paths:
            style = dict(size=size // 2 if three_d else size, color=p.colour,
                         line=dict(color="white", width=2))
            trace = dict(type="scatter3d" if three_d else "scatter", mode="markers", marker=style,
                         name=f"now: {p.label}", legendgroup=p.label, showlegend=False,
                         hovertemplate=f"{p.label} now<br>(%{{x:.4f}}, %{{y:.4f}})<extra></extra>",
                         **point(p, 0, three_d))
            trace.update(scene="scene") if three_d else trace.update(xaxis="x", yaxis="y")
            first.append(trace)
    moving = list(range(len(data), len(data) + len(first)))
    data.extend(first)
    frames = [dict(name=str(int(s)), traces=moving,
                   data=[dict(type="scatter3d" if three_d else "scatter", **point(p, int(s), three_d))
                         for three_d in views for p in paths])
              for s in steps]

    # A click selects a point; plotly would then dim everything else until the
    # figure changes. Keep every 2-D trace as drawn (the click targets stay invisible).
    for t in data:
        if t["type"] == "scatter":
            o = 0 if t.get("name") == "click to start here" else 1
            t["selected"] = dict(marker=dict(opacity=o))
            t["unselected"] = dict(marker=dict(opacity=o))

    duration = int(SPEEDS.get(speed, SPEEDS["normal"]) * 1000)
    redraw = show3d  # 3-D markers only move with a full redraw
    play = dict(label="▶ Play", method="animate",
                args=[None, dict(frame=dict(duration=duration, redraw=redraw), fromcurrent=True,
                                 transition=dict(duration=0), mode="immediate")])
    pause = dict(label="❚❚ Pause", method="animate",
                 args=[[None], dict(frame=dict(duration=0, redraw=redraw), mode="immediate",
                                    transition=dict(duration=0))])
    slider = dict(
        active=0, x=0.2, len=0.8, y=0, yanchor="top", pad=dict(t=40 if presentation else 30),
        currentvalue=dict(prefix="step ", font=dict(size=fs, color="#888888"), xanchor="right"),
        # up to 200 tick labels would be an unreadable band: the current value says it
        font=dict(color="rgba(0,0,0,0)"), ticklen=0, minorticklen=0,
        steps=[dict(label=str(int(s)), method="animate",
                    args=[[str(int(s))], dict(mode="immediate", frame=dict(duration=0, redraw=redraw),
                                              transition=dict(duration=0))]) for s in steps],
    )
    layout: dict = dict(
        height=figure_height(presentation),
        font=dict(size=fs),
        margin=dict(l=60, r=20, t=60 if title else 30, b=40),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, font=dict(size=fs)),
        updatemenus=[dict(type="buttons", direction="left", x=0, y=0, xanchor="left", yanchor="top",
                          pad=dict(t=40 if presentation else 30, r=10), showactive=False,
                          buttons=[play, pause])],
        sliders=[slider],
        hovermode="closest",
        uirevision=surface.name,
    )
    if title:  # above the legend, which sits just over the plot
        layout["title"] = dict(text=title, x=0.01, y=0.98, yref="container", yanchor="top")
        layout["margin"]["t"] = 110 if presentation else 90
    split = 0.5 if (show2d and show3d) else 1.0
    if show2d:
        xi, yi, zi = surface.grid(image_px)
        layout["images"] = [dict(
            source=contour_image(disp(zi), zlo, zhi), xref="x", yref="y", x=x0, y=y1,
            sizex=x1 - x0, sizey=y1 - y0, sizing="stretch", layer="below", opacity=1.0,
        )]
        axis = dict(showgrid=False, zeroline=False, tickfont=dict(size=fs), nticks=6 if presentation else 9)
        layout["xaxis"] = dict(range=[x0, x1], domain=[0, split - (0.03 if show3d else 0)],
                               title=dict(text="x", font=dict(size=fs)), constrain="domain", **axis)
        layout["yaxis"] = dict(range=[y0, y1], title=dict(text="y", font=dict(size=fs)),
                               scaleanchor="x", scaleratio=1, constrain="domain", **axis)
    if show3d:
        tick3 = dict(tickfont=dict(size=max(10, int(fs * 0.6))), nticks=5)
        title3 = dict(size=max(11, int(fs * 0.75)))
        layout["scene"] = dict(
            domain=dict(x=[split if show2d else 0, 1], y=[0, 1]),
            xaxis=dict(range=[x0, x1], title=dict(text="x", font=title3), **tick3),
            yaxis=dict(range=[y0, y1], title=dict(text="y", font=title3), **tick3),
            zaxis=dict(range=[zlo, zhi + 0.05 * (zhi - zlo)], title=dict(text=disp.label, font=title3),
                       **tick3),
            aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.7),
            camera=dict(eye=dict(x=-1.5, y=-1.5, z=1.1)),
        )
    fig = dict(data=data, layout=layout, frames=frames)
    return fig if raw else go.Figure(fig)


def _scene_points(xy, zz, domain, zlo, zhi):
    """The path up to where it first leaves the plotted box (3-D scenes do not
    clip, and gaps would need NaN, which never goes into a figure)."""
    (x0, x1), (y0, y1) = domain
    inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
    inside &= np.isfinite(zz)
    n = len(inside) if inside.all() else int(np.argmin(inside))
    pz = np.clip(zz[:n], zlo, zhi + 0.05 * (zhi - zlo))
    return _f32(xy[:n, 0]), _f32(xy[:n, 1]), _f32(pz)


def loss_figure(paths: list[PathView], *, log: bool = True, presentation: bool = False,
                minimum: float | None = None) -> go.Figure:
    """Loss against step for every optimizer. On a log axis the curve shows
    ``f - f*`` when the surface's minimum value is known (so it can reach 0)."""
    fs = font_size(presentation)
    if minimum is None:  # unbounded below (the saddle): a log axis would hide the lesson
        log = False
    shift = minimum if log else None
    scale = max([float(np.max(np.abs(p.loss))) for p in paths if len(p.loss)] + [1.0])
    floor = 1e-16 * scale
    data = []
    for p in paths:
        y = p.loss - shift if shift is not None else p.loss.copy()
        if log:  # a log axis cannot show 0: floor at round-off level
            y = np.maximum(y, floor)
        data.append(dict(type="scatter", x=np.arange(len(y), dtype=np.int32), y=_f32(y), mode="lines",
                         name=p.label, line=dict(color=p.colour, width=3 if presentation else 2),
                         hovertemplate=f"{p.label}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>"))
    ytitle = ("f − f*" if shift is not None else "f") + (" (log scale)" if log else "")
    layout = dict(
        height=380 if presentation else 300, font=dict(size=fs),
        margin=dict(l=60, r=20, t=30, b=40),
        xaxis=dict(title=dict(text="step")),
        yaxis=dict(title=dict(text=ytitle), type="log" if log else "linear", exponentformat="power"),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
        hovermode="x unified",
    )
    return go.Figure(dict(data=data, layout=layout))
