"""Tier 3, patient: outcome (overall survival: censoring-aware C-index) and response (classification: AUROC).

Targets: the cohort folder's survival table (days to death or last follow-up, event), for patients with slides;
patient folds stratified by event. Probes: mean-pooled features -> penalised Cox (lifelines), and gated-attention
MIL with a Cox partial-likelihood loss. Metric: Harrell's C-index with the events and comparable pairs; 95% CI by
bootstrap over patients.
"""

from __future__ import annotations

from benchmarks.slide_data import prepare_slide_task
from benchmarks.tiers._registry import register_tier
from benchmarks.tiers.outcomes import evaluate_outcomes

__all__ = ["evaluate_patient"]  # evaluate_outcomes, filed as this tier


evaluate_patient = register_tier(
    3,
    "default",
    name="patient",
    description="overall survival (C-index, events, comparable pairs) or response (AUROC); penalised Cox on "
    "mean-pooled features and ABMIL with a Cox loss, over patient folds",
    targets=prepare_slide_task,
    reference="Harrell et al. 1982 (C-index); lifelines CoxPHFitter; Patho-Bench coxnet",
)(evaluate_outcomes)
