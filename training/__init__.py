"""Training a small network for real, in all its parameters, and its path on its own loss landscape.

``train`` runs a race of optimizers from one shared initialization (pure NumPy,
torch-identical); ``plane`` finds the principal plane of the paths (Li et al.
2018, §7) and the loss over it; ``view`` draws the whole view.
"""
from .train import Racer, Run, TrainConfig, train, trainable, validate

__all__ = ["Racer", "Run", "TrainConfig", "train", "trainable", "validate"]
