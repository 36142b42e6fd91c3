"""Atlas validation: every store, part and the patch dataset checked; all problems listed (``humanst validate``)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from humanst.errors import AtlasError
from humanst.store.atlas import ATLAS_FORMAT_VERSION, IMAGE_KEY, SHAPES_KEY, TABLE_KEY, Atlas, read_sample_store
from humanst.store.records import read_record

__all__ = ["StoreCheck", "validate_atlas", "validate_store"]

_NONE = np.zeros(0, dtype=np.int64)
_OBS = ("spot_id", "sample_id", "patient_id", "x_um", "y_um", "total_counts", "n_genes")


class StoreCheck(NamedTuple):
    """What :func:`validate_store` found: problems, and the store's spots for the cross-checks."""

    problems: list[str]
    n_obs: int
    spot_ids: list[str]
    total_counts: np.ndarray


def validate_store(path: Path, sample_id: str, *, input_hash: str | None = None) -> StoreCheck:
    """Check one SpatialData store: elements, format version, input hash, counts, ids, pathway widths."""
    from scipy import sparse

    from humanst.store.sample_zarr import INSTANCE_KEY

    where = f"sample '{sample_id}' store '{path}'"
    try:
        sdata = read_sample_store(path)
    except Exception as exc:  # noqa: BLE001  (any failure to open is a finding, reported with its cause)
        return StoreCheck(
            [f"{where}: does not open with spatialdata.read_zarr ({type(exc).__name__}: {exc})"], 0, [], _NONE
        )
    elements = ((IMAGE_KEY, sdata.images), (SHAPES_KEY, sdata.shapes), (TABLE_KEY, sdata.tables))
    problems = [f"{where}: missing element '{key}'" for key, group in elements if key not in group]
    if problems:
        return StoreCheck(problems, 0, [], _NONE)
    table = sdata.tables[TABLE_KEY]
    meta = table.uns.get("humanst", {})
    if int(meta.get("format_version", -1)) != ATLAS_FORMAT_VERSION:
        problems.append(
            f"{where}: format_version {meta.get('format_version')} but this humanst writes {ATLAS_FORMAT_VERSION}; "
            "rebuild the sample with `humanst build --force`"
        )
    if input_hash is not None and meta.get("input_hash") != input_hash:
        problems.append(f"{where}: input hash differs from the build record; rebuild the sample")
    if not sparse.issparse(table.X) or table.X.dtype != np.int32:
        problems.append(f"{where}: X must be sparse int32 raw counts, found {type(table.X).__name__} {table.X.dtype}")
    elif table.X.nnz and table.X.data.min() < 0:
        problems.append(f"{where}: X has negative counts")
    problems += [f"{where}: obs lacks column '{c}'" for c in _OBS if c not in table.obs]
    totals = np.asarray(table.X.sum(axis=1)).ravel().astype(np.int64)
    if "total_counts" in table.obs and not np.array_equal(totals, table.obs["total_counts"].to_numpy(np.int64)):
        problems.append(f"{where}: obs['total_counts'] differs from the row sums of X")
    ids = table.obs[INSTANCE_KEY].astype(str).tolist() if INSTANCE_KEY in table.obs else []
    shapes = sdata.shapes[SHAPES_KEY]
    if sorted(map(str, shapes.index)) != sorted(ids):
        problems.append(f"{where}: table spot ids and shapes/spots index differ ({len(ids)} vs {len(shapes)})")
    for key, scored in meta.get("pathways", {}).items():
        if key not in table.obsm:
            problems.append(f"{where}: uns['humanst']['pathways'] lists '{key}' but obsm lacks it")
            continue
        names = scored.get("names", [])
        if table.obsm[key].shape != (table.n_obs, len(names)):
            problems.append(
                f"{where}: obsm['{key}'] has shape {table.obsm[key].shape}, expected ({table.n_obs}, {len(names)})"
            )
    return StoreCheck(problems, table.n_obs, ids, totals)


def _validate_part(atlas: Atlas, sample_id: str, store: StoreCheck) -> list[str]:
    import pyarrow.parquet as pq

    part, genes = atlas.part_paths(sample_id)
    if not part.is_file() or not genes.is_file():
        return [f"sample '{sample_id}': patch part '{part}' or its gene list is missing; rebuild the sample"]
    rows = pq.read_table(part, columns=["spot_id", "total_counts", "counts"])
    spot_ids = rows.column("spot_id").to_pylist()
    if spot_ids != store.spot_ids:
        return [f"sample '{sample_id}': patch part has {len(spot_ids)} rows for {store.n_obs} spots in the store"]
    totals = rows.column("total_counts").to_numpy()
    counts = rows.column("counts").combine_chunks()
    running = np.concatenate([[0], np.cumsum(counts.values.to_numpy(), dtype=np.int64)])
    offsets = counts.offsets.to_numpy()
    summed = running[offsets[1:]] - running[offsets[:-1]]  # per-row sums of the sparse counts
    if not (np.array_equal(totals, store.total_counts) and np.array_equal(summed, store.total_counts)):
        return [f"sample '{sample_id}': patch part counts differ from the store's counts; rebuild the sample"]
    return []


def _validate_dataset(atlas: Atlas, expected_rows: dict[str, int]) -> list[str]:
    import pyarrow.compute as pc

    where = f"patch dataset '{atlas.hf_dir}'"
    try:
        info = atlas.info()
        dataset = atlas.load_dataset()
    except AtlasError as exc:
        return [f"{where}: {exc}"]
    except Exception as exc:  # noqa: BLE001  (reported as a finding)
        return [f"{where}: does not load with datasets.load_from_disk ({type(exc).__name__}: {exc})"]
    problems = []
    want = sum(expected_rows.get(s, 0) for s in info["samples"])
    if len(dataset) != want:
        problems.append(f"{where}: {len(dataset)} rows, but the stores of its samples hold {want} spots")
    missing = sorted(set(expected_rows) - set(info["samples"]))
    if missing:
        problems.append(f"{where}: built samples missing from the dataset: {', '.join(missing)}; rerun `humanst build`")
    vocabulary = atlas.genes()
    flat = pc.list_flatten(dataset.data.table.column("gene_idx"))
    if len(flat) and (pc.max(flat).as_py() >= len(vocabulary) or pc.min(flat).as_py() < 0):
        problems.append(f"{where}: gene_idx outside the {len(vocabulary)}-gene vocabulary of genes.txt")
    return problems


def validate_atlas(atlas: Path) -> tuple[list[str], int]:
    """Validate every finished sample and the dataset; return (problems, samples checked)."""
    try:
        layout = Atlas.open(atlas)
    except AtlasError as exc:
        return [str(exc)], 0
    problems: list[str] = []
    rows: dict[str, int] = {}
    records = sorted(layout.records_dir.glob("*.json"))
    for record_path in records:
        record = read_record(record_path)
        if record is None:
            problems.append(f"record '{record_path}': unreadable")
            continue
        if record.status == "failed":
            continue
        check = validate_store(layout.store_path(record.sample_id), record.sample_id, input_hash=record.input_hash)
        problems += check.problems or _validate_part(layout, record.sample_id, check)
        rows[record.sample_id] = check.n_obs
    if rows:
        problems += _validate_dataset(layout, rows)
    return problems, len(rows)
