"""Tier 1 with HEST-Benchmark's protocol (``--protocol hest``), so published numbers can be compared.

As in HEST-Benchmark (Jaume et al., 2024): targets are the 50 most variable genes after log1p of the raw
counts, chosen on **all** spots of the task (HEST's choice, which leaks test-fold information; our default
protocol chooses on training folds only); embeddings are standardised and reduced by PCA(256) fitted on
the training fold; a ridge with the fixed penalty ``100 / (dims * targets)``, lsqr solver, no intercept.
Pearson per gene, averaged over genes. No random-set control: HEST predicts genes only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchmarks.splits import Fold
from benchmarks.spot.data import SpotData
from benchmarks.spot.probe import BlockOutcome, FitTrace, TargetBlock, ridge_fixed
from benchmarks.spot.protocol import Progress, evaluate_blocks
from benchmarks.spot.task import Task
from benchmarks.tiers._registry import register_tier

__all__ = ["HEST_GENES", "hest_targets"]

HEST_GENES = 50


def hest_targets(data: SpotData, task: Task) -> list[TargetBlock]:
    """Choose the 50 highest-variance genes of log1p(raw counts) over all task spots (HEST's selection)."""
    expr = np.log1p(data.counts.toarray().astype(np.float64))
    top = np.sort(np.argsort(-expr.var(axis=0), kind="stable")[:HEST_GENES])
    return [TargetBlock(f"genes:hest{HEST_GENES}", "genes", [data.genes[i] for i in top], expr[:, top])]


@register_tier(
    1,
    "hest",
    name="spot-hest",
    description="HEST-Benchmark protocol: log1p, 50 HVG over all spots, PCA(256) + fixed ridge",
    reference="Jaume G. et al., HEST-1k: A Dataset for Spatial Transcriptomics and Histology Image Analysis, "
    "NeurIPS 2024",
    targets=hest_targets,
)
def evaluate_spot_hest(
    x: np.ndarray,
    blocks: Sequence[TargetBlock],
    folds: Sequence[Fold],
    data: SpotData,
    task: Task,
    *,
    trace: FitTrace | None = None,
    progress: Progress | None = None,
) -> list[BlockOutcome]:
    """Score ``x`` with HEST's fixed-penalty ridge."""
    alphas: list[float] = []

    def fit(z_train: np.ndarray, y_train: np.ndarray, rows: np.ndarray, z_test: np.ndarray) -> np.ndarray:
        alpha = task.probe.hest_alpha_numerator / (z_train.shape[1] * y_train.shape[1])
        alphas.append(alpha)
        return ridge_fixed(z_train, y_train, alpha, intercept=False).predict(z_test)

    outcomes = evaluate_blocks(x, blocks, folds, data, task, fit=fit, trace=trace, progress=progress)
    for outcome in outcomes:
        outcome.alphas = sorted(set(alphas))
        outcome.penalty = "fixed: HEST protocol, 100 / (dims x targets)"
    return outcomes
