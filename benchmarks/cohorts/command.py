"""``stamp-bench fetch-cohort`` (fetch a cohort, say what was done) and ``stamp-bench cohorts`` (the shipped ones).

The summary names the cohort, where its data came from (API root, data release, date), the slides (listed, downloaded,
already there, not selected, failed), each label table with its patients, exclusions and provenance, and whether
widely used pathology foundation models are known to have seen the cohort in pretraining.
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from benchmarks.cohorts.definition import GdcSource, PretrainingExposure, load_definition, shipped_cohorts
from benchmarks.cohorts.fetch import FetchSummary, fetch_cohort
from benchmarks.cohorts.sources import FetchOptions
from benchmarks.errors import CohortError
from humanst.console import console, err_console

__all__ = ["list_cohorts", "print_summary", "run_fetch_cohort"]


def run_fetch_cohort(name: str, out: Path, options: FetchOptions) -> FetchSummary:
    """Fetch a cohort, print its summary, and raise when a slide failed (after everything else is written).

    Raises
    ------
    CohortError
        The definition, an API request or a label input fails; or some slides failed (listed above the error).
    """
    if options.max_slides_per_class is not None and options.max_slides_per_class < 1:
        msg = f"--max-slides-per-class must be at least 1, got {options.max_slides_per_class}"
        raise CohortError(msg)
    if options.stratify is not None and ":" not in options.stratify:
        msg = f"--stratify {options.stratify!r}: expected TABLE:COLUMN, e.g. mutations:TP53"
        raise CohortError(msg)
    summary = fetch_cohort(name, out, options)
    print_summary(summary)
    if summary.failed:
        for slide_id, why in sorted(summary.failed.items()):
            err_console.print(f"failed: {slide_id}: {why}", markup=False, highlight=False, soft_wrap=True)
        msg = (
            f"{len(summary.failed)} of {len(summary.failed) + len(summary.downloaded) + len(summary.present)} "
            f"selected slide(s) failed (listed above); run the same command again: verified files are kept and "
            "partial downloads resume"
        )
        raise CohortError(msg, path=summary.folder.root)
    return summary


def _exposure_line(card: PretrainingExposure) -> str:
    seen = sorted(name for name, entry in card.encoders.items() if entry.seen == "yes")
    unknown = sorted(name for name, entry in card.encoders.items() if entry.seen == "unknown")
    parts = [f"pretraining exposure: {card.status}"]
    if seen:
        parts.append(f"seen by {', '.join(seen)}")
    if unknown:
        parts.append(f"unknown for {', '.join(unknown)}")
    parts.append(f"encoders not listed: {card.default}")
    line = "; ".join(parts)
    return f"{line}. {card.note}" if card.note else line


def print_summary(summary: FetchSummary) -> None:
    """Print what a fetch did: provenance, slides, label tables with provenance, pretraining exposure."""
    record = summary.record
    provenance = record.provenance
    where = provenance.get("api") or provenance.get("generator") or provenance.get("source", "")
    release = provenance.get("data_release")
    console.print(
        f"cohort {record.name} ({provenance.get('source', '?')}: {where}"
        f"{f', {release}' if release else ''}; fetched {record.created})",
        highlight=False,
    )
    patients = len({s.patient_id for s in record.slides})
    size = sum(s.size or 0 for s in record.slides)
    console.print(
        f"slides: {len(record.slides)} listed ({patients} patients, {size / 1e9:.2f} GB); "
        f"{len(summary.downloaded)} downloaded, {len(summary.present)} already present and verified, "
        f"{summary.not_selected} not selected, {len(summary.failed)} failed",
        highlight=False,
    )
    table = Table(title="label tables (labels/<name>.tsv; provenance in cohort.json)")
    for header in ("table", "kind", "patients", "left out", "provenance"):
        table.add_column(header, overflow="fold")
    for label in record.labels:
        left_out = ", ".join(f"{n} {why}" for why, n in sorted(label.excluded.items())) or "-"
        if label.query:
            query = label.query
            origin = f"{query.get('url', '')} ({query.get('total', '?')} hits, {query.get('date', '')})"
        else:
            origin = f"{label.inputs} input file(s): {label.source}"
        if "function" in label.method:
            origin += f"; scored by {label.method['function']} ({label.method.get('collection', '')})"
        kind = f"{label.kind}, control of {label.control_of}" if label.control_of else label.kind
        table.add_row(label.name, kind, str(label.n_patients), left_out, origin)
    console.print(table)
    console.print(_exposure_line(record.pretraining), highlight=False)
    for note in record.notes:
        console.print(f"note: {note}", highlight=False)
    console.print(f"wrote {summary.folder.record_path}", highlight=False)


def list_cohorts() -> None:
    """Print the shipped cohort definitions: name, source, labels and pretraining exposure."""
    for name in shipped_cohorts():
        definition = load_definition(name)
        source = definition.source
        origin = f"GDC {'+'.join(source.projects)}" if isinstance(source, GdcSource) else source.kind
        labels = [k for k, v in definition.labels.model_dump().items() if v is not None]
        console.print(
            f"{name}: {origin}; labels {', '.join(labels)}; pretraining exposure {definition.pretraining.status} "
            f"- {definition.description}",
            highlight=False,
        )
