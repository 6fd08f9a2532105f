"""A filled-contour picture of a surface, drawn with NumPy into a PNG.

Plotly's contour traces vanish when an animation starts (plotly.py #2151), so
the 2-D view shows the surface as a layout image instead: colour bands at the
contour levels with a thin darker line where the band changes. The same
picture is the background of the animated GIF, so neither needs a browser.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

# Viridis at 9 stops (matplotlib's values), interpolated to a 256-entry table.
_VIRIDIS_STOPS = np.array([
    [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
    [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
], dtype=float)
VIRIDIS = np.stack([np.interp(np.linspace(0, 8, 256), np.arange(9), _VIRIDIS_STOPS[:, c])
                    for c in range(3)], axis=1).astype(np.uint8)

LEVELS = 30


def band_index(zd: np.ndarray, lo: float, hi: float, levels: int = LEVELS) -> np.ndarray:
    """Which of ``levels`` equal bands between lo and hi each value falls in."""
    span = hi - lo if hi > lo else 1.0
    t = np.clip((np.nan_to_num(zd, nan=hi) - lo) / span, 0.0, 1.0)
    return np.minimum((t * levels).astype(int), levels - 1)


def contour_image(zd: np.ndarray, lo: float, hi: float, *, levels: int = LEVELS,
                  lines: bool = True) -> Image.Image:
    """RGB image of display values ``zd`` (rows = y ascending; the image is
    flipped so that y grows upward). Where ``zd`` is NaN (a typed formula that
    is undefined there) the image is RGBA and those pixels are transparent."""
    band = band_index(zd, lo, hi, levels)
    colours = VIRIDIS[np.round(band * 255 / max(levels - 1, 1)).astype(int)]
    if lines:
        edge = np.zeros(band.shape, dtype=bool)
        edge[:, 1:] |= band[:, 1:] != band[:, :-1]
        edge[1:, :] |= band[1:, :] != band[:-1, :]
        colours = colours.copy()
        colours[edge] = (colours[edge] * 0.55).astype(np.uint8)
    undefined = np.isnan(zd)
    if undefined.any():
        alpha = np.where(undefined, 0, 255).astype(np.uint8)[..., None]
        rgba = np.concatenate([np.where(undefined[..., None], 255, colours), alpha], axis=-1)
        return Image.fromarray(np.ascontiguousarray(rgba[::-1].astype(np.uint8)), mode="RGBA")
    return Image.fromarray(np.ascontiguousarray(colours[::-1]), mode="RGB")


def compact(img: Image.Image) -> Image.Image:
    """The same picture with a palette (it has at most 2 x levels colours):
    a PNG several times smaller than the RGB one, pixel for pixel equal. A picture
    with transparent parts (where a typed formula is undefined) stays RGBA: Pillow
    cannot quantize RGBA with the exact method."""
    colours = img.getcolors(maxcolors=256)
    if colours is None or img.mode != "RGB":
        return img
    return img.quantize(colors=len(colours), method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
