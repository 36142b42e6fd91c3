"""The one base of the project's file models: unknown keys are errors, never silently dropped.

Manifests, configs, task files, results, cohort records and submissions derive from :class:`StrictModel` (a typo in
a key fails with its location) or :class:`FrozenModel` (the same, immutable once validated).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["FrozenModel", "StrictModel"]


class StrictModel(BaseModel):
    """A pydantic model that refuses unknown keys."""

    model_config = ConfigDict(extra="forbid")


class FrozenModel(BaseModel):
    """A pydantic model that refuses unknown keys and cannot be changed after validation."""

    model_config = ConfigDict(extra="forbid", frozen=True)
