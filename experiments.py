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
import landscapes
from config import OptimizerChoice, RunConfig, ScheduleChoice
from landscapes import DataSurface, Surface

BASIN_RADIUS = 0.01  # a run "reaches" a minimum if it ends within 1% of the domain diagonal


def basin_radius(surface: Surface) -> float:
    """How close to a minimum a run must end to have reached it."""
    (x0, x1), (y0, y1) = surface.domain
    return BASIN_RADIUS * float(np.hypot(x1 - x0, y1 - y0))


def reached(surface: Surface, nearest, distance, status, radius: float | None = None):
    """Whether a run ended in a known minimum (scalars or arrays alike): it did not
    stop early (``engine.STOPPED``), it has a nearest minimum (``nearest >= 0``) and
    it ended within ``radius`` (default ``basin_radius(surface)``) of it. The results
    table, the lessons' claims and the basin maps all ask this one question."""
    out = ~np.asarray(engine.stopped(status)) & (np.asarray(nearest) >= 0)
    out &= np.asarray(distance) <= (basin_radius(surface) if radius is None else radius)
    return bool(out) if out.ndim == 0 else out


def racer_args(run: RunConfig, i: int) -> dict:
    """Racer ``i``'s run as ``run_choice``'s keyword arguments: its schedule, its
    gradient noise or mini-batches, and its seed ``run.seed + i`` (so adding a racer
    does not change the others' draws). Races, sweeps, heat maps and basin maps
    of racer ``i`` all take these."""
    r = run.racers[i]
    return dict(schedule=r.schedule, noise=r.noise, seed=run.seed + i, batch_size=r.batch_size,
                drop_last=r.drop_last)


@lru_cache(maxsize=256)
def stop_rule(surface: Surface) -> engine.StopRule:
    """The surface's stop rule (one per surface object; surfaces are cached)."""
    return engine.StopRule.for_surface(surface)


def gradient_source(noise: float = 0.0, surface: Surface | None = None, batch_size: int | None = None,
                    drop_last: bool = False, record_batches: bool = False) -> engine.GradientSource:
    """The exact gradient, Gaussian noise of std ``noise``, or (``batch_size``
    given, on a data surface) real mini-batch gradients."""
    if batch_size is not None:
        if not isinstance(surface, DataSurface):
            raise ValueError("a batch size needs a data surface (one of: "
                             f"{', '.join(data_surface_names())}); this one has no data set")
        if noise > 0:
            raise ValueError("choose either a batch size (real mini-batch gradients) or gradient "
                             "noise, not both")
        return engine.MiniBatch(surface, batch_size, drop_last, record=record_batches)
    return engine.GaussianNoise(noise) if noise > 0 else engine.ExactGradient()


def data_surface_names() -> list[str]:
    return list(landscapes.DATA_SURFACES)


