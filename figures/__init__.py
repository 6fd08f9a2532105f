"""Plotly figures built from trajectory arrays (no Streamlit here)."""
from .coordinates import coordinates_figure
from .scale import CLICK_GRID, GRID, IMAGE, Display, SurfaceGrids, SurfaceScale
from .style import DASHES, PALETTE, SPEEDS, colour
from .trajectories import PathView, RaceSetup, frame_steps, loss_figure, racer_part, thin, trajectory_figure

__all__ = ["CLICK_GRID", "DASHES", "GRID", "IMAGE", "PALETTE", "SPEEDS", "Display", "PathView", "SurfaceGrids",
           "SurfaceScale", "RaceSetup", "colour", "coordinates_figure", "frame_steps", "loss_figure",
           "racer_part", "thin", "trajectory_figure"]
