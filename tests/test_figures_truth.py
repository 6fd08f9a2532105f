"""Every picture says exactly what the run did (issue 20, the figures' side):
plotted numbers equal the computed ones, nothing from the future during Play,
labels inside their views, theory lines only where the theory applies."""
from __future__ import annotations

import base64

import numpy as np
import pytest

from figures import views
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
        spec = prepared.prepare_stable(views.loss_figure_with_theory(run, res, log=log)).spec
        curves = {prepared.trace_meta(t).get("racer"): t for t in spec["data"]
                  if prepared.trace_meta(t).get("role") == "loss"}
        fmin = run.get_surface().global_minimum
        on_log = log and fmin is not None
        largest = max([float(np.max(np.abs(r["losses"][np.isfinite(r["losses"])]))) for r in res
                       if np.isfinite(r["losses"]).any()] + [1.0])   # the chart's scale: one floor for all
        for i, r in enumerate(res):
            loss = r["losses"][np.isfinite(r["losses"])]
            t = curves[i]
            x, y = arr(t["x"]), arr(t["y"])
            assert list(x) == list(range(len(loss))), f"{key}: racer {i} misses steps"
            want = loss - fmin if on_log else loss
            if on_log:
                floor = prepared.trace_meta(t)["floor"]
                low = want <= floor
                assert floor <= 1e-15 * largest, "the floor is round-off (of the chart's largest loss)"
                want = np.where(low, floor, want)
                if low.any():
                    text = np.asarray(t["text"])
                    assert all(s.startswith(("≤", "= 0")) for s in text[low]) and not any(text[~low]), \
                        "a point drawn at the floor says so, the others do not"
            np.testing.assert_allclose(y, want, rtol=1e-6, atol=0,
                                       err_msg=f"{key}: racer {i}'s curve differs from its losses")


@pytest.mark.parametrize("key", list(lessons.NETWORK_LESSONS))
def test_a_network_lessons_loss_chart_and_paths_equal_its_run(key):
    """A network lesson's own view (the training view): the loss chart as the browser
    receives it is each racer's full-batch training loss at every step, and the map's
    paths are its projected points, to a relative 1e-6."""
    from training import view as training_view
    tv = training_view.training_view(lessons.LESSONS[key].config)
    run, plane = tv.run, tv.plane
    spec = prepared.prepare_stable(tv.loss).spec
    curves = {prepared.trace_meta(t).get("racer"): t for t in spec["data"]
              if prepared.trace_meta(t).get("role") == "loss"}
    for r in range(len(run.labels)):
        y = arr(curves[r]["y"])
        np.testing.assert_allclose(y, run.losses[r, :run.last(r) + 1], rtol=1e-6, atol=0)
    paths = {prepared.trace_meta(t)["racer"]: t for t in tv.figure["data"]
             if prepared.trace_meta(t).get("role") == "path" and t.get("type", "scatter") == "scatter"}
    for r, t in paths.items():
        np.testing.assert_allclose(np.column_stack([arr(t["x"]), arr(t["y"])]), plane.coords[r], rtol=1e-6,
                                   atol=1e-9)


# --- nothing from the future ---------------------------------------------------

def _frame_state(fig: dict, name: str) -> dict[int, dict]:
    """A frame as plotly.js computes it (``baseframe`` chain, nearer frame wins)."""
    frames = {f["name"]: f for f in fig["frames"]}
    chain, seen = [], set()
    while name is not None and name not in seen:
        seen.add(name)
        chain.append(frames[name])
        name = frames[name].get("baseframe")
    out: dict[int, dict] = {}
    for fr in reversed(chain):
        for i, d in zip(fr["traces"], fr["data"]):
            out[i] = {**out.get(i, {}), **d}
    return out


