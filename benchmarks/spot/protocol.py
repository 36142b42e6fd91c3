"""Tier 1, microenvironment (spot/patch), default protocol.

Targets: the task's pathway collections (background-corrected atlas scores), a size- and
expression-matched random gene set beside every pathway (the specificity control), and the top-k most
variable genes (CP10k + log1p) chosen on each fold's training spots only. Probe: standardise -> PCA(256,
fit on train) -> ridge with a per-target alpha chosen by patient-grouped inner CV.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from benchmarks.controls import log1p_cp10k, random_gene_sets, score_random_sets
from benchmarks.splits import Fold
from benchmarks.spot.data import SpotData
from benchmarks.spot.probe import BlockOutcome, FitTrace, TargetBlock, embed_fold, score_block, top_variable
from benchmarks.spot.task import Task
from benchmarks.tiers._registry import register_tier
from stamp.probe import choose_penalties, fit_ridge_per_alpha, predict_per_alpha

__all__ = ["evaluate_blocks", "spot_targets"]

Progress = Callable[[int], None]


def spot_targets(data: SpotData, task: Task) -> list[TargetBlock]:
    """Build the task's target blocks: pathways with their random-set controls, then top variable genes."""
    blocks = []
    for collection in task.targets.pathways:
        names, scores = data.pathways[collection]
        if not names:
            continue
        blocks.append(TargetBlock(f"pathways:{collection}", "pathways", names, scores.astype(np.float64)))
        spec = task.targets.random_sets
        if spec.enabled:
            sets = random_gene_sets(collection, data, n_bins=spec.n_bins, seed=spec.seed)
            random_names, random_scores = score_random_sets(collection, data, sets)
            keep = np.isfinite(random_scores).all(0)
            blocks.append(
                TargetBlock(
                    f"random:{collection}",
                    "random",
                    [n for n, k in zip(random_names, keep, strict=True) if k],
                    random_scores[:, keep].astype(np.float64),
                    control_of=f"pathways:{collection}",
                )
            )
    k = task.targets.top_variable_genes
    if k:
        expr = log1p_cp10k(data)
        blocks.append(TargetBlock(f"genes:top{k}", "genes", list(data.genes), expr, choose=top_variable(expr, k)))
    return blocks


def evaluate_blocks(
    x: np.ndarray,
    blocks: Sequence[TargetBlock],
    folds: Sequence[Fold],
    data: SpotData,
    task: Task,
    *,
    fit: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    trace: FitTrace | None = None,
    progress: Progress | None = None,
) -> list[BlockOutcome]:
    """Run every fold: embed (fitted on train), then ``fit(z_train, y_train, train_rows, z_test)`` per block.

    ``train_rows`` indexes ``data`` (patients, slides and coordinates of the training spots).
    """
    outcomes = {b.name: BlockOutcome(b.name, b.kind, b.control_of, 0) for b in blocks}
    for fold in folds:
        z = embed_fold(x, fold, task.probe.pca_components, trace=trace, seed=task.seed)
        for block in blocks:
            cols = block.columns(fold.train)
            if trace is not None and block.choose is not None:
                trace.record(fold.name, f"targets:{block.name}", fold.train)
            y = block.values[:, cols]
            pred = fit(z[fold.train], y[fold.train], fold.train, z[fold.test])
            outcome = outcomes[block.name]
            outcome.n_targets = max(outcome.n_targets, len(cols))
            outcome.oof.append((fold.name, fold.test, cols, pred))
            names = [block.names[c] for c in cols]
            score_block(
                outcome, y[fold.test], pred, names, data.patient_ids[fold.test], data.sample_ids[fold.test],
                fold.test,
            )  # fmt: skip
        if progress is not None:
            progress(1)
    return list(outcomes.values())


@register_tier(
    1,
    "default",
    name="spot",
    description="pathways + random-set controls + top-k train-fold variable genes; PCA + ridge (inner patient CV)",
    targets=spot_targets,
)
def evaluate_spot(
    x: np.ndarray,
    blocks: Sequence[TargetBlock],
    folds: Sequence[Fold],
    data: SpotData,
    task: Task,
    *,
    trace: FitTrace | None = None,
    progress: Progress | None = None,
) -> list[BlockOutcome]:
    """Score one encoder's embeddings ``x`` (rows as ``data``) on the task's blocks, fold by fold.

    The penalty of every target is chosen by patient-grouped inner CV; with one training patient, by its
    slides or by spatial blocks of its one slide (:func:`stamp.probe.choose_penalties`), recorded per block.
    """
    alphas_seen: list[float] = []
    methods: list[str] = []

    def fit(z_train: np.ndarray, y_train: np.ndarray, rows: np.ndarray, z_test: np.ndarray) -> np.ndarray:
        choice = choose_penalties(
            z_train,
            y_train,
            data.patient_ids[rows],
            task.probe.alphas,
            task.probe.inner_folds,
            slides=data.sample_ids[rows],
            coords=data.coords_um[rows] if data.coords_um is not None else None,
        )
        alphas_seen.extend(choice.alphas.tolist())
        methods.append(choice.describe())
        return predict_per_alpha(fit_ridge_per_alpha(z_train, y_train, choice.alphas), choice.alphas, z_test)

    outcomes = evaluate_blocks(x, blocks, folds, data, task, fit=fit, trace=trace, progress=progress)
    for outcome in outcomes:
        outcome.alphas = sorted(set(alphas_seen))
        outcome.penalty = "; ".join(dict.fromkeys(methods))
    return outcomes
