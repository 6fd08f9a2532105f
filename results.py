"""What a race computed, as plain values and tables (no files, no figures).

``run_results`` turns a run configuration into one dict per racer; the tables
are built from those dicts. The app, the command line and the file writers in
``exports`` all read these, so a number means the same thing everywhere.
Results are dicts of NumPy arrays: cheap to cache and to pickle.
"""
from __future__ import annotations

import math

import numpy as np

import experiments
import landscapes
from config import Racer, RunConfig

NOT_REACHED = "not reached"


# --- labels: what differs between racers ----------------------------------------

def _hp_text(k: str, v) -> str:
    if isinstance(v, bool):
        return k if v else f"no {k}"
    if isinstance(v, str):  # a schedule's word (mode=max)
        return f"{k}={v}"
    if isinstance(v, tuple):  # a schedule's list (milestones=10,30)
        return f"{k}={','.join(str(int(m)) for m in v)}"
    return f"{k}={float(v):.3g}"


def racer_labels(racers: tuple[Racer, ...] | list[Racer],
                 starts: list[tuple[float, float]] | None = None) -> list[str]:
    """A label per racer naming what differs between the racers: ``gd lr=0.02``,
    ``gd + cosine``, ``gd σ=2``, never ``gd, gd, gd``.

    The optimizer's name always; its learning rate when the racers' rates differ;
    a hyperparameter when racers of the same optimizer differ in it; the schedule
    and the gradient noise when they differ between racers; the start point of a racer
    with its own start (``starts``: its start, or None for the race's start). Identical racers get
    ``#2``, ``#3``… so no two labels are equal.
    """
    racers = list(racers)
    lrs = {r.choice.lr for r in racers}
    scheds = {(r.schedule.name, r.schedule.params) for r in racers}
    noises = {r.noise for r in racers}
    batches = {getattr(r, "batch_size", None) for r in racers}
    labels = []
    for r in racers:
        parts = [r.choice.name]
        if len(lrs) > 1:
            parts.append(f"lr={r.choice.lr:.3g}")
        same = [o for o in racers if o.choice.name == r.choice.name]
        for k, v in r.choice.hp:
            if len({dict(o.choice.hp)[k] for o in same}) > 1:
                parts.append(_hp_text(k, v))
        label = " ".join(parts)
        if len(scheds) > 1 and r.schedule.name != "constant":
            label += f" + {r.schedule.name}"
            sched_same = [o for o in racers if o.schedule.name == r.schedule.name]
            for k, v in r.schedule.params:
                if len({dict(o.schedule.params).get(k) for o in sched_same}) > 1:
                    label += f" {_hp_text(k, v)}"
        if len(noises) > 1 and r.noise:
            label += f" σ={r.noise:.3g}"
        if len(batches) > 1:
            label += " full batch" if r.batch_size is None else f" batch={r.batch_size}"
            label += " drop last" if r.drop_last else ""
        own = starts[len(labels)] if starts is not None else None
        if own is not None and len(set(starts)) > 1:  # only a racer with its own start says where
            label += f" from ({own[0]:.3g}, {own[1]:.3g})"
        labels.append(label)
    seen: dict[str, int] = {}
    original = list(labels)
    for i, label in enumerate(original):
        if original.count(label) > 1:
            seen[label] = seen.get(label, 0) + 1
            labels[i] = f"{label} #{seen[label]}"
    return labels


# --- runs -----------------------------------------------------------------------



def run_results(run: RunConfig) -> list[dict]:
    """One dict per racer: its label, the finite part of its path and how it ended (with,
    for a run that diverged, a reason that fits its optimizer)."""
    surface = run.get_surface()
    labels = racer_labels(run.racers, [r.start for r in run.racers])
    out = []
    for i, (label, racer, tr) in enumerate(zip(labels, run.racers, experiments.run_config(run, record_state=True))):
        r = {"label": label, "index": i, **experiments.summary(tr, surface)}
        if r["status"] == "diverged" and racer.choice.optimizer.blowup_hint:
            r["message"] += f" ({racer.choice.optimizer.blowup_hint})"
        out.append(r)
    return out


def racer_result(run: RunConfig, i: int) -> dict:
    """Racer ``i`` computed alone: ``run_results(run)[i]`` without its label
    (a label depends on every racer; see ``racer_labels``). The app caches
    racers one by one, so changing one racer recomputes only that one."""
    tr = experiments.run_racer(run, i, record_state=True)
    return {"index": i, **experiments.summary(tr, run.get_surface())}


def _formula_dict(run: RunConfig) -> dict:
    """The typed formula and its domain (formula surfaces only)."""
    s = run.get_surface()
    if not s.formula:
        return {}
    (x0, x1), (y0, y1) = s.domain
    return {"formula": s.formula, "domain": [x0, x1, y0, y1]}


