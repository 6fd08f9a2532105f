"""Run many trajectories of one optimizer at once.

One NumPy loop over steps, vectorized over a batch of B trajectories that may
mix start points, learning rates and numeric hyperparameters. No Python loop
over trajectories.

Statuses (per trajectory)
-------------------------
``converged``
    the exact gradient norm fell below ``tol`` (default 1e-5) at some step; the
    first such step is ``converged_at``. The run still takes every step.
``diverged``
    a non-finite loss or position, or a loss above ``loss_bound``, or the run
    left the escape region uphill (its loss above the start's). The run stops:
    ``stopped_at`` is that step, and nothing from it on is reported as a number.
``escaped``
    the run left the escape region of its stop rule (``StopRule.for_surface``:
    10 half-widths of the surface's domain from its centre) downhill, with a loss below the start's: on
    a surface unbounded below (the saddle) this is the lesson, not an error.
``max_steps``
    none of the above.
A run that converged and later diverged or escaped reports the later status.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from landscapes import Surface
from optimizers import Optimizer
from optimizers.schedules import Schedule
from optimizers.schedules import constant as constant_schedule

from .gradients import ExactGradient, GradientSource
from .stop import StopRule

HARD_MAX_STEPS = 100_000   # the engine's own guard; the app and CLI cap at config.MAX_STEPS
MAX_BATCH = 1_000_000
DEFAULT_TOL = 1e-5


class Cancelled(Exception):
    """A run stopped because its ``should_stop`` said nobody waits for it any more."""


STATUS_NAMES = ("max_steps", "converged", "diverged", "escaped")
MAX_STEPS_CODE, CONVERGED, DIVERGED, ESCAPED = range(4)
STOPPED = ("diverged", "escaped")   # the statuses of a run that stopped before its last step


def stopped(status):
    """True where a status (a name, an array of names or of status codes) is one of ``STOPPED``."""
    a = np.asarray(status)
    if a.dtype.kind in "iu":
        return (a == DIVERGED) | (a == ESCAPED)
    out = np.isin(a.astype(str), STOPPED)
    return bool(out) if out.ndim == 0 else out


@dataclass
class Trajectory:
    """What a run returns. Recorded rows are the steps in ``steps``.

    ``positions`` (R, B, 2), ``losses`` (R, B) and ``grad_norms`` (R, B) hold the
    recorded rows (R = T + 1 for a full history); entries at or after a
    trajectory's ``stopped_at`` are NaN. ``lrs`` (T, B) is the learning rate of
    each step (full history only). ``final_position``/``final_loss`` are the
    last finite values. With ``record_state`` the gradients the optimizer saw
    (``grads``, T x B x 2), its ``updates`` and its ``states`` per step are kept.
    ``batches`` is set by a caller that recorded its mini-batches
    (``experiments.run_choice(..., record_batches=True)``).
    """

    steps: np.ndarray
    positions: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    final_position: np.ndarray
    final_loss: np.ndarray
    status_code: np.ndarray
    converged_at: np.ndarray
    stopped_at: np.ndarray
    n_steps: int
    lrs: np.ndarray | None = None
    grads: np.ndarray | None = None
    updates: np.ndarray | None = None
    states: dict[str, np.ndarray] = field(default_factory=dict)
    loss_bound: float = np.inf
    stop_reason: np.ndarray | None = None
    batches: list[np.ndarray] | None = None  # per step, the (B, b) sample indices of a mini-batch run

    @property
    def status(self) -> np.ndarray:
        return np.array(STATUS_NAMES, dtype=object)[self.status_code]

    def describe(self, b: int) -> str:
        """One plain sentence on how trajectory ``b`` ended."""
        code = int(self.status_code[b])
        x, y = self.final_position[b]
        if code == DIVERGED:
            return (f"diverged at step {int(self.stopped_at[b])}: "
                    f"{self.stop_reason[b]}; last finite point ({x:.4g}, {y:.4g})")
        if code == ESCAPED:
            return (f"escaped at step {int(self.stopped_at[b])}: left the plotting region "
                    f"downhill (the surface falls away without bound); last point ({x:.4g}, {y:.4g})")
        if code == CONVERGED:
            return (f"converged at step {int(self.converged_at[b])} "
                    f"(gradient norm below tolerance); final loss {self.final_loss[b]:.6g}")
        return f"ran all {self.n_steps} steps; final loss {self.final_loss[b]:.6g}"


def _batch_size(starts: np.ndarray, lr, hp_batch: int | None) -> int:
    """B: the common length of the start points, the learning rates and the
    optimizer's per-trajectory hyperparameters (a length of 1 fits any B)."""
    sizes = {len(starts)} if starts.ndim == 2 else {1}
    if np.ndim(lr) == 1:
        sizes.add(len(lr))
    if hp_batch is not None:
        sizes.add(hp_batch)
    sizes.discard(1)
    if len(sizes) > 1:
        raise ValueError(f"per-trajectory arrays have mismatched lengths {sorted(sizes)}")
    return sizes.pop() if sizes else 1


