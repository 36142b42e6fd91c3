"""pytest-benchmark: tier 1 on cached embeddings of the demo atlas (``make perf``).

pytest benchmarks/perf/test_tier1.py --benchmark-enable
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.perf.tier1 import write_random_cache
from benchmarks.spot.runner import PreparedTask, evaluate_cache, prepare_task
from benchmarks.tasks import load_task


@pytest.fixture(scope="module")
def prepared(demo_atlas: Path) -> PreparedTask:
    return prepare_task(demo_atlas, load_task("demo-spot"))


@pytest.mark.parametrize("dim", [384, 1536])
def test_tier1_on_cached_embeddings(
    benchmark: BenchmarkFixture, prepared: PreparedTask, tmp_path: Path, dim: int
) -> None:
    cache = write_random_cache(tmp_path / f"random-{dim}", prepared, dim)
    result, _ = benchmark.pedantic(evaluate_cache, args=(prepared, cache), kwargs={"kind": "model"}, rounds=3)
    assert len(result.blocks) == 3