def config_dict(run: RunConfig) -> dict:
    return {
        "surface": run.surface, "surface_params": dict(run.surface_params), "steps": run.steps,
        "start": list(run.start_point()), "seed": run.seed,
        **_formula_dict(run),
        "optimizers": [{"optimizer": r.choice.name,
                        "hyperparameters": {k: (v if isinstance(v, bool) else float(v))
                                            for k, v in r.choice.engine_hp().items()},
                        "schedule": r.schedule.name, "schedule_params": dict(r.schedule.params),
                        "noise": r.noise, "start": list(run.racer_start(i)),
                        "batch_size": r.batch_size, "drop_last": r.drop_last}
                       for i, r in enumerate(run.racers)],
    }



# --- tables ---------------------------------------------------------------------

def at_saddle(surface, r: dict) -> bool:
    """A run whose gradient vanished at a saddle point, not a minimum: its final
    point lies within the basin radius of a saddle and nearer to it than to any
    minimum."""
    saddles = getattr(surface, "saddles", ()) if surface is not None else ()
    if r["status"] != "converged" or not saddles:
        return False
    p = np.asarray(r["final_position"], dtype=float)
    near = min(float(np.hypot(*(p - (m.x, m.y)))) for m in saddles)
    minima = [float(np.hypot(*(p - (m.x, m.y)))) for m in surface.minima]
    return near <= experiments.basin_radius(surface) and (not minima or near < min(minima))


def status_text(r: dict, surface=None) -> str:
    """The run's status in words; with ``surface``, a run that stopped at a
    saddle point is named so, never "converged"."""
    status = r["status"]
    if status == "diverged":
        return f"diverged at step {r['stopped_at']}"
    if status == "escaped":
        return f"escaped at step {r['stopped_at']}"
    if status == "converged":
        if at_saddle(surface, r):
            return f"stopped at a saddle point at step {r['converged_at']}"
        return f"converged at step {r['converged_at']}"
    return "ran every step"


def minimum_reached(run: RunConfig, r: dict) -> str:
    """Which minimum a run ended in: within ``experiments.BASIN_RADIUS`` of the
    domain's diagonal of a known minimum, without diverging."""
    surface = run.get_surface()
    if not experiments.reached(surface, r["nearest_minimum"], r["distance"], r["status"]):
        return "no minimum"
    m = surface.minima[r["nearest_minimum"]]
    text = "global minimum" if m.kind == "global" else f"local minimum (f = {m.value:.4g})"
    return text + (", found numerically" if m.found else "")


def results_table(run: RunConfig, results: list[dict]) -> list[dict]:
    """Rows for the results table. No NaN and no None: a value that does not
    exist reads "–" or "not reached"."""
    rows = []
    scheduled = any(r.schedule.name != "constant" for r in run.racers)
    for r, racer in zip(results, run.racers):
        x, y = r["final_position"]
        row = {
            "racer": r["label"],
            "lr": racer.choice.lr,
        }
        if scheduled:
            row["schedule"] = racer.schedule.name
            row["lr at last step"] = _cell(r["lrs"][-1]) if len(r["lrs"]) else "–"
        data = isinstance(run.get_surface(), landscapes.DataSurface)
        row.update({
            **({"batch size": "full" if racer.batch_size is None else str(racer.batch_size)} if data
               else {"noise σ": racer.noise}),
            "final x": _cell(x),
            "final y": _cell(y),
            "final loss": _cell(r["final_loss"]),
            "distance to nearest minimum": _cell(r["distance"]),
            "minimum reached": minimum_reached(run, r),
            "steps to converge": str(r["converged_at"]) if r["converged_at"] >= 0 else NOT_REACHED,
            "status": status_text(r, run.get_surface()),
        })
        rows.append(row)
    return rows


def step_table(r: dict, k: int) -> list[dict]:
    """What happened at step k: position, loss, and (k >= 1) the learning rate of
    that step, the gradient the optimizer saw, the update and the state after it.
    Cells that have no second component read "–"."""
    rows = [{"quantity": "position θ", "x": r["positions"][k, 0], "y": r["positions"][k, 1]},
            {"quantity": "loss f(θ)", "x": r["losses"][k], "y": "–"},
            {"quantity": "‖∇f(θ)‖", "x": r["grad_norms"][k], "y": "–"}]
    if k >= 1 and k - 1 < len(r["grads"]):
        g, u = r["grads"][k - 1], r["updates"][k - 1]
        rows.insert(0, {"quantity": "learning rate of this step", "x": r["lrs"][k - 1], "y": "–"})
        rows.insert(1, {"quantity": "gradient seen g", "x": g[0], "y": g[1]})
        rows.insert(2, {"quantity": "update θₖ − θₖ₋₁", "x": u[0], "y": u[1]})
        for name, v in r["states"].items():
            v = np.asarray(v[k - 1]).reshape(-1)
            rows.append({"quantity": f"state: {name}", "x": v[0], "y": v[1] if v.size > 1 else "–"})
    for row in rows:
        for c in ("x", "y"):
            row[c] = _cell(row[c])
    return rows


def _cell(v) -> str:
    """A table cell as text: a finite number to 6 significant digits, or "–"
    (a column may mix both, so every cell is text: never "None" or "nan")."""
    if isinstance(v, str):
        return v
    v = float(v)
    return f"{v:.6g}" if math.isfinite(v) else "–"


def finite_or_none(v):
    """A JSON value: a finite float, or None (null)."""
    v = float(v)
    return v if math.isfinite(v) else None
