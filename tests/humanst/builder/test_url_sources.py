"""Samples served over HTTP (an archive and single files, sha256 pinned) build as their local copies do."""

from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from humanst.store.validate import validate_atlas

from .conftest import FakeServer, build_atlas, read_table, sample_dict, write_manifest

IDS = ("web-visium", "web-hest")


def _tar_gz(folder: Path, arcname: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        tf.add(folder, arcname=arcname)
    return buf.getvalue()


def _url_file(server: FakeServer, route: str, body: bytes) -> dict[str, Any]:
    return {"url": server.add(route, body), "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}


@dataclass
class Builds:
    """A build from url sources, one from path sources, and the server that served the first."""

    url_manifest: Path
    url_atlas: Path
    url_report: Any
    path_atlas: Path
    path_report: Any
    root: Path
    hits_after_first: int


@pytest.fixture(scope="module")
def builds(raw_samples: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, file_server: FakeServer) -> Builds:
    root = tmp_path_factory.mktemp("url-sources")
    visium, hest = raw_samples["visium"], raw_samples["hest"]
    archive = _url_file(file_server, "/visium/outs.tar.gz", _tar_gz(visium.data_path, "outs"))
    hest_files = [
        _url_file(file_server, f"/hest/{p.relative_to(hest.root).as_posix()}", p.read_bytes())
        for p in sorted(hest.root.rglob("*"))
        if p.is_file() and p.relative_to(hest.root).parts[0] in ("st", "wsis", "metadata")
    ]
    assert len(hest_files) == 3
    url_manifest = write_manifest(
        root / "url.yaml", [sample_dict(IDS[0], "visium", [archive]), sample_dict(IDS[1], "hest", hest_files)]
    )
    path_manifest = write_manifest(
        root / "path.yaml",
        [
            sample_dict(IDS[0], "visium", [{"path": str(visium.data_path)}]),
            sample_dict(IDS[1], "hest", [{"path": str(hest.data_path)}]),
        ],
    )
    url_report = build_atlas(url_manifest, root / "url-atlas", data_root=root, cache_dir=root / "cache")
    hits = file_server.total_hits()
    path_report = build_atlas(path_manifest, root / "path-atlas", data_root=root, cache_dir=root / "cache")
    return Builds(url_manifest, root / "url-atlas", url_report, root / "path-atlas", path_report, root, hits)


def test_url_build_succeeds_and_validates(builds: Builds, file_server: FakeServer) -> None:
    assert [o.status for o in builds.url_report.outcomes] == ["built", "built"], builds.url_report.failed
    assert validate_atlas(builds.url_atlas) == ([], 2)
    assert file_server.hits("/visium/outs.tar.gz") == 1


@pytest.mark.parametrize("sample_id", IDS)
def test_url_build_equals_path_build(builds: Builds, sample_id: str) -> None:
    assert all(o.status == "built" for o in builds.path_report.outcomes), builds.path_report.failed
    web = read_table(builds.url_atlas / "samples" / f"{sample_id}.zarr")
    local = read_table(builds.path_atlas / "samples" / f"{sample_id}.zarr")
    assert web.n_obs > 10
    assert web.obs["spot_id"].tolist() == local.obs["spot_id"].tolist()
    assert web.var_names.tolist() == local.var_names.tolist()
    assert (web.X != local.X).nnz == 0
    for column in ("x_um", "y_um", "total_counts"):
        np.testing.assert_array_equal(web.obs[column].to_numpy(), local.obs[column].to_numpy())


def test_rerun_downloads_nothing_and_skips(builds: Builds, file_server: FakeServer) -> None:
    report = build_atlas(builds.url_manifest, builds.url_atlas, data_root=builds.root, cache_dir=builds.root / "cache")
    assert [o.status for o in report.outcomes] == ["skipped", "skipped"]
    assert file_server.total_hits() == builds.hits_after_first
    assert validate_atlas(builds.url_atlas) == ([], 2)


def test_wrong_checksum_fails_naming_sample_and_url(
    raw_samples: dict[str, Any], tmp_path: Path, file_server: FakeServer
) -> None:
    body = _tar_gz(raw_samples["visium"].data_path, "outs")
    url = file_server.add("/visium/changed.tar.gz", body)
    spec = {"url": url, "sha256": hashlib.sha256(b"another file").hexdigest()}
    manifest = write_manifest(tmp_path / "m.yaml", [sample_dict("web-changed", "visium", [spec])])
    report = build_atlas(manifest, tmp_path / "atlas", data_root=tmp_path, cache_dir=tmp_path / "cache")
    (outcome,) = report.outcomes
    assert outcome.status == "failed"
    assert "sample 'web-changed'" in outcome.error
    assert "sha256" in outcome.error
    assert url in outcome.error
    assert not list((tmp_path / "cache").rglob("changed.tar.gz"))  # an unverified download is not kept


def test_flaky_server_truncation_resumes_and_500_is_retried_while_404_fails_alone(
    raw_samples: dict[str, Any], tmp_path: Path, file_server: FakeServer
) -> None:
    """Demo files over a flaky server: a cut transfer resumes with Range, a 500 is retried, a 404 fails alone."""
    hest = raw_samples["hest"]
    files = []
    for p in sorted(hest.root.rglob("*")):
        if p.is_file() and p.relative_to(hest.root).parts[0] in ("st", "wsis", "metadata"):
            files.append(_url_file(file_server, f"/flaky/{p.relative_to(hest.root).as_posix()}", p.read_bytes()))
    h5ad = next(f for f in files if f["url"].endswith(".h5ad"))
    tif = next(f for f in files if f["url"].endswith(".tif"))
    file_server.faults[h5ad["url"].removeprefix(file_server.base)] = ["truncate"]
    file_server.faults[tif["url"].removeprefix(file_server.base)] = ["500"]
    missing = {"url": file_server.base + "/flaky/nope.h5ad"}
    manifest = write_manifest(
        tmp_path / "flaky.yaml",
        [sample_dict("flaky-hest", "hest", files), sample_dict("gone-hest", "hest", [missing, *files[1:]])],
    )
    report = build_atlas(manifest, tmp_path / "atlas", data_root=tmp_path, cache_dir=tmp_path / "cache")
    by_id = {o.sample_id: o for o in report.outcomes}
    assert by_id["flaky-hest"].status == "built", by_id["flaky-hest"].error
    assert any(path.endswith(".h5ad") and value != "bytes=0-" for path, value in file_server.ranges)
    assert file_server.hits(tif["url"].removeprefix(file_server.base)) >= 2
    assert by_id["gone-hest"].status == "failed"
    assert "gone-hest" in by_id["gone-hest"].error
    assert "/flaky/nope.h5ad" in by_id["gone-hest"].error
    assert "not found" in by_id["gone-hest"].error
    assert validate_atlas(tmp_path / "atlas")[0] == []
    local = read_table(tmp_path / "atlas" / "samples" / "flaky-hest.zarr")
    assert local.n_obs == by_id["flaky-hest"].spots_kept


def test_progress_reports_download_bytes_and_patches(
    raw_samples: dict[str, Any], tmp_path: Path, file_server: FakeServer
) -> None:
    from humanst.builder.schedule import make_tasks, run_build
    from humanst.manifest import load_manifest

    hest = raw_samples["hest"]
    files = [
        _url_file(file_server, f"/progress/{p.relative_to(hest.root).as_posix()}", p.read_bytes())
        for p in sorted(hest.root.rglob("*"))
        if p.is_file() and p.relative_to(hest.root).parts[0] in ("st", "wsis", "metadata")
    ]
    manifest_path = write_manifest(tmp_path / "p.yaml", [sample_dict("progress-hest", "hest", files)])
    manifest = load_manifest(manifest_path)
    tasks = make_tasks(manifest, tmp_path / "atlas", data_root=tmp_path, cache_dir=tmp_path / "cache")
    events: list[tuple[str, int, int | None]] = []
    report = run_build(manifest, "p", tasks, progress=lambda *e: events.append(e))
    assert report.outcomes[0].status == "built", report.outcomes[0].error
    downloads = [e for e in events if e[0].startswith("download")]
    sizes = {f["size"] for f in files}
    assert {total for _, done, total in downloads if done == total} == sizes
    assert sum(n for event, n, _ in events if event == "patches") == report.outcomes[0].spots_kept
