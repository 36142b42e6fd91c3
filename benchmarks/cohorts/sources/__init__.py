"""Cohort sources, one module each, filed in a registry (``gdc``: NCI GDC API; ``synthetic``: humanst.synth)."""

from __future__ import annotations

from benchmarks.cohorts.sources import gdc, synthetic  # noqa: F401  (register the sources)
from benchmarks.cohorts.sources._registry import SOURCES, FetchOptions, Listing, SourceSpec, get_source

__all__ = ["SOURCES", "FetchOptions", "Listing", "SourceSpec", "get_source"]
