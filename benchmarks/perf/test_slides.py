"""pytest-benchmark: tiles of one SVS-like slide, humanst.slides vs the plain OpenSlide loop, same tile list."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.perf.slides import make_slides, ours, plain_loop, tile_list


@pytest.fixture(scope="module")
def slide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_slides(tmp_path_factory.mktemp("perf-slides"), (1.2, 1.0), names=("svs-0.25",))["svs-0.25"]


def test_humanst_slides(benchmark: BenchmarkFixture, slide: Path) -> None:
    tiles = benchmark.pedantic(ours, args=(slide, "auto"), rounds=3, warmup_rounds=1)
    assert tiles > 20


def test_plain_openslide_loop(benchmark: BenchmarkFixture, slide: Path) -> None:
    coords, side = tile_list(slide)
    tiles = benchmark.pedantic(plain_loop, args=(slide, coords, side), rounds=3, warmup_rounds=1)
    assert tiles == len(coords)
