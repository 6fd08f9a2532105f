"""Cold first visits: N headless Chromium contexts (empty caches) open the class link at once.

    python bench/bench_cold.py [--browsers 10] [--rounds 2] [--processes 2]

Two ways of serving, alternated round by round in the same run:
  plain: one ``streamlit run app.py`` (every file through the Python process);
  nginx: ``deploy/serve.sh -n PROCESSES`` (nginx serves Streamlit's assets and
         plotly.js itself, gzip'd, with long cache headers; supervised apps).
Prints, per way: bytes over the network per cold visit (Playwright's encoded
response body sizes, websocket excluded) and how many of them reached the Python
processes; time from navigation to the race chart drawn (p50, p95, max) over all
visits. Ports: --port and the next ones (default: the first of $LOAD_TEST_PORTS).
Needs Debian's /usr/bin/chromium, nginx and the playwright package. The machine is
shared: the load average is printed with the numbers.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import stclient  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHART = ".st-key-chart .js-plotly-plot .main-svg"
LINK = "?lesson=lr_ridge"


def start_nginx(port: int, processes: int) -> subprocess.Popen:
    proc = subprocess.Popen(["bash", str(ROOT / "deploy" / "serve.sh"), "-n", str(processes), "-p", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"serve.sh exited with {proc.wait()}")
        if line.strip() == "ready":
            return proc


def stop_nginx(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(60)


async def visit(browser, url: str) -> tuple[float, int, int]:
    """(seconds to the chart drawn, bytes received, bytes of them from /static or /app/static)."""
    ctx = await browser.new_context()   # a new context: an empty cache, like a first visit
    page = await ctx.new_page()
    requests = []
    page.on("requestfinished", lambda r: requests.append(r))
    t0 = time.perf_counter()
    try:
        await page.goto(url, timeout=300_000)
        await page.wait_for_selector(CHART, timeout=300_000)
        seconds = time.perf_counter() - t0
    except Exception:  # counted as never (inf), not raised: the benchmark reports it
        seconds = float("inf")
    total = static = 0
    for r in requests:
        try:
            size = (await r.sizes())["responseBodySize"]
        except Exception:
            continue
        total += size
        if "/static/" in r.url:
            static += size
    await ctx.close()
    return seconds, total, static


async def round_(url: str, n: int) -> list[tuple[float, int, int]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        try:
            return await asyncio.gather(*(visit(browser, url) for _ in range(n)))
        finally:
            await browser.close()


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    lo, hi = stclient.port_range()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--browsers", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--port", type=int, default=lo)
    a = ap.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; {a.browsers} cold browsers "
          f"at once, {a.rounds} rounds per way, alternated")
    results = {"plain": [], "nginx": []}
    for r in range(a.rounds):
        for way in ("plain", "nginx") if r % 2 == 0 else ("nginx", "plain"):
            if way == "plain":
                proc = stclient.start_server(str(ROOT), a.port)
                stop = stclient.stop_server
            else:
                proc = start_nginx(a.port, a.processes)
                stop = stop_nginx
            try:
                asyncio.run(round_(f"http://127.0.0.1:{a.port}/{LINK}", 1))  # the server's modules warm
                t0 = time.perf_counter()
                out = asyncio.run(round_(f"http://127.0.0.1:{a.port}/{LINK}", a.browsers))
                results[way] += out
                print(f"  round {r + 1} {way:<5}: first render p50 {statistics.median(o[0] for o in out):.1f} s, "
                      f"max {max(o[0] for o in out):.1f} s; {statistics.median(o[1] for o in out) / 1e6:.2f} MB "
                      f"per visit ({statistics.median(o[2] for o in out) / 1e6:.2f} MB static) "
                      f"({time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.1f})", flush=True)
            finally:
                stop(proc)
    for way, out in results.items():
        secs = [o[0] for o in out]
        mb = statistics.median(o[1] for o in out) / 1e6
        st_mb = statistics.median(o[2] for o in out) / 1e6
        print(f"{way:<5}: per cold visit {mb:.2f} MB over the network ({st_mb:.2f} MB of static files); "
              f"first render p50 {pct(secs, 0.5):.1f} s, p95 {pct(secs, 0.95):.1f} s, max {max(secs):.1f} s "
              f"({len(secs)} visits)")


if __name__ == "__main__":
    main()
