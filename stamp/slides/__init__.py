"""Whole-slide embedding: tissue tiles of many slides through a base or STAMP-aligned encoder, one file per slide.

Examples
--------
>>> from stamp.slides import SlideFeatureFolder, embed_slides, load_slide_features
>>> result = embed_slides(["slides/"], "uni", adapter=Path("runs/uni"), out=Path("feats"))  # doctest: +SKIP
>>> feats = SlideFeatureFolder(result.folder).load("TCGA-XX-0001")  # doctest: +SKIP
>>> feats.features.shape, feats.coords_px.shape, feats.provenance["slide"]["pixel_size"]  # doctest: +SKIP
"""

from __future__ import annotations

from stamp.slides.embed import SlideEmbedResult, embed_slides, rank_shard
from stamp.slides.features import (
    SLIDE_FEATURES_VERSION,
    SlideFeatureFolder,
    SlideFeatures,
    load_slide_features,
    slide_feature_folder,
    write_slide_features,
)

__all__ = [
    "SLIDE_FEATURES_VERSION",
    "SlideEmbedResult",
    "SlideFeatureFolder",
    "SlideFeatures",
    "embed_slides",
    "load_slide_features",
    "rank_shard",
    "slide_feature_folder",
    "write_slide_features",
]
