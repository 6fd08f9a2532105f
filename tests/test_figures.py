"""The figures: what the browser will draw, checked on the figure data itself."""
from __future__ import annotations

import base64
import json

import numpy as np
import plotly.io as pio
import pytest

from state import DEFAULT_RUN
from figures import views
import figures
import landscapes
from config import OptimizerChoice, Racer, RunConfig
from figures.gif import _surface_picture, gif_layout
from figures.style import PALETTE
from figures.trajectories import CHUNK_FRAMES, REDRAW_EVERY
from results import run_results


def arr(v) -> np.ndarray:
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v, dtype=float)


def compute_frame(frames: dict, name: str) -> dict[int, dict]:
    """plotly.js's ``Plots.computeFrame``: follow ``baseframe`` to the root and
    merge from there, the nearer frame winning, trace by trace."""
    chain = []
    while name is not None and name not in [c["name"] for c in chain]:
        chain.append(frames[name])
        name = frames[name].get("baseframe")
    out: dict[int, dict] = {}
    for fr in reversed(chain):
        for i, d in zip(fr["traces"], fr["data"]):
            out[i] = {**out.get(i, {}), **d}
    return out


def race(steps=90, lrs=(0.05, 0.02), surface="bowl"):
    run = RunConfig(surface, (), tuple(Racer(OptimizerChoice.build("gd", lr)) for lr in lrs), steps,
                    (-1.5, 1.2), 0)
    return run, run_results(run)


def test_colours_are_six_distinct_and_without_the_close_oranges():
    assert len(set(PALETTE)) == 6
    assert "#D55E00" not in PALETTE and "#000000" not in PALETTE


def test_thin_keeps_everything_short_and_neighbour_pairs_long():
    assert list(figures.thin(5, 10)) == [0, 1, 2, 3, 4]
    idx = figures.thin(10_001, 1000)
    assert len(idx) <= 1002 and idx[0] == 0 and idx[-1] == 10_000
    pairs = set(idx)
    assert all(i + 1 in pairs for i in idx[:-1:2]), "a zig-zag's swing survives: neighbours kept in pairs"


@pytest.mark.parametrize("steps", [7, 90, 500])
def test_every_frame_shows_the_trail_up_to_its_step(steps):
    """Any frame, reached by the slider or by Play, resolves (through its
    baseframe chain) to each racer's exact path from step 0 to the frame's step."""
    run, res = race(steps)
    fig = views.trajectory_figure_for(run, res, view="2d").to_dict()
    data = fig["data"]
    frames = {f["name"]: f for f in fig["frames"]}
    trails = {}
    for i, t in enumerate(data):
        if t.get("meta", {}).get("role") == "trail":
            trails.setdefault(t["meta"]["racer"], []).append(i)
    for name in [f["name"] for f in fig["frames"] if "hold" not in f["name"]]:
        merged = compute_frame(frames, name)
        for r, ids in trails.items():
            xs = np.concatenate([arr(merged.get(i, data[i])["x"]) for i in ids])
            ys = np.concatenate([arr(merged.get(i, data[i])["y"]) for i in ids])
            pts = np.unique(np.round(np.stack([xs, ys], 1), 5), axis=0)
            k = min(int(name), len(res[r]["positions"]) - 1)
            want = np.unique(np.round(res[r]["positions"][:k + 1].astype(np.float32), 5), axis=0)
            np.testing.assert_allclose(pts, want, atol=1e-5)
    # the frames do not repeat whole growing paths
    sent = sum(len(arr(d["x"])) for f in fig["frames"] for d in f["data"] if isinstance(d.get("x"), dict))
    assert sent <= 2 * (CHUNK_FRAMES + 2) * sum(len(r["positions"]) for r in res) / 1


