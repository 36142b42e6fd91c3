"""The one reader of versioned files: current and migrated versions read, newer and unknown ones refused in one line."""

from __future__ import annotations

import json

import pytest

from humanst.errors import FileFormatError
from humanst.strict_model import StrictModel
from humanst.versioned import VersionedFormat


class _Thing(StrictModel):
    format_version: int
    size_um: float


def _rename(tree: dict) -> dict:  # version 1 called the field "size"
    tree = dict(tree)
    tree["size_um"] = tree.pop("size")
    return tree


THING = VersionedFormat(name="thing.json", model=_Thing, current=2, migrations={1: _rename})


def test_the_current_version_reads_and_an_older_one_is_migrated(tmp_path):
    path = tmp_path / "thing.json"
    THING.write(path, _Thing(format_version=2, size_um=3.0))
    assert THING.read(path) == _Thing(format_version=2, size_um=3.0)
    path.write_text(json.dumps({"format_version": 1, "size": 4.0}))
    assert THING.read(path).size_um == 4.0


def test_a_newer_version_names_the_file_the_versions_and_the_upgrade(tmp_path):
    path = tmp_path / "thing.json"
    path.write_text(json.dumps({"format_version": 9, "size_um": 1.0}))
    with pytest.raises(FileFormatError) as err:
        THING.read(path)
    text = str(err.value)
    expected = "has format_version 9, newer than this humanst reads (2): upgrade humanst (pip install -U humanst)"
    assert text == f"{path} {expected}"
    assert "\n" not in text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"format_version": 0, "size_um": 1.0}, r"older than this humanst reads \(1-2\)"),
        ({"size_um": 1.0}, "has no format_version"),
        ({"format_version": "2", "size_um": 1.0}, "is not a version number"),
        ({"format_version": 2, "size_um": 1.0, "colour": "red"}, "colour: Extra inputs are not permitted"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_unreadable_versions_and_content_are_refused_with_the_reason(tmp_path, content, expected):
    path = tmp_path / "thing.json"
    path.write_text(json.dumps(content))
    with pytest.raises(FileFormatError, match=expected):
        THING.read(path)


def test_a_file_written_before_the_version_key_reads_as_the_declared_version(tmp_path):
    legacy = VersionedFormat(name="thing.json", model=_Thing, current=2, migrations={1: _rename}, missing=1)
    path = tmp_path / "thing.json"
    path.write_text(json.dumps({"size": 5.0}))
    assert legacy.read(path) == _Thing(format_version=2, size_um=5.0)
