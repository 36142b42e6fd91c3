"""pytest-benchmark: tier 1 on cached embeddings of the demo atlas (``make perf``).

pytest benchmarks/perf/test_tier1.py --benchmark-enable
"""

from __future__ import annotations

import pytest

from benchmarks.perf.tier1 import write_random_cache
from benchmarks.runner import evaluate_cache, prepare_task
from benchmarks.tasks import load_task


@pytest.fixture(scope="module")
def prepared(demo_atlas):
    return prepare_task(demo_atlas, load_task("demo-spot"))


@pytest.mark.parametrize("dim", [384, 1536])
def test_tier1_on_cached_embeddings(benchmark, prepared, tmp_path, dim):
    cache = write_random_cache(tmp_path / f"random-{dim}", prepared, dim)
    result, _ = benchmark.pedantic(evaluate_cache, args=(prepared, cache), kwargs={"kind": "model"}, rounds=3)
    assert len(result.blocks) == 3
