"""The Adam family as ``torch.optim``: Adam, AdamW, Adamax, NAdam, RAdam."""
from __future__ import annotations

import numpy as np

from ._common import (AMSGRAD, DECOUPLED, WEIGHT_DECAY, beta, column, decay_params_or_grad, eps, l2,
                      lerp, second_moment, widen, zeros_init)
from .base import SPAN_HINT, Hyper, Optimizer, Transform, check_batch, rate
from .registry import register

_B1 = beta(0.9, "decay β₁ of the first-moment (mean) average")
_B2 = beta(0.999, "decay β₂ of the second-moment (uncentered variance) average")
_B2_INF = beta(0.999, "decay β₂ of the infinity-norm estimate")
_EPS8 = eps(1e-8)
_WD_ADAMW = Hyper(1e-2, 0.0, doc="decoupled weight decay λ: θ ← θ(1 − γλ)")
_PSI = Hyper(4e-3, 0.0, doc="ψ in the momentum schedule μ_t = β₁(1 − ½·0.96^{tψ})")


# --------------------------------------------------------------------------- Adam / AdamW

def _adam(opt: Optimizer, hp: dict) -> Transform:
    hp, batch = opt.prepare(hp)
    b1, b2, e, wd, amsgrad = hp["beta1"], hp["beta2"], hp["eps"], hp["weight_decay"], hp["amsgrad"]
    decoupled = hp.get("decoupled_weight_decay", True)  # AdamW has no such flag: always decoupled
    w1 = 1.0 - b1

    def update(grads, state, params, lr):
        lr, t = rate(lr), state["step"] + 1
        params, g = decay_params_or_grad(params, grads, lr, wd, decoupled)
        m = lerp(state["exp_avg"], g, w1)
        v = second_moment(state["exp_avg_sq"], g, b2)
        step_size = widen(lr / (1.0 - b1 ** t))
        bc2_sqrt = widen(np.sqrt(1.0 - b2 ** t))
        vmax = state["max_exp_avg_sq"]
        if amsgrad:
            vmax = np.maximum(vmax, v)
            denom = np.sqrt(vmax) / bc2_sqrt + e
        else:
            denom = np.sqrt(v) / bc2_sqrt + e
        new = params - step_size * m / denom
        return new, {"step": t, "exp_avg": m, "exp_avg_sq": v, "max_exp_avg_sq": vmax}

    return Transform(zeros_init(opt, batch), update, batch=batch)


def adam(*, beta1=_B1.default, beta2=_B2.default, eps=_EPS8.default, weight_decay=WEIGHT_DECAY.default,
         amsgrad=AMSGRAD.default, decoupled_weight_decay=DECOUPLED.default) -> Transform:
    """Adam: one step size per coordinate, from bias-corrected averages of g and g².

    Example (f = x² + y² from (1, 0.25): the first step moves each coordinate by ≈ γ):

    >>> opt = optimizers.adam(beta1=0.9)
    >>> theta = np.array([[1.0, 0.25]]); state = opt.init(theta)
    >>> opt.update(2 * theta, state, theta, lr=0.1)[0].round(6).tolist()
    [[0.9, 0.15]]
    """
    return _adam(ADAM, {"beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weight_decay,
                        "amsgrad": amsgrad, "decoupled_weight_decay": decoupled_weight_decay})


def adamw(*, beta1=_B1.default, beta2=_B2.default, eps=_EPS8.default, weight_decay=_WD_ADAMW.default,
          amsgrad=AMSGRAD.default) -> Transform:
    """AdamW: Adam with decoupled weight decay θ ← θ(1 − γλ).

    Example (f = x² + y² from (1, 0.25), λ = 0.5: θ shrinks by 5 %, then the Adam step):

    >>> opt = optimizers.adamw(weight_decay=0.5)
    >>> theta = np.array([[1.0, 0.25]]); state = opt.init(theta)
    >>> opt.update(2 * theta, state, theta, lr=0.1)[0].round(6).tolist()
    [[0.85, 0.1375]]
    """
    return _adam(ADAMW, {"beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weight_decay,
                         "amsgrad": amsgrad})


