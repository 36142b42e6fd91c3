"""Label tables of a cohort, built from its raw inputs with their provenance (one row per patient).

- ``mutations``: 1 when the patient's masked somatic MAF(s) hold a non-silent variant of the gene, 0 when they do
  not; patients without an open-access MAF (not sequenced) are left out and counted.
- ``survival``: ``os_days`` and ``os_event`` from the case records (:func:`survival_of_case`).
- ``activity-<collection>``: slide-level pathway activity from the matched bulk RNA-seq raw counts, scored with
  :func:`humanst.pathways.score` exactly as the atlas scores spots (same method, background correction, coverage
  threshold and seed; the cohort's patients play the role of one sample's spots), and beside it
  ``activity-random-<collection>``: the size- and expression-matched random gene sets scored the same way.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
from scipy import sparse

from benchmarks.cohorts.definition import ActivityLabels, MutationLabels
from benchmarks.cohorts.gdc_files import mutated_genes, read_star_counts, survival_of_case
from benchmarks.cohorts.record import PATIENT_COLUMN, CohortFolder, CohortRecord, LabelTable, RawFile
from benchmarks.errors import CohortError

__all__ = [
    "SURVIVAL_COLUMNS",
    "activity_table_name",
    "build_labels",
    "bulk_counts",
    "mutation_table",
    "random_table_name",
    "survival_table",
]

SURVIVAL_COLUMNS = ("os_days", "os_event")
MUTATIONS = "mutations"
SURVIVAL = "survival"


def activity_table_name(collection: str) -> str:
    """Name of the slide-activity table of a collection."""
    return f"activity-{collection}"


def random_table_name(collection: str) -> str:
    """Name of the matched random-set table beside a collection's activity table."""
    return f"activity-random-{collection}"


def _today() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _by_patient(raw: Sequence[RawFile], kind: str) -> dict[str, list[RawFile]]:
    out: dict[str, list[RawFile]] = {}
    for item in raw:
        if item.kind == kind:
            out.setdefault(item.patient_id, []).append(item)
    return out


