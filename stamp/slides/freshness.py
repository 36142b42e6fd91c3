"""Whether a slide's features are up to date: same settings, same slide file, and both outputs whole.

The slide file is compared by size and mtime, then by sha256 when only the mtime moved (a touched or copied file
with the same content is still up to date). The outputs must both be there and intact
(:meth:`~stamp.slides.features.SlideFeatureFolder.damage`): a deleted or truncated ``.h5`` beside a finished
``.safetensors`` used to be skipped as up to date.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from humanst.slides import slide_id_of
from stamp.slides.features import SlideFeatureFolder

__all__ = ["Freshness", "check_freshness"]


@dataclass(frozen=True)
class Freshness:
    """The verdict on one slide: ``current``, the sha256 if it had to be computed, why it is redone if damaged."""

    current: bool
    sha256: str | None = None
    damage: str | None = None


def check_freshness(store: SlideFeatureFolder, path: Path, settings_hash: str) -> Freshness:
    """Decide whether the features of the slide at ``path`` are up to date in ``store`` (see the module docstring).

    Raises
    ------
    OSError
        The slide file cannot be read (the caller reports the slide as failed).
    """
    slide_id = slide_id_of(path)
    meta = store.meta(slide_id)
    if meta is None or meta.get("settings_hash") != settings_hash:
        leftovers = store.path(slide_id).exists() or store.h5_path(slide_id).exists()
        damage = store.damage(slide_id) if meta is None and leftovers else None
        return Freshness(current=False, damage=damage)
    stat = path.stat()
    if meta.get("slide_size") != str(stat.st_size):
        return Freshness(current=False)
    sha256 = None
    if meta.get("slide_mtime_ns") != str(stat.st_mtime_ns):
        from humanst.content_hash import file_sha256

        sha256 = file_sha256(path)  # touched or copied: same content is still up to date
        if meta.get("slide_sha256") != sha256:
            return Freshness(current=False, sha256=sha256)
    damage = store.damage(slide_id)
    return Freshness(current=damage is None, sha256=sha256, damage=damage)
