"""Tier-2 and tier-3 tasks as data: a cohort, a label, patient folds, the probes and their fixed settings.

A task file (``manifests/benchmarks/<name>.yaml``, ``tier: 2`` or ``3``) names the cohort it was written for, the
label (a table of the cohort folder and its columns; for slide activity the matched random-set table beside it),
the kind (``classification``, ``regression``, ``survival``), the folds (patient k-fold stratified by class or event
with a fixed seed, or a Patho-Bench split file) and the probes with their hyperparameters. A negative-control task
(a label random by construction) names the tasks it controls in ``negative_control_of``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from benchmarks.schema import TASK_NAME
from humanst.strict_model import FrozenModel

__all__ = ["AbmilSettings", "LabelRef", "LinearSettings", "ProbeSettings", "SlideFoldSpec", "SlideTask"]

ProbeName = Literal["mean-linear", "abmil"]


class SlideFoldSpec(FrozenModel):
    """Patient folds: every patient is tested once, by a probe that never saw it (nor another slide of it)."""

    kind: Literal["patient_kfold", "pathobench"] = "patient_kfold"
    k: int = Field(5, ge=2, description="patient_kfold: folds (patients dealt out per class, seeded).")
    seed: int = 0
    split: str | None = Field(
        None, description="pathobench: a Patho-Bench split TSV (k=all.tsv), relative to the task file or absolute."
    )

    @model_validator(mode="after")
    def _split_file(self) -> SlideFoldSpec:
        if (self.kind == "pathobench") != (self.split is not None):
            msg = "folds.split is required for kind 'pathobench' and only allowed there"
            raise ValueError(msg)
        return self


class LabelRef(FrozenModel):
    """Which label: a table of the cohort folder, its columns, and (regression) the control table beside it."""

    table: str
    columns: list[str] | Literal["all"] = Field(
        "all", description="classification: one column; survival: [time, event]; regression: any, or all."
    )
    control: str | None = Field(None, description="regression: the matched random-set table (columns random:<name>).")


class LinearSettings(FrozenModel):
    """Mean-pooled features -> standardise -> PCA (fit on train) -> logistic / ridge / penalised Cox."""

    pca_components: int = Field(64, ge=1)
    c_grid: list[float] = Field(default_factory=lambda: [0.001, 0.01, 0.1, 1.0, 10.0])
    alphas: list[float] = Field(default_factory=lambda: [0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0])
    inner_folds: int = Field(3, ge=2)
    cox_components: int = Field(8, ge=1, description="PCA components fed to the Cox model.")
    cox_penalizer: float = Field(0.1, ge=0)


class AbmilSettings(FrozenModel):
    """Gated-attention MIL (Ilse et al. 2018), fixed hyperparameters, predictions averaged over seeds."""

    hidden: int = Field(128, ge=4)
    attention: int = Field(64, ge=4)
    dropout: float = Field(0.1, ge=0, lt=1)
    epochs: int = Field(20, ge=1)
    batch_size: int = Field(8, ge=1)
    lr: float = Field(5e-4, gt=0)
    weight_decay: float = Field(1e-4, ge=0)
    max_tiles: int = Field(2048, ge=1, description="Tiles sampled per bag and epoch (all tiles at inference).")
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2], min_length=1)


class ProbeSettings(FrozenModel):
    """Which probes run, and their settings."""

    use: list[ProbeName] = Field(default=["mean-linear", "abmil"], min_length=1)
    linear: LinearSettings = LinearSettings()
    abmil: AbmilSettings = AbmilSettings()


class SlideTask(FrozenModel):
    """A tier-2 (slide) or tier-3 (patient) task over a cohort folder."""

    schema_version: Literal[1] = 1
    name: str = Field(pattern=TASK_NAME)
    description: str = ""
    tier: Literal[2, 3]
    kind: Literal["classification", "regression", "survival"]
    cohort: str = Field(description="Cohort name (its definition's `name`) the task was written for.")
    label: LabelRef
    folds: SlideFoldSpec = SlideFoldSpec()
    probes: ProbeSettings = ProbeSettings()
    bootstrap: int = Field(1000, ge=100, description="Bootstrap resamples (over patients) for the 95% CI.")
    seed: int = 0
    negative_control_of: list[str] = Field(
        default_factory=list,
        description="Tasks this one is a negative control of: a label no image can predict (random by construction, "
        "or shuffled), so every encoder must stay at chance; reports put it beside those tasks.",
    )

    @model_validator(mode="after")
    def _columns_fit_kind(self) -> SlideTask:
        columns = self.label.columns
        if self.kind == "classification" and (columns == "all" or len(columns) != 1):
            msg = "a classification task names exactly one label column (label.columns: [GENE])"
            raise ValueError(msg)
        if self.kind == "survival" and (columns == "all" or len(columns) != 2):
            msg = "a survival task names two label columns: [time, event]"
            raise ValueError(msg)
        if self.label.control is not None and self.kind != "regression":
            msg = "label.control (a matched random-set table) applies to regression tasks only"
            raise ValueError(msg)
        return self
