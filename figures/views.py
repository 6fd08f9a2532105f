"""A run's figures: the race (map, 3-D, data panel, step vectors, scrub sliders),
the loss chart with its theory lines, the sweep, heat map and basin views, and the
theory table beside them, built from a run's configuration and its results.

The app, ``cli.py`` and ``exports`` (which writes them to files) all draw through
here; no Streamlit. Results are plain dicts of NumPy arrays (``results.run_results``).
"""
from __future__ import annotations

import numpy as np

import experiments
import figures
import landscapes
import results as results_mod
import theory
from config import RunConfig
from figures.data_panel import DataPanel
from figures.scale import view_domain
from figures.scrub import Scrub, loss_preview
from figures.step_vectors import StepVectors
from figures.style import line_width


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
    """What the loss chart plots for a loss array (``figures.loss_figure``'s rule): on a log
    axis f − f*, where the minimum is known, every gap as computed; only a gap the axis cannot
    show (an exact 0, round-off under 1e-16·|f*|) at the chart's own floor."""
    fmin = run.get_surface().global_minimum
    if not log or fmin is None:
        return lambda v: np.asarray(v, dtype=float)
    from figures.trajectories import loss_floor
    floor = loss_floor(paths_for(results), fmin)
    cut = floor if fmin else 0.0
    return lambda v: np.where(np.asarray(v, dtype=float) - fmin > cut, np.asarray(v, dtype=float) - fmin, floor)


def scrub_overlay(run: RunConfig, results: list[dict], families: list, grids, log: bool = True) -> Scrub:
    i = families[0].racer
    return Scrub(families, results[i]["label"], figures.colour(i), i, grids.height_above,
                 _loss_transform(run, results, log), grids.domain)


def loss_figure_for(run: RunConfig, results: list[dict], *, log=True, presentation=False, raw=False):
    s = run.get_surface()
    return figures.loss_figure(paths_for(results), log=log, presentation=presentation,
                               minimum=s.global_minimum, raw=raw)


def static_figure(run: RunConfig, results: list[dict], *, view="2d", title=True):
    """The figure as a still: no click grid, no animation controls, no LaTeX."""
    s = run.get_surface()
    return trajectory_figure_for(run, results, view=view, click_grid=False, animated=False,
                                 title=(f"{s.title}: " + ", ".join(r["label"] for r in results)) if title else None)


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


def loss_figure_with_theory(run: RunConfig, results: list[dict], *, log=True, presentation=False, scrub=None,
                            raw=False):
    """The loss plot plus, on a quadratic surface, a dashed line (f₀ − f*)·ρ²ᵏ
    for each racer the linear theory covers (ρ its predicted rate). ``raw=True``:
    the plain figure dict (``figures.loss_figure``), the same traces unvalidated."""
    from figures import hyper
    fig = loss_figure_for(run, results, log=log, presentation=presentation, raw=raw)
    add = fig["data"].append if raw else fig.add_trace
    if scrub is not None and 0 <= scrub < len(results):   # the scrubbed racer's preview (scrub.js)
        add(loss_preview(results[scrub]["label"], figures.colour(scrub),
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
            add(tr)
            drawn = True
    if drawn:
        add(dict(type="scatter", x=[None], y=[None], mode="lines", name="theory (f₀ − f*)·ρ²ᵏ",
                 line=dict(color="#888888", width=2, dash="dash"), hoverinfo="skip",
                 meta=dict(role="theory-legend")))
    return fig
