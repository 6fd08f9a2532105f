"""Per-coordinate adaptive step sizes as ``torch.optim``: Adagrad, RMSprop, Adadelta."""
from __future__ import annotations

import numpy as np

from ._common import WEIGHT_DECAY, eps, l2, lerp, second_moment, widen, zeros_init
from .base import SPAN_HINT, Hyper, Optimizer, Transform, check_batch, nonzero, rate
from .registry import register

# --------------------------------------------------------------------------- Adagrad


_LR_DECAY = Hyper(0.0, 0.0, doc="η: the learning rate at step t is γ / (1 + (t−1)η)")
_IAV = Hyper(0.0, 0.0, doc="starting value s₀ of the squared-gradient sum")
_EPS10 = eps(1e-10)
EPS_INSIDE = Hyper(False, kind="bool",
                   doc="put ε inside the square root, √(s + ε) (Ruder's overview, Goodfellow et al.'s "
                   "RMSProp, TensorFlow 1's RMSPropOptimizer); false, torch's convention, adds it after: √s + ε")


def adagrad(*, lr_decay=_LR_DECAY.default, weight_decay=WEIGHT_DECAY.default,
            initial_accumulator_value=_IAV.default, eps=_EPS10.default,
            eps_inside=EPS_INSIDE.default) -> Transform:
    """Adagrad: each coordinate's step divided by the root of its summed squared gradients.

    Example (f = x² + y² from (1, 0.25): s₁ = g₁², so the first step is ≈ γ per coordinate):

    >>> opt = optimizers.adagrad()
    >>> theta = np.array([[1.0, 0.25]]); state = opt.init(theta)
    >>> opt.update(2 * theta, state, theta, lr=0.1)[0].round(6).tolist()
    [[0.9, 0.15]]
    """
    hp, batch = ADAGRAD.prepare({"lr_decay": lr_decay, "weight_decay": weight_decay,
                                 "initial_accumulator_value": initial_accumulator_value, "eps": eps,
                                 "eps_inside": eps_inside})
    eta, wd, s0, e = hp["lr_decay"], hp["weight_decay"], hp["initial_accumulator_value"], hp["eps"]
    inside = hp["eps_inside"]

    def init(params):
        check_batch(ADAGRAD.name, params, batch)
        return {"step": 0, "sum": np.zeros_like(params, dtype=np.float64) + s0}

    def update(grads, state, params, lr):
        lr, t = rate(lr), state["step"] + 1
        g = l2(params, grads, wd)
        clr = widen(lr / (1 + (t - 1) * eta))
        s = state["sum"] + g * g
        std = np.sqrt(s + e) if inside else np.sqrt(s) + e
        return params - clr * g / std, {"step": t, "sum": s}

    return Transform(init, update, batch=batch)


ADAGRAD = register(Optimizer(
    name="adagrad",
    title="Adagrad",
    latex=(
        r"\begin{aligned}"
        r"\tilde\gamma_t &= \frac{\gamma}{1 + (t-1)\,\eta}\\"
        r"s_t &= s_{t-1} + g_t^2 \qquad (s_0 = \text{initial accumulator})\\"
        r"\theta_t &= \theta_{t-1} - \tilde\gamma_t\,\frac{g_t}{\sqrt{s_t} + \epsilon}"
        r"\qquad \text{(eps\_inside: } \frac{g_t}{\sqrt{s_t + \epsilon}}\text{)}"
        r"\end{aligned}"
    ),
    description="Divide each coordinate's step by the root of the sum of all its past "
    "squared gradients: steep directions get small steps and shallow ones large steps, "
    "and every step size only shrinks over time, so it can stall on long runs.",
    convention="torch.optim.Adagrad: ε is added after the square root (eps_inside = true puts "
    "it inside, √(s + ε), as Ruder's overview of gradient descent algorithms writes it); the optional "
    "lr_decay η divides the learning rate by 1 + (t−1)η; the accumulator may start at "
    "initial_accumulator_value; weight decay is L2, added to the gradient.",
    hyperparameters={
        "lr_decay": _LR_DECAY,
        "weight_decay": WEIGHT_DECAY,
        "initial_accumulator_value": _IAV,
        "eps": _EPS10,
        "eps_inside": EPS_INSIDE,
    },
    factory=adagrad,
    default_lr=1e-2,
    state_names=("sum",),
    suggest=("span", 0.1),
    blowup_hint=SPAN_HINT,
    reference="Duchi, Hazan & Singer (2011), Adaptive Subgradient Methods; torch.optim.Adagrad",
))


