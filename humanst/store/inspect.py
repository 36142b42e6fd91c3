"""``humanst info``: what an atlas holds (samples, spots, platforms, licences), from its records."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from rich.table import Table

from humanst._cli_support import console, err_console
from humanst.build.pipeline import read_record
from humanst.build.settings import AtlasLayout

__all__ = ["run_info"]


def run_info(atlas: Path) -> int:
    """Print a summary of an atlas; return the exit code."""
    layout = AtlasLayout(atlas)
    records = [r for p in sorted(layout.records.glob("*.json")) if (r := read_record(p)) is not None]
    if not records:
        err_console.print(f"[bold red]error[/] atlas '{atlas}': no build records; run `humanst build` first")
        return 1
    ok = [r for r in records if r.status != "failed"]
    table = Table(title=f"atlas '{atlas}'", title_justify="left")
    for column in ("sample", "platform", "status", "spots", "genes", "um/px", "licence", "redistributable"):
        table.add_column(column, justify="right" if column in ("spots", "genes", "um/px") else "left")
    for r in records:
        table.add_row(
            r.sample_id, r.platform, r.status, str(r.spots_kept), str(r.genes),
            f"{r.um_per_px:.4g}" if r.um_per_px else "-", r.license, "yes" if r.redistributable else "no",
        )  # fmt: skip
    console.print(table)
    platforms = Counter(r.platform for r in ok)
    licences = Counter(r.license for r in ok)
    rows = "-"
    if (layout.hf / "humanst.json").is_file():
        rows = str(json.loads((layout.hf / "humanst.json").read_text(encoding="utf-8"))["rows"])
    console.print(
        f"{len(ok)} sample(s) built, {len(records) - len(ok)} failed; {sum(r.spots_kept for r in ok)} spots; "
        f"patch dataset rows: {rows}; platforms: {dict(platforms)}; licences: {dict(licences)}; "
        f"redistributable: {sum(r.redistributable for r in ok)} of {len(ok)}",
        highlight=False,
    )
    return 0
