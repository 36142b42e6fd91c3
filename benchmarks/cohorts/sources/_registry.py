"""Registry of cohort sources: ``@register_source(kind)`` files how a definition's ``source.kind`` is fetched."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import JsonValue

from benchmarks.cohorts.definition import CohortDefinition
from benchmarks.cohorts.record import CohortFolder, RawFile, SlideEntry
from benchmarks.errors import CohortError
from humanst.registry import Registry

__all__ = ["SOURCES", "FetchOptions", "Listing", "SourceSpec", "get_source", "local_file", "register_source"]


@dataclass(frozen=True)
class FetchOptions:
    """How a fetch runs: labels only, a per-class slide cap and its label, another API root, progress."""

    labels_only: bool = False
    max_slides_per_class: int | None = None
    stratify: str | None = None  # "<table>:<column>"; default: the first label column of the first table
    api: str | None = None
    show_progress: bool = True


@dataclass
class Listing:
    """What a source found: slides (downloaded or not), raw label inputs (downloaded), provenance, queries."""

    slides: list[SlideEntry]
    raw: list[RawFile]
    provenance: dict[str, JsonValue] = field(default_factory=dict)
    queries: dict[str, dict[str, JsonValue]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SourceSpec:
    """A cohort source: ``list_cohort(definition, folder, options) -> Listing`` and ``download_slide``.

    ``download_slide(slide, folder, options, progress) -> Path`` fetches one listed slide (resumable, verified).
    """

    kind: str
    description: str
    list_cohort: Callable[[CohortDefinition, CohortFolder, FetchOptions], Listing]
    download_slide: Callable[..., Path]


SOURCES: Registry[str, SourceSpec] = Registry("cohort source", error=CohortError)


ListCohort = Callable[[CohortDefinition, CohortFolder, FetchOptions], Listing]


def register_source(
    kind: str, description: str, *, download_slide: Callable[..., Path]
) -> Callable[[ListCohort], ListCohort]:
    """Register the decorated listing function as the source ``kind``; a duplicate raises."""

    def wrap(func: ListCohort) -> ListCohort:
        SOURCES.add(kind, SourceSpec(kind, description, func, download_slide))
        return func

    return wrap


def get_source(kind: str) -> SourceSpec:
    """Return a registered source; an unknown kind lists the known ones."""
    return SOURCES.get(kind)


def local_file(folder: CohortFolder, path: Path) -> str:
    """Return a file's path relative to the cohort folder, as the record stores it."""
    return Path(path).resolve().relative_to(folder.root.resolve()).as_posix()
