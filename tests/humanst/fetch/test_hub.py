from __future__ import annotations

import hashlib

import pytest

from humanst.errors import FetchError
from humanst.fetch import fetch_hf, materialise_sample
from humanst.manifest.models import HfSource, SampleEntry

hf_constants = pytest.importorskip("huggingface_hub.constants")

COMMIT = "0123456789abcdef0123456789abcdef01234567"
BODY = b"spots,x,y\n" * 1000
SHA = hashlib.sha256(BODY).hexdigest()
REPO = "org/tiny-st"


def _resolve(path: str, revision: str = "main", repo: str = REPO) -> str:
    return f"/datasets/{repo}/resolve/{revision}/{path}"


@pytest.fixture
def hub(server, monkeypatch):
    """The local server as a hub endpoint, with offline mode off for this test only."""
    monkeypatch.setenv("HF_ENDPOINT", server.base)
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return server


def _serve(server, path: str = "spots.csv", body: bytes = BODY) -> None:
    headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{hashlib.sha256(body).hexdigest()}"'}
    server.add(_resolve(path), body=body, headers=headers)


def test_hub_file_is_downloaded_at_its_revision_and_then_served_from_cache(hub, cache_dir, monkeypatch):
    _serve(hub)
    seen = []
    source = HfSource(repo=REPO, path="spots.csv", revision="main")
    path = fetch_hf(source, cache_dir=cache_dir, sha256=SHA, size=len(BODY), progress=lambda *a: seen.append(a))
    assert path.read_bytes() == BODY
    assert path.is_relative_to(cache_dir / "hf")
    assert hub.hits(_resolve("spots.csv")) == 1
    assert seen
    assert seen[-1] == (f"{REPO}/spots.csv", len(BODY), len(BODY))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    assert fetch_hf(source, cache_dir=cache_dir, sha256=SHA) == path
    assert hub.hits(_resolve("spots.csv")) == 1


def test_hub_file_through_materialise_sample(hub, cache_dir, tmp_path):
    _serve(hub)
    entry = SampleEntry.model_validate(
        {
            "id": "S1",
            "study": "st",
            "patient_id": "st:P1",
            "organ": "breast",
            "disease": "healthy",
            "platform": "hest",
            "files": [{"hf": {"repo": REPO, "path": "spots.csv"}, "sha256": SHA}],
            "license": "CC-BY-4.0",
            "redistributable": True,
            "citation": "test",
        }
    )
    (path,) = materialise_sample(entry, data_root=tmp_path, cache_dir=cache_dir)
    assert path.read_bytes() == BODY


def test_gated_repo_says_where_to_accept_and_how_to_log_in(hub, cache_dir):
    hub.add(_resolve("spots.csv"), status=403, headers={"X-Error-Code": "GatedRepo", "X-Error-Message": "gated"})
    source = HfSource(repo=REPO, path="spots.csv")
    with pytest.raises(FetchError, match="gated") as info:
        fetch_hf(source, cache_dir=cache_dir, sample_id="S1")
    text = str(info.value)
    assert f"https://huggingface.co/datasets/{REPO}" in text
    assert "hf auth login" in text
    assert "HF_TOKEN" in text
    assert "sample 'S1'" in text


def test_missing_file_names_repo_path_and_revision(hub, cache_dir):
    hub.add(
        _resolve("nope.csv", revision="v1"),
        status=404,
        headers={"X-Error-Code": "EntryNotFound", "X-Repo-Commit": COMMIT},
    )
    source = HfSource(repo=REPO, path="nope.csv", revision="v1")
    with pytest.raises(FetchError, match="no such file") as info:
        fetch_hf(source, cache_dir=cache_dir)
    text = str(info.value)
    assert REPO in text
    assert "nope.csv" in text
    assert "revision 'v1'" in text


def test_missing_revision_names_it(hub, cache_dir):
    hub.add(_resolve("spots.csv", revision="v9"), status=404, headers={"X-Error-Code": "RevisionNotFound"})
    with pytest.raises(FetchError, match="revision 'v9' does not exist"):
        fetch_hf(HfSource(repo=REPO, path="spots.csv", revision="v9"), cache_dir=cache_dir)


def test_missing_repository(hub, cache_dir):
    hub.add(_resolve("spots.csv", repo="org/nothing"), status=404, headers={"X-Error-Code": "RepoNotFound"})
    with pytest.raises(FetchError, match="does not exist or is private"):
        fetch_hf(HfSource(repo="org/nothing", path="spots.csv"), cache_dir=cache_dir)


def test_checksum_mismatch_on_a_hub_file(hub, cache_dir):
    _serve(hub)
    with pytest.raises(FetchError, match="changed upstream"):
        fetch_hf(HfSource(repo=REPO, path="spots.csv"), cache_dir=cache_dir, sha256="f" * 64)


def test_offline_and_not_cached(cache_dir, monkeypatch):
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(FetchError, match="offline mode is on") as info:
        fetch_hf(HfSource(repo=REPO, path="spots.csv"), cache_dir=cache_dir, sample_id="S1")
    assert "HF_HUB_OFFLINE" in str(info.value)
    assert "not in the cache" in str(info.value)
