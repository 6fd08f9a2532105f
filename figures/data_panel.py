"""The data panel: a data surface's data set and each racer's model, drawn in
the race figure itself, on its own axes (``x3``/``y3``) at the figure's right.

Linear regression: the points (x, y) and each racer's line y = w x + b.
Classification (logistic regression, the network slice): the points marked by
class and each racer's decision boundary, where the model's probability of
class 1 is 1/2 (a line through the origin for logistic regression, a curve for
the network). Regression also shows the least-squares line, wide and grey,
under the racers' lines.

The racers' model traces are moved by the race's own animation frames (one
entry per racer in every frame, the model at that frame's step, where the
map's marker is), so Play, Pause and the step slider move the panel in
lock-step with the map. A frame carries only what moves: a line's two heights,
a logistic boundary's two ends (clipped to the panel's box), a network
boundary as polylines traced by marching squares on a coarse grid, simplified
to within a fraction of a pixel and rounded to the panel's resolution (pieces
separated by ``None``: no NaN in a figure). A run that stopped (diverged,
escaped) keeps its model at its last finite position, as its marker does.
Built from arrays; no Streamlit here.
"""
from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from landscapes import DataSurface

from .style import dash, font_size, line_width, tick_size

AXES = ("x3", "y3")     # the panel's axes in the race figure
SHARE = 0.26            # the panel's share of the figure's width, at its right
GAP = 0.07              # between the views and the panel (its y tick labels)
TOP = {False: 0.83, True: 0.7}   # the panel's top (of the plot height); its title and legend above
BOUNDARY_GRID = 40      # points per axis where a network's boundary is traced
SIMPLIFY = 0.003        # a traced boundary is kept within this share of the box's diagonal
BOUNDARY_POINTS = 20_000  # most points of all frames' boundaries (about 300 kB of JSON)
RESOLUTION = 400        # panel coordinates are rounded to 1/RESOLUTION of its box
CHUNK = 64              # models evaluated on the grid at once (memory: CHUNK x grid x 16 floats)
DATA_COLOUR = "#8c8c8c"  # a mid grey: readable on the light and the dark theme
CLASS_SYMBOLS = ("circle-open", "x-thin-open")
REFERENCE = "rgba(128, 128, 128, 0.45)"
_BIG = 1e30
# Traced network boundaries by surface and parameters, shared by every session
# (about 1 kB each: a few races' worth, ~6 MB): a figure in another view, or after
# one racer changed, traces only what it has not drawn before.
TRACED_ROWS = 6000
_TRACED: OrderedDict[tuple, list[np.ndarray]] = OrderedDict()
_TRACED_LOCK = threading.Lock()


def _box(X: np.ndarray, pad: float = 0.15) -> tuple[tuple[float, float], tuple[float, float]]:
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    lo, hi = lo - pad * span, hi + pad * span
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def _shorts(a) -> list[float]:
    """Finite numbers with 7 significant digits (huge values clipped)."""
    a = np.clip(np.nan_to_num(np.asarray(a, dtype=float), nan=0.0, posinf=_BIG, neginf=-_BIG), -_BIG, _BIG)
    return [float(f"{v:.7g}") for v in a.ravel()]


def lines_through_origin(w: np.ndarray, box) -> np.ndarray:
    """End points (M, 2, 2) of the segments of the lines w·x = 0 inside ``box``
    (NaN rows where a line misses the box or w = 0)."""
    w = np.asarray(w, dtype=float).reshape(-1, 2)
    norm = np.hypot(w[:, 0], w[:, 1])
    d = np.stack([-w[:, 1], w[:, 0]], axis=1) / np.where(norm > 0, norm, 1.0)[:, None]
    lo, hi = np.full(len(w), -np.inf), np.full(len(w), np.inf)
    ok = norm > 0
    for axis, (a, b) in enumerate(box):   # Liang-Barsky: where t*d lies in [a, b]
        di = d[:, axis]
        moving = di != 0
        with np.errstate(divide="ignore", invalid="ignore"):
            t1, t2 = a / di, b / di
        lo = np.where(moving, np.maximum(lo, np.minimum(t1, t2)), lo)
        hi = np.where(moving, np.minimum(hi, np.maximum(t1, t2)), hi)
        ok &= moving | ((a <= 0) & (0 <= b))
    ok &= hi > lo
    ends = np.stack([lo[:, None] * d, hi[:, None] * d], axis=1)
    ends[~ok] = np.nan
    return ends


