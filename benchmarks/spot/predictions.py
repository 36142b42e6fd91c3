"""Per-spot out-of-fold predictions of the tier-1 probe, kept beside a result file as data (parquet).

One row per spot that some outer fold tested: ``sample_id``, ``spot_id``, ``patient_id``, ``fold``, the spot centre
``x_um``, ``y_um`` (schema 2: what ``stamp-bench compare`` cuts the tissue tiles from), then per target block two
fixed-length float32 list columns, ``measured/<block>`` and ``predicted/<block>``, whose entries follow the block's
target names. The names, the block kinds and the schema version are in the parquet key-value metadata under
:data:`METADATA_KEY`. A target a fold did not predict (a gene another fold's training spots chose) is NaN. The
result JSON references the file by name and sha256 (:class:`benchmarks.schema.PredictionsRef`), so an edited file
is refused like an edited result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from benchmarks.errors import ResultError
from benchmarks.prediction_files import PredictionFormat, float64_column, float_matrix, float_rows, string_column
from humanst.strict_model import StrictModel

if TYPE_CHECKING:
    import pyarrow as pa

    from benchmarks.spot.data import SpotData
    from benchmarks.spot.probe import BlockOutcome, TargetBlock

__all__ = [
    "METADATA_KEY",
    "PREDICTIONS_SCHEMA_VERSION",
    "BlockPredictions",
    "SpotPredictions",
    "collect_predictions",
    "predictions_filename",
    "read_predictions",
    "write_predictions",
]

PREDICTIONS_SCHEMA_VERSION = 2  # 2: spot centres (x_um, y_um); version 1 files are still read
METADATA_KEY = b"benchmarks.predictions"
KEY_COLUMNS = ("sample_id", "spot_id", "patient_id", "fold")
SUFFIX = ".predictions.parquet"


class _SpotBlockMeta(StrictModel):
    name: str
    kind: Literal["pathways", "random", "genes"]
    control_of: str = ""
    targets: list[str]


class _SpotFileMeta(StrictModel):
    schema_version: Literal[1, 2]
    blocks: list[_SpotBlockMeta]


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
    coords_um: np.ndarray | None = None  # spots x 2 (x_um, y_um); None in version 1 files

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


FORMAT = PredictionFormat(
    what="per-spot", key=METADATA_KEY, meta_model=_SpotFileMeta, version=PREDICTIONS_SCHEMA_VERSION
)


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
        coords_um=None if data.coords_um is None else np.asarray(data.coords_um[rows], dtype=np.float64),
    )


def write_predictions(predictions: SpotPredictions, path: Path) -> str:
    """Write ``predictions`` as parquet at ``path`` (temp file, then rename); return the file's sha256."""
    columns = {
        "sample_id": string_column(predictions.sample_ids),
        "spot_id": string_column(predictions.spot_ids),
        "patient_id": string_column(predictions.patient_ids),
        "fold": string_column(predictions.folds),
    }
    if predictions.coords_um is not None:
        columns |= {
            "x_um": float64_column(predictions.coords_um[:, 0]),
            "y_um": float64_column(predictions.coords_um[:, 1]),
        }
    metas = []
    for block in predictions.blocks.values():
        columns[f"measured/{block.name}"] = float_rows(block.measured)
        columns[f"predicted/{block.name}"] = float_rows(block.predicted)
        metas.append(
            _SpotBlockMeta(name=block.name, kind=block.kind, control_of=block.control_of, targets=block.targets)
        )
    meta = _SpotFileMeta(schema_version=PREDICTIONS_SCHEMA_VERSION, blocks=metas)
    return FORMAT.write(columns, meta, path)


def read_predictions(path: Path, *, sha256: str | None = None) -> SpotPredictions:
    """Read and check a predictions file (its sha256 when given, schema version, columns, shapes).

    Raises
    ------
    ResultError
        Missing or unreadable, the digest differs from the result's reference, or the columns do not
        match the metadata.
    """
    table, meta = FORMAT.read(path, sha256=sha256)
    missing = [c for c in KEY_COLUMNS if c not in table.column_names]
    blocks = {}
    for block in meta.blocks:
        arrays = []
        for part in ("measured", "predicted"):
            name = f"{part}/{block.name}"
            if name not in table.column_names:
                missing.append(name)
                continue
            try:
                arrays.append(float_matrix(table, name, len(block.targets)))
            except ValueError as exc:
                raise ResultError(str(exc), path=path) from exc
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
        coords_um=_coords(table),
    )


def _coords(table: pa.Table) -> np.ndarray | None:
    """Return the spot centres of a version-2 file (``None`` when the file has none)."""
    if "x_um" not in table.column_names or "y_um" not in table.column_names:
        return None
    return np.column_stack([table.column(c).to_numpy().astype(np.float64) for c in ("x_um", "y_um")])
