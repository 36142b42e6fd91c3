"""A cohort folder: ``cohort.json`` lists every slide and label table with its provenance; the files sit beside it.

Layout (one owner for every name: :class:`CohortFolder`)::

    COHORT/cohort.json                      CohortRecord: slides, raw label inputs, label tables, provenance
    COHORT/slides/<file name>               slide files (downloaded or written)
    COHORT/raw/{clinical,mutations,expression}/<file name>   label inputs as the source serves them
    COHORT/labels/<table>.tsv               one row per patient: ``patient_id`` then the label columns

A slide's id is its file name without the slide suffix (what ``stamp embed-slides`` names its features).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Final, Literal

import pandas as pd
from pydantic import Field, JsonValue

from benchmarks.cohorts.definition import CohortDefinition, PretrainingExposure
from benchmarks.errors import CohortError
from humanst.atomic import atomic_write_text
from humanst.errors import FileFormatError
from humanst.strict_model import StrictModel
from humanst.versioned import VersionedFormat

__all__ = ["COHORT_FILE", "CohortFolder", "CohortRecord", "LabelTable", "RawFile", "SlideEntry", "read_cohort"]

COHORT_FILE = "cohort.json"
PATIENT_COLUMN = "patient_id"
RECORD_VERSION: Final = 1


class SlideEntry(StrictModel):
    """One slide: id, patient, its place in the folder (there once downloaded), where it comes from, checksums."""

    slide_id: str
    patient_id: str
    file: str
    source: str = Field(description="Where the file comes from: a GDC file id, or 'synthetic'.")
    url: str = ""
    md5: str | None = None
    sha256: str | None = None
    size: int | None = None
    sample_type: str = ""
    license: str


class RawFile(StrictModel):
    """A label input (clinical records, a MAF, an RNA-seq counts file) and where it came from."""

    kind: Literal["clinical", "mutations", "expression"]
    file: str
    patient_id: str = ""
    source: str
    url: str = ""
    md5: str | None = None
    size: int | None = None


class LabelTable(StrictModel):
    """A label table (``labels/<name>.tsv``) with its provenance: source, query or inputs, method, date, exclusions."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    kind: Literal["classification", "survival", "regression"]
    columns: list[str]
    source: str
    query: dict[str, JsonValue] | None = None
    inputs: int = Field(0, ge=0, description="How many raw files went into it.")
    method: dict[str, JsonValue] = Field(default_factory=dict)
    control_of: str = ""
    created: str
    n_patients: int = Field(ge=0)
    excluded: dict[str, int] = Field(default_factory=dict, description="Patients left out, by reason.")


class CohortRecord(StrictModel):
    """The cohort as fetched: its definition, provenance, slides, raw inputs and label tables."""

    schema_version: int = RECORD_VERSION
    name: str
    definition: CohortDefinition
    created: str
    provenance: dict[str, JsonValue] = Field(default_factory=dict, description="API root, data release, queries, tool.")
    slides: list[SlideEntry] = Field(default_factory=list)
    raw: list[RawFile] = Field(default_factory=list)
    labels: list[LabelTable] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def pretraining(self) -> PretrainingExposure:
        """The definition's pretraining-exposure card."""
        return self.definition.pretraining

    def table(self, name: str) -> LabelTable:
        """Return one label table's entry; an unknown name lists the tables."""
        for table in self.labels:
            if table.name == name:
                return table
        msg = f"cohort {self.name!r} has no label table {name!r}; tables: {[t.name for t in self.labels]}"
        raise CohortError(msg)


RECORD_FORMAT: VersionedFormat[CohortRecord] = VersionedFormat(
    name=COHORT_FILE, model=CohortRecord, current=RECORD_VERSION, key="schema_version", package="stamp-bench"
)


class CohortFolder:
    """The files of one cohort folder (the only place their names are spelled)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def record_path(self) -> Path:
        """``cohort.json``."""
        return self.root / COHORT_FILE

    @property
    def slides_dir(self) -> Path:
        """Folder of the slide files."""
        return self.root / "slides"

    def raw_dir(self, kind: str) -> Path:
        """Folder of one kind of raw label input."""
        return self.root / "raw" / kind

    def label_path(self, name: str) -> Path:
        """TSV of one label table."""
        return self.root / "labels" / f"{name}.tsv"

    def read(self) -> CohortRecord:
        """Read and validate ``cohort.json``.

        Raises
        ------
        CohortError
            Missing (not fetched yet), not JSON or not matching :class:`CohortRecord`.
        """
        path = self.record_path
        if not path.is_file():
            msg = (
                f"no {COHORT_FILE}: not a cohort folder; make one with "
                f"`stamp-bench fetch-cohort NAME --out {self.root}`"
            )
            raise CohortError(msg, path=self.root)
        try:
            return RECORD_FORMAT.read(path)
        except FileFormatError as exc:
            msg = f"{exc}; fetch the cohort again"
            raise CohortError(msg, path=path) from exc

    def write(self, record: CohortRecord) -> Path:
        """Write ``cohort.json`` atomically."""
        atomic_write_text(self.record_path, record.model_dump_json(indent=1))
        return self.record_path

    def write_table(self, name: str, frame: pd.DataFrame) -> Path:
        """Write a label table (``patient_id`` first, sorted by patient) atomically; return its path."""
        if PATIENT_COLUMN not in frame.columns:
            msg = f"label table {name!r} has no {PATIENT_COLUMN!r} column"
            raise CohortError(msg)
        ordered = frame[[PATIENT_COLUMN, *[c for c in frame.columns if c != PATIENT_COLUMN]]]
        ordered = ordered.sort_values(PATIENT_COLUMN).reset_index(drop=True)
        path = self.label_path(name)
        atomic_write_text(path, ordered.to_csv(sep="\t", index=False, float_format="%.6g"))
        return path

    def read_table(self, name: str) -> pd.DataFrame:
        """Read a label table indexed by patient id.

        Raises
        ------
        CohortError
            The file is missing or has no ``patient_id`` column.
        """
        path = self.label_path(name)
        if not path.is_file():
            msg = f"label table {name!r} missing; fetch the cohort again (`stamp-bench fetch-cohort`)"
            raise CohortError(msg, path=path)
        frame = pd.read_csv(path, sep="\t", dtype={PATIENT_COLUMN: str})
        if PATIENT_COLUMN not in frame.columns:
            msg = f"no {PATIENT_COLUMN!r} column; columns: {list(frame.columns)[:8]}"
            raise CohortError(msg, path=path)
        return frame.set_index(PATIENT_COLUMN)

    def content_hash(self, record: CohortRecord | None = None) -> str:
        """sha256 over the record's slides (ids, patients, checksums) and the bytes of every label table.

        Two folders with the same hash hold the same slides and the same labels: results computed on them compare.
        """
        record = record or self.read()
        digest = hashlib.sha256()
        slides = sorted((s.slide_id, s.patient_id, s.md5 or "", s.sha256 or "") for s in record.slides)
        digest.update(json.dumps(slides).encode())
        for table in sorted(record.labels, key=lambda t: t.name):
            digest.update(table.name.encode())
            path = self.label_path(table.name)
            digest.update(path.read_bytes() if path.is_file() else b"<missing>")
        return digest.hexdigest()


def read_cohort(root: str | Path) -> tuple[CohortFolder, CohortRecord]:
    """Open a cohort folder and read its record."""
    folder = CohortFolder(root)
    return folder, folder.read()
