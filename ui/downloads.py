"""Download and share: trajectories (CSV, JSON), the figure (HTML, SVG, PNG) and an animated GIF."""
from __future__ import annotations

import streamlit as st

import exports
from config import RunConfig

SS = st.session_state


def downloads(run: RunConfig, race: list[dict], fig) -> None:
    name = run.get_surface().name
    with st.expander("Download and share", expanded=False):
        st.caption("The page's address is a share link: it reopens exactly this view. "
                   "The camera icon on a figure saves a PNG at 3× resolution.")
        d1, d2, d3 = st.columns(3)
        d1.download_button("Trajectories (CSV)", lambda: exports.trajectories_csv(run, race),
                           file_name=f"{name}-trajectories.csv", mime="text/csv", key="dl_csv",
                           on_click="ignore")
        d2.download_button("Trajectories (JSON)", lambda: exports.trajectories_json(run, race),
                           file_name=f"{name}-trajectories.json", mime="application/json",
                           key="dl_json", on_click="ignore")
        d3.download_button("Interactive figure (HTML)", lambda: exports.figure_html(fig),
                           file_name=f"{name}-race.html", mime="text/html", key="dl_html",
                           on_click="ignore")
        e1, e2, e3 = st.columns(3)
        if exports.static_export_available():
            e1.download_button("Figure (SVG)", lambda: exports.figure_image(run, race, "svg"),
                               file_name=f"{name}-race.svg", mime="image/svg+xml",
                               key="dl_svg", on_click="ignore")
            e2.download_button("Figure (PNG, 3×)", lambda: exports.figure_image(run, race, "png"),
                               file_name=f"{name}-race.png", mime="image/png", key="dl_png",
                               on_click="ignore")
        else:
            e1.info(exports.NO_BROWSER_MESSAGE)
        with e3:
            if st.button("Render animated GIF", key="gif_go"):
                bar = st.progress(0.0, text="rendering GIF…")
                SS["gif"] = exports.animation_gif(
                    run, race, progress=lambda f: bar.progress(f, text=f"rendering GIF… {f:.0%}"))
                SS["gif_for"] = run
                bar.empty()
            if SS.get("gif") is not None and SS.get("gif_for") == run:
                st.download_button("Animated GIF", SS["gif"], file_name=f"{name}-race.gif",
                                   mime="image/gif", key="dl_gif", on_click="ignore")


def hyper_downloads(name: str, fig, csv_text) -> None:
    """A hyperparameter view's grid (CSV) and figure (SVG, PNG)."""
    d1, d2, d3 = st.columns(3)
    d1.download_button("Grid (CSV)", csv_text, file_name=f"{name}.csv", mime="text/csv",
                       key=f"dl_{name}_csv", on_click="ignore")
    if exports.static_export_available():
        d2.download_button("Figure (SVG)", lambda: exports.hyper_image(fig, "svg"), file_name=f"{name}.svg",
                           mime="image/svg+xml", key=f"dl_{name}_svg", on_click="ignore")
        d3.download_button("Figure (PNG, 3×)", lambda: exports.hyper_image(fig, "png"),
                           file_name=f"{name}.png", mime="image/png", key=f"dl_{name}_png", on_click="ignore")
    else:
        d2.info(exports.NO_BROWSER_MESSAGE)
