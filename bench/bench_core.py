"""Speed of the trajectory engine, against a baseline measured in the same run.

    python bench/bench_core.py [--backend numpy|compiled]   (numpy: the default)

Prints trajectory-steps per second for Adam on Rosenbrock (1,000 steps) at
B = 1, 100 and 10,000, the ratio against a plain per-trajectory Python loop of
the same rule, the time of a 1,000-rate sweep and of a 200 x 200 basin map.
Targets (2-core machine): B=10,000 under 0.3 s; B=1 under 5 ms; sweep under
0.5 s; basin map (500 steps) under 2 s.
"""
from __future__ import annotations

import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import engine  # noqa: E402
import experiments  # noqa: E402
import landscapes  # noqa: E402
from config import OptimizerChoice  # noqa: E402

STEPS = 1000


def py_adam(grad, x, y, lr, steps, b1=0.9, b2=0.999, eps=1e-8):
    """torch.optim.Adam's rule (defaults) for one trajectory, plain floats: the
    baseline of this benchmark and of bench_hyper.py. The gradient is a function
    call per step (about 8 % of this loop's time; it was inlined before)."""
    mx = my = vx = vy = 0.0
    for t in range(1, steps + 1):
        gx, gy = grad(x, y)
        mx = b1 * mx + (1 - b1) * gx
        my = b1 * my + (1 - b1) * gy
        vx = b2 * vx + (1 - b2) * gx * gx
        vy = b2 * vy + (1 - b2) * gy * gy
        bc1 = 1 - b1 ** t
        bc2 = math.sqrt(1 - b2 ** t)
        x -= lr / bc1 * mx / (math.sqrt(vx) / bc2 + eps)
        y -= lr / bc1 * my / (math.sqrt(vy) / bc2 + eps)
    return x, y


def rosen_grad(x, y):
    """Rosenbrock's gradient (a = 1, b = 100), plain floats."""
    r = y - x * x
    return -2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r


def python_adam_rosenbrock(x, y, steps, lr=1e-3):
    return py_adam(rosen_grad, x, y, lr, steps)


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


BACKEND = "numpy"  # --backend compiled times the numba kernels (bench/bench_engine.py prints both)


def _backend_from_argv() -> None:
    """``--backend numpy|compiled``; the kernels are loaded before any timing."""
    global BACKEND
    if "--backend" in sys.argv:
        BACKEND = sys.argv[sys.argv.index("--backend") + 1]
        if BACKEND not in ("numpy", "compiled"):
            raise SystemExit("--backend must be numpy or compiled")
    if BACKEND == "compiled":
        import engine.compiled
        print(f"compiled backend: kernels ready in {engine.compiled.warm_up():.2f} s (not timed below)")
    print(f"backend: {BACKEND}")


def main() -> None:
    _backend_from_argv()
    surface = landscapes.get("rosenbrock")
    choice = OptimizerChoice.build("adam", 1e-3)
    hp = choice.engine_hp()
    opt = choice.optimizer
    rng = np.random.default_rng(0)

    t_py1, _ = best_of(lambda: python_adam_rosenbrock(-1.2, 1.0, STEPS), 5)
    print(f"baseline: plain Python loop, one trajectory x {STEPS} steps: {t_py1 * 1e3:.2f} ms "
          f"({STEPS / t_py1 / 1e6:.2f} M trajectory-steps/s)")
    print(f"{'B':>7} {'time':>10} {'M traj-steps/s':>15} {'vs Python loop':>15}  target")
    targets = {1: 0.005, 100: None, 10_000: 0.3}
    for B in (1, 100, 10_000):
        starts = rng.uniform([-2, -1], [2, 3], size=(B, 2))
        t, tr = best_of(lambda: engine.run(opt, surface, starts, hp, STEPS, history="final", backend=BACKEND))
        # the Python loop is timed on up to 200 trajectories and scaled to B
        n = min(B, 200)
        t_loop, _ = best_of(lambda: [python_adam_rosenbrock(*s, STEPS) for s in starts[:n]], 1)
        t_loop *= B / n
        target = targets[B]
        verdict = "" if target is None else f"< {target * 1e3:.0f} ms {'ok' if t < target else 'MISSED'}"
        print(f"{B:>7} {t * 1e3:>8.1f}ms {B * STEPS / t / 1e6:>15.2f} {t_loop / t:>14.1f}x  {verdict}")

    t, sw = best_of(lambda: experiments.sweep(surface, choice, (-1.2, 1.0), 1e-5, 1.0, 1000, STEPS,
                                                         backend=BACKEND))
    print(f"sweep: 1,000 learning rates x {STEPS} steps: {t:.3f} s (target < 0.5 s "
          f"{'ok' if t < 0.5 else 'MISSED'}); best lr {sw.lrs[sw.best_index]:.3g}")
    gd = OptimizerChoice.build("gd", 0.01)
    him = landscapes.get("himmelblau")
    t, b = best_of(lambda: experiments.basins(him, gd, 500, 200, backend=BACKEND), 2)
    print(f"basin map: 200 x 200 starts x 500 steps (gd on himmelblau): {t:.3f} s (target < 2 s "
          f"{'ok' if t < 2 else 'MISSED'}); {int((b.basin >= 0).sum())} of 40000 reach a minimum")


if __name__ == "__main__":
    main()
