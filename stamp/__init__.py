"""STAMP: spatial-transcriptomics-guided alignment of pathology foundation models (model floor)."""

from __future__ import annotations

__version__ = "0.1.0.dev0"
__all__ = ["__version__"]
