"""The atlas build summary (samples, platforms, spots kept and dropped and why, um/px and source).

:func:`build_summary` reads it through :class:`~humanst.store.atlas.Atlas` (the per-sample build records, the last
build report); ``humanst info`` prints it, and ``stamp-bench report`` renders the same rows as HTML.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from humanst.errors import AtlasError
from humanst.store.atlas import Atlas
from humanst.store.records import SampleOutcome

__all__ = ["BuildSummary", "build_summary"]


def _dropped(record: SampleOutcome) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in record.dropped.items() if n) or "-"


@dataclass(frozen=True)
class BuildSummary:
    """What an atlas holds and how its samples were built, from the build records."""

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "sample", "platform", "status", "spots in", "spots kept", "dropped (why)", "genes", "um/px", "um/px source",
        "footprint um", "licence", "redistributable", "notes",
    )  # fmt: skip
    NUMERIC: ClassVar[tuple[int, ...]] = (3, 4, 6, 7, 9)

    atlas: Path
    records: list[SampleOutcome]
    dataset_rows: int | None
    report: dict[str, Any] | None  # the last build's build_report.json

    @property
    def finished(self) -> list[SampleOutcome]:
        """Records of built (or unchanged) samples."""
        return [r for r in self.records if r.finished]

    def rows(self) -> list[list[str]]:
        """One row of :attr:`COLUMNS` per sample."""
        rows = []
        for r in self.records:
            notes = r.error.replace("\n", " ") if r.status == "failed" else "; ".join(r.warnings)
            rows.append(
                [
                    r.sample_id, r.platform, r.status, str(r.spots_in), str(r.spots_kept), _dropped(r), str(r.genes),
                    f"{r.um_per_px:.4g}" if r.um_per_px else "-", r.um_per_px_source or "-",
                    f"{r.footprint_um:g}" if r.footprint_um else "-", r.license or "-",
                    "yes" if r.redistributable else "no", notes or "-",
                ]
            )  # fmt: skip
        return rows

    def totals_line(self) -> str:
        """One line: samples built and failed, spots kept and dropped by reason, platforms, licences, dataset rows."""
        ok = self.finished
        dropped: Counter[str] = Counter()
        for r in ok:
            dropped.update({k: v for k, v in r.dropped.items() if v})
        why = ", ".join(f"{k} {v}" for k, v in sorted(dropped.items())) or "none"
        rows = "-" if self.dataset_rows is None else str(self.dataset_rows)
        return (
            f"{len(ok)} sample(s) built, {len(self.records) - len(ok)} failed; {sum(r.spots_kept for r in ok)} spots "
            f"kept of {sum(r.spots_in for r in ok)} (dropped: {why}); patch dataset rows: {rows}; platforms: "
            f"{dict(Counter(r.platform for r in ok))}; licences: {dict(Counter(r.license for r in ok))}; "
            f"redistributable: {sum(r.redistributable for r in ok)} of {len(ok)}"
        )


def build_summary(atlas: Path) -> BuildSummary:
    """Read the build summary of an atlas.

    Raises
    ------
    AtlasError
        Not an atlas, or no build records in it.
    """
    store = Atlas.open(atlas)
    records = store.records()
    if not records:
        msg = f"atlas '{atlas}': no build records; run `humanst build` first"
        raise AtlasError(msg)
    rows = None
    if store.dataset.info.is_file():
        rows = int(store.info().get("rows", 0))
    return BuildSummary(Path(atlas), records, rows, store.build_report())
