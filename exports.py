"""Files from a run: trajectories as CSV/JSON, figures as HTML, PNG, SVG and GIF,
the hyperparameter views' grids as CSV.

Shared by the app and ``cli.py export``; no Streamlit here. It writes files only:
the figures themselves are built in ``figures.views``.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np

import results as results_mod
from results import finite_or_none as _finite
from config import RunConfig
from figures import views

NO_BROWSER_MESSAGE = ("PNG/SVG export needs Chrome or Chromium for kaleido: install it "
                      "(Debian/Ubuntu: `apt-get install chromium`) and reload.")


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


SCRUB_JS = (Path(__file__).resolve().parent / "livechart" / "scrub.js").read_text(encoding="utf-8")


def figure_html(fig) -> str:
    """A standalone, offline, interactive HTML file (plotly.js inlined). A race figure
    with scrub sliders carries ``livechart/scrub.js``: the sliders redraw the path
    offline as in the app (a release changes nothing: there is no server)."""
    meta = fig.to_dict().get("layout", {}).get("meta")
    post = None
    if isinstance(meta, dict) and "scrub" in meta:
        post = SCRUB_JS + "\nscrubSetup(document.getElementById('{plot_id}'), null);"
    return fig.to_html(include_plotlyjs=True, full_html=True, auto_play=False, post_script=post)


def static_export_available() -> bool:
    """kaleido needs a Chrome/Chromium it can find."""
    import os
    if os.environ.get("BROWSER_PATH") and os.path.exists(os.environ["BROWSER_PATH"]):
        return True
    return any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome", "chrome"))


def figure_image(run: RunConfig, results: list[dict], fmt: str = "png", *, view="2d",
                 scale: float = 3.0, width: int = 900, height: int = 700) -> bytes:
    """PNG or SVG through kaleido (needs Chromium)."""
    fig = views.static_figure(run, results, view=view)
    return fig.to_image(format=fmt, width=width, height=height, scale=scale if fmt == "png" else 1)


def animation_gif(run: RunConfig, results: list[dict], progress=None, **kw) -> bytes:
    from figures.gif import render_gif
    surface = run.get_surface()   # the region the app's map draws: it holds every start
    region = views.view_domain(surface.domain, [run.racer_start(i) for i in range(len(run.racers))])
    return render_gif(surface, views.paths_for(results), run.start_point(), run.steps,
                      progress=progress, domain=region, **kw)


# --- hyperparameter views: their tables and images ---------------------------


def sweep_csv(run: RunConfig, sweeps: list) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["racer", "optimizer", "lr", "final_loss", "status", "range", "converged_at"])
    for i, (r, sw) in enumerate(zip(run.racers, sweeps)):
        for k in range(len(sw.lrs)):
            fl = sw.final_loss[k]
            w.writerow([i + 1, r.choice.name, repr(float(sw.lrs[k])), repr(float(fl)) if np.isfinite(fl) else "",
                        sw.status[k], sw.classes[k], int(sw.converged_at[k]) if sw.converged_at[k] >= 0 else ""])
    return buf.getvalue()


def heatmap_csv(hm) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["optimizer", "lr", hm.axis, "final_loss", "status", "converged_at"])
    for i, v in enumerate(hm.values):
        for j, lr in enumerate(hm.lrs):
            fl = hm.final_loss[i, j]
            w.writerow([hm.optimizer, repr(float(lr)), repr(float(v)), repr(float(fl)) if np.isfinite(fl) else "",
                        hm.status[i, j], int(hm.converged_at[i, j]) if hm.converged_at[i, j] >= 0 else ""])
    return buf.getvalue()


def basins_csv(run: RunConfig, b) -> str:
    """One row per start point: the minimum reached (1-based; empty for none)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["x", "y", "minimum", "status", "final_x", "final_y"])
    for i, y in enumerate(b.ys):
        for j, x in enumerate(b.xs):
            fx, fy = b.final_position[i, j]
            w.writerow([repr(float(x)), repr(float(y)), int(b.basin[i, j]) + 1 if b.basin[i, j] >= 0 else "",
                        b.status[i, j], repr(float(fx)), repr(float(fy))])
    return buf.getvalue()


def hyper_image(fig, fmt: str = "png", *, width: int = 900, height: int = 650, scale: float = 3.0) -> bytes:
    """A sweep, heat map or basin map as PNG or SVG through kaleido (needs Chromium)."""
    return fig.to_image(format=fmt, width=width, height=height, scale=scale if fmt == "png" else 1)


