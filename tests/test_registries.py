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
