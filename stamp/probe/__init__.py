"""The tier-1 linear probe, shared by the benchmark (``benchmarks.tiers``) and the validation inside ``stamp fit``.

numpy and scikit-learn only (importing it never imports torch): Pearson per column, standardise + PCA fitted on
training rows, ridge regression with a per-target penalty chosen by grouped inner cross-validation (patients;
with one patient: its slides, or spatial blocks of its one slide), all penalties of a split from one SVD; the
spatial block bootstrap of a patient's scores, and its paired form for B - A of two encoders on the same spots.
"""

from __future__ import annotations

from stamp.probe.paired_blocks import (
    PAIRED_LABEL,
    BlockDifference,
    PatientScores,
    block_layouts,
    paired_difference,
    patient_scores,
)
from stamp.probe.pearson import pearson_columns
from stamp.probe.projection import standardise_pca
from stamp.probe.ridge import (
    PenaltyChoice,
    choose_penalties,
    fit_ridge_per_alpha,
    predict_per_alpha,
    ridge_fixed,
    ridge_inner_cv,
    ridge_path_mse,
)
from stamp.probe.spatial_bootstrap import BlockLayout, block_bootstrap_pearson, spatial_blocks, spot_layout
from stamp.probe.splits import PenaltySplits, inner_splits, penalty_splits

__all__ = [
    "PAIRED_LABEL",
    "BlockDifference",
    "BlockLayout",
    "PatientScores",
    "PenaltyChoice",
    "PenaltySplits",
    "block_bootstrap_pearson",
    "block_layouts",
    "choose_penalties",
    "fit_ridge_per_alpha",
    "inner_splits",
    "paired_difference",
    "patient_scores",
    "pearson_columns",
    "penalty_splits",
    "predict_per_alpha",
    "ridge_fixed",
    "ridge_inner_cv",
    "ridge_path_mse",
    "spatial_blocks",
    "spot_layout",
    "standardise_pca",
]
