"""The shape every optimizer shares: a validated factory and a pure ``init``/``update`` pair.

As in optax, an optimizer is a *factory* that checks its hyperparameters once
and closes over them, returning a :class:`Transform`::

    opt = optimizers.adam(beta1=0.8)                 # checked here, ValueError if invalid
    state = opt.init(params)                         # {"step": 0, "exp_avg": ..., ...}
    params, state = opt.update(grads, state, params, lr)

An optimizer never sees a surface, only gradients (and, for Newton's method,
the Hessian: only an optimizer with ``needs_hessian`` takes it, as a fifth
argument ``update(grads, state, params, lr, hessian)``). Everything is
vectorized over a batch of B trajectories:

* ``params`` and ``grads`` are ``(B, 2)`` arrays;
* each numeric hyperparameter is a float or a 1-D array with one value per
  trajectory, so one batch can mix hyperparameters; boolean flags are ``bool``;
* ``lr`` is not closed over, because a schedule sets it step by step: it is a
  float or one value per trajectory (``(B,)``, ``(B, 1)`` or ``(B, 2)``);
* ``state`` is a small dict: ``"step"``, the number of updates taken so far
  (torch's ``state["step"]``; the update being taken is step ``state["step"] + 1``),
  and the arrays named in the optimizer's ``state_names``. ``update`` returns
  ``(new_params, new_state)`` and never mutates its inputs, so a step inspector
  can keep every state.

An optimizer whose gradient is taken elsewhere than at its parameters (the
textbook form of Nesterov momentum) has a ``lookahead(params, state)``: the
point where the caller evaluates the gradient it passes to ``update``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, NamedTuple

import numpy as np

from registries import check_number

Array = np.ndarray
State = dict  # {"step": int, name: (B, 2) or (B, 1) array, ...}


class Transform(NamedTuple):
    """A pure ``init``/``update`` pair with its hyperparameters closed over.

    ``init(params) -> state``; ``update(grads, state, params, lr) -> (params, state)``
    (plus a fifth argument ``hessian``, ``(B, 2, 2)``, when ``needs_hessian``).
    ``lookahead(params, state)``, if not None, is the point whose gradient
    ``update`` expects. ``batch`` is the length of the per-trajectory
    hyperparameter arrays (None if every hyperparameter is a scalar).
    """

    init: Callable[[Array], State]
    update: Callable[..., tuple[Array, State]]
    lookahead: Callable[[Array, State], Array] | None = None
    needs_hessian: bool = False
    batch: int | None = None


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
SUGGEST_KINDS = ("curvature", "span", "fixed")

# Why a run blows up, shared by the optimizers of one kind.
CURVATURE_HINT = "its learning rate is too large for this curvature (each step overshoots by more than it gains)"
SPAN_HINT = ("its steps are about lr long in each coordinate whatever the slope: lr is too large "
             "for the distances on this surface")


@dataclass(frozen=True, eq=False)
class Optimizer:
    """An optimizer's factory with its documentation.

    Calling it calls the factory: ``optimizers.get("adam")(beta1=0.8)`` is
    ``optimizers.adam(beta1=0.8)``. ``latex`` is the update rule as the app shows
    it; ``description`` says it in one plain paragraph; ``convention`` names whose
    convention is followed where conventions differ (e.g. torch vs. the paper).
    The factory's docstring is completed from these fields when it is
    registered, so ``help(optimizers.adam)`` shows the same text as the app.
    """

    name: str
    title: str
    latex: str
    description: str
    convention: str
    hyperparameters: dict[str, Hyper]
    factory: Callable[..., Transform]
    default_lr: float = 1e-3
    needs_hessian: bool = False
    state_names: tuple[str, ...] = ()
    reference: str = ""
    # Constraints across hyperparameters (e.g. nesterov needs dampening = 0):
    # each returns an error message or None, given the filled-in hp dict.
    checks: tuple[Callable[[Mapping], str | None], ...] = field(default=())
    # Facts the app, the lessons and the views use, kept with the optimizer so that a
    # new optimizer is one entry (tests/test_registries.py checks every entry has them):
    # how ``presets.suggested_lr`` picks a first rate worth watching: ("curvature", c) is
    # c / λmax (a step of about lr·gradient must fit the curvature), ("span", c) is c times
    # the domain's diagonal (steps of about lr in each coordinate), ("fixed", lr) a constant;
    suggest: tuple[str, float] | None = None   # None: ("fixed", default_lr)
    suggest_curvature_cap: bool = False   # ("span") and at most 1/λmax too
    blowup_hint: str = ""                 # why a run of it diverges, in a sentence a student can act on
    # the heat map's second axis: (the optimizer run, its hyperparameter, low, high), or None
    heatmap: tuple[str, str, float, float] | None = None
    linear_theory: bool = False           # its update is linear on a quadratic (theory.py covers it)

    def __call__(self, **hp) -> Transform:
        return self.factory(**hp)

    def defaults(self) -> dict[str, float | bool]:
        return {k: h.default for k, h in self.hyperparameters.items()}

    def validate(self, lr=None, **hp) -> dict:
        """Fill defaults, check every value; return ``{"lr": ..., **hp}``.

        Values may be scalars or 1-D arrays (one per trajectory). Raises
        ValueError with a message that names the parameter and its valid range.
        """
        lr = self.default_lr if lr is None else lr
        return {"lr": _check(self.name, "lr", lr, LR), **self.check_hyperparameters(hp)}

    def check_hyperparameters(self, hp: Mapping) -> dict:
        """``validate`` without the learning rate."""
        for key in hp:
            if key not in self.hyperparameters:
                valid = ", ".join(["lr", *self.hyperparameters])
                raise ValueError(f"{self.name} has no hyperparameter {key!r} (valid: {valid})")
        out = {key: _check(self.name, key, hp.get(key, h.default), h)
               for key, h in self.hyperparameters.items()}
        for check in self.checks:
            msg = check(out)
            if msg:
                raise ValueError(f"{self.name}: {msg}")
        return out

    def prepare(self, hp: Mapping) -> tuple[dict, int | None]:
        """What a factory closes over: the checked values, with each per-trajectory
        array as a ``(B, 2)`` array (same-shape NumPy operations are several times
        faster than ``(B, 1)`` against ``(B, 2)``), or a float where all its values
        are equal; and B, the arrays' common length (None if there are none)."""
        values = self.check_hyperparameters(hp)
        lengths = {k: len(v) for k, v in values.items() if isinstance(v, np.ndarray)}
        sizes = set(lengths.values()) - {1}
        if len(sizes) > 1:
            listed = ", ".join(f"{k} has {n}" for k, n in lengths.items())
            raise ValueError(f"{self.name}: per-trajectory hyperparameters differ in length ({listed})")
        for k, v in values.items():
            if isinstance(v, np.ndarray):
                values[k] = float(v[0]) if np.all(v == v[0]) else np.stack([v, v], axis=1)
        return values, (sizes.pop() if sizes else (1 if lengths else None))


def _check(opt: str, key: str, value, h: Hyper):
    if h.kind == "bool":
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(f"{opt}.{key} must be true or false, got {value!r}")
    return check_number(opt, key, value, h.low, h.high, low_open=h.low_open, high_open=h.high_open,
                        integer=h.kind == "int", arrays=True)


def nonzero(value) -> bool:
    """True where a (scalar or per-trajectory) hyperparameter is not all zero."""
    if isinstance(value, (int, float)):
        return value != 0
    return bool((np.asarray(value) != 0).any())


def rate(lr):
    """A learning rate as ``update`` uses it: a float, or one value per trajectory
    as a ``(B, 1)`` or ``(B, 2)`` array (a ``(B,)`` array becomes ``(B, 2)``)."""
    if isinstance(lr, np.ndarray) and lr.ndim == 1:
        return np.stack([lr, lr], axis=1)
    return lr


def check_batch(name: str, params: Array, batch: int | None) -> None:
    """``init``'s one check: per-trajectory hyperparameters fit the batch."""
    if batch not in (None, 1) and np.shape(params)[0] != batch:
        raise ValueError(f"{name}: the hyperparameters have {batch} values per trajectory "
                         f"but params has {np.shape(params)[0]} rows")