@pytest.mark.parametrize("view", ["both", "3d"])
def test_every_frame_shows_the_3d_trail_up_to_its_step_and_the_path_ahead_faint(view):
    """The 3-D view shows nothing from the future either: its full path is
    faint, and a solid 3-D trail resolves at every frame to the racer's
    points up to the frame's step (thinned, never past it), lifted like the path."""
    run, res = race(250, lrs=(0.05, 0.02))
    fig = views.trajectory_figure_for(run, res, view=view).to_dict()
    data = fig["data"]
    frames = {f["name"]: f for f in fig["frames"]}
    paths = [t for t in data if t.get("meta", {}).get("role") == "path3d"]
    assert paths and all(t["opacity"] < 0.5 and not t.get("showlegend") for t in paths)
    trails = {}
    for i, t in enumerate(data):
        if t.get("meta", {}).get("role") == "trail3d":
            trails.setdefault(t["meta"]["racer"], []).append(i)
    assert sorted(trails) == [0, 1]
    legend = [data[i]["showlegend"] for ids in trails.values() for i in ids]
    assert sum(legend) == (2 if view == "3d" else 0), "the 3-D trail names the racer only without the map"
    for name in [f["name"] for f in fig["frames"] if "hold" not in f["name"]]:
        merged = compute_frame(frames, name)
        for r, ids in trails.items():
            xs = np.concatenate([arr(merged.get(i, data[i])["x"]) for i in ids])
            ys = np.concatenate([arr(merged.get(i, data[i])["y"]) for i in ids])
            k = min(int(name), len(res[r]["positions"]) - 1)
            pts = np.round(np.stack([xs, ys], 1).astype(float), 5)
            want = np.round(res[r]["positions"][:k + 1].astype(np.float32).astype(float), 5)
            reached = {tuple(p) for p in want}
            assert all(tuple(p) in reached for p in pts), f"frame {name}: a 3-D trail point past step {k}"
            assert tuple(want[-1]) in {tuple(p) for p in pts}, f"frame {name}: the trail stops short of step {k}"
            assert tuple(want[0]) in {tuple(p) for p in pts}


def test_play_redraws_3d_on_a_schedule_and_at_the_end():
    run, res = race(200)
    fig = views.trajectory_figure_for(run, res, view="both").to_dict()
    play = fig["layout"]["updatemenus"][0]["buttons"][0]["args"][1]["frame"]
    assert len(play) == len(fig["frames"])
    assert [p["redraw"] for p in play[:REDRAW_EVERY]] == [False] * (REDRAW_EVERY - 1) + [True]
    holds = [f for f in fig["frames"] if "hold" in f["name"]]
    assert len(holds) == REDRAW_EVERY and all(h["baseframe"] == fig["frames"][-REDRAW_EVERY - 1]["name"]
                                               for h in holds), "Play always ends on a redraw of the last frame"
    assert all(s["args"][1]["frame"]["redraw"] for s in fig["layout"]["sliders"][0]["steps"])


def test_two_racers_on_one_route_differ_in_width_and_dash():
    run, res = race(40, lrs=(0.05, 0.05))
    fig = views.trajectory_figure_for(run, res, view="2d").to_dict()
    trails = [t for t in fig["data"] if t.get("meta", {}).get("role") == "trail" and t.get("showlegend")]
    a, b = trails
    assert a["line"]["width"] > b["line"]["width"], "the racer drawn first is wider"
    assert a["line"]["dash"] != b["line"]["dash"]


def test_diverged_run_gets_a_cross_with_its_step_and_keeps_the_loss_range():
    run, res = race(60, lrs=(0.05, 5.0))
    assert res[1]["status"] == "diverged"
    fig = views.trajectory_figure_for(run, res, view="both").to_dict()
    marks = [t for t in fig["data"] if t.get("meta", {}).get("role") in ("end", "end3d")]
    assert {t["type"] for t in marks} == {"scatter", "scatter3d"}
    assert all(f"diverged at step {res[1]['stopped_at']}" in t["text"][-1] for t in marks)
    assert all(t["marker"]["symbol"] in ("x", "arrow") for t in marks if t["type"] == "scatter"), \
        "a marker, not a ✕ character"
    assert all("✕" not in str(t["text"]) and t["mode"] == "lines+text" for t in marks if t["type"] == "scatter3d"), \
        "in 3-D a ✕ drawn as two strokes (WebGL has no ✕ glyph)"
    loss = views.loss_figure_for(run, res).to_dict()
    lo, hi = loss["layout"]["yaxis"]["range"]
    start = np.log10(res[0]["losses"][0])
    assert hi < start + 1.5, "the diverging run does not blow the y-range open"


def test_no_infinity_when_the_loss_overflows_float32():
    # Beale at (1e6, 1e6): f is about 1e48, beyond float32
    run = RunConfig("beale", (), (Racer(OptimizerChoice.build("gd", 1e-3)),), 20, (1e6, 1e6), 0)
    res = run_results(run)
    for fig in (views.trajectory_figure_for(run, res), views.loss_figure_for(run, res)):
        text = pio.to_json(fig, validate=False)
        json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in a figure"))


