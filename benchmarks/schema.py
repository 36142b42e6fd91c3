"""Result files: pydantic models with ``schema_version``, provenance hashes and metrics with 95% CIs.

One JSON per (encoder, adapter, task, protocol). ``digest`` is the sha256 of the file's canonical JSON
without it: it catches accidental edits, not forgeries (anyone can recompute it), so the leaderboard also
recomputes every summary from the per-patient / per-target values (``benchmarks.spot.integrity``).

Schema v2 (this version) says what kind of interval each metric carries (``Metric.interval``): a bootstrap
over patients when the task holds out at least ``min_patients`` of them, otherwise a spatial block bootstrap
within the patients (``stamp.probe.spatial_bootstrap``), which makes no population claim; it also keeps every
per-patient per-target r (``per_patient_target``), which the summaries are means of. v1 files are refused
with a message (their intervals do not say what they are).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Final, Literal

from pydantic import Field, ValidationError

from benchmarks.errors import ResultError
from humanst.strict_model import StrictModel

__all__ = [
    "INTERVAL_LABELS",
    "SCHEMA_VERSION",
    "TASK_NAME",
    "BlockResult",
    "CohortRef",
    "GapResult",
    "Hardware",
    "IntervalInfo",
    "IntervalKind",
    "Metric",
    "OutcomeScore",
    "PredictionsRef",
    "Result",
    "TaskRef",
    "canonical_digest",
    "read_result",
    "result_filename",
    "write_result",
]

SCHEMA_VERSION: Final = 2
TASK_NAME: Final = r"^[a-z0-9][a-z0-9_.-]{0,63}$"  # a task's name: a shipped file's stem, never a path
Float = float | None  # NaN is written as null
IntervalKind = Literal["patient_bootstrap", "spatial_block_bootstrap", "none"]
INTERVAL_LABELS: Final[dict[str, str]] = {
    "patient_bootstrap": "95% CI, bootstrap over patients",
    "spatial_block_bootstrap": "95% spatial block bootstrap within these patients (no population claim)",
    "none": "no interval",
}


def finite(value: float) -> Float:
    """``None`` for NaN/inf, else the float (JSON has no NaN)."""
    return None if value is None or not math.isfinite(value) else float(value)


class Metric(StrictModel):
    """A mean over patients with its 95% interval, and which kind of interval it is.

    ``patient_bootstrap``: patients resampled (at least ``min_patients`` of them); ``spatial_block_bootstrap``:
    fewer patients, tiles of neighbouring spots resampled within each patient (about these patients only);
    ``none``: no interval could be computed (``ci_low`` / ``ci_high`` null).
    """

    mean: Float
    ci_low: Float
    ci_high: Float
    n_patients: int = Field(ge=0)
    interval: IntervalKind


class BlockResult(StrictModel):
    """Scores of one target block (a pathway collection, its random-set control, or the variable genes)."""

    name: str
    kind: Literal["pathways", "random", "genes"]
    control_of: str = ""
    n_targets: int = Field(ge=0)
    pearson: Metric  # per patient: mean over targets of r on the patient's spots (slides pooled)
    pearson_slide: Metric  # per patient: mean over its slides of the mean over targets of r
    per_patient: dict[str, Float]
    per_patient_slide: dict[str, Float]
    per_slide: dict[str, Float]
    per_target: dict[str, Float]  # mean over test patients
    per_patient_target: dict[str, dict[str, Float]]  # patient -> target -> r (per_patient is its mean over targets)
    per_patient_ci: dict[str, tuple[Float, Float]] = Field(default_factory=dict)  # block bootstrap, few patients
    alphas: list[float] = Field(default_factory=list)
    penalty: str = ""  # how the ridge penalties were chosen (patient / slide / spatial-block inner CV, or fixed)


class GapResult(StrictModel):
    """Pathway minus random-set Pearson (the specific molecular signal), per patient, with its CI."""

    pathways: str
    control: str
    gap: Metric
    per_patient: dict[str, Float]
    per_patient_ci: dict[str, tuple[Float, Float]] = Field(default_factory=dict)


class OutcomeScore(StrictModel):
    """Tiers 2-3: one target block under one probe: metrics with their interval, counts, per-target and per-seed values.

    ``block`` is ``label`` (the task's label) or ``control`` (the matched random sets of a slide-activity task);
    ``primary`` names the metric a leaderboard ranks by (``auroc``, ``pearson``, ``c_index``). ``interval`` says how
    the CIs were made: ``patient_bootstrap`` (patients resampled) or ``none`` (too few patients).
    """

    target: str
    block: Literal["label", "control"] = "label"
    control_of: str = ""
    kind: Literal["classification", "regression", "survival"]
    probe: str
    primary: str
    metrics: dict[str, Metric]
    interval: IntervalKind
    counts: dict[str, int] = Field(default_factory=dict)
    per_target: dict[str, Float] = Field(default_factory=dict)
    per_seed: dict[str, list[Float]] = Field(default_factory=dict)


class CohortRef(StrictModel):
    """Tiers 2-3: the cohort a result was computed on and whether the encoder may have seen it in pretraining."""

    name: str
    content_hash: str
    pretraining_overlap: Literal["yes", "no", "unknown"] = Field(
        description="Whether this encoder is known to have seen the cohort's slides in pretraining (cohort card)."
    )
    cohort_overlap: Literal["yes", "no", "unknown"] = Field(
        description="Whether some widely used PFM is known to have seen the cohort (the card's overall status)."
    )
    excluded: dict[str, int] = Field(default_factory=dict, description="Patients left out of the task, by reason.")


class TaskRef(StrictModel):
    """Which task and protocol made the result, and the hashes that pin its inputs."""

    name: str = Field(pattern=TASK_NAME)
    tier: int
    protocol: str
    task_hash: str
    atlas_hash: str
    split_hash: str
    n_spots: int
    n_samples: int
    patients: list[str]
    negative_control_of: list[str] = Field(
        default_factory=list, description="Tiers 2-3: the tasks this task is a negative control of (its task file)."
    )


class Hardware(StrictModel):
    """Where the result was computed."""

    machine: str
    processor: str
    cpu_count: int
    python: str
    platform: str


class IntervalInfo(StrictModel):
    """How the result's intervals were made: kind, the task's patient threshold, replicates, tile sides."""

    kind: IntervalKind
    min_patients: int = Field(ge=2)
    n_boot: int = Field(ge=0)
    block_um: dict[str, float] = Field(default_factory=dict)  # slide -> tile side (spatial blocks only)
    note: str = ""


class PredictionsRef(StrictModel):
    """The out-of-fold predictions kept beside the result (:mod:`benchmarks.spot.predictions`): file and sha256."""

    file: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*\.parquet$")  # a name in the result's folder, no path
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    schema_version: int = Field(ge=1)
    n_spots: int = Field(ge=0)


class Result(StrictModel):
    """One encoder (+ adapter) on one task: provenance, per-block metrics with CIs, random-set gaps."""

    schema_version: Literal[2] = SCHEMA_VERSION
    kind: Literal["model", "baseline"]
    encoder: str
    adapter_hash: str = ""
    adapter_source: str = ""  # the run folder, or hf:ORG/NAME@<commit> for an adapter from the hub
    adapter_commit: str = ""  # the hub commit of that adapter ("" for a run folder)
    adapter_seed: int | None = None  # the adapter run's seed; runs of one configuration share adapter_group
    adapter_group: str = ""  # TrainConfig.replicate_group: the fit's configuration up to its seed
    weights: str
    embedding_key: str
    embeddings_hash: str
    embed_dim: int
    code_version: str
    task: TaskRef
    blocks: list[BlockResult]
    gaps: list[GapResult]
    intervals: IntervalInfo
    hardware: Hardware
    wall_time_s: float
    created: str
    submitted_by: str = ""
    predictions: PredictionsRef | None = None
    outcomes: list[OutcomeScore] = Field(default_factory=list)  # tiers 2-3 (tier 1: blocks and gaps)
    cohort: CohortRef | None = None  # tiers 2-3
    digest: str = ""

    def block(self, name: str) -> BlockResult:
        """Return the block called ``name``; an unknown name lists the blocks."""
        for block in self.blocks:
            if block.name == name:
                return block
        msg = f"result of {self.encoder!r} has no block {name!r}; blocks: {[b.name for b in self.blocks]}"
        raise ResultError(msg)


def canonical_digest(result: Result) -> str:
    """sha256 of the result's canonical JSON with ``digest`` blanked."""
    doc = result.model_dump(mode="json")
    doc["digest"] = ""
    if doc["predictions"] is None:  # results written before predictions were kept keep their digest
        del doc["predictions"]
    for added in ("outcomes", "cohort", "adapter_source", "adapter_commit"):  # results without them keep their digest
        if not doc[added]:
            del doc[added]
    for added in ("adapter_seed", "adapter_group"):  # replicate provenance: results without it keep their digest
        if doc[added] is None or doc[added] == "":
            del doc[added]
    if not doc["task"]["negative_control_of"]:  # added later: results of other tasks keep their digest
        del doc["task"]["negative_control_of"]
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def result_filename(embedding_key: str, task: str, protocol: str) -> str:
    """``<key>__<task>__<protocol>.json`` with anything outside ``[A-Za-z0-9._+-]`` replaced by ``_``."""
    raw = f"{embedding_key}__{task}__{protocol}"
    return re.sub(r"[^A-Za-z0-9._+-]", "_", raw).lstrip(".") + ".json"


def write_result(result: Result, folder: Path) -> Path:
    """Seal ``result`` with its digest and write it into ``folder`` (temp file, then rename)."""
    sealed = result.model_copy(update={"digest": ""})
    sealed = sealed.model_copy(update={"digest": canonical_digest(sealed)})
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / result_filename(result.embedding_key, result.task.name, result.task.protocol)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(sealed.model_dump_json(indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


def read_result(path: Path, *, check_digest: bool = True) -> Result:
    """Read and validate a result file (schema, and the digest unless told not to).

    Raises
    ------
    ResultError
        Not JSON, an older schema version, does not match :class:`Result`, or its digest does not match.
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"not a readable JSON results file ({exc})"
        raise ResultError(msg, path=path) from exc
    found = doc.get("schema_version") if isinstance(doc, dict) else None
    if isinstance(found, int) and found < SCHEMA_VERSION:
        msg = (
            f"results schema v{found} is no longer read (v{SCHEMA_VERSION} labels each interval: with fewer than "
            "min_patients held-out patients a patient bootstrap is not an interval); rerun `stamp-bench run` "
            "(cached embeddings make it quick)"
        )
        raise ResultError(msg, path=path)
    try:
        result = Result.model_validate(doc)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:10])
        msg = f"does not match the results schema v{SCHEMA_VERSION} ({problems}); produce it with `stamp-bench run`"
        raise ResultError(msg, path=path) from exc
    if check_digest and result.digest != canonical_digest(result):
        msg = "digest does not match the content (edited after `stamp-bench run`?); rerun the benchmark"
        raise ResultError(msg, path=path)
    return result
