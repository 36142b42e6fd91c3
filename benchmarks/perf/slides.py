"""Whole-slide tiling speed: humanst.slides vs the field's plain loop, same slides, same tiles, one run.

    python -m benchmarks.perf.slides [--size-mm 3 2.5] [--workdir /tmp/humanst-perf-slides] [--repeats 2]

Synthetic sections (``humanst.synth.slides``) are written as SVS-like files at 0.25 and 0.263 um/px (JPEG tiles,
levels at 1/4 and 1/16: no level at 0.5, as in real 40x scans), a generic pyramidal TIFF at 0.25 um/px (levels
halving) and one at 0.5 um/px. For each slide, the tiles are 224 px at 0.5 um/px (112 um) with enough tissue:

1. ``humanst.slides`` (ours), end to end from the file: open, thumbnail + tissue detection + micron grid, then
   blocks of 4 x 4 tiles read from the best pyramid level with the backend ``auto`` picks (or OpenSlide, second
   row), resampled once, cut into tiles, and turned into a float tensor (3, 224, 224) in [0, 1] (no JPEG).
2. The plain loop of the field's tools (CLAM, Trident's patcher, most scripts): for the same tile list,
   ``openslide.OpenSlide.read_region`` of the 112 um window at level 0, ``.convert("RGB").resize((224, 224))``,
   then the same tensor conversion. Its tile list is given (tissue detection not counted).

Tiles per second are per CPU second of the process (``time.process_time``, every thread counted), i.e. per core;
wall-clock rates are shown too. Each method runs ``--repeats`` times after one warm-up; the best run is kept.

``--embed ENCODER ...`` adds end-to-end ``embed_slides`` rates (reading workers + model, random weights, wall
clock) on ``--device``, e.g. ``--embed vit-tiny-test timm:vit_large_patch16_224 --device cuda`` on a GPU.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from humanst.slides import TilingSettings, iter_tile_blocks, open_slide, prepare_slide

TILING = TilingSettings()
OUT_PX = TILING.size_px
SLIDES = (  # name, um/px, layout
    ("svs-0.25", 0.25, "svs"),
    ("svs-0.263", 0.263, "svs"),  # a common 40x scanner pixel: 1.9 level-0 px per tile px, no whole factor
    ("pyramidal-0.25", 0.25, "pyramidal-tiff"),
    ("pyramidal-0.5", 0.5, "pyramidal-tiff"),
)


def make_slides(
    workdir: Path, size_mm: tuple[float, float], seed: int = 7, names: tuple[str, ...] | None = None
) -> dict[str, Path]:
    """Write (once; reused when present) the benchmark slides; the section is rendered at 1 um/px and enlarged."""
    from PIL import Image

    from humanst.synth import make_tissue
    from humanst.synth.slides import SLIDE_LAYOUTS, render_slide, write_slide

    workdir.mkdir(parents=True, exist_ok=True)
    tag = f"{size_mm[0]:g}x{size_mm[1]:g}mm-s{seed}"
    chosen = [slide for slide in SLIDES if names is None or slide[0] in names]
    paths = {name: workdir / f"{name}-{tag}{SLIDE_LAYOUTS.get(layout).suffix}" for name, _, layout in chosen}
    if all(p.is_file() for p in paths.values()):
        return paths
    tissue = make_tissue(size_mm[0] * 1000, size_mm[1] * 1000, seed=seed)
    base = render_slide(tissue, 1.0)
    for name, um, layout in chosen:
        size = (round(base.shape[1] / um), round(base.shape[0] / um))
        image = np.asarray(Image.fromarray(base).resize(size, Image.Resampling.BICUBIC))
        write_slide(paths[name], image, um_per_px=um, layout=layout)
    return paths


def ours(path: Path, backend: str) -> int:
    """Open, find tissue, plan, read every kept tile as a (3, 224, 224) float tensor; return the tile count."""
    count = 0
    with open_slide(path, backend=backend) as slide:
        plan = prepare_slide(slide, TILING).plan
        for block in iter_tile_blocks(slide, plan, OUT_PX):
            tensors = torch.from_numpy(block.pixels).permute(0, 3, 1, 2).float().div_(255.0)
            count += tensors.shape[0]
    return count


def tile_list(path: Path) -> tuple[np.ndarray, int]:
    """The kept tiles' level-0 corners and side in level-0 pixels (the list the plain loop is given)."""
    with open_slide(path) as slide:
        plan = prepare_slide(slide, TILING).plan
    return plan.coords_px, plan.size_px_level0


