"""What ``stamp embed-slides`` does around :func:`embed_slides`: settings from flags, the summary, the exit code."""

from __future__ import annotations

from pathlib import Path

from humanst.console import console
from humanst.slides import TilingSettings
from stamp.slides.embed import embed_slides

__all__ = ["run_embed_slides"]


def run_embed_slides(
    slides: list[Path],
    encoder: str,
    *,
    out: Path,
    tile_px: int,
    tile_mpp: float,
    min_tissue: float,
    max_tiles: int | None,
    seed: int,
    **options: object,
) -> int:
    """Run the embedding with the CLI's flags; print a summary; return 1 when any slide failed, else 0."""
    tiling = TilingSettings(size_px=tile_px, um_per_px=tile_mpp, min_tissue=min_tissue, max_tiles=max_tiles, seed=seed)
    result = embed_slides(slides, encoder, out=out, tiling=tiling, **options)  # type: ignore[arg-type]
    if result.rank > 0:  # under torchrun rank 0 reports for all
        return 1 if result.failed else 0
    console.print(
        f"{len(result.embedded)} slide(s) embedded, {len(result.skipped)} up to date, {len(result.failed)} failed; "
        f"{result.tiles} tiles in {result.seconds:.1f} s ({result.tiles_per_s:.0f} tiles/s) -> [bold]{result.folder}[/]"
    )
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    for slide_id, reason in sorted(result.failed.items()):
        console.print(f"[red]failed[/] {slide_id}: {reason}", highlight=False)
    return 1 if result.failed else 0
