"""Optimizers: torch parity, hand-worked steps, vectorization, purity, validation, docs."""
from __future__ import annotations

import copy
import doctest
import importlib.util
import inspect
import json
import math
import pydoc
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optimizers
from optimizers import REGISTRY, get

HERE = Path(__file__).resolve().parent
REF = json.loads((HERE / "data" / "torch_reference.json").read_text())
RTOL, ATOL = 1e-12, 1e-14
ALL = list(REGISTRY)
TORCH_NAMES = list(REF["optimizers"])
# Switches to another reference's convention (issue 23); False is torch's rule, so the torch
# reference runs, recorded without them, check the default.
OTHER_CONVENTIONS = {"adagrad": ("eps_inside",), "rmsprop": ("eps_inside",), "newton": ("signed",)}


# ----------------------------------------------------------------------------- helpers

def rosenbrock_grad(P):
    x, y = P[:, 0], P[:, 1]  # the same expression, in the same order, as make_torch_reference.py
    return np.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], axis=1)


def drive(name, starts, lr, hp, steps, grad_fn, hess_fn=None):
    """Run ``steps`` updates on a batch through the factory's init/update pair.

    ``hp`` holds the factory's arguments (scalars or 1-D per-trajectory arrays); ``lr``
    is a float or one value per trajectory (passed as a (B, 1) column). The gradient is
    taken at the optimizer's look-ahead point where it has one, the Hessian at θ.
    """
    opt = get(name)(**hp)
    P = np.array(starts, dtype=np.float64)
    lr = np.broadcast_to(np.asarray(lr, dtype=np.float64).reshape(-1, 1), (len(P), 1))
    state = opt.init(P)
    out = [P]
    for _ in range(steps):
        g = grad_fn(P if opt.lookahead is None else opt.lookahead(P, state))
        if opt.needs_hessian:
            P, state = opt.update(g, state, P, lr, hess_fn(P))
        else:
            P, state = opt.update(g, state, P, lr)
        out.append(P)
    return np.stack(out, axis=1)  # (B, steps + 1, 2)


def ours_on_reference(name, run):
    hp = get(name).validate(lr=run["lr"], **run["hp"])
    lr = hp.pop("lr")
    return drive(name, REF["starts"], lr, hp, REF["steps"], rosenbrock_grad)


# ----------------------------------------------------------------------------- torch parity

@pytest.mark.parametrize("name,i", [(n, i) for n in TORCH_NAMES for i in range(len(REF["optimizers"][n]))])
def test_matches_torch_reference(name, i):
    run = REF["optimizers"][name][i]
    ref = np.array(run["trajectories"])
    ours = ours_on_reference(name, run)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=ATOL, err_msg=f"{name} {run['hp']}")


def test_reference_covers_every_optimizer_with_a_torch_equivalent():
    assert set(TORCH_NAMES) == set(ALL) - {"lion", "newton", "nesterov_textbook"}
    assert (HERE / "data" / "torch_reference.json").stat().st_size < 1_000_000


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_defaults_match_torch(name):
    opt, torch_d = get(name), REF["defaults"][name]
    assert opt.default_lr == torch_d["lr"]
    for key, h in opt.hyperparameters.items():
        if name in ("momentum", "nesterov") and key == "momentum":
            continue  # torch.optim.SGD defaults to momentum=0; these two are defined by μ > 0
        if key in OTHER_CONVENTIONS.get(name, ()):
            assert h.kind == "bool" and h.default is False  # off by default: torch's convention
            continue
        assert key in torch_d, f"{name}.{key} is not a torch hyperparameter"
        assert h.default == torch_d[key], f"{name}.{key}: {h.default} vs torch {torch_d[key]}"


