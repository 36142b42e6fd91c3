"""``humanst export``: the redistributable samples of an atlas as parquet shards + dataset card (hub layout).

Samples whose manifest entry says ``redistributable: false`` are never written; the export lists them.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

from humanst.atomic import atomic_path
from humanst.store.atlas import Atlas, DatasetFiles

__all__ = ["export_atlas"]

SHARD_BYTES = 500 * 1024 * 1024


def export_atlas(atlas: Path, to: Path) -> tuple[list[str], list[str], int]:
    """Write ``to/data/train-XXXXX-of-YYYYY.parquet``, ``README.md``, ``genes.txt``, ``pathways.json``.

    Returns (exported sample ids, withheld sample ids, rows).

    Raises
    ------
    AtlasError
        No atlas or no patch dataset at ``atlas``.
    """
    from datasets.utils.logging import disable_progress_bar

    source = Atlas.open(atlas, need_dataset=True)
    samples = [str(s) for s in source.info()["samples"]]
    records = {s: source.record(s) for s in samples}
    allowed = [s for s, r in records.items() if r is not None and r.redistributable]
    withheld = [s for s in samples if s not in allowed]
    disable_progress_bar()  # the command prints one summary line
    dataset = source.load_dataset()
    keep = set(allowed)
    subset = dataset.filter(lambda ids: [i in keep for i in ids], input_columns="sample_id", batched=True)
    with atomic_path(to) as tmp:
        (tmp / "data").mkdir(parents=True)
        n_shards = max(1, math.ceil(subset.data.nbytes / SHARD_BYTES))
        for k in range(n_shards):
            shard = subset.shard(num_shards=n_shards, index=k, contiguous=True)
            shard.to_parquet(str(tmp / "data" / f"train-{k:05d}-of-{n_shards:05d}.parquet"))
        src, dst = source.dataset, DatasetFiles(tmp)
        shutil.copy2(src.genes, dst.genes)
        shutil.copy2(src.pathway_names, dst.pathway_names)
        card = src.card.read_text(encoding="utf-8")
        lines = [line for line in card.splitlines() if not any(line.startswith(f"| {s} |") for s in withheld)]
        if withheld:
            lines.append(f"\n{len(withheld)} non-redistributable sample(s) of the atlas are not part of this export.")
        dst.card.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return allowed, withheld, len(subset)
