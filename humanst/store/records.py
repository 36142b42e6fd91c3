"""Per-sample build records (``ATLAS/records/<id>.json``): what happened to a sample; its outputs' commit marker."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from humanst.atomic import atomic_write_json

__all__ = ["EXPECTED_DROPS", "FINISHED_STATUSES", "SampleOutcome", "read_record", "write_record"]

FINISHED_STATUSES = ("built", "skipped")  # a record with one of these vouches for the sample's store and part
EXPECTED_DROPS = ("not_in_tissue",)  # drop reasons that are the platform's own selection, not a loss of data


@dataclass
class SampleOutcome:
    """What happened to one sample: status (built | skipped | failed), counts, pixel size, time, warnings."""

    sample_id: str
    status: str
    platform: str = ""
    input_hash: str = ""
    spots_in: int = 0
    spots_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    genes: int = 0
    um_per_px: float = 0.0
    um_per_px_source: str = ""
    footprint_um: float = 0.0
    patches_padded: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    redistributable: bool = False
    license: str = ""

    @property
    def finished(self) -> bool:
        """Whether the record vouches for a complete store and part (built now or unchanged)."""
        return self.status in FINISHED_STATUSES

    @property
    def lost_fraction(self) -> float:
        """Share of the sample's tissue spots that did not make it into the atlas (every reason but EXPECTED_DROPS)."""
        lost = sum(v for k, v in self.dropped.items() if k not in EXPECTED_DROPS)
        total = self.spots_kept + lost
        return lost / total if total else 0.0

    def to_json(self) -> dict[str, object]:
        """Plain values for the record and the build report."""
        return asdict(self)


def read_record(path: Path) -> SampleOutcome | None:
    """Read a sample's build record; ``None`` when it is missing or unreadable."""
    try:
        return SampleOutcome(**json.loads(Path(path).read_text(encoding="utf-8")))
    except (FileNotFoundError, json.JSONDecodeError, TypeError):
        return None


def write_record(path: Path, outcome: SampleOutcome) -> None:
    """Write a sample's build record atomically (it is written last: the commit marker)."""
    atomic_write_json(path, outcome.to_json())
