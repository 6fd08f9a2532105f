"""The hyperparameter views of the same surface, start and optimizers (learning-rate
sweep, heat map, basins of attraction) and the theory panel of a quadratic surface.
A click on a sweep, heat map or basin map sets a racer's settings or the start."""
from __future__ import annotations

import streamlit as st

import config
import experiments
import exports
from figures import views
import livechart
import theory
from cached import HEATMAP_SIZE, SWEEP_COUNT, compute_basins, compute_heatmap, compute_sweeps
from config import RunConfig
from figures import hyper as hyper_figures
from state import BASIN_RESOLUTIONS, DEFAULT, AppState, HyperView
from ui import keys
from ui.downloads import hyper_downloads

SS = st.session_state


def _lr_range(run: RunConfig, hv: HyperView) -> tuple[float, float]:
    auto = experiments.default_lr_range(run)
    c1, c2, c3 = st.columns([1, 1, 1])
    if "lr_auto" not in SS:
        SS["lr_auto"] = DEFAULT.hyper.auto_range
    if c1.toggle("automatic lr range", key="lr_auto",
                 help="A thousandth of the smallest racer's rate to thirty times the largest."):
        c2.caption(f"lr from {auto[0]:.3g}")
        c3.caption(f"to {auto[1]:.3g}")
        return auto
    if "lrmin" not in SS or "lrmax" not in SS:
        SS["lrmin"], SS["lrmax"] = auto
    lo = c2.number_input("lr from", min_value=1e-12, max_value=config.MAX_LR, key="lrmin", format="%.4g")
    hi = c3.number_input("to", min_value=1e-12, max_value=config.MAX_LR, key="lrmax", format="%.4g")
    try:
        return config.check_lr_range(lo, hi)
    except ValueError as exc:
        st.warning(f"{exc}; using the automatic range")
        return auto


def _handle_pick(event, fig, run: RunConfig, hm=None, racer: int = 0, lr_range=None) -> None:
    pick = hyper_figures.pick(event, fig)
    if pick is None:
        return
    kind, value = pick
    if kind == "sweep":
        i, lr = value
        if 0 <= i < len(run.racers):
            SS["_pending_hp"] = {keys.lr(i): lr}
            if lr_range is not None and SS.get("lr_auto", True):
                # the automatic range follows the racers' rates: keep the one clicked on, typed,
                # so the plot does not move under the cursor
                SS["_pending_hp"].update(lr_auto=False, lrmin=float(lr_range[0]), lrmax=float(lr_range[1]))
            st.rerun()
    elif kind == "heatmap" and hm is not None:
        lr, v = value
        name = run.racers[racer].choice.name
        if name == "gd" and v == 0:
            SS["_pending_hp"] = {keys.lr(racer): lr}
        else:
            SS["_pending_hp"] = keys.racer_values(racer, hm.optimizer, {"lr": lr, hm.axis: v})
        st.rerun()
    elif kind == "basin":
        SS["_pending_start"] = value
        SS["_pending_tab"] = "race"
        st.rerun()


