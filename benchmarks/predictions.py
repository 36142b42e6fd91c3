"""Per-spot out-of-fold predictions of the tier-1 probe, kept beside a result file as data (parquet).

One row per spot that some outer fold tested: ``sample_id``, ``spot_id``, ``patient_id``, ``fold``, then per
target block two fixed-length float32 list columns, ``measured/<block>`` and ``predicted/<block>``, whose
entries follow the block's target names. The names, the block kinds and the schema version are in the
parquet key-value metadata under :data:`METADATA_KEY`. A target a fold did not predict (a gene another fold's
training spots chose) is NaN. The result JSON references the file by name and sha256
(:class:`benchmarks.schema.PredictionsRef`), so an edited file is refused like an edited result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from benchmarks.errors import ResultError
from humanst.atomic import atomic_path

if TYPE_CHECKING:
    from benchmarks.spot_data import SpotData
    from benchmarks.tiers.probe import BlockOutcome, TargetBlock

__all__ = [
    "METADATA_KEY",
    "PREDICTIONS_SCHEMA_VERSION",
    "BlockPredictions",
    "SpotPredictions",
    "check_pinned_file",
    "collect_predictions",
    "file_sha256",
    "predictions_filename",
    "read_predictions",
    "write_predictions",
]

PREDICTIONS_SCHEMA_VERSION = 1
METADATA_KEY = b"benchmarks.predictions"
KEY_COLUMNS = ("sample_id", "spot_id", "patient_id", "fold")
SUFFIX = ".predictions.parquet"


class _BlockMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["pathways", "random", "genes"]
    control_of: str = ""
    targets: list[str]


class _FileMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1]
    blocks: list[_BlockMeta]


@dataclass(frozen=True)
class BlockPredictions:
    """One target block's measured and predicted values (rows as the file, columns as ``targets``)."""

    name: str
    kind: str
    control_of: str
    targets: list[str]
    measured: np.ndarray  # float32 spots x targets
    predicted: np.ndarray  # float32 spots x targets, NaN where the spot's fold did not predict the target

    def column(self, target: str) -> tuple[np.ndarray, np.ndarray]:
        """Measured and predicted values of one target; an unknown target lists a few known ones."""
        try:
            j = self.targets.index(target)
        except ValueError:
            msg = f"block {self.name!r} has no target {target!r}; targets include {self.targets[:5]}"
            raise ResultError(msg) from None
        return self.measured[:, j], self.predicted[:, j]


@dataclass(frozen=True)
class SpotPredictions:
    """Out-of-fold predictions of every block for the spots the folds tested."""

    sample_ids: np.ndarray
    spot_ids: np.ndarray
    patient_ids: np.ndarray
    folds: np.ndarray
    blocks: dict[str, BlockPredictions]

    @property
    def n_spots(self) -> int:
        """Number of rows (tested spots)."""
        return int(self.spot_ids.size)

    def block(self, name: str) -> BlockPredictions:
        """Return one block; an unknown name lists the blocks."""
        if name not in self.blocks:
            msg = f"no predictions for block {name!r}; blocks: {sorted(self.blocks)}"
            raise ResultError(msg)
        return self.blocks[name]

    def row_keys(self) -> list[tuple[str, str]]:
        """(sample id, spot id) of every row."""
        return list(zip(self.sample_ids.tolist(), self.spot_ids.tolist(), strict=True))


def predictions_filename(result_filename: str) -> str:
    """Name the predictions file beside a result file: ``<result stem>.predictions.parquet``."""
    return Path(result_filename).stem + SUFFIX


def collect_predictions(
    outcomes: Sequence[BlockOutcome], blocks: Sequence[TargetBlock], data: SpotData
) -> SpotPredictions:
    """Gather the folds' out-of-fold predictions (``BlockOutcome.oof``) with the measured values of the same spots."""
    by_name = {b.name: b for b in blocks}
    tested = [np.asarray(rows) for o in outcomes for _, rows, _, _ in o.oof]
    tested = [np.flatnonzero(r) if r.dtype == bool else r for r in tested]
    rows = np.unique(np.concatenate(tested)) if tested else np.zeros(0, dtype=np.int64)
    position = np.full(data.n_spots, -1, dtype=np.int64)
    position[rows] = np.arange(rows.size)
    folds = np.full(rows.size, "", dtype=object)
    out: dict[str, BlockPredictions] = {}
    for outcome in outcomes:
        block = by_name[outcome.name]
        cols: np.ndarray = (
            np.unique(np.concatenate([np.asarray(c) for _, _, c, _ in outcome.oof]))
            if outcome.oof
            else np.zeros(0, dtype=np.int64)
        )
        if len(cols) == 0:
            continue
        col_position = {int(c): j for j, c in enumerate(cols)}
        predicted = np.full((rows.size, len(cols)), np.nan, dtype=np.float32)
        for fold, test, fold_cols, pred in outcome.oof:
            test = np.flatnonzero(test) if np.asarray(test).dtype == bool else np.asarray(test)
            where = position[test]
            folds[where] = fold
            predicted[np.ix_(where, np.array([col_position[int(c)] for c in fold_cols], dtype=np.int64))] = pred
        measured = np.asarray(block.values[np.ix_(rows, cols)], dtype=np.float32)
        targets = [block.names[int(c)] for c in cols]
        out[block.name] = BlockPredictions(block.name, block.kind, block.control_of, targets, measured, predicted)
    return SpotPredictions(
        sample_ids=np.asarray(data.sample_ids[rows], dtype=object),
        spot_ids=np.asarray(data.spot_ids[rows], dtype=object),
        patient_ids=np.asarray(data.patient_ids[rows], dtype=object),
        folds=folds,
        blocks=out,
    )


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _matrix_column(values: np.ndarray) -> object:
    import pyarrow as pa

    values = np.ascontiguousarray(values, dtype=np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(values.ravel(), type=pa.float32()), values.shape[1])


