"""Standard optimization test functions (VLSE definitions).

Definitions, domains and published minima follow the Virtual Library of
Simulation Experiments (Surjanovic & Bingham, https://www.sfu.ca/~ssurjano).
Where VLSE prints a rounded location or value, the literal stored here is the
stationary point refined by Newton's method in 50-digit arithmetic and rounded
to the nearest double (the residual gradient is at rounding level). Closed
forms are used where they exist (McCormick, Goldstein-Price, Beale, Booth).

Extra stationary points (local minima, saddles) are listed where they lie in
the plotting domain; local maxima are not listed (``Surface`` has no field for
them). Every function is vectorized over ``(..., 2)`` points.
"""
from __future__ import annotations

import math

import numpy as np

from .base import PI, StationaryPoint, Param, Surface, hess, split, stack
from .registry import register

SQRT3 = math.sqrt(3.0)


@register("himmelblau")
def himmelblau() -> Surface:
    def f(p):
        x, y = split(p)
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def grad(p):
        x, y = split(p)
        u = x * x + y - 11
        v = x + y * y - 7
        return stack(4 * x * u + 2 * v, 2 * u + 4 * y * v)

    def hessian(p):
        x, y = split(p)
        u = x * x + y - 11
        v = x + y * y - 7
        return hess(4 * u + 8 * x * x + 2, 4 * (x + y), 4 * v + 8 * y * y + 2)

    return Surface(
        name="himmelblau",
        title="Himmelblau",
        latex=r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        f=f, grad=grad, hessian=hessian,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        minima=(
            StationaryPoint(3.0, 2.0, 0.0),
            StationaryPoint(-2.805118086952745, 3.131312518250573, 0.0),
            StationaryPoint(-3.779310253377747, -3.2831859912861696, 0.0),
            StationaryPoint(3.5844283403304917, -1.8481265269644036, 0.0),
        ),
        saddles=(
            StationaryPoint(3.385154183607021, 0.07385187983774928, 13.31192627040559, "saddle"),
            StationaryPoint(0.08667750455539636, 2.884254701174776, 67.71915008752615, "saddle"),
            StationaryPoint(-3.0730257507643897, -0.08135304428796751, 104.0151629175581, "saddle"),
            StationaryPoint(-0.12796134673068008, -1.9537149802445763, 178.33723920192747, "saddle"),
        ),
        default_start=(0.0, 0.0),
        log_levels=True,
        lesson="Four equally good minima: where a run ends depends only on where "
        "it starts (and on momentum), not on which minimum is 'better'.",
    )


@register("beale")
def beale() -> Surface:
    # r_k = c_k - x + x y^k for k = 1, 2, 3
    c1, c2, c3 = 1.5, 2.25, 2.625

    def f(p):
        x, y = split(p)
        y2 = y * y
        return (c1 - x + x * y) ** 2 + (c2 - x + x * y2) ** 2 + (c3 - x + x * y2 * y) ** 2

    def grad(p):
        x, y = split(p)
        y2 = y * y
        y3 = y2 * y
        r1, r2, r3 = c1 - x + x * y, c2 - x + x * y2, c3 - x + x * y3
        gx = 2 * (r1 * (y - 1) + r2 * (y2 - 1) + r3 * (y3 - 1))
        gy = 2 * x * (r1 + 2 * r2 * y + 3 * r3 * y2)
        return stack(gx, gy)

    def hessian(p):
        x, y = split(p)
        y2 = y * y
        y3 = y2 * y
        r1, r2, r3 = c1 - x + x * y, c2 - x + x * y2, c3 - x + x * y3
        a1, a2, a3 = y - 1, y2 - 1, y3 - 1  # d r_k / dx
        b1, b2, b3 = x, 2 * x * y, 3 * x * y2  # d r_k / dy
        hxx = 2 * (a1 * a1 + a2 * a2 + a3 * a3)
        hxy = 2 * (a1 * b1 + a2 * b2 + a3 * b3 + r1 + 2 * r2 * y + 3 * r3 * y2)
        hyy = 2 * (b1 * b1 + b2 * b2 + b3 * b3 + 2 * r2 * x + 6 * r3 * x * y)
        return hess(hxx, hxy, hyy)

    return Surface(
        name="beale",
        title="Beale",
        latex=(
            r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2"
            r" + (2.625 - x + xy^3)^2"
        ),
        f=f, grad=grad, hessian=hessian,
        domain=((-4.5, 4.5), (-4.5, 4.5)),
        minima=(StationaryPoint(3.0, 0.5, 0.0),),
        saddles=(
            StationaryPoint(0.0, 1.0, 14.203125, "saddle"),
            StationaryPoint(0.10053793732415836, -2.644513585023125, 9.86451228475556, "saddle"),
        ),
        default_start=(1.0, 1.5),
        log_levels=True,
        lesson="Flat plateaus next to steep walls (values span five decades): a "
        "single learning rate is too small on the plateau and too large at "
        "the walls; adaptive methods cope much better.",
    )


