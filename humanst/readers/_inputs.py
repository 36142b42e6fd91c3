"""Shared by the readers: find a sample's files in its inputs, stage them for spatialdata-io, tidy count matrices."""

from __future__ import annotations

import fnmatch
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from humanst.errors import ReaderError

__all__ = ["as_count_csr", "find_file", "find_files", "find_optional_file", "staged"]

IGNORED_DIRS = frozenset({"truth", "__MACOSX", ".git"})


def _walk(inputs: Sequence[Path]) -> Iterator[Path]:
    """Yield every file of the inputs (files as given, directories recursively, skipping ``truth/`` etc.)."""
    for item in inputs:
        path = Path(item)
        if path.is_file():
            yield path
        elif path.is_dir():
            for sub in sorted(path.rglob("*")):
                if sub.is_file() and not IGNORED_DIRS.intersection(sub.relative_to(path).parts[:-1]):
                    yield sub


def find_files(inputs: Sequence[Path], patterns: Iterable[str], *, exclude: Iterable[str] = ()) -> list[Path]:
    """Return the files of ``inputs`` whose name matches a glob of ``patterns`` and none of ``exclude`` (any case)."""
    pats, skip = [p.lower() for p in patterns], [p.lower() for p in exclude]

    def keep(name: str) -> bool:
        return any(fnmatch.fnmatch(name, p) for p in pats) and not any(fnmatch.fnmatch(name, p) for p in skip)

    return [p for p in _walk(inputs) if keep(p.name.lower())]


def find_file(
    inputs: Sequence[Path],
    patterns: Sequence[str],
    *,
    sample_id: str,
    what: str,
    prefer: str | None = None,
    exclude: Sequence[str] = (),
) -> Path:
    """Find the one required file of ``what`` in ``inputs`` (see :func:`find_optional_file`).

    Raises
    ------
    ReaderError
        When no file matches, or several match and the sample id does not single one out.
    """
    found = find_optional_file(inputs, patterns, sample_id=sample_id, what=what, prefer=prefer, exclude=exclude)
    if found is None:
        searched = ", ".join(str(p) for p in inputs) or "(no inputs)"
        msg = (
            f"missing {what}: no file matching {' or '.join(patterns)} in {searched}. "
            "Add the file to the sample's `files` in the manifest (or fix the path) and build again."
        )
        raise ReaderError(msg, sample_id=sample_id, path=Path(inputs[0]) if inputs else None)
    return found


def find_optional_file(
    inputs: Sequence[Path],
    patterns: Sequence[str],
    *,
    sample_id: str,
    what: str,
    prefer: str | None = None,
    exclude: Sequence[str] = (),
) -> Path | None:
    """Find the file of ``what`` in ``inputs`` or None; several candidates are narrowed by ``prefer``, the sample id.

    Raises
    ------
    ReaderError
        When several files match and neither ``prefer`` nor the sample id single one out.
    """
    found = find_files(inputs, patterns, exclude=exclude)
    if len(found) > 1:
        for key in (prefer, sample_id):
            if key:
                narrowed = [p for p in found if key.lower() in str(p).lower()]
                if narrowed:
                    found = narrowed
                    break
    if len(found) > 1:  # prefer the shallowest file (e.g. outs/x.h5 over outs/analysis/.../x.h5)
        depth = min(len(p.parts) for p in found)
        found = [p for p in found if len(p.parts) == depth]
    if len(found) == 1:
        return found[0]
    if not found:
        return None
    names = ", ".join(str(p) for p in found[:6])
    msg = (
        f"found several candidates for {what} ({names}) and none names the sample. "
        "List only this sample's files in the manifest entry."
    )
    raise ReaderError(msg, sample_id=sample_id, path=found[0])


@contextmanager
def staged(layout: dict[str, Path]) -> Iterator[Path]:
    """Lay files out as symlinks ``{relative path: source}`` in a temporary directory (removed on exit)."""
    root = Path(tempfile.mkdtemp(prefix="humanst-stage-"))
    try:
        for rel, source in layout.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(Path(source).resolve())
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def as_count_csr(matrix: Any) -> sparse.csr_matrix:
    """Return counts as scipy CSR, int32 when every value is a whole number (10x h5 often loads as float32)."""
    csr = sparse.csr_matrix(matrix)
    if csr.dtype.kind == "f" and csr.nnz and np.array_equal(csr.data, np.round(csr.data)):
        if csr.data.max() <= np.iinfo(np.int32).max and csr.data.min() >= np.iinfo(np.int32).min:
            csr = csr.astype(np.int32)
    elif csr.dtype.kind == "f" and not csr.nnz:
        csr = csr.astype(np.int32)
    csr.sort_indices()
    return csr
