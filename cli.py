"""Command line: a stable interface for scripts.

    python cli.py list --json
    python cli.py run --surface rosenbrock --optimizer adam --lr 0.05 --steps 500 --start -1.2 1 --json
    python cli.py sweep --surface bowl --optimizer gd --lr-min 1e-3 --lr-max 2 --count 1000 --steps 100 \
        --start -1.5 1.5 --json
    python cli.py sweep --surface ravine --optimizer gd momentum adam --lr-min 1e-4 --lr-max 10 --count 200 --json
    python cli.py heatmap --surface ravine --optimizer momentum --lr-min 1e-3 --lr-max 3 --count 60 --json
    python cli.py theory --surface ravine --surface-set a=0.1 --json
    python cli.py basins --surface himmelblau --optimizer gd --lr 0.01 --steps 500 --resolution 50 --json
    python cli.py export --format gif --out race.gif --link "surface=bowl&r1=gd&r1.lr=0.1&steps=60"
    python cli.py train --task spirals --optimizer adam momentum --lr 0.01 0.05 --set 2.momentum=0.9 --json

Bad input exits with status 2 and one line on stderr; never a traceback.
"""
from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

import config
import engine.compiled
import experiments
import landscapes
import lessons
import optimizers
import results as results_mod
import training.cli as training_cli
from optimizers import schedules


