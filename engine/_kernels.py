"""numba kernels of the compiled backend (``engine.compiled``): the NumPy engine's
arithmetic, one trajectory element at a time, fused over a block of trajectories.

Every expression repeats the NumPy reference's operations in the same order
(``landscapes/*.py``, ``optimizers/*.py``, ``engine/core.py``), so both backends
round identically: ``x * x`` where NumPy squares, ``(a * b) * c`` where Python
evaluates ``a * b * c``, ``0.0 * x`` where a Hessian entry is ``0 * x`` (its
sign reaches Newton's ``copysign``), ``math.pow`` for ``**`` with a float or
step-count exponent (libm's ``pow``, as NumPy and Python call it). No
``fastmath``: no reassociation, no fused multiply-add. ``error_model="numpy"``
lets LLVM vectorize divisions (no Python ZeroDivisionError branch).

Layout: positions and gradients are separate x and y arrays over the batch
(structure of arrays), the optimizer state is ``S[slot, coordinate, b]``,
hyperparameters ``H[row, b]`` (one value per trajectory, a scalar broadcast),
batch-level flags ``F``. Each step makes two passes over a block of
trajectories small enough for the CPU cache: the optimizer's update (after the
gradient it sees, where that is not the exact one), then the surface at the new
points with the stop rule's and the convergence tests in the same loop; the rare
events (a stop, a first convergence) get loops of their own. Surfaces and
optimizers are dispatched by integer codes outside the inner loops, so every
inner loop is one surface's or one optimizer's arithmetic; a hyperparameter the
whole batch shares is a scalar in its own loop (fewer memory streams). Per-element
helpers take and return scalars only: an array passed to a call costs a reference
count update per element and stops LLVM from vectorizing the loop.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

PI = math.pi
SQRT2 = math.sqrt(2.0)
E = math.e
TINY = 1e-300
NAN = math.nan

JIT = dict(cache=True, error_model="numpy", nogil=True)

# surface codes (engine.compiled.SURFACES maps names to these)
BOWL, ROSENBROCK, SADDLE, RAVINE, QUADRATIC, HIMMELBLAU, BEALE, BOOTH, RASTRIGIN, ACKLEY, \
    GOLDSTEIN_PRICE, SIX_HUMP_CAMEL, STYBLINSKI_TANG, MCCORMICK, TWO_MINIMA = range(15)

# optimizer codes
GD, MOMENTUM, NESTEROV, NESTEROV_TEXTBOOK, ADAGRAD, RMSPROP, ADADELTA, ADAM, ADAMAX, NADAM, RADAM, \
    LION, NEWTON = range(13)


# ----------------------------------------------------------------------------- small pieces

@njit(**JIT)
def _max(a, b):
    """np.maximum: NaN if either is NaN (the first one's if both)."""
    if a >= b or a != a:
        return a
    return b


@njit(**JIT)
def _sign(x):
    """np.sign: 0 for ±0, NaN for NaN."""
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    if x == 0.0:
        return 0.0
    return x


@njit(**JIT)
def _lerp(start, end, w):
    """optimizers._common.lerp for one element (torch's two forms)."""
    d = end - start
    if abs(w) < 0.5:
        return start + w * d
    return end - d * (1.0 - w)


# ----------------------------------------------------------------------------- surfaces
# f and its gradient at one point, per surface (the constants c from engine.compiled),
# each the NumPy surface's expression term by term.

@njit(**JIT)
def _bowl(x, y, c0, c1, c2):
    return x * x + y * y, 2.0 * x, 2.0 * y


@njit(**JIT)
def _rosenbrock(x, y, c0, c1, c2):
    a, b = c0, c1
    d = a - x
    r = y - x * x
    return d * d + b * (r * r), -2.0 * d - 4.0 * b * x * r, 2.0 * b * r


@njit(**JIT)
def _saddle(x, y, c0, c1, c2):
    return x * x - y * y, 2.0 * x, -2.0 * y


@njit(**JIT)
def _ravine(x, y, c0, c1, c2):
    a, b = c0, c1
    return a * x * x + b * y * y, 2.0 * a * x, 2.0 * b * y


@njit(**JIT)
def _quadratic(x, y, c0, c1, c2):
    axx, axy, ayy = c0, c1, c2
    return (0.5 * (axx * x * x + 2.0 * axy * x * y + ayy * y * y),
            axx * x + axy * y, axy * x + ayy * y)


@njit(**JIT)
def _himmelblau(x, y, c0, c1, c2):
    u = x * x + y - 11.0
    v = x + y * y - 7.0
    return u * u + v * v, 4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v


@njit(**JIT)
def _beale(x, y, c0, c1, c2):
    y2 = y * y
    r1 = 1.5 - x + x * y
    r2 = 2.25 - x + x * y2
    r3f = 2.625 - x + x * y2 * y
    y3 = y2 * y
    r3 = 2.625 - x + x * y3
    return (r1 * r1 + r2 * r2 + r3f * r3f,
            2.0 * (r1 * (y - 1.0) + r2 * (y2 - 1.0) + r3 * (y3 - 1.0)),
            2.0 * x * (r1 + 2.0 * r2 * y + 3.0 * r3 * y2))


@njit(**JIT)
def _booth(x, y, c0, c1, c2):
    u = x + 2.0 * y - 7.0
    v = 2.0 * x + y - 5.0
    return u * u + v * v, 2.0 * u + 4.0 * v, 4.0 * u + 2.0 * v


@njit(**JIT)
def _rastrigin(x, y, c0, c1, c2):
    A = c0
    sx, sy = math.sin(PI * x), math.sin(PI * y)
    k = 2.0 * PI * A
    return (x * x + y * y + 2.0 * A * (sx * sx + sy * sy),
            2.0 * x + k * math.sin(2.0 * PI * x), 2.0 * y + k * math.sin(2.0 * PI * y))


@njit(**JIT)
def _ackley(x, y, c0, c1, c2):
    a, b, cc = c0, c1, c2
    rr = np.hypot(x, y)
    e2 = math.exp(0.5 * (math.cos(cc * x) + math.cos(cc * y)))
    f = -a * math.expm1(-b * rr / SQRT2) + (E - e2)
    e1 = math.exp(-b * rr / SQRT2)
    if rr > 0.0:
        g, safe = a * b / SQRT2 * e1, rr
    else:
        g, safe = 0.0, 1.0
    hc = 0.5 * cc
    return f, g * (x / safe) + hc * math.sin(cc * x) * e2, g * (y / safe) + hc * math.sin(cc * y) * e2


@njit(**JIT)
def _goldstein_price(x, y, c0, c1, c2):
    u = x + y + 1.0
    P = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    v = 2.0 * x - 3.0 * y
    Q = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    A = 1.0 + u * u * P
    B = 30.0 + v * v * Q
    Pd = -14.0 + 6.0 * x + 6.0 * y
    Qx = -32.0 + 24.0 * x - 36.0 * y
    Qy = 48.0 - 36.0 * x + 54.0 * y
    Ax = 2.0 * u * P + u * u * Pd
    Bx = 4.0 * v * Q + v * v * Qx
    By = -6.0 * v * Q + v * v * Qy
    return A * B, Ax * B + A * Bx, Ax * B + A * By


@njit(**JIT)
def _six_hump_camel(x, y, c0, c1, c2):
    x2, y2 = x * x, y * y
    return ((4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2,
            8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y, x - 8.0 * y + 16.0 * y * y * y)


@njit(**JIT)
def _styblinski_tang(x, y, c0, c1, c2):
    x2, y2 = x * x, y * y
    return (0.5 * (x2 * x2 - 16.0 * x2 + 5.0 * x + y2 * y2 - 16.0 * y2 + 5.0 * y),
            2.0 * x * x * x - 16.0 * x + 2.5, 2.0 * y * y * y - 16.0 * y + 2.5)


@njit(**JIT)
def _mccormick(x, y, c0, c1, c2):
    d = x - y
    cs = math.cos(x + y)
    d2 = 2.0 * d
    return math.sin(x + y) + d * d - 1.5 * x + 2.5 * y + 1.0, cs + d2 - 1.5, cs - d2 + 2.5


@njit(**JIT)
def _two_minima(x, y, c0, c1, c2):
    w = x * x - 1.0
    return w * w + 0.3 * x + y * y, 4.0 * x * (x * x - 1.0) + 0.3, 2.0 * y


@njit(**JIT)
def _judge(f, gx, gy, x, y, live, unconv, bound, cx, cy, rx, ry, s2_tol):
    """At a new point: (the gradient's squared norm, stops here, converges here): the stop
    rule's tests and the convergence test ``sqrt(s2) < tol``, asked as ``s2 < s2_tol``
    (the same answer for every double: engine.compiled.squared_tolerance), so no square
    root is taken per step."""
    s2 = gx * gx + gy * gy
    ok = (f <= bound) & (abs(x - cx) <= rx) & (abs(y - cy) <= ry)  # False for NaN too
    return s2, live & (not ok), (s2 < s2_tol) & unconv


@njit(**JIT)
def surface_pass(sid, c, X, Y, n, AL, UC, NL, NGX, NGY, NS2, bound, cx, cy, rx, ry, s2_tol):
    """f and its gradient at (X[j], Y[j]), j < n, into NL, NGX, NGY (NS2: the squared
    norm), with the stop rule's and the convergence tests in the same pass: returns
    how many live trajectories stop here and how many unconverged ones converge.
    One loop per surface (an invariant branch inside a loop would stop LLVM from
    vectorizing it)."""
    c0, c1, c2 = c[0], c[1], c[2]
    nbad = 0
    nconv = 0
    if sid == BOWL:
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _bowl(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    elif sid == ROSENBROCK:
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _rosenbrock(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    elif sid == SADDLE:
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _saddle(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    elif sid == RAVINE:
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _ravine(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    elif sid == QUADRATIC:
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _quadratic(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    elif sid == HIMMELBLAU:
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _himmelblau(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    elif sid == BEALE:
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _beale(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    elif sid == BOOTH:
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _booth(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    elif sid == RASTRIGIN:
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _rastrigin(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    elif sid == ACKLEY:
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _ackley(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    elif sid == GOLDSTEIN_PRICE:
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _goldstein_price(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    elif sid == SIX_HUMP_CAMEL:
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _six_hump_camel(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    elif sid == STYBLINSKI_TANG:
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _styblinski_tang(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    elif sid == MCCORMICK:
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _mccormick(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    else:  # TWO_MINIMA
        for j in range(n):
            x, y = X[j], Y[j]
            f, gx, gy = _two_minima(x, y, c0, c1, c2)
            NL[j], NGX[j], NGY[j] = f, gx, gy
            NS2[j], bad, conv = _judge(f, gx, gy, x, y, AL[j], UC[j], bound, cx, cy, rx, ry, s2_tol)
            nbad += bad
            nconv += conv
    return nbad, nconv


@njit(**JIT)
def hessian_pass(sid, c, X, Y, n, HXX, HXY, HYY):
    """The Hessian's entries at (X[j], Y[j]), j < n (Newton's method only)."""
    for j in range(n):
        x, y = X[j], Y[j]
        if sid == BOWL:
            hxx, hxy, hyy = 2.0, 0.0, 2.0
        elif sid == ROSENBROCK:
            a, b = c[0], c[1]
            hxx = 2.0 - 4.0 * b * (y - x * x) + 8.0 * b * x * x
            hxy = -4.0 * b * x
            hyy = 2.0 * b + 0.0 * x
        elif sid == SADDLE:
            hxx, hxy, hyy = 2.0, 0.0, -2.0
        elif sid == RAVINE:
            hxx, hxy, hyy = 2.0 * c[0], 0.0, 2.0 * c[1]
        elif sid == QUADRATIC:
            hxx, hxy, hyy = c[0], c[1], c[2]
        elif sid == HIMMELBLAU:
            u = x * x + y - 11.0
            v = x + y * y - 7.0
            hxx = 4.0 * u + 8.0 * x * x + 2.0
            hxy = 4.0 * (x + y)
            hyy = 4.0 * v + 8.0 * y * y + 2.0
        elif sid == BEALE:
            y2 = y * y
            y3 = y2 * y
            r1, r2, r3 = 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3
            a1, a2, a3 = y - 1.0, y2 - 1.0, y3 - 1.0
            b1, b2, b3 = x, 2.0 * x * y, 3.0 * x * y2
            hxx = 2.0 * (a1 * a1 + a2 * a2 + a3 * a3)
            hxy = 2.0 * (a1 * b1 + a2 * b2 + a3 * b3 + r1 + 2.0 * r2 * y + 3.0 * r3 * y2)
            hyy = 2.0 * (b1 * b1 + b2 * b2 + b3 * b3 + 2.0 * r2 * x + 6.0 * r3 * x * y)
        elif sid == BOOTH:
            hxx, hxy, hyy = 10.0, 8.0, 10.0
        elif sid == RASTRIGIN:
            k = 4.0 * PI * PI * c[0]
            hxx = 2.0 + k * math.cos(2.0 * PI * x)
            hxy = 0.0 * x
            hyy = 2.0 + k * math.cos(2.0 * PI * y)
        elif sid == ACKLEY:
            a, b, cc = c[0], c[1], c[2]
            kg = a * b / SQRT2
            rr = np.hypot(x, y)
            if rr > 0.0:
                safe = rr
            else:
                safe = 1.0
            e1 = math.exp(-b * rr / SQRT2)
            k = kg * e1 / _max(safe, TINY) if rr > 0.0 else 0.0
            nx, ny = x / safe, y / safe
            q = k * (1.0 + b * rr / SQRT2)
            e2 = math.exp(0.5 * (math.cos(cc * x) + math.cos(cc * y)))
            sx, sy = math.sin(cc * x), math.sin(cc * y)
            c2 = cc * cc * e2
            hxx = k - q * nx * nx + c2 * (0.5 * math.cos(cc * x) - 0.25 * sx * sx)
            hyy = k - q * ny * ny + c2 * (0.5 * math.cos(cc * y) - 0.25 * sy * sy)
            hxy = -q * nx * ny - 0.25 * c2 * sx * sy
        elif sid == GOLDSTEIN_PRICE:
            u = x + y + 1.0
            P = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
            v = 2.0 * x - 3.0 * y
            Q = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
            A = 1.0 + u * u * P
            B = 30.0 + v * v * Q
            Pd = -14.0 + 6.0 * x + 6.0 * y
            Qx = -32.0 + 24.0 * x - 36.0 * y
            Qy = 48.0 - 36.0 * x + 54.0 * y
            Ax = 2.0 * u * P + u * u * Pd
            Bx = 4.0 * v * Q + v * v * Qx
            By = -6.0 * v * Q + v * v * Qy
            Aij = 2.0 * P + 4.0 * u * Pd + 6.0 * u * u
            Bxx = 8.0 * Q + 8.0 * v * Qx + 24.0 * v * v
            Bxy = -12.0 * Q + 2.0 * v * (2.0 * Qy - 3.0 * Qx) - 36.0 * v * v
            Byy = 18.0 * Q - 12.0 * v * Qy + 54.0 * v * v
            hxx = Aij * B + 2.0 * Ax * Bx + A * Bxx
            hxy = Aij * B + Ax * By + Ax * Bx + A * Bxy
            hyy = Aij * B + 2.0 * Ax * By + A * Byy
        elif sid == SIX_HUMP_CAMEL:
            x2 = x * x
            hxx = 8.0 - 25.2 * x2 + 10.0 * x2 * x2
            hxy = 1.0 + 0.0 * x
            hyy = -8.0 + 48.0 * y * y
        elif sid == STYBLINSKI_TANG:
            hxx = 6.0 * x * x - 16.0
            hxy = 0.0 * x
            hyy = 6.0 * y * y - 16.0
        elif sid == MCCORMICK:
            sn = math.sin(x + y)
            hxx, hxy, hyy = 2.0 - sn, -2.0 - sn, 2.0 - sn
        else:  # TWO_MINIMA
            hxx = 12.0 * x * x - 4.0
            hxy = 0.0 * x
            hyy = 2.0 + 0.0 * x
        HXX[j], HXY[j], HYY[j] = hxx, hxy, hyy


# ----------------------------------------------------------------------------- optimizers
# One pass per optimizer over a block: the gradient seen (GSX, GSY) and the state
# S[:, :, b0:b0+n] give the new points (NX, NY). H rows and F flags: engine.compiled.

@njit(**JIT)
def _pow_row(v, t, n, uniform, out):
    """out[j] = v[j] ** t as the NumPy engine evaluates it: a hyperparameter
    shared by the batch is a Python float (libm's pow); per-trajectory values are
    a NumPy array, whose ``** 2`` is a square (not pow, which may differ in the
    last bit)."""
    if uniform:
        p = math.pow(v[0], t)
        for j in range(n):
            out[j] = p
    elif t == 2.0:
        for j in range(n):
            out[j] = v[j] * v[j]
    else:
        for j in range(n):
            out[j] = math.pow(v[j], t)


# One coordinate of one trajectory: (parameter, gradient seen, state...) -> (new parameter, state...)

@njit(**JIT)
def _sgd1(p, g, buf, lr, mu, keep, wd, has_wd, heavy, first, nesterov):
    if has_wd:
        g = g + wd * p
    if not heavy:
        return p - lr * g, buf
    buf = g if first else mu * buf + keep * g
    step = g + mu * buf if nesterov else buf
    return p - lr * step, buf


@njit(**JIT)
def _textbook1(p, g, v, lr, mu, wd, has_wd):
    if has_wd:
        g = g + wd * (p + mu * v)
    v = mu * v - lr * g
    return p + v, v


@njit(**JIT)
def _adagrad1(p, g, s, clr, eps, wd, has_wd):
    if has_wd:
        g = g + wd * p
    s = s + g * g
    return p - clr * g / (math.sqrt(s) + eps), s


@njit(**JIT)
def _rmsprop1(p, g, sq, ga, buf, lr, a, w, eps, wd, mu, has_wd, heavy, centered):
    if has_wd:
        g = g + wd * p
    sq = sq * a + w * g * g
    if centered:
        ga = _lerp(ga, g, w)
        avg = math.sqrt(sq - ga * ga) + eps
    else:
        avg = math.sqrt(sq) + eps
    if heavy:
        buf = buf * mu + g / avg
        new = p - lr * buf if mu != 0.0 else p - lr * g / avg
    else:
        new = p - lr * g / avg
    return new, sq, ga, buf


@njit(**JIT)
def _adadelta1(p, g, sq, acc, lr, r, w, eps, wd, has_wd):
    if has_wd:
        g = g + wd * p
    sq = sq * r + w * g * g
    delta = math.sqrt(acc + eps) / math.sqrt(sq + eps) * g
    acc = acc * r + w * delta * delta
    return p - lr * delta, sq, acc


@njit(**JIT)
def _decay(p, g, lr, wd, has_wd, decoupled):
    """decay_params_or_grad: θ(1 − γλ) or g + λθ."""
    if has_wd:
        if decoupled:
            return p * (1.0 - lr * wd), g
        return p, g + wd * p
    return p, g


@njit(**JIT)
def _adam1(p, g, m, v, vmax, lr, step_size, bc2_sqrt, w1, b2, w2, eps, wd, has_wd, decoupled, amsgrad):
    p, g = _decay(p, g, lr, wd, has_wd, decoupled)
    m = _lerp(m, g, w1)
    v = v * b2 + w2 * g * g
    if amsgrad:
        vmax = _max(vmax, v)
        denom = math.sqrt(vmax) / bc2_sqrt + eps
    else:
        denom = math.sqrt(v) / bc2_sqrt + eps
    return p - step_size * m / denom, m, v, vmax


@njit(**JIT)
def _adamax1(p, g, m, u, clr, w1, b2, eps, wd, has_wd):
    if has_wd:
        g = g + wd * p
    m = _lerp(m, g, w1)
    u = _max(u * b2, abs(g) + eps)
    return p - clr * m / u, m, u


@njit(**JIT)
def _nadam1(p, g, m, v, lr, bc2, c1, c2, w1, b2, w2, eps, wd, has_wd, decoupled):
    p, g = _decay(p, g, lr, wd, has_wd, decoupled)
    m = _lerp(m, g, w1)
    v = v * b2 + w2 * g * g
    denom = math.sqrt(v / bc2) + eps
    new = p + c1 * g / denom
    return new + c2 * m / denom, m, v


@njit(**JIT)
def _radam1(p, g, m, v, lr, bc1, sb, rect, on, w1, b2, w2, eps, wd, has_wd, decoupled):
    p, g = _decay(p, g, lr, wd, has_wd, decoupled)
    m = _lerp(m, g, w1)
    v = v * b2 + w2 * g * g
    step = m / bc1 * lr
    if on:
        return p - step * (sb / (math.sqrt(v) + eps)) * rect, m, v
    return p - step, m, v


@njit(**JIT)
def _lion1(p, g, m, lr, b1, w1, b2, w2, wd, has_wd):
    if has_wd:
        p = p * (1.0 - lr * wd)
    return p - lr * _sign(m * b1 + g * w1), m * b2 + g * w2


@njit(**JIT)
def _pow1(v, t, uniform):
    """One element of ``_pow_row``."""
    if uniform:
        return math.pow(v, t)
    if t == 2.0:
        return v * v
    return math.pow(v, t)


@njit(**JIT)
def _kept(live, nx, ny, x, y):
    """The new point; a stopped trajectory stays where it stopped."""
    return (nx if live else x), (ny if live else y)


# One trajectory of a block, both coordinates: (point, gradient seen, state, settings) ->
# (new point, state). Scalars in, scalars out: the pass's loops do every load and store
# (an array passed to a call would cost a reference count update per element and stop
# LLVM from vectorizing the loop). Each pass calls them in one of two loops: with the
# batch's shared rate and hyperparameters as scalars (``uni``: every H row is one value
# and one rate), or with row j of each (per-trajectory values or rates). Shared scalars
# keep a loop's memory streams few, so it vectorizes and the block stays in cache.

@njit(**JIT)
def _gd_j(x, y, gx, gy, lr, wd, has_wd):
    if has_wd:
        gx = gx + wd * x
        gy = gy + wd * y
    return x - lr * gx, y - lr * gy


@njit(**JIT)
def _sgd_j(x, y, gx, gy, bx, by, lr, mu, keep, wd, has_wd, heavy, first, nesterov):
    nx, bx = _sgd1(x, gx, bx, lr, mu, keep, wd, has_wd, heavy, first, nesterov)
    ny, by = _sgd1(y, gy, by, lr, mu, keep, wd, has_wd, heavy, first, nesterov)
    return nx, ny, bx, by


@njit(**JIT)
def _textbook_j(x, y, gx, gy, vx, vy, lr, mu, wd, has_wd):
    nx, vx = _textbook1(x, gx, vx, lr, mu, wd, has_wd)
    ny, vy = _textbook1(y, gy, vy, lr, mu, wd, has_wd)
    return nx, ny, vx, vy


@njit(**JIT)
def _adagrad_j(x, y, gx, gy, sx, sy, clr, eps, wd, has_wd):
    nx, sx = _adagrad1(x, gx, sx, clr, eps, wd, has_wd)
    ny, sy = _adagrad1(y, gy, sy, clr, eps, wd, has_wd)
    return nx, ny, sx, sy


@njit(**JIT)
def _rmsprop_j(x, y, gx, gy, qx, qy, ax, ay, bx, by, lr, a, eps, wd, mu, has_wd, heavy, centered):
    w = 1.0 - a
    nx, qx, ax, bx = _rmsprop1(x, gx, qx, ax, bx, lr, a, w, eps, wd, mu, has_wd, heavy, centered)
    ny, qy, ay, by = _rmsprop1(y, gy, qy, ay, by, lr, a, w, eps, wd, mu, has_wd, heavy, centered)
    return nx, ny, qx, qy, ax, ay, bx, by


@njit(**JIT)
def _adadelta_j(x, y, gx, gy, qx, qy, ax, ay, lr, r, eps, wd, has_wd):
    w = 1.0 - r
    nx, qx, ax = _adadelta1(x, gx, qx, ax, lr, r, w, eps, wd, has_wd)
    ny, qy, ay = _adadelta1(y, gy, qy, ay, lr, r, w, eps, wd, has_wd)
    return nx, ny, qx, qy, ax, ay


@njit(**JIT)
def _adam_j(x, y, gx, gy, mx, my, vx, vy, lr, step_size, bc2_sqrt, b1, b2, eps, wd, has_wd, decoupled):
    w1, w2 = 1.0 - b1, 1.0 - b2
    nx, mx, vx, _ = _adam1(x, gx, mx, vx, 0.0, lr, step_size, bc2_sqrt, w1, b2, w2, eps, wd, has_wd,
                           decoupled, False)
    ny, my, vy, _ = _adam1(y, gy, my, vy, 0.0, lr, step_size, bc2_sqrt, w1, b2, w2, eps, wd, has_wd,
                           decoupled, False)
    return nx, ny, mx, my, vx, vy


@njit(**JIT)
def _amsgrad_j(x, y, gx, gy, mx, my, vx, vy, ux, uy, lr, step_size, bc2_sqrt, b1, b2, eps, wd, has_wd,
               decoupled):
    w1, w2 = 1.0 - b1, 1.0 - b2
    nx, mx, vx, ux = _adam1(x, gx, mx, vx, ux, lr, step_size, bc2_sqrt, w1, b2, w2, eps, wd, has_wd,
                            decoupled, True)
    ny, my, vy, uy = _adam1(y, gy, my, vy, uy, lr, step_size, bc2_sqrt, w1, b2, w2, eps, wd, has_wd,
                            decoupled, True)
    return nx, ny, mx, my, vx, vy, ux, uy


@njit(**JIT)
def _adamax_j(x, y, gx, gy, mx, my, ux, uy, clr, b1, b2, eps, wd, has_wd):
    w1 = 1.0 - b1
    nx, mx, ux = _adamax1(x, gx, mx, ux, clr, w1, b2, eps, wd, has_wd)
    ny, my, uy = _adamax1(y, gy, my, uy, clr, w1, b2, eps, wd, has_wd)
    return nx, ny, mx, my, ux, uy


@njit(**JIT)
def _nadam_j(x, y, gx, gy, mx, my, vx, vy, mu_product, lr, bc2, mu, mu_next, b1, b2, eps, wd, has_wd,
             decoupled):
    mu_product = mu_product * mu
    mu_product_next = mu_product * mu_next
    c1 = -lr * (1.0 - mu) / (1.0 - mu_product)
    c2 = (-lr * mu_next) / (1.0 - mu_product_next)
    w1, w2 = 1.0 - b1, 1.0 - b2
    nx, mx, vx = _nadam1(x, gx, mx, vx, lr, bc2, c1, c2, w1, b2, w2, eps, wd, has_wd, decoupled)
    ny, my, vy = _nadam1(y, gy, my, vy, lr, bc2, c1, c2, w1, b2, w2, eps, wd, has_wd, decoupled)
    return nx, ny, mx, my, vx, vy, mu_product


@njit(**JIT)
def _radam_consts(t2, p1, p2, b2):
    """RAdam's step constants from β₁ᵗ, β₂ᵗ: (bc1, √bc2, rectification, rectified?)."""
    bc1 = 1.0 - p1
    bc2 = 1.0 - p2
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    rho_t = rho_inf - t2 * p2 / bc2
    on = rho_t > 5.0
    rect, sb = 1.0, 1.0
    if on:
        rect = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                         / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
        sb = math.sqrt(bc2)
    return bc1, sb, rect, on


@njit(**JIT)
def _radam_j(x, y, gx, gy, mx, my, vx, vy, lr, bc1, sb, rect, on, b1, b2, eps, wd, has_wd, decoupled):
    w1, w2 = 1.0 - b1, 1.0 - b2
    nx, mx, vx = _radam1(x, gx, mx, vx, lr, bc1, sb, rect, on, w1, b2, w2, eps, wd, has_wd, decoupled)
    ny, my, vy = _radam1(y, gy, my, vy, lr, bc1, sb, rect, on, w1, b2, w2, eps, wd, has_wd, decoupled)
    return nx, ny, mx, my, vx, vy


@njit(**JIT)
def _lion_j(x, y, gx, gy, mx, my, lr, b1, b2, wd, has_wd):
    w1, w2 = 1.0 - b1, 1.0 - b2
    nx, mx = _lion1(x, gx, mx, lr, b1, w1, b2, w2, wd, has_wd)
    ny, my = _lion1(y, gy, my, lr, b1, w1, b2, w2, wd, has_wd)
    return nx, ny, mx, my


@njit(**JIT)
def _newton_j(x, y, gx, gy, a, hxy, c, lr, delta, kappa):
    """optimizers._newton._saddle_free_step, one element at a time."""
    bb = 0.5 * (hxy + hxy)
    half = 0.5 * (a - c)
    mean = 0.5 * (a + c) + delta
    r = math.sqrt(half * half + bb * bb)
    if r == 0.0:
        rr, q = 1.0, 1.0
    else:
        rr = r
        q = abs(half) / rr
    big = math.sqrt(0.5 + 0.5 * q)
    small = bb / (2.0 * big * rr)
    if half >= 0.0:
        cs, sn = big, small
    else:
        cs, sn = abs(small), math.copysign(big, bb)
    p1 = (cs * gx + sn * gy) / _max(abs(mean + r), kappa)
    p2 = (cs * gy - sn * gx) / _max(abs(mean - r), kappa)
    return x - lr * (cs * p1 - sn * p2), y - lr * (sn * p1 + cs * p2)


@njit(**JIT)
def optimizer_pass(oid, t, n, uni, rate, LRV, GSX, GSY, X, Y, h0, h1, h2, h3, h4, F,
                   s0x, s0y, s1x, s1y, s2x, s2y, AL, NX, NY, HXX, HXY, HYY, W1, W2, W3):
    """One step of optimizer ``oid`` for a block of n trajectories: the gradient
    seen (GSX, GSY), the points (X, Y) and the state slots s0…s2 give the new
    points (NX, NY); the state is updated in place. Hyperparameter rows h0…h4 and
    flags F as laid out by engine.compiled._layout. With ``uni`` every row is one
    value and ``rate`` is every trajectory's rate; otherwise LRV[j] is j's rate."""
    tf = float(t)
    if oid == GD:
        has_wd = F[0]
        if uni:
            lr, wd = rate, h0[0]
            for j in range(n):
                nx, ny = _gd_j(X[j], Y[j], GSX[j], GSY[j], lr, wd, has_wd)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
        else:
            for j in range(n):
                nx, ny = _gd_j(X[j], Y[j], GSX[j], GSY[j], LRV[j], h0[j], has_wd)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
    elif oid == MOMENTUM or oid == NESTEROV:
        has_wd, heavy = F[0], F[1]
        nesterov = oid == NESTEROV
        first = t == 1
        if uni:
            lr, mu, keep, wd = rate, h0[0], h1[0], h2[0]
            for j in range(n):
                nx, ny, s0x[j], s0y[j] = _sgd_j(X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], lr, mu, keep, wd,
                                                has_wd, heavy, first, nesterov)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
        else:
            for j in range(n):
                nx, ny, s0x[j], s0y[j] = _sgd_j(X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], LRV[j], h0[j], h1[j],
                                                h2[j], has_wd, heavy, first, nesterov)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
    elif oid == NESTEROV_TEXTBOOK:
        has_wd = F[0]
        if uni:
            lr, mu, wd = rate, h0[0], h1[0]
            for j in range(n):
                nx, ny, s0x[j], s0y[j] = _textbook_j(X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], lr, mu, wd,
                                                     has_wd)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
        else:
            for j in range(n):
                nx, ny, s0x[j], s0y[j] = _textbook_j(X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], LRV[j], h0[j],
                                                     h1[j], has_wd)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
    elif oid == ADAGRAD:
        has_wd = F[0]
        tm1 = float(t - 1)
        if uni:
            clr, wd, eps = rate / (1.0 + tm1 * h0[0]), h1[0], h3[0]
            for j in range(n):
                nx, ny, s0x[j], s0y[j] = _adagrad_j(X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], clr, eps, wd,
                                                    has_wd)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
        else:
            for j in range(n):
                nx, ny, s0x[j], s0y[j] = _adagrad_j(X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j],
                                                    LRV[j] / (1.0 + tm1 * h0[j]), h3[j], h1[j], has_wd)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
    elif oid == RMSPROP:
        has_wd, heavy, centered = F[0], F[1], F[2]
        if uni:
            lr, a, eps, wd, mu = rate, h0[0], h1[0], h2[0], h3[0]
            for j in range(n):
                nx, ny, s0x[j], s0y[j], s1x[j], s1y[j], s2x[j], s2y[j] = _rmsprop_j(
                    X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], s1x[j], s1y[j], s2x[j], s2y[j],
                    lr, a, eps, wd, mu, has_wd, heavy, centered)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
        else:
            for j in range(n):
                nx, ny, s0x[j], s0y[j], s1x[j], s1y[j], s2x[j], s2y[j] = _rmsprop_j(
                    X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], s1x[j], s1y[j], s2x[j], s2y[j],
                    LRV[j], h0[j], h1[j], h2[j], h3[j], has_wd, heavy, centered)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
    elif oid == ADADELTA:
        has_wd = F[0]
        if uni:
            lr, r, eps, wd = rate, h0[0], h1[0], h2[0]
            for j in range(n):
                nx, ny, s0x[j], s0y[j], s1x[j], s1y[j] = _adadelta_j(
                    X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], s1x[j], s1y[j], lr, r, eps, wd, has_wd)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
        else:
            for j in range(n):
                nx, ny, s0x[j], s0y[j], s1x[j], s1y[j] = _adadelta_j(
                    X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], s1x[j], s1y[j], LRV[j], h0[j], h1[j], h2[j],
                    has_wd)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
    elif oid == ADAM:
        has_wd, decoupled, amsgrad = F[0], F[1], F[2]
        if not uni:
            _pow_row(h0, tf, n, F[3], W1)
            _pow_row(h1, tf, n, F[4], W2)
            for j in range(n):
                W1[j] = LRV[j] / (1.0 - W1[j])
                W2[j] = math.sqrt(1.0 - W2[j])
        if uni:  # the step's constants once
            lr, b1, b2, eps, wd = rate, h0[0], h1[0], h2[0], h3[0]
            step_size = lr / (1.0 - _pow1(b1, tf, F[3]))
            bc2_sqrt = math.sqrt(1.0 - _pow1(b2, tf, F[4]))
            if amsgrad:
                for j in range(n):
                    nx, ny, s0x[j], s0y[j], s1x[j], s1y[j], s2x[j], s2y[j] = _amsgrad_j(
                        X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], s1x[j], s1y[j], s2x[j], s2y[j],
                        lr, step_size, bc2_sqrt, b1, b2, eps, wd, has_wd, decoupled)
                    NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
            else:
                for j in range(n):
                    nx, ny, s0x[j], s0y[j], s1x[j], s1y[j] = _adam_j(
                        X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], s1x[j], s1y[j],
                        lr, step_size, bc2_sqrt, b1, b2, eps, wd, has_wd, decoupled)
                    NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
        elif amsgrad:
            for j in range(n):
                nx, ny, s0x[j], s0y[j], s1x[j], s1y[j], s2x[j], s2y[j] = _amsgrad_j(
                    X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], s1x[j], s1y[j], s2x[j], s2y[j],
                    LRV[j], W1[j], W2[j], h0[j], h1[j], h2[j], h3[j], has_wd, decoupled)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
        else:
            for j in range(n):
                nx, ny, s0x[j], s0y[j], s1x[j], s1y[j] = _adam_j(
                    X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], s1x[j], s1y[j],
                    LRV[j], W1[j], W2[j], h0[j], h1[j], h2[j], h3[j], has_wd, decoupled)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
    elif oid == ADAMAX:
        has_wd = F[0]
        if uni:
            b1, b2, eps, wd = h0[0], h1[0], h2[0], h3[0]
            clr = rate / (1.0 - _pow1(b1, tf, F[1]))
            for j in range(n):
                nx, ny, s0x[j], s0y[j], s1x[j], s1y[j] = _adamax_j(
                    X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], s1x[j], s1y[j], clr, b1, b2, eps, wd, has_wd)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
        else:
            _pow_row(h0, tf, n, F[1], W1)
            for j in range(n):
                nx, ny, s0x[j], s0y[j], s1x[j], s1y[j] = _adamax_j(
                    X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], s1x[j], s1y[j],
                    LRV[j] / (1.0 - W1[j]), h0[j], h1[j], h2[j], h3[j], has_wd)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
    elif oid == NADAM:  # s2: mu_product (the same in both coordinates)
        has_wd, decoupled = F[0], F[1]
        t1 = float(t + 1)
        if uni:  # the momentum schedule once
            lr, b1, b2, eps, wd, psi = rate, h0[0], h1[0], h2[0], h3[0], h4[0]
            bc2 = 1.0 - _pow1(b2, tf, F[2])
            mu = b1 * (1.0 - 0.5 * math.pow(0.96, tf * psi))
            mu_next = b1 * (1.0 - 0.5 * math.pow(0.96, t1 * psi))
            for j in range(n):
                nx, ny, s0x[j], s0y[j], s1x[j], s1y[j], s2x[j] = _nadam_j(
                    X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], s1x[j], s1y[j], s2x[j],
                    lr, bc2, mu, mu_next, b1, b2, eps, wd, has_wd, decoupled)
                s2y[j] = s2x[j]
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
        else:
            _pow_row(h1, tf, n, F[2], W1)
            for j in range(n):  # the momentum schedule: one pow per trajectory unless all agree
                if F[3] and j > 0:
                    W2[j], W3[j] = W2[0], W3[0]
                else:
                    W2[j] = h0[j] * (1.0 - 0.5 * math.pow(0.96, tf * h4[j]))
                    W3[j] = h0[j] * (1.0 - 0.5 * math.pow(0.96, t1 * h4[j]))
            for j in range(n):
                nx, ny, s0x[j], s0y[j], s1x[j], s1y[j], s2x[j] = _nadam_j(
                    X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], s1x[j], s1y[j], s2x[j],
                    LRV[j], 1.0 - W1[j], W2[j], W3[j], h0[j], h1[j], h2[j], h3[j], has_wd, decoupled)
                s2y[j] = s2x[j]
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
    elif oid == RADAM:
        has_wd, decoupled = F[0], F[1]
        t2 = float(2 * t)
        if uni:
            lr, b1, b2, eps, wd = rate, h0[0], h1[0], h2[0], h3[0]
            bc1, sb, rect, on = _radam_consts(t2, _pow1(b1, tf, F[2]), _pow1(b2, tf, F[3]), b2)
            for j in range(n):
                nx, ny, s0x[j], s0y[j], s1x[j], s1y[j] = _radam_j(
                    X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], s1x[j], s1y[j],
                    lr, bc1, sb, rect, on, b1, b2, eps, wd, has_wd, decoupled)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
        else:
            _pow_row(h0, tf, n, F[2], W1)
            _pow_row(h1, tf, n, F[3], W2)
            for j in range(n):
                bc1, sb, rect, on = _radam_consts(t2, W1[j], W2[j], h1[j])
                nx, ny, s0x[j], s0y[j], s1x[j], s1y[j] = _radam_j(
                    X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], s1x[j], s1y[j],
                    LRV[j], bc1, sb, rect, on, h0[j], h1[j], h2[j], h3[j], has_wd, decoupled)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
    elif oid == LION:
        has_wd = F[0]
        if uni:
            lr, b1, b2, wd = rate, h0[0], h1[0], h2[0]
            for j in range(n):
                nx, ny, s0x[j], s0y[j] = _lion_j(X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], lr, b1, b2, wd,
                                                 has_wd)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
        else:
            for j in range(n):
                nx, ny, s0x[j], s0y[j] = _lion_j(X[j], Y[j], GSX[j], GSY[j], s0x[j], s0y[j], LRV[j], h0[j],
                                                 h1[j], h2[j], has_wd)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
    else:  # NEWTON
        if uni:
            lr, delta, kappa = rate, h0[0], h1[0]
            for j in range(n):
                nx, ny = _newton_j(X[j], Y[j], GSX[j], GSY[j], HXX[j], HXY[j], HYY[j], lr, delta, kappa)
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])
        else:
            for j in range(n):
                nx, ny = _newton_j(X[j], Y[j], GSX[j], GSY[j], HXX[j], HXY[j], HYY[j], LRV[j], h0[j], h1[j])
                NX[j], NY[j] = _kept(AL[j], nx, ny, X[j], Y[j])


