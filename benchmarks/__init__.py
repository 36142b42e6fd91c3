"""Tiered benchmark and leaderboard for pathology encoders (evaluation floor).

Public names resolve lazily (``benchmarks.load_task`` imports :mod:`benchmarks.tasks` on first use), so
``import benchmarks`` stays light.
"""

from __future__ import annotations

from humanst.lazy_exports import lazy_getattr

__version__ = "0.1.0.dev0"

_LAZY = {
    "Task": "benchmarks.spot.task",
    "load_task": "benchmarks.tasks",
    "shipped_tasks": "benchmarks.tasks",
    "Result": "benchmarks.schema",
    "read_result": "benchmarks.schema",
    "prepare_task": "benchmarks.spot.runner",
    "evaluate_cache": "benchmarks.spot.runner",
    "prepare_embeddings": "benchmarks.spot.runner",
    "EncoderRun": "benchmarks.runner",
    "compare_results": "benchmarks.spot.compare",
    "submit": "benchmarks.leaderboard",
    "build_table": "benchmarks.leaderboard",
    "render_all": "benchmarks.leaderboard",
    "get_tier": "benchmarks.tiers",
    "write_report": "benchmarks.report",
}
__all__ = ["__version__", *sorted(_LAZY)]

__getattr__ = lazy_getattr("benchmarks", _LAZY)
