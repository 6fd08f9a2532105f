"""Speed of the training view (a real network's race, its plane and the figure),
against baselines measured in the same run.

    python bench/bench_training.py

1. First picture, default network (2 -> 16 -> 16 -> 2, 354 weights, two moons N = 100,
   Adam and momentum x 300 full-batch steps), cold caches: training, the plane
   (PCA), the loss on its 61 x 61 grid, the race figure with the data panel, the
   interpolation and loss charts, and the figure's JSON as the page sends it.
   Target: <= 3 s.
2. A new learning rate for one racer (the other racer's run cached): <= 1 s.
3. A network lesson's claims (``train_spirals_batch``: four of them measured with
   each of 10 noise seeds), what opening that lesson costs once per process.
4. Baselines in the same run:
   a. the plane's grid one point at a time (the network called once per point,
      measured on 300 points and scaled), against ``network.plane_loss``;
   b. the existing network view's first build: the ``nn_slice`` surface (its
      2,000 Adam steps and its 120 x 120 grid), what the app pays today to show
      a network at all.

Wall time and this process's CPU time are printed: on a shared machine the wall
time includes waiting for a core. Run with 2 cores (the deployment).
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np

import figures.prepared as prepared
import livechart
from figures.scale import SurfaceGrids
from landscapes import nn
from training import Racer, TrainConfig, network
from training import view as view_mod


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def line(what, w, c, note=""):
    print(f"{what:58s} {w:6.2f} s wall  {c:6.2f} s CPU  {note}")


def first_picture(cfg):
    """What the page computes before its first picture: the view, its race and loss
    figures prepared as ``livechart`` sends them, the interpolation chart's JSON."""
    v = view_mod.training_view(cfg)
    fig = livechart.payload(prepared.prepare_stable(v.figure))
    livechart.payload(prepared.prepare_stable(v.loss.to_dict()))
    v.interpolation.to_json()
    return v, fig


def clear():
    view_mod._RUNS.clear()
    view_mod._PLANES.clear()


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    cfg = TrainConfig()
    clear()
    w, c, (v, fig) = timed(lambda: first_picture(cfg))
    first = (w, c)
    line("1. first picture, default network (cold)", w, c,
         f"target <= 3 s; figure {len(fig) / 1e6:.2f} MB")
    clear()
    parts = {}
    w1, c1, run = timed(lambda: view_mod.train(cfg, racer_run=view_mod.cached_racer))
    parts["train 2 racers x 300 steps"] = (w1, c1)
    w2, c2, plane = timed(lambda: view_mod.plane_of(run))
    parts["plane (PCA)"] = (w2, c2)
    w3, c3, _ = timed(lambda: view_mod.plane_grids(plane))
    parts[f"loss on the {view_mod.GRID} x {view_mod.GRID} grid"] = (w3, c3)
    w4, c4, _ = timed(lambda: livechart.payload(prepared.prepare_stable(view_mod.race_figure(run, plane, raw=True))))
    parts["race figure with data panel, prepared"] = (w4, c4)
    for k, (a, b) in parts.items():
        line(f"   {k}", a, b)

    new = TrainConfig(racers=(cfg.racers[0], Racer("momentum", 0.08, {"momentum": 0.9})))
    w, c, _ = timed(lambda: first_picture(new))
    again = (w, c)
    line("2. a new learning rate for racer 2 (racer 1 cached)", w, c, "target <= 1 s")

    from lessons import LESSONS
    from training.lesson import check
    w, c, _ = timed(lambda: check(LESSONS["train_spirals_batch"].lesson))
    line("3. the lesson train_spirals_batch's claims (10 noise seeds)", w, c, "once per process (cached)")

    xs, ys, _ = plane.grid(view_mod.GRID)
    pts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    X, y = run.data.X, run.data.y

    some = pts[:: max(1, len(pts) // 300)]

    def per_point():
        return np.array([network.losses((plane.centre + a * plane.d1 + b * plane.d2)[None], X, y, run.sizes)[0]
                         for a, b in some])

    wa, ca, za = timed(per_point)
    scale = len(pts) / len(some)
    wb, cb, zb = timed(lambda: plane.loss(pts))
    line("4a. baseline: the grid one network call per point (scaled)", wa * scale, ca * scale)
    line("    network.plane_loss (same grid, vectorized)", wb, cb,
         f"{ca * scale / max(cb, 1e-9):.1f}x less CPU; max rel diff "
         f"{np.max(np.abs(za - plane.loss(some)) / za):.1e}")

    wn, cn, _ = timed(lambda: SurfaceGrids.of(nn.nn_slice(n=100, noise=0.2, seed=12345)))
    line("4b. baseline: the nn_slice surface built and gridded", wn, cn, "(the existing network view)")
    print(f"ratios to 4b (CPU): first picture {first[1] / cn:.2f}, new learning rate {again[1] / cn:.2f}")


if __name__ == "__main__":
    main()