@register("booth")
def booth() -> Surface:
    def f(p):
        x, y = split(p)
        return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2

    def grad(p):
        x, y = split(p)
        u = x + 2 * y - 7
        v = 2 * x + y - 5
        return stack(2 * u + 4 * v, 4 * u + 2 * v)

    def hessian(p):
        x, _ = split(p)
        one = np.ones_like(x)
        return hess(10 * one, 8 * one, 10 * one)

    return Surface(
        name="booth",
        title="Booth",
        latex=r"f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
        f=f, grad=grad, hessian=hessian,
        domain=((-10.0, 10.0), (-10.0, 10.0)),
        minima=(StationaryPoint(1.0, 3.0, 0.0),),
        default_start=(-8.0, -6.0),
        lesson="A tilted elliptic bowl (Hessian eigenvalues 18 and 2, axes at 45°): "
        "gradient descent is stable only for lr < 1/9 and crawls along the "
        "shallow diagonal.",
    )


def _rastrigin_1d(A: float) -> tuple[float, float]:
    """Roots of g(t) = t + πA·sin(2πt), the 1-D Rastrigin gradient / 2:
    the local minimum in (3/4, 1) and the local maximum in (1/2, 3/4).
    g(1/2) > 0 > g(3/4) and g(1) > 0 for A ≥ 1; each bracket holds one root."""

    def g(t):
        return t + PI * A * math.sin(2 * PI * t)

    def bisect(lo, hi):  # g(lo) and g(hi) have opposite signs
        glo = g(lo)
        while True:
            mid = 0.5 * (lo + hi)
            if mid <= lo or mid >= hi:
                return mid
            if (g(mid) > 0) == (glo > 0):
                lo, glo = mid, g(mid)
            else:
                hi = mid

    return bisect(0.75, 1.0), bisect(0.5, 0.75)


@register("rastrigin", A=Param(10.0, 1.0, 40.0, "amplitude of the cosine ripples"))
def rastrigin(A: float = 10.0) -> Surface:
    # 2A + Σ (t² - A cos 2πt) written as Σ (t² + 2A sin² πt): the same function,
    # without the cancellation near the integer lattice.
    def f(p):
        x, y = split(p)
        sx, sy = np.sin(PI * x), np.sin(PI * y)
        return x * x + y * y + 2 * A * (sx * sx + sy * sy)

    def grad(p):
        x, y = split(p)
        return stack(2 * x + 2 * PI * A * np.sin(2 * PI * x), 2 * y + 2 * PI * A * np.sin(2 * PI * y))

    def hessian(p):
        x, y = split(p)
        k = 4 * PI * PI * A
        return hess(2 + k * np.cos(2 * PI * x), 0 * x, 2 + k * np.cos(2 * PI * y))

    m, s = _rastrigin_1d(A)  # 1-D local minimum (≈0.99496 for A=10) and maximum (≈0.50255)
    vm = m * m + 2 * A * math.sin(PI * m) ** 2
    vs = s * s + 2 * A * math.sin(PI * s) ** 2
    axis = ((m, 0.0), (-m, 0.0), (0.0, m), (0.0, -m))
    diag = ((m, m), (-m, m), (-m, -m), (m, -m))
    return Surface(
        name="rastrigin",
        title="Rastrigin",
        latex=rf"f(x, y) = {2 * A:g} + \sum_{{t \in \{{x, y\}}}} \left(t^2 - {A:g}\cos 2\pi t\right)",
        f=f, grad=grad, hessian=hessian,
        domain=((-5.12, 5.12), (-5.12, 5.12)),
        minima=(StationaryPoint(0.0, 0.0, 0.0),)
        + tuple(StationaryPoint(px, py, vm, "local") for px, py in axis)
        + tuple(StationaryPoint(px, py, 2 * vm, "local") for px, py in diag),
        saddles=tuple(
            StationaryPoint(px, py, vs, "saddle") for px, py in ((s, 0.0), (-s, 0.0), (0.0, s), (0.0, -s))
        ),
        default_start=(2.3, -1.6),
        params={"A": A},
        lesson="An egg-crate of about a hundred local minima on a bowl: gradient "
        "descent stops in the nearest dimple; only a large step, momentum or "
        "noise gets further down.",
        note="Only the global minimum and its 8 nearest local minima (and the 4 "
        "saddles around the global basin) are listed; every point near the "
        "integer lattice is a local minimum.",
    )


