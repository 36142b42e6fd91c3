"""The build settings: the one owner of every build default (patch, pseudo-spot size, count and coverage cut-offs).

The CLI (``humanst build``, ``humanst demo``), the scheduler, the readers, the manifest model and pathway scoring
read their defaults from :class:`BuildSettings` and :class:`PatchSpec`; no other module spells these numbers
(``tests/test_architecture.py`` checks it). This module imports no other humanst module but the model base, so any
of them may import it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from pydantic import Field, JsonValue

from humanst.strict_model import FrozenModel

__all__ = ["DEFAULTS", "BuildSettings", "PatchSpec"]


class PatchSpec(FrozenModel):
    """Size and resolution of the image patch cut around every spot (``size_px`` square at ``um_per_px``)."""

    size_px: int = Field(default=224, ge=16, le=4096)
    um_per_px: float = Field(default=0.5, gt=0, le=10)

    @property
    def field_um(self) -> float:
        """Side of the patch in microns."""
        return self.size_px * self.um_per_px


@dataclass(frozen=True)
class BuildSettings:
    """Everything besides the sample entry that shapes a sample's outputs (hashed for skip-on-rerun)."""

    gene_sets: tuple[str, ...] = ("hallmark", "reactome")
    patch: PatchSpec = field(default_factory=PatchSpec)
    pseudo_spot_um: float = 55.0
    min_counts: int = 100
    min_coverage: float = 0.5

    def as_dict(self) -> dict[str, JsonValue]:
        """Plain values, for hashing and the build report."""
        return {**asdict(self), "patch": self.patch.model_dump()}


DEFAULTS = BuildSettings()  # the defaults, for readers of one value (``DEFAULTS.min_counts``)
