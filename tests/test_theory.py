"""Theory beside measurement on quadratic surfaces."""
from __future__ import annotations

import math

import numpy as np
import pytest

import engine
import landscapes
import optimizers
import theory


def run_distance(surface, name, steps, **hp):
    opt = optimizers.get(name)
    tr = engine.run(opt, surface, surface.default_start, opt.validate(**hp), steps)
    m = surface.minima[0]
    d = np.hypot(tr.positions[:, 0, 0] - m.x, tr.positions[:, 0, 1] - m.y)
    return d, tr.losses[:, 0] - m.value


def test_ravine_defaults_have_condition_twenty():
    s = landscapes.get("ravine")
    assert s.params == {"a": 0.1, "b": 2.0}
    th = theory.quadratic_theory(s)
    # f = a x² + b y²: Hessian diag(2a, 2b)
    assert th.lam_min == pytest.approx(0.2) and th.lam_max == pytest.approx(4.0)
    assert th.kappa == pytest.approx(20.0)
    assert th.gd_lr_bound == pytest.approx(0.5)
    assert th.gd_best_lr == pytest.approx(2 / 4.2)
    assert th.gd_best_rate == pytest.approx(19 / 21)
    s20 = math.sqrt(20)
    assert th.momentum_best_alpha == pytest.approx((2 / (math.sqrt(0.2) + 2)) ** 2)
    assert th.momentum_best_beta == pytest.approx(((s20 - 1) / (s20 + 1)) ** 2)
    assert th.momentum_best_rate == pytest.approx((s20 - 1) / (s20 + 1))


@pytest.mark.parametrize("name,params,lams", [
    ("bowl", {}, (2.0, 2.0)),
    ("ravine", {"a": 0.02, "b": 3.0}, (0.04, 6.0)),
    ("quadratic", {"condition": 50.0, "angle": 20.0}, (2 / 50, 2.0)),
    ("booth", {}, (2.0, 18.0)),
])
def test_eigenvalues_of_quadratic_surfaces(name, params, lams):
    th = theory.quadratic_theory(landscapes.get(name, **params))
    assert th is not None
    assert (th.lam_min, th.lam_max) == pytest.approx(lams)


@pytest.mark.parametrize("name", ["rosenbrock", "saddle", "himmelblau", "two_minima", "rastrigin"])
def test_no_theory_for_non_quadratic_or_indefinite(name):
    assert theory.quadratic_theory(landscapes.get(name)) is None


def test_goh_heavy_ball_equals_torch_sgd_with_lr_alpha_momentum_beta():
    """Goh's z ← βz + ∇f(w), w ← w − αz (z₀ = 0) written by hand, against the
    engine's torch-convention momentum at lr = α, momentum = β."""
    s = landscapes.get("ravine")
    th = theory.quadratic_theory(s)
    alpha, beta = th.momentum_best_alpha, th.momentum_best_beta
    lr, mu = theory.torch_settings(alpha, beta)
    w, z = np.array(s.default_start, dtype=float), np.zeros(2)
    hand = [w.copy()]
    for _ in range(40):
        z = beta * z + s.grad(w)
        w = w - alpha * z
        hand.append(w.copy())
    opt = optimizers.get("momentum")
    tr = engine.run(opt, s, s.default_start, opt.validate(lr, momentum=mu), 40)
    np.testing.assert_allclose(tr.positions[:, 0], np.array(hand), rtol=1e-12, atol=1e-300)
    assert th.optimal_settings("momentum") == {"lr": alpha, "momentum": beta, "dampening": 0.0}


def test_ravine_rates_match_theory_within_three_percent():
    s = landscapes.get("ravine")
    th = theory.quadratic_theory(s)
    d, gap = run_distance(s, "gd", 120, lr=th.gd_best_lr)
    for of, values in (("distance", d), ("loss", gap)):
        rate = theory.measured_rate(values, 60, 120, of=of)
        assert rate == pytest.approx(th.gd_best_rate, rel=0.03), of
    d, gap = run_distance(s, "momentum", 120, **th.optimal_settings("momentum"))
    for of, values in (("distance", d), ("loss", gap)):
        rate = theory.measured_rate(values, 60, 120, of=of)
        assert rate == pytest.approx(th.momentum_best_rate, rel=0.03), of
    # and the two are not the same number: momentum really is faster
    assert th.momentum_best_rate < 0.75 * th.gd_best_rate


