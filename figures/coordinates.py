"""x and y against the step: how each coordinate of each path moves."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import font_size


def coordinates_figure(paths, *, presentation: bool = False) -> go.Figure:
    """Two panels, x(step) and y(step), one line per path (``PathView``s: finite
    points only). A sign change of a line is a jump across that axis."""
    fs = font_size(presentation)
    data = []
    for axis, (name, yref) in enumerate((("x", "y"), ("y", "y2"))):
        for p in paths:
            data.append(dict(
                type="scatter", x=np.arange(len(p.xy), dtype=np.int32),
                y=np.asarray(p.xy[:, axis], dtype=np.float64), mode="lines+markers",
                line=dict(color=p.colour, width=3 if presentation else 2), marker=dict(size=4),
                name=p.label, legendgroup=p.label, showlegend=axis == 0, xaxis="x" if axis == 0 else "x2",
                yaxis=yref, hovertemplate=f"{p.label}<br>step %{{x}}<br>{name} = %{{y:.6g}}<extra></extra>"))
    layout = dict(
        height=380 if presentation else 300, font=dict(size=fs), margin=dict(l=60, r=20, t=40, b=40),
        xaxis=dict(domain=[0, 0.47], title=dict(text="step")),
        xaxis2=dict(domain=[0.53, 1], title=dict(text="step")),
        yaxis=dict(title=dict(text="x"), zeroline=True, zerolinewidth=2),
        yaxis2=dict(title=dict(text="y"), anchor="x2", zeroline=True, zerolinewidth=2),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
    )
    return go.Figure(dict(data=data, layout=layout))
