"""One unit of build work: a sample entry with the atlas, folders and settings it is built with (picklable)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from humanst.builder.settings import BuildSettings
from humanst.manifest import SampleEntry
from humanst.store.atlas import Atlas

__all__ = ["SampleTask"]


@dataclass(frozen=True)
class SampleTask:
    """One unit of work: build one sample of the manifest into the atlas."""

    entry: SampleEntry
    atlas: Atlas
    data_root: Path
    cache_dir: Path
    settings: BuildSettings
    force: bool = False
    allow_absolute_paths: bool = False  # absolute 'path' sources accepted (--allow-absolute-paths)
