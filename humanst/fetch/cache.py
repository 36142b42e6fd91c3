"""Download cache layout and race-safe file helpers (temp names + ``os.replace``, no locks)."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from humanst.content_hash import file_md5, file_sha256

__all__ = [
    "default_cache_dir",
    "hf_cache_dir",
    "temp_sibling",
    "url_cache_path",
    "verified",
    "write_stamp",
]

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._+-]")


def default_cache_dir() -> Path:
    """Return the download cache: ``$HUMANST_CACHE`` when set, else ``~/.cache/humanst``."""
    env = os.environ.get("HUMANST_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "humanst"


def url_cache_path(cache_dir: Path, url: str) -> Path:
    """Return ``cache_dir/url/<sha256-of-url[:16]>/<filename>`` for a download URL."""
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    name = unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])
    name = _UNSAFE_NAME.sub("_", name).lstrip(".") or "download"
    return Path(cache_dir) / "url" / key / name


def hf_cache_dir(cache_dir: Path) -> Path:
    """Return the folder handed to ``huggingface_hub`` as its ``cache_dir`` (it manages the layout)."""
    return Path(cache_dir) / "hf"


def temp_sibling(path: Path, tag: str = "tmp") -> Path:
    """Return a unique hidden name beside ``path`` for this process (for write-then-``os.replace``)."""
    return path.with_name(f".{path.name}.{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _stamp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.verified")


def _read_stamp(path: Path, stat: os.stat_result) -> dict[str, str]:
    """Return the digests a stamp file records for ``path`` at its size and mtime (empty when stale or absent)."""
    try:
        fields = _stamp_path(path).read_text().split()
    except OSError:
        return {}
    if len(fields) < 3 or fields[1:3] != [str(stat.st_size), str(stat.st_mtime_ns)]:
        return {}
    return {"sha256": fields[0], **({"md5": fields[3]} if len(fields) > 3 else {})}


def verified(path: Path, *, sha256: str | None, size: int | None, md5: str | None = None) -> bool:
    """Return whether an existing file has the expected size, SHA-256 and MD5 (a stamp file skips re-hashing).

    Parameters
    ----------
    path
        The file to check.
    sha256
        Expected hex digest, or None to skip the checksum.
    size
        Expected size in bytes, or None to skip the size check.
    md5
        Expected hex MD5, or None to skip it.
    """
    try:
        stat = path.stat()
    except FileNotFoundError:
        return False
    if size is not None and stat.st_size != size:
        return False
    if sha256 is None and md5 is None:
        return True
    stamp = _read_stamp(path, stat)
    found_sha = stamp.get("sha256") or file_sha256(path)
    found_md5 = stamp.get("md5") or (file_md5(path) if md5 is not None else None)
    if (sha256 is not None and found_sha != sha256) or (md5 is not None and found_md5 != md5.lower()):
        return False
    write_stamp(path, found_sha, md5=found_md5)
    return True


def write_stamp(path: Path, sha256: str, *, md5: str | None = None) -> None:
    """Record that ``path`` (at its current size and mtime) has this SHA-256 (and MD5), so later checks skip hashing."""
    stat = path.stat()
    stamp = _stamp_path(path)
    tmp = temp_sibling(stamp)
    try:
        tmp.write_text(f"{sha256} {stat.st_size} {stat.st_mtime_ns}{f' {md5}' if md5 else ''}\n")
        tmp.replace(stamp)
    except OSError:
        tmp.unlink(missing_ok=True)
