"""HTTP(S) downloads with resume, retries with backoff, size/SHA-256/MD5 checks and an atomic rename.

Uses the standard library (``urllib.request``): it streams, sends ``Range`` headers and follows redirects, and it
keeps the project free of a direct HTTP-client dependency (``requests``/``httpx`` only arrive transitively).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from humanst.errors import FetchError
from humanst.fetch.cache import temp_sibling, verified, write_stamp

__all__ = ["Progress", "fetch_url"]

Progress = Callable[[str, int, int | None], None]
"""``progress(label, done_bytes, total_bytes_or_None)``, called as bytes arrive."""

logger = logging.getLogger("humanst")

_CHUNK_BYTES = 1 << 20
_MAX_RETRY_AFTER_S = 30.0
_RETRY_STATUS = frozenset({408, 429})
_PARTIAL = 206
_RANGE_NOT_SATISFIABLE = 416
_NOT_FOUND = 404
_SERVER_ERROR = 500
_USER_AGENT = "humanst-fetch/1 (+https://github.com/humanst)"


class _Transient(Exception):
    """A failure worth retrying (connection, timeout, truncated body, 5xx, 408/429)."""


class _Restart(Exception):
    """The partial file cannot be resumed (server refused the range); start again from byte 0."""


class _Digests:
    """SHA-256 and MD5 of the bytes seen so far (MD5 because APIs such as NCI GDC publish only that)."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)

    def update(self, chunk: bytes) -> None:
        self.sha256.update(chunk)
        self.md5.update(chunk)


