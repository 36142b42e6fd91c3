"""Atlas outputs: the atlas layout (:class:`Atlas`), sample stores, patch parts, the dataset, validation, export."""

from __future__ import annotations

from humanst.store.atlas import (
    ATLAS_FORMAT_VERSION,
    Atlas,
    AtlasSamples,
    DatasetFiles,
    mask_column,
    open_atlas,
    pathway_column,
    read_sample_store,
)
from humanst.store.export import export_atlas
from humanst.store.hf_dataset import assemble_dataset, finished_samples
from humanst.store.patch_parts import PartInfo, write_part
from humanst.store.records import SampleOutcome, read_record, write_record
from humanst.store.rescore import rescore_store
from humanst.store.sample_zarr import SampleData, write_sample_store
from humanst.store.validate import validate_atlas, validate_store

__all__ = [
    "ATLAS_FORMAT_VERSION",
    "Atlas",
    "AtlasSamples",
    "DatasetFiles",
    "PartInfo",
    "SampleData",
    "SampleOutcome",
    "assemble_dataset",
    "export_atlas",
    "finished_samples",
    "mask_column",
    "open_atlas",
    "pathway_column",
    "read_record",
    "read_sample_store",
    "rescore_store",
    "validate_atlas",
    "validate_store",
    "write_part",
    "write_record",
    "write_sample_store",
]