@register(
    "ackley",
    a=Param(20.0, 1.0, 50.0, "depth of the central funnel"),
    b=Param(0.2, 0.05, 1.0, "steepness of the funnel"),
    c=Param(2 * PI, 0.5, 4 * PI, "frequency of the ripples"),
)
def ackley(a: float = 20.0, b: float = 0.2, c: float = 2 * PI) -> Surface:
    """Ackley: -a·exp(-b·√(½(x²+y²))) - exp(½(cos cx + cos cy)) + a + e.

    The first term is a cone at the origin, so the gradient is undefined there
    and the Hessian grows like 1/r nearby. ``grad`` returns 0 at the origin
    (the symmetric choice; every direction is uphill at slope a·b/√2 for the
    cone) and ``hessian`` returns the Hessian of the smooth cosine term alone
    there (finite and positive definite). No NumPy warning is raised at the
    origin.
    """
    k_grad = a * b / math.sqrt(2.0)  # cone slope along any ray: |∇(a(1-exp(-b r)))| at r -> 0

    def polar(x, y):
        rr = np.hypot(x, y)  # |p|; r = |p|/√2
        pos = rr > 0
        safe = np.where(pos, rr, 1.0)
        e1 = np.exp(-b * rr / math.sqrt(2.0))
        return rr, pos, safe, e1

    tiny = 1e-300  # caps the 1/r of the Hessian so subnormal |p| cannot overflow

    def f(p):
        x, y = split(p)
        rr = np.hypot(x, y)
        cone = -a * np.expm1(-b * rr / math.sqrt(2.0))  # a(1 - exp(-b r)) >= 0
        ripple = math.e - np.exp(0.5 * (np.cos(c * x) + np.cos(c * y)))  # >= 0
        return cone + ripple

    def grad(p):
        x, y = split(p)
        _, pos, safe, e1 = polar(x, y)
        g = np.where(pos, k_grad * e1, 0.0)  # cone slope; times the unit vector p/|p|
        e2 = np.exp(0.5 * (np.cos(c * x) + np.cos(c * y)))
        return stack(
            g * (x / safe) + 0.5 * c * np.sin(c * x) * e2,
            g * (y / safe) + 0.5 * c * np.sin(c * y) * e2,
        )

    def hessian(p):
        x, y = split(p)
        rr, pos, safe, e1 = polar(x, y)
        # cone: H = k (I - (1 + b r) n nᵀ), k = a b e^{-b r} / (2 r), n = p / |p|
        k = np.where(pos, k_grad * e1 / np.maximum(safe, tiny), 0.0)
        nx, ny = x / safe, y / safe
        q = k * (1 + b * rr / math.sqrt(2.0))
        e2 = np.exp(0.5 * (np.cos(c * x) + np.cos(c * y)))
        sx, sy = np.sin(c * x), np.sin(c * y)
        cc = c * c * e2
        hxx = k - q * nx * nx + cc * (0.5 * np.cos(c * x) - 0.25 * sx * sx)
        hyy = k - q * ny * ny + cc * (0.5 * np.cos(c * y) - 0.25 * sy * sy)
        hxy = -q * nx * ny - 0.25 * cc * sx * sy
        return hess(hxx, hxy, hyy)

    return Surface(
        name="ackley",
        title="Ackley",
        latex=(
            rf"f(x, y) = -{a:g}\exp\!\left(-{b:g}\sqrt{{\tfrac12 (x^2 + y^2)}}\right)"
            rf" - \exp\!\left(\tfrac12 (\cos {c:.4g}x + \cos {c:.4g}y)\right) + {a:g} + e"
        ),
        f=f, grad=grad, hessian=hessian,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        minima=(StationaryPoint(0.0, 0.0, 0.0),),
        default_start=(3.2, 2.6),
        params={"a": a, "b": b, "c": c},
        lesson="A funnel covered in ripples: small steps get trapped in a ripple "
        "far from the centre, while the overall slope points straight at the "
        "global minimum.",
        note="The gradient is undefined at the origin (the √ cone term); grad "
        "returns 0 there. The Hessian is unbounded near the origin; hessian "
        "returns the smooth cosine term's Hessian there. Local minima of the "
        "ripples are not listed.",
    )


