from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from humanst.errors import ManifestError, UnknownSampleError
from humanst.manifest import AtlasManifest, Platform, load_manifest, parse_manifest

GOOD_SAMPLE = {
    "id": "S1",
    "study": "studyA",
    "patient_id": "studyA:P1",
    "organ": "breast",
    "disease": "carcinoma",
    "platform": "visium",
    "files": [{"url": "https://example.org/S1.tar.gz", "sha256": "a" * 64, "size": 10}],
    "license": "CC-BY-4.0",
    "redistributable": True,
    "citation": "Someone et al. 2024",
}


def manifest_with(*samples: dict) -> dict:
    return {"name": "t", "version": "1", "samples": list(samples)}


def test_every_shipped_manifest_loads(repo_root: Path):
    shipped = sorted((repo_root / "manifests").glob("*.yaml"))
    assert shipped, "manifests/ ships at least the demo manifest"
    for path in shipped:
        assert isinstance(load_manifest(path), AtlasManifest)


def test_demo_manifest_covers_all_platforms_and_patients(demo_manifest_path: Path):
    atlas = load_manifest(demo_manifest_path)
    assert len(atlas.samples) >= 8
    assert len({s.patient_id for s in atlas.samples}) >= 4
    assert {s.platform for s in atlas.samples} == set(Platform)
    assert all(s.synth is not None and s.redistributable for s in atlas.samples)
    assert atlas.patch.size_px == 224
    assert atlas.patch.um_per_px == 0.5


def test_a_valid_manifest_parses_with_defaults():
    atlas = parse_manifest(manifest_with(GOOD_SAMPLE))
    assert atlas.pseudo_spot_um == 55
    assert atlas.gene_sets == ["hallmark", "reactome"]
    assert atlas.samples[0].files[0].kind == "url"


def _with(**changes):
    sample = copy.deepcopy(GOOD_SAMPLE)
    for key, value in changes.items():
        if value is None:
            sample.pop(key)
        else:
            sample[key] = value
    return sample


@pytest.mark.parametrize(
    ("sample", "field", "words"),
    [
        (_with(platform="merfish"), "platform", "visium"),
        (_with(patient_id="other:P1"), "patient_id", "differs from study"),
        (_with(patient_id="P1"), "patient_id", "<study>:<patient>"),
        (_with(organ="Breast Tissue"), "organ", "lower-case"),
        (_with(license="CC BY 4.0"), "license", "SPDX"),
        (_with(citation=None), "citation", "missing"),
        (_with(redistributable="maybe"), "redistributable", "bool"),
        (_with(colour="red"), "colour", "unknown field"),
        (_with(files=[{"url": "https://x.org/a", "path": "a"}]), "files[0]", "exactly one source"),
        (_with(files=[{"path": "a", "sha256": "xyz"}]), "files[0].sha256", "64 lower-case hex"),
        (_with(files=[]), "files", "at least 1"),
        (_with(um_per_px=0.5), "um_per_px_source", "together"),
        (_with(id="bad id/1"), "id", "no spaces or slashes"),
    ],
)
def test_bad_entries_are_rejected_naming_sample_and_field(sample, field, words):
    with pytest.raises(ManifestError) as info:
        parse_manifest(manifest_with(sample), path="m.yaml")
    message = str(info.value)
    sid = sample.get("id", GOOD_SAMPLE["id"])
    assert f"sample '{sid}' field '{field}'" in message
    assert words.lower() in message.lower()
    assert "m.yaml" in message


def test_all_problems_are_reported_at_once():
    bad_one = _with(id="A", organ="BREAST")
    bad_two = _with(id="B", platform="nope")
    with pytest.raises(ManifestError) as info:
        parse_manifest({"name": "t", "version": "1", "patch": {"size_px": 3}, "samples": [bad_one, bad_two]})
    locations = [loc for loc, _ in info.value.problems]
    assert "sample 'A' field 'organ'" in locations
    assert "sample 'B' field 'platform'" in locations
    assert "atlas field 'patch.size_px'" in locations


def test_duplicate_ids_and_split_conflicts_are_cross_checked():
    a = _with(id="A", split="train")
    b = _with(id="B", split="test")  # same patient, other split
    dup = _with(id="A")
    with pytest.raises(ManifestError) as info:
        parse_manifest(manifest_with(a, b, dup))
    text = str(info.value)
    assert "sample 'A' field 'id': appears 2 times" in text
    assert "patient 'studyA:P1' is pinned to several splits" in text


def test_sample_without_id_is_named_by_position():
    with pytest.raises(ManifestError, match=r"sample #2 field 'id': required field is missing"):
        parse_manifest(manifest_with(GOOD_SAMPLE, _with(id=None)))


def test_file_errors_name_the_file(tmp_path: Path):
    with pytest.raises(ManifestError, match="not found"):
        load_manifest(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nsamples: [\n  - id: a\n")
    with pytest.raises(ManifestError, match=r"line \d+, column \d+: not valid YAML"):
        load_manifest(broken)
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(manifest_with(GOOD_SAMPLE)))
    assert load_manifest(good).samples[0].id == "S1"


def test_lookup_by_id_lists_valid_ids(demo_manifest_path: Path):
    atlas = load_manifest(demo_manifest_path)
    assert atlas.sample(atlas.samples[0].id) is atlas.samples[0]
    with pytest.raises(UnknownSampleError, match="valid ids: demo-"):
        atlas.sample("nope")
