from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile

import pytest

from humanst.errors import FetchError
from humanst.fetch import extract_archive, materialise_sample
from humanst.manifest.models import SampleEntry


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data)  # ZipInfo keeps the name as given
    return buf.getvalue()


def _tar(members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tf.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


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


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("raw.zip", _zip({"outs/a.txt": b"A", "outs/sub/b.txt": b"B"})),
        ("raw.tar.gz", _tar([("outs/a.txt", b"A"), ("outs/sub/b.txt", b"B")])),
        ("raw.tgz", _tar([("outs/a.txt", b"A"), ("outs/sub/b.txt", b"B")])),
        ("raw.tar", _tar([("outs/a.txt", b"A"), ("outs/sub/b.txt", b"B")], mode="w")),
    ],
)
def test_archives_are_extracted_once_and_reused(server, cache_dir, tmp_path, name, payload):
    url = server.add(f"/{name}", body=payload)
    entry = _entry({"url": url, "sha256": hashlib.sha256(payload).hexdigest()})
    (folder,) = materialise_sample(entry, data_root=tmp_path, cache_dir=cache_dir)
    assert folder.is_dir()
    assert folder.name == f"{name}.extracted"
    assert (folder / "outs" / "a.txt").read_bytes() == b"A"
    assert (folder / "outs" / "sub" / "b.txt").read_bytes() == b"B"
    (folder / "marker").write_text("kept")  # a second call must not extract again
    (again,) = materialise_sample(entry, data_root=tmp_path, cache_dir=cache_dir)
    assert again == folder
    assert (again / "marker").read_text() == "kept"
    assert server.hits(f"/{name}") == 1
    assert [p.name for p in folder.parent.iterdir() if ".extract-" in p.name] == []


def test_a_changed_archive_is_extracted_again(tmp_path):
    archive = tmp_path / "raw.zip"
    archive.write_bytes(_zip({"a.txt": b"old"}))
    folder = extract_archive(archive)
    assert extract_archive(archive) == folder
    archive.write_bytes(_zip({"a.txt": b"new", "b.txt": b"B"}))
    os.utime(archive, ns=(1, 1))  # a different modification time, whatever the clock's resolution
    assert extract_archive(archive) == folder
    assert (folder / "a.txt").read_bytes() == b"new"
    assert (folder / "b.txt").read_bytes() == b"B"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".raw.zip.extracted.source", "raw.zip", "raw.zip.extracted"]


def test_symlink_inside_the_target_is_allowed(tmp_path):
    archive = tmp_path / "ok.tar.gz"
    archive.write_bytes(_tar([("data/a.txt", b"A"), _link("data/alias.txt", "a.txt")]))
    folder = extract_archive(archive)
    assert (folder / "data" / "alias.txt").read_bytes() == b"A"


UNSAFE = [
    ("evil.zip", _zip({"ok.txt": b"ok", "../evil.txt": b"x"}), "'../evil.txt'", "'..'"),
    ("abs.zip", _zip({"ok.txt": b"ok", "/tmp/abs-evil.txt": b"x"}), "'/tmp/abs-evil.txt'", "absolute"),
    ("evil.tar.gz", _tar([("ok.txt", b"ok"), ("a/../../evil.txt", b"x")]), "'a/../../evil.txt'", "'..'"),
    ("abs.tar.gz", _tar([("ok.txt", b"ok"), ("/tmp/abs-evil.txt", b"x")]), "'/tmp/abs-evil.txt'", "absolute"),
    ("sym.tar.gz", _tar([_link("up", "../.."), ("ok.txt", b"ok")]), "'up'", "symbolic link"),
    ("symabs.tar.gz", _tar([_link("etc", "/etc"), ("ok.txt", b"ok")]), "'etc'", "symbolic link"),
    ("hard.tar", _tar([_link("h", "../outside.txt", tarfile.LNKTYPE)], mode="w"), "'h'", "hard link"),
]


@pytest.mark.parametrize(("name", "payload", "member", "why"), UNSAFE, ids=[u[0] for u in UNSAFE])
def test_unsafe_members_are_refused_and_nothing_is_written(tmp_path, name, payload, member, why):
    cache = tmp_path / "cache"
    cache.mkdir()
    archive = cache / name
    archive.write_bytes(payload)
    with pytest.raises(FetchError, match="refusing to extract") as info:
        extract_archive(archive, sample_id="S1")
    text = str(info.value)
    assert name in text
    assert member in text
    assert why in text
    assert "sample 'S1'" in text
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(["cache", name])


def test_unsafe_archive_through_materialise_sample(server, cache_dir, tmp_path):
    url = server.add("/evil.zip", body=_zip({"../evil.txt": b"x"}))
    with pytest.raises(FetchError, match=r"evil\.zip.*'\.\./evil\.txt'"):
        materialise_sample(_entry({"url": url}), data_root=tmp_path, cache_dir=cache_dir)
    assert not list(cache_dir.rglob("*.extracted"))
    assert not (cache_dir / "url" / "evil.txt").exists()


def test_damaged_archive_says_how_to_recover(tmp_path):
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"not a zip")
    with pytest.raises(FetchError, match="delete it from the cache"):
        extract_archive(archive)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.zip"]
