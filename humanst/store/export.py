"""``humanst export``: the redistributable samples of an atlas as parquet shards + dataset card (hub layout).

Samples whose manifest entry says ``redistributable: false`` are never written; the export lists them.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

from humanst._cli_support import console, err_console
from humanst.build.pipeline import read_record
from humanst.build.settings import AtlasLayout

__all__ = ["export_atlas", "run_export"]

SHARD_BYTES = 500 * 1024 * 1024


def export_atlas(atlas: Path, to: Path) -> tuple[list[str], list[str], int]:
    """Write ``to/data/train-XXXXX-of-YYYYY.parquet``, ``README.md``, ``genes.txt``, ``pathways.json``.

    Returns (exported sample ids, withheld sample ids, rows). Raises ``FileNotFoundError`` without a dataset.
    """
    from datasets import load_from_disk
    from datasets.utils.logging import disable_progress_bar

    from humanst.store.sample_zarr import replace_atomically

    layout = AtlasLayout(atlas)
    if not (layout.hf / "humanst.json").is_file():
        msg = f"atlas '{atlas}' has no patch dataset (hf/); run `humanst build` first"
        raise FileNotFoundError(msg)
    info = json.loads((layout.hf / "humanst.json").read_text(encoding="utf-8"))
    records = {s: read_record(layout.record(s)) for s in info["samples"]}
    allowed = [s for s, r in records.items() if r is not None and r.redistributable]
    withheld = [s for s in info["samples"] if s not in allowed]
    disable_progress_bar()  # the command prints one summary line
    dataset = load_from_disk(str(layout.hf))
    keep = set(allowed)
    subset = dataset.filter(lambda ids: [i in keep for i in ids], input_columns="sample_id", batched=True)
    tmp = to.with_name(f".{to.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "data").mkdir(parents=True)
    n_shards = max(1, math.ceil(subset.data.nbytes / SHARD_BYTES))
    for k in range(n_shards):
        shard = subset.shard(num_shards=n_shards, index=k, contiguous=True)
        shard.to_parquet(str(tmp / "data" / f"train-{k:05d}-of-{n_shards:05d}.parquet"))
    for name in ("genes.txt", "pathways.json"):
        shutil.copy2(layout.hf / name, tmp / name)
    card = (layout.hf / "README.md").read_text(encoding="utf-8")
    lines = [line for line in card.splitlines() if not any(line.startswith(f"| {s} |") for s in withheld)]
    if withheld:
        lines.append(f"\n{len(withheld)} non-redistributable sample(s) of the atlas are not part of this export.")
    (tmp / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    to.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(tmp, to)
    return allowed, withheld, len(subset)


def run_export(atlas: Path, to: Path) -> int:
    """Export and print what was written and what was withheld; return the exit code."""
    try:
        allowed, withheld, rows = export_atlas(atlas, to)
    except FileNotFoundError as exc:
        err_console.print(f"[bold red]error[/] {exc}", highlight=False)
        return 1
    console.print(f"Exported {rows} rows of {len(allowed)} redistributable sample(s) to '{to}'.", highlight=False)
    if withheld:
        console.print(f"Withheld (not redistributable): {', '.join(withheld)}", highlight=False)
    return 0
