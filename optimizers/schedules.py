"""Learning-rate schedules, stepped once per optimizer step like ``torch.optim.lr_scheduler``.

Index ``k = 0, 1, …, T−1`` is the scheduler's step count (torch's ``last_epoch``);
the learning rate at ``k`` is the one used by optimizer step ``k + 1``. So the
first optimizer step uses the schedule's value at ``k = 0`` (the base learning
rate, except during a warm-up or a one-cycle ramp), exactly as a torch loop of
``opt.step(); sched.step()`` does.

Two kinds of schedule:

* closed forms in ``k`` (``step``, ``multistep``, ``exponential``, ``cosine``,
  ``inverse_time``, ``warmup_cosine``, ``one_cycle``): where torch has the
  schedule, the closed form is torch's and agrees with its (recursive)
  ``get_lr`` to rounding;
* ``plateau`` (torch's ``ReduceLROnPlateau``), which depends on the losses seen
  so far: after optimizer step ``k + 1`` it is told the exact loss at the point
  where that step started, as a loop ``loss = f(θ); opt.step(); sched.step(loss)``
  would.

The engine asks a *stepper* (``Schedule.stepper``) for one step's rate at a time
and tells it each step's loss, so no (steps × trajectories) table is ever made:
a rate that is the same for every trajectory is a plain float, and closed forms
are evaluated in chunks of bounded size.

Numeric parameters may be scalars or 1-D arrays (one value per trajectory);
integer-valued ones (``step_size``, ``T_max``, ``warmup``, ``patience``, …) must
be whole numbers. List values (``milestones``) are given as a tuple of whole
numbers or as text ``"10,30"``; choices (``mode``, ``anneal_strategy``,
``threshold_mode``) as text; flags (``three_phase``) as a bool or
``"true"``/``"false"``.
"""
from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from registries import Registry
from .base import Hyper, _check

Array = np.ndarray

CHUNK_ELEMENTS = 1 << 18  # a closed form is evaluated ~262k values (2 MB) at a time
MAX_MILESTONES = 100


def _int(default: int, doc: str, low: float = 1.0) -> Hyper:
    return Hyper(default, low, math.inf, high_open=True, kind="int", doc=doc)


@dataclass(frozen=True)
class Choice:
    """A parameter that is one of a few words (torch's string options)."""

    default: str
    choices: tuple[str, ...]
    doc: str = ""
    kind: str = "choice"

    def describe_range(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)


@dataclass(frozen=True)
class Milestones:
    """A strictly increasing list of step indices >= 1, e.g. ``(100, 200)`` or ``"100,200"``."""

    default: tuple[int, ...]
    doc: str = ""
    kind: str = "int_list"

    def describe_range(self) -> str:
        return "increasing whole numbers ≥ 1, written like 10,30"