def fetch_url(
    url: str,
    dest: Path,
    *,
    sha256: str | None,
    size: int | None,
    md5: str | None = None,
    retries: int = 4,
    backoff_s: float = 0.5,
    timeout_s: float = 60,
    sample_id: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Download ``url`` to ``dest`` (resumable, retried, verified, renamed into place) and return ``dest``.

    Parameters
    ----------
    url
        HTTP(S) (or FTP, without resume) address of the file.
    dest
        Final path; the partial download lives at ``dest`` + ``.part`` between runs.
    sha256
        Expected hex SHA-256, or None to skip the checksum.
    size
        Expected size in bytes, or None to skip the size check.
    md5
        Expected hex MD5 (what NCI GDC publishes as ``md5sum``), or None to skip it.
    retries
        How many times a transient failure (connection, timeout, 5xx, 408, 429) is retried.
    backoff_s
        First wait between attempts; doubled after each failure.
    timeout_s
        Socket timeout of each request.
    sample_id
        The sample the file belongs to, named in errors.
    progress
        Optional ``progress(label, done_bytes, total_bytes_or_None)`` callback.

    Raises
    ------
    FetchError
        When the URL is not found, the server refuses the request, all retries fail, or the size or a checksum
        differs from the manifest.
    """
    dest = Path(dest)
    if dest.is_file():
        if verified(dest, sha256=sha256, size=size, md5=md5):
            logger.debug("%s is cached and verified; not downloading again", dest)
            return dest
        logger.warning("cached file %s does not match the manifest's size/sha256; downloading it again", dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_suffix(dest.suffix + ".part")
    work = temp_sibling(dest, "part")
    with contextlib.suppress(FileNotFoundError):
        part.replace(work)  # claim the resumable partial file; a concurrent fetcher that loses starts from 0
    try:
        digests, n_bytes = _download(
            url,
            work,
            retries=retries,
            backoff_s=backoff_s,
            timeout_s=timeout_s,
            dest=dest,
            sample_id=sample_id,
            progress=progress,
        )
    except BaseException:
        if work.exists():
            work.replace(part)  # keep what arrived so the next run resumes
        raise
    found = {"sha256": digests.sha256.hexdigest(), "md5": digests.md5.hexdigest()}
    _check(url, work, dest, found=found, n_bytes=n_bytes, expected={"sha256": sha256, "md5": md5}, size=size,
           sample_id=sample_id)  # fmt: skip
    work.replace(dest)
    write_stamp(dest, found["sha256"], md5=found["md5"])
    return dest


def _check(
    url: str,
    work: Path,
    dest: Path,
    *,
    found: dict[str, str],
    n_bytes: int,
    expected: dict[str, str | None],
    size: int | None,
    sample_id: str | None,
) -> None:
    problem = None
    if size is not None and n_bytes != size:
        problem = f"expected {size} bytes (manifest 'size'), found {n_bytes}"
    for kind, want in expected.items():
        if problem is None and want is not None and found[kind] != want.lower():
            problem = f"expected {kind} {want}, found {found[kind]}"
    if problem is None:
        return
    work.unlink(missing_ok=True)
    msg = (
        f"the download from {url} failed verification: {problem}. The file may have changed upstream; check the "
        "source and, if the new file is right, update its 'size' and checksum where it is recorded, then run again."
    )
    raise FetchError(msg, sample_id=sample_id, path=dest)


def _download(
    url: str,
    work: Path,
    *,
    retries: int,
    backoff_s: float,
    timeout_s: float,
    dest: Path,
    sample_id: str | None,
    progress: Progress | None,
) -> tuple[_Digests, int]:
    """Stream ``url`` into ``work`` (resuming what it holds); return its digests and size."""
    label = dest.name
    digest, offset = _resume_state(work)
    attempt = 0
    while True:
        attempt += 1
        try:
            digest, offset = _attempt(url, work, digest, offset, timeout_s=timeout_s, progress=progress, label=label)
            return digest, offset
        except _Restart as restart:
            logger.info("%s: %s; downloading %s from the start", label, restart, url)
            work.unlink(missing_ok=True)
            wait_s: float | None = 0.0
            cause = str(restart)
        except urllib.error.HTTPError as err:
            _raise_if_final(url, err, dest=dest, sample_id=sample_id)
            cause = f"HTTP {err.code} {err.reason}"
            wait_s = _retry_after(err)
        except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException, _Transient) as err:
            cause = f"{type(err).__name__}: {getattr(err, 'reason', err)}"
            wait_s = None
        digest, offset = _resume_state(work)  # re-read: the failed attempt may have restarted the file
        if attempt > retries:
            kept = f"; the {offset} bytes received so far are kept and the download resumes" if offset else ""
            msg = (
                f"could not download {url} after {attempt} attempts; last error: {cause}. Check the network and the "
                f"URL, then run again{kept}."
            )
            raise FetchError(msg, sample_id=sample_id, path=dest)
        delay_s = backoff_s * 2 ** (attempt - 1) if wait_s is None else wait_s
        logger.warning("%s: %s (attempt %d of %d); retrying in %.1f s", label, cause, attempt, retries + 1, delay_s)
        time.sleep(delay_s)


def _resume_state(work: Path) -> tuple[_Digests, int]:
    digest = _Digests()
    offset = 0
    if work.exists():
        with work.open("rb") as fh:
            while chunk := fh.read(_CHUNK_BYTES):
                digest.update(chunk)
                offset += len(chunk)
    return digest, offset


def _attempt(
    url: str,
    work: Path,
    digest: _Digests,
    offset: int,
    *,
    timeout_s: float,
    progress: Progress | None,
    label: str,
) -> tuple[_Digests, int]:
    """Make one request and stream the body into ``work``; return the digest and size of ``work``."""
    headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as err:
        if err.code == _RANGE_NOT_SATISFIABLE and offset:
            err.close()
            msg = "the server cannot resume from the partial file (HTTP 416)"
            raise _Restart(msg) from err
        raise
    with response:
        status = getattr(response, "status", None) or 200  # FTP responses carry no status
        if offset and status == _PARTIAL:
            start = _content_range_start(response.headers.get("Content-Range"))
            if start != offset:
                msg = f"the server answered a range starting at {start}, not at byte {offset}"
                raise _Restart(msg)
        elif offset:
            logger.info("%s: the server ignored the Range request (HTTP %s); downloading from the start", label, status)
            digest, offset = _Digests(), 0
        length = _int_or_none(response.headers.get("Content-Length"))
        total = None if length is None else offset + length
        received = 0
        with work.open("ab" if offset else "wb") as out:
            while chunk := response.read(_CHUNK_BYTES):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if progress is not None:
                    progress(label, offset + received, total)
        if length is not None and received < length:
            msg = f"connection closed after {received} of {length} bytes"
            raise _Transient(msg)
        return digest, offset + received


def _content_range_start(value: str | None) -> int | None:
    # "bytes 100-199/200"
    if not value or not value.startswith("bytes "):
        return None
    first, _, _ = value[6:].partition("-")
    return _int_or_none(first)


def _int_or_none(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def _retry_after(err: urllib.error.HTTPError) -> float | None:
    seconds = _int_or_none(err.headers.get("Retry-After") if err.headers else None)
    err.close()
    if seconds is None or seconds < 0 or seconds > _MAX_RETRY_AFTER_S:
        return None
    return float(seconds)


def _raise_if_final(url: str, err: urllib.error.HTTPError, *, dest: Path, sample_id: str | None) -> None:
    if err.code >= _SERVER_ERROR or err.code in _RETRY_STATUS:
        return
    err.close()
    if err.code == _NOT_FOUND:
        msg = f"{url} was not found (HTTP 404). Check the sample's 'url' in the manifest; the file may have moved."
    elif err.code in {401, 403}:
        msg = (
            f"{url} refused access (HTTP {err.code} {err.reason}). The file may need a login or accepted terms; "
            "download it by hand and list it as a 'path' in the manifest."
        )
    else:
        msg = f"{url} answered HTTP {err.code} {err.reason}. Check the sample's 'url' in the manifest."
    raise FetchError(msg, sample_id=sample_id, path=dest) from err
