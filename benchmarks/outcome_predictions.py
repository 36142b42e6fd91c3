"""Tiers 2-3: per-patient out-of-fold predictions kept beside a result file as data (parquet).

One row per tested patient: ``patient_id``, ``fold``, then per target block ``measured/<block>`` (the label: one
class, the targets, or time and event) and per probe ``predicted/<probe>/<block>`` (probability, targets or
risk), as fixed-length float32 lists. Kind, blocks, target names and schema version sit in the parquet metadata.
``stamp-bench compare`` reads two such files to bootstrap the paired difference over the shared patients; the
result JSON references the file by name and sha256, so an edited file is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from benchmarks.errors import ResultError
from benchmarks.predictions import check_pinned_file, file_sha256
from humanst.atomic import atomic_path

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


class _BlockMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    targets: list[str]


class _FileMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1]
    kind: str
    probes: list[str]
    blocks: list[_BlockMeta]


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


def outcome_predictions_filename(result_filename: str) -> str:
    """Return ``<result stem>.outcomes.parquet``."""
    return Path(result_filename).stem + SUFFIX


def _fixed(values: np.ndarray) -> object:
    import pyarrow as pa

    values = np.ascontiguousarray(np.asarray(values, dtype=np.float32).reshape(len(values), -1))
    return pa.FixedSizeListArray.from_arrays(pa.array(values.ravel(), type=pa.float32()), values.shape[1])


def write_outcome_predictions(predictions: OutcomePredictions, path: Path) -> str:
    """Write the predictions as parquet (temp file, then rename); return the file's sha256."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {
        "patient_id": pa.array(predictions.patients.tolist(), type=pa.string()),
        "fold": pa.array(predictions.folds.tolist(), type=pa.string()),
    }
    for block, values in predictions.measured.items():
        columns[f"measured/{block}"] = _fixed(values)
    for (probe, block), values in predictions.predicted.items():
        columns[f"predicted/{probe}/{block}"] = _fixed(values)
    meta = _FileMeta(
        schema_version=OUTCOME_PREDICTIONS_VERSION,
        kind=predictions.kind,
        probes=sorted({p for p, _ in predictions.predicted}),
        blocks=[_BlockMeta(name=b, targets=t) for b, t in predictions.targets.items()],
    )
    table = pa.table(columns).replace_schema_metadata({METADATA_KEY: meta.model_dump_json().encode()})
    with atomic_path(Path(path)) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return file_sha256(Path(path))


def read_outcome_predictions(path: Path, *, sha256: str | None = None) -> OutcomePredictions:
    """Read and check a predictions file (sha256 when given, schema, columns).

    Raises
    ------
    ResultError
        Missing, edited (sha256 differs), unreadable, or columns that do not match the metadata.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = check_pinned_file(path, sha256, "per-patient")
    try:
        table = pq.read_table(path)
        meta = _FileMeta.model_validate(json.loads((table.schema.metadata or {})[METADATA_KEY]))

        def matrix(name: str) -> np.ndarray:
            column = table.column(name).combine_chunks()
            return column.flatten().to_numpy(zero_copy_only=False).reshape(len(table), column.type.list_size)

        measured = {b.name: matrix(f"measured/{b.name}") for b in meta.blocks}
        predicted = {(p, b.name): matrix(f"predicted/{p}/{b.name}") for p in meta.probes for b in meta.blocks}
    except (OSError, KeyError, pa.ArrowException, json.JSONDecodeError, ValidationError) as exc:
        msg = f"not a readable outcome predictions file of schema v{OUTCOME_PREDICTIONS_VERSION} ({exc}); rerun"
        raise ResultError(msg, path=path) from exc
    return OutcomePredictions(
        kind=meta.kind,
        patients=np.asarray(table.column("patient_id").to_pylist(), dtype=object),
        folds=np.asarray(table.column("fold").to_pylist(), dtype=object),
        targets={b.name: list(b.targets) for b in meta.blocks},
        measured=measured,
        predicted=predicted,
    )
