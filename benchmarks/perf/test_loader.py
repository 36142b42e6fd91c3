"""pytest-benchmark: one pass of stamp's loader and of spatialdata's ImageTilesDataset over the same spots."""

from __future__ import annotations

from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.perf.loader import spatialdata_dataset, stamp_dataset, time_items

N = 40


def test_stamp_loader(benchmark: BenchmarkFixture, demo_atlas: Path) -> None:
    dataset = stamp_dataset(demo_atlas, "demo-visium-p1a")
    seconds = benchmark.pedantic(time_items, args=(dataset, N), rounds=3)
    assert seconds > 0


def test_spatialdata_image_tiles(benchmark: BenchmarkFixture, demo_atlas: Path) -> None:
    dataset = spatialdata_dataset(demo_atlas, "demo-visium-p1a")
    seconds = benchmark.pedantic(time_items, args=(dataset, N), rounds=3)
    assert seconds > 0