@register("goldstein_price")
def goldstein_price() -> Surface:
    # f = A·B with A = 1 + u²P, u = x + y + 1 and B = 30 + v²Q, v = 2x - 3y.
    def parts(x, y):
        u = x + y + 1
        P = 19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y
        v = 2 * x - 3 * y
        Q = 18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y + 27 * y * y
        return u, P, v, Q

    def f(p):
        x, y = split(p)
        u, P, v, Q = parts(x, y)
        return (1 + u * u * P) * (30 + v * v * Q)

    def first(x, y):
        u, P, v, Q = parts(x, y)
        A, B = 1 + u * u * P, 30 + v * v * Q
        Pd = -14 + 6 * x + 6 * y  # dP/dx = dP/dy
        Qx, Qy = -32 + 24 * x - 36 * y, 48 - 36 * x + 54 * y
        Ax = Ay = 2 * u * P + u * u * Pd  # du/dx = du/dy = 1
        Bx = 4 * v * Q + v * v * Qx  # dv/dx = 2
        By = -6 * v * Q + v * v * Qy  # dv/dy = -3
        return u, P, v, Q, A, B, Pd, Qx, Qy, Ax, Ay, Bx, By

    def grad(p):
        x, y = split(p)
        *_, A, B, _, _, _, Ax, Ay, Bx, By = first(x, y)
        return stack(Ax * B + A * Bx, Ay * B + A * By)

    def hessian(p):
        x, y = split(p)
        u, P, v, Q, A, B, Pd, Qx, Qy, Ax, Ay, Bx, By = first(x, y)
        # A_ij = 2 u_i u_j P + 2u (u_i P_j + u_j P_i) + u² P_ij, all P_ij = 6
        Aij = 2 * P + 4 * u * Pd + 6 * u * u
        # B_ij = 2 v_i v_j Q + 2v (v_i Q_j + v_j Q_i) + v² Q_ij
        Bxx = 8 * Q + 8 * v * Qx + 24 * v * v
        Bxy = -12 * Q + 2 * v * (2 * Qy - 3 * Qx) - 36 * v * v
        Byy = 18 * Q - 12 * v * Qy + 54 * v * v
        hxx = Aij * B + 2 * Ax * Bx + A * Bxx
        hxy = Aij * B + Ax * By + Ay * Bx + A * Bxy
        hyy = Aij * B + 2 * Ay * By + A * Byy
        return hess(hxx, hxy, hyy)

    return Surface(
        name="goldstein_price",
        title="Goldstein-Price",
        latex=(
            r"f(x, y) = \left[1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right]"
            r"\left[30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]"
        ),
        f=f, grad=grad, hessian=hessian,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        # All stationary points of this polynomial sit at exact decimals.
        minima=(
            StationaryPoint(0.0, -1.0, 3.0),
            StationaryPoint(-0.6, -0.4, 30.0, "local"),
            StationaryPoint(1.8, 0.2, 84.0, "local"),
            StationaryPoint(1.2, 0.8, 840.0, "local"),
        ),
        saddles=(
            StationaryPoint(-0.4, -0.6, 35.0, "saddle"),
            StationaryPoint(1.2, -0.2, 99.0, "saddle"),
            StationaryPoint(1.4, 0.6, 980.0, "saddle"),
            StationaryPoint(0.6, 0.4, 990.0, "saddle"),
        ),
        default_start=(1.5, -1.5),
        log_levels=True,
        lesson="Values span six decades and the basins have very different "
        "curvature: a learning rate that is safe near one minimum is wild "
        "near another.",
    )


