"""Figure sizes and server-side rerun times of the app.

    python bench/bench_app.py

Budgets: default view < 1 MB of figure JSON; 4 optimizers x 500 steps with both
views < 1.5 MB; a server-side rerun < 200 ms. The baseline printed beside each
figure is the naive animation (every frame repeating the surface and the paths
so far), built in the same run.
"""
from __future__ import annotations

import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import plotly.io as pio  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import appstate  # noqa: E402
import exports  # noqa: E402
import results as results_mod  # noqa: E402
from config import OptimizerChoice, Racer, RunConfig  # noqa: E402


def size_mb(fig) -> float:
    return len(pio.to_json(fig, validate=False)) / 1e6


def naive_size_mb(run, results) -> float:
    """Every frame carries the contour grid and each path up to that step."""
    fig = exports.trajectory_figure_for(run, results)
    s = run.get_surface()
    xs, ys, z = s.grid(120)
    frames = []
    for f in fig.frames:
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


def main() -> None:
    default = appstate.default_state().run
    res = results_mod.run_results(default)
    fig = exports.trajectory_figure_for(default, res)
    mb = size_mb(fig)
    print(f"default view (3 optimizers x {default.steps} steps, 2-D + 3-D): {mb:.3f} MB "
          f"(budget 1 MB {'ok' if mb < 1 else 'MISSED'}); naive frames: {naive_size_mb(default, res):.1f} MB")

    racers = tuple(Racer(OptimizerChoice.build(n, lr)) for n, lr in
                   (("gd", 1e-3), ("momentum", 1e-3), ("adam", 0.05), ("rmsprop", 0.01)))
    four = RunConfig("rosenbrock", (("a", 1.0), ("b", 100.0)), racers, 500, None, 0)
    res4 = results_mod.run_results(four)
    for view in ("both", "2d", "3d"):
        f = exports.trajectory_figure_for(four, res4, view=view)
        mb = size_mb(f)
        budget = f"(budget 1.5 MB {'ok' if mb < 1.5 else 'MISSED'})" if view == "both" else ""
        print(f"4 optimizers x 500 steps, view {view}: {mb:.3f} MB, {len(f.frames)} frames {budget}")

    t_compute = timed(lambda: results_mod.run_results(four))
    t_fig = timed(lambda: exports.trajectory_figure_for(four, res4))
    t_json = timed(lambda: pio.to_json(exports.trajectory_figure_for(four, res4), validate=False))
    print(f"4 x 500: trajectories {t_compute * 1e3:.0f} ms, figure {t_fig * 1e3:.0f} ms, "
          f"figure + JSON {t_json * 1e3:.0f} ms")

    at = AppTest.from_file(os.path.join(ROOT, "app.py"), default_timeout=60).run()
    at.run()
    t_cached = timed(lambda: at.run(), 5)
    lrs = iter(np.geomspace(1e-3, 2e-3, 50))
    t_change = timed(lambda: at.number_input(key="lr.0").set_value(float(next(lrs))).run(), 5)
    views = iter(["2d", "both"] * 10)
    t_view = timed(lambda: at.radio(key="view").set_value(next(views)).run(), 4)
    print(f"server-side rerun (AppTest, whole script): unchanged {t_cached * 1e3:.0f} ms, "
          f"view option {t_view * 1e3:.0f} ms, learning rate changed {t_change * 1e3:.0f} ms "
          f"(budget 200 ms {'ok' if max(t_cached, t_change, t_view) < 0.2 else 'MISSED'})")


if __name__ == "__main__":
    main()