def run(
    optimizer: Optimizer,
    surface: Surface,
    starts,
    hyperparameters: Mapping[str, object],
    steps: int,
    *,
    schedule: Schedule | None = None,
    schedule_params: Mapping[str, object] | None = None,
    gradient: GradientSource | None = None,
    seed: int = 0,
    history: str | int = "full",
    record_state: bool = False,
    tol: float = DEFAULT_TOL,
    stop: StopRule | None = None,
    backend: str = "auto",
    should_stop: Callable[[], bool] | None = None,
) -> Trajectory:
    """Run ``steps`` optimizer steps from each start point.

    ``hyperparameters`` is ``optimizer.validate(...)``'s output: ``lr`` (the
    base learning rate) and the arguments of the optimizer's factory; any numeric
    entry may be a 1-D array with one value per trajectory. If the optimizer has
    a ``lookahead``, its gradient is taken there; the loss, the convergence test
    and the stop rules always use the parameters themselves.
    ``starts`` is ``(2,)`` or ``(B, 2)``. ``history`` is "full" (every step),
    "final" (final values only) or a stride k (every k-th step and the last).
    Same seed, same result. ``should_stop`` (a plain callable) is asked before
    every step; when it answers True the run raises :class:`Cancelled`.

    ``backend``: "numpy" (this loop, the reference), "compiled" (the same run in
    numba kernels, ``engine.compiled``; ValueError where it cannot) or "auto"
    (compiled when its kernels are loaded in this process and the case is
    supported, else NumPy). A compiled run is asked ``should_stop`` once, before
    it starts (callers chunk long work, so a chunk is well under a second).
    """
    if backend != "numpy":
        from . import compiled  # numba loads only when a run asks for it
        fast = compiled.run(optimizer, surface, starts, hyperparameters, steps, schedule=schedule,
                            schedule_params=schedule_params, gradient=gradient, seed=seed, history=history,
                            record_state=record_state, tol=tol, stop=stop, backend=backend,
                            should_stop=should_stop)
        if fast is not None:
            return fast
    setup = _Setup.of(optimizer, surface, starts, hyperparameters, steps, schedule, schedule_params, stop)
    rec = _Recorder(steps, setup.B, history, record_state)
    book = _Book(setup.B)
    with np.errstate(all="ignore"):
        params, loss = _loop(setup, surface, steps, gradient or ExactGradient(), np.random.default_rng(seed),
                             rec, book, tol, optimizer.state_names if record_state else None, should_stop)
    return rec.trajectory(book, params, loss, setup.loss_bound)


