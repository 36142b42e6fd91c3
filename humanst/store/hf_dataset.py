"""Assemble the per-sample patch parts into the Hugging Face dataset ``ATLAS/hf`` (DESIGN 2.3).

``datasets.load_from_disk(ATLAS/hf)`` loads it (arrow shards of at most ~500 MB); ``genes.txt`` is the
gene vocabulary of ``gene_idx``; ``pathways.json`` names the entries of every ``pathways_<collection>``
list; ``README.md`` is the dataset card with every sample's licence and citation (names owned by
:class:`~humanst.store.atlas.DatasetFiles`). Reassembly is skipped when no part changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from humanst.atomic import atomic_path
from humanst.manifest import AtlasManifest
from humanst.store.atlas import ATLAS_FORMAT_VERSION, Atlas, DatasetFiles, mask_column, pathway_column

if TYPE_CHECKING:
    from datasets import Features
    from datasets.features.features import FeatureType

__all__ = ["MAX_SHARD_SIZE", "assemble_dataset", "dataset_card", "finished_samples"]

MAX_SHARD_SIZE = "500MB"


def finished_samples(atlas: Atlas, manifest: AtlasManifest) -> list[str]:
    """Ids of manifest samples with a successful record, a store and a part, in manifest order."""
    done = []
    for entry in manifest.samples:
        record = atlas.record(entry.id)
        part, genes = atlas.part_paths(entry.id)
        if record and record.finished and part.is_file() and genes.is_file():
            done.append(entry.id)
    return done


def _features(collections: list[str]) -> Features:
    from datasets import Features, Image, Sequence, Value

    spec: dict[str, FeatureType] = {name: Value("string") for name in ("sample_id", "spot_id", "patient_id", "organ")}
    spec |= {"platform": Value("string"), "split": Value("string"), "x_um": Value("float32")}
    spec |= {"y_um": Value("float32"), "total_counts": Value("int64"), "image": Image(), "patch_padded": Value("bool")}
    for name in collections:
        spec[pathway_column(name)] = Sequence(Value("float32"))
        spec[mask_column(name)] = Sequence(Value("bool"))
    spec |= {"gene_idx": Sequence(Value("int32")), "counts": Sequence(Value("int32"))}
    return Features(spec)


def _rows(atlas: Atlas, sample_ids: list[str], vocabulary: dict[str, int]) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    for sample_id in sample_ids:
        part, genes_file = atlas.part_paths(sample_id)
        genes = genes_file.read_text(encoding="utf-8").split()
        mapping = np.array([vocabulary[g] for g in genes], dtype=np.int32)
        for batch in pq.ParquetFile(part).iter_batches(batch_size=256):
            for row in batch.to_pylist():
                row["gene_idx"] = mapping[np.asarray(row["gene_idx"], dtype=np.int64)].tolist()
                yield row


def dataset_card(manifest: AtlasManifest, sample_ids: list[str], n_rows: int, collections: list[str]) -> str:
    """Render the dataset card (README.md): the rows, and every sample with its licence and citation."""
    entries = [manifest.sample(s) for s in sample_ids]
    licenses = sorted({e.license for e in entries})
    license_tag = licenses[0].lower() if len(licenses) == 1 else "other"
    lines = [
        "---", f"license: {license_tag}", "task_categories: [image-feature-extraction]",
        "tags: [spatial-transcriptomics, pathology, humanst]", "---", "",
        f"# {manifest.name} {manifest.version}: H&E patches with spatial transcriptomics", "",
        f"{n_rows} spots from {len(entries)} sample(s). Each row: a {manifest.patch.size_px} px JPEG patch at "
        f"{manifest.patch.um_per_px} um/px centred on the spot, pathway scores per collection "
        f"({', '.join(collections)}; background-corrected mean z, `humanst.pathways`) with masks for gene "
        "sets below coverage, and the spot's raw counts as sparse `gene_idx` (into `genes.txt`) + `counts`.",
        "", "Every sample keeps its own licence; use and redistribution follow the licence of each sample.", "",
        "| sample | patient | organ | platform | licence | redistributable | citation |",
        "|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for e in entries:
        cite = e.citation.replace("|", "/").replace("\n", " ")
        lines.append(
            f"| {e.id} | {e.patient_id} | {e.organ} | {e.platform.value} | {e.license} | "
            f"{'yes' if e.redistributable else 'no'} | {cite} |"
        )
    return "\n".join(lines) + "\n"


def _digest(atlas: Atlas, sample_ids: list[str]) -> str:
    parts = []
    for sample_id in sample_ids:
        for path in atlas.part_paths(sample_id):
            stat = path.stat()
            parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def assemble_dataset(atlas: Atlas, manifest: AtlasManifest, *, sample_ids: list[str] | None = None) -> int:
    """(Re)build ``ATLAS/hf`` from the finished parts; return its number of rows (0 when there is none)."""
    from datasets import Dataset
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()  # our own progress bar reports the build; datasets' bars would interleave

    from humanst.pathways import load_collection

    ids = finished_samples(atlas, manifest) if sample_ids is None else sample_ids
    if not ids:
        return 0
    digest = _digest(atlas, ids)
    if atlas.dataset.info.is_file():
        info = atlas.info()
        if info.get("parts_digest") == digest and info.get("format_version") == ATLAS_FORMAT_VERSION:
            return int(info["rows"])
    collections = list(manifest.gene_sets)
    vocabulary_list = sorted({g for s in ids for g in atlas.part_paths(s)[1].read_text("utf-8").split()})
    vocabulary = {g: i for i, g in enumerate(vocabulary_list)}
    cache = atlas.work_dir / f"hf-{os.getpid()}"
    try:
        with atomic_path(atlas.hf_dir) as tmp:
            dataset = Dataset.from_generator(
                _rows, features=_features(collections), cache_dir=str(cache),
                gen_kwargs={"atlas": atlas, "sample_ids": ids, "vocabulary": vocabulary},
            )  # fmt: skip
            dataset.save_to_disk(str(tmp), max_shard_size=MAX_SHARD_SIZE)
            files = DatasetFiles(tmp)
            files.genes.write_text("\n".join(vocabulary_list) + "\n", encoding="utf-8")
            names = {c: load_collection(c).names for c in collections}
            files.pathway_names.write_text(json.dumps(names), encoding="utf-8")
            files.card.write_text(dataset_card(manifest, ids, len(dataset), collections), encoding="utf-8")
            record = {"format_version": ATLAS_FORMAT_VERSION, "rows": len(dataset), "samples": ids,
                      "parts_digest": digest}  # fmt: skip
            files.info.write_text(json.dumps(record, indent=2), encoding="utf-8")
            rows = len(dataset)
            del dataset
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return rows
