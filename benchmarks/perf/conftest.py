"""Fixtures of the speed benchmarks: the demo atlas (``make demo``'s when present, else built once here)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_atlas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``demo_out/atlas`` when `make demo` has built it, otherwise a fresh build of the demo manifest."""
    from humanst.builder import build_demo_atlas
    from humanst.store import Atlas

    existing = Atlas(ROOT / "demo_out" / "atlas")
    if existing.dataset.info.is_file():
        return existing.root
    return build_demo_atlas(ROOT / "manifests" / "demo.yaml", tmp_path_factory.mktemp("demo"))