def _load_reference_maker():
    spec = importlib.util.spec_from_file_location("make_torch_reference", HERE / "make_torch_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_live_torch(name):
    """With torch importable: fresh, randomized settings against torch.optim itself."""
    pytest.importorskip("torch")
    mk = _load_reference_maker()
    rng = np.random.default_rng(sum(map(ord, name)))
    base = REF["optimizers"][name][-1]  # the most flag-heavy setting
    lr = (base["lr"] or get(name).default_lr) * float(rng.uniform(0.5, 1.5))
    hp = {}
    for k, v in base["hp"].items():
        if isinstance(v, bool):
            hp[k] = v
        elif k == "momentum" or k.startswith("beta") or k in ("alpha", "rho", "dampening"):
            hp[k] = float(min(v * rng.uniform(0.8, 1.1), 0.99))
        else:
            hp[k] = float(v * rng.uniform(0.5, 2.0))
    starts = rng.uniform(-1.5, 1.5, size=(3, 2)).tolist()
    ref = np.array(mk.run_optimizer(name, lr, hp, starts=starts, steps=30))
    v = get(name).validate(lr=lr, **hp)
    ours = drive(name, starts, v.pop("lr"), v, 30, rosenbrock_grad)
    np.testing.assert_allclose(ours, ref, rtol=1e-11, atol=1e-13, err_msg=f"{name} lr={lr} {hp}")


# ----------------------------------------------------------------------------- by hand
# The bowl f = x² + 2y²: g = (2x, 4y), H = diag(2, 4); start θ₀ = (1, 0.25), so g₁ = (2, 1).
# Expected values come from the published update rules, written out in scalar arithmetic.

T0 = (1.0, 0.25)


def bowl_g(th):
    return [2 * th[0], 4 * th[1]]


def two_steps(name, lr, steps=2, **hp):
    v = get(name).validate(lr=lr, **hp)
    lr = v.pop("lr")
    H = lambda P: np.broadcast_to(np.diag([2.0, 4.0]), (len(P), 2, 2))  # noqa: E731
    traj = drive(name, [T0], lr, v, steps, lambda P: np.stack([2 * P[:, 0], 4 * P[:, 1]], 1), H)
    return traj[0, 1:]


def close(ours, expected, rtol=1e-13):
    np.testing.assert_allclose(ours, np.array(expected), rtol=rtol, atol=1e-15)


def test_gd_by_hand():
    # θ₁ = θ₀ − γ(g₁ + λθ₀), γ = 0.1, λ = 0.5: g₁ + λθ₀ = (2.5, 1.125)
    # θ₁ = (0.75, 0.1375); g₂ + λθ₁ = (1.5 + 0.375, 0.55 + 0.06875) = (1.875, 0.61875)
    close(two_steps("gd", 0.1, weight_decay=0.5), [[0.75, 0.1375], [0.5625, 0.075625]])
    close(two_steps("gd", 0.1), [[0.8, 0.15], [0.64, 0.09]])


def test_momentum_by_hand():
    # b₁ = g₁ = (2, 1); θ₁ = (0.8, 0.15); g₂ = (1.6, 0.6)
    # b₂ = 0.9·(2, 1) + (1 − 0.5)·(1.6, 0.6) = (2.6, 1.2); θ₂ = θ₁ − 0.1·b₂ = (0.54, 0.03)
    close(two_steps("momentum", 0.1, momentum=0.9, dampening=0.5), [[0.8, 0.15], [0.54, 0.03]])


def test_nesterov_by_hand():
    # b₁ = (2, 1); step = g₁ + 0.9 b₁ = (3.8, 1.9); θ₁ = (0.62, 0.06); g₂ = (1.24, 0.24)
    # b₂ = 0.9·(2, 1) + g₂ = (3.04, 1.14); step = g₂ + 0.9 b₂ = (3.976, 1.266)
    close(two_steps("nesterov", 0.1, momentum=0.9), [[0.62, 0.06], [0.2224, -0.0666]])


def test_nesterov_textbook_by_hand():
    # v₀ = 0: φ₀ = θ₀, g = (2, 1), v₁ = −0.1·(2, 1) = (−0.2, −0.1), θ₁ = (0.8, 0.15)
    # φ₁ = θ₁ + 0.9 v₁ = (0.62, 0.06) (torch's θ₁ above); g = (1.24, 0.24)
    # v₂ = 0.9·(−0.2, −0.1) − 0.1·(1.24, 0.24) = (−0.304, −0.114); θ₂ = (0.496, 0.036)
    close(two_steps("nesterov_textbook", 0.1, momentum=0.9), [[0.8, 0.15], [0.496, 0.036]])
    # λ = 0.5 at the look-ahead point: g₁ = (2, 1) + 0.5·(1, 0.25) = (2.5, 1.125), θ₁ = (0.75, 0.1375)
    # φ₁ = (0.525, 0.03625), g₂ = (1.05, 0.145) + 0.5 φ₁ = (1.3125, 0.163125)
    # v₂ = (−0.225, −0.10125) − (0.13125, 0.0163125) = (−0.35625, −0.1175625); θ₂ = (0.39375, 0.0199375)
    close(two_steps("nesterov_textbook", 0.1, momentum=0.9, weight_decay=0.5),
          [[0.75, 0.1375], [0.39375, 0.0199375]])


def test_adagrad_by_hand():
    lr, eta, s0, eps, wd = 0.1, 0.25, 0.5, 1e-10, 0.1
    th, s, out = list(T0), [s0, s0], []
    for t in (1, 2):
        g = [gi + wd * ti for gi, ti in zip(bowl_g(th), th)]
        clr = lr / (1 + (t - 1) * eta)
        s = [si + gi * gi for si, gi in zip(s, g)]
        th = [ti - clr * gi / (math.sqrt(si) + eps) for ti, gi, si in zip(th, g, s)]
        out.append(th)
    # step 1 literally: s = 0.5 + (2.1², 1.025²) -> θ₁ₓ = 1 − 0.1·2.1/√4.91
    assert out[0][0] == pytest.approx(1 - 0.1 * 2.1 / (math.sqrt(4.91) + 1e-10), rel=1e-14)
    close(two_steps("adagrad", lr, lr_decay=eta, initial_accumulator_value=s0, weight_decay=wd), out)


@pytest.mark.parametrize("centered,mu", [(False, 0.0), (True, 0.0), (True, 0.7), (False, 0.7)])
def test_rmsprop_by_hand(centered, mu):
    lr, a, eps = 0.01, 0.9, 1e-8
    th, v, gbar, b, out = list(T0), [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], []
    for _ in (1, 2):
        g = bowl_g(th)
        v = [a * vi + (1 - a) * gi ** 2 for vi, gi in zip(v, g)]
        if centered:
            gbar = [a * mi + (1 - a) * gi for mi, gi in zip(gbar, g)]
            d = [math.sqrt(vi - mi ** 2) + eps for vi, mi in zip(v, gbar)]
        else:
            d = [math.sqrt(vi) + eps for vi in v]
        b = [mu * bi + gi / di for bi, gi, di in zip(b, g, d)]
        th = [ti - lr * bi for ti, bi in zip(th, b)]
        out.append(th)
    if not centered:  # step 1: v = 0.1 g², so θ₁ = θ₀ − γ g/(√0.1 |g|) = θ₀ − γ/√0.1 · sign(g)
        assert out[0][0] == pytest.approx(1 - lr / math.sqrt(0.1), rel=1e-7)
    close(two_steps("rmsprop", lr, alpha=a, centered=centered, momentum=mu), out)


def test_adagrad_eps_inside_by_hand():
    """ε inside the root: θ ← θ − γ̃ g/√(s + ε), with ε large enough (0.5) to tell the two apart."""
    lr, eta, s0, eps, wd = 0.1, 0.25, 0.5, 0.5, 0.1
    th, s, out = list(T0), [s0, s0], []
    for t in (1, 2):
        g = [gi + wd * ti for gi, ti in zip(bowl_g(th), th)]
        clr = lr / (1 + (t - 1) * eta)
        s = [si + gi * gi for si, gi in zip(s, g)]
        th = [ti - clr * gi / math.sqrt(si + eps) for ti, gi, si in zip(th, g, s)]
        out.append(th)
    # step 1 literally: s = 0.5 + (2.1², 1.025²) -> θ₁ₓ = 1 − 0.1·2.1/√(4.91 + 0.5)
    assert out[0][0] == pytest.approx(1 - 0.1 * 2.1 / math.sqrt(5.41), rel=1e-14)
    kw = dict(lr_decay=eta, initial_accumulator_value=s0, weight_decay=wd, eps=eps)
    close(two_steps("adagrad", lr, eps_inside=True, **kw), out)
    assert not np.allclose(two_steps("adagrad", lr, **kw), out)  # torch's rule differs


@pytest.mark.parametrize("centered,mu", [(False, 0.0), (True, 0.0), (True, 0.7), (False, 0.7)])
def test_rmsprop_eps_inside_by_hand(centered, mu):
    """TF1's RMSPropOptimizer: ms ← ρ ms + (1 − ρ) g²; mom ← μ mom + γ g/√(ms + ε); θ ← θ − mom
    (at a constant γ this is torch's buffer times γ), with ε = 0.01 so that inside and outside differ."""
    lr, rho, eps = 0.01, 0.9, 0.01
    th, ms, mg, mom, out = list(T0), [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], []
    for _ in (1, 2):
        g = bowl_g(th)
        ms = [rho * m + (1 - rho) * gi * gi for m, gi in zip(ms, g)]
        if centered:  # TF1's centered form: mg ← ρ mg + (1 − ρ) g; denominator √(ms − mg² + ε)
            mg = [rho * m + (1 - rho) * gi for m, gi in zip(mg, g)]
            den = [math.sqrt(m - a * a + eps) for m, a in zip(ms, mg)]
        else:
            den = [math.sqrt(m + eps) for m in ms]
        mom = [mu * mi + lr * gi / di for mi, gi, di in zip(mom, g, den)]
        th = [ti - mi for ti, mi in zip(th, mom)]
        out.append(th)
    if not centered and mu == 0:  # step 1: ms = 0.1·(2, 1)² -> θ₁ₓ = 1 − 0.01·2/√(0.4 + 0.01)
        assert out[0][0] == pytest.approx(1 - 0.02 / math.sqrt(0.41), rel=1e-14)
    kw = dict(alpha=rho, eps=eps, centered=centered, momentum=mu)
    close(two_steps("rmsprop", lr, eps_inside=True, **kw), out, rtol=1e-12)
    assert not np.allclose(two_steps("rmsprop", lr, **kw), out)


def test_adadelta_by_hand():
    lr, rho, eps = 1.0, 0.9, 1e-6
    th, v, u, out = list(T0), [0.0, 0.0], [0.0, 0.0], []
    for _ in (1, 2):
        g = bowl_g(th)
        v = [rho * vi + (1 - rho) * gi ** 2 for vi, gi in zip(v, g)]
        dx = [math.sqrt(ui + eps) / math.sqrt(vi + eps) * gi for ui, vi, gi in zip(u, v, g)]
        u = [rho * ui + (1 - rho) * di ** 2 for ui, di in zip(u, dx)]
        th = [ti - lr * di for ti, di in zip(th, dx)]
        out.append(th)
    # step 1 literally: Δx = √1e-6 / √(0.1·4 + 1e-6) · 2
    assert out[0][0] == pytest.approx(1 - 1e-3 / math.sqrt(0.4 + 1e-6) * 2, rel=1e-14)
    close(two_steps("adadelta", lr, rho=rho, eps=eps), out)


def _adam_by_hand(lr, b1, b2, eps, wd, decoupled, amsgrad, steps=2):
    th, m, v, vmax, out = list(T0), [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], []
    for t in range(1, steps + 1):
        g = bowl_g(th)
        if decoupled:
            th = [ti * (1 - lr * wd) for ti in th]
        else:
            g = [gi + wd * ti for gi, ti in zip(g, th)]
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
        vmax = [max(a, b) for a, b in zip(vmax, v)]
        vv = vmax if amsgrad else v
        mhat = [mi / (1 - b1 ** t) for mi in m]
        vhat = [vi / (1 - b2 ** t) for vi in vv]
        th = [ti - lr * mi / (math.sqrt(vi) + eps) for ti, mi, vi in zip(th, mhat, vhat)]
        out.append(th)
    return out


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_by_hand(amsgrad, decoupled):
    lr, b1, b2, eps, wd = 0.1, 0.8, 0.95, 1e-8, 0.2
    out = _adam_by_hand(lr, b1, b2, eps, wd, decoupled, amsgrad, steps=3)
    got = two_steps("adam", lr, steps=3, beta1=b1, beta2=b2, weight_decay=wd, amsgrad=amsgrad,
                    decoupled_weight_decay=decoupled)
    close(got, out)
    # step 1 without weight decay moves each coordinate by γ·|g|/(|g| + ε) ≈ γ
    close(two_steps("adam", lr, steps=1)[0], [1 - lr * 2 / (2 + 1e-8), 0.25 - lr * 1 / (1 + 1e-8)])


def test_adamw_by_hand():
    out = _adam_by_hand(0.1, 0.9, 0.999, 1e-8, 0.3, decoupled=True, amsgrad=False)
    close(two_steps("adamw", 0.1, weight_decay=0.3), out)
    # adamw ≡ adam with decoupled weight decay
    close(two_steps("adam", 0.1, weight_decay=0.3, decoupled_weight_decay=True), out)


def test_adamax_by_hand():
    lr, b1, b2, eps, wd = 0.1, 0.8, 0.9, 1e-8, 0.1
    th, m, u, out = list(T0), [0.0, 0.0], [0.0, 0.0], []
    for t in (1, 2):
        g = [gi + wd * ti for gi, ti in zip(bowl_g(th), th)]
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        u = [max(b2 * ui, abs(gi) + eps) for ui, gi in zip(u, g)]
        th = [ti - lr / (1 - b1 ** t) * mi / ui for ti, mi, ui in zip(th, m, u)]
        out.append(th)
    close(two_steps("adamax", lr, beta1=b1, beta2=b2, weight_decay=wd), out)


@pytest.mark.parametrize("decoupled", [False, True])
def test_nadam_by_hand(decoupled):
    lr, b1, b2, eps, psi, wd = 0.05, 0.9, 0.99, 1e-8, 0.004, 0.1
    th, m, v, prod, out = list(T0), [0.0, 0.0], [0.0, 0.0], 1.0, []
    for t in (1, 2):
        g = bowl_g(th)
        if decoupled:
            th = [ti * (1 - lr * wd) for ti in th]
        else:
            g = [gi + wd * ti for gi, ti in zip(g, th)]
        mu_t = b1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        prod *= mu_t
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
        mhat = [mu_next * mi / (1 - prod * mu_next) + (1 - mu_t) * gi / (1 - prod) for mi, gi in zip(m, g)]
        vhat = [vi / (1 - b2 ** t) for vi in v]
        th = [ti - lr * mi / (math.sqrt(vi) + eps) for ti, mi, vi in zip(th, mhat, vhat)]
        out.append(th)
    close(two_steps("nadam", lr, beta1=b1, beta2=b2, weight_decay=wd, decoupled_weight_decay=decoupled), out)


def test_radam_by_hand():
    # 8 steps so that both branches run: ρ₁ = 1, ρ₂ < 3 (plain momentum steps) ... ρ_t > 5 from t = 6.
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    rho_inf = 2 / (1 - b2) - 1
    th, m, v, out, rect_seen = list(T0), [0.0, 0.0], [0.0, 0.0], [], []
    for t in range(1, 9):
        g = bowl_g(th)
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
        mhat = [mi / (1 - b1 ** t) for mi in m]
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t > 5:
            r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            lt = [math.sqrt(1 - b2 ** t) / (math.sqrt(vi) + eps) for vi in v]
            th = [ti - lr * mi * r * li for ti, mi, li in zip(th, mhat, lt)]
        else:
            th = [ti - lr * mi for ti, mi in zip(th, mhat)]
        rect_seen.append(rho_t > 5)
        out.append(th)
    assert rect_seen == [False] * 5 + [True] * 3
    # step 1 literally: m̂₁ = g₁, so θ₁ = θ₀ − γ g₁
    close(out[0], [1 - 0.02, 0.25 - 0.01])
    close(two_steps("radam", lr, steps=8), out, rtol=1e-12)


def test_lion_by_hand():
    # c₁ = 0.1·g₁ > 0: θ₁ = θ₀(1 − 0.1·0.5) − 0.1 = (0.85, 0.1375); m₁ = 0.01 g₁ = (0.02, 0.01)
    # g₂ = (1.7, 0.55), c₂ = 0.9 m₁ + 0.1 g₂ > 0: θ₂ = 0.95 θ₁ − 0.1 = (0.7075, 0.030625)
    close(two_steps("lion", 0.1, weight_decay=0.5), [[0.85, 0.1375], [0.7075, 0.030625]])
    # a sign flip: with γ = 0.3, θ₁ = (0.7, −0.05); g₂ = (1.4, −0.2); m₁ = (0.02, 0.01)
    # c₂ = 0.9·(0.02, 0.01) + 0.1·(1.4, −0.2) = (0.158, −0.011) -> θ₂ = (0.4, 0.25)
    close(two_steps("lion", 0.3), [[0.7, -0.05], [0.4, 0.25]])
    # the momentum uses β₂ (not β₁): m₁ = (1 − 0.99)·g₁ = (0.02, 0.01)
    opt = optimizers.lion(beta1=0.9, beta2=0.99)
    _, st1 = opt.update(np.array([[2.0, 1.0]]), opt.init(np.array([T0])), np.array([T0]), np.array([[0.3]]))
    close(st1["exp_avg"], [[0.02, 0.01]])


def test_newton_by_hand():
    # H = diag(2, 4): with γ = 1 the first step lands on the minimum
    close(two_steps("newton", 1.0), [[0.0, 0.0], [0.0, 0.0]])
    # γ = 0.5, δ = 1: θ₁ = θ₀ − 0.5·(2/3, 1/5) = (2/3, 0.15); g₂ = (4/3, 0.6)
    # θ₂ = θ₁ − 0.5·(4/9, 0.12) = (4/9, 0.09)
    close(two_steps("newton", 0.5, damping=1.0), [[2 / 3, 0.15], [4 / 9, 0.09]])


def test_newton_signed_by_hand():
    """Plain Newton, θ ← θ − γ H⁻¹ g, written with a 2×2 inverse (no eigenvalues)."""
    def plain(th, H, g, lr, steps):
        out = []
        for _ in range(steps):
            (a, b), (c, d) = H(th)
            gx, gy = g(th)
            det = a * d - b * c
            th = [th[0] - lr * (d * gx - b * gy) / det, th[1] - lr * (-c * gx + a * gy) / det]
            out.append(th)
        return out
    saddle_g = lambda th: (2 * th[0], -2 * th[1])  # noqa: E731  f = x² − y²
    saddle_H = lambda th: ((2.0, 0.0), (0.0, -2.0))  # noqa: E731
    opt = get("newton")
    for lr in (1.0, 0.5):
        v = opt.validate(lr=lr, signed=True)
        traj = drive("newton", [T0], v.pop("lr"), v, 3,
                     lambda P: np.stack([2 * P[:, 0], -2 * P[:, 1]], 1),
                     lambda P: np.broadcast_to(np.diag([2.0, -2.0]), (len(P), 2, 2)))[0, 1:]
        close(traj, plain(list(T0), saddle_H, saddle_g, lr, 3))
    # γ = 1: one step onto the saddle (0, 0); saddle-free instead moves y away from it
    assert two_steps("newton", 1.0, signed=True)[0].tolist() == [0.0, 0.0]
    # a maximum: f = −x² − 2y² + xy, H = [[−2, 1], [1, −4]] (both eigenvalues < 0): signed Newton
    # climbs to the maximum (0, 0) in one step; saddle-free descends, away from it
    Hm = np.array([[-2.0, 1.0], [1.0, -4.0]])
    gm = lambda P: P @ Hm  # noqa: E731  (H symmetric)
    for lr in (1.0, 0.3):
        v = opt.validate(lr=lr, signed=True)
        traj = drive("newton", [[1.0, -0.5]], v.pop("lr"), v, 4, gm,
                     lambda P: np.broadcast_to(Hm, (len(P), 2, 2)))[0, 1:]
        close(traj, plain([1.0, -0.5], lambda th: Hm.tolist(), lambda th: (Hm @ th).tolist(), lr, 4))
    v = opt.validate(lr=1.0)
    free = drive("newton", [[1.0, -0.5]], v.pop("lr"), v, 1, gm, lambda P: np.broadcast_to(Hm, (len(P), 2, 2)))
    f = lambda p: -p[0] ** 2 - 2 * p[1] ** 2 + p[0] * p[1]  # noqa: E731
    assert f(free[0, 1]) < f([1.0, -0.5])  # saddle-free went downhill
    # positive-definite Hessians: both forms are one algorithm
    close(two_steps("newton", 0.5, damping=1.0, signed=True), [[2 / 3, 0.15], [4 / 9, 0.09]])


def test_newton_signed_matches_an_eigendecomposition():
    rng = np.random.default_rng(5)
    B = 500
    H = rng.normal(size=(B, 2, 2)) * rng.choice([1e-6, 1e-2, 1.0, 1e3], size=(B, 1, 1))
    H[:40] = 0.0
    g = rng.normal(size=(B, 2))
    for damping, kappa in [(0.0, 1e-4), (0.7, 1e-3)]:
        opt = optimizers.newton(damping=damping, min_curvature=kappa, signed=True)
        w, V = np.linalg.eigh(0.5 * (H + np.transpose(H, (0, 2, 1))) + damping * np.eye(2))
        lam = np.where(w < 0, -1.0, 1.0) * np.maximum(np.abs(w), kappa)
        want = -np.einsum("bij,bj,bkj,bk->bi", V, 1 / lam, V, g)
        got, _ = opt.update(g, opt.init(np.zeros((B, 2))), np.zeros((B, 2)), np.ones((B, 1)), H)
        scale = np.abs(want).max(axis=1, keepdims=True)
        assert np.all(np.abs(got - want) <= 1e-11 * scale), (damping, kappa)


def test_every_optimizer_has_a_hand_test():
    names = {m.group(1) for m in re.finditer(r"def test_(\w+?)_by_hand", Path(__file__).read_text())}
    assert set(ALL) <= names


# ----------------------------------------------------------------------------- vectorization

def dw_grad(P):  # double well f = x⁴/4 − x²/2 + y² + 0.3xy
    x, y = P[:, 0], P[:, 1]
    return np.stack([x ** 3 - x + 0.3 * y, 2 * y + 0.3 * x], axis=1)


def dw_hess(P):
    x = P[:, 0]
    H = np.empty((len(P), 2, 2))
    H[:, 0, 0], H[:, 0, 1], H[:, 1, 0], H[:, 1, 1] = 3 * x ** 2 - 1, 0.3, 0.3, 2.0
    return H


SANE = {  # ranges to draw numeric hyperparameters from (inside the valid ranges)
    "beta1": (0.0, 0.99), "beta2": (0.0, 0.999), "alpha": (0.0, 1.0), "rho": (0.0, 1.0),
    "momentum": (0.0, 0.95), "dampening": (0.0, 1.0), "eps": (1e-10, 1e-3),
    "weight_decay": (0.0, 0.2), "lr_decay": (0.0, 0.5), "initial_accumulator_value": (0.0, 1.0),
    "momentum_decay": (0.0, 0.02), "damping": (0.0, 2.0), "min_curvature": (1e-6, 0.5),
}


@st.composite
def batch_case(draw, name):
    opt = get(name)
    B = draw(st.integers(1, 4))
    fl = st.floats
    flags = {k: draw(st.booleans()) for k, h in opt.hyperparameters.items() if h.kind == "bool"}
    rows = []
    for _ in range(B):
        hp = {}
        for k, h in opt.hyperparameters.items():
            if h.kind == "bool":
                continue
            lo, hi = SANE[k]
            if name == "nesterov" and k == "dampening":
                lo = hi = 0.0
            if name == "nesterov" and k == "momentum":
                lo = 0.05
            hp[k] = draw(fl(lo, hi, allow_nan=False))
        if name == "momentum" and hp["momentum"] == 0.0:
            hp["dampening"] = 0.0  # see test_sgd_momentum_zero_with_dampening_in_a_batch
        lr = opt.default_lr * draw(fl(0.1, 2.0))
        start = [draw(fl(-2.0, 2.0)), draw(fl(-2.0, 2.0))]
        rows.append((lr, hp, start))
    return flags, rows


@pytest.mark.parametrize("name", ALL)
def test_batch_equals_single_runs(name):
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(batch_case(name))
    def check(case):
        flags, rows = case
        opt = get(name)
        singles = []
        for lr, hp, start in rows:
            v = opt.validate(lr=lr, **hp, **flags)
            singles.append(drive(name, [start], v.pop("lr"), v, 6, dw_grad, dw_hess)[0])
        keys = rows[0][1].keys()
        v = opt.validate(lr=np.array([r[0] for r in rows]),
                         **{k: np.array([r[1][k] for r in rows]) for k in keys}, **flags)
        lr = v.pop("lr")
        batch = drive(name, [r[2] for r in rows], lr, v, 6, dw_grad, dw_hess)
        np.testing.assert_allclose(batch, np.stack(singles), rtol=1e-12, atol=1e-14)

    with np.errstate(over="ignore", invalid="ignore"):
        check()


def test_sgd_momentum_zero_with_dampening_in_a_batch():
    opt = get("momentum")
    single = opt.validate(lr=0.1, momentum=0.0, dampening=0.5)
    single.pop("lr")
    want = drive("momentum", [T0], 0.1, single, 3, dw_grad)[0]
    v = opt.validate(lr=0.1, momentum=np.array([0.0, 0.9]), dampening=np.array([0.5, 0.5]))
    got = drive("momentum", [T0, T0], v.pop("lr"), v, 3, dw_grad)[0]
    np.testing.assert_allclose(got, want, rtol=1e-12)


# ----------------------------------------------------------------------------- purity

@pytest.mark.parametrize("name", ALL)
def test_update_never_mutates_inputs(name):
    opt = get(name)
    rng = np.random.default_rng(1)
    B = 3
    flags = {k: True for k, h in opt.hyperparameters.items() if h.kind == "bool"}
    v = opt.validate(**flags)
    v.pop("lr")
    # one value per trajectory, all different where the range allows
    hp = {k: (val * np.array([1.0, 0.9, 0.8]) if isinstance(val, float) else val) for k, val in v.items()}
    hp_arrays = {k: a for k, a in hp.items() if isinstance(a, np.ndarray)}
    hp_saved = {k: a.copy() for k, a in hp_arrays.items()}
    for a in hp_arrays.values():
        a.flags.writeable = False
    transform = opt(**hp)
    params = rng.normal(size=(B, 2))
    state = transform.init(params)
    assert set(state) == {"step", *opt.state_names} and state["step"] == 0
    lr = np.full((B, 1), opt.default_lr)
    for t in (1, 2, 3):
        grad = rng.normal(size=(B, 2))
        H = dw_hess(params)
        inputs = {"params": params, "grad": grad, "lr": lr, "H": H,
                  **{f"state.{k}": a for k, a in state.items() if k != "step"}, **hp_arrays}
        saved = {k: a.copy() for k, a in inputs.items()}
        for a in inputs.values():
            a.flags.writeable = False  # an in-place write would raise
        if transform.lookahead is not None:
            transform.lookahead(params, state)
        if transform.needs_hessian:
            new, new_state = transform.update(grad, state, params, lr, H)
        else:
            new, new_state = transform.update(grad, state, params, lr)
        for k, a in inputs.items():
            assert np.array_equal(a, saved[k]), f"{name} mutated {k}"
        assert state["step"] == t - 1 and new_state["step"] == t
        assert new is not params and new.shape == (B, 2) and new.dtype == np.float64
        assert set(new_state) == {"step", *opt.state_names}
        for k, a in new_state.items():
            if k != "step":
                assert a.dtype == np.float64 and np.all(np.isfinite(a)), k
        params, state = new, {k: (a.copy() if k != "step" else a) for k, a in new_state.items()}
    for k, a in hp_arrays.items():
        assert np.array_equal(a, hp_saved[k]), f"{name} mutated its argument {k}"


# ----------------------------------------------------------------------------- validation

def _bad_values(h):
    bad = [math.nan]
    if math.isfinite(h.low):
        bad += [h.low - 1.0, h.low - 1e-9] + ([h.low] if h.low_open else [])
    if math.isfinite(h.high):
        bad += [h.high + 1e-9, h.high + 1.0] + ([h.high] if h.high_open else [])
    else:
        bad.append(math.inf)
    return bad


INVALID = [(n, k, x) for n in ALL for k, h in get(n).hyperparameters.items() if h.kind != "bool"
           for x in _bad_values(h)]


@pytest.mark.parametrize("name,key,value", INVALID)
def test_invalid_hyperparameter_raises(name, key, value):
    opt = get(name)
    with pytest.raises(ValueError, match=rf"\b{key}\b"):
        opt.validate(**{key: value})
    good = opt.hyperparameters[key].default
    with pytest.raises(ValueError, match=rf"\b{key}\b"):  # one bad trajectory in a batch
        opt.validate(**{key: np.array([good, value])})


@pytest.mark.parametrize("name", ALL)
def test_invalid_lr_flags_and_names_raise(name):
    opt = get(name)
    for lr in (-1e-3, math.nan, math.inf, "fast"):
        with pytest.raises(ValueError, match=r"\blr\b"):
            opt.validate(lr=lr)
    for key, h in opt.hyperparameters.items():
        if h.kind == "bool":
            with pytest.raises(ValueError, match=rf"\b{key}\b"):
                opt.validate(**{key: "sometimes"})
    with pytest.raises(ValueError, match="no_such_thing") as e:
        opt.validate(no_such_thing=1.0)
    for key in opt.hyperparameters:  # the message lists the valid names
        assert key in str(e.value)


@pytest.mark.parametrize("name,hp", [
    # the cases torch.optim itself rejects with ValueError
    ("adam", {"beta1": 1.0}), ("adam", {"beta2": -0.1}), ("adam", {"eps": -1e-8}),
    ("adam", {"weight_decay": -0.1}), ("adamw", {"beta2": 1.0}), ("adamax", {"beta1": 1.5}),
    ("nadam", {"momentum_decay": -1e-3}), ("radam", {"beta2": 1.0}), ("adagrad", {"lr_decay": -0.1}),
    ("adagrad", {"initial_accumulator_value": -1.0}), ("rmsprop", {"alpha": -0.1}),
    ("rmsprop", {"momentum": -0.5}), ("adadelta", {"rho": 1.01}), ("adadelta", {"rho": -0.01}),
    ("lion", {"beta1": 1.0}), ("newton", {"damping": -1.0}), ("newton", {"min_curvature": 0.0}),
    # stricter than torch: ε must be > 0 (torch accepts 0)
    ("adam", {"eps": 0.0}), ("rmsprop", {"eps": 0.0}), ("adagrad", {"eps": 0.0}), ("adadelta", {"eps": 0.0}),
])
def test_torch_style_rejections(name, hp):
    (key,) = hp
    with pytest.raises(ValueError, match=rf"\b{key}\b"):
        get(name).validate(**hp)


def test_boundary_values_accepted():
    get("adadelta").validate(rho=0.0)
    get("adadelta").validate(rho=1.0)
    get("rmsprop").validate(alpha=1.0, momentum=0.0, centered=True)
    get("adam").validate(lr=0.0, beta1=0.0, beta2=0.0, amsgrad="true")
    newton = optimizers.newton()
    with pytest.raises(TypeError, match="hessian"):  # only the optimizer that uses it takes one
        newton.update(np.zeros((1, 2)), newton.init(np.zeros((1, 2))), np.zeros((1, 2)), 1.0)


# ----------------------------------------------------------------------------- documentation

KATEX_COMMANDS = set("""
alpha beta gamma delta epsilon eta theta kappa lambda mu nu rho sigma tau phi psi pi infty Delta
nabla top sqrt frac dfrac tfrac cdot max min sum prod hat bar tilde operatorname text le ge
leftarrow lfloor rfloor quad qquad begin end big Big cos sign
""".split())


@pytest.mark.parametrize("name", ALL)
def test_documentation(name):
    opt = get(name)
    for field in ("title", "latex", "description", "convention", "reference"):
        assert getattr(opt, field).strip(), f"{name}.{field} is empty"
    assert len(opt.description) > 40 and len(opt.convention) > 20
    for key, h in opt.hyperparameters.items():
        assert h.doc, f"{name}.{key} has no doc"
    # KaTeX-compatible: balanced braces and environments, only commands KaTeX knows
    tex = opt.latex
    depth = 0
    for ch in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    assert tex.count(r"\begin{") == tex.count(r"\end{")
    words = set(re.findall(r"(?<!\\)\\([A-Za-z]+)", tex.replace("\\\\", " ")))
    assert words <= KATEX_COMMANDS, f"{name}: unknown to the KaTeX allow-list: {words - KATEX_COMMANDS}"


def test_registry():
    assert {"adagrad", "rmsprop", "adam", "adamw", "adamax", "nadam", "radam", "adadelta",
            "lion", "newton"} <= set(optimizers.names())
    assert get("newton").needs_hessian and get("newton").default_lr == 1.0
    assert get("lion").default_lr == 1e-4 and get("lion").defaults() == {
        "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.0}
    assert "saddle-free" in get("newton").convention and "Dauphin" in get("newton").convention
    with pytest.raises(ValueError, match="adam"):
        get("adamm")


# ----------------------------------------------------------------------------- Newton

def test_newton_one_step_on_quadratics():
    rng = np.random.default_rng(7)
    B = 64
    L = rng.normal(size=(B, 2, 2))
    A = L @ np.transpose(L, (0, 2, 1)) + 0.5 * np.eye(2)  # positive definite, well above κ
    b = rng.normal(size=(B, 2))
    x_star = np.linalg.solve(A, b[..., None])[..., 0]
    P = rng.uniform(-3, 3, size=(B, 2))
    grad = lambda P: (A @ P[..., None])[..., 0] - b  # noqa: E731
    opt = optimizers.newton()
    new, _ = opt.update(grad(P), opt.init(P), P, np.ones((B, 1)), A)
    np.testing.assert_allclose(new, x_star, rtol=1e-10, atol=1e-12)
    # damped: θ − (A + δI)⁻¹ g exactly
    opt = optimizers.newton(damping=0.3)
    new, _ = opt.update(grad(P), opt.init(P), P, np.ones((B, 1)), A)
    expect = P - np.linalg.solve(A + 0.3 * np.eye(2), grad(P)[..., None])[..., 0]
    np.testing.assert_allclose(new, expect, rtol=1e-10, atol=1e-12)


def test_newton_leaves_the_saddle():
    # f = x² − y²: plain Newton would jump onto the saddle (0, 0)
    f = lambda P: P[:, 0] ** 2 - P[:, 1] ** 2  # noqa: E731
    P0 = np.array([[1.0, 0.1], [-0.5, -0.2], [0.3, 1e-3]])
    H = np.broadcast_to(np.diag([2.0, -2.0]), (3, 2, 2))
    hp = {k: v for k, v in get("newton").validate().items() if k != "lr"}
    traj = drive("newton", P0, 1.0, hp, 5,
                 lambda P: np.stack([2 * P[:, 0], -2 * P[:, 1]], 1), lambda P: H)
    assert np.all(np.isfinite(traj))
    np.testing.assert_allclose(traj[:, 1, 0], 0.0, atol=1e-15)  # the x-direction is solved exactly
    assert np.all(np.abs(traj[:, -1, 1]) > np.abs(P0[:, 1]))  # and y moves away from the saddle
    assert np.all(np.diff(f(traj.reshape(-1, 2)).reshape(3, -1), axis=1) < 0)  # f decreases
    # the fallback step is saddle-free Newton: |H|⁻¹ g = (g_x/2, g_y/2)
    np.testing.assert_allclose(traj[0, 1], [0.0, 0.2])


def test_newton_flat_and_degenerate_hessians_stay_finite():
    opt = optimizers.newton()
    P = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, -1.0]])
    g = np.array([[1e-3, 0.0], [0.5, -0.5], [1.0, 1.0]])
    H = np.array([np.zeros((2, 2)), [[1.0, 1.0], [1.0, 1.0]], [[0.0, 3.0], [3.0, 0.0]]])
    new, _ = opt.update(g, opt.init(P), P, np.ones((3, 1)), H)
    assert np.all(np.isfinite(new))
    # zero Hessian: step g/κ
    np.testing.assert_allclose(new[0], -g[0] / get("newton").defaults()["min_curvature"])
    # eigenvalues ±3 of [[0, 3], [3, 0]]: |H| = 3I, step g/3
    np.testing.assert_allclose(new[2], P[2] - g[2] / 3)


