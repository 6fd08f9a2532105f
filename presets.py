"""Good first views: suggested learning rates per surface, and classroom lessons.

Pure functions of the registries; the app and the share links use them.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

import landscapes
import optimizers

# Optimizers whose step is about lr * gradient: their learning rate must fit
# the curvature. The others take steps of roughly lr in each coordinate.
CURVATURE_SCALED = {"gd": 1.0, "momentum": 0.1, "nesterov": 0.1}
SPAN_SCALED = {"adam": 0.01, "adamw": 0.01, "nadam": 0.01, "radam": 0.02, "adamax": 0.01,
               "adagrad": 0.1, "rmsprop": 0.001, "lion": 0.004}
FIXED = {"adadelta": 1.0, "newton": 1.0}


@lru_cache(maxsize=512)
def _curvature(surface_name: str, params: tuple) -> float:
    """Largest Hessian eigenvalue over the start point and the minima."""
    s = landscapes.get(surface_name, **dict(params))
    pts = [s.default_start] + [(m.x, m.y) for m in s.minima]
    H = s.hessian(np.array(pts, dtype=float))
    eig = np.linalg.eigvalsh(H)
    return float(max(np.max(np.abs(eig)), 1e-6))


def suggested_lr(optimizer: str, surface: str, params: tuple = ()) -> float:
    """A learning rate that makes a first run on ``surface`` worth watching."""
    if optimizer in CURVATURE_SCALED:
        lr = CURVATURE_SCALED[optimizer] / _curvature(surface, params)
    elif optimizer in SPAN_SCALED:
        s = landscapes.get(surface, **dict(params))
        (x0, x1), (y0, y1) = s.domain
        lr = SPAN_SCALED[optimizer] * float(np.hypot(x1 - x0, y1 - y0))
    else:
        lr = FIXED.get(optimizer, optimizers.get(optimizer).default_lr)
    return float(f"{lr:.2g}")  # a number a person would type


@dataclass(frozen=True)
class RacerPreset:
    optimizer: str
    lr: float | None = None          # None: suggested for the surface
    hp: tuple = ()
    schedule: str = "constant"
    schedule_params: tuple = ()
    noise: float = 0.0


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    text: str
    surface: str
    racers: tuple[RacerPreset, ...]
    steps: int = 300
    start: tuple[float, float] | None = None
    surface_params: tuple = ()


LESSONS: dict[str, Lesson] = {lesson.key: lesson for lesson in (
    Lesson("first", "Three optimizers race on Rosenbrock",
           "All three start at the classic (−1.2, 1). Gradient descent crawls: the valley's "
           "walls are steep and its floor almost flat, so a learning rate small enough for the "
           "walls is tiny along the floor. Momentum, with the same learning rate, gathers speed "
           "along the floor and nearly reaches the minimum at (1, 1). Adam scales each "
           "coordinate's step to about lr whatever the gradient's size, so it never crawls but "
           "wobbles across the narrow valley.", "rosenbrock",
           (RacerPreset("gd", 1e-3), RacerPreset("momentum", 1e-3), RacerPreset("adam", 0.05)),
           steps=500),
    Lesson("learning_rate", "Learning rate: too low, just right, too high",
           "The same gradient descent with three learning rates on a bowl of curvature 2: "
           "0.02 crawls, 0.4 arrives quickly, 1.05 overshoots further every step and diverges.",
           "bowl", (RacerPreset("gd", 0.02), RacerPreset("gd", 0.4), RacerPreset("gd", 1.05)),
           steps=60),
    Lesson("ravine", "Momentum in a ravine",
           "A narrow valley (condition number 100): gradient descent, at the largest stable "
           "learning rate for the steep direction, zig-zags across the valley and creeps along "
           "it; momentum averages the zig-zag away and accelerates along the floor; Nesterov's "
           "look-ahead brakes before overshooting.", "ravine",
           (RacerPreset("gd", 0.45), RacerPreset("momentum", 0.1), RacerPreset("nesterov", 0.1)),
           steps=100, surface_params=(("a", 0.02),)),
    Lesson("saddle", "Escaping a saddle point",
           "Starting almost on the ridge, gradient descent creeps toward the saddle and "
           "lingers; momentum and Adam leave it much sooner. Every run eventually escapes "
           "downhill: the surface has no minimum.", "saddle",
           (RacerPreset("gd", 0.01), RacerPreset("momentum", 0.01), RacerPreset("adam", 0.02)),
           steps=500),
    Lesson("local_minima", "Local minima: where you start decides where you end",
           "On a surface with two valleys, plain gradient descent settles in the nearer, "
           "shallower one; momentum can carry a run over the ridge into the deeper one.",
           "two_minima",
           (RacerPreset("gd", 0.05), RacerPreset("momentum", 0.02, (("momentum", 0.95),))),
           steps=300),
    Lesson("adam_vs_sgd", "Adam vs SGD on Rosenbrock",
           "With its default settings SGD must use a tiny learning rate to stay stable in the "
           "steep valley walls; Adam normalizes each coordinate's step and follows the valley.",
           "rosenbrock", (RacerPreset("gd", 1.5e-3), RacerPreset("adam", 0.1),
                          RacerPreset("rmsprop", 0.01)), steps=1000),
    Lesson("noise", "Batch vs mini-batch vs stochastic gradients",
           "Full-batch gradients give a smooth path; a mini-batch gradient is noisier, a "
           "single-example (stochastic) gradient noisier still (here the noise standard "
           "deviation shrinks as 1/√batch size: 2 for one example, 2/√8 for a batch of 8).",
           "bowl", (RacerPreset("gd", 0.05), RacerPreset("gd", 0.05, noise=round(2 / 8 ** 0.5, 3)),
                    RacerPreset("gd", 0.05, noise=2.0)), steps=200),
    Lesson("decay", "Learning-rate decay",
           "With noisy gradients a constant learning rate keeps bouncing around the minimum; "
           "decaying it (cosine or step) lets the run settle.", "bowl",
           (RacerPreset("gd", 0.1, noise=2.0),
            RacerPreset("gd", 0.1, schedule="cosine", schedule_params=(("T_max", 300),), noise=2.0),
            RacerPreset("gd", 0.1, schedule="step", schedule_params=(("step_size", 60), ("gamma", 0.5)),
                        noise=2.0)),
           steps=300),
    Lesson("rotation", "Adam is not rotation-invariant",
           "The same elongated bowl rotated by 45°: gradient descent's path is just the rotated "
           "path, but Adam's per-coordinate scaling now fights the diagonal valley.",
           "quadratic", (RacerPreset("gd", 0.5), RacerPreset("adam", 0.1)),
           steps=200, surface_params=(("condition", 20.0), ("angle", 45.0))),
)}
