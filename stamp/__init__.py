"""STAMP: spatial-transcriptomics-guided alignment of pathology foundation models (model floor).

Public names resolve lazily (``stamp.fit`` imports torch on first use), so ``import stamp`` stays light.
"""

from __future__ import annotations

from humanst.lazy_exports import lazy_getattr

__version__ = "0.1.0.dev0"

_LAZY = {
    "EncoderSpec": "stamp.encoders",
    "create_encoder": "stamp.encoders",
    "encoder_names": "stamp.encoders",
    "get_encoder_spec": "stamp.encoders",
    "register_encoder": "stamp.encoders",
    "LoraSettings": "stamp.train.config",
    "StampAligner": "stamp.model",
    "AtlasPatches": "stamp.data",
    "TrainConfig": "stamp.train",
    "load_config": "stamp.train",
    "fit": "stamp.train",
    "embed_atlas": "stamp.embed",
    "load_embeddings": "stamp.embed",
    "export_merged": "stamp.export",
    "load_run_encoder": "stamp.run_dir",
    "load_encoder": "stamp.loading",
    "ImageTransform": "stamp.data",
    "push_run": "stamp.hub",
}
__all__ = ["__version__", *sorted(_LAZY)]

__getattr__ = lazy_getattr("stamp", _LAZY)
