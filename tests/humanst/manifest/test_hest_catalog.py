from __future__ import annotations

import csv
import dataclasses
from collections import defaultdict
from pathlib import Path

import pytest

from humanst.errors import ManifestError
from humanst.manifest.hest_catalog import (
    HEST_COLLECTION_LICENSE,
    LICENSE_SPELLINGS,
    HestRow,
    hest_entries,
    normalise_license,
    read_hest_rows,
    study_slug,
)
from humanst.manifest.make_humanst import DEFAULT_CSV


@pytest.fixture(scope="module")
def rows() -> list[HestRow]:
    return read_hest_rows(DEFAULT_CSV)


@pytest.fixture(scope="module")
def raw_rows() -> list[dict[str, str]]:
    with Path(DEFAULT_CSV).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_has_bom_and_reads_id_column(rows: list[HestRow]):
    assert Path(DEFAULT_CSV).read_bytes()[:3] == b"\xef\xbb\xbf"
    assert all(r.id for r in rows)


def test_every_licence_spelling_in_csv_maps(raw_rows: list[dict[str, str]]):
    spellings = {r["license"].strip() for r in raw_rows}
    assert spellings <= set(LICENSE_SPELLINGS), spellings - set(LICENSE_SPELLINGS)
    assert len(spellings) == 13  # 12 texts plus empty, as catalogued in SOURCES.md
    for text in spellings:
        normalise_license(text, sample_id="X")


@pytest.mark.parametrize("text", [k for k in LICENSE_SPELLINGS if "ND" in k or k == "Internal"])
def test_no_derivatives_and_internal_are_not_redistributable(text: str):
    terms = normalise_license(text, sample_id="X")
    assert terms is not None
    assert not terms.redistributable


def test_other_spellings_are_redistributable_spdx_ids():
    for text, terms in LICENSE_SPELLINGS.items():
        if terms is None or "ND" in text or text == "Internal":
            continue
        assert terms.redistributable, text
        assert terms.spdx.startswith("CC-BY"), text


def test_unknown_licence_raises_with_row_id(rows: list[HestRow]):
    human = next(r for r in rows if r.species == "Homo sapiens")
    bad = dataclasses.replace(human, license="Some Custom Licence v2")
    with pytest.raises(ManifestError, match=rf"HEST row '{human.id}'.*Some Custom Licence v2"):
        hest_entries([bad])


def test_human_only_and_count_matches_csv(rows: list[HestRow], raw_rows: list[dict[str, str]]):
    entries = hest_entries(rows)
    human_ids = [r["id"] for r in raw_rows if r["species"] == "Homo sapiens"]
    mouse_ids = {r["id"] for r in raw_rows if r["species"] == "Mus musculus"}
    assert [e.id for e in entries] == human_ids
    assert not mouse_ids & {e.id for e in entries}
    assert 600 <= len(entries) <= 700  # sanity: HEST v1.1.0 has 649 human samples


def test_licences_combine_with_hest_collection(rows: list[HestRow]):
    for entry in hest_entries(rows):
        assert entry.license == HEST_COLLECTION_LICENSE or entry.license.endswith(f" AND {HEST_COLLECTION_LICENSE}")
        assert "HEST-1k" in entry.citation


def test_patient_ids_unique_per_study_and_globally(rows: list[HestRow]):
    entries = hest_entries(rows)
    by_title: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.species == "Homo sapiens":
            by_title[row.dataset_title].add(study_slug(row.dataset_title))
    slugs = [next(iter(s)) for s in by_title.values()]
    assert all(len(s) == 1 for s in by_title.values())
    assert len(set(slugs)) == len(slugs)  # distinct titles never share a study
    patients_per_study: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        assert entry.patient_id.startswith(f"{entry.study}:")
        patients_per_study[entry.study].add(entry.patient_id)
    owners: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        owners[entry.patient_id].add(entry.study)
    assert all(len(s) == 1 for s in owners.values())
    # "patient 1" appears in several studies and becomes one patient per study
    labelled = [e for e in entries if e.patient_id.endswith(":patient-1")]
    assert len({e.study for e in labelled}) > 1
    assert len({e.patient_id for e in labelled}) == len({e.study for e in labelled})


def test_empty_patient_is_its_own_patient(rows: list[HestRow]):
    row = next(r for r in rows if r.species == "Homo sapiens" and not r.patient)
    (entry,) = hest_entries([row])
    assert entry.patient_id == f"{entry.study}:sample-{row.id}"


def test_hest_files_are_pinned_hub_files(rows: list[HestRow]):
    entry = hest_entries(rows)[0]
    paths = [f.hf.path for f in entry.files if f.hf is not None]
    assert paths == [f"st/{entry.id}.h5ad", f"wsis/{entry.id}.tif", f"metadata/{entry.id}.json"]
    assert {f.hf.repo for f in entry.files if f.hf is not None} == {"MahmoodLab/hest"}


def test_study_slug_is_stable():
    assert study_slug("spatialLIBD") == study_slug("spatialLIBD")
    assert study_slug("A [ST]") != study_slug("A [Visium]")
