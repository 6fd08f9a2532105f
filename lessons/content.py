"""The classroom lessons themselves: each a configuration, a text and its claims.

A lesson's text is a template: every number it quotes comes from the lesson's
own configuration (``{r1.lr}``, ``{steps}``, ``{s.a}``, ``{kappa}``) or from its
claims, never typed twice. Its claims are data (``claims.Claim``) measured by
``claims.check``.

Pure: no Streamlit, no Plotly.
"""
from __future__ import annotations

import functools
import string
from dataclasses import dataclass
from types import SimpleNamespace

import landscapes
import presets
import theory
from config import OptimizerChoice, Racer, RunConfig, ScheduleChoice
from optimizers import schedules
from .claims import KINDS, Claim


# --- racers --------------------------------------------------------------------

@dataclass(frozen=True)
class RacerPreset:
    optimizer: str
    lr: float | None = None          # None: suggested for the surface
    hp: tuple = ()
    schedule: str = "constant"
    schedule_params: tuple = ()
    noise: float = 0.0
    start: tuple[float, float] | None = None   # its own start; None: the lesson's
    batch_size: int | None = None    # data surfaces: samples per gradient; None: the full batch

    def build(self, surface: str, sp: tuple = ()) -> Racer:
        lr = self.lr if self.lr is not None else presets.suggested_lr(self.optimizer, surface, sp)
        return Racer(OptimizerChoice.build(self.optimizer, lr, **dict(self.hp)),
                     ScheduleChoice.build(self.schedule, **dict(self.schedule_params)), self.noise,
                     self.start, batch_size=self.batch_size)


# --- lessons -------------------------------------------------------------------

@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    text: str                         # a template: see ``render``
    surface: str
    racers: tuple[RacerPreset, ...]
    steps: int = 300
    start: tuple[float, float] | None = None
    surface_params: tuple = ()
    claims: tuple[Claim, ...] = ()
    table: bool = False               # show the per-step table of the first racer's x
    coordinates: bool = False         # show x and y against the step
    # A second race shown beside the first: the same racers on the same surface with these
    # surface parameters and start; its racers are numbered after the first race's in claims.
    companion: tuple = ()             # (surface_params, start)
    captions: tuple = ()              # what names each race, e.g. ("0°", "45°")
    # The views it opens with (config.VIEWS): "2d" where a panel beside the map (the data,
    # the article's printout) leaves no room for a 3-D view as large as the map on a projector.
    view: str = "both"

    def run_config(self) -> RunConfig:
        return self._config(self.surface_params, self.start)

    def companion_config(self) -> RunConfig | None:
        return self._config(*self.companion) if self.companion else None

    @functools.lru_cache(maxsize=128)  # noqa: B019  (lessons are few, frozen and live for the process)
    def _config(self, surface_params, start) -> RunConfig:
        sp = tuple(sorted(landscapes.validate_params(self.surface, dict(surface_params)).items()))
        racers = tuple(p.build(self.surface, sp) for p in self.racers)
        return RunConfig(self.surface, sp, racers, self.steps, start, 0)

    def render(self, labels: list[str] | None = None) -> str:
        """The text with its numbers filled in from the configuration."""
        run = self.run_config()
        if labels is None:
            import results
            labels = results.racer_labels(run.racers)
        fields = _fields(run, labels)
        if self.companion:
            fields["companion_angle"] = f"{dict(self.companion[0]).get('angle', 0):g}"
        return string.Formatter().vformat(self.text, (), fields)

    def claim_texts(self, labels: list[str]) -> list[str]:
        return [c.text(labels) for c in self.claims]


