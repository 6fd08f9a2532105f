"""Runs, sweeps and basin maps built from a validated configuration.

The glue between ``config`` (names and numbers) and ``engine`` (arrays): the
command line and the app both call these, so they agree on every number.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

import config
import engine
from config import OptimizerChoice, RunConfig, ScheduleChoice
from landscapes import Surface

BASIN_RADIUS = 0.01  # a run "reaches" a minimum if it ends within 1% of the domain diagonal


def basin_radius(surface: Surface) -> float:
    """How close to a minimum a run must end to have reached it."""
    (x0, x1), (y0, y1) = surface.domain
    return BASIN_RADIUS * float(np.hypot(x1 - x0, y1 - y0))


@lru_cache(maxsize=256)
def stop_rule(surface: Surface) -> engine.StopRule:
    """The surface's stop rule (one per surface object; surfaces are cached)."""
    return engine.StopRule.for_surface(surface)


def gradient_source(noise: float) -> engine.GradientSource:
    return engine.GaussianNoise(noise) if noise > 0 else engine.ExactGradient()


def run_choice(surface: Surface, choice: OptimizerChoice, starts, steps: int, *,
               schedule: ScheduleChoice | None = None, noise: float = 0.0, seed: int = 0,
               history="full", record_state: bool = False, hp_override: dict | None = None
               ) -> engine.Trajectory:
    schedule = schedule or ScheduleChoice()
    hp = choice.hyperparameters()
    if hp_override:
        hp.update(hp_override)
    sizes = [np.shape(starts)[0] if np.ndim(starts) == 2 else 1] + [np.size(v) for v in hp.values()]
    config.check_budget(max(sizes), steps, full_history=history != "final", record_state=record_state)
    return engine.run(
        choice.optimizer, surface, starts, hp, steps,
        schedule=schedule.schedule, schedule_params=dict(schedule.params),
        gradient=gradient_source(noise), seed=seed, history=history, record_state=record_state,
        stop=stop_rule(surface),
    )


def summary(tr: engine.Trajectory, surface: Surface, b: int = 0) -> dict:
    """Trajectory ``b`` as plain values: its finite part (the start and every
    step until the last one or until it stopped) and how it ended."""
    stop = int(tr.stopped_at[b])
    n = stop if stop >= 0 else tr.n_steps + 1
    idx, dist = surface.nearest_minimum(tr.final_position[b])
    out = {
        "positions": tr.positions[:n, b].copy(),
        "losses": tr.losses[:n, b].copy(),
        "grad_norms": tr.grad_norms[:n, b].copy(),
        "lrs": tr.lrs[:n - 1, b].copy(),
        "status": str(tr.status[b]),
        "message": tr.describe(b),
        "converged_at": int(tr.converged_at[b]),
        "stopped_at": stop,
        "final_loss": float(tr.final_loss[b]),
        "final_position": tr.final_position[b].copy(),
        "nearest_minimum": int(idx),
        "distance": float(dist),
    }
    if tr.grads is not None:
        out["grads"] = tr.grads[:n - 1, b].copy()
        out["updates"] = tr.updates[:n - 1, b].copy()
        out["states"] = {k: v[:n - 1, b].copy() for k, v in tr.states.items()}
    return out


def run_config(cfg: RunConfig, record_state: bool = False) -> list[engine.Trajectory]:
    """One trajectory per racer of ``cfg``, full history. Racer i draws its
    gradient noise from seed ``cfg.seed + i``, so adding a racer does not change
    the others' noise."""
    surface = cfg.get_surface()
    return [
        run_choice(surface, r.choice, cfg.racer_start(i), cfg.steps, schedule=r.schedule, noise=r.noise,
                   seed=cfg.seed + i, record_state=record_state)
        for i, r in enumerate(cfg.racers)
    ]


@dataclass
class Sweep:
    lrs: np.ndarray
    final_loss: np.ndarray      # NaN where the run diverged or escaped
    status: np.ndarray
    best_index: int | None      # lowest final loss among runs that did not blow up


def sweep(surface: Surface, choice: OptimizerChoice, start, lr_min: float, lr_max: float,
          count: int, steps: int, **kw) -> Sweep:
    """``count`` log-spaced learning rates in one vectorized run."""
    lrs = np.geomspace(lr_min, lr_max, count)
    tr = run_choice(surface, choice, start, steps, history="final", hp_override={"lr": lrs}, **kw)
    blew_up = (tr.status_code == engine.DIVERGED) | (tr.status_code == engine.ESCAPED)
    final = np.where(blew_up, np.nan, tr.final_loss)
    best = None if np.all(np.isnan(final)) else int(np.nanargmin(final))
    return Sweep(lrs, final, tr.status, best)


@dataclass
class Basins:
    xs: np.ndarray
    ys: np.ndarray
    basin: np.ndarray           # (R, R) index of the minimum reached, -1 for none; row = y
    status: np.ndarray          # (R, R)
    final_position: np.ndarray  # (R, R, 2)


def basins(surface: Surface, choice: OptimizerChoice, steps: int, resolution: int, **kw) -> Basins:
    """An R x R grid of start points over the domain, all run at once."""
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    starts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    tr = run_choice(surface, choice, starts, steps, history="final", **kw)
    idx, dist = surface.nearest_minimum(tr.final_position)
    radius = basin_radius(surface)
    blew_up = (tr.status_code == engine.DIVERGED) | (tr.status_code == engine.ESCAPED)
    reached = ~blew_up & (dist <= radius)
    basin = np.where(reached, idx, -1).reshape(resolution, resolution)
    return Basins(xs, ys, basin, tr.status.reshape(resolution, resolution),
                  tr.final_position.reshape(resolution, resolution, 2))
