"""The classification tasks a network is trained on: generated, seeded 2-D data.

``moons`` is the network slice's data set (``landscapes.nn.make_moons``, the
shape of scikit-learn's ``make_moons``); ``spirals`` is two interleaved spirals,
a harder task (a boundary that winds ``turns`` times around the origin).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from landscapes.data import Dataset
from landscapes.nn import make_moons


def make_spirals(n: int, noise: float, seed: int, turns: float = 1.75) -> Dataset:
    """Two spirals, r = t and angle 2π·turns·t (t from 0.08 to 1) for class 0,
    the same turned by π for class 1: ``n // 2`` points on the first, the rest
    on the second, plus Gaussian noise of std ``noise``; rows in a seeded order."""
    rng = np.random.default_rng(seed)
    n0 = n // 2
    parts, labels = [], []
    for k, m in enumerate((n0, n - n0)):
        t = np.linspace(0.08, 1.0, m)
        angle = 2 * np.pi * turns * t + np.pi * k
        parts.append(np.column_stack([t * np.cos(angle), t * np.sin(angle)]))
        labels.append(np.full(m, float(k)))
    X = np.vstack(parts) + noise * rng.standard_normal((n, 2))
    y = np.concatenate(labels)
    order = rng.permutation(n)
    return Dataset(X[order], y[order], "classification")


@dataclass(frozen=True)
class Task:
    name: str
    title: str
    make: Callable[[int, float, int], Dataset]
    noise: float          # the default noise
    hidden: tuple[int, ...]   # the default hidden widths
    lesson: str


TASKS = {
    "moons": Task("moons", "Two moons", make_moons, 0.2, (16, 16),
                  "two interleaving half circles: a curved boundary"),
    "spirals": Task("spirals", "Two spirals", make_spirals, 0.05, (16, 16),
                    "two interleaved spirals: a boundary that winds around the origin"),
}


def get(name: str) -> Task:
    if name not in TASKS:
        raise ValueError(f"unknown task {str(name)[:60]!r} (valid: {', '.join(TASKS)})")
    return TASKS[name]
