"""Prediction files kept beside result files: parquet of fixed-length float32 list columns, versioned metadata.

Tier 1 (:mod:`benchmarks.spot.predictions`) keeps one row per tested spot, tiers 2-3
(:mod:`benchmarks.slide.predictions`) one row per tested patient. Both write string key columns, then one
fixed-length float32 list column per measured or predicted block, and a pydantic model of the file's blocks as
JSON under their own parquet metadata key. The result file pins the file by name and sha256, so an edited file
is refused like an edited result (:func:`check_pinned_file`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from benchmarks.errors import ResultError
from humanst.atomic import atomic_path
from humanst.content_hash import file_sha256

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "PredictionFormat",
    "check_pinned_file",
    "float64_column",
    "float_matrix",
    "float_rows",
    "string_column",
]

Meta = TypeVar("Meta", bound=BaseModel)


@dataclass(frozen=True)
class PredictionFormat(Generic[Meta]):
    """One kind of predictions file: what it holds (named in errors), its metadata key, model and version."""

    what: str  # "per-spot", "per-patient"
    key: bytes
    meta_model: type[Meta]
    version: int

    def write(self, columns: dict[str, pa.Array], meta: Meta, path: Path) -> str:
        """Write ``columns`` and ``meta`` as zstd parquet (temp file, then rename); return the file's sha256."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table(columns).replace_schema_metadata({self.key: meta.model_dump_json().encode()})
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp, compression="zstd")
        return file_sha256(path)

    def read(self, path: Path, *, sha256: str | None) -> tuple[pa.Table, Meta]:
        """Read a pinned predictions file of this format and validate its metadata.

        Raises
        ------
        ResultError
            Missing, edited (``sha256`` given and different), unreadable, or its metadata is missing or does not
            match the format's model.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = check_pinned_file(path, sha256, self.what)
        try:
            table = pq.read_table(path)
            raw = (table.schema.metadata or {}).get(self.key)
            if raw is None:
                msg = f"no '{self.key.decode()}' metadata: not a predictions file written by `stamp-bench run`"
                raise ResultError(msg, path=path)
            return table, self.meta_model.model_validate(json.loads(raw))
        except (OSError, pa.ArrowException, json.JSONDecodeError, ValidationError) as exc:
            msg = (
                f"not a readable {self.what} predictions file (schema v{self.version}: {exc}); rerun `stamp-bench run`"
            )
            raise ResultError(msg, path=path) from exc


def string_column(values: np.ndarray) -> pa.Array:
    """Return ``values`` as a parquet string column."""
    import pyarrow as pa

    return pa.array(np.asarray(values).tolist(), type=pa.string())


def float64_column(values: np.ndarray) -> pa.Array:
    """Return 1-D ``values`` as a parquet float64 column (coordinates)."""
    import pyarrow as pa

    return pa.array(np.asarray(values, dtype=np.float64), type=pa.float64())


def float_rows(values: np.ndarray) -> pa.FixedSizeListArray:
    """Return ``values`` as fixed-length float32 lists, one per row (1-D values give lists of one)."""
    import pyarrow as pa

    values = np.ascontiguousarray(np.asarray(values, dtype=np.float32).reshape(len(values), -1))
    return pa.FixedSizeListArray.from_arrays(pa.array(values.ravel(), type=pa.float32()), values.shape[1])


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


def float_matrix(table: pa.Table, name: str, width: int | None = None) -> np.ndarray:
    """Column ``name`` as a rows x width float32 matrix (``width`` checked when given).

    Raises
    ------
    KeyError
        No such column.
    ValueError
        Not a fixed-length float32 list column of ``width`` values.
    """
    import pyarrow as pa

    column = table.column(name).combine_chunks()
    size = getattr(column.type, "list_size", None)
    if size is None or (width is not None and size != width) or column.type.value_type != pa.float32():
        msg = f"column {name!r} is {column.type}, expected {width or 'fixed-length'} float32 values per row"
        raise ValueError(msg)
    return column.flatten().to_numpy(zero_copy_only=False).reshape(len(table), size)
