"""Per-coordinate adaptive step sizes as ``torch.optim``: Adagrad, RMSprop, Adadelta."""
from __future__ import annotations

import numpy as np

from ._common import WEIGHT_DECAY, eps, l2, lerp, second_moment, widen
from .base import Hyper, Optimizer, nonzero
from .registry import register

# --------------------------------------------------------------------------- Adagrad


def _adagrad_init(params, hp):
    return {"sum": np.zeros_like(params, dtype=np.float64) + hp["initial_accumulator_value"]}


def _adagrad_update(params, grad, state, lr, t, hp, hessian=None):
    g = l2(params, grad, hp["weight_decay"])
    clr = widen(lr / (1 + (t - 1) * hp["lr_decay"]))
    s = state["sum"] + g * g
    std = np.sqrt(s) + widen(hp["eps"])
    return params - clr * g / std, {"sum": s}


adagrad = register(Optimizer(
    name="adagrad",
    title="Adagrad",
    latex=(
        r"\begin{aligned}"
        r"\tilde\gamma_t &= \frac{\gamma}{1 + (t-1)\,\eta}\\"
        r"s_t &= s_{t-1} + g_t^2 \qquad (s_0 = \text{initial accumulator})\\"
        r"\theta_t &= \theta_{t-1} - \tilde\gamma_t\,\frac{g_t}{\sqrt{s_t} + \epsilon}"
        r"\end{aligned}"
    ),
    description="Divide each coordinate's step by the root of the sum of all its past "
    "squared gradients: steep directions get small steps and shallow ones large steps, "
    "and every step size only shrinks over time, so it can stall on long runs.",
    convention="torch.optim.Adagrad: ε is added after the square root; the optional "
    "lr_decay η divides the learning rate by 1 + (t−1)η; the accumulator may start at "
    "initial_accumulator_value; weight decay is L2, added to the gradient.",
    hyperparameters={
        "lr_decay": Hyper(0.0, 0.0, doc="η: the learning rate at step t is γ / (1 + (t−1)η)"),
        "weight_decay": WEIGHT_DECAY,
        "initial_accumulator_value": Hyper(0.0, 0.0, doc="starting value s₀ of the squared-gradient sum"),
        "eps": eps(1e-10),
    },
    init=_adagrad_init,
    update=_adagrad_update,
    default_lr=1e-2,
    state_names=("sum",),
    reference="Duchi, Hazan & Singer (2011), Adaptive Subgradient Methods; torch.optim.Adagrad",
))


# --------------------------------------------------------------------------- RMSprop


def _rmsprop_init(params, hp):
    return {k: np.zeros_like(params, dtype=np.float64)
            for k in ("square_avg", "grad_avg", "momentum_buffer")}


def _rmsprop_update(params, grad, state, lr, t, hp, hessian=None):
    alpha, mu, lr, e = hp["alpha"], hp["momentum"], widen(lr), widen(hp["eps"])
    g = l2(params, grad, hp["weight_decay"])
    sq = second_moment(state["square_avg"], g, alpha)
    ga = state["grad_avg"]
    if hp["centered"]:
        ga = lerp(ga, g, 1.0 - alpha)
        avg = np.sqrt(sq - ga * ga) + e
    else:
        avg = np.sqrt(sq) + e
    buf = state["momentum_buffer"]
    if nonzero(mu):
        buf = buf * widen(mu) + g / avg
        new = params - lr * buf
        if np.ndim(mu) and not np.all(mu != 0):  # rows with μ = 0 take torch's plain step
            new = np.where(mu != 0, new, params - lr * g / avg)
    else:
        new = params - lr * g / avg
    return new, {"square_avg": sq, "grad_avg": ga, "momentum_buffer": buf}


