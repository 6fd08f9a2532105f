"""Speed of the hyperparameter views, each beside a per-trajectory Python loop
measured in the same run.

    python bench/bench_hyper.py [--backend numpy|compiled]   (numpy: the default)

Targets (2-core machine): a 60 × 60 heat map × 500 steps under 1 s; a 200-rate
sweep × 1,000 steps under 0.5 s per optimizer; a 200 × 200 basin map × 500 steps
under 1 s; a 400 × 400 basin map (500 steps) under 4 s.

The baseline runs the same update rule for one trajectory at a time in plain
Python floats (the fastest per-trajectory loop there is here: NumPy per
trajectory is slower). Looping over every trajectory would take minutes, so it
is timed on a sample of trajectories from the same grid and scaled to the
grid's size; its end points are checked against the vectorized run's.
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import experiments  # noqa: E402
import landscapes  # noqa: E402
from config import OptimizerChoice  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_core import py_adam, rosen_grad  # noqa: E402  (one plain-Python Adam baseline)

SAMPLE = 40  # trajectories timed in the Python loop


CPU = {}  # what -> CPU seconds of the vectorized run (shared machines: wall time includes waiting)


def best_of(fn, repeat=3):
    times, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU["last"] = min(cpu)
    return min(times), out


# --- plain-Python update rules (torch conventions), one trajectory ----------------

def py_heavy_ball(grad, x, y, lr, mu, steps):
    bx = by = 0.0
    for t in range(1, steps + 1):
        gx, gy = grad(x, y)
        if t == 1 or mu == 0:
            bx, by = gx, gy
        else:
            bx, by = mu * bx + gx, mu * by + gy
        x, y = x - lr * bx, y - lr * by
    return x, y


def ravine_grad(x, y, a=0.1, b=2.0):
    return 2 * a * x, 2 * b * y


def himmel_grad(x, y):
    u, v = x * x + y - 11, x + y * y - 7
    return 4 * x * u + 2 * v, 2 * u + 4 * y * v


def python_loop(fn, settings, total):
    """Time ``fn`` over a sample of settings; scale to ``total`` trajectories."""
    t0 = time.perf_counter()
    ends = [fn(*s) for s in settings]
    per = (time.perf_counter() - t0) / len(settings)
    return per * total, ends


def row(what, t, base, target, note=""):
    ok = "ok" if t < target else "MISSED"
    print(f"{what:<44} {t:7.3f} s (cpu {CPU['last']:6.3f} s)   Python loop {base:8.2f} s   {base / t:6.0f}x"
          f"   target < {target:g} s  {ok}{note}")


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
    rng = np.random.default_rng(0)
    print(f"{'what':<44} {'vectorized (wall, best of 3)':>28}   baseline (scaled from {SAMPLE} trajectories)")
    if hasattr(os, "getloadavg"):
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    # heat map: momentum on the ravine, lr x momentum, 60 x 60 x 500 steps
    s = landscapes.get("ravine")
    choice = OptimizerChoice.build("momentum", 0.1)
    t, hm = best_of(lambda: experiments.heatmap(s, choice, s.default_start, 1e-3, 3.0, 60, 500,
                                                         backend=BACKEND))
    idx = rng.choice(60 * 60, SAMPLE, replace=False)
    cells = [(int(k) // 60, int(k) % 60) for k in idx]
    base, ends = python_loop(lambda i, j: py_heavy_ball(ravine_grad, *s.default_start, float(hm.lrs[j]),
                                                       float(hm.values[i]), 500), cells, 3600)
    fine = [(i, j) for (i, j) in cells if hm.status[i, j] != "diverged"]
    for (i, j), end in zip(cells, ends):
        if (i, j) in fine:
            assert abs(s.f(np.array(end)) - hm.final_loss[i, j]) <= 1e-9 * (1 + abs(hm.final_loss[i, j]))
    row("heat map 60 x 60 x 500 steps (momentum)", t, base, 1.0)

    # sweeps: 200 rates x 1,000 steps on Rosenbrock, per optimizer
    r = landscapes.get("rosenbrock")
    start = (-1.2, 1.0)
    for name, fn in (("gd", lambda lr: py_heavy_ball(rosen_grad, *start, lr, 0.0, 1000)),
                     ("momentum", lambda lr: py_heavy_ball(rosen_grad, *start, lr, 0.9, 1000)),
                     ("adam", lambda lr: py_adam(rosen_grad, *start, lr, 1000))):
        c = OptimizerChoice.build(name)
        lo, hi = (1e-6, 1e-2) if name != "adam" else (1e-4, 1.0)
        t, sw = best_of(lambda: experiments.sweep(r, c, start, lo, hi, 200, 1000, backend=BACKEND))
        ok = [k for k in rng.choice(200, SAMPLE, replace=False) if sw.status[k] != "diverged"]
        with np.errstate(all="ignore"):
            base, _ = python_loop(lambda k: fn(float(sw.lrs[k])), [(int(k),) for k in ok], 200)
        row(f"sweep 200 rates x 1,000 steps ({name})", t, base, 0.5)

    # basin maps: gd on Himmelblau, 500 steps
    h = landscapes.get("himmelblau")
    gd = OptimizerChoice.build("gd", 0.01)
    for res, target in ((200, 1.0), (400, 4.0)):
        t, b = best_of(lambda: experiments.basins(h, gd, 500, res, backend=BACKEND), 2)
        pts = [(float(b.xs[int(k) % res]), float(b.ys[int(k) // res]))
               for k in rng.choice(res * res, SAMPLE, replace=False)]
        base, ends = python_loop(lambda x, y: py_heavy_ball(himmel_grad, x, y, 0.01, 0.0, 500), pts, res * res)
        row(f"basin map {res} x {res} x 500 steps (gd)", t, base, target,
            f"   basins found: {sorted(set(np.unique(b.basin)) - {-1})}")


if __name__ == "__main__":
    main()
