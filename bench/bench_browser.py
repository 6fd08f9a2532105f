"""What a person feels, measured in headless Chromium against the served app.

    python bench/bench_browser.py [--baseline DIR] [--port 8611] [--baseline-port 8612]

Serves this tree's ``app.py`` (and, with ``--baseline``, another checkout of the
app, e.g. the unmodified main branch) with ``streamlit run`` on 127.0.0.1 and
prints each figure beside the baseline's, measured in the same run:

* page load to the first chart on a warm server (median of 5 loads, one page open
  at a time), two ways: when Chromium presented the first frame showing the map's
  picture (the Element Timing API's ``renderTime`` of the chart's ``<image>``,
  from the navigation's start: what a person sees), and when Playwright's
  ``wait_for_selector`` saw the chart's SVG (what this benchmark printed before:
  it polls, and it waits for the page's main thread, so it reads 0.4-0.6 s later);
* Play of the default view (2-D + 3-D): median interval between animation
  frames (plotly's ``plotly_animatingframe`` event) over the first ~40 frames;
* a new learning rate typed into the first racer's box: median time from Enter to
  the redrawn race chart shown (3 changes, each a value no cache has seen): the
  first animation frame after a draw that made new traces, with the chart visible;
* the largest race (6 racers x 10,000 steps, both views): server-side build
  time of the figure and its JSON size as Streamlit sends it.

Budgets (issue 7): load <= 6 s, frame interval <= 120 ms, learning-rate change
<= 1.2 s, JSON <= 1.5 MB, build <= 3 s. Needs Debian's /usr/bin/chromium and the playwright package.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
CHART = ".st-key-chart .js-plotly-plot"   # the race chart (key="chart"), in any version of the app
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

# Server side, run inside the app's directory (its own modules).
LARGEST = r"""
import json, sys, time
import plotly.io as pio
import exports, optimizers
try:
    from results import run_results
except ImportError:  # before the results model was split from exports.py
    from exports import run_results
from config import OptimizerChoice, Racer, RunConfig
names = ["gd", "momentum", "nesterov", "rmsprop", "adam", "adagrad"]
names = [n for n in names if n in optimizers.names()][:6]
while len(names) < 6:
    names.append("gd")
racers = tuple(Racer(OptimizerChoice.build(n, 1e-3 if n in ("gd", "momentum", "nesterov") else 1e-2))
               for n in names)
run = RunConfig("rosenbrock", (), racers, 10_000, (-1.2, 1.0), 0)
results = run_results(run)
best = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    fig = views.trajectory_figure_for(run, results, view="both")
    text = pio.to_json(fig, validate=False)
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"build_s": best, "json_mb": len(text) / 1e6}))
"""

# Tags the charts' pictures for the Element Timing API as they are inserted, and
# keeps the entries: renderTime is when the frame that first painted one was shown.
PAINT_TIMES = """
window.__paints = [];
new PerformanceObserver(list => {
  for (const e of list.getEntries()) window.__paints.push(e.renderTime || e.loadTime);
}).observe({type: 'element', buffered: true});
new MutationObserver(() => document.querySelectorAll(
    '.st-key-chart image:not([elementtiming])').forEach(im => im.setAttribute('elementtiming', 'map')))
  .observe(document, {childList: true, subtree: true});
