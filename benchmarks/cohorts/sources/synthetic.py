"""The synthetic source: :func:`humanst.synth.cohort.write_synthetic_cohort` writes slides and GDC-style inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.cohorts.definition import CohortDefinition, SyntheticSource
from benchmarks.cohorts.record import CohortFolder, RawFile, SlideEntry
from benchmarks.cohorts.sources._registry import FetchOptions, Listing, local_file, register_source
from benchmarks.errors import CohortError
from humanst.content_hash import file_sha256

__all__ = ["list_synthetic"]

SOURCE = "synthetic (humanst.synth.cohort)"
GENERATOR = "humanst.synth.cohort.write_synthetic_cohort"


def _no_download(slide: SlideEntry, folder: CohortFolder, options: FetchOptions, progress: Any = None) -> Path:
    msg = f"synthetic slide {slide.slide_id!r} is written with its cohort, never downloaded; fetch the cohort again"
    raise CohortError(msg, path=folder.root)


@register_source("synthetic", "slides and labels drawn by humanst.synth.cohort (offline)", download_slide=_no_download)
def list_synthetic(definition: CohortDefinition, folder: CohortFolder, options: FetchOptions) -> Listing:
    """Write the synthetic cohort into the folder and list its slides and label inputs."""
    from humanst.synth.cohort import CohortDesign, write_synthetic_cohort

    source = definition.source
    if not isinstance(source, SyntheticSource):  # pragma: no cover - the registry dispatches on source.kind
        msg = f"cohort {definition.name!r} is not synthetic"
        raise CohortError(msg)
    design = CohortDesign(
        n_patients=source.n_patients,
        width_um=source.width_um,
        height_um=source.height_um,
        second_slide_fraction=source.second_slide_fraction,
        seed=source.seed,
    )
    provenance = {k: _plain(v) for k, v in {"generator": GENERATOR, "design": design.__dict__}.items()}
    unchanged = _unchanged(definition, folder, provenance)
    if unchanged is not None:
        return unchanged
    written = write_synthetic_cohort(folder.root, design)
    slides = [
        SlideEntry(
            slide_id=s.slide_id,
            patient_id=s.patient_id,
            file=local_file(folder, s.path),
            source=SOURCE,
            sha256=file_sha256(s.path),
            size=s.path.stat().st_size,
            sample_type="Primary Tumor",
            license=definition.license,
        )
        for s in written.slides
    ]
    raw = [
        RawFile(kind=f.kind, file=local_file(folder, f.path), patient_id=f.patient_id, source=f"{SOURCE}: {f.file_id}",
                size=f.path.stat().st_size)
        for f in written.files
    ]  # fmt: skip
    return Listing(slides, raw, provenance=provenance)


def _unchanged(definition: CohortDefinition, folder: CohortFolder, provenance: dict[str, Any]) -> Listing | None:
    """Return the folder's listing when it holds this cohort intact (same definition, design, files); else None."""
    from humanst.fetch.cache import verified

    try:
        record = folder.read()
    except CohortError:
        return None
    if record.definition != definition or record.provenance.get("design") != provenance["design"]:
        return None
    if not all(verified(folder.root / s.file, sha256=s.sha256, size=s.size) for s in record.slides):
        return None
    if not all(
        (folder.root / f.file).is_file() and (folder.root / f.file).stat().st_size == f.size for f in record.raw
    ):
        return None
    note = f"unchanged since {record.created}: slides and label inputs not rewritten"
    return Listing(list(record.slides), list(record.raw), provenance=provenance, notes=[note])


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value
