"""An animated GIF of the 2-D view, drawn without a browser (NumPy + Pillow).

What does not move is drawn once: the filled-contour picture (the same one the
interactive 2-D view uses, from ``figures.raster``), the axes, title, legend,
the minima and the start point, and every full path drawn faintly. That
background is quantized once to a single global palette of at most 255
colours (one index stays free for GIF transparency), which holds the exact
path colours, white and black. Frames are then drawn directly in palette
mode: each path's travelled part grows on a persistent "trail" image (only the
new segments are drawn per frame), the current points are markers on a copy
of it, and a small "step k" label is pasted in. No per-frame quantization, so
150 frames take a fraction of a second; Pillow stores each frame as the
difference to the previous one with unchanged pixels transparent, which keeps
the file small.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from landscapes import Surface

from .scale import GRID, SurfaceScale, _grid
from .trajectories import PathView, _fmt, frame_steps

BACKGROUND = (255, 255, 255)
TEXT = (42, 63, 95)        # plotly's default font colour
AXIS = (68, 68, 68)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)

TITLE_SIZE = 20
STEP_SIZE = 18
LABEL_SIZE = 16            # legend, tick labels
AXIS_TITLE_SIZE = 17

FAINT_ALPHA = 0.35          # opacity of the full paths under the animation
FAINT_WIDTH = 2
PATH_WIDTH = 3
MARKER_RADIUS = 7
LAST_FRAME_HOLD_MS = 1500   # the last frame stays up a little longer before the loop
MIN_WIDTH, MIN_HEIGHT = 320, 240
MAX_SIDE = 4000

_PAD = 12
_CLIP = 20.0                # lines are clipped to the plot area plus this many pixels


# --- fonts and small helpers --------------------------------------------------

@lru_cache(maxsize=16)
def _font(size: int, bold: bool = False):
    """DejaVu Sans when the system has it (wide glyph coverage), else Pillow's
    built-in scalable font (Pillow >= 10.1), else its tiny bitmap font."""
    names = ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf") if bold else ("DejaVuSans.ttf",)
    for name in names:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            pass
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _text_size(font, text: str) -> tuple[int, int]:
    x0, y0, x1, y1 = font.getbbox(text)
    return int(math.ceil(x1 - min(x0, 0))), int(math.ceil(y1 - min(y0, 0)))


def _rgb(colour) -> tuple[int, int, int]:
    if isinstance(colour, str):
        c = colour.lstrip("#")
        if len(c) == 3:
            c = "".join(ch * 2 for ch in c)
        return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
    return tuple(int(v) for v in colour[:3])


def nice_ticks(lo: float, hi: float, target: int = 6) -> tuple[list[float], int]:
    """Round tick values in [lo, hi] (steps of 1, 2 or 5 x 10^k) and how many
    decimals their labels need."""
    span = hi - lo
    if not (math.isfinite(span) and span > 0):
        return [lo], 2
    raw = span / max(target, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw * 0.999)
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    ticks = [k * step for k in range(first, last + 1)]
    decimals = max(0, -int(math.floor(math.log10(step) + 1e-9)))
    return ticks, decimals


def _tick_label(v: float, decimals: int) -> str:
    text = f"{v:.{decimals}f}"
    return "0" if float(text) == 0 else text


# --- layout -------------------------------------------------------------------

@dataclass(frozen=True)
class LegendItem:
    kind: str                 # "path", "start", "minimum", "local" or "saddle"
    label: str
    colour: tuple[int, int, int]
    suffix: str = ""          # " (diverged)": shown from the step the run stopped at
    from_step: int = 0

    @property
    def text(self) -> str:
        """The longest the entry gets (the layout leaves room for it)."""
        return self.label + self.suffix


@dataclass(frozen=True)
class GifLayout:
    """Where everything goes in a frame. The plot area is the pixel box
    ``[left, left + plot_width) x [top, top + plot_height)``."""

    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    domain: tuple[tuple[float, float], tuple[float, float]]
    legend: tuple[tuple[LegendItem, int, int], ...]  # item, x, y (top-left of the entry)
    step_box: tuple[int, int, int, int]             # where the "step k" label goes

    @property
    def plot_box(self) -> tuple[int, int, int, int]:
        return self.left, self.top, self.left + self.plot_width, self.top + self.plot_height

    def to_plot(self, xy) -> np.ndarray:
        """Data coordinates -> pixel coordinates inside the plot area (float;
        (0, 0) is its top-left corner). Far-away points give far-away (or
        non-finite) pixels: callers clip."""
        (x0, x1), (y0, y1) = self.domain
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        with np.errstate(all="ignore"):
            px = (xy[:, 0] - x0) / (x1 - x0) * self.plot_width
            py = (y1 - xy[:, 1]) / (y1 - y0) * self.plot_height
        return np.stack([px, py], axis=1)

    def to_pixel(self, xy) -> np.ndarray:
        """Data coordinates -> pixel coordinates in the whole frame."""
        return self.to_plot(xy) + np.array([self.left, self.top], dtype=float)


def _legend_items(surface: Surface, paths: list[PathView]) -> list[LegendItem]:
    items = [LegendItem("path", p.label, _rgb(p.colour), f" ({p.status})" if p.ended else "", p.end_step)
             for p in paths]
    items.append(LegendItem("start", "start", WHITE))
    if surface.minima:
        glob = [m for m in surface.minima if m.kind == "global"]
        loc = [m for m in surface.minima if m.kind != "global"]
        if glob:
            items.append(LegendItem("minimum", "global minim" + ("a" if len(glob) > 1 else "um"), WHITE))
        if loc:
            items.append(LegendItem("local", "local minim" + ("a" if len(loc) > 1 else "um"), WHITE))
    if surface.saddles:
        items.append(LegendItem("saddle", "saddle point", WHITE))
    return items


_SWATCH = 30   # width of a legend swatch
_ROW = 24      # height of a legend row


def gif_layout(surface: Surface, paths: list[PathView], width: int = 720, height: int = 600,
               domain=None) -> GifLayout:
    """The frame layout for these paths (the legend decides where the plot starts);
    ``domain``: the region drawn (the app's map's, which widens to hold every start),
    else the surface's own."""
    title_font, step_font = _font(TITLE_SIZE, True), _font(STEP_SIZE)
    label_font, axis_font = _font(LABEL_SIZE), _font(AXIS_TITLE_SIZE)
    (x0, x1), (y0, y1) = domain or surface.domain

    # title row: title on the left, "step k" on the right
    _, title_h = _text_size(title_font, "Ag")
    step_w, step_h = _text_size(step_font, "step 00000")
    step_box = (width - _PAD - step_w - 4, _PAD - 2, width - _PAD, _PAD + max(title_h, step_h) + 4)
    y = _PAD + max(title_h, step_h) + 10

    # legend rows, wrapped to the width
    entries = []
    x = _PAD
    for item in _legend_items(surface, paths):
        w = _SWATCH + 6 + _text_size(label_font, item.text)[0]
        if x > _PAD and x + w > width - _PAD:
            x, y = _PAD, y + _ROW
        entries.append((item, x, y))
        x += w + 18
    top = y + _ROW + 8

    # left margin: axis title, widest tick label
    yticks, ydec = nice_ticks(y0, y1)
    tick_w = max(_text_size(label_font, _tick_label(v, ydec))[0] for v in yticks)
    axis_w, axis_h = _text_size(axis_font, "y")
    left = _PAD + axis_w + 10 + tick_w + 10
    _, tick_h = _text_size(label_font, "0")
    bottom = 8 + tick_h + 8 + axis_h + _PAD
    right = _PAD + 8
    pw, ph = width - left - right, height - top - bottom
    if pw < 100 or ph < 80:
        raise ValueError(f"a {width}x{height} GIF leaves no room for the plot; make it larger")
    return GifLayout(width, height, left, top, pw, ph, ((x0, x1), (y0, y1)), tuple(entries), step_box)


