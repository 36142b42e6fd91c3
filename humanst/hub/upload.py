"""One push: create the repository (private unless asked otherwise) and commit exactly the given files to ``main``.

After a push the branch holds the pushed files and nothing else (files of an earlier push that are not in this one
are deleted in the same commit; the history keeps them). ``huggingface_hub`` chooses how each file travels
(inline, LFS or Xet); the commit hash it returns pins what was pushed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from humanst.errors import HubError
from humanst.hub.client import hub_api, hub_failure, repo_page, require_token, valid_repo_id

__all__ = ["PushResult", "push_files"]

_KEEP = (".gitattributes",)  # the hub writes it on creation; a push never deletes it


@dataclass(frozen=True)
class PushResult:
    """What a push did: the repository, the commit it made, its visibility, the files sent and deleted."""

    repo_id: str
    repo_type: str
    commit: str
    private: bool
    files: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def page(self) -> str:
        """The repository's page on the hub site."""
        return repo_page(self.repo_id, self.repo_type)


def push_files(repo_id: str, files: Mapping[str, Path], *, repo_type: str, private: bool, message: str) -> PushResult:
    """Commit ``files`` (path in the repository -> local file) to ``repo_id``, creating it first when needed.

    Parameters
    ----------
    repo_id
        ``ORG/NAME``.
    files
        Every file the branch should hold after the push.
    repo_type
        ``model`` or ``dataset``.
    private
        Create the repository private; an existing public repository is then refused (pass ``private=False``).
    message
        The commit message.

    Raises
    ------
    HubError
        No token, an invalid repository id, a public repository when ``private``, or a refused or failed call.
    """
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    valid_repo_id(repo_id)
    token = require_token()
    api = hub_api(token)
    where = f"pushing to {repo_type} repository '{repo_id}'"
    try:
        api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True)
        info = api.repo_info(repo_id, repo_type=repo_type)
    except Exception as err:
        raise hub_failure(err, where, token=token) from err
    if private and info.private is False:
        msg = (
            f"{where}: the repository exists and is public, and pushes are private by default; pass --public to "
            "push to it, or choose another --repo"
        )
        raise HubError(msg)
    existing = [s.rfilename for s in getattr(info, "siblings", None) or []]  # models and datasets list their files
    removed = tuple(p for p in existing if p not in files and p not in _KEEP)
    operations: list[CommitOperationAdd | CommitOperationDelete] = [
        CommitOperationAdd(path_in_repo=name, path_or_fileobj=str(path)) for name, path in sorted(files.items())
    ]
    operations += [CommitOperationDelete(path_in_repo=name) for name in removed]
    try:
        commit = api.create_commit(repo_id, operations, commit_message=message, repo_type=repo_type)
    except Exception as err:
        raise hub_failure(err, where, token=token) from err
    return PushResult(
        repo_id=repo_id,
        repo_type=repo_type,
        commit=str(commit.oid),
        private=bool(info.private),
        files=tuple(sorted(files)),
        removed=removed,
    )
