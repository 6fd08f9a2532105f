"""Scrub latency in Chromium (issue 23): this tree beside a baseline (``main``), same run.

For each version (the baseline is ``git archive REF`` unpacked in a temporary folder), serves
the app (``streamlit run`` on a free port), opens the default view at 1280x720 with both views
and scrub sliders for one racer, and drags the racer's learning-rate slider with the real
mouse: from the middle to the left end, to the right end and back (a move every 60 ms). Each
change is timed from the mouse event's time stamp to the animation frame after the map's
path is redrawn (``livechart/scrub.js`` records it when ``window.__scrubTimes`` exists): the
path is on screen. Also per version: the page's main-thread busy time during the drag (CDP
``Performance.getMetrics`` TaskDuration, per change), the 3-D path following a rested slider
(from the last input to the frame after the 3-D redraw, the rest wait included), the release
(one server run to the new figure drawn) and a move of the race's own step slider (a 3-D
redraw). Versions alternate (baseline, this, baseline, this, ...) so a change of machine
load hits both; the load average is printed beside the numbers.

    python bench/bench_scrub.py [--baseline main] [--rounds 2] [--racer 1]
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHART = ".st-key-chart .js-plotly-plot"
INIT = ("window.__scrubTimes = []; document.addEventListener('mousemove', "
        "(ev) => { window.__lastInput = ev.timeStamp; }, true);")


def serve(root: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.25)
    stop(proc)
    raise SystemExit(f"the app in {root} did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def busy(cdp) -> float:
    """Seconds the page's main thread has run tasks so far."""
    return next(m["value"] for m in cdp.send("Performance.getMetrics")["metrics"] if m["name"] == "TaskDuration")


def measure(browser, url: str, racer: int) -> dict:
    pg = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        pg.add_init_script(INIT)
        pg.goto(f"{url}/?scrub={racer}", timeout=300_000)
        pg.wait_for_function(f"() => document.querySelector('{CHART}')?.dataset.drawn === 'all'", timeout=300_000)
        pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached")
        time.sleep(2)
        cdp = pg.context.new_cdp_session(pg)
        cdp.send("Performance.enable")
        group = pg.locator(CHART + " .slider-group").nth(1)
        grip = group.locator(".slider-grip-rect").bounding_box()
        rail = group.locator(".slider-rail-rect").bounding_box()
        x, y = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
        half = rail["width"] / 2
        # the middle to the left end, to the right end and back to the middle, in steps of 1/40 of the rail
        path = [-half * k / 20 for k in range(1, 21)] + [-half + half * k / 20 for k in range(1, 41)] \
            + [half - half * k / 20 for k in range(1, 21)]
        pg.mouse.move(x, y)
        pg.mouse.down()
        cpu0 = busy(cdp)
        for dx in path:
            pg.mouse.move(x + dx, y)
            time.sleep(0.06)
        times = pg.evaluate("() => window.__scrubTimes")
        cpu = busy(cdp) - cpu0
        # the 3-D path follows a rested slider: one more step, then wait
        followed = int(pg.evaluate(f"() => document.querySelector('{CHART}').dataset.scrubFollowed || 0"))
        pg.mouse.move(x - half / 5, y)
        pg.wait_for_function(f"(n) => Number(document.querySelector('{CHART}').dataset.scrubFollowed || 0) > n",
                             arg=followed, timeout=60_000)
        follow = pg.evaluate("() => new Promise(r => requestAnimationFrame(() => r(performance.now() - "
                             "window.__lastInput)))")
        draws = int(pg.evaluate(f"() => document.querySelector('{CHART}').dataset.draws || 0"))
        t0 = time.perf_counter()
        pg.mouse.up()
        pg.wait_for_function(f"(n) => Number(document.querySelector('{CHART}').dataset.draws) > n", arg=draws,
                             timeout=120_000)
        release = time.perf_counter() - t0
        race = []
        for k in (40, 100, 160, 20, 120):
            race.append(pg.evaluate("""async ([sel, k]) => { const d = document.querySelector(sel);
                const s = d.layout.sliders[0].steps[k]; const t = performance.now();
                await Plotly.animate(d, ...s.args); await new Promise(r => requestAnimationFrame(r));
                return performance.now() - t; }""", [CHART, k]))
        return dict(times=times, cpu=cpu, follow=follow, release=release * 1000, race=race)
    finally:
        pg.close()


def p90(v: list[float]) -> float:
    return statistics.quantiles(v, n=10)[-1] if len(v) > 1 else v[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default="main", help="git ref measured beside this tree (default main)")
    ap.add_argument("--rounds", type=int, default=2, help="drags per version, alternating")
    ap.add_argument("--racer", type=int, default=1, help="1-based racer to scrub (default view: 1 gd, 2 momentum)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_scrub_") as tmp:
        base = Path(tmp)
        archive = subprocess.run(["git", "archive", args.baseline], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        versions = {f"baseline ({args.baseline})": base, "this tree": ROOT}
        got: dict[str, list[dict]] = {k: [] for k in versions}
        loads = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--headless", "--no-sandbox", "--disable-gpu"])
            for _ in range(args.rounds):
                for name, root in versions.items():
                    proc, url = serve(root)
                    try:
                        loads.append(os.getloadavg()[0])
                        got[name].append(measure(browser, url, args.racer))
                    finally:
                        stop(proc)
            browser.close()
    print(f"load average {min(loads):.1f} .. {max(loads):.1f} during the run, {os.cpu_count()} cores")
    print("input to redrawn map path (ms), 1280x720, both views, real mouse drags:")
    med = {}
    for name, rs in got.items():
        t = [v for r in rs for v in r["times"]]
        med[name] = statistics.median(t)
        cpu = sum(r["cpu"] for r in rs) * 1000 / max(len(t), 1)
        print(f"  {name:22s} median {med[name]:6.0f}  p90 {p90(t):6.0f}  max {max(t):6.0f}  over {len(t)} changes; "
              f"main thread busy {cpu:.0f} ms per change")
    b, n = med.values()
    print(f"  ratio baseline / this tree: {b / n:.1f}x (target: this tree <= 50 ms)")
    for name, rs in got.items():
        follow = statistics.median(r["follow"] for r in rs)
        release = statistics.median(r["release"] for r in rs)
        race = statistics.median(v for r in rs for v in r["race"])
        print(f"  {name:22s} 3-D path after a rested slider {follow:.0f} ms (rest wait included); "
              f"release (server run) {release:.0f} ms; step slider (3-D redraw) {race:.0f} ms")


if __name__ == "__main__":
    main()