# --- drawing ------------------------------------------------------------------

def clip_segments(a: np.ndarray, b: np.ndarray, box: tuple[float, float, float, float]):
    """Liang-Barsky: clip segments a[i] -> b[i] to box (xmin, ymin, xmax, ymax).
    Returns (keep, start, end, t0, t1); non-finite segments are dropped."""
    xmin, ymin, xmax, ymax = box
    with np.errstate(all="ignore"):
        d = b - a
        t0 = np.zeros(len(a))
        t1 = np.ones(len(a))
        keep = np.all(np.isfinite(a), axis=1) & np.all(np.isfinite(b), axis=1) & np.all(np.isfinite(d), axis=1)
        for p, q in ((-d[:, 0], a[:, 0] - xmin), (d[:, 0], xmax - a[:, 0]),
                     (-d[:, 1], a[:, 1] - ymin), (d[:, 1], ymax - a[:, 1])):
            parallel = p == 0
            keep &= ~(parallel & (q < 0))
            r = np.where(parallel, 0.0, q / np.where(parallel, 1.0, p))
            t0 = np.where(~parallel & (p < 0), np.maximum(t0, r), t0)
            t1 = np.where(~parallel & (p > 0), np.minimum(t1, r), t1)
        keep &= t0 <= t1
        start = a + t0[:, None] * d
        end = a + t1[:, None] * d
    return keep, start, end, t0, t1


