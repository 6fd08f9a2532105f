"""Where the gradient an optimizer sees comes from.

The engine evaluates the surface's exact gradient at every position anyway (for
the convergence test); a gradient source turns it into the gradient the
optimizer is shown. It may use the step number and the engine's seeded random
generator. A source of real mini-batch gradients plugs in here by ignoring
``exact`` and computing its own from a sampled batch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


class GradientSource(Protocol):
    def __call__(self, params: np.ndarray, exact: np.ndarray, step: int,
                 rng: np.random.Generator) -> np.ndarray:
        """Gradient of shape (B, 2) at ``params`` (B, 2) for optimizer step ``step`` (1-based)."""


@dataclass(frozen=True)
class ExactGradient:
    """The surface's analytic gradient: full-batch gradient descent."""

    def __call__(self, params, exact, step, rng):
        return exact


@dataclass(frozen=True)
class GaussianNoise:
    """Exact gradient plus isotropic Gaussian noise of standard deviation ``sigma``
    per coordinate: a simple model of stochastic (mini-batch) gradients."""

    sigma: float

    def __post_init__(self):
        if not (np.isfinite(self.sigma) and self.sigma >= 0):
            raise ValueError(f"gradient noise sigma must be a finite number >= 0, got {self.sigma!r}")

    def __call__(self, params, exact, step, rng):
        if self.sigma == 0:
            return exact
        return exact + self.sigma * rng.standard_normal(exact.shape)
