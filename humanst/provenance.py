"""Provenance: format versions, package versions, file fingerprints and the input hash of a sample build."""

from __future__ import annotations

import hashlib
import json
import platform as _platform
from importlib import metadata
from pathlib import Path

__all__ = [
    "fingerprint_inputs",
    "input_hash",
    "package_version",
    "package_versions",
]

_PACKAGES = ("humanst", "anndata", "spatialdata", "spatialdata-io", "zarr", "numpy", "scipy", "datasets", "pillow")


def package_version(name: str) -> str:
    """Return the installed version of a distribution (``not installed`` when it is missing)."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape the outputs (and Python)."""
    return {"python": _platform.python_version(), **{name: package_version(name) for name in _PACKAGES}}


def fingerprint_inputs(paths: list[Path], *, cache: Path | None = None) -> list[dict[str, str | int]]:
    """Fingerprints of local inputs: (relative name, size, sha256 of the content) of every file under each path.

    The content, not the mtime: rewriting identical bytes does not change it. Hashes are cached by path, size,
    mtime and inode in ``cache`` (:func:`humanst.content_hash.file_sha256`), so an unchanged file is read once.
    """
    from humanst.content_hash import file_sha256

    records: list[dict[str, str | int]] = []
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            name = str(path.relative_to(root)) if root.is_dir() else path.name
            size = path.stat().st_size
            records.append({"input": root.name, "file": name, "size": size, "sha256": file_sha256(path, cache=cache)})
    return records


def input_hash(*parts: object) -> str:
    """sha256 of the JSON of everything a sample's outputs depend on (entry, settings, inputs, versions)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