def write_predictions(predictions: SpotPredictions, path: Path) -> str:
    """Write ``predictions`` as parquet at ``path`` (temp file, then rename); return the file's sha256."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {
        "sample_id": pa.array(predictions.sample_ids.tolist(), type=pa.string()),
        "spot_id": pa.array(predictions.spot_ids.tolist(), type=pa.string()),
        "patient_id": pa.array(predictions.patient_ids.tolist(), type=pa.string()),
        "fold": pa.array(predictions.folds.tolist(), type=pa.string()),
    }
    metas = []
    for block in predictions.blocks.values():
        columns[f"measured/{block.name}"] = _matrix_column(block.measured)
        columns[f"predicted/{block.name}"] = _matrix_column(block.predicted)
        metas.append(_BlockMeta(name=block.name, kind=block.kind, control_of=block.control_of, targets=block.targets))
    meta = _FileMeta(schema_version=PREDICTIONS_SCHEMA_VERSION, blocks=metas)
    table = pa.table(columns).replace_schema_metadata({METADATA_KEY: meta.model_dump_json().encode()})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return file_sha256(path)


def check_pinned_file(path: Path, sha256: str | None, what: str) -> Path:
    """Return ``path`` when it exists and (given a digest) has the sha256 its result file records.

    Raises
    ------
    ResultError
        Missing, or edited since the result was written.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{what} predictions file not found; rerun `stamp-bench run` to write it beside the result"
        raise ResultError(msg, path=path)
    if sha256 is not None and file_sha256(path) != sha256:
        msg = "sha256 differs from the one its result file records (edited or replaced?); rerun `stamp-bench run`"
        raise ResultError(msg, path=path)
    return path


def read_predictions(path: Path, *, sha256: str | None = None) -> SpotPredictions:
    """Read and check a predictions file (its sha256 when given, schema version, columns, shapes).

    Raises
    ------
    ResultError
        Missing or unreadable, the digest differs from the result's reference, or the columns do not
        match the metadata.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = check_pinned_file(path, sha256, "per-spot")
    try:
        table = pq.read_table(path)
        raw = (table.schema.metadata or {}).get(METADATA_KEY)
        if raw is None:
            msg = f"no '{METADATA_KEY.decode()}' metadata: not a predictions file written by `stamp-bench run`"
            raise ResultError(msg, path=path)
        meta = _FileMeta.model_validate(json.loads(raw))
    except (OSError, pa.ArrowException, json.JSONDecodeError, ValidationError) as exc:
        msg = f"not a readable predictions file of schema v{PREDICTIONS_SCHEMA_VERSION} ({exc}); rerun the benchmark"
        raise ResultError(msg, path=path) from exc
    missing = [c for c in KEY_COLUMNS if c not in table.column_names]
    blocks = {}
    for block in meta.blocks:
        arrays = []
        for part in ("measured", "predicted"):
            name = f"{part}/{block.name}"
            if name not in table.column_names:
                missing.append(name)
                continue
            column = table.column(name).combine_chunks()
            size = getattr(column.type, "list_size", None)
            if size != len(block.targets) or column.type.value_type != pa.float32():
                msg = f"column {name!r} is {column.type}, expected {len(block.targets)} float32 values per spot"
                raise ResultError(msg, path=path)
            arrays.append(column.flatten().to_numpy(zero_copy_only=False).reshape(len(table), size))
        if len(arrays) == 2:
            blocks[block.name] = BlockPredictions(
                block.name, block.kind, block.control_of, list(block.targets), arrays[0], arrays[1]
            )
    if missing:
        msg = f"columns {missing} are missing; rerun `stamp-bench run`"
        raise ResultError(msg, path=path)

    def strings(name: str) -> np.ndarray:
        return np.asarray(table.column(name).to_pylist(), dtype=object)

    return SpotPredictions(
        sample_ids=strings("sample_id"),
        spot_ids=strings("spot_id"),
        patient_ids=strings("patient_id"),
        folds=strings("fold"),
        blocks=blocks,
    )
