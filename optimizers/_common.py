"""Pieces shared by the torch-style adaptive optimizers.

The arithmetic follows ``torch.optim``'s single-tensor (``foreach=False``) code
path operation by operation, so float64 trajectories agree with torch to a few
units in the last place (torch's CPU kernels may fuse a multiply-add; NumPy
does not, so bitwise identity is not possible, closeness is).
"""
from __future__ import annotations

import numpy as np

from .base import Hyper, nonzero

WEIGHT_DECAY = Hyper(0.0, 0.0, doc="L2 penalty λ added to the gradient: g + λθ")
DECOUPLED = Hyper(False, kind="bool",
                  doc="decay the parameters directly, θ ← θ(1 − γλ), instead of adding λθ to the gradient")
AMSGRAD = Hyper(False, kind="bool", doc="use the running maximum of the second moment (AMSGrad)")


def beta(default: float, what: str) -> Hyper:
    return Hyper(default, 0.0, 1.0, high_open=True, doc=what)


def eps(default: float) -> Hyper:
    return Hyper(default, 0.0, low_open=True, doc="ε added to the denominator for numerical stability (> 0)")


def lerp(start, end, weight):
    """``torch.lerp``: ``start + weight·(end − start)``, evaluated as torch does.

    torch uses ``end − (end − start)(1 − weight)`` when ``|weight| ≥ 0.5`` so the
    result is accurate near both ends; ``weight`` is a float or a (B, 1) array.
    """
    d = end - start
    if np.ndim(weight) == 0:
        return start + weight * d if abs(weight) < 0.5 else end - d * (1.0 - weight)
    return np.where(np.abs(weight) < 0.5, start + weight * d, end - d * (1.0 - weight))


def l2(params, grad, weight_decay):
    """Coupled (L2) weight decay as torch adds it: ``g + λθ``."""
    return grad + weight_decay * params if nonzero(weight_decay) else grad


def decay_params_or_grad(params, grad, lr, weight_decay, decoupled: bool):
    """torch's two weight-decay forms: ``θ(1 − γλ)`` (decoupled) or ``g + λθ``."""
    if not nonzero(weight_decay):
        return params, grad
    if decoupled:
        return params * (1.0 - lr * weight_decay), grad
    return params, grad + weight_decay * params


def second_moment(v, grad, beta2):
    """``v·β₂ + (1 − β₂)·g·g`` (torch's ``mul_(β₂).addcmul_(g, g, value=1 − β₂)``)."""
    return v * beta2 + (1.0 - beta2) * grad * grad
