"""Figures for files: a matplotlib ``Figure`` on its own Agg canvas (no pyplot, no global backend switch)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["agg_figure"]


def agg_figure(
    width_in: float, height_in: float, *, dpi: int = 100, layout: Literal["constrained"] | None = "constrained"
) -> Figure:
    """Make a new figure (constrained layout unless ``layout=None``) drawn by Agg (thread-safe, headless)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    return fig