@register("six_hump_camel")
def six_hump_camel() -> Surface:
    def f(p):
        x, y = split(p)
        x2, y2 = x * x, y * y
        return (4 - 2.1 * x2 + x2 * x2 / 3) * x2 + x * y + (-4 + 4 * y2) * y2

    def grad(p):
        x, y = split(p)
        x2 = x * x
        return stack(8 * x - 8.4 * x2 * x + 2 * x2 * x2 * x + y, x - 8 * y + 16 * y * y * y)

    def hessian(p):
        x, y = split(p)
        x2 = x * x
        return hess(8 - 25.2 * x2 + 10 * x2 * x2, 1 + 0 * x, -8 + 48 * y * y)

    g = -1.0316284534898774  # global value; VLSE prints -1.0316
    return Surface(
        name="six_hump_camel",
        title="Six-hump camel",
        latex=r"f(x, y) = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (-4 + 4y^2)\,y^2",
        f=f, grad=grad, hessian=hessian,
        domain=((-2.0, 2.0), (-1.0, 1.0)),
        minima=(
            StationaryPoint(0.08984201310031806, -0.7126564030207396, g),
            StationaryPoint(-0.08984201310031806, 0.7126564030207396, g),
            StationaryPoint(-1.703606714969981, 0.7960835686726251, -0.21546382438371764, "local"),
            StationaryPoint(1.703606714969981, -0.7960835686726251, -0.21546382438371764, "local"),
            StationaryPoint(1.6071047529201972, 0.5686514548841314, 2.1042503103112584, "local"),
            StationaryPoint(-1.6071047529201972, -0.5686514548841314, 2.1042503103112584, "local"),
        ),
        saddles=(
            StationaryPoint(0.0, 0.0, 0.0, "saddle"),
            StationaryPoint(1.1092053368047865, -0.7682680925095399, 0.5437186009781851, "saddle"),
            StationaryPoint(-1.1092053368047865, 0.7682680925095399, 0.5437186009781851, "saddle"),
            StationaryPoint(1.6380679841897785, 0.22867406904439408, 2.2293571975307147, "saddle"),
            StationaryPoint(-1.6380679841897785, -0.22867406904439408, 2.2293571975307147, "saddle"),
            StationaryPoint(1.2960702671671092, 0.6050843880386585, 2.22947081802986, "saddle"),
            StationaryPoint(-1.2960702671671092, -0.6050843880386585, 2.22947081802986, "saddle"),
        ),
        default_start=(-1.2, -0.9),
        lesson="Six minima, two of them global and mirror images: the start decides "
        "the basin, and a saddle sits right between the two global minima.",
        note="Plotted on VLSE's close-up x ∈ [-2, 2], y ∈ [-1, 1], which holds all "
        "six minima (VLSE's full range is x ∈ [-3, 3], y ∈ [-2, 2]).",
    )


