"""The app's Plotly charts, kept mounted across reruns (a Streamlit component).

``st.plotly_chart`` gives a chart whose figure changed a new element id, so the
browser drops the mounted chart and mounts a new one: a new WebGL context and
3-D scene, first drawn hidden until its width is known, for every new learning
rate. This component keeps one chart per key and updates it with
``Plotly.react`` (``livechart.js``); a trace whose ``uid`` is unchanged is
handed back to Plotly as the object it already holds, so only what changed is
recomputed. Figures come from ``figures.prepared.prepare_stable``: light look
in the layout, the dark look's differences beside it; the browser picks one
from the page's theme and follows a theme switch at once.

Plotly's JavaScript is plotly.py's own copy of plotly.js (the version its
figures are written for), served as a static file of the app (see
``plotly_js_url``).
"""
from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import orjson
import plotly
import plotly.offline
import streamlit as st

from figures import prepared

APP_DIR = Path(__file__).resolve().parent.parent
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PLOTLY_JS_NAME = f"plotly-{plotly.offline.get_plotlyjs_version()}.min.js"

SCRUB_JS = (Path(__file__).parent / "scrub.js").read_text(encoding="utf-8")
_component = st.components.v2.component(
    "livechart", js=SCRUB_JS + (Path(__file__).parent / "livechart.js").read_text(encoding="utf-8"),
    isolate_styles=False)


def plotly_js_url(app_dir: Path = APP_DIR) -> str:
    """Where the page loads plotly.js from, relative to the app's address.

    Streamlit serves the app's ``static/`` folder (``server.enableStaticServing``)
    with an ETag, so a browser keeps plotly.js between visits and can reuse its
    compiled code. The file is copied there from plotly.py on first use (and
    again when plotly.py's copy differs in size). Where the app folder cannot be
    written, plotly.js is served as a file of a (v1) component instead: the same
    file, fetched again on every visit. The container image and
    ``deploy/serve.sh`` copy it before the app starts
    (``python -m livechart``)."""
    target = app_dir / "static" / PLOTLY_JS_NAME
    try:
        if not target.exists() or target.stat().st_size != PLOTLY_JS.stat().st_size:
            target.parent.mkdir(exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}")   # several app processes may start at once
            shutil.copy2(PLOTLY_JS, tmp)
            tmp.replace(target)
        return f"app/static/{PLOTLY_JS_NAME}"
    except OSError:
        import streamlit.components.v1 as components_v1
        assets = components_v1.declare_component("plotly_js", path=str(PLOTLY_JS.parent))
        return f"component/{assets.name}/plotly.min.js"


@functools.cache
def _url() -> str:
    return plotly_js_url()


def payload(fig: prepared.Prepared, config: dict | None = None, keys: bool = False) -> bytes:
    """The message for the browser: the figure (its JSON as ``prepare_stable`` kept
    it, not encoded again), its dark look, the chart's Plotly config and where
    plotly.js is; ``keys``: the chart answers the keyboard."""
    msg = {"figure": orjson.Fragment(fig.encoded), "dark": fig.dark,
           "config": {"displaylogo": False, **(config or {})}, "plotly": _url()}
    if keys:
        msg["keys"] = True
    return prepared.encode(msg)


def plotly_chart(fig, *, key: str, config: dict | None = None, keys: bool = False) -> dict | None:
    """Draw ``fig`` (a figure from ``prepare_stable``, or any figure, which is
    prepared here) in the chart ``key``. Returns a click on one of its points
    as ``{"selection": {"points": [{"x", "y", "curve_number", "point_index"}]}}``
    (the shape of ``st.plotly_chart``'s selection event) in the first script
    run after the click, None otherwise; a released scrub slider (``scrub.js``) as
    ``{"scrub": {"racer", "param", "value", "at"}}``, once.

    ``keys`` (presentation mode, one chart of the page): a presenter's clicker
    and the keyboard drive the stage (``livechart.js``): PageDown/→ press the
    button keyed ``lesson_next``, PageUp/← ``lesson_prev``, space plays or
    pauses this chart, Home shows its step 0; not while typing in a field."""
    if not (isinstance(fig, prepared.Prepared) and fig.stable):
        fig = prepared.prepare_stable(fig.to_dict() if hasattr(fig, "to_dict") else fig)
    result = _component(key=key, data=payload(fig, config, keys), default={"selection": None, "scrub": None},
                        on_selection_change=_ignore, on_scrub_change=_ignore)
    released = result.get("scrub")
    seen_scrub = f"_livechart_scrub.{key}"
    if released is not None and released != st.session_state.get(seen_scrub):
        st.session_state[seen_scrub] = released
        return {"scrub": released}
    selection = result.get("selection")
    seen = f"_livechart_seen.{key}"
    if selection is None or selection == st.session_state.get(seen):
        return None
    st.session_state[seen] = selection
    return {"selection": selection}


def _ignore() -> None:
    """A click is read from the chart's result; the callback only declares the
    ``selection`` state."""


def figure_of(message: bytes) -> dict:
    """The figure in a chart's message (what ``payload`` sent), as a dict: for
    tests and benchmarks that read a chart off the app's elements."""
    return orjson.loads(message)["figure"]


def figures_in(elements) -> list[dict]:
    """The figures of the chart elements among ``elements`` (AppTest's
    ``at.get("bidi_component")``), in page order."""
    return [figure_of(el.proto.bytes) for el in elements if el.proto.component_name == "livechart"]
