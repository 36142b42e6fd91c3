"""What every exchange with the Hugging Face Hub shares: the endpoint, repository ids, the token and error lines.

The endpoint is ``$HF_ENDPOINT`` read at call time (``huggingface_hub`` reads it once, at import), else the
library's own. The token comes from where ``huggingface_hub`` keeps it (``HF_TOKEN``, then ``hf auth login``); it is
sent only as the Authorization header and never printed: :func:`hub_failure` removes it from any message.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from humanst.errors import HubError

if TYPE_CHECKING:
    from huggingface_hub import HfApi

__all__ = [
    "HUB_SITE",
    "hub_api",
    "hub_endpoint",
    "hub_failure",
    "redact",
    "repo_page",
    "require_token",
    "valid_repo_id",
]

HUB_SITE = "https://huggingface.co"  # where terms are accepted and tokens made (the endpoint may be a mirror)
_REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
_AUTH_FIX = "log in with `hf auth login` or set HF_TOKEN to a token with write access, then run again"


def hub_endpoint() -> str:
    """Return the hub's base URL: ``$HF_ENDPOINT`` now, else ``huggingface_hub.constants.ENDPOINT``."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def valid_repo_id(text: str, *, flag: str = "--repo") -> str:
    """Return ``text`` when it is a hub repository id ``ORG/NAME``; raise naming ``flag`` otherwise."""
    if not _REPO_ID.fullmatch(text) or ".." in text or text.endswith((".git", ".")):
        msg = (
            f"{flag} {text!r} is not a hub repository id: expected ORG/NAME (your user name or an organisation, a "
            "slash, then letters, digits, '-', '_' or '.'), e.g. my-lab/stamp-uni-breast"
        )
        raise HubError(msg)
    return text


def repo_page(repo_id: str, repo_type: str = "model") -> str:
    """Return the repository's page on the hub site."""
    prefix = "" if repo_type == "model" else f"{repo_type}s/"
    return f"{HUB_SITE}/{prefix}{repo_id}"


def require_token() -> str:
    """Return the token ``huggingface_hub`` would send, or raise saying how to log in (never shows the token)."""
    from huggingface_hub import get_token

    token = get_token()
    if not token:
        msg = f"no Hugging Face token found (HF_TOKEN unset and no `hf auth login`); {_AUTH_FIX}"
        raise HubError(msg)
    return token


def hub_api(token: str | None = None) -> HfApi:
    """Return an ``HfApi`` on :func:`hub_endpoint` (with ``token``, else the stored one)."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub_endpoint(), token=token)


def redact(text: str, token: str | None) -> str:
    """``text`` with the token replaced by ``***``."""
    return text.replace(token, "***") if token else text


def hub_failure(err: Exception, what: str, *, token: str | None = None) -> HubError:
    """Return the one-line :class:`HubError` for a failed hub call; ``what`` names the action and repository.

    Parameters
    ----------
    err
        What ``huggingface_hub`` (or the network) raised.
    what
        The action, e.g. ``"pushing to model repository 'org/name'"``.
    token
        The token in use, removed from the message.
    """
    from huggingface_hub import constants
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    status = getattr(getattr(err, "response", None), "status_code", None)
    first_line = redact(str(err), token).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if isinstance(err, OfflineModeIsEnabled) or constants.is_offline_mode():
        text = "offline mode is on (HF_HUB_OFFLINE=1); unset HF_HUB_OFFLINE and run again"
    elif status == 401:
        text = f"the hub refused the token (HTTP 401: invalid or expired); {_AUTH_FIX}"
    elif status == 403:
        text = (
            "the token may not write there (HTTP 403); use a token with write access to that namespace, or a "
            "--repo under your own user name or an organisation you belong to"
        )
    elif isinstance(err, HfHubHTTPError):
        text = f"the hub answered HTTP {status}: {first_line}. Run again; if it persists, check the hub status"
    else:
        text = f"could not reach the hub at {hub_endpoint()} ({first_line}); check the network, proxy and HF_ENDPOINT"
    return HubError(f"{what}: {text}")
