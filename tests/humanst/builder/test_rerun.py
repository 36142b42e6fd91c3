"""Inputs are fingerprinted by content: rewriting identical bytes keeps a sample skipped, a real edit rebuilds it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .conftest import build_atlas, copy_sample, sample_dict, write_manifest


def test_identical_bytes_rewritten_do_not_invalidate_a_sample(raw_samples: dict[str, Any], tmp_path: Path) -> None:
    data = copy_sample(raw_samples["hest"], tmp_path / "data" / "rewritten")
    manifest = write_manifest(tmp_path / "manifest.yaml", [sample_dict("rewritten", "hest", [{"path": str(data)}])])
    atlas, cache = tmp_path / "atlas", tmp_path / "cache"
    (first,) = build_atlas(manifest, atlas, data_root=tmp_path, cache_dir=cache).outcomes
    assert first.status == "built", first.error
    for path in (p for p in data.rglob("*") if p.is_file()):  # a fresh copy or `humanst synth` again: same bytes
        content, stat = path.read_bytes(), path.stat()
        path.write_bytes(content)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    (second,) = build_atlas(manifest, atlas, data_root=tmp_path, cache_dir=cache).outcomes
    assert second.status == "skipped"
    metadata = next((data / "metadata").glob("*.json"))
    metadata.write_text(metadata.read_text() + "\n")  # a real change of content
    (third,) = build_atlas(manifest, atlas, data_root=tmp_path, cache_dir=cache).outcomes
    assert third.status == "built", third.error
