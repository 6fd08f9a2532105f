"""Plotly figures built from trajectory arrays (no Streamlit here)."""
from .style import PALETTE, SPEEDS, colour
from .trajectories import Display, PathView, frame_steps, loss_figure, trajectory_figure

__all__ = ["PALETTE", "SPEEDS", "colour", "Display", "PathView", "frame_steps", "loss_figure",
           "trajectory_figure"]
