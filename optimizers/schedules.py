"""Learning-rate schedules, stepped once per optimizer step like ``torch.optim.lr_scheduler``.

Index ``k = 0, 1, …, T−1`` is the scheduler's step count (torch's ``last_epoch``);
``lrs(T, base_lr)[k]`` is the learning rate used by optimizer step ``k + 1``. So
the first optimizer step uses the schedule's value at ``k = 0`` (the base learning
rate, except during a warm-up), exactly as a torch loop of ``opt.step();
sched.step()`` does. Every schedule is a closed form in ``k``, evaluated for all
steps at once; where torch has the schedule, the closed form is torch's and
agrees with its (recursive) ``get_lr`` to rounding.

Numeric parameters may be scalars or 1-D arrays (one value per trajectory);
integer-valued ones (``step_size``, ``T_max``, ``warmup``) must be positive whole
numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .base import Hyper, _check

Array = np.ndarray


def _int(default: int, doc: str) -> Hyper:
    return Hyper(default, 1.0, math.inf, high_open=True, kind="int", doc=doc)


@dataclass(frozen=True, eq=False)
class Schedule:
    """A learning-rate schedule: ``fn(k, lr, **params)`` with ``k`` a (steps, 1)
    array of scheduler step indices and ``lr`` the (1, B) base learning rates."""

    name: str
    title: str
    latex: str
    description: str
    params: dict[str, Hyper]
    fn: Callable[..., Array]

    def defaults(self) -> dict[str, float]:
        return {k: h.default for k, h in self.params.items()}

    def validate(self, **params) -> dict:
        """Fill defaults and check every value; raise ValueError naming the parameter."""
        for key in params:
            if key not in self.params:
                valid = ", ".join(self.params) or "none"
                raise ValueError(f"schedule {self.name!r} has no parameter {key!r} (valid: {valid})")
        out = {}
        for key, h in self.params.items():
            value = params.get(key, h.default)
            if isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{self.name}.{key} must be a number, got {value!r}")
            v = _check(self.name, key, value, h)
            if h.kind == "int":
                arr = np.asarray(v)
                if np.any(arr != np.floor(arr)):
                    bad = arr.reshape(-1)[np.argmax((arr != np.floor(arr)).reshape(-1))]
                    raise ValueError(f"{self.name}.{key} must be a positive whole number, got {bad!r}")
            out[key] = v
        return out

    def lrs(self, steps: int, base_lr, **params) -> Array:
        """The learning rate of optimizer steps 1..steps: a (steps, B) float64 array."""
        if isinstance(steps, bool) or int(steps) != steps or steps < 0:
            raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
        steps = int(steps)
        lr = np.asarray(base_lr, dtype=np.float64).reshape(1, -1)
        if lr.size == 0 or not np.all(np.isfinite(lr)) or np.any(lr < 0):
            raise ValueError(f"base_lr must be finite numbers >= 0, got {base_lr!r}")
        p = {k: (np.asarray(v, dtype=np.float64).reshape(1, -1) if np.ndim(v) else v)
             for k, v in self.validate(**params).items()}
        sizes = {v.shape[1] for v in (lr, *p.values()) if np.ndim(v) and v.shape[1] != 1}
        if len(sizes) > 1:
            raise ValueError(f"{self.name}: base_lr and per-trajectory parameters must have "
                             f"one length (or length 1), got lengths {sorted(sizes)}")
        k = np.arange(steps, dtype=np.float64)[:, None]
        out = self.fn(k, lr, **p)
        shape = (steps, sizes.pop() if sizes else 1)
        return np.array(np.broadcast_to(out, shape), dtype=np.float64)


REGISTRY: dict[str, Schedule] = {}


def register(s: Schedule) -> Schedule:
    REGISTRY[s.name] = s
    return s


def names() -> list[str]:
    return list(REGISTRY)


def get(name: str) -> Schedule:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown schedule {name!r} (valid: {', '.join(REGISTRY)})") from None


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
