"""A 2-D slice through the loss of a small neural network.

The network is a 2 -> 16 -> 16 -> 2 multilayer perceptron with tanh hidden
units and a softmax cross-entropy loss, trained in NumPy (full-batch Adam) on a
generated, seeded two-moons data set when the surface is first built (then
cached by the registry). The surface is the training loss along the plane

    θ(a, b) = θ* + a·d₁ + b·d₂

through the trained weights θ*, with two random directions d₁, d₂ that are
*filter-normalized* as in Li et al. 2018, "Visualizing the Loss Landscape of
Neural Nets": each row of each weight matrix of d (the incoming weights of one
unit, a "filter" of a fully connected layer) is rescaled to the norm of the same
row of θ*, and the bias entries of d are zero (the authors' ``ignore=biasbn``).

Derivatives in (a, b) are exact: the loss is pushed forward along d₁ and d₂
(forward-mode differentiation, first and second order), so the gradient is the
network's gradient projected on d₁ and d₂, and the Hessian is the 2 x 2
projection dᵢᵀ ∇²L dⱼ, without finite differences. Every pass is vectorized over
many (a, b) points at once (batched matrix products over points x samples x units).

What it shows and what it does not: one 2-D cross-section of a 354-dimensional
loss, through the trained weights along two random directions. Valleys and
ridges in the picture are real values of the loss, but a minimum of the slice is
generally not a minimum of the network's loss, and another pair of directions
gives another picture.
"""
from __future__ import annotations

import numpy as np

from .base import StationaryPoint, Param, Surface
from .data import Dataset, DataSurface, _mean, full_batch_derivatives, newton_minimum, register_data, sigmoid

Array = np.ndarray

SIZES = (2, 16, 16, 2)
N_PARAMS = sum(o * i + o for i, o in zip(SIZES[:-1], SIZES[1:]))  # 354
TRAIN_STEPS = 2000
TRAIN_LR = 0.01
COST = 24.0  # one sample through the network, in units of a linear model's evaluation


def make_moons(n: int, noise: float, seed: int) -> Dataset:
    """Two interleaving half circles, as scikit-learn's ``make_moons`` draws them:
    ``n // 2`` points on the upper moon (label 0), the rest on the lower (label 1),
    plus Gaussian noise of std ``noise``; rows in a seeded random order."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    X = np.vstack([np.column_stack([np.cos(t_out), np.sin(t_out)]),
                   np.column_stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)])])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(n)
    return Dataset(X[order], y[order], "classification")


def unflatten(theta: Array) -> list[tuple[Array, Array]]:
    """``[(W, c), ...]`` per layer (W of shape (out, in)) from a flat vector."""
    layers, k = [], 0
    for i, o in zip(SIZES[:-1], SIZES[1:]):
        W = theta[k:k + o * i].reshape(o, i)
        k += o * i
        layers.append((W, theta[k:k + o]))
        k += o
    return layers


def _forward(theta: Array, X: Array):
    layers = unflatten(theta)
    hs = [X]
    for W, c in layers[:-1]:
        hs.append(np.tanh(hs[-1] @ W.T + c))
    W, c = layers[-1]
    return hs, hs[-1] @ W.T + c


def _cross_entropy(logits: Array, y: Array) -> tuple[Array, Array]:
    """Per-sample cross-entropy and softmax probabilities of (..., n, 2) logits."""
    m = np.max(logits, axis=-1, keepdims=True)
    e = np.exp(logits - m)
    s = np.sum(e, axis=-1, keepdims=True)
    lse = m[..., 0] + np.log(s[..., 0])
    picked = np.where(y == 1, logits[..., 1], logits[..., 0])
    return lse - picked, e / s


def network_loss(theta: Array, X: Array, y: Array) -> float:
    """Mean cross-entropy of the network with weights ``theta`` on (X, y)."""
    _, logits = _forward(theta, X)
    return float(np.mean(_cross_entropy(logits, y)[0]))


def network_grad(theta: Array, X: Array, y: Array) -> Array:
    """Gradient of :func:`network_loss` in all weights (backpropagation)."""
    hs, logits = _forward(theta, X)
    _, p = _cross_entropy(logits, y)
    delta = p.copy()
    delta[np.arange(len(y)), y.astype(int)] -= 1.0
    delta /= len(y)
    grads = []
    layers = unflatten(theta)
    for k in range(len(layers) - 1, -1, -1):
        W, _ = layers[k]
        grads.append((delta.T @ hs[k], delta.sum(axis=0)))
        if k:
            delta = (delta @ W) * (1.0 - hs[k] ** 2)
    return np.concatenate([np.concatenate([gW.ravel(), gc]) for gW, gc in reversed(grads)])


def init_weights(rng: np.random.Generator) -> Array:
    """torch.nn.Linear's default: weights and biases uniform in ±1/√fan_in."""
    parts = []
    for i, o in zip(SIZES[:-1], SIZES[1:]):
        bound = 1.0 / np.sqrt(i)
        parts += [rng.uniform(-bound, bound, o * i), rng.uniform(-bound, bound, o)]
    return np.concatenate(parts)


