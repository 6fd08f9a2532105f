"""Colours and sizes shared by every figure."""
from __future__ import annotations

# Okabe & Ito's colour-blind-safe palette (black left out: it vanishes on a dark
# theme; yellow last: it is weak on white).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
MINIMUM_COLOUR = "#FFFFFF"
START_COLOUR = "#FFFFFF"

# Seconds per animation frame for the speed control.
SPEEDS = {"slow": 0.12, "normal": 0.05, "fast": 0.02}


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def font_size(presentation: bool) -> int:
    return 22 if presentation else 13


def figure_height(presentation: bool) -> int:
    return 760 if presentation else 540
