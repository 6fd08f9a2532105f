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
batch-level flags ``F``. Each step runs a few passes over a block of
trajectories small enough for the CPU cache: the gradient the optimizer sees,
the update, the surface at the new points, then the stop rule and bookkeeping.
Surfaces and optimizers are dispatched by integer codes outside the inner
loops, so every inner loop is one surface's or one optimizer's arithmetic.
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
# One pass per surface: f, gradient (and |gradient|) at every point of a block.

@njit(**JIT)
def surface_pass(sid, c, X, Y, n, FL, GX, GY):
    """f and its gradient at (X[j], Y[j]), j < n, into FL, GX, GY."""
    if sid == BOWL:
        for j in range(n):
            x, y = X[j], Y[j]
            FL[j] = x * x + y * y
            GX[j] = 2.0 * x
            GY[j] = 2.0 * y
    elif sid == ROSENBROCK:
        a, b = c[0], c[1]
        b4, b2 = 4.0 * b, 2.0 * b
        for j in range(n):
            x, y = X[j], Y[j]
            d = a - x
            r = y - x * x
            FL[j] = d * d + b * (r * r)
            GX[j] = -2.0 * d - b4 * x * r
            GY[j] = b2 * r
    elif sid == SADDLE:
        for j in range(n):
            x, y = X[j], Y[j]
            FL[j] = x * x - y * y
            GX[j] = 2.0 * x
            GY[j] = -2.0 * y
    elif sid == RAVINE:
        a, b = c[0], c[1]
        a2, b2 = 2.0 * a, 2.0 * b
        for j in range(n):
            x, y = X[j], Y[j]
            FL[j] = a * x * x + b * y * y
            GX[j] = a2 * x
            GY[j] = b2 * y
    elif sid == QUADRATIC:
        axx, axy, ayy = c[0], c[1], c[2]
        axy2 = 2.0 * axy
        for j in range(n):
            x, y = X[j], Y[j]
            FL[j] = 0.5 * (axx * x * x + axy2 * x * y + ayy * y * y)
            GX[j] = axx * x + axy * y
            GY[j] = axy * x + ayy * y
    elif sid == HIMMELBLAU:
        for j in range(n):
            x, y = X[j], Y[j]
            u = x * x + y - 11.0
            v = x + y * y - 7.0
            FL[j] = u * u + v * v
            GX[j] = 4.0 * x * u + 2.0 * v
            GY[j] = 2.0 * u + 4.0 * y * v
    elif sid == BEALE:
        for j in range(n):
            x, y = X[j], Y[j]
            y2 = y * y
            r1 = 1.5 - x + x * y
            r2 = 2.25 - x + x * y2
            r3f = 2.625 - x + x * y2 * y
            FL[j] = r1 * r1 + r2 * r2 + r3f * r3f
            y3 = y2 * y
            r3 = 2.625 - x + x * y3
            GX[j] = 2.0 * (r1 * (y - 1.0) + r2 * (y2 - 1.0) + r3 * (y3 - 1.0))
            GY[j] = 2.0 * x * (r1 + 2.0 * r2 * y + 3.0 * r3 * y2)
    elif sid == BOOTH:
        for j in range(n):
            x, y = X[j], Y[j]
            u = x + 2.0 * y - 7.0
            v = 2.0 * x + y - 5.0
            FL[j] = u * u + v * v
            GX[j] = 2.0 * u + 4.0 * v
            GY[j] = 4.0 * u + 2.0 * v
    elif sid == RASTRIGIN:
        A = c[0]
        A2 = 2.0 * A
        k = 2.0 * PI * A
        for j in range(n):
            x, y = X[j], Y[j]
            sx, sy = math.sin(PI * x), math.sin(PI * y)
            FL[j] = x * x + y * y + A2 * (sx * sx + sy * sy)
            GX[j] = 2.0 * x + k * math.sin(2.0 * PI * x)
            GY[j] = 2.0 * y + k * math.sin(2.0 * PI * y)
    elif sid == ACKLEY:
        a, b, cc = c[0], c[1], c[2]
        kg = a * b / SQRT2
        na, nb = -a, -b
        hc = 0.5 * cc
        for j in range(n):
            x, y = X[j], Y[j]
            rr = np.hypot(x, y)
            e2 = math.exp(0.5 * (math.cos(cc * x) + math.cos(cc * y)))
            FL[j] = na * math.expm1(nb * rr / SQRT2) + (E - e2)
            e1 = math.exp(nb * rr / SQRT2)
            if rr > 0.0:
                g, safe = kg * e1, rr
            else:
                g, safe = 0.0, 1.0
            GX[j] = g * (x / safe) + hc * math.sin(cc * x) * e2
            GY[j] = g * (y / safe) + hc * math.sin(cc * y) * e2
    elif sid == GOLDSTEIN_PRICE:
        for j in range(n):
            x, y = X[j], Y[j]
            u = x + y + 1.0
            P = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
            v = 2.0 * x - 3.0 * y
            Q = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
            A = 1.0 + u * u * P
            B = 30.0 + v * v * Q
            FL[j] = A * B
            Pd = -14.0 + 6.0 * x + 6.0 * y
            Qx = -32.0 + 24.0 * x - 36.0 * y
            Qy = 48.0 - 36.0 * x + 54.0 * y
            Ax = 2.0 * u * P + u * u * Pd
            Bx = 4.0 * v * Q + v * v * Qx
            By = -6.0 * v * Q + v * v * Qy
            GX[j] = Ax * B + A * Bx
            GY[j] = Ax * B + A * By
    elif sid == SIX_HUMP_CAMEL:
        for j in range(n):
            x, y = X[j], Y[j]
            x2, y2 = x * x, y * y
            FL[j] = (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2
            GX[j] = 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y
            GY[j] = x - 8.0 * y + 16.0 * y * y * y
    elif sid == STYBLINSKI_TANG:
        for j in range(n):
            x, y = X[j], Y[j]
            x2, y2 = x * x, y * y
            FL[j] = 0.5 * (x2 * x2 - 16.0 * x2 + 5.0 * x + y2 * y2 - 16.0 * y2 + 5.0 * y)
            GX[j] = 2.0 * x * x * x - 16.0 * x + 2.5
            GY[j] = 2.0 * y * y * y - 16.0 * y + 2.5
    elif sid == MCCORMICK:
        for j in range(n):
            x, y = X[j], Y[j]
            d = x - y
            FL[j] = math.sin(x + y) + d * d - 1.5 * x + 2.5 * y + 1.0
            cs = math.cos(x + y)
            d2 = 2.0 * d
            GX[j] = cs + d2 - 1.5
            GY[j] = cs - d2 + 2.5
    elif sid == TWO_MINIMA:
        for j in range(n):
            x, y = X[j], Y[j]
            w = x * x - 1.0
            FL[j] = w * w + 0.3 * x + y * y
            GX[j] = 4.0 * x * (x * x - 1.0) + 0.3
            GY[j] = 2.0 * y


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
def optimizer_pass(oid, t, n, LRV, GSX, GSY, X, Y, h0, h1, h2, h3, h4, F,
                   s0x, s0y, s1x, s1y, s2x, s2y, alive, NX, NY, HXX, HXY, HYY, W1, W2, W3):
    """One step of optimizer ``oid`` for a block of n trajectories: the gradient
    seen (GSX, GSY), the points (X, Y) and the state slots s0…s2 give the new
    points (NX, NY); the state is updated in place. Hyperparameter rows h0…h4 and
    flags F as laid out by engine.compiled._layout."""
    tf = float(t)
    if oid == GD:
        has_wd = F[0]
        for j in range(n):
            lr = LRV[j]
            gx, gy = GSX[j], GSY[j]
            if has_wd:
                gx = gx + h0[j] * X[j]
                gy = gy + h0[j] * Y[j]
            nx = X[j] - lr * gx
            ny = Y[j] - lr * gy
            live = alive[j]  # a stopped trajectory stays where it stopped
            NX[j] = nx if live else X[j]
            NY[j] = ny if live else Y[j]
    elif oid == MOMENTUM or oid == NESTEROV:
        has_wd, heavy = F[0], F[1]
        nesterov = oid == NESTEROV
        first = t == 1
        for j in range(n):
            lr, mu, keep, wd = LRV[j], h0[j], h1[j], h2[j]
            nx, s0x[j] = _sgd1(X[j], GSX[j], s0x[j], lr, mu, keep, wd, has_wd, heavy, first, nesterov)
            ny, s0y[j] = _sgd1(Y[j], GSY[j], s0y[j], lr, mu, keep, wd, has_wd, heavy, first, nesterov)
            live = alive[j]  # a stopped trajectory stays where it stopped
            NX[j] = nx if live else X[j]
            NY[j] = ny if live else Y[j]
    elif oid == NESTEROV_TEXTBOOK:
        has_wd = F[0]
        for j in range(n):
            lr, mu, wd = LRV[j], h0[j], h1[j]
            nx, s0x[j] = _textbook1(X[j], GSX[j], s0x[j], lr, mu, wd, has_wd)
            ny, s0y[j] = _textbook1(Y[j], GSY[j], s0y[j], lr, mu, wd, has_wd)
            live = alive[j]  # a stopped trajectory stays where it stopped
            NX[j] = nx if live else X[j]
            NY[j] = ny if live else Y[j]
    elif oid == ADAGRAD:
        has_wd = F[0]
        tm1 = float(t - 1)
        for j in range(n):
            clr = LRV[j] / (1.0 + tm1 * h0[j])
            nx, s0x[j] = _adagrad1(X[j], GSX[j], s0x[j], clr, h3[j], h1[j], has_wd)
            ny, s0y[j] = _adagrad1(Y[j], GSY[j], s0y[j], clr, h3[j], h1[j], has_wd)
            live = alive[j]  # a stopped trajectory stays where it stopped
            NX[j] = nx if live else X[j]
            NY[j] = ny if live else Y[j]
    elif oid == RMSPROP:
        has_wd, heavy, centered = F[0], F[1], F[2]
        for j in range(n):
            lr, a, eps, wd, mu = LRV[j], h0[j], h1[j], h2[j], h3[j]
            w = 1.0 - a
            nx, s0x[j], s1x[j], s2x[j] = _rmsprop1(X[j], GSX[j], s0x[j], s1x[j], s2x[j], lr, a, w, eps, wd,
                                                      mu, has_wd, heavy, centered)
            ny, s0y[j], s1y[j], s2y[j] = _rmsprop1(Y[j], GSY[j], s0y[j], s1y[j], s2y[j], lr, a, w, eps, wd,
                                                      mu, has_wd, heavy, centered)
            live = alive[j]  # a stopped trajectory stays where it stopped
            NX[j] = nx if live else X[j]
            NY[j] = ny if live else Y[j]
    elif oid == ADADELTA:
        has_wd = F[0]
        for j in range(n):
            lr, r, eps, wd = LRV[j], h0[j], h1[j], h2[j]
            w = 1.0 - r
            nx, s0x[j], s1x[j] = _adadelta1(X[j], GSX[j], s0x[j], s1x[j], lr, r, w, eps, wd, has_wd)
            ny, s0y[j], s1y[j] = _adadelta1(Y[j], GSY[j], s0y[j], s1y[j], lr, r, w, eps, wd, has_wd)
            live = alive[j]  # a stopped trajectory stays where it stopped
            NX[j] = nx if live else X[j]
            NY[j] = ny if live else Y[j]
    elif oid == ADAM:
        has_wd, decoupled, amsgrad = F[0], F[1], F[2]
        if F[3] and F[4] and F[5]:  # shared rate and betas: the step's constants once
            step_size, bc2_sqrt = LRV[0] / (1.0 - math.pow(h0[0], tf)), math.sqrt(1.0 - math.pow(h1[0], tf))
            for j in range(n):
                W1[j], W2[j] = step_size, bc2_sqrt
        else:
            _pow_row(h0, tf, n, F[3], W1)
            _pow_row(h1, tf, n, F[4], W2)
            for j in range(n):
                W1[j] = LRV[j] / (1.0 - W1[j])
                W2[j] = math.sqrt(1.0 - W2[j])
        for j in range(n):
            lr, b2, eps, wd = LRV[j], h1[j], h2[j], h3[j]
            step_size, bc2_sqrt = W1[j], W2[j]
            w1, w2 = 1.0 - h0[j], 1.0 - b2
            nx, s0x[j], s1x[j], s2x[j] = _adam1(X[j], GSX[j], s0x[j], s1x[j], s2x[j], lr, step_size,
                                                   bc2_sqrt, w1, b2, w2, eps, wd, has_wd, decoupled, amsgrad)
            ny, s0y[j], s1y[j], s2y[j] = _adam1(Y[j], GSY[j], s0y[j], s1y[j], s2y[j], lr, step_size,
                                                   bc2_sqrt, w1, b2, w2, eps, wd, has_wd, decoupled, amsgrad)
            live = alive[j]  # a stopped trajectory stays where it stopped
            NX[j] = nx if live else X[j]
            NY[j] = ny if live else Y[j]
    elif oid == ADAMAX:
        has_wd = F[0]
        _pow_row(h0, tf, n, F[1], W1)
        for j in range(n):
            clr = LRV[j] / (1.0 - W1[j])
            w1, b2, eps, wd = 1.0 - h0[j], h1[j], h2[j], h3[j]
            nx, s0x[j], s1x[j] = _adamax1(X[j], GSX[j], s0x[j], s1x[j], clr, w1, b2, eps, wd, has_wd)
            ny, s0y[j], s1y[j] = _adamax1(Y[j], GSY[j], s0y[j], s1y[j], clr, w1, b2, eps, wd, has_wd)
            live = alive[j]  # a stopped trajectory stays where it stopped
            NX[j] = nx if live else X[j]
            NY[j] = ny if live else Y[j]
    elif oid == NADAM:
        has_wd, decoupled = F[0], F[1]
        _pow_row(h1, tf, n, F[2], W1)
        t1 = float(t + 1)
        for j in range(n):  # the momentum schedule: one pow per trajectory unless all agree
            if F[3] and j > 0:
                W2[j], W3[j] = W2[0], W3[0]
            else:
                W2[j] = h0[j] * (1.0 - 0.5 * math.pow(0.96, tf * h4[j]))
                W3[j] = h0[j] * (1.0 - 0.5 * math.pow(0.96, t1 * h4[j]))
        for j in range(n):
            lr, b2, eps, wd = LRV[j], h1[j], h2[j], h3[j]
            bc2 = 1.0 - W1[j]
            mu, mu_next = W2[j], W3[j]
            mu_product = s2x[j] * mu
            s2x[j] = mu_product
            s2y[j] = mu_product
            mu_product_next = mu_product * mu_next
            c1 = -lr * (1.0 - mu) / (1.0 - mu_product)
            c2 = (-lr * mu_next) / (1.0 - mu_product_next)
            w1, w2 = 1.0 - h0[j], 1.0 - b2
            nx, s0x[j], s1x[j] = _nadam1(X[j], GSX[j], s0x[j], s1x[j], lr, bc2, c1, c2, w1, b2, w2, eps, wd,
                                            has_wd, decoupled)
            ny, s0y[j], s1y[j] = _nadam1(Y[j], GSY[j], s0y[j], s1y[j], lr, bc2, c1, c2, w1, b2, w2, eps, wd,
                                            has_wd, decoupled)
            live = alive[j]  # a stopped trajectory stays where it stopped
            NX[j] = nx if live else X[j]
            NY[j] = ny if live else Y[j]
    elif oid == RADAM:
        has_wd, decoupled = F[0], F[1]
        _pow_row(h0, tf, n, F[2], W1)
        _pow_row(h1, tf, n, F[3], W2)
        t2 = float(2 * t)
        for j in range(n):
            lr, b2, eps, wd = LRV[j], h1[j], h2[j], h3[j]
            w1, w2 = 1.0 - h0[j], 1.0 - b2
            bc1 = 1.0 - W1[j]
            bc2 = 1.0 - W2[j]
            rho_inf = 2.0 / (1.0 - b2) - 1.0
            rho_t = rho_inf - t2 * W2[j] / bc2
            on = rho_t > 5.0
            rect, sb = 1.0, 1.0
            if on:
                rect = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                                 / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                sb = math.sqrt(bc2)
            nx, s0x[j], s1x[j] = _radam1(X[j], GSX[j], s0x[j], s1x[j], lr, bc1, sb, rect, on, w1, b2, w2, eps,
                                            wd, has_wd, decoupled)
            ny, s0y[j], s1y[j] = _radam1(Y[j], GSY[j], s0y[j], s1y[j], lr, bc1, sb, rect, on, w1, b2, w2, eps,
                                            wd, has_wd, decoupled)
            live = alive[j]  # a stopped trajectory stays where it stopped
            NX[j] = nx if live else X[j]
            NY[j] = ny if live else Y[j]
    elif oid == LION:
        has_wd = F[0]
        for j in range(n):
            lr, b1, b2, wd = LRV[j], h0[j], h1[j], h2[j]
            w1, w2 = 1.0 - b1, 1.0 - b2
            nx, s0x[j] = _lion1(X[j], GSX[j], s0x[j], lr, b1, w1, b2, w2, wd, has_wd)
            ny, s0y[j] = _lion1(Y[j], GSY[j], s0y[j], lr, b1, w1, b2, w2, wd, has_wd)
            live = alive[j]  # a stopped trajectory stays where it stopped
            NX[j] = nx if live else X[j]
            NY[j] = ny if live else Y[j]
    else:  # NEWTON: optimizers._newton._saddle_free_step, one element at a time
        for j in range(n):
            delta, kappa = h0[j], h1[j]
            a, c = HXX[j], HYY[j]
            bb = 0.5 * (HXY[j] + HXY[j])
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
            gx, gy = GSX[j], GSY[j]
            p1 = (cs * gx + sn * gy) / _max(abs(mean + r), kappa)
            p2 = (cs * gy - sn * gx) / _max(abs(mean - r), kappa)
            lr = LRV[j]
            nx = X[j] - lr * (cs * p1 - sn * p2)
            ny = Y[j] - lr * (sn * p1 + cs * p2)
            live = alive[j]  # a stopped trajectory stays where it stopped
            NX[j] = nx if live else X[j]
            NY[j] = ny if live else Y[j]


# ----------------------------------------------------------------------------- the loop

@njit(**JIT)
def advance(oid, sid, c, H, F, t0, nsteps, LR, NZ, sigma,
            X, Y, L, GX, GY, GN, S, start_loss,
            alive, unconv, status, conv_at, stopped_at, stop_info,
            bound, cx, cy, rx, ry, tol,
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
    if outside the box). H has 5 rows, S 6 (unused ones are ignored).
    Inner loops index block views from 0 (an offset index would cost a
    negative-index check per access and block vectorization).
    """
    B = X.shape[0]
    m = min(block, B)
    LRV = np.empty(m)
    GSX, GSY = np.empty(m), np.empty(m)
    AX, AY = np.empty(m), np.empty(m)
    HXX, HXY, HYY = np.empty(m), np.empty(m), np.empty(m)
    W1, W2, W3, SCR = np.empty(m), np.empty(m), np.empty(m), np.empty(m)
    BAD = np.empty(m, dtype=np.uint8)
    # the block's current and next values (swapped every step) and its state, as local arrays
    CX, CY, CL, CGX, CGY, CGN = np.empty(m), np.empty(m), np.empty(m), np.empty(m), np.empty(m), np.empty(m)
    NX, NY, NL, NGX, NGY, NGN = np.empty(m), np.empty(m), np.empty(m), np.empty(m), np.empty(m), np.empty(m)
    Hb = np.empty((5, m))
    Sb = np.empty((6, m))
    AL = np.empty(m, dtype=np.bool_)
    UC = np.empty(m, dtype=np.bool_)
    wide = LR.shape[1] > 1
    noisy = sigma != 0.0
    lookahead = oid == NESTEROV_TEXTBOOK
    stops = 0
    for b0 in range(0, B, m):
        n = min(m, B - b0)
        b1 = b0 + n
        CX[:n], CY[:n], CL[:n] = X[b0:b1], Y[b0:b1], L[b0:b1]
        CGX[:n], CGY[:n], CGN[:n] = GX[b0:b1], GY[b0:b1], GN[b0:b1]
        Hb[:, :n] = H[:, b0:b1]
        Sb[:, :n] = S[:, b0:b1]
        AL[:n], UC[:n] = alive[b0:b1], unconv[b0:b1]
        h0, h1, h2, h3, h4 = Hb[0], Hb[1], Hb[2], Hb[3], Hb[4]
        s0x, s0y, s1x, s1y, s2x, s2y = Sb[0], Sb[1], Sb[2], Sb[3], Sb[4], Sb[5]
        for k in range(nsteps):
            t = t0 + 1 + k
            kk = k if LR.shape[0] > 1 else 0  # one row: the same rates every step
            if wide:
                lrow = LR[kk, b0:b1]
                for j in range(n):
                    LRV[j] = lrow[j]
            else:
                rate = LR[kk, 0]
                for j in range(n):
                    LRV[j] = rate
            # the gradient the optimizer sees
            gsx, gsy = CGX, CGY
            if lookahead:
                for j in range(n):
                    AX[j] = CX[j] + h0[j] * s0x[j]
                    AY[j] = CY[j] + h0[j] * s0y[j]
                surface_pass(sid, c, AX, AY, n, SCR, GSX, GSY)
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
            optimizer_pass(oid, t, n, LRV, gsx, gsy, CX, CY, h0, h1, h2, h3, h4, F,
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
            # the surface at the new points, and the stop rule
            surface_pass(sid, c, NX, NY, n, NL, NGX, NGY)
            nbad = 0
            nconv = 0
            for j in range(n):
                ok = (NL[j] <= bound) & (abs(NX[j] - cx) <= rx) & (abs(NY[j] - cy) <= ry)
                bad = AL[j] & (not ok)
                BAD[j] = bad
                nbad += bad
                gn = math.sqrt(NGX[j] * NGX[j] + NGY[j] * NGY[j])
                NGN[j] = gn
                nconv += (gn < tol) & UC[j]
            if nbad:  # rare: the trajectories that stop at this step
                for j in range(n):
                    if BAD[j]:
                        b = b0 + j
                        off = not ((abs(NX[j] - cx) <= rx) and (abs(NY[j] - cy) <= ry))
                        stop_info[b, 0], stop_info[b, 1] = NL[j], NGN[j]
                        stop_info[b, 2], stop_info[b, 3] = NX[j], NY[j]
                        stop_info[b, 4] = 1.0 if off else 0.0
                        escaped = off and NL[j] < start_loss[b] and math.isfinite(NL[j])
                        status[b] = 3 if escaped else 2
                        stopped_at[b] = t
                        AL[j] = False
                        # it stays where it was, with the values it had
                        NX[j], NY[j], NL[j] = CX[j], CY[j], CL[j]
                        NGX[j], NGY[j], NGN[j] = CGX[j], CGY[j], CGN[j]
                        stops += 1
            if nconv:  # rare: the first step below the tolerance
                for j in range(n):
                    if NGN[j] < tol and UC[j]:
                        UC[j] = False
                        conv_at[b0 + j] = t
                        status[b0 + j] = 1
            # the next values become the current ones
            CX, NX = NX, CX
            CY, NY = NY, CY
            CL, NL = NL, CL
            CGX, NGX = NGX, CGX
            CGY, NGY = NGY, CGY
            CGN, NGN = NGN, CGN
            r = rec_index[t]
            if r >= 0:
                for j in range(n):
                    b = b0 + j
                    rec_pos[r, b, 0] = CX[j]
                    rec_pos[r, b, 1] = CY[j]
                    rec_loss[r, b] = CL[j]
                    rec_gn[r, b] = CGN[j]
        X[b0:b1], Y[b0:b1], L[b0:b1] = CX[:n], CY[:n], CL[:n]
        GX[b0:b1], GY[b0:b1], GN[b0:b1] = CGX[:n], CGY[:n], CGN[:n]
        S[:, b0:b1] = Sb[:, :n]
        alive[b0:b1], unconv[b0:b1] = AL[:n], UC[:n]
    return stops