def test_local_and_global_minima_have_different_symbols():
    name = next(n for n in landscapes.names() if any(m.kind == "local" for m in landscapes.get(n).minima))
    run = RunConfig(name, (), (Racer(OptimizerChoice.build("gd", 1e-3)),), 10, None, 0)
    fig = views.trajectory_figure_for(run, run_results(run), view="2d").to_dict()
    symbols = {t["name"].split(" minim")[0]: t["marker"]["symbol"] for t in fig["data"]
               if "minim" in str(t.get("name"))}
    assert symbols["global"] != symbols["local"]


def _colour_of_value(pic: np.ndarray, surface, scale, r: int, c: int) -> bool:
    """Pixel (r, c) of a map picture has the colour the scale gives its value
    (or that colour darkened: a band edge)."""
    from figures.raster import LEVELS, VIRIDIS, band_index
    rows, cols = pic.shape[:2]
    (x0, x1), (y0, y1) = surface.domain
    x, y = x0 + (c + 0.5) / cols * (x1 - x0), y1 - (r + 0.5) / rows * (y1 - y0)
    band = band_index(scale.display(surface.f(np.array([x, y]))), scale.lo, scale.hi)
    want = VIRIDIS[int(round(int(band) * 255 / (LEVELS - 1)))]
    return any(np.abs(pic[r, c].astype(int) - w.astype(int)).max() <= 1 for w in (want, (want * 0.55).astype(np.uint8)))


@pytest.mark.parametrize("name", ["rosenbrock", "himmelblau", "bowl"])
def test_the_gif_and_the_figure_colour_a_value_alike(name):
    """One SurfaceScale decides the colour range of the interactive map and the GIF."""
    s = landscapes.get(name)
    grids = figures.SurfaceGrids.of(s)
    assert grids.scale == figures.SurfaceScale.for_surface(s)
    gif_pic = np.asarray(_surface_picture(s, gif_layout(s, [], 720, 600)))
    fig_pic = np.asarray(grids.image.convert("RGB"))
    for pic in (gif_pic, fig_pic):
        rows, cols = pic.shape[:2]
        hits = [_colour_of_value(pic, s, grids.scale, int(rows * fr), int(cols * fc))
                for fr in (0.2, 0.35, 0.5, 0.65, 0.8) for fc in (0.25, 0.5, 0.75)]
        assert sum(hits) >= 12, hits    # a pixel near a band edge may round to the next band


def test_static_export_draws_a_vector_contour_without_animation():
    run, res = race(30)
    fig = views.static_figure(run, res).to_dict()
    assert fig["data"][0]["type"] == "contour" and not fig["layout"].get("images")
    assert not fig.get("frames") and not fig["layout"].get("sliders")


def test_default_view_payload():
    run = DEFAULT_RUN
    fig = views.trajectory_figure_for(run, run_results(run))
    assert len(pio.to_json(fig, validate=False)) < 1_000_000


def test_a_start_outside_the_domain_widens_the_map():
    """The article's start (5, 0) lies outside the bowl's [-2, 2]²: the map is drawn over a
    region holding it (not letterboxed: the picture covers the whole new range)."""
    import lessons
    import results
    from figures.scale import view_domain
    assert view_domain(((-2, 2), (-2, 2)), [(1.0, 1.0)]) == ((-2, 2), (-2, 2))
    (x0, x1), (y0, y1) = view_domain(((-2, 2), (-2, 2)), [(5.0, 0.0), None])
    assert x0 == -2 and x1 > 5 and (y0, y1) == (-2, 2)
    run = lessons.LESSONS["article"].run_config()
    fig = views.trajectory_figure_for(run, results.run_results(run), view="2d")
    d = fig.to_dict() if hasattr(fig, "to_dict") else fig
    lo, hi = d["layout"]["xaxis"]["range"]
    assert lo <= -2 and hi > 5
    image = d["layout"]["images"][0]
    assert image["x"] == pytest.approx(lo) and image["sizex"] == pytest.approx(hi - lo)


# --- figures assembled from cached parts (the app's per-racer figure cache) ---------

def _json(fig) -> bytes:
    from figures import prepared
    return json.dumps(prepared.prepare(fig).spec, sort_keys=True).encode()


