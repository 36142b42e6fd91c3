from __future__ import annotations

from pathlib import Path

import pytest

from humanst.errors import FormatError
from humanst.manifest import load_manifest, parse_manifest
from humanst.synth import read_truth, write_sample, write_synthetic


def tiny_manifest(*extra: dict) -> dict:
    base = {
        "study": "s",
        "organ": "breast",
        "disease": "d",
        "license": "CC0-1.0",
        "redistributable": True,
        "citation": "synthetic",
    }
    samples = [
        {
            **base,
            "id": "v1",
            "patient_id": "s:P1",
            "platform": "visium",
            "files": [{"path": "v1/outs"}],
            "synth": {"seed": 1, "width_um": 500, "height_um": 500, "um_per_px": 2.0},
        },
        {
            **base,
            "id": "st1",
            "patient_id": "s:P2",
            "platform": "legacy_st",
            "files": [{"path": "st1"}],
            "synth": {"seed": 2, "width_um": 800, "height_um": 800, "um_per_px": 2.0},
        },
    ]
    for item in extra:
        samples.append({**base, **item})
    return {"name": "tiny", "version": "1", "samples": samples}


def test_writes_every_sample_and_reports_failures_without_stopping(tmp_path: Path):
    manifest = parse_manifest(
        tiny_manifest({"id": "real", "patient_id": "s:P3", "platform": "hest", "files": [{"path": "real"}]})
    )
    seen = []
    outcomes = write_synthetic(manifest, tmp_path, workers=2, on_done=lambda o: seen.append(o.sample_id))
    assert [o.sample_id for o in outcomes] == ["v1", "st1", "real"]
    assert sorted(seen) == ["real", "st1", "v1"]
    ok = {o.sample_id: o for o in outcomes if o.error is None}
    assert set(ok) == {"v1", "st1"}
    failed = next(o for o in outcomes if o.sample_id == "real")
    assert "sample 'real'" in failed.error
    assert "no 'synth' block" in failed.error
    assert (tmp_path / "v1" / "outs" / "filtered_feature_bc_matrix.h5").is_file()
    assert (tmp_path / "st1" / "count-matrices" / "st1.tsv.gz").is_file()
    assert not list(tmp_path.glob(".*.partial")), "no half-written folders are left behind"
    assert ok["v1"].written.data_path == tmp_path / "v1" / "outs"


def test_rewriting_is_deterministic_and_replaces_atomically(tmp_path: Path):
    manifest = parse_manifest(tiny_manifest())
    first = write_sample(manifest.sample("v1"), tmp_path / "a")
    second = write_sample(manifest.sample("v1"), tmp_path / "b")
    again = write_sample(manifest.sample("v1"), tmp_path / "a")
    truth_a, _ = read_truth(first.root)
    truth_b, _ = read_truth(second.root)
    assert truth_a.equals(truth_b)
    assert again.root == first.root
    assert read_truth(again.root)[0].equals(truth_a)
    h5 = next(p for p in first.files if p.suffix == ".h5")
    assert h5.read_bytes() == (tmp_path / "b" / h5.relative_to(tmp_path / "a")).read_bytes()


def test_manifest_path_that_does_not_match_the_layout_is_an_error(tmp_path: Path):
    data = tiny_manifest()
    data["samples"][0]["files"] = [{"path": "v1/wrong"}]
    manifest = parse_manifest(data)
    with pytest.raises(FormatError, match=r"sample 'v1'.*field 'files'.*'v1/outs'"):
        write_sample(manifest.sample("v1"), tmp_path)
    assert not (tmp_path / "v1").exists()


@pytest.mark.slow
def test_full_demo_manifest_writes_every_sample(tmp_path: Path, demo_manifest_path: Path):
    outcomes = write_synthetic(load_manifest(demo_manifest_path), tmp_path, workers=2)
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes if o.error]
    assert {o.platform for o in outcomes} == {"visium", "visium_hd", "xenium", "legacy_st", "hest"}
