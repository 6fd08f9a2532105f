"""One place for what a run is: its fields, bounds, defaults and parsing.

The command line, the app's widgets and a share link all go through these
functions, so a bound is written once and holds everywhere. Everything here
raises ``ValueError`` with a message a person can act on.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import landscapes
import optimizers
from optimizers import schedules

DEFAULT_STEPS = 500         # steps of a run when nothing says otherwise
MAX_STEPS = 10_000          # steps of one run (app and CLI)
MIN_RACE_STEPS = 1          # a race takes at least one step (``cli.py run --steps 0`` evaluates a start)
MAX_RACERS = 6              # optimizers racing at once
VIEWS = ("both", "2d", "3d")
SPEED_NAMES = ("slow", "normal", "fast")   # animation speeds (seconds per frame: figures.style)
MAX_SWEEP = 10_000          # learning rates in one sweep
MAX_RESOLUTION = 400        # basin map is at most 400 x 400 start points
MAX_HEATMAP = 400           # heat map is at most 400 x 400 settings
MAX_ABS_COORD = 1e6         # start points beyond this are not a plot of anything
MAX_NOISE = 1e6
MAX_SEED = 2**32 - 1
MAX_LR = 1e6                # learning rates above this are not a run of anything
MEMORY_BUDGET = 2e9         # bytes one computation may hold (trajectory arrays, history, state)
WORK_BUDGET = 2e9           # steps one computation may take, in gd steps on Rosenbrock (step_cost)
MAX_QUOTE = 60              # characters of a bad value quoted back in a message


def quote(text) -> str:
    """``repr(text)``, cut to ``MAX_QUOTE`` characters: a 200,000-character link value
    must not come back as a 200,000-character warning."""
    r = repr(text) if not isinstance(text, str) else repr(text)
    if len(r) <= MAX_QUOTE + 2:
        return r
    return r[:MAX_QUOTE] + f"…' ({len(str(text)):,} characters)"


def parse_float(text, what: str) -> float:
    """A finite float from text or a number; ValueError naming ``what`` otherwise."""
    if isinstance(text, bool):
        raise ValueError(f"{what} must be a number, got {quote(text)}")
    if isinstance(text, str) and len(text) > 400:  # no number is this long; don't parse it
        raise ValueError(f"{what} must be a number, got {quote(text)}")
    try:
        value = float(text)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} must be a number, got {quote(text)}") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {quote(text)}")
    return value


def parse_int(text, what: str, low: int, high: int) -> int:
    """A whole number in [low, high]; accepts "500" and 500.0 but not 2.5."""
    value = parse_float(text, what)
    if value != int(value):
        raise ValueError(f"{what} must be a whole number, got {quote(text)}")
    value = int(value)
    if not low <= value <= high:
        raise ValueError(f"{what} must be between {low} and {high}, got {value}")
    return value


def parse_value(text):
    """A command-line/query value: true/false become bools, the rest floats."""
    if isinstance(text, str) and text.strip().lower() in ("true", "false"):
        return text.strip().lower() == "true"
    return text


def parse_assignments(items, what: str) -> dict:
    """``["momentum=0.5", "nesterov=true"]`` -> ``{"momentum": "0.5", ...}``."""
    out = {}
    for item in items or ():
        if "=" not in item:
            raise ValueError(f"{what} takes NAME=VALUE, got {quote(item)}")
        key, _, value = item.partition("=")
        key = key.strip()
        if not key:
            raise ValueError(f"{what} takes NAME=VALUE, got {quote(item)}")
        out[key] = parse_value(value.strip())
    return out


def check_numeric_hp(opt: optimizers.Optimizer, hp: dict) -> dict:
    """Turn text values into numbers before the optimizer's own validation."""
    out = {}
    for key, value in hp.items():
        h = opt.hyperparameters.get(key)
        if h is not None and h.kind != "bool":  # a bool for a number is rejected, not read as 1
            value = parse_float(value, f"{opt.name}.{key}")
        out[key] = value
    return out


# The measured cost of one optimizer step (gd, 16,384 starts, loss and gradient at each)
# on each surface, in units of a step on Rosenbrock's (~26 ns of CPU here); surfaces not
# listed cost about one (0.75-1.8). Measured 2026-12-07 (bench/bench_formula.py --cost).
STEP_COST = {"beale": 2.8, "rastrigin": 6.0, "ackley": 14.0, "goldstein_price": 9.0, "mccormick": 3.5,
             "booth": 1.6, "six_hump_camel": 1.8}
