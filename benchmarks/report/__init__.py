"""``stamp-bench report``: a static HTML report of benchmark results with spatial maps, gains and training curves.

Modules: :mod:`~benchmarks.report.inputs` (result folders, predictions, runs), :mod:`~benchmarks.report.gains`
(per-target paired gains), :mod:`~benchmarks.report.maps`, :mod:`~benchmarks.report.gain_plot` and
:mod:`~benchmarks.report.curves` (figures), :mod:`~benchmarks.report.page` (HTML), :mod:`~benchmarks.report.write`.
"""

from __future__ import annotations

from benchmarks.report.write import ReportSummary, write_report

__all__ = ["ReportSummary", "write_report"]
