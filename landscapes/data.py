"""Data losses: surfaces whose value is the mean of per-sample losses.

A data surface is a :class:`~landscapes.base.Surface` (the same ``(..., 2)``
shape rule for ``f``, ``grad`` and ``hessian``: they are the *full-batch* loss
and its derivatives) that also carries its generated, seeded data set and the
loss of any sub-sample of it::

    s.data.X, s.data.y                 # the data set, N rows
    s.sample_loss(params, idx)         # (B,)   mean loss over the samples idx[j] at params[j]
    s.sample_grad(params, idx)         # (B, 2) its gradient

with ``params`` of shape ``(B, 2)`` and ``idx`` of shape ``(B, b)``: B
trajectories, b samples each, in array operations (no Python loop over either).

One function computes a mean over samples for both: the full-batch ``grad`` is
``sample_grad`` over all samples in their stored order, so a mini-batch that
holds every sample, in that order, gives the full-batch gradient bit for bit.

Surfaces here:

``linear_regression``
    slope ``w`` and intercept ``b`` of a line fitted by mean squared error to N
    noisy points; minimum by least squares in closed form.
``logistic_regression``
    two weights of a logistic-regression classifier (no intercept) on two
    Gaussian blobs, cross-entropy plus a small L2 term (without it a separable
    sample has no minimum); minimum by Newton's method to machine precision.

and, in :mod:`landscapes.nn`, a 2-D slice through a small neural network's loss.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .base import StationaryPoint, Param, Surface
from .registry import register

Array = np.ndarray

CHUNK = 1 << 20          # sample evaluations per array operation (memory bound, not a limit)
GRID_BUDGET = 40_000_000  # sample evaluations for one cached plotting grid
MAX_SAMPLES = 2048

DATA_SURFACES: list[str] = []  # names of the registered data surfaces, in order


def register_data(name: str, **params: Param):
    """:func:`~landscapes.registry.register` for a data surface (listed in ``DATA_SURFACES``)."""
    DATA_SURFACES.append(name)
    return register(name, **params)


@dataclass(frozen=True)
class Dataset:
    """A generated data set: inputs ``X`` (N, d) and targets/labels ``y`` (N,).

    ``kind`` is "regression" (d = 1, real targets) or "classification" (d = 2,
    labels 0 and 1)."""

    X: Array
    y: Array
    kind: str

    def __len__(self) -> int:
        return len(self.y)


# A mean over samples: ``terms(P (M, 2), X (M | 1, n, d), y (M | 1, n), order)``
# returns the mean loss (M,) for order 0, its gradient (M, 2) for order 1 and
# Hessian (M, 2, 2) for order 2.
Terms = Callable[[Array, Array, Array, int], Array]


@dataclass(frozen=True, eq=False)
class DataSurface(Surface):
    """A surface that is the mean of per-sample losses over ``data``.

    ``model`` names what the two coordinates parametrize ("line", "linear
    classifier", "mlp slice"); ``predict(params (K, 2), inputs (G, d))`` is the
    model's output there ((K, G): the fitted value, or the probability of class
    1), for drawing the data panel. ``grid`` is cached and evaluates at most as
    many points as keep one picture within ``GRID_BUDGET`` sample evaluations
    (``cost`` per sample, in units of a linear model's). ``info`` holds what
    else a surface wants to show (the network slice: its weights and directions)."""

    data: Dataset | None = None
    terms: Terms | None = None
    model: str = ""
    predict: Callable[[Array, Array], Array] | None = None
    cost: float = 1.0
    info: Mapping[str, object] = field(default_factory=dict)
    _grids: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_samples(self) -> int:
        return len(self.data)

    def sample_loss(self, params: Array, idx: Array) -> Array:
        """Mean loss over samples ``idx[j]`` (shape (B, b)) at ``params[j]`` (B, 2)."""
        return self.terms(np.asarray(params, dtype=float), self.data.X[idx], self.data.y[idx], 0)

    def sample_grad(self, params: Array, idx: Array) -> Array:
        """Gradient (B, 2) of :meth:`sample_loss`."""
        return self.terms(np.asarray(params, dtype=float), self.data.X[idx], self.data.y[idx], 1)

    def max_grid_resolution(self) -> int:
        return max(48, int(math.sqrt(GRID_BUDGET / (self.n_samples * self.cost))))

    def grid(self, resolution: int = 120) -> tuple[Array, Array, Array]:
        """As :meth:`Surface.grid`, at most :meth:`max_grid_resolution` points per
        axis (a full-batch loss costs N evaluations per point), computed once."""
        res = min(int(resolution), self.max_grid_resolution())
        if res not in self._grids:
            self._grids[res] = Surface.grid(self, res)
        xs, ys, z = self._grids[res]
        return xs.copy(), ys.copy(), z.copy()


def sigmoid(z):
    """1 / (1 + e^(−z)) as (1 + tanh(z/2)) / 2: no overflow for large |z|."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def full_batch_derivatives(terms: Terms, X: Array, y: Array, cost: float = 1.0):
    """``f``, ``grad`` and ``hessian`` of the full-batch loss (see ``full_batch``)."""
    return tuple(full_batch(terms, X, y, order, cost) for order in range(3))


def full_batch(terms: Terms, X: Array, y: Array, order: int, cost: float = 1.0):
    """``f``/``grad``/``hessian`` under the ``(..., 2)`` shape rule from a
    mean-over-samples function: all samples, in chunks of points that keep each
    array operation within ``CHUNK`` sample evaluations."""
    X1, y1 = X[None], y[None]
    tail = {0: (), 1: (2,), 2: (2, 2)}[order]
    step = max(1, int(CHUNK / (len(y) * cost)))

    def fn(p):
        p = np.asarray(p, dtype=float)
        P = p.reshape(-1, 2)
        if len(P) <= step:
            out = terms(P, X1, y1, order)
        else:
            out = np.concatenate([terms(P[i:i + step], X1, y1, order)
                                  for i in range(0, len(P), step)])
        return out.reshape(p.shape[:-1] + tail)

    return fn


def _mean(a: Array) -> Array:
    """Mean over the last axis (samples): what ``np.mean(a, axis=-1)`` computes,
    without its Python-level overhead (a third of a small run's time)."""
    return np.add.reduce(a, axis=-1) / a.shape[-1]


def _pair(gx: Array, gy: Array) -> Array:
    out = np.empty(gx.shape + (2,))
    out[..., 0] = gx
    out[..., 1] = gy
    return out


def _sym(hxx: Array, hxy: Array, hyy: Array) -> Array:
    out = np.empty(np.shape(hxx) + (2, 2))
    out[..., 0, 0] = hxx
    out[..., 0, 1] = hxy
    out[..., 1, 0] = hxy
    out[..., 1, 1] = hyy
    return out


# --------------------------------------------------------------------------
# Linear regression
# --------------------------------------------------------------------------

TRUE_SLOPE, TRUE_INTERCEPT = 1.5, -1.0


def _linear_terms(P: Array, X: Array, y: Array, order: int) -> Array:
    """Mean squared error of the line y = w x + b: per sample (w x_i + b - y_i)²."""
    x = X[..., 0]
    w, b = P[:, 0:1], P[:, 1:2]
    r = w * x + b - y
    if order == 0:
        return _mean(r * r)
    if order == 1:
        return _pair(_mean(2 * r * x), _mean(2 * r))
    xx = np.broadcast_to(_mean(x * x), (len(P),))
    xm = np.broadcast_to(_mean(x), (len(P),))
    return _sym(2 * xx, 2 * xm, np.full(len(P), 2.0))


def make_regression(n: int, noise: float, seed: int) -> Dataset:
    """x uniform on [0, 2]; y = 1.5 x - 1 plus Gaussian noise of std ``noise``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2.0, n)
    y = TRUE_SLOPE * x + TRUE_INTERCEPT + noise * rng.standard_normal(n)
    return Dataset(x[:, None], y, "regression")


def least_squares(data: Dataset, grad, hessian) -> Array:
    """The exact minimizer: the normal equations solved in closed form, then one
    Newton step on the gradient as computed here (iterative refinement), so the
    gradient there is zero to rounding."""
    x, y = data.X[:, 0], data.y
    A = np.column_stack([x, np.ones_like(x)])
    p, *_ = np.linalg.lstsq(A, y, rcond=None)
    return p - np.linalg.solve(hessian(p), grad(p))


@register_data(
    "linear_regression",
    n=Param(256, 2, MAX_SAMPLES, "number of data points N", integer=True),
    noise=Param(0.5, 0.0, 10.0, "standard deviation of the noise added to y"),
    seed=Param(0, 0, 2**31 - 1, "seed of the generated data set", integer=True),
)
def linear_regression(n: float = 256, noise: float = 0.5, seed: float = 0) -> Surface:
    data = make_regression(int(n), noise, int(seed))
    f, grad, hessian = full_batch_derivatives(_linear_terms, data.X, data.y)
    w, b = least_squares(data, grad, hessian)
    domain = ((min(-2.0, w - 1.0), max(5.0, w + 1.0)), (min(-4.5, b - 1.0), max(2.5, b + 1.0)))

    def predict(params, xs):
        params = np.asarray(params, dtype=float).reshape(-1, 2)
        return params[:, 0:1] * np.asarray(xs)[None, :, 0] + params[:, 1:2]

    return DataSurface(
        name="linear_regression",
        title="Linear regression (MSE)",
        latex=r"L(w, b) = \frac{1}{N}\sum_{i=1}^{N} (w\,x_i + b - y_i)^2",
        f=f, grad=grad, hessian=hessian,
        domain=domain,
        minima=(StationaryPoint(float(w), float(b), float(f(np.array([w, b])))),),
        default_start=(-1.5, 2.0),
        axes=("w", "b"),
        params={"n": n, "noise": noise, "seed": seed},
        lesson="Fitting a line y = w x + b to N noisy points by mean squared error: a "
        "quadratic bowl, elongated because slope and intercept trade off. Full-batch "
        "gradient descent walks smoothly down; a mini-batch gradient uses b random "
        "points per step and jitters; single examples (b = 1) jitter most.",
        note=f"N = {int(n)} points, x uniform on [0, 2], y = 1.5x − 1 + noise "
        f"(std {noise:g}, seed {int(seed)}). The map shows the full-batch loss; "
        "the minimum is the least-squares fit, in closed form.",
        data=data, terms=_linear_terms, model="line", predict=predict,
    )


# --------------------------------------------------------------------------
# Logistic regression
# --------------------------------------------------------------------------

L2 = 0.01
BLOB_CENTRE = (1.0, 0.5)


def _logistic_terms(P: Array, X: Array, y: Array, order: int) -> Array:
    """Cross-entropy of p = σ(w₁x₁ + w₂x₂) against labels 0/1, plus (λ/2)|w|²."""
    x1, x2 = X[..., 0], X[..., 1]
    w1, w2 = P[:, 0:1], P[:, 1:2]
    z = w1 * x1 + w2 * x2
    if order == 0:
        # log(1 + e^z) - y z: the cross-entropy of sigmoid(z), without overflow
        return _mean(np.logaddexp(0.0, z) - y * z) + 0.5 * L2 * (P[:, 0] ** 2 + P[:, 1] ** 2)
    t = np.tanh(0.5 * z)  # sigmoid(z) = (1 + tanh(z/2)) / 2, no overflow
    if order == 1:
        e = 0.5 * (1.0 + t) - y
        return _pair(_mean(e * x1) + L2 * P[:, 0], _mean(e * x2) + L2 * P[:, 1])
    q = 0.25 * (1.0 - t * t)  # sigmoid'(z)
    return _sym(_mean(q * x1 * x1) + L2, _mean(q * x1 * x2),
                _mean(q * x2 * x2) + L2)


def make_blobs(n: int, noise: float, seed: int) -> Dataset:
    """Two Gaussian blobs of std ``noise`` around ±(1, 0.5); labels alternate
    1, 0, 1, 0, … (class 1 around +(1, 0.5))."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2 == 0).astype(float)
    centre = np.where(y[:, None] == 1, 1.0, -1.0) * np.array(BLOB_CENTRE)
    X = centre + noise * rng.standard_normal((n, 2))
    return Dataset(X, y, "classification")


def newton_minimum(grad, hessian, start, max_iter: int = 100) -> Array:
    """Newton's method until the step no longer shrinks the gradient (machine
    precision); for a strictly convex loss from any start."""
    p = np.asarray(start, dtype=float)
    best, best_norm = p, np.linalg.norm(grad(p))
    for _ in range(max_iter):
        p = p - np.linalg.solve(hessian(p), grad(p))
        norm = np.linalg.norm(grad(p))
        if not norm < best_norm:
            break
        best, best_norm = p, norm
    return best


@register_data(
    "logistic_regression",
    n=Param(256, 2, MAX_SAMPLES, "number of data points N (half in each class)", integer=True),
    noise=Param(1.0, 0.05, 5.0, "standard deviation of each Gaussian blob"),
    seed=Param(0, 0, 2**31 - 1, "seed of the generated data set", integer=True),
)
def logistic_regression(n: float = 256, noise: float = 1.0, seed: float = 0) -> Surface:
    data = make_blobs(int(n), noise, int(seed))
    f, grad, hessian = full_batch_derivatives(_logistic_terms, data.X, data.y)
    w1, w2 = newton_minimum(grad, hessian, (0.0, 0.0))
    domain = ((min(-4.0, w1 - 1.0), max(6.0, w1 + 1.0)), (min(-5.0, w2 - 1.0), max(5.0, w2 + 1.0)))

    def predict(params, pts):
        params = np.asarray(params, dtype=float).reshape(-1, 2)
        z = params @ np.asarray(pts, dtype=float).T
        return sigmoid(z)

    return DataSurface(
        name="logistic_regression",
        title="Logistic regression (cross-entropy)",
        latex=(r"L(w_1, w_2) = \frac{1}{N}\sum_{i=1}^{N}\Big[\log\big(1 + e^{z_i}\big) - y_i z_i\Big]"
               rf" + \frac{{{L2:g}}}{{2}}\lVert w\rVert^2,\quad z_i = w_1 x_{{i1}} + w_2 x_{{i2}}"),
        f=f, grad=grad, hessian=hessian,
        domain=domain,
        minima=(StationaryPoint(float(w1), float(w2), float(f(np.array([w1, w2])))),),
        default_start=(-3.0, 4.0),
        axes=("w₁", "w₂"),
        params={"n": n, "noise": noise, "seed": seed},
        lesson="A linear classifier through the origin, w₁x₁ + w₂x₂ = 0, separating two "
        "blobs by cross-entropy: a convex bowl that flattens far from the minimum "
        "(confident predictions stop contributing gradient).",
        note=f"N = {int(n)} points in two Gaussian blobs (std {noise:g}, seed {int(seed)}) "
        f"around ±(1, 0.5). A small L2 term ({L2:g}/2)·|w|² is part of the loss so that a "
        "minimum exists even when the sample is linearly separable (cross-entropy alone "
        "would then keep falling as |w| grows). The minimum is found by Newton's method "
        "to machine precision.",
        data=data, terms=_logistic_terms, model="linear classifier", predict=predict,
    )