# Data surfaces: per sample evaluation (every step evaluates the full-batch loss and
# gradient, 2N samples, plus the mini-batch's b), in Rosenbrock steps.
SAMPLE_COST = {"linear_regression": 0.41, "logistic_regression": 1.48, "nn_slice": 40.7}


# The optimizer's own work per step, relative to gd's (Rosenbrock, 16,384 starts, same run).
OPTIMIZER_COST = {"momentum": 1.25, "nesterov": 1.2, "nesterov_textbook": 1.4, "adagrad": 1.3, "rmsprop": 1.75,
                  "adadelta": 2.0, "adam": 1.7, "adamw": 2.1, "adamax": 1.5, "nadam": 1.8, "radam": 2.1,
                  "lion": 2.4, "newton": 8.4}


def step_cost(surface=None, batch_size: int | None = None, optimizer: str | None = None) -> float:
    """One step's measured cost on ``surface`` with ``optimizer``, in units of a gd
    step on Rosenbrock's surface (at least 1)."""
    return _surface_cost(surface, batch_size) * OPTIMIZER_COST.get(optimizer or "gd", 1.0)


def _surface_cost(surface, batch_size: int | None) -> float:
    if surface is None:
        return 1.0
    if isinstance(surface, landscapes.DataSurface):
        per_sample = SAMPLE_COST.get(surface.name, 1.5 * surface.cost)
        return max(1.0, (2 * surface.n_samples + (batch_size or 0)) * per_sample)
    if getattr(surface, "step_cost", 0.0):
        return max(1.0, float(surface.step_cost))
    return max(1.0, STEP_COST.get(surface.name, 1.0))


def check_budget(trajectories: int, steps: int, *, full_history: bool, record_state: bool = False,
                 surface=None, batch_size: int | None = None, optimizer: str | None = None) -> None:
    """Refuse, with a clear message, a computation over the memory or work budget.

    Memory: per trajectory about 40 floats of state and bookkeeping, plus per step and
    trajectory 5 floats of full history (position, loss, gradient norm, learning rate)
    and 12 more with ``record_state`` (gradient, update, optimizer state).
    Work: trajectories x steps x the surface's ``step_cost`` (the whole computation:
    a basin map's every start, not one chunk) within WORK_BUDGET gd steps on Rosenbrock."""
    per_step = (5 + (12 if record_state else 0)) if full_history else 0
    need = 8.0 * trajectories * (40 + per_step * (steps + 1))
    cost = step_cost(surface, batch_size, optimizer)
    work = float(trajectories) * steps * cost
    if need > MEMORY_BUDGET:
        raise ValueError(f"this request needs about {need / 1e9:.3g} GB of memory ({trajectories:,} "
                         f"trajectories x {steps:,} steps); the budget is {MEMORY_BUDGET / 1e9:g} GB: "
                         "ask for fewer trajectories or steps")
    if work > WORK_BUDGET:
        each = "" if cost == 1.0 else f" x {cost:.3g} (a step here costs {cost:.3g} gd steps on Rosenbrock's surface)"
        most = int(WORK_BUDGET / (cost * max(trajectories, 1)))
        hint = (f"at most {most:,} step{'s' if most != 1 else ''} with {trajectories:,} trajectories" if most
                else "fewer trajectories")
        raise ValueError(f"this request is too much work: {trajectories:,} trajectories x {steps:,} steps{each}"
                         f" = {work:.3g}; the budget is {WORK_BUDGET:.3g}: ask for fewer trajectories or steps "
                         f"({hint})")


def parse_lr(text, what: str = "lr") -> float:
    """A learning rate: a finite number in [0, MAX_LR] (the app's widget has the same bound)."""
    value = parse_float(text, what)
    if not 0 <= value <= MAX_LR:
        raise ValueError(f"{what} must be between 0 and {MAX_LR:g}, got {value:g}")
    return value


def parse_start(x, y) -> tuple[float, float]:
    sx, sy = parse_float(x, "start x"), parse_float(y, "start y")
    if abs(sx) > MAX_ABS_COORD or abs(sy) > MAX_ABS_COORD:
        raise ValueError(f"start point must lie within ±{MAX_ABS_COORD:g}, got ({sx:g}, {sy:g})")
    return sx, sy


# --- values a client sends for the app's controls ---------------------------------------

def number_ok(value, low: float, high: float, whole: bool = False) -> bool:
    """A real number (not a bool, text, array or NaN) within [low, high]; whole if asked."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return bool(math.isfinite(value) and low <= value <= high and (not whole or float(value).is_integer()))


class INVALID:
    """A control's value that could not even be read (its conversion raised)."""

    def __repr__(self) -> str:
        return "<unreadable>"


