"""Slide cohorts as data: definitions (``manifests/benchmarks/cohorts``), fetching, label tables, split files.

Examples
--------
>>> from benchmarks.cohorts import fetch_cohort, read_cohort  # doctest: +SKIP
>>> fetch_cohort("tcga-coadread", Path("cohorts/coadread"), FetchOptions(labels_only=True))  # doctest: +SKIP
"""

from __future__ import annotations

from benchmarks.cohorts.definition import CohortDefinition, PretrainingExposure, load_definition, shipped_cohorts
from benchmarks.cohorts.fetch import FetchSummary, fetch_cohort
from benchmarks.cohorts.record import CohortFolder, CohortRecord, LabelTable, SlideEntry, read_cohort
from benchmarks.cohorts.sources import FetchOptions

__all__ = [
    "CohortDefinition",
    "CohortFolder",
    "CohortRecord",
    "FetchOptions",
    "FetchSummary",
    "LabelTable",
    "PretrainingExposure",
    "SlideEntry",
    "fetch_cohort",
    "load_definition",
    "read_cohort",
    "shipped_cohorts",
]
