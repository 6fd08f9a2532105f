"""Other references' conventions as hyperparameters (issue 23): ε inside the square root for
Adagrad and RMSprop, the signed Hessian for Newton. torch's rule stays the default; each switch
travels through the link, the command line, the app's update-rule panel and ``help()``.

The update rules themselves are checked against plain-Python loops in test_optimizers.py
(``test_*_eps_inside_by_hand``, ``test_newton_signed_by_hand``)."""
from __future__ import annotations

import contextlib
import io
import json
import os
import pydoc

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import links
import cli
import optimizers

APP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app.py")
SWITCHES = [("adagrad", "eps_inside"), ("rmsprop", "eps_inside"), ("newton", "signed")]


def run_cli(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name,key", SWITCHES)
def test_the_switch_is_documented_with_its_formula(name, key):
    opt = optimizers.get(name)
    assert opt.hyperparameters[key].default is False and opt.hyperparameters[key].kind == "bool"
    latex = opt.latex.replace(r"\_", "_")
    assert key in latex  # the panel's formula names the switch and shows its rule
    assert key in opt.convention
    text = pydoc.render_doc(getattr(optimizers, name), renderer=pydoc.plaintext)
    assert f"{key} : bool, default False" in text and key in text.split("Arguments")[0]


def test_the_formulas_are_the_ones_named():
    assert r"\sqrt{s_t + \epsilon}" in optimizers.get("adagrad").latex
    assert r"\sqrt{v_t + \epsilon}" in optimizers.get("rmsprop").latex
    assert r"\text{sign}(\lambda_i)" in optimizers.get("newton").latex


@pytest.mark.parametrize("name,key", SWITCHES)
def test_link_round_trip(name, key):
    q = {"surface": "saddle", "r1": name, "r1.lr": "0.5", f"r1.{key}": "true", "steps": "20"}
    state, warnings = links.from_query(q)
    assert warnings == []
    hp = dict(state.run.racers[0].choice.hp)
    assert hp[key] is True
    back = links.to_query(state)
    assert back[f"r1.{key}"] == "true"
    assert links.from_query(back)[0].run == state.run
    # the default is not written; a bad value is a warning naming it, never a traceback
    plain, _ = links.from_query({**q, f"r1.{key}": "false"})
    assert f"r1.{key}" not in links.to_query(plain)
    _, warnings = links.from_query({**q, f"r1.{key}": "sometimes"})
    assert any(key in w for w in warnings)


def test_cli_set_eps_inside_changes_the_run_as_the_rule_says():
    args = ["run", "--surface", "bowl", "--optimizer", "rmsprop", "--lr", "0.01", "--steps", "3",
            "--start", "1", "0.5", "--set", "eps=0.01", "--json"]
    code, out, err = run_cli(*args, "--set", "eps_inside=true")
    assert code == 0, err
    inside = json.loads(out)
    assert inside["hyperparameters"]["eps_inside"] is True
    code, out, _ = run_cli(*args)
    outside = json.loads(out)
    assert outside["hyperparameters"]["eps_inside"] is False
    # step 1 by hand: v = 0.01·g² with g = (2, 1), so θ₁ = θ₀ − 0.01·g/√(v + ε) (inside)
    g = np.array([2.0, 1.0])
    np.testing.assert_allclose(inside["points"][1], [1, 0.5] - 0.01 * g / np.sqrt(0.01 * g * g + 0.01),
                               rtol=1e-14)
    np.testing.assert_allclose(outside["points"][1], [1, 0.5] - 0.01 * g / (np.sqrt(0.01 * g * g) + 0.01),
                               rtol=1e-14)
    code, _, err = run_cli(*args, "--set", "eps_inside=maybe")
    assert code == 2 and "eps_inside" in err and "Traceback" not in err


def test_cli_signed_newton_lands_on_the_saddle():
    base = ["run", "--surface", "saddle", "--optimizer", "newton", "--lr", "1", "--steps", "3",
            "--start", "1", "0.5", "--json"]
    code, out, err = run_cli(*base, "--set", "signed=true")
    assert code == 0, err
    assert json.loads(out)["points"][1] == [0.0, 0.0]  # plain Newton jumps onto the saddle point
    code, out, _ = run_cli(*base)
    free = json.loads(out)["points"]
    assert free[1] == [0.0, 1.0] and abs(free[-1][1]) > 1  # saddle-free: y runs away from it


def test_app_shows_the_switch_and_its_rule():
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in {"surface": "saddle", "r1": "newton", "r1.lr": "1", "r1.signed": "true",
                 "r2": "rmsprop", "r2.lr": "0.01", "r2.eps_inside": "true", "steps": "20"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    boxes = {c.label: c.value for c in at.checkbox}
    assert boxes.get("signed") is True and boxes.get("eps_inside") is True
    latex = " ".join(el.body for el in at.get("latex") if hasattr(el, "body"))
    assert r"\text{sign}(\lambda_i)" in latex and r"\sqrt{v_t + \epsilon}" in latex
