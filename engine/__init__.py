"""The trajectory engine: many runs of one optimizer, vectorized over the batch."""
from .core import (DEFAULT_TOL, ESCAPE_FACTOR, MAX_BATCH, MAX_STEPS, STATUS_NAMES,
                   Trajectory, run)
from .gradients import ExactGradient, GaussianNoise, GradientSource

__all__ = ["DEFAULT_TOL", "ESCAPE_FACTOR", "MAX_BATCH", "MAX_STEPS", "STATUS_NAMES",
           "Trajectory", "run", "ExactGradient", "GaussianNoise", "GradientSource"]
