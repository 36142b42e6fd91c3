"""HumanST atlas builder: public human spatial transcriptomics + H&E, harmonised (data floor).

Public names are imported lazily so that ``import humanst`` stays light (no torch, no spatialdata).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

_LAZY: dict[str, str] = {
    "AtlasManifest": "humanst.manifest",
    "SampleEntry": "humanst.manifest",
    "load_manifest": "humanst.manifest",
    "GeneSets": "humanst.pathways",
    "load_collection": "humanst.pathways",
    "load_gmt": "humanst.pathways",
    "HumanstError": "humanst.errors",
    "ManifestError": "humanst.errors",
    "SampleError": "humanst.errors",
    "write_synthetic": "humanst.synth",
    "Atlas": "humanst.store",
    "open_atlas": "humanst.store",
    "push_atlas": "humanst.hub",
}
_SUBPACKAGES = ("manifest", "pathways", "synth", "errors")

__all__ = ["__version__", *sorted(_LAZY), *_SUBPACKAGES]

if TYPE_CHECKING:
    from humanst import errors as errors
    from humanst import manifest as manifest
    from humanst import pathways as pathways
    from humanst import synth as synth
    from humanst.errors import HumanstError as HumanstError
    from humanst.errors import ManifestError as ManifestError
    from humanst.errors import SampleError as SampleError
    from humanst.hub import push_atlas as push_atlas
    from humanst.manifest import AtlasManifest as AtlasManifest
    from humanst.manifest import SampleEntry as SampleEntry
    from humanst.manifest import load_manifest as load_manifest
    from humanst.pathways import GeneSets as GeneSets
    from humanst.pathways import load_collection as load_collection
    from humanst.pathways import load_gmt as load_gmt
    from humanst.store import Atlas as Atlas
    from humanst.store import open_atlas as open_atlas
    from humanst.synth import write_synthetic as write_synthetic


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBPACKAGES:
        return importlib.import_module(f"humanst.{name}")
    msg = f"module 'humanst' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(__all__)
