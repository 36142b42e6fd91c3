"""Per-sample SpatialData store (DESIGN 2.2): H&E image, spot circles and the table, written atomically."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from humanst.atomic import atomic_path
from humanst.store.atlas import IMAGE_KEY, SHAPES_KEY, TABLE_KEY

if TYPE_CHECKING:
    from anndata import AnnData
    from xarray import DataTree

    from humanst.readers.raw import ImageArray

__all__ = [
    "EVERY_CHUNK_KEY",
    "WRITE_EVERY_CHUNK",
    "SampleData",
    "fits_in_memory",
    "in_memory_if_small",
    "write_sample_store",
]

REGION_KEY, INSTANCE_KEY = "region", "spot_id"
IMAGE_CHUNK = 1024  # px per side of an image chunk, every pyramid level (zarr's default would be 256)
IMAGE_ZSTD_LEVEL = 1  # ~4.5x faster than zarr's default (level 3) on H&E, for ~3 % larger chunks
WRITE_EVERY_CHUNK = {"array.write_empty_chunks": True}  # zarr skips all-fill chunks by default
EVERY_CHUNK_KEY = "every_chunk_written"  # uns['humanst'] flag: an absent chunk of this store is a lost one
IN_MEMORY_BYTES = 2 << 30  # images up to this size are decoded whole (pyramid in numpy, patches by slicing)


def fits_in_memory(image: ImageArray) -> bool:
    """Whether an image is small enough to decode whole (the one place that decides: store, parts, pipeline)."""
    return int(np.prod(image.shape)) <= IN_MEMORY_BYTES


def in_memory_if_small(image: ImageArray) -> ImageArray:
    """Return ``image`` decoded into a numpy array when it fits in memory, else as given (zarr / dask, streamed)."""
    return np.asarray(image) if fits_in_memory(image) else image


@dataclass
class SampleData:
    """A harmonised, scored sample ready to be written: the table, spot centres and the H&E."""

    table: AnnData  # X raw counts CSR int32, obs/var/obsm/uns as DESIGN 2.2
    xy_px: np.ndarray  # (spots, 2) centres (x, y) in H&E pixels
    image: ImageArray  # (H, W, 3) uint8 (numpy / zarr / dask)
    um_per_px: float
    footprint_um: float


def _half(level: np.ndarray) -> np.ndarray:
    """Return ``level`` (c, y, x) uint8 at half the size: the rounded mean of each 2 x 2 block (odd edges trimmed)."""
    height, width = level.shape[1] // 2 * 2, level.shape[2] // 2 * 2
    total = level[:, 0:height:2, 0:width:2].astype(np.uint16)
    total += level[:, 1:height:2, 0:width:2]
    total += level[:, 0:height:2, 1:width:2]
    total += level[:, 1:height:2, 1:width:2]
    total += 2
    total >>= 2
    return total.astype(np.uint8)


def _image_element(image: ImageArray, um_per_px: float) -> DataTree:
    import dask.array as da
    from spatialdata.models import Image2DModel
    from spatialdata.transformations import Scale

    in_memory = not isinstance(image, da.Array) and fits_in_memory(image)
    array: Any
    if in_memory:  # channels first, contiguous: the pyramid below is computed from it in numpy
        array = np.ascontiguousarray(np.asarray(image)[:, :, :3].transpose(2, 0, 1))
    else:
        chunked = (IMAGE_CHUNK, IMAGE_CHUNK, -1)
        array = image if isinstance(image, da.Array) else da.from_array(image, chunks=chunked)  # type: ignore[no-untyped-call]
        array = array[:, :, :3].transpose(2, 0, 1).rechunk((3, IMAGE_CHUNK, IMAGE_CHUNK))
    levels: list[int] = []
    side = max(array.shape[1:])
    while side > 2 * IMAGE_CHUNK and len(levels) < 6:
        levels.append(2)
        side //= 2
    chunks = (3, IMAGE_CHUNK, IMAGE_CHUNK)
    element: DataTree = Image2DModel.parse(
        array, dims=("c", "y", "x"), c_coords=["r", "g", "b"], scale_factors=levels or None, chunks=chunks,
        transformations={"global": Scale([um_per_px, um_per_px], axes=("y", "x"))},
    )  # fmt: skip
    if in_memory and levels:
        # spatialdata's pyramid (xarray coarsen: a float64 mean per level) costs ~20x more CPU than the same
        # 2 x 2 means in uint16: the lazy levels it built are replaced by those, shapes and chunks unchanged.
        level = array
        for index in range(1, len(levels) + 1):
            level = _half(level)
            node = element[f"scale{index}"]["image"]
            if node.shape != level.shape:
                msg = f"image pyramid level {index}: expected shape {node.shape}, computed {level.shape}"
                raise RuntimeError(msg)
            node.variable.data = da.from_array(level, chunks=chunks)  # type: ignore[no-untyped-call]
    return element


def _write_image(root: Path, image: Any) -> None:
    """Write the image element into the store at ``root`` with :data:`IMAGE_ZSTD_LEVEL` zstd chunks.

    ``SpatialData.write`` passes no storage options to the raster writer (zarr's default zstd level 3 then
    costs more than the rest of the store), so the image element goes through spatialdata's own raster
    writer with the compressor given; the store is the same as ``SpatialData.write`` makes.
    """
    import zarr
    from spatialdata._io import write_image
    from zarr.codecs import ZstdCodec

    group = zarr.open_group(root, mode="r+", use_consolidated=False).require_group("images").require_group(IMAGE_KEY)
    write_image(image, group, IMAGE_KEY, storage_options={"compressor": ZstdCodec(level=IMAGE_ZSTD_LEVEL)})


def write_sample_store(path: Path, sample: SampleData) -> Path:
    """Write ``sample`` as a SpatialData zarr (v3) store at ``path``, atomically (temp path, then rename).

    Elements: ``images/he`` (multiscale, pixels -> microns), ``shapes/spots`` (circles of radius = half the
    footprint, in pixels), ``tables/table`` annotating ``spots`` by ``obs["spot_id"]``.
    """
    import dask
    import pandas as pd
    import zarr
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
    table.uns.setdefault("humanst", {})[EVERY_CHUNK_KEY] = True
    table = TableModel.parse(table, region=SHAPES_KEY, region_key=REGION_KEY, instance_key=INSTANCE_KEY)
    image = _image_element(sample.image, sample.um_per_px)
    sdata = SpatialData(shapes={SHAPES_KEY: shapes}, tables={TABLE_KEY: table})
    with atomic_path(path) as tmp:
        # Local threads even inside a Dask worker: the store's own arrays must not go back to the cluster.
        # Every chunk is written, fill-valued ones too, so `humanst validate` can tell a lost chunk from an empty one.
        with warnings.catch_warnings(), dask.config.set(scheduler="threads"), zarr.config.set(WRITE_EVERY_CHUNK):
            warnings.filterwarnings("ignore", message="zarr v3 autosharding", category=UserWarning)
            # ome-zarr passes the image compressor to zarr as ``compressor`` (the only key it forwards).
            warnings.filterwarnings("ignore", message="The `compressor` argument is deprecated", category=UserWarning)
            sdata.write(tmp, overwrite=True, consolidate_metadata=False)
            _write_image(tmp, image)
        sdata.images[IMAGE_KEY] = image
        sdata.write_consolidated_metadata()
    return path
