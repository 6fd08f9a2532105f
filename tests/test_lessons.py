"""Every lesson's claims hold on its computed run; its text quotes only its own numbers."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import lessons
import results
from lessons import LESSONS, Claim

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("key", list(LESSONS))
def test_every_claim_of_every_lesson_holds(key):
    lesson = LESSONS[key]
    assert lesson.claims, f"{key} states no checkable claim"
    _, res, verdicts = lessons.check(lesson)
    failed = [f"{v.text} (measured: {v.measured})" for v in verdicts if not v.holds]
    assert not failed, f"{key}: " + "; ".join(failed)
    n = len(lesson.racers) * (2 if lesson.companion else 1)  # a companion race's racers follow
    for c in lesson.claims:
        assert 1 <= c.racer <= n and 0 <= c.other <= n


@pytest.mark.parametrize("key", list(LESSONS))
def test_lesson_text_renders_from_its_configuration(key):
    lesson = LESSONS[key]
    run = lesson.run_config()
    labels = results.racer_labels(run.racers, [r.start for r in run.racers])
    text = lesson.render(labels)
    assert "{" not in text and "}" not in text
    assert len(set(labels)) == len(labels), "labels name what differs between racers"


def test_a_false_claim_is_reported_false():
    """The checker can fail: the article's run does not match other numbers."""
    lesson = LESSONS["article"]
    _, res, _ = lessons.check(lesson)
    surface = lesson.run_config().get_surface()
    wrong = Claim("matches_values", 1, axis=0, values=(4.0, 3.2, 2.5))
    assert not lessons.measure(wrong, res, surface, 0.05)[1]
    assert not lessons.measure(Claim("diverges_before", 1, 20), res, surface, 0.05)[1]
    assert not lessons.measure(Claim("converges_by", 4, 20), res, surface, 0.05)[1]


def test_the_article_printout_digit_for_digit():
    """The article's loop, w = w - lr * 2 * w from 5.0 with lr 0.1, printed for 20 steps."""
    printed, w = [], 5.0
    for _ in range(20):
        w = w - 0.1 * 2 * w
        printed.append(w)
    assert printed[:3] == [4.0, 3.2, 2.56]
    _, res, _ = lessons.check(LESSONS["article"])
    assert [float(v) for v in res[0]["positions"][1:21, 0]] == printed
    assert res[1]["positions"][1, 0] == 0.0


def test_numbers_in_lesson_texts_come_from_the_configuration():
    """A literal number typed into a template (other than tiny constants of a formula) would be
    typed twice: the templates hold none besides these."""
    allowed = {"1", "2", "0", "8"}  # (1, 1) the minimum, 1/2 = 1/curvature, 1 − 2·lr, √8
    for key, lesson in LESSONS.items():
        for num in re.findall(r"(?<![{\w.])\d+(?:\.\d+)?(?![\w}])", lesson.text):
            assert num in allowed, f"{key}: {num!r} is typed into the text"


def run_cli(*args):
    p = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    return p.returncode, p.stdout, p.stderr


def test_cli_lessons_and_lesson():
    code, out, err = run_cli("lessons", "--json")
    assert code == 0, err
    listed = json.loads(out)["lessons"]
    assert [d["key"] for d in listed] == list(LESSONS)
    assert all(d["title"] and d["text"] for d in listed)
    code, out, err = run_cli("lesson", "saddle_oscillation", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["configuration"]["surface"] == "saddle"
    assert len(data["racers"]) == 3 and data["racers"][2]["final_point"][1] == 0.0
    assert data["claims"] and all(c["verdict"] is True for c in data["claims"])
    assert {"claim", "measured", "verdict"} <= set(data["claims"][0])
    code, out, err = run_cli("lesson", "no_such_lesson")
    assert code == 2 and out == "" and err.count("\n") == 1 and "valid:" in err


def test_nesterov_forms_claims_can_fail():
    """The two Nesterov claims measure something: swapped, or on plain momentum, they fail."""
    lesson = LESSONS["nesterov_forms"]
    _, res, verdicts = lessons.check(lesson)
    assert all(v.holds for v in verdicts)
    surface = lesson.run_config().get_surface()
    # torch's run takes its gradients at its own points, not at the textbook's
    assert not lessons.measure(Claim("gradients_at_points_of", 1, other=2), res, surface, 0.05)[1]
    assert not lessons.measure(Claim("apart_at_least", 2, 10.0, other=1), res, surface, 0.05)[1]
    assert lessons.measure(Claim("gradients_at_points_of", 1, other=1), res, surface, 0.05)[1]
