"""Pieces shared by the torch-style adaptive optimizers.

The arithmetic follows ``torch.optim``'s single-tensor (``foreach=False``) code
path operation by operation, so float64 trajectories agree with torch to a few
units in the last place (torch's CPU kernels may fuse a multiply-add; NumPy
does not, so bitwise identity is not possible, closeness is).
"""
from __future__ import annotations

import numpy as np

from .base import Hyper, Optimizer, check_batch, nonzero

WEIGHT_DECAY = Hyper(0.0, 0.0, doc="L2 penalty λ added to the gradient: g + λθ")
DECOUPLED = Hyper(False, kind="bool",
                  doc="decay the parameters directly, θ ← θ(1 − γλ), instead of adding λθ to the gradient")
AMSGRAD = Hyper(False, kind="bool", doc="use the running maximum of the second moment (AMSGrad)")


def beta(default: float, what: str) -> Hyper:
    return Hyper(default, 0.0, 1.0, high_open=True, doc=what)


def eps(default: float) -> Hyper:
    return Hyper(default, 0.0, low_open=True, doc="ε added to the denominator for numerical stability (> 0)")


def widen(x):
    """A (B, 1) per-trajectory value as a (B, 2) array of the same numbers.

    NumPy broadcasts (B, 1) against (B, 2) with an inner loop of length 2, several
    times slower than a same-shape operation; one cheap copy pays for itself as
    soon as the value meets a (B, 2) array. Floats pass through.
    """
    if isinstance(x, np.ndarray) and x.ndim == 2 and x.shape[1] == 1:
        return np.concatenate((x, x), axis=1)
    return x


def zeros_init(opt: Optimizer, batch: int | None):
    """``init`` for an optimizer whose state arrays (``opt.state_names``) all start at zero."""
    def init(params):
        check_batch(opt.name, params, batch)
        return {"step": 0, **{k: np.zeros_like(params, dtype=np.float64) for k in opt.state_names}}
    return init


def column(x):
    """A per-trajectory ``(B, 2)`` value as its ``(B, 1)`` column (a view); floats pass.

    For quantities that are one number per trajectory, not per coordinate."""
    if isinstance(x, np.ndarray) and x.ndim == 2:
        return x[:, :1]
    return x


def lerp(start, end, weight):
    """``torch.lerp``: ``start + weight·(end − start)``, evaluated as torch does.

    torch uses ``end − (end − start)(1 − weight)`` when ``|weight| ≥ 0.5`` so the
    result is accurate near both ends; ``weight`` is a float or a (B, 1) array.
    """
    d = end - start
    if np.ndim(weight) == 0:
        return start + weight * d if abs(weight) < 0.5 else end - d * (1.0 - weight)
    small = np.abs(weight) < 0.5
    if small.all():
        return start + widen(weight) * d
    if not small.any():
        return end - d * widen(1.0 - weight)
    return np.where(small, start + widen(weight) * d, end - d * widen(1.0 - weight))


def l2(params, grad, weight_decay):
    """Coupled (L2) weight decay as torch adds it: ``g + λθ``."""
    return grad + widen(weight_decay) * params if nonzero(weight_decay) else grad


def decay_params_or_grad(params, grad, lr, weight_decay, decoupled: bool):
    """torch's two weight-decay forms: ``θ(1 − γλ)`` (decoupled) or ``g + λθ``."""
    if not nonzero(weight_decay):
        return params, grad
    if decoupled:
        return params * widen(1.0 - lr * weight_decay), grad
    return params, grad + widen(weight_decay) * params


def second_moment(v, grad, beta2):
    """``v·β₂ + (1 − β₂)·g·g`` (torch's ``mul_(β₂).addcmul_(g, g, value=1 − β₂)``)."""
    return v * widen(beta2) + widen(1.0 - beta2) * grad * grad
