"""HEST-1k metadata rows -> :class:`SampleEntry` objects: licences as SPDX ids, globally unique patient ids.

Licence policy (documented here once, repeated in the generated YAML header):

* Each HEST sample's ``license`` column is free text about the *original* study's data; it is mapped
  to an SPDX id through the explicit table :data:`LICENSE_SPELLINGS` (an unknown text is an error).
* The HEST-1k collection (the processed files on ``MahmoodLab/hest``, which are what the manifest
  fetches) is itself released under CC BY-NC-SA 4.0. Both apply, so a sample's ``license`` is the SPDX
  expression ``<per-sample> AND CC-BY-NC-SA-4.0``; a sample whose study states no licence carries the
  collection licence alone. The citation names the study and HEST-1k with its licence.
* ``redistributable`` is false for no-derivatives (ND) licences and for HEST "Internal" samples; it is
  true otherwise, meaning "may be shared under the licence's terms" (for NC-SA: non-commercially, alike).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from humanst.errors import ManifestError
from humanst.manifest.models import FileSpec, HfSource, Platform, SampleEntry

__all__ = [
    "HEST_COLLECTION_LICENSE",
    "HEST_REPO",
    "HEST_REVISION",
    "LICENSE_SPELLINGS",
    "HestRow",
    "LicenceTerms",
    "hest_entries",
    "hest_entry",
    "normalise_license",
    "patient_label",
    "read_hest_rows",
    "study_slug",
    "technology_by_id",
]

HEST_REPO = "MahmoodLab/hest"
# The hub revision every HEST file is read at. No commit sha of MahmoodLab/hest could be looked up
# when this manifest was generated (no network), so this is the branch name; replace it with a
# 40-hex commit sha (hub "History" tab) to pin the data, then regenerate the manifest.
HEST_REVISION = "main"
HEST_COLLECTION_LICENSE = "CC-BY-NC-SA-4.0"
HEST_CITATION = (
    "HEST-1k: Jaume G. et al., 'HEST-1k: A Dataset for Spatial Transcriptomics and Histology Image Analysis', "
    "NeurIPS 2024 Datasets and Benchmarks (huggingface.co/datasets/MahmoodLab/hest, CC BY-NC-SA 4.0)"
)
HUMAN = "Homo sapiens"


@dataclass(frozen=True)
class LicenceTerms:
    """The SPDX id of a licence text and whether data under it may be redistributed."""

    spdx: str
    redistributable: bool


_CC_BY_4 = LicenceTerms("CC-BY-4.0", redistributable=True)
_CC_BY_NC_ND_4 = LicenceTerms("CC-BY-NC-ND-4.0", redistributable=False)

# Every spelling of the `license` column in HEST v1.1.0 (stripped). Unversioned "Creative Commons
# Attribution" / "CC BY" are read as 4.0: the studies behind them (10x Genomics datasets, GEO/Mendeley
# deposits) publish under CC BY 4.0. "" means the study states no licence: only HEST-1k's applies.
LICENSE_SPELLINGS: dict[str, LicenceTerms | None] = {
    "": None,
    "CC BY": _CC_BY_4,
    "CC BY 4.0": _CC_BY_4,
    "Creative Commons Attribution": _CC_BY_4,
    "Creative Commons Attribution 4.0": _CC_BY_4,
    "Creative Commons Attribution 4.0 International": _CC_BY_4,
    "Creative Commons Attribution 4.0 International License": _CC_BY_4,
    "CC BY-NC 4.0": LicenceTerms("CC-BY-NC-4.0", redistributable=True),
    "Creative Commons Attribution NonCommercial License 4.0": LicenceTerms("CC-BY-NC-4.0", redistributable=True),
    "CC BY NC 3.0": LicenceTerms("CC-BY-NC-3.0", redistributable=True),
    "CC BY-NC-ND 4.0": _CC_BY_NC_ND_4,
    "CC BY-NC-ND 4.0 DEED": _CC_BY_NC_ND_4,
    "Internal": LicenceTerms("LicenseRef-HEST-Internal", redistributable=False),
}

# HEST organ names -> UBERON-style lower-case names where they differ from the lower-cased text.
_ORGAN_NAMES = {"bowel": "intestine", "lymphoid": "lymphoid tissue"}


@dataclass(frozen=True)
class HestRow:
    """The columns of one HEST metadata row that the manifest uses (stripped strings, '' when empty)."""

    id: str
    dataset_title: str
    organ: str
    disease_state: str
    oncotree_code: str
    species: str
    patient: str
    st_technology: str
    license: str
    study_link: str
    download_page_link1: str


def read_hest_rows(path: str | Path) -> list[HestRow]:
    """Read every row of the HEST metadata CSV (UTF-8 with a byte-order mark)."""
    path = Path(path)
    fields = list(HestRow.__dataclass_fields__)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [f for f in fields if f not in (reader.fieldnames or [])]
        if missing:
            raise ManifestError(path, [("header", f"columns {missing} are missing; is this the HEST metadata CSV?")])
        return [HestRow(**{f: (raw[f] or "").strip() for f in fields}) for raw in reader]


def normalise_license(text: str, *, sample_id: str) -> LicenceTerms | None:
    """Return the SPDX terms of a HEST licence text (None when the study states none).

    Raises
    ------
    ManifestError
        If the text is not in :data:`LICENSE_SPELLINGS`; the message names the row and the text.
    """
    key = text.strip()
    if key not in LICENSE_SPELLINGS:
        known = ", ".join(repr(k) for k in LICENSE_SPELLINGS)
        msg = f"unknown licence text {key!r}; add it to LICENSE_SPELLINGS in hest_catalog.py (known: {known})"
        raise ManifestError(None, [(f"HEST row '{sample_id}' field 'license'", msg)])
    return LICENSE_SPELLINGS[key]


def _entry_licence(terms: LicenceTerms | None) -> tuple[str, bool]:
    if terms is None:
        return HEST_COLLECTION_LICENSE, True
    if terms.spdx == HEST_COLLECTION_LICENSE:
        return HEST_COLLECTION_LICENSE, terms.redistributable
    return f"{terms.spdx} AND {HEST_COLLECTION_LICENSE}", terms.redistributable


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def study_slug(title: str, *, max_words_chars: int = 32) -> str:
    """Return a stable study slug: the title's first words plus 6 hex digits of its SHA-1 (unique per title)."""
    words = _slug(title).split("-")
    head = ""
    for word in words:
        if head and len(head) + 1 + len(word) > max_words_chars:
            break
        head = f"{head}-{word}" if head else word
    digest = hashlib.sha1(title.encode("utf-8")).hexdigest()[:6]  # an id, not security
    return f"{head[:max_words_chars] or 'study'}-{digest}"


