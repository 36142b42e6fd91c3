"""``stamp-bench report``: one static HTML report of every tier, opening with the verdict table.

Modules: :mod:`~benchmarks.report.inputs` (result folders, predictions, runs), :mod:`~benchmarks.report.verdict`
(B - A per task, probe and target with its controls), :mod:`~benchmarks.report.gains` (tier-1 per-target paired
gains), :mod:`~benchmarks.report.task_section` (tier 1) and :mod:`~benchmarks.report.outcome_section` (tiers 2-3);
figures: :mod:`~benchmarks.report.maps`, :mod:`~benchmarks.report.gain_plot`, :mod:`~benchmarks.report.curves`,
:mod:`~benchmarks.report.roc`, :mod:`~benchmarks.report.survival`, :mod:`~benchmarks.report.activity`,
:mod:`~benchmarks.report.heatmaps`; :mod:`~benchmarks.report.page` (HTML), :mod:`~benchmarks.report.links`
(``report.json``, the leaderboard's links) and :mod:`~benchmarks.report.write`.
"""

from __future__ import annotations

from benchmarks.report.write import ReportSummary, write_report

__all__ = ["ReportSummary", "write_report"]