rmsprop = register(Optimizer(
    name="rmsprop",
    title="RMSprop",
    latex=(
        r"\begin{aligned}"
        r"v_t &= \alpha\, v_{t-1} + (1-\alpha)\,g_t^2,\qquad "
        r"\bar g_t = \alpha\,\bar g_{t-1} + (1-\alpha)\,g_t \ \text{(centered)}\\"
        r"d_t &= \sqrt{v_t} + \epsilon \quad\text{or, centered,}\quad d_t = \sqrt{v_t - \bar g_t^2} + \epsilon\\"
        r"b_t &= \mu\, b_{t-1} + g_t / d_t\\"
        r"\theta_t &= \theta_{t-1} - \gamma\, b_t \qquad (\mu = 0:\ \theta_t = \theta_{t-1} - \gamma\, g_t/d_t)"
        r"\end{aligned}"
    ),
    description="Divide each coordinate's step by the root of a running average of its "
    "squared gradients, so that, unlike Adagrad, old gradients are forgotten and the step "
    "size can recover. Centered RMSprop divides by an estimate of the gradient's standard "
    "deviation instead; momentum accumulates the normalized steps.",
    convention="torch.optim.RMSprop: ε is added after the square root (Hinton's lecture "
    "and TensorFlow put it inside); the momentum buffer accumulates g/d and the learning "
    "rate multiplies the whole buffer; the buffers start at zero (no bias correction); "
    "weight decay is L2, added to the gradient.",
    hyperparameters={
        "alpha": Hyper(0.99, 0.0, 1.0, doc="smoothing constant α of the squared-gradient average"),
        "eps": eps(1e-8),
        "weight_decay": WEIGHT_DECAY,
        "momentum": Hyper(0.0, 0.0, 1.0, high_open=True, doc="momentum factor μ (0 = none)"),
        "centered": Hyper(False, kind="bool", doc="normalize by the estimated variance instead of the second moment"),
    },
    init=_rmsprop_init,
    update=_rmsprop_update,
    default_lr=1e-2,
    state_names=("square_avg", "grad_avg", "momentum_buffer"),
    reference="Hinton, Srivastava & Swersky (2012), Neural Networks for Machine Learning, "
    "lecture 6e; Graves (2013) for the centered form; torch.optim.RMSprop",
))


# --------------------------------------------------------------------------- Adadelta


def _adadelta_init(params, hp):
    return {k: np.zeros_like(params, dtype=np.float64) for k in ("square_avg", "acc_delta")}


def _adadelta_update(params, grad, state, lr, t, hp, hessian=None):
    rho, e = hp["rho"], widen(hp["eps"])
    g = l2(params, grad, hp["weight_decay"])
    sq = second_moment(state["square_avg"], g, rho)
    delta = np.sqrt(state["acc_delta"] + e) / np.sqrt(sq + e) * g
    acc = second_moment(state["acc_delta"], delta, rho)
    return params - widen(lr) * delta, {"square_avg": sq, "acc_delta": acc}


adadelta = register(Optimizer(
    name="adadelta",
    title="Adadelta",
    latex=(
        r"\begin{aligned}"
        r"v_t &= \rho\, v_{t-1} + (1-\rho)\,g_t^2\\"
        r"\Delta x_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\; g_t\\"
        r"u_t &= \rho\, u_{t-1} + (1-\rho)\,\Delta x_t^2\\"
        r"\theta_t &= \theta_{t-1} - \gamma\, \Delta x_t"
        r"\end{aligned}"
    ),
    description="Like RMSprop, but the step is also multiplied by the root of a running "
    "average of past squared steps, so the update has the units of the parameters and "
    "needs no learning rate in the original method (γ = 1). The first steps are about √ε "
    "in size and grow as the step average builds up.",
    convention="torch.optim.Adadelta: ε is inside both square roots as in Zeiler's paper, "
    "plus a learning rate γ (default 1.0, the paper's method) multiplying the step; "
    "weight decay is L2, added to the gradient.",
    hyperparameters={
        "rho": Hyper(0.9, 0.0, 1.0, doc="decay ρ of both running averages"),
        "eps": eps(1e-6),
        "weight_decay": WEIGHT_DECAY,
    },
    init=_adadelta_init,
    update=_adadelta_update,
    default_lr=1.0,
    state_names=("square_avg", "acc_delta"),
    reference="Zeiler (2012), ADADELTA: An Adaptive Learning Rate Method; torch.optim.Adadelta",
))
