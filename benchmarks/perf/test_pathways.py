"""pytest-benchmark: humanst mean_z vs decoupler ulm vs gseapy ssgsea on the same counts.

    pytest benchmarks/perf/test_pathways.py --benchmark-enable --benchmark-group-by=param:n_spots

The full-size comparison (20k spots x 18k genes x 50 sets) is ``python -m benchmarks.perf.pathways``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.perf.pathways import build_inputs, run_decoupler_ulm, run_gseapy_ssgsea, run_ours

if TYPE_CHECKING:
    import anndata as ad

    from humanst.pathways import GeneSets

Inputs = tuple["ad.AnnData", "GeneSets"]


@pytest.fixture(scope="module", params=[2_000], ids=lambda n: f"{n}spots")
def inputs(request: pytest.FixtureRequest) -> Inputs:
    return build_inputs(request.param, 18_000, 50)


def test_ours_mean_z(benchmark: BenchmarkFixture, inputs: Inputs) -> None:
    adata, sets = inputs
    run_ours(adata, sets)  # compile the kernels outside the timing
    scores = benchmark(run_ours, adata, sets)
    assert scores.shape == (adata.n_obs, len(sets))
    assert np.isfinite(scores).all()


def test_decoupler_ulm(benchmark: BenchmarkFixture, inputs: Inputs) -> None:
    adata, sets = inputs
    run_decoupler_ulm(adata[:10].copy(), sets)  # numba warm-up
    scores = benchmark(run_decoupler_ulm, adata, sets)
    assert scores.shape == (adata.n_obs, len(sets))


def test_gseapy_ssgsea_per_50_spots(benchmark: BenchmarkFixture, inputs: Inputs) -> None:
    adata, sets = inputs
    small = adata[:50].copy()
    scores = benchmark.pedantic(run_gseapy_ssgsea, args=(small, sets), rounds=1, iterations=1)
    assert scores.shape == (50, len(sets))
