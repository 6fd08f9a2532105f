"""The plane of a training race (Li et al. 2018, §7) and the loss over it.

Li et al. take one run's parameters θ₀ … θₙ, the matrix of θᵢ − θₙ, and its two
principal directions (PCA, centred as scikit-learn's ``PCA`` centres); the plane
through θₙ spanned by them holds as much of the path as any plane can, and each
axis's *explained variance* says how much.

A race has several runs. **One shared plane** is drawn here, so every racer
moves over the same picture and the loss over it is computed once: it passes
through the end θₙ of the *reference racer* (the first racer that did not
diverge; with one racer this is exactly Li et al.'s plane), and its directions
are the two principal directions of every racer's θᵢ − θₙ (all racers, all
steps, in one matrix). Each axis is labelled with its share of that matrix's
variance; each racer also gets its own share (how much of its own path's
variance lies in the plane) and the distance of its end from the plane, since
a racer whose path leaves the plane is drawn by its shadow on it.

What is drawn: racer r's point at step i is (a, b) = ((θᵢ − θₙ)·d₁, (θᵢ − θₙ)·d₂),
and its height in 3-D is the loss *on the plane* at (a, b), where the drawn
surface is, not its own loss (which is in the loss chart and the table): the
two are equal where a path lies in the plane.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import network
from .train import Run

PAD = 0.15   # the plotted region: the projected paths' box, widened by this share per side


@dataclass(frozen=True, eq=False)
class Plane:
    """θ(a, b) = centre + a·d₁ + b·d₂ (d₁ ⟂ d₂, unit length), and the race in it."""

    run: Run
    reference: int            # the racer whose end is the centre
    centre: np.ndarray        # (P,)
    d1: np.ndarray
    d2: np.ndarray
    explained: tuple[float, float]   # share of the variance of all racers' θᵢ − θₙ along d₁, d₂
    coords: list[np.ndarray]  # per racer, (last + 1, 2) projected points (finite steps only)
    own_share: list[float]    # per racer, share of its own path's variance in the plane
    end_distance: list[float]  # per racer, distance of its last point from the plane
    domain: tuple[tuple[float, float], tuple[float, float]]

    @cached_property
    def path_losses(self) -> list[np.ndarray]:
        """Per racer, the loss on the plane at its projected points (what the 3-D view draws)."""
        X, y = np.asarray(self.run.data.X, dtype=float), np.asarray(self.run.data.y)
        return [self.loss(c, X, y) for c in self.coords]

    def loss(self, coords, X=None, y=None) -> np.ndarray:
        """The training loss at θ(a, b) for ``coords`` (..., 2)."""
        X = np.asarray(self.run.data.X, dtype=float) if X is None else X
        y = np.asarray(self.run.data.y) if y is None else y
        return network.plane_loss(self.centre, self.d1, self.d2, coords, X, y, self.run.sizes)

    def grid(self, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``xs``, ``ys``, ``z`` (rows = b ascending) over the domain; cached per resolution."""
        cache = self.__dict__.setdefault("_grids", {})
        if resolution not in cache:
            (x0, x1), (y0, y1) = self.domain
            xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
            with np.errstate(all="ignore"):
                z = self.loss(np.stack(np.meshgrid(xs, ys), axis=-1))
            cache[resolution] = (xs, ys, z)
        return cache[resolution]


def plane_of(run: Run) -> Plane:
    """The shared principal plane of a race (see the module's docstring)."""
    R = len(run.config.racers)
    ok = [r for r in range(R) if run.stopped_at[r] < 0]
    ref = ok[0] if ok else 0
    centre = run.final(ref)
    paths = [run.thetas[r, :run.last(r) + 1] - centre for r in range(R)]
    M = np.concatenate(paths)
    Mc = M - M.mean(axis=0)
    total = float(np.sum(Mc * Mc))
    if total == 0.0:
        raise ValueError("no racer moved from the shared start θ₀ (a learning rate of 0, or every racer "
                         "diverged at its first step): there is no plane to draw")
    (d1, d2), (v1, v2) = top_two(Mc.T @ Mc)
    start = run.theta0 - centre
    for d in (d1, d2):   # oriented so the shared start lies at negative coordinates
        if float(start @ d) > 0:
            d *= -1.0
    explained = (max(v1, 0.0) / total, max(v2, 0.0) / total)
    coords, share, dist = [], [], []
    for Q in paths:
        ab = np.stack([Q @ d1, Q @ d2], axis=-1)
        coords.append(ab)
        Qc = Q - Q.mean(axis=0)
        var = float(np.sum(Qc ** 2))
        abc = ab - ab.mean(axis=0)
        share.append(float(np.sum(abc ** 2) / var) if var > 0 else 1.0)
        end = Q[-1]
        dist.append(float(np.sqrt(max(float(end @ end) - float(ab[-1] @ ab[-1]), 0.0))))
    pts = np.concatenate(coords)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1e-3 * max(float(np.max(hi - lo)), 1e-9))
    lo, hi = lo - PAD * span, hi + PAD * span
    domain = ((float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])))
    return Plane(run, ref, centre, d1, d2, explained, coords, share, dist, domain)


def top_two(C: np.ndarray, iterations: int = 300, tol: float = 1e-11):
    """The two leading eigenvectors and eigenvalues of the symmetric PSD matrix C.

    Orthogonal (subspace) iteration on a block of 6 vectors, finished by a
    Rayleigh–Ritz step, converges in a few dozen products when the leading
    eigenvalues stand apart (they do for training paths: PC1 usually holds most
    of the variance); a full ``eigh`` is the fallback. Cheaper than ``eigh`` of a
    P x P matrix and, unlike it, no multi-threaded LAPACK call on a shared machine."""
    P = C.shape[0]
    k = min(6, P)
    if P <= 8:
        w, v = np.linalg.eigh(C)
        return (v[:, -1].copy(), v[:, -2].copy()), (float(w[-1]), float(w[-2]))
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((P, k)))[0]
    for _ in range(iterations):
        Q, _ = np.linalg.qr(C @ Q)
        T = Q.T @ C @ Q
        w, u = np.linalg.eigh(T)
        top = w[::-1][:2]
        V = Q @ u[:, ::-1][:, :2]
        res = np.linalg.norm(C @ V - V * top, axis=0)
        if np.all(res <= tol * max(float(w[-1]), 1e-300)):
            return (V[:, 0].copy(), V[:, 1].copy()), (float(top[0]), float(top[1]))
    w, v = np.linalg.eigh(C)
    return (v[:, -1].copy(), v[:, -2].copy()), (float(w[-1]), float(w[-2]))


def interpolation(run: Run, r: int, alphas: np.ndarray) -> np.ndarray:
    """Goodfellow et al. 2015: the loss at (1 − α)θ₀ + α θₙ for racer r's end θₙ."""
    a = np.asarray(alphas, dtype=float)[:, None]
    thetas = (1.0 - a) * run.theta0 + a * run.final(r)
    return network.losses(thetas, np.asarray(run.data.X, dtype=float), np.asarray(run.data.y), run.sizes)