def patient_label(row: HestRow) -> str:
    """Return the patient part of a patient id; a sample without a patient is its own patient."""
    label = _slug(row.patient)
    # One sample = one patient when HEST gives none: 'sample-<id>' (upper case kept, so it cannot
    # collide with a slugified label, which is lower case).
    return label or f"sample-{row.id}"


def _organ(row: HestRow) -> str:
    name = re.sub(r"\s+", " ", row.organ.lower())
    return _ORGAN_NAMES.get(name, name) or "not stated"


def _disease(row: HestRow) -> str:
    state = row.disease_state.lower() or "not stated"
    code = row.oncotree_code
    return f"{state} (oncotree {code})" if code and code.upper() != "UNKNOWN" else state


def _citation(row: HestRow) -> str:
    link = next((x for x in (row.study_link, row.download_page_link1) if x.startswith("http")), "")
    study = f"{row.dataset_title} ({link})" if link else row.dataset_title
    return f"{study}; via {HEST_CITATION}"


def _files(sample_id: str) -> list[FileSpec]:
    paths = (f"st/{sample_id}.h5ad", f"wsis/{sample_id}.tif", f"metadata/{sample_id}.json")
    return [FileSpec(hf=HfSource(repo=HEST_REPO, path=p, revision=HEST_REVISION)) for p in paths]


def hest_entry(row: HestRow) -> SampleEntry:
    """Return the manifest entry of one human HEST row (platform ``hest``: the hub's HEST layout)."""
    terms = normalise_license(row.license, sample_id=row.id)
    licence, redistributable = _entry_licence(terms)
    study = study_slug(row.dataset_title or row.id)
    return SampleEntry(
        id=row.id,
        study=study,
        patient_id=f"{study}:{patient_label(row)}",
        organ=_organ(row),
        disease=_disease(row),
        platform=Platform.hest,
        files=_files(row.id),
        license=licence,
        redistributable=redistributable,
        citation=_citation(row),
    )


def hest_entries(rows: Iterable[HestRow]) -> list[SampleEntry]:
    """Return the entries of the human rows, in CSV order; all bad rows are reported in one error.

    Raises
    ------
    ManifestError
        Listing every row with an unknown licence or an invalid field.
    """
    entries: list[SampleEntry] = []
    problems: list[tuple[str, str]] = []
    for row in rows:
        if row.species != HUMAN:
            continue
        try:
            entries.append(hest_entry(row))
        except ManifestError as exc:
            problems.extend(exc.problems)
        except ValueError as exc:  # pydantic ValidationError
            problems.append((f"HEST row '{row.id}'", str(exc)))
    if problems:
        raise ManifestError(None, problems)
    return entries


def technology_by_id(rows: Iterable[HestRow]) -> Mapping[str, str]:
    """Return each row's original ``st_technology`` (kept as a YAML comment; the model has no field)."""
    return {row.id: row.st_technology for row in rows}
