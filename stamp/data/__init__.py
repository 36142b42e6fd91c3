"""Training data: the atlas patch dataset as tensors, a balanced step-indexed sampler and patch transforms."""

from __future__ import annotations

from stamp.data.atlas_patches import AtlasPatches, PathwayStats
from stamp.data.sampler import BalancedBatchSampler
from stamp.data.transforms import ImageTransform, PatchTransform

__all__ = ["AtlasPatches", "BalancedBatchSampler", "ImageTransform", "PatchTransform", "PathwayStats"]
