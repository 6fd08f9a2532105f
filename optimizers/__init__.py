"""Optimizers as pure, vectorized update rules matching ``torch.optim``."""
from .base import Hyper, Optimizer
from .registry import REGISTRY, get, names
from . import sgd  # noqa: F401
from . import adaptive, adam, lion, newton  # noqa: F401  (registration order = menu order)
from . import schedules

__all__ = ["Hyper", "Optimizer", "REGISTRY", "get", "names", "schedules"]
