"""Readers of the NCI GDC open-access files that labels come from: masked somatic MAFs, STAR counts, case records.

- MAF (``*.maf.gz``, GDC MAF format): ``#``-prefixed header lines, then a tab-separated table; columns read:
  ``Hugo_Symbol``, ``Variant_Classification``.
- STAR counts (``*.rna_seq.augmented_star_gene_counts.tsv``): a ``# gene-model`` comment line, a header with
  ``gene_id``, ``gene_name``, ``gene_type`` and ``unstranded`` (raw read counts, what we score), four ``N_*`` summary
  rows, then one row per GENCODE gene (versioned Ensembl id).
- Case records (the ``cases`` endpoint's hits): ``submitter_id``, ``demographic.vital_status``,
  ``demographic.days_to_death``, ``diagnoses[].days_to_last_follow_up`` and ``follow_ups[].days_to_follow_up`` (the
  GDC moved follow-up times from the diagnosis to follow-up records; cases carry one or the other).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.errors import CohortError

__all__ = ["MafKeys", "StarKeys", "mutated_genes", "read_star_counts", "survival_of_case"]


class MafKeys(StrEnum):
    """MAF columns the mutation labels read."""

    GENE = "Hugo_Symbol"
    CLASS = "Variant_Classification"


class StarKeys(StrEnum):
    """STAR-counts columns and row prefix."""

    GENE_ID = "gene_id"
    GENE_NAME = "gene_name"
    COUNTS = "unstranded"
    SUMMARY_PREFIX = "N_"


def mutated_genes(path: Path, genes: Sequence[str], variant_classes: Iterable[str]) -> set[str]:
    """Return which of ``genes`` carry a variant of ``variant_classes`` in a MAF (gzipped or not).

    Raises
    ------
    CohortError
        The file does not read as a MAF (missing the gene or class column).
    """
    try:
        frame = pd.read_csv(path, sep="\t", comment="#", usecols=[MafKeys.GENE, MafKeys.CLASS], dtype=str)
    except (ValueError, OSError, EOFError) as exc:  # pandas raises ValueError for missing columns
        msg = f"not a readable MAF ({exc}); the download may be damaged, fetch the cohort again"
        raise CohortError(msg, path=path) from exc
    hits = frame[frame[MafKeys.CLASS].isin(set(variant_classes))]
    return set(hits[MafKeys.GENE]) & set(genes)


def read_star_counts(path: Path) -> pd.Series:
    """Return the raw (``unstranded``) counts of a STAR-counts file by gene symbol (duplicated symbols summed).

    Raises
    ------
    CohortError
        Missing columns or non-integer counts.
    """
    try:
        frame = pd.read_csv(
            path, sep="\t", comment="#", usecols=[StarKeys.GENE_ID, StarKeys.GENE_NAME, StarKeys.COUNTS]
        )
    except (ValueError, OSError) as exc:
        msg = f"not a GDC STAR-counts file ({exc}); expected columns {[k.value for k in StarKeys][:3]}"
        raise CohortError(msg, path=path) from exc
    frame = frame[~frame[StarKeys.GENE_ID].astype(str).str.startswith(StarKeys.SUMMARY_PREFIX)]
    frame = frame.dropna(subset=[StarKeys.GENE_NAME])
    counts = pd.to_numeric(frame[StarKeys.COUNTS], errors="coerce")
    if counts.isna().any() or (counts < 0).any():
        msg = f"column {StarKeys.COUNTS!r} holds non-count values; the file may be truncated, fetch it again"
        raise CohortError(msg, path=path)
    symbols = frame[StarKeys.GENE_NAME].astype(str).str.upper()
    return counts.astype(np.int64).groupby(symbols.to_numpy()).sum()


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def survival_of_case(case: dict[str, Any]) -> tuple[float, int] | str:
    """Overall survival of one GDC case record: ``(days, event)``, or the reason it cannot be used.

    Dead: days to death, event 1. Alive: the longest follow-up time over its diagnoses (``days_to_last_follow_up``)
    and follow-up records (``days_to_follow_up``), event 0. A missing or non-positive time, or a vital status other
    than Alive/Dead, gives the reason instead.
    """
    demographic = case.get("demographic") or {}
    status = str(demographic.get("vital_status") or "").strip().lower()
    if status == "dead":
        days = _number(demographic.get("days_to_death"))
        return (days, 1) if days is not None and days > 0 else "dead without days_to_death"
    if status == "alive":
        follow = [_number(d.get("days_to_last_follow_up")) for d in case.get("diagnoses") or []]
        follow += [_number(f.get("days_to_follow_up")) for f in case.get("follow_ups") or []]
        known = [f for f in follow if f is not None and f > 0]
        return (max(known), 0) if known else "alive without a follow-up time"
    return f"vital status {status or 'missing'}"
