"""Exports: the browser-free GIF, CSV/JSON/HTML, PNG/SVG through kaleido, and
``cli.py export`` (every format and its error paths)."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs

import numpy as np
import pytest
from PIL import Image

import links
from lessons import LESSONS
import cli
import exports
from figures import views
import results as results_mod
import figures
from config import OptimizerChoice, Racer, RunConfig
from figures.gif import clip_segments, gif_layout, render_gif

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RACE_LINK = "surface=rosenbrock&r1=gd&r1.lr=0.001&r2=adam&r2.lr=0.05&steps=300"
BIG_RACE_LINK = ("surface=rosenbrock&r1=gd&r1.lr=0.001&r2=momentum&r2.lr=0.001"
                 "&r3=adam&r3.lr=0.05&r4=rmsprop&r4.lr=0.01&steps=500")


# --- fixtures -----------------------------------------------------------------

def run_from_link(link: str) -> RunConfig:
    state, warnings = links.from_query(parse_qs(link), LESSONS)
    assert warnings == []
    return state.run


@pytest.fixture(scope="module")
def race():
    run = run_from_link(RACE_LINK)
    return run, results_mod.run_results(run)


@pytest.fixture(scope="module")
def diverging():
    """gd with lr 1.5 on the bowl: every step overshoots further."""
    run = RunConfig("bowl", (), (Racer(OptimizerChoice.build("gd", 1.5)),), 100, (-1.5, 1.5), 0)
    results = results_mod.run_results(run)
    assert results[0]["status"] == "diverged"
    return run, results


def need_chromium():
    """Skip (with the reason printed) without Chromium, except on CI: fail there."""
    if shutil.which("chromium") is None:
        reason = "PNG/SVG export needs Chromium for kaleido (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the static-export tests: {reason}")
        print(f"SKIP: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def kaleido_server():
    """One Chromium for the whole module (about 0.2 s per PNG instead of 2 s)."""
    need_chromium()
    import kaleido

    started = False
    if hasattr(kaleido, "start_sync_server"):
        kaleido.start_sync_server(silence_warnings=True)
        started = True
    yield
    if started and hasattr(kaleido, "stop_sync_server"):
        kaleido.stop_sync_server(silence_warnings=True)


def gif_frames(data: bytes) -> list[Image.Image]:
    im = Image.open(io.BytesIO(data))
    out = []
    for i in range(im.n_frames):
        im.seek(i)
        out.append(im.convert("RGB"))
    return out


def rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)])


def colour_near(frame: Image.Image, colour: str, centre, radius: float = 9) -> int:
    """How many pixels of exactly ``colour`` lie within ``radius`` of ``centre``."""
    a = np.asarray(frame).astype(int)
    yy, xx = np.mgrid[:a.shape[0], :a.shape[1]]
    near = (xx + 0.5 - centre[0]) ** 2 + (yy + 0.5 - centre[1]) ** 2 <= radius ** 2
    same = np.all(a == rgb(colour), axis=-1)
    return int((near & same).sum())


def run_cli(*args):
    """In-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(code, out, err, *needles):
    assert code == 2, (out, err)
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("cli.py: error: "), err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, err


# --- GIF ------------------------------------------------------------------------

def test_gif_frames_size_loop_and_timing(race):
    run, results = race
    t = time.perf_counter()
    data = exports.animation_gif(run, results, frames=150)
    dt = time.perf_counter() - t
    print(f"\nGIF 2 optimizers x {run.steps} steps, 150 frames: {dt:.2f} s, {len(data) / 1e6:.2f} MB")
    im = Image.open(io.BytesIO(data))
    assert im.format == "GIF"
    assert im.n_frames == len(figures.frame_steps(run.steps, 150)) == 150
    assert im.size == (720, 600)
    assert im.info["loop"] == 0
    assert im.info["duration"] == 60
    assert len(data) < 3_000_000
    frames = gif_frames(data)
    assert all(f.size == (720, 600) for f in frames)
    # consecutive frames differ (the animation moves), the first and last a lot
    a0, a1 = np.asarray(frames[0]), np.asarray(frames[-1])
    assert (a0 != a1).any(axis=-1).sum() > 500