def test_measured_rate_of_a_geometric_curve_is_exact():
    k = np.arange(200)
    assert theory.measured_rate(3 * 0.9 ** k) == pytest.approx(0.9, rel=1e-12)
    assert theory.measured_rate(3 * 0.81 ** k, of="loss") == pytest.approx(0.9, rel=1e-12)
    with pytest.raises(ValueError):
        theory.measured_rate(np.zeros(200))
    with pytest.raises(ValueError):
        theory.measured_rate(np.ones(100))  # too short for steps 60..120
    with pytest.raises(ValueError):
        theory.measured_rate(np.ones(200), of="speed")


@pytest.mark.parametrize("name,mu", [("gd", 0.0), ("momentum", 0.0), ("momentum", 0.5),
                                     ("momentum", 0.9), ("nesterov", 0.5), ("nesterov", 0.9)])
def test_stability_bound_is_where_the_spectral_radius_crosses_one(name, mu):
    th = theory.quadratic_theory(landscapes.get("ravine"))
    bound = theory.stability_bound(name, th.lam_max, mu)
    assert theory.predicted_rate(th, name, bound * 0.999, mu) < 1.0
    assert theory.predicted_rate(th, name, bound * 1.001, mu) > 1.0
    # and a real run agrees: just below stays finite, just above diverges
    s = landscapes.get("ravine")
    opt = optimizers.get(name)
    hp = {} if name == "gd" else {"momentum": mu}
    lrs = np.array([bound * 0.98, bound * 1.02])
    tr = engine.run(opt, s, s.default_start, opt.validate(lrs, **hp), 3000)
    assert tr.status[0] != "diverged" and tr.status[1] == "diverged"


@pytest.mark.parametrize("name,mu", [("gd", 0.0), ("momentum", 0.5), ("nesterov", 0.7)])
def test_predicted_rate_matches_a_run(name, mu):
    s = landscapes.get("quadratic", condition=10.0, angle=30.0)
    th = theory.quadratic_theory(s)
    lr = 0.3
    hp = {"lr": lr} if name == "gd" else {"lr": lr, "momentum": mu}
    d, _ = run_distance(s, name, 200, **hp)
    assert theory.measured_rate(d, 100, 200) == pytest.approx(
        theory.predicted_rate(th, name, lr, mu), rel=0.03)


def test_as_dict_is_plain_numbers():
    d = theory.quadratic_theory(landscapes.get("ravine")).as_dict()
    assert d["kappa"] == pytest.approx(20.0)
    assert d["momentum"]["lr"] == d["momentum"]["alpha"]
    assert all(math.isfinite(v) for v in (d["gd"]["best_lr"], d["momentum"]["beta"]))


def test_theory_lesson_claims_can_fail():
    """The lesson's rate claims are measured, not assumed: a wrong prediction fails."""
    import lessons
    lesson = lessons.LESSONS["theory"]
    run, res, verdicts = lessons.check(lesson)
    assert all(v.holds for v in verdicts)
    s = run.get_surface()
    th = theory.quadratic_theory(s)
    assert run.racers[0].choice.lr == th.gd_best_lr
    assert dict(run.racers[1].choice.hp)["momentum"] == th.momentum_best_beta
    wrong = lessons.Claim("rate_near", 2, 0.03, values=(th.gd_best_rate, 60, 120))  # gd's rate for momentum
    assert not lessons.measure(wrong, res, s, 0.05)[1]
    short = lessons.Claim("rate_near", 1, 0.03, values=(th.gd_best_rate, 60, 500))
    measured, ok = lessons.measure(short, res, s, 0.05)
    assert not ok and "not measurable" in measured
