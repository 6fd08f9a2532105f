"""The compiled backend: ``engine.run`` with its loop in numba kernels.

Same arguments, same :class:`~engine.core.Trajectory`, the same numbers: the
kernels (``engine/_kernels.py``) repeat the NumPy engine's arithmetic operation
by operation, so the two backends agree to the last bit or within a few units
in the last place (tests/test_compiled.py). The NumPy engine (``engine.core``)
stays the reference and the fallback.

What runs compiled: every optimizer on every built-in analytic surface (any
parameters), with any schedule (the Python stepper still gives each step's
rate; a loss-driven one, ``plateau``, is told each loss between one-step kernel
calls), Gaussian gradient noise (drawn from the run's generator in the NumPy
engine's order), every history mode, ``record_state``, the stop rule and the
convergence test. What stays on NumPy: the data surfaces and the network slice
(mean losses over samples, summed by NumPy's pairwise summation, and real
mini-batches), typed formulas, and any other gradient source. ``supports``
says which, with the reason.

Compilation: the kernels are compiled once per machine and kept on disk
(numba's ``cache=True``, beside the module in ``__pycache__``); ``warm_up``
loads or compiles them. With ``backend="auto"`` a run never waits for a
compilation: until the kernels are loaded it runs on NumPy while a background
thread loads (or compiles) them. ``python -m engine.compiled`` warms up and
prints how long it took (the container image and ``deploy/serve.sh`` run it).
"""
from __future__ import annotations

import glob
import importlib
import importlib.util
import math
import os
import sys
import threading
import time

import numpy as np

import landscapes
from optimizers.schedules import ConstantStepper

from . import core
from .gradients import ExactGradient, GaussianNoise


def _numba_installed() -> bool:
    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):  # a blocked or broken entry in sys.modules
        return False


# numba is a dependency, but everything works without it. It is imported only when a
# run or a warm-up needs the kernels (importing it takes a second or more).
IMPORT_ERROR = "" if _numba_installed() else "numba is not installed (pip install numba): runs use NumPy"
K = None  # engine._kernels, once loaded


def _load():
    """The kernels module (imports numba). Where numba is installed, a kernel that
    fails to import is an error, never a silent fallback."""
    global K
    if K is None:
        if IMPORT_ERROR:
            raise RuntimeError(IMPORT_ERROR)
        K = importlib.import_module("engine._kernels")
    return K

BACKENDS = ("auto", "numpy", "compiled")
BLOCK = 2048          # trajectories per block: a block's work arrays stay in the L2 cache
CHUNK_ELEMENTS = 1 << 20  # per-step tables (rates, noise) are made this many values at a time
CANCEL_WORK = 10_000_000  # trajectory-steps between two looks at should_stop (~0.1 s compiled)


def available() -> bool:
    """True when numba is installed (the compiled backend can run)."""
    return not IMPORT_ERROR


# ----------------------------------------------------------------------------- what is supported

def _quadratic(p):
    """The rotated quadratic's matrix entries, computed as landscapes.classic.quadratic does."""
    th = math.radians(p["angle"])
    c, s = math.cos(th), math.sin(th)
    lam1, lam2 = 2.0 / p["condition"], 2.0
    return (lam1 * c * c + lam2 * s * s, (lam1 - lam2) * c * s, lam1 * s * s + lam2 * c * c)


# name -> (kernel code name, the constants the kernel reads from the surface's parameters)
SURFACES = {
    "bowl": ("BOWL", lambda p: ()),
    "rosenbrock": ("ROSENBROCK", lambda p: (p["a"], p["b"])),
    "saddle": ("SADDLE", lambda p: ()),
    "ravine": ("RAVINE", lambda p: (p["a"], p["b"])),
    "quadratic": ("QUADRATIC", _quadratic),
    "himmelblau": ("HIMMELBLAU", lambda p: ()),
    "beale": ("BEALE", lambda p: ()),
    "booth": ("BOOTH", lambda p: ()),
    "rastrigin": ("RASTRIGIN", lambda p: (p["A"],)),
    "ackley": ("ACKLEY", lambda p: (p["a"], p["b"], p["c"])),
    "goldstein_price": ("GOLDSTEIN_PRICE", lambda p: ()),
    "six_hump_camel": ("SIX_HUMP_CAMEL", lambda p: ()),
    "styblinski_tang": ("STYBLINSKI_TANG", lambda p: ()),
    "mccormick": ("MCCORMICK", lambda p: ()),
    "two_minima": ("TWO_MINIMA", lambda p: ()),
}

