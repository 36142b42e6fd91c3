"""Pathway scoring: gene-set collections (scoring methods arrive with the pathway issue)."""

from __future__ import annotations

from humanst.pathways.genesets import SHIPPED_COLLECTIONS, CollectionInfo, GeneSets, load_collection, load_gmt

__all__ = ["SHIPPED_COLLECTIONS", "CollectionInfo", "GeneSets", "load_collection", "load_gmt"]
