"""Atomic writes: write beside the target under a hidden temporary name, then rename into place.

A reader (or a rerun after a kill) sees the old file or folder or the new one, never half of either. This is
the one place that spells the temp-then-rename dance; every writer of the three packages goes through it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "probe_writable",
    "remove_path",
    "remove_stale_temporaries",
    "replace_atomically",
    "temp_sibling",
]


def temp_sibling(path: Path, tag: str = "tmp") -> Path:
    """Return a unique hidden name beside ``path`` for this process (for write-then-rename).

    ``S1.zarr`` -> ``.S1.<tag>-<pid>-<hex>.zarr``: the suffix is kept, so format-sniffing writers still work.
    """
    path = Path(path)
    return path.with_name(f".{path.stem}.{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}{path.suffix}")


def _temporaries_of(final: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(final.stem)}\.[a-z]+-\d+-[0-9a-f]{{8}}{re.escape(final.suffix)}")


def remove_stale_temporaries(final: Path) -> None:
    """Delete what killed writers left beside ``final`` (``temp_sibling`` names of any tag and process)."""
    final = Path(final)
    pattern = _temporaries_of(final)
    if final.parent.is_dir():
        for stale in final.parent.iterdir():
            if pattern.fullmatch(stale.name):
                remove_path(stale)


def remove_path(path: Path) -> None:
    """Delete a file or a folder tree if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def replace_atomically(tmp: Path, final: Path) -> None:
    """Move a finished ``tmp`` (file or folder) to ``final``; an older folder ``final`` is moved aside, then deleted.

    Files are swapped by one ``os.replace``. Folders cannot be replaced in one step: the old one is renamed
    aside first (a kill between the two renames leaves ``final`` missing, which readers treat as unbuilt).
    """
    tmp, final = Path(tmp), Path(final)
    if not tmp.is_dir():
        tmp.replace(final)
        return
    old = temp_sibling(final, "old")
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    remove_path(old)


@contextmanager
def atomic_path(final: Path, tag: str = "tmp") -> Iterator[Path]:
    """Yield a temporary sibling of ``final`` to write (a file or a folder); on success it replaces ``final``.

    On an exception the temporary is removed and ``final`` is left as it was. The parent folder is created.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(final, tag)
    try:
        yield tmp
        replace_atomically(tmp, final)
    finally:
        if tmp.exists():
            remove_path(tmp)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, value: object, *, indent: int | None = 2) -> None:
    """Write ``value`` as JSON (UTF-8, keys in the given order) to ``path`` atomically."""
    atomic_write_text(path, json.dumps(value, indent=indent) + "\n")


def probe_writable(folder: Path) -> None:
    """Create ``folder`` (and its parents), then write and delete a hidden probe file in it.

    Raises
    ------
    OSError
        The folder cannot be created or written (read-only, no permission, no space); ``filename`` names where.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    probe = temp_sibling(folder / "write-probe", "probe")
    probe.write_bytes(b"")
    probe.unlink()
