"""Plotly figures built from trajectory arrays (no Streamlit here)."""
from .coordinates import coordinates_figure
from .style import PALETTE, SPEEDS, colour
from .trajectories import IMAGE, Display, PathView, frame_steps, loss_figure, trajectory_figure

__all__ = ["coordinates_figure", "PALETTE", "SPEEDS", "colour", "IMAGE", "Display", "PathView", "frame_steps",
           "loss_figure", "trajectory_figure"]