def _fields(run: RunConfig, labels: list[str]) -> dict:
    sp = dict(run.surface_params)
    fields: dict = {"steps": run.steps, "s": SimpleNamespace(**sp)}
    if "a" in sp and "b" in sp:  # the ravine a x² + b y²: curvatures 2a, 2b
        fields["kappa"] = f"{sp['b'] / sp['a']:.3g}"
        fields["curv_x"], fields["curv_y"] = f"{2 * sp['a']:g}", f"{2 * sp['b']:g}"
        fields["lr_limit"] = f"{1 / sp['b']:.3g}"
    th = theory.quadratic_theory(run.get_surface())
    if th is not None:  # gradient descent's and heavy ball's best rates (theory.py)
        fields["gd_rate"] = f"{th.gd_best_rate:.4f}"
        fields["hb_rate"] = f"{th.momentum_best_rate:.4f}"
        fields["lam_min"], fields["lam_max"] = f"{th.lam_min:g}", f"{th.lam_max:g}"
        fields["rate_from"], fields["rate_to"] = theory.MEASURE_FROM, theory.MEASURE_TO
    x, y = run.start_point()
    fields["start"] = f"({x:g}, {y:g})"
    surface = run.get_surface()
    if isinstance(surface, landscapes.DataSurface):
        fields["N"] = surface.n_samples
    fields["r1_start"] = f"{run.racer_start(0)[0]:g}" if run.racers else ""
    fields["companion_angle"] = ""
    for i, (r, label) in enumerate(zip(run.racers, labels), start=1):
        hp = dict(r.choice.hp)
        fields[f"r{i}"] = SimpleNamespace(
            lr=f"{r.choice.lr:g}", factor=f"{1 - 2 * r.choice.lr:.12g}", name=r.choice.name,
            start="({:g}, {:g})".format(*run.racer_start(i - 1)),
            title=r.choice.optimizer.title, label=label,
            noise=f"{r.noise:g}", batch="full" if r.batch_size is None else f"{r.batch_size}",
            **{k: (f"{v:g}" if not isinstance(v, bool) else v) for k, v in hp.items()},
            **{f"sched_{k}": (f"{v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool)
                              else schedules.format_value(v)) for k, v in r.schedule.params})
    return fields


def C(kind: str, racer: int, value: float = 0.0, **kw) -> Claim:
    if kind not in KINDS:  # a misspelt kind fails on import, not when the lesson is checked
        raise ValueError(f"unknown claim kind {kind!r} (valid: {', '.join(KINDS)})")
    return Claim(kind, racer, value, **kw)


R = RacerPreset


def _article_values(w0: float, lr: float, n: int) -> tuple[float, ...]:
    """The article's loop, in plain Python: ``w = w - lr * 2 * w``, printed each step."""
    out, w = [], w0
    for _ in range(n):
        w = w - lr * (2 * w)
        out.append(w)
    return tuple(out)


LESSONS: dict[str, Lesson] = {}


def _add(lesson: Lesson) -> None:
    LESSONS[lesson.key] = lesson


_add(Lesson(
    "first", "Three optimizers race on Rosenbrock",
    "All three start at the classic {start}. Gradient descent ({r1.label}) crawls: the valley's "
    "walls are steep and its floor almost flat, so a learning rate small enough for the walls is "
    "tiny along the floor. Momentum, with the same learning rate, gathers speed along the floor "
    "and gets closest to the minimum at (1, 1). Adam takes steps of about lr in each coordinate "
    "whatever the gradient's size: it never crawls, but its steps stay short as the valley bends, "
    "and after {steps} steps it is between the other two.",
    "rosenbrock", (R("gd", 1e-3), R("momentum", 1e-3), R("adam", 0.05)), steps=500,
    claims=(C("farther_than", 1, 1.5), C("closer_than", 2, 0.2), C("closer_than_other", 3, other=1),
            C("closer_than_other", 2, other=3))))

_add(Lesson(
    "learning_rate", "Learning rate: too low, just right, too high",
    "The same gradient descent with three learning rates on an elliptic bowl whose curvatures are "
    "{curv_x} along x and {curv_y} along y, so steps are stable only while lr < 2/{curv_y} = "
    "{lr_limit}. {r1.label} crawls along the curved path of steepest descent; {r2.label} "
    "zig-zags across y while it closes in and converges; {r3.label} overshoots further every "
    "step in y and diverges.",
    "ravine", (R("gd", 0.05), R("gd", 0.4), R("gd", 0.55)), steps=60, start=(-5.0, 2.0),
    surface_params=(("a", 0.5),),
    claims=(C("farther_than", 1, 0.2), C("no_sign_change", 1, axis=1), C("converges_by", 2, 40),
            C("sign_changes_at_least", 2, 5, axis=1), C("diverges_before", 3, 40))))

