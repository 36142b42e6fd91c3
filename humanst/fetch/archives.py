"""Safe, atomic, reusable extraction of ``.zip``, ``.tar``, ``.tar.gz`` and ``.tgz`` downloads."""

from __future__ import annotations

import contextlib
import logging
import posixpath
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from humanst.errors import FetchError
from humanst.fetch.cache import temp_sibling

__all__ = ["extract_archive", "extraction_dir", "is_archive"]

logger = logging.getLogger("humanst")

_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")


def is_archive(path: Path) -> bool:
    """Return whether the file name ends in an archive suffix this module extracts."""
    return Path(path).name.lower().endswith(_SUFFIXES)


def extraction_dir(archive: Path) -> Path:
    """Return the folder an archive is extracted to by default: ``<archive>.extracted`` beside it."""
    archive = Path(archive)
    return archive.with_name(archive.name + ".extracted")


def extract_archive(archive: Path, target: Path | None = None, *, sample_id: str | None = None) -> Path:
    """Extract ``archive`` into ``target`` (default: :func:`extraction_dir`) once, safely, and return ``target``.

    Every member is checked before anything is written: absolute names, names with ``..``, and symbolic or hard
    links that point outside the target are refused. Extraction goes to a temporary folder that is renamed into
    place, so a folder at ``target`` is always complete; it is reused while the archive's size and modification
    time are those it was extracted from, and extracted again (replacing it) when the archive changed.

    Parameters
    ----------
    archive
        The ``.zip``, ``.tar``, ``.tar.gz`` or ``.tgz`` file.
    target
        Where the members go; by default ``<archive>.extracted`` beside the archive.
    sample_id
        The sample the archive belongs to, named in errors.

    Raises
    ------
    FetchError
        When the archive is unreadable or holds an unsafe member.
    """
    archive = Path(archive)
    target = extraction_dir(archive) if target is None else Path(target)
    stamp = target.with_name(f".{target.name}.source")
    source = _source_key(archive, sample_id=sample_id)
    if target.is_dir() and _read(stamp) == source:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.extract-", dir=target.parent))
    trash = temp_sibling(target, "stale")
    try:
        if archive.name.lower().endswith(".zip"):
            _extract_zip(archive, tmp, sample_id=sample_id)
        else:
            _extract_tar(archive, tmp, sample_id=sample_id)
        if target.is_dir():  # extracted from an older copy of the archive: move it aside first
            logger.info("%s changed since it was extracted; extracting it again", archive)
            with contextlib.suppress(FileNotFoundError):
                target.rename(trash)
        stamp_tmp = temp_sibling(stamp)
        stamp_tmp.write_text(source)
        stamp_tmp.replace(stamp)
        try:
            tmp.rename(target)
        except OSError:
            if not target.is_dir():
                raise
            logger.debug("%s was extracted concurrently; using that copy", archive)
    finally:
        for leftover in (tmp, trash):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
    return target


def _source_key(archive: Path, *, sample_id: str | None) -> str:
    """Identify the archive's current content cheaply (size and modification time)."""
    try:
        stat = archive.stat()
    except FileNotFoundError as err:
        msg = "the archive to extract does not exist. Run again to download it."
        raise FetchError(msg, sample_id=sample_id, path=archive) from err
    return f"{stat.st_size} {stat.st_mtime_ns}"


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _refuse(archive: Path, member: str, why: str, sample_id: str | None) -> FetchError:
    msg = (
        f"archive member {member!r} {why}; refusing to extract (nothing was written). The archive may be corrupt "
        "or malicious: check its source and checksum in the manifest."
    )
    return FetchError(msg, sample_id=sample_id, path=archive)


def _unsafe_name(name: str) -> str | None:
    """Return why a member name is unsafe, or None."""
    normal = name.replace("\\", "/")
    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        return "has an absolute path"
    if ".." in PurePosixPath(normal).parts:
        return "has a '..' component (it would be written outside the extraction folder)"
    return None


def _inside(path: str) -> bool:
    """Return whether a normalised, root-relative POSIX path stays inside the root."""
    normal = posixpath.normpath(path)
    return not (normal == ".." or normal.startswith("../") or normal.startswith("/"))


def _unreadable(archive: Path, err: Exception, sample_id: str | None) -> FetchError:
    msg = (
        f"cannot extract the archive ({err}). If it is damaged, delete it from the cache and run again to "
        "download it afresh."
    )
    return FetchError(msg, sample_id=sample_id, path=archive)


def _extract_zip(archive: Path, dest: Path, *, sample_id: str | None) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            for info in members:
                why = _unsafe_name(info.filename)
                if why is not None:
                    raise _refuse(archive, info.filename, why, sample_id)
            zf.extractall(dest)  # zipfile writes symlink entries as plain files, so no link can escape
    except (zipfile.BadZipFile, OSError) as err:
        raise _unreadable(archive, err, sample_id) from err


def _extract_tar(archive: Path, dest: Path, *, sample_id: str | None) -> None:
    try:
        with tarfile.open(archive, "r:*") as tf:
            members = tf.getmembers()
            for member in members:
                why = _unsafe_tar_member(member)
                if why is not None:
                    raise _refuse(archive, member.name, why, sample_id)
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: the stdlib filter checks again
                tf.extractall(dest, members=members, filter="data")
            else:  # pragma: no cover - members were checked above
                tf.extractall(dest, members=members)
    except (tarfile.TarError, OSError) as err:
        raise _unreadable(archive, err, sample_id) from err


def _unsafe_tar_member(member: tarfile.TarInfo) -> str | None:
    why = _unsafe_name(member.name)
    if why is not None:
        return why
    if member.issym():
        link = member.linkname.replace("\\", "/")
        if link.startswith("/") or not _inside(posixpath.join(posixpath.dirname(member.name), link)):
            return f"is a symbolic link to {member.linkname!r}, outside the extraction folder"
    elif member.islnk():
        link = member.linkname.replace("\\", "/")
        if link.startswith("/") or not _inside(link):
            return f"is a hard link to {member.linkname!r}, outside the extraction folder"
    elif not (member.isfile() or member.isdir()):
        return "is a device, FIFO or other special file"
    return None
