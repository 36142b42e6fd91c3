"""What the report's section builders share: the output folder, the atlas, options, and what has been written."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.report.page import Block

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from benchmarks.report.heatmaps import Thumbnail
    from humanst.store.atlas import Atlas

__all__ = ["ReportContext", "ReportSummary", "Step"]

Step = Callable[[str], None]


@dataclass
class ReportSummary:
    """What was written: the page, its figures, the short A-vs-B summary lines and the notes."""

    index: Path
    figures: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class ReportContext:
    """The report being written: its temporary folder, atlas, options, summary and the page's headline.

    ``slide_files`` maps the slide ids of the ``--cohort`` folder to their files (``None`` without a cohort: no
    heatmaps); ``thumbnails`` keeps each slide's thumbnail once read.
    """

    folder: Path
    atlas: Atlas | None
    named: list[str]
    n_boot: int
    step: Step
    summary: ReportSummary
    headline: list[Block] = field(default_factory=list)  # the page's summary: first A-vs-B pair, mapped targets
    slide_files: dict[str, Path] | None = None
    thumbnails: dict[str, Thumbnail] = field(default_factory=dict)

    def save(self, fig: MplFigure, name: str) -> str:
        """Write ``fig`` as ``<name>.png`` (name made file-safe) into the report folder; return the file name."""
        file = (re.sub(r"[^A-Za-z0-9._+-]", "_", name).strip("._") or "x") + ".png"
        fig.savefig(self.folder / file, format="png", dpi=fig.dpi)
        self.summary.figures.append(file)
        return file