class UsageError(Exception):
    """Bad input: printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print usage over several lines
        raise UsageError(message)


def _num(x):
    """JSON-safe number: NaN/inf become null."""
    x = float(x)
    return x if math.isfinite(x) else None


def _points(a) -> list:
    return [[_num(v) for v in row] for row in np.asarray(a).reshape(-1, 2)]


def _hp_json(hp: dict) -> dict:
    return {k: (v if isinstance(v, bool) else float(v)) for k, v in hp.items()}


# --- list -----------------------------------------------------------------

def describe_all() -> dict:
    surfaces = []
    for name in landscapes.names():
        s = landscapes.get(name)
        spec = landscapes.spec_of(name)
        surfaces.append({
            "name": name, "title": s.title, "formula": s.latex,
            "domain": [list(s.domain[0]), list(s.domain[1])],
            "minima": [[m.x, m.y] for m in s.minima],
            "minima_values": [m.value for m in s.minima],
            "minima_kinds": [m.kind for m in s.minima],
            "saddles": [[m.x, m.y] for m in s.saddles],
            "default_start": list(s.default_start),
            "parameters": {k: {"default": p.default, "min": p.low, "max": p.high, "doc": p.doc,
                               "integer": p.integer}
                           for k, p in spec.params.items()},
            "lesson": s.lesson,
            "data_set_size": s.n_samples if isinstance(s, landscapes.DataSurface) else None,
        })
    opts = []
    for name in optimizers.names():
        o = optimizers.get(name)
        opts.append({
            "name": name, "title": o.title,
            "hyperparameters": {"lr": o.default_lr, **o.defaults()},
            "ranges": {k: h.describe_range() for k, h in o.hyperparameters.items()},
            "update_rule": o.latex, "convention": o.convention,
        })
    scheds = [{"name": n, "title": schedules.get(n).title,
               "parameters": {k: h.default for k, h in schedules.get(n).params.items()}}
              for n in schedules.names()]
    return {"surfaces": surfaces, "optimizers": opts, "schedules": scheds,
            "limits": {"max_steps": config.MAX_STEPS, "max_sweep_count": config.MAX_SWEEP,
                       "max_resolution": config.MAX_RESOLUTION}}


def cmd_list(args) -> dict:
    data = describe_all()
    if not args.json:
        lines = ["surfaces:   " + ", ".join(s["name"] for s in data["surfaces"]),
                 "optimizers: " + ", ".join(o["name"] for o in data["optimizers"]),
                 "schedules:  " + ", ".join(s["name"] for s in data["schedules"])]
        return {"_text": "\n".join(lines)}
    return data


# --- shared parsing ---------------------------------------------------------

def _surface(args) -> landscapes.Surface:
    if getattr(args, "formula", None) is not None or getattr(args, "domain", None) is not None \
            or args.surface == config.FORMULA:
        return _formula_surface(args)
    if args.surface is None:
        raise UsageError("give --surface NAME or --formula TEXT")
    params = config.parse_assignments(args.surface_set, "--surface-set")
    return landscapes.get(args.surface, **params)


def _formula_surface(args) -> landscapes.Surface:
    """--formula TEXT [--domain XMIN XMAX YMIN YMAX]: your own surface."""
    if args.surface not in (None, config.FORMULA):
        raise UsageError(f"--formula/--domain make the surface a formula: drop --surface {args.surface}")
    if args.surface_set:
        raise UsageError("a formula surface has no --surface-set parameters")
    text, domain = config.parse_formula(args.formula or "", args.domain)
    return config.formula_surface(text, domain)


def _formula_fields(surface: landscapes.Surface) -> dict:
    """The formula and domain of a formula surface, for JSON output and RunConfig."""
    if not surface.formula:
        return {}
    (x0, x1), (y0, y1) = surface.domain
    return {"formula": surface.formula, "domain": (x0, x1, y0, y1)}


def _choice(args, lr=None) -> config.OptimizerChoice:
    hp = config.parse_assignments(args.set, "--set")
    return config.OptimizerChoice.build(args.optimizer, lr, **hp)


def _schedule(args) -> config.ScheduleChoice:
    params = config.parse_assignments(args.schedule_set, "--schedule-set")
    return config.ScheduleChoice.build(args.schedule, **params)


def _start(args, surface) -> tuple[float, float]:
    if args.start is None:
        return surface.default_start
    return config.parse_start(args.start[0], args.start[1])


def _common_run_kwargs(args, surface, work: float = 0.0) -> dict:
    """The run's schedule, noise, seed, batches and backend; ``work`` (trajectories x
    steps) decides whether ``--backend auto`` loads the compiled kernels."""
    noise = config.parse_noise(args.noise, "--noise")
    seed = config.parse_int(args.seed, "--seed", 0, config.MAX_SEED)
    backend = getattr(args, "backend", "auto")   # `export` has no --backend: its runs are small
    if backend == "auto":
        engine.compiled.load_if_worth(work)
    return {"schedule": _schedule(args), "noise": noise, "seed": seed, "backend": backend,
            **_batch_kwargs(args, surface)}


def _batch_kwargs(args, surface) -> dict:
    """--batch-size / --drop-last: real mini-batches on a data surface."""
    if getattr(args, "batch_size", None) is None:
        if getattr(args, "drop_last", False):
            raise UsageError("--drop-last needs --batch-size")
        return {}
    if not isinstance(surface, landscapes.DataSurface):
        raise UsageError(f"--batch-size needs a data surface ({', '.join(landscapes.DATA_SURFACES)}); "
                         f"{surface.name} has no data set (--noise adds Gaussian gradient noise)")
    b = config.parse_batch_size(args.batch_size, surface.n_samples, "--batch-size")
    return {"batch_size": b, "drop_last": bool(args.drop_last)}


# --- run --------------------------------------------------------------------

def cmd_run(args) -> dict:
    surface = _surface(args)
    choice = _choice(args, args.lr)
    steps = config.parse_int(args.steps, "--steps", 0, config.MAX_STEPS)
    start = _start(args, surface)
    kw = _common_run_kwargs(args, surface)
    if args.record_batches and "batch_size" not in kw:
        raise UsageError("--record-batches needs --batch-size (a full batch is every sample, every step)")
    tr = experiments.run_choice(surface, choice, start, steps, record_batches=args.record_batches, **kw)
    r = experiments.summary(tr, surface)
    status, stop = r["status"], r["stopped_at"]
    extra = {}
    if "batch_size" in kw:
        extra = {"batch_size": kw["batch_size"], "drop_last": kw["drop_last"], "n_samples": surface.n_samples}
    if args.record_batches:
        extra["batches"] = r["batches"]
    return {
        "surface": surface.name, "surface_params": dict(surface.params),
        **{k: list(v) if k == "domain" else v for k, v in _formula_fields(surface).items()},
        "optimizer": choice.name, "lr": choice.lr,
        "hyperparameters": _hp_json(choice.hyperparameters()),
        "schedule": kw["schedule"].name, "schedule_params": dict(kw["schedule"].params),
        "noise": kw["noise"], "seed": kw["seed"], "steps": steps, "start": list(start),
        "points": _points(r["positions"]),
        "losses": [_num(v) for v in r["losses"]],
        "grad_norms": [_num(v) for v in r["grad_norms"]],
        "lrs": [_num(v) for v in r["lrs"]],
        "status": status,
        "message": r["message"],
        "converged_at": r["converged_at"] if r["converged_at"] >= 0 else None,
        "diverged_at": stop if status == "diverged" else None,
        "escaped_at": stop if status == "escaped" else None,
        "final_point": _points(r["final_position"])[0],
        "final_loss": _num(r["final_loss"]),
        "nearest_minimum": r["nearest_minimum"] if r["nearest_minimum"] >= 0 else None,
        "distance_to_minimum": _num(r["distance"]),
        **extra,
    }


def _text_run(d: dict) -> str:
    return (f"{d['optimizer']} on {d['surface']} (lr {d['lr']:g}) from {tuple(d['start'])}: "
            f"{d['message']}")


# --- sweep ------------------------------------------------------------------

def _choices(args) -> list[config.OptimizerChoice]:
    """One choice per ``--optimizer``; ``--set NAME=VALUE`` goes to every listed
    optimizer that has NAME, ``--set OPT.NAME=VALUE`` to OPT only."""
    sets = config.parse_assignments(args.set, "--set")
    names = list(dict.fromkeys(args.optimizer))
    for n in names:
        optimizers.get(n)  # unknown names: the registry's message
    per = {n: {} for n in names}
    for key, value in sets.items():
        opt, _, hp = key.rpartition(".")
        targets = [opt] if opt else [n for n in names if hp in optimizers.get(n).hyperparameters]
        if opt and opt not in names:
            raise ValueError(f"--set {key}: {opt!r} is not one of the --optimizer names ({', '.join(names)})")
        if not targets:
            raise ValueError(f"--set {key}: none of {', '.join(names)} has a hyperparameter {hp!r}")
        for n in targets:
            per[n][hp] = value
    return [config.OptimizerChoice.build(n, **per[n]) for n in names]


def _lr_range(args) -> tuple[float, float]:
    lo = config.parse_lr(args.lr_min, "--lr-min")   # the bounds of every learning rate (run, widgets, links)
    hi = config.parse_lr(args.lr_max, "--lr-max")
    if not 0 < lo <= hi:
        raise ValueError(f"need 0 < --lr-min <= --lr-max, got {lo:g} and {hi:g}")
    return lo, hi


def _sweep_json(choice, sw) -> dict:
    best = sw.best_index
    return {
        "optimizer": choice.name,
        "hyperparameters": _hp_json(choice.hyperparameters()),
        "lrs": [float(v) for v in sw.lrs],
        "final_loss": [_num(v) for v in sw.final_loss],
        "status": [str(s) for s in sw.status],
        "range": [str(c) for c in sw.classes],
        "converged_at": [int(c) if c >= 0 else None for c in sw.converged_at],
        "ranges": [{"range": c, "lr_min": a, "lr_max": b} for c, a, b in sw.ranges()],
        "best_lr": None if best is None else float(sw.lrs[best]),
        "best_final_loss": None if best is None else _num(sw.final_loss[best]),
    }


def cmd_sweep(args) -> dict:
    """Each optimizer's sweep in one vectorized run. The top-level fields are the
    first optimizer's (as before several were allowed); ``sweeps`` has them all."""
    surface = _surface(args)
    choices = _choices(args)
    lo, hi = _lr_range(args)
    count = config.parse_int(args.count, "--count", 1, config.MAX_SWEEP)
    steps = config.parse_int(args.steps, "--steps", 0, config.MAX_STEPS)
    start = _start(args, surface)
    kw = _common_run_kwargs(args, surface, float(count) * steps * len(choices))
    sweeps = [_sweep_json(c, experiments.sweep(surface, c, start, lo, hi, count, steps, **kw)) for c in choices]
    return {"surface": surface.name, "steps": steps, "start": list(start), **sweeps[0], "sweeps": sweeps}