class SentValues:
    """A control state mapping (the app's session state) seen with the values as the
    client sent them: ``sent`` (key -> raw value, e.g. NaN or text for a number
    control) takes precedence over ``state``'s own (converted, possibly clamped or
    raising) value; a value whose reading raises reads as an ``INVALID()``. Writes
    go to ``state`` and replace the sent value."""

    def __init__(self, state, sent=None):
        self.state, self.sent = state, dict(sent or {})

    def __contains__(self, key) -> bool:
        if key in self.sent:
            return True
        try:
            return key in self.state
        except Exception:
            return True

    def __getitem__(self, key):
        if key in self.sent:
            return self.sent[key]
        try:
            return self.state[key]
        except KeyError:
            raise
        except Exception:
            return INVALID()

    def get(self, key, default=None):
        return self[key] if key in self else default

    def __setitem__(self, key, value) -> None:
        self.sent.pop(key, None)
        self.state[key] = value

    def __delitem__(self, key) -> None:
        self.sent.pop(key, None)
        del self.state[key]

    def keys(self):
        return list(dict.fromkeys([*self.state.keys(), *self.sent]))


@dataclass(frozen=True)
class OptimizerChoice:
    """An optimizer with its validated learning rate and hyperparameters.

    The learning rate is kept apart from the hyperparameters (as optax keeps the
    schedule apart from the transform): a schedule scales it step by step, while
    ``hp`` (every factory argument, defaults filled in, sorted as the optimizer
    lists them) is what the factory closes over."""

    name: str
    lr: float
    hp: tuple[tuple[str, float | bool], ...] = ()

    @property
    def optimizer(self) -> optimizers.Optimizer:
        return optimizers.get(self.name)

    def hyperparameters(self) -> dict:
        """The factory's arguments (no learning rate)."""
        return dict(self.hp)

    def engine_hp(self) -> dict:
        """What ``engine.run`` takes: ``optimizer.validate``'s form, the rate and the factory's arguments."""
        return {"lr": self.lr, **dict(self.hp)}

    def with_values(self, lr=None, **hp) -> "OptimizerChoice":
        """The same optimizer with another rate and/or some hyperparameters changed (validated)."""
        return OptimizerChoice.build(self.name, self.lr if lr is None else lr, **{**dict(self.hp), **hp})

    @classmethod
    def build(cls, name: str, lr=None, **hp) -> "OptimizerChoice":
        opt = optimizers.get(name)
        if lr is not None:
            lr = parse_lr(lr, f"{name}.lr")
        values = opt.validate(lr, **check_numeric_hp(opt, hp))
        lr = float(values.pop("lr"))
        return cls(name, lr, tuple(values.items()))


@dataclass(frozen=True)
class ScheduleChoice:
    name: str = "constant"
    params: tuple[tuple[str, float | bool | str | tuple[int, ...]], ...] = ()

    @classmethod
    def build(cls, name: str = "constant", **params) -> "ScheduleChoice":
        sched = schedules.get(name)
        # numbers are parsed here; lists ("10,30"), words and flags by the schedule
        params = {k: (parse_float(v, f"{name}.{k}")
                      if k in sched.params and sched.params[k].kind in ("float", "int") else v)
                  for k, v in params.items()}
        values = sched.validate(**params)
        return cls(name, tuple(values.items()))

    @property
    def schedule(self):
        return schedules.get(self.name)