@pytest.mark.parametrize("view,trails", [("both", True), ("2d", False), ("3d", True)])
def test_a_figure_from_cached_racer_parts_equals_one_built_afresh(view, trails):
    """Changing one racer rebuilds only its part; the figure assembled from the
    two reused parts and the new one is byte for byte the fresh figure, and a
    figure prepared from cached parts leaves them as they were."""
    built = []
    memo = {}

    def part(grids, p, setup):
        key = (grids.digest, p.digest, setup)
        if key not in memo:
            built.append(p.label)
            memo[key] = figures.racer_part(grids, p, setup)
        return memo[key]

    run = RunConfig("rosenbrock", (), (Racer(OptimizerChoice.build("gd", 0.001)),
                                       Racer(OptimizerChoice.build("momentum", 0.001)),
                                       Racer(OptimizerChoice.build("adam", 0.05))), 300, (-1.5, 1.5), 0)
    res = run_results(run)
    kw = dict(view=view, trails=trails, raw=True)
    first = _json(views.trajectory_figure_for(run, res, part=part, **kw))
    assert len(built) == 3
    changed = RunConfig(run.surface, (), (Racer(OptimizerChoice.build("gd", 0.0012)),) + run.racers[1:],
                        run.steps, run.start, 0)
    res2 = run_results(changed)
    again = _json(views.trajectory_figure_for(changed, res2, part=part, **kw))
    assert len(built) == 4 and built[-1] == res2[0]["label"], "only the changed racer's part is built"
    assert again == _json(views.trajectory_figure_for(changed, res2, **kw))
    assert _json(views.trajectory_figure_for(run, res, part=part, **kw)) == first, "cached parts unchanged"
    assert len(built) == 4


def test_digests_tell_what_a_racer_part_is_drawn_from():
    run, res = race()
    p, q = views.paths_for(res)
    assert p.digest == views.paths_for(res)[0].digest
    assert p.digest != q.digest
    relabelled = figures.PathView(p.label + "!", p.colour, p.xy, p.loss, p.status, p.index, p.stopped_at)
    assert relabelled.digest != p.digest
    s = landscapes.get("bowl")
    g = figures.SurfaceGrids.of(s)
    assert figures.SurfaceGrids.of(s) is g, "the same grids are reused"
    wide = figures.SurfaceGrids.of(s, view=((-9.0, 9.0), (-9.0, 9.0)))
    assert wide.digest != g.digest
    assert figures.SurfaceGrids.of(landscapes.get("rosenbrock")).digest != g.digest
    with pytest.raises(ValueError):
        g.z[0, 0] = 1.0   # shared grids are read-only


@pytest.mark.parametrize("a", [np.arange(5, dtype=np.float32), np.ones((3, 4), np.float32),
                               np.arange(7, dtype=np.uint16), np.arange(3, dtype=np.int32),
                               np.linspace(0, 1, 6), np.arange(4)[::2].astype(np.float32),
                               np.arange(4, dtype=np.int64), np.zeros(0)])
def test_typed_arrays_match_plotly(a):
    from _plotly_utils.utils import to_typed_array_spec
    from figures.prepared import typed_array
    want, got = to_typed_array_spec(a), typed_array(a)
    if isinstance(want, dict):
        assert got == want
    else:
        assert np.array_equal(got, want)


# --- the data panel: the data and each racer's model, moved by the race's frames -------------

def panel_of(fig: dict) -> tuple[list[int], dict[int, int]]:
    """The data panel's still traces and, per racer, its model trace's index."""
    still, models = [], {}
    for i, t in enumerate(fig["data"]):
        meta = t.get("meta") or {}
        if meta.get("role") == "panel":
            (still.append(i) if "racer" not in meta else models.__setitem__(meta["racer"], i))
    return still, models


def finite_position(r: dict, step: int) -> np.ndarray:
    """Where racer ``r`` is at ``step``: a run that stopped rests at its last finite point."""
    ok = np.all(np.isfinite(r["positions"]), axis=1) & np.isfinite(r["losses"])
    n = len(ok) if ok.all() else int(np.argmin(ok))
    return r["positions"][min(step, n - 1)]


def all_numbers_finite(fig: dict) -> None:
    """No NaN or Infinity anywhere: neither in the JSON nor inside a base64 typed array."""
    json.loads(pio.to_json(fig, validate=False), parse_constant=lambda c: pytest.fail(f"{c} in a figure"))

    def walk(o):
        if isinstance(o, dict):
            if "bdata" in o:
                assert np.all(np.isfinite(arr(o))), "a non-finite number in a typed array"
            for v in o.values():
                walk(v)
        elif isinstance(o, (list, tuple)):
            for v in o:
                walk(v)
    walk(fig)


