"""Harmonisation of raw samples: pseudo-spot pooling (``humanst.harmonise.pseudo_spots``) and, later, genes and QC.

Submodules are imported on use; this package imports nothing eagerly.
"""

from __future__ import annotations

__all__: list[str] = []
