"""Per-sample patch parts: one parquet file of JPEG patches, pathways and sparse counts per sample.

A part is the resumable unit of the patch dataset: written atomically by the sample's build task, then
assembled with every other part into the Hugging Face dataset (:mod:`humanst.store.hf_dataset`).
Gene indices in a part refer to the sample's own gene list (``<sample>.genes.txt``); assembly maps them
onto the atlas vocabulary.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from humanst.harmonise.patches import PatchSpec, iter_patches

__all__ = ["JPEG_QUALITY", "PartInfo", "part_paths", "part_schema", "write_part"]

JPEG_QUALITY = 90
ROW_GROUP = 256
IN_MEMORY_BYTES = 2 << 30  # images up to this size are read whole before cutting patches


@dataclass(frozen=True)
class PartInfo:
    """What a written part holds."""

    n_rows: int
    n_padded: int
    collections: list[str]


def part_paths(parts_dir: Path, sample_id: str) -> tuple[Path, Path]:
    """Return the parquet file and gene list of a sample's part."""
    return parts_dir / f"{sample_id}.parquet", parts_dir / f"{sample_id}.genes.txt"


def part_schema(collections: list[str]) -> Any:
    """Return the arrow schema of a part (image as the Hugging Face ``Image`` struct: bytes + path)."""
    import pyarrow as pa

    fields = [
        pa.field("sample_id", pa.string()),
        pa.field("spot_id", pa.string()),
        pa.field("patient_id", pa.string()),
        pa.field("organ", pa.string()),
        pa.field("platform", pa.string()),
        pa.field("split", pa.string()),
        pa.field("x_um", pa.float32()),
        pa.field("y_um", pa.float32()),
        pa.field("total_counts", pa.int64()),
        pa.field("image", pa.struct([pa.field("bytes", pa.binary()), pa.field("path", pa.string())])),
        pa.field("patch_padded", pa.bool_()),
    ]
    for name in collections:
        fields.append(pa.field(f"pathways_{name}", pa.list_(pa.float32())))
        fields.append(pa.field(f"pathway_mask_{name}", pa.list_(pa.bool_())))
    fields += [pa.field("gene_idx", pa.list_(pa.int32())), pa.field("counts", pa.list_(pa.int32()))]
    return pa.schema(fields)


def _jpeg(patch: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(patch).save(buf, format="JPEG", quality=JPEG_QUALITY)
    return buf.getvalue()


def write_part(
    parts_dir: Path, sample: Any, meta: dict[str, str], spec: PatchSpec, *,
    collections: list[str], progress: Callable[[int], None] | None = None,
) -> PartInfo:  # fmt: skip
    """Write the part of ``sample`` (a :class:`~humanst.store.sample_zarr.SampleData`) atomically.

    ``meta`` gives ``sample_id``, ``patient_id``, ``organ``, ``platform`` and ``split`` for every row.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = sample.table
    x = table.X.tocsr()
    schema = part_schema(collections)
    scores = {}
    for name in collections:
        values = np.asarray(table.obsm[f"pathways_{name}"], dtype=np.float32)
        mask = np.isfinite(values)
        scores[name] = (np.where(mask, values, 0.0).astype(np.float32), mask)
    path, genes_path = part_paths(parts_dir, str(meta["sample_id"]))
    parts_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    spot_ids = table.obs["spot_id"].astype(str).to_numpy()
    x_um, y_um = table.obs["x_um"].to_numpy(np.float32), table.obs["y_um"].to_numpy(np.float32)
    totals = np.asarray(x.sum(axis=1)).ravel().astype(np.int64)
    image = sample.image
    if int(np.prod(image.shape)) <= IN_MEMORY_BYTES:  # one read instead of one small read per spot
        image = np.asarray(image)
    patches = iter_patches(image, sample.xy_px, sample.um_per_px, spec)
    n_padded = 0
    try:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for start in range(0, table.n_obs, ROW_GROUP):
                stop = min(start + ROW_GROUP, table.n_obs)
                images, padded = [], []
                for _ in range(start, stop):
                    patch, was_padded = next(patches)
                    images.append({"bytes": _jpeg(patch), "path": None})
                    padded.append(was_padded)
                n_padded += sum(padded)
                rows = stop - start
                columns: dict[str, Any] = {key: [meta[key]] * rows for key in ("sample_id", "patient_id", "organ")}
                columns |= {"platform": [meta["platform"]] * rows, "split": [meta["split"]] * rows}
                columns |= {"spot_id": spot_ids[start:stop], "x_um": x_um[start:stop], "y_um": y_um[start:stop]}
                columns |= {"total_counts": totals[start:stop], "image": images, "patch_padded": padded}
                for name, (values, mask) in scores.items():
                    columns[f"pathways_{name}"] = list(values[start:stop])
                    columns[f"pathway_mask_{name}"] = list(mask[start:stop])
                block = x[start:stop]
                bounds = block.indptr
                columns["gene_idx"] = [block.indices[bounds[i] : bounds[i + 1]] for i in range(rows)]
                columns["counts"] = [block.data[bounds[i] : bounds[i + 1]] for i in range(rows)]
                writer.write_table(pa.table(columns, schema=schema))
                if progress is not None:
                    progress(rows)
        genes_tmp = genes_path.with_name(f".{genes_path.name}.tmp-{os.getpid()}")
        genes_tmp.write_text("\n".join(map(str, table.var_names)) + "\n", encoding="utf-8")
        genes_tmp.replace(genes_path)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return PartInfo(table.n_obs, n_padded, collections)
