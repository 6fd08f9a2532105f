"""The two engine backends side by side, in the same run.

    python bench/bench_engine.py [--backend numpy|compiled] [--no-c] [--quick]

Prints, for the NumPy engine (the reference) and the compiled one (numba
kernels, ``engine.compiled``), wall and CPU time of:

* Adam on Rosenbrock, 1,000 steps, at B = 1, 10,000 and 100,000 trajectories
  (targets for the compiled backend: B = 1 <= 2 ms; B = 10,000 at or below XLA,
  ~34-46 ms measured on this machine, FIELD-NOTES);
* a basin map of 400 x 400 starts x 10,000 steps on Rosenbrock (gd, lr 1e-3;
  target <= 5 s). NumPy is timed on 1/16 of the grid and scaled (the whole map
  takes it a minute or more);
* a heat map of 60 x 60 settings x 500 steps (momentum on the ravine; target <= 30 ms);
* with gcc, a plain vectorized C loop of the same Adam step (batch on the inner
  loop, with the loss, the gradient norm and the box test), compiled here with
  ``-O3 -march=native -fno-math-errno`` in a temporary folder, as a baseline.

The first use of the kernels (numba's import and the disk cache, or a
compilation) is timed apart and printed first. On a shared machine compare the
columns of one run, and the CPU times.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import engine  # noqa: E402
import engine.compiled  # noqa: E402
import experiments  # noqa: E402
import landscapes  # noqa: E402
from config import OptimizerChoice  # noqa: E402

STEPS = 1000

C_SOURCE = r"""
#include <math.h>
/* torch.optim.Adam (defaults) on Rosenbrock, the batch on the inner loop; per step the
   loss, the gradient norm and the box test as the engine's stop rule does. */
