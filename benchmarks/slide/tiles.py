"""Where a patient's tiles are: its slides, and for every tile its slide, level-0 pixel corner and side.

The positions come from the slide feature files (``coords`` of the Trident / CLAM ``.h5`` layout, level-0 pixel
``(x, y)`` of each tile's top-left corner; :mod:`stamp.slides.features`), in the order of the patient's bag (its
slides sorted, each slide's tiles in file order), so the i-th per-tile score of a probe belongs to the i-th tile
here. They are kept beside the per-tile scores in the predictions file, so a report can draw the scores on the
slides without the feature files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TilePlaces"]


@dataclass(frozen=True)
class TilePlaces:
    """One patient's tiles: ``slides`` (ids), ``slide_of_tile`` (index into them), ``xy_px`` and per-slide side."""

    slides: list[str]
    slide_of_tile: np.ndarray  # (n,) int32
    xy_px: np.ndarray  # (n, 2) int64, level-0 pixel (x, y) of each tile's top-left corner
    tile_px: np.ndarray  # (len(slides),) int64, tile side in level-0 pixels per slide

    def __len__(self) -> int:
        return int(self.slide_of_tile.size)

    def of_slide(self, slide_id: str) -> np.ndarray:
        """Row indices of the tiles of ``slide_id`` (empty when the patient has no such slide)."""
        if slide_id not in self.slides:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.slide_of_tile == self.slides.index(slide_id))

    @classmethod
    def join(cls, slides: list[str], coords: list[np.ndarray], tile_px: list[int]) -> TilePlaces:
        """Concatenate the slides' tile corners (one ``(n_s, 2)`` array per slide, in bag order)."""
        sizes = [len(c) for c in coords]
        return cls(
            slides=list(slides),
            slide_of_tile=np.repeat(np.arange(len(slides), dtype=np.int32), sizes),
            xy_px=np.concatenate(coords).astype(np.int64).reshape(-1, 2) if coords else np.zeros((0, 2), np.int64),
            tile_px=np.asarray(tile_px, dtype=np.int64),
        )
