"""One registry shape and one value check serve surfaces, optimizers and schedules."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import landscapes
import optimizers
from optimizers import schedules
from registries import Registry

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("kind, get", [("surface", landscapes.get), ("optimizer", optimizers.get),
                                       ("schedule", schedules.get)])
def test_unknown_names_read_alike(kind, get):
    with pytest.raises(ValueError, match=rf"^unknown {kind} 'nope' \(valid: "):
        get("nope")
    assert isinstance({"surface": landscapes.REGISTRY, "optimizer": optimizers.REGISTRY,
                       "schedule": schedules.REGISTRY}[kind], Registry)


@pytest.mark.parametrize("check, owner", [
    (lambda v: landscapes.get("rosenbrock", a=v), "rosenbrock.a"),
    (lambda v: optimizers.get("gd").validate(0.1, weight_decay=v), "gd.weight_decay"),
    (lambda v: schedules.get("cosine").validate(T_max=v), "cosine.T_max"),
])
def test_a_bool_for_a_number_is_rejected_everywhere(check, owner):
    for value in (True, False):
        with pytest.raises(ValueError, match=rf"^{owner} must be a number, got {value}$"):
            check(value)


@pytest.mark.parametrize("flag", ["--set weight_decay=true", "--surface-set a=true",
                                  "--schedule cosine --schedule-set T_max=true"])
def test_cli_rejects_a_bool_for_a_number(flag):
    p = subprocess.run([sys.executable, str(ROOT / "cli.py"), "run", "--surface", "rosenbrock",
                        "--optimizer", "gd", "--steps", "5", *flag.split()], capture_output=True, text=True)
    assert p.returncode == 2 and "must be a number, got True" in p.stderr and p.stderr.count("\n") == 1


# --- per-optimizer facts live on the registry's entries --------------------------

@pytest.mark.parametrize("name", optimizers.names())
def test_every_optimizer_entry_carries_its_facts(name):
    """A new optimizer is one registry entry: how its first rate is suggested, why
    its runs blow up, its heat map's axis and whether the linear theory covers it
    are fields of that entry, and each is complete and consistent."""
    from optimizers.base import SUGGEST_KINDS

    opt = optimizers.get(name)
    assert opt.suggest is not None, f"{name}: no suggest= on its registry entry"
    kind, c = opt.suggest
    assert kind in SUGGEST_KINDS and c > 0
    assert not opt.suggest_curvature_cap or kind == "span"
    assert len(opt.blowup_hint) > 20, f"{name}: no blowup_hint on its registry entry"
    if opt.heatmap is not None:
        run_as, key, lo, hi = opt.heatmap
        ran = optimizers.get(run_as)
        assert key in ran.hyperparameters and ran.hyperparameters[key].kind == "float"
        assert ran.hyperparameters[key].contains([lo, hi]).all() and lo < hi
        assert run_as == name or (name, run_as) == ("gd", "momentum")   # gd's map is momentum's at 0
    if opt.linear_theory:
        import theory
        from landscapes import get
        th = theory.quadratic_theory(get("ravine"))
        assert 0 < theory.predicted_rate(th, name, 0.1, 0.5 if "momentum" in opt.hyperparameters else 0.0) < 1


def test_the_facts_say_what_the_views_do():
    """The facts are read where they are used: a suggested rate, a heat map's axis
    and the theory's optimizers come from the entries."""
    import experiments
    import presets
    import theory
    from landscapes import get

    assert theory.linear_optimizers() == ["gd", "momentum", "nesterov"]
    assert experiments.heatmap_axis("adam") == ("adam", "beta1", 0.0, 0.99)
    assert experiments.heatmap_axis("adagrad") is None and "adagrad" not in experiments.heatmap_optimizers()
    bowl = get("bowl")   # curvature 2 everywhere, domain [-2, 2]²: diagonal 4√2
    assert presets.suggested_lr_for("gd", bowl) == 0.8            # 1.6 / 2
    assert presets.suggested_lr_for("adam", bowl) == float(f"{0.01 * 4 * 2 ** 0.5:.2g}")
    assert presets.suggested_lr_for("radam", bowl) == float(f"{min(0.02 * 4 * 2 ** 0.5, 0.5):.2g}")
    assert presets.suggested_lr_for("newton", bowl) == 1.0
