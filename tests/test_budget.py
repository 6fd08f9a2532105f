"""One work budget, enforced once: weighted by the surface's measured cost per step,
checked on the whole computation, with the same bounds in every command."""
from __future__ import annotations

import contextlib
import io

import pytest

import cli
import config
import experiments
import landscapes
from landscapes import formula as F

NESTED = "sin(cos(tan(exp(x/3)))) * cos(sin(exp(tan(y/3)))) + tan(exp(sin(cos(x*y))))"


def _cli(*argv) -> tuple[int, str]:
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = cli.main(list(argv))
    assert "Traceback" not in err.getvalue()
    return code, err.getvalue()


def test_step_costs_are_weighted_by_the_surface():
    assert config.step_cost(landscapes.get("rosenbrock")) == 1.0
    assert config.step_cost(landscapes.get("ackley")) == config.STEP_COST["ackley"] > 10
    lin = landscapes.get("linear_regression")
    assert config.step_cost(lin) == pytest.approx(2 * lin.n_samples * config.SAMPLE_COST["linear_regression"])
    assert config.step_cost(lin, batch_size=32) > config.step_cost(lin)
    assert config.step_cost(landscapes.get("nn_slice")) > config.step_cost(landscapes.get("logistic_regression"))
    # a formula's cost comes from its compiled program (fitted to measured times)
    assert config.step_cost(F.build("x**2 + y**2")) == 1.0
    assert 1.0 < config.step_cost(F.build("(1 - x)**2 + 100*(y - x**2)**2")) < 1.5
    assert config.step_cost(F.build(NESTED)) > 12


def test_the_basin_budget_holds_for_the_whole_map_not_a_chunk():
    """400 x 400 starts are run 16,384 at a time; the budget is checked on all 160,000."""
    code, err = _cli("basins", "--surface", "linear_regression", "--optimizer", "gd", "--lr", "0.1",
                     "--resolution", "400", "--steps", "450")
    assert code == 2 and "160,000 trajectories" in err and "too much work" in err
    code, err = _cli("basins", "--surface", "nn_slice", "--optimizer", "gd", "--lr", "0.1",
                     "--resolution", "400", "--steps", "10")
    assert code == 2 and "160,000 trajectories" in err and "16,384" not in err
    s = landscapes.get("linear_regression")
    with pytest.raises(ValueError, match="160,000 trajectories"):
        experiments.basins(s, config.OptimizerChoice.build("gd", 0.1), 450, 400)


def test_the_same_work_gets_the_same_answer_as_a_heat_map_or_a_basin_map(monkeypatch):
    """Both check all 160,000 trajectories once, with the surface's weight, before any work."""
    s = landscapes.get("ackley")
    choice = config.OptimizerChoice.build("momentum", 0.01)
    seen = []
    real = config.check_budget

    class Stop(Exception):
        pass

    def spy(trajectories, steps, **kw):
        seen.append((trajectories, steps, kw.get("surface")))
        real(trajectories, steps, **kw)
        raise Stop  # checked and accepted: no need to run it here

    monkeypatch.setattr(config, "check_budget", spy)
    for steps, allowed in ((600, True), (1000, False)):  # ackley 14 x momentum 1.25
        for fn in (lambda: experiments.heatmap(s, choice, s.default_start, 1e-3, 1e-1, 400, steps),
                   lambda: experiments.basins(s, choice, steps, 400)):
            seen.clear()
            with pytest.raises(Stop if allowed else ValueError):
                fn()
            assert seen[0] == (160_000, steps, s), seen


def test_the_optimizers_own_work_is_weighted_too():
    s = landscapes.get("rosenbrock")
    config.check_budget(160_000, 10_000, full_history=False, surface=s, optimizer="gd")  # the largest: allowed
    with pytest.raises(ValueError, match="1.7 gd steps"):
        config.check_budget(160_000, 10_000, full_history=False, surface=s, optimizer="adam")
    code, err = _cli("heatmap", "--surface", "rosenbrock", "--optimizer", "adam", "--lr-min", "1e-4",
                     "--lr-max", "1e-1", "--count", "400", "--steps", "10000")
    assert code == 2 and "too much work" in err and "160,000 trajectories" in err


def test_a_costly_formula_is_weighted():
    s = F.build(NESTED)
    with pytest.raises(ValueError, match=r"a step here costs \d+"):
        config.check_budget(160_000, 10_000, full_history=False, surface=s)
    config.check_budget(160_000, 10_000, full_history=False, surface=F.build("x**2 + y**2"))
    code, err = _cli("basins", "--formula", NESTED, "--optimizer", "gd", "--lr", "0.01", "--resolution", "400",
                     "--steps", "10000")
    assert code == 2 and "too much work" in err


@pytest.mark.parametrize("command", ["sweep", "heatmap"])
def test_every_command_has_the_learning_rate_bound_of_run(command):
    code, err = _cli(command, "--surface", "bowl", "--optimizer", "momentum", "--lr-min", "1e-3",
                     "--lr-max", "1e300", "--count", "3", "--steps", "5")
    assert code == 2 and f"must be between 0 and {config.MAX_LR:g}" in err
    code, run_err = _cli("run", "--surface", "bowl", "--optimizer", "momentum", "--lr", "1e300")
    assert code == 2 and f"must be between 0 and {config.MAX_LR:g}" in run_err
    code, _ = _cli(command, "--surface", "bowl", "--optimizer", "momentum", "--lr-min", "1e-3",
                   "--lr-max", f"{config.MAX_LR:g}", "--count", "3", "--steps", "5")
    assert code == 0