def hyper_view(state: AppState) -> None:
    """The sweep, heat-map or basin view of the same surface, start and optimizers."""
    run, hv, present = state.run, state.hyper, state.view.present
    surface = run.get_surface()
    names = views.racer_names(run)
    if hv.tab == "sweep":
        lo, hi = _lr_range(run, hv)
        with st.spinner(f"running {SWEEP_COUNT} learning rates × {len(run.racers)} optimizers…", show_time=True):
            sweeps = compute_sweeps(run, lo, hi)
        fig = views.sweep_figure_for(run, sweeps, presentation=present)
        st.caption(f"{SWEEP_COUNT} log-spaced learning rates per optimizer, {run.steps} steps each, from "
                   f"({run.start_point()[0]:g}, {run.start_point()[1]:g}), with each racer's other settings. "
                   "Dashed: each racer's current rate; dotted red: the stability bound where theory gives one. "
                   "Ranges: *good* converged (gradient norm below 1e-5); *too small* / *too large* ran every "
                   "step without converging, below / above the converging rates (with none converging: "
                   "below the first that blew up); *diverging*; *escaped* (downhill off the map). "
                   "Click a point to give that racer its rate.")
        event = livechart.plotly_chart(fig, key="sweep_chart")
        rows = []
        for n, sw in zip(names, sweeps):
            rows.append({"optimizer": n, **{cls: ", ".join(f"{a:.3g}–{b:.3g}" for c, a, b in sw.ranges() if c == cls)
                                            for cls in experiments.SWEEP_CLASSES},
                         "best lr": float(sw.lrs[sw.best_index]) if sw.best_index is not None else None})
        st.dataframe(rows, hide_index=True, width="stretch")
        hyper_downloads(f"{surface.name}-sweep", fig, lambda: exports.sweep_csv(run, sweeps))
        _handle_pick(event, fig, run, lr_range=(lo, hi))
        return
    racer = st.selectbox("optimizer", range(len(names)), format_func=names.__getitem__, key="hr")
    r = run.racers[racer]
    if hv.tab == "heatmap":
        if experiments.heatmap_axis(r.choice.name) is None:
            st.info(f"{r.choice.name} has neither momentum nor β₁: a heat map needs one of "
                    f"{', '.join(sorted(experiments.heatmap_optimizers()))}. Pick another optimizer.")
            return
        lo, hi = _lr_range(run, hv)
        with st.spinner(f"running {HEATMAP_SIZE} × {HEATMAP_SIZE} settings…", show_time=True):
            hm = compute_heatmap(run, racer, lo, hi)
        fig = views.heatmap_figure_for(run, racer, hm, presentation=present)
        gd_note = "; gradient descent is momentum 0 (bottom row)" if r.choice.name == "gd" else ""
        st.caption(f"Final loss after {run.steps} steps over learning rate × {hm.axis} "
                   f"({HEATMAP_SIZE} × {HEATMAP_SIZE} runs at once){gd_note}. "
                   "The star is the current setting; click a cell to use it.")
        event = livechart.plotly_chart(fig, key="heat_chart")
        hyper_downloads(f"{surface.name}-heatmap", fig, lambda: exports.heatmap_csv(hm))
        _handle_pick(event, fig, run, hm, racer)
        return
    if SS.get("res") not in BASIN_RESOLUTIONS:
        SS["res"] = DEFAULT.hyper.resolution
    res = st.select_slider("start points per axis", BASIN_RESOLUTIONS, key="res")
    if not surface.minima:
        st.info(f"{surface.title} has no minimum: every start point diverges or escapes.")
    with st.spinner(f"running {res} × {res} start points…", show_time=True):
        b = compute_basins(run, racer, res)
    fig = views.basin_figure_for(run, b, presentation=present)
    st.caption(f"Where each of {res * res:,} start points ends after {run.steps} steps of {names[racer]} "
               f"(reaching a minimum = ending within {experiments.BASIN_RADIUS:.0%} of the domain's diagonal "
               "of it). Click the map to start the race there.")
    event = livechart.plotly_chart(fig, key="basin_chart")
    hyper_downloads(f"{surface.name}-basins", fig, lambda: exports.basins_csv(run, b))
    _handle_pick(event, fig, run)


def _set_optimal(i: int, name: str, values: dict) -> None:
    """Button callback: racer i at the theory's best constant settings."""
    values = keys.racer_values(i, name, values)
    values.update({keys.sched(i): "constant", keys.noise(i): 0.0, keys.hp(i, name, "weight_decay"): 0.0})
    for k, v in values.items():
        SS[k] = v


def theory_panel(run: RunConfig, results: list[dict]) -> None:
    th = theory.quadratic_theory(run.get_surface())
    if th is None:
        return
    with st.expander("Theory beside measurement (this surface is quadratic)", expanded=False):
        st.markdown(
            f"Hessian eigenvalues λmin = **{th.lam_min:.4g}**, λmax = **{th.lam_max:.4g}**, "
            f"condition number κ = **{th.kappa:.4g}**.\n\n"
            f"* Gradient descent is stable for lr < 2/λmax = **{th.gd_lr_bound:.4g}**; its best rate "
            f"lr = 2/(λmin+λmax) = **{th.gd_best_lr:.4g}** shrinks the distance to the minimum by "
            f"(κ−1)/(κ+1) = **{th.gd_best_rate:.4f}** per step.\n"
            f"* Heavy-ball momentum (Goh 2017): α* = (2/(√λmin+√λmax))² = **{th.momentum_best_alpha:.4g}**, "
            f"β* = ((√κ−1)/(√κ+1))² = **{th.momentum_best_beta:.4g}**, rate (√κ−1)/(√κ+1) = "
            f"**{th.momentum_best_rate:.4f}** per step. In torch's convention (lr multiplies the "
            "whole buffer) that is lr = α*, momentum = β*, dampening 0.\n\n"
            "Rates are per step of the distance; f − f* shrinks by their square. The dashed lines on "
            "the loss plot are (f₀ − f*)·ρ²ᵏ for each racer the linear theory covers (gd, momentum, "
            "Nesterov at a constant rate, no noise, no weight decay).")
        rows = views.racer_theory(run, results)
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch",
                         column_config={"predicted rate": st.column_config.NumberColumn(format="%.4f"),
                                        "measured rate": st.column_config.NumberColumn(format="%.4f"),
                                        "lr": st.column_config.NumberColumn(format="%.4g")})
        c1, c2, c3 = st.columns([1, 2, 2])
        names = views.racer_names(run)
        if SS.get("opt_racer") not in range(len(names)):
            SS["opt_racer"] = 0
        i = c1.selectbox("racer", range(len(names)), format_func=names.__getitem__, key="opt_racer")
        c2.button("Optimal gradient descent", key="opt_gd", on_click=_set_optimal,
                  args=(i, "gd", th.optimal_settings("gd")), help="gd at lr = 2/(λmin+λmax)")
        c3.button("Optimal momentum (α*, β*)", key="opt_mom", on_click=_set_optimal,
                  args=(i, "momentum", th.optimal_settings("momentum")),
                  help="momentum at lr = α*, momentum = β*, dampening 0")