OPTIMIZERS = {
    "gd": "GD", "momentum": "MOMENTUM", "nesterov": "NESTEROV", "nesterov_textbook": "NESTEROV_TEXTBOOK",
    "adagrad": "ADAGRAD", "rmsprop": "RMSPROP", "adadelta": "ADADELTA", "adam": "ADAM", "adamw": "ADAM",
    "adamax": "ADAMAX", "nadam": "NADAM", "radam": "RADAM", "lion": "LION", "newton": "NEWTON",
}


def _builtin(surface) -> bool:
    """True for a surface the registry built (not a data set, a formula or a look-alike)."""
    if surface.name not in SURFACES:
        return False
    try:
        return landscapes.get(surface.name, **dict(surface.params)) is surface
    except (ValueError, KeyError):
        return False


def unsupported(optimizer, surface, gradient=None) -> str:
    """Why this run cannot be compiled ("" when it can)."""
    if IMPORT_ERROR:
        return IMPORT_ERROR
    if OPTIMIZERS.get(optimizer.name) is None or optimizer is not _registered(optimizer.name):
        return f"the optimizer {optimizer.name!r} has no compiled kernel"
    if not _builtin(surface):
        if isinstance(surface, landscapes.DataSurface):
            return (f"{surface.name} is a data surface: its losses are means over samples, "
                    "which stay on NumPy")
        return f"the surface {surface.name!r} has no compiled kernel (a typed formula or a data set)"
    if gradient is not None and type(gradient) not in (ExactGradient, GaussianNoise):  # not a subclass
        return "the gradient source is not the exact gradient or Gaussian noise"
    return ""


# Flags for other references' conventions (issue 23): the kernels follow torch's only.
NUMPY_ONLY_FLAGS = ("eps_inside", "signed")


def unsupported_settings(hyperparameters) -> str:
    """Why these hyperparameters cannot be compiled ("" when they can): a flag for another
    reference's convention (``eps_inside``, Newton's ``signed``) runs on NumPy."""
    on = [k for k in NUMPY_ONLY_FLAGS if bool(np.any(hyperparameters.get(k, False)))]
    return f"{', '.join(on)} (another reference's convention) runs on NumPy" if on else ""


def supports(optimizer, surface, gradient=None) -> bool:
    return not unsupported(optimizer, surface, gradient)


def _registered(name):
    import optimizers
    return optimizers.get(name)


# ----------------------------------------------------------------------------- compile once

_lock = threading.Lock()
_ready = threading.Event()
_thread: threading.Thread | None = None
WARM_UP = {}  # what warm_up measured: seconds, and whether the disk cache served it


KERNELS_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_kernels.py")


def _index_name() -> str:
    """The file name numba gives the index of ``advance``'s cache: the module, the
    function, the line of its decorator (numba's disambiguator) and the Python version."""
    with open(KERNELS_SOURCE, encoding="utf-8") as f:
        lines = f.read().splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("def advance("))
    while i > 0 and lines[i - 1].startswith("@"):
        i -= 1
    return f"_kernels.advance-{i + 1}.py{sys.version_info[0]}{sys.version_info[1]}.nbi"


def cached_on_disk() -> bool:
    """True when numba's disk cache holds the current kernels' index (a load, not a
    compilation): the index named for this source and written after the source's last
    change (an index of an earlier version of the kernels, or one older than the file,
    would be a compilation)."""
    if IMPORT_ERROR:
        return False
    name = _index_name()
    if os.environ.get("NUMBA_CACHE_DIR"):  # numba's own choice of folder, mirrored below it
        found = glob.glob(os.path.join(os.environ["NUMBA_CACHE_DIR"], "**", name), recursive=True)
    else:
        found = glob.glob(os.path.join(os.path.dirname(KERNELS_SOURCE), "__pycache__", name))
    source_time = os.path.getmtime(KERNELS_SOURCE)
    return any(os.path.getmtime(f) >= source_time for f in found)


def warm_up() -> float:
    """Load the kernels from the disk cache, or compile them (and write the cache).
    Returns the seconds it took, numba's import included; idempotent (0 once loaded)."""
    with _lock:
        if _ready.is_set():
            return 0.0
        on_disk = cached_on_disk()
        t0 = time.perf_counter()
        _load()
        for name in ("rosenbrock", "ackley"):  # one signature compiles every kernel
            _run(_registered("newton"), landscapes.get(name), np.zeros((2, 2)), {"lr": 1.0, "damping": 0.0,
                 "min_curvature": 1e-4}, 2, None, None, GaussianNoise(0.1), 0, "full", True,
                 core.DEFAULT_TOL, None)
        seconds = time.perf_counter() - t0
        WARM_UP.update(seconds=seconds, from_disk=on_disk)
        _ready.set()
        return seconds


