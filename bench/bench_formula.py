"""Speed of a typed formula surface, against the built-in surface it equals,
measured in the same run.

    python bench/bench_formula.py
    python bench/bench_formula.py --cost    # measured step costs beside config.step_cost's

Prints: the time to build the Rosenbrock formula surface (parse, SymPy
derivatives, minimum search; cache cleared), and Adam on it for B = 1, 100 and
10,000 trajectories x 1,000 steps, each with the hand-written built-in
Rosenbrock as the baseline (ratio = formula time / built-in time).

``--cost``: CPU time of a gd step (16,384 starts; data surfaces 2,048) on every
surface and a few formulas, divided by the same on Rosenbrock's surface measured
in the same run, beside the weight the work budget uses (config.step_cost).
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import engine  # noqa: E402
import landscapes  # noqa: E402
from config import OptimizerChoice  # noqa: E402
from landscapes import formula  # noqa: E402

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"
STEPS = 1000


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def step_costs() -> None:
    import config
    import experiments

    gd = OptimizerChoice.build("gd", 1e-4)

    def per_step(s, B=16_384, steps=60):
        (x0, x1), (y0, y1) = s.domain
        rng = np.random.default_rng(0)
        starts = np.column_stack([rng.uniform(x0, x1, B), rng.uniform(y0, y1, B)])
        best = np.inf
        for _ in range(3):
            t0 = time.process_time()
            experiments.run_choice(s, gd, starts, steps, history="final")
            best = min(best, time.process_time() - t0)
        return best / (B * steps)

    base = per_step(landscapes.get("rosenbrock"))
    print(f"load average {os.getloadavg()[0]:.1f}; Rosenbrock: {base * 1e9:.1f} ns of CPU per step and trajectory")
    print(f"{'surface':<60} {'measured':>9} {'budget weight':>14}")
    surfaces = [landscapes.get(n) for n in landscapes.names() if n != "formula"]
    surfaces += [formula.build(t) for t in ("x**2 + y**2", ROSENBROCK, "sin(x)*cos(y) + 0.1*(x**2 + y**2)",
                                            "exp(sin(x)*cos(y))*log(2 + x**2)",
                                            "sin(cos(tan(exp(x/3)))) * cos(sin(exp(tan(y/3)))) + "
                                            "tan(exp(sin(cos(x*y))))")]
    for s in surfaces:
        data = isinstance(s, landscapes.DataSurface)
        r = per_step(s, B=2048, steps=20) / base if data else per_step(s) / base
        print(f"{(s.formula or s.name)[:60]:<60} {r:9.2f} {config.step_cost(s):14.2f}", flush=True)


def main() -> None:
    if "--cost" in sys.argv[1:]:
        step_costs()
        return

    def build():
        formula._build_cached.cache_clear()
        formula._compile_isolated.cache_clear()
        return formula.build(ROSENBROCK, (-2, 2, -1, 3))

    print(f"build the Rosenbrock formula surface: {best_of(build) * 1000:.0f} ms")
    for text in ("sin(x)*cos(y) + 0.1*(x**2 + y**2)",
                 "(1+(x+y+1)**2*(19-14*x+3*x**2-14*y+6*x*y+3*y**2))*(30+(2*x-3*y)**2*(18-32*x+12*x**2+48*y-36*x*y+27*y**2))"):
        def b(text=text):
            formula._build_cached.cache_clear()
            formula._compile_isolated.cache_clear()
            formula.build(text, (-2, 2, -2, 2))
        print(f"build {text[:40]}…: {best_of(b) * 1000:.0f} ms")
    typed, builtin = build(), landscapes.get("rosenbrock")
    choice = OptimizerChoice.build("adam", 1e-3)
    opt, hp = choice.optimizer, choice.engine_hp()
    rng = np.random.default_rng(0)
    for B in (1, 100, 10_000):
        starts = rng.uniform([-2, -1], [2, 3], (B, 2))
        t_f = best_of(lambda: engine.run(opt, typed, starts, hp, STEPS, history="final"))
        t_b = best_of(lambda: engine.run(opt, builtin, starts, hp, STEPS, history="final"))
        print(f"adam x {STEPS} steps, B = {B:>6,}: formula {t_f:.3f} s, built-in {t_b:.3f} s "
              f"(ratio {t_f / t_b:.2f})")


if __name__ == "__main__":
    main()
