"""Optimizers as validated factories of pure, vectorized update rules matching ``torch.optim``.

>>> opt = optimizers.adam(beta1=0.8)            # checks and closes over the hyperparameters
>>> state = opt.init(params)                    # params: (B, 2); state["step"] == 0
>>> params, state = opt.update(grads, state, params, lr)

``optimizers.get(name)`` is the registered optimizer (its factory with the
documentation the app shows); calling it calls the factory. ``help()`` on a
factory shows its rule, arguments, an example and its reference.
"""
# Registration order is the menu order: keep these imports in this order.
# isort: off
from .base import Hyper, Optimizer, Transform
from .registry import REGISTRY, get, names
from ._sgd import gd, momentum, nesterov, nesterov_textbook
from ._adaptive import adadelta, adagrad, rmsprop
from ._adam import adam, adamax, adamw, nadam, radam
from ._lion import lion
from ._newton import newton
from . import schedules
# isort: on

__all__ = [
           "REGISTRY",
           "Hyper",
           "Optimizer",
           "Transform",
           "adadelta",
           "adagrad",
           "adam",
           "adamax",
           "adamw",
           "gd",
           "get",
           "lion",
           "momentum",
           "nadam",
           "names",
           "nesterov",
           "nesterov_textbook",
           "newton",
           "radam",
           "rmsprop",
           "schedules",
]
