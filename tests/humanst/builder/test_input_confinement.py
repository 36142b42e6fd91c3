"""Manifest ``path`` sources stay inside the data root: '..', symlinks and absolute paths, checked before hashing."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from humanst.cli import app
from humanst.errors import FetchError
from humanst.fetch import resolve_local

from .conftest import sample_dict, write_manifest

ABSOLUTE_PATHS_FLAG = "--allow-absolute-paths"  # as a user types it
OUTSIDE = Path("/etc")  # a system folder of hundreds of files that must never reach the hash cache


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_validate_manifest_refuses_dot_dot_and_absolute_paths_without_the_flag(tmp_path: Path) -> None:
    climbing = write_manifest(tmp_path / "climb.yaml", [sample_dict("s1", "hest", [{"path": "../../../../etc"}])])
    result = CliRunner().invoke(app, ["validate-manifest", str(climbing)])
    assert result.exit_code == 1, result.output
    text = _one_line(result.output)
    assert "sample 's1' field 'files[0].path'" in text
    assert "climbs out of the data root" in text
    absolute = write_manifest(tmp_path / "abs.yaml", [sample_dict("s2", "hest", [{"path": str(OUTSIDE)}])])
    refused = CliRunner().invoke(app, ["validate-manifest", str(absolute)])
    assert refused.exit_code == 1, refused.output
    assert ABSOLUTE_PATHS_FLAG in _one_line(refused.output)
    allowed = CliRunner().invoke(app, ["validate-manifest", str(absolute), ABSOLUTE_PATHS_FLAG])
    assert allowed.exit_code == 0, allowed.output


def test_build_refuses_inputs_outside_the_data_root_before_hashing_and_the_rest_build(
    raw_samples: dict[str, Any], tmp_path: Path
) -> None:
    root = tmp_path / "data"
    shutil.copytree(raw_samples["hest"].root, root / "good")
    (root / "escape").symlink_to(OUTSIDE)  # a link inside the data root that leads out of it
    (root / "inner").mkdir()
    (root / "inner" / "passwd").symlink_to(OUTSIDE / "passwd")  # a folder input holding a link out
    good_path = (Path("good") / raw_samples["hest"].data_path.relative_to(raw_samples["hest"].root)).as_posix()
    samples = [
        sample_dict("good", "hest", [{"path": good_path}]),
        sample_dict("via-link", "hest", [{"path": "escape"}]),
        sample_dict("link-inside", "hest", [{"path": "inner"}]),
        sample_dict("absolute", "hest", [{"path": str(OUTSIDE)}]),
    ]
    manifest = write_manifest(tmp_path / "manifest.yaml", samples)
    cache = tmp_path / "cache"
    args = ["build", str(manifest), "--out", str(tmp_path / "atlas"), "--data-root", str(root), "--cache", str(cache)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    text = _one_line(result.output)
    assert "sample 'via-link'" in text
    assert "outside the data root" in text
    assert "sample 'link-inside'" in text
    assert "inside the input points to" in text
    assert "sample 'absolute'" in text
    assert f"absolute paths are refused unless you pass {ABSOLUTE_PATHS_FLAG}" in text
    assert "Traceback" not in result.output
    hashed = sorted((cache / "content-hashes").glob("*.json"))
    assert hashed, "the good sample's inputs are hashed"
    named = " ".join(p.read_text() for p in hashed)
    assert str(OUTSIDE) not in named  # nothing under /etc was read
    assert (tmp_path / "atlas" / "samples" / "good.zarr").is_dir()


def test_a_folder_past_its_bounds_is_refused_by_a_listing_that_stops_early(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "many"
    folder.mkdir(parents=True)
    for index in range(6):
        (folder / f"f{index}.txt").write_bytes(b"x" * 100)
    with pytest.raises(FetchError, match="more than 5 files") as info:
        resolve_local("many", data_root=tmp_path / "data", sample_id="s1", max_files=5)
    assert "sample 's1'" in str(info.value)
    with pytest.raises(FetchError, match=r"more than .* GiB"):
        resolve_local("many", data_root=tmp_path / "data", sample_id="s1", max_bytes=250)
    assert resolve_local("many", data_root=tmp_path / "data", max_files=6) == folder


def test_an_absolute_path_is_taken_only_with_the_flag(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.h5"
    target.write_bytes(b"h5")
    with pytest.raises(FetchError, match=ABSOLUTE_PATHS_FLAG):
        resolve_local(str(target), data_root=tmp_path / "root")
    assert resolve_local(str(target), data_root=tmp_path / "root", allow_absolute=True) == target
