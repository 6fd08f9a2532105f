"""Hyperparameter views: learning-rate sweep, heat map, basin map, predicted rate.

Built from arrays (no Streamlit). Nothing non-finite goes into a figure: a
diverged run has no final loss, so it is drawn as a marker on a ceiling line,
a distinct colour or a class of its own, never as NaN. Clicks: Streamlit only
forwards *selections* of scatter points (not heatmap clicks), so every map
carries an invisible scatter grid of click targets and every trace that can be
clicked has ``meta`` saying what a click on it sets (see ``pick``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from .style import colour, figure_height, font_size

DIVERGED_COLOUR = "#D62728"      # not in viridis: a diverged cell cannot be mistaken for a value
NONE_COLOUR = "#B0B0B0"
CLASS_COLOURS = {"too small": "#9ecae1", "good": "#74c476", "too large": "#fdae6b",
                 "diverging": DIVERGED_COLOUR, "escaped": "#bcbddc"}
# Basin colours: distinct from the racers' palette so a map is not read as a path.
BASIN_PALETTE = ("#1b9e77", "#7570b3", "#e6ab02", "#66a61e", "#a6761d", "#1f78b4", "#e7298a",
                 "#b2df8a", "#fb9a99", "#cab2d6")


def _f32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def _f64(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _keep_drawn(data: list[dict]) -> None:
    """A selection would dim the other points until the figure changes: keep
    every trace as drawn (click targets stay invisible)."""
    for t in data:
        if t["type"] == "scatter":
            o = 0 if (t.get("meta") or {}).get("target") else 1
            t["selected"] = dict(marker=dict(opacity=o))
            t["unselected"] = dict(marker=dict(opacity=o))


@dataclass(frozen=True)
class SweepLine:
    """One optimizer's sweep ready to draw."""

    label: str
    index: int                  # racer index (its colour, and what a click sets)
    lrs: np.ndarray
    final_loss: np.ndarray      # NaN where the run blew up
    converged_at: np.ndarray    # -1 for never
    ranges: tuple               # ((class, lr_low, lr_high), ...)
    current_lr: float
    bound: float | None = None  # stability bound (quadratic surfaces), None otherwise


def _gap(values: np.ndarray, minimum: float | None, log: bool, floor: float) -> np.ndarray:
    y = values - minimum if minimum is not None else values.copy()
    return np.maximum(y, floor) if log else y


