"""One racing optimizer's controls in the sidebar: optimizer, learning rate, and under
an expander its hyperparameters, schedule, noise (or batch size) and own start."""
from __future__ import annotations

import streamlit as st

import messages

import config
import figures
import landscapes
import optimizers
import presets
from config import OptimizerChoice, Racer, ScheduleChoice
from optimizers import schedules
from ui import keys
from ui.params import param_input
from ui.setup import surface_params_now

SS = st.session_state


def on_optimizer(i: int) -> None:
    """A new optimizer for racer i: its suggested learning rate for the surface."""
    if SS.get(keys.opt(i)) in optimizers.names() and SS.get("surface") in landscapes.names():
        SS[keys.lr(i)] = presets.suggested_lr(SS[keys.opt(i)], SS["surface"], surface_params_now())


def racer_controls(i: int, surface: str, sp: tuple, errors: list[str]) -> Racer | None:
    """Racer i's widgets; returns its validated Racer, or None (the error shown and added to ``errors``)."""
    colour = figures.colour(i)
    st.markdown(f"<span style='color:{colour};font-size:1.3em'>●</span> **Optimizer {i + 1}**",
                unsafe_allow_html=True)
    name = st.selectbox("optimizer", optimizers.names(), key=keys.opt(i), on_change=on_optimizer, args=(i,),
                        format_func=lambda n: f"{n}: {optimizers.get(n).title}",
                        label_visibility="collapsed")
    opt = optimizers.get(name)
    if keys.lr(i) not in SS:
        SS[keys.lr(i)] = presets.suggested_lr(name, surface, sp)
    lr = st.number_input("learning rate (lr)", min_value=0.0, max_value=config.MAX_LR, key=keys.lr(i),
                         format="%.6g", step=None, help="Typed exactly; the suggested value "
                         "for this surface is set when you change surface or optimizer.")
    surf = landscapes.get(surface, **dict(sp))
    data_surface = isinstance(surf, landscapes.DataSurface)
    batch = batch_control(i, surf) if data_surface else None
    if data_surface:
        SS["_data_n"] = surf.n_samples
    with st.expander("hyperparameters, schedule" + (", last batch" if data_surface else ", noise")):
        hp = {k: param_input(k, keys.hp(i, name, k), h) for k, h in opt.hyperparameters.items()}
        sname = st.selectbox("learning-rate schedule", schedules.names(), key=keys.sched(i),
                             format_func=lambda n: schedules.get(n).title)
        sparams = {k: param_input(k, keys.schedp(i, sname, k), h) for k, h in schedules.get(sname).params.items()}
        noise, drop_last = _noise_or_last_batch(i, data_surface)
        start = _own_start(i)
    try:
        choice = OptimizerChoice.build(name, lr, **hp)
        schedule = ScheduleChoice.build(sname, **sparams)
        batch_size = None
        if data_surface:
            batch_size = config.parse_batch_size(batch, surf.n_samples, f"optimizer {i + 1}: batch size")
            batch_size = None if batch_size == surf.n_samples else batch_size
        return Racer(choice, schedule, config.parse_noise(noise), start, batch_size=batch_size,
                     drop_last=bool(drop_last) and batch_size is not None)
    except ValueError as exc:
        st.error(messages.literal(exc))
        errors.append(f"optimizer {i + 1}: {exc}")
        return None


def _noise_or_last_batch(i: int, data_surface: bool) -> tuple[float, bool]:
    """(noise σ, drop the last batch): real mini-batches replace the noise model on a data surface."""
    if data_surface:
        return 0.0, st.checkbox("drop the last, smaller batch of each epoch", key=keys.droplast(i),
                                help="As torch's DataLoader(drop_last=True): when the batch size "
                                "does not divide N, the remainder of each shuffle is skipped.")
    if keys.noise(i) not in SS:
        SS[keys.noise(i)] = 0.0
    return st.number_input("gradient noise σ", min_value=0.0, max_value=config.MAX_NOISE,
                           key=keys.noise(i), format="%.4g",
                           help="Standard deviation of Gaussian noise added to each gradient "
                           "coordinate: a model of stochastic (mini-batch) gradients."), False


def _own_start(i: int) -> tuple[float, float] | None:
    """Racer i's own start point, or None (the race's)."""
    if not st.checkbox("its own start point", key=keys.own_start(i),
                       help="Start this optimizer somewhere else than the others."):
        return None
    cols = st.columns(2)
    for col, axis in zip(cols, "xy"):
        key = keys.start(i, axis)
        if key not in SS:
            SS[key] = float(SS.get(axis, 0.0))
        col.number_input(f"start {axis}", key=key, format="%.4g", min_value=-config.MAX_ABS_COORD,
                         max_value=config.MAX_ABS_COORD)
    return float(SS[keys.start(i, "x")]), float(SS[keys.start(i, "y")])


def batch_control(i: int, surf) -> float:
    """The batch-size input of racer ``i`` on a data surface (starts at N: full batch)."""
    n = surf.n_samples
    if keys.batch(i) not in SS:
        SS[keys.batch(i)] = n
    return st.number_input(
        f"batch size (1 … N = {n})", key=keys.batch(i), step=1,
        help=f"Samples per gradient: 1 = stochastic (single examples), N = {n} = full batch, "
        "in between = mini-batch. Drawn without replacement, reshuffled every epoch, "
        "seeded per optimizer.")


def on_data_size() -> None:
    """A new data-set size N: a full batch stays full, a batch above N becomes N."""
    old = SS.get("_data_n")
    try:
        new = int(SS[keys.surface_param(SS["surface"], "n")])
    except (KeyError, TypeError, ValueError):
        return
    for i in range(SS.get("n_racers", 0)):
        b = SS.get(keys.batch(i))
        if b is not None and (b == old or b > new):
            SS[keys.batch(i)] = new
