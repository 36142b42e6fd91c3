"""pytest-benchmark: one pass of stamp's loader and of spatialdata's ImageTilesDataset over the same spots."""

from __future__ import annotations

from benchmarks.perf.loader import spatialdata_dataset, stamp_dataset, time_items

N = 40


def test_stamp_loader(benchmark, demo_atlas):
    dataset = stamp_dataset(demo_atlas, "demo-visium-p1a")
    seconds = benchmark.pedantic(time_items, args=(dataset, N), rounds=3)
    assert seconds > 0


def test_spatialdata_image_tiles(benchmark, demo_atlas):
    dataset = spatialdata_dataset(demo_atlas, "demo-visium-p1a")
    seconds = benchmark.pedantic(time_items, args=(dataset, N), rounds=3)
    assert seconds > 0
