"""``hf`` sources: a file from a Hugging Face hub repository at a pinned revision, via ``hf_hub_download``.

``huggingface_hub`` is imported inside the functions so that ``import humanst.fetch`` stays light. The endpoint is
:func:`humanst.hub.hub_endpoint` (``$HF_ENDPOINT`` read at call time); offline mode is the library's own
``HF_HUB_OFFLINE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from humanst.content_hash import file_sha256
from humanst.errors import FetchError
from humanst.fetch.cache import hf_cache_dir

if TYPE_CHECKING:
    from humanst.fetch.http import Progress
    from humanst.manifest.models import HfSource

__all__ = ["fetch_hf", "hub_page"]

_AUTH_STATUS = frozenset({401, 403})


def hub_page(source: HfSource) -> str:
    """Return the repository's page on the hub, where gated terms are accepted."""
    from humanst.hub.client import repo_page

    return repo_page(source.repo, source.repo_type)


def fetch_hf(
    source: HfSource,
    *,
    cache_dir: Path,
    sha256: str | None = None,
    size: int | None = None,
    sample_id: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Download one hub file at its pinned revision into ``cache_dir/hf`` (or find it there) and return its path.

    Parameters
    ----------
    source
        Repository, file path, revision and repository type.
    cache_dir
        The humanst cache; ``huggingface_hub`` manages ``cache_dir/hf``.
    sha256
        Expected hex SHA-256 of the file, or None to skip the checksum.
    size
        Expected size in bytes, or None to skip the size check.
    sample_id
        The sample the file belongs to, named in errors.
    progress
        Optional ``progress(label, done_bytes, total_bytes_or_None)`` callback.

    Raises
    ------
    FetchError
        When the repository is gated or private, the repository, revision or file does not exist, offline mode is on
        and the file is not cached, the hub cannot be reached, or the file fails its size or checksum.
    """
    from huggingface_hub import hf_hub_download

    from humanst.hub.client import hub_endpoint

    endpoint = hub_endpoint()
    label = f"{source.repo}/{source.path}"
    try:
        local = hf_hub_download(
            source.repo,
            source.path,
            revision=source.revision,
            repo_type=source.repo_type,
            cache_dir=hf_cache_dir(cache_dir),
            endpoint=endpoint,
            tqdm_class=None if progress is None else _progress_bar_class(progress, label),
        )
    except Exception as err:
        raise _translate(err, source, endpoint=endpoint, sample_id=sample_id) from err
    path = Path(local)
    _verify(path, source, sha256=sha256, size=size, sample_id=sample_id)
    return path


def _where(source: HfSource) -> str:
    return f"{source.repo_type} repository '{source.repo}' (file '{source.path}', revision '{source.revision}')"


def _translate(err: Exception, source: HfSource, *, endpoint: str, sample_id: str | None) -> Exception:
    """Return the FetchError that explains a ``hf_hub_download`` failure (or ``err`` itself when unknown)."""
    from huggingface_hub import constants
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    where = _where(source)
    cause = err.__cause__ if isinstance(err, LocalEntryNotFoundError) and err.__cause__ is not None else err
    status = getattr(getattr(cause, "response", None), "status_code", None)
    if isinstance(cause, GatedRepoError) or (isinstance(cause, HfHubHTTPError) and status in _AUTH_STATUS):
        msg = (
            f"the {where} is gated or needs a login (HTTP {status}). Accept its terms at {hub_page(source)}, then "
            "run `hf auth login` or set the HF_TOKEN environment variable, and run again."
        )
    elif isinstance(cause, RevisionNotFoundError):
        msg = f"the {where}: revision '{source.revision}' does not exist. Check 'revision' in the manifest."
    elif isinstance(cause, RepositoryNotFoundError):
        msg = (
            f"the {where} does not exist or is private. Check 'repo' and 'repo_type' in the manifest; for a private "
            "repository run `hf auth login` or set HF_TOKEN."
        )
    elif isinstance(cause, EntryNotFoundError) and not isinstance(cause, LocalEntryNotFoundError):
        msg = f"the {where}: no such file at that revision. Check 'path' and 'revision' in the manifest."
    elif isinstance(err, LocalEntryNotFoundError | OfflineModeIsEnabled) and constants.is_offline_mode():
        msg = (
            f"the {where} is not in the cache and offline mode is on (HF_HUB_OFFLINE=1). Unset HF_HUB_OFFLINE to "
            "download it, or run once online to fill the cache."
        )
    elif isinstance(err, LocalEntryNotFoundError | OfflineModeIsEnabled):
        msg = (
            f"the {where} could not be reached at {endpoint} and is not in the cache ({cause}). Check the network, "
            "proxy and HF_ENDPOINT, then run again."
        )
    elif isinstance(err, HfHubHTTPError | OSError):
        msg = f"downloading the {where} from {endpoint} failed: {err}. Run again; if it persists, check the hub status."
    else:
        return err
    return FetchError(msg, sample_id=sample_id, path=source.path)


def _verify(path: Path, source: HfSource, *, sha256: str | None, size: int | None, sample_id: str | None) -> None:
    found_size = path.stat().st_size
    problem = None
    if size is not None and found_size != size:
        problem = f"expected {size} bytes (manifest 'size'), found {found_size}"
    elif sha256 is not None and path.resolve().name != sha256:  # LFS blobs are named by their SHA-256
        digest = file_sha256(path)
        if digest != sha256:
            problem = f"expected sha256 {sha256}, found {digest}"
    if problem is not None:
        msg = (
            f"the {_where(source)} failed verification: {problem}. The file may have changed upstream; pin "
            "'revision' to a commit hash, or update 'size' and 'sha256' in the manifest if the new file is right."
        )
        raise FetchError(msg, sample_id=sample_id, path=source.path)


def _progress_bar_class(progress: Progress, label: str) -> type:
    """Return a silent ``tqdm`` class that forwards byte counts to ``progress``."""
    from tqdm import tqdm

    class _Forward(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self._done_bytes = int(kwargs.get("initial") or 0)
            self._total_bytes = kwargs.get("total")

        def update(self, n: float | None = 1) -> bool | None:
            self._done_bytes += int(n or 0)
            progress(label, self._done_bytes, self._total_bytes)
            return super().update(n)

    return _Forward
