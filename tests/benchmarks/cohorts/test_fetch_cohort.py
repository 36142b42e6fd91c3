"""``stamp-bench fetch-cohort`` against a fake GDC API on 127.0.0.1 (see conftest): paging, labels with provenance,
the per-class cap, resume of a truncated slide, md5 refusal, API errors as one line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.cli import app
from benchmarks.cohorts import read_cohort
from tests.benchmarks.cohorts.conftest import RELEASE, STRANGER, FakeGdc, write_definition
from tests.local_http import Route

runner = CliRunner()


def _fetch(gdc: FakeGdc, out: Path, *args: str, definition: Path | None = None):
    return runner.invoke(app, ["fetch-cohort", str(definition or gdc.definition), "--out", str(out), *args])


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def _error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, output
    return lines[0]


def test_labels_only_pages_every_query_and_writes_labels_with_provenance(fake_gdc: FakeGdc, tmp_path: Path):
    out = tmp_path / "cohort"
    done = _fetch(fake_gdc, out, "--labels-only")
    assert done.exit_code == 0, done.output
    # paging: every page of every query asked once, several pages each
    for what, pages in fake_gdc.pages.items():
        assert len(pages) >= 2, what
        assert [fake_gdc.server.hits(p) for p in pages] == [1] * len(pages), what
    # labels only: no slide downloaded; the stranger's MAF (no slide) listed but never downloaded
    assert not any(fake_gdc.server.hits(s.path) for s in fake_gdc.slides.values())
    assert not (out / "slides").exists() or not any((out / "slides").iterdir())
    stranger = [r for r in fake_gdc.raw if r.patient == STRANGER]
    assert stranger
    assert fake_gdc.server.hits(stranger[0].path) == 0
    folder, record = read_cohort(out)
    assert {s.slide_id for s in record.slides} == set(fake_gdc.slides)
    assert {s.md5 for s in record.slides} == {s.hit["md5sum"] for s in fake_gdc.slides.values()}
    assert record.provenance["data_release"] == RELEASE
    assert record.provenance["api"] == fake_gdc.server.base
    # mutations: from the masked somatic MAFs, as the truth says; the unsequenced patient left out and counted
    truth = fake_gdc.truth
    sequenced = truth[truth["sequenced"]]
    mutations = folder.read_table("mutations")
    assert sorted(mutations.index) == sorted(sequenced.index)
    for gene in ("DRIVER1", "PASSENGER1"):
        assert mutations[gene].to_dict() == sequenced[gene].astype(int).to_dict()
    table = record.table("mutations")
    assert table.excluded == {"no open-access MAF (not sequenced)": int((~truth["sequenced"]).sum())}
    assert table.query is not None
    assert table.query["url"] == f"{fake_gdc.server.base}/files"
    assert table.query["total"] == len([r for r in fake_gdc.raw if r.kind == "mutations"])
    assert "Masked Somatic Mutation" in json.dumps(table.query["filters"])
    assert table.query["date"] == record.provenance["date"]
    # survival: from the case records
    survival = folder.read_table("survival")
    assert survival["os_days"].to_dict() == truth["days"].astype(float).to_dict()
    assert survival["os_event"].to_dict() == truth["event"].astype(int).to_dict()
    assert record.table("survival").query["url"] == f"{fake_gdc.server.base}/cases"
    assert "demographic.vital_status" in record.table("survival").query["fields"]
    # slide Hallmark activity from the STAR counts, beside its matched random sets
    activity = folder.read_table("activity-hallmark")
    assert sorted(activity.index) == sorted(truth.index)
    assert any(c.startswith("HALLMARK_") for c in activity.columns)
    entry = record.table("activity-hallmark")
    assert "STAR - Counts" in json.dumps(entry.query["filters"])
    assert entry.method["function"] == "humanst.pathways.score"
    assert record.table("activity-random-hallmark").control_of == "activity-hallmark"
    # the summary: counts, provenance, pretraining exposure of TCGA-like cohorts
    text = done.output
    assert f"{len(fake_gdc.slides)} not selected" in text
    assert "0 downloaded" in text
    assert RELEASE in text
    assert "pretraining exposure: yes" in text
    assert "phikon-v2" in text


def test_max_slides_per_class_caps_the_download_and_a_rerun_fetches_nothing(fake_gdc: FakeGdc, tmp_path: Path):
    definition = write_definition(tmp_path / "small.yaml", fake_gdc.server.base, activity=False)
    out = tmp_path / "cohort"
    cap = ("--max-slides-per-class", "1", "--stratify", "mutations:DRIVER1")
    done = _fetch(fake_gdc, out, *cap, definition=definition)
    assert done.exit_code == 0, done.output
    folder, record = read_cohort(out)
    classes = folder.read_table("mutations")["DRIVER1"]
    on_disk = {p.name for p in folder.slides_dir.iterdir() if not p.name.startswith(".")}
    patients = {s.patient_id for s in record.slides if s.file.rpartition("/")[2] in on_disk}
    assert len(patients) == classes.nunique() == 2  # one patient of each class
    assert set(classes[sorted(patients)]) == {0, 1}
    expected = {s.file.rpartition("/")[2] for s in record.slides if s.patient_id in patients}
    assert on_disk == expected
    for slide in record.slides:
        if slide.patient_id in patients:
            assert _md5(folder.root / slide.file) == slide.md5
    assert f"{len(record.slides) - len(expected)} not selected" in done.output
    before = fake_gdc.data_gets()
    again = _fetch(fake_gdc, out, *cap, definition=definition)
    assert again.exit_code == 0, again.output
    assert f"0 downloaded, {len(expected)} already present and verified" in again.output
    assert fake_gdc.data_gets() == before  # verified slides and label inputs are not downloaded again


def test_a_truncated_slide_download_is_resumed_with_a_range_request(fake_gdc: FakeGdc, tmp_path: Path):
    definition = write_definition(tmp_path / "small.yaml", fake_gdc.server.base, activity=False)
    slide_id, served = sorted(fake_gdc.slides.items())[0]
    fake_gdc.server.add(served.path, Route(body=served.body, truncate_first=True))
    out = tmp_path / "cohort"
    done = _fetch(fake_gdc, out, definition=definition)
    assert done.exit_code == 0, done.output
    first, second = fake_gdc.server.requests(served.path)
    assert "Range" not in first.headers
    assert second.headers["Range"] == f"bytes={len(served.body) // 2}-"  # only the rest is asked for
    path = out / "slides" / served.hit["file_name"]
    assert path.read_bytes() == served.body
    assert f"{len(fake_gdc.slides)} downloaded" in done.output
    assert slide_id in {s.slide_id for s in read_cohort(out)[1].slides}


def test_an_md5_mismatch_is_refused_and_the_other_slides_go_on(fake_gdc: FakeGdc, tmp_path: Path):
    definition = write_definition(tmp_path / "small.yaml", fake_gdc.server.base, activity=False)
    slide_id, served = sorted(fake_gdc.slides.items())[-1]
    damaged = bytearray(served.body)
    damaged[len(damaged) // 2] ^= 0xFF  # same size, other bytes
    fake_gdc.server.add(served.path, Route(body=bytes(damaged)))
    out = tmp_path / "cohort"
    done = _fetch(fake_gdc, out, definition=definition)
    assert done.exit_code == 1, done.output
    assert "Traceback" not in done.output
    assert f"failed: {slide_id}" in done.output
    assert f"expected md5 {served.hit['md5sum']}" in done.output
    assert "1 of" in _error_line(done.output)
    leftovers = [p.name for p in (out / "slides").iterdir() if served.hit["file_name"] in p.name]
    assert leftovers == []  # neither kept as finished nor as a partial to resume
    _, record = read_cohort(out)  # the record is still written, with every listed slide and a note
    assert len(record.slides) == len(fake_gdc.slides)
    assert any(slide_id in note for note in record.notes)
    for other_id, other in fake_gdc.slides.items():
        if other_id != slide_id:
            assert (out / "slides" / other.hit["file_name"]).read_bytes() == other.body


@pytest.mark.parametrize(
    ("route", "expected", "requests"),
    [
        (Route(status=400, body=b'{"message": "Unrecognized fields: [cases.x]"}'), "HTTP 400 (Unrecognized fields", 1),
        (Route(fail_first=99), "HTTP 500", 4),  # retried (3 times) before it gives up
        (Route(body=b"<html>maintenance</html>"), "not JSON", 1),
        (Route(body=b'{"message": "internal"}'), "no data.hits / data.pagination.total", 1),
    ],
    ids=["http-400-json-message", "http-500", "not-json", "wrong-shape"],
)
def test_an_api_error_is_one_clear_line(fake_gdc: FakeGdc, tmp_path: Path, route: Route, expected: str, requests: int):
    page = fake_gdc.pages["clinical"][1]  # the second page of the cases query: after a first page went fine
    fake_gdc.server.add(page, route)
    done = _fetch(fake_gdc, tmp_path / "cohort", "--labels-only")
    assert done.exit_code == 1, done.output
    assert "Traceback" not in done.output
    line = _error_line(done.output)
    assert expected in line
    assert "/cases" in line
    assert fake_gdc.server.hits(page) == requests
    assert not (tmp_path / "cohort" / "cohort.json").exists()


def test_unknown_cohorts_and_bad_options_are_one_line(fake_gdc: FakeGdc, tmp_path: Path):
    done = runner.invoke(app, ["fetch-cohort", "tcga-nope", "--out", str(tmp_path / "x")])
    assert done.exit_code == 1
    assert "shipped cohorts:" in _error_line(done.output)
    assert "tcga-coadread" in done.output
    done = _fetch(fake_gdc, tmp_path / "y", "--max-slides-per-class", "1", "--stratify", "mutations")
    assert done.exit_code == 1
    assert "TABLE:COLUMN" in _error_line(done.output)
    assert fake_gdc.server.seen == []  # refused before any request
    done = _fetch(fake_gdc, tmp_path / "z", "--max-slides-per-class", "1", "--stratify", "survival:os_days")
    assert done.exit_code == 1
    assert "is a continuous label" in _error_line(done.output)


def test_the_api_option_overrides_the_definition(fake_gdc: FakeGdc, tmp_path: Path):
    definition = write_definition(tmp_path / "elsewhere.yaml", "http://127.0.0.1:9", activity=False)  # nothing there
    done = _fetch(fake_gdc, tmp_path / "c", "--labels-only", "--api", fake_gdc.server.base, definition=definition)
    assert done.exit_code == 0, done.output
    assert read_cohort(tmp_path / "c")[1].provenance["api"] == fake_gdc.server.base


def test_cohorts_lists_the_shipped_definitions():
    done = runner.invoke(app, ["cohorts"])
    assert done.exit_code == 0, done.output
    for name in ("tcga-brca", "tcga-coadread", "tcga-luad", "synthetic-slides"):
        assert name in done.output
    assert "GDC TCGA-COAD+TCGA-READ" in done.output
