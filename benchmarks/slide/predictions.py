"""Tiers 2-3: per-patient out-of-fold predictions kept beside a result file as data (parquet).

One row per tested patient: ``patient_id``, ``fold``, then per target block ``measured/<block>`` (the label: one
class, the targets, or time and event) and per probe ``predicted/<probe>/<block>`` (probability, targets or
risk), as fixed-length float32 lists. Kind, blocks, target names and schema version sit in the parquet metadata.
``stamp-bench compare`` reads two such files to bootstrap the paired difference over the shared patients; the
result JSON references the file by name and sha256, so an edited file is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from benchmarks.errors import ResultError
from benchmarks.prediction_files import PredictionFormat, float_matrix, float_rows, string_column
from humanst.strict_model import StrictModel

__all__ = [
    "OUTCOME_PREDICTIONS_VERSION",
    "OutcomePredictions",
    "outcome_predictions_filename",
    "read_outcome_predictions",
    "write_outcome_predictions",
]

OUTCOME_PREDICTIONS_VERSION = 1
METADATA_KEY = b"benchmarks.outcome_predictions"
SUFFIX = ".outcomes.parquet"


class _PatientBlockMeta(StrictModel):
    name: str
    targets: list[str]


class _PatientFileMeta(StrictModel):
    schema_version: Literal[1]
    kind: str
    probes: list[str]
    blocks: list[_PatientBlockMeta]


@dataclass(frozen=True)
class OutcomePredictions:
    """Measured labels and every probe's out-of-fold predictions of the tested patients."""

    kind: str
    patients: np.ndarray
    folds: np.ndarray
    targets: dict[str, list[str]]  # block -> target names
    measured: dict[str, np.ndarray]  # block -> patients x width
    predicted: dict[tuple[str, str], np.ndarray]  # (probe, block) -> patients x width

    @property
    def n_patients(self) -> int:
        """Number of rows."""
        return int(self.patients.size)


FORMAT = PredictionFormat(
    what="per-patient", key=METADATA_KEY, meta_model=_PatientFileMeta, version=OUTCOME_PREDICTIONS_VERSION
)


def outcome_predictions_filename(result_filename: str) -> str:
    """Return ``<result stem>.outcomes.parquet``."""
    return Path(result_filename).stem + SUFFIX


def write_outcome_predictions(predictions: OutcomePredictions, path: Path) -> str:
    """Write the predictions as parquet (temp file, then rename); return the file's sha256."""
    columns = {"patient_id": string_column(predictions.patients), "fold": string_column(predictions.folds)}
    for block, values in predictions.measured.items():
        columns[f"measured/{block}"] = float_rows(values)
    for (probe, block), values in predictions.predicted.items():
        columns[f"predicted/{probe}/{block}"] = float_rows(values)
    meta = _PatientFileMeta(
        schema_version=OUTCOME_PREDICTIONS_VERSION,
        kind=predictions.kind,
        probes=sorted({p for p, _ in predictions.predicted}),
        blocks=[_PatientBlockMeta(name=b, targets=t) for b, t in predictions.targets.items()],
    )
    return FORMAT.write(columns, meta, path)


def read_outcome_predictions(path: Path, *, sha256: str | None = None) -> OutcomePredictions:
    """Read and check a predictions file (sha256 when given, schema, columns).

    Raises
    ------
    ResultError
        Missing, edited (sha256 differs), unreadable, or columns that do not match the metadata.
    """
    table, meta = FORMAT.read(path, sha256=sha256)
    try:
        measured = {b.name: float_matrix(table, f"measured/{b.name}") for b in meta.blocks}
        predicted = {
            (p, b.name): float_matrix(table, f"predicted/{p}/{b.name}") for p in meta.probes for b in meta.blocks
        }
    except (KeyError, ValueError) as exc:
        msg = f"columns do not match the file's metadata ({exc}); rerun `stamp-bench run`"
        raise ResultError(msg, path=path) from exc
    return OutcomePredictions(
        kind=meta.kind,
        patients=np.asarray(table.column("patient_id").to_pylist(), dtype=object),
        folds=np.asarray(table.column("fold").to_pylist(), dtype=object),
        targets={b.name: list(b.targets) for b in meta.blocks},
        measured=measured,
        predicted=predicted,
    )