# ----------------------------------------------------------------------------- the loop

@njit(**JIT)
def advance(oid, sid, c, H, F, t0, nsteps, LR, NZ, sigma,
            X, Y, L, GX, GY, GN, S, start_loss,
            alive, unconv, status, conv_at, stopped_at, stop_info,
            bound, cx, cy, rx, ry, s2_tol,
            rec_index, rec_pos, rec_loss, rec_gn,
            record_state, rec_g, rec_u, rec_s, block):
    """Steps t0 + 1 … t0 + nsteps of every trajectory, a block of ``block``
    trajectories at a time (all steps of one block, then the next).

    ``LR[k]`` is the rate of step t0 + 1 + k (one column: the same for all; one
    row: the same every step); ``NZ[k, 0 or 1]`` the standard normal draws of
    that step when ``sigma`` > 0. ``X, Y, L, GX, GY, GN`` hold each
    trajectory's current point, loss, exact gradient and its norm and are
    advanced in place, as are the state ``S[2 slot + coordinate]`` and the stop
    bookkeeping (``stop_info[b]``: loss, gradient norm, x, y at the stop, and 1
    if outside the box). H has 5 rows, S 6 (unused ones are ignored); F[6] says
    every H row is one value. ``s2_tol``: the convergence test's bound on the
    squared gradient norm (engine.compiled.squared_tolerance).

    A step is two passes over the block: the optimizer's update, then the surface
    at the new points with the stop and convergence tests; the norm's square root
    is taken only where a norm is kept (a recorded row, a stop, the end).
    Inner loops index block views from 0 (an offset index would cost a
    negative-index check per access and block vectorization).
    """
    B = X.shape[0]
    m = min(block, B)
    LRV = np.empty(m)
    GSX, GSY = np.empty(m), np.empty(m)
    AX, AY = np.empty(m), np.empty(m)
    HXX, HXY, HYY = np.empty(m), np.empty(m), np.empty(m)
    W1, W2, W3, SCR, SCR2 = np.empty(m), np.empty(m), np.empty(m), np.empty(m), np.empty(m)
    # the block's current and next values (swapped every step) and its state, as local arrays;
    # CS2, NS2: squared gradient norms
    CX, CY, CL, CGX, CGY, CS2 = np.empty(m), np.empty(m), np.empty(m), np.empty(m), np.empty(m), np.empty(m)
    NX, NY, NL, NGX, NGY, NS2 = np.empty(m), np.empty(m), np.empty(m), np.empty(m), np.empty(m), np.empty(m)
    Hb = np.empty((5, m))
    Sb = np.empty((6, m))
    AL = np.empty(m, dtype=np.bool_)
    UC = np.empty(m, dtype=np.bool_)
    wide = LR.shape[1] > 1
    uni = F[6] != 0 and not wide
    noisy = sigma != 0.0
    lookahead = oid == NESTEROV_TEXTBOOK
    stops = 0
    for b0 in range(0, B, m):
        n = min(m, B - b0)
        b1 = b0 + n
        CX[:n], CY[:n], CL[:n] = X[b0:b1], Y[b0:b1], L[b0:b1]
        CGX[:n], CGY[:n] = GX[b0:b1], GY[b0:b1]
        for j in range(n):
            CS2[j] = CGX[j] * CGX[j] + CGY[j] * CGY[j]
        Hb[:, :n] = H[:, b0:b1]
        Sb[:, :n] = S[:, b0:b1]
        AL[:n], UC[:n] = alive[b0:b1], unconv[b0:b1]
        h0, h1, h2, h3, h4 = Hb[0], Hb[1], Hb[2], Hb[3], Hb[4]
        s0x, s0y, s1x, s1y, s2x, s2y = Sb[0], Sb[1], Sb[2], Sb[3], Sb[4], Sb[5]
        for k in range(nsteps):
            t = t0 + 1 + k
            kk = k if LR.shape[0] > 1 else 0  # one row: the same rates every step
            rate = LR[kk, 0]
            if wide:
                lrow = LR[kk, b0:b1]
                for j in range(n):
                    LRV[j] = lrow[j]
            elif not uni:
                for j in range(n):
                    LRV[j] = rate
            # the gradient the optimizer sees
            gsx, gsy = CGX, CGY
            if lookahead:
                for j in range(n):
                    AX[j] = CX[j] + h0[j] * s0x[j]
                    AY[j] = CY[j] + h0[j] * s0y[j]
                surface_pass(sid, c, AX, AY, n, AL, UC, SCR, GSX, GSY, SCR2, bound, cx, cy, rx, ry, s2_tol)
                gsx, gsy = GSX, GSY
            if noisy:
                zx, zy = NZ[k, 0, b0:b1], NZ[k, 1, b0:b1]
                for j in range(n):
                    GSX[j] = gsx[j] + sigma * zx[j]
                for j in range(n):
                    GSY[j] = gsy[j] + sigma * zy[j]
                gsx, gsy = GSX, GSY
            if oid == NEWTON:
                hessian_pass(sid, c, CX, CY, n, HXX, HXY, HYY)
            optimizer_pass(oid, t, n, uni, rate, LRV, gsx, gsy, CX, CY, h0, h1, h2, h3, h4, F,
                           s0x, s0y, s1x, s1y, s2x, s2y, AL, NX, NY, HXX, HXY, HYY, W1, W2, W3)
            if record_state:
                for j in range(n):
                    b = b0 + j
                    rec_g[t - 1, b, 0] = gsx[j]
                    rec_g[t - 1, b, 1] = gsy[j]
                    rec_u[t - 1, b, 0] = NX[j] - CX[j]
                    rec_u[t - 1, b, 1] = NY[j] - CY[j]
                    for s in range(rec_s.shape[1]):
                        rec_s[t - 1, s, b, 0] = Sb[2 * s, j]
                        rec_s[t - 1, s, b, 1] = Sb[2 * s + 1, j]
            # the surface at the new points, the stop rule and the convergence test
            nbad, nconv = surface_pass(sid, c, NX, NY, n, AL, UC, NL, NGX, NGY, NS2, bound, cx, cy, rx, ry,
                                       s2_tol)
            if nbad:  # rare: the trajectories that stop at this step
                for j in range(n):
                    ok = (NL[j] <= bound) and (abs(NX[j] - cx) <= rx) and (abs(NY[j] - cy) <= ry)
                    if AL[j] and not ok:
                        b = b0 + j
                        off = not ((abs(NX[j] - cx) <= rx) and (abs(NY[j] - cy) <= ry))
                        stop_info[b, 0], stop_info[b, 1] = NL[j], math.sqrt(NS2[j])
                        stop_info[b, 2], stop_info[b, 3] = NX[j], NY[j]
                        stop_info[b, 4] = 1.0 if off else 0.0
                        escaped = off and NL[j] < start_loss[b] and math.isfinite(NL[j])
                        status[b] = 3 if escaped else 2
                        stopped_at[b] = t
                        AL[j] = False
                        # it stays where it was, with the values it had
                        NX[j], NY[j], NL[j] = CX[j], CY[j], CL[j]
                        NGX[j], NGY[j], NS2[j] = CGX[j], CGY[j], CS2[j]
                        stops += 1
            if nconv:  # rare: the first step below the tolerance
                for j in range(n):
                    if NS2[j] < s2_tol and UC[j]:
                        UC[j] = False
                        conv_at[b0 + j] = t
                        status[b0 + j] = 1
            # the next values become the current ones
            CX, NX = NX, CX
            CY, NY = NY, CY
            CL, NL = NL, CL
            CGX, NGX = NGX, CGX
            CGY, NGY = NGY, CGY
            CS2, NS2 = NS2, CS2
            r = rec_index[t]
            if r >= 0:
                for j in range(n):
                    b = b0 + j
                    rec_pos[r, b, 0] = CX[j]
                    rec_pos[r, b, 1] = CY[j]
                    rec_loss[r, b] = CL[j]
                    rec_gn[r, b] = math.sqrt(CS2[j])
        X[b0:b1], Y[b0:b1], L[b0:b1] = CX[:n], CY[:n], CL[:n]
        GX[b0:b1], GY[b0:b1] = CGX[:n], CGY[:n]
        for j in range(n):
            GN[b0 + j] = math.sqrt(CS2[j])
        S[:, b0:b1] = Sb[:, :n]
        alive[b0:b1], unconv[b0:b1] = AL[:n], UC[:n]
    return stops
