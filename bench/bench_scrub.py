"""Scrub latency in Chromium (issue 23): input to redrawn path, beside a server round trip.

Serves the app (``streamlit run`` on a free port, or ``--url``), opens the default view at
1280x720 with both views and scrub sliders for one racer, drags the racer's learning-rate
slider across its values with the real mouse and times each change from the mouse event
to the animation frame after the map's path is redrawn (``livechart/scrub.js`` records it
when ``window.__scrubTimes`` exists). Baselines measured in the same page: the release,
a server run that makes the value the racer's own, timed from mouse-up to the new figure
drawn; and a move of the race's own step slider (a frame with a 3-D redraw). Prints the
machine's load average beside the numbers: on a shared machine they are noisy.

    python bench/bench_scrub.py [--racer 2] [--url http://127.0.0.1:8501]
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHART = ".st-key-chart .js-plotly-plot"
INIT = ("window.__scrubTimes = []; document.addEventListener('mousemove', "
        "() => { window.__lastInput = performance.now(); }, true);")


def serve() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.25)
    proc.kill()
    raise SystemExit("the app did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--racer", type=int, default=1, help="1-based racer to scrub (default view: 1 gd, 2 momentum)")
    ap.add_argument("--url")
    args = ap.parse_args()
    proc, url = (None, args.url) if args.url else serve()
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                   args=["--headless", "--no-sandbox", "--disable-gpu"])
            pg = b.new_page(viewport={"width": 1280, "height": 720})
            pg.add_init_script(INIT)
            pg.goto(f"{url}/?scrub={args.racer}", timeout=300_000)
            pg.wait_for_function(f"() => document.querySelector('{CHART}')?.dataset.drawn === 'all'",
                                 timeout=300_000)
            pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached")
            time.sleep(2)
            group = pg.locator(CHART + " .slider-group").nth(1)
            grip = group.locator(".slider-grip-rect").bounding_box()
            rail = group.locator(".slider-rail-rect").bounding_box()
            x, y = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
            pg.mouse.move(x, y)
            pg.mouse.down()
            for k in range(1, 36):   # to the left end and back part of the way, a move every 60 ms
                dx = -rail["width"] / 2 * min(k, 20) / 20 + (rail["width"] / 2 * (k - 20) / 20 if k > 20 else 0)
                pg.mouse.move(x + dx, y)
                time.sleep(0.06)
            times = pg.evaluate("() => window.__scrubTimes")
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
            b.close()
        load = os.getloadavg()
        print(f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores")
        print(f"scrub, input to redrawn map path: median {statistics.median(times):.0f} ms over {len(times)} changes "
              f"(min {min(times):.0f}, max {max(times):.0f}); target <= 50 ms")
        print(f"baseline, the race slider to a step (3-D redraw): median {statistics.median(race):.0f} ms")
        print(f"baseline, release = one server run to the new figure drawn: {release * 1000:.0f} ms")
    finally:
        if proc:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


if __name__ == "__main__":
    main()