@pytest.mark.parametrize("key", ["learning_rate", "saddle", "article", "plateau_rescue"])
@pytest.mark.parametrize("view", ["both", "2d", "3d"])
def test_end_marks_appear_at_their_step_in_every_frame(key, view):
    """In every frame (as Play and the slider show it) a run's ✕ and its
    status are empty before the step it stopped at, and drawn from it on;
    the figure opens on the last frame with every mark drawn."""
    (run, res), *_ = lesson_runs(key)
    fig = views.trajectory_figure_for(run, res, view=view, raw=True)
    ends = {i: t for i, t in enumerate(fig["data"]) if t.get("meta", {}).get("role") in ("end", "end3d")}
    ended = [r for r in res if r["status"] in ("diverged", "escaped")]
    assert len(ends) == len(ended) * (2 if view == "both" else 1)
    for i, t in ends.items():
        stop = res[t["meta"]["racer"]]["stopped_at"]
        assert t["meta"]["step"] == stop and f"at step {stop}" in t["text"][-1]
        assert len(t["x"]) > 0, "the figure opens on the last step: every mark drawn"
        seen_before = seen_after = 0
        for fr in fig["frames"]:
            if "hold" in fr["name"]:
                continue
            state = _frame_state(fig, fr["name"])[i]
            if int(fr["name"]) < stop:
                assert len(state["x"]) == 0 and len(state["text"]) == 0, \
                    f"{key}: {t['text'][-1]!r} drawn at step {fr['name']}"
                seen_before += 1
            else:
                assert list(state["x"]) == list(t["x"]) and state["text"] == t["text"]
                seen_after += 1
        assert seen_before and seen_after


def test_gif_draws_the_cross_and_the_status_in_the_legend_from_their_step_on():
    """Frames before the stop step are exactly the frames of the same run
    without its end (no ✕, no "(diverged)"); the frame at the stop step is not."""
    from dataclasses import replace

    from figures.gif import _Frames, gif_layout
    (run, res), *_ = lesson_runs("learning_rate")
    paths = views.paths_for(res)
    surface = run.get_surface()
    lay = gif_layout(surface, paths)
    calm = [replace(p, status="max_steps") if p.ended else p for p in paths]
    stop = next(p.end_step for p in paths if p.ended)
    a, b = _Frames(surface, paths, run.start_point(), lay), _Frames(surface, calm, run.start_point(), lay)
    # the legend's " (diverged)": its box shows the plain background until the stop step
    from figures.gif import _ROW, LABEL_SIZE, _font, _SWATCH, _text_size
    item, x, y = next(e for e in lay.legend if e[0].suffix)
    sx = x + _SWATCH + 6 + _text_size(_font(LABEL_SIZE), item.label)[0]
    box = (sx, y, sx + _text_size(_font(LABEL_SIZE), item.suffix)[0], y + _ROW)
    blank = np.asarray(a.bg.crop(box))
    for step in range(0, stop):   # b has no ✕: the frames are equal until the stop step
        assert np.array_equal(np.asarray(a.frame(step)), np.asarray(b.frame(step))), f"step {step}"
        assert np.array_equal(np.asarray(a.frame(step).crop(box)), blank), f"(diverged) at step {step}"
    assert not np.array_equal(np.asarray(a.frame(stop)), np.asarray(b.frame(stop))), "the ✕ at its step"
    assert not np.array_equal(np.asarray(a.frame(stop).crop(box)), blank), "(diverged) at its step"


def test_gif_marks_an_end_off_the_map_with_an_arrow_at_the_edge_labelled_with_the_point():
    """article: lr=1.1 ends at (−17.9, 0), far left of the map. The GIF, like the app's map,
    draws an arrow on the map's left edge at y = 0 pointing left, labelled with the point,
    from the stop step on (not a ✕ pinned to the edge as if the run ended there)."""
    import math

    from figures.gif import _end_crosses, _Frames, gif_layout
    (run, res), *_ = lesson_runs("article")
    paths = views.paths_for(res)
    surface = run.get_surface()
    # the region the app's map draws (it holds the start at w = 5), as exports.animation_gif
    lay = gif_layout(surface, paths, domain=views.view_domain(surface.domain, [run.start_point()]))
    px, py = lay.to_plot([run.start_point()])[0]
    assert 0 <= px <= lay.plot_width and 0 <= py <= lay.plot_height, "the start is on the GIF's map"
    (mark,) = _end_crosses(paths, lay)
    end = next(p for p in paths if p.ended)
    assert mark.label == f"→ ({end.xy[-1, 0]:.3g}, {end.xy[-1, 1]:.3g})".replace("-", "−") == "→ (−17.9, 0)"
    assert mark.at[0] == pytest.approx(0, abs=1e-6) and mark.angle == pytest.approx(math.pi)
    assert mark.at[1] == pytest.approx(lay.to_plot([[0.0, 0.0]])[0, 1])
    frames = _Frames(surface, paths, run.start_point(), lay)
    x0, y0 = int(mark.at[0]), int(mark.at[1])
    patch = (x0, y0 - 12, x0 + 40, y0 + 12)
    colour = frames.ink(mark.colour)

    def coloured(step: int) -> int:
        area = frames._plot_area(step)
        return int((np.asarray(area.crop(patch)) == colour).sum())

    before, after = coloured(mark.step - 1), coloured(mark.step)
    assert after > before + 20, (before, after)


