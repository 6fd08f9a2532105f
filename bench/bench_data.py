"""Speed of real mini-batch runs and of the network slice, against baselines
measured in the same run.

    python bench/bench_data.py

1. A race of 6 optimizers x 1,000 steps with batch 16 on linear regression
   (N = 256), as the app runs it (one engine run per racer, each computing its
   full-batch loss every step as well), against a plain-Python loop over racers,
   steps and samples doing the same work. Target: under 0.5 s.
2. A sweep of 200 learning rates x 500 steps with mini-batches of 16 on linear
   regression (one vectorized run), against one engine run per learning rate
   (measured on 20 rates, scaled by 10). Target: under 2 s.
3. The network slice's 120 x 120 contour grid (one vectorized pass), against a
   loop calling the network once per point (measured on 300 points, scaled).
   Target: under 1 s.

Wall time and this process's CPU time are both printed: on a shared machine the
wall time includes waiting for a core.
"""
from __future__ import annotations

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np

import experiments
import landscapes
from config import OptimizerChoice, Racer, RunConfig
from landscapes import nn


def timed(fn, repeat=3):
    """(best wall time, CPU time of that repeat, result)."""
    best = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        w, c = time.perf_counter() - w, time.process_time() - c
        if best is None or w < best[0]:
            best = (w, c, out)
    return best


def python_race(x, y, racers, steps, batch, seed=0):
    """SGD with batch ``batch`` for each racer: per-sample Python loops, a
    shuffle per epoch, the full-batch loss every step (as the engine records)."""
    n = len(x)
    out = []
    for i, lr in enumerate(racers):
        rng = random.Random(seed + i)
        w, b = -1.5, 2.0
        order: list[int] = []
        losses = []
        for t in range(steps):
            if not order:
                order = list(range(n))
                rng.shuffle(order)
            idx, order = order[:batch], order[batch:]
            gw = gb = 0.0
            for j in idx:
                r = w * x[j] + b - y[j]
                gw += 2 * r * x[j]
                gb += 2 * r
            w -= lr * gw / len(idx)
            b -= lr * gb / len(idx)
            loss = 0.0
            for j in range(n):
                r = w * x[j] + b - y[j]
                loss += r * r
            losses.append(loss / n)
        out.append((w, b, losses[-1]))
    return out


def main() -> None:
    s = landscapes.get("linear_regression")
    x, y = s.data.X[:, 0].tolist(), s.data.y.tolist()
    print(f"linear regression, N = {s.n_samples}")

    # 1. the race
    racers = tuple(Racer(OptimizerChoice.build(name, lr), batch_size=16)
                   for name, lr in [("gd", 0.1), ("momentum", 0.02), ("nesterov", 0.02),
                                    ("adam", 0.05), ("rmsprop", 0.01), ("adagrad", 0.3)])
    cfg = RunConfig("linear_regression", (), racers, 1000, None, 0)
    w, c, _ = timed(lambda: experiments.run_config(cfg))
    bw, bc, _ = timed(lambda: python_race(x, y, [0.1] * 6, 1000, 16), repeat=1)
    print(f"race 6 x 1,000 steps, batch 16: {w:.3f} s wall ({c:.3f} s CPU); "
          f"Python loops {bw:.2f} s wall ({bc:.2f} s CPU), {bc / c:.2g}x the engine's CPU time; "
          "target < 0.5 s")

    # 2. the sweep
    choice = OptimizerChoice.build("gd")
    start = s.default_start
    w, c, sw = timed(lambda: experiments.sweep(s, choice, start, 1e-3, 1.0, 200, 500, batch_size=16))
    lrs = np.geomspace(1e-3, 1.0, 200)[::10]
    bw, bc, _ = timed(lambda: [experiments.run_choice(s, choice, start, 500, batch_size=16,
                                                      hp_override={"lr": lr}, history="final")
                               for lr in lrs], repeat=1)
    bw, bc = 10 * bw, 10 * bc
    print(f"sweep 200 lrs x 500 steps, batch 16: {w:.3f} s wall ({c:.3f} s CPU); "
          f"one run per lr {bw:.2f} s wall ({bc:.2f} s CPU), {bc / c:.2g}x; target < 2 s "
          f"(best lr {sw.lrs[sw.best_index]:.3g})")

    # 3. the network slice
    w0 = time.perf_counter()
    net = landscapes.get("nn_slice")
    build = time.perf_counter() - w0
    g = np.linspace(-1, 1, 120)
    pts = np.stack(np.meshgrid(g, g), axis=-1)
    w, c, z = timed(lambda: net.f(pts))
    theta, d1, d2 = net.info["theta"], net.info["d1"], net.info["d2"]
    sub = pts.reshape(-1, 2)[::48]
    bw, bc, zb = timed(lambda: [nn.network_loss(theta + a * d1 + b * d2, net.data.X, net.data.y)
                                for a, b in sub], repeat=1)
    assert np.allclose(zb, z.reshape(-1)[::48], rtol=1e-10)
    scale = len(pts.reshape(-1, 2)) / len(sub)
    bw, bc = scale * bw, scale * bc
    print(f"network slice (N = {net.n_samples}): trained and built in {build:.2f} s; "
          f"120 x 120 grid {w:.3f} s wall ({c:.3f} s CPU); "
          f"one network call per point {bw:.2f} s wall ({bc:.2f} s CPU), {bc / c:.2g}x; target < 1 s")
    w, c, _ = timed(lambda: net.grad(pts.reshape(-1, 2)[:1000]))  # noqa: F841
    print(f"network slice gradient at 1,000 points: {w:.3f} s wall ({c:.3f} s CPU)")


if __name__ == "__main__":
    main()
