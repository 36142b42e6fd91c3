"""A fake Hugging Face Hub on :class:`tests.local_http.FakeServer`: the endpoints the installed client calls, in memory.

What ``huggingface_hub`` (``HfApi.create_repo``, ``create_commit``, ``repo_info``, ``list_repo_tree``,
``get_paths_info``, ``hf_hub_download``, ``snapshot_download``), timm's ``hf-hub:``, peft's ``from_pretrained`` and
``datasets.load_dataset`` send:

- ``POST /api/repos/create`` (``{"name", "organization", "visibility", "type"}``; 409 when it exists);
- ``POST /api/validate-yaml`` (the README front matter must be YAML);
- ``POST /api/{type}s/{repo}/preupload/{rev}``: every file is answered ``"regular"``, so no LFS or Xet transfer is
  needed and each file's bytes arrive inside the commit;
- ``POST /api/{type}s/{repo}/commit/{rev}``: the NDJSON commit (header, base64 ``file`` and ``deletedFile``
  lines); every file received is recorded in :attr:`FakeHub.uploads`;
- ``GET /api/{type}s/{repo}[/revision/{rev}]`` (info with ``sha`` and ``siblings``),
  ``GET /api/{type}s/{repo}/tree/{rev}[/{path}]`` and ``POST /api/{type}s/{repo}/paths-info/{rev}``;
- ``HEAD``/``GET /[datasets/]{repo}/resolve/{rev}/{path}`` with ``X-Repo-Commit``, ``ETag`` and Range support.

Write endpoints need ``Authorization: Bearer <token>``; private repositories need it for reads too (404 otherwise,
as the hub answers). Revisions are ``main`` or a full commit hash of the repository.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

from tests.local_http import FakeServer, Route, Seen

__all__ = ["FakeHub", "HubRepo", "Upload", "files_holding", "run_cli"]

_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
_API = re.compile(
    r"^/api/(models|datasets|spaces)/([^/]+/[^/]+)(?:/(revision|tree|preupload|commit|paths-info)(/.*)?)?$"
)
_RESOLVE = re.compile(r"^/(?:(datasets|spaces)/)?([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")


def git_blob_sha(content: bytes) -> str:
    """The git object id of a blob (what the hub calls a regular file's ``oid``)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


@dataclass
class Upload:
    """One file received in a commit."""

    repo_type: str
    repo_id: str
    path: str
    content: bytes


@dataclass
class HubRepo:
    """A repository: its commits (oldest first) and the files of each."""

    repo_type: str
    repo_id: str
    private: bool
    commits: list[str] = field(default_factory=list)
    snapshots: dict[str, dict[str, bytes]] = field(default_factory=dict)

    @property
    def head(self) -> str | None:
        """The newest commit on ``main``."""
        return self.commits[-1] if self.commits else None

    def files(self, revision: str = "main") -> dict[str, bytes] | None:
        """Files at ``main`` or at a commit hash; ``None`` for an unknown revision."""
        sha = self.head if revision == "main" else revision
        if sha is None:
            return {} if revision == "main" else None
        return self.snapshots.get(sha)


def _header(request: Seen, name: str) -> str | None:
    """A request header, whatever its case (httpx sends them lower-case)."""
    return next((v for k, v in request.headers.items() if k.lower() == name.lower()), None)


def _json(value: object, status: int = 200, headers: dict[str, str] | None = None) -> Route:
    return Route(
        body=json.dumps(value).encode(), status=status, headers={"Content-Type": "application/json"} | (headers or {})
    )


def _error(status: int, code: str, message: str) -> Route:
    headers = {"X-Error-Code": code, "X-Error-Message": message} if code else {"X-Error-Message": message}
    return _json({"error": message}, status, headers)


class FakeHub:
    """The hub's API over a :class:`FakeServer`; records uploads and the tokens that came with them.

    Parameters
    ----------
    server
        A running server; the hub becomes its ``app``.
    token
        The only token the hub accepts.
    """

    def __init__(self, server: FakeServer, token: str) -> None:
        self.server = server
        self.token = token
        self.repos: dict[tuple[str, str], HubRepo] = {}
        self.uploads: list[Upload] = []
        server.app = self.answer

    @property
    def endpoint(self) -> str:
        """The base URL (``HF_ENDPOINT``)."""
        return self.server.base

    def repo(self, repo_id: str, repo_type: str = "model") -> HubRepo:
        """A repository that exists (KeyError otherwise)."""
        return self.repos[(repo_type, repo_id)]

    def uploaded_paths(self, repo_id: str | None = None) -> list[str]:
        """Paths of every file received (optionally only for one repository), in arrival order."""
        return [u.path for u in self.uploads if repo_id is None or u.repo_id == repo_id]

    def authorizations(self) -> list[str]:
        """The Authorization header of every request that carried one."""
        return [auth for s in self.server.seen if (auth := _header(s, "Authorization")) is not None]

    # -- dispatch -------------------------------------------------------------------------------------------------
    def answer(self, request: Seen) -> Route | None:
        """Answer one request (``None``: 404 from the server)."""
        url = urlsplit(request.path)
        path, query = unquote(url.path), parse_qs(url.query)
        if path == "/api/repos/create" and request.method == "POST":
            return self._create(request)
        if path == "/api/validate-yaml" and request.method == "POST":
            return self._validate_yaml(request)
        if match := _API.match(path):
            kind, repo_id, action, rest = match.groups()
            return self._api(request, _TYPES[kind], repo_id, action, (rest or "").lstrip("/"), query)
        if (match := _RESOLVE.match(path)) and request.method in ("GET", "HEAD"):
            prefix, repo_id, revision, file_path = match.groups()
            return self._resolve(request, _TYPES[prefix] if prefix else "model", repo_id, revision, file_path)
        return None

    def _authorised(self, request: Seen) -> bool:
        return _header(request, "Authorization") == f"Bearer {self.token}"

    def _readable(self, request: Seen, repo_type: str, repo_id: str) -> HubRepo | None:
        repo = self.repos.get((repo_type, repo_id))
        if repo is None or (repo.private and not self._authorised(request)):
            return None
        return repo

    # -- write ------------------------------------------------------------------------------------------------
    def _create(self, request: Seen) -> Route:
        if not self._authorised(request):
            return _error(401, "", "Invalid credentials in Authorization header")
        payload = json.loads(request.body)
        repo_type = payload.get("type") or "model"
        repo_id = f"{payload['organization']}/{payload['name']}" if payload.get("organization") else payload["name"]
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        url = f"{self.endpoint}/{prefix}{repo_id}"
        if (repo_type, repo_id) in self.repos:
            return _json({"error": "You already created this repo", "url": url}, 409)
        self.repos[(repo_type, repo_id)] = HubRepo(repo_type, repo_id, private=payload.get("visibility") == "private")
        return _json({"url": url, "name": repo_id, "id": repo_id})

    def _validate_yaml(self, request: Seen) -> Route:
        content = json.loads(request.body)["content"]
        if content.startswith("---"):
            front = content.split("---", 2)[1]
            try:
                yaml.safe_load(front)
            except yaml.YAMLError as err:
                return _json({"errors": [{"message": str(err)}]}, 400)
        return _json({"errors": [], "warnings": []})

    def _api(
        self, request: Seen, repo_type: str, repo_id: str, action: str | None, rest: str, query: dict[str, list[str]]
    ) -> Route:
        write = action in ("preupload", "commit")
        if write and not self._authorised(request):
            return _error(401, "", "Invalid credentials in Authorization header")
        repo = self._readable(request, repo_type, repo_id)
        if repo is None:
            return _error(404, "RepoNotFound", f"Repository {repo_id} not found")
        revision, _, sub_path = rest.partition("/") if action in ("tree", "revision") else (rest, "", "")
        revision = revision or "main"
        if action == "commit":
            return self._commit(request, repo, revision)
        files = repo.files(revision)
        if files is None:
            return _error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        if action == "preupload":
            wanted = json.loads(request.body)["files"]
            answer = [
                {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                 "oid": git_blob_sha(files[f["path"]]) if f["path"] in files else None}
                for f in wanted
            ]  # fmt: skip
            return _json({"files": answer, "commitOid": repo.head})
        if action == "tree":
            recursive = query.get("recursive", ["False"])[0].lower() == "true"
            return _json(self._tree(files, sub_path, recursive=recursive))
        if action == "paths-info":
            paths = parse_qs(request.body.decode()).get("paths", [])
            listing = self._tree(files, "", recursive=True)
            return _json([entry for entry in listing if entry["path"] in paths])
        sha = repo.head if revision == "main" else revision
        siblings = [{"rfilename": p, "size": len(b), "blobId": git_blob_sha(b)} for p, b in sorted(files.items())]
        return _json({"id": repo_id, "sha": sha, "private": repo.private, "siblings": siblings, "tags": []})

    def _commit(self, request: Seen, repo: HubRepo, revision: str) -> Route:
        if revision != "main":
            return _error(400, "", "commits go to main in the fake hub")
        lines = [json.loads(line) for line in request.body.splitlines() if line.strip()]
        files = dict(repo.files("main") or {})
        digest = hashlib.sha1(repo.head.encode() if repo.head else b"", usedforsecurity=False)
        for line in lines:
            key, value = line["key"], line["value"]
            if key == "file":
                content = base64.b64decode(value["content"])
                files[value["path"]] = content
                self.uploads.append(Upload(repo.repo_type, repo.repo_id, value["path"], content))
                digest.update(value["path"].encode() + content)
            elif key == "deletedFile":
                files.pop(value["path"], None)
                digest.update(b"-" + value["path"].encode())
            elif key == "deletedFolder":
                folder = value["path"].rstrip("/") + "/"
                files = {p: b for p, b in files.items() if not p.startswith(folder)}
                digest.update(b"-" + folder.encode())
            elif key != "header":  # lfsFile: never asked for, since preupload answers "regular"
                return _error(400, "", f"unexpected commit line {key!r}")
        sha = digest.hexdigest()
        repo.commits.append(sha)
        repo.snapshots[sha] = files
        prefix = "" if repo.repo_type == "model" else f"{repo.repo_type}s/"
        return _json({"commitUrl": f"{self.endpoint}/{prefix}{repo.repo_id}/commit/{sha}", "commitOid": sha,
                      "pullRequestUrl": None})  # fmt: skip

    # -- read -------------------------------------------------------------------------------------------------
    @staticmethod
    def _tree(files: dict[str, bytes], sub_path: str, *, recursive: bool) -> list[dict[str, object]]:
        base = sub_path.strip("/")
        prefix = f"{base}/" if base else ""
        entries: dict[str, dict[str, object]] = {}
        for path, content in sorted(files.items()):
            if not path.startswith(prefix):
                continue
            parts = path[len(prefix) :].split("/")
            for depth in range(1, len(parts)):
                folder = prefix + "/".join(parts[:depth])
                if recursive or depth == 1:
                    entries.setdefault(
                        folder, {"type": "directory", "path": folder, "oid": git_blob_sha(folder.encode())}
                    )
                if not recursive:
                    break
            if recursive or len(parts) == 1:
                entries[path] = {"type": "file", "path": path, "size": len(content), "oid": git_blob_sha(content)}
        return list(entries.values())

    def _resolve(self, request: Seen, repo_type: str, repo_id: str, revision: str, path: str) -> Route:
        repo = self._readable(request, repo_type, repo_id)
        if repo is None:
            return _error(404, "RepoNotFound", f"Repository {repo_id} not found")
        files = repo.files(revision)
        if files is None:
            return _error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        sha = repo.head if revision == "main" else revision
        if path not in files:
            missing = {"X-Error-Code": "EntryNotFound", "X-Error-Message": f"{path} does not exist"}
            return Route(body=b"", status=404, headers=missing | ({"X-Repo-Commit": sha} if sha else {}))
        content = files[path]
        return Route(body=content, headers={"X-Repo-Commit": str(sha), "ETag": f'"{git_blob_sha(content)}"',
                                            "Accept-Ranges": "bytes"})  # fmt: skip


def run_cli(code: str, args: list[str], hub: FakeHub, *, token: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code ARGS`` in a fresh process against ``hub``, with the hub client's debug log on.

    A fresh process reads ``HF_ENDPOINT`` and the rest at import, as a user's shell would; ``HF_DEBUG`` makes the
    hub client log every request it sends (as a curl command), so the output holds everything it would print.
    """
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env |= {"PYTHONPATH": str(root), "HF_ENDPOINT": hub.endpoint, "HF_TOKEN": token, "HF_HOME": str(home)}
    env |= {"HF_HUB_OFFLINE": "0", "HF_DATASETS_OFFLINE": "0", "HF_DEBUG": "1", "HF_HUB_VERBOSITY": "debug"}
    command = [sys.executable, "-c", code, *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)


def files_holding(root: Path, needle: bytes) -> list[Path]:
    """Every regular file under ``root`` whose bytes contain ``needle``."""
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and needle in p.read_bytes()]
