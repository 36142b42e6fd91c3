"""The synthetic source: :func:`humanst.synth.cohort.write_synthetic_cohort` writes slides and GDC-style inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.cohorts.definition import CohortDefinition, SyntheticSource
from benchmarks.cohorts.record import CohortFolder, RawFile, SlideEntry
from benchmarks.cohorts.sources._registry import FetchOptions, Listing, local_file, register_source
from benchmarks.errors import CohortError

__all__ = ["list_synthetic"]

SOURCE = "synthetic (humanst.synth.cohort)"


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
    written = write_synthetic_cohort(folder.root, design)
    slides = [
        SlideEntry(
            slide_id=s.slide_id,
            patient_id=s.patient_id,
            file=local_file(folder, s.path),
            source=SOURCE,
            sha256=_sha256(s.path),
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
    provenance = {"generator": "humanst.synth.cohort.write_synthetic_cohort", "design": design.__dict__}
    return Listing(slides, raw, provenance={k: _plain(v) for k, v in provenance.items()})


def _sha256(path: Path) -> str:
    from humanst.fetch.cache import file_sha256

    return file_sha256(path)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value