def test_newton_matches_an_eigendecomposition():
    """The closed-form 2×2 eigen-step against LAPACK, including degenerate Hessians."""
    rng = np.random.default_rng(3)
    B = 2000
    H = rng.normal(size=(B, 2, 2)) * rng.choice([1e-6, 1e-2, 1.0, 1e3], size=(B, 1, 1))
    H[:50, 0, 1] = H[:50, 1, 0] = 0.0  # diagonal ...
    H[25:50, 0, 0] = -5.0  # ... with a < c
    H[50:100] = 0.0  # flat
    H[100:150] = 2.5 * np.eye(2)  # isotropic
    H[150:200] = [[1.0, 1e-12], [1e-12, 3.0]]  # nearly diagonal, a < c
    g = rng.normal(size=(B, 2))
    for damping, kappa in [(0.0, 1e-4), (0.7, 1e-3), (0.0, 10.0)]:
        opt = optimizers.newton(damping=damping, min_curvature=kappa)
        Hs = 0.5 * (H + np.transpose(H, (0, 2, 1))) + damping * np.eye(2)
        w, V = np.linalg.eigh(Hs)
        want = -np.einsum("bij,bj,bkj,bk->bi", V, 1 / np.maximum(np.abs(w), kappa), V, g)
        got, _ = opt.update(g, opt.init(np.zeros((B, 2))), np.zeros((B, 2)), np.ones((B, 1)), H)
        scale = np.abs(want).max(axis=1, keepdims=True)
        assert np.all(np.abs(got - want) <= 1e-11 * scale), (damping, kappa)