@register("styblinski_tang")
def styblinski_tang() -> Surface:
    def f(p):
        x, y = split(p)
        x2, y2 = x * x, y * y
        return 0.5 * (x2 * x2 - 16 * x2 + 5 * x + y2 * y2 - 16 * y2 + 5 * y)

    def grad(p):
        x, y = split(p)
        return stack(2 * x * x * x - 16 * x + 2.5, 2 * y * y * y - 16 * y + 2.5)

    def hessian(p):
        x, y = split(p)
        return hess(6 * x * x - 16, 0 * x, 6 * y * y - 16)

    # Roots of 2t³ - 16t + 2.5: the 1-D minima lo, hi and the 1-D maximum mid.
    lo, hi, mid = -2.903534027771177, 2.746802770990837, 0.1567312567803401
    return Surface(
        name="styblinski_tang",
        title="Styblinski-Tang",
        latex=r"f(x, y) = \tfrac12 \sum_{t \in \{x, y\}} \left(t^4 - 16t^2 + 5t\right)",
        f=f, grad=grad, hessian=hessian,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        # Per coordinate the minimum is -39.16616570377142 (VLSE prints -39.16599).
        minima=(
            StationaryPoint(lo, lo, -78.33233140754282),
            StationaryPoint(lo, hi, -64.19561235905536, "local"),
            StationaryPoint(hi, lo, -64.19561235905536, "local"),
            StationaryPoint(hi, hi, -50.05889331056788, "local"),
        ),
        saddles=(
            StationaryPoint(lo, mid, -38.97055334471606, "saddle"),
            StationaryPoint(mid, lo, -38.97055334471606, "saddle"),
            StationaryPoint(hi, mid, -24.833834296228584, "saddle"),
            StationaryPoint(mid, hi, -24.833834296228584, "saddle"),
        ),
        default_start=(-4.5, 0.0),
        lesson="Separable: each coordinate independently picks the left (deeper) or "
        "right well, so the four minima differ only in which side of the hump "
        "each coordinate started on.",
    )


@register("mccormick")
def mccormick() -> Surface:
    def f(p):
        x, y = split(p)
        return np.sin(x + y) + (x - y) ** 2 - 1.5 * x + 2.5 * y + 1

    def grad(p):
        x, y = split(p)
        cs = np.cos(x + y)
        d = 2 * (x - y)
        return stack(cs + d - 1.5, cs - d + 2.5)

    def hessian(p):
        x, y = split(p)
        sn = np.sin(x + y)
        return hess(2 - sn, -2 - sn, 2 - sn)

    # Stationary points: x - y = 1 and cos(x + y) = -1/2, a minimum where
    # sin(x + y) < 0. In the domain: x + y = -2π/3 (global), 4π/3 (local) and
    # 2π/3 (saddle).
    return Surface(
        name="mccormick",
        title="McCormick",
        latex=r"f(x, y) = \sin(x + y) + (x - y)^2 - 1.5x + 2.5y + 1",
        f=f, grad=grad, hessian=hessian,
        domain=((-1.5, 4.0), (-3.0, 4.0)),
        minima=(
            StationaryPoint(0.5 - PI / 3, -0.5 - PI / 3, -SQRT3 / 2 - PI / 3),
            StationaryPoint(0.5 + 2 * PI / 3, -0.5 + 2 * PI / 3, 2 * PI / 3 - SQRT3 / 2, "local"),
        ),
        saddles=(StationaryPoint(0.5 + PI / 3, -0.5 + PI / 3, SQRT3 / 2 + PI / 3, "saddle"),),
        default_start=(-1.0, 3.0),
        lesson="A tilted trough with a sine wobble along it: the valley floor has a "
        "second, shallower dip, and a saddle between the two.",
    )


@register("two_minima")
def two_minima() -> Surface:
    def f(p):
        x, y = split(p)
        w = x * x - 1
        return w * w + 0.3 * x + y * y

    def grad(p):
        x, y = split(p)
        return stack(4 * x * (x * x - 1) + 0.3, 2 * y)

    def hessian(p):
        x, y = split(p)
        return hess(12 * x * x - 4, 0 * x, 2 + 0 * x)

    # Roots of 4x³ - 4x + 0.3 (refined in 50-digit arithmetic).
    return Surface(
        name="two_minima",
        title="Two minima",
        latex=r"f(x, y) = (x^2 - 1)^2 + 0.3x + y^2",
        f=f, grad=grad, hessian=hessian,
        domain=((-2.0, 2.0), (-1.5, 1.5)),
        minima=(
            StationaryPoint(-1.0355787140888537, 0.0, -0.30542848374391596),
            StationaryPoint(0.9601495555191055, 0.0, 0.29414648102826285, "local"),
        ),
        saddles=(StationaryPoint(0.07542915856974822, 0.0, 1.011282002715653, "saddle"),),
        default_start=(1.6, 1.2),
        lesson="Two valleys, one deeper: a start on the right falls into the shallow "
        "local minimum and gradient descent stays there; enough momentum can "
        "carry a run over the saddle into the global minimum.",
    )
