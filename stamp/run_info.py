"""``run.json``: what a finished ``stamp fit`` run trained, how it validated and its verdict, as typed models.

:data:`RUN_FORMAT` reads it (the version is checked: a newer file names the upgrade) and writes it; readers use
the attributes of :class:`RunInfo`, never string keys. The keys on disk are the ones written since format 1;
keys added later (``train_samples``, ``data_licenses``, ``targets``, ``contrastive``, ``seed``,
``replicate_group``, ``freeze_norm``, ``verdict``) are optional, so a run written before them still reads.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

from pydantic import ConfigDict, Field, JsonValue

from humanst.strict_model import StrictModel
from humanst.versioned import VersionedFormat

__all__ = [
    "RUN_FORMAT",
    "RUN_FORMAT_VERSION",
    "RUN_INFO_FILE",
    "Check",
    "MetricRow",
    "RunInfo",
    "TargetsInfo",
    "ValidationSummary",
    "VerdictInfo",
    "read_run_file",
]

RUN_FORMAT_VERSION = 1
RUN_INFO_FILE = "run.json"  # its name in a run folder (stamp.run_dir.RunFiles.INFO)

MetricRow = dict[str, int | float | None]  # a validated step: "step" and the validation metrics of metrics.csv


@dataclass(frozen=True)
class Check:
    """One verdict row: a question, the numbers that answer it, the rule and the answer (``None``: not measured)."""

    name: str
    question: str
    metric: str
    a_label: str = ""
    a: float | None = None
    b_label: str = ""
    b: float | None = None
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    rule: str = ""
    passed: bool | None = None
    resampled: str = ""

    def to_json(self) -> dict[str, JsonValue]:
        """JSON-ready form (NaN becomes null)."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


class ValidationSummary(StrictModel):
    """``run.json`` ``validation``: the selection rule, the validation spots, and the base and kept steps' metrics."""

    enabled: bool
    select: str
    collection: str = ""
    val_patients: list[str] = Field(default_factory=list)
    probe_patients: list[str] = Field(default_factory=list)
    n_val_spots: int = 0
    n_probe_spots: int = 0
    n_pathways: int = 0
    n_random_sets: int = 0
    left_out_samples: dict[str, str] = Field(default_factory=dict)
    penalty: str = ""
    base: MetricRow | None = None
    selected: MetricRow = Field(default_factory=dict)
    history: list[MetricRow] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class VerdictInfo(StrictModel):
    """``run.json`` ``verdict``: the verdict rows and the control run they were paired with (if any)."""

    checks: list[Check] = Field(default_factory=list)
    control: str | None = None

    def to_json(self) -> dict[str, JsonValue]:
        """JSON-ready form (NaN becomes null)."""
        return {"checks": [c.to_json() for c in self.checks], "control": self.control}


class TargetsInfo(StrictModel):
    """``run.json`` ``targets``: the target kind, and the kind's own details (collections, seeds, bins, ...)."""

    model_config = ConfigDict(extra="allow")  # each target kind records its own details (stamp.targets)

    kind: str = ""


class RunInfo(StrictModel):
    """The content of ``run.json``."""

    format_version: int = RUN_FORMAT_VERSION
    finished: str = ""
    encoder: str
    weights_id: str
    n_train_rows: int
    n_train_samples: int
    train_patients: list[str]
    train_samples: list[str] = Field(default_factory=list)
    data_licenses: dict[str, list[str]] = Field(default_factory=dict)
    n_pathways: int
    targets: TargetsInfo | None = None
    contrastive: str | None = None
    seed: int | None = None
    replicate_group: str | None = None
    n_lora_modules: int
    trainable_params: int
    world_size: int
    final_loss: float | None
    wall_s: float
    stamp_version: str
    freeze_norm: bool | None = None
    validation: ValidationSummary = Field(default_factory=lambda: ValidationSummary(enabled=False, select="last"))
    verdict: VerdictInfo = Field(default_factory=VerdictInfo)
    adapter_hash: str = ""

    @property
    def targets_kind(self) -> str:
        """The kind of targets the run was aligned to (``""`` for runs written before targets were recorded)."""
        return self.targets.kind if self.targets is not None else ""

    def card_json(self) -> dict[str, JsonValue]:
        """JSON-ready form, as written to ``run.json``."""
        return RUN_FORMAT.dump(self)


RUN_FORMAT: VersionedFormat[RunInfo] = VersionedFormat(
    name=RUN_INFO_FILE, model=RunInfo, current=RUN_FORMAT_VERSION, package="stamp"
)


def read_run_file(path: Path) -> RunInfo:
    """Read and check one ``run.json`` file (see :func:`stamp.run_dir.read_run_info` for a run folder)."""
    return RUN_FORMAT.read(path)