@dataclass
class _Setup:
    """What a run needs before its first step: the optimizer's transform (its
    hyperparameters checked and closed over), B, the start array, the rate stepper
    and the stop rule's numbers as plain floats (a (B, 2) array against a (2,) array
    is ~10x slower in NumPy)."""

    transform: object
    B: int
    params: np.ndarray
    lr_source: object
    centre: tuple[float, float]
    half_widths: tuple[float, float]
    loss_bound: float

    @classmethod
    def of(cls, optimizer, surface, starts, hyperparameters, steps, schedule, schedule_params, stop) -> "_Setup":
        starts = _checked_starts(steps, starts)
        hp = dict(hyperparameters)
        lr = hp.pop("lr")
        transform = optimizer(**hp)  # checks the hyperparameters and closes over them
        B = _batch_size(starts, lr, transform.batch)
        if B > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} trajectories per run, got {B}")
        params = np.broadcast_to(starts, (B, 2)).copy()
        base_lr = np.array(np.broadcast_to(np.asarray(lr, dtype=float), (B,)))
        # one step's rate at a time: a float when every trajectory has the same
        # rate, never a (steps x B) table; a loss-driven schedule is told each loss
        lr_source = (schedule or constant_schedule).stepper(steps, base_lr, **(schedule_params or {}))
        if lr_source.batch not in (1, B):
            raise ValueError(f"per-trajectory schedule parameters have length {lr_source.batch}, "
                             f"but there are {B} trajectories")
        stop = stop if stop is not None else StopRule.for_surface(surface)
        (cx, cy), (rx, ry) = stop.centre, stop.half_widths
        return cls(transform, B, params, lr_source, (float(cx), float(cy)), (float(rx), float(ry)),
                   stop.loss_bound)


class _Book:
    """Each trajectory's status as the run goes: converged or stopped at which step,
    why, and whether it still moves."""

    def __init__(self, B: int):
        self.status = np.zeros(B, dtype=np.int8)
        self.converged_at = np.full(B, -1)
        self.stopped_at = np.full(B, -1)
        self.reason = np.full(B, "", dtype=object)
        self.alive = np.ones(B, dtype=bool)
        self.any_dead = False

    def converged(self, conv: np.ndarray, t: int) -> None:
        """The first step at which each trajectory's gradient norm fell below tol (a
        stopped run keeps a gradient it had not converged on)."""
        first = conv & (self.converged_at < 0)
        self.converged_at[first] = t
        self.status[first] = CONVERGED

    def stop(self, newly, off, t, loss, gn, new, start_loss, loss_bound) -> None:
        _mark_stops(newly, off, t, loss, gn, new, start_loss, loss_bound, self.status, self.stopped_at,
                    self.reason)
        self.alive &= ~newly
        self.any_dead = True


class _Recorder:
    """The history a run keeps: positions, losses and gradient norms at the recorded
    steps, every step's rate (full history), and with ``record_state`` every step's
    gradient, update and optimizer state arrays."""

    def __init__(self, steps: int, B: int, history, record_state: bool):
        self.steps = steps
        self.rec_steps, rec_index = _recorded_steps(steps, history)
        self.row_of = rec_index.tolist()   # each step's row (-1: not kept); a list indexes fastest
        R = len(self.rec_steps)
        self.positions, self.losses, self.gnorms = np.empty((R, B, 2)), np.empty((R, B)), np.empty((R, B))
        self.lrs = np.empty((steps, B)) if history == "full" else None
        self.grads = np.empty((steps, B, 2)) if record_state else None
        self.updates = np.empty((steps, B, 2)) if record_state else None
        self.states: dict[str, np.ndarray] = {}

    def trajectory(self, book: _Book, params, loss, loss_bound) -> Trajectory:
        """The finished run; nothing from a trajectory's stop on is reported as a number."""
        if book.any_dead:
            _blank_after_stops(book.stopped_at, self.steps, self.rec_steps, (self.positions, self.losses, self.gnorms),
                               [self.grads, self.updates, *self.states.values()] if self.grads is not None else [])
        return Trajectory(
            steps=self.rec_steps, positions=self.positions, losses=self.losses, grad_norms=self.gnorms,
            final_position=params, final_loss=np.asarray(loss, dtype=float),
            status_code=book.status, converged_at=book.converged_at, stopped_at=book.stopped_at,
            n_steps=self.steps, lrs=self.lrs, grads=self.grads, updates=self.updates, states=self.states,
            loss_bound=loss_bound, stop_reason=book.reason,
        )


