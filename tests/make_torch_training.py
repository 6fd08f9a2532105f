"""Write tests/data/torch_training.json: networks trained by torch.optim, loss at every step.

torch is not a dependency of the package; run this by hand, in a scratch
environment that has it, whenever the reference needs regenerating:

    python -m venv /tmp/tv && /tmp/tv/bin/pip install torch==2.13.0 numpy
    /tmp/tv/bin/python tests/make_torch_training.py

Each case trains ``nn.Sequential(Linear(2, h), Tanh(), …, Linear(h, 2))`` in
float64 with ``nn.CrossEntropyLoss()`` and a ``torch.optim`` optimizer on the
single-tensor path (``foreach=False``), with a ``torch.optim.lr_scheduler``
where the case has a schedule. The loop is the plain one::

    for t in range(steps):
        losses.append(crit(net(X), y))        # full-batch loss at θ_t (no grad)
        opt.zero_grad(); crit(net(X[b_t]), y[b_t]).backward(); opt.step()
        sched.step()  # or sched.step(losses[-1]) for ReduceLROnPlateau

The inputs are this project's: the data set, the shared initialization and the
mini-batch indices (drawn as ``DataLoader(shuffle=True)`` draws them, by
``engine.MiniBatch``) come from ``training``; they are stored in the JSON with
the losses, so the test needs neither torch nor this script. The initial
parameters are stored per tensor, in the order of ``net.parameters()``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training import Racer, TrainConfig, train  # noqa: E402
from training.train import initial_params, make_data  # noqa: E402

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)   # small tensors: threads only contend
OUT = ROOT / "tests" / "data" / "torch_training.json"

TORCH = {
    "gd": (torch.optim.SGD, {}),
    "momentum": (torch.optim.SGD, {}),
    "nesterov": (torch.optim.SGD, {"nesterov": True}),
    "adagrad": (torch.optim.Adagrad, {}),
    "rmsprop": (torch.optim.RMSprop, {}),
    "adadelta": (torch.optim.Adadelta, {}),
    "adam": (torch.optim.Adam, {}),
    "adamw": (torch.optim.AdamW, {}),
    "adamax": (torch.optim.Adamax, {}),
    "nadam": (torch.optim.NAdam, {}),
    "radam": (torch.optim.RAdam, {}),
}

S = torch.optim.lr_scheduler
SCHEDULERS = {
    "step": lambda o, p: S.StepLR(o, p["step_size"], p.get("gamma", 0.1)),
    "cosine": lambda o, p: S.CosineAnnealingLR(o, p["T_max"], p.get("eta_min", 0.0)),
    "exponential": lambda o, p: S.ExponentialLR(o, p["gamma"]),
    "plateau": lambda o, p: S.ReduceLROnPlateau(o, patience=p.get("patience", 10), factor=p.get("factor", 0.1)),
}

# (task, hidden, steps, racer): the default network on both tasks, every torch
# optimizer, schedules, mini-batches with and without drop_last.
CASES = [
    ("moons", (16, 16), 200, Racer("adam", 0.01)),
    ("moons", (16, 16), 200, Racer("momentum", 0.05, {"momentum": 0.9}, batch_size=16)),
    ("moons", (16, 16), 150, Racer("gd", 0.5, {"weight_decay": 1e-3}, "step", {"step_size": 50, "gamma": 0.5})),
    ("moons", (16, 16), 150, Racer("nesterov", 0.05, {"momentum": 0.9}, "cosine", {"T_max": 150},
                                   batch_size=32, drop_last=True)),
    ("spirals", (16, 16), 200, Racer("adam", 0.02, {"amsgrad": True}, batch_size=25)),
    ("spirals", (16, 16), 150, Racer("rmsprop", 0.005, {"momentum": 0.5, "centered": True})),
    ("spirals", (24, 24, 24), 100, Racer("adamw", 0.01, {"weight_decay": 0.05})),
    ("moons", (8,), 150, Racer("adagrad", 0.1, {"lr_decay": 1e-3})),
    # Adadelta at lr 1 agrees to 1e-16 for 110 steps, then rounding grows ~2.5x per step: 100 steps
    ("moons", (16, 16), 100, Racer("adadelta", 1.0, {"rho": 0.9})),
    ("moons", (16, 16), 150, Racer("adamax", 0.02, {}, "exponential", {"gamma": 0.99})),
    ("moons", (16, 16), 150, Racer("nadam", 0.01, {"decoupled_weight_decay": True, "weight_decay": 0.01})),
    ("moons", (16, 16), 150, Racer("radam", 0.01, {}, batch_size=20)),
    ("moons", (16, 16), 150, Racer("gd", 2.0, {}, "plateau", {"patience": 2, "factor": 0.5}, batch_size=10)),
]


def torch_kwargs(name: str, lr: float, hp: dict) -> dict:
    cls, fixed = TORCH[name]
    kw = dict(fixed, lr=lr)
    hp = dict(hp)
    if "beta1" in hp or "beta2" in hp:
        kw["betas"] = (hp.pop("beta1", 0.9), hp.pop("beta2", 0.999))
    kw.update(hp)
    return kw


def net_of(hidden) -> torch.nn.Sequential:
    mods, i = [], 2
    for h in hidden:
        mods += [torch.nn.Linear(i, h), torch.nn.Tanh()]
        i = h
    mods.append(torch.nn.Linear(i, 2))
    return torch.nn.Sequential(*mods)


def run_case(task, hidden, steps, racer, seed=0):
    cfg = TrainConfig(task=task, hidden=hidden, steps=steps, seed=seed, racers=(racer,))
    data = make_data(cfg)
    theta0 = initial_params(cfg)
    ours = train(cfg, record_batches=True)
    batches = [list(map(int, b)) for b in ours.batches[0]]
    net = net_of(hidden)
    tensors, k = [], 0
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.tensor(theta0[k:k + p.numel()]).reshape(p.shape))
            tensors.append(p.detach().tolist())
            k += p.numel()
    assert k == theta0.size
    X = torch.tensor(data.X)
    y = torch.tensor(data.y.astype(np.int64))
    crit = torch.nn.CrossEntropyLoss()
    cls, _ = TORCH[racer.optimizer]
    opt = cls(net.parameters(), foreach=False, **torch_kwargs(racer.optimizer, racer.lr, racer.hp))
    sched = SCHEDULERS[racer.schedule](opt, racer.schedule_params) if racer.schedule != "constant" else None
    losses = []
    for t in range(steps):
        with torch.no_grad():
            losses.append(float(crit(net(X), y)))
        opt.zero_grad()
        b = torch.tensor(batches[t])
        crit(net(X[b]), y[b]).backward()
        opt.step()
        if sched is not None:
            sched.step(losses[-1]) if racer.schedule == "plateau" else sched.step()
    with torch.no_grad():
        losses.append(float(crit(net(X), y)))
    full = all(len(b) == len(data.y) for b in batches)
    return {
        "task": task, "hidden": list(hidden), "n": cfg.n, "noise": cfg.data_noise, "seed": seed, "steps": steps,
        "optimizer": racer.optimizer, "lr": racer.lr, "hp": dict(racer.hp),
        "schedule": racer.schedule, "schedule_params": dict(racer.schedule_params),
        "batch_size": racer.batch_size, "drop_last": racer.drop_last,
        "X": data.X.tolist(), "y": data.y.astype(int).tolist(),
        "initial_parameters": tensors,
        "batches": None if full else batches,
        "losses": losses,
    }


def main() -> None:
    ref = {"about": "torch.optim training runs of small tanh MLPs, float64; generated by "
                    "tests/make_torch_training.py", "torch_version": torch.__version__,
           "python": sys.version.split()[0], "cases": [run_case(*c) for c in CASES]}
    OUT.write_text(json.dumps(ref, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