class ClippedPath:
    """A path's segments clipped to a box once; runs of them drawn on demand."""

    def __init__(self, pts: np.ndarray, box):
        self.n = len(pts)
        if self.n >= 2:
            self.keep, s, e, self.t0, self.t1 = clip_segments(pts[:-1], pts[1:], box)
            self.start, self.end = s.tolist(), e.tolist()

    def runs(self, lo: int = 0, hi: int | None = None) -> list[list[tuple[float, float]]]:
        """Polylines through points lo..hi (inclusive), split where clipped."""
        hi = self.n - 1 if hi is None else min(hi, self.n - 1)
        runs: list[list[tuple[float, float]]] = []
        current: list = []
        for i in range(max(lo, 0), hi):
            if not self.keep[i]:
                if len(current) >= 2:
                    runs.append(current)
                current = []
                continue
            if not current or self.t0[i] > 0:
                if len(current) >= 2:
                    runs.append(current)
                current = [tuple(self.start[i])]
            current.append(tuple(self.end[i]))
            if self.t1[i] < 1:
                runs.append(current)
                current = []
        if len(current) >= 2:
            runs.append(current)
        return runs


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    pts = []
    for k in range(10):
        a = -math.pi / 2 + k * math.pi / 5
        rr = r if k % 2 == 0 else r * 0.45
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    return pts


def _draw_symbol(draw: ImageDraw.ImageDraw, kind: str, cx: float, cy: float, ink: Callable, size: float = 1.0):
    """Start ring, minimum star, saddle cross or a path marker (``kind`` a colour
    for the last). ``ink`` maps an RGB colour to what ``draw`` wants."""
    if kind == "start":
        r = 8 * size
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=ink(WHITE), width=3)
    elif kind == "minimum":
        pts = _star(cx, cy, 10 * size)
        draw.polygon(pts, fill=ink(WHITE), outline=ink(BLACK))
    elif kind == "local":
        r = 8 * size
        draw.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill=ink(WHITE), outline=ink(BLACK))
    elif kind == "saddle":
        r = 6 * size
        for (ax, ay, bx, by) in ((cx - r, cy - r, cx + r, cy + r), (cx - r, cy + r, cx + r, cy - r)):
            draw.line((ax, ay, bx, by), fill=ink(BLACK), width=5)
            draw.line((ax, ay, bx, by), fill=ink(WHITE), width=3)


def _draw_cross(draw: ImageDraw.ImageDraw, cx: float, cy: float, fill, outline, r: float = 8):
    """The ✕ at the last point of a diverged or escaped run."""
    for (ax, ay, bx, by) in ((cx - r, cy - r, cx + r, cy + r), (cx - r, cy + r, cx + r, cy - r)):
        draw.line((ax, ay, bx, by), fill=outline, width=6)
        draw.line((ax, ay, bx, by), fill=fill, width=4)


def _draw_marker(draw: ImageDraw.ImageDraw, cx: float, cy: float, fill, outline, r: float = MARKER_RADIUS):
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=outline)
    r2 = r - 2
    draw.ellipse((cx - r2, cy - r2, cx + r2, cy + r2), fill=fill)


