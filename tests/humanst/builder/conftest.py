"""Shared fixtures of the build tests: tiny synthetic raw samples, manifests in YAML, a local file server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from humanst.manifest.models import SynthSpec
from humanst.synth import SynthSample, WrittenSample, get_format
from tests.local_http import FakeServer

# Small enough for a ~2 s build per sample, big enough for the pixel-size fits (tens of spots).
BASE_SPECS: dict[str, SynthSpec] = {
    "visium": SynthSpec(seed=501, width_um=700, height_um=600, um_per_px=1.0),
    "hest": SynthSpec(seed=502, width_um=700, height_um=600, um_per_px=1.0),
    "legacy_st": SynthSpec(seed=503, width_um=1000, height_um=1000, um_per_px=2.0),
}


def sample_dict(sample_id: str, platform: str, files: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """One manifest sample entry (plain YAML values)."""
    return {
        "id": sample_id,
        "study": "build-test",
        "patient_id": f"build-test:{sample_id}",
        "organ": "breast",
        "disease": "synthetic",
        "platform": platform,
        "files": files,
        "license": "CC0-1.0",
        "redistributable": True,
        "citation": "humanst synthetic build-test data",
        **extra,
    }


def write_manifest(path: Path, samples: list[dict[str, Any]], **atlas: Any) -> Path:
    """Write an atlas manifest YAML (the demo's gene sets and patch spec) and return its path."""
    data = {"name": "build-test", "version": "0.0.1", "gene_sets": ["hallmark"], **atlas, "samples": samples}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def build_atlas(
    manifest_path: Path,
    atlas: Path,
    *,
    data_root: Path,
    cache_dir: Path,
    samples: list[str] | None = None,
    force: bool = False,
    min_counts: int = 100,
    allow_absolute_paths: bool = True,
) -> Any:
    """Build in this process (one worker) through the same functions as ``humanst build``; return the report.

    The build tests name the session's raw samples by absolute path, so absolute paths are allowed by default
    (``humanst build --allow-absolute-paths``).
    """
    from humanst.builder.schedule import make_tasks, run_build
    from humanst.manifest import load_manifest

    manifest = load_manifest(manifest_path)
    tasks = make_tasks(
        manifest,
        atlas,
        data_root=data_root,
        cache_dir=cache_dir,
        samples=samples,
        min_counts=min_counts,
        force=force,
        allow_absolute_paths=allow_absolute_paths,
    )
    return run_build(manifest, str(manifest_path), tasks, workers=1)


def read_table(store: Path) -> Any:
    """The AnnData table of a built sample store."""
    import warnings

    from spatialdata import read_zarr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_zarr(store).tables["table"]


def copy_sample(written: WrittenSample, dst: Path) -> Path:
    """Copy a written sample folder (real files, so it can be damaged) and return the copy's ``data_path``."""
    shutil.copytree(written.root, dst)
    return dst / written.data_path.relative_to(written.root)


@pytest.fixture(scope="session")
def raw_samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, WrittenSample]:
    """``platform -> written sample`` of one tiny good sample per platform (never modified: copy first)."""
    root = tmp_path_factory.mktemp("build-raw")
    out = {}
    for platform, spec in BASE_SPECS.items():
        sample = SynthSample.create(f"base-{platform.replace('_', '-')}", platform, spec)
        out[platform] = get_format(platform).writer(sample, root / sample.sample_id)
    return out


@pytest.fixture(scope="module")
def file_server() -> Iterator[FakeServer]:
    """A local HTTP server for ``url`` sources, shared by a module's tests."""
    with FakeServer() as running:
        yield running
