"""``stamp embed-slides``: base vs adapter, equality with ``stamp embed``, skips, bad slides, shards."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from humanst.slides import TilingSettings
from humanst.synth.slides import write_slide
from stamp.cli import app
from stamp.slides import SlideFeatureFolder, embed_slides, rank_shard

OPTIONS = {"num_workers": 0, "device": "cpu", "show_progress": False}


def _mosaic_of_atlas_patches(atlas: Path, sample: str, rows: int, cols: int) -> tuple[np.ndarray, list[str]]:
    """Tile ``rows x cols`` atlas patches, decoded exactly as ``stamp embed`` feeds them to vit-tiny-test (112 px)."""
    from stamp.data import AtlasPatches, PatchTransform
    from stamp.data.transforms import decode_resized

    transform = PatchTransform(112, (0.5,) * 3, (0.5,) * 3)
    data = AtlasPatches(atlas, transform, splits=None, samples=[sample], collections=())
    n = rows * cols
    patches = [decode_resized(data.jpeg(i), 112) for i in range(n)]
    mosaic = np.concatenate([np.concatenate(patches[r * cols : (r + 1) * cols], axis=1) for r in range(rows)], axis=0)
    return mosaic, [str(s) for s in data.spot_id[:n]]


def test_adapter_features_equal_stamp_embed_and_differ_from_base(demo_atlas, tiny_run, tmp_path):
    from stamp.embed import embed_atlas, load_embeddings

    run = tiny_run[0].out
    from humanst.store.atlas import Atlas

    sample = Atlas.open(demo_atlas).built_samples()[0]
    cache = embed_atlas(demo_atlas, "vit-tiny-test", adapter=run, samples=[sample], out=tmp_path / "emb",
                        device="cpu", progress=False)  # fmt: skip
    reference = load_embeddings(cache / f"{sample}.safetensors")
    row_of = {spot: i for i, spot in enumerate(reference.spot_ids)}
    mosaic, spots = _mosaic_of_atlas_patches(demo_atlas, sample, rows=3, cols=4)
    # 112 px patches at 1 um/px: a 224 px tile at 0.5 um/px (112 um) is exactly one patch, read without resampling
    slide = write_slide(tmp_path / "mosaic.tif", mosaic, um_per_px=1.0, compression="zlib")
    tiling = TilingSettings(min_tissue=0.0)
    aligned = embed_slides([slide], "vit-tiny-test", adapter=run, out=tmp_path / "feats", tiling=tiling, **OPTIONS)
    base = embed_slides([slide], "vit-tiny-test", out=tmp_path / "feats", tiling=tiling, **OPTIONS)
    assert aligned.folder != base.folder
    feats = SlideFeatureFolder(aligned.folder).load("mosaic")
    assert len(feats) == 12
    for k, (x, y) in enumerate(feats.coords_px):
        spot = spots[(y // 112) * 4 + x // 112]
        np.testing.assert_allclose(feats.features[k], reference.embeddings[row_of[spot]], atol=1e-5)
    base_feats = SlideFeatureFolder(base.folder).load("mosaic")
    np.testing.assert_array_equal(base_feats.coords_px, feats.coords_px)
    assert np.abs(base_feats.features - feats.features).max() > 1e-2
    assert feats.provenance["adapter_hash"] == aligned.folder.name.split("+")[1]
    assert base_feats.provenance["adapter_hash"] == ""


def test_unreadable_slide_is_reported_and_the_others_finish(slide_dir, tmp_path):
    data = (slide_dir / "b.svs").read_bytes()
    (slide_dir / "broken.svs").write_bytes(data[: len(data) // 3])
    args = ["embed-slides", str(slide_dir), "--encoder", "vit-tiny-test", "--out", str(tmp_path / "feats"),
            "--num-workers", "0", "--device", "cpu", "--max-tiles", "8"]  # fmt: skip
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 1, done.output
    assert "broken" in done.output
    assert "4 slide(s) embedded" in done.output
    folder = tmp_path / "feats" / "224px-0.5um" / "vit-tiny-test"
    store = SlideFeatureFolder(folder)
    assert store.slide_ids() == ["a", "b", "c", "d"]
    report = store.report()
    assert report["slides"]["broken"]["status"] == "failed"
    assert "truncated or corrupt" in report["slides"]["broken"]["error"]
    assert all(len(store.load(s)) == 8 for s in "abcd")
    assert store.preview_path("a").is_file()
    cache = json.loads((folder / "cache.json").read_text())
    assert sorted(cache["samples"]) == ["a", "b", "c", "d"]


def test_rerun_skips_unchanged_slides_and_redoes_changed_ones(slide_dir, tmp_path):
    slides = [slide_dir / "a.tif", slide_dir / "b.svs"]
    tiling = TilingSettings(max_tiles=6)
    first = embed_slides(slides, "vit-tiny-test", out=tmp_path, tiling=tiling, **OPTIONS)
    assert sorted(first.embedded) == ["a", "b"]
    written = {s: first.folder.joinpath(f"{s}.safetensors").stat().st_mtime_ns for s in "ab"}
    os.utime(slides[0])  # touched, same content: the sha256 says it is unchanged
    again = embed_slides(slides, "vit-tiny-test", out=tmp_path, tiling=tiling, **OPTIONS)
    assert (again.embedded, sorted(again.skipped)) == ([], ["a", "b"])
    assert {s: again.folder.joinpath(f"{s}.safetensors").stat().st_mtime_ns for s in "ab"} == written
    with slides[1].open("ab") as handle:
        handle.write(b"\0")  # new content
    changed = embed_slides(slides, "vit-tiny-test", out=tmp_path, tiling=tiling, **OPTIONS)
    assert (changed.embedded, changed.skipped) == (["b"], ["a"])
    other = embed_slides(slides, "vit-tiny-test", out=tmp_path, tiling=TilingSettings(max_tiles=4), **OPTIONS)
    assert sorted(other.embedded) == ["a", "b"]  # other settings: embedded again
    assert len(SlideFeatureFolder(other.folder).load("a")) == 4


@pytest.mark.parametrize("n_slides", [1, 5, 12])
def test_rank_shards_cover_every_slide_once_at_any_world_size(n_slides):
    paths = [Path(f"/data/s{i:02d}.svs") for i in reversed(range(n_slides))]
    for world in (1, 2, 3, 8):
        shards = [rank_shard(paths, rank, world) for rank in range(world)]
        flat = [p for shard in shards for p in shard]
        assert sorted(flat) == sorted(paths)
        assert len(set(flat)) == n_slides
        assert shards == [rank_shard(list(reversed(paths)), rank, world) for rank in range(world)]
