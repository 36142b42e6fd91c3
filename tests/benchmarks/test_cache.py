from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from benchmarks.cache import aligned_embeddings, cache_key, read_cache_info, read_embeddings, write_embeddings
from benchmarks.errors import CacheError

META = {"encoder": "e", "adapter_hash": "", "weights": "hub", "content_hash": "h"}


def test_round_trip(tmp_path):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    write_embeddings(tmp_path, "s1", ["a", "b", "c"], x, META)
    file = read_embeddings(tmp_path / "s1.safetensors")
    assert file.spot_ids == ["a", "b", "c"]
    np.testing.assert_array_equal(file.embeddings, x)
    assert file.meta["embed_dim"] == "4"
    assert file.meta["sample_id"] == "s1"


def test_cache_key_follows_the_contract():
    assert cache_key("timm:vit_small") == "timm-vit_small"
    assert cache_key("uni", adapter_hash="0123456789ab") == "uni+0123456789ab"
    assert cache_key("vit-tiny-test", random_init=True) == "vit-tiny-test+random"


@pytest.mark.parametrize(
    ("tensors", "meta", "match"),
    [
        ({"embeddings": np.full((2, 3), np.nan, np.float32)}, None, "NaN or infinite"),
        ({"feats": np.zeros((2, 3), np.float32)}, None, "exactly one tensor named 'embeddings'"),
        ({"embeddings": np.zeros((2, 3), np.float64)}, None, "float32"),
        ({"embeddings": np.zeros((2, 3), np.float32)}, {"spot_ids": json.dumps(["a"])}, "2 distinct ids"),
    ],
)
def test_bad_files_are_refused(tmp_path, tensors, meta, match):
    full = {**META, "schema_version": "1", "sample_id": "s", "embed_dim": "3", "spot_ids": json.dumps(["a", "b"])}
    save_file(tensors, str(tmp_path / "s.safetensors"), metadata={**full, **(meta or {})})
    with pytest.raises(CacheError, match=match):
        read_embeddings(tmp_path / "s.safetensors")


def test_missing_spot_and_missing_cache_json(tmp_path):
    write_embeddings(tmp_path, "s1", ["a", "b"], np.zeros((2, 2), np.float32), META)
    with pytest.raises(CacheError, match="no embedding"):
        aligned_embeddings(tmp_path, np.array(["s1"] * 3, dtype=object), np.array(["a", "b", "z"], dtype=object))
    with pytest.raises(CacheError, match=r"cache\.json"):
        read_cache_info(tmp_path)