# ----------------------------------------------------------------------------- the factory

@pytest.mark.parametrize("name", ALL)
def test_factory_is_public_and_its_signature_is_the_hyperparameters(name):
    opt = get(name)
    assert getattr(optimizers, name) is opt.factory
    sig = inspect.signature(opt.factory)
    assert list(sig.parameters) == list(opt.hyperparameters)
    for key, p in sig.parameters.items():
        assert p.kind is inspect.Parameter.KEYWORD_ONLY
        assert p.default == opt.hyperparameters[key].default, key
    t = opt()
    assert isinstance(t, optimizers.Transform) and t.batch is None
    assert t.needs_hessian == opt.needs_hessian
    # only the optimizer that uses the Hessian takes one
    assert ("hessian" in inspect.signature(t.update).parameters) == opt.needs_hessian
    assert list(inspect.signature(t.update).parameters)[:4] == ["grads", "state", "params", "lr"]


@pytest.mark.parametrize("name,key,value", INVALID[::3])
def test_factory_validation_names_the_parameter(name, key, value):
    with pytest.raises(ValueError, match=rf"\b{name}\.{key}\b"):
        get(name)(**{key: value})
    good = get(name).hyperparameters[key].default
    with pytest.raises(ValueError, match=rf"\b{key}\b"):
        getattr(optimizers, name)(**{key: np.array([good, good, value])})


