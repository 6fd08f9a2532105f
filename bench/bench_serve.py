"""Load benchmark: many sessions against the served app, through Streamlit's protocol.

    python bench/bench_serve.py                   # both workloads, 1/10/30 sessions, this app and the baseline
    python bench/bench_serve.py --sessions 30 --workloads class --no-baseline
    python bench/bench_serve.py --nginx 2         # also workload (a) through deploy/serve.sh (2 processes)
    python bench/bench_serve.py --soak 5          # the same 30 sessions 5 times: memory per round
    python bench/bench_serve.py --sizes           # cache entry sizes (racer results, figures)
    python bench/bench_serve.py --cpu --rounds 3 --baseline-dir ../base   # server CPU per script run

Workloads (every session is a client of bench/stclient.py, no browser):
  (a) class: all sessions open the same link at once, then each makes 5 changes of
      its own (a learning rate), 3 s apart, starting 0-3 s after its page arrived;
  (b) worst case: every session opens a different link (surface, learning rates,
      start) and makes 5 changes with no pause.
Each (app, workload, sessions) gets a fresh server on 127.0.0.1 (--port, default: the
first port of $LOAD_TEST_PORTS, else 8621; nginx's apps take the next ports),
so caches start cold and the peak memory is its own. The baseline is the app as
of commit BASELINE_REF (before the serving work), unpacked with `git archive`
into a temporary directory, measured in the same run. Prints first-render and
rerun p50/p95, errors, the server's peak resident memory (VmHWM, summed over
processes behind nginx) and its CPU time per script run, with the load average,
since other programs on the machine share its cores.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

import stclient  # noqa: E402

BASELINE_REF = "159e5df"   # main before the serving work (issue 11)
CLASS_LINK = ("surface=himmelblau&steps=500&x=-0.5&y=0.5&r1=gd&r1.lr=0.01&r2=momentum&r2.lr=0.005"
              "&r3=adam&r3.lr=0.1")
SURFACES = ("rosenbrock", "himmelblau", "booth", "bowl", "ravine", "six_hump_camel", "beale",
            "rastrigin", "ackley", "mccormick")
CHANGES, PAUSE = 5, 3.0


@dataclass
class Result:
    first: list[float] = field(default_factory=list)
    reruns: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    peak_mb: float = 0.0
    rss_after_mb: float = 0.0
    cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    runs: int = 0
    wall_s: float = 0.0
    load: tuple = ()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(q / 100 * len(v) + 0.5) - 1))]


def worst_link(i: int) -> str:
    """A different link per session: surface, start and learning rates vary."""
    rng = random.Random(1000 + i)
    s = SURFACES[i % len(SURFACES)]
    return (f"surface={s}&steps=500&r1=gd&r1.lr={rng.uniform(1e-4, 1e-3):.6g}"
            f"&r2=momentum&r2.lr={rng.uniform(1e-4, 1e-3):.6g}&r3=adam&r3.lr={rng.uniform(0.01, 0.1):.6g}")


async def session(port: int, link: str, sid: int, pause: float, res: Result, cookie_first: bool,
                  jitter: float) -> None:
    s = stclient.Session("127.0.0.1", port, link, cookie_first=cookie_first)
    try:
        res.first.append(await s.open())
        res.runs += 1
        rng = random.Random(sid)
        if jitter:
            await asyncio.sleep(rng.uniform(0, jitter))
        for j in range(CHANGES):
            k = j % 3
            base = {0: 0.01, 1: 0.005, 2: 0.1}[k] if link == CLASS_LINK else 0.002
            value = base * (1 + 0.001 * (sid + 1) + 0.0137 * (j + 1))  # a value of its own
            res.reruns.append(await s.change(f"lr.{k}", value))
            res.runs += 1
            if pause and j < CHANGES - 1:
                await asyncio.sleep(pause)
    except Exception as exc:  # counted, not raised: the benchmark reports errors
        res.errors.append(f"session {sid}: {type(exc).__name__}: {exc}"[:300])
    finally:
        try:
            await s.close()
        except Exception:
            pass


async def workload(port: int, kind: str, n: int, pids: list[int], cookie_first: bool = False,
                   first_id: int = 0) -> Result:
    """``n`` sessions at once; session ids from ``first_id`` (their changes differ)."""
    res = Result(load=os.getloadavg())
    before = [stclient.proc_status(p) for p in pids]
    client0 = time.process_time()
    t0 = time.perf_counter()
    tasks = [session(port, CLASS_LINK if kind == "class" else worst_link(i), i,
                     PAUSE if kind == "class" else 0.0, res, cookie_first,
                     PAUSE if kind == "class" else 0.0) for i in range(first_id, first_id + n)]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=900)
    res.wall_s = time.perf_counter() - t0
    res.client_cpu_s = time.process_time() - client0
    after = [stclient.proc_status(p) for p in pids]
    res.cpu_s = sum(a["cpu_s"] - b["cpu_s"] for a, b in zip(after, before))
    res.peak_mb = sum(a["peak_mb"] for a in after)
    res.rss_after_mb = sum(a["rss_mb"] for a in after)
    res.load = res.load + os.getloadavg()
    return res


def fmt(res: Result) -> str:
    cpu = res.cpu_s / res.runs if res.runs else float("nan")
    return (f"first render p50 {pct(res.first, 50):6.2f} / p95 {pct(res.first, 95):6.2f} s | "
            f"rerun p50 {pct(res.reruns, 50):6.2f} / p95 {pct(res.reruns, 95):6.2f} s | "
            f"errors {len(res.errors):2d} | peak RSS {res.peak_mb:5.0f} MB | "
            f"server CPU {cpu * 1e3:4.0f} ms/run | this client {res.client_cpu_s:4.1f} s CPU "
            f"in {res.wall_s:4.1f} s | load {res.load[0]:.1f}->{res.load[3]:.1f}")


def baseline_dir(ref: str) -> str:
    d = tempfile.mkdtemp(prefix="bench-baseline-")
    archive = subprocess.run(["git", "-C", ROOT, "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", d], input=archive, check=True)
    if os.path.exists(os.path.join(d, "engine", "compiled.py")):
        # the compiled kernels on disk first (as deploy/serve.sh does): otherwise each of its
        # servers compiles them in a background thread, ~20 s of CPU counted as the app's
        subprocess.run([sys.executable, "-m", "engine.compiled"], cwd=d, check=False, capture_output=True)
    return d


async def warm(ports: list[int]) -> None:
    """One visit to the default page per process: a server that has been up a
    while has its modules imported (the first run imports NumPy, Plotly, pandas)."""
    for port in ports:
        s = stclient.Session("127.0.0.1", port, "")
        await s.open()
        await s.close()


def run_single(app_dir: str, kind: str, n: int, port: int) -> Result:
    proc = stclient.start_server(app_dir, port)
    try:
        asyncio.run(warm([port]))
        return asyncio.run(workload(port, kind, n, [proc.pid]))
    finally:
        stclient.stop_server(proc)


def run_nginx(processes: int, kind: str, n: int, port: int) -> Result:
    """Workload through deploy/serve.sh: nginx on ``port``, apps on the next ports."""
    proc = subprocess.Popen(["bash", os.path.join(ROOT, "deploy", "serve.sh"), "-n", str(processes),
                             "-p", str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        pids, ports = [], []
        while True:   # serve.sh prints "app PID PORT" per process, then "ready"
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"deploy/serve.sh exited with {proc.wait()}")
            if line.startswith("app "):
                pids.append(int(line.split()[1]))
                ports.append(int(line.split()[2]))
            if line.strip() == "ready":
                break
        asyncio.run(warm(ports))
        return asyncio.run(workload(port, kind, n, pids, cookie_first=True))
    finally:
        stclient.stop_server(proc)


def cpu_per_rerun(app_dir: str, port: int, n: int = 20) -> dict[str, float]:
    """Server CPU per script run with one session on the default view: opening
    it (warm server, cached), a rerun that changes nothing, a new learning rate."""
    proc = stclient.start_server(app_dir, port)

    async def main() -> dict[str, float]:
        await warm([port])
        out = {}
        c0 = stclient.proc_status(proc.pid)["cpu_s"]
        for _ in range(n):
            s = stclient.Session("127.0.0.1", port, "")
            await s.open()
            await s.close()
        c1 = stclient.proc_status(proc.pid)["cpu_s"]
        out["open"] = (c1 - c0) / n
        s = stclient.Session("127.0.0.1", port, "")
        await s.open()
        lr = 0.001
        await s.change("lr.0", lr)
        c0 = stclient.proc_status(proc.pid)["cpu_s"]
        for _ in range(n):
            await s.change("lr.0", lr)
        c1 = stclient.proc_status(proc.pid)["cpu_s"]
        for i in range(n):
            await s.change("lr.0", lr * (1 + 0.01 * (i + 1)))
        c2 = stclient.proc_status(proc.pid)["cpu_s"]
        await s.close()
        out["unchanged"], out["lr"] = (c1 - c0) / n, (c2 - c1) / n
        # the class's change mix: on the class link, each racer's rate in turn, a new value each time
        s = stclient.Session("127.0.0.1", port, CLASS_LINK)
        await s.open()
        c0 = stclient.proc_status(proc.pid)["cpu_s"]
        for i in range(3 * n):
            k = i % 3
            await s.change(f"lr.{k}", {0: 0.01, 1: 0.005, 2: 0.1}[k] * (1 + 0.0137 * (i + 1)))
        out["class"] = (stclient.proc_status(proc.pid)["cpu_s"] - c0) / (3 * n)
        await s.close()
        return out

    try:
        return asyncio.run(main())
    finally:
        stclient.stop_server(proc)


def sizes() -> None:
    """Cache entry sizes: what the bounds in app.py are computed from."""
    import pickle
    import tracemalloc

    from state import DEFAULT_RUN
    from figures import views
    import figures
    import results
    from config import OptimizerChoice, Racer, RunConfig
    from figures import prepared

    default = DEFAULT_RUN
    racers = tuple(Racer(OptimizerChoice.build(n, lr)) for n, lr in
                   (("gd", 1e-3), ("momentum", 1e-3), ("adam", 0.05), ("rmsprop", 0.01), ("adamw", 0.05),
                    ("nadam", 0.05)))
    biggest = RunConfig("rosenbrock", (("a", 1.0), ("b", 100.0)), racers, 10_000, None, 0)
    def held(build):
        """Bytes a built object keeps allocated (tracemalloc), and the object. The traces
        kept by content (``figures.prepared``, shared by every figure, bounded) are emptied
        first and not counted: what a figure adds to them is printed apart."""
        import gc
        prepared._TRACES.clear()
        prepared._trace_bytes = 0
        gc.collect()
        tracemalloc.start()
        obj = build()
        gc.collect()
        size = tracemalloc.get_traced_memory()[0] - prepared._trace_bytes
        tracemalloc.stop()
        return size, obj

    for name, run in (("default view", default), ("6 racers x 10,000 steps", biggest)):
        res = results.run_results(run)
        per_racer = max(len(pickle.dumps(r)) for r in res)
        prepared.prepare(views.trajectory_figure_for(run, res, raw=True))  # warm: grids, picture, template
        prepared.prepare(views.loss_figure_for(run, res))                  # and plotly's validators
        fig_mem, fig = held(lambda run=run, res=res: prepared.prepare_stable(   # as cached.main_figure
            views.trajectory_figure_for(run, res, raw=True)))
        loss_mem, loss = held(lambda run=run, res=res: prepared.prepare_stable(   # as cached.loss_figure
            views.loss_figure_with_theory(run, res)))
        parts = []

        def keep(g, p, setup, parts=parts):
            parts.append((g, p, setup))
            return figures.racer_part(g, p, setup)
        views.trajectory_figure_for(run, res, raw=True, part=keep)
        part_mem = max(held(lambda a=a: figures.racer_part(*a))[0] for a in parts)
        shared = held(lambda run=run, res=res: prepared.prepare_stable(
            views.trajectory_figure_for(run, res, raw=True)))[1] and prepared._trace_bytes
        print(f"{name}: racer figure part {part_mem / 1e6:.2f} MB held (the largest); "
              f"its traces kept by content {shared / 1e6:.2f} MB (shared; at most "
              f"{prepared.TRACE_BYTES / 1e6:.0f} MB); "
              f"racer result {per_racer / 1e6:.2f} MB (pickled, as cache_data keeps it); "
              f"main figure {prepared.nbytes(fig) / 1e6:.2f} MB JSON, {fig_mem / 1e6:.2f} MB held; "
              f"loss figure {prepared.nbytes(loss) / 1e6:.2f} MB JSON, {loss_mem / 1e6:.2f} MB held")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", default="1,10,30")
    ap.add_argument("--workloads", default="class,worst")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--baseline-ref", default=BASELINE_REF)
    ap.add_argument("--nginx", type=int, default=0, metavar="N",
                    help="also run workload (a) through nginx and N app processes")
    ap.add_argument("--soak", type=int, default=0, metavar="ROUNDS")
    ap.add_argument("--sizes", action="store_true")
    ap.add_argument("--cpu", action="store_true", help="server CPU per rerun, one session, default view")
    ap.add_argument("--baseline-dir", default="", help="--cpu: a checkout to measure as the baseline "
                    "(its compiled kernels on disk) instead of unpacking --baseline-ref")
    ap.add_argument("--rounds", type=int, default=1, help="--cpu: this many alternations")
    lo, hi = stclient.port_range()
    ap.add_argument("--port", type=int, default=lo, help=f"first port (range {lo}-{hi}: $LOAD_TEST_PORTS)")
    a = ap.parse_args()
    if not lo <= a.port <= hi - 3 - a.nginx:
        ap.error(f"--port must be in {lo}-{hi - 3 - a.nginx} (set $LOAD_TEST_PORTS for another range)")
    if a.sizes:
        sizes()
        return
    counts = [int(x) for x in a.sessions.split(",")]
    if max(counts) > 60:
        ap.error("at most 60 sessions")
    kinds = a.workloads.split(",")
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start "
          f"(other programs share these cores)")
    if a.soak:
        soak(a.soak, counts[-1], a.port)
        return
    if a.cpu:
        print("\nserver CPU per script run, one session, default view (goal: <= 100 ms):")
        base = a.baseline_dir or baseline_dir(a.baseline_ref)
        name_base = f"baseline {a.baseline_ref if not a.baseline_dir else os.path.basename(base)}"
        try:
            for r in range(a.rounds):   # alternated: load drift touches both alike
                for name, d in (("this app", ROOT), (name_base, base)):
                    c = cpu_per_rerun(d, a.port)
                    print(f"  {name:<17} open the page {c['open'] * 1e3:4.0f} ms | rerun, nothing changed "
                          f"{c['unchanged'] * 1e3:4.0f} ms | new learning rate {c['lr'] * 1e3:4.0f} ms | "
                          f"class change mix {c['class'] * 1e3:4.0f} ms | load {os.getloadavg()[0]:.1f}",
                          flush=True)
        finally:
            if not a.baseline_dir:
                shutil.rmtree(base, ignore_errors=True)
        return
    apps = [("this app", ROOT)]
    base = None
    if not a.no_baseline:
        base = baseline_dir(a.baseline_ref)
        apps.append((f"baseline {a.baseline_ref}", base))
    try:
        for kind in kinds:
            label = {"class": "(a) class: one link, 5 changes each, 3 s apart",
                     "worst": "(b) worst case: all links different, no pause"}[kind]
            print(f"\n{label}")
            for n in counts:
                for name, d in apps:
                    r = run_single(d, kind, n, a.port)
                    print(f"  {n:3d} sessions  {name:<17} {fmt(r)}", flush=True)
                    for e in r.errors[:3]:
                        print(f"      error: {e}")
                if kind == "class" and a.nginx:
                    r = run_nginx(a.nginx, kind, n, a.port)
                    print(f"  {n:3d} sessions  {'nginx + ' + str(a.nginx) + ' apps':<17} {fmt(r)}", flush=True)
                    for e in r.errors[:3]:
                        print(f"      error: {e}")
    finally:
        if base:
            shutil.rmtree(base, ignore_errors=True)


def soak(rounds: int, n: int, port: int) -> None:
    """Workload (a) with n sessions, ``rounds`` times against one server. Each
    round's sessions choose new learning rates, so every round adds new cache
    entries: memory must level off at the caches' bounds."""
    print(f"\nsoak: workload (a) with {n} sessions, {rounds} rounds, one server, new values each round")
    proc = stclient.start_server(ROOT, port)
    try:
        asyncio.run(warm([port]))
        for i in range(rounds):
            r = asyncio.run(workload(port, "class", n, [proc.pid], first_id=i * n))
            print(f"  round {i + 1}: RSS after {r.rss_after_mb:5.0f} MB, peak {r.peak_mb:5.0f} MB | {fmt(r)}",
                  flush=True)
    finally:
        stclient.stop_server(proc)


if __name__ == "__main__":
    main()