def train(X: Array, y: Array, rng: np.random.Generator, steps: int = TRAIN_STEPS,
          lr: float = TRAIN_LR) -> Array:
    """Full-batch Adam (torch defaults β = (0.9, 0.999), ε = 1e-8) from
    :func:`init_weights`."""
    theta = init_weights(rng)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t in range(1, steps + 1):
        g = network_grad(theta, X, y)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        theta = theta - lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    return theta


def filter_normalized_direction(theta: Array, rng: np.random.Generator) -> Array:
    """A Gaussian random direction, each weight row rescaled to the norm of the
    same row of ``theta``; biases zero (Li et al. 2018, filter normalization)."""
    parts = []
    for W, c in unflatten(theta):
        d = rng.standard_normal(W.shape)
        d *= np.linalg.norm(W, axis=1, keepdims=True) / np.linalg.norm(d, axis=1, keepdims=True)
        parts += [d.ravel(), np.zeros_like(c)]
    return np.concatenate(parts)


def _slice_terms(theta: Array, d1: Array, d2: Array):
    """The mean-over-samples function of the slice (see :mod:`landscapes.data`):
    loss, gradient or Hessian in (a, b) at points P (M, 2) on data X (M | 1, n, 2).

    With two classes the softmax cross-entropy depends on the logits only through
    their difference δ = o₁ - o₀: loss = log(1 + e^{sδ}) with s = 1 - 2y, so the
    last layer is evaluated as the one row W₁ - W₀ (the same function, fewer
    operations)."""
    def two_class(layers):  # and each weight matrix transposed, (in, out), contiguous
        *hidden, (W, c) = layers
        return [(np.ascontiguousarray(W.T), c) for W, c in hidden + [(W[1:] - W[:1], c[1:] - c[:1])]]

    L0, L1, L2 = (two_class(unflatten(v)) for v in (theta, d1, d2))
    last = len(L0) - 1

    def terms(P, X, y, order, logits_only=False):
        a = P[:, 0][:, None, None]
        b = P[:, 1][:, None, None]
        h, ha, hb, haa, hab, hbb = X, None, None, None, None, None
        for k, ((W, c), (Wa, ca), (Wb, cb)) in enumerate(zip(L0, L1, L2)):
            WpT = W + a * Wa + b * Wb                        # (M, in, out): the weights at (a, b)
            z = h @ WpT                                      # (M, n, out)
            z += c + a * ca + b * cb
            if order >= 1:   # derivatives of z along a and b
                za = h @ Wa + ca
                zb = h @ Wb + cb
                if ha is not None:
                    za += ha @ WpT
                    zb += hb @ WpT
            if order >= 2:
                if ha is None:  # the input does not move with (a, b)
                    zaa = zab = zbb = None
                else:
                    zaa = 2.0 * (ha @ Wa) + haa @ WpT
                    zab = ha @ Wb + hb @ Wa + hab @ WpT
                    zbb = 2.0 * (hb @ Wb) + hbb @ WpT
            if k == last:
                break
            h = np.tanh(z, out=z)     # z is not needed again
            if order >= 1:
                s1 = 1.0 - h * h      # tanh'
                ha, hb = s1 * za, s1 * zb
            if order >= 2:
                s2 = -2.0 * h * s1    # tanh''
                haa = s2 * za * za
                hab = s2 * za * zb
                hbb = s2 * zb * zb
                if zaa is not None:
                    haa += s1 * zaa
                    hab += s1 * zab
                    hbb += s1 * zbb
        delta = z[..., 0]             # o1 - o0, (M, n)
        if logits_only:
            return delta
        if order == 0:
            return _mean(np.logaddexp(0.0, (1.0 - 2.0 * y) * delta))
        t = np.tanh(0.5 * delta)
        g = 0.5 * (1.0 + t) - y       # d loss / d delta = sigmoid(delta) - y
        da, db = za[..., 0], zb[..., 0]
        if order == 1:
            out = np.empty((len(P), 2))
            out[:, 0] = _mean(g * da)
            out[:, 1] = _mean(g * db)
            return out
        q = 0.25 * (1.0 - t * t)      # d² loss / d delta²
        out = np.empty((len(P), 2, 2))
        out[:, 0, 0] = _mean(q * da * da + g * zaa[..., 0])
        out[:, 0, 1] = out[:, 1, 0] = _mean(q * da * db + g * zab[..., 0])
        out[:, 1, 1] = _mean(q * db * db + g * zbb[..., 0])
        return out

    return terms


