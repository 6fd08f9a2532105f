"""A small client that speaks Streamlit's own websocket protocol, for load tests.

No browser: each session opens ``ws://HOST:PORT/_stcore/stream``, sends
``BackMsg(rerun_script=ClientState(query_string=..., widget_states=...))`` the way
the browser does and reads ``ForwardMsg``s until ``script_finished``. Like the
browser it remembers which widgets exist (their ids come with the deltas), keeps
the query string the app writes, and reports the hashes of the large messages it
already holds, so the server may answer with references instead of repeating
them. Only 127.0.0.1 / localhost is accepted.

Also here: starting and stopping a ``streamlit run`` server for a benchmark or a
test, and reading a process's memory and CPU time from /proc.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

LOCAL_HOSTS = ("127.0.0.1", "localhost")
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


class LoadError(RuntimeError):
    """A session saw something a user would call a failure."""


@dataclass
class Session:
    """One browser tab, without the browser."""

    host: str
    port: int
    query_string: str = ""
    timeout: float = 120.0
    ws: object = None
    widget_ids: dict[str, str] = field(default_factory=dict)   # user key -> widget id
    widget_values: dict[str, object] = field(default_factory=dict)
    cached: set[str] = field(default_factory=set)
    exceptions: list[str] = field(default_factory=list)
    received_bytes: int = 0
    alerts: list[str] = field(default_factory=list)   # st.warning/error/info texts of the last run
    cookie_first: bool = False   # GET / first and send its cookies (sticky sessions behind nginx)
    cookie: str = ""             # the cookies sent (set by cookie_first; give one to be the same browser)

    def __post_init__(self) -> None:
        if self.host not in LOCAL_HOSTS:
            raise ValueError(f"load tests only go to 127.0.0.1, not {self.host!r}")

    async def open(self) -> float:
        """Connect and run the script for the query string: the first render (s)."""
        t0 = time.perf_counter()
        headers = {}
        if self.cookie_first and not self.cookie:
            self.cookie = await asyncio.to_thread(self._page_cookies)
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.ws = await asyncio.wait_for(websockets.connect(
            f"ws://{self.host}:{self.port}/_stcore/stream", subprotocols=["streamlit"],
            max_size=None, open_timeout=self.timeout, compression=None,
            additional_headers=headers or None), self.timeout)
        await self._run({})
        return time.perf_counter() - t0

    def _page_cookies(self) -> str:
        """What a browser does first: load the page, keep the cookies it sets."""
        with urllib.request.urlopen(f"http://{self.host}:{self.port}/", timeout=self.timeout) as r:
            r.read()
            return "; ".join(c.split(";", 1)[0] for c in r.headers.get_all("Set-Cookie") or [])

    async def change(self, key: str, value: float) -> float:
        """Set number input ``key`` to ``value`` and wait for the rerun (s)."""
        if key not in self.widget_ids:
            raise LoadError(f"no widget with key {key!r} on the page")
        t0 = time.perf_counter()
        await self._run({key: float(value)})
        return time.perf_counter() - t0

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def _run(self, changes: dict[str, float]) -> None:
        self.widget_values.update(changes)
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.cached_message_hashes.extend(sorted(self.cached))
        for key, value in self.widget_values.items():
            w = cs.widget_states.widgets.add()
            w.id = self.widget_ids[key]
            w.double_value = value
        await self.ws.send(msg.SerializeToString())
        await asyncio.wait_for(self._until_finished(), self.timeout)

    async def _until_finished(self) -> None:
        while True:
            data = await self.ws.recv()
            self.received_bytes += len(data)
            fm = ForwardMsg()
            fm.ParseFromString(data)
            kind = fm.WhichOneof("type")
            if fm.metadata.cacheable and fm.hash:
                self.cached.add(fm.hash)
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                self._element(fm.delta.new_element)
            elif kind == "page_info_changed":
                self.query_string = fm.page_info_changed.query_string
            elif kind == "script_finished":
                if fm.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise LoadError("the script did not compile")
                if fm.script_finished in FINISHED:
                    if self.exceptions:
                        raise LoadError("exception on the page: " + self.exceptions[-1][:200])
                    return
            elif kind == "session_event" and fm.session_event.WhichOneof("type") == "script_compilation_exception":
                raise LoadError("script compilation exception")

    async def send_state(self, key: str, field: str, value) -> None:
        """What a modified client could send: widget ``key``'s state in any field of
        the protocol's WidgetState (``double_value``, ``int_value``, ``string_value``,
        ``double_array_value``...), then wait for the rerun. Messages the page shows
        (warnings, errors) are in ``alerts`` afterwards."""
        if key not in self.widget_ids:
            raise LoadError(f"no widget with key {key!r} on the page")
        self.alerts = []
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.cached_message_hashes.extend(sorted(self.cached))
        for k, v in self.widget_values.items():
            if k != key:
                w = cs.widget_states.widgets.add()
                w.id, w.double_value = self.widget_ids[k], v
        w = cs.widget_states.widgets.add()
        w.id = self.widget_ids[key]
        if field.endswith("_array_value"):
            getattr(w, field).data.extend(value)
        else:
            setattr(w, field, value)
        await self.ws.send(msg.SerializeToString())
        await asyncio.wait_for(self._until_finished(), self.timeout)

    def _element(self, el) -> None:
        kind = el.WhichOneof("type")
        if kind == "alert":
            self.alerts.append(el.alert.body)
        if kind == "exception":
            self.exceptions.append(f"{el.exception.type}: {el.exception.message}")
        elif kind == "number_input":
            wid = el.number_input.id
            key = wid.rsplit("-", 1)[-1] if wid.startswith("$$ID-") else wid
            self.widget_ids[key] = wid


# --- a server to load -----------------------------------------------------------

PORTS_ENV = "LOAD_TEST_PORTS"   # e.g. "8650-8699": where load tests and benchmarks start servers


def port_range(default: tuple[int, int] = (8621, 8635)) -> tuple[int, int]:
    """The ports load tests and benchmarks may use: $LOAD_TEST_PORTS ("LO-HI") or ``default``."""
    text = os.environ.get(PORTS_ENV, "")
    if not text:
        return default
    try:
        lo, hi = (int(v) for v in text.split("-"))
    except ValueError:
        raise ValueError(f"{PORTS_ENV} must be LO-HI, got {text!r}") from None
    if not 1024 <= lo <= hi <= 65535:
        raise ValueError(f"{PORTS_ENV} must be LO-HI within 1024-65535, got {text!r}")
    return lo, hi


def _free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port(lo: int | None = None, hi: int | None = None, count: int = 1) -> int:
    """The first port p in [lo, hi] (default: ``port_range()``) with p .. p+count-1 free on 127.0.0.1."""
    if lo is None or hi is None:
        lo, hi = port_range()
    for port in range(lo, hi - count + 2):
        if all(_free(p) for p in range(port, port + count)):
            return port
    raise RuntimeError(f"no {count} free port(s) in a row in {lo}-{hi}")


def wait_healthy(port: int, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} not healthy after {timeout:.0f} s")


def start_server(app_dir: str, port: int, log_path: str | None = None) -> subprocess.Popen:
    """``streamlit run app.py`` from ``app_dir`` on 127.0.0.1:port; returns once healthy."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise RuntimeError(f"port {port} is in use") from None
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    with open(log_path or os.devnull, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=app_dir, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_healthy(port, proc=proc)
    except Exception:
        stop_server(proc)
        raise
    return proc


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def proc_status(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak (MB) and CPU seconds used, from /proc."""
    out = {"rss_mb": 0.0, "peak_mb": 0.0, "cpu_s": 0.0}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out["rss_mb"] = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    out["peak_mb"] = int(line.split()[1]) / 1024
        with open(f"/proc/{pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        out["cpu_s"] = (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        pass
    return out
