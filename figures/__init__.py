"""Plotly figures built from trajectory arrays (no Streamlit here)."""
from .style import PALETTE, SPEEDS, colour
from .trajectories import IMAGE, Display, PathView, frame_steps, loss_figure, trajectory_figure

__all__ = ["PALETTE", "SPEEDS", "colour", "IMAGE", "Display", "PathView", "frame_steps", "loss_figure",
           "trajectory_figure"]
