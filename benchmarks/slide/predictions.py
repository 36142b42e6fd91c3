"""Tiers 2-3: per-patient out-of-fold predictions kept beside a result file as data (parquet).

One row per tested patient: ``patient_id``, ``fold``, then per target block ``measured/<block>`` (the label: one
class, the targets, or time and event) and per probe ``predicted/<probe>/<block>`` (probability, targets or
risk), as fixed-length float32 lists. Kind, blocks, target names and schema version sit in the parquet metadata.
``stamp-bench compare`` reads two such files to bootstrap the paired difference over the shared patients; the
result JSON references the file by name and sha256, so an edited file is refused.

Version 2 adds the tiles of each patient (variable-length lists per row): ``tiles/slides`` (its slide ids),
``tiles/tile_px`` (each slide's tile side in level-0 pixels), ``tiles/slide`` (each tile's slide, an index into
``tiles/slides``), ``tiles/xy_px`` (each tile's level-0 pixel corner, x and y interleaved) and per probe
``tile_scores/<probe>`` (each tile's score of the label block from the fold's own fitted probe, ``width`` values
per tile, tile-major; what the score is sits in the metadata). Version-1 files (no tiles) are still read: they
give every number, only the per-tile scores are missing (rerun ``stamp-bench run`` to get them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from benchmarks.errors import ResultError
from benchmarks.prediction_files import PredictionFormat, float_matrix, float_rows, string_column
from benchmarks.slide.tiles import TilePlaces
from humanst.strict_model import StrictModel

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "OUTCOME_PREDICTIONS_VERSION",
    "OutcomePredictions",
    "outcome_predictions_filename",
    "read_outcome_predictions",
    "write_outcome_predictions",
]

OUTCOME_PREDICTIONS_VERSION = 2
METADATA_KEY = b"benchmarks.outcome_predictions"
SUFFIX = ".outcomes.parquet"


class _PatientBlockMeta(StrictModel):
    name: str
    targets: list[str]


class _TileScoreMeta(StrictModel):
    probe: str
    width: int = Field(ge=1)
    what: str = ""


class _PatientFileMeta(StrictModel):
    schema_version: Literal[1, 2]
    kind: str
    probes: list[str]
    blocks: list[_PatientBlockMeta]
    tile_scores: list[_TileScoreMeta] = Field(default_factory=list)  # v2


@dataclass(frozen=True)
class OutcomePredictions:
    """Measured labels and every probe's out-of-fold predictions of the tested patients, and their tiles' scores.

    ``tiles`` (one :class:`TilePlaces` per patient, ``None`` without per-tile scores) and ``tile_scores`` (probe ->
    one ``(tiles, width)`` array per patient, same order) hold each tested tile's score under the probe fitted
    without its patient; ``version`` is the file's schema version (1: no tiles).
    """

    kind: str
    patients: np.ndarray
    folds: np.ndarray
    targets: dict[str, list[str]]  # block -> target names
    measured: dict[str, np.ndarray]  # block -> patients x width
    predicted: dict[tuple[str, str], np.ndarray]  # (probe, block) -> patients x width
    tiles: list[TilePlaces] | None = None
    tile_scores: dict[str, list[np.ndarray]] = field(default_factory=dict)
    tile_what: dict[str, str] = field(default_factory=dict)  # probe -> what its per-tile score is, in words
    version: int = OUTCOME_PREDICTIONS_VERSION

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


def _tile_columns(predictions: OutcomePredictions) -> tuple[dict[str, pa.Array], list[_TileScoreMeta]]:
    import pyarrow as pa

    if predictions.tiles is None or not predictions.tile_scores:
        return {}, []
    places = predictions.tiles
    columns = {
        "tiles/slides": pa.array([p.slides for p in places], type=pa.list_(pa.string())),
        "tiles/tile_px": pa.array([p.tile_px.tolist() for p in places], type=pa.list_(pa.int64())),
        "tiles/slide": pa.array([p.slide_of_tile.tolist() for p in places], type=pa.list_(pa.int32())),
        "tiles/xy_px": pa.array([p.xy_px.ravel().tolist() for p in places], type=pa.list_(pa.int64())),
    }
    metas = []
    for probe, per_patient in sorted(predictions.tile_scores.items()):
        width = int(per_patient[0].shape[1]) if per_patient else 1
        rows = [np.asarray(v, dtype=np.float32).ravel() for v in per_patient]
        columns[f"tile_scores/{probe}"] = pa.array(rows, type=pa.list_(pa.float32()))
        metas.append(_TileScoreMeta(probe=probe, width=width, what=predictions.tile_what.get(probe, "")))
    return columns, metas


def write_outcome_predictions(predictions: OutcomePredictions, path: Path) -> str:
    """Write the predictions as parquet (temp file, then rename); return the file's sha256."""
    columns = {"patient_id": string_column(predictions.patients), "fold": string_column(predictions.folds)}
    for block, values in predictions.measured.items():
        columns[f"measured/{block}"] = float_rows(values)
    for (probe, block), values in predictions.predicted.items():
        columns[f"predicted/{probe}/{block}"] = float_rows(values)
    tile_columns, tile_metas = _tile_columns(predictions)
    meta = _PatientFileMeta(
        schema_version=OUTCOME_PREDICTIONS_VERSION,
        kind=predictions.kind,
        probes=sorted({p for p, _ in predictions.predicted}),
        blocks=[_PatientBlockMeta(name=b, targets=t) for b, t in predictions.targets.items()],
        tile_scores=tile_metas,
    )
    return FORMAT.write({**columns, **tile_columns}, meta, path)


def _read_tiles(table: pa.Table, meta: _PatientFileMeta) -> tuple[list[TilePlaces] | None, dict[str, list[np.ndarray]]]:
    if not meta.tile_scores:
        return None, {}
    slides = table.column("tiles/slides").to_pylist()
    tile_px = table.column("tiles/tile_px").to_pylist()
    slide_of = table.column("tiles/slide").to_pylist()
    xy = table.column("tiles/xy_px").to_pylist()
    places = [
        TilePlaces(list(s), np.asarray(t, dtype=np.int32), np.asarray(c, dtype=np.int64).reshape(-1, 2),
                   np.asarray(px, dtype=np.int64))
        for s, px, t, c in zip(slides, tile_px, slide_of, xy, strict=True)
    ]  # fmt: skip
    scores = {}
    for item in meta.tile_scores:
        rows = table.column(f"tile_scores/{item.probe}").to_pylist()
        scores[item.probe] = [
            np.asarray(r, dtype=np.float64).reshape(len(p), item.width) for r, p in zip(rows, places, strict=True)
        ]
    return places, scores


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
        tiles, tile_scores = _read_tiles(table, meta)
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
        tiles=tiles,
        tile_scores=tile_scores,
        tile_what={t.probe: t.what for t in meta.tile_scores},
        version=meta.schema_version,
    )
