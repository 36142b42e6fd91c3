"""Pathway scoring: gene-set collections, gene matching, and per-spot scores by registered methods."""

from __future__ import annotations

from humanst.pathways import mean_z, ssgsea, ulm  # noqa: F401  (register the methods)
from humanst.pathways._registry import METHODS, MethodSpec, get_method, method_names, register_method
from humanst.pathways.genesets import SHIPPED_COLLECTIONS, CollectionInfo, GeneSets, load_collection, load_gmt
from humanst.pathways.matching import GeneIndex, MatchedSets, match_gene_sets
from humanst.pathways.results import PathwayScores, obsm_key
from humanst.pathways.scoring import score

__all__ = [
    "METHODS",
    "SHIPPED_COLLECTIONS",
    "CollectionInfo",
    "GeneIndex",
    "GeneSets",
    "MatchedSets",
    "MethodSpec",
    "PathwayScores",
    "get_method",
    "load_collection",
    "load_gmt",
    "match_gene_sets",
    "method_names",
    "obsm_key",
    "register_method",
    "score",
]
