"""A small tanh MLP classifier in NumPy, in all its parameters, batched over racers.

The network is torch's ``nn.Sequential(Linear(2, h₁), Tanh(), …, Linear(h_k, 2))``
with ``nn.CrossEntropyLoss()`` (mean over the batch). Its parameters are one
flat vector in torch's ``parameters()`` order: for each Linear its weight
(out, in) row by row, then its bias. Every function takes R parameter vectors
at once (``thetas`` (R, P)): the racers of a race are evaluated together.

``plane_loss`` evaluates the loss on a 2-D plane θ(a, b) = θ_c + a·d₁ + b·d₂ at
many points in bounded memory (tanh is most of its cost: a 61 × 61 grid on 100
samples is 12 million tanh).
"""
from __future__ import annotations

import numpy as np

Array = np.ndarray
CLASSES = 2
PLANE_CHUNK = 50_000    # points x samples evaluated at once on a plane (memory ~ this x width x 8 B)


def sizes_of(hidden: tuple[int, ...]) -> tuple[int, ...]:
    """Layer widths from input to output: (2, *hidden, 2)."""
    return (2, *(int(h) for h in hidden), CLASSES)


def n_params(sizes: tuple[int, ...]) -> int:
    return sum(o * i + o for i, o in zip(sizes[:-1], sizes[1:]))


def init_params(sizes: tuple[int, ...], rng: np.random.Generator) -> Array:
    """torch.nn.Linear's default initialization: weight and bias uniform in
    ±1/√fan_in (kaiming_uniform with a = √5 gives exactly this bound), drawn
    layer by layer, weight before bias (the order of ``parameters()``)."""
    parts = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(i)
        parts += [rng.uniform(-bound, bound, o * i), rng.uniform(-bound, bound, o)]
    return np.concatenate(parts)


def layers(thetas: Array, sizes: tuple[int, ...]) -> list[tuple[Array, Array]]:
    """``[(W (R, out, in), c (R, out)), …]``: views into ``thetas`` (R, P)."""
    out, k = [], 0
    R = thetas.shape[0]
    for i, o in zip(sizes[:-1], sizes[1:]):
        W = thetas[:, k:k + o * i].reshape(R, o, i)
        k += o * i
        out.append((W, thetas[:, k:k + o]))
        k += o
    return out


def _forward(thetas: Array, X: Array, sizes) -> tuple[list[Array], Array]:
    """Hidden activations and logits; X is (R | 1, n, 2)."""
    hs = [X]
    ls = layers(thetas, sizes)
    for W, c in ls[:-1]:
        hs.append(np.tanh(hs[-1] @ W.transpose(0, 2, 1) + c[:, None, :]))
    W, c = ls[-1]
    return hs, hs[-1] @ W.transpose(0, 2, 1) + c[:, None, :]


def _cross_entropy(logits: Array, y: Array) -> tuple[Array, Array]:
    """Per-sample cross-entropy (as log_softmax then NLL) and softmax probabilities."""
    m = np.max(logits, axis=-1, keepdims=True)
    shifted = logits - m
    e = np.exp(shifted)
    s = np.sum(e, axis=-1, keepdims=True)
    logp = shifted - np.log(s)
    picked = np.take_along_axis(logp, y[..., None].astype(np.intp), axis=-1)[..., 0]
    return -picked, e / s


def losses(thetas: Array, X: Array, y: Array, sizes) -> Array:
    """Mean cross-entropy of each of the R networks on (X, y): X (n, 2) shared
    or (R, n, 2) one batch per network; y (n,) or (R, n). Returns (R,)."""
    thetas = np.atleast_2d(thetas)
    X = X if X.ndim == 3 else X[None]
    y = np.broadcast_to(y, (thetas.shape[0], X.shape[1]))
    _, logits = _forward(thetas, X, sizes)
    return np.mean(_cross_entropy(logits, y)[0], axis=-1)


def loss_and_grad(thetas: Array, X: Array, y: Array, sizes) -> tuple[Array, Array]:
    """Loss (R,) and its gradient (R, P) in every parameter (backpropagation)."""
    thetas = np.atleast_2d(thetas)
    X = X if X.ndim == 3 else X[None]
    R, n = thetas.shape[0], X.shape[1]
    y = np.broadcast_to(y, (R, n))
    hs, logits = _forward(thetas, X, sizes)
    ce, p = _cross_entropy(logits, y)
    delta = p.copy()
    np.put_along_axis(delta, y[..., None].astype(np.intp),
                      np.take_along_axis(delta, y[..., None].astype(np.intp), axis=-1) - 1.0, axis=-1)
    delta /= n
    ls = layers(thetas, sizes)
    grads = []
    for k in range(len(ls) - 1, -1, -1):
        W, _ = ls[k]
        h = np.broadcast_to(hs[k], (R,) + hs[k].shape[1:])
        grads.append(((delta.transpose(0, 2, 1) @ h).reshape(R, -1), delta.sum(axis=1)))
        if k:
            delta = (delta @ W) * (1.0 - hs[k] ** 2)
    g = np.concatenate([a for gW, gc in reversed(grads) for a in (gW, gc)], axis=1)
    return np.mean(ce, axis=-1), g


def accuracy(thetas: Array, X: Array, y: Array, sizes) -> Array:
    """Share of (X, y) each network classifies right: (R,)."""
    _, logits = _forward(np.atleast_2d(thetas), X[None], sizes)
    return np.mean(np.argmax(logits, axis=-1) == y, axis=-1)


def predict(thetas: Array, pts: Array, sizes) -> Array:
    """p(class 1) of each network at each point: (R, G) for thetas (R, P), pts (G, 2)
    (in the dtype given: float32 thetas and points compute in float32)."""
    pts = np.asarray(pts)
    _, logits = _forward(np.atleast_2d(thetas), pts[None], sizes)
    delta = logits[..., 1] - logits[..., 0]
    return 0.5 * (1.0 + np.tanh(0.5 * delta))


def plane_loss(centre: Array, d1: Array, d2: Array, coords: Array, X: Array, y: Array, sizes) -> Array:
    """The mean cross-entropy at θ_c + a·d₁ + b·d₂ for ``coords`` (..., 2) = (a, b):
    :func:`losses` at those parameters, formed ``PLANE_CHUNK // n`` points at a time
    (bounded memory; measured faster here than splitting each layer's product
    into its parts along d₁ and d₂)."""
    coords = np.asarray(coords, dtype=float)
    shape = coords.shape[:-1]
    ab = coords.reshape(-1, 2)
    out = np.empty(len(ab))
    step = max(1, PLANE_CHUNK // max(len(y), 1))
    for lo in range(0, len(ab), step):
        a, b = ab[lo:lo + step, :1], ab[lo:lo + step, 1:]
        out[lo:lo + len(a)] = losses(centre + a * d1 + b * d2, X, y, sizes)
    return out.reshape(shape)
