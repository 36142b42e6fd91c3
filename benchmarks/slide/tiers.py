"""Tiers 2 and 3, filed in the tier registry: both run the slide-level engine (:mod:`benchmarks.slide.outcomes`).

Tier 2, tissue/slide: slide-level molecular status (classification) and slide pathway activity (regression).
Targets: a cohort folder's label table (driver mutation status; Hallmark activity of the matched bulk RNA-seq with
its size- and expression-matched random sets beside it), for patients with slides; patient folds. Probes:
mean-pooled features -> logistic / ridge, and gated-attention MIL. Metrics: AUROC and balanced accuracy; Pearson per
pathway (mean over pathways) and its gap to the random sets; 95% CIs by bootstrap over patients.

Tier 3, patient: outcome (overall survival: censoring-aware C-index) and response (classification: AUROC).
Targets: the cohort folder's survival table (days to death or last follow-up, event), for patients with slides;
patient folds stratified by event. Probes: mean-pooled features -> penalised Cox (lifelines), and gated-attention
MIL with a Cox partial-likelihood loss. Metric: Harrell's C-index with the events and comparable pairs; 95% CI by
bootstrap over patients.
"""

from __future__ import annotations

from benchmarks.slide.data import prepare_slide_task
from benchmarks.slide.outcomes import evaluate_outcomes
from benchmarks.tiers._registry import register_tier

__all__ = ["evaluate_patient", "evaluate_slide"]  # evaluate_outcomes, filed as each tier

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

evaluate_patient = register_tier(
    3,
    "default",
    name="patient",
    description="overall survival (C-index, events, comparable pairs) or response (AUROC); penalised Cox on "
    "mean-pooled features and ABMIL with a Cox loss, over patient folds",
    targets=prepare_slide_task,
    reference="Harrell et al. 1982 (C-index); lifelines CoxPHFitter; Patho-Bench coxnet",
)(evaluate_outcomes)
