"""Each step's vectors as arrows on the race map (issue 23).

At the step k shown (the figure's last step, a slider position or a frame of
Play) every racer gets up to three arrows, all drawn from θₖ₋₁, where step k
started, in the map's own units (its axes have one scale, so angles are true):

* **gradient step** −γₖ·gₖ: where plain gradient descent at this step's rate
  would have gone, from the gradient the optimizer saw (noisy or mini-batch
  where the racer's gradient is; at the look-ahead point for textbook Nesterov);
* **update** Δθₖ = θₖ − θₖ₋₁: what the optimizer did; its tip is the racer's
  marker. For plain gradient descent the two coincide; Adam's per-coordinate
  rescaling is the difference between them;
* **velocity**: the momentum buffer as a step (−γₖ·b for torch's SGD and
  RMSprop buffers, −γₖ·m for the first moment of the Adam family and Lion, the
  velocity v itself for textbook Nesterov, which already holds the rate),
  where the optimizer has one and it is not zero throughout.

Every number comes from the engine's recorded state at that step
(``engine.run(record_state=True)``, what the step inspector shows); nothing is
estimated. The arrows are scatter traces (a shaft and two barbs, one polyline
per arrow, no gaps); frames carry only their points, as float32 typed arrays.
Step 0 has no step: no arrows. A run that stopped has none after its stop.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from .style import line_width

KINDS = ("gradient", "update", "velocity")
TITLES = {
    "gradient": "−lr·∇f: plain gradient step",
    "update": "update Δθ (the step taken)",
    "velocity": "momentum buffer as a step",
}
LOOK = {  # dash and width added to the racer's line width
    "gradient": ("dot", 0.0),
    "update": ("solid", 1.0),
    "velocity": ("dash", 0.0),
}
# The state array that is an optimizer's velocity, and how it becomes a step:
# "-lr" multiplies it by minus the step's learning rate, "1" takes it as it is.
VELOCITY = {"momentum_buffer": ("-lr", "−lr·b"), "exp_avg": ("-lr", "−lr·m"), "velocity": ("1", "v")}
HEAD_ANGLE = np.deg2rad(25.0)
HEAD_SHARE = 0.3        # barbs are 30 % of the arrow ...
HEAD_MAX = 0.03         # ... and at most 3 % of the map's diagonal


def velocity_name(r: dict) -> str | None:
    """The racer's velocity state (a name of ``VELOCITY``), or None when it has
    none or it is zero at every step (gradient descent, RMSprop without momentum)."""
    for name in VELOCITY:
        v = r.get("states", {}).get(name)
        if v is not None and len(v) and np.any(np.nan_to_num(np.asarray(v, dtype=float)) != 0):
            return name
    return None


def vectors(r: dict, steps) -> dict[str, np.ndarray]:
    """The vectors of steps ``steps`` (k ≥ 1 each; (len(steps), 2) per kind) and
    their tails θₖ₋₁ (``"tail"``). Rows of a step the run did not take are NaN."""
    steps = np.asarray(steps, dtype=int)
    grads, updates, lrs = (np.asarray(r.get(k, np.zeros((0, 2)))) for k in ("grads", "updates", "lrs"))
    taken = len(grads)
    ok = (steps >= 1) & (steps <= taken)
    i = np.clip(steps - 1, 0, max(taken - 1, 0))
    nan = np.full((len(steps), 2), np.nan)

    def rows(a):
        return np.where(ok[:, None], a[i], nan) if taken else nan.copy()

    lr = np.where(ok, lrs[i], np.nan) if taken else np.full(len(steps), np.nan)
    out = {"tail": rows(np.asarray(r["positions"], dtype=float)),
           "gradient": -lr[:, None] * rows(grads), "update": rows(updates)}
    name = velocity_name(r)
    if name is not None:
        v = rows(np.asarray(r["states"][name], dtype=float).reshape(-1, 2))
        out["velocity"] = -lr[:, None] * v if VELOCITY[name][0] == "-lr" else v
    return out


HELP = ("Arrows at the step shown, from where that step started: −lr·∇f (dotted: where plain gradient "
        "descent would go), the update Δθ (solid: the step taken, ending at the marker) and the momentum "
        "buffer as a step (dashed), for every racer; Play, the slider and a click on a path move them. "
        "Click a kind in the legend to hide it. Also in the link as vectors=1.")


def _cell(v) -> str:
    v = float(v)
    return f"{v:.6g}" if np.isfinite(v) else "–"


def inspector_rows(r: dict, k: int) -> list[dict]:
    """``step_rows`` as the step inspector's text cells (6 significant digits)."""
    return [{**row, "x": _cell(row["x"]), "y": _cell(row["y"])} for row in step_rows(r, k)]


