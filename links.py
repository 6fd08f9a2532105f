"""The share link: the app's state as query parameters, and back.

A share link is the state in query parameters, readable by a person::

    ?surface=rosenbrock&steps=500&x=-1.2&y=1&r1=gd&r1.lr=0.001&r2=adam&r2.lr=0.05

``from_query`` never raises: each bad or unknown part falls back to its default
and adds a warning the app shows. The codec knows no lesson content: a link's
``lesson=KEY`` is looked up in the lessons the caller passes (the app and the
command line pass ``lessons.LESSONS``). No Streamlit here.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Mapping, Protocol

import config
import landscapes
import optimizers
import presets
from config import MAX_RACERS, SPEED_NAMES, VIEWS, OptimizerChoice, Racer, RunConfig, ScheduleChoice
from optimizers import schedules
from state import (BASIN_RESOLUTIONS, DEFAULT, DEFAULT_RACERS, TABS, TRAINING_TASKS, AppState, HyperView,
                   TrainingOptions, ViewOptions)

# The words a link's flags (present, logloss, fullpaths, rN.droplast) accept, any case,
# spaces around ignored; anything else is refused with a warning.
FLAG_WORDS = {"1": True, "true": True, "yes": True, "on": True,
              "0": False, "false": False, "no": False, "off": False}


class Lesson(Protocol):
    """What the codec needs of a lesson a link names: its run and its views (the link's
    defaults). A lesson that opens the training view also has ``tab`` ("training") and
    ``training`` (its ``TrainingOptions``)."""

    view: str

    def run_config(self) -> RunConfig: ...


def lesson_view(lesson) -> tuple[str, TrainingOptions]:
    """The view a lesson opens and its training settings (the defaults for a race lesson)."""
    if lesson is None or getattr(lesson, "tab", DEFAULT.hyper.tab) == DEFAULT.hyper.tab:
        return DEFAULT.hyper.tab, DEFAULT.training
    return lesson.tab, lesson.training


# --- to query ---------------------------------------------------------------

def _fmt(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    text = repr(float(v))  # the shortest text that reads back as exactly this float
    return text[:-2] if text.endswith(".0") else text


_FLAGS = {"present": "present", "logloss": "log_loss", "fullpaths": "full_paths",
          "vectors": "vectors"}  # link key: view field


def _flags_query(view: ViewOptions, keys) -> dict[str, str]:
    """The view's flags among ``keys`` that differ from their defaults, as 1 or 0."""
    return {k: "1" if getattr(view, _FLAGS[k]) else "0" for k in keys
            if getattr(view, _FLAGS[k]) != getattr(DEFAULT.view, _FLAGS[k])}


def to_query(state: AppState, lessons: Mapping[str, Lesson] | None = None) -> dict[str, str]:
    """The state as query parameters; hyperparameters only where not default. ``lessons``:
    the lessons a link may name (a lesson that opens another view than the race gets its
    view written out even when it is the race)."""
    run, view = state.run, state.view
    lesson_tab, _ = lesson_view((lessons or {}).get(state.lesson))
    q: dict[str, str] = {}
    if state.lesson:
        q["lesson"] = state.lesson
    q["surface"] = run.surface
    defaults = landscapes.validate_params(run.surface, {})
    for k, v in run.surface_params:
        if v != defaults.get(k):
            q[f"s.{k}"] = _fmt(v)
    q.update(formula_query(run))
    q["steps"] = str(run.steps)
    x, y = run.start_point()
    q["x"], q["y"] = _fmt(x), _fmt(y)
    if run.seed:
        q["seed"] = str(run.seed)
    for i, r in enumerate(run.racers, start=1):
        opt = r.choice.optimizer
        q[f"r{i}"] = r.choice.name
        q[f"r{i}.lr"] = _fmt(r.choice.lr)
        for k, v in r.choice.hp:
            if v != opt.hyperparameters[k].default:
                q[f"r{i}.{k}"] = _fmt(v)
        if r.schedule.name != "constant":
            q[f"r{i}.sched"] = r.schedule.name
            sdef = r.schedule.schedule.validate()
            for k, v in r.schedule.params:
                if v != sdef.get(k):
                    q[f"r{i}.sched.{k}"] = schedules.format_value(v)
        if r.noise:
            q[f"r{i}.noise"] = _fmt(r.noise)
        if r.start is not None:
            q[f"r{i}.x"], q[f"r{i}.y"] = _fmt(r.start[0]), _fmt(r.start[1])
        if r.batch_size is not None:
            q[f"r{i}.batch"] = str(int(r.batch_size))
        if r.drop_last:
            q[f"r{i}.droplast"] = "1"
    default = DEFAULT.view
    if view.view != default.view or state.lesson:   # a lesson has its own default views
        q["view"] = view.view
    if view.speed != default.speed:
        q["speed"] = view.speed
    q.update(_flags_query(view, ("present", "logloss")))
    h = state.hyper
    if h.tab != DEFAULT.hyper.tab or lesson_tab != DEFAULT.hyper.tab:
        q["tab"] = h.tab
    if h.tab == "training" or lesson_tab == "training":
        q.update(training_query(state.training, len(run.racers)))
    if h.tab != DEFAULT.hyper.tab:
        if h.racer != DEFAULT.hyper.racer:
            q["hr"] = str(h.racer + 1)
        if h.lr_min is not None and h.lr_max is not None and h.tab != "basins":
            q["lrmin"], q["lrmax"] = _fmt(h.lr_min), _fmt(h.lr_max)
        if h.resolution != DEFAULT.hyper.resolution and h.tab == "basins":
            q["res"] = str(h.resolution)
    q.update(_flags_query(view, ("fullpaths", "vectors")))
    if view.scrub != DEFAULT.view.scrub:
        q["scrub"] = str(view.scrub)
    return q


