"""Files from a training race, as the other views offer them (no Streamlit here):
every racer's loss and projected path per step as CSV, the figure as PNG/SVG (through
kaleido, like ``exports.figure_image``) and as a standalone interactive HTML file.
The JSON is ``training.cli.report_json``."""
from __future__ import annotations

import csv
import io

from .plane import Plane
from .train import Run

CSV_COLUMNS = ["racer", "label", "step", "loss", "lr", "pc1", "pc2", "loss_on_plane"]


def paths_csv(run: Run, plane: Plane) -> str:
    """Long format, one row per racer and step up to its last finite step: the full-batch
    training loss at θ_step, the learning rate of the step that led there (empty at step
    0), the point's coordinates in the plane (PC1, PC2: what the map draws) and the loss
    on the plane under it (the height of the 3-D path). Numbers as Python's shortest
    exact text (``repr``)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for r, label in enumerate(run.labels):
        for k in range(run.last(r) + 1):
            a, b = plane.coords[r][k]
            w.writerow([r + 1, label, k, repr(float(run.losses[r, k])),
                        repr(float(run.lrs[r, k - 1])) if k >= 1 else "", repr(float(a)), repr(float(b)),
                        repr(float(plane.path_losses[r][k]))])
    return buf.getvalue()


def static_figure(run: Run, plane: Plane, *, view: str = "2d"):
    """The race figure as a still (the last step, no animation controls), with the data panel."""
    from .view import race_figure
    return race_figure(run, plane, view=view, raw=False, animated=False)


def figure_image(run: Run, plane: Plane, fmt: str = "png", *, view: str = "2d", scale: float = 3.0,
                 width: int = 1100, height: int = 600) -> bytes:
    """PNG or SVG of the training figure through kaleido (needs Chromium)."""
    fig = static_figure(run, plane, view=view)
    return fig.to_image(format=fmt, width=width, height=height, scale=scale if fmt == "png" else 1)


def figure_html(run: Run, plane: Plane, *, view: str = "both") -> str:
    """The animated figure as a standalone, offline HTML file (plotly.js inlined; Play works)."""
    import exports

    from .view import race_figure
    return exports.figure_html(race_figure(run, plane, view=view, raw=False))
