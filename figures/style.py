"""Colours, line styles and sizes shared by every figure."""
from __future__ import annotations

# Six racer colours from Okabe & Ito's colour-blind-safe set. Left out: black
# (it vanishes on the dark theme) and vermillion #D55E00 (beside orange it is
# the pair deuteranopes confuse: both read as the same dark yellow-brown).
# The first three (the usual race) are orange, sky blue and reddish purple:
# the blue-orange axis survives every common colour-vision deficiency, and the
# purple is darker than both. Relative luminance 0.42, 0.41, 0.29, 0.26, 0.74,
# 0.15: pairs close in luminance are far apart in hue. All are light enough
# to read on the dark theme's page; the dash patterns below separate them too.
PALETTE = ("#E69F00", "#56B4E9", "#CC79A7", "#009E73", "#F0E442", "#0072B2")

# One dash pattern per racer: where two racers share a route, the one drawn on
# top (later, narrower) leaves the one beneath visible in its gaps and at its sides.
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")

# Seconds per animation frame for the speed control.
SPEEDS = {"slow": 0.12, "normal": 0.05, "fast": 0.02}

MARK = "#FFFFFF"         # start point, minima and saddles
OUTLINE = "#000000"      # their outlines


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def dash(i: int) -> str:
    return DASHES[i % len(DASHES)]


def line_width(i: int, n: int, presentation: bool = False) -> float:
    """Earlier racers are drawn first and wider: a later racer on the same
    route covers only the middle of the line beneath it."""
    base = 3.0 if presentation else 2.0
    return base + 1.5 * (n - 1 - i)


def marker_size(i: int, n: int, presentation: bool = False) -> float:
    """Earlier racers' markers are larger, so stacked markers show as rings."""
    base = 12 if presentation else 9
    return base + 3 * (n - 1 - i)


def font_size(presentation: bool) -> int:
    return 20 if presentation else 13


def tick_size(presentation: bool) -> int:
    """Tick labels and legends: 18 px or more on a projector."""
    return 18 if presentation else 12


def figure_height(presentation: bool) -> int:
    """In presentation mode the race figure fills a 1280x720 projector below
    the title row (the lesson's text folds above it): the map's plot area
    is about 430 px tall (``tests/test_browser.py`` measures it)."""
    return 560 if presentation else 500
