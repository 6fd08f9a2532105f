"""Every lesson's claims hold on its computed run; its text quotes only its own numbers."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
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


# --- issue 20: lessons whose picture shows their claim --------------------------------------

def _domain_diagonal(lesson) -> float:
    (x0, x1), (y0, y1) = lesson.run_config().get_surface().domain
    return float(np.hypot(x1 - x0, y1 - y0))


def test_rotation_adam_at_45_degrees_is_visibly_behind():
    """Adam at 45° ends far enough from the minimum to see on the map (more than 5% of the map's
    diagonal), Adam at 0° and gradient descent at both angles arrive; the labels name the angle."""
    lesson = LESSONS["rotation"]
    _, res, verdicts = lessons.check(lesson)
    assert all(v.holds for v in verdicts)
    assert [r["label"] for r in res] == ["gd lr=0.5 at 0°", "adam lr=0.1 at 0°", "gd lr=0.5 at 45°",
                                         "adam lr=0.1 at 45°"]
    diag = _domain_diagonal(lesson)
    assert res[3]["distance"] > 0.05 * diag
    assert max(res[0]["distance"], res[1]["distance"], res[2]["distance"]) < 0.02 * diag
    assert "much farther" not in lesson.text


def test_a_two_race_lesson_table_names_each_race():
    lesson = LESSONS["rotation"]
    run, companion = lesson.run_config(), lesson.companion_config()
    rows = lessons.race_table(lesson, run, results.run_results(run), companion, results.run_results(companion))
    assert [r["racer"] for r in rows] == ["gd lr=0.5 at 0°", "adam lr=0.1 at 0°", "gd lr=0.5 at 45°",
                                          "adam lr=0.1 at 45°"]
    assert rows[3]["final x"] != rows[1]["final x"]
    plain = lessons.race_table(None, run, results.run_results(run))
    assert [r["racer"] for r in plain] == ["gd lr=0.5", "adam lr=0.1"]


def test_local_minima_the_start_decides():
    """Both racers are the same optimizer with the same settings; only their starts differ, and
    they end in different minima (the title's claim)."""
    lesson = LESSONS["local_minima"]
    run = lesson.run_config()
    a, b = run.racers
    assert a.choice == b.choice and a.schedule == b.schedule and a.noise == b.noise
    assert a.start != b.start
    assert run.start_point() == run.racer_start(0)  # no unused start drawn on the map
    _, res, verdicts = lessons.check(lesson)
    assert {c.what for c in lesson.claims} == {"local", "global"} and all(v.holds for v in verdicts)


def _stochastic(lesson, i: int) -> bool:
    r = lesson.racers[(i - 1) % len(lesson.racers)]
    return bool(r.noise) or r.batch_size is not None


@pytest.mark.parametrize("key", list(LESSONS))
def test_a_claim_about_a_noisy_run_holds_over_ten_seeds_and_says_so(key):
    lesson = LESSONS[key]
    labels = [f"r{i}" for i in range(1, 2 * len(lesson.racers) + 1)]
    for c in lesson.claims:
        if _stochastic(lesson, c.racer) or (c.other and _stochastic(lesson, c.other)):
            assert c.seeds >= 10, f"{key}: {c} rests on one seed"
            assert f"each of the {c.seeds} noise seeds" in c.text(labels)


def test_a_claim_over_seeds_reruns_and_can_fail():
    """decay's claims are measured on seeds 0-9 (each a different run); a claim that fails with
    one seed fails, and its measured text names that seed."""
    lesson = LESSONS["decay"]
    surface = lesson.run_config().get_surface()
    seen = []

    def rerun(k):
        seen.append(k)
        return lessons.lesson_results(lesson, k)

    text, holds = lessons.measure_over_seeds(lesson.claims[0], rerun, surface, 0.05)
    assert holds and seen == list(range(10)) and text.startswith("held with 10 of 10 seeds")
    finals = {k: lessons.lesson_results(lesson, k)[0]["distance"] for k in (0, 1)}
    assert finals[0] != finals[1]  # the seeds give different runs
    # constant closer than cosine: false with every seed
    text, holds = lessons.measure_over_seeds(Claim("closer_than_other", 1, other=2, seeds=10), rerun,
                                              surface, 0.05)
    assert not holds and "held with 0 of 10" in text and "fails with seed 3" in text
    # a threshold that only some seeds meet
    cut = sorted(lessons.lesson_results(lesson, k)[1]["distance"] for k in range(10))[5]
    text, holds = lessons.measure_over_seeds(Claim("closer_than", 2, cut, seeds=10), rerun, surface, 0.05)
    assert not holds and "held with 5 of 10" in text


def test_plateau_rescue_racers_can_be_told_apart():
    """Not one diagonal: the racers' last points differ (more than 1% of the map's diagonal apart,
    between every two that stay on the map) and no two paths are the same."""
    lesson = LESSONS["plateau_rescue"]
    _, res, verdicts = lessons.check(lesson)
    assert all(v.holds for v in verdicts)
    diag = _domain_diagonal(lesson)
    for i in range(len(res)):
        for j in range(i):
            a, b = res[i]["positions"], res[j]["positions"]
            n = min(len(a), len(b))
            assert len(a) != len(b) or not np.array_equal(a, b)
            assert np.max(np.linalg.norm(a[:n] - b[:n], axis=1)) > 0.01 * diag
    ends = [r["final_position"] for r in res if r["status"] == "max_steps"]
    assert len(ends) == 3
    assert min(np.linalg.norm(np.subtract(p, q)) for k, p in enumerate(ends) for q in ends[:k]) > 0.01 * diag
    pts = np.concatenate([r["positions"] for r in res])
    assert np.ptp(pts[:, 0]) > 0 and np.ptp(pts[:, 1]) > 0 and not np.allclose(np.abs(pts[:, 0]), np.abs(pts[:, 1]))


def test_the_article_printout_line_for_line():
    """The app's printout of the article lesson is the article's loop printed by plain Python:
    ``Step 0`` is the weight after the first update, with Python's own digits."""
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        w, lr = 5.0, 0.1
        for i in range(20):
            grad = 2 * w
            w = w - lr * grad
            print(f"Step {i}: Weight = {w}")
    article = buf.getvalue().splitlines()
    assert article[0] == "Step 0: Weight = 4.0" and "Step 11: Weight = 0.3435973836800001" in article
    lesson = LESSONS["article"]
    run = lesson.run_config()
    printout = lessons.article_printout(run, results.run_results(run))
    assert list(printout.values())[0] == article
    assert list(printout.values())[1] == [f"Step {i}: Weight = 0.0" for i in range(20)]
    stopped = list(printout.values())[3]  # lr 1.1 leaves the escape region: the last line says so
    assert stopped[0] == "Step 0: Weight = -6.0" and stopped[-1].startswith("(then the run stopped: diverged")
    assert len(stopped) < 20


def test_saddle_oscillation_names_the_valley_and_the_ridge():
    """On x² − y², x = 0 is the valley line (f is smallest there along x) and y = 0 the ridge."""
    text = LESSONS["saddle_oscillation"].render()
    assert "ridge line x = 0" not in text and "across the ridge every step" not in text
    assert "valley line x = 0" in text and "exactly on the ridge" in text


def test_a_heading_ends_one_sentence():
    assert lessons.heading("Does gradient descent oscillate at a saddle point?") == \
        "Does gradient descent oscillate at a saddle point?"
    assert lessons.heading("Momentum in a ravine") == "Momentum in a ravine."
    for lesson in LESSONS.values():
        h = lessons.heading(lesson.title)
        assert not re.search(r"[.?!]\.$", h) and h[-1] in ".?!"


@pytest.mark.parametrize("key", list(LESSONS))
def test_measured_texts_say_what_they_are(key):
    """A measured value names its quantity: never "at most …" under an "at least" claim, never a
    bare status code (max_steps) or two bare numbers."""
    _, _, verdicts = lessons.check(LESSONS[key])
    for v in verdicts:
        assert "at most" not in v.measured and "max_steps" not in v.measured, v
        assert not re.fullmatch(r"[-\d.e+]+ vs [-\d.e+]+", v.measured), v
        assert not v.measured.startswith("max |"), v
    nf = {v.claim.kind: v.measured for v in lessons.check(LESSONS["nesterov_forms"])[2]}
    assert nf["apart_at_least"].startswith("largest distance between them ")
