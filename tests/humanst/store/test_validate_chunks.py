"""``humanst validate`` accounts for every chunk: a deleted one is named by a listing, a corrupt one by ``--deep``."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from humanst.cli import app
from humanst.store.validate import validate_atlas, validate_store

from .conftest import BuiltAtlas

IMAGE_CHUNK = "images/he/s0/c/0/0/0"  # the (only) chunk of a tiny sample's full-resolution H&E
COUNTS_CHUNK = "tables/table/X/data/c/1"  # the second of the counts' two chunks


def _copy(built: BuiltAtlas, tmp_path: Path) -> Path:
    copy = tmp_path / "atlas"
    shutil.copytree(built.atlas, copy)
    return copy


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_a_fresh_build_keeps_every_chunk(built: BuiltAtlas) -> None:
    notes: list[str] = []
    assert validate_atlas(built.atlas, deep=True, notes=notes) == ([], 5)
    assert notes == []


def test_a_deleted_chunk_is_named_by_the_listing(built: BuiltAtlas, tmp_path: Path) -> None:
    atlas = _copy(built, tmp_path)
    (atlas / "samples" / "t-st.zarr" / IMAGE_CHUNK).unlink()
    (atlas / "samples" / "t-visium.zarr" / COUNTS_CHUNK).unlink()
    result = CliRunner().invoke(app, ["validate", str(atlas)])
    assert result.exit_code == 1
    problems = [_one_line(p) for p in result.output.split("\n  - ")[1:]]
    chunks = [p for p in problems if "read as the fill value" in p]
    assert len(chunks) == 2, result.output
    assert any("sample 't-st' store" in p and "images/he/s0" in p and "(c/0/0/0)" in p for p in chunks)
    assert any("sample 't-visium' store" in p and "lacks 1 of its 2 chunk(s) (c/1)" in p for p in chunks)
    assert all("humanst build --force" in p for p in chunks)
    assert all("'t-st'" in p or "'t-visium'" in p for p in problems)  # the lost counts also break their row sums


def test_a_corrupt_chunk_passes_the_listing_and_fails_deep(built: BuiltAtlas, tmp_path: Path) -> None:
    atlas = _copy(built, tmp_path)
    chunk = atlas / "samples" / "t-xenium.zarr" / IMAGE_CHUNK  # the image is read lazily: opening passes
    chunk.write_bytes(bytes(len(chunk.read_bytes())))  # same size, zeros: not a zstd frame
    assert validate_store(atlas / "samples" / "t-xenium.zarr", "t-xenium").problems == []
    result = CliRunner().invoke(app, ["validate", str(atlas), "--deep"])
    assert result.exit_code == 1
    text = _one_line(result.output)
    assert "sample 't-xenium'" in text
    assert "images/he/s0" in text
    assert "does not decode" in text
