"""``path`` sources: files or folders already on disk, confined to the data root (never copied).

A relative ``path`` must resolve inside the data root, symlinks included (``../../etc`` or a link that leaves the
root is refused); an absolute or ``~`` path is taken only when the user says so (:data:`ABSOLUTE_PATHS_FLAG`). A
folder is bounded (:data:`MAX_FOLDER_FILES`, :data:`MAX_FOLDER_BYTES`) by a listing that stops at the bound, before
anything under it is hashed or read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from humanst.errors import FetchError

__all__ = [
    "ABSOLUTE_PATHS_FLAG",
    "MAX_FOLDER_BYTES",
    "MAX_FOLDER_FILES",
    "LocalInput",
    "absolute_path_problems",
    "manifest_data_root",
    "measure_local",
    "resolve_local",
]

ABSOLUTE_PATHS_FLAG = "--allow-absolute-paths"
MAX_FOLDER_FILES = 10_000  # a Space Ranger / Xenium / HEST sample folder holds tens to hundreds
MAX_FOLDER_BYTES = 256 << 30  # 256 GiB: the largest raw bundles (Xenium, Visium HD with BAMs) stay below


@dataclass(frozen=True)
class LocalInput:
    """A resolved local input: its real path, and how many files and bytes it holds (1 file for a file)."""

    path: Path
    files: int
    bytes: int


def _is_absolute(path: str) -> bool:
    return path.startswith("~") or Path(path).is_absolute()


def _refuse(message: str, sample_id: str | None, path: Path) -> FetchError:
    return FetchError(message, sample_id=sample_id, path=path)


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _tally_folder(
    folder: Path, *, root: Path | None, sample_id: str | None, max_files: int, max_bytes: int
) -> tuple[int, int]:
    """Count a folder's files and bytes, stopping past the bounds; refuse links that leave ``root`` (if given)."""
    files = size = 0
    for current, dirs, names in os.walk(folder, followlinks=False):
        for name in [*dirs, *names]:
            entry = Path(current) / name
            if root is not None and entry.is_symlink() and not _inside(entry.resolve(), root):
                msg = (
                    f"the link '{entry}' inside the input points to '{entry.resolve()}', outside the data root "
                    f"'{root}'; copy the file into the data root or point --data-root at a folder that holds both"
                )
                raise _refuse(msg, sample_id, folder)
        for name in names:
            files += 1
            try:
                size += (Path(current) / name).stat().st_size
            except OSError:
                continue  # a dangling link: the reader names it if it needs it
            if files > max_files or size > max_bytes:
                what = f"more than {max_files:,} files" if files > max_files else f"more than {max_bytes / 2**30:g} GiB"
                msg = (
                    f"the folder holds {what} (stopped counting before hashing anything); name the sample's own "
                    "folder (e.g. its Space Ranger 'outs') or list its files one by one in the manifest"
                )
                raise _refuse(msg, sample_id, folder)
    return files, size


def measure_local(
    path: str,
    *,
    data_root: Path,
    sample_id: str | None = None,
    allow_absolute: bool = False,
    max_files: int = MAX_FOLDER_FILES,
    max_bytes: int = MAX_FOLDER_BYTES,
) -> LocalInput:
    """Resolve a manifest ``path`` (see the module docstring) and count what it holds, within the bounds.

    Parameters
    ----------
    path
        The manifest's ``path``: relative to ``data_root``, or absolute / ``~`` when ``allow_absolute``.
    data_root
        The folder relative paths start from (``--data-root``, by default the manifest's folder).
    sample_id
        The sample the file belongs to, named in errors.
    allow_absolute
        Accept absolute and ``~`` paths (the user passed :data:`ABSOLUTE_PATHS_FLAG`).
    max_files, max_bytes
        Bounds of a folder input, checked by a listing that stops at them.

    Raises
    ------
    FetchError
        An absolute path without the flag, a path or link that leaves the data root, nothing at the path, or a
        folder past the bounds; one line each, naming the sample and the path.
    """
    if _is_absolute(path):
        given = Path(path).expanduser()
        if not allow_absolute:
            msg = (
                f"absolute paths are refused unless you pass {ABSOLUTE_PATHS_FLAG}; give the path relative to the "
                f"data root '{data_root}' (set --data-root or the manifest's data_root), or pass the flag"
            )
            raise _refuse(msg, sample_id, given)
        resolved, root = given.resolve(), None
    else:
        root = Path(data_root).resolve()
        given = Path(data_root) / path
        resolved = given.resolve()
        if not _inside(resolved, root):
            msg = (
                f"the path resolves to '{resolved}', outside the data root '{root}' ('..' or a symlink); "
                "keep the sample's files under the data root, or point --data-root at a folder that holds them"
            )
            raise _refuse(msg, sample_id, given)
    if not resolved.exists():
        where = "" if root is None else f" (relative to the data root '{data_root}')"
        msg = (
            f"the local path does not exist{where}. Check the sample's 'path' in the manifest, or pass the folder "
            "that holds the raw files with --data-root."
        )
        raise _refuse(msg, sample_id, given)
    if resolved.is_dir():
        files, size = _tally_folder(resolved, root=root, sample_id=sample_id, max_files=max_files, max_bytes=max_bytes)
        return LocalInput(given, files, size)
    return LocalInput(given, 1, resolved.stat().st_size)


def resolve_local(
    path: str,
    *,
    data_root: Path,
    sample_id: str | None = None,
    allow_absolute: bool = False,
    max_files: int = MAX_FOLDER_FILES,
    max_bytes: int = MAX_FOLDER_BYTES,
) -> Path:
    """Return the local file or folder a manifest ``path`` names, confined and bounded as :func:`measure_local`.

    Raises
    ------
    FetchError
        As :func:`measure_local`.
    """
    return measure_local(
        path, data_root=data_root, sample_id=sample_id, allow_absolute=allow_absolute, max_files=max_files,
        max_bytes=max_bytes,
    ).path  # fmt: skip


def absolute_path_problems(data_root: str | None, files: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(location, message)`` for a manifest's absolute ``data_root`` and absolute file paths (flag not given).

    Parameters
    ----------
    data_root
        The manifest's ``data_root`` field.
    files
        ``(location, path)`` of every ``path`` source, e.g. ``("sample 'S1' field 'files[0].path'", "/x")``.
    """
    fix = f"make it relative to the data root, or pass {ABSOLUTE_PATHS_FLAG} if you mean it"
    problems = []
    if data_root is not None and _is_absolute(data_root):
        problems.append(("atlas field 'data_root'", f"{data_root!r} is absolute; {fix}"))
    problems += [(where, f"{path!r} is absolute; {fix}") for where, path in files if _is_absolute(path)]
    return problems


def manifest_data_root(manifest_path: Path, data_root: str | None, *, given: Path | None, allow_absolute: bool) -> Path:
    """Return the data root of a build: ``given`` (``--data-root``), else the manifest's ``data_root``.

    A relative ``data_root`` is taken from the manifest's folder.

    Raises
    ------
    ManifestError
        The manifest's ``data_root`` is absolute and ``allow_absolute`` is false.
    """
    from humanst.errors import ManifestError

    if given is not None:
        return Path(given)
    problems = [] if allow_absolute else absolute_path_problems(data_root, [])
    if problems:
        raise ManifestError(manifest_path, problems)
    return Path(manifest_path).parent / Path(data_root or ".").expanduser()
