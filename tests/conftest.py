"""Test-wide settings: offline hub, shipped paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def demo_manifest_path(repo_root: Path) -> Path:
    return repo_root / "manifests" / "demo.yaml"


@pytest.fixture(scope="session")
def demo_atlas(demo_manifest_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo atlas (10 synthetic samples, 5 patients, fixed splits) built once per session through the real path."""
    from humanst.build.schedule import make_tasks, run_build
    from humanst.manifest import load_manifest
    from humanst.synth_report import run_synth

    root = tmp_path_factory.mktemp("demo")
    assert run_synth(demo_manifest_path, root / "raw", samples=None, workers=2) == 0
    manifest = load_manifest(demo_manifest_path)
    tasks = make_tasks(manifest, root / "atlas", data_root=root / "raw", cache_dir=root / "cache")
    report = run_build(manifest, str(demo_manifest_path), tasks, workers=2)
    assert not report.failed, report.failed
    return root / "atlas"
