"""Hard limits for the symbolic work of a typed formula: a separate process.

A typed formula's SymPy work (building the expression, differentiating it,
compiling it to the evaluator's instruction list) runs in a child process
that the kernel stops at its limits, whatever it is doing (a Python check
between steps cannot stop SymPy inside one long step, e.g. evaluating a
number to ever more digits):

- ``CPU_SECONDS`` of CPU: first a timer signal that ends the work with a clear
  message, then ``RLIMIT_CPU`` one second later (the kernel kills it);
- ``WALL_SECONDS`` of wall-clock time: ``alarm()`` with its default action
  (the kernel kills it, even inside C code);
- ``MEMORY_BYTES`` more address space than the worker started with.

The children are forked from one small server process per app process (a
fresh Python that imported SymPy and this package once, so a child starts in
milliseconds): ``python -c ... landscapes.worker.serve()``, started on first
use, listening on a Unix socket in a private temporary directory, ending when
its parent does (its stdin closes). One request is one connection: the
formula's text in, one JSON line out (plain numbers and names: no pickle).
The server runs nothing but :func:`landscapes.formula.compile_spec`.
"""
from __future__ import annotations

import json
import math
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

CPU_SECONDS = 2.0          # CPU time of one formula's symbolic work
WALL_SECONDS = 10.0        # wall-clock time, however busy the machine
MEMORY_BYTES = 1 << 30     # address space beyond what the worker holds at the start
START_SECONDS = 60.0       # the server's own start (imports SymPy) on a loaded machine
MAX_CONCURRENT = 2         # children per app process at once (the others wait their turn)
MAX_REQUEST = 4096         # bytes of one request (a formula is at most 500 characters)

ROOT = Path(__file__).resolve().parent.parent


class WorkerError(RuntimeError):
    """The worker could not be started or reached (not the formula's fault)."""


# --- the server and its children -----------------------------------------------------

class _OutOfTime(BaseException):
    """Raised by the CPU timer inside the child (a BaseException: no ``except
    Exception`` in SymPy swallows it)."""


def _limit_child(cpu: float, wall: float) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)   # the server's clean-up is not the child's
    signal.alarm(int(math.ceil(wall)))           # default action: the kernel ends the process

    def out_of_time(signum, frame):
        raise _OutOfTime()

    signal.signal(signal.SIGPROF, out_of_time)
    signal.setitimer(signal.ITIMER_PROF, cpu)
    hard_cpu = int(math.ceil(cpu)) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (hard_cpu, hard_cpu + 1))
    try:
        with open("/proc/self/statm") as fh:
            vm = int(fh.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (vm + MEMORY_BYTES, vm + MEMORY_BYTES))
    except (OSError, ValueError):
        pass


def _answer(text: str, cpu: float, wall: float) -> dict:
    from landscapes import formula

    try:
        _limit_child(cpu, wall)
        spec = formula.compile_spec(text)
        signal.setitimer(signal.ITIMER_PROF, 0)
        return {"ok": spec}
    except formula.FormulaError as exc:
        return {"error": exc.problem, "column": exc.column, "end": exc.end}
    except _OutOfTime:
        return {"error": f"too complex: its symbolic work took more than {cpu:g} s of computing"}
    except (MemoryError, RecursionError):
        return {"error": "too complex: its symbolic work needs too much memory"}
    except Exception as exc:  # noqa: BLE001 - SymPy failing on a valid formula: a message, not a crash
        return {"error": f"cannot be used: the symbolic step failed ({type(exc).__name__})"}


def serve() -> None:
    """The server: preload SymPy and the formula module, listen, fork a limited
    child per request. Prints the socket's path once ready; ends when stdin closes."""
    import socketserver

    from landscapes import formula  # noqa: F401  (preloaded: children start warm)

    folder = tempfile.mkdtemp(prefix="lls-formula-")
    path = os.path.join(folder, "socket")

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            line = self.rfile.readline(MAX_REQUEST)
            try:
                req = json.loads(line)
                text = req["text"]
                cpu = min(float(req.get("cpu") or CPU_SECONDS), CPU_SECONDS)   # never above the limits
                wall = min(float(req.get("wall") or WALL_SECONDS), WALL_SECONDS)
                assert isinstance(text, str) and cpu > 0 and wall >= 1
            except Exception:
                out = {"error": "bad request"}
            else:
                out = _answer(text, cpu, wall)
            self.wfile.write(json.dumps(out).encode() + b"\n")

    class Server(socketserver.ForkingMixIn, socketserver.UnixStreamServer):
        max_children = 16

    def leave(*_):
        shutil.rmtree(folder, ignore_errors=True)
        os._exit(0)

    def watch_parent():
        try:
            while sys.stdin.buffer.read(1 << 12):
                pass
        finally:
            leave()

    signal.signal(signal.SIGTERM, leave)   # stopped with its app process group (supervisord, tests)

    with Server(path, Handler) as server:
        os.chmod(path, 0o600)
        threading.Thread(target=watch_parent, daemon=True).start()
        print(path, flush=True)
        server.serve_forever(poll_interval=0.5)


# --- the client (in the app or command-line process) -----------------------------------

_server: dict = {}
_start_lock = threading.Lock()
_slots = threading.BoundedSemaphore(MAX_CONCURRENT)


def _address() -> str:
    with _start_lock:
        proc = _server.get("proc")
        if proc is not None and proc.poll() is None and os.path.exists(_server["path"]):
            return _server["path"]
        code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
                "from landscapes import worker; worker.serve()")
        try:
            proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    cwd=str(ROOT), close_fds=True)
        except OSError as exc:
            raise WorkerError(f"could not start the formula worker ({exc.strerror or exc})") from None
        ready, _, _ = select.select([proc.stdout], [], [], START_SECONDS)
        path = proc.stdout.readline().decode().strip() if ready else ""
        if not path:
            proc.kill()
            raise WorkerError("the formula worker did not start")
        _server.update(proc=proc, path=path)
        return path


def request(text: str, cpu: float | None = None, wall: float | None = None) -> dict:
    """The worker's answer for ``text``: ``{"ok": spec}`` or ``{"error": problem,
    "column": ..., "end": ...}``. WorkerError if the worker cannot be reached.
    ``cpu``/``wall`` may lower the limits for this request (tests), never raise them."""
    with _slots:
        for attempt in (0, 1):  # a server that died is started again once
            path = _address()
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(WALL_SECONDS + 5)  # the child is killed at WALL_SECONDS
                    s.connect(path)
                    s.sendall(json.dumps({"text": text, "cpu": cpu, "wall": wall}).encode() + b"\n")
                    data = b""
                    while not data.endswith(b"\n"):
                        chunk = s.recv(1 << 16)
                        if not chunk:
                            break
                        data += chunk
            except (ConnectionRefusedError, FileNotFoundError):
                if attempt:
                    raise WorkerError("the formula worker is not answering") from None
                continue
            except OSError:
                data = b""
            if not data:  # the child was killed: wall clock, CPU or memory
                return {"error": "too complex: its symbolic work did not finish within its limits "
                        f"({CPU_SECONDS:g} s of computing, {WALL_SECONDS:g} s in all)"}
            return json.loads(data)
    raise WorkerError("the formula worker is not answering")  # pragma: no cover


def server_pid() -> int | None:
    """The worker server's process id (tests), or None before first use."""
    proc = _server.get("proc")
    return proc.pid if proc is not None else None