def plain_loop(path: Path, coords: np.ndarray, side: int) -> int:
    """The field's loop: one OpenSlide ``read_region`` per tile at level 0, convert, resize, tensor."""
    import openslide

    count = 0
    slide = openslide.OpenSlide(str(path))
    try:
        for x, y in coords:
            image = slide.read_region((int(x), int(y)), 0, (side, side)).convert("RGB").resize((OUT_PX, OUT_PX))
            tensor = torch.from_numpy(np.array(image)).permute(2, 0, 1).float().div_(255.0)
            count += tensor.shape[0] // 3
    finally:
        slide.close()
    return count


def timed(action: Callable[[], int], repeats: int) -> tuple[int, float, float]:
    """Best (cpu, wall) seconds over ``repeats`` runs after one warm-up; returns (tiles, cpu_s, wall_s)."""
    tiles = action()
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        action()
        best = min(best, (time.process_time() - cpu0, time.perf_counter() - wall0))
    return tiles, best[0], best[1]


def run(paths: dict[str, Path], repeats: int) -> pd.DataFrame:
    """Time the three methods on every slide; one row per (slide, method)."""
    rows = []
    for name, path in paths.items():
        coords, side = tile_list(path)
        methods: dict[str, Callable[[], int]] = {
            "humanst.slides (auto backend)": partial(ours, path, "auto"),
            "humanst.slides (openslide backend)": partial(ours, path, "openslide"),
            "plain loop: openslide read_region per tile, level 0, resize": partial(plain_loop, path, coords, side),
        }
        for method, action in methods.items():
            tiles, cpu_s, wall_s = timed(action, repeats)
            rows.append((name, method, tiles, cpu_s, wall_s, tiles / cpu_s, tiles / wall_s))
    columns = ["slide", "method", "tiles", "cpu_s", "wall_s", "tiles_per_cpu_s", "tiles_per_s"]
    table = pd.DataFrame(rows, columns=columns)
    loop = table[table["method"].str.startswith("plain loop")].set_index("slide")["tiles_per_cpu_s"]
    table["x_vs_loop_per_core"] = table["tiles_per_cpu_s"] / table["slide"].map(loop)
    return table


def embed_rates(paths: dict[str, Path], encoders: list[str], device: str, workers: int, batch: int) -> pd.DataFrame:
    """Wall-clock tiles/s of ``stamp embed-slides`` over all benchmark slides, per encoder (random weights)."""
    import tempfile

    from stamp.slides import embed_slides

    rows = []
    for encoder in encoders:
        with tempfile.TemporaryDirectory() as out:
            result = embed_slides(list(paths.values()), encoder, out=Path(out), random_init=True, batch_size=batch,
                                  num_workers=workers, device=device, show_progress=False)  # fmt: skip
        rows.append((encoder, device, workers, batch, result.tiles, result.seconds, result.tiles_per_s))
    return pd.DataFrame(rows, columns=["encoder", "device", "workers", "batch", "tiles", "wall_s", "tiles_per_s"])


def main() -> None:
    """Write the slides if needed, time the methods, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mm", type=float, nargs=2, default=(3.0, 2.5), metavar=("WIDTH", "HEIGHT"))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/humanst-perf-slides"))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--embed", nargs="*", default=[], metavar="ENCODER", help="also time embed_slides end to end")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(1)
    paths = make_slides(args.workdir, tuple(args.size_mm))
    table = run(paths, args.repeats)
    print(f"tiles: {OUT_PX} px at {TILING.um_per_px} um/px ({TILING.tile_um:g} um), min tissue {TILING.min_tissue}; "
          f"section {args.size_mm[0]:g} x {args.size_mm[1]:g} mm; torch threads 1")  # fmt: skip
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.embed:
        rates = embed_rates(paths, args.embed, args.device, args.workers, args.batch_size)
        print("\nstamp embed-slides end to end (all slides above, random weights, wall clock incl. model load):")
        print(rates.to_string(index=False, float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