@dataclass(frozen=True)
class Racer:
    """One optimizer in the race, with its own schedule and gradient noise, or
    (on a data surface) its own mini-batch size: None is the full batch."""

    choice: OptimizerChoice
    schedule: ScheduleChoice = field(default_factory=ScheduleChoice)
    noise: float = 0.0
    start: tuple[float, float] | None = None   # its own start point; None: the race's
    batch_size: int | None = None   # data surfaces: samples per gradient; None: the full batch
    drop_last: bool = False

    def __post_init__(self):
        object.__setattr__(self, "noise", parse_noise(self.noise))
        if self.start is not None:
            object.__setattr__(self, "start", parse_start(*self.start))

    @property
    def name(self) -> str:
        return self.choice.name


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a set of trajectories (hashable: a cache key)."""

    surface: str = "rosenbrock"
    surface_params: tuple[tuple[str, float], ...] = ()
    racers: tuple[Racer, ...] = ()
    steps: int = DEFAULT_STEPS
    start: tuple[float, float] | None = None
    seed: int = 0
    formula: str = ""                       # surface "formula": the typed text ("" = the example)
    domain: tuple[float, float, float, float] | None = None  # surface "formula": xmin, xmax, ymin, ymax

    def __post_init__(self):
        """Validate and normalize: a RunConfig cannot exist invalid. Surface
        parameters are filled in and sorted; a missing start becomes the
        surface's default start (so equal runs compare equal)."""
        sp = landscapes.validate_params(self.surface, dict(self.surface_params))
        object.__setattr__(self, "surface_params", tuple(sorted(sp.items())))
        object.__setattr__(self, "steps", parse_int(self.steps, "steps", MIN_RACE_STEPS, MAX_STEPS))
        object.__setattr__(self, "seed", parse_int(self.seed, "seed", 0, MAX_SEED))
        if len(self.racers) > MAX_RACERS:
            raise ValueError(f"at most {MAX_RACERS} optimizers race at once, got {len(self.racers)}")
        if not all(isinstance(r, Racer) for r in self.racers):
            raise ValueError("racers must be Racer records")
        if self.surface == FORMULA:  # the typed text and domain, validated (built once, cached)
            text, domain = parse_formula(self.formula, self.domain)
            object.__setattr__(self, "formula", text)
            object.__setattr__(self, "domain", domain)
        elif self.formula or self.domain is not None:
            raise ValueError(f"a formula and domain belong to surface {FORMULA!r}, not {self.surface!r}")
        start = self.start if self.start is not None else self.get_surface().default_start
        object.__setattr__(self, "start", parse_start(*start))
        for i, r in enumerate(self.racers):
            if r.batch_size is not None:
                check_batch(self.get_surface(), r, f"optimizer {i + 1}: batch size")

    def get_surface(self) -> landscapes.Surface:
        if self.surface == FORMULA:
            return formula_surface(self.formula, self.domain)
        return landscapes.get(self.surface, **dict(self.surface_params))

    def start_point(self) -> tuple[float, float]:
        return self.start if self.start is not None else self.get_surface().default_start

    def racer_start(self, i: int) -> tuple[float, float]:
        """Where racer ``i`` starts: its own start point, or the race's."""
        own = self.racers[i].start
        return own if own is not None else self.start_point()


def check_lr_range(lo: float, hi: float) -> tuple[float, float]:
    """A learning-rate range for a sweep or heat map: 0 < lo < hi <= MAX_LR."""
    if not (0 < lo < hi <= MAX_LR):
        raise ValueError(f"need 0 < lr min < lr max <= {MAX_LR:g}, got {lo:g} and {hi:g}")
    return lo, hi


# --- your own surface: a typed formula ------------------------------------------

FORMULA = "formula"  # the surface name of a typed formula


def formula_surface(text: str = "", domain=None) -> landscapes.Surface:
    """The surface of a typed formula ("" = the example) over ``domain``
    (xmin, xmax, ymin, ymax; None = the default). Built once per text and
    domain (cached); FormulaError (a ValueError) pointing at the problem."""
    from landscapes import formula

    return formula.build(text or formula.DEFAULT_FORMULA, domain)


def parse_formula(text, domain=None) -> tuple[str, tuple[float, float, float, float] | None]:
    """Validated ``(text, domain)`` for a RunConfig: the formula is built (so
    every error surfaces here) and the domain parsed; ValueError otherwise."""
    from landscapes import formula

    dom = None if domain is None else formula.parse_domain(domain)
    text = "" if text is None else str(text).strip()
    formula_surface(text, dom)
    return text, dom


def parse_noise(text, what: str = "noise") -> float:
    value = parse_float(text, what)
    if not 0 <= value <= MAX_NOISE:
        raise ValueError(f"{what} must be between 0 and {MAX_NOISE:g}, got {value:g}")
    return value


def parse_batch_size(text, n: int, what: str = "batch size") -> int:
    """A mini-batch size: a whole number from 1 (stochastic) to N (full batch)."""
    try:
        value = parse_float(text, what)
    except ValueError:
        raise ValueError(f"{what} must be a whole number from 1 to N = {n}, got {text!r}") from None
    if value != int(value) or not 1 <= value <= n:
        raise ValueError(f"{what} must be a whole number from 1 to N = {n} (the data set's size), "
                         f"got {text!r}")
    return int(value)


def check_batch(surface, racer: Racer, what: str = "batch size") -> None:
    """A racer's batch size fits its surface: a data surface, 1..N, no noise too."""
    if not isinstance(surface, landscapes.DataSurface):
        raise ValueError(f"{what} needs a data surface ({', '.join(landscapes.DATA_SURFACES)}); "
                         f"{surface.name} has no data set")
    parse_batch_size(racer.batch_size, surface.n_samples, what)
    if racer.noise:
        raise ValueError(f"{what}: choose either a batch size (real mini-batches) or gradient noise, not both")
