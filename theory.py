"""What theory predicts on a quadratic surface, and how to measure it.

On a quadratic f(θ) = f* + ½ (θ − θ*)ᵀ H (θ − θ*) with constant Hessian H,
gradient descent and heavy-ball momentum are linear iterations, so their
convergence is governed by the eigenvalues λmin ≤ λmax of H alone:

* gradient descent (``gd``, torch SGD with momentum 0) is stable iff
  0 < lr < 2/λmax; its best constant rate is lr = 2/(λmin + λmax), where the
  error contracts by (κ − 1)/(κ + 1) per step, κ = λmax/λmin;
* heavy-ball momentum (Polyak 1964) in Goh's notation (Distill, "Why Momentum
  Really Works", 2017): z ← β z + ∇f(w), w ← w − α z. Its best settings are
  α* = (2/(√λmin + √λmax))², β* = ((√κ − 1)/(√κ + 1))², with rate
  (√κ − 1)/(√κ + 1) per step.

**Convention.** torch.optim.SGD (``optimizers/sgd.py``) keeps a buffer
b ← μ b + g (b₁ = g₁) and steps θ ← θ − lr·b: the learning rate multiplies the
whole buffer. That is Goh's recurrence exactly (his z₀ = 0 gives z₁ = g₁), so
with dampening 0 the map is lr = α, momentum = β (``torch_settings``); the
tests check it against a hand-written Goh iteration.

**Rates.** Every rate here is per step of the *distance* ‖θₖ − θ*‖ (the error
shrinks like ρᵏ). The loss gap f − f* is quadratic in the error, so it shrinks
like ρ²ᵏ: ``measured_rate(..., of="loss")`` takes the square root.

Pure NumPy: no Streamlit, no Plotly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import optimizers
from landscapes import Surface


def linear_optimizers() -> list[str]:
    """Optimizers whose update is linear on a quadratic, so the theory applies
    (``Optimizer.linear_theory`` on the registry)."""
    return [n for n in optimizers.names() if optimizers.get(n).linear_theory]


MEASURE_FROM, MEASURE_TO = 60, 120


@dataclass(frozen=True)
class QuadraticTheory:
    """Eigenvalues, bounds and optimal settings of a positive-definite quadratic."""

    surface: str
    lam_min: float
    lam_max: float
    minimum: tuple[float, float]
    f_min: float

    @property
    def kappa(self) -> float:
        return self.lam_max / self.lam_min

    # gradient descent
    @property
    def gd_lr_bound(self) -> float:
        """Gradient descent diverges for lr ≥ 2/λmax."""
        return 2.0 / self.lam_max

    @property
    def gd_best_lr(self) -> float:
        return 2.0 / (self.lam_min + self.lam_max)

    @property
    def gd_best_rate(self) -> float:
        k = self.kappa
        return (k - 1.0) / (k + 1.0)

    # heavy-ball momentum (Goh 2017)
    @property
    def momentum_best_alpha(self) -> float:
        return (2.0 / (math.sqrt(self.lam_min) + math.sqrt(self.lam_max))) ** 2

    @property
    def momentum_best_beta(self) -> float:
        s = math.sqrt(self.kappa)
        return ((s - 1.0) / (s + 1.0)) ** 2

    @property
    def momentum_best_rate(self) -> float:
        s = math.sqrt(self.kappa)
        return (s - 1.0) / (s + 1.0)

    def optimal_settings(self, optimizer: str) -> dict | None:
        """Best constant settings as torch hyperparameters (None where this
        theory has no closed form). ``momentum`` uses Goh's (α*, β*)."""
        if optimizer == "gd":
            return {"lr": self.gd_best_lr}
        if optimizer == "momentum":
            lr, mu = torch_settings(self.momentum_best_alpha, self.momentum_best_beta)
            return {"lr": lr, "momentum": mu, "dampening": 0.0}
        return None

    def as_dict(self) -> dict:
        return {
            "surface": self.surface, "lambda_min": self.lam_min, "lambda_max": self.lam_max,
            "kappa": self.kappa, "minimum": list(self.minimum), "f_min": self.f_min,
            "gd": {"stability_bound_lr": self.gd_lr_bound, "best_lr": self.gd_best_lr,
                   "predicted_rate": self.gd_best_rate},
            "momentum": {"alpha": self.momentum_best_alpha, "beta": self.momentum_best_beta,
                         "lr": self.momentum_best_alpha, "momentum": self.momentum_best_beta,
                         "predicted_rate": self.momentum_best_rate,
                         "stability_bound_lr": stability_bound("momentum", self.lam_max,
                                                               self.momentum_best_beta)},
            "rate_convention": "per step of the distance to the minimum; f - f* shrinks by its square",
        }


