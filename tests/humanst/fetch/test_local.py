from __future__ import annotations

import hashlib

import pytest

from humanst.errors import FetchError
from humanst.fetch import materialise_sample, resolve_local
from humanst.manifest.models import SampleEntry


def _entry(*files: dict) -> SampleEntry:
    return SampleEntry.model_validate(
        {
            "id": "S1",
            "study": "st",
            "patient_id": "st:P1",
            "organ": "breast",
            "disease": "healthy",
            "platform": "visium",
            "files": list(files),
            "license": "CC-BY-4.0",
            "redistributable": True,
            "citation": "test",
        }
    )


def test_relative_paths_resolve_against_data_root_and_are_not_copied(tmp_path):
    root = tmp_path / "data"
    (root / "S1" / "outs").mkdir(parents=True)
    (root / "S1" / "image.tif").write_bytes(b"tif")
    entry = _entry({"path": "S1/outs"}, {"path": "S1/image.tif"})
    cache = tmp_path / "cache"
    got = materialise_sample(entry, data_root=root, cache_dir=cache)
    assert got == [root / "S1" / "outs", root / "S1" / "image.tif"]
    assert not cache.exists()


def test_absolute_path_is_returned_as_is_when_allowed(tmp_path):
    target = tmp_path / "elsewhere.h5"
    target.write_bytes(b"h5")
    assert resolve_local(str(target), data_root=tmp_path / "unused", allow_absolute=True) == target


def test_missing_path_names_sample_and_path(tmp_path):
    entry = _entry({"path": "S1/missing.h5"})
    with pytest.raises(FetchError, match="does not exist") as info:
        materialise_sample(entry, data_root=tmp_path, cache_dir=tmp_path / "cache")
    text = str(info.value)
    assert "sample 'S1'" in text
    assert str(tmp_path / "S1" / "missing.h5") in text
    assert "--data-root" in text
    assert info.value.sample_id == "S1"
    assert info.value.path == tmp_path / "S1" / "missing.h5"


def test_mixed_sources_keep_their_order(server, tmp_path):
    (tmp_path / "local.txt").write_text("here")
    url = server.add("/remote/counts.h5", body=b"counts")
    entry = _entry({"url": url, "sha256": hashlib.sha256(b"counts").hexdigest(), "size": 6}, {"path": "local.txt"})
    cache = tmp_path / "cache"
    remote, local = materialise_sample(entry, data_root=tmp_path, cache_dir=cache)
    assert remote.read_bytes() == b"counts"
    assert remote.name == "counts.h5"
    assert remote.is_relative_to(cache / "url")
    assert local == tmp_path / "local.txt"