def test_factory_rejects_what_the_rule_cannot_take():
    with pytest.raises(ValueError, match="dampening"):
        optimizers.nesterov(dampening=0.1)
    with pytest.raises(ValueError, match=r"beta1 has 3, eps has 2"):
        optimizers.adam(beta1=np.array([0.9, 0.8, 0.7]), eps=np.array([1e-8, 1e-7]))
    with pytest.raises(ValueError, match="amsgrad"):
        optimizers.adam(amsgrad="sometimes")
    with pytest.raises(ValueError, match=r"3 values per trajectory.*2 rows"):
        optimizers.adam(beta1=np.array([0.9, 0.8, 0.7])).init(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="betas"):  # torch's name is spelled beta1, beta2 here
        optimizers.adam(betas=(0.9, 0.999))


def test_factory_per_trajectory_arrays():
    """One Adam with three β₁ equals three Adams, and the arguments are copied, not kept."""
    starts = np.array([[-1.2, 1.0], [0.5, -0.5], [1.3, 1.9]])
    b1 = np.array([0.9, 0.5, 0.0])
    opt = optimizers.adam(beta1=b1, eps=np.array([1e-8]))  # a length-1 array fits any batch
    assert opt.batch == 3
    b1[:] = 0.3  # changing the caller's array afterwards changes nothing
    P, state = starts, opt.init(starts)
    for _ in range(20):
        P, state = opt.update(rosenbrock_grad(P), state, P, np.array([1e-2, 2e-2, 3e-2]))
    for b, (beta1, lr) in enumerate([(0.9, 1e-2), (0.5, 2e-2), (0.0, 3e-2)]):
        one = optimizers.adam(beta1=beta1)
        Q, s1 = starts[b:b + 1], one.init(starts[b:b + 1])
        for _ in range(20):
            Q, s1 = one.update(rosenbrock_grad(Q), s1, Q, lr)
        np.testing.assert_allclose(P[b], Q[0], rtol=1e-13)


