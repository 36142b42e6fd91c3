"""``stamp-bench fetch-cohort``: a cohort definition -> a cohort folder with slides, label tables and provenance.

Steps: the source lists the slides and fetches the label inputs (:mod:`benchmarks.cohorts.sources`), the label
tables are built (:mod:`benchmarks.cohorts.labels`), then the slides are downloaded: all of them, none
(``labels_only``), or the first ``max_slides_per_class`` patients of each class of one label (a seeded order, so the
same call picks the same patients). A slide that fails (network, size or md5) is reported and the others go on;
``cohort.json`` is written last, with every listed slide; a rerun resumes partial downloads and skips the files
already verified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.cohorts import sources  # noqa: F401  (register the sources)
from benchmarks.cohorts.definition import CohortDefinition, load_definition
from benchmarks.cohorts.labels import SURVIVAL_COLUMNS, build_labels
from benchmarks.cohorts.record import CohortFolder, CohortRecord, SlideEntry
from benchmarks.cohorts.sources import FetchOptions, get_source
from benchmarks.errors import CohortError
from humanst.fetch.cache import verified

__all__ = ["FetchSummary", "fetch_cohort", "select_slides"]


@dataclass
class FetchSummary:
    """What a fetch did: the folder, the record, slides downloaded / already there / left out, label tables."""

    folder: CohortFolder
    record: CohortRecord
    downloaded: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    not_selected: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # slide id -> why (one line)


def select_slides(
    folder: CohortFolder, record: CohortRecord, slides: Sequence[SlideEntry], options: FetchOptions
) -> list[SlideEntry]:
    """Return the slides to download: all, none (labels only), or those of the first N patients of each class.

    Raises
    ------
    CohortError
        ``stratify`` names no label table or column, or the column is not a class label.
    """
    if options.labels_only:
        return []
    cap = options.max_slides_per_class
    if cap is None:
        return list(slides)
    if not record.labels:
        msg = "a per-class slide cap needs a label table; the cohort defines none"
        raise CohortError(msg)
    table_name, _, column = (options.stratify or f"{record.labels[0].name}:{record.labels[0].columns[-1]}").partition(
        ":"
    )
    table = record.table(table_name)
    frame = folder.read_table(table_name)
    if column not in frame.columns:
        msg = f"--stratify {table_name}:{column}: no such column; columns: {list(frame.columns)}"
        raise CohortError(msg)
    values = frame[column].dropna()
    if table.kind == "regression" or (table.kind == "survival" and column != SURVIVAL_COLUMNS[1]):
        msg = (
            f"--stratify {table_name}:{column} is a continuous label; pick a class label "
            f"(a mutation, {SURVIVAL_COLUMNS[1]})"
        )
        raise CohortError(msg)
    chosen: set[str] = set()
    for _, group in values.groupby(values):
        order = sorted(group.index, key=lambda p: hashlib.sha256(f"{record.name}/{p}".encode()).hexdigest())
        chosen |= set(order[:cap])
    return [s for s in slides if s.patient_id in chosen]


def fetch_cohort(name_or_path: str | Path, out: Path, options: FetchOptions | None = None) -> FetchSummary:
    """Fetch (or write, for the synthetic source) a cohort into ``out``; return what was done.

    Raises
    ------
    CohortError
        The definition, an API request, a download (size / md5) or a label input fails; the message says which.
    """
    from humanst.console import progress

    options = options or FetchOptions()
    definition: CohortDefinition = load_definition(name_or_path)
    folder = CohortFolder(out)
    folder.root.mkdir(parents=True, exist_ok=True)
    spec = get_source(definition.source.kind)
    listing = spec.list_cohort(definition, folder, options)
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record = CohortRecord(
        name=definition.name, definition=definition, created=when,
        provenance={**listing.provenance, "source": spec.kind, "queries": listing.queries},
        slides=listing.slides, raw=listing.raw, notes=listing.notes,
    )  # fmt: skip
    record = record.model_copy(update={"labels": build_labels(folder, record, queries=listing.queries)})
    selected = select_slides(folder, record, record.slides, options)
    summary = FetchSummary(folder, record, not_selected=len(record.slides) - len(selected))
    with progress(enabled=options.show_progress) as bar:
        task = bar.add_task("slides", total=len(selected))
        sizes = [s.size for s in selected]
        in_bytes = bar.add_task("slide bytes", total=sum(s or 0 for s in sizes) if None not in sizes else None)
        done_bytes = 0
        for slide in selected:
            path = folder.root / slide.file

            def on_bytes(_label: str, done: int, _total: int | None, before: int = done_bytes) -> None:
                bar.update(in_bytes, completed=before + done)

            if verified(path, sha256=slide.sha256, size=slide.size, md5=slide.md5):
                summary.present.append(slide.slide_id)
            else:
                try:
                    spec.download_slide(slide, folder, options, on_bytes)
                except CohortError as exc:  # one slide's failure must not lose the others: reported at the end
                    summary.failed[slide.slide_id] = str(exc)
                else:
                    summary.downloaded.append(slide.slide_id)
            done_bytes += slide.size or 0
            bar.update(in_bytes, completed=done_bytes)
            bar.advance(task)
    if summary.not_selected:
        record.notes.append(
            f"{summary.not_selected} slide(s) listed but not downloaded "
            f"({'labels only' if options.labels_only else f'at most {options.max_slides_per_class} per class'})"
        )
    if summary.failed:
        record.notes.append(
            f"{len(summary.failed)} slide(s) failed to download ({', '.join(sorted(summary.failed))}); fetch again"
        )
    folder.write(record)
    return summary
