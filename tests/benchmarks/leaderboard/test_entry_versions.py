"""Entry records and cohort records are read through the versioned reader: a newer file names the upgrade."""

from __future__ import annotations

import json

import pytest

from benchmarks.cohorts.record import COHORT_FILE, CohortFolder
from benchmarks.errors import CohortError
from benchmarks.leaderboard.entries import ENTRIES, read_entries


def test_a_newer_entry_record_is_reported_with_the_upgrade_and_not_ranked(tmp_path):
    (tmp_path / ENTRIES).mkdir()
    (tmp_path / ENTRIES / "x.json").write_text(json.dumps({"schema_version": 5, "name": "x"}))
    entries, problems = read_entries(tmp_path)
    assert entries == []
    assert len(problems) == 1
    assert "schema_version 5, newer than this stamp-bench reads (1): upgrade stamp-bench" in problems[0]


def test_a_newer_cohort_record_is_refused_with_the_upgrade(tmp_path):
    (tmp_path / COHORT_FILE).write_text(json.dumps({"schema_version": 2, "name": "c"}))
    with pytest.raises(CohortError, match=r"schema_version 2, newer than this stamp-bench reads \(1\)"):
        CohortFolder(tmp_path).read()
