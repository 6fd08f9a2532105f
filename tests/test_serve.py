"""deploy/serve.sh: nginx and supervised app processes, killed under load.

Marked ``load``. Needs nginx (/usr/sbin/nginx; .ci/run installs it) and
supervisor (requirements.txt); skipped with the reason printed when nginx is
missing, never when CI=true. Ports: $LOAD_TEST_PORTS (default 8621-8635).
"""
from __future__ import annotations

import asyncio
import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import stclient  # noqa: E402

pytestmark = pytest.mark.load

LINK = "surface=booth&steps=150&x=-5&y=5&r1=gd&r1.lr=0.01"
N_APPS = 2
RESPAWN_SECONDS = 5.0   # supervisord starts a new process within this
SERVING_SECONDS = 30.0  # ... and it answers again within this (Streamlit's start: ~2 s idle, more under load)


def _nginx() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


@pytest.fixture(scope="module")
def served():
    if _nginx() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nginx is missing on CI (.ci/run installs it)")
        print("SKIPPED: nginx is not installed (apt-get install -y nginx)")
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    port = stclient.free_port(count=N_APPS + 1)
    proc = subprocess.Popen(["bash", os.path.join(ROOT, "deploy", "serve.sh"), "-n", str(N_APPS), "-p", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    apps, logs, lines = {}, None, []
    try:
        t_end = time.monotonic() + 240
        while time.monotonic() < t_end:
            line = proc.stdout.readline()
            lines.append(line)
            if not line:
                raise RuntimeError(f"serve.sh exited with {proc.wait()}: {''.join(lines)[-2000:]}")
            if line.startswith("app "):
                _, pid, p = line.split()
                apps[int(p)] = int(pid)
            elif line.startswith("logs "):
                logs = line.split(None, 1)[1].strip()
            elif line.strip() == "ready":
                break
        yield port, apps, logs
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
    assert proc.returncode is not None
    if logs:
        assert not os.path.exists(logs), "serve.sh removed its run directory"
    for pid in apps.values():
        assert not _alive(pid), "the app processes stopped with the service"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _established(port: int) -> int:
    """Open TCP connections to 127.0.0.1:port (nginx's websockets to that app)."""
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "01":
                        n += 1
        except OSError:
            pass
    return n


def _pid_on(port: int) -> int | None:
    """The process listening on 127.0.0.1:port, from /proc (the restarted app)."""
    inodes = set()
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "0A":
                inodes.add(parts[9])
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(pid)
        except OSError:
            continue
    return None


def test_static_files_come_from_nginx_compressed_with_long_cache_headers(served):
    port, apps, _ = served
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as r:
        page = r.read().decode()
    js = page.split('src="./static/js/', 1)[1].split('"', 1)[0]
    req = urllib.request.Request(f"http://127.0.0.1:{port}/static/js/{js}", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        assert "immutable" in r.headers["Cache-Control"] and "max-age=31536000" in r.headers["Cache-Control"]
        body = gzip.decompress(r.read())
    import streamlit
    with open(os.path.join(os.path.dirname(streamlit.__file__), "static", "static", "js", js), "rb") as f:
        assert body == f.read(), "the same bytes as Streamlit's own file"
    import livechart
    url = livechart.plotly_js_url()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/{url}", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=30) as r:
        data = r.read()
        assert r.headers["Content-Encoding"] == "gzip" and "max-age" in r.headers["Cache-Control"]
    assert len(data) < 0.4 * os.path.getsize(livechart.PLOTLY_JS), "plotly.js travels compressed"


def test_a_killed_app_process_is_restarted_while_the_others_keep_answering(served):
    port, apps, logs = served
    ports = sorted(apps)

    async def scenario():
        sessions = []
        try:
            # sessions through nginx until each app process holds at least one
            while len(sessions) < 16 and (len(sessions) < 4 or min(_established(p) for p in ports) == 0):
                s = stclient.Session("127.0.0.1", port, LINK, timeout=120, cookie_first=True)
                await s.open()
                sessions.append(s)
            counts = {p: _established(p) for p in ports}
            assert min(counts.values()) > 0, counts
            victim = ports[0]
            before = {p: _established(p) for p in ports}
            os.kill(apps[victim], signal.SIGKILL)
            t_kill, t_kill_wall = time.monotonic(), time.time()
            await asyncio.sleep(0.3)
            # the sessions on the other process keep answering; those on the dead one lost their socket
            ok, lost = 0, []
            for j, s in enumerate(sessions):
                try:
                    await s.change("lr.0", 0.02 + 0.001 * j)
                    ok += 1
                except Exception:
                    lost.append(s)
            assert ok >= before[ports[1]] > 0, (ok, before)
            # their successors (the same browsers reconnecting, same cookie) are served at once by the others
            for s in lost:
                again = stclient.Session("127.0.0.1", port, LINK, timeout=60, cookie=s.cookie)
                t0 = time.monotonic()
                await again.open()
                assert time.monotonic() - t0 < 30
                sessions.append(again)
            # and the dead process comes back
            respawned = serving = None
            while time.monotonic() - t_kill < SERVING_SECONDS:
                pid = _pid_on(victim) if respawned is None else respawned
                if respawned is None and pid not in (None, apps[victim]):
                    respawned = pid
                if respawned is not None:
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{victim}/_stcore/health", timeout=2):
                            serving = time.monotonic() - t_kill
                            break
                    except OSError:
                        pass
                await asyncio.sleep(0.1)
            return respawned, serving, t_kill_wall, lost
        finally:
            for s in sessions:
                try:
                    await s.close()
                except Exception:
                    pass

    respawned, serving, t_kill, lost = asyncio.run(scenario())
    spawned = None
    # supervisord's log: "2026-12-07 20:57:35,259 INFO spawned: 'app8651' with pid 1992"
    with open(os.path.join(logs, "supervisord.log")) as f:
        for line in f:
            if f"spawned: 'app{ports[0]}' with pid {respawned}" in line:
                stamp, ms = line[:23].split(",")
                spawned = time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S")) + int(ms) / 1000 - t_kill
    print(f"killed app on {ports[0]}: {len(lost)} sessions lost their socket; a new process was started "
          f"after {spawned} s and answered after {serving} s (load average {os.getloadavg()[0]:.1f})")
    assert respawned is not None, "supervisord started a new app process"
    assert serving is not None and serving < SERVING_SECONDS, "the new process answers"
    assert spawned is not None and spawned < RESPAWN_SECONDS, "supervisord started it again at once"
    assert _alive(respawned)
