"""Pydantic models of an atlas manifest (DESIGN 2.1): atlas keys, samples and their files."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from humanst.builder.settings import DEFAULTS, PatchSpec
from humanst.errors import UnknownSampleError
from humanst.strict_model import FrozenModel

__all__ = [
    "AtlasManifest",
    "FileSpec",
    "HfSource",
    "PatchSpec",
    "Platform",
    "SampleEntry",
    "Split",
    "SynthSpec",
    "climbs_out",
]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ORGAN = re.compile(r"^[a-z][a-z0-9 _-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# An SPDX license id (e.g. CC-BY-4.0, CC0-1.0), an SPDX expression of ids, or a LicenseRef-*.
_SPDX = re.compile(r"^(LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9][A-Za-z0-9.+-]*)( (AND|OR|WITH) [A-Za-z0-9.+-]+)*$")


class Platform(StrEnum):
    """The spatial-transcriptomics platforms a manifest may name; each has one reader."""

    visium = "visium"
    visium_hd = "visium_hd"
    xenium = "xenium"
    legacy_st = "legacy_st"
    hest = "hest"


class Split(StrEnum):
    """A fixed split a sample can be pinned to."""

    train = "train"
    val = "val"
    test = "test"


def climbs_out(path: str) -> bool:
    """Whether a relative ``path`` leaves its starting folder through ``..`` (decided on the text alone)."""
    if path.startswith(("/", "~")):
        return False  # absolute: confined (or refused) when it is resolved, see humanst.fetch.local
    depth = 0
    for part in PurePosixPath(path.replace("\\", "/")).parts:
        depth += -1 if part == ".." else 1
        if depth < 0:
            return True
    return False


class HfSource(FrozenModel):
    """A file inside a Hugging Face hub repository, at a pinned revision."""

    repo: str = Field(min_length=3, pattern=r"^[\w.-]+/[\w.-]+$")
    path: str = Field(min_length=1)
    revision: str = Field(default="main", min_length=1)
    repo_type: Literal["dataset", "model"] = "dataset"


class FileSpec(FrozenModel):
    """One input of a sample: exactly one of ``url``, ``hf`` or ``path``, plus its checksum and size when known.

    A relative ``path`` is resolved against the data root (``--data-root``, by default the manifest's folder).
    """

    url: str | None = Field(default=None, pattern=r"^(https?|ftp)://\S+$")
    hf: HfSource | None = None
    path: str | None = Field(default=None, min_length=1)
    sha256: str | None = None
    size: int | None = Field(default=None, ge=0)

    @field_validator("sha256")
    @classmethod
    def _check_sha256(cls, value: str | None) -> str | None:
        if value is not None and not _SHA256.match(value):
            msg = f"expected 64 lower-case hex digits, found {value!r}"
            raise ValueError(msg)
        return value

    @field_validator("path")
    @classmethod
    def _check_path(cls, value: str | None) -> str | None:
        if value is not None and climbs_out(value):
            msg = (
                f"{value!r} climbs out of the data root with '..'; give a path inside the data root, or set "
                "data_root (or --data-root) to a folder that holds the file"
            )
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _one_source(self) -> FileSpec:
        given = [k for k in ("url", "hf", "path") if getattr(self, k) is not None]
        if len(given) != 1:
            msg = f"give exactly one source of 'url', 'hf' or 'path'; found {given or 'none'}"
            raise ValueError(msg)
        return self

    @property
    def kind(self) -> str:
        """The source kind: ``url``, ``hf`` or ``path``."""
        return "url" if self.url is not None else "hf" if self.hf is not None else "path"


class SynthSpec(FrozenModel):
    """How :mod:`humanst.synth` draws a synthetic sample (only in demo manifests)."""

    seed: int = Field(ge=0)
    width_um: float = Field(default=1500.0, gt=100, le=20000)
    height_um: float = Field(default=1500.0, gt=100, le=20000)
    um_per_px: float = Field(default=1.0, gt=0.05, le=10)
    n_genes: int | None = Field(default=None, ge=50, description="Gene universe size; None = all Hallmark genes.")
    panel_size: int = Field(default=300, ge=20, le=5000, description="Xenium only: targeted panel size.")
    depth: float = Field(default=1.0, gt=0, le=100, description="Multiplies the expected counts per spot.")


class SampleEntry(FrozenModel):
    """One sample of the atlas (one slide / capture area)."""

    id: str = Field(min_length=1, max_length=128)
    study: str = Field(min_length=1)
    patient_id: str
    organ: str
    disease: str = Field(min_length=1)
    platform: Platform
    files: list[FileSpec] = Field(min_length=1)
    um_per_px: float | None = Field(default=None, gt=0, le=100)
    um_per_px_source: str | None = Field(default=None, validate_default=True)
    license: str
    redistributable: bool
    citation: str = Field(min_length=1)
    split: Split | None = None
    synth: SynthSpec | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID.match(value):
            msg = f"use letters, digits, '.', '_' or '-' (no spaces or slashes); found {value!r}"
            raise ValueError(msg)
        return value

    @field_validator("organ")
    @classmethod
    def _check_organ(cls, value: str) -> str:
        if not _ORGAN.match(value):
            msg = f"use a lower-case UBERON-style name such as 'breast' or 'colon'; found {value!r}"
            raise ValueError(msg)
        return value

    @field_validator("license")
    @classmethod
    def _check_license(cls, value: str) -> str:
        if not _SPDX.match(value):
            msg = f"expected an SPDX id such as 'CC-BY-4.0' or 'LicenseRef-<name>'; found {value!r}"
            raise ValueError(msg)
        return value

    @field_validator("patient_id")
    @classmethod
    def _check_patient(cls, value: str, info: ValidationInfo) -> str:
        study = info.data.get("study", "<study>")
        prefix, sep, patient = value.partition(":")
        if not sep or not prefix or not patient:
            msg = f"must be '<study>:<patient>' (e.g. '{study}:P1'); found {value!r}"
            raise ValueError(msg)
        if "study" in info.data and prefix != study:
            msg = f"prefix {prefix!r} differs from study {study!r}; write '{study}:{patient}'"
            raise ValueError(msg)
        return value

    @field_validator("um_per_px_source")
    @classmethod
    def _check_override_source(cls, value: str | None, info: ValidationInfo) -> str | None:
        if (info.data.get("um_per_px") is None) != (value is None):
            msg = "give 'um_per_px' and 'um_per_px_source' together (an override must say where it comes from)"
            raise ValueError(msg)
        return value


class AtlasManifest(FrozenModel):
    """A whole atlas: its settings and samples."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    gene_sets: list[str] = Field(default_factory=lambda: list(DEFAULTS.gene_sets))
    patch: PatchSpec = Field(default_factory=PatchSpec)
    pseudo_spot_um: float = Field(default=DEFAULTS.pseudo_spot_um, gt=0, le=1000)
    data_root: str | None = Field(
        default=None, min_length=1, description="Folder that relative 'path' sources resolve against, relative to "
        "the manifest file (default: the manifest's folder); `--data-root` overrides it.",
    )  # fmt: skip
    samples: list[SampleEntry] = Field(min_length=1)

    def sample(self, sample_id: str) -> SampleEntry:
        """Return the entry with this id; the error lists the valid ids."""
        for entry in self.samples:
            if entry.id == sample_id:
                return entry
        valid = ", ".join(e.id for e in self.samples)
        msg = f"no sample {sample_id!r} in manifest {self.name!r}; valid ids: {valid}"
        raise UnknownSampleError(msg)
