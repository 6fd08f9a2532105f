"""Scrub a hyperparameter in the browser (issue 23): a family of runs of one racer.

For the chosen racer, ``COUNT`` values of its learning rate spanning ÷10 … ×10
around the current one (log-spaced, the current value exactly in the middle),
and, where the optimizer has one, ``COUNT`` values of its momentum or β₁ over
its range (the current value among them), each family computed in **one**
vectorized engine call (per-trajectory hyperparameter arrays). The browser gets
every member's path (thinned to at most ``POINTS`` points, as pairs of
neighbours like the race's paths), its loss and where it stopped, and redraws
the racer's path from them as a slider moves, with no server run
(``livechart/scrub.js``). The member at the current value is the racer's own
run (same start, same hyperparameters; the tests check it equals the race).

Noisy and mini-batch racers are not scrubbed: a family member would draw other
noise than the racer (one generator per run), so its path at the current value
would not be the racer's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import experiments
from config import RunConfig

COUNT = 21          # values per slider (odd: the current one in the middle)
SPAN = 10.0         # learning rates from lr / SPAN to lr * SPAN
POINTS = 300        # most drawn points of a member's path (the default view stays under 1 MB)


@dataclass(frozen=True)
class Family:
    """Racer ``racer``'s runs at ``values`` of ``param`` (the others as set)."""

    racer: int
    param: str                  # "lr", "momentum" or "beta1"
    values: np.ndarray          # (K,)
    current: int                # index of the racer's own value in ``values``
    idx: list[np.ndarray]       # per member: the step of each drawn point
    xy: list[np.ndarray]        # per member: (n_k, 2) drawn points
    loss: list[np.ndarray]      # per member: (n_k,) loss at those points
    status: list[str]           # per member: "diverged", "escaped", "converged", "max_steps"
    stopped_at: list[int]


def second_param(run: RunConfig, i: int) -> tuple[str, float, float] | None:
    """The racer's momentum-like hyperparameter and its range, or None."""
    r = run.racers[i]
    axis = experiments.heatmap_axis(r.choice.name)
    if axis is None or axis[1] not in r.choice.optimizer.hyperparameters:
        return None
    return axis[1], axis[2], axis[3]


def available(run: RunConfig, i: int) -> str | None:
    """None if racer ``i`` can be scrubbed, else why not (a sentence)."""
    if not 0 <= i < len(run.racers):
        return "no such racer"
    r = run.racers[i]
    if r.noise or r.batch_size is not None:
        return ("a racer with gradient noise or mini-batches is not scrubbed: each run of a family would "
                "draw other noise than the racer")
    if r.choice.lr <= 0:
        return "a learning rate of 0 has no range around it"
    return None


def values_for(run: RunConfig, i: int, param: str) -> tuple[np.ndarray, int]:
    """The slider's values and the index of the racer's own."""
    hp = run.racers[i].choice.engine_hp()
    now = float(hp[param])
    half = COUNT // 2
    if param == "lr":
        v = now * SPAN ** (np.arange(-half, half + 1) / half)
        v[half] = now
        return v, half
    _, lo, hi = second_param(run, i)
    v = np.linspace(lo, hi, COUNT)
    k = int(np.argmin(np.abs(v - now)))
    v[k] = now
    return v, k


def family(run: RunConfig, i: int, param: str) -> Family:
    """One vectorized run of racer ``i`` at every value of ``param``."""
    r = run.racers[i]
    values, current = values_for(run, i, param)
    K = len(values)
    starts = np.repeat(np.asarray([run.racer_start(i)], dtype=float), K, axis=0)
    tr = experiments.run_choice(run.get_surface(), r.choice, starts, run.steps, schedule=r.schedule,
                                hp_override={param: values})
    surface = run.get_surface()
    idx, xy, loss, status, stopped = [], [], [], [], []
    from figures.trajectories import thin
    for b in range(K):
        s = experiments.summary(tr, surface, b)
        n = len(s["positions"])
        ok = np.all(np.isfinite(s["positions"]), axis=1) & np.isfinite(s["losses"])
        n = int(np.argmin(ok)) if not ok.all() else n
        keep = thin(n, POINTS)
        idx.append(keep)
        xy.append(s["positions"][keep])
        loss.append(s["losses"][keep])
        status.append(s["status"])
        stopped.append(int(s["stopped_at"]))
    return Family(i, param, values, current, idx, xy, loss, status, stopped)


def families(run: RunConfig, i: int) -> list[Family]:
    """The learning-rate family and, where there is one, the momentum/β₁ family."""
    if available(run, i) is not None:
        return []
    out = [family(run, i, "lr")]
    second = second_param(run, i)
    if second is not None:
        out.append(family(run, i, second[0]))
    return out


def released(run: RunConfig, event) -> tuple[int, str, float] | None:
    """A released slider from the browser (``{"racer", "param", "value"}``) as
    ``(racer, param, value)`` when it names one of the values the figure offered
    for that racer, else None (a modified client gets nothing)."""
    try:
        i, param, value = int(event["racer"]), str(event["param"]), float(event["value"])
    except (KeyError, TypeError, ValueError):
        return None
    if available(run, i) is not None or not np.isfinite(value):
        return None
    if param != "lr" and (second_param(run, i) or (None,))[0] != param:
        return None
    values, _ = values_for(run, i, param)
    hit = np.flatnonzero(np.isclose(values, value, rtol=1e-6, atol=0))
    return (i, param, float(values[hit[0]])) if len(hit) else None
