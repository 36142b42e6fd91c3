"""The same tasks on a local process pool and on a Dask distributed cluster give the same atlas."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from humanst.builder.schedule import make_tasks, run_build
from humanst.manifest import load_manifest
from humanst.store.validate import validate_atlas

from .conftest import BuiltAtlas, write_manifest

IDS = ["t-visium", "t-st"]


def _table(atlas: Path, sample_id: str):
    from spatialdata import read_zarr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_zarr(atlas / "samples" / f"{sample_id}.zarr").tables["table"]


def _build_subset(built: BuiltAtlas, atlas: Path, **kwargs: object):
    manifest_path = write_manifest(atlas.parent / "subset.yaml", IDS)
    manifest = load_manifest(manifest_path)
    tasks = make_tasks(manifest, atlas, data_root=built.raw, cache_dir=atlas.parent / "cache")
    return run_build(manifest, str(manifest_path), tasks, **kwargs)  # type: ignore[arg-type]


def _same_as_reference(built: BuiltAtlas, atlas: Path) -> None:
    for sample_id in IDS:
        got, want = _table(atlas, sample_id), _table(built.atlas, sample_id)
        assert list(got.obs["spot_id"]) == list(want.obs["spot_id"])
        assert (got.X != want.X).nnz == 0
        np.testing.assert_allclose(got.obsm["pathways_hallmark"], want.obsm["pathways_hallmark"], rtol=1e-5, atol=1e-6)


def test_local_process_pool(built: BuiltAtlas, tmp_path: Path):
    report = _build_subset(built, tmp_path / "atlas", workers=2)
    assert [o.status for o in report.outcomes] == ["built", "built"], [o.error for o in report.outcomes]
    assert validate_atlas(tmp_path / "atlas")[0] == []
    _same_as_reference(built, tmp_path / "atlas")


@pytest.mark.slow  # ~20 s, `make test-all`; `make test` keeps the local process pool of the same scheduler code
def test_dask_local_cluster_through_scheduler_address(built: BuiltAtlas, tmp_path: Path):
    import distributed

    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:  # fmt: skip
        report = _build_subset(built, tmp_path / "atlas", scheduler=cluster.scheduler_address)
    assert [o.status for o in report.outcomes] == ["built", "built"], [o.error for o in report.outcomes]
    assert validate_atlas(tmp_path / "atlas")[0] == []
    _same_as_reference(built, tmp_path / "atlas")
