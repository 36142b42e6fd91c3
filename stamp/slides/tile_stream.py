"""Tiles of many slides as a stream for a ``DataLoader``: each worker prepares and reads whole slides.

Worker ``w`` of ``W`` takes slides ``w, w + W, ...`` of the list. Per slide it yields one ``start`` item (the tile
plan and the slide's record), ``tiles`` items of at most ``chunk_tiles`` tiles as uint8 ``(n, S, S, 3)`` tensors
(no JPEG round trip, no float conversion in the worker: 4x less to pass between processes) and one ``end`` item;
or an ``error`` item with the reason when anything about the slide fails (a bad file, a tile plan beyond its bound,
an error while tiling), so the main process reports it and goes on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from humanst.content_hash import file_sha256
from humanst.errors import SlideError
from humanst.slides import (
    TilingSettings,
    iter_tile_blocks,
    open_slide,
    prepare_slide,
    read_level_for,
    slide_record,
)

__all__ = ["SlideJob", "SlideTileStream"]


@dataclass(frozen=True)
class SlideJob:
    """One slide to embed: its position in this rank's list, its file, id and (when known) sha256."""

    index: int
    path: Path
    slide_id: str
    sha256: str | None = None


class SlideTileStream(torch.utils.data.IterableDataset):
    """Stream the tiles of ``jobs`` (see the module docstring for the items).

    Parameters
    ----------
    jobs
        Slides to read.
    tiling
        Tile size, pixel size, tissue settings, per-slide cap.
    out_px
        Side of the yielded tiles (the encoder's input size: the tile is resampled once, straight to it).
    backend, um_per_px, mpp_override
        Slide backend (``auto``, ``openslide``, ``tiffslide``), the pixel size of slides without one, and whether it
        replaces the slides' own (:func:`humanst.slides.open_slide`).
    preview_dir
        Where the preview pictures go (``None``: not written).
    chunk_tiles
        Tiles per ``tiles`` item (the inference batch).
    """

    def __init__(
        self,
        jobs: Sequence[SlideJob],
        tiling: TilingSettings,
        out_px: int,
        *,
        backend: str = "auto",
        um_per_px: float | None = None,
        mpp_override: bool = False,
        preview_dir: Path | None = None,
        chunk_tiles: int = 64,
    ) -> None:
        super().__init__()
        self.jobs = list(jobs)
        self.tiling = tiling
        self.out_px = out_px
        self.backend = backend
        self.um_per_px = um_per_px
        self.mpp_override = mpp_override
        self.preview_dir = preview_dir
        self.chunk_tiles = chunk_tiles

    def __iter__(self) -> Iterator[dict[str, Any]]:
        info = torch.utils.data.get_worker_info()
        mine = self.jobs if info is None else self.jobs[info.id :: info.num_workers]
        for job in mine:
            yield from self._slide_items(job)

    def _slide_items(self, job: SlideJob) -> Iterator[dict[str, Any]]:
        try:
            yield from self._read_slide(job)
        except SlideError as err:
            yield {"kind": "error", "job": job.index, "message": str(err)}
        except Exception as err:  # noqa: BLE001  (any failure of one slide is reported; the others go on)
            message = f"{type(err).__name__} while reading '{job.path}': {err}"
            yield {"kind": "error", "job": job.index, "message": message}

    def _read_slide(self, job: SlideJob) -> Iterator[dict[str, Any]]:
        with open_slide(job.path, backend=self.backend, um_per_px=self.um_per_px, override=self.mpp_override) as slide:
            sha256 = job.sha256 or file_sha256(job.path)
            prepared = prepare_slide(slide, self.tiling, preview_dir=self.preview_dir)
            plan = prepared.plan
            record = slide_record(slide, prepared, read_level=read_level_for(slide, plan, self.out_px))
            yield {
                "kind": "start",
                "job": job.index,
                "record": record,
                "sha256": sha256,
                "coords_px": plan.coords_px,
                "coords_um": plan.coords_um,
                "tissue_fraction": plan.tissue_fraction,
            }
            indices: list[np.ndarray] = []
            pixels: list[np.ndarray] = []
            for block in iter_tile_blocks(slide, plan, self.out_px):
                indices.append(block.indices)
                pixels.append(block.pixels)
                if sum(len(i) for i in indices) >= self.chunk_tiles:
                    yield self._tiles(job, indices, pixels)
                    indices, pixels = [], []
            if indices:
                yield self._tiles(job, indices, pixels)
        yield {"kind": "end", "job": job.index}

    @staticmethod
    def _tiles(job: SlideJob, indices: list[np.ndarray], pixels: list[np.ndarray]) -> dict[str, Any]:
        return {
            "kind": "tiles",
            "job": job.index,
            "indices": torch.from_numpy(np.concatenate(indices)),
            "pixels": torch.from_numpy(np.concatenate(pixels)),
        }
