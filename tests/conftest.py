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
    from humanst.builder import build_demo_atlas

    return build_demo_atlas(demo_manifest_path, tmp_path_factory.mktemp("demo"))