def training_query(t: TrainingOptions, n_racers: int) -> dict[str, str]:
    """The training view's settings, every one written (a lesson's differ from the defaults):
    ``net.task``, ``net.width``, ``net.layers``, ``net.steps`` and ``net.batch``, one batch
    size per racer (``full`` or a whole number), e.g. ``full,16,full``."""
    q = {"net.task": t.task, "net.width": str(t.width), "net.layers": str(t.layers), "net.steps": str(t.steps)}
    if any(b is not None for b in t.batches[:n_racers]):
        q["net.batch"] = ",".join("full" if t.batch(i) is None else str(t.batch(i)) for i in range(n_racers))
    return q


def _training_from_query(q: dict, used: set, base: TrainingOptions, warn) -> TrainingOptions:
    """``net.*`` (see ``training_query``); a bad value warns and keeps ``base``'s."""
    from training.train import MAX_LAYERS, MAX_STEPS, MAX_WIDTH

    t = base
    if "net.task" in q:
        used.add("net.task")
        if q["net.task"] in TRAINING_TASKS:
            t = replace(t, task=q["net.task"])
        else:
            warn(f"unknown training task {config.quote(q['net.task'])} in the link "
                 f"(valid: {', '.join(TRAINING_TASKS)}); using {t.task}")
    for key, field, low, high, what in (("net.width", "width", 1, MAX_WIDTH, "hidden width"),
                                        ("net.layers", "layers", 1, MAX_LAYERS, "hidden layers"),
                                        ("net.steps", "steps", 1, MAX_STEPS, "training steps")):
        if key in q:
            used.add(key)
            try:
                t = replace(t, **{field: config.parse_int(q[key], f"{key} ({what})", low, high)})
            except ValueError as exc:
                warn(f"{exc} (from the link); using {getattr(t, field)}")
    if "net.batch" in q:
        used.add("net.batch")
        parts = str(q["net.batch"]).split(",")
        if len(parts) > MAX_RACERS:
            warn(f"net.batch names {len(parts)} batch sizes; at most {MAX_RACERS} racers train (the rest ignored)")
        batches = []
        for i, text in enumerate(parts[:MAX_RACERS]):
            if text.strip().lower() == "full":
                batches.append(None)
                continue
            try:
                batches.append(config.parse_batch_size(text, TRAINING_N, f"net.batch (racer {i + 1})"))
            except ValueError as exc:
                warn(f"{exc} (from the link); using the full batch")
                batches.append(None)
        t = replace(t, batches=tuple(batches))
    return t


TRAINING_N = 100   # the training view's data points (training.TrainConfig's default): a batch is 1 … N


