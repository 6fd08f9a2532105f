"""Lessons on a real network's training paths, with claims checked against the run.

A lesson is a training race (``TrainConfig``), a text and claims. As in
``lessons.py``, a claim is data (a kind, the racer(s), a threshold) measured on
the computed run, never typed as a result; the text's numbers are the run's own
(its measured values, filled in from the run, never typed twice).

Registration: ``TRAINING_LESSONS`` maps key -> ``TrainingLesson``;
``check(lesson)`` returns ``(run, plane, verdicts)`` where each verdict has
``text``, ``measured`` and ``holds`` like ``lessons.Verdict``.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, replace
from types import SimpleNamespace

import numpy as np

from .plane import Plane, interpolation
from .train import Racer, Run, TrainConfig


@dataclass(frozen=True)
class TrainingClaim:
    """``kind`` (see ``measure``), ``racer`` and ``other`` 1-based, ``value`` a threshold;
    ``seeds`` > 0: a claim about a racer on mini-batches, measured with each of the noise
    seeds 0 … seeds − 1 (the batches' seed; the data and θ₀ stay the lesson's) and holding
    only if it holds with every one."""

    kind: str
    racer: int = 1
    value: float = 0.0
    other: int = 0
    seeds: int = 0

    def seeds_text(self) -> str:
        return f", with each of the {self.seeds} noise seeds 0–{self.seeds - 1} of the mini-batches" if self.seeds \
            else ""

    def text(self, labels: list[str]) -> str:
        return self._text(labels) + self.seeds_text()

    def _text(self, labels: list[str]) -> str:
        r = labels[self.racer - 1] if self.racer else ""
        o = labels[self.other - 1] if self.other else ""
        v = f"{self.value:g}"
        return {
            "accuracy_at_least": lambda: f"{r} classifies at least {100 * self.value:g}% of the training data right",
            "lower_loss_than": lambda: f"{r} ends at a lower training loss than {o}",
            "plane_explains": lambda: f"the plane through {r}'s end: its two directions explain at least "
                                      f"{100 * self.value:g}% of the variance of the paths",
            "in_plane_at_least": lambda: f"at least {100 * self.value:g}% of {r}'s own path lies in the plane",
            "travels_farther": lambda: f"{r} ends farther from the shared start θ₀ than {o}",
            "ends_apart": lambda: f"{r} and {o} end more than {v} apart (in parameter space)",
            "loss_above": lambda: f"{r} ends with its training loss still above {v}",
            "in_plane_below": lambda: f"less than {100 * self.value:g}% of {r}'s own path lies in the plane",
            "monotone_line": lambda: f"the loss falls all the way along the straight line from θ₀ to {r}'s end "
                                     f"(no barrier, as Goodfellow et al. 2015 found)",
        }[self.kind]()


@dataclass(frozen=True)
class TrainingVerdict:
    claim: TrainingClaim
    text: str
    measured: str
    holds: bool


def measure(c: TrainingClaim, run: Run, plane: Plane) -> tuple[str, bool]:
    r, o = c.racer - 1, c.other - 1
    if c.kind == "accuracy_at_least":
        a = float(run.accuracy[r])
        return f"{100 * a:.1f}%", a >= c.value
    if c.kind == "lower_loss_than":
        a, b = float(run.losses[r, run.last(r)]), float(run.losses[o, run.last(o)])
        return f"{a:.4g} against {b:.4g}", a < b
    if c.kind == "plane_explains":
        e = sum(plane.explained)
        return f"{100 * plane.explained[0]:.1f}% + {100 * plane.explained[1]:.1f}% = {100 * e:.1f}%", e >= c.value
    if c.kind == "in_plane_at_least":
        s = plane.own_share[r]
        return f"{100 * s:.1f}%", s >= c.value
    if c.kind == "travels_farther":
        a = float(np.linalg.norm(run.final(r) - run.theta0))
        b = float(np.linalg.norm(run.final(o) - run.theta0))
        return f"‖θₙ − θ₀‖ = {a:.3g} against {b:.3g}", a > b
    if c.kind == "ends_apart":
        d = float(np.linalg.norm(run.final(r) - run.final(o)))
        return f"{d:.3g}", d > c.value
    if c.kind == "loss_above":
        a = float(run.losses[r, run.last(r)])
        return f"{a:.4g}", a > c.value
    if c.kind == "in_plane_below":
        sh = plane.own_share[r]
        return f"{100 * sh:.1f}%", sh < c.value
    if c.kind == "monotone_line":
        alphas = np.linspace(0.0, 1.0, 201)
        loss = interpolation(run, r, alphas)
        rises = int(np.sum(np.diff(loss) > 0))
        return (f"{loss[0]:.4g} → {loss[-1]:.4g}, rising on {rises} of 200 segments", rises == 0)
    raise ValueError(f"unknown claim kind {c.kind!r}")


@dataclass(frozen=True)
class TrainingLesson:
    key: str
    title: str
    text: str           # a template: {r1.label}, {r1.loss}, {pc1}, {pc2}, {steps}, {P}, {N}, …
    config: TrainConfig
    claims: tuple[TrainingClaim, ...] = ()

    def render(self, run: Run, plane: Plane) -> str:
        fields = {"steps": run.config.steps, "N": run.config.n, "P": run.theta0.size,
                  "net": " → ".join(map(str, run.sizes)), "chance": f"{np.log(2):.3f}",
                  "pc1": f"{100 * plane.explained[0]:.1f}%", "pc2": f"{100 * plane.explained[1]:.1f}%"}
        for r, label in enumerate(run.labels):
            fields[f"r{r + 1}"] = SimpleNamespace(
                label=label, loss=f"{run.losses[r, run.last(r)]:.3g}", acc=f"{100 * run.accuracy[r]:.0f}%",
                share=f"{100 * plane.own_share[r]:.0f}%", off=f"{plane.end_distance[r]:.2g}",
                travel=f"{np.linalg.norm(run.final(r) - run.theta0):.3g}",
                batch="the full batch" if run.config.racers[r].batch_size is None
                else f"mini-batches of {run.config.racers[r].batch_size}")
        return string.Formatter().vformat(self.text, (), fields)


def check(lesson: TrainingLesson) -> tuple[Run, Plane, list[TrainingVerdict]]:
    from .view import compute   # the figures' module: imported when a lesson is run, not with the lessons
    run, plane = compute(lesson.config)
    labels = run.labels
    races = {}   # noise seed -> (run, plane): each seed's race trained once for all the claims

    def race(k: int) -> tuple[Run, Plane]:
        if k not in races:
            cfg = lesson.config
            seeded = cfg if k == cfg.batch_seed else replace(cfg, noise_seed=k)   # the lesson's own: cached
            races[k] = compute(seeded, keep=seeded is cfg)
        return races[k]

    out = []
    for c in lesson.claims:
        measured, holds = (measure_over_seeds(c, race) if c.seeds else measure(c, run, plane))
        out.append(TrainingVerdict(c, c.text(labels), measured, bool(holds)))
    return run, plane, out


def measure_over_seeds(c: TrainingClaim, race) -> tuple[str, bool]:
    """A claim about mini-batches measured with each noise seed 0 … seeds − 1 (``race(k)``:
    the race retrained with those batches; its full-batch racers are cached, only the
    mini-batch racers train again); it holds when it holds with every seed. The text says
    for how many, seed 0's value, and any failure (as ``lessons.measure_over_seeds``)."""
    got = [(k, *measure(c, *race(k))) for k in range(c.seeds)]
    held = sum(bool(h) for _, _, h in got)
    text = f"held with {held} of {c.seeds} seeds; seed 0: {got[0][1]}"
    text += "".join(f"; fails with seed {k}: {m}" for k, m, h in got if not h)
    return text, held == c.seeds