def format_value(value) -> str:
    """A parameter value as it is written in a link or on the command line."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return ",".join(str(int(v)) for v in value)
    return f"{float(value):.12g}"


def _parse_milestones(sched: str, key: str, value) -> tuple[int, ...]:
    what = f"{sched}.{key}"
    if isinstance(value, str):
        text = value.strip().strip("[]()")
        parts = [p.strip() for p in text.split(",")] if text.strip() else []
        if len(parts) > MAX_MILESTONES:
            raise ValueError(f"{what} takes at most {MAX_MILESTONES} steps, got {len(parts)}")
    elif isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{what} must be increasing whole numbers like 10,30, got {value!r}")
    elif isinstance(value, (int, float, np.integer, np.floating)):
        parts = [value]
    else:
        try:
            parts = list(value)
        except TypeError:
            raise ValueError(f"{what} must be increasing whole numbers like 10,30, "
                             f"got {value!r}") from None
        if len(parts) > MAX_MILESTONES:
            raise ValueError(f"{what} takes at most {MAX_MILESTONES} steps, got {len(parts)}")
    if not parts:
        raise ValueError(f"{what} must list at least one step, like 10,30")
    out = []
    for p in parts:
        shown = p if not isinstance(p, str) or len(p) <= 40 else p[:40] + "…"
        if isinstance(p, (bool, np.bool_)):
            raise ValueError(f"{what} must be whole numbers, got {shown!r}")
        try:
            v = float(p)
        except (TypeError, ValueError):
            raise ValueError(f"{what} must be increasing whole numbers like 10,30, "
                             f"got {shown!r}") from None
        if not math.isfinite(v) or v != math.floor(v) or not 1 <= v <= 1e9:
            raise ValueError(f"{what} must be whole numbers between 1 and 1e9, got {shown!r}")
        out.append(int(v))
    if any(b <= a for a, b in itertools.pairwise(out)):
        raise ValueError(f"{what} must be strictly increasing, got {','.join(map(str, out))}")
    return tuple(out)


def _parse_choice(sched: str, key: str, value, spec: Choice) -> str:
    if isinstance(value, str) and value.strip() in spec.choices:
        return value.strip()
    shown = value if not isinstance(value, str) or len(value) <= 40 else value[:40] + "…"
    raise ValueError(f"{sched}.{key} must be {spec.describe_range()}, got {shown!r}")


@dataclass(frozen=True, eq=False)
class Schedule:
    """A learning-rate schedule.

    A closed form has ``fn(k, lr, **params)`` with ``k`` a (n, 1) array of
    scheduler step indices and ``lr`` the (1, W) base learning rates; ``prepare``
    (optional) resolves parameters that depend on the run (``steps``, ``lr``)
    and checks them against it. A schedule driven by the loss has ``fn=None``
    and a ``make_stepper(steps, lr, batch, params)``.
    """

    name: str
    title: str
    latex: str
    description: str
    params: dict
    fn: Callable[..., Array] | None
    prepare: Callable[..., dict] | None = None
    make_stepper: Callable[..., object] | None = None

    @property
    def needs_loss(self) -> bool:
        return self.fn is None

    def defaults(self) -> dict:
        return {k: h.default for k, h in self.params.items()}

    def validate(self, **params) -> dict:
        """Fill defaults and check every value; raise ValueError naming the parameter.

        Numbers may be given as text; ``milestones`` as ``"10,30"`` or a tuple;
        choices as text; flags as bools or ``"true"``/``"false"``."""
        for key in params:
            if key not in self.params:
                valid = ", ".join(self.params) or "none"
                shown = key if len(key) <= 40 else key[:40] + "…"
                raise ValueError(f"schedule {self.name!r} has no parameter {shown!r} (valid: {valid})")
        out = {}
        for key, h in self.params.items():
            value = params.get(key, h.default)
            if h.kind == "int_list":
                out[key] = _parse_milestones(self.name, key, value)
                continue
            if h.kind == "choice":
                out[key] = _parse_choice(self.name, key, value, h)
                continue
            if h.kind != "bool" and isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{self.name}.{key} must be a number, got {value!r}")
            if isinstance(value, str) and len(value) > 40:
                raise ValueError(f"{self.name}.{key} must be a number, got {value[:40] + '…'!r}")
            v = _check(self.name, key, value, h)
            if h.kind == "int":
                arr = np.asarray(v)
                if np.any(arr != np.floor(arr)):
                    bad = arr.reshape(-1)[np.argmax((arr != np.floor(arr)).reshape(-1))]
                    low = "a positive" if h.low >= 1 else "a"
                    raise ValueError(f"{self.name}.{key} must be {low} whole number, got {bad!r}")
            out[key] = v
        return out

    def stepper(self, steps: int, base_lr, **params) -> "Stepper":
        """The learning rate of optimizer steps 1..steps, one step at a time.

        ``base_lr`` is a number or a 1-D array (one per trajectory). The stepper's
        ``lr(k)`` is the rate of step ``k + 1`` (asked for in order k = 0, 1, …):
        a float when every trajectory has the same rate, else a (B,) array; its
        ``observe(loss)`` is told, after each step, the (B,) loss at the point
        where that step started (only schedules with ``needs_loss`` use it)."""
        if (isinstance(steps, (bool, np.bool_))
                or not isinstance(steps, (int, float, np.integer, np.floating))
                or not math.isfinite(steps) or int(steps) != steps or steps < 0):
            raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
        steps = int(steps)
        lr = np.asarray(base_lr, dtype=np.float64).reshape(-1)
        if lr.size == 0 or not np.all(np.isfinite(lr)) or np.any(lr < 0):
            raise ValueError(f"base_lr must be finite numbers >= 0, got {base_lr!r}")
        p = self.validate(**params)
        numeric = {k: v for k, v in p.items() if isinstance(v, np.ndarray)}
        sizes = {v.size for v in (lr, *numeric.values()) if v.size != 1}
        if len(sizes) > 1:
            raise ValueError(f"{self.name}: base_lr and per-trajectory parameters must have "
                             f"one length (or length 1), got lengths {sorted(sizes)}")
        batch = sizes.pop() if sizes else 1
        if self.fn is None:
            return self.make_stepper(steps, np.broadcast_to(lr, (batch,)).copy(), batch, p)

        def same(a: Array) -> bool:
            return a.size == 1 or bool(np.all(a == a[0]))

        if self.name == "constant":
            return ConstantStepper(float(lr[0]) if same(lr) else np.broadcast_to(lr, (batch,)).copy(), batch)
        # one column when every trajectory has the same rate at every step
        if same(lr) and all(same(v) for v in numeric.values()):
            width = 1
            lr = lr[:1]
            p = {k: (float(v.reshape(-1)[0]) if isinstance(v, np.ndarray) else v) for k, v in p.items()}
        else:
            width = batch
        lr = lr.reshape(1, -1)
        p = {k: (v.reshape(1, -1) if isinstance(v, np.ndarray) else v) for k, v in p.items()}
        if self.prepare is not None:
            p = self.prepare(steps, lr, p)
        return ClosedFormStepper(self, steps, lr, p, width, batch)

    def lrs(self, steps: int, base_lr, losses=None, **params) -> Array:
        """The learning rate of optimizer steps 1..steps: a (steps, B) float64 array.

        For a schedule driven by the loss, ``losses[k]`` (a number or one per
        trajectory) is the loss where step ``k + 1`` started; it is required."""
        st = self.stepper(steps, base_lr, **params)
        if self.needs_loss:
            if losses is None:
                raise ValueError(f"{self.name} needs the loss of every step (losses=...)")
            losses = np.asarray(losses, dtype=np.float64)
            if losses.ndim == 1:
                losses = losses[:, None]
            if losses.ndim != 2 or losses.shape[0] < steps:
                raise ValueError(f"losses must have one row per step ({steps}), got shape {losses.shape}")
            if losses.shape[1] not in (1, st.batch):
                if st.batch != 1:
                    raise ValueError(f"losses must have {st.batch} columns, got {losses.shape[1]}")
                st = self.stepper(steps, np.full(losses.shape[1], float(np.asarray(base_lr).reshape(-1)[0])),
                                  **params)
        width = st.batch
        out = np.empty((steps, width))
        for k in range(steps):
            out[k] = st.lr(k)
            if self.needs_loss:
                st.observe(np.broadcast_to(losses[k], (width,)))
        return out


class ClosedFormStepper:
    """Rows of a closed-form schedule, computed a bounded chunk at a time."""

    needs_loss = False

    def __init__(self, sched: Schedule, steps: int, lr: Array, p: dict, width: int, batch: int):
        self.sched, self.steps, self.base, self.p = sched, steps, lr, p
        self.width, self.batch = width, batch
        self.chunk = max(1, min(max(steps, 1), CHUNK_ELEMENTS // width))
        self.lo = self.hi = 0
        self.rows: list | Array = []
        if steps:
            self._fill(0)

    def _fill(self, k: int) -> None:
        ks = np.arange(k, min(k + self.chunk, self.steps), dtype=np.float64)[:, None]
        with np.errstate(all="ignore"):
            out = np.broadcast_to(self.sched.fn(ks, self.base, **self.p), (len(ks), self.width))
        if not np.all(np.isfinite(out)):
            raise ValueError(f"schedule {self.sched.name!r} gives a non-finite learning rate "
                             f"with these parameters")
        out = np.array(out, dtype=np.float64)
        self.rows = out[:, 0].tolist() if self.width == 1 else out
        self.lo, self.hi = k, k + len(ks)

    def lr(self, k: int):
        if not self.lo <= k < self.hi:
            self._fill(k)
        return self.rows[k - self.lo]

    def observe(self, loss) -> None:  # a closed form does not look at the loss
        pass


class ConstantStepper:
    """The same rate at every step: a float, or one (B,) array returned every time."""

    needs_loss = False

    def __init__(self, lr, batch: int):
        self.rate, self.batch = lr, batch
        self.width = 1 if isinstance(lr, float) else batch

    def lr(self, k: int):
        return self.rate

    def observe(self, loss) -> None:
        pass


class PlateauStepper:
    """torch.optim.lr_scheduler.ReduceLROnPlateau, one state per trajectory."""

    needs_loss = True

    def __init__(self, steps: int, lr: Array, batch: int, p: dict):
        self.batch = batch
        self.lr_now = lr.astype(np.float64)
        self.mode, self.tmode = p["mode"], p["threshold_mode"]
        self.factor, self.patience, self.threshold = p["factor"], p["patience"], p["threshold"]
        self.cooldown, self.min_lr, self.eps = p["cooldown"], p["min_lr"], p["eps"]
        self.best = np.full(batch, np.inf if self.mode == "min" else -np.inf)
        self.bad = np.zeros(batch)
        self.cool = np.zeros(batch)
        self._uniform()

    def _uniform(self) -> None:
        lr = self.lr_now
        self.current = float(lr[0]) if lr.min() == lr.max() else lr

    def lr(self, k: int):
        return self.current

    def observe(self, loss) -> None:
        a = np.asarray(loss, dtype=np.float64)
        with np.errstate(all="ignore"):
            if self.mode == "min":
                better = a < (self.best * (1.0 - self.threshold) if self.tmode == "rel"
                              else self.best - self.threshold)
            else:
                better = a > (self.best * (self.threshold + 1.0) if self.tmode == "rel"
                              else self.best + self.threshold)
        self.best = np.where(better, a, self.best)
        self.bad = np.where(better, 0.0, self.bad + 1.0)
        cooling = self.cool > 0
        if cooling.any():
            self.cool = np.where(cooling, self.cool - 1.0, self.cool)
            self.bad = np.where(cooling, 0.0, self.bad)
        reduce = self.bad > self.patience
        if reduce.any():
            old = self.lr_now
            new = np.maximum(old * self.factor, self.min_lr)
            change = reduce & (old - new > self.eps)
            self.lr_now = np.where(change, new, old)
            self.cool = np.where(reduce, self.cooldown, self.cool)
            self.bad = np.where(reduce, 0.0, self.bad)
            self._uniform()


Stepper = ConstantStepper | ClosedFormStepper | PlateauStepper


REGISTRY: Registry[Schedule] = Registry("schedule")


def register(s: Schedule) -> Schedule:
    REGISTRY[s.name] = s
    return s


def names() -> list[str]:
    return list(REGISTRY)


def get(name: str) -> Schedule:
    return REGISTRY.lookup(name)


def _cosine(k, lr, eta_min, T_max):
    return eta_min + (lr - eta_min) * (1 + np.cos(np.pi * k / T_max)) / 2


def _warmup_cosine(k, lr, warmup, T_max, eta_min):
    linear = lr * (k + 1) / warmup
    j = np.minimum(np.maximum(k - (warmup - 1), 0.0), T_max)
    return np.where(k < warmup, linear, _cosine(j, lr, eta_min, T_max))


constant = register(Schedule(
    name="constant",
    title="Constant",
    latex=r"\gamma_k = \gamma",
    description="The same learning rate at every step.",
    params={},
    fn=lambda k, lr: lr * np.ones_like(k),
))

step = register(Schedule(
    name="step",
    title="Step decay",
    latex=r"\gamma_k = \gamma\, \text{gamma}^{\lfloor k / \text{step\_size} \rfloor}",
    description="Multiply the learning rate by gamma every step_size steps "
    "(torch.optim.lr_scheduler.StepLR).",
    params={
        "step_size": _int(100, "steps between decays (a positive whole number)"),
        "gamma": Hyper(0.5, 0.0, 1.0, low_open=True, doc="factor applied every step_size steps"),
    },
    fn=lambda k, lr, step_size, gamma: lr * gamma ** np.floor(k / step_size),
))

def _multistep(k, lr, milestones, gamma, powers):
    # torch's closed form: lr * gamma ** bisect_right(milestones, k), the power looked up
    n = np.searchsorted(np.asarray(milestones, dtype=np.float64), k[:, 0], side="right")
    return lr * powers[n]


def _multistep_prepare(steps, lr, p):
    """``powers[n]`` = gamma ** n for every count n of milestones the run can pass, each a Python
    float power (C ``pow``) as torch's closed form computes it. NumPy's vectorized ``gamma ** n``
    can round differently (by 1 ulp) depending on the array's shape and the machine's SIMD
    path, which made a chunk of 3 rows differ from the whole table on some machines; a lookup
    gives every row the same value whatever the chunk. Each distinct gamma is raised once."""
    p = dict(p)
    top = bisect.bisect_right(p["milestones"], max(steps - 1, 0))  # the most milestones passed
    gamma = p["gamma"]
    if isinstance(gamma, np.ndarray):  # one per trajectory, shape (1, W)
        distinct, index = np.unique(gamma.reshape(-1), return_inverse=True)
        table = np.array([[float(g) ** n for g in distinct] for n in range(top + 1)])
        p["powers"] = table[:, index]
    else:
        p["powers"] = np.array([[float(gamma) ** n] for n in range(top + 1)])
    return p


multistep = register(Schedule(
    name="multistep",
    title="Multi-step decay",
    latex=r"\gamma_k = \gamma\, \text{gamma}^{\#\{m \in \text{milestones}\,:\, m \le k\}}",
    description="Multiply the learning rate by gamma at each of the given steps, e.g. "
    "milestones 100,200: the base rate up to step 100, then ×gamma, and ×gamma² from "
    "step 200 on (torch.optim.lr_scheduler.MultiStepLR). Milestones are written 10,30 "
    "in the command line and in a link.",
    params={
        "milestones": Milestones((100, 200), "scheduler steps at which to decay, increasing, like 100,200"),
        "gamma": Hyper(0.1, 0.0, 1.0, low_open=True, doc="factor applied at each milestone"),
    },
    fn=_multistep,
    prepare=_multistep_prepare,
))

exponential = register(Schedule(
    name="exponential",
    title="Exponential decay",
    latex=r"\gamma_k = \gamma\, \text{gamma}^{k}",
    description="Multiply the learning rate by gamma at every step "
    "(torch.optim.lr_scheduler.ExponentialLR).",
    params={"gamma": Hyper(0.99, 0.0, 1.0, low_open=True, doc="factor applied every step")},
    fn=lambda k, lr, gamma: lr * gamma ** k,
))

cosine = register(Schedule(
    name="cosine",
    title="Cosine annealing",
    latex=(r"\gamma_k = \eta_{\min} + \tfrac12(\gamma - \eta_{\min})"
           r"\Big(1 + \cos\frac{\pi k}{T_{\max}}\Big)"),
    description="Follow half a cosine from the base learning rate down to eta_min over "
    "T_max steps. As in torch.optim.lr_scheduler.CosineAnnealingLR (whose closed form "
    "this is) the curve is periodic: after T_max steps it rises back toward the base "
    "rate over the next T_max steps. Set T_max ≥ the number of steps for a single decay.",
    params={
        "T_max": _int(500, "steps from the base rate down to eta_min (a positive whole number)"),
        "eta_min": Hyper(0.0, 0.0, doc="lowest learning rate"),
    },
    fn=_cosine,
))

inverse_time = register(Schedule(
    name="inverse_time",
    title="Inverse-time decay",
    latex=r"\gamma_k = \frac{\gamma}{1 + \text{decay}\cdot k}",
    description="Decay the learning rate like 1/k, the classic Robbins–Monro schedule "
    "(torch: LambdaLR with lambda k: 1 / (1 + decay·k)).",
    params={"decay": Hyper(0.01, 0.0, doc="decay rate (0 = constant)")},
    fn=lambda k, lr, decay: lr * (1.0 / (1.0 + decay * k)),
))

warmup_cosine = register(Schedule(
    name="warmup_cosine",
    title="Linear warm-up, then cosine",
    latex=(r"\gamma_k = \begin{cases}"
           r"\gamma\,\dfrac{k+1}{W} & k < W\\[4pt]"
           r"\eta_{\min} + \tfrac12(\gamma - \eta_{\min})"
           r"\Big(1 + \cos\dfrac{\pi \min(k - W + 1,\ T_{\max})}{T_{\max}}\Big) & k \ge W"
           r"\end{cases}"),
    description="Rise linearly from γ/W at the first step to the full rate γ at step W "
    "(W = warmup), then follow half a cosine from γ down to eta_min over the next T_max "
    "steps (reached at step W + T_max) and stay at eta_min afterwards. Up to step "
    "W + T_max this equals torch's SequentialLR of LinearLR(start_factor=1/W, "
    "total_iters=W−1) and CosineAnnealingLR(T_max, eta_min) with milestone W−1; "
    "unlike CosineAnnealingLR it does not rise again.",
    params={
        "warmup": _int(50, "warm-up steps W (a positive whole number)"),
        "T_max": _int(500, "steps of the cosine decay after the warm-up (a positive whole number)"),
        "eta_min": Hyper(0.0, 0.0, doc="final learning rate"),
    },
    fn=_warmup_cosine,
))


# ----------------------------------------------------------------------------- one-cycle

def _anneal(strategy, start, end, pct):
    if strategy == "cos":
        return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1)
    return (end - start) * pct + start


def _one_cycle(k, lr, max_lr, total_steps, pct_start, anneal_strategy, div_factor,
               final_div_factor, three_phase):
    initial = max_lr / div_factor
    low = initial / final_div_factor
    T = total_steps
    end1 = pct_start * T - 1
    if three_phase:
        phases = [(end1, initial, max_lr), (2 * pct_start * T - 2, max_lr, initial), (T - 1, initial, low)]
    else:
        phases = [(end1, initial, max_lr), (T - 1, max_lr, low)]
    out = np.zeros(np.broadcast_shapes(np.shape(k), np.shape(lr), np.shape(max_lr), np.shape(T)))
    done = np.zeros(out.shape, dtype=bool)
    start = 0.0
    for i, (end, a, b) in enumerate(phases):
        here = ~done if i == len(phases) - 1 else ~done & (k <= end)
        value = _anneal(anneal_strategy, a, b, (k - start) / (end - start))
        out = np.where(here, value, out)
        done |= here
        start = end
    return out


def _one_cycle_prepare(steps, lr, p):
    p = dict(p)
    total = p["total_steps"]
    total = np.where(np.asarray(total) == 0, max(steps, 1), total)
    if np.any(total < steps):
        t = int(np.min(total))
        raise ValueError(f"one_cycle.total_steps ({t}) is less than the run's {steps} steps "
                         "(torch's OneCycleLR cannot step past total_steps); set it to at "
                         "least the number of steps, or 0 for exactly the number of steps")
    if np.any(p["pct_start"] * total == 1):
        raise ValueError("one_cycle: pct_start × total_steps = 1 gives a warm-up of zero length "
                         "(torch divides by zero); choose another pct_start")
    p["total_steps"] = float(total) if total.ndim == 0 else total
    max_lr = np.where(np.asarray(p["max_lr"]) == 0, lr, p["max_lr"])
    p["max_lr"] = max_lr
    return p


one_cycle = register(Schedule(
    name="one_cycle",
    title="One-cycle (learning rate)",
    latex=(r"\gamma_k:\ \frac{\text{max\_lr}}{\text{div\_factor}} \nearrow \text{max\_lr}"
           r"\ \text{(until } k = \text{pct\_start}\cdot T - 1\text{)} \searrow "
           r"\frac{\text{max\_lr}}{\text{div\_factor}\cdot\text{final\_div\_factor}}"
           r"\ \text{(at } k = T - 1\text{)}"),
    description="Leslie Smith's one-cycle policy for the learning rate, as "
    "torch.optim.lr_scheduler.OneCycleLR with cycle_momentum=False: rise from "
    "max_lr/div_factor to max_lr over the first pct_start of total_steps, then anneal "
    "(cosine or linear) down to max_lr/(div_factor·final_div_factor) at the last step; "
    "three_phase climbs back to max_lr/div_factor before the final descent. As in torch, "
    "the optimizer's learning rate is not used when max_lr is set: the run starts at "
    "max_lr/div_factor. Momentum is NOT cycled here (torch cycles momentum or beta1 "
    "between 0.85 and 0.95 by default); the optimizer's momentum stays as set. torch "
    "requires max_lr and total_steps; here max_lr 0 means the optimizer's learning rate "
    "and total_steps 0 means the run's number of steps.",
    params={
        "max_lr": Hyper(0.0, 0.0, doc="peak learning rate (0 = the optimizer's learning rate)"),
        "total_steps": _int(0, "length of the cycle in steps, at least the run's steps "
                            "(0 = the run's number of steps)", low=0.0),
        "pct_start": Hyper(0.3, 0.0, 1.0, doc="fraction of the cycle spent rising"),
        "anneal_strategy": Choice("cos", ("cos", "linear"), "shape of the rise and fall"),
        "div_factor": Hyper(25.0, 0.0, low_open=True, doc="the start rate is max_lr / div_factor"),
        "final_div_factor": Hyper(1e4, 0.0, low_open=True,
                                  doc="the final rate is max_lr / (div_factor · final_div_factor)"),
        "three_phase": Hyper(False, kind="bool", doc="rise, fall back to the start rate, then anneal"),
    },
    fn=_one_cycle,
    prepare=_one_cycle_prepare,
))


# ----------------------------------------------------------------------------- plateau

plateau = register(Schedule(
    name="plateau",
    title="Reduce on plateau",
    latex=(r"\gamma_{k+1} = \begin{cases}\max(\text{factor}\cdot\gamma_k,\ \text{min\_lr})"
           r" & \text{more than patience steps without improvement}\\ \gamma_k & \text{otherwise}"
           r"\end{cases}"),
    description="Cut the learning rate by factor when the loss has not improved for more "
    "than patience steps (torch.optim.lr_scheduler.ReduceLROnPlateau, stepped after every "
    "optimizer step with the exact loss at the point where that step started, as a loop "
    "loss = f(θ); opt.step(); sched.step(loss) does). In mode min, 'improved' means below "
    "best·(1 − threshold) (threshold_mode rel) or best − threshold (abs); after a cut, "
    "cooldown steps are ignored; a cut smaller than eps is skipped.",
    params={
        "mode": Choice("min", ("min", "max"), "min: the loss should fall; max: rise"),
        "factor": Hyper(0.1, 0.0, 1.0, high_open=True, doc="the learning rate is multiplied by this"),
        "patience": _int(10, "steps without improvement allowed before a cut", low=0.0),
        "threshold": Hyper(1e-4, 0.0, doc="how much better counts as an improvement"),
        "threshold_mode": Choice("rel", ("rel", "abs"), "rel: relative to the best loss; abs: absolute"),
        "cooldown": _int(0, "steps to wait after a cut before counting again", low=0.0),
        "min_lr": Hyper(0.0, 0.0, doc="the learning rate never falls below this"),
        "eps": Hyper(1e-8, 0.0, doc="a cut smaller than this is skipped"),
    },
    fn=None,
    make_stepper=lambda steps, lr, batch, p: PlateauStepper(steps, lr, batch, p),
))
