"""Tier 2, tissue/slide: slide-level molecular status (classification) and slide pathway activity (regression).

Targets: a cohort folder's label table (driver mutation status; Hallmark activity of the matched bulk RNA-seq with
its size- and expression-matched random sets beside it), for patients with slides; patient folds. Probes:
mean-pooled features -> logistic / ridge, and gated-attention MIL. Metrics: AUROC and balanced accuracy; Pearson per
pathway (mean over pathways) and its gap to the random sets; 95% CIs by bootstrap over patients.
"""

from __future__ import annotations

from benchmarks.slide_data import prepare_slide_task
from benchmarks.tiers._registry import register_tier
from benchmarks.tiers.outcomes import evaluate_outcomes

__all__ = ["evaluate_slide"]  # evaluate_outcomes, filed as this tier


evaluate_slide = register_tier(
    2,
    "default",
    name="slide",
    description="slide-level status (AUROC, balanced accuracy) and bulk-RNA pathway activity (Pearson, "
    "random-set gap); "
    "mean-pooled linear probe and ABMIL over patient folds",
    targets=prepare_slide_task,
    reference="Ilse et al. 2018 (ABMIL); Patho-Bench (Zhang et al. 2025); SEAL",
)(evaluate_outcomes)
