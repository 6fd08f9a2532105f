"""Damped Newton's method with a saddle-free fallback (closed-form 2×2 eigen-decomposition)."""
from __future__ import annotations

import numpy as np

from ._common import column, widen
from .base import Hyper, Optimizer, Transform, check_batch, rate
from .registry import register

_DAMPING = Hyper(0.0, 0.0, doc="δ added to the Hessian's diagonal (Levenberg damping)")
_KAPPA = Hyper(1e-4, 0.0, low_open=True,
               doc="κ > 0: floor on the absolute eigenvalues (caps the step at |g|/κ)")
_SIGNED = Hyper(False, kind="bool",
                doc="plain (textbook) Newton: divide by the signed curvature λ, so where λ < 0 the step "
                "climbs toward a maximum or a saddle; false (the default) divides by |λ| (saddle-free)")


def newton(*, damping=_DAMPING.default, min_curvature=_KAPPA.default, signed=_SIGNED.default) -> Transform:
    """Newton's method, damped and saddle-free: the gradient divided by |curvature| along
    each eigenvector of the Hessian, which ``update`` takes as its fifth argument.

    Example (f = x² + y², Hessian 2I: with γ = 1 one step lands on the minimum):

    >>> opt = optimizers.newton()
    >>> theta = np.array([[1.0, 0.25]]); state = opt.init(theta)
    >>> opt.update(2 * theta, state, theta, 1.0, 2 * np.eye(2)[None])[0].tolist()
    [[0.0, 0.0]]
    """
    hp, batch = NEWTON.prepare({"damping": damping, "min_curvature": min_curvature, "signed": signed})
    delta, kappa = column(hp["damping"]), column(hp["min_curvature"])  # one number per trajectory
    sign = hp["signed"]

    def init(params):
        check_batch(NEWTON.name, params, batch)
        return {"step": 0}

    def update(grads, state, params, lr, hessian):
        step = _saddle_free_step(grads, hessian, delta, kappa, signed=sign)
        return params - widen(rate(lr)) * step, {"step": state["step"] + 1}

    return Transform(init, update, needs_hessian=True, batch=batch)


def _saddle_free_step(grad, hessian, delta, kappa, signed=False):
    """V diag(1/max(|λᵢ|, κ)) Vᵀ g, with H + δI = V diag(λᵢ) Vᵀ; with ``signed``,
    V diag(1/λ̃ᵢ) Vᵀ g where λ̃ = sign(λ)·max(|λ|, κ) (sign(0) = +1): (H + δI)⁻¹g where
    every |λᵢ| ≥ κ.

    For a symmetric 2×2 matrix [[a, b], [b, c]] with h = (a−c)/2 and
    r = √(h² + b²), the eigenvalues are (a+c)/2 ± r and the eigenvector of the
    larger one is (cos φ, sin φ) with cos²φ = (1 + h/r)/2, sin²φ = (1 − h/r)/2 and
    2 sin φ cos φ = b/r. The larger of |cos φ|, |sin φ| comes from its square root
    (no cancellation) and the other from b/(2r·larger); r = 0 means H = λI.
    No trigonometric functions: they are the slow part of a NumPy step.
    """
    a = hessian[:, 0, 0:1]
    c = hessian[:, 1, 1:2]
    b = 0.5 * (hessian[:, 0, 1:2] + hessian[:, 1, 0:1])  # symmetrize (finite differences)
    half = 0.5 * (a - c)
    mean = 0.5 * (a + c) + delta
    r = np.sqrt(half * half + b * b)
    isotropic = r == 0
    rr = np.where(isotropic, 1.0, r)
    q = np.abs(half) / rr
    q[isotropic] = 1.0
    big = np.sqrt(0.5 + 0.5 * q)  # ≥ 1/√2
    small = b / (2.0 * big * rr)
    right = half >= 0  # |cos φ| ≥ |sin φ|
    cs = np.where(right, big, np.abs(small))
    sn = np.where(right, small, np.copysign(big, b))
    gx, gy = grad[:, 0:1], grad[:, 1:2]
    l1, l2 = mean + r, mean - r
    d1, d2 = np.maximum(np.abs(l1), kappa), np.maximum(np.abs(l2), kappa)
    if signed:
        d1, d2 = np.where(l1 < 0, -d1, d1), np.where(l2 < 0, -d2, d2)
    p1 = (cs * gx + sn * gy) / d1
    p2 = (cs * gy - sn * gx) / d2
    return np.concatenate([cs * p1 - sn * p2, sn * p1 + cs * p2], axis=1)


