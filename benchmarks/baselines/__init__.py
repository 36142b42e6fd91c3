"""Trivial baselines computed by the benchmark itself (written in the embedding-cache format)."""

from __future__ import annotations

from benchmarks.baselines import colour_texture  # noqa: F401  (registers the baseline)
from benchmarks.baselines._registry import BASELINES, BaselineSpec, baseline_names, get_baseline, register_baseline

__all__ = ["BASELINES", "BaselineSpec", "baseline_names", "get_baseline", "register_baseline"]
