"""Train a small MLP in all its parameters with the project's optimizers: a race.

Several racers start from one shared initialization θ₀ and train the same
network on the same data, each with its own optimizer, learning rate, schedule
and batch size. The update rules are the project's own (``optimizers``), applied
to the flat parameter vector viewed as ⌈P/2⌉ coordinate pairs, the (B, 2) shape
every rule is written for (one zero is appended when P is odd; its gradient is
0 and it stays 0). Every rule except Newton's is elementwise in the coordinates
once its hyperparameters are scalars, and what a rule keeps per trajectory
(NAdam's product of momentum coefficients) is then the same in every row, so
the pairs are exactly one P-dimensional run. Newton's method needs the P × P
Hessian and is refused.

What a step is, as the torch loop ``loss = crit(net(X), y)`` on a full batch,
then for each batch ``crit(net(X_b), y_b).backward(); opt.step(); sched.step()``
does (``tests/make_torch_training.py`` runs exactly that loop in torch):

* ``losses[r, t]`` is the full-batch training loss at θ_t (t = 0 … T);
* step t's gradient is the mean over its mini-batch, drawn as
  ``DataLoader(shuffle=True)`` draws it (``engine.MiniBatch``: a fresh shuffle
  per epoch, the last batch smaller unless ``drop_last``), racer r from seed + r
  (``noise_seed`` + r when it is set);
* a schedule gives step t's rate; ``plateau`` is told the full-batch loss at the
  point where the step started, after the step (as the engine does).

A racer whose loss becomes non-finite or exceeds ``LOSS_BOUND_FACTOR`` × (its
start loss + 1) stops there as *diverged*: its parameters from that step on are
NaN and it is drawn up to its last finite point.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Mapping

import numpy as np

import optimizers
from engine.gradients import MiniBatch
from optimizers import schedules

from . import network, tasks

MAX_STEPS = 2000
MAX_RACERS = 6
MIN_N, MAX_N = 16, 1024
MAX_WIDTH, MAX_LAYERS = 64, 3
MAX_PARAMS = 5000
MAX_RECORDED = 12_000_000   # racers x (steps + 1) x parameters kept (96 MB of float64)
MAX_WORK = 4e9              # racers x steps x samples x parameters: about 10-20 s of NumPy here
MAX_LR = 1e6
MAX_SEED = 2**31 - 1
LOSS_BOUND_FACTOR = 1e3
REFUSED = {"newton": "newton needs the Hessian of the loss in all P parameters (a P x P matrix, "
                     "354 x 354 for the default network); the trainer does not form it: "
                     "choose a first-order optimizer"}


def trainable() -> list[str]:
    """The optimizers a network can be trained with: every one but Newton's."""
    return [n for n in optimizers.names() if n not in REFUSED]


@dataclass(frozen=True)
class Racer:
    """One racer: an optimizer with its learning rate and torch-named
    hyperparameters, a schedule and a batch size (None: the full batch)."""

    optimizer: str = "adam"
    lr: float = 0.01
    hp: Mapping = field(default_factory=dict)
    schedule: str = "constant"
    schedule_params: Mapping = field(default_factory=dict)
    batch_size: int | None = None
    drop_last: bool = False

    def label(self) -> str:
        parts = [f"{self.optimizer} lr={self.lr:g}"]
        try:
            defaults = optimizers.get(self.optimizer).defaults()
        except (KeyError, ValueError):
            defaults = {}
        parts += [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(self.hp.items())
                  if k not in defaults or v != defaults[k]]
        if self.schedule != "constant":
            parts.append(f"+ {self.schedule}")
        if self.batch_size is not None:
            parts.append(f"batch {self.batch_size}")
        return " ".join(parts)


