"""Work stops when nobody waits for it: a closed tab or a new rerun stops a long
computation within about a second (the core asks a plain ``should_stop``)."""
from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest

import config
import engine
import experiments
import landscapes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import stclient  # noqa: E402


class After:
    """should_stop that says True from the n-th question on, and counts the questions."""

    def __init__(self, n: int):
        self.n, self.asked = n, 0

    def __call__(self) -> bool:
        self.asked += 1
        return self.asked >= self.n


def test_the_engine_stops_at_the_step_it_is_told_to():
    s = landscapes.get("rosenbrock")
    choice = config.OptimizerChoice.build("adam", 0.01)
    stop = After(7)
    with pytest.raises(engine.Cancelled, match="before step 7 of 500"):   # the NumPy loop: before every step
        experiments.run_choice(s, choice, [[-1.0, 1.0]] * 10, 500, should_stop=stop, backend="numpy")
    assert stop.asked == 7
    tr = experiments.run_choice(s, choice, [-1.0, 1.0], 50, should_stop=lambda: False)
    assert tr.n_steps == 50


@pytest.mark.parametrize("what", ["basins", "heatmap", "sweep"])
def test_long_computations_stop_within_a_step(what):
    s = landscapes.get("himmelblau")
    choice = config.OptimizerChoice.build("momentum", 0.001)
    t_flip = []

    def should_stop():
        if time.monotonic() - t0 > 0.3:
            t_flip.append(time.monotonic())
            return True
        return False

    t0 = time.monotonic()
    with pytest.raises(engine.Cancelled):
        if what == "basins":  # 40,000 starts x 10,000 steps: minutes if it ran
            experiments.basins(s, choice, 10_000, 200, should_stop=should_stop)
        elif what == "heatmap":
            experiments.heatmap(s, choice, s.default_start, 1e-4, 1e-2, 200, 10_000, should_stop=should_stop)
        else:
            experiments.sweep(s, choice, s.default_start, 1e-4, 1e-2, 10_000, 10_000, should_stop=should_stop)
    assert time.monotonic() - t_flip[0] < 0.5


@pytest.mark.load
def test_a_closed_tab_stops_its_basin_map_on_the_server():
    """A 400 x 400 x 9,000-step basin map (~half a minute of CPU, within the budget) in a real server: the
    tab closes 4 s in, and the server's CPU use falls to idle within ~1 s. (Adagrad with
    eps_inside runs on the NumPy engine: the compiled kernels finish gd's map in ~4 s on a
    quiet machine, before the tab closes; their own stop is tested above.)"""
    port = stclient.free_port()
    proc = stclient.start_server(ROOT, port)
    link = "surface=rosenbrock&steps=9000&r1=adagrad&r1.lr=0.0001&r1.eps_inside=true&tab=basins&res=400"
    try:
        async def scenario():
            warm = stclient.Session("127.0.0.1", port, "surface=bowl&steps=20&r1=gd", timeout=120)
            await warm.open()  # the app's modules imported; the map below is the only work
            await warm.close()
            s = stclient.Session("127.0.0.1", port, link, timeout=120)
            task = asyncio.ensure_future(s.open())
            await asyncio.sleep(4.0)
            assert not task.done(), "the basin map takes far longer than 4 s"
            cpu_open = stclient.proc_status(proc.pid)["cpu_s"]
            await s.ws.close()  # the tab closes
            t_close = time.monotonic()
            task.cancel()
            try:
                await task
            except BaseException:
                pass
            await asyncio.sleep(1.5)
            cpu_a = stclient.proc_status(proc.pid)["cpu_s"]
            await asyncio.sleep(3.0)
            cpu_b = stclient.proc_status(proc.pid)["cpu_s"]
            return cpu_open, cpu_a, cpu_b, time.monotonic() - t_close

        cpu_open, cpu_a, cpu_b, waited = asyncio.run(scenario())
        print(f"server CPU 1.5-4.5 s after the tab closed: {cpu_b - cpu_a:.2f} s "
              f"(load average {os.getloadavg()[0]:.1f})")
        assert cpu_b - cpu_a < 0.3, "the server stopped computing the closed tab's map"
    finally:
        stclient.stop_server(proc)
