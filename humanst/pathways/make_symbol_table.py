"""Regenerate ``manifests/genesets/ensembl_symbols.tsv``: Ensembl gene ids of the shipped gene sets' members.

The table lets a dataset that names its genes only by Ensembl id be scored against the symbol-based gene sets.
It is cut from Bioconductor's ``org.Hs.eg.db`` SQLite database (NCBI Gene ``gene_info`` / ``gene2ensembl``,
whose human symbols are the HGNC-approved ones), restricted to the symbols the shipped GMT files use, so it
stays small. Sources and licences: ``manifests/genesets/SOURCES.md``. Run::

    apt-get download r-bioc-org.hs.eg.db && dpkg-deb -x r-bioc-org.hs.eg.db_*.deb orghs
    python -m humanst.pathways.make_symbol_table orghs/usr/lib/R/site-library/org.Hs.eg.db/extdata/org.Hs.eg.sqlite
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from humanst.pathways.ensembl_symbols import SYMBOL_TABLE, symbol_table_path
from humanst.pathways.genesets import load_gmt
from humanst.resources import manifests_dir

__all__ = ["make_symbol_table"]


def make_symbol_table(sqlite_path: Path, out: Path | None = None) -> Path:
    """Write ``ensembl_gene_id<TAB>symbol`` rows for every Ensembl gene of a shipped gene-set member.

    A member is found by its current symbol, else by a unique alias (the GMT spelling is kept); an Ensembl id
    claimed by two members keeps the one whose symbol is current.
    """
    members: set[str] = set()
    for gmt in sorted((manifests_dir() / "genesets").glob("*.gmt")):
        for genes in load_gmt(gmt).sets.values():
            members.update(genes)
    db = sqlite3.connect(str(sqlite_path))
    current = dict(db.execute("select _id, symbol from gene_info").fetchall())
    by_symbol: dict[str, list[int]] = {}
    for internal, symbol in current.items():
        by_symbol.setdefault(symbol, []).append(internal)
    by_alias: dict[str, list[int]] = {}
    for internal, alias in db.execute("select _id, alias_symbol from alias"):
        by_alias.setdefault(alias, []).append(internal)
    ensembl: dict[int, list[str]] = {}
    for internal, gid in db.execute("select _id, ensembl_id from ensembl"):
        ensembl.setdefault(internal, []).append(gid)
    rows: dict[str, tuple[str, bool]] = {}
    for member in sorted(members):
        ids, is_current = by_symbol.get(member, []), True
        if not ids and len(by_alias.get(member, [])) == 1:
            ids, is_current = by_alias[member], False
        for internal in ids:
            for gid in ensembl.get(internal, []):
                if gid not in rows or (is_current and not rows[gid][1]):
                    rows[gid] = (member, is_current)
    target = out or symbol_table_path()
    lines = [f"# {SYMBOL_TABLE}: see SOURCES.md. ensembl_gene_id -> symbol as spelled in the shipped gene sets"]
    lines += [f"{gid}\t{symbol}" for gid, (symbol, _) in sorted(rows.items())]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":
    from rich.console import Console

    Console(soft_wrap=True).print(f"wrote {make_symbol_table(Path(sys.argv[1]))}", highlight=False)