def test_gif_markers_sit_at_the_path_ends(race):
    run, results = race
    surface = run.get_surface()
    paths = views.paths_for(results)
    frames = gif_frames(render_gif(surface, paths, run.start_point(), run.steps, frames=40))
    lay = gif_layout(surface, paths, 720, 600)
    first, last = frames[0], frames[-1]
    ends = []
    for p in paths:
        end = lay.to_pixel(p.xy[-1:])[0]
        l, t, r, b = lay.plot_box
        assert l <= end[0] < r and t <= end[1] < b, f"{p.label} should end inside the plot"
        assert colour_near(last, p.colour, end) >= 40, f"no {p.label} marker at its last point"
        ends.append(end)
    # the two runs end far apart, and in the first frame the paths have not left the start
    assert np.hypot(*(ends[0] - ends[1])) > 30
    for p, end in zip(paths, ends):
        assert colour_near(first, p.colour, end) == 0
    start = lay.to_pixel([run.start_point()])[0]
    assert colour_near(first, paths[-1].colour, start) >= 40   # last racer's marker is on top
    # the contour picture fills the plot area: many colours there, none white
    l, t, r, b = lay.plot_box
    plot = np.asarray(first)[t + 5:b - 5, l + 5:r - 5].reshape(-1, 3)
    assert len(np.unique(plot, axis=0)) > 30
    # the margins are white page with dark text
    page = np.asarray(first)[: t - 2, :].reshape(-1, 3)
    assert (page == 255).all(axis=-1).mean() > 0.7


def test_gif_diverging_run_renders(diverging):
    run, results = diverging
    paths = views.paths_for(results)
    assert len(paths[0].xy) < run.steps + 1          # the path stops where it blew up
    data = exports.animation_gif(run, results)
    frames = gif_frames(data)
    assert len(frames) == len(figures.frame_steps(run.steps, 150)) == 101
    lay = gif_layout(run.get_surface(), paths, 720, 600)
    l, t, r, b = lay.plot_box
    # the solid path leaves the plot area: its colour reaches the frame's edge region
    a = np.asarray(frames[-1])[t:b, l:r]
    hits = np.argwhere(np.all(a == rgb(paths[0].colour), axis=-1))
    assert len(hits) > 50
    assert hits[:, 0].min() < 5 or hits[:, 0].max() > (b - t) - 5


def test_gif_survives_absurd_coordinates():
    surface = run_from_link("surface=bowl").get_surface()
    xy = np.array([[0.5, 0.5], [3.0, -1.0], [1e200, -1e200], [5e307, 1e308], [-1e308, 0.0]])
    p = figures.PathView("wild", figures.colour(0), xy, np.ones(len(xy)), "diverged")
    data = render_gif(surface, [p], (0.5, 0.5), 4, frames=5)
    assert Image.open(io.BytesIO(data)).n_frames == 5


def test_gif_edge_cases():
    surface = run_from_link("surface=himmelblau").get_surface()
    one = figures.PathView("one", figures.colour(0), np.array([[1.0, 1.0]]), np.array([100.0]))
    empty = figures.PathView("empty", figures.colour(1), np.zeros((0, 2)), np.zeros(0))
    im = Image.open(io.BytesIO(render_gif(surface, [one, empty], (1.0, 1.0), 0)))
    assert im.n_frames == 1 and im.size == (720, 600)
    im = Image.open(io.BytesIO(render_gif(surface, [], (1.0, 1.0), 10, width=400, height=300)))
    assert im.n_frames == 11 and im.size == (400, 300)
    for bad in (dict(frames=0), dict(width=100), dict(height=10_000), dict(duration_ms=0)):
        with pytest.raises(ValueError):
            render_gif(surface, [one], (1.0, 1.0), 5, **bad)