def _loop(setup: _Setup, surface, steps, gradient, rng, rec: _Recorder, book: _Book, tol,
          state_names, should_stop):
    """The steps themselves: gradient (at the look-ahead point if the optimizer has
    one), update, loss and stop tests at the new point, convergence, the schedule told
    the loss, the history kept. Returns the final parameters and loss. One loop for
    every trajectory at once; the few that stop at a step are handled apart."""
    transform, params, alive = setup.transform, setup.params, book.alive
    (cx, cy), (rx, ry), loss_bound = setup.centre, setup.half_widths, setup.loss_bound
    observe = setup.lr_source.observe if setup.lr_source.needs_loss else None
    loss = surface.f(params)
    exact = surface.grad(params)
    gn = _norm(exact)
    start_loss = loss.copy()
    row = rec.row_of
    if row[0] >= 0:
        rec.positions[0], rec.losses[0], rec.gnorms[0] = params, loss, gn
    conv = gn < tol
    if conv.any():
        book.converged(conv, 0)
    update, lookahead = transform.update, transform.lookahead
    state = transform.init(params)
    lr_at = _Widen(setup.lr_source.lr, rec.lrs)
    for t in range(1, steps + 1):
        if should_stop is not None and should_stop():
            raise Cancelled(f"stopped before step {t} of {steps}: nobody waits for it")
        if lookahead is None:
            g = gradient(params, exact, t, rng)
        else:  # the gradient at the optimizer's look-ahead point; loss and stops stay at params
            ahead = lookahead(params, state)
            g = gradient(ahead, surface.grad(ahead), t, rng)
        if transform.needs_hessian:
            new, state = update(g, state, params, lr_at(t - 1), surface.hessian(params))
        else:
            new, state = update(g, state, params, lr_at(t - 1))
        if book.any_dead:
            new = np.where(alive[:, None], new, params)
        if state_names is not None:
            _record_step(t, g, new - params, state, state_names, steps, rec.grads, rec.updates, rec.states)
        prev_loss, prev_exact, prev_gn = loss, exact, gn
        loss = surface.f(new)
        exact = surface.grad(new)
        gn = _norm(exact)
        inside_x = np.abs(new[:, 0] - cx) <= rx  # False for NaN too
        inside_y = np.abs(new[:, 1] - cy) <= ry
        ok = loss <= loss_bound  # False for NaN too
        ok &= inside_x
        ok &= inside_y
        if not ok.all():
            newly = ~ok & alive
            if newly.any():
                book.stop(newly, ~(inside_x & inside_y), t, loss, gn, new, start_loss, loss_bound)
                # the stopped ones stay where they were, with the values they had
                new = np.where(alive[:, None], new, params)
                loss = np.where(alive, loss, prev_loss)
                exact = np.where(alive[:, None], exact, prev_exact)
                gn = np.where(alive, gn, prev_gn)
        conv = gn < tol
        if conv.any():
            book.converged(conv, t)
        params = new
        if observe is not None:  # as sched.step(loss) after opt.step()
            observe(prev_loss)
        r = row[t]
        if r >= 0:
            rec.positions[r], rec.losses[r], rec.gnorms[r] = params, loss, gn
    return params, loss


def _checked_starts(steps, starts) -> np.ndarray:
    if not isinstance(steps, (int, np.integer)) or not 0 <= steps <= HARD_MAX_STEPS:
        raise ValueError(f"steps must be a whole number in [0, {HARD_MAX_STEPS}], got {steps!r}")
    starts = np.asarray(starts, dtype=float)
    if starts.shape[-1] != 2 or starts.ndim not in (1, 2) or not np.all(np.isfinite(starts)):
        raise ValueError("start points must be finite (x, y) pairs of shape (2,) or (B, 2)")
    return starts


