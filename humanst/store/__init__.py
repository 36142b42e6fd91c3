"""Atlas outputs: per-sample SpatialData stores, patch parts, the Hugging Face dataset, validation, export."""

from __future__ import annotations

from humanst.store.export import export_atlas
from humanst.store.hf_dataset import assemble_dataset, finished_samples
from humanst.store.patch_parts import PartInfo, write_part
from humanst.store.read import read_sample_store
from humanst.store.sample_zarr import SampleData, write_sample_store
from humanst.store.validate import validate_atlas, validate_store

__all__ = [
    "PartInfo",
    "SampleData",
    "assemble_dataset",
    "export_atlas",
    "finished_samples",
    "read_sample_store",
    "validate_atlas",
    "validate_store",
    "write_part",
    "write_sample_store",
]
