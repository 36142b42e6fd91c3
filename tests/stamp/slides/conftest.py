"""Helpers of the slide-embedding tests: copies of the session's synthetic slides under distinct names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def slide_dir(synthetic_slides, tmp_path: Path) -> Path:
    """A folder with four readable slides (two ids per source file) for one test to embed, kill, resume."""
    folder = tmp_path / "slides"
    folder.mkdir()
    for name, key in (("a", "pyr05"), ("b", "svs025"), ("c", "pyr05"), ("d", "ome05")):
        source = Path(synthetic_slides[key])
        suffix = "".join(source.suffixes)
        shutil.copy(source, folder / f"{name}{suffix}")
    return folder
