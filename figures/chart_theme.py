"""The charts' light and dark looks, set in their own layout.

The app's charts are drawn by its own chart component (``livechart``), not by
``st.plotly_chart``, so Streamlit's chart theme does not colour them. They
carry these colours themselves: the values Streamlit's theme gave the same
figures (read off the served app in Chromium, light and dark), so the charts
look as they did under ``st.plotly_chart``.

A figure is served in its light look with the few layout entries that differ
in the dark look beside it (``themed``); the browser picks one from the page's
theme, and again whenever the theme is switched.
"""
from __future__ import annotations

FONT = '"Source Sans", sans-serif'

LOOKS = {
    "light": dict(text="#808495", strong="#262730", background="#FFFFFF", hover_border="#DCD8D4",
                  button_border="#BEC8D9", grid="#e6eaf1"),
    "dark": dict(text="#e6eaf1", strong="#fafafa", background="#171614", hover_border="#4A4742",
                 button_border="#BEC8D9", grid="#31333F"),
}


def look(theme: str | None) -> dict:
    """The colours of ``theme`` ("light" or "dark"; anything else is light)."""
    return LOOKS.get(theme or "light", LOOKS["light"])


def _font(font: dict | None, color: str) -> dict:
    return {**(font or {}), "family": FONT, "color": color}


def apply(layout: dict, theme: str | None) -> dict:
    """A copy of ``layout`` with the look of ``theme`` filled in (values the
    figure sets itself, such as the slider's hidden labels, are kept)."""
    c = look(theme)
    out = dict(layout)
    out["font"] = _font(layout.get("font"), c["text"])
    out["paper_bgcolor"] = layout.get("paper_bgcolor", c["background"])
    out["plot_bgcolor"] = layout.get("plot_bgcolor", c["background"])
    out["margin"] = {"pad": 8, **layout.get("margin", {})}
    out["hoverlabel"] = {"bgcolor": c["background"], "bordercolor": c["hover_border"],
                         "font": {"family": FONT, "color": c["text"]}, **layout.get("hoverlabel", {})}
    for key in [k for k in layout if k.startswith("legend")]:
        legend = layout[key]
        out[key] = {"bgcolor": c["background"], "bordercolor": "rgba(0,0,0,0)", **legend,
                    "font": {"color": c["strong"], **legend.get("font", {}), "family": FONT}}
    if "updatemenus" in layout:
        out["updatemenus"] = [{"bgcolor": c["background"], "bordercolor": c["button_border"], **m,
                               "font": _font(m.get("font"), c["text"])} for m in layout["updatemenus"]]
    for key in [k for k in layout if k.startswith(("xaxis", "yaxis"))]:
        axis = dict(layout[key])
        axis.setdefault("automargin", True)
        if isinstance(axis.get("title"), dict):   # Streamlit's 1.25 and 1.5 rem
            axis["title"] = {"standoff": 20 if key.startswith("xaxis") else 24, **axis["title"]}
        if key.startswith("xaxis"):
            axis.setdefault("showgrid", False)
            axis.setdefault("zeroline", False)
        axis.setdefault("gridcolor", c["grid"])
        axis.setdefault("zerolinecolor", c["grid"])
        out[key] = axis
    return out


def themed(layout: dict) -> tuple[dict, dict]:
    """``layout`` in the light look, and the top-level entries that differ in
    the dark look (to be laid over the light layout)."""
    light, dark = apply(layout, "light"), apply(layout, "dark")
    return light, {k: v for k, v in dark.items() if light.get(k) != v}
