"""A fake NCI GDC API on 127.0.0.1: recorded-style paged ``files`` / ``cases`` answers and ``data`` downloads.

The files it serves are real-format ones written by :func:`humanst.synth.cohort.write_synthetic_cohort` (pyramidal
TIFF slides, gzipped masked somatic MAFs with the GDC columns, STAR-counts TSVs, ``cases`` records). Each page is
answered at the exact address :class:`GdcClient` asks for (the replay is keyed by the request, as a recording is),
in the GDC response shape ``{"data": {"hits": [...], "pagination": {...}}, "warnings": {}}``.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from benchmarks.cohorts.definition import GdcSource
from benchmarks.cohorts.gdc_api import GdcClient
from benchmarks.cohorts.sources.gdc import queries_of
from humanst.synth.cohort import CohortDesign, SyntheticCohort, write_synthetic_cohort
from tests.local_http import FakeServer, Route

PROJECT = "SYNTH-COHORT"
PAGE_SIZE = 3
RELEASE = "Data Release 99.0 (test)"
STRANGER = "SYNTH-P999"  # a case with a MAF but no diagnostic slide: listed by the API, never downloaded


@dataclass
class ServedFile:
    """One file the fake API serves: its hit and its bytes."""

    hit: dict[str, Any]
    body: bytes
    patient: str
    kind: str = "slide"

    @property
    def path(self) -> str:
        return f"/data/{self.hit['file_id']}"


@dataclass
class FakeGdc:
    """The running fake API, the definition pointing at it, and what it serves."""

    server: FakeServer
    definition: Path
    cohort: SyntheticCohort
    slides: dict[str, ServedFile] = field(default_factory=dict)  # by slide id
    raw: list[ServedFile] = field(default_factory=list)
    pages: dict[str, list[str]] = field(default_factory=dict)  # query -> page paths, in order

    @property
    def truth(self) -> pd.DataFrame:
        return self.cohort.truth.set_index("patient_id")

    def data_gets(self) -> int:
        return sum(1 for s in self.server.seen if s.path.startswith("/data/"))


def _file_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gdc-test/{name}"))


def _hit(file_id: str, name: str, body: bytes, patient: str, sample_types: list[str]) -> dict[str, Any]:
    return {
        "id": file_id,
        "file_id": file_id,
        "file_name": name,
        "md5sum": hashlib.md5(body, usedforsecurity=False).hexdigest(),
        "file_size": len(body),
        "cases": [{"submitter_id": patient, "samples": [{"sample_type": t} for t in sample_types]}],
    }


def _page(hits: list[dict[str, Any]], offset: int, total: int) -> bytes:
    pagination = {
        "count": len(hits), "total": total, "size": PAGE_SIZE, "from": offset, "sort": "",
        "page": offset // PAGE_SIZE + 1, "pages": -(-total // PAGE_SIZE),
    }  # fmt: skip
    return json.dumps({"data": {"hits": hits, "pagination": pagination}, "warnings": {}}).encode()


def write_definition(path: Path, api: str, *, activity: bool = True) -> Path:
    """A GDC cohort definition of the fake project (labels: mutations, survival and, optionally, activity)."""
    labels: dict[str, Any] = {"mutations": {"genes": ["DRIVER1", "PASSENGER1"]}, "survival": {}}
    if activity:
        labels["activity"] = {"collections": ["hallmark"], "random_set_bins": 5}
    doc = {
        "schema_version": 1, "name": "fake-gdc", "description": "a fake GDC project served on 127.0.0.1",
        "license": "test data", "source": {"kind": "gdc", "api": api, "projects": [PROJECT], "page_size": PAGE_SIZE},
        "labels": labels, "pretraining": "tcga",
    }  # fmt: skip
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def synthetic_gdc_files(tmp_path_factory: pytest.TempPathFactory) -> SyntheticCohort:
    """Six patients' slides, MAFs, STAR counts and case records in the GDC formats (written once, ~5 s)."""
    design = CohortDesign(n_patients=6, width_um=300, height_um=300, second_slide_fraction=0.3, seed=1)
    return write_synthetic_cohort(tmp_path_factory.mktemp("gdc-files"), design)


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries do not sleep (the waits asked for are recorded)."""
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    return waits


@pytest.fixture
def fake_gdc(synthetic_gdc_files: SyntheticCohort, tmp_path: Path, no_wait: list[float]) -> Iterator[FakeGdc]:
    """A fake GDC API serving the synthetic files (fresh per test: tests may break its routes)."""
    cohort = synthetic_gdc_files
    with FakeServer() as server:
        gdc = FakeGdc(server, write_definition(tmp_path / "fake-gdc.yaml", server.base), cohort)
        for slide in cohort.slides:
            body = slide.path.read_bytes()
            name = slide.path.name
            gdc.slides[slide.slide_id] = ServedFile(
                _hit(_file_id(name), name, body, slide.patient_id, ["Primary Tumor"]), body, slide.patient_id
            )
        for item in cohort.files:
            if item.kind == "clinical":
                continue
            body = item.path.read_bytes()
            types = ["Primary Tumor", "Blood Derived Normal"] if item.kind == "mutations" else ["Primary Tumor"]
            hit = _hit(item.file_id, item.path.name, body, item.patient_id, types)
            gdc.raw.append(ServedFile(hit, body, item.patient_id, item.kind))
        maf = next(r for r in gdc.raw if r.kind == "mutations")
        hit = _hit(_file_id("stranger.maf.gz"), "stranger.maf.gz", maf.body, STRANGER, ["Primary Tumor"])
        gdc.raw.append(ServedFile(hit, maf.body, STRANGER, "mutations"))
        cases = json.loads(next(f for f in cohort.files if f.kind == "clinical").path.read_text())
        cases.append({**cases[0], "case_id": _file_id(STRANGER), "submitter_id": STRANGER})
        hits = {
            "slides": [s.hit for s in gdc.slides.values()],
            "clinical": sorted(cases, key=lambda c: c["case_id"]),
            "mutations": [r.hit for r in gdc.raw if r.kind == "mutations"],
            "expression": [r.hit for r in gdc.raw if r.kind == "expression"],
        }
        client = GdcClient(server.base, page_size=PAGE_SIZE)
        source = GdcSource(projects=[PROJECT], page_size=PAGE_SIZE)
        for what, query in queries_of(source).items():
            found = sorted(hits[what], key=lambda h: h.get("file_id", h.get("case_id")))
            gdc.pages[what] = []
            for offset in range(0, len(found), PAGE_SIZE):
                path = client.page_url(query, offset).removeprefix(server.base)
                server.add(path, body=_page(found[offset : offset + PAGE_SIZE], offset, len(found)))
                gdc.pages[what].append(path)
        status = {"commit": "0" * 40, "data_release": RELEASE, "status": "OK", "tag": "9.9.9", "version": 1}
        server.add("/status", body=json.dumps(status).encode())
        for served in [*gdc.slides.values(), *gdc.raw]:
            server.add(served.path, Route(body=served.body))
        yield gdc
