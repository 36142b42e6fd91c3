"""The STAMP model: LoRA on the encoder, projection and pathway heads, and their composition."""

from __future__ import annotations

from stamp.model.aligner import AlignerOutput, StampAligner
from stamp.model.heads import PathwayEncoder, ProjectionHead
from stamp.model.lora import LoraSettings, attach_lora, load_lora, lora_target_modules, peft_model

__all__ = [
    "AlignerOutput",
    "LoraSettings",
    "PathwayEncoder",
    "ProjectionHead",
    "StampAligner",
    "attach_lora",
    "load_lora",
    "lora_target_modules",
    "peft_model",
]
