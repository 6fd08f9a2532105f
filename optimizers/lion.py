"""Lion (EvoLved Sign Momentum), Chen et al. 2023. torch.optim has no Lion."""
from __future__ import annotations

import numpy as np

from ._common import beta, widen
from .base import Hyper, Optimizer, nonzero
from .registry import register


def _lion_init(params, hp):
    return {"exp_avg": np.zeros_like(params, dtype=np.float64)}


def _lion_update(params, grad, state, lr, t, hp, hessian=None):
    b1, b2, wd = hp["beta1"], hp["beta2"], hp["weight_decay"]
    m = state["exp_avg"]
    if nonzero(wd):
        params = params * widen(1.0 - lr * wd)
    new = params - widen(lr) * np.sign(m * widen(b1) + grad * widen(1.0 - b1))
    return new, {"exp_avg": m * widen(b2) + grad * widen(1.0 - b2)}


lion = register(Optimizer(
    name="lion",
    title="Lion (sign momentum)",
    latex=(
        r"\begin{aligned}"
        r"c_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t\\"
        r"\theta_t &= \theta_{t-1} - \gamma\,\big(\operatorname{sign}(c_t) + \lambda\,\theta_{t-1}\big)\\"
        r"m_t &= \beta_2 m_{t-1} + (1-\beta_2)\,g_t"
        r"\end{aligned}"
    ),
    description="Move every coordinate by exactly ±γ, in the direction of the sign of an "
    "interpolation between the momentum and the current gradient; the momentum itself "
    "is updated afterwards with a slower decay β₂. Steps have the same size whatever the "
    "gradient's scale, so Lion wants a learning rate several times smaller than Adam's.",
    convention="Chen et al. (2023), Program 1 / the authors' lion_pytorch.py: the step "
    "direction uses β₁ and the momentum update β₂ (two different interpolations); weight "
    "decay is decoupled and scaled by the learning rate, θ(1 − γλ), applied before the "
    "sign step (the same as the paper's γ(sign(c) + λθ)); sign(0) = 0.",
    hyperparameters={
        "beta1": beta(0.9, "β₁: interpolation between momentum and gradient for the step direction"),
        "beta2": beta(0.99, "β₂: decay of the momentum"),
        "weight_decay": Hyper(0.0, 0.0, doc="decoupled weight decay λ: θ ← θ(1 − γλ)"),
    },
    init=_lion_init,
    update=_lion_update,
    default_lr=1e-4,
    state_names=("exp_avg",),
    reference="Chen et al. (2023), Symbolic Discovery of Optimization Algorithms, arXiv:2302.06675",
))