@pytest.mark.parametrize("form", ["float", "(B,)", "(B, 1)", "(B, 2)"])
def test_update_takes_the_learning_rate_in_every_form(form):
    lr = {"float": 0.01, "(B,)": np.full(3, 0.01), "(B, 1)": np.full((3, 1), 0.01),
          "(B, 2)": np.full((3, 2), 0.01)}[form]
    P = np.array([[-1.2, 1.0], [0.5, -0.5], [1.3, 1.9]])
    for name in ALL:
        want = drive(name, P, 0.01, {}, 3, rosenbrock_grad, dw_hess)[:, -1]
        opt, Q = get(name)(), P
        state = opt.init(Q)
        for _ in range(3):
            g = rosenbrock_grad(Q if opt.lookahead is None else opt.lookahead(Q, state))
            Q, state = opt.update(g, state, Q, lr, dw_hess(Q)) if opt.needs_hessian else \
                opt.update(g, state, Q, lr)
        np.testing.assert_array_equal(Q, want, err_msg=f"{name} lr {form}")


@pytest.mark.parametrize("name", ALL)
def test_state_holds_the_step_count(name):
    """The state is everything an update needs: resuming from a copy of the state after
    3 steps reproduces the uninterrupted run, and its "step" counts the updates."""
    full = drive(name, REF["starts"], get(name).default_lr, {}, 6, rosenbrock_grad, dw_hess)
    opt = get(name)()
    P = np.array(REF["starts"])
    state = opt.init(P)
    for k in range(6):
        if k == 3:  # a fresh transform and a copied state: no memory anywhere else
            opt, state = get(name)(), copy.deepcopy(state)
            assert state["step"] == 3
        g = rosenbrock_grad(P if opt.lookahead is None else opt.lookahead(P, state))
        lr = np.full((3, 1), get(name).default_lr)
        P, state = opt.update(g, state, P, lr, dw_hess(P)) if opt.needs_hessian else opt.update(g, state, P, lr)
    assert state["step"] == 6
    np.testing.assert_array_equal(P, full[:, -1])