def test_gif_progress_increases_to_one(race):
    run, results = race
    seen = []
    exports.animation_gif(run, results, progress=seen.append, frames=30)
    assert len(seen) == 30
    assert all(b > a for a, b in zip(seen, seen[1:]))
    assert 0 < seen[0] and seen[-1] == 1.0


def test_big_race_render_time():
    """4 optimizers x 500 steps on Rosenbrock, 150 frames: printed, not asserted."""
    run = run_from_link(BIG_RACE_LINK)
    results = results_mod.run_results(run)
    t = time.perf_counter()
    data = exports.animation_gif(run, results, frames=150)
    dt = time.perf_counter() - t
    print(f"\nGIF 4 optimizers x 500 steps, 150 frames: {dt:.2f} s, {len(data) / 1e6:.2f} MB")
    assert Image.open(io.BytesIO(data)).n_frames == 150
    assert len(data) < 3_000_000


def test_clip_segments_keeps_the_visible_part():
    a = np.array([[-10.0, 5.0], [2.0, 2.0], [20.0, 20.0], [np.inf, 0.0]])
    b = np.array([[20.0, 5.0], [8.0, 8.0], [30.0, 30.0], [1.0, 1.0]])
    keep, s, e, t0, t1 = clip_segments(a, b, (0.0, 0.0, 10.0, 10.0))
    assert keep.tolist() == [True, True, False, False]
    assert np.allclose(s[0], [0, 5]) and np.allclose(e[0], [10, 5])
    assert np.allclose(s[1], [2, 2]) and np.allclose(e[1], [8, 8]) and t0[1] == 0 and t1[1] == 1


# --- CSV / JSON / HTML ----------------------------------------------------------

def test_csv_rows_match(race):
    run, results = race
    rows = list(csv.DictReader(io.StringIO(exports.trajectories_csv(run, results))))
    assert len(rows) == sum(len(r["losses"]) for r in results)
    for r in results:
        mine = [row for row in rows if row["label"] == r["label"]]
        assert len(mine) == len(r["losses"])
        assert [int(row["step"]) for row in mine] == list(range(len(mine)))
        assert float(mine[-1]["x"]) == r["positions"][-1, 0]
        assert mine[0]["lr"] == "" and float(mine[1]["lr"]) > 0


def _no_nan(text: str):
    def bad(name):
        raise AssertionError(f"{name} in JSON")
    return json.loads(text, parse_constant=bad)


def test_json_parses_without_nan(race, diverging):
    for run, results in (race, diverging):
        data = _no_nan(exports.trajectories_json(run, results))
        assert data["surface"] == run.surface and data["steps"] == run.steps
        assert len(data["runs"]) == len(results)
        for got, r in zip(data["runs"], results):
            assert len(got["points"]) == len(got["losses"]) == len(r["losses"])
    assert data["runs"][0]["status"] == "diverged"


def test_html_is_offline_with_the_figure(race):
    run, results = race
    fig = views.trajectory_figure_for(run, results, view="both", click_grid=False)
    html = exports.figure_html(fig)
    assert html.lstrip().lower().startswith("<html") or "<!doctype" in html[:200].lower()
    assert "Plotly.newPlot" in html
    assert not re.search(r"<script[^>]*\bsrc=", html)                  # plotly.js inlined, nothing fetched
    assert "plotly.js v" in html or "plotly.js" in html[:20_000]
    assert len(html) > 3_000_000                                      # the bundle is ~4.7 MB
    for r in results:
        assert r["label"] in html
    assert '"frames"' in html or "addFrames" in html


# --- PNG / SVG through kaleido -------------------------------------------------

