"""The app's whole state as plain values, and its share-link form.

A share link is the state in query parameters, readable by a person::

    ?surface=rosenbrock&steps=500&x=-1.2&y=1&r1=gd&r1.lr=0.001&r2=adam&r2.lr=0.05

``from_query`` never raises: each bad or unknown part falls back to its default
and adds a warning the app shows. No Streamlit here.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Mapping

import config
import landscapes
import lessons
import optimizers
import presets
from config import MAX_RACERS, SPEED_NAMES, VIEWS, OptimizerChoice, Racer, RunConfig, ScheduleChoice
from optimizers import schedules




@dataclass(frozen=True)
class ViewOptions:
    view: str = "both"
    speed: str = "normal"
    present: bool = False
    log_loss: bool = True
    full_paths: bool = False    # draw whole paths at once instead of trails growing during Play
    vectors: bool = False       # each step's vectors on the map (figures.step_vectors)
    scrub: int = 1              # the racer (1-based) whose sliders scrub it in the browser; 0: none


TABS = ("race", "sweep", "heatmap", "basins")
BASIN_RESOLUTIONS = (100, 200, 400)


@dataclass(frozen=True)
class HyperView:
    """Which view is shown beside the race and its own settings: ``racer`` is
    the optimizer the heat map and basin map use (0-based); ``lr_min``/``lr_max``
    the sweep's and heat map's learning-rate range (None: chosen from the
    racers' rates); ``resolution`` the basin map's start points per axis."""

    tab: str = "race"
    racer: int = 0
    lr_min: float | None = None
    lr_max: float | None = None
    resolution: int = 200


@dataclass(frozen=True)
class AppState:
    run: RunConfig
    view: ViewOptions = field(default_factory=ViewOptions)
    lesson: str | None = None   # the lesson whose text is shown (``lesson=KEY`` in a link)
    hyper: HyperView = field(default_factory=HyperView)


def lesson_state(key: str, view: ViewOptions | None = None) -> AppState:
    return AppState(lessons.LESSONS[key].run_config(), view or ViewOptions(), key)


def default_state() -> AppState:
    return lesson_state("first")


# --- to query ---------------------------------------------------------------

def _fmt(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    text = repr(float(v))  # the shortest text that reads back as exactly this float
    return text[:-2] if text.endswith(".0") else text


def to_query(state: AppState) -> dict[str, str]:
    """The state as query parameters; hyperparameters only where not default."""
    run, view = state.run, state.view
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
        for k, v in r.choice.hp:
            if k == "lr" or v != opt.hyperparameters[k].default:
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
    if view.view != "both":
        q["view"] = view.view
    if view.speed != "normal":
        q["speed"] = view.speed
    if view.present:
        q["present"] = "1"
    if not view.log_loss:
        q["logloss"] = "0"
    h = state.hyper
    if h.tab != "race":
        q["tab"] = h.tab
        if h.racer:
            q["hr"] = str(h.racer + 1)
        if h.lr_min is not None and h.lr_max is not None and h.tab != "basins":
            q["lrmin"], q["lrmax"] = _fmt(h.lr_min), _fmt(h.lr_max)
        if h.resolution != 200 and h.tab == "basins":
            q["res"] = str(h.resolution)
    if view.full_paths:
        q["fullpaths"] = "1"
    if view.vectors:
        q["vectors"] = "1"
    if view.scrub != 1:
        q["scrub"] = str(view.scrub)
    return q


def _hyper_from_query(q: dict, used: set, n_racers: int, warn) -> HyperView:
    h = HyperView()
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
            warn(f"{exc} (from the link); using 200")
    return h


# --- from query -------------------------------------------------------------

_RACER_KEY = re.compile(r"^r([1-9]\d{0,2})(?:\.(.+))?$")  # r1 … r999: digits are length-checked


def _flag(text: str) -> bool | None:
    t = str(text).strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    return None


class _LinkReader:
    """Reads a link's query parameters, remembering which were used and what was wrong."""

    def __init__(self, qp: Mapping[str, object]):
        q = {str(k): (v[-1] if isinstance(v, (list, tuple)) and v else v) for k, v in qp.items()}
        self.q = {k: str(v) for k, v in q.items() if v is not None}
        self.used: set[str] = {"lesson"}
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
        """The lesson the link names (its settings are the defaults), or the first screen."""
        key = self.q.get("lesson")
        if key is None:
            return replace(default_state(), lesson=None)
        if key in lessons.LESSONS:
            return lesson_state(key)
        self.warn(f"unknown lesson {config.quote(key)} in the link (valid: {', '.join(lessons.LESSONS)}); "
                  "showing no lesson")
        return replace(default_state(), lesson=None)

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
        return racers or [p.build(surface, sp) for p in lessons.LESSONS["first"].racers]

    def view(self) -> ViewOptions:
        view = ViewOptions()
        for key, valid in (("view", VIEWS), ("speed", SPEED_NAMES)):
            if key in self.q:
                self.used.add(key)
                if self.q[key] in valid:
                    view = replace(view, **{key: self.q[key]})
                else:
                    self.warn(f"unknown {key} {config.quote(self.q[key])} in the link "
                              f"(valid: {', '.join(valid)})")
        for key, attr in (("present", "present"), ("logloss", "log_loss"), ("fullpaths", "full_paths"),
                          ("vectors", "vectors")):
            if key in self.q:
                self.used.add(key)
                flag = _flag(self.q[key])
                if flag is None:
                    self.warn(f"{key} must be 0 or 1 in the link, got {config.quote(self.q[key])}")
                else:
                    view = replace(view, **{attr: flag})
        if "scrub" in self.q:
            self.used.add("scrub")
            try:
                view = replace(view, scrub=config.parse_int(self.q["scrub"], "scrub", 0, MAX_RACERS))
            except ValueError as exc:
                self.warn(f"{exc} in the link")
        return view


def from_query(qp: Mapping[str, object]) -> tuple[AppState, list[str]]:
    """Rebuild a state from query parameters; each bad part falls back with a warning."""
    link = _LinkReader(qp)
    base = link.base()
    surface, sp = link.surface(base.run)
    steps = link.number("steps", lambda t: config.parse_int(t, "steps", config.MIN_RACE_STEPS, config.MAX_STEPS),
                        base.run.steps)
    seed = link.number("seed", lambda t: config.parse_int(t, "seed", 0, config.MAX_SEED), base.run.seed)
    formula_text, domain = formula_from_query(link.q, surface, link.used, link.warn)
    start = link.start(base.run, surface)
    racers = link.racers(base.run, surface, sp)
    view = link.view()
    hyper = _hyper_from_query(link.q, link.used, len(racers), link.warn)
    unknown = sorted(set(link.q) - link.used)
    if unknown:
        link.warn("ignored unknown link parameter(s): " + ", ".join(config.quote(u) for u in unknown[:5]))
    run = RunConfig(surface, sp, tuple(racers), steps, start, seed, formula_text, domain)
    return AppState(run, view, base.lesson, hyper), link.warnings



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
        flag = _flag(parts["droplast"])
        if flag is None:
            warn(f"r{i}.droplast must be 0 or 1 in the link, got {parts['droplast']!r}")
        else:
            drop_last = flag
    return batch_size, drop_last


# --- widget state from a client ---------------------------------------------

def number_ok(value, low: float, high: float, whole: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return bool(math.isfinite(value) and low <= value <= high and (not whole or float(value).is_integer()))


def sanitize_widget_state(SS) -> list[str]:
    """A modified client can send any value for a widget: each invalid one in the widget
    state ``SS`` (a mutable mapping: Streamlit's session state) is reset to a valid value,
    with a message (never an exception from a widget or a callback)."""
    fixed: list[str] = []

    def reset(key: str, value, what: str) -> None:
        fixed.append(f"the control {what} held an invalid value {config.quote(SS.get(key))}; "
                     f"reset to {value!r}")
        SS[key] = value

    if SS.get("surface") not in landscapes.names():
        reset("surface", "rosenbrock", "Surface")
    for key, low, high, whole, default in (
            ("steps", config.MIN_RACE_STEPS, config.MAX_STEPS, True, config.DEFAULT_STEPS),
            ("n_racers", 1, config.MAX_RACERS, True, 1), ("seed", 0, config.MAX_SEED, True, 0),
            ("x", -config.MAX_ABS_COORD, config.MAX_ABS_COORD, False, 0.0),
            ("y", -config.MAX_ABS_COORD, config.MAX_ABS_COORD, False, 0.0)):
        if key in SS and not number_ok(SS[key], low, high, whole):
            reset(key, default, key)
    from landscapes import formula  # the typed formula's text is checked by its parser; its domain here

    if "formula" in SS and not isinstance(SS["formula"], str):
        reset("formula", formula.DEFAULT_FORMULA, "f(x, y)")
    for key, default in zip(("dom.x0", "dom.x1", "dom.y0", "dom.y1"), formula.DEFAULT_DOMAIN):
        if key in SS and not number_ok(SS[key], -formula.MAX_ABS_DOMAIN, formula.MAX_ABS_DOMAIN):
            reset(key, default, "domain " + key[4:])
    for key, valid, default in (("view", config.VIEWS, "both"), ("speed", config.SPEED_NAMES, "normal")):
        if key in SS and SS[key] not in valid:
            reset(key, default, key)
    for i in range(config.MAX_RACERS):
        if f"opt.{i}" in SS and SS[f"opt.{i}"] not in optimizers.names():
            reset(f"opt.{i}", "gd", f"optimizer {i + 1}")
        if f"sched.{i}" in SS and SS[f"sched.{i}"] not in schedules.names():
            reset(f"sched.{i}", "constant", f"schedule {i + 1}")
        if f"lr.{i}" in SS and not number_ok(SS[f"lr.{i}"], 0.0, config.MAX_LR):
            reset(f"lr.{i}", 1e-3, f"learning rate {i + 1}")
        if f"noise.{i}" in SS and not number_ok(SS[f"noise.{i}"], 0.0, config.MAX_NOISE):
            reset(f"noise.{i}", 0.0, f"noise {i + 1}")
        # a batch size outside 1..N is the batch control's own error message; a non-number is reset
        if f"batch.{i}" in SS and not number_ok(SS[f"batch.{i}"], -math.inf, math.inf):
            fixed.append(f"the control batch size {i + 1} held an invalid value "
                         f"{config.quote(SS.get(f'batch.{i}'))}; reset to the full batch")
            del SS[f"batch.{i}"]
        if f"droplast.{i}" in SS and not isinstance(SS[f"droplast.{i}"], bool):
            reset(f"droplast.{i}", False, f"drop last {i + 1}")
    for key in [k for k in list(SS.keys()) if isinstance(k, str) and k.startswith("schedp.")]:
        _, _, rest = key.partition(".")
        _, _, rest = rest.partition(".")  # the racer's number
        sname, _, pname = rest.partition(".")
        h = schedules.REGISTRY[sname].params.get(pname) if sname in schedules.REGISTRY else None
        if h is None:
            continue
        value = SS[key]
        if h.kind == "choice":
            ok = isinstance(value, str) and value in h.choices
        elif h.kind == "bool":
            ok = isinstance(value, bool)
        elif h.kind == "int_list":  # its text is checked by the schedule, with a message
            ok = isinstance(value, str) and len(value) <= 400
        else:
            ok = number_ok(value, -math.inf, math.inf)
        if not ok:
            default = schedules.format_value(h.default) if h.kind == "int_list" else h.default
            reset(key, default if h.kind in ("choice", "bool", "int_list") else float(default),
                  f"{sname}.{pname}")
    # the hyperparameter views
    if "tab" in SS and SS["tab"] not in TABS:
        reset("tab", "race", "View")
    if "res" in SS and SS["res"] not in BASIN_RESOLUTIONS:
        reset("res", 200, "start points per axis")
    if "hr" in SS and not number_ok(SS["hr"], 0, config.MAX_RACERS - 1, True):
        reset("hr", 0, "optimizer of the heat map/basins")
    for key in ("lrmin", "lrmax"):
        if key in SS and not number_ok(SS[key], 1e-12, config.MAX_LR):
            reset(key, 1e-3 if key == "lrmin" else 1.0, key)
    if "lr_auto" in SS and not isinstance(SS["lr_auto"], bool):
        reset("lr_auto", True, "automatic lr range")
    return fixed
