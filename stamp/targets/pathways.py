"""``data.targets: pathways`` (the default): the atlas's background-corrected pathway scores, from the dataset."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from humanst.store import mask_column, pathway_column
from stamp.errors import DataError
from stamp.targets._registry import TargetRows, TargetSpec, TargetTable, register_target

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["fixed_list", "pathway_targets"]


def fixed_list(column: pa.ChunkedArray, width: int, dtype: type[np.generic]) -> np.ndarray:
    """Return a chunked arrow column of fixed-length lists as a (rows, width) array."""
    import pyarrow as pa

    flat = pa.chunked_array([c.flatten() for c in column.chunks]) if column.num_chunks else pa.array([])
    values = flat.to_numpy(zero_copy_only=False).astype(dtype)
    return values.reshape(-1, width) if width else values.reshape(len(column), 0)


@register_target("pathways")
def pathway_targets(rows: TargetRows, spec: TargetSpec) -> TargetTable:
    """Concatenate the collections' scores (``pathways_<c>`` columns) and masks, in the order given."""
    available = rows.atlas.pathway_names()
    missing = [c for c in spec.collections if c not in available]
    if missing:
        msg = (
            f"atlas '{rows.atlas.root}': pathway collection(s) {missing} not in the atlas; it has "
            f"{sorted(available)} (data.collections)"
        )
        raise DataError(msg)
    names = [f"{c}:{name}" for c in spec.collections for name in available[c]]
    scores, masks = [], []
    for c in spec.collections:
        cols = rows.table.select([pathway_column(c), mask_column(c)]).take(rows.rows)
        width = len(available[c])
        scores.append(fixed_list(cols.column(0), width, np.float32))
        masks.append(fixed_list(cols.column(1), width, np.bool_))
    n = rows.rows.size
    raw = np.concatenate(scores, axis=1) if scores else np.zeros((n, 0), np.float32)
    mask = (np.concatenate(masks, axis=1) if masks else np.zeros(raw.shape, np.bool_)) & np.isfinite(raw)
    provenance: dict[str, object] = {"collections": list(spec.collections)}
    if spec.pathways is not None:
        keep = _selected(names, spec.pathways, rows.atlas.root)
        names, raw, mask = [names[i] for i in keep], raw[:, keep], mask[:, keep]
        provenance["pathways"] = list(spec.pathways)
    return TargetTable(names, raw, mask, {**provenance, "n_targets": len(names)})


def _selected(names: list[str], wanted: tuple[str, ...], root: object) -> list[int]:
    """Column indices of ``wanted`` pathways, each given as ``NAME`` or ``collection:NAME``."""
    index: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        index.setdefault(name, []).append(i)
        index.setdefault(name.partition(":")[2], []).append(i)
    missing = [w for w in wanted if w not in index]
    if missing:
        msg = f"atlas '{root}': data.pathways {missing} not among the collections' pathways (e.g. {names[:3]})"
        raise DataError(msg)
    return sorted({i for w in wanted for i in index[w]})
