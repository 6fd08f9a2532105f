"""Stochastic gradient descent as ``torch.optim.SGD`` (plain, momentum, Nesterov),
and Nesterov momentum in its textbook form."""
from __future__ import annotations

import numpy as np

from .base import CURVATURE_HINT, Hyper, Optimizer, Transform, check_batch, nonzero, rate
from .registry import register

_WD = Hyper(0.0, 0.0, doc="L2 penalty added to the gradient: g + weight_decay * θ")
_DAMP = Hyper(0.0, 0.0, 1.0, doc="dampening τ of the momentum buffer")
_MU = Hyper(0.9, 0.0, 1.0, high_open=True, doc="momentum factor μ")
_MU_NESTEROV = Hyper(0.9, 0.0, 1.0, low_open=True, high_open=True, doc="momentum factor μ (> 0)")
_DAMP_NESTEROV = Hyper(0.0, 0.0, 1.0, doc="must be 0 for Nesterov (torch's rule)")


def _sgd(opt: Optimizer, hp: dict, nesterov: bool = False) -> Transform:
    """torch.optim.SGD's single-tensor step, operation by operation."""
    hp, batch = opt.prepare(hp)
    wd = hp["weight_decay"]
    has_wd = nonzero(wd)
    mu = hp.get("momentum", 0.0)
    damp = hp.get("dampening", 0.0)
    if isinstance(mu, np.ndarray):  # a trajectory with momentum 0 is plain SGD, as in torch
        damp = np.where(mu != 0, damp, 0.0)
    keep = 1.0 - damp
    heavy = nonzero(mu)

    def init(params):
        check_batch(opt.name, params, batch)
        return {"step": 0, **{k: np.zeros_like(params, dtype=np.float64) for k in opt.state_names}}

    def update(grads, state, params, lr):
        lr = rate(lr)
        g = grads + wd * params if has_wd else grads
        if not heavy:
            return params - lr * g, {**state, "step": state["step"] + 1}
        if state["step"] == 0:
            buf = g  # torch: the buffer starts at the first gradient, undampened
        else:
            buf = mu * state["momentum_buffer"] + keep * g
        step = g + mu * buf if nesterov else buf
        return params - lr * step, {"step": state["step"] + 1, "momentum_buffer": buf}

    return Transform(init, update, batch=batch)


def gd(*, weight_decay=_WD.default) -> Transform:
    """Gradient descent: a step down the gradient, γ times its length.

    Example (f = x² + y² from (1, 0.25), so the gradient is 2θ):

    >>> opt = optimizers.gd()
    >>> theta = np.array([[1.0, 0.25]]); state = opt.init(theta)
    >>> opt.update(2 * theta, state, theta, lr=0.1)[0].tolist()
    [[0.8, 0.2]]
    """
    return _sgd(GD, {"weight_decay": weight_decay})


def momentum(*, momentum=_MU.default, dampening=_DAMP.default, weight_decay=_WD.default) -> Transform:
    """Momentum (heavy ball): steps along a decaying sum of past gradients.

    Example (f = x² + y² from (1, 0.25), so the gradient is 2θ):

    >>> opt = optimizers.momentum(momentum=0.9)
    >>> theta = np.array([[1.0, 0.25]]); state = opt.init(theta)
    >>> opt.update(2 * theta, state, theta, lr=0.1)[1]["momentum_buffer"].tolist()
    [[2.0, 0.5]]
    """
    return _sgd(MOMENTUM, {"momentum": momentum, "dampening": dampening, "weight_decay": weight_decay})


def nesterov(*, momentum=_MU_NESTEROV.default, dampening=_DAMP_NESTEROV.default,
             weight_decay=_WD.default) -> Transform:
    """Nesterov momentum as torch.optim.SGD(nesterov=True): params are the look-ahead points.

    Example (f = x² + y² from (1, 0.25): the step is γ(g + μ g) = 0.1 · 1.9 · 2θ):

    >>> opt = optimizers.nesterov(momentum=0.9)
    >>> theta = np.array([[1.0, 0.25]]); state = opt.init(theta)
    >>> opt.update(2 * theta, state, theta, lr=0.1)[0].round(12).tolist()
    [[0.62, 0.155]]
    """
    return _sgd(NESTEROV, {"momentum": momentum, "dampening": dampening, "weight_decay": weight_decay},
                nesterov=True)


def nesterov_textbook(*, momentum=_MU.default, weight_decay=_WD.default) -> Transform:
    """Nesterov momentum in the textbook (Sutskever et al.) form: the gradient is taken
    at the look-ahead point ``lookahead(params, state) = θ + μv``, the iterates are θ.

    Example (f = x² + y² from (1, 0.25); v₀ = 0, so the first look-ahead point is θ₀):

    >>> opt = optimizers.nesterov_textbook(momentum=0.9)
    >>> theta = np.array([[1.0, 0.25]]); state = opt.init(theta)
    >>> opt.update(2 * opt.lookahead(theta, state), state, theta, lr=0.1)[0].tolist()
    [[0.8, 0.2]]
    """
    hp, batch = NESTEROV_TEXTBOOK.prepare({"momentum": momentum, "weight_decay": weight_decay})
    mu, wd = hp["momentum"], hp["weight_decay"]
    has_wd = nonzero(wd)

    def init(params):
        check_batch(NESTEROV_TEXTBOOK.name, params, batch)
        return {"step": 0, "velocity": np.zeros_like(params, dtype=np.float64)}

    def lookahead(params, state):
        return params + mu * state["velocity"]

    def update(grads, state, params, lr):
        v = state["velocity"]
        g = grads + wd * (params + mu * v) if has_wd else grads  # L2 at the look-ahead point
        v = mu * v - rate(lr) * g
        return params + v, {"step": state["step"] + 1, "velocity": v}

    return Transform(init, update, lookahead=lookahead, batch=batch)