def warm_up_in_background() -> None:
    """Start ``warm_up`` in a daemon thread (once)."""
    global _thread
    if IMPORT_ERROR or _ready.is_set():
        return
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=warm_up, name="engine-compiled-warm-up", daemon=True)
            _thread.start()


LOAD_WORTH = 5e7  # trajectory-steps from which a one-shot process loads the kernels (NumPy: ~2 s)


def load_if_worth(work: float) -> bool:
    """For a one-shot process (the command line): load the kernels from the disk
    cache when a job of ``work`` trajectory-steps takes NumPy longer than loading
    them (numba's import and the cache, ~1-3 s). Never compiles. True if loaded."""
    if not _ready.is_set() and not IMPORT_ERROR and work >= LOAD_WORTH and cached_on_disk():
        warm_up()
    return _ready.is_set()


# ----------------------------------------------------------------------------- the run

def run(optimizer, surface, starts, hyperparameters, steps, *, schedule=None, schedule_params=None,
        gradient=None, seed=0, history="full", record_state=False, tol=core.DEFAULT_TOL, stop=None,
        backend="auto", should_stop=None):
    """``engine.run`` on the compiled backend, or None where ``backend="auto"`` and the
    kernels are not ready or the case is not supported (the caller then runs NumPy).
    ``backend="compiled"`` raises ValueError for a case it cannot compile."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "auto" and not _ready.is_set():
        return None
    why = unsupported(optimizer, surface, gradient) or unsupported_settings(hyperparameters)
    if backend == "compiled":
        if why:
            raise ValueError(f"the compiled backend cannot run this: {why}")
        warm_up()
    elif why:
        return None
    return _run(optimizer, surface, starts, hyperparameters, steps, schedule, schedule_params, gradient,
                seed, history, record_state, tol, stop, should_stop)


def _rows(values: dict, keys, B):
    return np.ascontiguousarray(np.stack([np.broadcast_to(np.asarray(values[k], dtype=np.float64), (B,))
                                          for k in keys]) if keys else np.zeros((0, B)))


def _uniform(v) -> bool:
    """A hyperparameter the NumPy optimizer holds as a Python float (all values equal)."""
    a = np.asarray(v)
    return a.ndim == 0 or bool(np.all(a == a.reshape(-1)[0]))


def _nonzero(v) -> bool:
    return bool(np.any(np.asarray(v) != 0))


def _layout(name: str, v: dict, B: int):
    """The kernel's hyperparameter rows H, flags F and initial state S for ``name``."""
    wd = v.get("weight_decay", 0.0)
    has_wd = _nonzero(wd)
    if name == "gd":
        keys, flags = ["weight_decay"], [has_wd]
    elif name in ("momentum", "nesterov"):
        mu = np.asarray(v["momentum"], dtype=float)
        v = {**v, "keep": 1.0 - np.where(mu != 0, v["dampening"], 0.0)}
        keys, flags = ["momentum", "keep", "weight_decay"], [has_wd, _nonzero(mu)]
    elif name == "nesterov_textbook":
        keys, flags = ["momentum", "weight_decay"], [has_wd]
    elif name == "adagrad":
        keys, flags = ["lr_decay", "weight_decay", "initial_accumulator_value", "eps"], [has_wd]
    elif name == "rmsprop":
        keys = ["alpha", "eps", "weight_decay", "momentum"]
        flags = [has_wd, _nonzero(v["momentum"]), v["centered"]]
    elif name == "adadelta":
        keys, flags = ["rho", "eps", "weight_decay"], [has_wd]
    elif name in ("adam", "adamw"):
        keys = ["beta1", "beta2", "eps", "weight_decay"]
        flags = [has_wd, v.get("decoupled_weight_decay", True), v["amsgrad"],
                 _uniform(v["beta1"]), _uniform(v["beta2"])]
    elif name == "adamax":
        keys, flags = ["beta1", "beta2", "eps", "weight_decay"], [has_wd, _uniform(v["beta1"])]
    elif name == "nadam":
        keys = ["beta1", "beta2", "eps", "weight_decay", "momentum_decay"]
        flags = [has_wd, v["decoupled_weight_decay"], _uniform(v["beta2"]),
                 _uniform(v["beta1"]) and _uniform(v["momentum_decay"])]
    elif name == "radam":
        keys = ["beta1", "beta2", "eps", "weight_decay"]
        flags = [has_wd, v["decoupled_weight_decay"], _uniform(v["beta1"]), _uniform(v["beta2"])]
    elif name == "lion":
        keys, flags = ["beta1", "beta2", "weight_decay"], [has_wd]
    else:  # newton
        keys, flags = ["damping", "min_curvature"], []
    H = np.zeros((5, B))
    H[:len(keys)] = _rows(v, keys, B)
    F = np.zeros(8, dtype=np.int64)
    F[:len(flags)] = [int(bool(f)) for f in flags]
    F[6] = bool(np.all(H == H[:, :1]))  # one value per row: the kernels take them as scalars
    return H, F


