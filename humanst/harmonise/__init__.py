"""Harmonisation of raw samples: genes, counts QC, micron-grid pooling and patches (one module each).

Submodules are imported on use; this package imports nothing eagerly.
"""

from __future__ import annotations

__all__: list[str] = []
