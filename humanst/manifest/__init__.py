"""Atlas manifests: pydantic models and the YAML loader."""

from __future__ import annotations

from humanst.manifest.load import load_manifest, parse_manifest
from humanst.manifest.models import (
    AtlasManifest,
    FileSpec,
    HfSource,
    PatchSpec,
    Platform,
    SampleEntry,
    Split,
    SynthSpec,
)

__all__ = [
    "AtlasManifest",
    "FileSpec",
    "HfSource",
    "PatchSpec",
    "Platform",
    "SampleEntry",
    "Split",
    "SynthSpec",
    "load_manifest",
    "parse_manifest",
]