def _hyper_from_query(q: dict, used: set, n_racers: int, warn, base: HyperView = DEFAULT.hyper) -> HyperView:
    h = base
    if "tab" in q:
        used.add("tab")
        if q["tab"] in TABS:
            h = replace(h, tab=q["tab"])
        else:
            warn(f"unknown tab {q['tab']!r} in the link (valid: {', '.join(TABS)})")
    if "hr" in q:
        used.add("hr")
        try:
            h = replace(h, racer=config.parse_int(q["hr"], "hr (optimizer of the heat map/basins)",
                                                  1, max(n_racers, 1)) - 1)
        except ValueError as exc:
            warn(f"{exc} (from the link); using optimizer 1")
    if "lrmin" in q or "lrmax" in q:
        used.update({"lrmin", "lrmax"})
        try:
            lo = config.parse_float(q.get("lrmin", "missing"), "lrmin")
            hi = config.parse_float(q.get("lrmax", "missing"), "lrmax")
            config.check_lr_range(lo, hi)
            h = replace(h, lr_min=lo, lr_max=hi)
        except ValueError as exc:
            warn(f"{exc} (from the link); using the automatic range")
    if "res" in q:
        used.add("res")
        try:
            res = config.parse_int(q["res"], "res", 2, config.MAX_RESOLUTION)
            if res not in BASIN_RESOLUTIONS:
                raise ValueError(f"res must be one of {', '.join(map(str, BASIN_RESOLUTIONS))}, got {res}")
            h = replace(h, resolution=res)
        except ValueError as exc:
            warn(f"{exc} (from the link); using {h.resolution}")
    return h


# --- from query -------------------------------------------------------------

_RACER_KEY = re.compile(r"^r([1-9]\d{0,2})(?:\.(.+))?$")  # r1 … r999: digits are length-checked


def flag(text) -> bool | None:
    """A link's flag word (``FLAG_WORDS``) as a bool; None for any other text."""
    return FLAG_WORDS.get(str(text).strip().lower())


class _LinkReader:
    """Reads a link's query parameters, remembering which were used and what was wrong."""

    def __init__(self, qp: Mapping[str, object], lessons: Mapping[str, Lesson]):
        q = {str(k): (v[-1] if isinstance(v, (list, tuple)) and v else v) for k, v in qp.items()}
        self.q = {k: str(v) for k, v in q.items() if v is not None}
        self.used: set[str] = {"lesson"}
        self.lessons = lessons
        self.warnings: list[str] = []

    def warn(self, msg: str) -> None:  # a message quotes at most a short piece of any value
        self.warnings.append(msg if len(msg) <= 400 else msg[:400] + "…")

    def number(self, key: str, parse, default):
        if key not in self.q:
            return default
        self.used.add(key)
        try:
            return parse(self.q[key])
        except ValueError as exc:
            self.warn(f"{exc} (from the link); using {default}")
            return default

    def base(self) -> AppState:
        """The lesson the link names (its settings are the defaults), or the default state."""
        key = self.q.get("lesson")
        if key is None:
            return AppState()
        if key in self.lessons:
            lesson = self.lessons[key]
            tab, training = lesson_view(lesson)
            return AppState(lesson.run_config(), ViewOptions(view=lesson.view), lesson=key, hyper=HyperView(tab=tab),
                            training=training)
        self.warn(f"unknown lesson {config.quote(key)} in the link (valid: {', '.join(self.lessons)}); "
                  "showing no lesson")
        return AppState()

    def surface(self, base: RunConfig) -> tuple[str, tuple]:
        q, surface = self.q, base.surface
        if "surface" in q:
            self.used.add("surface")
            if q["surface"] in landscapes.names():
                surface = q["surface"]
            else:
                self.warn(f"unknown surface {config.quote(q['surface'])} in the link; showing {surface}")
        sp = {}
        for k, v in q.items():
            if k.startswith("s."):
                self.used.add(k)
                try:
                    sp[k[2:]] = landscapes.validate_params(surface, {k[2:]: v})[k[2:]]
                except ValueError as exc:
                    self.warn(f"{exc}; using the default")
        if surface == base.surface:  # a lesson's surface parameters, unless the link overrides them
            sp = {**dict(base.surface_params), **sp}
        return surface, tuple(sorted(landscapes.validate_params(surface, sp).items()))

    def start(self, base: RunConfig, surface: str):
        start = base.start if surface == base.surface else None
        if "x" in self.q or "y" in self.q:
            self.used.update({"x", "y"})
            try:
                start = config.parse_start(self.q.get("x", "missing"), self.q.get("y", "missing"))
            except ValueError as exc:
                self.warn(f"{exc} (from the link); using the surface's default start")
        return start

    def racers(self, base: RunConfig, surface: str, sp: tuple) -> list[Racer]:
        slots: dict[int, dict[str, str]] = {}
        for k, v in self.q.items():
            m = _RACER_KEY.match(k)
            if m:
                self.used.add(k)
                slots.setdefault(int(m.group(1)), {})[m.group(2) or ""] = v
        racers: list[Racer] = []
        for i in sorted(slots):
            if len(racers) >= MAX_RACERS:
                self.warn(f"at most {MAX_RACERS} optimizers race at once; ignored the rest of the link's")
                break
            racer = _racer_from_query(i, slots[i], surface, sp, self.warn)
            if racer is not None:
                racers.append(racer)
        if not slots and surface == base.surface:
            return list(base.racers)
        if slots and not racers:
            self.warn("no valid optimizer in the link; showing the default race")
        return racers or list(DEFAULT_RACERS)

    def view(self, base: ViewOptions) -> ViewOptions:
        view = ViewOptions(view=base.view)
        for key, valid in (("view", VIEWS), ("speed", SPEED_NAMES)):
            if key in self.q:
                self.used.add(key)
                if self.q[key] in valid:
                    view = replace(view, **{key: self.q[key]})
                else:
                    self.warn(f"unknown {key} {config.quote(self.q[key])} in the link "
                              f"(valid: {', '.join(valid)})")
        for key, attr in _FLAGS.items():
            if key in self.q:
                self.used.add(key)
                value = flag(self.q[key])
                if value is None:
                    self.warn(f"{key} must be 0 or 1 in the link, got {config.quote(self.q[key])}")
                else:
                    view = replace(view, **{attr: value})
        if "scrub" in self.q:
            self.used.add("scrub")
            try:
                view = replace(view, scrub=config.parse_int(self.q["scrub"], "scrub", 0, MAX_RACERS))
            except ValueError as exc:
                self.warn(f"{exc} in the link")
        return view