DATA_RACES = {   # a full batch, a mini-batch and a run that diverges
    "linear_regression": (("gd", 0.1, None), ("gd", 0.1, 4), ("gd", 1.5, None)),
    "logistic_regression": (("gd", 2.0, None), ("adam", 0.1, 8), ("gd", 3000.0, None)),
    "nn_slice": (("adam", 0.028, None), ("gd", 0.1, 4), ("gd", 40.0, None)),
}


def data_race(surface: str, steps: int = 150):
    run = RunConfig(surface, (), tuple(Racer(OptimizerChoice.build(o, lr), batch_size=b)
                                       for o, lr, b in DATA_RACES[surface]), steps, None, 0)
    return run, run_results(run)


@pytest.mark.parametrize("surface", list(DATA_RACES))
def test_data_panel_frames_draw_each_racers_model_at_the_frames_step(surface):
    """Every frame moves each racer's model in the panel to the model at that
    racer's position at the frame's step (where the map's marker is), checked
    against the model computed here from the trajectory; a diverged run's model
    stays at its last finite position."""
    run, res = data_race(surface)
    s = run.get_surface()
    assert any(r["status"] == "diverged" for r in res)
    fig = views.trajectory_figure_for(run, res).to_dict()
    layout, data = fig["layout"], fig["data"]
    still, models = panel_of(fig)
    assert sorted(models) == [0, 1, 2] and len(still) == 2   # data (and least squares) or the two classes
    assert all(data[i]["xaxis"] == "x3" and data[i]["yaxis"] == "y3" for i in still + list(models.values()))
    x0, x1 = layout["xaxis3"]["range"]
    y0, y1 = layout["yaxis3"]["range"]
    title = layout["legend2"]["title"]["text"]
    assert "at the animated step" in title
    assert ("Fitted lines" in title) == (surface == "linear_regression")
    # the panel is beside the views, which share the rest of the width
    assert layout["xaxis3"]["domain"][0] > max(layout["xaxis"]["domain"][1], layout["scene"]["domain"]["x"][1])
    frames = {f["name"]: f for f in fig["frames"]}
    named = [f["name"] for f in fig["frames"] if "hold" not in f["name"]]
    assert len(named) == len(figures.frame_steps(run.steps))
    for name in named:
        merged = compute_frame(frames, name)
        assert all(i in merged for i in models.values()), "every frame moves every racer's model"
        for r, i in models.items():
            d = {**data[i], **merged[i]}
            x, y = arr(d["x"]), arr(d["y"])
            w = finite_position(res[r], int(name))
            if surface == "linear_regression":   # the line y = w x + b across the panel
                np.testing.assert_allclose(x, [x0, x1])
                np.testing.assert_allclose(y, w[0] * x + w[1], rtol=1e-6, atol=1e-6)
            elif surface == "logistic_regression":   # the segment of w·x = 0 inside the box
                assert len(x) == 2 and np.hypot(*(np.array([x[1] - x[0], y[1] - y[0]]))) > 0
                np.testing.assert_allclose(w[0] * x + w[1] * y, 0, atol=1e-5 * np.hypot(*w))
                on_edge = np.isclose(x, x0) | np.isclose(x, x1) | np.isclose(y, y0) | np.isclose(y, y1)
                assert on_edge.all() and (x0 - 1e-6 <= x).all() and (x <= x1 + 1e-6).all()
            elif int(name) % 4 == 0 or name == named[-1]:   # the network: its boundary p = 1/2
                near_boundary(s, w, x, y, (x0, x1), (y0, y1), f"frame {name}, racer {r}")
    # the figure opens on the last frame: the traces hold what it holds
    last = compute_frame(frames, named[-1])
    for i in models.values():
        assert {k: data[i][k] for k in last[i]} == last[i]
    all_numbers_finite(fig)


def class_changes(s, w, xrange, yrange, n: int = 150) -> np.ndarray:
    """Points where the model at ``w`` changes class between neighbours of an n x n grid."""
    gx, gy = np.linspace(*xrange, n), np.linspace(*yrange, n)
    cls = s.predict(np.asarray(w, dtype=float), np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)).reshape(n, n) > 0.5
    mid_x, mid_y = (gx[1:] + gx[:-1]) / 2, (gy[1:] + gy[:-1]) / 2
    return np.concatenate([np.stack(np.meshgrid(mid_x, gy), -1)[cls[:, 1:] != cls[:, :-1]],
                           np.stack(np.meshgrid(gx, mid_y), -1)[cls[1:] != cls[:-1]]])


