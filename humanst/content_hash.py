"""Content hashes of input files, cached by (path, size, mtime, inode) so an unchanged file is read once.

A sample's build is skipped on rerun when its inputs did not change. Size and mtime alone say a file changed
when it was merely rewritten with the same bytes (``humanst synth`` again, a copy, a fresh checkout), so the
fingerprint is the sha256 of the content; the cache makes that cheap: a file whose size, mtime and inode
match its cache entry is not read again. Entries are small JSON files, one per path, written atomically
(parallel workers never share one).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from humanst.atomic import atomic_write_text

__all__ = ["file_md5", "file_sha256", "hash_cache_dir"]

CHUNK = 1 << 20


def hash_cache_dir(cache_dir: Path) -> Path:
    """Where content hashes are cached inside a humanst cache folder (``--cache``)."""
    return Path(cache_dir) / "content-hashes"


def _chunked(path: Path, digest: hashlib._Hash) -> str:
    """Feed a file to ``digest`` in 1 MiB chunks; return the hex digest (the one chunked hashing loop)."""
    with Path(path).open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_md5(path: Path) -> str:
    """Return the hex MD5 of a file (for sources that publish only MD5, such as NCI GDC)."""
    return _chunked(path, hashlib.md5(usedforsecurity=False))


def file_sha256(path: Path, *, cache: Path | None = None) -> str:
    """Return the hex sha256 of a file's content; with ``cache``, read again only when size, mtime or inode changed."""
    path = Path(path).resolve()
    stat = path.stat()
    key = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "inode": stat.st_ino}
    entry = Path(cache) / f"{hashlib.sha1(str(path).encode()).hexdigest()}.json" if cache is not None else None
    if entry is not None:
        try:
            doc = json.loads(entry.read_text(encoding="utf-8"))
            if doc.get("path") == str(path) and all(doc.get(k) == v for k, v in key.items()):
                return str(doc["sha256"])
        except (OSError, ValueError, KeyError):
            pass
    sha = _chunked(path, hashlib.sha256())
    if entry is not None:
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(entry, json.dumps({"path": str(path), **key, "sha256": sha}))
        except OSError:
            pass  # a read-only cache only costs a re-read next time
    return sha
