"""Match gene-set members to the genes of a dataset: case-insensitive symbols, then Ensembl ids.

A dataset named by Ensembl ids only (in ``var_names`` or ``var['gene_ids']``) is matched through the shipped
Ensembl -> symbol table of the gene sets' members (:mod:`humanst.pathways.ensembl_symbols`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from humanst.pathways.ensembl_symbols import ensembl_key, ensembl_to_symbol, looks_like_ensembl
from humanst.pathways.genesets import GeneSets

__all__ = ["GeneIndex", "MatchedSets", "match_gene_sets"]

_ENSEMBL_VERSION = re.compile(r"^(ENS[A-Z]*G\d+)\.\d+$")


def _symbol_key(name: str) -> str:
    return str(name).strip().upper()


def _ensembl_key(name: str) -> str:
    key = str(name).strip().upper()
    match = _ENSEMBL_VERSION.match(key)
    return match.group(1) if match else key


@dataclass(frozen=True)
class GeneIndex:
    """The dataset's genes after merging duplicated symbols: unique names and how columns map onto them."""

    names: list[str]  # one per unique gene (first spelling seen)
    column_to_gene: np.ndarray  # (n_vars,) index into ``names`` for every column of X
    lookup: dict[str, int]  # symbol and Ensembl keys -> gene index

    @property
    def has_duplicates(self) -> bool:
        """Whether several columns of X collapse onto one gene (their counts are summed)."""
        return len(self.names) < self.column_to_gene.size

    @classmethod
    def from_var(cls, var_names: pd.Index, gene_ids: pd.Series | None = None) -> GeneIndex:
        """Build the index from ``var_names`` (symbols, or Ensembl ids) and optional ``var['gene_ids']`` (Ensembl ids).

        Ensembl ids also answer for their symbol in the shipped table (a symbol in ``var_names`` wins).
        """
        names = pd.Index(var_names).astype(str)
        codes, uniques = pd.factorize(names.str.strip().str.upper())  # _symbol_key, vectorised
        if uniques.size == names.size:  # the usual case: no duplicated symbol
            first = names.tolist()
        else:
            first = [str(n) for n in pd.Series(names).groupby(codes).first().to_numpy()]
        lookup = dict(zip(uniques.tolist(), range(uniques.size), strict=True))
        ids = gene_ids.astype(str).tolist() if gene_ids is not None else None
        if ids is None and looks_like_ensembl(names):
            ids = names.tolist()
        if ids is not None:
            symbols = ensembl_to_symbol()
            for column, gid in enumerate(ids):
                lookup.setdefault(_ensembl_key(gid), int(codes[column]))
            for column, gid in enumerate(ids):
                key = ensembl_key(gid)
                symbol = symbols.get(key) if key is not None else None
                if symbol is not None:
                    lookup.setdefault(_symbol_key(symbol), int(codes[column]))
        return cls(first, codes.astype(np.int64), lookup)


@dataclass(frozen=True)
class MatchedSets:
    """Gene sets resolved to gene indices of one dataset, with coverage and unmatched members."""

    names: list[str]
    members: list[np.ndarray]  # gene indices of the measured members of every set
    n_members: np.ndarray  # members listed in the set
    unmatched: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n_measured(self) -> np.ndarray:
        """Measured members per set."""
        return np.array([m.size for m in self.members], dtype=np.int64)

    @property
    def coverage(self) -> np.ndarray:
        """Measured members / all members, per set."""
        return self.n_measured / np.maximum(self.n_members, 1)


def match_gene_sets(gene_sets: GeneSets, index: GeneIndex) -> MatchedSets:
    """Resolve every member of every set against the dataset's genes; report the members not found."""
    members, n_members, unmatched = [], [], {}
    for name, genes in gene_sets.sets.items():
        found: dict[int, None] = {}
        missing = []
        for gene in genes:
            hit = index.lookup.get(_symbol_key(gene))
            if hit is None:
                hit = index.lookup.get(_ensembl_key(gene))
            if hit is None:
                missing.append(gene)
            else:
                found[hit] = None
        members.append(np.fromiter(found, dtype=np.int64, count=len(found)))
        n_members.append(len(genes))
        if missing:
            unmatched[name] = missing
    return MatchedSets(list(gene_sets.sets), members, np.asarray(n_members, dtype=np.int64), unmatched)