def _text_sweep(d: dict) -> str:
    lines = []
    for sw in d["sweeps"]:
        best = sw["best_lr"]
        head = (f"{sw['optimizer']}: {len(sw['lrs'])} learning rates; best {best:g} "
                f"(final loss {sw['best_final_loss']:.6g})" if best is not None
                else f"{sw['optimizer']}: every learning rate diverged")
        ranges = "; ".join(f"{r['range']} {r['lr_min']:.3g}–{r['lr_max']:.3g}" for r in sw["ranges"])
        lines.append(f"{head}\n  {ranges}")
    return "\n".join(lines)


# --- heatmap ------------------------------------------------------------------

def cmd_heatmap(args) -> dict:
    surface = _surface(args)
    choice = _choice(args)
    lo, hi = _lr_range(args)
    n = config.parse_int(args.count, "--count", 2, config.MAX_HEATMAP)
    steps = config.parse_int(args.steps, "--steps", 0, config.MAX_STEPS)
    start = _start(args, surface)
    hm = experiments.heatmap(surface, choice, start, lo, hi, n, steps,
                             **_common_run_kwargs(args, surface, float(n) * n * steps))
    ok = np.isfinite(hm.final_loss)
    best = np.unravel_index(np.argmin(np.where(ok, hm.final_loss, np.inf)), ok.shape) if ok.any() else None
    return {
        "surface": surface.name, "optimizer": choice.name, "run_as": hm.optimizer, "axis": hm.axis,
        "steps": steps, "start": list(start),
        "hyperparameters": _hp_json({k: v for k, v in choice.hp if k != hm.axis}),
        "lrs": [float(v) for v in hm.lrs], "values": [float(v) for v in hm.values],
        "final_loss": [[_num(v) for v in row] for row in hm.final_loss],
        "status": [[str(s) for s in row] for row in hm.status],
        "diverged": int((~ok).sum()),
        "best": None if best is None else {"lr": float(hm.lrs[best[1]]), hm.axis: float(hm.values[best[0]]),
                                           "final_loss": _num(hm.final_loss[best])},
    }