"""

# When the race chart shows a newly drawn figure: checked on every animation
# frame, a draw is new when the chart's computed traces (plotly's calcdata) are
# another object, and shown once the chart is visible (st.plotly_chart draws a
# newly mounted chart hidden first). The time is that of the frame after the
# draw. It works for a chart updated in place and for one mounted anew.
SHOWN = """
window.__shown = [];
(() => {
  let last = null;
  const tick = () => {
    const d = document.querySelector('%s');
    if (d && d.calcdata && d.calcdata !== last && getComputedStyle(d).visibility === 'visible') {
      last = d.calcdata;
      window.__shown.push(performance.now());
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
""" % CHART

FRAME_TIMES = """() => new Promise(resolve => {
  const d = document.querySelector('%s');
  window.__frames = [];
  d.on('plotly_animatingframe', () => window.__frames.push(performance.now()));
  resolve(true);
})""" % CHART


class Server:
    def __init__(self, app_dir: Path, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.log = open(f"/tmp/bench-browser-{port}.log", "w")
        env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=app_dir, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"no server on {self.base}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=15)
        self.log.close()


def load_seconds(page, base: str) -> tuple[float, float, float]:
    """(first frame showing the map, Playwright seeing the chart, the frame after
    the chart's last draw of the load: both views), in seconds."""
    t0 = time.perf_counter()
    page.goto(base + "/", timeout=120_000)
    page.wait_for_selector(CHART + " .main-svg", timeout=120_000)
    seen = time.perf_counter() - t0
    page.wait_for_function("() => window.__paints.length > 0", timeout=60_000)
    # a chart of this app draws the map, then adds the 3-D scene (data-drawn "map", then "all")
    page.wait_for_function("(sel) => document.querySelector(sel).dataset.drawn !== 'map'", arg=CHART,
                           timeout=60_000)
    page.wait_for_selector(IDLE, state="attached", timeout=60_000)
    page.wait_for_timeout(500)
    return (min(page.evaluate("() => window.__paints")) / 1000, seen,
            page.evaluate("() => window.__shown[window.__shown.length - 1]") / 1000)


def play_interval_ms(page, base: str, frames: int = 40) -> float:
    page.goto(base + "/", timeout=120_000)
    page.wait_for_selector(CHART + " .main-svg", timeout=120_000)
    page.wait_for_selector(IDLE, state="attached", timeout=120_000)
    page.wait_for_timeout(1500)  # the 3-D scene's first draw
    chart = page.locator(CHART).first
    page.evaluate(FRAME_TIMES)
    chart.locator(".updatemenu-button").filter(has_text="Play").first.click()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and page.evaluate("() => window.__frames.length") < frames + 1:
        page.wait_for_timeout(250)
    stamps = page.evaluate("() => window.__frames")
    chart.locator(".updatemenu-button").filter(has_text="Pause").first.click()
    gaps = [b - a for a, b in zip(stamps[1:], stamps[2:])]  # the first gap includes the start
    return statistics.median(gaps) if gaps else float("nan")


def lr_change_seconds(page, base: str, changes: int = 3) -> float:
    """Median time from typing a new learning rate (Enter) to the frame after the
    redrawn race chart is shown (``SHOWN``). Every value is new to the server's
    caches, so each change recomputes a racer and rebuilds the figure."""
    page.goto(base + "/", timeout=120_000)
    page.wait_for_selector(CHART + " .main-svg", timeout=120_000)
    page.wait_for_selector(IDLE, state="attached", timeout=120_000)
    page.wait_for_timeout(1500)
    box = page.get_by_role("spinbutton", name=re.compile("learning rate")).first
    times = []
    for k in range(changes):
        box.fill(f"0.00{k + 2}{int(time.time() * 1000) % 97:02d}")
        shown = page.evaluate("() => window.__shown.length")
        t0 = page.evaluate("() => performance.now()")
        box.press("Enter")
        page.wait_for_function(f"() => window.__shown.length > {shown}", timeout=60_000)
        page.wait_for_selector(IDLE, state="attached", timeout=60_000)
        page.wait_for_timeout(500)   # a chart mounted anew is drawn twice: take the last
        times.append((page.evaluate("() => window.__shown[window.__shown.length - 1]") - t0) / 1000)
        page.wait_for_timeout(1000)
    return statistics.median(times)


def largest(app_dir: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", LARGEST], cwd=app_dir, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(app_dir: Path, port: int, browser) -> dict:
    server = Server(app_dir, port)
    try:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        ctx.add_init_script(PAINT_TIMES)
        ctx.add_init_script(SHOWN)
        page = ctx.new_page()
        load_seconds(page, server.base)  # warm: Streamlit's first run imports everything
        page.close()
        loads = []
        for _ in range(5):  # one page at a time, as one student opens one page
            page = ctx.new_page()
            loads.append(load_seconds(page, server.base))
            page.wait_for_timeout(1000)   # let its 3-D scene finish before the next load
            page.close()
        interval = play_interval_ms(ctx.new_page(), server.base)
        lr_s = lr_change_seconds(ctx.new_page(), server.base)
        ctx.close()
    finally:
        server.stop()
    return {"load_s": statistics.median(p for p, _, _ in loads), "seen_s": statistics.median(s for _, s, _ in loads),
            "both_s": statistics.median(b for _, _, b in loads),
            "frame_ms": interval, "lr_s": lr_s, **largest(app_dir)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", type=Path, help="another checkout of the app to compare with")
    ap.add_argument("--port", type=int, default=8611)
    ap.add_argument("--baseline-port", type=int, default=8612)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        base = measure(args.baseline, args.baseline_port, browser) if args.baseline else None
        now = measure(ROOT, args.port, browser)
        browser.close()
    rows = [("page load to first chart shown (warm server)", "load_s", "s", 6.0),
            ("  the same, as Playwright sees the chart", "seen_s", "s", 6.0),
            ("  both views (map and 3-D) drawn and shown", "both_s", "s", 6.0),
            ("Play, 2-D + 3-D: median frame interval", "frame_ms", "ms", 120.0),
            ("new learning rate to the redrawn map shown", "lr_s", "s", 1.2),
            ("largest race: figure JSON", "json_mb", "MB", 1.5),
            ("largest race: server-side figure build", "build_s", "s", 3.0)]
    print(f"{'':44s} {'this tree':>10s} {'baseline':>10s} {'budget':>8s}")
    for title, key, unit, budget in rows:
        b = f"{base[key]:.2f}" if base else "-"
        print(f"{title:44s} {now[key]:>8.2f}{unit:>2s} {b:>8s}{unit:>2s} {budget:>6.1f}{unit:>2s}")


if __name__ == "__main__":
    main()