def near_boundary(s, w, x, y, xrange, yrange, what: str) -> None:
    """Every drawn vertex lies within one cell of the tracing grid of where the
    model at ``w`` changes class (marching squares puts each vertex on a cell
    edge whose ends differ in class)."""
    from figures.data_panel import BOUNDARY_GRID
    pts = np.stack([x, y], axis=1)
    pts = pts[np.all(np.isfinite(pts), axis=1)]   # arr() reads the None between pieces as NaN
    assert len(pts) >= 2, what
    change = class_changes(s, w, xrange, yrange)
    cell = np.hypot(np.diff(xrange)[0], np.diff(yrange)[0]) * (1 / (BOUNDARY_GRID - 1) + 1 / 149)
    dist = np.sqrt(((pts[:, None] - change[None]) ** 2).sum(-1)).min(axis=1)
    assert dist.max() <= cell, f"{what}: a vertex {dist.max():.3f} from the boundary (one cell: {cell:.3f})"


def test_the_network_boundary_is_complete():
    """The traced boundary (a coarse grid, simplified) runs wherever a fine grid
    finds the model changing class, to within a few pixels of the panel."""
    from figures.data_panel import DataPanel
    s = landscapes.get("nn_slice")
    panel = DataPanel.of(s)
    (x0, x1), (y0, y1) = panel.xrange, panel.yrange
    diag = np.hypot(x1 - x0, y1 - y0)
    gx, gy = np.linspace(x0, x1, 300), np.linspace(y0, y1, 300)
    pts = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)
    for w in ([0.0, 0.0], [-0.7, 0.6], [0.4, -0.3]):
        d = panel.models(np.array([w]))[0]
        x = np.array([np.nan if v is None else v for v in d["x"]])
        y = np.array([np.nan if v is None else v for v in d["y"]])
        cls = (s.predict(np.array([w]), pts).reshape(300, 300) > 0.5)
        change = (cls[:, 1:] != cls[:, :-1])
        fine = np.stack(np.meshgrid(gx[:-1], gy), -1)[change]
        # distance from each fine crossing to the polyline's segments (pieces split at None)
        a, b = np.stack([x[:-1], y[:-1]], 1), np.stack([x[1:], y[1:]], 1)
        seg = np.all(np.isfinite(a), 1) & np.all(np.isfinite(b), 1)
        a, b = a[seg], b[seg]
        ab = b - a
        t = np.clip(((fine[:, None] - a[None]) * ab[None]).sum(-1) / (ab ** 2).sum(-1)[None], 0, 1)
        dist = np.hypot(*(fine[:, None] - a[None] - t[..., None] * ab[None]).transpose(2, 0, 1)).min(axis=1)
        assert dist.max() < 0.015 * diag, (w, dist.max() / diag)


def test_data_panel_in_a_still_shows_the_last_step():
    run, res = data_race("linear_regression", 60)
    fig = views.static_figure(run, res).to_dict()
    _, models = panel_of(fig)
    assert not fig.get("frames") and "at the last step (60)" in fig["layout"]["legend2"]["title"]["text"]
    for r, i in models.items():
        w = finite_position(res[r], 60)
        np.testing.assert_allclose(arr(fig["data"][i]["y"]), w[0] * arr(fig["data"][i]["x"]) + w[1], rtol=1e-6)


def test_no_data_panel_on_an_analytic_surface():
    run, res = race(30)
    fig = views.trajectory_figure_for(run, res).to_dict()
    assert panel_of(fig) == ([], {}) and "xaxis3" not in fig["layout"] and "legend2" not in fig["layout"]


