"""The lessons on a real network's training (``training.lesson``) in the lesson menu.

A ``NetworkLesson`` wraps a ``training.lesson.TrainingLesson`` with what every lesson
offers the page, the links and the command line: its racers as ``RacerPreset``s (the
sidebar's optimizers), a ``run_config()`` (those racers on the network slice of the
same two-moons network, ``nn_slice``: what the *Race* view shows beside the training),
its training view's settings (``training``: task, network, steps, batch sizes; the view
it opens is ``tab``), its text rendered from the computed run and its checked claims
(``check``: verdicts shaped like ``claims.Verdict``).

Pure: no Streamlit, no Plotly (the training run is imported when a lesson is run).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from config import RunConfig
from state import TrainingOptions
from training.lesson import TRAINING_LESSONS, TrainingLesson

from .content import RacerPreset

SURFACE = "nn_slice"   # the 2-D toy of the same network, shown by the Race view


@dataclass(frozen=True)
class NetworkLesson:
    lesson: TrainingLesson
    surface: str = SURFACE
    tab: str = "training"         # the view a lesson opens
    view: str = "both"            # the race view's views, as a race lesson's
    companion: tuple = ()
    captions: tuple = ()
    table: bool = False
    coordinates: bool = False

    # the training lesson's own fields, read through
    key = property(lambda self: self.lesson.key)
    title = property(lambda self: self.lesson.title)
    text = property(lambda self: self.lesson.text)
    claims = property(lambda self: self.lesson.claims)
    config = property(lambda self: self.lesson.config, doc="The training race (``training.TrainConfig``).")

    @property
    def racers(self) -> tuple[RacerPreset, ...]:
        return tuple(RacerPreset(r.optimizer, r.lr, tuple(sorted(dict(r.hp).items())), r.schedule,
                                 tuple(sorted(dict(r.schedule_params).items())), batch_size=r.batch_size)
                     for r in self.config.racers)

    @property
    def training(self) -> TrainingOptions:
        cfg = self.config
        widths = set(cfg.hidden)
        if len(widths) != 1:
            raise ValueError(f"{self.key}: the page's network has one width for every hidden layer")
        return TrainingOptions(cfg.task, widths.pop(), len(cfg.hidden), cfg.steps,
                               tuple(r.batch_size for r in cfg.racers))

    def run_config(self) -> RunConfig:
        return self._run_config

    @functools.cached_property
    def _run_config(self) -> RunConfig:   # built once (the lesson is frozen and lives for the process)
        return RunConfig(self.surface, (), tuple(p.build(self.surface) for p in self.racers), self.config.steps,
                         None, self.config.seed)

    def train_config(self, run: RunConfig, training: TrainingOptions):
        """The training race the page's settings give (``run``'s racers, ``training``'s settings)."""
        from training.view import config_for_state
        return config_for_state(run, training)

    def changed_by(self, run: RunConfig, training: TrainingOptions) -> bool:
        """Whether the page trains another race than the lesson's (the surface and start do not train)."""
        from training.view import same_race
        return not same_race(self.train_config(run, training), self.config)

    def render(self, labels: list[str] | None = None) -> str:
        """The text with its numbers filled in from the computed run (the labels are the run's own)."""
        from training.view import compute
        return self.lesson.render(*compute(self.config))

    def claim_texts(self, labels: list[str]) -> list[str]:
        return [c.text(labels) for c in self.claims]

    def check(self) -> tuple:
        """``(run config, racer rows, verdicts)`` as ``claims.check`` returns them: the rows are
        the training view's table (``label`` added), the verdicts ``text``/``measured``/``holds``."""
        from training.lesson import check
        from training.view import table
        run, plane, verdicts = check(self.lesson)
        rows = [{"label": row["racer"], **row} for row in table(run, plane)]
        return self.run_config(), rows, verdicts


NETWORK_LESSONS = {k: NetworkLesson(v) for k, v in TRAINING_LESSONS.items()}