def squared_tolerance(tol: float) -> float:
    """The bound T with ``sqrt(s) < tol`` exactly when ``s < T``, for every double s: the
    convergence test asked of a squared gradient norm, so the kernels take no square root
    per step and still decide as the NumPy engine's ``norm < tol`` does. sqrt is correctly
    rounded and monotone, so the doubles s with sqrt(s) < tol are those below the least s
    with sqrt(s) >= tol; tol * tol is within an ulp or two of it."""
    tol = float(tol)
    if math.isnan(tol):
        return math.nan  # never below
    if tol <= 0.0:
        return 0.0  # a squared norm is never below 0
    if math.isinf(tol):
        return math.inf  # every finite norm is below
    s = tol * tol
    while s > 0.0 and math.sqrt(math.nextafter(s, 0.0)) >= tol:
        s = math.nextafter(s, 0.0)
    while math.sqrt(s) < tol:
        s = math.nextafter(s, math.inf)
    return s


def _initial_state(optimizer, v: dict, B: int) -> np.ndarray:
    """S[2 i + coordinate]: state array i (``optimizer.state_names[i]``) as the NumPy init makes it."""
    S = np.zeros((6, B))
    if optimizer.name == "adagrad":
        S[0:2] += np.broadcast_to(np.asarray(v["initial_accumulator_value"], dtype=float), (B,))
    if optimizer.name == "nadam":
        S[4:6] = 1.0
    return S