def _text_heatmap(d: dict) -> str:
    b = d["best"]
    n = len(d["lrs"]) * len(d["values"])
    best = (f"best lr {b['lr']:g}, {d['axis']} {b[d['axis']]:g} (final loss {b['final_loss']:.6g})"
            if b else "every setting diverged")
    return f"{d['run_as']} heat map, lr × {d['axis']}, {n} settings: {d['diverged']} diverged; {best}"


# --- theory -------------------------------------------------------------------

def cmd_theory(args) -> dict:
    import theory

    surface = _surface(args)
    th = theory.quadratic_theory(surface)
    if th is None:
        raise ValueError(f"{surface.name} is not a positive-definite quadratic (its Hessian changes or is "
                         "not positive definite); theory applies to bowl, ravine, quadratic, booth")
    return {**th.as_dict(), "surface_params": dict(surface.params)}


def _text_theory(d: dict) -> str:
    g, m = d["gd"], d["momentum"]
    return (f"{d['surface']}: lambda_min {d['lambda_min']:.6g}, lambda_max {d['lambda_max']:.6g}, "
            f"kappa {d['kappa']:.6g}\n"
            f"gd: stable for lr < {g['stability_bound_lr']:.6g}; best lr {g['best_lr']:.6g}, "
            f"rate {g['predicted_rate']:.6f}\n"
            f"momentum: lr = alpha* {m['alpha']:.6g}, momentum = beta* {m['beta']:.6g}, "
            f"rate {m['predicted_rate']:.6f}\n(rates per step of the distance; f - f* shrinks by their square)")


# --- basins -----------------------------------------------------------------