@dataclass(frozen=True)
class TrainConfig:
    """A training race: the task and its data, the network, the steps, the racers."""

    task: str = "moons"
    n: int = 100
    noise: float | None = None        # None: the task's default
    hidden: tuple[int, ...] = (16, 16)
    steps: int = 300
    seed: int = 0                      # the data, the initialization and the batches (racer r: seed + r)
    racers: tuple[Racer, ...] = (Racer("adam", 0.01), Racer("momentum", 0.05, {"momentum": 0.9}))
    noise_seed: int | None = None      # the mini-batches' seed instead (racer r: noise_seed + r); None: seed

    @property
    def batch_seed(self) -> int:
        """The seed the mini-batches are drawn from (racer r: batch_seed + r); the data and
        θ₀ always come from ``seed``, so a claim about mini-batches can be measured over
        several noise seeds on one data set and one initialization."""
        return self.seed if self.noise_seed is None else self.noise_seed

    @property
    def sizes(self) -> tuple[int, ...]:
        return network.sizes_of(self.hidden)

    @property
    def data_noise(self) -> float:
        return tasks.get(self.task).noise if self.noise is None else float(self.noise)

    def key(self) -> str:
        """A stable text of the whole configuration (a cache key)."""
        return repr(self)


def _whole(value, what: str, low: int, high: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{what} must be a whole number from {low} to {high}, got {str(value)[:60]!r}")
    if not np.isfinite(value) or int(value) != value or not low <= value <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, got {value!r}")
    return int(value)


def validate(cfg: TrainConfig) -> TrainConfig:
    """Check every field and the budgets; return the config with numbers as ints
    and floats. ValueError names the bad field and its valid range."""
    task = tasks.get(cfg.task)
    n = _whole(cfg.n, "n (data points)", MIN_N, MAX_N)
    noise = task.noise if cfg.noise is None else cfg.noise
    if isinstance(noise, (bool, np.bool_)) or not isinstance(noise, (int, float, np.integer, np.floating)) \
            or not 0 <= noise <= 1:
        raise ValueError(f"noise must be a number from 0 to 1, got {str(noise)[:60]!r}")
    hidden = tuple(cfg.hidden)
    if not 1 <= len(hidden) <= MAX_LAYERS:
        raise ValueError(f"the network has 1 to {MAX_LAYERS} hidden layers, got {len(hidden)}")
    hidden = tuple(_whole(h, "hidden width", 1, MAX_WIDTH) for h in hidden)
    P = network.n_params(network.sizes_of(hidden))
    if P > MAX_PARAMS:
        raise ValueError(f"the network has {P} parameters; at most {MAX_PARAMS} are trained here "
                         f"(use narrower or fewer hidden layers)")
    steps = _whole(cfg.steps, "steps", 1, MAX_STEPS)
    seed = _whole(cfg.seed, "seed", 0, MAX_SEED)
    noise_seed = None if cfg.noise_seed is None else _whole(cfg.noise_seed, "noise seed", 0, MAX_SEED)
    if not 1 <= len(cfg.racers) <= MAX_RACERS:
        raise ValueError(f"1 to {MAX_RACERS} racers train at once, got {len(cfg.racers)}")
    racers = tuple(_check_racer(i, r, n, steps) for i, r in enumerate(cfg.racers))
    R = len(racers)
    if R * (steps + 1) * P > MAX_RECORDED:
        raise ValueError(f"{R} racers x {steps + 1} steps x {P} parameters = {R * (steps + 1) * P:,} "
                         f"recorded values; at most {MAX_RECORDED:,} (fewer steps, racers or parameters)")
    if R * steps * n * P > MAX_WORK:
        raise ValueError(f"{R} racers x {steps} steps x {n} points x {P} parameters is over the "
                         f"time budget ({MAX_WORK:.0e}); use fewer steps, points or parameters")
    return TrainConfig(cfg.task, n, float(noise), hidden, steps, seed, racers, noise_seed)


def _check_racer(i: int, r: Racer, n: int, steps: int) -> Racer:
    who = f"racer {i + 1}"
    if r.optimizer in REFUSED:
        raise ValueError(f"{who}: {REFUSED[r.optimizer]}")
    try:
        opt = optimizers.get(r.optimizer)
    except (KeyError, ValueError):
        raise ValueError(f"{who}: unknown optimizer {str(r.optimizer)[:60]!r} "
                         f"(valid: {', '.join(trainable())})") from None
    if isinstance(r.lr, (bool, np.bool_)) or not isinstance(r.lr, (int, float, np.integer, np.floating)) \
            or not 0 <= r.lr <= MAX_LR:
        raise ValueError(f"{who}: the learning rate must be a number from 0 to {MAX_LR:g}, "
                         f"got {str(r.lr)[:60]!r}")
    try:
        hp = opt.check_hyperparameters(dict(r.hp))
        opt.factory(**hp)
        sched = schedules.get(r.schedule)
        sp = sched.validate(**dict(r.schedule_params))
        sched.stepper(steps, float(r.lr), **sp)
    except (KeyError, ValueError) as e:
        raise ValueError(f"{who}: {str(e).strip(chr(39))}") from None
    batch = r.batch_size
    if batch is not None:
        batch = _whole(batch, f"{who}: batch size", 1, n)
    if not isinstance(r.drop_last, (bool, np.bool_)):
        raise ValueError(f"{who}: drop_last must be true or false, got {str(r.drop_last)[:60]!r}")
    given = {k: v for k, v in dict(r.hp).items()}
    return Racer(r.optimizer, float(r.lr), given, r.schedule, dict(r.schedule_params), batch, bool(r.drop_last))


@dataclass
class Run:
    """A finished race. ``thetas`` (R, T+1, P): every racer's parameters at every
    step (NaN from a stop on); ``losses`` (R, T+1) the full-batch loss there;
    ``lrs`` (R, T) each step's learning rate; ``status`` "diverged" or "ran every
    step"; ``stopped_at`` the step a racer stopped (-1: none)."""

    config: TrainConfig
    data: object            # landscapes.data.Dataset
    theta0: np.ndarray
    thetas: np.ndarray
    losses: np.ndarray
    lrs: np.ndarray
    accuracy: np.ndarray    # (R,) on the training data at each racer's last finite step
    status: list[str]
    stopped_at: np.ndarray
    batches: list | None = None   # per racer, the (T, b_t) index lists when recorded

    @property
    def sizes(self):
        return self.config.sizes

    @property
    def labels(self) -> list[str]:
        return [r.label() for r in self.config.racers]

    def last(self, r: int) -> int:
        """Racer r's last finite step."""
        return int(self.stopped_at[r]) - 1 if self.stopped_at[r] >= 0 else self.config.steps

    def final(self, r: int) -> np.ndarray:
        return self.thetas[r, self.last(r)]

    @property
    def digest(self) -> str:
        h = hashlib.md5(usedforsecurity=False)
        h.update(self.config.key().encode())
        return h.hexdigest()[:16]


def pairs(v: np.ndarray) -> np.ndarray:
    """A flat vector (P,) as (⌈P/2⌉, 2) coordinate pairs (a zero appended if P is odd)."""
    v = np.asarray(v, dtype=float).reshape(-1)
    return (np.append(v, 0.0) if v.size % 2 else v.copy()).reshape(-1, 2)


def flat(p: np.ndarray, P: int) -> np.ndarray:
    """The (1, P) vector of coordinate pairs (the inverse of :func:`pairs`)."""
    return p.reshape(1, -1)[:, :P]


def make_data(cfg: TrainConfig):
    return tasks.get(cfg.task).make(cfg.n, cfg.data_noise, cfg.seed)


def initial_params(cfg: TrainConfig) -> np.ndarray:
    """The shared initialization: torch's default, from the seed's own stream
    (the data set draws from another)."""
    return network.init_params(cfg.sizes, np.random.default_rng([cfg.seed, 1]))


def train(cfg: TrainConfig, *, theta0: np.ndarray | None = None, data=None,
          batch_indices: list | None = None, record_batches: bool = False, racer_run=None) -> Run:
    """Run the race. ``theta0``/``data`` override the initialization and the data
    set (a test gives torch's); ``batch_indices[r]`` a racer's list of per-step
    index arrays (else drawn as ``engine.MiniBatch`` does). Racers are
    independent: ``racer_run(cfg, i)`` (default :func:`train_racer`) trains
    racer i, so a caller may cache each racer's run (a new learning rate for
    one racer retrains only that racer)."""
    cfg = validate(cfg)
    own = theta0 is None and data is None and batch_indices is None and not record_batches
    data = make_data(cfg) if data is None else data
    theta0 = initial_params(cfg) if theta0 is None else np.asarray(theta0, dtype=float)
    parts = []
    for i in range(len(cfg.racers)):
        if racer_run is not None and own:
            parts.append(racer_run(cfg, i))
        else:
            parts.append(train_racer(cfg, i, theta0=theta0, data=data,
                                     batches=None if batch_indices is None else batch_indices[i],
                                     record=record_batches))
    thetas = np.stack([p["thetas"] for p in parts])
    stopped = np.array([p["stopped_at"] for p in parts])
    R, T = len(parts), cfg.steps
    finals = np.stack([thetas[i, (stopped[i] - 1) if stopped[i] >= 0 else T] for i in range(R)])
    acc = network.accuracy(finals, np.asarray(data.X, dtype=float), np.asarray(data.y), cfg.sizes)
    status = ["diverged" if s >= 0 else "ran every step" for s in stopped]
    return Run(cfg, data, theta0, thetas, np.stack([p["losses"] for p in parts]),
               np.stack([p["lrs"] for p in parts]), acc, status, stopped,
               [p["batches"] for p in parts] if record_batches else None)


def train_racer(cfg: TrainConfig, i: int, *, theta0=None, data=None, batches=None, record: bool = False) -> dict:
    """Racer i of a (validated) race alone: ``thetas`` (T+1, P), ``losses`` (T+1,),
    ``lrs`` (T,), ``stopped_at`` and (with ``record``) its ``batches``."""
    data = make_data(cfg) if data is None else data
    X, y = np.asarray(data.X, dtype=float), np.asarray(data.y)
    sizes, T = cfg.sizes, cfg.steps
    theta0 = initial_params(cfg) if theta0 is None else np.asarray(theta0, dtype=float)
    P = theta0.size
    rc = cfg.racers[i]
    thetas = np.full((T + 1, P), np.nan)
    losses = np.full(T + 1, np.nan)
    lrs = np.full(T, np.nan)
    stopped = -1
    recorded = [] if record else None
    opt = optimizers.get(rc.optimizer)
    tf = opt.factory(**opt.check_hyperparameters(dict(rc.hp)))
    sched = schedules.get(rc.schedule)
    stepper = sched.stepper(T, rc.lr, **sched.validate(**dict(rc.schedule_params)))
    sampler = None   # the full batch
    if rc.batch_size is not None and rc.batch_size < len(y):
        sampler = MiniBatch(SimpleNamespace(n_samples=len(y), sample_grad=None), rc.batch_size, rc.drop_last)
    rng = np.random.default_rng(cfg.batch_seed + i)
    params = pairs(theta0)
    state = tf.init(params)
    thetas[0] = theta0
    # full batch, gradient at the parameters: one pass gives a step's loss and the next step's gradient
    fused = batches is None and sampler is None and tf.lookahead is None
    with np.errstate(all="ignore"):
        if fused:
            l0, g_next = network.loss_and_grad(theta0[None], X, y, sizes)
            losses[0] = l0[0]
        else:
            losses[0] = network.losses(theta0[None], X, y, sizes)[0]
        bound = LOSS_BOUND_FACTOR * (abs(losses[0]) + 1.0)
        for t in range(1, T + 1):
            if batches is not None:
                idx = np.asarray(batches[t - 1])
            elif sampler is not None:
                idx = sampler.indices(1, t, rng)[0]
            else:
                idx = None
            if recorded is not None:
                recorded.append(np.arange(len(y)) if idx is None else np.asarray(idx))
            if fused:
                g = g_next
            else:
                point = params if tf.lookahead is None else tf.lookahead(params, state)
                Xb, yb = (X, y) if idx is None else (X[idx], y[idx])
                _, g = network.loss_and_grad(flat(point, P), Xb, yb, sizes)
            lr = stepper.lr(t - 1)
            lrs[t - 1] = lr
            params, state = tf.update(pairs(g[0]), state, params, lr)
            theta = flat(params, P)
            if fused:
                lt, g_next = network.loss_and_grad(theta, X, y, sizes)
                loss = lt[0]
            else:
                loss = network.losses(theta, X, y, sizes)[0]
            if not (np.isfinite(loss) and loss <= bound and np.all(np.isfinite(theta))):
                stopped = t
                break
            thetas[t] = theta[0]
            losses[t] = loss
            if stepper.needs_loss:   # as sched.step(loss) after opt.step()
                stepper.observe(np.array([losses[t - 1]]))
    for a in (thetas, losses, lrs):
        a.flags.writeable = False
    return dict(thetas=thetas, losses=losses, lrs=lrs, stopped_at=stopped, batches=recorded)
