"""Leaderboard: collect validated result files, accept data-only submissions, render CSV, Markdown and HTML."""

from __future__ import annotations

from benchmarks.leaderboard.collect import Column, LeaderboardTable, build_table, collect_board, collect_results
from benchmarks.leaderboard.entries import Entry, EntryRecord, read_entries
from benchmarks.leaderboard.render import render_all, render_csv, render_html, render_markdown
from benchmarks.leaderboard.submit import SubmissionLimits, submit

__all__ = [
    "Column",
    "Entry",
    "EntryRecord",
    "LeaderboardTable",
    "SubmissionLimits",
    "build_table",
    "collect_board",
    "collect_results",
    "read_entries",
    "render_all",
    "render_csv",
    "render_html",
    "render_markdown",
    "submit",
]