@pytest.mark.parametrize("surface", list(DATA_RACES))
def test_the_largest_race_on_a_data_surface_stays_within_its_size(surface):
    """Six racers x 10,000 steps, both views (the largest race allowed), every
    racer wandering over the whole domain (every frame's model differs): the
    figure's JSON stays within 1.5 MB. Trajectories made up here: the size
    depends on the number of points drawn, not on how they were computed."""
    from figures import prepared
    s = landscapes.get(surface)
    steps = 10_000
    run = RunConfig(surface, (), tuple(Racer(OptimizerChoice.build("gd", 0.1), batch_size=1) for _ in range(6)),
                    steps, None, 0)
    rng = np.random.default_rng(7)
    (a, b), (c, d) = s.domain
    res = [{"label": f"racer {i}", "status": "max_steps", "stopped_at": -1,
            "positions": np.stack([rng.uniform(a, b, steps + 1), rng.uniform(c, d, steps + 1)], 1),
            "losses": rng.uniform(0.1, 5.0, steps + 1)} for i in range(6)]
    fig = prepared.prepare(views.trajectory_figure_for(run, res, raw=True))
    size = prepared.nbytes(fig)
    assert size <= 1_500_000, f"{surface}: {size / 1e6:.3f} MB"
    _, models = panel_of(fig.spec)
    assert len(models) == 6
    all_numbers_finite(fig.spec)


def test_prepare_stable_lets_the_chart_keep_what_did_not_change():
    """A figure as served to the chart component (figures.prepared.prepare_stable):
    each trace's uid is a digest of that trace alone, so a changed racer changes
    its own uid and no other; no template; the light look in the layout and the
    dark look's differences beside it; a digest of the traces as datarevision;
    arrays as JSON numbers (base64 above the limit); meta as JSON strings."""
    import json

    from figures import chart_theme
    from figures.prepared import PLAIN_LIMIT, prepare_stable, trace_meta

    def raw(x_last: float) -> dict:
        return {"data": [dict(type="scatter", x=np.array([0.0, 0.5, x_last]), y=np.array([1.0, np.nan, 2.0]),
                              customdata=np.array([0, 1, 2]), meta=dict(role="path", racer=0)),
                         dict(type="scatter", x=np.array([0.0, 1.0]), y=np.array([0.0, 1.0]),
                              meta=dict(role="path", racer=1))],
                "layout": dict(xaxis=dict(range=[0, 1]), yaxis=dict(range=[0, 2]), legend=dict(font=dict(size=12)),
                               updatemenus=[dict(type="buttons", buttons=[])])}

    fig = prepare_stable(raw(1.0))
    light, dark = fig.spec, fig.dark
    t = light["data"][0]
    assert t["x"] == [0.0, 0.5, 1.0] and t["y"] == [1.0, None, 2.0] and t["customdata"] == [0, 1, 2]
    assert isinstance(t["meta"], str) and trace_meta(t) == {"role": "path", "racer": 0}
    assert "template" not in light["layout"] and light["layout"]["clickmode"] == "event"
    assert light["layout"]["font"]["color"] == chart_theme.LOOKS["light"]["text"]
    assert light["layout"]["yaxis"]["gridcolor"] == chart_theme.LOOKS["light"]["grid"]
    assert dark["paper_bgcolor"] == chart_theme.LOOKS["dark"]["background"]
    assert dark["yaxis"]["gridcolor"] == chart_theme.LOOKS["dark"]["grid"]
    assert dark["legend"]["font"] == {"size": 12, "color": chart_theme.LOOKS["dark"]["strong"],
                                      "family": chart_theme.FONT}
    assert dark["updatemenus"][0]["bgcolor"] == chart_theme.LOOKS["dark"]["background"]
    assert "datarevision" not in dark and "clickmode" not in dark, "only the look differs"
    again, moved = prepare_stable(raw(1.0)).spec, prepare_stable(raw(0.9)).spec
    assert [t["uid"] for t in again["data"]] == [t["uid"] for t in light["data"]]
    assert again["layout"]["datarevision"] == light["layout"]["datarevision"]
    assert moved["data"][0]["uid"] != light["data"][0]["uid"], "the changed racer is redrawn"
    assert moved["data"][1]["uid"] == light["data"][1]["uid"], "the other racer is kept"
    assert moved["layout"]["datarevision"] != light["layout"]["datarevision"]
    json.dumps(light, allow_nan=False)   # strict JSON: a gap is null
    # above the limit the arrays stay base64 (the payload budget of the largest races)
    big = raw(1.0)
    big["data"][0]["x"] = np.linspace(0, 1, PLAIN_LIMIT + 1)
    big["data"][0]["y"] = np.linspace(0, 1, PLAIN_LIMIT + 1)
    assert "bdata" in prepare_stable(big).spec["data"][0]["x"]


