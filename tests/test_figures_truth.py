"""Every picture says exactly what the run did (issue 20, the figures' side):
plotted numbers equal the computed ones, nothing from the future during Play,
labels inside their views, theory lines only where the theory applies."""
from __future__ import annotations

import base64

import numpy as np
import pytest

import exports
import lessons
from figures import prepared
from results import run_results


def arr(v) -> np.ndarray:
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.astype(float)
    return np.array([np.nan if x is None else x for x in v], dtype=float)


def lesson_runs(key: str):
    """The lesson's race and, for a lesson of two races, its companion: each
    with its results as the app computes them."""
    lesson = lessons.LESSONS[key]
    runs = [lesson.run_config()] + ([lesson.companion_config()] if lesson.companion else [])
    return [(run, run_results(run)) for run in runs]


def test_significant_keeps_seven_digits_of_every_value_whatever_its_neighbours():
    a = np.array([25.0, 9.6e-13, 1.2345678912e-300, -3.14159265358e40, 0.0, 1 / 3])
    got = prepared.significant(a)
    assert got[0] == 25.0 and got[1] == 9.6e-13 and got[4] == 0.0
    np.testing.assert_allclose(got, a, rtol=5e-7)
    assert repr(float(got[5])) == "0.3333333"     # short text, as the browser receives it
    assert prepared._numbers(np.array([1e3, 1e-9, np.nan])) == [1000.0, 1e-09, None]


@pytest.mark.parametrize("log", [True, False])
@pytest.mark.parametrize("key", list(lessons.LESSONS))
def test_loss_chart_values_equal_the_results_losses_in_every_lesson(key, log):
    """The loss chart as the browser receives it (``prepare_stable``): at every
    step, each racer's curve is its computed loss (minus f* on a log axis) to a
    relative 1e-6. On a log axis a gap at or below the floor (an exact 0) is
    drawn at the floor, and its hover text says it is 0 or below."""
    for run, res in lesson_runs(key):
        spec = prepared.prepare_stable(exports.loss_figure_with_theory(run, res, log=log)).spec
        curves = {prepared.trace_meta(t).get("racer"): t for t in spec["data"]
                  if prepared.trace_meta(t).get("role") == "loss"}
        fmin = run.get_surface().global_minimum
        on_log = log and fmin is not None
        for i, r in enumerate(res):
            loss = r["losses"][np.isfinite(r["losses"])]
            t = curves[i]
            x, y = arr(t["x"]), arr(t["y"])
            assert list(x) == list(range(len(loss))), f"{key}: racer {i} misses steps"
            want = loss - fmin if on_log else loss
            if on_log:
                floor = prepared.trace_meta(t)["floor"]
                low = want <= floor
                assert floor <= 1e-15 * max(1.0, float(np.max(np.abs(loss)))), "the floor is round-off"
                want = np.where(low, floor, want)
                if low.any():
                    text = np.asarray(t["text"])
                    assert all(s.startswith(("≤", "= 0")) for s in text[low]) and not any(text[~low]), \
                        "a point drawn at the floor says so, the others do not"
            np.testing.assert_allclose(y, want, rtol=1e-6, atol=0,
                                       err_msg=f"{key}: racer {i}'s curve differs from its losses")