def test_the_step_count_in_the_state_is_the_one_used():
    """Adam's bias correction reads t = state["step"] + 1: at step 1 it cancels (1 − β₁)."""
    opt = optimizers.adam()
    P, g = np.array([[1.0, 0.25]]), np.array([[2.0, 0.5]])
    state = opt.init(P)
    first, _ = opt.update(g, state, P, 0.1)
    later, _ = opt.update(g, {**state, "step": 99}, P, 0.1)
    e = 1e-8
    close(first, [[1 - 0.1 * 2 / (2 + e), 0.25 - 0.1 * 0.5 / (0.5 + e)]], rtol=1e-12)
    # t = 100: θ − γ/(1 − β₁ᵗ) · 0.1 g / (√(0.001 g²)/√(1 − β₂ᵗ) + ε)
    step = [0.1 / (1 - 0.9 ** 100) * 0.1 * gi / (math.sqrt(0.001 * gi * gi) / math.sqrt(1 - 0.999 ** 100) + e)
            for gi in (2.0, 0.5)]
    close(later, [[1 - step[0], 0.25 - step[1]]], rtol=1e-12)


# ----------------------------------------------------------------------------- docstrings

@pytest.mark.parametrize("name", ALL)
def test_help_teaches_the_rule_arguments_example_and_reference(name):
    opt = get(name)
    text = pydoc.render_doc(getattr(optimizers, name), renderer=pydoc.plaintext)
    doc = inspect.getdoc(opt.factory)
    for piece in opt.latex.replace(r"\begin{aligned}", r"\\").replace(r"\end{aligned}", r"\\").split(r"\\"):
        assert piece.strip() in doc, f"{name}: the rule's line {piece!r} is missing"
    assert "Arguments" in doc
    for key, h in opt.hyperparameters.items():
        assert re.search(rf"^{key} : .*default {re.escape(repr(h.default))}\n +\S", doc, re.MULTILINE), key
        assert " ".join(h.doc.split()) in " ".join(doc.split()), key
    assert re.search(r"^Example", doc, re.MULTILINE)
    assert len(re.findall(r"^>>> ", doc, re.MULTILINE)) == 3, "a three-line example"
    assert " ".join(f"Reference: {opt.reference}".split()) in " ".join(doc.split())
    assert " ".join(opt.convention.split()) in " ".join(doc.split())
    signature = f"update(grads, state, params, lr{', hessian' if opt.needs_hessian else ''})"
    assert signature in " ".join(doc.split())
    assert doc.splitlines()[0] in text and "Reference:" in text