@pytest.mark.filterwarnings("ignore:The kopts argument is ignored:UserWarning")
def test_png_and_svg(race, kaleido_server):
    run, results = race
    t = time.perf_counter()
    png = exports.figure_image(run, results, "png")
    print(f"\nPNG 2-D export (sync server running): {time.perf_counter() - t:.2f} s, {len(png)} bytes")
    im = Image.open(io.BytesIO(png))
    im.load()
    assert im.format == "PNG" and im.size == (900 * 3, 700 * 3)
    svg = exports.figure_image(run, results, "svg")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert float(root.get("width")) == 900 and float(root.get("height")) == 700
    # the surface is a vector contour (filled bands as paths), not an embedded bitmap
    assert b"<image" not in svg
    assert b"contourlayer" in svg and svg.count(b"<path") > 100


# --- cli.py export --------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["gif", "csv", "json", "html"])
def test_cli_export_each_format(tmp_path, fmt):
    out = tmp_path / f"race.{fmt}"
    code, stdout, err = run_cli("export", "--format", fmt, "--out", out, "--link", "?" + RACE_LINK)
    assert code == 0, err
    assert err == ""
    size = out.stat().st_size
    assert stdout.count("\n") == 1 and str(out) in stdout and f"{size} bytes" in stdout
    data = out.read_bytes()
    if fmt == "gif":
        assert Image.open(io.BytesIO(data)).n_frames == 150
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode())))
        assert len(rows) == 1 + 2 * 301
    elif fmt == "json":
        assert [r["label"] for r in _no_nan(data.decode())["runs"]] == ["gd lr=0.001", "adam lr=0.05"]
    else:
        assert b"Plotly.newPlot" in data and b"gd lr=0.001" in data


def test_cli_export_from_run_flags(tmp_path):
    out = tmp_path / "one.json"
    code, stdout, err = run_cli("export", "--format", "json", "--out", out, "--surface", "rosenbrock",
                                "--optimizer", "momentum", "--lr", "0.001", "--set", "momentum=0.8",
                                "--steps", "50", "--start", "-1", "2", "--schedule", "step",
                                "--noise", "0.1", "--seed", "7")
    assert code == 0, err
    data = _no_nan(out.read_text())
    assert data["steps"] == 50 and data["start"] == [-1.0, 2.0] and data["seed"] == 7
    (opt,) = data["optimizers"]
    assert opt["optimizer"] == "momentum" and opt["hyperparameters"]["lr"] == 0.001
    assert opt["hyperparameters"]["momentum"] == 0.8
    assert opt["schedule"] == "step" and opt["noise"] == 0.1
    assert len(data["runs"][0]["points"]) == 51


def test_cli_export_full_url_link(tmp_path):
    out = tmp_path / "race.csv"
    code, _, err = run_cli("export", "--format", "csv", "--out", out,
                           "--link", "http://localhost:8501/?" + RACE_LINK + "#top")
    assert code == 0 and err == ""
    assert len(out.read_text().splitlines()) == 1 + 2 * 301


@pytest.mark.filterwarnings("ignore:The kopts argument is ignored:UserWarning")
def test_cli_export_png_svg(tmp_path, kaleido_server):
    for fmt in ("png", "svg"):
        out = tmp_path / f"race.{fmt}"
        code, stdout, err = run_cli("export", "--format", fmt, "--out", out, "--link", RACE_LINK)
        assert code == 0, err
        if fmt == "png":
            assert Image.open(out).size == (2700, 2100)
        else:
            assert ET.parse(out).getroot().tag.endswith("svg")


def test_cli_export_png_without_browser(tmp_path, monkeypatch):
    monkeypatch.setattr(exports, "static_export_available", lambda: False)
    out = tmp_path / "x.png"
    code, stdout, err = run_cli("export", "--format", "png", "--out", out, "--surface", "bowl",
                                "--optimizer", "gd")
    assert_one_line_error(code, stdout, err, exports.NO_BROWSER_MESSAGE, "chromium")
    assert not out.exists()


