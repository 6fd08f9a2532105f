"""Write tests/data/torch_schedules.json: torch's MultiStepLR, OneCycleLR and
ReduceLROnPlateau learning rates, and gradient-descent runs driven by
ReduceLROnPlateau.

torch is not a dependency of the package; this script is run by hand, in an
environment that has it, whenever the reference needs regenerating:

    python -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/python tests/make_torch_schedules.py

Parameters are stored under this project's names. ``lrs[k][i]`` is the learning
rate of optimizer step k + 1 for param group i (one group per base rate), read
before ``opt.step()`` in the loop ``opt.step(); sched.step()`` (for plateau:
``sched.step(losses[k])``). OneCycleLR runs with ``cycle_momentum=False`` (the
project does not cycle momentum); ``max_lr`` 0 stands for the base rates
(passed to torch as the per-group list). The runs are float64 SGD on the bowl
and on Rosenbrock with ``loss = f(θ); loss.backward(); opt.step();
sched.step(loss)``.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

STEPS = 300
BASE_LRS = [0.1, 0.003]
OUT = Path(__file__).resolve().parent / "data" / "torch_schedules.json"
S = torch.optim.lr_scheduler


def _one_cycle(opt, base_lrs, max_lr=0.0, total_steps=0, **kw):
    return S.OneCycleLR(opt, max_lr=list(base_lrs) if max_lr == 0 else max_lr,
                        total_steps=total_steps or STEPS, cycle_momentum=False, **kw)


SCHEDULERS = {
    "multistep": lambda opt, base_lrs, milestones, **kw: S.MultiStepLR(opt, milestones, **kw),
    "one_cycle": _one_cycle,
    "plateau": lambda opt, base_lrs, **kw: S.ReduceLROnPlateau(opt, **kw),
}


def noisy_losses(seed: int, n: int = STEPS) -> list[float]:
    """A non-monotone loss: a slow decay with plateaus, bumps and noise."""
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    base = 2.0 * np.exp(-k / 60) + 0.3 * (k // 50 % 2) + 0.1 * np.sin(k / 5)
    return [float(v) for v in base + 0.05 * rng.standard_normal(n)]


# name -> settings; plateau settings carry the seed of their loss sequence
SETTINGS = {
    "multistep": [
        {"milestones": [100, 200]},
        {"milestones": [30, 80], "gamma": 0.5},
        {"milestones": [1, 2, 150, 299], "gamma": 0.9},
    ],
    "one_cycle": [
        {"max_lr": 0.5, "total_steps": 300},
        {"max_lr": 0.0, "total_steps": 0},  # the base rates, the run's length
        {"max_lr": 0.2, "total_steps": 400, "pct_start": 0.25, "anneal_strategy": "linear",
         "div_factor": 10.0, "final_div_factor": 100.0},
        {"max_lr": 1.0, "total_steps": 300, "three_phase": True},
        {"max_lr": 0.3, "total_steps": 320, "three_phase": True, "anneal_strategy": "linear",
         "pct_start": 0.4},
        {"max_lr": 0.05, "total_steps": 300, "pct_start": 0.0},
    ],
    "plateau": [
        {"params": {}, "seed": 1},
        {"params": {"patience": 3, "factor": 0.5, "cooldown": 2}, "seed": 2},
        {"params": {"threshold_mode": "abs", "threshold": 0.01, "patience": 5, "min_lr": 0.001},
         "seed": 3},
        {"params": {"mode": "max", "patience": 2, "factor": 0.3}, "seed": 4},
        {"params": {"patience": 0, "factor": 0.5, "eps": 0.01, "min_lr": 1e-4}, "seed": 5},
        {"params": {"patience": 1, "threshold": 0.2, "cooldown": 4, "factor": 0.7}, "seed": 6},
    ],
}


def run_schedule(name: str, params: dict, losses=None, base_lrs=BASE_LRS, steps: int = STEPS) -> list:
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in base_lrs]
    opt = torch.optim.SGD(groups)
    sched = SCHEDULERS[name](opt, base_lrs, **params)
    lrs = []
    for k in range(steps):
        lrs.append([float(g["lr"]) for g in opt.param_groups])
        opt.step()
        sched.step(losses[k]) if losses is not None else sched.step()
    return lrs


def bowl(x, y):
    return x * x + y * y, (2 * x, 2 * y)


def rosenbrock(x, y):
    r = y - x * x
    return (1 - x) ** 2 + 100 * r ** 2, (-2 * (1 - x) - 400 * x * r, 200 * r)


SURFACES = {"bowl": bowl, "rosenbrock": rosenbrock}

# GD runs driven by ReduceLROnPlateau: the loss where each step starts
RUNS = [
    {"surface": "bowl", "start": [-1.5, 1.5], "lr": 1.2, "steps": 60,
     "params": {"patience": 1, "factor": 0.5}},
    {"surface": "bowl", "start": [-1.5, 1.5], "lr": 1.2, "steps": 60,
     "params": {"patience": 2, "factor": 0.1}},
    {"surface": "rosenbrock", "start": [-1.2, 1.0], "lr": 4e-3, "steps": 300,
     "params": {"patience": 2, "factor": 0.5}},
    {"surface": "rosenbrock", "start": [1.3, 1.9], "lr": 3e-3, "steps": 200,
     "params": {"patience": 1, "factor": 0.3, "threshold_mode": "abs", "threshold": 1e-3, "cooldown": 3}},
]


def run_gd_plateau(surface, start, lr, steps, params):
    fg = SURFACES[surface]
    p = torch.tensor(start, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, foreach=False)
    sched = S.ReduceLROnPlateau(opt, **params)
    traj, lrs = [p.detach().tolist()], []
    for _ in range(steps):
        x, y = traj[-1]
        loss, g = fg(x, y)
        p.grad = torch.tensor(g)
        lrs.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        sched.step(loss)
        traj.append(p.detach().tolist())
    return traj, lrs


def main() -> None:
    ref = {
        "about": "torch.optim.lr_scheduler MultiStepLR / OneCycleLR / ReduceLROnPlateau "
                 "learning rates and GD runs; generated by tests/make_torch_schedules.py",
        "torch_version": torch.__version__,
        "python": sys.version.split()[0],
        "steps": STEPS,
        "base_lrs": BASE_LRS,
        "schedules": {},
        "runs": [],
    }
    for name, settings in SETTINGS.items():
        out = []
        for s in settings:
            if name == "plateau":
                losses = noisy_losses(s["seed"])
                out.append({"params": s["params"], "losses": losses,
                            "lrs": run_schedule(name, s["params"], losses)})
            else:
                out.append({"params": s, "lrs": run_schedule(name, s)})
        ref["schedules"][name] = out
    for r in RUNS:
        traj, lrs = run_gd_plateau(r["surface"], r["start"], r["lr"], r["steps"], r["params"])
        if not all(math.isfinite(v) for pt in traj for v in pt):
            raise SystemExit(f"{r}: the run diverged; pick a gentler setting")
        ref["runs"].append({**r, "positions": traj, "lrs": lrs})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(ref, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
