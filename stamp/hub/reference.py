"""``hf:ORG/NAME[@REVISION]``: the one parser of hub references, and the download that pins them to a commit.

Wherever a run folder is accepted (``--adapter`` of ``stamp embed``, ``stamp embed-slides`` and ``stamp-bench run``;
:func:`stamp.load_encoder`), ``hf:ORG/NAME`` names a repository pushed by ``stamp push``. It is downloaded into
the Hugging Face hub cache (``snapshot_download``; offline, a cached snapshot is used) and resolved to the commit
it is at, so provenance can name exactly what was used: ``hf:ORG/NAME@<commit>`` reproduces it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from humanst.errors import HubError
from humanst.hub import hub_endpoint, hub_failure, repo_page, valid_repo_id

__all__ = ["HUB_PREFIX", "HubSnapshot", "fetch_hub_snapshot", "is_hub_reference"]

HUB_PREFIX = "hf:"
_COMMIT = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class HubSnapshot:
    """A hub repository downloaded at one commit: where it lies in the hub cache and what was asked for."""

    repo_id: str
    revision: str | None  # as asked (None: the default branch)
    commit: str
    folder: Path

    @property
    def pinned(self) -> str:
        """The reference pinned to the commit: ``hf:ORG/NAME@<commit>``."""
        return f"{HUB_PREFIX}{self.repo_id}@{self.commit}"


def is_hub_reference(value: object) -> bool:
    """Whether ``value`` is a string naming a hub repository (``hf:...``)."""
    return isinstance(value, str) and value.startswith(HUB_PREFIX)


def fetch_hub_snapshot(reference: str, *, flag: str = "--adapter") -> HubSnapshot:
    """Parse ``hf:ORG/NAME[@REVISION]``, download the repository into the hub cache, return its folder and commit.

    Parameters
    ----------
    reference
        ``hf:ORG/NAME`` (default branch) or ``hf:ORG/NAME@REVISION`` (a branch, tag or commit hash).
    flag
        The option or argument that gave it, named in errors.

    Raises
    ------
    HubError
        A malformed reference, a repository or revision that does not exist or cannot be seen with the token, a
        gated repository, offline mode with nothing cached, or an unreachable hub.
    """
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if not is_hub_reference(reference):
        expected = f"{HUB_PREFIX}ORG/NAME or {HUB_PREFIX}ORG/NAME@REVISION"
        msg = f"{flag} {reference!r} is not a hub reference; expected {expected}"
        raise HubError(msg)
    repo_id, _, revision = reference.removeprefix(HUB_PREFIX).partition("@")
    valid_repo_id(repo_id, flag=flag)
    if "@" in reference and not revision:
        msg = f"{flag} {reference!r}: empty revision after '@'; give a branch, tag or commit hash, or drop the '@'"
        raise HubError(msg)
    where = f"{flag} {reference!r}"
    try:
        folder = Path(snapshot_download(repo_id, revision=revision or None, endpoint=hub_endpoint()))
    except GatedRepoError as err:
        msg = f"{where}: the repository is gated; accept its terms at {repo_page(repo_id)}, then log in"
        raise HubError(msg) from err
    except RevisionNotFoundError as err:
        msg = f"{where}: revision {revision!r} does not exist in '{repo_id}'; give a branch, tag or commit hash of it"
        raise HubError(msg) from err
    except RepositoryNotFoundError as err:
        msg = (
            f"{where}: repository '{repo_id}' does not exist, or is private and the token cannot see it; check the "
            "name, or log in with `hf auth login` (or set HF_TOKEN)"
        )
        raise HubError(msg) from err
    except LocalEntryNotFoundError as err:
        if not constants.is_offline_mode():
            raise hub_failure(err, f"downloading {where}") from err
        msg = (
            f"{where}: not in the hub cache and offline mode is on (HF_HUB_OFFLINE=1); unset HF_HUB_OFFLINE to "
            "download it, or run once online to fill the cache"
        )
        raise HubError(msg) from err
    except Exception as err:
        raise hub_failure(err, f"downloading {where}") from err
    if not _COMMIT.fullmatch(folder.name):
        msg = f"{where}: the hub cache gave '{folder}', not a snapshot named by its commit; clear it and run again"
        raise HubError(msg)
    return HubSnapshot(repo_id=repo_id, revision=revision or None, commit=folder.name, folder=folder)
