"""Materialise a sample's input files locally: local paths, HTTP(S) downloads and hub files, with safe extraction.

Examples
--------
>>> paths = materialise_sample(entry, data_root=manifest_dir, cache_dir=default_cache_dir())  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from humanst.fetch.archives import extract_archive, extraction_dir, is_archive
from humanst.fetch.cache import default_cache_dir, url_cache_path
from humanst.fetch.http import Progress, fetch_url
from humanst.fetch.hub import fetch_hf
from humanst.fetch.local import ABSOLUTE_PATHS_FLAG, measure_local, resolve_local

if TYPE_CHECKING:
    from humanst.manifest.models import FileSpec, SampleEntry

__all__ = [
    "ABSOLUTE_PATHS_FLAG",
    "Progress",
    "default_cache_dir",
    "extract_archive",
    "fetch_hf",
    "fetch_url",
    "is_archive",
    "materialise_file",
    "materialise_sample",
    "measure_local",
    "resolve_local",
    "url_cache_path",
]


def materialise_sample(
    entry: SampleEntry,
    *,
    data_root: Path,
    cache_dir: Path,
    progress: Progress | None = None,
    allow_absolute: bool = False,
) -> list[Path]:
    """Return one local path per ``entry.files`` item, in order, downloading and extracting as needed.

    Parameters
    ----------
    entry
        The manifest entry of the sample.
    data_root
        The folder relative ``path`` sources resolve against.
    cache_dir
        Where ``url`` and ``hf`` downloads (and extracted archives) are kept; see :func:`default_cache_dir`.
    progress
        Optional ``progress(label, done_bytes, total_bytes_or_None)`` callback for downloads.
    allow_absolute
        Accept absolute ``path`` sources (the user passed ``--allow-absolute-paths``).

    Raises
    ------
    FetchError
        When a file is missing, leaves the data root, cannot be downloaded, fails its checksum, or is an unsafe
        archive.
    """
    return [
        materialise_file(
            spec,
            data_root=data_root,
            cache_dir=cache_dir,
            sample_id=entry.id,
            progress=progress,
            allow_absolute=allow_absolute,
        )
        for spec in entry.files
    ]


def materialise_file(
    spec: FileSpec,
    *,
    data_root: Path,
    cache_dir: Path,
    sample_id: str | None = None,
    progress: Progress | None = None,
    allow_absolute: bool = False,
) -> Path:
    """Return the local path of one manifest file: as is for ``path``, downloaded (and extracted) otherwise.

    Parameters
    ----------
    spec
        The manifest's file entry (exactly one of ``url``, ``hf`` or ``path``).
    data_root
        The folder relative ``path`` sources resolve against.
    cache_dir
        Where downloads and extracted archives are kept.
    sample_id
        The sample the file belongs to, named in errors.
    progress
        Optional ``progress(label, done_bytes, total_bytes_or_None)`` callback for downloads.
    allow_absolute
        Accept an absolute ``path`` source.

    Raises
    ------
    FetchError
        When the file is missing, leaves the data root (see :func:`resolve_local`), cannot be downloaded, fails its
        checksum, or is an unsafe archive.
    """
    if spec.path is not None:
        return resolve_local(spec.path, data_root=data_root, sample_id=sample_id, allow_absolute=allow_absolute)
    if spec.url is not None:
        dest = url_cache_path(Path(cache_dir), spec.url)
        path = fetch_url(spec.url, dest, sha256=spec.sha256, size=spec.size, sample_id=sample_id, progress=progress)
        return extract_archive(path, sample_id=sample_id) if is_archive(path) else path
    if spec.hf is None:  # pragma: no cover - FileSpec guarantees exactly one source
        msg = f"file entry {spec!r} has no source"
        raise ValueError(msg)
    path = fetch_hf(
        spec.hf, cache_dir=Path(cache_dir), sha256=spec.sha256, size=spec.size, sample_id=sample_id, progress=progress
    )
    if not is_archive(path):
        return path
    key = f"{spec.hf.repo_type}/{spec.hf.repo}@{spec.hf.revision}/{spec.hf.path}"
    target = Path(cache_dir) / "hf-extracted" / hashlib.sha256(key.encode()).hexdigest()[:16]
    return extract_archive(path, extraction_dir(target / path.name), sample_id=sample_id)
