"""Open an atlas's sample stores (one place that reads them, quietly)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

__all__ = ["read_sample_store"]


def read_sample_store(path: Path) -> Any:
    """Open a sample's SpatialData store with ``spatialdata.read_zarr``, without its informational warnings."""
    from spatialdata import read_zarr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_zarr(path)
