"""The race chart's light and dark looks, set in its own layout.

Streamlit's chart theme (``st.plotly_chart(theme="streamlit")``) recolours a
figure in the browser by building a fresh ``layout.template`` each time it
touches the figure, and it touches every figure once more right after the
first draw. Plotly compares templates by identity, so that second touch is a
full redraw: for the race figure, with its 3-D scene, about 0.7 s of a page
load under software WebGL. The race chart is therefore drawn with
``theme=None`` and carries these colours itself: the values Streamlit's theme
gives the same figure (read off the served app in Chromium, light and dark),
so the chart looks as it did.

Which look a page gets comes from ``st.context.theme.type``, read on every
rerun: a theme switched in the ⋮ menu reaches the chart with the next rerun.
"""
from __future__ import annotations

FONT = '"Source Sans", sans-serif'

LOOKS = {
    "light": dict(text="#808495", strong="#262730", background="#FFFFFF", hover_border="#DCD8D4",
                  button_border="#BEC8D9"),
    "dark": dict(text="#e6eaf1", strong="#fafafa", background="#171614", hover_border="#4A4742",
                 button_border="#BEC8D9"),
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
        out[key] = axis
    return out