def mutation_table(
    folder: CohortFolder, record: CohortRecord, spec: MutationLabels, patients: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Mutation status per patient (columns = genes) and the patients left out by reason."""
    mafs = _by_patient(record.raw, "mutations")
    rows, excluded = [], Counter[str]()
    for patient in patients:
        files = mafs.get(patient, [])
        if not files:
            excluded["no open-access MAF (not sequenced)"] += 1
            continue
        hit: set[str] = set()
        for item in files:
            hit |= mutated_genes(folder.root / item.file, spec.genes, spec.variant_classes)
        rows.append({PATIENT_COLUMN: patient, **{g: int(g in hit) for g in spec.genes}})
    return pd.DataFrame(rows, columns=[PATIENT_COLUMN, *spec.genes]), dict(excluded)


def survival_table(
    folder: CohortFolder, record: CohortRecord, patients: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Overall survival per patient and the patients left out by reason."""
    clinical = [r for r in record.raw if r.kind == "clinical"]
    if not clinical:
        msg = f"cohort {record.name!r} has no clinical records; fetch it again"
        raise CohortError(msg, path=folder.root)
    cases: dict[str, dict[str, Any]] = {}
    for item in clinical:
        for case in json.loads((folder.root / item.file).read_text(encoding="utf-8")):
            cases[str(case.get("submitter_id"))] = case
    rows, excluded = [], Counter[str]()
    for patient in patients:
        case = cases.get(patient)
        outcome = survival_of_case(case) if case is not None else "no case record"
        if isinstance(outcome, str):
            excluded[outcome] += 1
            continue
        rows.append({PATIENT_COLUMN: patient, SURVIVAL_COLUMNS[0]: outcome[0], SURVIVAL_COLUMNS[1]: outcome[1]})
    return pd.DataFrame(rows, columns=[PATIENT_COLUMN, *SURVIVAL_COLUMNS]), dict(excluded)


def bulk_counts(
    folder: CohortFolder, record: CohortRecord, patients: Sequence[str]
) -> tuple[ad.AnnData, dict[str, int]]:
    """Patients x genes raw counts (one RNA-seq file per patient: the first by name when several), and exclusions."""
    files = _by_patient(record.raw, "expression")
    series, excluded = {}, Counter[str]()
    for patient in patients:
        mine = sorted(files.get(patient, []), key=lambda r: r.file)
        if not mine:
            excluded["no RNA-seq counts"] += 1
            continue
        series[patient] = read_star_counts(folder.root / mine[0].file)
    if not series:
        msg = f"cohort {record.name!r}: no patient has RNA-seq counts; fetch the cohort with its expression files"
        raise CohortError(msg, path=folder.root)
    frame = pd.DataFrame(series).fillna(0).astype(np.int64).T
    adata = ad.AnnData(sparse.csr_matrix(frame.to_numpy()), obs=pd.DataFrame(index=frame.index.astype(str)))
    adata.var_names = frame.columns.astype(str)
    return adata, dict(excluded)


def _activity_tables(
    folder: CohortFolder, record: CohortRecord, spec: ActivityLabels, patients: Sequence[str]
) -> list[LabelTable]:
    from humanst.builder.settings import BuildSettings
    from humanst.pathways import load_collection, score
    from humanst.pathways.random_sets import matched_random_sets

    adata, excluded = bulk_counts(folder, record, patients)
    min_coverage = BuildSettings().min_coverage  # the atlas's own setting: one owner
    counts = adata.X.toarray().astype(np.float64)
    lib = counts.sum(1, keepdims=True)
    tables = []
    for collection in spec.collections:
        result = score(adata, collection, min_coverage=min_coverage)
        kept = [n for n, keep in zip(result.names, result.mask, strict=True) if keep]
        method = {
            "function": "humanst.pathways.score", "collection": collection, "method": result.method,
            "background": result.background, "min_coverage": result.min_coverage, "standardize": result.standardize,
            "seed": result.seed, "counts": "STAR unstranded raw counts", "unit": "patients as one sample",
        }  # fmt: skip
        real = pd.DataFrame(result.scores[:, result.mask], index=adata.obs_names, columns=kept)
        sets = matched_random_sets(
            load_collection(collection), kept, list(adata.var_names), sparse.csr_matrix(counts), lib.ravel(),
            n_bins=spec.random_set_bins, seed=spec.random_set_seed,
        )  # fmt: skip
        random = score(adata, sets, min_coverage=min_coverage)
        control = pd.DataFrame(random.scores, index=adata.obs_names, columns=list(random.names))
        source = "bulk RNA-seq (raw counts of the patient's primary tumour), pathway scores"
        for name, frame, control_of, extra in (
            (activity_table_name(collection), real, "", {}),
            (random_table_name(collection), control, activity_table_name(collection),
             {"random_sets": {"n_bins": spec.random_set_bins, "seed": spec.random_set_seed}}),
        ):  # fmt: skip
            folder.write_table(name, frame.rename_axis(PATIENT_COLUMN).reset_index())
            tables.append(
                LabelTable(
                    name=name, kind="regression", columns=list(frame.columns), source=source,
                    inputs=adata.n_obs, method={**method, **extra}, control_of=control_of, created=_today(),
                    n_patients=adata.n_obs, excluded=excluded,
                )
            )  # fmt: skip
    return tables


def build_labels(
    folder: CohortFolder, record: CohortRecord, *, queries: dict[str, dict[str, Any]] | None = None
) -> list[LabelTable]:
    """Write every label table the definition asks for; return their entries (with provenance) for the record.

    ``queries`` maps a raw-input kind (clinical, mutations, expression) to the API query that listed it.
    """
    specs = record.definition.labels
    queries = queries or {}
    patients = sorted({s.patient_id for s in record.slides})
    tables: list[LabelTable] = []
    if specs.mutations is not None:
        frame, excluded = mutation_table(folder, record, specs.mutations, patients)
        folder.write_table(MUTATIONS, frame)
        tables.append(
            LabelTable(
                name=MUTATIONS, kind="classification", columns=list(specs.mutations.genes),
                source="open-access masked somatic mutation MAFs (1 = a variant of the listed classes)",
                query=queries.get("mutations"), inputs=sum(r.kind == "mutations" for r in record.raw),
                method={"variant_classes": list(specs.mutations.variant_classes)}, created=_today(),
                n_patients=len(frame), excluded=excluded,
            )
        )  # fmt: skip
    if specs.survival is not None:
        frame, excluded = survival_table(folder, record, patients)
        folder.write_table(SURVIVAL, frame)
        tables.append(
            LabelTable(
                name=SURVIVAL, kind="survival", columns=list(SURVIVAL_COLUMNS),
                source="case records: demographic.vital_status, demographic.days_to_death, "
                "diagnoses.days_to_last_follow_up, follow_ups.days_to_follow_up", query=queries.get("clinical"),
                inputs=sum(r.kind == "clinical" for r in record.raw),
                method={"endpoint": specs.survival.endpoint, "event": "vital_status == Dead"}, created=_today(),
                n_patients=len(frame), excluded=excluded,
            )
        )  # fmt: skip
    if specs.activity is not None:
        for table in _activity_tables(folder, record, specs.activity, patients):
            tables.append(table.model_copy(update={"query": queries.get("expression")}))
    return tables