def sweep_figure(lines: list[SweepLine], *, minimum: float | None = None, presentation: bool = False,
                 title: str | None = None) -> go.Figure:
    """Final loss and steps to converge against the learning rate (log axes),
    one strip per optimizer shaded by the range each rate falls in, each
    racer's current rate as a dashed line, and the stability bound where the
    theory gives one. Clicking a point sets that racer's rate."""
    fs = font_size(presentation)
    log = minimum is not None  # unbounded below: no log axis
    finite = np.concatenate([ln.final_loss[np.isfinite(ln.final_loss)] for ln in lines] + [np.zeros(0)])
    scale = max(float(np.max(np.abs(finite))) if finite.size else 1.0, 1e-300)
    floor = 1e-16 * max(scale, 1.0) if log else 0.0
    gaps = _gap(finite, minimum, log, floor) if finite.size else np.ones(1)
    ceiling = float(np.max(gaps)) * 10 if log else float(np.max(gaps)) + 0.1 * (float(np.ptp(gaps)) or 1.0)
    data: list[dict] = []
    for ln in lines:
        c = colour(ln.index)
        ok = np.isfinite(ln.final_loss)
        y = _gap(ln.final_loss[ok], minimum, log, floor)
        data.append(dict(type="scatter", x=_f64(ln.lrs[ok]), y=_f64(y), mode="lines+markers",
                         name=ln.label, legendgroup=ln.label, line=dict(color=c, width=2),
                         marker=dict(size=5, color=c), xaxis="x", yaxis="y",
                         meta=dict(racer=ln.index, kind="sweep"),
                         hovertemplate=f"{ln.label}<br>lr %{{x:.4g}}<br>final %{{y:.4g}}"
                                       "<br>click to use this rate<extra></extra>"))
        if (~ok).any():
            bad = ln.lrs[~ok]
            data.append(dict(type="scatter", x=_f64(bad), y=np.full(len(bad), ceiling), mode="markers",
                             name=f"{ln.label}: diverged", legendgroup=ln.label, showlegend=False,
                             marker=dict(symbol="x-thin", size=7, color=c, line=dict(color=c, width=1.5)),
                             xaxis="x", yaxis="y", meta=dict(racer=ln.index, kind="sweep"),
                             hovertemplate=f"{ln.label}<br>lr %{{x:.4g}}<br>diverged or escaped"
                                           "<extra></extra>"))
        conv = ln.converged_at >= 0
        if conv.any():
            data.append(dict(type="scatter", x=_f64(ln.lrs[conv]), y=_f64(ln.converged_at[conv]),
                             mode="markers", name=f"{ln.label}: steps", legendgroup=ln.label,
                             showlegend=False, marker=dict(size=5, color=c), xaxis="x", yaxis="y2",
                             meta=dict(racer=ln.index, kind="sweep"),
                             hovertemplate=f"{ln.label}<br>lr %{{x:.4g}}<br>converged at step %{{y}}"
                                           "<extra></extra>"))
    # status strips: one row per optimizer
    seen: set[str] = set()
    for row, ln in enumerate(lines):
        for cls, lo, hi in ln.ranges:
            data.append(dict(type="scatter", x=_f64([lo, hi, hi, lo, lo]),
                             y=_f64([row - 0.4, row - 0.4, row + 0.4, row + 0.4, row - 0.4]),
                             fill="toself", fillcolor=CLASS_COLOURS.get(cls, NONE_COLOUR), mode="lines",
                             line=dict(width=0), name=cls, legendgroup=f"class:{cls}",
                             showlegend=cls not in seen, xaxis="x", yaxis="y3",
                             hovertemplate=f"{ln.label}: {cls}<br>lr %{{x:.4g}}<extra></extra>",
                             hoveron="fills+points"))
            seen.add(cls)
    shapes, annotations = [], []
    for j, ln in enumerate(lines):
        c = colour(ln.index)
        if np.isfinite(ln.current_lr) and ln.current_lr > 0:
            shapes.append(dict(type="line", xref="x", yref="paper", x0=ln.current_lr, x1=ln.current_lr,
                               y0=0, y1=1, line=dict(color=c, width=2, dash="dash")))
        if ln.bound is not None and np.isfinite(ln.bound):
            shapes.append(dict(type="line", xref="x", yref="paper", x0=ln.bound, x1=ln.bound, y0=0, y1=1,
                               line=dict(color=DIVERGED_COLOUR, width=2, dash="dot")))
            annotations.append(dict(xref="x", yref="paper", x=float(np.log10(ln.bound)), y=1.0 + 0.035 * j,
                                    text=f"{ln.label}: stable below {ln.bound:.3g}", showarrow=False,
                                    xanchor="right", yanchor="bottom", font=dict(color=DIVERGED_COLOUR,
                                                                                 size=fs - 2)))
    lo = min(float(ln.lrs[0]) for ln in lines)
    hi = max(float(ln.lrs[-1]) for ln in lines)
    _keep_drawn(data)
    layout = dict(
        height=figure_height(presentation), font=dict(size=fs), margin=dict(l=70, r=20, t=50 + 14 * len(lines), b=50),
        title=dict(text=title) if title else None,
        xaxis=dict(type="log", title=dict(text="learning rate (log scale)"), exponentformat="power",
                   range=[np.log10(lo), np.log10(hi)], anchor="y3"),
        yaxis=dict(domain=[0.45, 1.0], type="log" if log else "linear", exponentformat="power",
                   title=dict(text=("final f − f*" if minimum is not None else "final f")
                              + (" (log)" if log else ""))),
        yaxis2=dict(domain=[0.2, 0.4], title=dict(text="steps to converge"), rangemode="tozero"),
        yaxis3=dict(domain=[0.0, 0.15], tickvals=list(range(len(lines))),
                    ticktext=[ln.label for ln in lines], range=[-0.5, len(lines) - 0.5],
                    showgrid=False, zeroline=False),
        legend=dict(orientation="h", y=-0.12, yanchor="top", x=0),
        shapes=shapes, annotations=annotations, hovermode="closest", dragmode="zoom",
    )
    return go.Figure(dict(data=data, layout=layout))


