"""pytest-benchmark: humanst ``build_sample`` end to end vs a HEST-style HDF5 patch dump, on a small Visium sample.

    pytest benchmarks/perf/test_build.py --benchmark-enable

The full-size run (a 6.5 mm capture area, ~4,000 spots, with the stage breakdown) is
``python -m benchmarks.perf.build``. With ``--benchmark-disable`` (the default) each test still runs once
and checks that both sides wrote the same patches.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks.perf.build import BenchSample, make_sample, part_patches, run_baseline, run_humanst

STAGES = {"read (reader)", "harmonise + QC", "pathway scores", "SpatialData store", "JPEG parquet part"}


@pytest.fixture(scope="module", params=[1500.0], ids=lambda um: f"{um:g}um")
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> BenchSample:
    sample = make_sample(tmp_path_factory.mktemp("perf-build"), size_um=request.param)
    run_humanst(sample.task)  # imports and numba compilation outside the timing
    return sample


def test_humanst_build_sample(benchmark: BenchmarkFixture, built: BenchSample) -> None:
    outcome, wall, _cpu, timer = benchmark.pedantic(run_humanst, args=(built.task,), rounds=1, iterations=1)
    assert outcome.status == "built"
    assert 100 <= outcome.spots_kept <= built.n_spots_raw
    assert set(timer.wall) >= STAGES
    assert sum(timer.wall.values()) <= wall
    assert built.task.atlas.store_path(built.task.entry.id).is_dir()


def test_hest_hdf5_baseline_same_patches(benchmark: BenchmarkFixture, built: BenchSample, tmp_path: Path) -> None:
    h5_path = tmp_path / "patches.h5"
    spots, _, _ = benchmark.pedantic(run_baseline, args=(built.task, h5_path), rounds=1, iterations=1)
    ours = part_patches(built.task)
    with h5py.File(h5_path, "r") as f:
        theirs = f["img"][:]
        assert f["coords"].shape == (spots, 2)
        assert f["barcode"].shape == (spots, 1)
    assert spots == len(ours) > 0
    assert theirs.shape == ours.shape == (spots, 224, 224, 3)
    error = np.abs(ours.astype(np.int16) - theirs.astype(np.int16))
    assert error.mean() < 3.0  # JPEG quality 90 on smooth synthetic H&E
    assert np.percentile(error, 99) < 20