_add(Lesson(
    "ravine", "Momentum in a ravine",
    "A narrow valley, condition number {kappa}. Gradient descent ({r1.label}), near the largest "
    "stable rate for the steep direction, zig-zags across the valley and creeps along it. "
    "Momentum ({r2.label}, μ = {r2.momentum}) swings across the valley too, but the velocity it "
    "keeps adds up along the floor, so it arrives long before gradient descent. Nesterov's "
    "look-ahead ({r3.label}) damps the swings across the valley much sooner.",
    "ravine", (R("gd", 0.45), R("momentum", 0.3, (("momentum", 0.8),)),
               R("nesterov", 0.3, (("momentum", 0.8),))),
    steps=100, surface_params=(("a", 0.02),),
    claims=(C("sign_changes_at_least", 1, 10, axis=1), C("farther_than", 1, 0.5),
            C("sign_changes_at_least", 2, 3, axis=1), C("converges_by", 2, 100),
            C("closer_than_other", 2, other=1), C("exceeds_after", 2, 0.05, axis=1, after=30),
            C("stays_below", 3, 0.05, axis=1, after=30))))

_add(Lesson(
    "nesterov_forms", "Nesterov: one algorithm, two drawings",
    "The same Nesterov momentum, lr = {r1.lr} and μ = {r1.momentum}, drawn two ways. torch's "
    "form ({r1.label}) draws its parameters, which are the look-ahead points θ + μv of the "
    "textbook form. The textbook form ({r2.label}) draws its iterates θ and takes each gradient "
    "at the look-ahead point θ + μv. So the textbook run takes every gradient exactly at torch's "
    "points: one algorithm seen at different points, which differ by μ times the textbook's last "
    "step. Most courses draw the textbook form.",
    "ravine", (R("nesterov", 0.1), R("nesterov_textbook", 0.1)), steps=100,
    surface_params=(("a", 0.02),),
    claims=(C("gradients_at_points_of", 2, other=1), C("apart_at_least", 2, 0.5, other=1),
            C("runs_every_step", 1), C("runs_every_step", 2))))

_add(Lesson(
    "rmsprop_ravine", "RMSProp: a step size per coordinate",
    "The same narrow valley (condition number {kappa}). Gradient descent ({r1.label}) must keep "
    "its rate small for the steep y direction, so its steps along the flat x direction are tiny. "
    "RMSProp ({r2.label}) divides each coordinate's gradient by the root of its own running "
    "average of squares, so both coordinates move by comparable amounts from the first step: it "
    "heads for the minimum instead of dropping to the valley floor first.",
    "ravine", (R("gd", 0.45), R("rmsprop", 0.05)), steps=150, surface_params=(("a", 0.02),),
    claims=(C("step_ratio_below", 1, 0.1), C("step_ratio_between", 2, values=(0.5, 2.0)),
            C("closer_than_other", 2, other=1))))

_add(Lesson(
    "saddle", "Escaping a saddle point",
    "Starting almost on the ridge, at {start}, gradient descent ({r1.label}) creeps toward the "
    "saddle point and lingers there while the tiny y-component grows, then escapes downhill. "
    "Momentum ({r2.label}) builds speed along y and escapes much sooner. Adam ({r3.label}) "
    "leaves the saddle at once, but at its fixed pace of about lr per step: it is still on its "
    "way out at the last step.",
    "saddle", (R("gd", 0.01), R("momentum", 0.01), R("adam", 0.02)), steps=500,
    claims=(C("escapes_before", 1, 500), C("escapes_before", 2, 100),
            C("runs_every_step", 3), C("slower_start", 1, 50, other=3, axis=1))))

_add(Lesson(
    "saddle_oscillation", "Does gradient descent oscillate at a saddle point?",
    "On x² − y² the curvature is +2 along x and −2 along y. Along x, gradient descent multiplies "
    "x by 1 − 2·lr each step: with {r1.label} (below 1/2) it slides to the valley line x = 0 "
    "without oscillating; only a rate above 1/curvature = 1/2, such as {r2.label}, makes x jump "
    "across the valley line every step (x still shrinks while lr < 1, but this run also leaves along y all "
    "the sooner). Along y it multiplies y by "
    "1 + 2·lr: it moves away, slowly while y is tiny. A run started exactly on the ridge "
    "({r3.label}, y = 0) never leaves it and walks into the saddle point itself.",
    "saddle", (R("gd", 0.1), R("gd", 0.7), R("gd", 0.3, start=(1.5, 0.0))), steps=40, start=(1.5, 0.001),
    coordinates=True,
    claims=(C("no_sign_change", 1, axis=0), C("shrinks", 1, axis=0), C("grows", 1, axis=1),
            C("sign_changes_at_least", 2, 10, axis=0), C("shrinks", 2, axis=0), C("escapes_before", 2, 40),
            C("stays_at", 3, 0.0, axis=1), C("converges_by", 3, 40))))

