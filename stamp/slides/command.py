"""What ``stamp embed-slides`` does around :func:`embed_slides`: settings from flags, the summary, the exit code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from humanst.console import console
from humanst.slides import TilingSettings
from stamp.slides.embed import embed_slides

__all__ = ["SlideEmbedOptions", "run_embed_slides"]


@dataclass(frozen=True)
class SlideEmbedOptions:
    """The flags of ``stamp embed-slides`` besides the tiling: which encoder weights, how slides open, where it runs."""

    adapter: str | None
    weights: Path | None
    random_init: bool
    backend: str
    um_per_px: float | None
    mpp_override: bool
    batch_size: int
    num_workers: int
    device: str


def run_embed_slides(
    slides: list[Path], encoder: str, *, out: Path, tiling: TilingSettings, options: SlideEmbedOptions
) -> int:
    """Run the embedding with the CLI's flags; print a summary; return 1 when any slide failed, else 0."""
    result = embed_slides(
        slides, encoder, out=out, tiling=tiling, adapter=options.adapter, weights=options.weights,
        random_init=options.random_init, backend=options.backend, um_per_px=options.um_per_px,
        mpp_override=options.mpp_override, batch_size=options.batch_size, num_workers=options.num_workers,
        device=options.device,
    )  # fmt: skip
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
