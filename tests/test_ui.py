"""The page's parts that are plain Python: the widget keys and their one owner."""
from __future__ import annotations

import pathlib
import re

import optimizers
from optimizers import schedules
from ui import keys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_structured_keys_are_made_and_parsed_by_keys_only():
    assert keys.hp(2, "adam", "beta1") == "hp.2.adam.beta1"
    assert keys.schedp(0, "step", "gamma") == "schedp.0.step.gamma"
    assert keys.parse_param(keys.hp(2, "adam", "beta1")) == ("hp", 2, "adam", "beta1")
    assert keys.parse_param(keys.schedp(5, "multistep", "milestones")) == ("schedp", 5, "multistep", "milestones")
    for other in ("lr.0", "hp.0.adam", "hp.x.adam.beta1", "schedp.1..gamma", "sp.bowl.a", 3, None, "hp.0.adam."):
        assert keys.parse_param(other) is None, other
    assert keys.racer_values(1, "momentum", {"lr": 0.5, "momentum": 0.9}) == {
        "opt.1": "momentum", "lr.1": 0.5, "hp.1.momentum.momentum": 0.9}
    assert all(keys.is_racer_or_surface_key(k) for k in (keys.opt(0), keys.lr(5), keys.start(1, "x"),
                                                         keys.droplast(2), keys.surface_param("bowl", "a")))
    assert not any(keys.is_racer_or_surface_key(k) for k in ("lr_auto", "lrmin", "surface", "steps", 7))


def test_every_parameter_key_of_every_optimizer_and_schedule_parses_back():
    for name in optimizers.names():
        for k in optimizers.get(name).hyperparameters:
            assert keys.parse_param(keys.hp(3, name, k)) == ("hp", 3, name, k)
    for name in schedules.names():
        for k in schedules.get(name).params:
            assert keys.parse_param(keys.schedp(4, name, k)) == ("schedp", 4, name, k)


def test_no_page_module_spells_a_structured_key():
    """``lr.{i}``, ``hp.{i}.{opt}.{k}``, ``schedp.…``, ``dom.*`` … are born in ui/keys.py only."""
    spelled = re.compile(r"""f["'](opt|lr|hp|sched|schedp|noise|own_start|sx|sy|batch|droplast|sp)\.\{"""
                         r"""|["']dom\.[xy][01]["']""")
    files = [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py"))]
    found = [f"{p.name}:{n}" for p in files if p.name != "keys.py"
             for n, line in enumerate(p.read_text().splitlines(), 1) if spelled.search(line)]
    assert found == []
    assert spelled.search('f"lr.{i}"') and spelled.search('"dom.x0"'), "the pattern finds what it looks for"


def test_the_keys_and_the_sanitizer_import_no_streamlit():
    import subprocess
    import sys
    code = "import sys, ui.keys, ui.sanitize, links, state; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "False"
