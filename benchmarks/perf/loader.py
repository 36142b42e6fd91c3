"""Training-loader speed: stamp's atlas loader vs spatialdata's ``ImageTilesDataset`` on the same demo sample.

    python -m benchmarks.perf.loader [--atlas demo_out/atlas] [--sample demo-visium-p1a] [--workers 2]

Both produce, for every spot of one sample, a normalised float tensor (3, 224, 224) of the 112 um field of view
centred on the spot (0.5 um/px):

1. ``stamp AtlasPatches`` reads the atlas patch dataset (``ATLAS/hf``, memory-mapped arrow): JPEG decode,
   normalisation, plus the standardised pathway targets and mask.
2. ``spatialdata ImageTilesDataset`` reads the sample's SpatialData store (``ATLAS/samples/<id>.zarr``): a
   bounding-box query of the H&E per spot, rasterised to 224 px (``tile_dim_in_units=112``,
   ``rasterize=True``), then the same normalisation in its ``transform``.

Rows are single-process (``workers=0``, patches/s of one worker); ``--workers N`` adds a torch DataLoader row of
ours with N worker processes over every patch of the atlas (worker start-up included), reported per worker.
Both single-process rows are warmed up on 8 items first. Needs `make demo`.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

if TYPE_CHECKING:
    from spatialdata import SpatialData
    from spatialdata.dataloader import ImageTilesDataset

    from stamp.data import AtlasPatches

MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)


def stamp_dataset(atlas: Path, sample: str | None) -> AtlasPatches:
    from stamp.data import AtlasPatches, PatchTransform

    return AtlasPatches(
        atlas, PatchTransform(224, MEAN, STD), splits=None, samples=None if sample is None else [sample]
    )


def spatialdata_dataset(atlas: Path, sample: str) -> ImageTilesDataset:
    from spatialdata.dataloader import ImageTilesDataset

    from humanst.store import Atlas

    mean = torch.tensor(MEAN).view(3, 1, 1)
    std = torch.tensor(STD).view(3, 1, 1)

    def to_tensor(tile: SpatialData) -> torch.Tensor:
        image = torch.from_numpy(np.asarray(tile.images["he"].values, dtype=np.float32) / 255.0)
        return (image - mean) / std

    sdata = Atlas(atlas).read_store(sample)
    return ImageTilesDataset(
        sdata,
        regions_to_images={"spots": "he"},
        regions_to_coordinate_systems={"spots": "global"},
        tile_dim_in_units=112.0,
        rasterize=True,
        rasterize_kwargs={"target_width": 224},
        table_name="table",
        transform=to_tensor,
    )


def time_items(dataset: AtlasPatches | ImageTilesDataset, n: int) -> float:
    """Seconds to fetch items 0..n-1 one by one (after an 8-item warm-up)."""
    for i in range(min(8, n)):
        dataset[i]
    start = time.perf_counter()
    for i in range(n):
        item = dataset[i]
        image = item["image"] if isinstance(item, dict) else item
        if image.shape != (3, 224, 224):
            msg = f"unexpected tile shape {tuple(image.shape)}"
            raise RuntimeError(msg)
    return time.perf_counter() - start


def time_loader(dataset: AtlasPatches | ImageTilesDataset, workers: int, batch_size: int = 32) -> tuple[int, float]:
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=workers)
    start = time.perf_counter()
    n = sum(len(batch["image"]) for batch in loader)
    return n, time.perf_counter() - start


def run(atlas: Path, sample: str, workers: int) -> pd.DataFrame:
    warnings.simplefilter("ignore")
    ours = stamp_dataset(atlas, sample)
    theirs = spatialdata_dataset(atlas, sample)
    n = min(len(ours), len(theirs))
    rows = []
    seconds = time_items(ours, n)
    rows.append(("stamp AtlasPatches (JPEG from arrow)", 0, n, seconds, n / seconds))
    seconds = time_items(theirs, n)
    rows.append(("spatialdata ImageTilesDataset (zarr + rasterize)", 0, n, seconds, n / seconds))
    if workers > 0:
        count, seconds = time_loader(stamp_dataset(atlas, None), workers)
        label = f"stamp AtlasPatches, DataLoader x{workers} workers (whole atlas)"
        rows.append((label, workers, count, seconds, count / seconds / workers))
    table = pd.DataFrame(rows, columns=["loader", "workers", "patches", "seconds", "patches_per_s_per_worker"])
    table["x_vs_spatialdata"] = table["patches_per_s_per_worker"] / table["patches_per_s_per_worker"].iloc[1]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--atlas", type=Path, default=Path("demo_out/atlas"))
    parser.add_argument("--sample", default="demo-visium-p1a")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    from humanst.store import Atlas

    if not Atlas(args.atlas).hf_dir.is_dir():
        msg = f"no atlas at {args.atlas}: run `make demo` first (or pass --atlas)"
        raise SystemExit(msg)
    torch.set_num_threads(1)
    table = run(args.atlas, args.sample, args.workers)
    print(f"sample {args.sample}, 224 px patches (112 um at 0.5 um/px), torch threads 1")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
