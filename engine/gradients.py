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


class MiniBatch:
    """Real mini-batch gradients of a data surface (:class:`landscapes.DataSurface`).

    Each of the B trajectories draws its own batches of ``batch_size`` samples,
    without replacement, from a fresh random order of the N samples each epoch,
    as ``torch.utils.data.DataLoader(dataset, batch_size, shuffle=True,
    drop_last=drop_last)`` does: an epoch is ``ceil(N / batch_size)`` steps, its
    last batch smaller when ``batch_size`` does not divide N, unless
    ``drop_last`` (then ``N // batch_size`` steps, and the remainder of each
    shuffle is unused). Step t's gradient is the mean per-sample gradient over
    the batch, computed for all B trajectories x b samples in array operations.
    The order comes from the engine's seeded generator, so a seed repeats a run.

    Within a batch the indices are sorted: a mean does not depend on the order
    of its terms, and in sorted order a batch of all N samples is summed exactly
    as the full-batch gradient is, so ``batch_size = N`` reproduces full-batch
    gradient descent bit for bit (and needs no shuffle at all).

    With ``record`` the indices of every step are kept in ``batches``: a list
    with one (B, b_t) integer array per step.
    """

    def __init__(self, surface, batch_size: int, drop_last: bool = False, record: bool = False):
        n = int(surface.n_samples)
        if isinstance(batch_size, bool) or int(batch_size) != batch_size or not 1 <= batch_size <= n:
            raise ValueError(f"batch size must be a whole number from 1 to N = {n} "
                             f"(the data set's size), got {batch_size!r}")
        self.sample_grad = surface.sample_grad
        self.n = n
        self.batch_size = int(batch_size)
        self.drop_last = bool(drop_last)
        self.per_epoch = n // self.batch_size if drop_last else -(-n // self.batch_size)
        self.record = record
        self.batches: list[np.ndarray] = []
        self._order: np.ndarray | None = None

    def indices(self, B: int, step: int, rng: np.random.Generator) -> np.ndarray:
        """The (B, b_t) sample indices of optimizer step ``step`` (1-based)."""
        n, b = self.n, self.batch_size
        if b == n:
            return np.broadcast_to(np.arange(n), (B, n))
        k = (step - 1) % self.per_epoch
        if k == 0 or self._order is None or len(self._order) != B:
            # one independent shuffle per trajectory: each row a permutation of 0..N-1
            self._order = rng.permuted(np.broadcast_to(np.arange(n), (B, n)), axis=1)
        return np.sort(self._order[:, k * b:(k + 1) * b], axis=1)

    def __call__(self, params, exact, step, rng):
        idx = self.indices(len(params), step, rng)
        if self.record:
            self.batches.append(np.array(idx))
        return self.sample_grad(params, idx)
