"""The app's chart component (livechart): what it sends the browser and where
plotly.js comes from. What it does in the page is tested in test_browser.py."""
from __future__ import annotations

import orjson
import plotly.graph_objects as go

import livechart
from figures import chart_theme
from figures.prepared import prepare_stable


def test_plotly_js_is_copied_into_static_once_and_served_from_there(tmp_path):
    url = livechart.plotly_js_url(tmp_path)
    copy = tmp_path / "static" / livechart.PLOTLY_JS_NAME
    assert url == f"app/static/{livechart.PLOTLY_JS_NAME}"
    assert copy.read_bytes() == livechart.PLOTLY_JS.read_bytes()
    assert livechart.PLOTLY_JS_NAME.startswith("plotly-") and livechart.PLOTLY_JS_NAME.endswith(".min.js")
    stamp = copy.stat().st_mtime_ns
    assert livechart.plotly_js_url(tmp_path) == url and copy.stat().st_mtime_ns == stamp, "not copied again"
    copy.write_bytes(b"truncated")       # a damaged copy is replaced
    livechart.plotly_js_url(tmp_path)
    assert copy.stat().st_size == livechart.PLOTLY_JS.stat().st_size
    assert [p.name for p in copy.parent.iterdir()] == [copy.name], "no temporary file left behind"


def test_an_app_folder_it_cannot_write_serves_plotly_js_as_a_component_file(tmp_path):
    (tmp_path / "static").write_text("a file where the folder would be")   # fails as a read-only folder would
    url = livechart.plotly_js_url(tmp_path)
    assert url.startswith("component/") and url.endswith("/plotly.min.js")


def test_the_message_carries_the_figure_its_dark_look_and_the_config():
    fig = prepare_stable(go.Figure(go.Scatter(x=[0, 1], y=[1, 0], meta={"kind": "sweep"})))
    msg = orjson.loads(livechart.payload(fig, {"scrollZoom": False}))
    assert msg["figure"] == orjson.loads(orjson.dumps(fig.spec))
    assert msg["figure"] == livechart.figure_of(livechart.payload(fig))
    assert msg["dark"]["paper_bgcolor"] == chart_theme.LOOKS["dark"]["background"]
    assert msg["config"] == {"displaylogo": False, "scrollZoom": False}
    assert msg["plotly"].endswith(livechart.PLOTLY_JS_NAME) or msg["plotly"].startswith("component/")


def test_only_a_chart_asked_to_answers_the_keyboard():
    fig = prepare_stable(go.Figure(go.Scatter(x=[0, 1], y=[1, 0])))
    assert "keys" not in orjson.loads(livechart.payload(fig))
    assert orjson.loads(livechart.payload(fig, keys=True))["keys"] is True
    js = (livechart.APP_DIR / "livechart" / "livechart.js").read_text()
    for key in ("PageDown", "ArrowRight", "PageUp", "ArrowLeft", '" "', "Home"):
        assert key in js
