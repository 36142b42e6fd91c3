"""Per-sample SpatialData store (DESIGN 2.2): H&E image, spot circles and the table, written atomically."""

from __future__ import annotations

import contextlib
import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["IMAGE_KEY", "SHAPES_KEY", "TABLE_KEY", "SampleData", "replace_atomically", "write_sample_store"]

IMAGE_KEY, SHAPES_KEY, TABLE_KEY = "he", "spots", "table"
REGION_KEY, INSTANCE_KEY = "region", "spot_id"
IMAGE_CHUNK = 1024


@dataclass
class SampleData:
    """A harmonised, scored sample ready to be written: the table, spot centres and the H&E."""

    table: Any  # AnnData: X raw counts CSR int32, obs/var/obsm/uns as DESIGN 2.2
    xy_px: np.ndarray  # (spots, 2) centres (x, y) in H&E pixels
    image: Any  # (H, W, 3) uint8 array (numpy / zarr / dask)
    um_per_px: float
    footprint_um: float


def replace_atomically(tmp: Path, final: Path) -> None:
    """Move a finished ``tmp`` directory to ``final``; an older ``final`` is moved aside first, then deleted."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _image_element(image: Any, um_per_px: float) -> Any:
    import dask.array as da
    from spatialdata.models import Image2DModel
    from spatialdata.transformations import Scale

    array = image if isinstance(image, da.Array) else da.from_array(image, chunks=(IMAGE_CHUNK, IMAGE_CHUNK, -1))
    array = array[:, :, :3].transpose(2, 0, 1).rechunk((3, IMAGE_CHUNK, IMAGE_CHUNK))
    levels, side = [], max(array.shape[1:])
    while side > 2 * IMAGE_CHUNK and len(levels) < 6:
        levels.append(2)
        side //= 2
    return Image2DModel.parse(
        array, dims=("c", "y", "x"), c_coords=["r", "g", "b"], scale_factors=levels or None,
        transformations={"global": Scale([um_per_px, um_per_px], axes=("y", "x"))},
    )  # fmt: skip


def write_sample_store(path: Path, sample: SampleData) -> Path:
    """Write ``sample`` as a SpatialData zarr (v3) store at ``path``, atomically (temp path, then rename).

    Elements: ``images/he`` (multiscale, pixels -> microns), ``shapes/spots`` (circles of radius = half the
    footprint, in pixels), ``tables/table`` annotating ``spots`` by ``obs["spot_id"]``.
    """
    import dask
    import pandas as pd
    from spatialdata import SpatialData
    from spatialdata.models import ShapesModel, TableModel
    from spatialdata.transformations import Scale

    table = sample.table
    ids = pd.Index(table.obs[INSTANCE_KEY].astype(str).to_numpy())
    scale = Scale([sample.um_per_px, sample.um_per_px], axes=("x", "y"))
    radius_px = np.full(len(ids), sample.footprint_um / 2.0 / sample.um_per_px)
    shapes = ShapesModel.parse(
        np.asarray(sample.xy_px, dtype=np.float64), geometry=0, radius=radius_px, index=ids,
        transformations={"global": scale},
    )  # fmt: skip
    table.obs[REGION_KEY] = pd.Categorical([SHAPES_KEY] * table.n_obs)
    table = TableModel.parse(table, region=SHAPES_KEY, region_key=REGION_KEY, instance_key=INSTANCE_KEY)
    sdata = SpatialData(
        images={IMAGE_KEY: _image_element(sample.image, sample.um_per_px)},
        shapes={SHAPES_KEY: shapes},
        tables={TABLE_KEY: table},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}.zarr")
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        # Local threads even inside a Dask worker: the store's own arrays must not go back to the cluster.
        with warnings.catch_warnings(), dask.config.set(scheduler="threads"):
            warnings.filterwarnings("ignore", message="zarr v3 autosharding", category=UserWarning)
            sdata.write(tmp, overwrite=True)
        replace_atomically(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(tmp)
    return path
