"""``humanst.open_atlas``: an atlas for a notebook, its samples as SpatialData and its patch dataset."""

from __future__ import annotations

import pytest

import humanst
from humanst.errors import AtlasError


def test_open_atlas_gives_samples_as_spatialdata_and_the_patch_dataset(demo_atlas, tmp_path):
    from spatialdata import SpatialData

    atlas = humanst.open_atlas(demo_atlas)
    assert isinstance(atlas, humanst.Atlas)
    samples = atlas.samples
    assert list(samples) == atlas.built_samples()
    assert len(samples) == 10
    first = samples["demo-visium-p1a"]
    assert isinstance(first, SpatialData)
    assert first.tables["table"].n_obs == atlas.record("demo-visium-p1a").spots_kept
    assert samples["demo-visium-p1a"] is first  # read once
    patches = atlas.patches
    assert len(patches) == atlas.info()["rows"]
    assert set(patches.unique("sample_id")) == set(samples)
    with pytest.raises(KeyError, match="no built sample 'nope'; built: demo-"):
        samples["nope"]
    with pytest.raises(AtlasError, match="not an atlas"):
        humanst.open_atlas(tmp_path)
