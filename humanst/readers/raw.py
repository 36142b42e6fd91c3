"""``RawSample``: what every platform reader returns, before harmonisation (the readers' contract)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from humanst.builder.settings import DEFAULTS

if TYPE_CHECKING:
    from anndata import AnnData

__all__ = ["ImageArray", "ImageRef", "RawSample", "ReadSettings"]


class ImageArray(Protocol):
    """An ``(H, W, 3)`` uint8 image that can be sliced: numpy, zarr, dask or a tifffile memmap."""

    @property
    def shape(self) -> tuple[int, ...]:
        """``(height, width, channels)``."""
        ...

    def __getitem__(self, key: Any) -> Any:
        """Return a window ``[y0:y1, x0:x1, :]`` (any array type; ``np.asarray`` makes it numpy)."""
        ...


@dataclass(frozen=True)
class ReadSettings:
    """Build settings a reader needs: the pooling footprint and an optional manifest pixel-size override."""

    pseudo_spot_um: float = DEFAULTS.pseudo_spot_um
    um_per_px: float | None = None  # manifest override of the H&E pixel size
    um_per_px_source: str | None = None


@dataclass(frozen=True)
class ImageRef:
    """The full-resolution H&E of a sample: where it is and how to load it as an ``(H, W, 3)`` uint8 array.

    ``load`` may return a numpy array or a lazily indexable array (dask, zarr, tifffile memmap); callers
    only slice it. ``shape`` is ``(height, width)`` in pixels of that image.
    """

    path: Path
    shape: tuple[int, int]
    load: Callable[[], ImageArray]


@dataclass
class RawSample:
    """One sample as read from its platform's raw files, in the image's full-resolution pixel frame.

    ``counts``: AnnData with raw counts in ``X`` (scipy CSR, spots x features), ``obs_names`` = spot /
    bin / pseudo-spot ids, ``var_names`` = the platform's feature names (symbols), ``var["gene_ids"]``
    (Ensembl ids) when the platform has them, ``var["feature_type"]`` when it has non-gene features
    (control probes, ...). ``xy_px``: ``(spots, 2)`` spot centres ``(x, y)`` in pixels of ``image``.
    ``footprint_um``: spot diameter in microns (Visium 55, legacy ST 100, pooled = ``pseudo_spot_um``).
    ``warnings``: problems the reader detected and worked around, in words the user can act on.
    ``dropped``: spots the reader left out, by reason (``no_position``, ``not_in_tissue``, ``no_counts``); the
    build adds its QC reasons and shows them all.
    """

    sample_id: str
    platform: str
    counts: AnnData
    xy_px: np.ndarray
    image: ImageRef
    um_per_px: float
    um_per_px_source: str
    footprint_um: float
    warnings: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    metadata: dict[str, object] = field(default_factory=dict)  # reader name/version, platform-specific facts

    def __post_init__(self) -> None:
        self.xy_px = np.asarray(self.xy_px, dtype=np.float64)
        if self.xy_px.shape != (self.counts.n_obs, 2):
            msg = f"xy_px has shape {self.xy_px.shape}; expected ({self.counts.n_obs}, 2) for the spots of counts"
            raise ValueError(msg)