def cmd_basins(args) -> dict:
    surface = _surface(args)
    choice = _choice(args, args.lr)
    steps = config.parse_int(args.steps, "--steps", 0, config.MAX_STEPS)
    res = config.parse_int(args.resolution, "--resolution", 2, config.MAX_RESOLUTION)
    b = experiments.basins(surface, choice, steps, res, **_common_run_kwargs(args, surface, float(res) * res * steps))
    counts = {str(i): int((b.basin == i).sum()) for i in range(-1, len(surface.minima))}
    return {
        "surface": surface.name, "optimizer": choice.name, "lr": choice.lr, "steps": steps,
        "resolution": res, "minima": [[m.x, m.y] for m in surface.minima],
        "xs": [float(v) for v in b.xs], "ys": [float(v) for v in b.ys],
        "basin": b.basin.tolist(), "counts": counts,
    }


# --- export -----------------------------------------------------------------

EXPORT_FORMATS = ("png", "svg", "html", "gif", "csv", "json")
_RUN_FLAGS = ("surface", "optimizer", "lr", "steps", "start", "schedule", "noise", "seed", "batch_size",
              "formula", "domain")
_RUN_LISTS = ("surface_set", "set", "schedule_set", "drop_last")
_RUN_DEFAULTS = {"steps": str(config.DEFAULT_STEPS), "schedule": "constant", "noise": "0", "seed": "0"}


def _link_query(link: str) -> dict:
    """A share link (full URL, "?a=b&..." or "a=b&...") -> parse_qs dict."""
    from urllib.parse import parse_qs

    text = link.strip()
    if "?" in text:
        text = text.split("?", 1)[1]
    text = text.split("#", 1)[0]
    return parse_qs(text, keep_blank_values=True)


def _export_run(args):
    """(RunConfig, link view options or None) from --link or the run flags."""
    if args.link is not None:
        given = [f"--{k.replace('_', '-')}" for k in _RUN_FLAGS if getattr(args, k) is not None]
        given += [f"--{k.replace('_', '-')}" for k in _RUN_LISTS if getattr(args, k)]
        if given:
            raise UsageError(f"--link already sets the run; drop {', '.join(given)} or drop --link")
        import lessons
        import links

        query = _link_query(args.link)
        state, warnings = links.from_query(query, lessons.LESSONS)
        if not query:
            warnings.insert(0, "the link has no parameters; exporting the default race")
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
        return state.run, state.view, "view" in query
    if (args.surface is None and args.formula is None) or args.optimizer is None:
        raise UsageError("export needs --surface and --optimizer (or --formula for --surface, or --link "
                         "with a share link)")
    for k, v in _RUN_DEFAULTS.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    surface = _surface(args)
    choice = _choice(args, args.lr)
    steps = config.parse_int(args.steps, "--steps", config.MIN_RACE_STEPS, config.MAX_STEPS)
    start = _start(args, surface)
    kw = _common_run_kwargs(args, surface)
    racer = config.Racer(choice, kw["schedule"], kw["noise"], batch_size=kw.get("batch_size"),
                         drop_last=kw.get("drop_last", False))
    run = config.RunConfig(surface.name, tuple(sorted(surface.params.items())), (racer,), steps,
                           start, kw["seed"], **_formula_fields(surface))
    return run, None, False


