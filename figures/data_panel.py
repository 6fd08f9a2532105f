"""The data panel: a data surface's data set and each racer's model at one step.

Linear regression: the points (x, y) and each racer's line y = w x + b.
Classification (logistic regression, the network slice): the points coloured by
class and each racer's decision boundary, where the model's probability of
class 1 is 1/2 (a line through the origin for logistic regression, a curve for
the network). The least-squares / best model is drawn dashed for reference.
Built from arrays; no Streamlit here.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import colour, font_size

BOUNDARY_GRID = 80  # points per axis where the network's boundary is traced
CLASS_COLOURS = ("#7f7f7f", "#222222")
CLASS_SYMBOLS = ("circle", "x")


def _box(X: np.ndarray, pad: float = 0.15) -> tuple[tuple[float, float], tuple[float, float]]:
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    lo, hi = lo - pad * span, hi + pad * span
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def _line_in_box(w: np.ndarray, box) -> tuple[list, list]:
    """The segment of the line w·x = 0 inside ``box`` (empty for w = 0)."""
    (x0, x1), (y0, y1) = box
    if not np.all(np.isfinite(w)) or np.hypot(*w) == 0:
        return [], []
    d = np.array([-w[1], w[0]]) / np.hypot(*w)
    R = 2.0 * max(abs(x0), abs(x1), abs(y0), abs(y1))
    t = np.linspace(-R, R, 400)
    pts = t[:, None] * d
    inside = (pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)
    pts = pts[inside]
    return pts[:, 0].tolist(), pts[:, 1].tolist()


def data_panel_figure(surface, params: np.ndarray, labels: list[str], step: int, *,
                      presentation: bool = False, height: int = 420) -> go.Figure:
    """``params`` (K, 2): each racer's position at ``step`` (NaN rows: not drawn)."""
    data = surface.data
    fs = font_size(presentation)
    params = np.asarray(params, dtype=float).reshape(-1, 2)
    best = np.array([[surface.minima[0].x, surface.minima[0].y]]) if surface.minima else None
    traces = []
    if data.kind == "regression":
        x, y = data.X[:, 0], data.y
        traces.append(go.Scatter(x=x, y=y, mode="markers", name=f"data (N = {len(y)})",
                                 marker=dict(size=5, color=CLASS_COLOURS[0], opacity=0.6)))
        xs = np.array([x.min(), x.max()])
        if best is not None:
            traces.append(go.Scatter(x=xs, y=surface.predict(best, xs[:, None])[0], mode="lines",
                                     name="least-squares fit", line=dict(color="black", dash="dash")))
        for k, (p, label) in enumerate(zip(params, labels)):
            if np.all(np.isfinite(p)):
                traces.append(go.Scatter(x=xs, y=surface.predict(p[None], xs[:, None])[0], mode="lines",
                                         name=f"{label}: w = {p[0]:.3g}, b = {p[1]:.3g}",
                                         line=dict(color=colour(k), width=3)))
        lo, hi = float(y.min()), float(y.max())
        pad = 0.15 * (hi - lo + 1e-9)
        yrange = [lo - pad, hi + pad]
        xtitle, ytitle = "x", "y"
        xrange = None
    else:
        X, y = data.X, data.y
        box = _box(X)
        for c in (0, 1):
            sel = y == c
            traces.append(go.Scatter(x=X[sel, 0], y=X[sel, 1], mode="markers", name=f"class {c}",
                                     marker=dict(size=6, color=CLASS_COLOURS[c], symbol=CLASS_SYMBOLS[c],
                                                 opacity=0.7)))
        ok = [k for k, p in enumerate(params) if np.all(np.isfinite(p))]
        if surface.model == "linear classifier":
            for k in ok:
                lx, ly = _line_in_box(params[k], box)
                traces.append(go.Scatter(x=lx, y=ly, mode="lines", line=dict(color=colour(k), width=3),
                                         name=f"{labels[k]}: boundary"))
        else:  # trace p(class 1) = 1/2 on a grid
            gx = np.linspace(*box[0], BOUNDARY_GRID)
            gy = np.linspace(*box[1], BOUNDARY_GRID)
            pts = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
            if ok:
                prob = surface.predict(params[ok], pts).reshape(len(ok), BOUNDARY_GRID, BOUNDARY_GRID)
                for k, pk in zip(ok, prob):
                    traces.append(go.Contour(
                        x=gx, y=gy, z=pk, showscale=False, name=f"{labels[k]}: boundary",
                        contours=dict(start=0.5, end=0.5, size=1.0, coloring="none"),
                        line=dict(color=colour(k), width=3), showlegend=True, hoverinfo="skip"))
        xrange, yrange = list(box[0]), list(box[1])
        xtitle, ytitle = "x₁", "x₂"
    what = "fitted lines" if data.kind == "regression" else "decision boundaries (p = ½)"
    fig = go.Figure(traces)
    fig.update_layout(
        title=dict(text=f"Data and {what} at step {step}", font=dict(size=fs)),
        height=height, margin=dict(l=10, r=10, t=50, b=10), font=dict(size=fs),
        legend=dict(orientation="h", yanchor="top", y=-0.12, font=dict(size=max(10, fs - 2))),
        xaxis=dict(title=xtitle, range=xrange), yaxis=dict(title=ytitle, range=yrange),
        uirevision=surface.name,
    )
    return fig