def _click_grid(xs: np.ndarray, ys: np.ndarray, n: int, kind: str, log_x: bool, label: str) -> dict:
    """An invisible scatter grid of at most n × n click targets over a map."""
    def thin(v):
        if len(v) <= n:
            return v
        return v[np.unique(np.round(np.linspace(0, len(v) - 1, n)).astype(int))]
    gx, gy = np.meshgrid(thin(xs), thin(ys))
    xfmt = "%{x:.4g}" if log_x else "%{x:.3f}"
    return dict(type="scatter", x=_f64(gx.ravel()), y=_f64(gy.ravel()), mode="markers",
                marker=dict(size=10, opacity=0, color="white"), showlegend=False,
                name=label, meta=dict(kind=kind, target=True),
                hovertemplate=f"({xfmt}, %{{y:.3f}})<br>{label}<extra></extra>")


def heatmap_figure(lrs: np.ndarray, values: np.ndarray, final_loss: np.ndarray, status: np.ndarray, *,
                   axis: str, optimizer: str, minimum: float | None = None,
                   current: tuple[float, float] | None = None, presentation: bool = False,
                   title: str | None = None) -> go.Figure:
    """Final loss over learning rate (log) × ``axis`` (momentum or beta1).
    Colour is log₁₀(final f − f*) where the minimum is known; diverged or
    escaped cells are red; the current setting is a white star."""
    fs = font_size(presentation)
    ok = np.isfinite(final_loss)
    log = minimum is not None
    z = np.zeros(final_loss.shape)
    if ok.any():
        if log:
            gap = np.maximum(final_loss[ok] - minimum, 0.0)
            floor = 1e-16 * max(float(np.max(np.abs(final_loss[ok]))), 1.0)
            z[ok] = np.log10(np.maximum(gap, floor))
        else:
            z[ok] = final_loss[ok]
        z[~ok] = float(np.max(z[ok]))
    zlab = "log₁₀(final f − f*)" if log else "final f"
    status_text = np.where(ok, np.asarray(status, dtype=object), "diverged or escaped")
    data = [
        dict(type="heatmap", x=_f64(lrs), y=_f64(values), z=_f64(z), colorscale="Viridis",
             colorbar=dict(title=dict(text=zlab)), text=status_text.tolist(),
             hovertemplate=f"lr %{{x:.4g}}<br>{axis} %{{y:.3f}}<br>{zlab} %{{z:.3g}}<br>%{{text}}<extra></extra>"),
        dict(type="heatmap", x=_f64(lrs), y=_f64(values), z=(~ok).astype(np.int8), showscale=False,
             colorscale=[[0, "rgba(0,0,0,0)"], [1, DIVERGED_COLOUR]], zmin=0, zmax=1, hoverinfo="skip"),
        _click_grid(lrs, values, 60, "heatmap", True, f"click to use this lr and {axis}"),
    ]
    if current is not None and np.all(np.isfinite(current)):
        data.append(dict(type="scatter", x=[float(current[0])], y=[float(current[1])], mode="markers",
                         name="current setting", showlegend=False,
                         marker=dict(symbol="star", size=18, color="white", line=dict(color="black", width=1.5)),
                         hovertemplate=f"current: lr %{{x:.4g}}, {axis} %{{y:.3f}}<extra></extra>"))
    _keep_drawn(data)
    n_div = int((~ok).sum())
    note = f"red: diverged or escaped ({n_div} of {ok.size})"
    layout = dict(
        height=figure_height(presentation), font=dict(size=fs), margin=dict(l=70, r=20, t=60, b=50),
        title=dict(text=(title + "<br>" if title else "") + f"<sup>{optimizer}: {note}</sup>"),
        xaxis=dict(type="log", title=dict(text="learning rate (log scale)"), exponentformat="power"),
        yaxis=dict(title=dict(text=axis)), hovermode="closest", dragmode="zoom",
    )
    return go.Figure(dict(data=data, layout=layout))