_add(Lesson(
    "local_minima", "Local minima: where you start decides where you end",
    "On a surface with two valleys, the same gradient descent (lr = {r1.lr}) starts twice, from "
    "{r1.start} and from {r2.start}: on either side of the ridge that runs through the saddle point "
    "between the valleys. Each run follows the slope down its own side: the first settles in the "
    "shallower, local minimum on the right, the second in the deeper, global minimum on the left. "
    "Nothing about the optimizer changed; only the start decided which minimum it found.",
    "two_minima", (R("gd", 0.05, start=(0.3, 1.2)), R("gd", 0.05, start=(-0.2, 1.2))), steps=300,
    start=(0.3, 1.2),
    claims=(C("ends_in", 1, what="local"), C("ends_in", 2, what="global"))))

_add(Lesson(
    "lr_ridge", "A small learning rate stays in the local minimum",
    "From the same start in the shallow valley, gradient descent with {r1.label} follows the "
    "slope down into the nearby local minimum and stays there. With {r2.label} the first steps "
    "are long enough to jump over the ridge, and the run ends in the deeper, global minimum: a "
    "larger rate is not only faster, it can change the answer.",
    "two_minima", (R("gd", 0.05), R("gd", 0.17)), steps=300,
    claims=(C("ends_in", 1, what="local"), C("ends_in", 2, what="global"))))

_add(Lesson(
    "adam_vs_sgd", "Adam vs SGD on Rosenbrock",
    "SGD ({r1.label}) must use a tiny learning rate to stay stable in the steep valley walls, so "
    "it crawls along the floor. RMSProp ({r3.label}) scales each coordinate's step by its recent "
    "gradient size and gets further; Adam ({r2.label}) adds momentum to that scaling and follows "
    "the valley almost to the minimum in {steps} steps.",
    "rosenbrock", (R("gd", 1.5e-3), R("adam", 0.1), R("rmsprop", 0.01)), steps=1000,
    claims=(C("farther_than", 1, 0.5), C("closer_than", 2, 0.05), C("closer_than_other", 3, other=1),
            C("closer_than_other", 2, other=3))))

_add(Lesson(
    "decay", "Learning-rate decay",
    "With noisy gradients (σ = {r1.noise}) a constant learning rate ({r1.label}) keeps bouncing "
    "around the minimum; decaying it, by a cosine over {r2.sched_T_max} steps ({r2.label}) or by "
    "half every {r3.sched_step_size} steps ({r3.label}), lets the run settle closer. The noise is "
    "random, so each claim below is checked with several noise seeds, not only with the one drawn.",
    "bowl", (R("gd", 0.3, noise=1.0),
             R("gd", 0.3, schedule="cosine", schedule_params=(("T_max", 400),), noise=1.0),
             R("gd", 0.3, schedule="step", schedule_params=(("step_size", 80), ("gamma", 0.5)), noise=1.0)),
    steps=400,
    claims=(C("closer_than_other", 2, other=1, seeds=10), C("closer_than_other", 3, other=1, seeds=10))))

_ROTATED = (round(-2.5 * 0.5 ** 0.5 - 1.5 * 0.5 ** 0.5, 12), round(-2.5 * 0.5 ** 0.5 + 1.5 * 0.5 ** 0.5, 12))