def run_choice(surface: Surface, choice: OptimizerChoice, starts, steps: int, *,
               schedule: ScheduleChoice | None = None, noise: float = 0.0, seed: int = 0,
               history="full", record_state: bool = False, hp_override: dict | None = None,
               batch_size: int | None = None, drop_last: bool = False,
               record_batches: bool = False, backend: str = "auto", should_stop=None) -> engine.Trajectory:
    """One vectorized run. With ``record_batches`` (a batch size given) the
    trajectory gets ``batches``: one (B, b_t) array of sample indices per step.
    ``backend`` is ``engine.run``'s (the same numbers either way). ``should_stop``:
    a plain callable asked before every step; True stops the run with
    ``engine.Cancelled`` (the app passes one that says the page is gone)."""
    schedule = schedule or ScheduleChoice()
    hp = choice.engine_hp()
    if hp_override:
        hp.update(hp_override)
    sizes = [np.shape(starts)[0] if np.ndim(starts) == 2 else 1] + [np.size(v) for v in hp.values()]
    config.check_budget(max(sizes), steps, full_history=history != "final", record_state=record_state,
                        surface=surface, batch_size=batch_size, optimizer=choice.name)
    source = gradient_source(noise, surface, batch_size, drop_last, record_batches)
    tr = engine.run(
        choice.optimizer, surface, starts, hp, steps,
        # a constant rate needs no (steps x B) table: at 16,384 basin starts x 500
        # steps building one took two thirds of the run
        schedule=None if schedule.name == "constant" else schedule.schedule,
        schedule_params=dict(schedule.params),
        gradient=source, seed=seed, history=history, record_state=record_state,
        stop=stop_rule(surface), backend=backend, should_stop=should_stop,
    )
    if record_batches and isinstance(source, engine.MiniBatch):
        tr.batches = source.batches
    return tr


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
    if getattr(tr, "batches", None) is not None:
        out["batches"] = [idx[b].tolist() for idx in tr.batches[:n - 1]]
    if out["status"] == "diverged" and surface.undefined:
        out["message"] = _undefined_message(tr, b, surface, out["message"])
    if tr.grads is not None:
        out["grads"] = tr.grads[:n - 1, b].copy()
        out["updates"] = tr.updates[:n - 1, b].copy()
        out["states"] = {k: v[:n - 1, b].copy() for k, v in tr.states.items()}
    return out


def _undefined_message(tr: engine.Trajectory, b: int, surface: Surface, message: str) -> str:
    """Say where a run stopped on a surface that is undefined in places (a
    typed formula): at an undefined start, or on stepping where f is not finite."""
    if tr.losses.shape[0] and not np.isfinite(tr.losses[0, b]) and tr.steps[0] == 0:
        x, y = tr.positions[0, b]
        return (f"stopped at once: the start point ({x:.4g}, {y:.4g}) is where "
                f"{surface.undefined}")
    reason = str(tr.stop_reason[b]) if tr.stop_reason is not None else ""
    if "loss or gradient" in reason:
        return message.replace(reason, f"stepped to where {surface.undefined}")
    return message


def run_config(cfg: RunConfig, record_state: bool = False,
               record_batches: bool = False) -> list[engine.Trajectory]:
    """One trajectory per racer of ``cfg``, full history. Racer i draws its
    gradient noise (or its mini-batches) from seed ``cfg.seed + i``, so adding a
    racer does not change the others'."""
    return [run_racer(cfg, i, record_state, record_batches) for i in range(len(cfg.racers))]


def run_racer(cfg: RunConfig, i: int, record_state: bool = False,
              record_batches: bool = False) -> engine.Trajectory:
    """Racer ``i`` of ``cfg`` alone: the same trajectory as ``run_config(cfg)[i]``
    (the app caches racers one by one, so changing one recomputes only that one)."""
    return run_choice(cfg.get_surface(), cfg.racers[i].choice, cfg.racer_start(i), cfg.steps,
                      record_state=record_state, record_batches=record_batches, **racer_args(cfg, i))


SWEEP_CLASSES = ("too small", "good", "too large", "diverging", "escaped")


@dataclass
class Sweep:
    """One optimizer's runs over log-spaced learning rates (index = rate)."""

    lrs: np.ndarray
    final_loss: np.ndarray      # NaN where the run diverged or escaped
    status: np.ndarray
    best_index: int | None      # lowest final loss among runs that did not blow up
    converged_at: np.ndarray | None = None  # step of convergence, -1 for never
    classes: np.ndarray | None = None       # one of SWEEP_CLASSES per rate
    optimizer: str = ""

    def ranges(self) -> list[tuple[str, float, float]]:
        """Contiguous runs of one class as ``(class, lr_low, lr_high)``; a
        boundary lies halfway (geometrically) between the neighbouring rates."""
        return class_ranges(self.lrs, self.classes)