def torch_settings(alpha: float, beta: float) -> tuple[float, float]:
    """Goh's heavy-ball (α, β) as torch SGD's (lr, momentum) with dampening 0.

    torch: b ← μ b + g, θ ← θ − lr·b; Goh: z ← β z + ∇f, w ← w − α z. Same
    recurrence, so lr = α and momentum = β."""
    return float(alpha), float(beta)


def quadratic_theory(surface: Surface, rtol: float = 1e-9) -> QuadraticTheory | None:
    """The theory for ``surface`` if its Hessian is the same everywhere and
    positive definite (bowl, ravine, quadratic, booth); None otherwise."""
    if not surface.minima:
        return None
    (x0, x1), (y0, y1) = surface.domain
    pts = np.array([[x0, y0], [x1, y1], [x0, y1], [(x0 + x1) / 2, (y0 + y1) / 2],
                    [0.3 * x0 + 0.7 * x1, 0.8 * y0 + 0.2 * y1]])
    with np.errstate(all="ignore"):
        H = np.asarray(surface.hessian(pts), dtype=float)
    if not np.all(np.isfinite(H)):
        return None
    scale = float(np.max(np.abs(H[0]))) or 1.0
    if np.max(np.abs(H - H[0])) > rtol * scale:
        return None
    lam = np.linalg.eigvalsh(H[0])
    if lam[0] <= 1e-12 * scale:
        return None
    m = surface.minima[0]
    return QuadraticTheory(surface.name, float(lam[0]), float(lam[1]), (m.x, m.y), float(m.value))


def stability_bound(optimizer: str, lam_max: float, momentum: float = 0.0) -> float | None:
    """Largest stable constant learning rate on a quadratic with top curvature
    ``lam_max`` (dampening 0): gd 2/λ; heavy ball 2(1 + μ)/λ; torch's Nesterov
    2(1 + μ)/((1 + 2μ)λ) (Jury's criterion on the 2 × 2 iteration matrix)."""
    if optimizer == "gd":
        return 2.0 / lam_max
    if optimizer == "momentum":
        return 2.0 * (1.0 + momentum) / lam_max
    if optimizer == "nesterov":
        return 2.0 * (1.0 + momentum) / ((1.0 + 2.0 * momentum) * lam_max)
    return None


def iteration_matrix(optimizer: str, h: float, momentum: float = 0.0,
                     dampening: float = 0.0) -> np.ndarray:
    """The 2 × 2 map of one eigen-direction's (error, scaled buffer) for
    h = lr·λ, in torch's SGD conventions (steady state, t > 1)."""
    mu, d = momentum, 1.0 - dampening
    if optimizer == "gd" or mu == 0:
        return np.array([[1.0 - h, 0.0], [0.0, 0.0]])
    if optimizer == "momentum":  # u ← μu + d·hθ; θ ← θ − (μu + d·hθ)
        return np.array([[1.0 - d * h, -mu], [d * h, mu]])
    if optimizer == "nesterov":  # u ← μu + hθ; θ ← θ − hθ − μ(μu + hθ)
        return np.array([[1.0 - h * (1.0 + mu), -mu * mu], [h, mu]])
    raise ValueError(f"no linear theory for optimizer {optimizer!r} (valid: {', '.join(linear_optimizers())})")


def predicted_rate(th: QuadraticTheory, optimizer: str, lr: float, momentum: float = 0.0,
                   dampening: float = 0.0) -> float:
    """Asymptotic per-step contraction of the distance for constant settings:
    the largest spectral radius over the two eigen-directions (≥ 1: diverges)."""
    return max(float(np.max(np.abs(np.linalg.eigvals(iteration_matrix(optimizer, lr * lam, momentum,
                                                                      dampening)))))
               for lam in (th.lam_min, th.lam_max))


def measured_rate(values, start: int = MEASURE_FROM, end: int = MEASURE_TO, *, of: str = "distance") -> float:
    """Per-step rate of the distance to the minimum, fitted between two steps.

    ``values[k]`` is the value at step k: the distance ‖θₖ − θ*‖
    (``of="distance"``) or the loss gap f(θₖ) − f* (``of="loss"``, which shrinks
    like the square of the distance, so the square root of its rate is
    returned). A least-squares line through log(values[start..end]) is fitted;
    the rate is exp(slope) (exp(slope/2) for the loss).
    """
    if of not in ("distance", "loss"):
        raise ValueError(f"of must be 'distance' or 'loss', got {of!r}")
    v = np.asarray(values, dtype=float)
    if not 0 <= start < end < len(v):
        raise ValueError(f"need 0 <= start < end < {len(v)} steps, got {start} and {end}")
    seg = v[start:end + 1]
    if not np.all(np.isfinite(seg)) or np.any(seg <= 0):
        raise ValueError("the curve must be finite and positive between the two steps")
    k = np.arange(start, end + 1, dtype=float)
    slope = np.polyfit(k, np.log(seg), 1)[0]
    return float(np.exp(slope / 2.0 if of == "loss" else slope))