def _surface_picture(surface: Surface, lay: GifLayout) -> Image.Image:
    """The filled-contour picture at exactly the plot area's pixel size, with
    the same ``SurfaceScale`` (display transform and colour range) as the
    interactive figure."""
    scale = SurfaceScale.from_values(surface, _grid(surface, lay.domain, GRID)[2])   # the map's colours
    (x0, x1), (y0, y1) = lay.domain
    pw, ph = lay.plot_width, lay.plot_height
    xs = x0 + (np.arange(pw) + 0.5) / pw * (x1 - x0)       # pixel centres
    ys = y0 + (np.arange(ph) + 0.5) / ph * (y1 - y0)
    pts = np.stack(np.meshgrid(xs, ys), axis=-1)
    with np.errstate(all="ignore"):
        zi = surface.f(pts)
    return scale.picture(zi)


def _background(surface: Surface, paths: list[PathView], lay: GifLayout) -> Image.Image:
    img = Image.new("RGB", (lay.width, lay.height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    title_font, label_font, axis_font = _font(TITLE_SIZE, True), _font(LABEL_SIZE), _font(AXIS_TITLE_SIZE)

    # plot area: contour picture and the full paths, faint
    area = _surface_picture(surface, lay)
    pw, ph = lay.plot_width, lay.plot_height
    box = (-_CLIP, -_CLIP, pw + _CLIP, ph + _CLIP)
    over = area.copy()
    od = ImageDraw.Draw(over)
    for p in paths:
        for run in ClippedPath(lay.to_plot(p.xy), box).runs():
            od.line(run, fill=_rgb(p.colour), width=FAINT_WIDTH, joint="curve")
    area = Image.blend(area, over, FAINT_ALPHA)
    img.paste(area, (lay.left, lay.top))

    # axes: frame, ticks, tick labels, titles
    l, t, r, b = lay.plot_box
    draw.rectangle((l - 1, t - 1, r, b), outline=AXIS, width=1)
    (x0, x1), (y0, y1) = lay.domain
    xticks, xdec = nice_ticks(x0, x1)
    for v in xticks:
        px = float(lay.to_pixel([[v, y0]])[0, 0])
        draw.line((px, b, px, b + 5), fill=AXIS, width=1)
        draw.text((px, b + 8), _tick_label(v, xdec), font=label_font, fill=TEXT, anchor="mt")
    yticks, ydec = nice_ticks(y0, y1)
    for v in yticks:
        py = float(lay.to_pixel([[x0, v]])[0, 1])
        draw.line((l - 6, py, l - 1, py), fill=AXIS, width=1)
        draw.text((l - 9, py), _tick_label(v, ydec), font=label_font, fill=TEXT, anchor="rm")
    _, tick_h = _text_size(label_font, "0")
    draw.text(((l + r) / 2, b + 8 + tick_h + 8), surface.axes[0], font=axis_font, fill=TEXT, anchor="mt")
    draw.text((_PAD, (t + b) / 2), surface.axes[1], font=axis_font, fill=TEXT, anchor="lm")

    # title and legend
    draw.text((_PAD, _PAD), surface.title, font=title_font, fill=TEXT)
    for item, x, y in lay.legend:
        cy = y + _ROW / 2
        if item.kind == "path":
            draw.line((x, cy, x + _SWATCH, cy), fill=item.colour, width=PATH_WIDTH)
            _draw_marker(draw, x + _SWATCH / 2, cy, item.colour, WHITE, r=6)
        else:
            # white symbols need something dark behind them on a white page
            draw.rectangle((x + 3, y + 1, x + _SWATCH - 3, y + _ROW - 1), fill=(68, 1, 84))
            _draw_symbol(draw, item.kind, x + _SWATCH / 2, cy, lambda c: c, size=0.85)
        draw.text((x + _SWATCH + 6, cy), item.label, font=label_font, fill=TEXT, anchor="lm")
    return img


def _pack(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.int32)
    return (a[..., 0] << 16) | (a[..., 1] << 8) | a[..., 2]


def _palette(bg: Image.Image, exact: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """At most 255 colours: the exact ones first, then the background's most
    frequent colours as they are (page, contour bands and their edges), then
    median-cut colours for the rest (blends, anti-aliased text)."""
    colours: list[tuple[int, int, int]] = []
    for c in exact:
        if c not in colours:
            colours.append(c)
    packed, counts = np.unique(_pack(np.asarray(bg)).ravel(), return_counts=True)
    for v in packed[np.argsort(-counts, kind="stable")][:160]:
        c = (int(v) >> 16, (int(v) >> 8) & 255, int(v) & 255)
        if c not in colours:
            colours.append(c)
    q = bg.quantize(colors=255 - len(colours), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    flat = q.getpalette() or []
    for i, n in enumerate(q.histogram()):
        c = tuple(flat[3 * i:3 * i + 3])
        if n and len(c) == 3 and c not in colours and len(colours) < 255:
            colours.append(c)
    return colours


class PaletteMap:
    """Maps RGB images to a fixed palette: each colour to its nearest entry
    (exact colours stay exact; Pillow's own palette lookup is approximate).
    A lookup table over all 2^24 colours is filled lazily, so repeated
    colours cost nothing. The "P" images it returns have exactly
    ``len(colours)`` palette entries, which leaves an index free for GIF
    transparency."""

    _UNKNOWN = 255

    def __init__(self, colours: list[tuple[int, int, int]]):
        if not 1 <= len(colours) <= 255:
            raise ValueError("a GIF palette here holds 1 to 255 colours")
        self.colours = colours
        self.flat = [v for c in colours for v in c]
        self._pal = np.asarray(colours, dtype=np.int32)
        self._lut = np.full(1 << 24, self._UNKNOWN, dtype=np.uint8)

    def indices(self, img: Image.Image) -> np.ndarray:
        packed = _pack(np.asarray(img.convert("RGB")))
        idx = self._lut[packed]
        missing = idx == self._UNKNOWN
        if missing.any():
            values = np.unique(packed[missing])
            rgb = np.stack([values >> 16, (values >> 8) & 255, values & 255], axis=1)
            for i in range(0, len(values), 4096):      # bounded memory for colourful inputs
                d = ((rgb[i:i + 4096, None, :] - self._pal[None, :, :]) ** 2).sum(axis=-1)
                self._lut[values[i:i + 4096]] = np.argmin(d, axis=1)
            idx = self._lut[packed]
        return idx

    def __call__(self, img: Image.Image) -> Image.Image:
        out = Image.fromarray(self.indices(img), mode="P")
        out.putpalette(self.flat)
        return out


# --- the GIF ------------------------------------------------------------------

def _check_gif_args(frames: int, width: int, height: int, duration_ms: int) -> None:
    if frames < 1:
        raise ValueError(f"frames must be at least 1, got {frames}")
    if not (MIN_WIDTH <= width <= MAX_SIDE and MIN_HEIGHT <= height <= MAX_SIDE):
        raise ValueError(f"GIF size must be between {MIN_WIDTH}x{MIN_HEIGHT} and {MAX_SIDE}x{MAX_SIDE}, "
                         f"got {width}x{height}")
    if duration_ms < 10:
        raise ValueError(f"duration_ms must be at least 10, got {duration_ms}")


def _static_symbols(surface: Surface, paths: list[PathView], start, lay: GifLayout):
    """Start, minima (global star, local diamond), saddles and the ✕ of every
    diverged or escaped run, in plot-area pixels; only those near the area."""
    pw, ph = lay.plot_width, lay.plot_height
    out = [("start", lay.to_plot([start])[0], WHITE)]
    out += [("minimum" if m.kind == "global" else "local", lay.to_plot([[m.x, m.y]])[0], WHITE)
            for m in surface.minima]
    out += [("saddle", lay.to_plot([[m.x, m.y]])[0], WHITE) for m in surface.saddles]
    return [(k, xy, c) for k, xy, c in out
            if np.all(np.isfinite(xy)) and -20 <= xy[0] <= pw + 20 and -20 <= xy[1] <= ph + 20]


@dataclass(frozen=True)
class EndMark:
    """Where a diverged or escaped run ends, as the GIF draws it from ``step`` on: a ✕ at
    its last point (``at``, plot-area pixels) or, for a last point off the map, an arrow on
    the map's edge pointing at it (``angle``, radians, screen coordinates) labelled with
    the point (``label``), as the app's map does."""

    step: int
    at: tuple[float, float]
    colour: tuple
    angle: float | None = None
    label: str = ""


def _end_crosses(paths: list[PathView], lay: GifLayout) -> list[EndMark]:
    """The end mark of every diverged or escaped run (``EndMark``)."""
    pw, ph = lay.plot_width, lay.plot_height
    out = []
    for p in (p for p in paths if p.ended):
        real = lay.to_plot(p.xy[-1:])[0]
        edge = np.clip(np.nan_to_num(real, posinf=1e9, neginf=-1e9), [0, 0], [pw, ph])
        if np.all(np.isfinite(real)) and np.allclose(real, edge):
            out.append(EndMark(p.end_step, (float(edge[0]), float(edge[1])), _rgb(p.colour)))
            continue
        c = np.array([pw / 2, ph / 2])   # the arrow points from the middle towards the point
        d = np.nan_to_num(real - c, posinf=1e9, neginf=-1e9)
        t = min(abs(pw / 2 / d[0]) if d[0] else np.inf, abs(ph / 2 / d[1]) if d[1] else np.inf)
        tip = c + d * t
        x, y = (float(v) for v in p.xy[-1])
        out.append(EndMark(p.end_step, (float(tip[0]), float(tip[1])), _rgb(p.colour),
                           float(np.arctan2(d[1], d[0])), f"→ ({_fmt(x)}, {_fmt(y)})"))
    return out


def _draw_arrow(draw: ImageDraw.ImageDraw, tip: tuple[float, float], angle: float, fill, outline,
                r: float = 12) -> None:
    """A triangle whose tip is at ``tip``, pointing along ``angle``."""
    ca, sa = math.cos(angle), math.sin(angle)
    back = (tip[0] - r * 1.6 * ca, tip[1] - r * 1.6 * sa)
    pts = [tip, (back[0] - r * 0.7 * sa, back[1] + r * 0.7 * ca), (back[0] + r * 0.7 * sa, back[1] - r * 0.7 * ca)]
    draw.polygon(pts, fill=fill, outline=outline)


class _Frames:
    """Draws the GIF's frames in palette mode, one at a time: each path's
    solid trail grows on a persistent image (only new segments are drawn),
    markers and symbols go on a copy of it, and a "step k" label is pasted in."""

    def __init__(self, surface: Surface, paths: list[PathView], start, lay: GifLayout):
        self.paths, self.lay = paths, lay
        self.bg_rgb = _background(surface, paths, lay)
        self.path_rgb = [_rgb(p.colour) for p in paths]
        colours = _palette(self.bg_rgb, self.path_rgb + [WHITE, BLACK, TEXT, AXIS, BACKGROUND])
        self.index = {c: i for i, c in enumerate(colours)}
        self.p_mode = PaletteMap(colours)
        self.bg = self.p_mode(self.bg_rgb)
        pw, ph = lay.plot_width, lay.plot_height
        self.trail = self.bg.crop(lay.plot_box)
        self.trail_draw = ImageDraw.Draw(self.trail)
        clip_box = (-_CLIP, -_CLIP, pw + _CLIP, ph + _CLIP)
        self.pix = [lay.to_plot(p.xy) for p in paths]
        self.clipped = [ClippedPath(xy, clip_box) for xy in self.pix]
        self.drawn = [0] * len(paths)      # index of the last point already on the trail
        self.statics = _static_symbols(surface, paths, start, lay)
        self.crosses = _end_crosses(paths, lay)
        self.step_bg = self.bg_rgb.crop(lay.step_box)

    def ink(self, c) -> int:
        return self.index[c]

    def _grow_trails(self, step: int) -> None:
        for j, p in enumerate(self.paths):
            last = min(step, len(p.xy) - 1)
            if last > self.drawn[j]:
                for run in self.clipped[j].runs(self.drawn[j], last):
                    self.trail_draw.line(run, fill=self.ink(self.path_rgb[j]), width=PATH_WIDTH, joint="curve")
                self.drawn[j] = last

    def _plot_area(self, step: int) -> Image.Image:
        pw, ph = self.lay.plot_width, self.lay.plot_height
        area = self.trail.copy()
        ad = ImageDraw.Draw(area)
        for kind, (cx, cy), c in self.statics:
            _draw_symbol(ad, kind, cx, cy, self.ink)
        for mark in self.crosses:   # nothing from the future: from its step on
            if step < mark.step:
                continue
            cx, cy = mark.at
            if mark.angle is None:
                _draw_cross(ad, cx, cy, self.ink(mark.colour), self.ink(BLACK))
                continue
            _draw_arrow(ad, mark.at, mark.angle, self.ink(mark.colour), self.ink(BLACK))
            font = _font(LABEL_SIZE)
            w, h = _text_size(font, mark.label)
            # beside the arrow, towards the middle, inside the plot area
            lx = min(max(cx - math.cos(mark.angle) * 30 - w / 2, 4), pw - w - 4)
            ly = min(max(cy - math.sin(mark.angle) * 30 - h / 2, 4), ph - h - 4)
            ad.text((lx, ly), mark.label, font=font, fill=self.ink(WHITE), stroke_width=2,
                    stroke_fill=self.ink(BLACK))
        for j, p in enumerate(self.paths):
            if len(p.xy) == 0:
                continue
            cx, cy = self.pix[j][min(step, len(p.xy) - 1)]
            if np.isfinite(cx) and np.isfinite(cy) and -10 <= cx <= pw + 10 and -10 <= cy <= ph + 10:
                _draw_marker(ad, cx, cy, self.ink(self.path_rgb[j]), self.ink(WHITE))
        return area

    def frame(self, step: int) -> Image.Image:
        self._grow_trails(step)
        frame = self.bg.copy()
        l, t, _, _ = self.lay.plot_box
        frame.paste(self._plot_area(step), (l, t))
        sx0, sy0, sx1, sy1 = self.lay.step_box
        label = self.step_bg.copy()
        ImageDraw.Draw(label).text((sx1 - sx0, (sy1 - sy0) / 2), f"step {step}", font=_font(STEP_SIZE),
                                   fill=TEXT, anchor="rm")
        frame.paste(self.p_mode(label), (sx0, sy0))
        font = _font(LABEL_SIZE)
        for item, x, y in self.lay.legend:   # " (diverged)" from the step the run stopped at
            if item.suffix and step >= item.from_step:
                sx = x + _SWATCH + 6 + _text_size(font, item.label)[0]
                box = (sx, y, sx + _text_size(font, item.suffix)[0] + 4, y + _ROW)
                patch = self.bg_rgb.crop(box)
                ImageDraw.Draw(patch).text((0, _ROW / 2), item.suffix, font=font, fill=TEXT, anchor="lm")
                frame.paste(self.p_mode(patch), box[:2])
        return frame


def render_gif(
    surface: Surface,
    paths: list[PathView],
    start,
    n_steps: int,
    *,
    frames: int = 150,
    width: int = 720,
    height: int = 600,
    duration_ms: int = 60,
    progress: Callable[[float], object] | None = None,
    domain=None,
) -> bytes:
    """An animated GIF (bytes) of the paths racing over the contour map.

    ``frames`` is the most frames drawn (steps spread evenly over the run, as
    in the interactive animation); ``progress(fraction)`` is called after each
    frame with a fraction that ends at 1.0. ``domain``: as ``gif_layout``.
    """
    frames, width, height, duration_ms = int(frames), int(width), int(height), int(duration_ms)
    _check_gif_args(frames, width, height, duration_ms)
    steps = frame_steps(max(int(n_steps), 0), frames)
    drawer = _Frames(surface, paths, start, gif_layout(surface, paths, width, height, domain))

    def frame_iter():
        """Frames one at a time, as the GIF writer asks for them (it keeps its
        own compact copies, so ours need not all be alive at once)."""
        for fi, step in enumerate(steps):
            yield drawer.frame(int(step))
            if progress is not None:
                progress((fi + 1) / len(steps))

    durations = [duration_ms] * len(steps)
    durations[-1] = max(duration_ms, LAST_FRAME_HOLD_MS)
    it = frame_iter()
    first = next(it)
    buf = BytesIO()
    first.save(buf, format="GIF", save_all=True, append_images=it, loop=0,
               duration=durations if len(durations) > 1 else durations[0], disposal=1)
    return buf.getvalue()