@lru_cache(maxsize=4)
def _cell_edges(ny: int, nx: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row and column of every cell of an (ny, nx) grid and its four edges
    (bottom, right, top, left), numbered horizontal edges first."""
    i, j = np.meshgrid(np.arange(ny - 1), np.arange(nx - 1), indexing="ij")
    i, j = i.ravel(), j.ravel()
    n_h = ny * (nx - 1)
    E = np.stack([i * (nx - 1) + j, n_h + i * nx + j + 1, (i + 1) * (nx - 1) + j, n_h + i * nx + j], axis=1)
    return i, j, E


def contour_lines(gx: np.ndarray, gy: np.ndarray, V: np.ndarray) -> list[list[np.ndarray]]:
    """For each grid ``V[m]`` (M, ny, nx) sampled at ``gx`` (nx,) and ``gy``
    (ny,), the polylines (k, 2) of its level 0: marching squares, crossings
    placed by linear interpolation along the cell edges, saddle cells resolved
    by the cell's mean; a closed curve ends at its first point. All M grids in
    array operations; only the walk along each curve is a Python loop."""
    V = np.asarray(V, dtype=float)
    M, ny, nx = V.shape
    pos = V > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        th = V[:, :, :-1] / (V[:, :, :-1] - V[:, :, 1:])   # along horizontal edges
        tv = V[:, :-1, :] / (V[:, :-1, :] - V[:, 1:, :])   # along vertical edges
    X = np.concatenate([(gx[:-1] + th * np.diff(gx)).reshape(M, -1),
                        np.broadcast_to(gx, (M, ny - 1, nx)).reshape(M, -1)], axis=1).ravel()
    Y = np.concatenate([np.broadcast_to(gy[:, None], (M, ny, nx - 1)).reshape(M, -1),
                        (gy[:-1, None] + tv * np.diff(gy)[:, None]).reshape(M, -1)], axis=1).ravel()
    crossing = np.concatenate([(pos[:, :, :-1] != pos[:, :, 1:]).reshape(M, -1),
                               (pos[:, :-1, :] != pos[:, 1:, :]).reshape(M, -1)], axis=1)
    n_e = crossing.shape[1]
    i, j, E = _cell_edges(ny, nx)
    C = crossing[:, E]                                  # (M, cells, 4)
    count = C.sum(axis=2)
    m2, c2 = np.nonzero(count == 2)
    segments = [E[c2][C[m2, c2]].reshape(-1, 2) + (m2 * n_e)[:, None]]
    m4, c4 = np.nonzero(count == 4)
    if len(m4):   # a saddle cell: cut off the corners on the other side of its mean
        ii, jj = i[c4], j[c4]
        a, b, c, d = V[m4, ii, jj], V[m4, ii, jj + 1], V[m4, ii + 1, jj + 1], V[m4, ii + 1, jj]
        cut_ac = ((a > 0) != (a + b + c + d > 0))[:, None]
        Ef = E[c4] + (m4 * n_e)[:, None]
        segments += [np.where(cut_ac, Ef[:, [3, 0]], Ef[:, [0, 1]]), np.where(cut_ac, Ef[:, [1, 2]], Ef[:, [2, 3]])]
    out: list[list[np.ndarray]] = [[] for _ in range(M)]
    S = np.concatenate(segments)
    if not len(S):
        return out
    nodes, S = np.unique(S, return_inverse=True)
    S = S.reshape(-1, 2)
    # each node has at most two neighbours (an edge is shared by at most two cells)
    src, dst = np.concatenate([S[:, 0], S[:, 1]]), np.concatenate([S[:, 1], S[:, 0]])
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    nbr = np.full((len(nodes), 2), -1)
    nbr[src, np.r_[0, (src[1:] == src[:-1]).astype(int)]] = dst
    nb0, nb1 = nbr[:, 0].tolist(), nbr[:, 1].tolist()
    seen = bytearray(len(nodes))
    ends = np.flatnonzero(nbr[:, 1] == -1).tolist()
    for start in ends + list(range(len(nodes))):   # open curves from an end, then loops
        if seen[start]:
            continue
        chain, prev, cur = [start], -1, start
        seen[start] = 1
        while True:
            nxt = nb0[cur] if nb0[cur] != prev else nb1[cur]
            if nxt == -1 or seen[nxt]:
                if nxt == start and len(chain) > 2:
                    chain.append(start)
                break
            chain.append(nxt)
            seen[nxt] = 1
            prev, cur = cur, nxt
        k = nodes[chain]
        out[int(k[0]) // n_e].append(np.stack([X[k], Y[k]], axis=1))
    return out


def simplify(lines: list[np.ndarray], tol: float) -> list[np.ndarray]:
    """Ramer-Douglas-Peucker on every polyline at once: the fewest of each
    one's points (its ends kept) with every dropped point within ``tol`` of
    the kept polyline; one round of array operations per level of splitting."""
    if not lines:
        return []
    sizes = np.array([len(q) for q in lines])
    P = np.concatenate(lines)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    keep = np.zeros(len(P), dtype=bool)
    keep[starts] = keep[starts + sizes - 1] = True
    a, b = starts, starts + sizes - 1
    while True:
        inner = b - a - 1
        a, b, inner = a[inner > 0], b[inner > 0], inner[inner > 0]
        if not len(a):
            break
        owner = np.repeat(np.arange(len(a)), inner)
        idx = np.arange(len(owner)) - np.repeat(np.cumsum(inner) - inner, inner) + a[owner] + 1
        chord = P[b] - P[a]
        length = np.hypot(chord[:, 0], chord[:, 1])
        Q = P[idx] - P[a][owner]
        cross = np.abs(Q[:, 0] * chord[owner, 1] - Q[:, 1] * chord[owner, 0])
        dist = np.where(length[owner] > 0, cross / np.where(length > 0, length, 1.0)[owner],
                        np.hypot(Q[:, 0], Q[:, 1]))
        first = np.cumsum(inner) - inner
        far = np.maximum.reduceat(dist, first)
        split = far > tol
        if not split.any():
            break
        hit = (dist == far[owner]) & split[owner]
        owners, at = np.unique(owner[hit], return_index=True)   # the first farthest point of each
        s = idx[hit][at]
        keep[s] = True
        a, b = np.concatenate([a[owners], s]), np.concatenate([s, b[owners]])
    return [P[lo:lo + n][keep[lo:lo + n]] for lo, n in zip(starts, sizes)]


@dataclass(frozen=True)
class DataPanel:
    """What the panel draws for one data surface: its box and its models."""

    surface: DataSurface
    xrange: tuple[float, float]
    yrange: tuple[float, float]

    @classmethod
    def of(cls, surface: DataSurface) -> "DataPanel":
        """The panel's box: the data's x range and its y range padded
        (regression), or the inputs' box padded by 15% (classification)."""
        data = surface.data
        if data.kind == "regression":
            x, y = data.X[:, 0], data.y
            xpad = 0.05 * (float(x.max() - x.min()) + 1e-9)
            ypad = 0.15 * (float(y.max() - y.min()) + 1e-9)
            return cls(surface, (float(x.min()) - xpad, float(x.max()) + xpad),
                       (float(y.min()) - ypad, float(y.max()) + ypad))
        return cls(surface, *_box(data.X))

    @property
    def regression(self) -> bool:
        return self.surface.data.kind == "regression"

    @property
    def decimals(self) -> int:
        """Decimal places of a traced boundary's points: about 1/RESOLUTION of the box."""
        span = max(self.xrange[1] - self.xrange[0], self.yrange[1] - self.yrange[0])
        return max(0, math.ceil(-math.log10(span / RESOLUTION)))

    def noun(self) -> str:
        """One racer's model, as its hover text says."""
        return "fitted line" if self.regression else "decision boundary"

    def what(self) -> str:
        """What the racers' traces are, as the panel's title says."""
        return {"line": "Fitted lines y = w x + b", "linear classifier": "Boundaries w·x = 0 (p = ½)"}.get(
            self.surface.model, "Decision boundaries (p = ½)")

    # --- each racer's model ------------------------------------------------------

    def models(self, params: np.ndarray) -> list[dict]:
        """The drawn model of each row of ``params`` (M, 2), finite: the trace
        data a frame carries (regression: the heights at the box's ends)."""
        params = np.asarray(params, dtype=float).reshape(-1, 2)
        if self.regression:
            ys = self.surface.predict(params, np.array(self.xrange)[:, None])
            return [dict(y=_shorts(row)) for row in ys]
        if self.surface.model == "linear classifier":
            out = []
            for e in lines_through_origin(params, (self.xrange, self.yrange)):
                out.append(dict(x=_shorts(e[:, 0]), y=_shorts(e[:, 1])) if np.all(np.isfinite(e))
                           else dict(x=[], y=[]))
            return out
        return self._boundaries(params)

    def _boundaries(self, params: np.ndarray) -> list[dict]:
        """p(class 1) = 1/2 traced on a grid for each distinct row of ``params``,
        simplified to within ``SIMPLIFY`` of the box's diagonal, or more where
        all rows together would exceed ``BOUNDARY_POINTS`` points."""
        unique, back = np.unique(params, axis=0, return_inverse=True)
        back = np.ravel(back)
        curves = self._traced(unique)
        lines = [q for c in curves for q in c]
        owner = np.repeat(np.arange(len(curves)), [len(c) for c in curves])
        uses = np.bincount(back, minlength=len(curves))[owner]   # frames that draw each line
        tol = SIMPLIFY * math.hypot(self.xrange[1] - self.xrange[0], self.yrange[1] - self.yrange[0])
        for _ in range(12):
            kept = simplify(lines, tol)
            if not kept or np.dot([len(q) for q in kept], uses) <= BOUNDARY_POINTS:
                break
            tol *= 1.4
        flat = iter(kept)
        drawn = [self._polyline([next(flat) for _ in c]) for c in curves]
        return [drawn[k] for k in back]

    def _traced(self, rows: np.ndarray) -> list[list[np.ndarray]]:
        """The boundary of each row's model as traced polylines, from the cache
        where a figure drew it before (another view, or a race where only
        another racer changed); the others traced ``CHUNK`` at a time."""
        base = (self.surface.name, repr(sorted(self.surface.params.items())), self.xrange, self.yrange)
        keys = [base + (a, b) for a, b in rows.tolist()]
        with _TRACED_LOCK:
            found = {k: _TRACED[k] for k in keys if k in _TRACED}
        todo = np.array([r for r, k in zip(rows, keys) if k not in found]).reshape(-1, 2)
        gx = np.linspace(*self.xrange, BOUNDARY_GRID)
        gy = np.linspace(*self.yrange, BOUNDARY_GRID)
        pts = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
        new: list[list[np.ndarray]] = []
        for lo in range(0, len(todo), CHUNK):
            p = np.clip(self.surface.predict(todo[lo:lo + CHUNK], pts), 1e-12, 1 - 1e-12)
            logit = (np.log(p) - np.log1p(-p)).reshape(-1, BOUNDARY_GRID, BOUNDARY_GRID)
            new += [[q.astype(np.float32) for q in c] for c in contour_lines(gx, gy, logit)]
        found.update(zip([k for k in keys if k not in found], new))
        with _TRACED_LOCK:
            for k in keys:
                _TRACED[k] = found[k]
                _TRACED.move_to_end(k)
            while len(_TRACED) > TRACED_ROWS:
                _TRACED.popitem(last=False)
        return [found[k] for k in keys]

    def _polyline(self, lines: list[np.ndarray]) -> dict:
        """Pieces of a boundary as one trace's points, ``None`` between pieces."""
        xs: list = []
        ys: list = []
        for line in lines:
            q = np.round(np.asarray(line, dtype=float), self.decimals)   # float64: short JSON numbers
            q = q[np.r_[True, np.any(q[1:] != q[:-1], axis=1)]]   # no repeats after rounding
            if len(q) < 2:
                continue
            if xs:
                xs.append(None)
                ys.append(None)
            xs += q[:, 0].tolist()
            ys += q[:, 1].tolist()
        return dict(x=xs, y=ys)

    # --- the traces and the frames ------------------------------------------------

    def _still_traces(self, presentation: bool) -> list[dict]:
        """The data (and the least-squares line): what the frames leave alone."""
        data = self.surface.data
        size = 7 if presentation else 5
        common = dict(type="scatter", mode="markers", legend="legend2", meta=dict(role="panel"))
        if self.regression:
            out = [dict(common, x=data.X[:, 0].astype(np.float32), y=data.y.astype(np.float32),
                        name="data",
                        marker=dict(size=size, color=DATA_COLOUR, opacity=0.6),
                        hovertemplate="data (%{x:.3f}, %{y:.3f})<extra></extra>")]
            if self.surface.minima:
                m = self.surface.minima[0]
                out.append(dict(type="scatter", mode="lines", x=list(self.xrange), legend="legend2",
                                y=_shorts(self.surface.predict(np.array([[m.x, m.y]]),
                                                               np.array(self.xrange)[:, None])[0]),
                                name="least squares", meta=dict(role="panel"),
                                line=dict(color=REFERENCE, width=10 if presentation else 8),
                                hovertemplate=f"least-squares fit: w = {m.x:.4g}, b = {m.y:.4g}<extra></extra>"))
            return out
        return [dict(common, x=data.X[data.y == c, 0].astype(np.float32),
                     y=data.X[data.y == c, 1].astype(np.float32), name=f"class {c}",
                     marker=dict(size=size + 1, color=DATA_COLOUR, symbol=CLASS_SYMBOLS[c],
                                 line=dict(width=1.5, color=DATA_COLOUR)),
                     hovertemplate=f"class {c} (%{{x:.3f}}, %{{y:.3f}})<extra></extra>") for c in (0, 1)]

    def attach(self, data: list[dict], layout: dict, frames: list[dict], paths, steps, *,
               presentation: bool = False, animated: bool = True) -> None:
        """Add the panel to a race figure, in place: its still traces and one
        model trace per racer (``paths``: ``PathView``s) after ``data``, its
        axes and legend to ``layout`` (the views move left to make room), and
        each racer's model at ``steps[f]`` to ``frames[f]``; the traces show
        the last step, where the figure opens."""
        steps = np.asarray(steps, dtype=int)
        still = self._still_traces(presentation)
        data += still
        first = len(data)
        n = len(paths)
        drawn = [p for p in paths if len(p.xy)]   # one call for all racers: one budget, shared work
        models = iter(self.models(np.concatenate([p.xy[np.minimum(steps, len(p.xy) - 1)] for p in drawn]))
                      if drawn else [])
        table = [[next(models) for _ in steps] if len(p.xy) else [dict(x=[], y=[])] * len(steps)
                 for p in paths]   # table[r][f]: racer r's model at frame f
        for p, row in zip(paths, table):
            t = dict(type="scatter", mode="lines", name=f"{p.label}: model", legendgroup=p.label, showlegend=False,
                     line=dict(color=p.colour, width=line_width(p.index, n, presentation), dash=dash(p.index)),
                     meta=dict(role="panel", racer=p.index), xaxis=AXES[0], yaxis=AXES[1],
                     hovertemplate=f"{p.label}: {self.noun()} at the "
                                   f"{'animated' if animated else 'last'} step<extra></extra>")
            if self.regression:
                t["x"] = list(self.xrange)
            t.update(row[-1])
            data.append(t)
        for t in data[first - len(still):]:   # a click selects a point: keep the panel as drawn
            o = t.get("marker", {}).get("opacity", 1)
            t.update(xaxis=AXES[0], yaxis=AXES[1], selected=dict(marker=dict(opacity=o)),
                     unselected=dict(marker=dict(opacity=o)))
        if animated:   # the race's frame for a step is named after it
            ids = list(range(first, first + n))
            named = {fr["name"]: fr for fr in frames}
            for f, step in enumerate(steps):
                frame = named[str(int(step))]
                frame["traces"] = list(frame["traces"]) + ids
                frame["data"] = list(frame["data"]) + [table[r][f] for r in range(n)]
        self._layout(layout, presentation, animated, int(steps[-1]))

    def _layout(self, layout: dict, presentation: bool, animated: bool, last: int) -> None:
        """The panel's axes at the right, its title and legend above it; the
        views and the step slider shrink to the left part of the width."""
        fs, ts = font_size(presentation), tick_size(presentation)
        main = 1.0 - SHARE - GAP
        if "xaxis" in layout:
            layout["xaxis"]["domain"] = [round(v * main, 4) for v in layout["xaxis"]["domain"]]
        if "scene" in layout:
            layout["scene"]["domain"]["x"] = [round(v * main, 4) for v in layout["scene"]["domain"]["x"]]
        # under the views, not under the panel; the slider keeps its distance from Play/Pause
        # (scaled with the rest, the buttons covered the rail's left end and its grip there)
        menus = layout.get("updatemenus", [])
        shift = menus[0].get("x", 0) * (1 - main) if menus else 0.0
        for menu in menus:
            menu["x"] = round(menu.get("x", 0) * main, 4)
        for slider in layout.get("sliders", []):
            slider["x"] = round(slider.get("x", 0) - shift, 4)
            slider["len"] = round(main - slider["x"], 4)
        regression = self.regression
        names = ("x", "y") if regression else ("x₁", "x₂")
        axis = dict(tickfont=dict(size=ts), nticks=6, zeroline=False, showgrid=True)
        layout["xaxis3"] = dict(domain=[1.0 - SHARE, 1.0], anchor=AXES[1], range=list(self.xrange),
                                title=dict(text=names[0], font=dict(size=fs), standoff=4), **axis)
        top = TOP[presentation]   # the panel's title and legend above it
        layout["yaxis3"] = dict(domain=[0.0, top], anchor=AXES[0], range=list(self.yrange),
                                title=dict(text=names[1], font=dict(size=fs), standoff=4), **axis)
        when = "at the animated step" if animated else f"at the last step ({last})"
        layout["legend2"] = dict(title=dict(text=f"{self.what()}<br>{when}", side="top", font=dict(size=fs)),
                                 orientation="h", x=1.0 - SHARE, xanchor="left", y=1.0, yanchor="top",
                                 font=dict(size=ts), bgcolor="rgba(0,0,0,0)")
