"""The shape every optimizer shares: a pure ``init``/``update`` pair.

An optimizer never sees a surface, only gradients (and, for Newton's method,
the Hessian the engine evaluates for it). Everything is vectorized over a batch
of B trajectories:

* ``params`` and ``grad`` are ``(B, 2)`` arrays;
* ``lr`` is a float (the same rate for every trajectory) or a ``(B, 1)`` or
  ``(B, 2)`` array (the scheduled learning rate of this step);
* each numeric hyperparameter is a float or a ``(B, 1)`` or ``(B, 2)`` array
  (the engine passes ``(B, 2)``: same-shape operations are fastest), so one call
  can mix hyperparameters across trajectories; boolean flags are plain ``bool``;
* ``t`` is the 1-based step count (torch's ``state["step"]`` after increment);
* ``state`` is a dict of arrays; ``update`` returns ``(new_params, new_state)``
  and never mutates its inputs, so a step inspector can keep every state.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

Array = np.ndarray
State = dict[str, Array]
InitFn = Callable[[Array, Mapping], State]
UpdateFn = Callable[..., tuple[Array, State]]


@dataclass(frozen=True)
class Hyper:
    """One hyperparameter: its default and its valid range.

    ``kind`` is "float" or "bool". For floats, ``low``/``high`` bound the value;
    ``low_open``/``high_open`` make a bound strict (``eps > 0``, ``beta < 1``).
    """

    default: float | bool
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    kind: str = "float"
    doc: str = ""

    def describe_range(self) -> str:
        if self.kind == "bool":
            return "true or false"
        lo = "(" if self.low_open else "["
        hi = ")" if self.high_open else "]"
        return f"{lo}{self.low:g}, {self.high:g}{hi}"

    def contains(self, value: Array) -> Array:
        v = np.asarray(value, dtype=float)
        ok = np.isfinite(v)
        ok &= (v > self.low) if self.low_open else (v >= self.low)
        ok &= (v < self.high) if self.high_open else (v <= self.high)
        return ok


LR = Hyper(1e-3, 0.0, math.inf, doc="learning rate")


@dataclass(frozen=True, eq=False)
class Optimizer:
    """An update rule with its documentation.

    ``latex`` is the update rule as the app shows it; ``description`` says it in
    one plain paragraph; ``convention`` names whose convention is followed where
    conventions differ (e.g. torch vs. the original paper).
    """

    name: str
    title: str
    latex: str
    description: str
    convention: str
    hyperparameters: dict[str, Hyper]
    init: InitFn
    update: UpdateFn
    default_lr: float = 1e-3
    needs_hessian: bool = False
    state_names: tuple[str, ...] = ()
    reference: str = ""
    # Constraints across hyperparameters (e.g. nesterov needs momentum > 0):
    # each returns an error message or None, given the filled-in hp dict.
    checks: tuple[Callable[[Mapping], str | None], ...] = field(default=())

    def defaults(self) -> dict[str, float | bool]:
        return {k: h.default for k, h in self.hyperparameters.items()}

    def validate(self, lr=None, **hp) -> dict:
        """Fill defaults, check every value; return ``{"lr": ..., **hp}``.

        Values may be scalars or 1-D arrays (one per trajectory). Raises
        ValueError with a message that names the parameter and its valid range.
        """
        out: dict = {}
        lr = self.default_lr if lr is None else lr
        out["lr"] = _check(self.name, "lr", lr, LR)
        for key in hp:
            if key not in self.hyperparameters:
                valid = ", ".join(["lr", *self.hyperparameters]) or "lr"
                raise ValueError(f"{self.name} has no hyperparameter {key!r} (valid: {valid})")
        for key, h in self.hyperparameters.items():
            out[key] = _check(self.name, key, hp.get(key, h.default), h)
        for check in self.checks:
            msg = check(out)
            if msg:
                raise ValueError(f"{self.name}: {msg}")
        return out


def _check(opt: str, key: str, value, h: Hyper):
    if h.kind == "bool":
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(f"{opt}.{key} must be true or false, got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{opt}.{key} must be a number, got {value!r}") from None
    if arr.ndim > 1 or arr.size == 0:
        raise ValueError(f"{opt}.{key} must be a number or a 1-D array of numbers")
    bad = ~h.contains(arr)
    if np.any(bad):
        first = arr.reshape(-1)[np.argmax(bad.reshape(-1))]
        raise ValueError(f"{opt}.{key} must be in {h.describe_range()}, got {float(first):g}")
    return float(arr) if arr.ndim == 0 else arr


def truthy(hp: Mapping, key: str) -> bool:
    return bool(hp.get(key, False))


def nonzero(value) -> bool:
    """True where a (scalar or per-trajectory) hyperparameter is not all zero."""
    if isinstance(value, (int, float)):
        return value != 0
    return bool((np.asarray(value) != 0).any())
