"""The compiled backend beside XLA (JAX + optax), in the same run, interleaved.

    python bench/bench_xla.py --jax-python /tmp/jaxenv/bin/python [--runs N] [--sizes 1,10000,100000]

JAX is not a dependency of the project: it lives in a scratch environment, e.g.

    python -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install jax jaxlib optax numpy

and runs in a subprocess of that python (this file again, with ``--jax-worker``; the
worker imports only jax, optax and numpy, never the project). Without ``--jax-python``
(or ``BENCH_JAX_PYTHON``) the current python is used if it has jax; otherwise the XLA
columns are skipped with the reason.

What is timed, for Adam on Rosenbrock, 1,000 steps, B = 1, 10,000 and 100,000
trajectories (starts drawn as ``bench_engine.py`` draws them):

* compiled: ``engine.run(adam, rosenbrock, starts, hp, 1000, history="final",
  backend="compiled")`` in this process, the call ``bench_engine.py`` times for its
  "compiled" column (final values only, with the engine's stop rule and convergence test);
* XLA float64: ``jax.jit(jax.vmap(one))`` where ``one`` is a ``lax.scan`` of
  ``jax.grad`` of Rosenbrock and ``optax.adam(lr, b1=0.9, b2=0.999, eps=1e-8)``
  (torch's defaults; lr as ``bench_engine.py``), ``jax_enable_x64`` on; final points
  only, no stop rule (XLA does less work per step than the engine);
* XLA float32: the same without x64 (JAX's default precision; the issue's XLA numbers
  may have been float32), labelled as such.

Compilation is excluded for both: the kernels are warmed up, and each JAX function is
compiled and called once before the timed rounds. Every JAX call ends with
``block_until_ready``. The rounds alternate (compiled, XLA f64, XLA f32) ``--runs``
times (5 by default). Wall time and CPU time are printed, min / median; CPU time is
each process's own ``time.process_time`` (all its threads summed: XLA may use both
cores), measured inside the process that does the work. The final points of compiled
and XLA float64 are compared (trajectories the engine stopped are left out, as XLA has
no stop rule); float32 is compared with float64 for information.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

STEPS = 1000
LR = 1e-3            # bench_engine.py's Adam rate
SIZES = (1, 10_000, 100_000)


# ----------------------------------------------------------------------------- the JAX worker
def jax_worker(x64: bool) -> None:
    """Reads JSON commands on stdin, answers one JSON line each. Imports only jax/optax/numpy.
    With ``x64`` JAX computes in float64 (``jax_enable_x64``), otherwise in its default float32."""
    import jax
    jax.config.update("jax_enable_x64", x64)
    import jax.numpy as jnp
    import optax

    def build(dtype):
        opt = optax.adam(LR, b1=0.9, b2=0.999, eps=1e-8)

        def loss(p):
            x, y = p[0], p[1]
            return (1 - x) ** 2 + 100 * (y - x * x) ** 2

        grad = jax.grad(loss)

        def one(p0):
            def step(carry, _):
                p, s = carry
                u, s = opt.update(grad(p), s, p)
                return (optax.apply_updates(p, u), s), None
            (p, _), _ = jax.lax.scan(step, (p0, opt.init(p0)), None, length=STEPS)
            return p

        return jax.jit(jax.vmap(one))

    fns, data = {}, {}
    out = sys.stdout
    out.write(json.dumps({"jax": jax.__version__, "optax": optax.__version__,
                          "device": str(jax.devices()[0])}) + "\n")
    out.flush()
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd["op"]
        if op == "quit":
            break
        key = (cmd["B"], cmd["dtype"])
        if op == "setup":
            dtype = jnp.float64 if cmd["dtype"] == "float64" else jnp.float32
            starts = jnp.asarray(np.load(cmd["starts"]), dtype=dtype)
            fns[key] = build(dtype)
            data[key] = starts
            t0, c0 = time.perf_counter(), time.process_time()
            res = fns[key](starts).block_until_ready()   # compile + first call, not timed below
            reply = {"compile_wall": time.perf_counter() - t0, "compile_cpu": time.process_time() - c0,
                     "dtype": str(res.dtype)}
            np.save(cmd["final"], np.asarray(res, dtype=np.float64))
        elif op == "run":
            fn, starts = fns[key], data[key]
            t0, c0 = time.perf_counter(), time.process_time()
            fn(starts).block_until_ready()
            reply = {"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0}
        else:
            reply = {"error": f"unknown op {op}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


class JaxProcess:
    """The worker as a subprocess of the given python."""

    def __init__(self, python: str, x64: bool):
        cmd = [python, os.path.abspath(__file__), "--jax-worker", "64" if x64 else "32"]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.info = self._read()

    def _read(self) -> dict:
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError(f"the JAX worker ended (exit code {self.p.wait()})")
        return json.loads(line)

    def ask(self, **cmd) -> dict:
        self.p.stdin.write(json.dumps(cmd) + "\n")
        self.p.stdin.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply

    def close(self) -> None:
        try:
            self.p.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            pass
        self.p.wait(timeout=30)


def find_jax_python(given: str | None) -> tuple[str | None, str]:
    """(python, '') or (None, the reason there is none)."""
    given = given or os.environ.get("BENCH_JAX_PYTHON")
    if given:
        if not os.path.exists(given):
            return None, f"--jax-python {given}: no such file"
        done = subprocess.run([given, "-c", "import jax, optax"], capture_output=True, text=True)
        if done.returncode:
            return None, f"{given} cannot import jax and optax: {done.stderr.strip().splitlines()[-1:]}"
        return given, ""
    if importlib.util.find_spec("jax") and importlib.util.find_spec("optax"):
        return sys.executable, ""
    return None, ("no python with jax and optax found (give one with --jax-python PATH, e.g. a scratch venv: "
                  "python -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install jax jaxlib optax numpy)")


# ----------------------------------------------------------------------------- the benchmark
def fmt(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def summary(walls, cpus) -> dict:
    return {"wall_min": min(walls), "wall_med": statistics.median(walls),
            "cpu_min": min(cpus), "cpu_med": statistics.median(cpus)}


def cell(s: dict) -> str:
    return f"{fmt(s['wall_min'])} / {fmt(s['wall_med'])} (CPU {fmt(s['cpu_min'])} / {fmt(s['cpu_med'])})"


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jax-python", default=None, help="a python with jax and optax (a scratch venv)")
    p.add_argument("--runs", type=int, default=5, help="interleaved rounds (default 5)")
    p.add_argument("--sizes", default=",".join(str(b) for b in SIZES), help="trajectory counts, comma-separated")
    p.add_argument("--jax-worker", choices=("64", "32"), default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.jax_worker:
        jax_worker(args.jax_worker == "64")
        return

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import engine
    import engine.compiled
    import landscapes
    from config import OptimizerChoice

    print(f"machine at start: {uptime()}")
    if not engine.compiled.available():
        print(f"compiled backend unavailable: {engine.compiled.IMPORT_ERROR}")
        return
    seconds = engine.compiled.warm_up()
    print(f"compiled kernels ready in {seconds:.2f} s (not timed below)")
    python, reason = find_jax_python(args.jax_python)
    jaxp = {}   # dtype -> its worker process (x64 is a process-wide switch)
    if python is None:
        print(f"XLA: skipped: {reason}")
    else:
        jaxp = {"float64": JaxProcess(python, True), "float32": JaxProcess(python, False)}
        info = jaxp["float64"].info
        print(f"XLA: jax {info['jax']}, optax {info['optax']}, device {info['device']} ({python}); "
              f"float64 in a process with jax_enable_x64, float32 in another without (JAX's default)")

    surface = landscapes.get("rosenbrock")
    choice = OptimizerChoice.build("adam", LR)
    hp, opt = choice.engine_hp(), choice.optimizer
    rng = np.random.default_rng(0)     # the starts bench_engine.py draws, in its order
    sizes = [int(s) for s in args.sizes.split(",")]
    kinds = ["compiled"] + (["XLA float64", "XLA float32"] if jaxp else [])
    print(f"\nAdam on Rosenbrock, {STEPS} steps, final values: wall min / median (CPU min / median) "
          f"of {args.runs} interleaved rounds; compile time excluded")
    tmp = tempfile.mkdtemp(prefix="bench-xla-")
    try:
        for B in sizes:
            starts = rng.uniform([-2, -1], [2, 3], size=(B, 2))

            def compiled(starts=starts):
                return engine.run(opt, surface, starts, hp, STEPS, history="final", backend="compiled")

            traj = compiled()  # once untimed: page faults, caches
            finals, compile_note = {}, []
            if jaxp:
                path = os.path.join(tmp, f"starts{B}.npy")
                np.save(path, starts)
                for dtype in ("float64", "float32"):
                    out = os.path.join(tmp, f"final{B}{dtype}.npy")
                    r = jaxp[dtype].ask(op="setup", B=B, dtype=dtype, starts=path, final=out)
                    finals[dtype] = np.load(out)
                    compile_note.append(f"{dtype} {fmt(r['compile_wall'])} ({r['dtype']})")
            times = {k: ([], []) for k in kinds}
            for _ in range(args.runs):
                for k in kinds:
                    if k == "compiled":
                        t0, c0 = time.perf_counter(), time.process_time()
                        compiled()
                        w, c = time.perf_counter() - t0, time.process_time() - c0
                    else:
                        r = jaxp[k.split()[1]].ask(op="run", B=B, dtype=k.split()[1])
                        w, c = r["wall"], r["cpu"]
                    times[k][0].append(w)
                    times[k][1].append(c)
            got = {k: summary(*v) for k, v in times.items()}
            print(f"  B = {B:,}" + (f"   (XLA compile + first call: {', '.join(compile_note)})" if jaxp else ""))
            for k, v in got.items():
                print(f"    {k:>22}: {cell(v)}")
            c = got["compiled"]
            for k in kinds[1:]:
                x = got[k]
                rw = (c["wall_min"] / x["wall_min"], c["wall_med"] / x["wall_med"])
                rc = (c["cpu_min"] / x["cpu_min"], c["cpu_med"] / x["cpu_med"])
                met = "met" if max(rc) <= 1.0 else "not met"
                print(f"    {'compiled / ' + k:>22}: wall {rw[0]:.2f}x / {rw[1]:.2f}x, CPU {rc[0]:.2f}x / "
                      f"{rc[1]:.2f}x (min / median)   at or below XLA (CPU, min and median): {met}")
            if jaxp:
                alive = traj.stopped_at < 0
                mine = traj.final_position[alive]
                theirs = finals["float64"][alive]
                rel = np.abs(mine - theirs) / np.maximum(np.abs(theirs), 1e-300)
                ok = bool(np.all(rel <= 1e-10))
                print(f"    {'same final points':>22}: max relative difference compiled vs XLA float64 "
                      f"{rel.max():.2e} over {alive.sum():,} of {B:,} trajectories "
                      f"({B - alive.sum():,} stopped by the engine's rule, left out): "
                      f"{'agree to 1e-10' if ok else 'DIFFER beyond 1e-10'}")
                r32 = np.abs(finals["float32"][alive] - theirs) / np.maximum(np.abs(theirs), 1e-300)
                print(f"    {'float32 vs float64':>22}: max relative difference {r32.max():.2e} "
                      f"(median {np.median(r32):.1e}; for information)")
    finally:
        for proc in jaxp.values():
            proc.close()
        for name in os.listdir(tmp):
            os.remove(os.path.join(tmp, name))
        os.rmdir(tmp)
    print(f"\nmachine at end: {uptime()} (2 cores)")


if __name__ == "__main__":
    main()
