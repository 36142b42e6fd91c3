"""``path`` sources: files or folders already on disk, resolved against the data root (never copied)."""

from __future__ import annotations

from pathlib import Path

from humanst.errors import FetchError

__all__ = ["resolve_local"]


def resolve_local(path: str, *, data_root: Path, sample_id: str | None = None) -> Path:
    """Return the local file or folder a manifest ``path`` names; relative paths resolve against ``data_root``.

    Parameters
    ----------
    path
        The manifest's ``path`` (absolute, ``~``-prefixed, or relative to ``data_root``).
    data_root
        The folder relative paths start from (``--data-root``, by default the manifest's folder).
    sample_id
        The sample the file belongs to, named in errors.

    Raises
    ------
    FetchError
        When nothing exists at the resolved path.
    """
    given = Path(path).expanduser()
    resolved = given if given.is_absolute() else Path(data_root) / given
    if not resolved.exists():
        where = "" if given.is_absolute() else f" (relative to the data root '{data_root}')"
        msg = (
            f"the local path does not exist{where}. Check the sample's 'path' in the manifest, or pass the folder "
            "that holds the raw files with --data-root."
        )
        raise FetchError(msg, sample_id=sample_id, path=resolved)
    return resolved
