"""Stochastic gradient descent as ``torch.optim.SGD``: plain, momentum, Nesterov."""
from __future__ import annotations

import numpy as np

from .base import Hyper, Optimizer, nonzero
from .registry import register

_WD = Hyper(0.0, 0.0, doc="L2 penalty added to the gradient: g + weight_decay * θ")
_DAMP = Hyper(0.0, 0.0, 1.0, doc="dampening τ of the momentum buffer")


def _sgd_init(params, hp):
    return {"momentum_buffer": np.zeros_like(params)}


def _sgd_update(params, grad, state, lr, t, hp, hessian=None, *, nesterov=False):
    g = grad + hp["weight_decay"] * params if nonzero(hp["weight_decay"]) else grad
    mu = hp.get("momentum", 0.0)
    if not nonzero(mu):
        return params - lr * g, state
    if t == 1:
        buf = g  # torch: the buffer starts at the first gradient, undampened
    else:
        damp = hp["dampening"]
        if isinstance(mu, np.ndarray):  # a trajectory with momentum 0 is plain SGD, as in torch
            damp = np.where(mu != 0, damp, 0.0)
        buf = mu * state["momentum_buffer"] + (1.0 - damp) * g
    step = g + mu * buf if nesterov else buf
    return params - lr * step, {"momentum_buffer": buf}


def _nesterov_update(params, grad, state, lr, t, hp, hessian=None):
    return _sgd_update(params, grad, state, lr, t, hp, nesterov=True)


def _no_dampening(hp):
    if nonzero(hp["dampening"]):
        return "Nesterov momentum requires dampening = 0 (as in torch.optim.SGD)"
    return None


gd = register(Optimizer(
    name="gd",
    title="Gradient descent",
    latex=r"\theta_t = \theta_{t-1} - \gamma\,\big(g_t + \lambda\,\theta_{t-1}\big)",
    description="Take a step of length proportional to the learning rate γ straight "
    "down the gradient. With gradient noise it is stochastic gradient descent (SGD).",
    convention="torch.optim.SGD with momentum=0.",
    hyperparameters={"weight_decay": _WD},
    init=lambda params, hp: {},
    update=lambda params, grad, state, lr, t, hp, hessian=None: _sgd_update(
        params, grad, state, lr, t, {**hp, "momentum": 0.0}),
    default_lr=1e-3,
    reference="Cauchy (1847); torch.optim.SGD",
))

momentum = register(Optimizer(
    name="momentum",
    title="Momentum (heavy ball)",
    latex=(r"b_t = \begin{cases} g_t & t = 1 \\ \mu\, b_{t-1} + (1-\tau)\, g_t & t > 1 \end{cases}"
           r"\qquad \theta_t = \theta_{t-1} - \gamma\, b_t"),
    description="Keep a running sum of past gradients (the velocity b) decaying by μ per "
    "step and move along it: steps grow along a consistent slope and cancel across a "
    "zig-zag.",
    convention="torch.optim.SGD: the buffer starts at the first gradient and the "
    "learning rate multiplies the whole buffer (Sutskever et al. put γ inside it; "
    "the two agree for a constant learning rate).",
    hyperparameters={
        "momentum": Hyper(0.9, 0.0, 1.0, high_open=True, doc="momentum factor μ"),
        "dampening": _DAMP,
        "weight_decay": _WD,
    },
    init=_sgd_init,
    update=_sgd_update,
    default_lr=1e-3,
    state_names=("momentum_buffer",),
    reference="Polyak (1964); torch.optim.SGD",
))

nesterov = register(Optimizer(
    name="nesterov",
    title="Nesterov momentum",
    latex=(r"b_t = \mu\, b_{t-1} + g_t \;(b_1 = g_1)\qquad"
           r"\theta_t = \theta_{t-1} - \gamma\,(g_t + \mu\, b_t)"),
    description="Momentum that looks ahead: the step uses the gradient plus the "
    "velocity it is about to apply, which brakes earlier near a minimum and "
    "overshoots less than plain momentum.",
    convention="torch.optim.SGD with nesterov=True (the Sutskever et al. form "
    "rewritten in terms of the current parameters).",
    hyperparameters={
        "momentum": Hyper(0.9, 0.0, 1.0, low_open=True, high_open=True, doc="momentum factor μ (> 0)"),
        "dampening": Hyper(0.0, 0.0, 1.0, doc="must be 0 for Nesterov (torch's rule)"),
        "weight_decay": _WD,
    },
    init=_sgd_init,
    update=_nesterov_update,
    default_lr=1e-3,
    state_names=("momentum_buffer",),
    reference="Nesterov (1983); Sutskever et al. (2013); torch.optim.SGD",
    checks=(_no_dampening,),
))
