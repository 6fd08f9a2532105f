"""Lion (EvoLved Sign Momentum), Chen et al. 2023. torch.optim has no Lion."""
from __future__ import annotations

import numpy as np

from ._common import beta, widen, zeros_init
from .base import SPAN_HINT, Hyper, Optimizer, Transform, nonzero, rate
from .registry import register

_B1 = beta(0.9, "β₁: interpolation between momentum and gradient for the step direction")
_B2 = beta(0.99, "β₂: decay of the momentum")
_WD = Hyper(0.0, 0.0, doc="decoupled weight decay λ: θ ← θ(1 − γλ)")


def lion(*, beta1=_B1.default, beta2=_B2.default, weight_decay=_WD.default) -> Transform:
    """Lion: every coordinate moves by exactly ±γ, along the sign of an interpolated momentum.

    Example (f = x² + y² from (1, 0.25): the sign of the gradient is (1, 1)):

    >>> opt = optimizers.lion()
    >>> theta = np.array([[1.0, 0.25]]); state = opt.init(theta)
    >>> opt.update(2 * theta, state, theta, lr=0.1)[0].round(12).tolist()
    [[0.9, 0.15]]
    """
    hp, batch = LION.prepare({"beta1": beta1, "beta2": beta2, "weight_decay": weight_decay})
    b1, b2, wd = hp["beta1"], hp["beta2"], hp["weight_decay"]
    w1, w2 = 1.0 - b1, 1.0 - b2
    has_wd = nonzero(wd)

    def update(grads, state, params, lr):
        lr = rate(lr)
        m = state["exp_avg"]
        if has_wd:
            params = params * widen(1.0 - lr * wd)
        new = params - widen(lr) * np.sign(m * b1 + grads * w1)
        return new, {"step": state["step"] + 1, "exp_avg": m * b2 + grads * w2}

    return Transform(zeros_init(LION, batch), update, batch=batch)


LION = register(Optimizer(
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
    hyperparameters={"beta1": _B1, "beta2": _B2, "weight_decay": _WD},
    factory=lion,
    default_lr=1e-4,
    state_names=("exp_avg",),
    suggest=("span", 0.004),
    blowup_hint=SPAN_HINT,
    heatmap=("lion", "beta1", 0.0, 0.99),
    reference="Chen et al. (2023), Symbolic Discovery of Optimization Algorithms, arXiv:2302.06675",
))