int adam(int B, int T, double lr, double *x, double *y, double *mx, double *my, double *vx, double *vy,
         double *gx, double *gy, double *loss, double *gn) {
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    int bad = 0;
    for (int b = 0; b < B; b++) {
        double r = y[b] - x[b] * x[b];
        gx[b] = -2.0 * (1.0 - x[b]) - 400.0 * x[b] * r; gy[b] = 200.0 * r;
    }
    for (int t = 1; t <= T; t++) {
        double step_size = lr / (1.0 - pow(b1, t)), bc2 = sqrt(1.0 - pow(b2, t));
        for (int b = 0; b < B; b++) {
            double m1 = b1 * mx[b] + (1 - b1) * gx[b], m2 = b1 * my[b] + (1 - b1) * gy[b];
            double v1 = b2 * vx[b] + (1 - b2) * gx[b] * gx[b], v2 = b2 * vy[b] + (1 - b2) * gy[b] * gy[b];
            mx[b] = m1; my[b] = m2; vx[b] = v1; vy[b] = v2;
            double nx = x[b] - step_size * m1 / (sqrt(v1) / bc2 + eps);
            double ny = y[b] - step_size * m2 / (sqrt(v2) / bc2 + eps);
            double d = 1.0 - nx, r = ny - nx * nx;
            double l = d * d + 100.0 * r * r;
            double g1 = -2.0 * d - 400.0 * nx * r, g2 = 200.0 * r;
            loss[b] = l; gx[b] = g1; gy[b] = g2; gn[b] = sqrt(g1 * g1 + g2 * g2);
            bad += !((l <= 1e12) & (fabs(nx) <= 20.0) & (fabs(ny - 1.0) <= 20.0));
            x[b] = nx; y[b] = ny;
        }
    }
    return bad;
}
"""


def timed(fn, repeat=3):
    """Best wall time and the CPU time of that run."""
    best = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if best is None or wall < best[0]:
            best = (wall, cpu, out)
    return best


def verdict(wall, cpu, target):
    """Met or missed, in wall time and in CPU time (a shared machine's wall time includes waiting)."""
    return f"wall {'ok' if wall <= target else 'missed'}, CPU {'ok' if cpu <= target else 'missed'}"


def fmt(seconds):
    return f"{seconds * 1e3:9.1f} ms" if seconds < 10 else f"{seconds:9.2f} s "


def c_baseline():
    """The C loop as a callable (B, T, starts) -> seconds, or None without gcc."""
    gcc = shutil.which("gcc")
    if gcc is None:
        return None
    folder = tempfile.mkdtemp(prefix="bench-engine-c-")
    src, lib = os.path.join(folder, "adam.c"), os.path.join(folder, "adam.so")
    with open(src, "w") as f:
        f.write(C_SOURCE)
    subprocess.run([gcc, "-O3", "-march=native", "-fno-math-errno", "-shared", "-fPIC", src, "-o", lib, "-lm"],
                   check=True)
    fn = ctypes.CDLL(lib).adam
    ptr = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_double] + [ptr] * 10
    fn.restype = ctypes.c_int

    def run(starts, steps):
        B = len(starts)
        x, y = starts[:, 0].copy(), starts[:, 1].copy()
        bufs = [np.zeros(B) for _ in range(8)]
        fn(B, steps, 1e-3, x, y, *bufs)
        return x, y

    return run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("numpy", "compiled"), default=None, help="only this backend")
    p.add_argument("--no-c", action="store_true", help="skip the C baseline")
    p.add_argument("--quick", action="store_true", help="skip B = 100,000 and the basin map")
    args = p.parse_args()
    backends = [args.backend] if args.backend else ["numpy", "compiled"]
    if "compiled" in backends:
        if not engine.compiled.available():
            print(f"compiled backend unavailable: {engine.compiled.IMPORT_ERROR}")
            backends.remove("compiled")
        else:
            on_disk = engine.compiled.cached_on_disk()
            seconds = engine.compiled.warm_up()
            print(f"first use of the kernels: {seconds:.2f} s "
                  f"({'numba import + load from the disk cache' if on_disk else 'numba import + compilation'})")
    crun = None if args.no_c else c_baseline()

    surface = landscapes.get("rosenbrock")
    choice = OptimizerChoice.build("adam", 1e-3)
    hp, opt = choice.hyperparameters(), choice.optimizer
    rng = np.random.default_rng(0)
    print(f"\nAdam on Rosenbrock, {STEPS} steps: wall (CPU)")
    print(f"{'B':>8} " + " ".join(f"{b:>24}" for b in backends) + ("  " + f"{'C loop':>24}" if crun else "")
          + "   ratio numpy/compiled")
    sizes = (1, 10_000) if args.quick else (1, 10_000, 100_000)
    for B in sizes:
        starts = rng.uniform([-2, -1], [2, 3], size=(B, 2))
        row, walls = [], {}
        for be in backends:
            repeat = 1 if (be == "numpy" and B >= 100_000) else 3
            wall, cpu, tr = timed(lambda: engine.run(opt, surface, starts, hp, STEPS, history="final",
                                                     backend=be), repeat)
            walls[be] = wall
            row.append(f"{fmt(wall)} ({fmt(cpu).strip():>9})")
        line = f"{B:>8} " + " ".join(f"{r:>24}" for r in row)
        if crun:
            wall, cpu, _ = timed(lambda: crun(starts, STEPS), 3)
            line += "  " + f"{fmt(wall)} ({fmt(cpu).strip():>9})"
        if len(walls) == 2:
            line += f"   {walls['numpy'] / walls['compiled']:6.1f}x"
        print(line)

    print("\nheat map 60 x 60 x 500 steps, momentum on the ravine: wall (CPU)")
    ravine = landscapes.get("ravine")
    mom = OptimizerChoice.build("momentum", 0.1)
    for be in backends:
        wall, cpu, hm = timed(lambda: experiments.heatmap(ravine, mom, (-5.0, -2.0), 1e-3, 1.5, 60, 500,
                                                          backend=be), 3)
        print(f"  {be:>9}: {fmt(wall)} ({fmt(cpu).strip()})   target <= 30 ms: {verdict(wall, cpu, 0.03)}; "
              f"{int(np.isfinite(hm.final_loss).sum())} runs finite")

    if not args.quick:
        print("\nbasin map 400 x 400 starts x 10,000 steps on Rosenbrock (gd, lr 1e-3): wall (CPU)")
        gd = OptimizerChoice.build("gd", 1e-3)
        for be in backends:
            if be == "numpy":  # 1/16 of the grid (25 rows), scaled
                (x0, x1), (y0, y1) = surface.domain
                xs, ys = np.linspace(x0, x1, 400), np.linspace(y0, y1, 400)[::16]
                starts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
                wall, cpu, _ = timed(lambda: experiments._final_in_chunks(surface, gd, starts, 10_000,
                                                                          backend="numpy"), 1)
                wall, cpu = wall * 400 / len(ys), cpu * 400 / len(ys)
                note = f"(timed on {len(starts):,} starts, scaled)"
            else:
                wall, cpu, b = timed(lambda: experiments.basins(surface, gd, 10_000, 400, backend=be), 1)
                reached = int((b.basin >= 0).sum())
                note = f"target <= 5 s: {verdict(wall, cpu, 5.0)}; {reached:,} reach the minimum"
            print(f"  {be:>9}: {fmt(wall)} ({fmt(cpu).strip()})   {note}")
    print(f"\nload average: {', '.join(f'{v:.1f}' for v in os.getloadavg())} (2 cores)")


if __name__ == "__main__":
    main()
