"""One registry shape and one value check for surfaces, optimizers and schedules.

Every name lookup (``unknown optimizer 'x' (valid: …)``) and every number check
(``gd.weight_decay must be a number, got True``; ``rosenbrock.a must be in [0.1, 5],
got 9``) says the same thing in the same words, whichever registry it comes from.
"""
from __future__ import annotations

import math
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")


class Registry(dict, Generic[T]):
    """Name -> item, in registration order (the menus' order)."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def add(self, name: str, item: T) -> T:
        self[name] = item
        return item

    def names(self) -> list[str]:
        return list(self)

    def lookup(self, name: str) -> T:
        try:
            return self[name]
        except (KeyError, TypeError):
            raise ValueError(f"unknown {self.kind} {name!r} (valid: {', '.join(self)})") from None


def check_number(owner: str, key: str, value, low: float = -math.inf, high: float = math.inf, *,
                 low_open: bool = False, high_open: bool = False, integer: bool = False,
                 arrays: bool = False):
    """A number (or, with ``arrays``, a 1-D array of numbers) in its range.

    A bool is not a number, whatever Python says: ``true`` given for a number is an
    error, never 1.0. Returns a float (or a float array); raises ValueError naming
    ``owner.key`` and the valid range.
    """
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, np.ndarray) and value.dtype == bool):
        raise ValueError(f"{owner}.{key} must be a number, got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{owner}.{key} must be a number, got {_short(value)}") from None
    if arr.ndim > (1 if arrays else 0) or arr.size == 0:
        raise ValueError(f"{owner}.{key} must be a number" + (" or a 1-D array of numbers" if arrays else "")
                         + f", got {_short(value)}")
    in_range = np.isfinite(arr)
    in_range &= (arr > low) if low_open else (arr >= low)
    in_range &= (arr < high) if high_open else (arr <= high)
    whole = arr == np.floor(arr) if integer else np.ones(arr.shape, dtype=bool)
    if not np.all(in_range & whole):
        bad = ~in_range if not np.all(in_range) else ~whole
        first = float(arr.reshape(-1)[np.argmax(bad.reshape(-1))])
        rng = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        what = "in" if not np.all(in_range) else "a whole number in"
        raise ValueError(f"{owner}.{key} must be {what} {rng}, got {first:g}")
    return float(arr) if arr.ndim == 0 else arr


def _short(value, limit: int = 60) -> str:
    r = repr(value)
    return r if len(r) <= limit + 2 else r[:limit] + f"…' ({len(str(value)):,} characters)"