# --------------------------------------------------------------------------- RMSprop


_ALPHA = Hyper(0.99, 0.0, 1.0, doc="smoothing constant α of the squared-gradient average")
_EPS8 = eps(1e-8)
_MU = Hyper(0.0, 0.0, 1.0, high_open=True, doc="momentum factor μ (0 = none)")
_CENTERED = Hyper(False, kind="bool", doc="normalize by the estimated variance instead of the second moment")


def rmsprop(*, alpha=_ALPHA.default, eps=_EPS8.default, weight_decay=WEIGHT_DECAY.default,
            momentum=_MU.default, centered=_CENTERED.default, eps_inside=EPS_INSIDE.default) -> Transform:
    """RMSprop: each coordinate's step divided by the root of a running average of g².

    Example (f = x² + y² from (1, 0.25): v₁ = (1 − α) g₁², so step 1 is γ/√0.01 = 10γ):

    >>> opt = optimizers.rmsprop()
    >>> theta = np.array([[1.0, 0.25]]); state = opt.init(theta)
    >>> opt.update(2 * theta, state, theta, lr=0.01)[0].round(6).tolist()
    [[0.9, 0.15]]
    """
    hp, batch = RMSPROP.prepare({"alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                                 "momentum": momentum, "centered": centered, "eps_inside": eps_inside})
    alpha, mu, e, wd, centered = hp["alpha"], hp["momentum"], hp["eps"], hp["weight_decay"], hp["centered"]
    inside = hp["eps_inside"]
    w = 1.0 - alpha
    heavy = nonzero(mu)
    mixed = np.ndim(mu) and not np.all(mu != 0)  # rows with μ = 0 take torch's plain step

    def update(grads, state, params, lr):
        lr = widen(rate(lr))
        g = l2(params, grads, wd)
        sq = second_moment(state["square_avg"], g, alpha)
        ga = state["grad_avg"]
        if centered:
            ga = lerp(ga, g, w)
            var = sq - ga * ga
        else:
            var = sq
        avg = np.sqrt(var + e) if inside else np.sqrt(var) + e
        buf = state["momentum_buffer"]
        if heavy:
            buf = buf * mu + g / avg
            new = params - lr * buf
            if mixed:
                new = np.where(mu != 0, new, params - lr * g / avg)
        else:
            new = params - lr * g / avg
        return new, {"step": state["step"] + 1, "square_avg": sq, "grad_avg": ga, "momentum_buffer": buf}

    return Transform(zeros_init(RMSPROP, batch), update, batch=batch)


RMSPROP = register(Optimizer(
    name="rmsprop",
    title="RMSprop",
    latex=(
        r"\begin{aligned}"
        r"v_t &= \alpha\, v_{t-1} + (1-\alpha)\,g_t^2,\qquad "
        r"\bar g_t = \alpha\,\bar g_{t-1} + (1-\alpha)\,g_t \ \text{(centered)}\\"
        r"d_t &= \sqrt{v_t} + \epsilon \quad\text{or, centered,}\quad d_t = \sqrt{v_t - \bar g_t^2} + \epsilon"
        r"\qquad \text{(eps\_inside: } \sqrt{v_t + \epsilon},\ \sqrt{v_t - \bar g_t^2 + \epsilon}\text{)}\\"
        r"b_t &= \mu\, b_{t-1} + g_t / d_t\\"
        r"\theta_t &= \theta_{t-1} - \gamma\, b_t \qquad (\mu = 0:\ \theta_t = \theta_{t-1} - \gamma\, g_t/d_t)"
        r"\end{aligned}"
    ),
    description="Divide each coordinate's step by the root of a running average of its "
    "squared gradients, so that, unlike Adagrad, old gradients are forgotten and the step "
    "size can recover. Centered RMSprop divides by an estimate of the gradient's standard "
    "deviation instead; momentum accumulates the normalized steps.",
    convention="torch.optim.RMSprop: ε is added after the square root; eps_inside = true puts it "
    "inside, √(v + ε), as TensorFlow 1's tf.train.RMSPropOptimizer (ε = 1e-10, decay ρ = 0.9 for "
    "α), Goodfellow et al.'s Deep Learning (algorithm 8.5) and Ruder's overview write it; "
    "the momentum buffer accumulates g/d and the learning "
    "rate multiplies the whole buffer; the buffers start at zero (no bias correction); "
    "weight decay is L2, added to the gradient.",
    hyperparameters={
        "alpha": _ALPHA,
        "eps": _EPS8,
        "weight_decay": WEIGHT_DECAY,
        "momentum": _MU,
        "centered": _CENTERED,
        "eps_inside": EPS_INSIDE,
    },
    factory=rmsprop,
    default_lr=1e-2,
    state_names=("square_avg", "grad_avg", "momentum_buffer"),
    suggest=("span", 0.001),
    blowup_hint=SPAN_HINT,
    heatmap=("rmsprop", "momentum", 0.0, 0.99),
    reference="Hinton, Srivastava & Swersky (2012), Neural Networks for Machine Learning, "
    "lecture 6e; Graves (2013) for the centered form; torch.optim.RMSprop",
))


# --------------------------------------------------------------------------- Adadelta


_RHO = Hyper(0.9, 0.0, 1.0, doc="decay ρ of both running averages")
_EPS6 = eps(1e-6)


def adadelta(*, rho=_RHO.default, eps=_EPS6.default, weight_decay=WEIGHT_DECAY.default) -> Transform:
    """Adadelta: RMSprop's step rescaled by the root of a running average of past squared steps.

    Example (f = x² + y² from (1, 0.25): step 1 is √ε/√(0.1 g² + ε) · g ≈ √(ε/0.1) = 3.16e-3):

    >>> opt = optimizers.adadelta()
    >>> theta = np.array([[1.0, 0.25]]); state = opt.init(theta)
    >>> opt.update(2 * theta, state, theta, lr=1.0)[0].round(6).tolist()
    [[0.996838, 0.246838]]
    """
    hp, batch = ADADELTA.prepare({"rho": rho, "eps": eps, "weight_decay": weight_decay})
    rho, e, wd = hp["rho"], hp["eps"], hp["weight_decay"]

    def update(grads, state, params, lr):
        g = l2(params, grads, wd)
        sq = second_moment(state["square_avg"], g, rho)
        delta = np.sqrt(state["acc_delta"] + e) / np.sqrt(sq + e) * g
        acc = second_moment(state["acc_delta"], delta, rho)
        return (params - widen(rate(lr)) * delta,
                {"step": state["step"] + 1, "square_avg": sq, "acc_delta": acc})

    return Transform(zeros_init(ADADELTA, batch), update, batch=batch)


ADADELTA = register(Optimizer(
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
        "rho": _RHO,
        "eps": _EPS6,
        "weight_decay": WEIGHT_DECAY,
    },
    factory=adadelta,
    default_lr=1.0,
    state_names=("square_avg", "acc_delta"),
    suggest=("fixed", 1.0),
    blowup_hint="its step sizes grew with its running averages: try a larger rho or a smaller lr",
    reference="Zeiler (2012), ADADELTA: An Adaptive Learning Rate Method; torch.optim.Adadelta",
))