def _check_out(path: str) -> str:
    """Fail before the (possibly slow) export if the file cannot be written."""
    import os

    if not path:
        raise UsageError("--out needs a file name")
    full = os.path.abspath(path)
    if os.path.isdir(full):
        raise UsageError(f"--out {path!r} is a directory; give a file name")
    parent = os.path.dirname(full)
    if not os.path.isdir(parent):
        why = "is not a directory" if os.path.exists(parent) else "does not exist"
        raise UsageError(f"cannot write --out {path!r}: {parent!r} {why}")
    if not os.access(parent, os.W_OK) or (os.path.exists(full) and not os.access(full, os.W_OK)):
        raise UsageError(f"cannot write --out {path!r}: permission denied")
    return full


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def cmd_export(args) -> dict:
    import exports
    from figures import views

    fmt = args.format
    _check_out(args.out)
    run, link_view, link_has_view = _export_run(args)
    if args.view is not None:
        view = args.view
    elif link_has_view:
        view = link_view.view
    else:
        view = "both" if fmt == "html" else "2d"
    if fmt == "gif" and args.view not in (None, "2d"):
        raise UsageError(f"gif export draws the 2-D view only, got --view {args.view}")
    if fmt in ("png", "svg") and not exports.static_export_available():
        raise UsageError(exports.NO_BROWSER_MESSAGE)

    results = results_mod.run_results(run)
    if fmt in ("png", "svg"):
        try:
            data = exports.figure_image(run, results, fmt, view=view)
        except Exception as exc:  # kaleido/Chromium failures: one line, no traceback
            raise UsageError(f"{fmt.upper()} export failed: {_one_line(exc)}") from None
    elif fmt == "html":
        s = run.get_surface()
        speed = link_view.speed if link_view is not None else "normal"
        present = link_view.present if link_view is not None else False
        fig = views.trajectory_figure_for(
            run, results, view=view, speed=speed, presentation=present, click_grid=False,
            title=f"{s.title}: " + ", ".join(r["label"] for r in results))
        data = exports.figure_html(fig).encode("utf-8")
    elif fmt == "gif":
        data = exports.animation_gif(run, results)
    elif fmt == "csv":
        data = exports.trajectories_csv(run, results).encode("utf-8")
    else:
        data = exports.trajectories_json(run, results).encode("utf-8")
    try:
        with open(args.out, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise UsageError(f"cannot write --out {args.out!r}: {exc.strerror or _one_line(exc)}") from None
    what = f"{view} view, " if fmt in ("png", "svg", "html") else ""
    return {"_text": f"wrote {args.out} ({len(data)} bytes, {fmt}, {what}{len(run.racers)} optimizer"
                     f"{'s' if len(run.racers) != 1 else ''}, {run.steps} steps)"}


# --- lessons ----------------------------------------------------------------

def cmd_lessons(args) -> dict:
    out = [{"key": k, "title": L.title, "text": L.render()} for k, L in lessons.LESSONS.items()]
    if not args.json:
        return {"_text": "\n".join(f"{d['key']:20s} {d['title']}" for d in out)}
    return {"lessons": out}


def cmd_lesson(args) -> dict:
    if args.key not in lessons.LESSONS:
        raise UsageError(f"unknown lesson {args.key!r} (valid: {', '.join(lessons.LESSONS)})")
    lesson = lessons.LESSONS[args.key]
    run, res, verdicts = lessons.check(lesson)
    if isinstance(lesson, lessons.NetworkLesson):
        return _network_lesson(args, lesson, res, verdicts)
    data = {
        "key": lesson.key, "title": lesson.title, "text": lesson.render([r["label"] for r in res]),
        "configuration": results_mod.config_dict(run),
        "racers": [{"label": r["label"], "status": r["status"], "message": r["message"],
                    "converged_at": r["converged_at"] if r["converged_at"] >= 0 else None,
                    "stopped_at": r["stopped_at"] if r["stopped_at"] >= 0 else None,
                    "final_point": _points(r["final_position"])[0], "final_loss": _num(r["final_loss"]),
                    "distance_to_nearest_minimum": _num(r["distance"])} for r in res],
    }
    return _with_claims(args, lesson, data, verdicts)


def _with_claims(args, lesson, data: dict, verdicts) -> dict:
    """A lesson's output with each claim's verdict: JSON, or its title, text and verdicts as text."""
    data["claims"] = [{"claim": v.text, "kind": v.claim.kind, "racer": v.claim.racer,
                       "measured": v.measured, "verdict": v.holds} for v in verdicts]
    if not args.json:
        lines = [f"{lesson.title}", data["text"], ""]
        lines += [f"{'true ' if v.holds else 'FALSE'}  {v.text} (measured: {v.measured})" for v in verdicts]
        return {"_text": "\n".join(lines)}
    return data


def _network_lesson(args, lesson, rows, verdicts) -> dict:
    """A lesson that trains a network: its training race (as ``cli.py train --json`` gives
    its settings), each racer's results and each claim's verdict."""
    from training.cli import report
    from training.view import compute
    run, plane = compute(lesson.config)
    rep = report(lesson.config, run, plane)
    rep.pop("_config")
    data = {
        "key": lesson.key, "title": lesson.title, "text": lesson.render(), "view": lesson.tab,
        "configuration": {k: rep[k] for k in ("task", "n", "noise", "hidden", "layers", "n_parameters", "steps",
                                              "seed")}
        | {"racers": [{k: d[k] for k in ("label", "optimizer", "lr", "hyperparameters", "schedule",
                                         "schedule_params", "batch_size", "drop_last")} for d in rep["racers"]],
           "plane": rep["plane"]},
        "racers": [{"label": d["label"], "status": d["status"], "stopped_at": d["stopped_at"],
                    "final_loss": d["final_loss"], "accuracy": d["accuracy"],
                    "share_of_path_in_plane": d["share_of_path_in_plane"],
                    "end_distance_from_plane": d["end_distance_from_plane"]} for d in rep["racers"]],
    }
    return _with_claims(args, lesson, data, verdicts)


# --- parser -----------------------------------------------------------------

def build_parser() -> Parser:
    p = Parser(prog="cli.py", description="Loss-landscape optimizer runs from the command line.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    lp = sub.add_parser("list", help="surfaces, optimizers and schedules")
    lp.add_argument("--json", action="store_true")
    lsp = sub.add_parser("lessons", help="the classroom lessons")
    lsp.add_argument("--json", action="store_true")
    lep = sub.add_parser("lesson", help="run one lesson and check its claims")
    lep.add_argument("key")
    lep.add_argument("--json", action="store_true")

    def formula_flags(sp):
        sp.add_argument("--formula", default=None, metavar="TEXT",
                        help="your own surface: a function of x and y, e.g. \"sin(x)*cos(y)\"")
        sp.add_argument("--domain", nargs=4, default=None, metavar=("XMIN", "XMAX", "YMIN", "YMAX"),
                        help="the formula's plotting domain (default -3 3 -3 3)")

    def common(sp, lr: bool = True, start: bool = True, several: bool = False):
        sp.add_argument("--surface", default=None, help="a surface name (or give --formula)")
        formula_flags(sp)
        sp.add_argument("--surface-set", action="append", metavar="NAME=VALUE", default=[])
        if several:
            sp.add_argument("--optimizer", required=True, nargs="+", metavar="NAME",
                            help="one or several optimizers")
        else:
            sp.add_argument("--optimizer", required=True)
        if lr:
            sp.add_argument("--lr", default=None, help="learning rate (default: the optimizer's)")
        sp.add_argument("--set", action="append", metavar="NAME=VALUE", default=[],
                        help="a hyperparameter; booleans as true/false")
        sp.add_argument("--steps", default=str(config.DEFAULT_STEPS))
        if start:
            sp.add_argument("--start", nargs=2, metavar=("X", "Y"), default=None)
        sp.add_argument("--schedule", default="constant")
        sp.add_argument("--schedule-set", action="append", metavar="NAME=VALUE", default=[])
        sp.add_argument("--noise", default="0", help="std of Gaussian gradient noise")
        sp.add_argument("--seed", default="0")
        sp.add_argument("--backend", choices=engine.compiled.BACKENDS, default="auto",
                        help="numpy (the reference), compiled (numba kernels: the same numbers, faster) "
                        "or auto (compiled for jobs of 5e7 trajectory-steps and more when numba is "
                        "installed and the kernels are on disk, else numpy)")
        _batch_flags(sp)
        sp.add_argument("--json", action="store_true")

    rp = sub.add_parser("run", help="one trajectory")
    common(rp)
    rp.add_argument("--record-batches", action="store_true",
                    help="add the sample indices of every step's mini-batch to the JSON")
    sp = sub.add_parser("sweep", help="many log-spaced learning rates at once, per optimizer")
    common(sp, lr=False, several=True)
    sp.add_argument("--lr-min", required=True)
    sp.add_argument("--lr-max", required=True)
    sp.add_argument("--count", default="100")
    hp_ = sub.add_parser("heatmap", help="learning rate x momentum (or beta1) at once")
    common(hp_, lr=False)
    hp_.add_argument("--lr-min", required=True)
    hp_.add_argument("--lr-max", required=True)
    hp_.add_argument("--count", default="60", help="settings per axis (count x count runs)")
    tp = sub.add_parser("theory", help="eigenvalues, bounds and optimal settings of a quadratic surface")
    tp.add_argument("--surface", default=None, help="a surface name (or give --formula)")
    formula_flags(tp)
    tp.add_argument("--surface-set", action="append", metavar="NAME=VALUE", default=[])
    tp.add_argument("--json", action="store_true")
    bp = sub.add_parser("basins", help="which minimum each start point reaches")
    common(bp, start=False)
    bp.add_argument("--resolution", default="50")
    ep = sub.add_parser("export", help="a figure, animation or table of a run, written to a file")
    ep.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    ep.add_argument("--out", required=True, metavar="FILE")
    ep.add_argument("--view", choices=("2d", "3d", "both"), default=None,
                    help="figure view (default: the link's, else 2d; html: both)")
    ep.add_argument("--link", default=None, metavar="QUERY",
                    help="a share link or its query string, instead of the run flags")
    ep.add_argument("--surface", default=None)
    formula_flags(ep)
    ep.add_argument("--surface-set", action="append", metavar="NAME=VALUE", default=[])
    ep.add_argument("--optimizer", default=None)
    ep.add_argument("--lr", default=None, help="learning rate (default: the optimizer's)")
    ep.add_argument("--set", action="append", metavar="NAME=VALUE", default=[])
    ep.add_argument("--steps", default=None, help=f"default {config.DEFAULT_STEPS}")
    ep.add_argument("--start", nargs=2, metavar=("X", "Y"), default=None)
    ep.add_argument("--schedule", default=None, help="default constant")
    ep.add_argument("--schedule-set", action="append", metavar="NAME=VALUE", default=[])
    ep.add_argument("--noise", default=None, help="std of Gaussian gradient noise (default 0)")
    ep.add_argument("--seed", default=None, help="default 0")
    _batch_flags(ep)
    training_cli.add_parser(sub)
    return p


def _batch_flags(sp) -> None:
    sp.add_argument("--batch-size", default=None, metavar="B",
                    help="data surfaces: samples per gradient (1 = stochastic, N = full batch); "
                    "default: full batch")
    sp.add_argument("--drop-last", action="store_true",
                    help="with --batch-size: skip each epoch's last, smaller batch")


COMMANDS = {"list": cmd_list, "lessons": cmd_lessons, "lesson": cmd_lesson, "run": cmd_run,
            "sweep": cmd_sweep, "heatmap": cmd_heatmap, "theory": cmd_theory, "basins": cmd_basins,
            "export": cmd_export, "train": training_cli.command}


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
        result = COMMANDS[args.command](args)
    except (UsageError, ValueError, OverflowError) as exc:
        print(f"cli.py: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except (MemoryError, RecursionError):
        print("cli.py: error: the request is too large for this machine's memory", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: still one line, never a traceback
        print(f"cli.py: internal error: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return 1
    try:
        _print(args, result)
    except BrokenPipeError:  # `cli.py ... | head`: the reader left; nothing more to say
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _print(args, result: dict) -> None:
    if "_text" in result:
        print(result["_text"])
    elif getattr(args, "json", False):
        json.dump(result, sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
    elif args.command == "run":
        print(_text_run(result))
    elif args.command == "sweep":
        print(_text_sweep(result))
    elif args.command == "heatmap":
        print(_text_heatmap(result))
    elif args.command == "theory":
        print(_text_theory(result))
    else:
        print(f"basins on a {result['resolution']}x{result['resolution']} grid: " +
              ", ".join(f"minimum {k}: {v}" for k, v in result["counts"].items()))


if __name__ == "__main__":
    sys.exit(main())