def _record_step(t, g, update, state, names, steps, rec_grads, rec_updates, rec_states) -> None:
    """Keep step t's gradient, update and the optimizer state arrays named in ``names``."""
    rec_grads[t - 1] = g
    rec_updates[t - 1] = update
    for k in names:
        v = state[k]
        if k not in rec_states:
            rec_states[k] = np.full((steps,) + np.shape(v), np.nan)
        rec_states[k][t - 1] = v


def _recorded_steps(steps: int, history) -> tuple[np.ndarray, np.ndarray]:
    """The steps a history keeps, and each step's row in it (-1: not kept)."""
    if history == "final":
        rec_steps = np.array([steps])
    else:
        stride = 1 if history == "full" else int(history)
        if stride < 1:
            raise ValueError("history stride must be >= 1")
        rec_steps = np.unique(np.append(np.arange(0, steps + 1, stride), steps))
    rec_index = np.full(steps + 1, -1)
    rec_index[rec_steps] = np.arange(len(rec_steps))
    return rec_steps, rec_index


def _mark_stops(newly, off, t, loss, gn, new, start_loss, loss_bound, status, stopped_at, reason) -> None:
    """Record why and how the trajectories in ``newly`` stop at step ``t``: escaped
    when they left the region downhill, diverged otherwise."""
    for b in np.flatnonzero(newly):  # only the few that stop at this step
        reason[b] = _reason(loss[b], gn[b], new[b], loss_bound, off[b])
    escaped = newly & off & (loss < start_loss) & np.isfinite(loss)
    status[newly] = DIVERGED
    status[escaped] = ESCAPED
    stopped_at[newly] = t


def _blank_after_stops(stopped_at, steps, rec_steps, per_row, per_step) -> None:
    """NaN in every recorded row (``per_row``: indexed by recorded step) and every
    recorded step (``per_step``: steps 1..T) from a trajectory's stop on."""
    stop = np.where(stopped_at >= 0, stopped_at, steps + 1)[None, :]
    dead_rows = rec_steps[:, None] >= stop
    for a in per_row:
        a[dead_rows] = np.nan
    dead_steps = np.arange(1, steps + 1)[:, None] >= stop
    for a in per_step:
        a[dead_steps] = np.nan


class _Widen:
    """A stepper's rate as the optimizer takes it: a float as it is, a (B,)
    row as a (B, 2) array (same-shape NumPy operations are fastest); each
    rate is also written to the recorded ``lrs`` when there is one."""

    def __init__(self, lr_of, record: np.ndarray | None):
        self.lr_of, self.record = lr_of, record
        self.last = self.wide = None

    def __call__(self, k: int):
        lr = self.lr_of(k)
        if self.record is not None:
            self.record[k] = lr
        if isinstance(lr, float):
            return lr
        if lr is not self.last:  # a constant rate per trajectory is widened once
            self.last, self.wide = lr, np.stack([lr, lr], axis=1)
        return self.wide


def _norm(g: np.ndarray) -> np.ndarray:
    """Row norms of a (B, 2) array (np.hypot is ~5x slower here)."""
    sq = g * g
    return np.sqrt(sq[:, 0] + sq[:, 1])


def _reason(loss: float, gn: float, point: np.ndarray, bound: float, off: bool) -> str:
    if not np.all(np.isfinite(point)):
        return "the position overflowed to a non-finite value"
    if not np.isfinite(loss) or not np.isfinite(gn):
        return "the loss or gradient became non-finite"
    if loss > bound:
        return f"loss {loss:.3g} exceeded the bound {bound:.3g}"
    if off:
        return "left the region around the surface's domain uphill"
    return "stopped"