def test_prepare_stable_uid_covers_meta():
    """A trace whose only change is its ``meta`` (say the racer it stands for) is a changed trace:
    its uid and the figure's datarevision change, or the browser would keep the old meta."""
    from figures.prepared import prepare_stable, trace_meta

    def raw(racer: int) -> dict:
        return {"data": [dict(type="scatter", x=[0.0, 1.0], y=[0.0, 1.0], meta=dict(role="path", racer=racer))],
                "layout": {}}

    a, b = prepare_stable(raw(0)).spec, prepare_stable(raw(1)).spec
    assert trace_meta(b["data"][0]) == {"role": "path", "racer": 1}
    assert a["data"][0]["uid"] != b["data"][0]["uid"]
    assert a["layout"]["datarevision"] != b["layout"]["datarevision"]


@pytest.mark.parametrize("lo, top", [(0, 8), (0, 15), (-1, 3.5), (0, 20), (0, 1e-3), (-8, -2), (0, 0.37),
                                     (0, 1), (-3.2, 11.7), (1e-3, 2e5), (-1.5992701146959152, 3.5548231490081363)])
def test_3d_z_ticks_are_few_round_and_clear_of_the_corner(lo, top):
    """Seen from above the z axis is short on screen: one or two round ticks,
    none in the lower third (where they overlapped the x and y labels)."""
    from figures.trajectories import z_ticks
    ticks = z_ticks(lo, top)
    assert 1 <= len(ticks) <= 2, ticks
    for t in ticks:
        assert lo + (top - lo) / 3 - 1e-12 <= t <= top + 1e-12, (t, ticks)
        mantissa = abs(t) / 10 ** np.floor(np.log10(abs(t))) if t else 1
        assert round(mantissa, 6) in (1, 2, 3, 4, 5, 6, 7, 8, 9, 2.5, 1.5, 7.5), t


def test_the_race_figures_z_axis_uses_those_ticks():
    from figures.trajectories import z_ticks
    run = DEFAULT_RUN
    fig = views.trajectory_figure_for(run, run_results(run), view="both", raw=True)
    z = fig["layout"]["scene"]["zaxis"]
    assert z["tickvals"] == z_ticks(*z["range"])


@pytest.mark.parametrize("view", ["2d", "both"])
def test_with_a_data_panel_the_slider_keeps_clear_of_play_and_pause(view):
    """The panel narrows the views; the step slider keeps its distance from the
    Play/Pause buttons (scaled with the rest, they covered the rail's left end)."""
    run, res = data_race("linear_regression", 60)
    plain, _ = race(60)
    alone = views.trajectory_figure_for(plain, run_results(plain), view=view).to_dict()["layout"]
    lay = views.trajectory_figure_for(run, res, view=view).to_dict()["layout"]
    gap = lambda L: L["sliders"][0]["x"] - L["updatemenus"][0]["x"]   # noqa: E731
    assert gap(lay) == pytest.approx(gap(alone))
    assert lay["sliders"][0]["x"] + lay["sliders"][0]["len"] <= lay["xaxis3"]["domain"][0]


def test_a_wide_map_is_drawn_square_with_its_stretch_named_and_data_axes_named_by_their_weights():
    """Issue 20: on a 1280x720 projector a 2:1 map kept 1:1 got half the height of a square
    one. A map wider than STRETCH_ABOVE is drawn square (the 3-D view always was), its y axis
    titled with the stretch; a near-square one keeps 1:1. Data surfaces name their axes by
    their weights, in both views and in the GIF's layout."""
    from figures.trajectories import STRETCH_ABOVE, map_stretch
    for name, stretch, title in (("ravine", 2.0, "y (stretched ×2)"), ("bowl", 1.0, "y")):
        run, res = race(20, surface=name)
        lay = views.trajectory_figure_for(run, res).to_dict()["layout"]
        assert lay["yaxis"]["scaleratio"] == stretch and lay["yaxis"]["scaleanchor"] == "x"
        assert lay["yaxis"]["title"]["text"] == title and lay["xaxis"]["title"]["text"] == "x"
    assert map_stretch(((0, STRETCH_ABOVE), (0, 1))) == 1.0 and map_stretch(((0, 1), (0, 2))) == 1.0
    run, res = data_race("linear_regression", 20)
    lay = views.trajectory_figure_for(run, res).to_dict()["layout"]
    assert lay["xaxis"]["title"]["text"] == "w" and lay["yaxis"]["title"]["text"].startswith("b")
    assert (lay["scene"]["xaxis"]["title"]["text"], lay["scene"]["yaxis"]["title"]["text"]) == ("w", "b")
    assert landscapes.get("logistic_regression").axes == ("w₁", "w₂")
