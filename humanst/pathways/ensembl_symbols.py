"""Ensembl gene id -> HGNC symbol for the members of the shipped gene sets (``manifests/genesets/``).

Gene sets name their members by symbol; a table whose genes are named only by Ensembl id (``ENSG...``, as
Space Ranger's ``gene_ids`` or many public .h5ad files) is mapped through this shipped table, so it can be
scored without a symbol column. The table is small on purpose: only the Ensembl ids of genes the shipped sets
contain (``python -m humanst.pathways.make_symbol_table`` regenerates it; sources in ``SOURCES.md``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

from humanst.resources import manifests_dir

__all__ = ["SYMBOL_TABLE", "ensembl_key", "ensembl_to_symbol", "looks_like_ensembl", "symbol_table_path"]

SYMBOL_TABLE = "ensembl_symbols.tsv"
_ENSEMBL = re.compile(r"^(ENS[A-Z]*G\d{11})(\.\d+)?$")


def symbol_table_path() -> Path:
    """Return the shipped table's path."""
    return manifests_dir() / "genesets" / SYMBOL_TABLE


def ensembl_key(name: str) -> str | None:
    """Return the unversioned upper-case Ensembl gene id in ``name`` (``ENSG...141510.17`` -> ``ENSG...141510``)."""
    match = _ENSEMBL.match(str(name).strip().upper())
    return match.group(1) if match else None


def looks_like_ensembl(names: Iterable[str], *, share: float = 0.5) -> bool:
    """Whether at least ``share`` of ``names`` are Ensembl gene ids."""
    names = list(names)
    return bool(names) and sum(ensembl_key(n) is not None for n in names) >= share * len(names)


@functools.cache
def ensembl_to_symbol() -> dict[str, str]:
    """Read the shipped table: unversioned Ensembl gene id -> symbol as the gene sets spell it."""
    table: dict[str, str] = {}
    for line in symbol_table_path().read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            gid, symbol = line.split("\t")
            table[gid] = symbol
    return table
