"""The Hugging Face Hub: endpoint, token and errors shared by every exchange; pushes of files and of atlases."""

from __future__ import annotations

from humanst.hub.client import hub_api, hub_endpoint, hub_failure, redact, repo_page, require_token, valid_repo_id
from humanst.hub.push_atlas import AtlasPush, push_atlas, restricted_samples
from humanst.hub.upload import PushResult, push_files

__all__ = [
    "AtlasPush",
    "PushResult",
    "hub_api",
    "hub_endpoint",
    "hub_failure",
    "push_atlas",
    "push_files",
    "redact",
    "repo_page",
    "require_token",
    "restricted_samples",
    "valid_repo_id",
]
