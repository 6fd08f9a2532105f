"""From a run configuration to results, tables, figures and files.

Shared by the app and ``cli.py export``; no Streamlit here. Results are plain
dicts of NumPy arrays (cheap to cache and to pickle).
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np

import experiments
import figures
import landscapes
from figures.data_panel import DataPanel
from figures.scrub import Scrub, loss_preview
from figures.style import line_width
from figures.step_vectors import StepVectors
from figures.scale import view_domain
import results as results_mod
import theory
from results import finite_or_none as _finite
from config import RunConfig

NO_BROWSER_MESSAGE = ("PNG/SVG export needs Chrome or Chromium for kaleido: install it "
                      "(Debian/Ubuntu: `apt-get install chromium`) and reload.")


def paths_for(results: list[dict]) -> list[figures.PathView]:
    return [figures.PathView.from_trajectory(r["label"], i, r["positions"], r["losses"], r["status"],
                                             r.get("stopped_at", -1))
            for i, r in enumerate(results)]


def trajectory_figure_for(run: RunConfig, results: list[dict], *, view="both", speed="normal",
                          presentation=False, click_grid=True, title=None, trails=True, animated=True,
                          raw=False, part=None, vectors=False, scrub=None):
    """The race figure of ``results``; ``vectors``: each step's vectors on the map
    (``figures.step_vectors``); ``scrub``: ``scrub.Family`` list of one racer, whose
    sliders redraw that racer in the browser (``figures.scrub``)."""
    surface = run.get_surface()
    view_region = view_domain(surface.domain, [run.racer_start(i) for i in range(len(run.racers))])
    grids = figures.SurfaceGrids.of(surface, click=figures.CLICK_GRID if click_grid else 2, view=view_region)
    panel = DataPanel.of(surface) if isinstance(surface, landscapes.DataSurface) else None
    return figures.trajectory_figure(grids, paths_for(results), run.start_point(), run.steps,
                                     view=view, speed=speed, presentation=presentation, click_grid=click_grid,
                                     title=title, trails=trails, animated=animated, raw=raw, part=part,
                                     panel=panel, overlays=([StepVectors(results)] if vectors else [])
                                     + ([scrub_overlay(run, results, scrub, grids)] if scrub else []))


def _loss_transform(run: RunConfig, results: list[dict], log: bool):
    """What the loss chart plots for a loss array (``figures.loss_figure``'s rule)."""
    fmin = run.get_surface().global_minimum
    scale = max([float(np.max(np.abs(r["losses"]))) for r in results if len(r["losses"])] + [1.0])
    if not log or fmin is None:
        return lambda v: np.asarray(v, dtype=float)
    return lambda v: np.maximum(np.asarray(v, dtype=float) - fmin, 1e-16 * scale)


def scrub_overlay(run: RunConfig, results: list[dict], families: list, grids, log: bool = True) -> Scrub:
    i = families[0].racer
    return Scrub(families, results[i]["label"], figures.colour(i), i, grids.height_above,
                 _loss_transform(run, results, log), grids.domain)


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


def static_figure(run: RunConfig, results: list[dict], *, view="2d", title=True):
    """The figure as a still: no click grid, no animation controls, no LaTeX."""
    s = run.get_surface()
    return trajectory_figure_for(run, results, view=view, click_grid=False, animated=False,
                                 title=(f"{s.title}: " + ", ".join(r["label"] for r in results)) if title else None)


def figure_image(run: RunConfig, results: list[dict], fmt: str = "png", *, view="2d",
                 scale: float = 3.0, width: int = 900, height: int = 700) -> bytes:
    """PNG or SVG through kaleido (needs Chromium)."""
    fig = static_figure(run, results, view=view)
    return fig.to_image(format=fmt, width=width, height=height, scale=scale if fmt == "png" else 1)


def animation_gif(run: RunConfig, results: list[dict], progress=None, **kw) -> bytes:
    from figures.gif import render_gif
    return render_gif(run.get_surface(), paths_for(results), run.start_point(), run.steps,
                      progress=progress, **kw)



# --- hyperparameter views: sweep, heat map, basins, theory --------------------

def _bound_for(th, racer) -> float | None:
    """The stability bound to draw for a racer on a quadratic (constant rate,
    dampening 0, no weight decay: the cases the theory covers)."""
    if th is None or racer.schedule.name != "constant" or not _linear_case(racer, None):
        return None
    hp = racer.choice.hyperparameters()
    return theory.stability_bound(racer.choice.name, th.lam_max, float(hp.get("momentum", 0.0)))


def _linear_case(racer, surface=None) -> bool:
    """The racers the linear theory covers: deterministic (no gradient noise,
    full batch on a data surface), no weight decay or dampening."""
    hp = racer.choice.hyperparameters()
    batch = getattr(racer, "batch_size", None)
    full = batch is None or (surface is not None and batch >= getattr(surface, "n_samples", batch + 1))
    return (racer.choice.optimizer.linear_theory and not hp.get("weight_decay", 0.0)
            and not hp.get("dampening", 0.0) and racer.noise == 0 and full)


def racer_names(run: RunConfig) -> list[str]:
    """The racers' labels, as the race names them (what differs between them)."""
    return results_mod.racer_labels(run.racers, [run.racer_start(i) for i in range(len(run.racers))])


def sweep_figure_for(run: RunConfig, sweeps: list, *, presentation=False, title=None):
    from figures import hyper
    s = run.get_surface()
    th = theory.quadratic_theory(s)
    names = racer_names(run)
    lines = [hyper.SweepLine(names[i], i, sw.lrs, sw.final_loss, sw.converged_at,
                             tuple(sw.ranges()), r.choice.lr, _bound_for(th, r))
             for i, (r, sw) in enumerate(zip(run.racers, sweeps))]
    return hyper.sweep_figure(lines, minimum=s.global_minimum, presentation=presentation, title=title)


def heatmap_current(racer, hm) -> tuple[float, float]:
    """Where the racer's own setting sits on its heat map."""
    hp = racer.choice.hyperparameters()
    return racer.choice.lr, float(hp.get(hm.axis, 0.0))


def heatmap_figure_for(run: RunConfig, racer_index: int, hm, *, presentation=False, title=None):
    from figures import hyper
    racer = run.racers[racer_index]
    return hyper.heatmap_figure(hm.lrs, hm.values, hm.final_loss, hm.status, axis=hm.axis,
                                optimizer=racer_names(run)[racer_index]
                                + (" (as momentum)" if racer.choice.name == "gd" else ""),
                                minimum=run.get_surface().global_minimum,
                                current=heatmap_current(racer, hm), presentation=presentation, title=title)


def basin_figure_for(run: RunConfig, b, *, presentation=False, title=None):
    from figures import hyper
    s = run.get_surface()
    return hyper.basin_figure(b.xs, b.ys, b.basin, experiments.basin_blew_up(b),
                              [(m.x, m.y) for m in s.minima], run.start_point(),
                              presentation=presentation, title=title)


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


def racer_theory(run: RunConfig, results: list[dict]) -> list[dict]:
    """Per racer on a quadratic surface: the predicted linear rate (where the
    theory covers its settings) and the rate measured between steps 60 and 120
    (or over the second half of a shorter run), both per step of the distance."""
    th = theory.quadratic_theory(run.get_surface())
    if th is None:
        return []
    rows = []
    surface = run.get_surface()
    for r, res in zip(run.racers, results):
        pred = None
        if _linear_case(r, surface) and r.schedule.name == "constant":
            hp = r.choice.hyperparameters()
            pred = theory.predicted_rate(th, r.choice.name, r.choice.lr, float(hp.get("momentum", 0.0)))
        gap = res["losses"] - th.f_min
        n = len(gap) - 1
        a, b = (theory.MEASURE_FROM, theory.MEASURE_TO) if n >= theory.MEASURE_TO else (n // 2, n)
        try:
            measured = theory.measured_rate(gap, a, b, of="loss") if b > a else None
        except ValueError:
            measured = None
        rows.append({"optimizer": res["label"], "predicted rate": pred, "measured rate": measured,
                     "measured over steps": f"{a}–{b}" if measured is not None else "",
                     "lr": r.choice.lr})
    return rows


def loss_figure_with_theory(run: RunConfig, results: list[dict], *, log=True, presentation=False, scrub=None):
    """The loss plot plus, on a quadratic surface, a dashed line (f₀ − f*)·ρ²ᵏ
    for each racer the linear theory covers (ρ its predicted rate)."""
    from figures import hyper
    fig = loss_figure_for(run, results, log=log, presentation=presentation)
    if scrub is not None and 0 <= scrub < len(results):   # the scrubbed racer's preview (scrub.js)
        fig.add_trace(loss_preview(results[scrub]["label"], figures.colour(scrub),
                                   line_width(scrub, len(results), presentation) + 1))
    th = theory.quadratic_theory(run.get_surface())
    if th is None or not log:
        return fig
    scale = max([float(np.max(np.abs(r["losses"][np.isfinite(r["losses"])]))) for r in results
                 if np.isfinite(r["losses"]).any()] + [1.0])
    floor = 1e-16 * scale
    drawn = False
    for i, (row, res) in enumerate(zip(racer_theory(run, results), results)):
        rate = row["predicted rate"]
        if rate is None or rate >= 1:
            continue
        tr = hyper.predicted_rate_trace(len(res["losses"]) - 1, float(res["losses"][0] - th.f_min), rate,
                                        colour_=figures.colour(i), floor=floor,
                                        label=f"{res['label']}: theory ρ = {rate:.4f}")
        if tr is not None:   # named on hover; one legend entry stands for all (the legend stays short)
            tr.update(showlegend=False, legendgroup=res["label"], meta=dict(role="theory", racer=i))
            fig.add_trace(tr)
            drawn = True
    if drawn:
        fig.add_trace(dict(type="scatter", x=[None], y=[None], mode="lines", name="theory (f₀ − f*)·ρ²ᵏ",
                           line=dict(color="#888888", width=2, dash="dash"), hoverinfo="skip",
                           meta=dict(role="theory-legend")))
    return fig
