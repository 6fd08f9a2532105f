"""The trajectory engine: many runs of one optimizer, vectorized over the batch."""
from .core import (CONVERGED, DEFAULT_TOL, DIVERGED, ESCAPED, HARD_MAX_STEPS, MAX_BATCH, STATUS_NAMES, STOPPED,
                   Cancelled, Trajectory, run, stopped)
from .gradients import ExactGradient, GaussianNoise, GradientSource, MiniBatch
from .stop import ESCAPE_FACTOR, LOSS_BOUND_FACTOR, StopRule

__all__ = ["CONVERGED", "DEFAULT_TOL", "DIVERGED", "ESCAPED", "ESCAPE_FACTOR", "HARD_MAX_STEPS",
           "LOSS_BOUND_FACTOR", "MAX_BATCH", "Cancelled", "STATUS_NAMES", "STOPPED", "StopRule", "Trajectory", "run",
           "stopped", "ExactGradient", "GaussianNoise", "GradientSource", "MiniBatch"]
