"""What a submission's files may be, checked before any content is read: data only, bounded, no pickles.

Regular files only (no links), safe names (no ``..``, no separators), allowed suffixes, size limits, no pickle
or zip magic bytes; a safetensors header is parsed as JSON with its length bounded.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from benchmarks.errors import SubmissionError
from humanst.content_hash import file_sha256

__all__ = [
    "SubmissionLimits",
    "check_file",
    "check_files",
    "digest_all",
    "file_digest",
    "safe_name",
    "safetensors_header",
    "with_meta",
]

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
ALLOWED_SUFFIXES = {".json", ".safetensors", ".parquet"}
PICKLE_SUFFIXES = {".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".bin", ".joblib", ".npy", ".npz"}
MAGIC = {b"\x80": "a Python pickle", b"PK\x03\x04": "a zip archive (torch.save / npz)", b"\x93NUMPY": "a numpy file"}


@dataclass(frozen=True)
class SubmissionLimits:
    """Size limits of a submission, in bytes."""

    max_file_bytes: int = 1 << 30
    max_total_bytes: int = 4 << 30
    max_json_bytes: int = 8 << 20
    max_header_bytes: int = 64 << 20


def safe_name(name: str, *, where: Path) -> str:
    """Return ``name`` if it is a plain file name; refuse ``..``, separators and odd characters."""
    if ".." in name or "/" in name or "\\" in name or not SAFE_NAME.match(name):
        msg = (
            f"unsafe name {name!r}: names must be plain file names matching {SAFE_NAME.pattern} "
            "(no '..', no path separators); rename the file"
        )
        raise SubmissionError(msg, path=where)
    return name


def check_files(folder: Path, limits: SubmissionLimits) -> list[Path]:
    """Check every entry of a submission folder before reading any content; return the files.

    Raises
    ------
    SubmissionError
        A link, a sub-folder, an unsafe name, a pickle-like suffix or magic bytes, a suffix that is not
        data, or a file or total size over the limits.
    """
    files, total = [], 0
    for entry in sorted(Path(folder).iterdir()):
        total += check_file(entry, limits)
        files.append(entry)
    if total > limits.max_total_bytes:
        msg = f"submission holds {total} bytes, over the {limits.max_total_bytes}-byte total limit"
        raise SubmissionError(msg, path=folder)
    return files


def check_file(entry: Path, limits: SubmissionLimits) -> int:
    """Check one file of a submission before its content is read (see :func:`check_files`); return its size.

    Raises
    ------
    SubmissionError
        A link, not a regular file (or missing), an unsafe name, a pickle-like suffix or magic bytes, a suffix that
        is not data, or a size over the limit.
    """
    safe_name(entry.name, where=entry)
    if entry.is_symlink() or not entry.is_file():
        msg = "only regular files are accepted (no links, no folders); copy the data in"
        raise SubmissionError(msg, path=entry)
    suffix = entry.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        msg = f"'{suffix}' files can hold pickled code and are refused; submit safetensors, JSON or parquet"
        raise SubmissionError(msg, path=entry)
    if suffix not in ALLOWED_SUFFIXES:
        msg = f"suffix '{suffix}' is not a data format we accept; allowed: {sorted(ALLOWED_SUFFIXES)}"
        raise SubmissionError(msg, path=entry)
    size = entry.stat().st_size
    limit = limits.max_json_bytes if suffix == ".json" else limits.max_file_bytes
    if size > limit:
        msg = f"file is {size} bytes, over the {limit}-byte limit for '{suffix}' files"
        raise SubmissionError(msg, path=entry)
    with entry.open("rb") as handle:
        head = handle.read(9)
    if suffix == ".safetensors" and len(head) == 9 and head[8:9] == b"{":
        head = b""  # a safetensors header (8-byte length, then JSON): its length bytes are not magic
    for magic, what in MAGIC.items():
        if head.startswith(magic):
            msg = f"content is {what} whatever its name; pickles and archives are refused, submit data"
            raise SubmissionError(msg, path=entry)
    return size


def safetensors_header(path: Path, limits: SubmissionLimits) -> dict[str, object]:
    """Parse a safetensors file's JSON header (length bounded); refuse anything that is not one."""
    with path.open("rb") as handle:
        raw = handle.read(8)
        if len(raw) < 8:
            msg = "too short to be a safetensors file"
            raise SubmissionError(msg, path=path)
        (length,) = struct.unpack("<Q", raw)
        if length > min(limits.max_header_bytes, path.stat().st_size - 8):
            msg = f"safetensors header claims {length} bytes (limit {limits.max_header_bytes}); not a valid file"
            raise SubmissionError(msg, path=path)
        try:
            header = json.loads(handle.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            msg = "safetensors header is not JSON; write the file with safetensors.numpy.save_file"
            raise SubmissionError(msg, path=path) from exc
    if not isinstance(header, dict):
        msg = "safetensors header is not a JSON object"
        raise SubmissionError(msg, path=path)
    return header


def with_meta(path: Path, meta: dict[str, str], out: Path) -> Path:
    """Re-write a submitted tensor with the cache metadata (data copied as numbers, never executed)."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file, save_file

    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        msg = f"not a readable safetensors file ({exc})"
        raise SubmissionError(msg, path=path) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out), metadata=meta)
    return out


def file_digest(path: Path) -> str:
    """Return the sha256 of a file (:func:`humanst.content_hash.file_sha256`)."""
    return file_sha256(path)


def digest_all(paths: list[Path]) -> str:
    """One digest over the names and contents of a submission's files."""
    return hashlib.sha256("\n".join(f"{p.name}\t{file_digest(p)}" for p in paths).encode()).hexdigest()
