"""``cli.py train``: a training race from the command line (the flags, the run, its JSON).

    python cli.py train --task moons --optimizer adam momentum --lr 0.01 0.05 \\
        --set 2.momentum=0.9 --batch-size full 16 --steps 300 --seed 0 --json

Per-racer flags take one value for every racer or one per racer (``--lr``,
``--schedule``, ``--batch-size``: a number or ``full``); ``--set NAME=VALUE``
goes to every racer whose optimizer has NAME, ``--set K.NAME=VALUE`` to racer K
(1-based), and ``--schedule-set`` likewise. The JSON carries the data set, the
initial parameters per tensor in the order of torch's ``nn.Sequential(Linear,
Tanh, …).parameters()``, every racer's full-batch loss and learning rate at
every step, its status, final loss and accuracy, the shared plane (explained
variance, each racer's projected path) and the 1-D interpolation θ₀ → θₙ.
"""
from __future__ import annotations

import math

import numpy as np

import optimizers
from optimizers import schedules

from . import network, tasks
from .plane import interpolation, plane_of
from .train import MAX_RACERS, Racer, TrainConfig, train, trainable, validate
from .view import ALPHAS


def add_parser(sub) -> None:
    tp = sub.add_parser("train", help="train a small network with several optimizers from one initialization")
    tp.add_argument("--task", default="moons", help=f"one of {', '.join(tasks.TASKS)}")
    tp.add_argument("--n", default="100", help="data points")
    tp.add_argument("--noise", default=None, help="noise of the data (default: the task's)")
    tp.add_argument("--hidden", nargs="+", default=["16", "16"], metavar="WIDTH", help="hidden layer widths")
    tp.add_argument("--steps", default="300")
    tp.add_argument("--seed", default="0", help="data, initialization and batches (racer k: seed + k - 1)")
    tp.add_argument("--optimizer", nargs="+", default=["adam", "momentum"], metavar="NAME")
    tp.add_argument("--lr", nargs="+", default=None, metavar="LR", help="one, or one per racer")
    tp.add_argument("--set", action="append", default=[], metavar="[K.]NAME=VALUE")
    tp.add_argument("--schedule", nargs="+", default=["constant"], metavar="NAME")
    tp.add_argument("--schedule-set", action="append", default=[], metavar="[K.]NAME=VALUE")
    tp.add_argument("--batch-size", nargs="+", default=["full"], metavar="B", help="a number or full")
    tp.add_argument("--drop-last", action="store_true")
    tp.add_argument("--json", action="store_true")


def _per_racer(values: list, R: int, what: str) -> list:
    if len(values) == 1:
        return values * R
    if len(values) != R:
        raise ValueError(f"{what} takes one value or one per racer ({R}), got {len(values)}")
    return values


