"""Gene-set collections: GMT parsing with line-precise errors and the shipped collections by name."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from humanst.errors import GeneSetError
from humanst.resources import manifests_dir

__all__ = ["SHIPPED_COLLECTIONS", "CollectionInfo", "GeneSets", "load_collection", "load_gmt"]


@dataclass(frozen=True)
class CollectionInfo:
    """A gene-set collection shipped in ``manifests/genesets/`` with its licence and citation."""

    name: str
    filename: str
    license: str
    citation: str


SHIPPED_COLLECTIONS: dict[str, CollectionInfo] = {
    info.name: info
    for info in (
        CollectionInfo(
            "hallmark",
            "msigdb_hallmark_v7.0.symbols.gmt",
            "CC-BY-4.0",
            "Liberzon A. et al., The Molecular Signatures Database Hallmark Gene Set Collection, "
            "Cell Systems 1(6), 2015",
        ),
        CollectionInfo(
            "reactome",
            "reactome_2021.symbols.gmt",
            "CC0-1.0",
            "Gillespie M. et al., The reactome pathway knowledgebase 2022, Nucleic Acids Research 50(D1), 2022",
        ),
    )
}


@dataclass(frozen=True)
class GeneSets:
    """An ordered collection of named gene sets (gene symbols as written in the source)."""

    name: str
    sets: dict[str, tuple[str, ...]]
    descriptions: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    license: str | None = None
    citation: str | None = None

    @property
    def names(self) -> list[str]:
        """Set names in file order."""
        return list(self.sets)

    def genes(self) -> list[str]:
        """All member genes of all sets, each once, in first-seen order."""
        return list(dict.fromkeys(g for members in self.sets.values() for g in members))

    def __len__(self) -> int:
        return len(self.sets)

    def __iter__(self) -> Iterator[str]:
        return iter(self.sets)

    def __getitem__(self, name: str) -> tuple[str, ...]:
        try:
            return self.sets[name]
        except KeyError:
            msg = f"no gene set {name!r} in collection {self.name!r} ({len(self.sets)} sets)"
            raise KeyError(msg) from None


def load_gmt(
    path: str | Path, *, name: str | None = None, license: str | None = None, citation: str | None = None
) -> GeneSets:
    """Parse a GMT file (``name <TAB> description <TAB> gene ...``); errors name the file and line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        msg = f"gene-set file '{path}' not found"
        raise GeneSetError(msg) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
        msg = f"gene-set file '{path}' line {bad_line}: not UTF-8 text; re-save the file as UTF-8"
        raise GeneSetError(msg) from exc
    sets: dict[str, tuple[str, ...]] = {}
    descriptions: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\r\n").split("\t")
        where = f"gene-set file '{path}' line {lineno}"
        if len(fields) < 2:
            msg = f"{where}: expected 'name<TAB>description<TAB>genes...', found no tab"
            raise GeneSetError(msg)
        set_name = fields[0].strip()
        genes = tuple(dict.fromkeys(g.strip() for g in fields[2:] if g.strip()))
        if not set_name:
            msg = f"{where}: empty set name"
            raise GeneSetError(msg)
        if set_name in sets:
            msg = f"{where}: duplicate set name {set_name!r}; each set must appear once"
            raise GeneSetError(msg)
        if not genes:
            msg = f"{where}: set {set_name!r} has no genes"
            raise GeneSetError(msg)
        sets[set_name] = genes
        descriptions[set_name] = fields[1].strip()
    if not sets:
        msg = f"gene-set file '{path}': no gene sets found"
        raise GeneSetError(msg)
    return GeneSets(
        name=name or path.stem,
        sets=sets,
        descriptions=descriptions,
        source=str(path),
        license=license,
        citation=citation,
    )


@functools.lru_cache(maxsize=8)
def _shipped(key: str) -> GeneSets:
    info = SHIPPED_COLLECTIONS[key]
    path = manifests_dir() / "genesets" / info.filename
    return load_gmt(path, name=info.name, license=info.license, citation=info.citation)


def load_collection(name_or_path: str | Path) -> GeneSets:
    """Load a shipped collection by name (``hallmark``, ``reactome``; parsed once) or any GMT file by path."""
    key = str(name_or_path)
    if key in SHIPPED_COLLECTIONS:
        return _shipped(key)
    path = Path(key)
    if path.suffix.lower() == ".gmt" or path.exists():
        return load_gmt(path)
    valid = ", ".join(SHIPPED_COLLECTIONS)
    msg = f"unknown gene-set collection {key!r}; use one of {valid} or a path to a .gmt file"
    raise GeneSetError(msg)
