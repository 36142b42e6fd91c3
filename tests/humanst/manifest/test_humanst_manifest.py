from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from humanst.manifest import AtlasManifest, Platform, load_manifest
from humanst.manifest.make_humanst import COMMAND, DEFAULT_OUT, main, render_manifest
from humanst.manifest.tenx_public import TENX_DATASETS, TENX_LICENSE


@pytest.fixture(scope="module")
def manifest() -> AtlasManifest:
    return load_manifest(DEFAULT_OUT)


def test_committed_manifest_equals_fresh_generation(tmp_path: Path):
    out = tmp_path / "humanst.yaml"
    main(["--out", str(out)])
    assert out.read_text(encoding="utf-8") == Path(DEFAULT_OUT).read_text(encoding="utf-8"), (
        f"manifests/humanst.yaml is stale or was edited by hand; run `{COMMAND}`"
    )


def test_header_says_generated():
    head = Path(DEFAULT_OUT).read_text(encoding="utf-8").splitlines()[:12]
    assert head[0].startswith("# GENERATED FILE")
    assert any(COMMAND in line for line in head)
    assert any("hest_v1_1_0_metadata.csv" in line for line in head)
    assert any("CC BY-NC-SA 4.0" in line for line in head)


def test_loads_with_unique_ids_and_patients(manifest: AtlasManifest):
    ids = [s.id for s in manifest.samples]
    assert len(ids) == len(set(ids))
    studies_of_patient: dict[str, set[str]] = defaultdict(set)
    splits_of_patient: dict[str, set[str]] = defaultdict(set)
    for sample in manifest.samples:
        studies_of_patient[sample.patient_id].add(sample.study)
        if sample.split is not None:
            splits_of_patient[sample.patient_id].add(sample.split.value)
    assert all(len(s) == 1 for s in studies_of_patient.values())
    assert all(len(s) == 1 for s in splits_of_patient.values())


def test_tenx_datasets_cover_three_platforms(manifest: AtlasManifest):
    tenx = [manifest.sample(d.id) for d in TENX_DATASETS]
    assert {s.platform for s in tenx} >= {Platform.visium, Platform.visium_hd, Platform.xenium}
    for sample in tenx:
        assert sample.license == TENX_LICENSE
        assert sample.redistributable
        assert all(f.url is not None and f.url.startswith("https://cf.10xgenomics.com/") for f in sample.files)


def test_tenx_twins_share_patient_with_hest(manifest: AtlasManifest):
    for data in TENX_DATASETS:
        if data.hest_twin is not None:
            assert manifest.sample(data.id).patient_id == manifest.sample(data.hest_twin).patient_id


def test_render_returns_validated_entries():
    text, entries = render_manifest()
    assert text.startswith("# GENERATED FILE")
    assert sum(e.platform is Platform.hest for e in entries) == len(entries) - len(TENX_DATASETS)
