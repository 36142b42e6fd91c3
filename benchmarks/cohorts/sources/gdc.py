"""The NCI GDC source: list open-access diagnostic slides, download clinical records, MAFs and STAR counts.

Queries (``files`` and ``cases`` endpoints, paged, every one recorded as provenance):

- slides: ``cases.project.project_id`` in the projects, the definition's ``slide_filters`` (data type Slide Image,
  experimental strategy Diagnostic Slide, format SVS), ``access`` open, ``cases.samples.sample_type`` in the
  sample types;
- clinical: ``cases`` of the projects with ``demographic.vital_status``, ``demographic.days_to_death`` and
  ``diagnoses.days_to_last_follow_up`` and ``follow_ups.days_to_follow_up``;
- mutations: ``files`` of data type Masked Somatic Mutation, the open-access masking workflow, format MAF;
- expression: ``files`` of data type Gene Expression Quantification, workflow STAR - Counts, the sample types.

Files download from ``<api>/data/<file_id>`` through :func:`humanst.fetch.fetch_url`: resumable, retried, and
checked against the ``file_size`` and ``md5sum`` the API gives.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.cohorts.definition import CohortDefinition, GdcSource
from benchmarks.cohorts.gdc_api import GdcClient, GdcQuery, gdc_filter
from benchmarks.cohorts.record import CohortFolder, RawFile, SlideEntry
from benchmarks.cohorts.sources._registry import FetchOptions, Listing, local_file, register_source
from benchmarks.errors import CohortError
from humanst.atomic import atomic_write_text
from humanst.fetch import Progress

if TYPE_CHECKING:
    from rich.progress import TaskID

__all__ = ["list_gdc"]

FILE_FIELDS = ("file_id", "file_name", "md5sum", "file_size", "cases.submitter_id", "cases.samples.sample_type")
CASE_FIELDS = (
    "case_id", "submitter_id", "demographic.vital_status", "demographic.days_to_death",
    "diagnoses.days_to_last_follow_up", "follow_ups.days_to_follow_up",
)  # fmt: skip
CLINICAL_FILE = "cases.json"


def _source(definition: CohortDefinition) -> GdcSource:
    if not isinstance(definition.source, GdcSource):  # pragma: no cover - the registry dispatches on source.kind
        msg = f"cohort {definition.name!r} is not a GDC cohort"
        raise CohortError(msg)
    return definition.source


def _client(definition: CohortDefinition, options: FetchOptions) -> GdcClient:
    source = _source(definition)
    return GdcClient(options.api or source.api, page_size=source.page_size)


def queries_of(source: GdcSource) -> dict[str, GdcQuery]:
    """Return the four searches of a GDC cohort, by what they list."""
    projects = {"cases.project.project_id": source.projects}
    samples = {"cases.samples.sample_type": source.sample_types}
    return {
        "slides": GdcQuery(
            "files", gdc_filter({**projects, **source.slide_filters, "access": "open", **samples}), FILE_FIELDS,
            "file_id:asc",
        ),
        "clinical": GdcQuery(
            "cases", gdc_filter({"project.project_id": source.projects}), CASE_FIELDS, "case_id:asc"
        ),
        "mutations": GdcQuery(
            "files",
            gdc_filter({**projects, "data_type": "Masked Somatic Mutation", "data_format": "MAF", "access": "open",
                        "analysis.workflow_type": source.mutation_workflow}),
            FILE_FIELDS, "file_id:asc",
        ),
        "expression": GdcQuery(
            "files",
            gdc_filter({**projects, "data_type": "Gene Expression Quantification", "access": "open",
                        "analysis.workflow_type": source.expression_workflow, **samples}),
            FILE_FIELDS, "file_id:asc",
        ),
    }  # fmt: skip


def _case_of(hit: dict[str, Any]) -> tuple[str, str]:
    """(patient id, sample type) of a file hit; a file of several cases is refused."""
    cases = hit.get("cases") or []
    if len(cases) != 1:
        msg = f"GDC file {hit.get('file_id')} belongs to {len(cases)} cases; expected exactly one"
        raise CohortError(msg)
    samples = cases[0].get("samples") or [{}]
    return str(cases[0].get("submitter_id", "")), str(samples[0].get("sample_type", ""))


def _download(client: GdcClient, hit: dict[str, Any], dest: Path, progress: Progress | None) -> None:
    from humanst.errors import FetchError
    from humanst.fetch import fetch_url

    try:
        fetch_url(
            client.data_url(str(hit["file_id"])), dest, sha256=None, size=int(hit["file_size"]),
            md5=str(hit["md5sum"]), progress=progress,
        )  # fmt: skip
    except FetchError as exc:
        raise CohortError(str(exc)) from exc


def download_gdc_slide(
    slide: SlideEntry, folder: CohortFolder, options: FetchOptions, progress: Progress | None = None
) -> Path:
    """Download one listed slide to its place in ``slides/`` (resumable; size and md5 checked)."""
    from humanst.errors import FetchError
    from humanst.fetch import fetch_url

    try:
        return fetch_url(slide.url, folder.root / slide.file, sha256=None, size=slide.size, md5=slide.md5,
                         progress=progress)  # fmt: skip
    except FetchError as exc:
        raise CohortError(str(exc)) from exc


@register_source("gdc", "open-access files of NCI GDC projects (TCGA ...)", download_slide=download_gdc_slide)
def list_gdc(definition: CohortDefinition, folder: CohortFolder, options: FetchOptions) -> Listing:
    """List a GDC cohort's slides and download its label inputs (clinical records, MAFs, STAR counts)."""
    from humanst.console import progress

    source = _source(definition)
    client = _client(definition, options)
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    status = client.status()
    listing = Listing([], [], provenance={"api": client.api, "data_release": status.get("data_release", "unknown"),
                                           "api_version": status.get("version", "unknown"), "date": when})  # fmt: skip
    hits: dict[str, list[dict[str, Any]]] = {}
    with progress(enabled=options.show_progress) as bar:
        for what, query in queries_of(source).items():
            task = bar.add_task(f"GDC {what}", total=None)

            def on_page(n: int, t: int, task: TaskID = task) -> None:
                bar.update(task, completed=n, total=t)

            found, total = client.search(query, on_page=on_page)
            hits[what] = found
            listing.queries[what] = query.as_provenance(client.api, total, when)
    for hit in hits["slides"]:
        patient, sample_type = _case_of(hit)
        name = str(hit["file_name"])
        listing.slides.append(
            SlideEntry(
                slide_id=_slide_id(name), patient_id=patient, file=local_file(folder, folder.slides_dir / name),
                source=f"gdc:{hit['file_id']}",
                url=client.data_url(str(hit["file_id"])), md5=hit.get("md5sum"), size=hit.get("file_size"),
                sample_type=sample_type, license=definition.license,
            )
        )  # fmt: skip
    patients = {s.patient_id for s in listing.slides}
    clinical = [c for c in hits["clinical"] if str(c.get("submitter_id")) in patients]
    clinical_path = folder.raw_dir("clinical") / CLINICAL_FILE
    atomic_write_text(clinical_path, json.dumps(clinical, indent=1, sort_keys=True))
    listing.raw.append(RawFile(kind="clinical", file=local_file(folder, clinical_path), source="gdc:cases",
                               url=listing.queries["clinical"]["url"]))  # fmt: skip
    for kind in ("mutations", "expression"):
        wanted = [h for h in hits[kind] if _case_of(h)[0] in patients]
        skipped = len(hits[kind]) - len(wanted)
        if skipped:
            listing.notes.append(f"{skipped} {kind} file(s) of patients without a diagnostic slide not downloaded")
        with progress(enabled=options.show_progress) as bar:
            task = bar.add_task(f"download {kind}", total=len(wanted))
            for hit in wanted:
                dest = folder.raw_dir(kind) / str(hit["file_name"])
                _download(client, hit, dest, None)
                listing.raw.append(
                    RawFile(
                        kind=kind, file=local_file(folder, dest), patient_id=_case_of(hit)[0],
                        source=f"gdc:{hit['file_id']}", url=client.data_url(str(hit["file_id"])),
                        md5=hit.get("md5sum"), size=hit.get("file_size"),
                    )
                )  # fmt: skip
                bar.advance(task)
    return listing


def _slide_id(file_name: str) -> str:
    from humanst.slides import slide_id_of

    return slide_id_of(Path(file_name))