_add(Lesson(
    "rotation", "Adam is not rotation-invariant",
    "The same elongated bowl (condition number {s.condition:g}) twice: at 0°, its axes along x and y, "
    "and turned by {companion_angle}°, the start turned with it. Gradient descent (lr = {r1.lr}) sees "
    "only the gradient: its path turns with the bowl and ends at the same distance from the minimum. "
    "Adam (lr = {r2.lr}) scales each coordinate separately: at 0° that fits the valley and it arrives "
    "with gradient descent; at {companion_angle}° the valley runs diagonally across x and y, the "
    "scaling no longer fits it, and after {steps} steps it is still far out along the valley.",
    "quadratic", (R("gd", 0.5), R("adam", 0.1)), steps=80, start=(-2.5, 1.5),
    surface_params=(("condition", 20.0), ("angle", 0.0)),
    companion=((("condition", 20.0), ("angle", 45.0)), _ROTATED), captions=("0°", "45°"),
    claims=(C("same_distance", 1, 1e-6, other=3), C("closer_than", 2, 0.1), C("farther_than", 4, 0.5),
            C("closer_than_other", 2, other=4), C("closer_than_other", 3, other=4))))

_add(Lesson(
    "batch", "Full batch, mini-batch and single examples on real data",
    "Gradient descent with one learning rate ({r1.lr}) fits a line y = w x + b to N = {N} noisy "
    "points; the racers differ only in how many points each gradient uses. The full batch "
    "({r1.label}: all {N} points every step) walks smoothly to the least-squares fit. A mini-batch "
    "of {r2.batch} ({r2.label}) follows nearly the same path but keeps jittering around the fit. "
    "Single examples ({r3.label}) jitter most and never settle: with a constant learning rate, "
    "stochastic gradients reach only a neighbourhood of the minimum, larger for smaller batches. "
    "The panel at the right draws each racer's line at the animated step: press Play and the lines "
    "move with the racers.",
    "linear_regression", (R("gd", 0.1), R("gd", 0.1, batch_size=16), R("gd", 0.1, batch_size=1)),
    steps=300, view="2d",
    claims=(C("closer_than", 1, 0.01), C("mean_distance_between", 2, after=200, values=(0.01, 0.1), seeds=10),
            C("wanders_more", 3, 2.0, other=2, after=200, seeds=10), C("closer_than_other", 1, other=2, seeds=10))))

_ARTICLE = _article_values(5.0, 0.1, 20)

_add(Lesson(
    "article", "The article's example: minimize x² from w = 5",
    "The article's loop: start at w = {r1_start}, take {steps} steps of w ← w − lr·2w with lr = {r1.lr}, "
    "printing w after each step. Each step multiplies w by 1 − 2·lr = {r1.factor}: beside the map is "
    "the article's printout, line for line, digit for digit. Then compare: with {r2.label} one step "
    "lands exactly on the minimum (1 − 2·lr = 0); with {r3.label} w jumps across the minimum every "
    "step and still shrinks (|1 − 2·lr| < 1); with {r4.label} it jumps further out every step and "
    "diverges (|1 − 2·lr| > 1).",
    "bowl", (R("gd", 0.1), R("gd", 0.5), R("gd", 0.9), R("gd", 1.1)), steps=20, start=(5.0, 0.0),
    table=True, view="2d",
    claims=(C("matches_values", 1, axis=0, values=_ARTICLE), C("matches_values", 2, axis=0, values=(0.0,)),
            C("sign_changes_at_least", 3, 19, axis=0), C("shrinks", 3, axis=0),
            C("diverges_before", 4, 20))))

_add(Lesson(
    "plateau_rescue", "A learning rate too large, rescued by ReduceLROnPlateau",
    "Curvature {curv_x} along x and {curv_y} along y: gradient descent diverges once lr > {lr_limit}, "
    "and every run here starts at lr = {r1.lr}, so its zig-zag across the valley grows. Constant "
    "({r1.label}), it diverges. ReduceLROnPlateau (patience {r2.sched_patience}, factor {r2.sched_factor}) "
    "cuts the rate once the loss has not improved for more than {r2.sched_patience} step: the zig-zag "
    "stops and the run reaches the minimum. A step schedule (× {r3.sched_gamma} every "
    "{r3.sched_step_size} steps) cuts in time too but keeps cutting, and stalls short of the minimum "
    "along x. With torch's defaults "
    "(patience {r4.sched_patience}, factor {r4.sched_factor}) the first cut comes too late: the zig-zag "
    "has swung far off the map, and the run is still swinging at the last step.",
    "ravine", (R("gd", 1.15),
               R("gd", 1.15, schedule="plateau", schedule_params=(("patience", 1), ("factor", 0.5))),
               R("gd", 1.15, schedule="step", schedule_params=(("step_size", 5), ("gamma", 0.5))),
               R("gd", 1.15, schedule="plateau", schedule_params=(("patience", 10), ("factor", 0.1)))),
    steps=60, start=(-5.0, 0.3), surface_params=(("a", 0.1), ("b", 1.0)),
    claims=(C("diverges_before", 1, 20), C("closer_than", 2, 0.01), C("stays_below", 2, 1.5, axis=1),
            C("stays_below", 3, 1.5, axis=1), C("farther_than", 3, 0.3), C("closer_than_other", 2, other=3),
            # the loss falls for 3 steps (along x), then rises: patience 10 cuts first for step 16
            C("exceeds_after", 4, 10.0, axis=1), C("runs_every_step", 4), C("farther_than", 4, 0.2),
            C("closer_than_other", 2, other=4))))


