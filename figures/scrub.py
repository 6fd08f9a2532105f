"""The scrub sliders of the race figure and the data they redraw from (issue 23).

``Scrub.attach`` adds to a race figure: a preview trace of the scrubbed racer on
the map and in 3-D (empty until a slider moves), one Plotly slider per family
(``scrub.Family``: learning rate, momentum or β₁; ``method="skip"``, so plotly.js
itself does nothing but move the slider), and in ``layout.meta.scrub`` every
member's drawn points and 3-D heights as float32 and its loss-chart values as float64
typed arrays (base64), which ``livechart/scrub.js`` decodes once and draws from. The
loss chart gets its own empty preview trace (``loss_preview``)."""
from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from .style import font_size, line_width

_BIG = 1e30
# height share of the plot area each slider takes above the 3-D view (~65 px of a projector's
# 441 px plot area: with one slider the 3-D scene stays at least as large as the map)
ROOM = 0.15


def _b64(a, dtype=np.float32) -> str:
    """Little-endian float32 (points, heights: 7 digits) or float64 (losses: a gap of 1e-83
    is drawn as computed on the loss chart's log axis; float32 stops at 1e-45)."""
    big = _BIG if dtype == np.float32 else 1e300
    a = np.clip(np.nan_to_num(np.asarray(a, dtype=float), nan=0.0, posinf=big, neginf=-big), -big, big)
    return base64.b64encode(a.astype(np.dtype(dtype).newbyteorder("<")).tobytes()).decode("ascii")


def value_text(param: str, v: float) -> str:
    return f"{v:.3g}" if param == "lr" else f"{v:.2f}".rstrip("0").rstrip(".") if v else "0"


NAMES = {"lr": "lr", "momentum": "momentum", "beta1": "β₁"}


@dataclass
class Scrub:
    """``families`` of racer ``label`` (colour ``colour``); ``heights(xy, loss)`` lifts
    points above the 3-D surface; ``loss_values(loss)`` is what the loss chart plots."""

    families: list
    label: str
    colour: str
    index: int
    heights: object
    loss_values: object
    domain: tuple = ((-np.inf, np.inf), (-np.inf, np.inf))

    def _inside(self, xy: np.ndarray) -> int:
        """How many first points lie in the plotted box (3-D scenes do not clip)."""
        (x0, x1), (y0, y1) = self.domain
        ok = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
        return len(ok) if ok.all() else int(np.argmin(ok))

    def payload(self) -> dict:
        out = {"racer": self.index, "label": self.label, "params": []}
        for fam in self.families:
            lens = [len(i) for i in fam.idx]
            xy = np.concatenate(fam.xy) if sum(lens) else np.zeros((0, 2))
            loss = np.concatenate(fam.loss) if sum(lens) else np.zeros(0)
            out["params"].append(dict(
                name=fam.param, values=[float(v) for v in fam.values], current=fam.current,
                offsets=np.concatenate([[0], np.cumsum(lens)]).astype(int).tolist(),
                x=_b64(xy[:, 0]), y=_b64(xy[:, 1]), z=_b64(self.heights(xy, loss)) if len(xy) else "",
                step=_b64(np.concatenate(fam.idx) if sum(lens) else []),
                loss=_b64(self.loss_values(loss), np.float64),
                inside=[self._inside(m) for m in fam.xy],
                ends=[f"✕ {s} at step {k}" if s in ("diverged", "escaped") else "" for s, k in
                      zip(fam.status, fam.stopped_at)]))
        return out

    def attach(self, data: list[dict], layout: dict, frames: list[dict], paths, steps, *,
               presentation: bool = False, animated: bool = True) -> None:
        if not self.families or not animated:
            return
        n = len(paths)
        width = line_width(0, n, presentation) + 1
        preview = dict(mode="lines", name=f"{self.label} (scrubbed)", showlegend=False, hoverinfo="skip",
                       line=dict(color=self.colour, width=width), x=[], y=[])
        if "xaxis" in layout:
            data.append(dict(type="scatter", xaxis="x", yaxis="y", meta=dict(role="scrub", view="2d"), **preview))
        if "scene" in layout:
            data.append(dict(type="scatter3d", scene="scene", z=[], meta=dict(role="scrub", view="3d"),
                             **{**preview, "line": dict(color=self.colour, width=2 * width + 2)}))
        meta = layout.get("meta") if isinstance(layout.get("meta"), dict) else {}
        layout["meta"] = {**meta, "scrub": self.payload()}
        fs = font_size(presentation)
        both = "xaxis" in layout and "scene" in layout
        k = len(self.families)
        if "scene" in layout:   # above the 3-D view; its floor (Play and the step slider) kept
            floor = layout["scene"]["domain"]["y"][0]
            layout["scene"]["domain"]["y"] = [floor, round(1 - ROOM * k, 3)]
        elif "xaxis" in layout:
            layout["xaxis"]["domain"] = [0, 0.66]
        x0 = layout["scene"]["domain"]["x"][0] + 0.02 if both else (0.70 if "xaxis" in layout else 0.0)
        sliders = layout.setdefault("sliders", [])
        for j, fam in enumerate(self.families):
            name = NAMES[fam.param]
            sliders.append(dict(
                name=f"scrub {fam.param}", active=fam.current, x=x0, len=1 - x0, y=1 - ROOM * j, yanchor="top",
                pad=dict(t=0, b=0), ticklen=3, minorticklen=0, font=dict(color="rgba(0,0,0,0)"),
                currentvalue=dict(prefix=f"{self.label}: {name} = ", font=dict(size=fs - 2, color="#888888"),
                                  xanchor="left", offset=4),
                steps=[dict(label=value_text(fam.param, v), method="skip", args=[], value=str(m))
                       for m, v in enumerate(fam.values)]))


def loss_preview(label: str, colour: str, width: float) -> dict:
    """The loss chart's preview trace of the scrubbed racer (filled by scrub.js)."""
    return dict(type="scatter", mode="lines", x=[], y=[], name=f"{label} (scrubbed)", showlegend=False,
                hoverinfo="skip", line=dict(color=colour, width=width), meta=dict(role="scrub", view="loss"))
