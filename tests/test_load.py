"""A small load test: a few sessions against a real `streamlit run` server.

Marked ``load``: runs in the normal suite, or alone with ``pytest -m load``.
The full benchmark (1/10/30 sessions, baseline, nginx, soak) is
bench/bench_serve.py; this checks that the protocol client, the server and the
shared caches work together, not how fast.
"""
from __future__ import annotations

import asyncio
import os
import sys
import urllib.parse

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import stclient  # noqa: E402

pytestmark = pytest.mark.load

LINK = "surface=booth&steps=150&x=-5&y=5&r1=gd&r1.lr=0.01&r2=adam&r2.lr=0.3"


@pytest.fixture(scope="module")
def server():
    port = stclient.free_port()  # in $LOAD_TEST_PORTS (default 8621-8635)
    proc = stclient.start_server(ROOT, port)
    try:
        yield port, proc.pid
    finally:
        stclient.stop_server(proc)
    assert proc.poll() is not None, "the server stopped"


async def one_session(port: int, sid: int, reruns: int) -> list[str]:
    s = stclient.Session("127.0.0.1", port, LINK, timeout=120)
    links = []
    try:
        await s.open()
        assert {"lr.0", "lr.1", "x", "y"} <= set(s.widget_ids), sorted(s.widget_ids)
        links.append(s.query_string)
        for j in range(reruns):
            value = 0.01 * (1 + 0.01 * (sid + 1) + 0.1 * (j + 1))
            await s.change("lr.0", value)
            q = urllib.parse.parse_qs(s.query_string)
            assert float(q["r1.lr"][0]) == pytest.approx(value), "the rerun used the new value"
            links.append(s.query_string)
            await asyncio.sleep(0.2)
    finally:
        await s.close()
    return links


def test_three_sessions_open_one_link_and_change_it_each_their_own_way(server):
    port, pid = server

    async def main():
        return await asyncio.wait_for(asyncio.gather(*(one_session(port, i, 3) for i in range(3))), 300)

    results = asyncio.run(main())
    firsts = {links[0] for links in results}
    assert len(firsts) == 1, "every session opened the same view"
    assert "r1.lr=0.01" in firsts.pop()
    finals = [links[-1] for links in results]
    assert len(set(finals)) == 3, "each session kept its own state"
    assert stclient.proc_status(pid)["peak_mb"] > 0


def test_the_client_refuses_other_hosts():
    with pytest.raises(ValueError, match="127.0.0.1"):
        stclient.Session("example.com", 80)


def test_a_change_to_a_widget_the_page_does_not_have_is_an_error(server):
    """A load test that lost track of the page fails loudly instead of measuring nothing."""
    port, _ = server

    async def main():
        s = stclient.Session("127.0.0.1", port, LINK, timeout=120)
        await s.open()
        with pytest.raises(stclient.LoadError, match="no widget"):
            await s.change("no-such-widget", 1.0)
        await s.close()

    asyncio.run(main())
