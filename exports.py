"""From a run configuration to results, tables, figures and files.

Shared by the app and ``cli.py export``; no Streamlit here. Results are plain
dicts of NumPy arrays (cheap to cache and to pickle).
"""
from __future__ import annotations

import csv
import io
import json
import shutil


import figures
import results as results_mod
from results import finite_or_none as _finite
from config import RunConfig

NO_BROWSER_MESSAGE = ("PNG/SVG export needs Chrome or Chromium for kaleido: install it "
                      "(Debian/Ubuntu: `apt-get install chromium`) and reload.")


def paths_for(results: list[dict]) -> list[figures.PathView]:
    return [figures.PathView.from_trajectory(r["label"], i, r["positions"], r["losses"], r["status"])
            for i, r in enumerate(results)]


def trajectory_figure_for(run: RunConfig, results: list[dict], *, view="both", speed="normal",
                          presentation=False, click_grid=True, title=None, image_px=figures.IMAGE):
    return figures.trajectory_figure(run.get_surface(), paths_for(results), run.start_point(), run.steps,
                                     view=view, speed=speed, presentation=presentation,
                                     click_grid=click_grid, title=title, image_px=image_px)


def loss_figure_for(run: RunConfig, results: list[dict], *, log=True, presentation=False):
    s = run.get_surface()
    return figures.loss_figure(paths_for(results), log=log, presentation=presentation,
                               minimum=s.global_minimum)


def trajectories_csv(run: RunConfig, results: list[dict]) -> str:
    """Long format: one row per optimizer and step."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["optimizer", "label", "step", "x", "y", "loss", "grad_norm", "lr"])
    for r, racer in zip(results, run.racers):
        for k in range(len(r["losses"])):
            lr = r["lrs"][k - 1] if k >= 1 else ""
            w.writerow([racer.choice.name, r["label"], k, repr(float(r["positions"][k, 0])),
                        repr(float(r["positions"][k, 1])), repr(float(r["losses"][k])),
                        repr(float(r["grad_norms"][k])), repr(float(lr)) if lr != "" else ""])
    return buf.getvalue()


def trajectories_json(run: RunConfig, results: list[dict]) -> str:
    data = results_mod.config_dict(run)
    data["runs"] = [{
        "label": r["label"], "status": r["status"], "message": r["message"],
        "converged_at": r["converged_at"] if r["converged_at"] >= 0 else None,
        "stopped_at": r["stopped_at"] if r["stopped_at"] >= 0 else None,
        "points": [[_finite(a), _finite(b)] for a, b in r["positions"]],
        "losses": [_finite(v) for v in r["losses"]],
    } for r in results]
    return json.dumps(data, allow_nan=False)


def figure_html(fig) -> str:
    """A standalone, offline, interactive HTML file (plotly.js inlined)."""
    return fig.to_html(include_plotlyjs=True, full_html=True, auto_play=False)


def static_export_available() -> bool:
    """kaleido needs a Chrome/Chromium it can find."""
    import os
    if os.environ.get("BROWSER_PATH") and os.path.exists(os.environ["BROWSER_PATH"]):
        return True
    return any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome", "chrome"))


def static_figure(run: RunConfig, results: list[dict], *, view="2d", title=True):
    """The figure as a still: no click grid, no animation controls, no LaTeX."""
    s = run.get_surface()
    fig = trajectory_figure_for(run, results, view=view, click_grid=False, image_px=1200,
                                title=(f"{s.title}: " + ", ".join(r["label"] for r in results)) if title else None)
    fig.layout.updatemenus = ()
    fig.layout.sliders = ()
    fig.frames = ()
    return fig


def figure_image(run: RunConfig, results: list[dict], fmt: str = "png", *, view="2d",
                 scale: float = 3.0, width: int = 900, height: int = 700) -> bytes:
    """PNG or SVG through kaleido (needs Chromium)."""
    fig = static_figure(run, results, view=view)
    return fig.to_image(format=fmt, width=width, height=height, scale=scale if fmt == "png" else 1)


def animation_gif(run: RunConfig, results: list[dict], progress=None, **kw) -> bytes:
    from figures.gif import render_gif
    return render_gif(run.get_surface(), paths_for(results), run.start_point(), run.steps,
                      progress=progress, **kw)