def from_query(qp: Mapping[str, object], lessons: Mapping[str, Lesson] | None = None
               ) -> tuple[AppState, list[str]]:
    """Rebuild a state from query parameters; each bad part falls back with a warning.
    ``lessons``: the lessons a link may open by key (none given: ``lesson=`` is unknown)."""
    link = _LinkReader(qp, lessons or {})
    base = link.base()
    surface, sp = link.surface(base.run)
    steps = link.number("steps", lambda t: config.parse_int(t, "steps", config.MIN_RACE_STEPS, config.MAX_STEPS),
                        base.run.steps)
    seed = link.number("seed", lambda t: config.parse_int(t, "seed", 0, config.MAX_SEED), base.run.seed)
    formula_text, domain = formula_from_query(link.q, surface, link.used, link.warn)
    start = link.start(base.run, surface)
    racers = link.racers(base.run, surface, sp)
    view = link.view(base.view)
    hyper = _hyper_from_query(link.q, link.used, len(racers), link.warn, base.hyper)
    training = _training_from_query(link.q, link.used, base.training, link.warn)
    unknown = sorted(set(link.q) - link.used)
    if unknown:
        link.warn("ignored unknown link parameter(s): " + ", ".join(config.quote(u) for u in unknown[:5]))
    run = RunConfig(surface, sp, tuple(racers), steps, start, seed, formula_text, domain)
    return AppState(run, view, base.lesson, hyper, training), link.warnings



# --- your own formula in the link -------------------------------------------------

def formula_query(run: RunConfig) -> dict[str, str]:
    """``f`` (the formula text) and ``domain`` ("xmin,xmax,ymin,ymax") of a
    formula surface; nothing for the other surfaces. The browser URL-encodes them."""
    if run.surface != config.FORMULA:
        return {}
    q = {"f": run.formula} if run.formula else {}
    if run.domain is not None:
        q["domain"] = ",".join(_fmt(v) for v in run.domain)
    return q


def formula_from_query(q: Mapping[str, str], surface: str, used: set, warn):
    """``(text, domain)`` from a link's ``f`` and ``domain`` (surface=formula
    only). A bad one falls back to the example formula / the default domain
    with a warning naming the problem; never raises."""
    if surface != config.FORMULA:
        return "", None
    from landscapes import formula

    text, domain = "", None
    if "domain" in q:
        used.add("domain")
        try:
            domain = formula.parse_domain(q["domain"][:200])
        except ValueError as exc:
            warn(f"{exc} (from the link); using the default domain")
    if "f" in q:
        used.add("f")
        if len(q["f"]) > formula.MAX_LENGTH:
            warn(f"the link's formula is too long ({len(q['f']):,} characters; at most "
                 f"{formula.MAX_LENGTH}); showing the example formula")
            return "", domain
        if not str(q["f"]).strip():
            warn("the link's formula f is empty; showing the example formula")
        else:
            try:
                text, _ = config.parse_formula(q["f"], domain)
            except ValueError as exc:
                warn(f"{exc} (from the link); showing the example formula")
                try:
                    config.parse_formula("", domain)
                except ValueError:
                    return "", None
                return "", domain
    try:  # the example formula over the link's domain may itself be undefined there
        config.parse_formula(text, domain)
    except ValueError as exc:
        warn(f"{exc} (from the link); using the default domain")
        domain = None
    return text, domain


