"""``humanst export``: the redistributable samples of an atlas as parquet shards + dataset card (hub layout).

Samples whose manifest entry says ``redistributable: false`` are never written; the export lists them, and so does
the card. The card's front matter names the data files (``configs``), so ``datasets.load_dataset("ORG/NAME")``
reads the shards once the folder is pushed (``humanst push``).
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

from humanst.atomic import atomic_path
from humanst.store.atlas import Atlas, DatasetFiles

__all__ = ["DATA_FILES", "export_atlas"]

SHARD_BYTES = 500 * 1024 * 1024
DATA_FILES = "data/train-*.parquet"  # the shards' pattern, named in the card's front matter


def _hub_card(card: str, withheld: list[str], licenses: list[str]) -> str:
    """Return the atlas card without the withheld samples' rows, with their ids listed and hub front matter."""
    lines = [line for line in card.splitlines() if not any(line.startswith(f"| {s} |") for s in withheld)]
    if lines and lines[0] == "---" and "---" in lines[1:]:
        end = lines.index("---", 1)
        license_tag = licenses[0].lower() if len(set(licenses)) == 1 else "other"
        front = [f"license: {license_tag}" if line.startswith("license:") else line for line in lines[1:end]]
        front += ["configs:", "- config_name: default", "  data_files:", "  - split: train", f"    path: {DATA_FILES}"]
        lines = ["---", *front, *lines[end:]]
    if withheld:
        lines.append(
            f"\n{len(withheld)} non-redistributable sample(s) of the atlas are not part of this export and were "
            f"never written into it: {', '.join(withheld)}."
        )
    return "\n".join(lines) + "\n"


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
        licenses = [r.license for s, r in records.items() if s in keep and r is not None]
        dst.card.write_text(_hub_card(src.card.read_text(encoding="utf-8"), withheld, licenses), encoding="utf-8")
    return allowed, withheld, len(subset)