@pytest.mark.parametrize("name", ALL)
def test_docstring_example_runs(name):
    doc = get(name).factory.__doc__
    test = doctest.DocTestParser().get_doctest(doc, {"np": np, "optimizers": optimizers}, name, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=lambda s: None)
    result = runner.summarize(verbose=False)
    assert result.attempted == 3 and result.failed == 0, name


# ----------------------------------------------------------------------------- Nesterov's two forms

def textbook_lookahead_path(starts, lr, momentum, weight_decay, steps):
    """θ_t + μ v_t along the textbook form's run (θ₀ at t = 0)."""
    opt = optimizers.nesterov_textbook(momentum=momentum, weight_decay=weight_decay)
    P = np.array(starts, dtype=np.float64)
    state = opt.init(P)
    out = [opt.lookahead(P, state)]
    for _ in range(steps):
        P, state = opt.update(rosenbrock_grad(opt.lookahead(P, state)), state, P, lr)
        out.append(opt.lookahead(P, state))
    return np.stack(out, axis=1)


@pytest.mark.parametrize("i", range(len(REF["optimizers"]["nesterov"])))
def test_textbook_nesterov_look_ahead_points_are_torch_nesterov(i):
    run = REF["optimizers"]["nesterov"][i]
    hp = get("nesterov_textbook").validate(lr=run["lr"], momentum=run["hp"]["momentum"],
                                           weight_decay=run["hp"].get("weight_decay", 0.0))
    ours = textbook_lookahead_path(REF["starts"], hp["lr"], hp["momentum"], hp["weight_decay"], REF["steps"])
    np.testing.assert_allclose(ours, np.array(run["trajectories"]), rtol=RTOL, atol=ATOL)
    # the iterates themselves are a different sequence
    plain = drive("nesterov_textbook", REF["starts"], hp["lr"],
                  {"momentum": hp["momentum"], "weight_decay": hp["weight_decay"]}, REF["steps"],
                  rosenbrock_grad)
    assert np.abs(plain - ours)[:, 1:].min() > 0


def test_textbook_nesterov_differs_from_torch_when_the_rate_changes():
    P = np.array([[-1.2, 1.0]])
    lrs = [1e-3, 5e-4, 2e-3, 1e-3]
    tb, tb_state = optimizers.nesterov_textbook(momentum=0.9), None
    th, th_state = optimizers.nesterov(momentum=0.9), None
    Q, tb_state, th_state = P, tb.init(P), th.init(P)
    for lr in lrs:
        P, tb_state = tb.update(rosenbrock_grad(tb.lookahead(P, tb_state)), tb_state, P, lr)
        Q, th_state = th.update(rosenbrock_grad(Q), th_state, Q, lr)
    assert np.abs(tb.lookahead(P, tb_state) - Q).max() > 1e-6


def test_live_torch_textbook_nesterov():
    """With torch importable: the textbook form's look-ahead points against torch.optim.SGD itself."""
    pytest.importorskip("torch")
    mk = _load_reference_maker()
    rng = np.random.default_rng(13)
    for _ in range(3):
        lr, mu, wd = float(rng.uniform(1e-4, 1e-3)), float(rng.uniform(0.3, 0.95)), float(rng.uniform(0, 0.1))
        starts = rng.uniform(-1.5, 1.5, size=(3, 2)).tolist()
        ref = np.array(mk.run_optimizer("nesterov", lr, {"momentum": mu, "weight_decay": wd},
                                        starts=starts, steps=40))
        ours = textbook_lookahead_path(starts, lr, mu, wd, 40)
        np.testing.assert_allclose(ours, ref, rtol=1e-11, atol=1e-13, err_msg=f"lr={lr} μ={mu} λ={wd}")
