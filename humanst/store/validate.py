"""Atlas validation: every store, part and the patch dataset checked; all problems listed (``humanst validate``)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from humanst.errors import AtlasError
from humanst.store.atlas import ATLAS_FORMAT_VERSION, IMAGE_KEY, SHAPES_KEY, TABLE_KEY, Atlas, read_sample_store
from humanst.store.records import read_record
from humanst.store.sample_zarr import EVERY_CHUNK_KEY

__all__ = ["StoreCheck", "validate_atlas", "validate_store"]

_NONE = np.zeros(0, dtype=np.int64)
_OBS = ("spot_id", "sample_id", "patient_id", "x_um", "y_um", "total_counts", "n_genes")


class StoreCheck(NamedTuple):
    """What :func:`validate_store` found: problems, the store's spots for the cross-checks, and notes."""

    problems: list[str]
    n_obs: int
    spot_ids: list[str]
    total_counts: np.ndarray
    notes: list[str] = []  # noqa: RUF012  (a NamedTuple default, never mutated)


def _chunk_findings(path: Path, where: str, *, deep: bool, every_chunk_written: bool) -> tuple[list[str], list[str]]:
    """(problems, notes) of a store's chunks; a store written before every chunk was kept gets notes only."""
    from humanst.store.chunks import check_chunks

    fix = "rebuild the sample with `humanst build --force`"
    try:
        found = check_chunks(path, deep=deep)
    except Exception as exc:  # noqa: BLE001  (a store whose arrays cannot be listed is a finding)
        return [f"{where}: its zarr arrays cannot be listed ({type(exc).__name__}: {exc}); {fix}"], []
    if every_chunk_written or not found:
        return [f"{where}: {problem}; {fix}" for problem in found], []
    note = (
        f"{where} was written by an older humanst that skipped fill-valued chunks, so {len(found)} array(s) with "
        f"absent chunks cannot be told lost or empty (e.g. {found[0]}); {fix} to make every chunk checkable"
    )
    return [], [note]


def validate_store(path: Path, sample_id: str, *, input_hash: str | None = None, deep: bool = False) -> StoreCheck:
    """Check one SpatialData store: elements, every chunk, format version, input hash, counts, ids, pathways.

    Every chunk an array's shape implies must be on disk; with ``deep`` each is decoded too.
    """
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
    problems, notes = _chunk_findings(path, where, deep=deep, every_chunk_written=bool(meta.get(EVERY_CHUNK_KEY)))
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
    return StoreCheck(problems, table.n_obs, ids, totals, notes)


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


def validate_atlas(atlas: Path, *, deep: bool = False, notes: list[str] | None = None) -> tuple[list[str], int]:
    """Validate every finished sample and the dataset; return (problems, samples checked).

    Every chunk of every store is checked by a listing; ``deep`` also decodes them all. What is worth saying but
    not a problem (stores of older versions whose empty chunks are absent) is appended to ``notes`` when given.
    """
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
        check = validate_store(
            layout.store_path(record.sample_id), record.sample_id, input_hash=record.input_hash, deep=deep
        )
        problems += check.problems or _validate_part(layout, record.sample_id, check)
        if notes is not None:
            notes.extend(check.notes)
        rows[record.sample_id] = check.n_obs
    if rows:
        problems += _validate_dataset(layout, rows)
    return problems, len(rows)
