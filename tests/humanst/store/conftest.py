"""A tiny atlas of every platform, built once per session through the real build path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from humanst.builder.schedule import BuildReport, make_tasks, run_build
from humanst.cli.synth import run_synth
from humanst.manifest import AtlasManifest, load_manifest

SAMPLES = {  # id: (platform, patient, redistributable, synth spec)
    "t-visium": ("visium", "P1", True, {"seed": 301, "width_um": 800, "height_um": 700, "um_per_px": 1.0}),
    "t-hd": ("visium_hd", "P1", True, {"seed": 302, "width_um": 300, "height_um": 300, "um_per_px": 0.5}),
    "t-xenium": (
        "xenium",
        "P2",
        True,
        {"seed": 303, "width_um": 300, "height_um": 280, "um_per_px": 0.5, "panel_size": 200},
    ),
    "t-st": ("legacy_st", "P2", True, {"seed": 304, "width_um": 1100, "height_um": 1100, "um_per_px": 2.0}),
    "t-hest": ("hest", "P3", False, {"seed": 305, "width_um": 700, "height_um": 700, "um_per_px": 1.0}),
}
DATA_PATH = {
    "visium": "{id}/outs",
    "visium_hd": "{id}/outs",
    "xenium": "{id}/outs",
    "legacy_st": "{id}",
    "hest": "{id}",
}


def write_manifest(path: Path, ids: list[str] | None = None) -> Path:
    """Write a manifest of (some of) the tiny samples."""
    samples = []
    for sample_id, (platform, patient, redistributable, spec) in SAMPLES.items():
        if ids is not None and sample_id not in ids:
            continue
        samples.append(
            {
                "id": sample_id,
                "study": "synth-test",
                "patient_id": f"synth-test:{patient}",
                "organ": "breast",
                "disease": "synthetic",
                "platform": platform,
                "files": [{"path": DATA_PATH[platform].format(id=sample_id)}],
                "license": "CC0-1.0" if redistributable else "LicenseRef-test-private",
                "redistributable": redistributable,
                "citation": "humanst synthetic test data",
                "synth": spec,
            }
        )
    doc = {"name": "tiny", "version": "0.0.1", "gene_sets": ["hallmark"], "samples": samples}
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class BuiltAtlas:
    """A built tiny atlas: its manifest, raw data root, atlas folder and the build report."""

    manifest_path: Path
    manifest: AtlasManifest
    raw: Path
    atlas: Path
    report: BuildReport


def build(manifest_path: Path, raw: Path, atlas: Path, **kwargs: object) -> BuildReport:
    """Build an atlas in-process through make_tasks + run_build."""
    manifest = load_manifest(manifest_path)
    tasks = make_tasks(manifest, atlas, data_root=raw, cache_dir=atlas.parent / "cache")
    return run_build(manifest, str(manifest_path), tasks, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def raw_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Raw layouts of every tiny sample and the manifest listing them."""
    root = tmp_path_factory.mktemp("tiny-raw")
    manifest_path = write_manifest(root / "tiny.yaml")
    assert run_synth(manifest_path, root / "raw", samples=None, workers=1) == 0
    return manifest_path, root / "raw"


@pytest.fixture(scope="session")
def built(raw_data: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> BuiltAtlas:
    """The tiny atlas, built once."""
    manifest_path, raw = raw_data
    atlas = tmp_path_factory.mktemp("tiny-atlas") / "atlas"
    report = build(manifest_path, raw, atlas)
    return BuiltAtlas(manifest_path, load_manifest(manifest_path), raw, atlas, report)
