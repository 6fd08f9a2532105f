"""The app's state as plain records: what the page shows, every default written once here.

``AppState()`` is the race a share link without ``lesson=`` starts from
(``links.from_query``); which lesson a visit without any link opens is the
app's decision (``ui.setup``). No Streamlit, no lesson content here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from config import OptimizerChoice, Racer, RunConfig

# The first screen's race: gradient descent, momentum and Adam on Rosenbrock from its classic
# start (the lesson "first" races the same three: tests/test_app.py checks they agree).
DEFAULT_RACERS = (Racer(OptimizerChoice.build("gd", 1e-3)), Racer(OptimizerChoice.build("momentum", 1e-3)),
                  Racer(OptimizerChoice.build("adam", 0.05)))
DEFAULT_RUN = RunConfig(racers=DEFAULT_RACERS)

TABS = ("race", "sweep", "heatmap", "basins", "training")
BASIN_RESOLUTIONS = (100, 200, 400)


@dataclass(frozen=True)
class ViewOptions:
    view: str = "both"
    speed: str = "normal"
    present: bool = False
    log_loss: bool = True
    full_paths: bool = False    # draw whole paths at once instead of trails growing during Play
    vectors: bool = False       # each step's vectors on the map (figures.step_vectors)
    # the racer (1-based) whose sliders scrub it in the browser; 0 (the default): none. Off by
    # default: the sliders take room above the 3-D view and add to every default page's message
    scrub: int = 0


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

    @property
    def auto_range(self) -> bool:
        return self.lr_min is None


TRAINING_TASKS = ("moons", "spirals")   # training.tasks.TASKS, in the order the page lists them


@dataclass(frozen=True)
class TrainingOptions:
    """The *Train a network* view's own settings: the task (its data set), the network
    (``layers`` hidden tanh layers of ``width`` units), the training steps and each racer's
    batch size (``batches[i]``, None or missing: the full batch; trailing Nones are dropped,
    so equal settings compare equal). The optimizers, rates, schedules and seed are the
    sidebar's racers'; the bounds are ``training.train``'s (checked there, with messages)."""

    task: str = "moons"
    width: int = 16
    layers: int = 2
    steps: int = 300
    batches: tuple = ()

    def __post_init__(self):
        b = tuple(self.batches)
        while b and b[-1] is None:
            b = b[:-1]
        object.__setattr__(self, "batches", b)

    @property
    def hidden(self) -> tuple[int, ...]:
        return (int(self.width),) * int(self.layers)

    def batch(self, i: int) -> int | None:
        return self.batches[i] if i < len(self.batches) else None


@dataclass(frozen=True)
class AppState:
    run: RunConfig = DEFAULT_RUN
    view: ViewOptions = field(default_factory=ViewOptions)
    lesson: str | None = None   # the lesson whose text is shown (``lesson=KEY`` in a link)
    hyper: HyperView = field(default_factory=HyperView)
    training: TrainingOptions = field(default_factory=TrainingOptions)   # the training view's settings


DEFAULT = AppState()   # every default at hand: DEFAULT.hyper.resolution, DEFAULT.view.speed, …
