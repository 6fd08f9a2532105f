"""The teaching surfaces: bowl, rosenbrock, saddle, ravine and a rotated quadratic."""
from __future__ import annotations

import math

import numpy as np

from .base import StationaryPoint, Param, Surface, hess, split, stack
from .registry import register


@register("bowl")
def bowl() -> Surface:
    def f(p):
        x, y = split(p)
        return x * x + y * y

    def grad(p):
        x, y = split(p)
        return stack(2 * x, 2 * y)

    def hessian(p):
        x, _ = split(p)
        one = np.ones_like(x)
        return hess(2 * one, 0 * one, 2 * one)

    return Surface(
        name="bowl",
        title="Bowl",
        latex=r"f(x, y) = x^2 + y^2",
        f=f, grad=grad, hessian=hessian,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=(StationaryPoint(0.0, 0.0, 0.0),),
        default_start=(-1.5, 1.5),
        lesson="A perfectly round bowl: every method walks straight downhill; "
        "gradient descent diverges once lr > 1 (the curvature is 2).",
    )


@register(
    "rosenbrock",
    a=Param(1.0, 0.1, 5.0, "position of the minimum (a, a²)"),
    b=Param(100.0, 1.0, 1000.0, "steepness of the valley walls"),
)
def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    def f(p):
        x, y = split(p)
        return (a - x) ** 2 + b * (y - x * x) ** 2

    def grad(p):
        x, y = split(p)
        r = y - x * x
        return stack(-2 * (a - x) - 4 * b * x * r, 2 * b * r)

    def hessian(p):
        x, y = split(p)
        return hess(2 - 4 * b * (y - x * x) + 8 * b * x * x, -4 * b * x, 2 * b + 0 * x)

    return Surface(
        name="rosenbrock",
        title="Rosenbrock",
        latex=rf"f(x, y) = ({a:g} - x)^2 + {b:g}\,(y - x^2)^2",
        f=f, grad=grad, hessian=hessian,
        # The table's domain for a <= 1; widened with a so (a, a²) stays inside.
        domain=((-2.0 * max(1.0, a), 2.0 * max(1.0, a)), (-1.0 * max(1.0, a), 3.0 * max(1.0, a) ** 2)),
        minima=(StationaryPoint(a, a * a, 0.0),),
        default_start=(-1.2, 1.0),
        log_levels=True,
        params={"a": a, "b": b},
        lesson="A curved, flat-bottomed valley: finding it is easy, following it "
        "to the minimum is slow; adaptive and momentum methods pull ahead.",
    )


@register("saddle")
def saddle() -> Surface:
    def f(p):
        x, y = split(p)
        return x * x - y * y

    def grad(p):
        x, y = split(p)
        return stack(2 * x, -2 * y)

    def hessian(p):
        x, _ = split(p)
        one = np.ones_like(x)
        return hess(2 * one, 0 * one, -2 * one)

    return Surface(
        name="saddle",
        title="Saddle",
        latex=r"f(x, y) = x^2 - y^2",
        f=f, grad=grad, hessian=hessian,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=(),
        saddles=(StationaryPoint(0.0, 0.0, 0.0, "saddle"),),
        default_start=(-1.5, 0.01),
        lesson="No minimum at all: a start almost on the ridge creeps toward the "
        "saddle point before the tiny y-component grows and the run escapes "
        "to minus infinity. Momentum and adaptive methods escape sooner.",
    )


@register(
    "ravine",
    a=Param(0.1, 0.001, 10.0, "curvature/2 along x"),
    b=Param(2.0, 0.001, 100.0, "curvature/2 along y"),
)
def ravine(a: float = 0.1, b: float = 2.0) -> Surface:
    def f(p):
        x, y = split(p)
        return a * x * x + b * y * y

    def grad(p):
        x, y = split(p)
        return stack(2 * a * x, 2 * b * y)

    def hessian(p):
        x, _ = split(p)
        one = np.ones_like(x)
        return hess(2 * a * one, 0 * one, 2 * b * one)

    return Surface(
        name="ravine",
        title="Ravine",
        latex=rf"f(x, y) = {a:g}\,x^2 + {b:g}\,y^2",
        f=f, grad=grad, hessian=hessian,
        domain=((-6.0, 6.0), (-3.0, 3.0)),
        minima=(StationaryPoint(0.0, 0.0, 0.0),),
        default_start=(-5.0, -2.0),
        params={"a": a, "b": b},
        lesson=f"A long narrow valley (condition number b/a = {b / a:.3g}): plain gradient "
        "descent zig-zags across it; momentum damps the zig-zag and speeds along it.",
    )


@register(
    "quadratic",
    condition=Param(10.0, 1.0, 1000.0, "ratio of the largest to the smallest curvature"),
    angle=Param(30.0, -180.0, 180.0, "rotation of the principal axes, degrees"),
)
def quadratic(condition: float = 10.0, angle: float = 30.0) -> Surface:
    """f(p) = ½ pᵀ A p with A = R diag(2/κ, 2) Rᵀ and R the rotation by ``angle`` degrees.

    The Hessian A has eigenvalues 2/κ (along the rotated x axis) and 2 (along the rotated
    y axis): the condition number is κ = ``condition`` and the largest curvature is 2, so
    gradient descent is stable for lr < 1 at every κ and angle. The minimum is (0, 0).
    """
    th = math.radians(angle)
    c, s = math.cos(th), math.sin(th)
    lam1, lam2 = 2.0 / condition, 2.0  # Hessian eigenvalues
    # A = R diag(lam1, lam2) R^T, R = [[c, -s], [s, c]]
    axx = lam1 * c * c + lam2 * s * s
    axy = (lam1 - lam2) * c * s
    ayy = lam1 * s * s + lam2 * c * c

    def f(p):
        x, y = split(p)
        return 0.5 * (axx * x * x + 2 * axy * x * y + ayy * y * y)

    def grad(p):
        x, y = split(p)
        return stack(axx * x + axy * y, axy * x + ayy * y)

    def hessian(p):
        x, _ = split(p)
        one = np.ones_like(x)
        return hess(axx * one, axy * one, ayy * one)

    return Surface(
        name="quadratic",
        title="Rotated quadratic",
        latex=(
            rf"f(\mathbf{{p}}) = \tfrac12\,\mathbf{{p}}^\top R_{{{angle:g}^\circ}}"
            rf"\,\mathrm{{diag}}({lam1:.3g}, {lam2:g})\,R_{{{angle:g}^\circ}}^\top \mathbf{{p}}"
        ),
        f=f, grad=grad, hessian=hessian,
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        minima=(StationaryPoint(0.0, 0.0, 0.0),),
        default_start=(-2.5, 1.5),
        params={"condition": condition, "angle": angle},
        log_levels=condition >= 100,
        lesson="An elliptic bowl with adjustable condition number and rotation: "
        "gradient descent and momentum behave the same at every angle, while "
        "per-coordinate methods (AdaGrad, RMSProp, Adam, Lion) do not: they are "
        "not rotation-invariant.",
    )