def classify(lrs: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Each rate's range from the statuses of its run.

    ``diverged`` → "diverging", ``escaped`` → "escaped", ``converged`` → "good";
    a run that took every step without converging is "too small" below the
    converged rates (or, with none, below the last rate that did not blow up)
    and "too large" above them.
    """
    status = np.asarray(status).astype(str)
    out = np.full(len(lrs), "too small", dtype=object)
    good = status == "converged"
    ran = status == "max_steps"
    if good.any():
        lo, hi = lrs[good].min(), lrs[good].max()
        out[ran & (lrs > hi)] = "too large"
        # a gap inside the good range: nearer the low end is too small, else too large
        inside = ran & (lrs > lo) & (lrs < hi)
        out[inside & (np.log(lrs) > 0.5 * (np.log(lo) + np.log(hi)))] = "too large"
    out[good] = "good"
    out[status == "diverged"] = "diverging"
    out[status == "escaped"] = "escaped"
    return out


def class_ranges(lrs: np.ndarray, classes: np.ndarray) -> list[tuple[str, float, float]]:
    if classes is None or len(lrs) == 0:
        return []
    lrs = np.asarray(lrs, dtype=float)
    mids = np.sqrt(lrs[1:] * lrs[:-1])
    edges = np.concatenate(([lrs[0]], mids, [lrs[-1]]))
    out = []
    start = 0
    for i in range(1, len(lrs) + 1):
        if i == len(lrs) or classes[i] != classes[start]:
            out.append((str(classes[start]), float(edges[start]), float(edges[i])))
            start = i
    return out


def sweep(surface: Surface, choice: OptimizerChoice, start, lr_min: float, lr_max: float,
          count: int, steps: int, **kw) -> Sweep:
    """``count`` log-spaced learning rates in one vectorized run; every other
    hyperparameter, the schedule (scaled to each base rate) and the noise as
    in ``choice``/``kw``."""
    lrs = np.geomspace(lr_min, lr_max, count)
    tr = run_choice(surface, choice, start, steps, history="final", hp_override={"lr": lrs}, **kw)
    final = np.where(engine.stopped(tr.status_code), np.nan, tr.final_loss)
    best = None if np.all(np.isnan(final)) else int(np.nanargmin(final))
    return Sweep(lrs, final, tr.status, best, tr.converged_at.copy(), classify(lrs, tr.status),
                 choice.name)


def sweep_racers(run: RunConfig, lr_min: float, lr_max: float, count: int, should_stop=None) -> list[Sweep]:
    """One sweep per racer of ``run`` (one vectorized run each), each from the
    racer's start with its hyperparameters, schedule and noise (seed ``run.seed + i``)."""
    surface = run.get_surface()
    return [sweep(surface, r.choice, run.racer_start(i), lr_min, lr_max, count, run.steps, **racer_args(run, i),
                  should_stop=should_stop)
            for i, r in enumerate(run.racers)]


def heatmap_axis(optimizer: str) -> tuple[str, str, float, float] | None:
    """``(optimizer to run, hyperparameter, low, high)`` or None (no second axis):
    the optimizer's registry entry says (``Optimizer.heatmap``). Gradient descent
    is momentum at momentum 0, so its map is momentum's (the bottom row is plain
    gradient descent)."""
    return config.optimizers.get(optimizer).heatmap


def heatmap_optimizers() -> list[str]:
    """The optimizers that have a heat map (a momentum or β₁ axis)."""
    return [n for n in config.optimizers.names() if heatmap_axis(n) is not None]


@dataclass
class HeatMap:
    optimizer: str              # the optimizer run (gd's map is momentum's)
    axis: str                   # "momentum" or "beta1"
    lrs: np.ndarray             # (W,) log-spaced
    values: np.ndarray          # (H,) of the second hyperparameter
    final_loss: np.ndarray      # (H, W), NaN where the run diverged or escaped
    status: np.ndarray          # (H, W)
    converged_at: np.ndarray    # (H, W), -1 for never


def heatmap(surface: Surface, choice: OptimizerChoice, start, lr_min: float, lr_max: float,
            n_lr: int, steps: int, n_values: int | None = None, value_range=None, **kw) -> HeatMap:
    """Final loss over learning rate × momentum (or β₁): one vectorized run of
    ``n_lr × n_values`` trajectories. The other hyperparameters, the schedule
    and the noise are ``choice``'s and ``kw``'s."""
    axis = heatmap_axis(choice.name)
    if axis is None:
        have = ", ".join(sorted(heatmap_optimizers()))
        raise ValueError(f"{choice.name} has no momentum or beta1 for a heat map (optimizers with one: {have})")
    run_name, key, lo, hi = axis
    if value_range is not None:
        lo, hi = value_range
    n_values = n_values or n_lr
    lrs = np.geomspace(lr_min, lr_max, n_lr)
    values = np.linspace(lo, hi, n_values)
    L, V = np.meshgrid(lrs, values)
    opt = config.optimizers.get(run_name)
    base = {k: v for k, v in choice.hp if k in opt.hyperparameters and k != key}
    grid_hp = {"lr": L.ravel(), key: V.ravel()}
    opt.validate(grid_hp["lr"], **base, **{key: grid_hp[key]})  # ValueError for a bad range
    run_as = OptimizerChoice.build(run_name, choice.lr, **base)
    tr = run_choice(surface, run_as, start, steps, history="final", hp_override=grid_hp, **kw)
    shape = V.shape
    final = np.where(engine.stopped(tr.status_code), np.nan, tr.final_loss).reshape(shape)
    return HeatMap(run_name, key, lrs, values, final, tr.status.reshape(shape),
                   tr.converged_at.reshape(shape).copy())


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
    final, code = _final_in_chunks(surface, choice, starts, steps, **kw)
    idx, dist = surface.nearest_minimum(final)
    basin = np.where(reached(surface, idx, dist, code), idx, -1).reshape(resolution, resolution)
    status = np.array(engine.STATUS_NAMES, dtype=object)[code]
    return Basins(xs, ys, basin, status.reshape(resolution, resolution),
                  final.reshape(resolution, resolution, 2))


CHUNK = 16_384  # trajectories per engine call for big grids


def _final_in_chunks(surface: Surface, choice: OptimizerChoice, starts: np.ndarray, steps: int, *,
                     seed: int = 0, **kw) -> tuple[np.ndarray, np.ndarray]:
    """Final positions and status codes of many start points, ``CHUNK`` at a time.

    Still vectorized (no loop over trajectories): the arrays of a 160,000-start
    run do not fit in the CPU cache; measured on this 2-core machine (400 × 400,
    500 steps of gd on Himmelblau) one call took 1.9 s of CPU, chunks of 16,384
    1.6 s (and under load the wall-time gap was wider). With gradient noise,
    chunk k draws from seed ``(seed, k)`` (one chunk: ``seed``)."""
    n = len(starts)
    config.check_budget(n, steps, full_history=False, surface=surface,  # the whole grid, not one chunk
                        batch_size=kw.get("batch_size"), optimizer=choice.name)
    if n <= CHUNK:
        tr = run_choice(surface, choice, starts, steps, history="final", seed=seed, **kw)
        return tr.final_position, tr.status_code
    final = np.empty((n, 2))
    code = np.empty(n, dtype=np.int8)
    for k, a in enumerate(range(0, n, CHUNK)):
        tr = run_choice(surface, choice, starts[a:a + CHUNK], steps, history="final", seed=[seed, k], **kw)
        final[a:a + CHUNK] = tr.final_position
        code[a:a + CHUNK] = tr.status_code
    return final, code


def default_lr_range(run: RunConfig) -> tuple[float, float]:
    """A sweep range around every racer's rate: a thousandth of the smallest to
    thirty times the largest (so the too-small, good and diverging ranges all
    usually show)."""
    lrs = [r.choice.lr for r in run.racers if r.choice.lr > 0] or [1e-3]
    lo, hi = min(lrs) / 1e3, max(lrs) * 30
    return float(f"{lo:.3g}"), float(f"{min(hi, config.MAX_LR):.3g}")


def basin_blew_up(b: Basins) -> np.ndarray:
    return engine.stopped(b.status)