C = TrainingClaim

TRAINING_LESSONS = {
    "train_adam_momentum": TrainingLesson(
        key="train_adam_momentum",
        title="A real network: Adam and momentum from one initialization",
        text=("Both racers train every one of the {P} weights of a {net} tanh network on {N} "
              "two-moons points for {steps} full-batch steps, from the same torch-default initialization θ₀. "
              "The map is the loss over the plane through {r1.label}'s end spanned by the two principal "
              "directions of both paths (Li et al.): they hold {pc1} and {pc2} of the paths' variance. "
              "{r1.label} ends at loss {r1.loss} ({r1.acc} right) after travelling {r1.travel} from θ₀; "
              "{r2.label} ends at loss {r2.loss} ({r2.acc} right) after {r2.travel}, and its end lies {r2.off} "
              "off the plane. Below, the straight line from θ₀ to each end (Goodfellow et al.): "
              "the loss falls all the way, with no barrier to cross."),
        config=TrainConfig(task="moons", steps=300, seed=0,
                           racers=(Racer("adam", 0.01), Racer("momentum", 0.05, {"momentum": 0.9}))),
        claims=(C("accuracy_at_least", 1, 0.95), C("accuracy_at_least", 2, 0.95),
                C("lower_loss_than", 1, other=2), C("plane_explains", 1, 0.9),
                C("in_plane_at_least", 2, 0.9), C("travels_farther", 1, other=2),
                C("ends_apart", 1, 3.0, other=2), C("monotone_line", 1), C("monotone_line", 2)),
    ),
    "train_spirals_batch": TrainingLesson(
        key="train_spirals_batch",
        title="Two spirals: one racer finds the way, two stay near the start",
        text=("Two spirals (a boundary that winds around the origin) with the same {net} network, {steps} "
              "steps from one θ₀. {r1.label} on {r1.batch} ends at loss {r1.loss} ({r1.acc} right), and "
              "{r1.share} of its path lies in the plane. The same optimizer on {r2.batch}, "
              "{r2.label}, ends at {r2.loss} ({r2.acc} right), and {r3.label} at {r3.loss} ({r3.acc}): both "
              "are still near log 2 ≈ {chance}, the loss of a coin toss, and their paths lie "
              "mostly off the plane of the race ({r2.share} and {r3.share} in it): the picture shows their "
              "shadows. Try a larger learning rate for them."),
        config=TrainConfig(task="spirals", steps=400, seed=0,
                           racers=(Racer("adam", 0.01), Racer("adam", 0.01, batch_size=16),
                                   Racer("momentum", 0.05, {"momentum": 0.9}))),
        claims=(C("accuracy_at_least", 1, 0.95), C("in_plane_at_least", 1, 0.9, seeds=10),
                C("lower_loss_than", 1, other=2, seeds=10), C("lower_loss_than", 1, other=3),
                C("loss_above", 2, 0.6, seeds=10), C("loss_above", 3, 0.6),
                C("in_plane_below", 2, 0.5, seeds=10), C("in_plane_below", 3, 0.5, seeds=10)),
    ),
}