# --- the loss chart's legend and its theory lines ------------------------------

@pytest.mark.parametrize("key", ["batch", "ravine", "theory", "learning_rate"])
def test_theory_lines_only_where_the_theory_applies_and_one_legend_entry_for_them(key):
    """Deterministic, full-batch racers on a quadratic get a theory line;
    mini-batch or noisy racers never; the legend holds the racers and one
    entry for all theory lines (it never grows to a scrolling block)."""
    (run, res), *_ = lesson_runs(key)
    fig = views.loss_figure_with_theory(run, res).to_dict()
    theory = [t for t in fig["data"] if t.get("meta", {}).get("role") == "theory"]
    for t in theory:
        racer = run.racers[t["meta"]["racer"]]
        assert racer.noise == 0 and racer.batch_size is None, f"{key}: theory drawn for {t['name']}"
        assert t.get("showlegend") is False
    if key == "batch":
        assert [t["meta"]["racer"] for t in theory] == [0], "only the full-batch racer"
    in_legend = [t for t in fig["data"] if t.get("showlegend", True) and t.get("name")
                 and t.get("meta", {}).get("role") != "end"]
    assert len(in_legend) <= len(res) + 1, [t["name"] for t in in_legend]


def test_a_run_that_stops_at_a_saddle_point_is_named_so_never_converged():
    import results
    (run, res), *_ = lesson_runs("saddle_oscillation")
    rows = results.results_table(run, res)
    on_ridge = [row for r, row in zip(res, rows) if r["status"] == "converged"]
    assert on_ridge, "the lesson has a run whose gradient vanishes (at the saddle)"
    for row in on_ridge:
        assert row["status"].startswith("stopped at a saddle point at step"), row["status"]
    # a run that converges in a minimum is still "converged"
    (run, res), *_ = lesson_runs("learning_rate")
    assert any(row["status"].startswith("converged at step") for row in results.results_table(run, res))


@pytest.mark.parametrize("key", ["learning_rate", "saddle", "article", "plateau_rescue", "saddle_oscillation"])
def test_loss_chart_end_marks_lie_inside_its_range(key):
    """A run that blew up or escaped downhill has its ✕ on the chart's edge,
    never beyond the y range (where plotly would hide it and its label)."""
    (run, res), *_ = lesson_runs(key)
    for log in (True, False):
        fig = views.loss_figure_with_theory(run, res, log=log).to_dict()
        lo, hi = fig["layout"]["yaxis"]["range"]
        ends = [t for t in fig["data"] if t.get("meta", {}).get("role") == "end"]
        assert len(ends) == sum(r["status"] in ("diverged", "escaped") for r in res)
        for t in ends:
            y = np.log10(t["y"][0]) if fig["layout"]["yaxis"]["type"] == "log" else t["y"][0]
            assert lo - 1e-9 <= y <= hi + 1e-9, (key, t["text"], y, lo, hi)


def test_the_path_ahead_is_a_thin_faint_line_the_trail_wide_in_its_dash_pattern():
    """During Play the not-yet-reached path must not pass for the trail, for
    any dash pattern: it is solid, faint and at most 40% of the trail's width."""
    (run, res), *_ = lesson_runs("learning_rate")
    fig = views.trajectory_figure_for(run, res, view="2d", raw=True)
    for i in range(len(res)):
        path = next(t for t in fig["data"] if t.get("meta") == {"role": "path", "racer": i})
        trail = next(t for t in fig["data"] if t.get("meta") == {"role": "trail", "racer": i})
        assert path["line"]["dash"] == "solid" and path["opacity"] < 0.5
        assert path["line"]["width"] <= 0.4 * trail["line"]["width"]