def _no_dampening(hp):
    if nonzero(hp["dampening"]):
        return "Nesterov momentum requires dampening = 0 (as in torch.optim.SGD)"
    return None


GD = register(Optimizer(
    name="gd",
    title="Gradient descent",
    latex=r"\theta_t = \theta_{t-1} - \gamma\,\big(g_t + \lambda\,\theta_{t-1}\big)",
    description="Take a step of length proportional to the learning rate γ straight "
    "down the gradient. With gradient noise it is stochastic gradient descent (SGD).",
    convention="torch.optim.SGD with momentum=0.",
    hyperparameters={"weight_decay": _WD},
    factory=gd,
    default_lr=1e-3,
    suggest=("curvature", 1.6),
    blowup_hint=CURVATURE_HINT,
    heatmap=("momentum", "momentum", 0.0, 0.99),
    linear_theory=True,
    reference="Cauchy (1847); torch.optim.SGD",
))

MOMENTUM = register(Optimizer(
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
    hyperparameters={"momentum": _MU, "dampening": _DAMP, "weight_decay": _WD},
    factory=momentum,
    default_lr=1e-3,
    state_names=("momentum_buffer",),
    suggest=("curvature", 0.2),
    blowup_hint=CURVATURE_HINT,
    heatmap=("momentum", "momentum", 0.0, 0.99),
    linear_theory=True,
    reference="Polyak (1964); torch.optim.SGD",
))

NESTEROV = register(Optimizer(
    name="nesterov",
    title="Nesterov momentum",
    latex=(r"b_t = \mu\, b_{t-1} + g_t \;(b_1 = g_1)\qquad"
           r"\theta_t = \theta_{t-1} - \gamma\,(g_t + \mu\, b_t)"),
    description="Momentum that looks ahead: the step uses the gradient plus the "
    "velocity it is about to apply, which brakes earlier near a minimum and "
    "overshoots less than plain momentum.",
    convention="torch.optim.SGD with nesterov=True. The drawn points are torch's "
    "parameters, which are the look-ahead points θ + μv of the textbook (Sutskever et al.) "
    "form, not its iterates θ; most courses draw the iterates (choose nesterov_textbook). "
    "For a constant learning rate the two are one algorithm seen at different points.",
    hyperparameters={"momentum": _MU_NESTEROV, "dampening": _DAMP_NESTEROV, "weight_decay": _WD},
    factory=nesterov,
    default_lr=1e-3,
    state_names=("momentum_buffer",),
    suggest=("curvature", 0.2),
    blowup_hint=CURVATURE_HINT,
    heatmap=("nesterov", "momentum", 0.01, 0.99),
    linear_theory=True,
    reference="Nesterov (1983); Sutskever et al. (2013); torch.optim.SGD",
    checks=(_no_dampening,),
))

NESTEROV_TEXTBOOK = register(Optimizer(
    name="nesterov_textbook",
    title="Nesterov (textbook form)",
    latex=(r"\begin{aligned}"
           r"v_t &= \mu\, v_{t-1} - \gamma\,\big(\nabla f(\phi_{t-1}) + \lambda\,\phi_{t-1}\big),"
           r"\qquad \phi_{t-1} = \theta_{t-1} + \mu\, v_{t-1},\quad v_0 = 0\\"
           r"\theta_t &= \theta_{t-1} + v_t"
           r"\end{aligned}"),
    description="Nesterov's accelerated gradient as most courses draw it: first jump "
    "along the velocity to the look-ahead point θ + μv, take the gradient there, and "
    "correct the velocity with it before moving. The drawn points are the iterates θ; "
    "the gradient is evaluated at the look-ahead point, the loss at θ.",
    convention="Sutskever et al. (2013): the learning rate is inside the velocity. "
    "torch.optim.SGD(nesterov=True) (the optimizer nesterov) is the same algorithm "
    "written in terms of the look-ahead point: for a constant learning rate its "
    "parameters are exactly this form's θ + μv (and its buffer b = −v/γ); when the "
    "learning rate changes, the two forms differ.",
    hyperparameters={"momentum": _MU, "weight_decay": Hyper(
        0.0, 0.0, doc="L2 penalty λ: the gradient at the look-ahead point φ gains λφ")},
    factory=nesterov_textbook,
    default_lr=1e-3,
    state_names=("velocity",),
    suggest=("curvature", 0.2),
    blowup_hint=CURVATURE_HINT,
    reference="Nesterov (1983), A method for solving the convex programming problem with "
    "convergence rate O(1/k²); Sutskever, Martens, Dahl & Hinton (2013), On the importance "
    "of initialization and momentum in deep learning",
))
