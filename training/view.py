"""The whole training view, as figures and plain values (no Streamlit).

``training_view(cfg)`` trains the race (each racer cached on its own, so a new
learning rate for one racer retrains only that racer), finds the shared plane,
and returns:

* ``figure``: the race figure of ``figures.trajectories`` over the plane (the
  contour map and the 3-D surface of the loss on the plane, the projected paths
  animated by Play, each axis labelled with its explained variance) with the
  data panel at the right (the data and each racer's decision boundary at the
  animated step: the real network θᵢ, not its shadow on the plane);
* ``interpolation``: Goodfellow et al.'s loss along θ₀ → θₙ for every racer;
* ``loss``: each racer's full-batch training loss against the step;
* ``rows``: the results table (plain dicts), and ``plane``/``run`` themselves.

The page calls ``training_view(config_for_race(run), view=..., presentation=...,
speed=...)`` (a ValueError carries the message to show) and draws ``figure``
(with ``livechart.plotly_chart``), ``interpolation``, ``loss`` and ``rows``.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np
import plotly.graph_objects as go

import optimizers

from figures.data_panel import DataPanel
from figures.raster import compact
from figures.scale import Display, SurfaceGrids, SurfaceScale
from figures.style import colour, dash, font_size, line_width, tick_size
from figures.trajectories import PathView, RaceFigure, loss_figure, trajectory_figure
from landscapes.base import Surface

from . import network, tasks
from .plane import Plane, interpolation, plane_of
from .train import Racer, Run, TrainConfig, train, train_racer, validate

GRID = 61                 # the plane's grid per axis: 3-D mesh and contour picture (one evaluation)
PICTURE = 4               # the contour picture: the grid bilinearly refined 4x (as a contour trace draws)
ALPHAS = np.linspace(-0.25, 1.25, 121)
CAMERA_BACK = 1.2         # the 3-D camera's distance, relative to the race figure's
KEPT = 64                 # racers' runs kept (a few MB each at most)
PLANES_KEPT = 8           # races kept with their plane and its grid (~1 MB each)
_RUNS: OrderedDict = OrderedDict()
_PLANES: OrderedDict = OrderedDict()
_LOCK = threading.Lock()


class LossDisplay(Display):
    """log₁₀ of the loss itself (a cross-entropy is > 0; its infimum is 0)."""

    @property
    def label(self) -> str:
        return "log₁₀ loss"


def cached_racer(cfg: TrainConfig, i: int) -> dict:
    """Racer i's run, cached on what it depends on: the data, the network, the
    steps, the seed, its index and its own settings (not the other racers)."""
    key = (cfg.task, cfg.n, cfg.data_noise, cfg.hidden, cfg.steps, cfg.seed, _batch_seed(cfg, i), i,
           repr(cfg.racers[i]))
    with _LOCK:
        if key in _RUNS:
            _RUNS.move_to_end(key)
            return _RUNS[key]
    out = train_racer(cfg, i)
    with _LOCK:
        _RUNS[key] = out
        while len(_RUNS) > KEPT:
            _RUNS.popitem(last=False)
    return out


def _batch_seed(cfg: TrainConfig, i: int) -> int | None:
    """The noise seed racer i depends on: its mini-batches' seed, None on the full batch."""
    b = cfg.racers[i].batch_size
    return None if b is None or b >= cfg.n else cfg.batch_seed


def plane_surface(plane: Plane) -> Surface:
    """The plane as a surface-like object for the race figure (f only)."""
    def f(p):
        return plane.loss(np.asarray(p, dtype=float))

    def nothing(p):
        raise NotImplementedError("the plane of a training race has no optimizer running on it")

    return Surface(name=f"training plane {plane.run.digest}", title="Loss on the plane of the training paths",
                   latex="", f=f, grad=nothing, hessian=nothing, domain=plane.domain, minima=(),
                   default_start=(0.0, 0.0), lesson="", log_levels=True)


def plane_grids(plane: Plane, resolution: int = GRID) -> SurfaceGrids:
    """What the race figure draws of the plane: one exact evaluation of the loss
    on a ``resolution``² grid serves the 3-D mesh and the contour picture,
    coloured by log₁₀ of the loss. Kept on the plane (one per resolution)."""
    kept = plane.__dict__.setdefault("_surface_grids", {})
    if resolution not in kept:
        kept[resolution] = _plane_grids(plane, resolution)
    return kept[resolution]