@register_data(
    "nn_slice",
    n=Param(100, 8, 512, "number of data points N (two moons)", integer=True),
    noise=Param(0.2, 0.0, 1.0, "standard deviation of the noise on the moons"),
    seed=Param(0, 0, 2**31 - 1, "seed of the data, the initial weights and the directions",
               integer=True),
)
def nn_slice(n: float = 100, noise: float = 0.2, seed: float = 0) -> Surface:
    rng = np.random.default_rng(int(seed))
    data = make_moons(int(n), noise, int(seed))
    theta = train(data.X, data.y, rng)
    d1 = filter_normalized_direction(theta, rng)
    d2 = filter_normalized_direction(theta, rng)
    terms = _slice_terms(theta, d1, d2)
    f, grad, hessian = full_batch_derivatives(terms, data.X, data.y, COST)
    trained = network_loss(theta, data.X, data.y)

    a, b = newton_minimum(grad, hessian, (0.0, 0.0), max_iter=50)
    H = hessian(np.array([a, b]))
    inside = abs(a) <= 1 and abs(b) <= 1
    minima = ((StationaryPoint(float(a), float(b), float(f(np.array([a, b])))),)
              if inside and np.all(np.linalg.eigvalsh(H) > 0) else ())

    def predict(params, pts):
        params = np.asarray(params, dtype=float).reshape(-1, 2)
        delta = terms(params, np.asarray(pts, dtype=float)[None], None, 0, logits_only=True)
        return sigmoid(delta)

    return DataSurface(
        name="nn_slice",
        title="Neural network: a 2-D slice of its loss",
        latex=(r"L(a, b) = \frac{1}{N}\sum_{i=1}^{N} "
               r"\mathrm{CE}\big(\mathrm{MLP}_{\theta^* + a d_1 + b d_2}(x_i),\, y_i\big)"),
        f=f, grad=grad, hessian=hessian,
        domain=((-1.0, 1.0), (-1.0, 1.0)),
        minima=minima,
        default_start=(-0.7, 0.6),
        axes=("a", "b"),
        log_levels=True,
        params={"n": n, "noise": noise, "seed": seed},
        lesson="The loss of a real (small) neural network, 354 weights, seen along two "
        "random directions through its trained weights θ* at (0, 0): a network's loss "
        "is a complicated function even in a 2-D cross-section. Optimizers here move "
        "only within the slice.",
        note=f"A 2 → 16 → 16 → 2 tanh MLP trained by full-batch Adam ({TRAIN_STEPS} steps, "
        f"lr {TRAIN_LR:g}) on N = {int(n)} two-moons points (noise {noise:g}, seed {int(seed)}); "
        f"trained loss {trained:.4g} at (0, 0). The slice θ* + a·d₁ + b·d₂ uses filter-"
        "normalized random directions (Li et al. 2018; biases not moved). It is one 2-D "
        "cross-section of a 354-dimensional loss: its minimum is not the network's, and "
        "other directions give another picture. Gradient and Hessian are exact projections "
        "of the network's (forward-mode differentiation).",
        data=data, terms=terms, model="mlp slice", predict=predict, cost=COST,
        info={"theta": theta, "d1": d1, "d2": d2, "trained_loss": trained},
    )