NEWTON = register(Optimizer(
    name="newton",
    title="Newton's method (damped, saddle-free)",
    latex=(
        r"\begin{aligned}"
        r"H_t + \delta I &= \lambda_1 v_1 v_1^{\top} + \lambda_2 v_2 v_2^{\top},\qquad "
        r"H_t = \nabla^2 f(\theta_{t-1})\\"
        r"\theta_t &= \theta_{t-1} - \gamma \sum_{i=1}^{2}"
        r"\frac{v_i^{\top} g_t}{\max(|\lambda_i|,\ \kappa)}\, v_i"
        r"\qquad\big(= \theta_{t-1} - \gamma\,(H_t + \delta I)^{-1} g_t"
        r"\ \text{ when } \lambda_1, \lambda_2 \ge \kappa\big)\\"
        r"\text{signed: }\ \theta_t &= \theta_{t-1} - \gamma \sum_{i=1}^{2}"
        r"\frac{v_i^{\top} g_t}{\text{sign}(\lambda_i)\max(|\lambda_i|,\ \kappa)}\, v_i"
        r"\qquad\big(= \theta_{t-1} - \gamma\,(H_t + \delta I)^{-1} g_t \text{ when } |\lambda_i| \ge \kappa\big)"
        r"\end{aligned}"
    ),
    description="Jump to the minimum of the local quadratic model: divide the gradient by "
    "the curvature along each principal direction of the Hessian. On a quadratic bowl "
    "with γ = 1 it lands on the minimum in one step. Where the model has a maximum or a "
    "saddle, plain Newton would jump toward it; here negative curvature is replaced by "
    "its absolute value, so the method keeps descending and moves away from saddles. "
    "With signed = true it is the textbook's plain Newton: it divides by the signed "
    "curvature, so it steps toward a saddle point or a maximum wherever the curvature is "
    "negative (on x² − y² it lands on the saddle in one step).",
    convention="Damped Newton θ ← θ − γ(H + δI)⁻¹g wherever H + δI is positive definite "
    "with both eigenvalues ≥ κ (min_curvature). Elsewhere the fallback is saddle-free "
    "Newton (Dauphin et al. 2014): H + δI is eigen-decomposed (closed form for 2×2) and "
    "each eigenvalue λ is replaced by max(|λ|, κ), so directions of negative curvature "
    "are descended, not ascended, and near-flat directions take steps of at most |g|/κ. "
    "Damping δ is added before the absolute value. The Hessian is symmetrized first. "
    "signed = true (the textbook's Newton–Raphson step) keeps each eigenvalue's sign and only "
    "floors its size at κ: θ ← θ − γ(H + δI)⁻¹g whenever both |λ| ≥ κ.",
    hyperparameters={"damping": _DAMPING, "min_curvature": _KAPPA, "signed": _SIGNED},
    factory=newton,
    default_lr=1.0,
    needs_hessian=True,
    state_names=(),
    suggest=("fixed", 1.0),
    blowup_hint=("the Newton step overshot where the quadratic model of the surface is poor: "
                 "try more damping or a smaller lr"),
    reference="Newton–Raphson; Levenberg (1944) for damping; Dauphin et al. (2014), "
    "Identifying and attacking the saddle point problem in high-dimensional non-convex "
    "optimization (saddle-free Newton)",
))
