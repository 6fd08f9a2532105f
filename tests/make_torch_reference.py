"""Write tests/data/torch_reference.json: torch.optim trajectories and lr schedules.

torch is not a dependency of the package; this script is run by hand, in an
environment that has it, whenever the reference needs regenerating:

    python -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/python tests/make_torch_reference.py

Every run is float64, one 2-parameter tensor per start point, the single-tensor
code path (``foreach=False``), on Rosenbrock f = (1 − x)² + 100 (y − x²)² with
the gradient evaluated analytically in Python floats (the tests evaluate the
same expression in NumPy, which rounds identically). Hyperparameters are stored
under this project's names (``beta1``/``beta2`` for torch's ``betas``); ``lr``
null means the optimizer's default. The functions are also used by the live
test in tests/test_optimizers.py when torch is importable.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import torch

torch.set_default_dtype(torch.float64)  # so torch's step / mu_product scalars are float64 too

STEPS = 50
SCHEDULE_STEPS = 300
STARTS = [[-1.2, 1.0], [0.5, -0.5], [1.3, 1.9]]
OUT = Path(__file__).resolve().parent / "data" / "torch_reference.json"


def rosenbrock_grad(x, y):
    """∇f for f = (1 − x)² + 100 (y − x²)²; the same expression works on NumPy arrays."""
    return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


# name -> (torch class, fixed torch kwargs that define this project's optimizer)
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

# name -> list of settings {"lr": float | None, "hp": {our name: value}}; the first is
# the defaults (SGD's "momentum"/"nesterov" defaults are this project's: momentum 0.9).
SETTINGS = {
    "gd": [{"lr": None, "hp": {}},
           {"lr": 5e-4, "hp": {"weight_decay": 0.1}}],
    "momentum": [{"lr": None, "hp": {"momentum": 0.9}},
                 {"lr": 5e-4, "hp": {"momentum": 0.5, "dampening": 0.3, "weight_decay": 0.05}}],
    "nesterov": [{"lr": None, "hp": {"momentum": 0.9}},
                 {"lr": 3e-4, "hp": {"momentum": 0.8, "weight_decay": 0.02}}],
    "adagrad": [{"lr": None, "hp": {}},
                {"lr": 0.05, "hp": {"lr_decay": 0.01, "weight_decay": 0.1,
                                    "initial_accumulator_value": 0.5, "eps": 1e-6}}],
    "rmsprop": [{"lr": None, "hp": {}},
                {"lr": 1e-3, "hp": {"alpha": 0.9, "centered": True, "momentum": 0.5,
                                    "weight_decay": 0.01, "eps": 1e-6}},
                {"lr": 2e-3, "hp": {"alpha": 0.3, "momentum": 0.2}}],
    "adadelta": [{"lr": None, "hp": {}},
                 {"lr": 0.5, "hp": {"rho": 0.5, "eps": 1e-4, "weight_decay": 0.01}}],
    "adam": [{"lr": None, "hp": {}},
             {"lr": 0.01, "hp": {"beta1": 0.8, "beta2": 0.99, "amsgrad": True, "weight_decay": 0.05}},
             {"lr": 0.02, "hp": {"beta1": 0.3, "weight_decay": 0.1, "decoupled_weight_decay": True}}],
    "adamw": [{"lr": None, "hp": {}},
              {"lr": 0.01, "hp": {"amsgrad": True, "weight_decay": 0.1, "beta2": 0.9}}],
    "adamax": [{"lr": None, "hp": {}},
               {"lr": 0.01, "hp": {"beta1": 0.3, "beta2": 0.99, "weight_decay": 0.02, "eps": 1e-6}}],
    "nadam": [{"lr": None, "hp": {}},
              {"lr": 0.01, "hp": {"momentum_decay": 0.01, "weight_decay": 0.02,
                                  "decoupled_weight_decay": True, "beta1": 0.8}},
              {"lr": 0.005, "hp": {"weight_decay": 0.05, "beta2": 0.99}}],
    "radam": [{"lr": None, "hp": {}},
              {"lr": 2e-3, "hp": {"beta2": 0.9, "weight_decay": 0.02, "decoupled_weight_decay": True}},
              {"lr": 1e-3, "hp": {"beta1": 0.4, "beta2": 0.99, "weight_decay": 0.05}}],
}


def torch_kwargs(name: str, hp: dict) -> dict:
    cls, fixed = TORCH[name]
    kw = dict(fixed)
    hp = dict(hp)
    if "beta1" in hp or "beta2" in hp:
        d1, d2 = _torch_default(cls, "betas")
        kw["betas"] = (float(hp.pop("beta1", d1)), float(hp.pop("beta2", d2)))
    kw.update(hp)
    return kw


def _torch_default(cls, key):
    import inspect
    return inspect.signature(cls.__init__).parameters[key].default


def run_optimizer(name: str, lr, hp: dict, starts=STARTS, steps: int = STEPS) -> list:
    """Trajectories (len(starts), steps + 1, 2) of torch.optim on Rosenbrock."""
    cls, _ = TORCH[name]
    out = []
    for start in starts:
        p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        kw = torch_kwargs(name, hp)
        if lr is not None:
            kw["lr"] = lr
        opt = cls([p], foreach=False, **kw)
        traj = [p.detach().tolist()]
        for _ in range(steps):
            x, y = traj[-1]
            p.grad = torch.tensor(rosenbrock_grad(x, y), dtype=torch.float64)
            opt.step()
            traj.append(p.detach().tolist())
        out.append(traj)
    return out


def torch_defaults(name: str) -> dict:
    """torch's default lr and hyperparameters, under this project's names."""
    cls, fixed = TORCH[name]
    p = torch.zeros(2, requires_grad=True)
    d = dict(cls([p]).defaults)
    out = {"lr": float(d.pop("lr"))}
    if "betas" in d:
        out["beta1"], out["beta2"] = map(float, d.pop("betas"))
    for k, v in d.items():
        if k in ("maximize", "foreach", "capturable", "differentiable", "fused", "nesterov"):
            continue
        out[k] = v if isinstance(v, bool) else float(v)
    return out


# ---------------------------------------------------------------------------- schedules

BASE_LRS = [0.1, 0.003]


def _warmup_cosine(opt, warmup, T_max, eta_min):
    S = torch.optim.lr_scheduler
    return S.SequentialLR(opt, [S.LinearLR(opt, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1),
                                S.CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min)],
                          milestones=[warmup - 1])


SCHEDULERS = {
    "step": lambda opt, step_size, gamma: torch.optim.lr_scheduler.StepLR(opt, step_size, gamma),
    "exponential": lambda opt, gamma: torch.optim.lr_scheduler.ExponentialLR(opt, gamma),
    "cosine": lambda opt, T_max, eta_min: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max, eta_min),
    "inverse_time": lambda opt, decay: torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 / (1 + decay * k)),
    "warmup_cosine": _warmup_cosine,
}

# name -> list of (params under our names, number of leading steps that should agree)
SCHEDULE_SETTINGS = {
    "step": [({"step_size": 100, "gamma": 0.5}, SCHEDULE_STEPS), ({"step_size": 30, "gamma": 0.8}, SCHEDULE_STEPS)],
    "exponential": [({"gamma": 0.99}, SCHEDULE_STEPS), ({"gamma": 0.95}, SCHEDULE_STEPS)],
    "cosine": [({"T_max": 500, "eta_min": 0.0}, SCHEDULE_STEPS),
               ({"T_max": 100, "eta_min": 1e-3}, SCHEDULE_STEPS)],  # periodic past T_max
    "inverse_time": [({"decay": 0.01}, SCHEDULE_STEPS), ({"decay": 0.5}, SCHEDULE_STEPS)],
    # ours stays at eta_min after warmup + T_max; torch's cosine would rise again
    "warmup_cosine": [({"warmup": 50, "T_max": 200, "eta_min": 1e-4}, 50 + 200),
                      ({"warmup": 10, "T_max": 500, "eta_min": 0.0}, SCHEDULE_STEPS)],
}


def run_schedule(name: str, params: dict, base_lrs=BASE_LRS, steps: int = SCHEDULE_STEPS) -> list:
    """lrs[k][i]: the learning rate of optimizer step k + 1 for param group i."""
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in base_lrs]
    opt = torch.optim.SGD(groups)
    sched = SCHEDULERS[name](opt, **params)
    lrs = []
    for _ in range(steps):
        lrs.append([float(g["lr"]) for g in opt.param_groups])
        opt.step()
        sched.step()
    return lrs


def main() -> None:
    import warnings
    warnings.filterwarnings("ignore")  # SequentialLR's deprecation chatter
    ref = {
        "about": "torch.optim reference trajectories on Rosenbrock and lr schedules; "
                 "generated by tests/make_torch_reference.py",
        "torch_version": torch.__version__,
        "python": sys.version.split()[0],
        "steps": STEPS,
        "starts": STARTS,
        "optimizers": {},
        "defaults": {name: torch_defaults(name) for name in TORCH},
        "schedule_steps": SCHEDULE_STEPS,
        "base_lrs": BASE_LRS,
        "schedules": {},
    }
    for name, settings in SETTINGS.items():
        runs = []
        for s in settings:
            traj = run_optimizer(name, s["lr"], s["hp"])
            if not all(math.isfinite(v) and abs(v) < 10 for t in traj for pt in t for v in pt):
                raise SystemExit(f"{name} {s}: trajectory leaves |θ| < 10; pick a gentler setting")
            runs.append({"lr": s["lr"], "hp": s["hp"], "trajectories": traj})
        ref["optimizers"][name] = runs
    for name, settings in SCHEDULE_SETTINGS.items():
        ref["schedules"][name] = [{"params": p, "compare_steps": n, "lrs": run_schedule(name, p)}
                                  for p, n in settings]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(ref, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