def basin_figure(xs: np.ndarray, ys: np.ndarray, basin: np.ndarray, blew_up: np.ndarray,
                 minima: list[tuple[float, float]], start: tuple[float, float], *,
                 presentation: bool = False, title: str | None = None) -> go.Figure:
    """Each start point coloured by the minimum its run reaches; dark grey for
    diverged or escaped runs, light grey for runs that reach no known minimum.
    Minima are stars, the current start a ring. A click starts the race there."""
    fs = font_size(presentation)
    n = len(minima)
    code = np.where(blew_up, 0, np.where(basin < 0, 1, basin + 2)).astype(np.int16)
    colours = ["#404040", NONE_COLOUR] + [BASIN_PALETTE[i % len(BASIN_PALETTE)] for i in range(n)]
    k = len(colours)
    scale = []
    for i, c in enumerate(colours):  # a discrete colour scale: one flat band per code
        scale += [[i / k, c], [(i + 1) / k, c]]
    labels = ["diverged/escaped", "no minimum"] + [f"min {i + 1} ({x:.3g}, {y:.3g})"
                                                    for i, (x, y) in enumerate(minima)]
    counts = np.bincount(code.ravel(), minlength=k)
    data = [
        dict(type="heatmap", x=_f64(xs), y=_f64(ys), z=code, zmin=-0.5, zmax=k - 0.5, colorscale=scale,
             colorbar=dict(tickvals=list(range(k)), ticktext=[f"{lab}: {c}" for lab, c in zip(labels, counts)]),
             hovertemplate="start (%{x:.3f}, %{y:.3f})<extra></extra>"),
        _click_grid(xs, ys, 60, "basin", False, "click to start the race here"),
    ]
    if minima:
        mx, my = zip(*minima)
        data.append(dict(type="scatter", x=_f64(mx), y=_f64(my), mode="markers", name="minima",
                         marker=dict(symbol="star", size=16, color="white", line=dict(color="black", width=1.5)),
                         hovertemplate="minimum (%{x:.4g}, %{y:.4g})<extra></extra>", showlegend=False))
    if np.all(np.isfinite(start)):
        data.append(dict(type="scatter", x=[float(start[0])], y=[float(start[1])], mode="markers",
                         name="start", showlegend=False,
                         marker=dict(symbol="circle-open", size=16, color="white", line=dict(width=3)),
                         hovertemplate="current start (%{x:.4g}, %{y:.4g})<extra></extra>"))
    _keep_drawn(data)
    layout = dict(
        height=figure_height(presentation), font=dict(size=fs), margin=dict(l=60, r=20, t=50, b=50),
        title=dict(text=title) if title else None,
        xaxis=dict(title=dict(text="start x"), range=[float(xs[0]), float(xs[-1])], constrain="domain"),
        yaxis=dict(title=dict(text="start y"), range=[float(ys[0]), float(ys[-1])], scaleanchor="x",
                   constrain="domain"),
        hovermode="closest", dragmode="zoom",
    )
    return go.Figure(dict(data=data, layout=layout))


def predicted_rate_trace(n_steps: int, gap0: float, rate: float, *, colour_: str, label: str,
                         floor: float) -> dict | None:
    """A dashed line (f₀ − f*)·ρ²ᵏ for a loss plot: the loss gap shrinks by
    the square of the distance's per-step rate ρ. Drawn until it falls below
    ``floor`` (the loss plot's floor); None when there is nothing to draw."""
    if not (np.isfinite(gap0) and gap0 > 0 and np.isfinite(rate) and 0 <= rate):
        return None
    k = np.arange(n_steps + 1, dtype=float)
    with np.errstate(all="ignore"):
        y = gap0 * np.power(rate, 2 * k) if rate > 0 else np.where(k == 0, gap0, 0.0)
    keep = np.isfinite(y) & (y >= floor) & (y <= 1e300)
    if keep.sum() < 2:
        return None
    n = int(np.argmin(keep)) if not keep.all() else len(keep)
    return dict(type="scatter", x=k[:n].astype(np.int32), y=_f64(y[:n]), mode="lines",
                name=label, line=dict(color=colour_, width=2, dash="dash"),
                hovertemplate=f"{label}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>")


def pick(event, fig) -> tuple[str, object] | None:
    """What a selection on one of these figures picked: ``("sweep", (racer, lr))``,
    ``("heatmap", (lr, value))`` or ``("basin", (x, y))``; None for no click and
    for an empty or unusable selection."""
    try:
        p = event["selection"]["points"][0]
        x, y = float(p["x"]), float(p["y"])
        meta = fig.data[int(p["curve_number"])].meta or {}
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if not (np.isfinite(x) and np.isfinite(y)):
        return None
    kind = meta.get("kind")
    if kind == "sweep" and x > 0:
        return "sweep", (int(meta["racer"]), float(f"{x:.4g}"))
    if kind == "heatmap" and x > 0:
        return "heatmap", (float(f"{x:.4g}"), round(y, 4))
    if kind == "basin":
        return "basin", (round(x, 4), round(y, 4))
    return None