def _number(text, what: str) -> float:
    try:
        v = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {str(text)[:60]!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{what} must be a finite number, got {str(text)[:60]!r}")
    return v


def _value(text: str):
    t = text.strip().lower()
    if t in ("true", "false"):
        return t == "true"
    if "," in t:
        return text.strip()   # a list (milestones), checked by the schedule
    try:
        return float(text)
    except ValueError:
        return text.strip()   # a word (mode=max), checked by the schedule


def _assign(items: list[str], R: int, has, what: str) -> list[dict]:
    """``[K.]NAME=VALUE`` items as one dict per racer."""
    out = [dict() for _ in range(R)]
    for item in items:
        if "=" not in item:
            raise ValueError(f"{what} takes NAME=VALUE or K.NAME=VALUE, got {item[:60]!r}")
        key, value = item.split("=", 1)
        head, dot, name = key.partition(".")
        if dot and head.isdigit():
            k = int(head)
            if not 1 <= k <= R:
                raise ValueError(f"{what} {item[:60]!r}: racer {k} does not exist (1 to {R})")
            out[k - 1][name] = _value(value)
            continue
        hit = [r for r in range(R) if has(r, key)]
        if not hit:
            raise ValueError(f"{what} {item[:60]!r}: no racer has a parameter {key[:40]!r}")
        for r in hit:
            out[r][key] = _value(value)
    return out


def config_from_args(args) -> TrainConfig:
    names = list(args.optimizer)
    R = len(names)
    if R > MAX_RACERS:
        raise ValueError(f"at most {MAX_RACERS} racers train at once, got {R}")
    for name in names:
        if name not in trainable():
            raise ValueError(f"unknown or untrainable optimizer {name[:60]!r} (valid: {', '.join(trainable())})"
                             if name != "newton" else f"racer {names.index(name) + 1}: newton needs the Hessian "
                             "in all parameters, which the trainer does not form; choose a first-order optimizer")
    lrs = ([optimizers.get(n).default_lr for n in names] if args.lr is None
           else [_number(v, "--lr") for v in _per_racer(args.lr, R, "--lr")])
    scheds = _per_racer(args.schedule, R, "--schedule")
    for s in scheds:
        schedules.get(s) if s in schedules.names() else (_ for _ in ()).throw(
            ValueError(f"unknown schedule {s[:60]!r} (valid: {', '.join(schedules.names())})"))
    batches = []
    for b in _per_racer(args.batch_size, R, "--batch-size"):
        if str(b).lower() == "full":
            batches.append(None)
        else:
            v = _number(b, "--batch-size")
            if v != int(v):
                raise ValueError(f"--batch-size must be a whole number or full, got {b[:60]!r}")
            batches.append(int(v))
    hps = _assign(args.set, R, lambda r, k: k in optimizers.get(names[r]).hyperparameters, "--set")
    sps = _assign(args.schedule_set, R, lambda r, k: k in schedules.get(scheds[r]).params, "--schedule-set")
    racers = tuple(Racer(names[r], lrs[r], hps[r], scheds[r], sps[r], batches[r], bool(args.drop_last))
                   for r in range(R))
    n = _number(args.n, "--n")
    steps = _number(args.steps, "--steps")
    seed = _number(args.seed, "--seed")
    hidden = tuple(_number(h, "--hidden") for h in args.hidden)
    noise = None if args.noise is None else _number(args.noise, "--noise")
    return validate(TrainConfig(args.task, n, noise, hidden, steps, seed, racers))


def _floats(a) -> list:
    """Finite floats, None for NaN (a stopped racer's steps): JSON without NaN."""
    return [None if not math.isfinite(v) else float(v) for v in np.asarray(a, dtype=float).ravel().tolist()]


def command(args) -> dict:
    out = report(config_from_args(args))
    if not args.json:
        cfg = out["_config"]
        lines = [f"{tasks.get(cfg.task).title}: {out['n_parameters']} parameters, {cfg.steps} steps; "
                 f"plane through racer {out['plane']['reference_racer']}'s end, "
                 f"PC1 {100 * out['plane']['explained_variance'][0]:.1f}%, "
                 f"PC2 {100 * out['plane']['explained_variance'][1]:.1f}% of the variance"]
        for d in out["racers"]:
            lines.append(f"  {d['label']:40s} final loss {d['final_loss']:.4g}  accuracy {d['accuracy']:.3f}  "
                         f"{d['status']}  in plane {100 * d['share_of_path_in_plane']:.1f}%")
        return {"_text": "\n".join(lines)}
    out.pop("_config")
    return out


def report(cfg: TrainConfig, run=None, plane=None) -> dict:
    """The JSON of a training race (what ``cli.py train --json`` prints and the page
    offers as a download), plus ``_config`` (the validated config; not JSON)."""
    cfg = validate(cfg)
    run = train(cfg) if run is None else run
    plane = plane_of(run) if plane is None else plane
    tensors, k = [], 0
    for i, o in zip(cfg.sizes[:-1], cfg.sizes[1:]):
        tensors.append(run.theta0[k:k + o * i].reshape(o, i).tolist())
        k += o * i
        tensors.append(run.theta0[k:k + o].tolist())
        k += o
    racers = []
    for r, rc in enumerate(cfg.racers):
        last = run.last(r)
        racers.append({
            "label": rc.label(), "optimizer": rc.optimizer, "lr": rc.lr,
            "hyperparameters": optimizers.get(rc.optimizer).check_hyperparameters(dict(rc.hp)),
            "schedule": rc.schedule, "schedule_params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in
                                                         schedules.get(rc.schedule).validate(**rc.schedule_params).items()},
            "batch_size": rc.batch_size if rc.batch_size is not None else cfg.n, "drop_last": rc.drop_last,
            "losses": _floats(run.losses[r]), "lrs": _floats(run.lrs[r]),
            "status": run.status[r], "stopped_at": int(run.stopped_at[r]) if run.stopped_at[r] >= 0 else None,
            "final_loss": float(run.losses[r, last]), "accuracy": float(run.accuracy[r]),
            "plane_path": [_floats(p) for p in plane.coords[r]],
            "share_of_path_in_plane": plane.own_share[r], "end_distance_from_plane": plane.end_distance[r],
            "interpolation_losses": _floats(interpolation(run, r, ALPHAS)),
        })
    out = {
        "task": cfg.task, "n": cfg.n, "noise": cfg.data_noise, "hidden": list(cfg.hidden),
        "layers": [f"Linear({i}, {o})" for i, o in zip(cfg.sizes[:-1], cfg.sizes[1:])],
        "n_parameters": network.n_params(cfg.sizes), "steps": cfg.steps, "seed": cfg.seed,
        "data": {"X": run.data.X.tolist(), "y": run.data.y.astype(int).tolist()},
        "initial_parameters": tensors,
        "plane": {"reference_racer": plane.reference + 1, "explained_variance": list(plane.explained)},
        "interpolation_alphas": _floats(ALPHAS),
        "racers": racers,
        "_config": cfg,
    }
    return out


def report_json(view) -> str:
    """The JSON text of a drawn ``training.view.TrainingView`` (the page's download)."""
    import json
    out = report(view.run.config, view.run, view.plane)
    out.pop("_config")
    return json.dumps(out, allow_nan=False)
