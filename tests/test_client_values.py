"""Values a modified client sends to number controls, through Streamlit's own
protocol against a real server: a clear message and a sane value, never an
exception on the page, never a silent change (Streamlit itself raises on int(NaN)
and silently replaces an out-of-range value by the control's default)."""
from __future__ import annotations

import asyncio
import os
import sys
import urllib.parse

import pytest

import config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import stclient  # noqa: E402

pytestmark = pytest.mark.load

LINK = "surface=bowl&steps=30&r1=gd&r1.lr=0.1&x=-1.5&y=1"
NAN, INF = float("nan"), float("inf")
CASES = [  # (control, protocol field, value, link key, what the page must show afterwards)
    ("steps", "double_value", NAN, "steps"), ("steps", "string_value", "many", "steps"),
    ("steps", "double_array_value", [1.0, 2.0], "steps"), ("steps", "int_value", 10001, "steps"),
    ("steps", "int_value", -5, "steps"), ("steps", "double_value", 1e300, "steps"),
    ("lr.0", "double_value", NAN, "r1.lr"), ("lr.0", "string_value", "fast", "r1.lr"),
    ("lr.0", "double_value", INF, "r1.lr"), ("lr.0", "double_value", -1.0, "r1.lr"),
    ("lr.0", "double_value", 1e308, "r1.lr"), ("x", "double_value", 1e300, "x"),
    ("x", "double_value", NAN, "x"),
]


@pytest.fixture(scope="module")
def port():
    p = stclient.free_port()
    proc = stclient.start_server(ROOT, p)
    try:
        yield p
    finally:
        stclient.stop_server(proc)


def test_bad_values_for_number_controls_get_a_message_and_a_sane_value(port):
    async def one(key, field, value):
        s = stclient.Session("127.0.0.1", port, LINK, timeout=120)
        await s.open()
        try:
            await s.send_state(key, field, value)   # raises on an exception on the page
            return urllib.parse.parse_qs(s.query_string), list(s.alerts)
        finally:
            await s.close()

    async def main():
        return [await one(k, f, v) for k, f, v, _ in CASES]

    for (key, field, value, link_key), (q, alerts) in zip(CASES, asyncio.run(main())):
        said = [a for a in alerts if "held an invalid value" in a]
        assert len(said) == 1 and len(said[0]) < 300, (key, value, alerts)
        shown = float(q[link_key][0]) if link_key in q else None
        bounds = {"steps": (config.MIN_RACE_STEPS, config.MAX_STEPS), "r1.lr": (0, config.MAX_LR),
                  "x": (-config.MAX_ABS_COORD, config.MAX_ABS_COORD)}[link_key]
        if shown is not None:
            assert bounds[0] <= shown <= bounds[1], (key, value, shown)
        assert "reset to" in said[0]


def test_valid_values_are_taken_as_sent(port):
    async def main():
        s = stclient.Session("127.0.0.1", port, LINK, timeout=120)
        await s.open()
        try:
            await s.send_state("steps", "int_value", 42)
            q1, a1 = urllib.parse.parse_qs(s.query_string), list(s.alerts)
            await s.send_state("lr.0", "double_value", 0.25)
            return q1, a1, urllib.parse.parse_qs(s.query_string), list(s.alerts)
        finally:
            await s.close()

    q1, a1, q2, a2 = asyncio.run(main())
    assert q1["steps"] == ["42"] and not any("invalid" in a for a in a1)
    assert q2["r1.lr"] == ["0.25"] and not any("invalid" in a for a in a2)