def _racer_from_query(i: int, parts: dict[str, str], surface: str, sp: tuple, warn) -> Racer | None:
    name = parts.get("")
    if name is None:
        warn(f"link parameters r{i}.* name no optimizer (missing r{i}); ignored")
        return None
    if name not in optimizers.names():
        warn(f"unknown optimizer {config.quote(name)} in the link (valid: {', '.join(optimizers.names())}); "
             "ignored")
        return None
    opt = optimizers.get(name)
    lr = presets.suggested_lr(name, surface, sp)
    if "lr" in parts:
        try:
            lr = opt.validate(config.parse_lr(parts["lr"], f"r{i}.lr"))["lr"]
        except ValueError as exc:
            warn(f"{exc} (from the link); using {lr:g}")
    hp = {}
    for k, v in parts.items():
        if k in ("", "lr", "noise", "sched", "x", "y", "batch", "droplast") or k.startswith("sched."):
            continue
        if k not in opt.hyperparameters:
            warn(f"{name} has no hyperparameter {config.quote(k)} (from the link); ignored")
            continue
        try:
            value = config.parse_value(v)
            value = config.check_numeric_hp(opt, {k: value})[k]
            opt.validate(lr, **{k: value})
            hp[k] = value
        except ValueError as exc:
            warn(f"{exc} (from the link); using the default")
    try:
        choice = OptimizerChoice.build(name, lr, **hp)
    except ValueError as exc:  # a cross-parameter rule (e.g. nesterov and dampening)
        warn(f"{exc} (from the link); using {name}'s defaults")
        choice = OptimizerChoice.build(name, lr)
    schedule = ScheduleChoice()
    if "sched" in parts:
        sname = parts["sched"]
        if sname not in schedules.names():
            warn(f"unknown schedule {config.quote(sname)} in the link (valid: {', '.join(schedules.names())})")
        else:
            sparams = {}
            for k, v in parts.items():
                if k.startswith("sched."):
                    sparams[k[6:]] = v
            good = {}
            for k, v in sparams.items():
                try:
                    schedules.get(sname).validate(**{k: v})
                    good[k] = v
                except ValueError as exc:
                    warn(f"{exc} (from the link); using the default")
            schedule = ScheduleChoice.build(sname, **good)
    noise = 0.0
    if "noise" in parts:
        try:
            noise = config.parse_noise(parts["noise"], f"r{i}.noise")
        except ValueError as exc:
            warn(f"{exc} (from the link); using 0")
    start = None
    if "x" in parts or "y" in parts:
        try:
            start = config.parse_start(parts.get("x", "missing"), parts.get("y", "missing"))
        except ValueError as exc:
            warn(f"r{i}: {exc} (from the link); it starts at the race's start")
    batch_size, drop_last = _batch_from_query(i, parts, surface, sp, warn)
    if noise and isinstance(landscapes.get(surface, **dict(sp)), landscapes.DataSurface):
        warn(f"r{i}.noise: on a data surface the gradients are real mini-batches (r{i}.batch), "
             "not Gaussian noise; noise ignored")
        noise = 0.0
    return Racer(choice, schedule, noise, start, batch_size=batch_size, drop_last=drop_last)


def _batch_from_query(i: int, parts: dict[str, str], surface: str, sp: tuple, warn) -> tuple:
    """``rN.batch`` (1..N on a data surface) and ``rN.droplast``; bad values warn."""
    if "batch" not in parts:
        if "droplast" in parts:
            warn(f"r{i}.droplast needs r{i}.batch in the link; ignored")
        return None, False
    s = landscapes.get(surface, **dict(sp))
    if not isinstance(s, landscapes.DataSurface):
        warn(f"r{i}.batch needs a data surface ({', '.join(landscapes.DATA_SURFACES)}); "
             f"{surface} has no data set; ignored")
        return None, False
    try:
        batch_size = config.parse_batch_size(parts["batch"], s.n_samples, f"r{i}.batch")
    except ValueError as exc:
        warn(f"{exc} (from the link); using the full batch")
        return None, False
    drop_last = False
    if "droplast" in parts:
        value = flag(parts["droplast"])
        if value is None:
            warn(f"r{i}.droplast must be 0 or 1 in the link, got {parts['droplast']!r}")
        else:
            drop_last = value
    return batch_size, drop_last