_TH = theory.quadratic_theory(landscapes.get("ravine"))  # the default ravine: a = 0.1, b = 2, κ = 20
_MEASURE = (theory.MEASURE_FROM, theory.MEASURE_TO)  # steps between which a rate is fitted

_add(Lesson(
    "theory", "Theory beside measurement: the best gradient descent vs the best momentum",
    "The ravine's Hessian has eigenvalues λmin = {lam_min} and λmax = {lam_max}: condition number "
    "κ = {kappa}. Gradient descent's best constant rate is lr = 2/(λmin+λmax) = {r1.lr} "
    "({r1.label}); theory says it shrinks the distance to the minimum by (κ−1)/(κ+1) = {gd_rate} "
    "per step. Heavy-ball momentum at Goh's optimum (\"Why Momentum Really Works\", Distill), "
    "α* = (2/(√λmin+√λmax))² = "
    "{r2.lr} and β* = ((√κ−1)/(√κ+1))² = {r2.momentum} ({r2.label}; torch's lr multiplies the whole "
    "buffer, so lr = α*, momentum = β*), shrinks it by (√κ−1)/(√κ+1) = {hb_rate}: far fewer steps "
    "for the same accuracy. The claims below measure both rates between steps {rate_from} and "
    "{rate_to} on the "
    "loss curve (f − f* shrinks by the square of the rate); the dashed lines on the loss plot are "
    "the predicted rates.",
    "ravine", (R("gd", _TH.gd_best_lr), R("momentum", _TH.momentum_best_alpha,
                                          (("momentum", _TH.momentum_best_beta),))),
    steps=150,
    claims=(C("rate_near", 1, 0.03, values=(_TH.gd_best_rate, _MEASURE[0], _MEASURE[1])),
            C("rate_near", 2, 0.03, values=(_TH.momentum_best_rate, _MEASURE[0], _MEASURE[1])),
            C("closer_than_other", 2, other=1))))


# --- issue 23: a lesson that uses the scrub sliders (self-contained; keep it last) ---------------

_SCRUB_LR = 0.125   # racer 1's rate; the slider offers 0.125·10^(k/10), k = −10 … 10 (scrub.py)

_add(Lesson(
    "largest_stable_lr", "Find the largest stable learning rate (drag the slider)",
    "Gradient descent on the ravine, whose curvature is {curv_y} across the valley: a step "
    "multiplies the distance across by |1 − lr·{curv_y}|, so it shrinks only while lr < 2/{curv_y} "
    "= {lr_limit}. Drag the learning-rate slider of {r1.label} (top right of the figure): its "
    "path bends at once, from a slow slide at small rates to a zig-zag, and then runs off the map. "
    "The slider's values grow in equal ratios from a tenth of {r1.lr} to ten times it; "
    "the largest stable one is {r2.lr} ({r2.label}: a zig-zag across the valley that barely "
    "shrinks), the next one, {r3.lr} ({r3.label}), diverges. Release the slider to make a value the racer's own.",
    "ravine", (R("gd", _SCRUB_LR), R("gd", _SCRUB_LR * 10 ** 0.6), R("gd", _SCRUB_LR * 10 ** 0.7)),
    steps=100,
    claims=(C("runs_every_step", 1), C("no_sign_change", 1, axis=1), C("runs_every_step", 2),
            C("sign_changes_at_least", 2, 50, axis=1), C("farther_than", 2, 0.5),
            C("diverges_before", 3, 20))))