def test_cli_export_tampered_link_warns_but_exports(tmp_path):
    out = tmp_path / "t.json"
    code, stdout, err = run_cli("export", "--format", "json", "--out", out, "--link",
                                "surface=rosenbrock&r1=gd&r1.lr=banana&r2=warpdrive&steps=40&zzz=1")
    assert code == 0, err
    lines = err.splitlines()
    assert len(lines) >= 3 and all(line.startswith("warning: ") for line in lines)
    assert any("banana" in line for line in lines) and any("warpdrive" in line for line in lines)
    assert any("zzz" in line for line in lines)
    data = _no_nan(out.read_text())
    assert [o["optimizer"] for o in data["optimizers"]] == ["gd"] and data["steps"] == 40


@pytest.mark.parametrize("args, needle", [
    (["--format", "bmp", "--out", "{tmp}/x.bmp", "--surface", "bowl", "--optimizer", "gd"], "invalid choice: 'bmp'"),
    (["--format", "gif", "--out", "{tmp}/x.gif", "--optimizer", "gd"], "--surface and --optimizer"),
    (["--format", "gif", "--out", "{tmp}/x.gif"], "--surface and --optimizer"),
    (["--format", "gif", "--surface", "bowl", "--optimizer", "gd"], "--out"),
    (["--format", "gif", "--out", "{tmp}/no/such/dir/x.gif", "--surface", "bowl", "--optimizer", "gd"],
     "does not exist"),
    (["--format", "gif", "--out", "{tmp}/afile/x.gif", "--surface", "bowl", "--optimizer", "gd"],
     "is not a directory"),
    (["--format", "gif", "--out", "{tmp}", "--surface", "bowl", "--optimizer", "gd"], "is a directory"),
    (["--format", "gif", "--out", "{tmp}/x.gif", "--surface", "nope", "--optimizer", "gd"], "unknown surface"),
    (["--format", "gif", "--out", "{tmp}/x.gif", "--surface", "bowl", "--optimizer", "gd", "--lr", "abc"],
     "gd.lr must be a number"),
    (["--format", "gif", "--out", "{tmp}/x.gif", "--surface", "bowl", "--optimizer", "gd", "--steps", "1e9"],
     "--steps"),
    (["--format", "gif", "--out", "{tmp}/x.gif", "--surface", "bowl", "--optimizer", "gd", "--view", "3d"],
     "2-D view only"),
    (["--format", "csv", "--out", "{tmp}/x.csv", "--surface", "bowl", "--link", "surface=bowl"], "--link"),
    (["--format", "csv", "--out", "{tmp}/x.csv", "--view", "4d", "--link", "surface=bowl"], "invalid choice"),
])
def test_cli_export_errors(tmp_path, args, needle):
    (tmp_path / "afile").write_text("not a directory")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code, out, err = run_cli("export", *args)
    assert_one_line_error(code, out, err, needle)
    assert not (tmp_path / "x.gif").exists() and not (tmp_path / "x.csv").exists()


def test_cli_export_write_failure_is_one_line(tmp_path, monkeypatch):
    """A write that fails after the checks (disk full, race) is still one line."""
    import builtins

    real_open = builtins.open

    def failing_open(path, mode="r", *a, **k):
        if str(path).endswith("full.csv") and "w" in mode:
            raise OSError(28, "No space left on device")
        return real_open(path, mode, *a, **k)

    monkeypatch.setattr(builtins, "open", failing_open)
    code, out, err = run_cli("export", "--format", "csv", "--out", tmp_path / "full.csv",
                             "--surface", "bowl", "--optimizer", "gd", "--steps", "5")
    assert_one_line_error(code, out, err, "No space left on device")


def test_cli_export_subprocess(tmp_path):
    out = tmp_path / "s.gif"
    proc = subprocess.run([sys.executable, "cli.py", "export", "--format", "gif", "--out", str(out),
                           "--surface", "bowl", "--optimizer", "gd", "--lr", "1.5", "--steps", "60"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"wrote {out} (")
    assert Image.open(out).n_frames == 61