def _plane_grids(plane: Plane, resolution: int) -> SurfaceGrids:
    xs, ys, z = plane.grid(resolution)
    disp = LossDisplay(True, 0.0, 1e-300)   # log₁₀ of the loss itself (the offset only keeps log(0) finite)
    zd = disp(z)
    ok = zd[np.isfinite(zd)]
    lo, hi = (float(ok.min()), float(np.quantile(ok, 0.995))) if ok.size else (0.0, 1.0)
    scale = SurfaceScale(disp, lo, hi if hi > lo else lo + 1.0)
    surface_z = np.where(np.isfinite(z), np.minimum(scale.clip(z), scale.hi), np.nan)
    cx, cy = np.meshgrid(xs[::max(1, resolution // 20)], ys[::max(1, resolution // 20)])
    cz = disp(plane.loss(np.stack([cx, cy], axis=-1)))
    return SurfaceGrids(plane_surface(plane), scale, xs, ys, surface_z, compact(scale.picture(refine(z, PICTURE))),
                        (cx.ravel(), cy.ravel(), cz.ravel()), None)


def refine(z: np.ndarray, k: int) -> np.ndarray:
    """``z`` on a k-times finer grid by bilinear interpolation between its values:
    what a Plotly contour trace does between grid points to draw its levels."""
    h, w = z.shape
    u, v = np.linspace(0, w - 1, k * (w - 1) + 1), np.linspace(0, h - 1, k * (h - 1) + 1)
    rows = np.stack([np.interp(u, np.arange(w), row) for row in z])
    return np.stack([np.interp(v, np.arange(h), col) for col in rows.T], axis=1)


def racer_ids(run: Run) -> list[float]:
    """One number per racer that names its run (its settings, the data, the network,
    the steps, the seed and its index): whole floats below 2⁵², exact in a float64."""
    c = run.config
    out = []
    for i, rc in enumerate(c.racers):
        key = repr((c.task, c.n, c.data_noise, c.hidden, c.steps, c.seed, _batch_seed(c, i), i, rc)).encode()
        out.append(float(int(hashlib.md5(key, usedforsecurity=False).hexdigest()[:13], 16)))
    return out


class RunPanel(DataPanel):
    """The data panel, with each racer's model the real network at the step
    (racer r's path is looked up by (its run's id, step), not by its shadow on
    the plane; the ids keep the traced boundaries of a racer that did not change
    in the panel's cache, so a new learning rate for one racer traces only its own)."""

    def attach(self, data, layout, frames, paths, steps, **kw):
        ids = racer_ids(self.surface.run)
        keyed = [replace(p, xy=np.stack([np.full(len(p.xy), ids[p.index]), np.arange(len(p.xy), dtype=float)],
                                        axis=-1)) for p in paths]
        return super().attach(data, layout, frames, keyed, steps, **kw)


def _panel_surface(run: Run):
    """What ``DataPanel`` reads of a data surface, with ``predict`` taking rows
    (racer id, step) to the network's p(class 1)."""
    from types import SimpleNamespace
    which = {v: r for r, v in enumerate(racer_ids(run))}

    def predict(rows, pts):
        # float32: a boundary is traced on a 40 x 40 grid and rounded to 1/400 of the
        # panel, far coarser than float32's rounding; tanh in float32 costs a tenth
        rows = np.asarray(rows, dtype=float).reshape(-1, 2)
        r = np.array([which[v] for v in rows[:, 0].tolist()], dtype=int)
        thetas = run.thetas[r, rows[:, 1].astype(int)].astype(np.float32)
        return network.predict(thetas, np.asarray(pts, dtype=np.float32), run.sizes).astype(float)

    return SimpleNamespace(name="training", params={}, data=run.data, model="mlp", predict=predict, run=run)


@dataclass
class TrainingView:
    run: Run
    plane: Plane
    figure: object            # the race figure (dict with raw=True, else go.Figure)
    interpolation: go.Figure
    loss: go.Figure
    rows: list[dict]
    axis_titles: tuple[str, str]


def axis_titles(plane: Plane) -> tuple[str, str]:
    e1, e2 = plane.explained
    return (f"PC1 ({100 * e1:.1f}%)", f"PC2 ({100 * e2:.1f}%)")


def race_figure(run: Run, plane: Plane, *, view: str = "both", presentation: bool = False,
                speed: str = "normal", raw: bool = False, animated: bool = True):
    grids = plane_grids(plane)
    paths = [PathView.from_trajectory(label, r, plane.coords[r], plane.path_losses[r],
                                      run.status[r] if run.status[r] == "diverged" else "",
                                      int(run.stopped_at[r]))
             for r, label in enumerate(run.labels)]
    start = tuple(float(v) for v in plane.coords[plane.reference][0])
    panel = RunPanel(_panel_surface(run), *_box(run.data.X))
    fig = trajectory_figure(grids, paths, start, run.config.steps, view=view, presentation=presentation,
                            speed=speed, click_grid=False, raw=True, animated=animated, panel=panel,
                            # on a projector the stage's title names the task and the axes the shares:
                            # the figure's own title would take the map's room
                            title=None if presentation else
                            f"{tasks.get(run.config.task).title}: training paths on the loss over their "
                            f"principal plane (axes: % of the paths' variance)")
    t1, t2 = axis_titles(plane)
    lay = fig["layout"]
    if "xaxis" in lay:
        # PC1's title at the axis's right end: the Play/Pause buttons sit under its left part
        lay["xaxis"]["title"]["text"] = ""
        lay.setdefault("annotations", []).append(dict(
            text=t1, xref="x domain", yref="y domain", x=1.0, y=0.0, xanchor="right", yanchor="top", yshift=-22,
            showarrow=False, font=lay["xaxis"]["title"].get("font", {}), name="pc1"))
        lay["yaxis"]["title"]["text"] = t2
        lay["yaxis"].pop("scaleanchor", None)   # PC2 is usually far shorter than PC1: each axis its own scale
        lay["yaxis"].pop("scaleratio", None)
    if "xaxis" in lay and "scene" in lay:
        # the map fills its height here (each axis its own scale): a little of its width goes
        # to the 3-D view, which stays at least as large as the map (issue 20)
        x0, x1 = lay["scene"]["domain"]["x"]
        shift = round(0.06 * x0, 4)
        lay["scene"]["domain"]["x"] = [x0 - shift, x1]
        lay["xaxis"]["domain"] = [lay["xaxis"]["domain"][0], lay["xaxis"]["domain"][1] - shift]
        for menu in lay.get("updatemenus", []):
            menu["x"] = round(menu["x"] - shift, 4)
        for slider in lay.get("sliders", []):
            slider["x"], slider["len"] = round(slider["x"] - shift, 4), round(slider["len"] + shift, 4)
    if "scene" in lay:   # beside the map (which carries the shares) short titles: 18 px ones ran together
        short = "xaxis" in lay
        lay["scene"]["xaxis"]["title"]["text"] = "PC1" if short else t1
        lay["scene"]["yaxis"]["title"]["text"] = "PC2" if short else t2
        # the camera a little farther: WebGL clips a label at the scene's edge, and the
        # z title (log₁₀ loss) sat across the left edge of a 1280x720 stage
        eye = lay["scene"].get("camera", {}).get("eye")
        if eye:
            lay["scene"]["camera"]["eye"] = {k: v * CAMERA_BACK for k, v in eye.items()}
    return fig if raw else RaceFigure(fig["data"], fig["layout"], fig["frames"])


def _box(X):
    from figures.data_panel import _box as box
    return box(np.asarray(X, dtype=float))


def interpolation_figure(run: Run, *, presentation: bool = False) -> go.Figure:
    """Goodfellow et al. 2015: the loss along the straight line θ₀ → θₙ, per racer."""
    fs, ts = font_size(presentation), tick_size(presentation)
    data = []
    R = len(run.labels)
    for r, label in enumerate(run.labels):
        y = interpolation(run, r, ALPHAS)
        data.append(dict(type="scatter", x=ALPHAS.tolist(), y=y.tolist(), mode="lines", name=label,
                         line=dict(color=colour(r), width=line_width(r, R, presentation), dash=dash(r)),
                         hovertemplate=f"{label}<br>α = %{{x:.3f}}<br>loss %{{y:.6g}}<extra></extra>"))
    layout = dict(height=300, font=dict(size=fs), margin=dict(l=60, r=20, t=40, b=40),
                  title=dict(text="Loss on the straight line (1 − α)θ₀ + α θₙ", font=dict(size=fs)),
                  xaxis=dict(title=dict(text="α (0: the shared start θ₀, 1: the racer's end θₙ)"),
                             tickfont=dict(size=ts)),
                  yaxis=dict(title=dict(text="training loss (log scale)"), type="log", exponentformat="power",
                             tickfont=dict(size=ts)),
                  shapes=[dict(type="line", xref="x", yref="paper", x0=v, x1=v, y0=0, y1=1,
                               line=dict(color="rgba(128,128,128,0.6)", dash="dot")) for v in (0, 1)],
                  legend=dict(orientation="h", y=-0.3, font=dict(size=ts)))
    return go.Figure(dict(data=data, layout=layout))


def training_loss_figure(run: Run, *, presentation: bool = False) -> go.Figure:
    paths = [PathView.from_trajectory(label, r, np.zeros((run.last(r) + 1, 2)), run.losses[r, :run.last(r) + 1],
                                      run.status[r] if run.status[r] == "diverged" else "",
                                      int(run.stopped_at[r]))
             for r, label in enumerate(run.labels)]
    fig = loss_figure(paths, log=True, presentation=presentation, minimum=0.0)
    # short: "full-batch training loss (log scale)" was cut off at the stage's font size
    fig.update_yaxes(title_text="training loss")
    return fig


def table(run: Run, plane: Plane) -> list[dict]:
    rows = []
    for r, label in enumerate(run.labels):
        last = run.last(r)
        rows.append({
            "racer": label,
            "final loss": float(run.losses[r, last]),
            "accuracy": float(run.accuracy[r]),
            "status": (f"diverged at step {int(run.stopped_at[r])}" if run.status[r] == "diverged"
                       else "ran every step"),
            "share of its path in the plane": plane.own_share[r],
            "end's distance from the plane": plane.end_distance[r],
            "distance travelled ‖θₙ − θ₀‖": float(np.linalg.norm(run.thetas[r, last] - run.theta0)),
            "end PC1": float(plane.coords[r][-1][0]),
            "end PC2": float(plane.coords[r][-1][1]),
        })
    return rows


def config_for_race(run, task: str = "moons", *, hidden: tuple[int, ...] | None = None, steps: int | None = None,
                    batches=None) -> TrainConfig:
    """The page's race (a ``config.RunConfig``) as a training race: each racer's
    optimizer, learning rate, hyperparameters and schedule train the network on
    ``task`` from the race's seed. ``hidden`` (default the task's), ``steps`` (default
    the race's) and ``batches`` (racer i's batch size ``batches(i)``, None: the full
    batch; default the racers' own) are the training view's settings. Gradient noise σ
    does not apply (a mini-batch is the network's noise). Not validated: ``compute``
    does, with a message naming the field."""
    racers = []
    for i, r in enumerate(run.racers):
        choice = r.choice
        hp = {k: v for k, v in dict(choice.hp).items() if k != "lr"}
        batch = r.batch_size if batches is None else batches(i)
        racers.append(Racer(choice.name, float(choice.lr), hp, r.schedule.name, dict(r.schedule.params),
                            batch, bool(getattr(r, "drop_last", False)) if batches is None else False))
    return TrainConfig(task=task, hidden=tasks.get(task).hidden if hidden is None else tuple(hidden),
                       steps=int(run.steps) if steps is None else int(steps), seed=int(run.seed),
                       racers=tuple(racers))


def config_for_state(run, options) -> TrainConfig:
    """The training race of the page: the sidebar's racers (``run``) with the training
    view's own settings (``state.TrainingOptions``: task, network, steps, batch sizes)."""
    return config_for_race(run, options.task, hidden=options.hidden, steps=options.steps, batches=options.batch)


def same_race(a: TrainConfig, b: TrainConfig) -> bool:
    """Whether two training races train the same way: every hyperparameter compared with
    its default filled in (``{"momentum": 0.9}`` is the sidebar's full set of momentum's)."""
    def norm(c: TrainConfig):
        try:
            c = validate(c)
        except ValueError:
            return repr(c)
        racers = tuple(replace(r, hp=tuple(sorted(optimizers.get(r.optimizer).check_hyperparameters(
            dict(r.hp)).items())), schedule_params=tuple(sorted(dict(r.schedule_params).items()))) for r in c.racers)
        return repr(replace(c, racers=racers))
    return norm(a) == norm(b)


def compute(cfg: TrainConfig, *, keep: bool = True) -> tuple[Run, Plane]:
    """The race (racers cached one by one) and its plane (cached with its grid
    for the last ``PLANES_KEPT`` races: a rerun with nothing changed recomputes nothing).
    ``keep=False``: the plane is not kept (a claim measured over ten noise seeds must not
    push the page's own races out of the cache)."""
    cfg = validate(cfg)
    key = cfg.key()
    with _LOCK:
        if key in _PLANES:
            _PLANES.move_to_end(key)
            return _PLANES[key]
    run = train(cfg, racer_run=cached_racer)
    out = (run, plane_of(run))
    if keep:
        with _LOCK:
            _PLANES[key] = out
            while len(_PLANES) > PLANES_KEPT:
                _PLANES.popitem(last=False)
    return out


def training_view(cfg: TrainConfig, *, view: str = "both", presentation: bool = False, speed: str = "normal",
                  raw: bool = True, animated: bool = True) -> TrainingView:
    """Everything the page draws for a training race (raises ValueError for a bad config)."""
    run, plane = compute(cfg)
    fig = race_figure(run, plane, view=view, presentation=presentation, speed=speed, raw=raw, animated=animated)
    return TrainingView(run, plane, fig, interpolation_figure(run, presentation=presentation),
                        training_loss_figure(run, presentation=presentation), table(run, plane),
                        axis_titles(plane))
