"""Tier-1 task files: the pydantic model of a spot-level task over an atlas and its settings.

Loaded by name or path through :func:`benchmarks.tasks.load_task` (the catalog of every tier's task files).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from benchmarks.schema import TASK_NAME
from benchmarks.stats import MIN_BOOTSTRAP_PATIENTS
from humanst.strict_model import FrozenModel

__all__ = ["FoldSpec", "IntervalSpec", "ProbeSpec", "RandomSetSpec", "TargetSpec", "Task"]


class FoldSpec(FrozenModel):
    """How spots are split: by patient, never by spot."""

    kind: Literal["leave_one_patient_out", "patient_kfold"] = "leave_one_patient_out"
    k: int = Field(5, ge=2, description="Folds for patient_kfold (patients are shuffled, then dealt out).")
    seed: int = 0
    held_out_patients: list[str] | None = Field(
        None,
        description="leave_one_patient_out only: hold out just these patients, one fold each (e.g. the patients "
        "an adapter never saw); the probe trains on every other patient.",
    )


class RandomSetSpec(FrozenModel):
    """Size- and expression-matched random gene sets scored beside every pathway collection."""

    enabled: bool = True
    n_bins: int = Field(25, ge=2, description="Expression bins for matching (as the pathway engine's controls).")
    seed: int = 0


class TargetSpec(FrozenModel):
    """What is predicted from the embeddings."""

    pathways: list[str] = Field(default_factory=list, description="Pathway collections scored in the atlas.")
    top_variable_genes: int = Field(50, ge=0, description="Top-k variable genes (CP10k + log1p), chosen on train.")
    random_sets: RandomSetSpec = RandomSetSpec()

    @model_validator(mode="after")
    def _some_target(self) -> TargetSpec:
        if not self.pathways and self.top_variable_genes == 0:
            msg = "targets: name at least one pathway collection or set top_variable_genes > 0"
            raise ValueError(msg)
        return self


class ProbeSpec(FrozenModel):
    """The linear probe: standardise -> PCA (fit on train) -> ridge with alpha by inner patient CV."""

    pca_components: int = Field(256, ge=1)
    alphas: list[float] = Field(default_factory=lambda: [0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5])
    inner_folds: int = Field(3, ge=2)
    hest_alpha_numerator: float = Field(100.0, gt=0, description="HEST protocol: alpha = this / (dims * targets).")


class IntervalSpec(FrozenModel):
    """Which interval a metric gets: a bootstrap over patients, or with few patients a spatial block bootstrap."""

    min_patients: int = Field(
        MIN_BOOTSTRAP_PATIENTS,
        ge=2,
        description="Below this many held-out patients the patient bootstrap is not used: intervals come from a "
        "spatial block bootstrap within the patients (stamp.probe.spatial_bootstrap) and make no population claim.",
    )
    block_pitches: float = Field(4.0, ge=0, description="Tile side of the block bootstrap, in spot pitches.")
    min_blocks: int = Field(10, ge=2, description="Halve the tile side while a patient has fewer tiles.")


class Task(FrozenModel):
    """A tier-1 task over an atlas: samples, patient folds, targets, probe and bootstrap settings."""

    schema_version: Literal[1] = 1
    name: str = Field(pattern=TASK_NAME)
    description: str = ""
    tier: Literal[1] = 1
    atlas: str = Field(description="Atlas name (the manifest's `name`) the task was written for.")
    samples: list[str] | Literal["all"] = "all"
    folds: FoldSpec = FoldSpec()
    targets: TargetSpec
    probe: ProbeSpec = ProbeSpec()
    bootstrap: int = Field(1000, ge=100, description="Bootstrap resamples for the 95% intervals.")
    intervals: IntervalSpec = IntervalSpec()
    seed: int = 0
