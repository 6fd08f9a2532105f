"""Figure sizes and server-side rerun times of the app.

    python bench/bench_app.py

Budgets: default view < 1 MB of figure JSON; 4 optimizers x 500 steps with both
views < 1.5 MB; a server-side rerun < 200 ms. The baseline printed beside each
figure is the naive animation (every frame repeating the surface and the paths
so far), built in the same run.

Rerun times: every timed change sets a value never computed before in the
session (a new learning rate, an optimizer or surface not chosen before, a new
number of steps, the other view of a new run), and the benchmark stops instead
of printing a time if the rerun showed a figure it had shown before or (for a
change of the run) computed no trajectory: it cannot report a cache hit as a
change. Medians and [min–max] per kind of change; the unchanged rerun (a cache
hit) is printed for comparison.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import plotly.io as pio  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import config  # noqa: E402
from state import DEFAULT_RUN  # noqa: E402
import engine  # noqa: E402
import landscapes  # noqa: E402
import optimizers  # noqa: E402
from figures import views  # noqa: E402
import results as results_mod  # noqa: E402
from config import OptimizerChoice, Racer, RunConfig  # noqa: E402


def size_mb(fig) -> float:
    return len(pio.to_json(fig, validate=False)) / 1e6


def naive_size_mb(run, results) -> float:
    """Every frame carries the contour grid and each path up to that step."""
    fig = views.trajectory_figure_for(run, results)
    s = run.get_surface()
    xs, ys, z = s.grid(120)
    frames = []
    for f in fig.frames:
        if "hold" in f.name:   # the frames that hold the last step add nothing to the naive size
            continue
        k = int(f.name)
        data = [dict(type="contour", x=xs, y=ys, z=z)]
        data += [dict(type="scatter", x=r["positions"][:k + 1, 0], y=r["positions"][:k + 1, 1]) for r in results]
        frames.append(dict(name=f.name, data=data))
    return len(json.dumps(frames, default=lambda a: np.asarray(a).tolist())) / 1e6


def timed(fn, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


class WorkCounter:
    """Counts trajectory computations (every one goes through ``engine.run``) while
    the app runs in this process, so a rerun that was served from a cache is seen."""

    def __init__(self):
        self.calls = 0
        self.original = engine.run

    def __enter__(self):
        def counting(*args, **kwargs):
            self.calls += 1
            return self.original(*args, **kwargs)
        engine.run = counting
        return self

    def __exit__(self, *exc):
        engine.run = self.original


def figure_key(at: AppTest) -> str:
    # the app's chart component (livechart); a baseline before it used st.plotly_chart
    charts = [el.proto.bytes for el in at.get("bidi_component")] or \
        [el.proto.spec.encode() for el in at.get("plotly_chart")]
    if not charts:
        raise SystemExit("the app drew no figure: nothing to time")
    return hashlib.sha256(charts[0]).hexdigest()


def fresh_changes(at: AppTest, rounds: int):
    """Per kind of change, ``rounds`` changes to values never computed before in
    this session, interleaved (so load drift touches every kind alike)."""
    default = DEFAULT_RUN
    first = default.racers[0].choice.name
    opts = [n for n in optimizers.names() if n != first]
    surfaces = [n for n in landscapes.names() if n != default.surface]
    if rounds > min(len(opts), len(surfaces)):
        raise SystemExit(f"at most {min(len(opts), len(surfaces))} rounds: every optimizer and "
                         "surface may be chosen only once")
    counter = iter(range(1, 10_000))

    def new_lr():  # never a rate used before in this context: x (1 + n/1000), n unique
        at.number_input(key="lr.0").set_value(float(at.number_input(key="lr.0").value) * (1 + next(counter) / 1000))

    def new_view():
        new_lr()
        at.run()  # untimed: a new run in the current view ...
        views = [v for v in config.VIEWS if v != at.radio(key="view").value]
        at.radio(key="view").set_value(views[0])  # ... then the timed change: the other view

    used_steps = {int(at.number_input(key="steps").value)}

    def new_steps():
        v = int(at.number_input(key="steps").value) + 7
        while v in used_steps:
            v += 7
        used_steps.add(v)
        at.number_input(key="steps").set_value(v)

    for i in range(rounds):
        yield "learning rate", new_lr, True
        yield "optimizer", lambda i=i: at.selectbox(key="opt.0").set_value(opts[i]), True
        yield "surface", lambda i=i: at.selectbox(key="surface").set_value(surfaces[i]), True
        yield "steps", new_steps, True
        yield "view", new_view, False


def rerun_times(rounds: int = 7) -> dict[str, list[tuple[float, float]]]:
    """Wall time of the whole script (server side, AppTest) after each change.
    Every timed rerun must show a figure never shown before, and a change of the
    run must compute trajectories (the cache missed); otherwise it stops."""
    at = AppTest.from_file(os.path.join(ROOT, "app.py"), default_timeout=120).run()
    at.run()
    seen = {figure_key(at)}
    times: dict[str, list[float]] = {}
    unchanged = []
    with WorkCounter() as work:
        for _ in range(3):  # the cache hit, for comparison
            before = work.calls
            t0, c0 = time.perf_counter(), time.process_time()
            at.run()
            unchanged.append((time.perf_counter() - t0, time.process_time() - c0))
            assert work.calls == before, "an unchanged rerun computed trajectories"
        for kind, change, computes in fresh_changes(at, rounds):
            change()
            before = work.calls
            t0, c0 = time.perf_counter(), time.process_time()
            at.run()
            dt = (time.perf_counter() - t0, time.process_time() - c0)
            if at.exception:
                raise SystemExit(f"{kind}: the app raised {at.exception[0].value}")
            key = figure_key(at)
            if key in seen:
                raise SystemExit(f"{kind}: the figure was one already shown: a cache hit, not a change")
            seen.add(key)
            if computes and work.calls == before:
                raise SystemExit(f"{kind}: no trajectory was computed: a cache hit, not a change")
            times.setdefault(kind, []).append(dt)
    times["unchanged (cache hit)"] = unchanged
    return times


def main() -> None:
    default = DEFAULT_RUN
    res = results_mod.run_results(default)
    fig = views.trajectory_figure_for(default, res)
    mb = size_mb(fig)
    print(f"default view (3 optimizers x {default.steps} steps, 2-D + 3-D): {mb:.3f} MB "
          f"(budget 1 MB {'ok' if mb < 1 else 'MISSED'}); naive frames: {naive_size_mb(default, res):.1f} MB")

    racers = tuple(Racer(OptimizerChoice.build(n, lr)) for n, lr in
                   (("gd", 1e-3), ("momentum", 1e-3), ("adam", 0.05), ("rmsprop", 0.01)))
    four = RunConfig("rosenbrock", (("a", 1.0), ("b", 100.0)), racers, 500, None, 0)
    res4 = results_mod.run_results(four)
    for view in ("both", "2d", "3d"):
        f = views.trajectory_figure_for(four, res4, view=view)
        mb = size_mb(f)
        budget = f"(budget 1.5 MB {'ok' if mb < 1.5 else 'MISSED'})" if view == "both" else ""
        print(f"4 optimizers x 500 steps, view {view}: {mb:.3f} MB, {len(f.frames)} frames {budget}")

    t_compute = timed(lambda: results_mod.run_results(four))
    t_fig = timed(lambda: views.trajectory_figure_for(four, res4))
    t_json = timed(lambda: pio.to_json(views.trajectory_figure_for(four, res4), validate=False))
    print(f"4 x 500: trajectories {t_compute * 1e3:.0f} ms, figure {t_fig * 1e3:.0f} ms, "
          f"figure + JSON {t_json * 1e3:.0f} ms")

    times = rerun_times()
    print("server-side rerun (AppTest, whole script), each change to a value never computed "
          "before;\nmedian [min–max] of n, wall time and the process's CPU time (less sensitive "
          "to other load):")
    for kind, ts in times.items():
        wall, cpu = (np.array(ts) * 1e3).T
        print(f"  {kind:22s} wall {np.median(wall):5.0f} ms [{wall.min():.0f}–{wall.max():.0f}]   "
              f"cpu {np.median(cpu):5.0f} ms [{cpu.min():.0f}–{cpu.max():.0f}]   n={len(ts)}")
    worst = max(np.median(np.array(ts)[:, 0]) for k, ts in times.items() if k != "unchanged (cache hit)")
    print(f"slowest median change {worst * 1e3:.0f} ms (budget 200 ms {'ok' if worst < 0.2 else 'MISSED'})")


if __name__ == "__main__":
    main()