def _run(optimizer, surface, starts, hyperparameters, steps, schedule, schedule_params, gradient, seed,
         history, record_state, tol, stop, should_stop=None):
    # the NumPy engine's checks, in its order (the same errors)
    setup = core._Setup.of(optimizer, surface, starts, hyperparameters, steps, schedule, schedule_params, stop)
    B, params, lr_source = setup.B, setup.params, setup.lr_source   # the NumPy engine's checks and errors
    hp = {k: v for k, v in hyperparameters.items() if k != "lr"}
    observe = lr_source.observe if lr_source.needs_loss else None
    gradient = gradient or ExactGradient()
    sigma = float(getattr(gradient, "sigma", 0.0))
    rng = np.random.default_rng(seed)
    rec_steps, rec_index = core._recorded_steps(steps, history)
    R = len(rec_steps)
    positions, losses, gnorms = np.empty((R, B, 2)), np.empty((R, B)), np.empty((R, B))
    rec_lrs = np.empty((steps, B)) if history == "full" else None
    (cx, cy), (rx, ry), loss_bound = setup.centre, setup.half_widths, setup.loss_bound

    values = optimizer.check_hyperparameters(hp)
    H, F = _layout(optimizer.name, values, B)
    S = _initial_state(optimizer, values, B)
    code, constants = SURFACES[surface.name]
    c = np.zeros(3)  # the kernels read three constants (unused ones are 0)
    values = np.array(constants(dict(surface.params)), dtype=np.float64).reshape(-1)
    c[:values.size] = values

    with np.errstate(all="ignore"):  # the start, evaluated as the NumPy engine does
        loss = np.asarray(surface.f(params), dtype=np.float64)
        exact = surface.grad(params)
        gn = core._norm(exact)
    X, Y = np.ascontiguousarray(params[:, 0]), np.ascontiguousarray(params[:, 1])
    GX, GY = np.ascontiguousarray(exact[:, 0]), np.ascontiguousarray(exact[:, 1])
    L, GN = loss.copy(), gn.copy()
    start_loss = loss.copy()
    if rec_index[0] >= 0:
        positions[0], losses[0], gnorms[0] = params, loss, gn
    status = np.zeros(B, dtype=np.int8)
    converged_at = np.full(B, -1, dtype=np.int64)
    stopped_at = np.full(B, -1, dtype=np.int64)
    conv = gn < tol
    converged_at[conv] = 0
    status[conv] = core.CONVERGED
    alive = np.ones(B, dtype=np.bool_)
    unconv = converged_at < 0
    stop_info = np.zeros((B, 5))
    ns = len(optimizer.state_names)
    if record_state:
        rec_g, rec_u, rec_s = np.empty((steps, B, 2)), np.empty((steps, B, 2)), np.empty((steps, ns, B, 2))
    else:
        rec_g = rec_u = np.empty((1, 1, 2))
        rec_s = np.empty((1, 0, 1, 2))

    fixed = [float(loss_bound), float(cx), float(cy), float(rx), float(ry), squared_tolerance(tol)]
    kern = _load()
    oid, sid = getattr(kern, OPTIMIZERS[optimizer.name]), getattr(kern, code)
    per_step = B * (2 if sigma else 0) + getattr(lr_source, "width", B)
    chunk = 1 if observe is not None else max(1, min(max(steps, 1), CHUNK_ELEMENTS // per_step))
    if should_stop is not None:   # asked between kernel calls of at most CANCEL_WORK trajectory-steps each
        chunk = max(1, min(chunk, CANCEL_WORK // max(B, 1)))
    constant_rate = isinstance(lr_source, ConstantStepper)
    no_noise = np.empty((1, 1, 2))
    t0 = 0
    while t0 < steps:
        if should_stop is not None and should_stop():
            raise core.Cancelled(f"stopped before step {t0 + 1} of {steps}: nobody waits for it")
        n = min(chunk, steps - t0)
        if constant_rate:
            rate = lr_source.lr(0)
            LR = np.full((1, 1), rate) if isinstance(rate, float) else np.ascontiguousarray(rate)[None, :]
        else:
            rows = [lr_source.lr(t0 + k) for k in range(n)]
            LR = (np.array(rows, dtype=np.float64)[:, None] if isinstance(rows[0], float)
                  else np.ascontiguousarray(np.stack([np.broadcast_to(r, (B,)) for r in rows])))
        if rec_lrs is not None:
            rec_lrs[t0:t0 + n] = LR if LR.shape[0] == n else LR[0]
        # the NumPy engine's draws, one (B, 2) array per step, as rows of x and of y draws
        NZ = np.ascontiguousarray(rng.standard_normal((n, B, 2)).transpose(0, 2, 1)) if sigma else no_noise
        prev = L.copy() if observe is not None else None
        F[5] = LR.shape[1] == 1  # one rate for every trajectory
        kern.advance(oid, sid, c, H, F, t0, n, LR, NZ, sigma, X, Y, L, GX, GY, GN, S, start_loss,
                  alive, unconv, status, converged_at, stopped_at, stop_info, *fixed,
                  rec_index, positions, losses, gnorms, bool(record_state), rec_g, rec_u, rec_s, BLOCK)
        if observe is not None:  # as sched.step(loss) after opt.step()
            observe(prev)
        t0 += n

    reason = np.full(B, "", dtype=object)
    for b in np.flatnonzero(stopped_at >= 0):
        info = stop_info[b]
        reason[b] = core._reason(info[0], info[1], info[2:4], loss_bound, bool(info[4]))
    rec_states = {}
    if record_state:
        for i, k in enumerate(optimizer.state_names):
            rec_states[k] = rec_s[:, i, :, :1].copy() if k == "mu_product" else rec_s[:, i].copy()
    if (stopped_at >= 0).any():
        core._blank_after_stops(stopped_at, steps, rec_steps, (positions, losses, gnorms),
                                [rec_g, rec_u, *rec_states.values()] if record_state else [])
    return core.Trajectory(
        steps=rec_steps, positions=positions, losses=losses, grad_norms=gnorms,
        final_position=np.stack([X, Y], axis=1), final_loss=L,
        status_code=status, converged_at=converged_at, stopped_at=stopped_at,
        n_steps=steps, lrs=rec_lrs, grads=rec_g if record_state else None,
        updates=rec_u if record_state else None, states=rec_states,
        loss_bound=loss_bound, stop_reason=reason,
    )


def main() -> None:  # python -m engine.compiled
    if IMPORT_ERROR:
        print(f"compiled backend unavailable: {IMPORT_ERROR}")
        return
    on_disk = cached_on_disk()
    seconds = warm_up()
    print(f"compiled backend ready in {seconds:.2f} s "
          f"({'loaded from the disk cache' if on_disk else 'compiled and cached on disk'})")


if __name__ == "__main__":
    main()