_ADAM_LATEX = (
    r"\begin{aligned}"
    r"g_t &= \nabla f(\theta_{t-1}) + \lambda\,\theta_{t-1}\\"
    r"m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t\\"
    r"v_t &= \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2"
    r"\qquad \text{(AMSGrad: } v_t \leftarrow \max(v_{t-1}^{\max}, v_t)\text{)}\\"
    r"\theta_t &= \theta_{t-1} - \frac{\gamma}{1-\beta_1^{t}}\,"
    r"\frac{m_t}{\sqrt{v_t}\,/\sqrt{1-\beta_2^{t}} + \epsilon}"
    r"\end{aligned}"
)

ADAM = register(Optimizer(
    name="adam",
    title="Adam",
    latex=_ADAM_LATEX,
    description="Keep running averages of the gradient (m) and of its square (v), correct "
    "both for their start at zero, and step along m divided by the root of v: each "
    "coordinate gets its own step size, roughly γ in magnitude whatever the gradient's "
    "scale. AMSGrad divides by the largest v seen so far, so the step size never grows.",
    convention="torch.optim.Adam: ε is added outside the square root, after v is "
    "bias-corrected (the paper's ε̂ form differs slightly); the bias correction of m is "
    "folded into the step size γ/(1−β₁ᵗ). Weight decay is L2 (added to the gradient) "
    "unless decoupled_weight_decay, which makes it AdamW. AMSGrad keeps the max of the "
    "raw v and bias-corrects that, as torch does.",
    hyperparameters={
        "beta1": _B1,
        "beta2": _B2,
        "eps": _EPS8,
        "weight_decay": WEIGHT_DECAY,
        "amsgrad": AMSGRAD,
        "decoupled_weight_decay": DECOUPLED,
    },
    factory=adam,
    default_lr=1e-3,
    state_names=("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
    suggest=("span", 0.01),
    blowup_hint=SPAN_HINT,
    heatmap=("adam", "beta1", 0.0, 0.99),
    reference="Kingma & Ba (2015), Adam: A Method for Stochastic Optimization; "
    "Reddi et al. (2018), On the Convergence of Adam and Beyond; torch.optim.Adam",
))

ADAMW = register(Optimizer(
    name="adamw",
    title="AdamW",
    latex=(
        r"\begin{aligned}"
        r"\theta_{t-1}' &= \theta_{t-1}\,(1-\gamma\lambda)\\"
        r"m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t,\quad "
        r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2\\"
        r"\theta_t &= \theta_{t-1}' - \frac{\gamma}{1-\beta_1^{t}}\,"
        r"\frac{m_t}{\sqrt{v_t}\,/\sqrt{1-\beta_2^{t}} + \epsilon}"
        r"\end{aligned}"
    ),
    description="Adam with decoupled weight decay: the parameters shrink toward the "
    "origin by a factor 1−γλ each step, separately from the adaptive gradient step, "
    "so the decay is not divided by √v as L2 regularization inside Adam would be.",
    convention="torch.optim.AdamW (default weight_decay 1e-2): the decay is scaled by "
    "the learning rate γ (Loshchilov & Hutter write it with a separate schedule "
    "multiplier η_t), then the Adam step is taken from the decayed parameters; ε and "
    "bias correction as torch.optim.Adam.",
    hyperparameters={
        "beta1": _B1,
        "beta2": _B2,
        "eps": _EPS8,
        "weight_decay": _WD_ADAMW,
        "amsgrad": AMSGRAD,
    },
    factory=adamw,
    default_lr=1e-3,
    state_names=("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
    suggest=("span", 0.01),
    blowup_hint=SPAN_HINT,
    heatmap=("adamw", "beta1", 0.0, 0.99),
    reference="Loshchilov & Hutter (2019), Decoupled Weight Decay Regularization; torch.optim.AdamW",
))


# --------------------------------------------------------------------------- Adamax

def adamax(*, beta1=_B1.default, beta2=_B2_INF.default, eps=_EPS8.default,
           weight_decay=WEIGHT_DECAY.default) -> Transform:
    """Adamax: Adam with the root mean square replaced by a decaying maximum of |g|.

    Example (f = x² + y² from (1, 0.25): u₁ = |g₁| + ε, so the first step is ≈ γ per coordinate):

    >>> opt = optimizers.adamax()
    >>> theta = np.array([[1.0, 0.25]]); state = opt.init(theta)
    >>> opt.update(2 * theta, state, theta, lr=0.1)[0].round(6).tolist()
    [[0.9, 0.15]]
    """
    hp, batch = ADAMAX.prepare({"beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weight_decay})
    b1, b2, e, wd = hp["beta1"], hp["beta2"], hp["eps"], hp["weight_decay"]
    w1 = 1.0 - b1

    def update(grads, state, params, lr):
        lr, t = rate(lr), state["step"] + 1
        g = l2(params, grads, wd)
        m = lerp(state["exp_avg"], g, w1)
        u = np.maximum(state["exp_inf"] * b2, np.abs(g) + e)
        clr = widen(lr / (1.0 - b1 ** t))
        return params - clr * m / u, {"step": t, "exp_avg": m, "exp_inf": u}

    return Transform(zeros_init(ADAMAX, batch), update, batch=batch)


ADAMAX = register(Optimizer(
    name="adamax",
    title="Adamax",
    latex=(
        r"\begin{aligned}"
        r"m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t\\"
        r"u_t &= \max\!\big(\beta_2 u_{t-1},\ |g_t| + \epsilon\big)\\"
        r"\theta_t &= \theta_{t-1} - \frac{\gamma}{1-\beta_1^{t}}\,\frac{m_t}{u_t}"
        r"\end{aligned}"
    ),
    description="Adam with the root-mean-square replaced by an exponentially decaying "
    "maximum of |g| (the infinity norm): the step divides the averaged gradient by the "
    "largest recent gradient magnitude, which needs no bias correction.",
    convention="torch.optim.Adamax: ε is added to |g| inside the max (the paper has no "
    "ε); weight decay is L2, added to the gradient.",
    hyperparameters={
        "beta1": _B1,
        "beta2": _B2_INF,
        "eps": _EPS8,
        "weight_decay": WEIGHT_DECAY,
    },
    factory=adamax,
    default_lr=2e-3,
    state_names=("exp_avg", "exp_inf"),
    suggest=("span", 0.01),
    blowup_hint=SPAN_HINT,
    heatmap=("adamax", "beta1", 0.0, 0.99),
    reference="Kingma & Ba (2015), section 7.1; torch.optim.Adamax",
))


# --------------------------------------------------------------------------- NAdam

def nadam(*, beta1=_B1.default, beta2=_B2.default, eps=_EPS8.default, weight_decay=WEIGHT_DECAY.default,
          momentum_decay=_PSI.default, decoupled_weight_decay=DECOUPLED.default) -> Transform:
    """NAdam: Adam with Nesterov momentum and Dozat's warming-up momentum schedule.

    Example (f = x² + y² from (1, 0.25): step 1 is γ(1 + 0.1 μ₂/(1 − μ₁μ₂)) ≈ 1.0565 γ per
    coordinate, μ₁ ≈ 0.45007, μ₂ ≈ 0.45015):

    >>> opt = optimizers.nadam()
    >>> theta = np.array([[1.0, 0.25]]); state = opt.init(theta)
    >>> opt.update(2 * theta, state, theta, lr=0.1)[0].round(6).tolist()
    [[0.894355, 0.144355]]
    """
    hp, batch = NADAM.prepare({"beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weight_decay,
                               "momentum_decay": momentum_decay,
                               "decoupled_weight_decay": decoupled_weight_decay})
    b2, e, wd, decoupled = hp["beta2"], hp["eps"], hp["weight_decay"], hp["decoupled_weight_decay"]
    w1 = 1.0 - hp["beta1"]
    b1, psi = column(hp["beta1"]), column(hp["momentum_decay"])  # μ_t: one number per trajectory

    def init(params):
        check_batch(NADAM.name, params, batch)
        return {"step": 0, "exp_avg": np.zeros_like(params, dtype=np.float64),
                "exp_avg_sq": np.zeros_like(params, dtype=np.float64),
                "mu_product": np.ones((params.shape[0], 1))}

    def update(grads, state, params, lr):
        lr, t = rate(lr), state["step"] + 1
        bc2 = 1.0 - b2 ** t
        params, g = decay_params_or_grad(params, grads, lr, wd, decoupled)
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_product = state["mu_product"] * mu
        m = lerp(state["exp_avg"], g, w1)
        v = second_moment(state["exp_avg_sq"], g, b2)
        denom = np.sqrt(v / widen(bc2)) + e
        mu_product_next = mu_product * mu_next
        new = params + widen(-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
        new = new + widen((-lr * mu_next) / (1.0 - mu_product_next)) * m / denom
        return new, {"step": t, "exp_avg": m, "exp_avg_sq": v, "mu_product": mu_product}

    return Transform(init, update, batch=batch)


NADAM = register(Optimizer(
    name="nadam",
    title="NAdam",
    latex=(
        r"\begin{aligned}"
        r"\mu_t &= \beta_1\big(1 - \tfrac12\, 0.96^{t\psi}\big),\quad "
        r"\mu_{t+1} = \beta_1\big(1 - \tfrac12\, 0.96^{(t+1)\psi}\big)\\"
        r"m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t,\quad "
        r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2,\quad "
        r"\hat v_t = \frac{v_t}{1-\beta_2^{t}}\\"
        r"\theta_t &= \theta_{t-1} - \gamma\,\frac{(1-\mu_t)\,g_t}{(1-\prod_{i\le t}\mu_i)(\sqrt{\hat v_t}+\epsilon)}"
        r" - \gamma\,\frac{\mu_{t+1}\,m_t}{(1-\prod_{i\le t+1}\mu_i)(\sqrt{\hat v_t}+\epsilon)}"
        r"\end{aligned}"
    ),
    description="Adam with Nesterov momentum: the step mixes the current gradient and "
    "the momentum it is about to apply (the look-ahead), each bias-corrected by the "
    "product of the momentum coefficients so far. The momentum coefficient μ_t warms up "
    "from β₁/2 toward β₁ as steps go by.",
    convention="torch.optim.NAdam: Dozat's momentum schedule μ_t = β₁(1 − ½·0.96^{tψ}) "
    "with ψ = momentum_decay (default 4e-3), the running product of μ kept in the state, "
    "ε added after the square root of the bias-corrected v. Weight decay is L2 unless "
    "decoupled_weight_decay (NAdamW).",
    hyperparameters={
        "beta1": _B1,
        "beta2": _B2,
        "eps": _EPS8,
        "weight_decay": WEIGHT_DECAY,
        "momentum_decay": _PSI,
        "decoupled_weight_decay": DECOUPLED,
    },
    factory=nadam,
    default_lr=2e-3,
    state_names=("exp_avg", "exp_avg_sq", "mu_product"),
    suggest=("span", 0.01),
    blowup_hint=SPAN_HINT,
    heatmap=("nadam", "beta1", 0.0, 0.99),
    reference="Dozat (2016), Incorporating Nesterov Momentum into Adam; torch.optim.NAdam",
))


# --------------------------------------------------------------------------- RAdam

def radam(*, beta1=_B1.default, beta2=_B2.default, eps=_EPS8.default, weight_decay=WEIGHT_DECAY.default,
          decoupled_weight_decay=DECOUPLED.default) -> Transform:
    """RAdam: Adam that takes plain momentum steps until its variance estimate is trustworthy.

    Example (f = x² + y² from (1, 0.25): ρ₁ = 1 ≤ 5, so step 1 is θ₀ − γ m̂₁ = θ₀ − γ g₁):

    >>> opt = optimizers.radam()
    >>> theta = np.array([[1.0, 0.25]]); state = opt.init(theta)
    >>> opt.update(2 * theta, state, theta, lr=0.1)[0].round(12).tolist()
    [[0.8, 0.2]]
    """
    hp, batch = RADAM.prepare({"beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weight_decay,
                               "decoupled_weight_decay": decoupled_weight_decay})
    b1, b2, e, wd, decoupled = (hp["beta1"], hp["beta2"], hp["eps"], hp["weight_decay"],
                                hp["decoupled_weight_decay"])
    w1 = 1.0 - b1
    rho_inf = 2.0 / (1.0 - b2) - 1.0

    def update(grads, state, params, lr):
        lr, t = rate(lr), state["step"] + 1
        params, g = decay_params_or_grad(params, grads, lr, wd, decoupled)
        m = lerp(state["exp_avg"], g, w1)
        v = second_moment(state["exp_avg_sq"], g, b2)
        bc2 = 1.0 - b2 ** t
        step = m / widen(1.0 - b1 ** t) * widen(lr)
        rho_t = rho_inf - 2 * t * (b2 ** t) / bc2
        new_state = {"step": t, "exp_avg": m, "exp_avg_sq": v}
        on = rho_t > 5.0
        if not np.any(on):  # the first steps: plain momentum
            return params - step, new_state
        with np.errstate(divide="ignore", invalid="ignore"):
            rect = np.sqrt(np.where(on, (rho_t - 4) * (rho_t - 2) * rho_inf
                                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 1.0))
        rectified = step * (widen(np.sqrt(bc2)) / (np.sqrt(v) + e)) * widen(rect)
        return params - (rectified if np.all(on) else np.where(on, rectified, step)), new_state

    return Transform(zeros_init(RADAM, batch), update, batch=batch)


RADAM = register(Optimizer(
    name="radam",
    title="RAdam (rectified Adam)",
    latex=(
        r"\begin{aligned}"
        r"m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t,\quad "
        r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2,\quad "
        r"\hat m_t = \frac{m_t}{1-\beta_1^{t}}\\"
        r"\rho_\infty &= \frac{2}{1-\beta_2} - 1,\quad "
        r"\rho_t = \rho_\infty - \frac{2t\,\beta_2^{t}}{1-\beta_2^{t}},\quad "
        r"r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}\\"
        r"\theta_t &= \begin{cases}"
        r"\theta_{t-1} - \gamma\,\hat m_t\, r_t\,\dfrac{\sqrt{1-\beta_2^{t}}}{\sqrt{v_t}+\epsilon} & \rho_t > 5\\"
        r"\theta_{t-1} - \gamma\,\hat m_t & \text{otherwise}"
        r"\end{cases}"
        r"\end{aligned}"
    ),
    description="Adam that distrusts its variance estimate while it rests on too few "
    "gradients: for the first steps it takes plain momentum steps (no division by √v), "
    "then switches to the adaptive step scaled by a rectification factor r_t that grows "
    "toward 1 as the estimate firms up — a built-in learning-rate warm-up.",
    convention="torch.optim.RAdam: the adaptive step is used once ρ_t > 5 (the paper's "
    "Algorithm 2 says ρ_t > 4, the authors' code ρ_t ≥ 5); ε is added after the square "
    "root of the raw v, which is bias-corrected inside the factor √(1−β₂ᵗ); weight decay "
    "is L2 unless decoupled_weight_decay.",
    hyperparameters={
        "beta1": _B1,
        "beta2": _B2,
        "eps": _EPS8,
        "weight_decay": WEIGHT_DECAY,
        "decoupled_weight_decay": DECOUPLED,
    },
    factory=radam,
    default_lr=1e-3,
    state_names=("exp_avg", "exp_avg_sq"),
    suggest=("span", 0.02),
    suggest_curvature_cap=True,  # its first steps are plain momentum-SGD steps (ρ_t ≤ 5)
    blowup_hint=SPAN_HINT,
    heatmap=("radam", "beta1", 0.0, 0.99),
    reference="Liu et al. (2020), On the Variance of the Adaptive Learning Rate and Beyond; torch.optim.RAdam",
))