def step_rows(r: dict, k: int) -> list[dict]:
    """The step inspector's rows for step k: the plain gradient step and the
    velocity as a step (the update is already a row of ``results.step_table``)."""
    if k < 1 or k > len(r.get("grads", ())):
        return []
    v = vectors(r, [k])
    rows = [{"quantity": "plain gradient step −lr·g", "x": v["gradient"][0, 0], "y": v["gradient"][0, 1]}]
    if "velocity" in v:
        how = VELOCITY[velocity_name(r)][1]
        rows.append({"quantity": f"momentum buffer as a step {how}", "x": v["velocity"][0, 0],
                     "y": v["velocity"][0, 1]})
    return rows


def arrows(tail: np.ndarray, vec: np.ndarray, head_max: float) -> np.ndarray:
    """(F, 5, 2) polylines tail → tip → barb → tip → barb, one per row; rows whose
    vector is zero or not finite are NaN (drawn as nothing)."""
    tip = tail + vec
    length = np.hypot(vec[:, 0], vec[:, 1])
    good = np.isfinite(length) & (length > 0) & np.all(np.isfinite(tail), axis=1)
    safe = np.where(good, length, 1.0)
    back = -vec / safe[:, None]
    h = np.minimum(HEAD_SHARE * safe, head_max)[:, None]
    c, s = np.cos(HEAD_ANGLE), np.sin(HEAD_ANGLE)
    left = np.stack([c * back[:, 0] - s * back[:, 1], s * back[:, 0] + c * back[:, 1]], axis=1)
    right = np.stack([c * back[:, 0] + s * back[:, 1], -s * back[:, 0] + c * back[:, 1]], axis=1)
    out = np.stack([tail, tip, tip + h * left, tip, tip + h * right], axis=1)
    out[~good] = np.nan
    return out


_BIG = 1e30


def _typed(a: np.ndarray) -> dict:
    """float32 values as plotly.js's typed-array form (finite: clipped)."""
    a = np.clip(a, -_BIG, _BIG).astype(np.float32)
    return {"dtype": "f4", "bdata": base64.b64encode(a.tobytes()).decode("ascii")}


def _points(poly: np.ndarray) -> dict:
    """One arrow's trace data; an arrow that does not exist is an empty trace."""
    if not np.all(np.isfinite(poly)):
        return dict(x=[], y=[])
    return dict(x=_typed(poly[:, 0]), y=_typed(poly[:, 1]))


@dataclass
class StepVectors:
    """The arrows of a race figure: ``results`` are the racers' result dicts
    (with the recorded state; ``results.racer_result``), in the order of the
    figure's ``paths``. ``attach`` adds them to a race figure."""

    results: list[dict]

    def attach(self, data: list[dict], layout: dict, frames: list[dict], paths, steps, *,
               presentation: bool = False, animated: bool = True) -> None:
        """Add the arrows to a race figure, in place: one legend entry per kind
        (a click hides that kind for every racer), one trace per racer and kind
        after ``data`` showing the last step, and each arrow at ``steps[f]`` in
        the frame named after that step. Only on a figure with the map."""
        if "xaxis" not in layout:
            return
        steps = np.asarray(steps, dtype=int)
        (x0, x1), (y0, y1) = layout["xaxis"]["range"], layout["yaxis"]["range"]
        drawn = np.array([1.0, layout["yaxis"].get("scaleratio", 1.0)])   # a y unit's length on screen
        head = HEAD_MAX * float(np.hypot(x1 - x0, (y1 - y0) * drawn[1]))
        n = len(paths)
        tables: list[tuple[int, list[dict]]] = []
        shown = set()
        for p, r in zip(paths, self.results):
            v = vectors(r, steps)
            for kind in KINDS:
                if kind not in v:
                    continue
                shown.add(kind)
                polys = arrows(v["tail"] * drawn, v[kind] * drawn, head) / drawn   # barbs as drawn
                table = [_points(poly) for poly in polys]
                dash, extra = LOOK[kind]
                t = dict(type="scatter", mode="lines", name=f"{p.label}: {TITLES[kind]}",
                         legendgroup=f"vectors:{kind}", showlegend=False, hoverinfo="skip",
                         line=dict(color=p.colour, dash=dash,
                                   width=line_width(p.index, n, presentation) / 2 + 1 + extra),
                         meta=dict(role="vector", kind=kind, racer=p.index), xaxis="x", yaxis="y", **table[-1])
                tables.append((len(data), table))
                data.append(t)
        for kind in (k for k in KINDS if k in shown):   # the legend's entries, in grey
            dash, extra = LOOK[kind]   # (a zero-length line in a corner: plotly lists no empty trace)
            data.append(dict(type="scatter", mode="lines", x=[x0, x0], y=[y0, y0], name=TITLES[kind],
                             showlegend=True,
                             legendgroup=f"vectors:{kind}", hoverinfo="skip", xaxis="x", yaxis="y",
                             line=dict(color="#888888", dash=dash, width=2 + extra),
                             meta=dict(role="vector-legend", kind=kind)))
        if animated and tables:
            named = {fr["name"]: fr for fr in frames}
            for f, step in enumerate(steps):
                frame = named[str(int(step))]
                frame["traces"] = list(frame["traces"]) + [i for i, _ in tables]
                frame["data"] = list(frame["data"]) + [table[f] for _, table in tables]
